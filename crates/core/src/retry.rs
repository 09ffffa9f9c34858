//! Retrying one call: the policy that decides, and the [`Call`] machine that
//! applies it.

use std::time::{Duration, SystemTime};

use crate::config::{ApiConfig, Secret};
use crate::error::{Error, RetryAfter, scrub_response};
use crate::http::{Method, Request, Response};
use crate::machine::{Input, LOST, Machine, Output, TransportError, later};
use crate::ops::Operation;

/// When to try a failed request again.
///
/// - 429 is retried for every method (the server did not act), honouring
///   `Retry-After` up to [`max_retry_after`](Self::max_retry_after).
/// - 5xx, network failures and timeouts are retried only for idempotent
///   methods (GET, PUT, DELETE): a POST is never repeated once the server
///   may have acted.
/// - Otherwise the delay is exponential backoff with full jitter:
///   a random duration up to `min(max_delay, base_delay * 2^retry)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Retries after the first attempt; zero disables retrying.
    pub max_retries: u32,
    /// The backoff ceiling of the first retry.
    pub base_delay: Duration,
    /// The largest backoff ceiling.
    pub max_delay: Duration,
    /// The longest `Retry-After` honoured; a longer one ends the call with
    /// [`Error::RateLimited`].
    pub max_retry_after: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            max_retries: 2,
            base_delay: Duration::from_millis(500),
            max_delay: Duration::from_secs(10),
            max_retry_after: Duration::from_secs(60),
        }
    }
}

/// Why an attempt failed, as the policy sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Failure {
    /// A response with this status (and `Retry-After`, if any).
    Status(u16, Option<RetryAfter>),
    /// No response: the connection failed.
    Network,
    /// No response in time.
    Timeout,
}

impl RetryPolicy {
    /// A policy that never retries.
    pub fn never() -> Self {
        Self {
            max_retries: 0,
            ..Self::default()
        }
    }

    /// Whether and after how long to retry, given how many retries were
    /// already made. `random` is any random number (it picks the jitter).
    pub fn retry_delay(
        &self,
        retries_done: u32,
        method: Method,
        failure: Failure,
        now: SystemTime,
        random: u64,
    ) -> Option<Duration> {
        if retries_done >= self.max_retries {
            return None;
        }
        match failure {
            Failure::Status(429, Some(after)) => {
                let delay = after.delay_from(now);
                (delay <= self.max_retry_after).then_some(delay)
            }
            Failure::Status(429, None) => Some(self.backoff(retries_done, random)),
            Failure::Status(500..=599, _) | Failure::Network | Failure::Timeout
                if method.is_idempotent() =>
            {
                Some(self.backoff(retries_done, random))
            }
            _ => None,
        }
    }

    /// Full jitter: uniform in `0..=min(max_delay, base_delay * 2^retry)`.
    pub(crate) fn backoff(&self, retries_done: u32, random: u64) -> Duration {
        let factor = 1u32.checked_shl(retries_done.min(31)).unwrap_or(u32::MAX);
        let ceiling = self.base_delay.saturating_mul(factor).min(self.max_delay);
        let ceiling_ms = u64::try_from(ceiling.as_millis()).unwrap_or(u64::MAX);
        Duration::from_millis(random % ceiling_ms.saturating_add(1))
    }
}

/// A small deterministic random sequence (SplitMix64) from a caller's seed.
#[derive(Debug, Clone)]
pub(crate) struct Jitter(u64);

impl Jitter {
    pub(crate) fn new(seed: u64) -> Self {
        Self(seed)
    }

    pub(crate) fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
}

#[derive(Debug, Clone)]
enum State<T> {
    Ready,
    Sent,
    Waiting(SystemTime),
    Done(Result<T, Error>),
}

/// One operation carried out with retries: a [`Machine`] whose value is the
/// operation's output.
///
/// Invalid arguments finish the call at once, before anything is sent.
#[derive(Debug)]
pub struct Call<O: Operation> {
    op: O,
    request: Option<Request>,
    secrets: Vec<Secret>,
    policy: RetryPolicy,
    jitter: Jitter,
    retries: u32,
    state: State<O::Output>,
}

impl<O: Operation> Call<O> {
    /// Prepares a call. `seed` feeds the backoff jitter.
    pub fn new(config: &ApiConfig, op: O, policy: RetryPolicy, seed: u64) -> Self {
        let mut secrets: Vec<Secret> = op.secrets().into_iter().map(Secret::new).collect();
        secrets.extend(config.key_secrets());
        let (request, state) = match op.build_request(config) {
            Ok(request) => (Some(request), State::Ready),
            Err(error) => (None, State::Done(Err(error))),
        };
        Self {
            op,
            request,
            secrets,
            policy,
            jitter: Jitter::new(seed),
            retries: 0,
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
        let secrets: Vec<&str> = self.secrets.iter().map(Secret::expose).collect();
        self.state = State::Done(result.map_err(|error| error.redact(&secrets)));
    }

    fn retry_or(&mut self, failure: Failure, now: SystemTime, error: impl FnOnce(&Self) -> Error) {
        let method = self.request.as_ref().map_or(Method::Post, |r| r.method);
        let random = self.jitter.next();
        match self
            .policy
            .retry_delay(self.retries, method, failure, now, random)
        {
            Some(delay) => {
                self.retries += 1;
                self.state = State::Waiting(later(now, delay));
            }
            None => {
                let error = error(self);
                self.finish(Err(error));
            }
        }
    }

    fn handle_response(&mut self, response: Response, now: SystemTime) {
        if response.is_success() {
            let result = self.op.parse_response(&response);
            return self.finish(result);
        }
        let secrets: Vec<&str> = self.secrets.iter().map(Secret::expose).collect();
        let response = scrub_response(&response, &secrets);
        let retry_after = response.header("retry-after").and_then(RetryAfter::parse);
        let failure = Failure::Status(response.status, retry_after);
        self.retry_or(failure, now, |call| {
            match call.op.parse_response(&response) {
                Err(error) => error,
                Ok(_) => Error::from_response(&response),
            }
        });
    }
}

impl<O: Operation> Machine for Call<O> {
    type Value = O::Output;

    fn poll_output(&mut self, now: SystemTime) -> Output<O::Output> {
        match &self.state {
            State::Done(result) => return Output::Done(result.clone()),
            State::Waiting(at) if now < *at => return Output::WaitUntil(*at),
            State::Sent => {
                // The outcome of the request was never handed in: it may have
                // reached the server, so it counts as a lost connection
                // (retried only when the method is idempotent).
                let lost = Input::Failed(TransportError::Network(LOST.to_owned()));
                self.handle_input(lost, now);
                return self.poll_output(now);
            }
            State::Ready | State::Waiting(_) => {}
        }
        self.state = State::Sent;
        match &self.request {
            Some(request) => Output::Send(request.clone()),
            None => Output::Done(Err(Error::invalid("request", "was not built"))),
        }
    }

    fn handle_input(&mut self, input: Input, now: SystemTime) {
        if !matches!(self.state, State::Sent) {
            return;
        }
        match input {
            Input::Response(response) => self.handle_response(response, now),
            Input::Failed(error) => {
                let failure = match &error {
                    TransportError::Network(_) => Failure::Network,
                    TransportError::Timeout => Failure::Timeout,
                };
                self.retry_or(failure, now, |_| error.into());
            }
        }
    }
}
