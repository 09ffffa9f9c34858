//! A change followed, when asked, by the wait until the server shows it:
//! the [`Mutation`] machine.
//!
//! The server applies creates and deletes of users and rules in the
//! background. A mutation sends the change as a [`Call`] (with its retries)
//! and then, when waiting was asked for and the operation has a
//! [`WaitTarget`], probes with a [`Poller`] until the change is visible. It
//! is one machine, so a driver runs it with the same loop as any other: no
//! driver schedules a wait of its own.

use std::time::SystemTime;

use crate::call::Call;
use crate::config::ApiConfig;
use crate::error::Error;
use crate::machine::{Input, Machine, Output, Ticket};
use crate::ops::Operation;
use crate::poll::{Poller, WaitOptions};
use crate::retry::RetryPolicy;
use crate::wait::WaitTarget;

/// An operation carried out with retries, then (optionally) the wait until
/// its change is visible: a [`Machine`] whose value is the operation's
/// output.
///
/// Invalid arguments or wait options finish it before anything is sent.
/// The wait's probes use the retry policy's
/// [`attempt_timeout`](RetryPolicy::attempt_timeout).
///
/// ```
/// use std::time::{Duration, SystemTime};
/// use cloudmqtt_api::{
///     ApiConfig, CreateUser, Input, Machine, Mutation, Output, Response, RetryPolicy,
///     WaitOptions,
/// };
///
/// let config = ApiConfig::new("my-api-key")?;
/// let op = CreateUser { username: "alice".into(), password: "pw".into() };
/// let mut create = Mutation::new(&config, op, RetryPolicy::default(), 7, Some(WaitOptions::default()));
///
/// // The create is accepted, then the user shows on the second probe.
/// let mut replies = vec![
///     Response::new(200, vec![], br#"{"username":"alice","acls":[]}"#.to_vec()),
///     Response::new(404, vec![], vec![]),
///     Response::new(204, vec![], vec![]),
/// ];
/// let mut now = SystemTime::UNIX_EPOCH;
/// let mut sent = Vec::new();
/// loop {
///     match create.poll_output(now) {
///         Output::Send(ticket, request) => {
///             sent.push(format!("{} {}", request.method, request.url));
///             create.handle_input(ticket, Input::Response(replies.pop().unwrap()), now);
///         }
///         Output::WaitUntil(at) => now = at,
///         Output::Event(_) => {}
///         Output::Pending => unreachable!("every request was answered"),
///         Output::Done(result) => break result?,
///     }
/// }
/// assert_eq!(sent, [
///     "POST https://api.cloudmqtt.com/api/user",
///     "GET https://api.cloudmqtt.com/api/user/alice",
///     "GET https://api.cloudmqtt.com/api/user/alice",
/// ]);
/// // The probes start soon after the create: 125 ms, then 250 ms later.
/// assert_eq!(now, SystemTime::UNIX_EPOCH + Duration::from_millis(375));
/// # Ok::<(), cloudmqtt_api::Error>(())
/// ```
#[derive(Debug)]
pub struct Mutation<O: Operation> {
    call: Call<O>,
    wait: Option<Poller>,
    /// The call's value, once it has one and the wait is under way.
    value: Option<O::Output>,
    /// Set when the wait options or target were invalid.
    invalid: Option<Error>,
}

impl<O: Operation> Mutation<O> {
    /// Prepares the operation and, when `wait` is given and the operation
    /// has a [`wait_target`](Operation::wait_target), the wait after it.
    /// `seed` feeds the backoff jitter.
    pub fn new(
        config: &ApiConfig,
        op: O,
        policy: RetryPolicy,
        seed: u64,
        wait: Option<WaitOptions>,
    ) -> Self {
        let wait = wait.and_then(|options| {
            let target = op.wait_target()?;
            let options = WaitOptions {
                attempt_timeout: policy.attempt_timeout,
                ..options
            };
            Some(Poller::new(config, target, options))
        });
        let invalid = wait.as_ref().and_then(Poller::invalid).cloned();
        Self {
            call: Call::new(config, op, policy, seed),
            wait,
            value: None,
            invalid,
        }
    }

    /// What the mutation is waiting for, while it waits for its change to
    /// become visible (after the call succeeded).
    pub fn waiting_for(&self) -> Option<&WaitTarget> {
        self.value
            .as_ref()
            .and(self.wait.as_ref())
            .map(Poller::target)
    }

    /// How many retries the call made.
    pub fn retries(&self) -> u32 {
        self.call.retries()
    }
}

impl<O: Operation> Machine for Mutation<O> {
    type Value = O::Output;

    fn poll_output(&mut self, now: SystemTime) -> Output<O::Output> {
        if let Some(error) = &self.invalid {
            return Output::Done(Err(error.clone()));
        }
        if self.value.is_none() {
            match self.call.poll_output(now) {
                Output::Done(Ok(value)) if self.wait.is_some() => self.value = Some(value),
                other => return other,
            }
        }
        match (self.wait.as_mut(), &self.value) {
            (Some(wait), Some(value)) => match wait.poll_output(now) {
                Output::Send(ticket, request) => Output::Send(ticket, request),
                Output::WaitUntil(at) => Output::WaitUntil(at),
                Output::Pending => Output::Pending,
                Output::Event(event) => Output::Event(event),
                Output::Done(result) => Output::Done(result.map(|()| value.clone())),
            },
            // Only reached with both set: `value` is set just above when
            // there is a wait.
            _ => self.call.poll_output(now),
        }
    }

    fn handle_input(&mut self, ticket: Ticket, input: Input, now: SystemTime) {
        match (self.wait.as_mut(), self.value.is_some()) {
            (Some(wait), true) => wait.handle_input(ticket, input, now),
            _ => self.call.handle_input(ticket, input, now),
        }
    }
}
