//! Waiting until an asynchronous change is visible.
//!
//! The server applies creates and deletes of users and ACL rules in the
//! background ("may take up to a minute"). A [`Poller`] probes until the
//! change shows, up to a deadline, on a [`ProbeSchedule`]: the first probe
//! soon after the change ([`FIRST_PROBE_DELAY`]), then backing off to one
//! probe per interval, so that a change applied within moments is seen
//! within moments and a slow one costs no more requests than before.

use std::time::{Duration, SystemTime};

use crate::config::ApiConfig;
use crate::error::{Error, SecretForms};
use crate::event::Event;
use crate::http::{Request, Response};
use crate::machine::{Input, Machine, Output, Ticket, Tickets, later};
use crate::ops::{GetUser, ListAclRules, Operation, parse_acl_rules};
use crate::retry::{DEFAULT_ATTEMPT_TIMEOUT, RetryAfter};
use crate::validate;
use crate::wait::WaitTarget;

/// The longest time between probes once a wait has backed off, by
/// default.
pub const DEFAULT_WAIT_INTERVAL: Duration = Duration::from_secs(2);
/// How long after a wait starts its first probe goes out (or the
/// interval, when that is shorter); each delay after it doubles, up to the
/// interval ([`ProbeSchedule`]).
pub const FIRST_PROBE_DELAY: Duration = Duration::from_millis(125);
/// How long a wait lasts before it gives up, by default.
pub const DEFAULT_WAIT_TIMEOUT: Duration = Duration::from_secs(90);
/// The longest interval after slowing down on 429, by default.
pub const DEFAULT_MAX_WAIT_INTERVAL: Duration = Duration::from_secs(30);
/// The least time a probe gets, however close the wait's deadline: the
/// last probe goes out at the deadline and may take this long to answer.
pub const MIN_PROBE_TIME: Duration = Duration::from_millis(100);

/// Checking a target, and probing for it: a [`Poller`]'s part.
impl WaitTarget {
    fn validate(&self) -> Result<(), Error> {
        match self {
            Self::User { username, .. } => validate::username(username),
            Self::Acl {
                kind,
                username,
                pattern,
                ..
            } => {
                if let Some(name) = username {
                    validate::username(name)?;
                }
                match kind {
                    Some(kind) => validate::acl_rule(*kind, username.as_deref(), pattern),
                    None => validate::topic_filter("pattern", pattern),
                }
            }
        }
    }

    fn probe(&self, config: &ApiConfig) -> Result<Request, Error> {
        match self {
            Self::User { username, .. } => GetUser {
                username: username.clone(),
            }
            .build_request(config),
            Self::Acl { .. } => ListAclRules.build_request(config),
        }
    }

    /// Whether the probe's response shows the target reached; `None` when it
    /// says nothing either way.
    fn reached(&self, response: &Response) -> Result<Option<bool>, Error> {
        match self {
            Self::User { exists, .. } => Ok(match response.status {
                200..=299 => Some(*exists),
                404 => Some(!*exists),
                _ => None,
            }),
            Self::Acl {
                kind,
                username,
                pattern,
                exists,
            } => {
                if !response.is_success() {
                    return Ok(None);
                }
                let rules = parse_acl_rules(&response.body)?;
                let found = rules.iter().any(|rule| {
                    kind.is_none_or(|kind| rule.kind == kind)
                        && rule.pattern == *pattern
                        && rule.username == *username
                });
                Ok(Some(found == *exists))
            }
        }
    }
}

/// How often to probe and for how long.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WaitOptions {
    /// The longest time between probes ([`DEFAULT_WAIT_INTERVAL`]): the
    /// first goes out [`FIRST_PROBE_DELAY`] after the wait starts and the
    /// delays double up to this ([`ProbeSchedule`]).
    pub interval: Duration,
    /// Total time before giving up ([`DEFAULT_WAIT_TIMEOUT`]).
    pub timeout: Duration,
    /// The longest interval after slowing down on 429
    /// ([`DEFAULT_MAX_WAIT_INTERVAL`]).
    pub max_interval: Duration,
    /// How long one probe may take ([`DEFAULT_ATTEMPT_TIMEOUT`]); never
    /// past the wait's deadline by more than [`MIN_PROBE_TIME`].
    pub attempt_timeout: Duration,
}

impl Default for WaitOptions {
    fn default() -> Self {
        Self {
            interval: DEFAULT_WAIT_INTERVAL,
            timeout: DEFAULT_WAIT_TIMEOUT,
            max_interval: DEFAULT_MAX_WAIT_INTERVAL,
            attempt_timeout: DEFAULT_ATTEMPT_TIMEOUT,
        }
    }
}

impl WaitOptions {
    /// Checks that the intervals are not zero (which would probe without
    /// pause).
    ///
    /// # Errors
    /// [`Error::InvalidInput`] naming `interval` or `max_interval`.
    pub fn validate(&self) -> Result<(), Error> {
        if self.interval.is_zero() {
            return Err(Error::invalid("interval", "must be greater than 0"));
        }
        if self.max_interval.is_zero() {
            return Err(Error::invalid("max_interval", "must be greater than 0"));
        }
        Ok(())
    }
}

/// When a wait's probes go out: the first [`FIRST_PROBE_DELAY`] after the
/// wait starts, then each delay twice the one before, up to the interval,
/// which stays the cap (a wait with an interval shorter than the first
/// delay probes once per interval from the start). A 429 slows it down:
/// the interval doubles (up to `max_interval`, never below the interval
/// given) and the delays are the interval from then on.
///
/// Pure arithmetic on durations: the caller adds a delay to its own `now`.
/// [`Poller`] and [`crate::Apply`]'s batched waits both go by it.
///
/// ```
/// use std::time::Duration;
/// use cloudmqtt_api::{ProbeSchedule, WaitOptions};
///
/// let mut schedule = ProbeSchedule::new(&WaitOptions::default());
/// let delays: Vec<Duration> = (0..6).map(|_| schedule.next_delay()).collect();
/// let ms = |n| Duration::from_millis(n);
/// assert_eq!(delays, [ms(125), ms(250), ms(500), ms(1000), ms(2000), ms(2000)]);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ProbeSchedule {
    /// The delay [`ProbeSchedule::next_delay`] gives next.
    next: Duration,
    /// The cap on the delays.
    interval: Duration,
    /// The cap on the interval when slowing down.
    max_interval: Duration,
}

impl ProbeSchedule {
    /// The schedule of a wait with these options, before its first probe.
    #[must_use]
    pub fn new(options: &WaitOptions) -> Self {
        Self {
            next: FIRST_PROBE_DELAY.min(options.interval),
            interval: options.interval,
            max_interval: options.max_interval,
        }
    }

    /// The delay before the next probe (the first call gives the delay
    /// before the first); the one after is twice as long, up to the
    /// interval.
    #[must_use = "the delay is the time to wait before the next probe"]
    pub fn next_delay(&mut self) -> Duration {
        let delay = self.next;
        self.next = self.next.saturating_add(self.next).min(self.interval);
        delay
    }

    /// Slows down after a 429: the interval doubles (up to `max_interval`,
    /// never below the interval given) and every delay from now on is the
    /// interval.
    pub fn slow_down(&mut self) {
        self.interval = self
            .interval
            .saturating_add(self.interval)
            .min(self.max_interval.max(self.interval));
        self.next = self.interval;
    }

    /// The cap on the delays, as slowed down so far.
    #[must_use]
    pub fn interval(&self) -> Duration {
        self.interval
    }
}

#[derive(Debug, Clone)]
enum State {
    Ready,
    Sent(Ticket),
    Waiting(SystemTime),
    Done(Result<(), Error>),
}

/// Probes until a [`WaitTarget`] is reached or the deadline passes.
///
/// The wait starts at the first [`Machine::poll_output`]; its probes go
/// out on a [`ProbeSchedule`]: the first [`FIRST_PROBE_DELAY`] later, then
/// after delays that double up to the interval. A 2xx or 404 that does not
/// show the target yet, a 5xx, a network failure or a timeout waits the
/// next delay; 429 slows the schedule down (the interval doubles, up to
/// `max_interval`, and the wait is at least `Retry-After`); any other
/// status fails at once. The last probe goes out at the deadline; after it
/// the wait ends with [`Error::WaitTimeout`]. Each probe carries its
/// attempt's deadline ([`Request::deadline`]): the options'
/// `attempt_timeout`, cut to the wait's deadline but never below
/// [`MIN_PROBE_TIME`].
#[derive(Debug)]
pub struct Poller {
    target: WaitTarget,
    /// The probe (never sent when it could not be built: the poller is then
    /// `Done` from the start, and `Done` is final).
    probe: Request,
    options: WaitOptions,
    schedule: ProbeSchedule,
    started: Option<SystemTime>,
    secrets: SecretForms,
    tickets: Tickets,
    /// The event not yet reported (one at most: each comes before a wait).
    event: Option<Event>,
    state: State,
}

impl Poller {
    /// Prepares a wait.
    pub fn new(config: &ApiConfig, target: WaitTarget, options: WaitOptions) -> Self {
        let built = options
            .validate()
            .and_then(|()| target.validate())
            .and_then(|()| target.probe(config));
        let (probe, state) = match built {
            Ok(probe) => (probe, State::Ready),
            Err(error) => (Request::unsendable(), State::Done(Err(error))),
        };
        Self {
            target,
            probe,
            schedule: ProbeSchedule::new(&options),
            options,
            started: None,
            secrets: config.key_forms().clone(),
            tickets: Tickets::default(),
            event: None,
            state,
        }
    }

    /// The error the wait ends with before any probe, when its target or
    /// options are invalid.
    pub(crate) fn invalid(&self) -> Option<&Error> {
        match &self.state {
            State::Done(Err(error)) if self.started.is_none() => Some(error),
            _ => None,
        }
    }

    /// What is awaited.
    pub fn target(&self) -> &WaitTarget {
        &self.target
    }

    fn deadline(&self, now: SystemTime) -> SystemTime {
        later(self.started.unwrap_or(now), self.options.timeout)
    }

    /// Waits the schedule's next delay (and at least `at_least`) before the
    /// next probe, or ends the wait once its deadline has passed and a
    /// probe went out (the first goes out even with a timeout of 0).
    fn probe_later(&mut self, at_least: Duration, now: SystemTime) {
        let delay = self.schedule.next_delay().max(at_least);
        let deadline = self.deadline(now);
        if now >= deadline && matches!(self.state, State::Sent(_)) {
            // The timeout as it was given: the last probe may end a little
            // past it.
            self.state = State::Done(Err(Error::WaitTimeout {
                what: self.target.describe(),
                waited: self.options.timeout,
            }));
        } else {
            let at = later(now, delay).min(deadline);
            self.event = Some(Event::Waiting {
                what: self.target.describe(),
                delay: at.duration_since(now).unwrap_or_default(),
            });
            self.state = State::Waiting(at);
        }
    }

    fn handle_response(&mut self, response: &Response, now: SystemTime) {
        match self.target.reached(response) {
            Ok(Some(true)) => self.state = State::Done(Ok(())),
            Ok(Some(false)) => self.probe_later(Duration::ZERO, now),
            Ok(None) if response.status == 429 => {
                self.schedule.slow_down();
                let asked = response
                    .header("retry-after")
                    .and_then(RetryAfter::parse)
                    .map(|after| after.delay_from(now))
                    .unwrap_or_default();
                self.probe_later(asked, now);
            }
            Ok(None) if response.status >= 500 => self.probe_later(Duration::ZERO, now),
            Ok(None) => {
                self.state = State::Done(Err(Error::read_failure(response, &self.secrets)));
            }
            Err(error) => self.state = State::Done(Err(error.redact_with(&self.secrets))),
        }
    }
}

impl Machine for Poller {
    type Value = ();

    fn poll_output(&mut self, now: SystemTime) -> Output<()> {
        if let State::Ready = self.state {
            // The wait starts; its first probe goes out after the schedule's
            // first delay.
            self.started = Some(now);
            self.probe_later(Duration::ZERO, now);
        }
        if let Some(event) = self.event.take() {
            return Output::Event(event);
        }
        match &self.state {
            State::Done(result) => return Output::Done(result.clone()),
            State::Waiting(at) if now < *at => return Output::WaitUntil(*at),
            State::Sent(_) => return Output::Pending,
            State::Ready | State::Waiting(_) => {}
        }
        let ticket = self.tickets.next();
        self.state = State::Sent(ticket);
        let left = self
            .deadline(now)
            .duration_since(now)
            .unwrap_or_default()
            .max(MIN_PROBE_TIME);
        let mut probe = self.probe.clone();
        probe.deadline = Some(later(now, self.options.attempt_timeout.min(left)));
        Output::Send(ticket, probe)
    }

    fn handle_input(&mut self, ticket: Ticket, input: Input, now: SystemTime) {
        if !matches!(self.state, State::Sent(sent) if sent == ticket) {
            return;
        }
        match input {
            Input::Response(response) => self.handle_response(&response, now),
            Input::Failed(_) => self.probe_later(Duration::ZERO, now),
        }
    }
}
