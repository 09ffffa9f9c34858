//! One operation carried out with retries: the [`Call`] machine.

use std::time::SystemTime;

use crate::config::ApiConfig;
use crate::error::{Error, SecretForms};
use crate::event::Event;
use crate::http::{Request, Response};
use crate::machine::{Input, Machine, Output, Ticket, Tickets, TransportError, later};
use crate::ops::Operation;
use crate::retry::{AttemptFailure, Jitter, RetryAfter, RetryPolicy};

#[derive(Debug, Clone)]
enum State<T> {
    Ready,
    Sent(Ticket),
    Waiting(SystemTime),
    Done(Result<T, Error>),
}

/// One operation carried out with retries: a [`Machine`] whose value is the
/// operation's output.
///
/// Invalid arguments finish the call at once, before anything is sent.
/// Each request it sends carries the deadline of its attempt
/// ([`Request::deadline`]): `now` plus the policy's
/// [`attempt_timeout`](RetryPolicy::attempt_timeout).
///
/// This is the one place where a failed response becomes an [`Error`], for
/// every endpoint: the status picks the variant, and every form of every
/// secret (the API key, the base64 credentials, the operation's passwords)
/// is scrubbed from the body before anything is read or cut from it, and
/// from every error the call finishes with.
#[derive(Debug)]
pub struct Call<O: Operation> {
    op: O,
    /// What every attempt sends (never sent when building it failed: the
    /// call is then `Done` from the start, and `Done` is final).
    request: Request,
    secrets: SecretForms,
    policy: RetryPolicy,
    jitter: Jitter,
    retries: u32,
    tickets: Tickets,
    /// The event not yet reported (one at most: each comes before a wait).
    event: Option<Event>,
    state: State<O::Output>,
}

impl<O: Operation> Call<O> {
    /// Prepares a call. `seed` feeds the backoff jitter.
    pub fn new(config: &ApiConfig, op: O, policy: RetryPolicy, seed: u64) -> Self {
        let secrets = config.key_forms().with(&SecretForms::new(&op.secrets()));
        let (request, state) = match op.build_request(config) {
            Ok(request) => (request, State::Ready),
            Err(error) => (Request::unsendable(), State::Done(Err(error))),
        };
        Self {
            op,
            request,
            secrets,
            policy,
            jitter: Jitter::new(seed),
            retries: 0,
            tickets: Tickets::default(),
            event: None,
            state,
        }
    }

    /// The operation being carried out.
    pub fn operation(&self) -> &O {
        &self.op
    }

    /// How many retries have been made so far.
    pub fn retries(&self) -> u32 {
        self.retries
    }

    fn finish(&mut self, result: Result<O::Output, Error>) {
        self.state = State::Done(result.map_err(|error| error.redact_with(&self.secrets)));
    }

    fn retry_or(
        &mut self,
        failure: AttemptFailure,
        now: SystemTime,
        error: impl FnOnce(&Self) -> Error,
    ) {
        let method = self.request.method;
        let random = self.jitter.next();
        match self
            .policy
            .retry_delay(self.retries, method, failure, now, random)
        {
            Some(delay) => {
                self.retries += 1;
                self.event = Some(Event::Retry {
                    failure,
                    retry: self.retries,
                    delay,
                });
                self.state = State::Waiting(later(now, delay));
            }
            None => {
                let error = error(self);
                self.finish(Err(error));
            }
        }
    }

    fn handle_response(&mut self, response: &Response, now: SystemTime) {
        if response.is_success() {
            let result = self.op.parse_success(response);
            return self.finish(result);
        }
        let retry_after = response.header("retry-after").and_then(RetryAfter::parse);
        let failure = AttemptFailure::Status(response.status, retry_after);
        self.retry_or(failure, now, |call| {
            let mut error = Error::from_response(&call.secrets.scrub_response(response));
            if let Error::NotFound(reply) = &mut error
                && every_api_has(&call.request.url)
            {
                reply.hint = Some(crate::error::Hint::BaseUrl);
            }
            error
        });
    }
}

/// Whether the URL's path is one every API answers (the user and rule
/// lists, the instance actions), so that a 404 means the base URL is wrong
/// rather than that a user is missing.
fn every_api_has(url: &str) -> bool {
    let bytes = url.as_bytes();
    let end = bytes
        .iter()
        .position(|byte| *byte == b'?' || *byte == b'#')
        .unwrap_or(bytes.len());
    let path = &bytes[..end];
    [
        &b"/user"[..],
        b"/acl",
        b"/instance/restart",
        b"/instance/reset",
    ]
    .iter()
    .any(|tail| path.ends_with(tail))
}

impl<O: Operation> Machine for Call<O> {
    type Value = O::Output;

    fn poll_output(&mut self, now: SystemTime) -> Output<O::Output> {
        if let Some(event) = self.event.take() {
            return Output::Event(event);
        }
        match &self.state {
            State::Done(result) => return Output::Done(result.clone()),
            State::Waiting(at) if now < *at => return Output::WaitUntil(*at),
            State::Sent(_) => return Output::Pending,
            State::Ready | State::Waiting(_) => {}
        }
        let mut request = self.request.clone();
        request.deadline = Some(later(now, self.policy.attempt_timeout));
        let ticket = self.tickets.next();
        self.state = State::Sent(ticket);
        Output::Send(ticket, request)
    }

    fn handle_input(&mut self, ticket: Ticket, input: Input, now: SystemTime) {
        if !matches!(self.state, State::Sent(sent) if sent == ticket) {
            return;
        }
        match input {
            Input::Response(response) => self.handle_response(&response, now),
            Input::Failed(error) => {
                let failure = match &error {
                    TransportError::Network(_) => AttemptFailure::Network,
                    TransportError::Timeout => AttemptFailure::Timeout,
                };
                self.retry_or(failure, now, |_| error.into());
            }
        }
    }
}
