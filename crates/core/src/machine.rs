//! The one shape every state machine has: inputs in, outputs out, time passed
//! in by the caller.

use std::time::{Duration, SystemTime};

use crate::error::Error;
use crate::http::{Request, Response};

/// What a machine asks its driver to do next.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Output<T> {
    /// Send this request and hand the outcome to
    /// [`Machine::handle_input`].
    Send(Request),
    /// Call [`Machine::poll_output`] again at this instant (sleep until then).
    WaitUntil(SystemTime),
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

/// A sans-IO state machine that sends requests and waits.
///
/// The driver loop: call [`poll_output`](Machine::poll_output) with the
/// current time; on [`Output::Send`] send the request and pass the outcome
/// to [`handle_input`](Machine::handle_input); on [`Output::WaitUntil`]
/// sleep; on [`Output::Done`] stop. [`run`] is that loop for blocking
/// transports.
pub trait Machine {
    /// What the machine produces when it succeeds.
    type Value;

    /// The next thing to do, as of `now`.
    ///
    /// Polling again after [`Output::Send`] without handing in its outcome
    /// counts the request as lost, like a dropped connection: an idempotent
    /// request may go out again, a POST never does.
    fn poll_output(&mut self, now: SystemTime) -> Output<Self::Value>;

    /// Takes the outcome of the last [`Output::Send`], received at `now`.
    fn handle_input(&mut self, input: Input, now: SystemTime);
}

/// The network failure a request counts as when its outcome never came back.
pub(crate) const LOST: &str = "the outcome of the request was never handed in";

/// `now + delay`, or a century from `now` when that does not fit in a
/// [`SystemTime`] (a server's `Retry-After` or a caller's timeout can be
/// absurdly large).
pub(crate) fn later(now: SystemTime, delay: Duration) -> SystemTime {
    const CENTURY: Duration = Duration::from_secs(100 * 365 * 24 * 3600);
    now.checked_add(delay)
        .or_else(|| now.checked_add(CENTURY))
        .unwrap_or(now)
}

/// Drives a machine to completion with blocking functions: `clock` tells the
/// time, `sleep` waits, `send` carries a request.
///
/// # Errors
/// Whatever error the machine finishes with.
pub fn run<M: Machine>(
    machine: &mut M,
    mut clock: impl FnMut() -> SystemTime,
    mut sleep: impl FnMut(Duration),
    mut send: impl FnMut(Request) -> Input,
) -> Result<M::Value, Error> {
    loop {
        let now = clock();
        match machine.poll_output(now) {
            Output::Send(request) => {
                let input = send(request);
                machine.handle_input(input, clock());
            }
            Output::WaitUntil(at) => sleep(at.duration_since(now).unwrap_or_default()),
            Output::Done(result) => return result,
        }
    }
}
