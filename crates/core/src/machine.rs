//! The one shape every state machine has: inputs in, outputs out, time passed
//! in by the caller.

use std::time::{Duration, SystemTime};

use crate::error::Error;
use crate::event::Event;
use crate::http::{Request, Response};

/// Identifies one request in flight: the driver hands its outcome back
/// with it. Tickets are unique among one machine's requests in flight.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Ticket(u64);

impl Ticket {
    /// The ticket numbered `number` (for a driver that carries tickets
    /// across a boundary as numbers).
    #[must_use]
    pub const fn new(number: u64) -> Self {
        Self(number)
    }

    /// Its number.
    #[must_use]
    pub const fn get(self) -> u64 {
        self.0
    }
}

/// Hands out a machine's tickets, one number after another.
#[derive(Debug, Clone, Default)]
pub(crate) struct Tickets(u64);

impl Tickets {
    /// A ticket not handed out before.
    pub(crate) fn next(&mut self) -> Ticket {
        self.0 += 1;
        Ticket(self.0)
    }
}

/// What a machine asks its driver to do next.
#[derive(Debug, Clone, PartialEq, Eq)]
#[must_use = "the driver must act on what the machine asks"]
pub enum Output<T> {
    /// Send this request and hand its outcome to
    /// [`Machine::handle_input`] with the ticket. Poll again at once: more
    /// may go out while it is in flight.
    Send(Ticket, Request),
    /// Poll again at this instant (sleep until then), or sooner when a
    /// request in flight comes back.
    WaitUntil(SystemTime),
    /// Nothing to do until a request in flight comes back.
    Pending,
    /// Something happened worth showing or logging; poll again at once.
    Event(Event),
    /// Finished. Polling again returns the same result.
    Done(Result<T, Error>),
}

/// The outcome of sending a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Input {
    /// A response arrived (any status).
    Response(Response),
    /// No response arrived.
    Failed(TransportError),
}

/// Why a request got no response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TransportError {
    /// Connection, DNS, TLS or similar failure, with the transport's words.
    Network(String),
    /// The attempt ran past its timeout.
    Timeout,
}

impl From<TransportError> for Error {
    fn from(error: TransportError) -> Self {
        match error {
            TransportError::Network(message) => Error::Network { message },
            TransportError::Timeout => Error::Timeout,
        }
    }
}

/// A sans-IO state machine that sends requests, waits and reports events:
/// the one protocol of every machine of this crate.
///
/// The driver loop: call [`poll_output`](Machine::poll_output) with the
/// current time; on [`Output::Send`] start sending the request (at once,
/// or one at a time) and poll again; on [`Output::Event`] show or log the
/// event and poll again; on [`Output::WaitUntil`] sleep until then or
/// until an outcome comes back; on [`Output::Pending`] wait for an
/// outcome; hand each outcome to [`handle_input`](Machine::handle_input)
/// with its ticket; on [`Output::Done`] stop. [`run`] is that loop for
/// blocking transports, one request at a time.
///
/// A machine that keeps several requests in flight (an apply) gives each
/// its own ticket; one that sends one at a time answers
/// [`Output::Pending`] while its request is out.
///
/// ```
/// use std::time::{Duration, SystemTime};
/// use cloudmqtt_api::{
///     AccessChange, AccessPlan, ApiConfig, Apply, ApplyOptions, DesiredAccess, Input, Machine,
///     Output, Response,
/// };
///
/// let config = ApiConfig::new("my-api-key")?;
/// let plan = AccessPlan {
///     changes: vec![
///         AccessChange::delete_user("a"),
///         AccessChange::delete_user("b"),
///     ],
/// };
/// let mut apply = Apply::new(&config, &plan, &DesiredAccess::default(), ApplyOptions::default(), 1);
///
/// // A virtual clock, and the requests in flight on it.
/// let mut now = SystemTime::UNIX_EPOCH;
/// let mut in_flight = Vec::new();
/// let mut most = 0;
/// let report = loop {
///     match apply.poll_output(now) {
///         Output::Send(ticket, request) => in_flight.push((ticket, request)),
///         Output::Event(_) => {}
///         // Answer what is in flight (a poll of the user list sees nobody).
///         Output::Pending | Output::WaitUntil(_) if !in_flight.is_empty() => {
///             most = most.max(in_flight.len());
///             for (ticket, request) in in_flight.drain(..) {
///                 let body = if request.url.contains("/user?") { b"[]".to_vec() } else { Vec::new() };
///                 apply.handle_input(ticket, Input::Response(Response::new(200, vec![], body)), now);
///             }
///         }
///         Output::WaitUntil(at) => now = at,
///         Output::Pending => unreachable!("nothing is in flight"),
///         Output::Done(result) => break result?,
///     }
/// };
/// assert_eq!(most, 2, "both deletes were in flight at once");
/// assert_eq!(report.done.len(), 2);
/// assert!(now > SystemTime::UNIX_EPOCH, "the wait for the deletes to show took time");
/// # Ok::<(), cloudmqtt_api::Error>(())
/// ```
pub trait Machine {
    /// What the machine produces when it succeeds.
    type Value;

    /// The next thing to do, as of `now`.
    fn poll_output(&mut self, now: SystemTime) -> Output<Self::Value>;

    /// Takes the outcome of the request sent with `ticket`, received at
    /// `now`. An outcome whose ticket is not in flight is ignored.
    fn handle_input(&mut self, ticket: Ticket, input: Input, now: SystemTime);
}

/// `now + delay`, or a century from `now` when that does not fit in a
/// [`SystemTime`] (a server's `Retry-After` or a caller's timeout can be
/// absurdly large).
pub(crate) fn later(now: SystemTime, delay: Duration) -> SystemTime {
    const CENTURY: Duration = Duration::from_secs(100 * 365 * 24 * 3600);
    now.checked_add(delay)
        .or_else(|| now.checked_add(CENTURY))
        .unwrap_or(now)
}

/// Drives a machine to completion with blocking functions, one request at
/// a time: `clock` tells the time, `sleep` waits, `send` carries a request
/// and `event` hears every [`Event`] (pass `|_| {}` to ignore them).
///
/// To keep several requests in flight, run the same loop with a thread
/// (or task) per [`Output::Send`] and a channel that brings each outcome
/// back with its ticket: on [`Output::WaitUntil`] wait on the channel
/// until then, on [`Output::Pending`] wait on the channel.
///
/// # Errors
/// Whatever error the machine finishes with.
pub fn run<M: Machine>(
    machine: &mut M,
    mut clock: impl FnMut() -> SystemTime,
    mut sleep: impl FnMut(Duration),
    mut send: impl FnMut(Request) -> Input,
    mut event: impl FnMut(Event),
) -> Result<M::Value, Error> {
    loop {
        let now = clock();
        match machine.poll_output(now) {
            Output::Send(ticket, request) => {
                let input = send(request);
                machine.handle_input(ticket, input, clock());
            }
            Output::Event(happened) => event(happened),
            Output::WaitUntil(at) => sleep(at.duration_since(now).unwrap_or_default()),
            Output::Pending => {
                // One request at a time: nothing is in flight here, so a
                // machine waiting for one lost it.
                return Err(Error::invalid(
                    "machine",
                    "waits for a request that was never sent",
                ));
            }
            Output::Done(result) => return result,
        }
    }
}
