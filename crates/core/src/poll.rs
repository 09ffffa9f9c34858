//! Waiting until an asynchronous change is visible.
//!
//! The server applies creates and deletes of users and ACL rules in the
//! background ("may take up to a minute"). A [`Poller`] probes until the
//! change shows, with an interval and a deadline.

use std::fmt;
use std::time::{Duration, SystemTime};

use crate::config::{ApiConfig, Secret};
use crate::error::{Error, RetryAfter};
use crate::http::{Request, Response};
use crate::machine::{Input, LOST, Machine, Output, TransportError, later};
use crate::model::{AclKind, parse_acl_rules};
use crate::ops::{GetUser, ListAclRules, Operation};
use crate::validate;

/// What to wait for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WaitTarget {
    /// A user exists (`GET /user/{name}` answers 2xx) or is gone (404).
    User {
        /// The user.
        username: String,
        /// Wait for it to exist (`true`) or to be gone (`false`).
        exists: bool,
    },
    /// A matching ACL rule is in the rule list, or none is.
    Acl {
        /// Match only this kind; `None` matches both.
        kind: Option<AclKind>,
        /// The rule's user (`None` for pattern rules).
        username: Option<String>,
        /// The rule's topic filter.
        pattern: String,
        /// Wait for it to exist (`true`) or to be gone (`false`).
        exists: bool,
    },
}

impl WaitTarget {
    /// Waits for a user to exist or to be gone.
    pub fn user(username: &str, exists: bool) -> Self {
        Self::User {
            username: username.to_owned(),
            exists,
        }
    }

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

/// Reads as the end of "waiting for …", e.g. `user "alice" to exist`.
impl fmt::Display for WaitTarget {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = |exists: bool| if exists { "exist" } else { "be gone" };
        match self {
            Self::User { username, exists } => {
                write!(f, "user \"{username}\" to {}", state(*exists))
            }
            Self::Acl {
                kind,
                username,
                pattern,
                exists,
            } => {
                let kind = kind.map_or("ACL", AclKind::as_str);
                write!(f, "{kind} rule \"{pattern}\"")?;
                if let Some(user) = username {
                    write!(f, " of user \"{user}\"")?;
                }
                write!(f, " to {}", state(*exists))
            }
        }
    }
}

/// How often to probe and for how long.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WaitOptions {
    /// Time between probes (default 2 s).
    pub interval: Duration,
    /// Total time before giving up (default 90 s).
    pub timeout: Duration,
    /// The longest interval after slowing down on 429 (default 30 s).
    pub max_interval: Duration,
}

impl Default for WaitOptions {
    fn default() -> Self {
        Self {
            interval: Duration::from_secs(2),
            timeout: Duration::from_secs(90),
            max_interval: Duration::from_secs(30),
        }
    }
}

impl WaitOptions {
    /// Checks that the interval is not zero (which would probe without pause).
    ///
    /// # Errors
    /// [`Error::InvalidInput`] naming `intervalMs`.
    pub fn validate(&self) -> Result<(), Error> {
        if self.interval.is_zero() || self.max_interval.is_zero() {
            return Err(Error::invalid("intervalMs", "must be greater than 0"));
        }
        Ok(())
    }
}

#[derive(Debug, Clone)]
enum State {
    Ready,
    Sent,
    Waiting(SystemTime),
    Done(Result<(), Error>),
}

/// Probes until a [`WaitTarget`] is reached or the deadline passes.
///
/// The first probe goes out at once. A 2xx or 404 that does not show the
/// target yet waits one interval; 429 doubles the interval (up to
/// `max_interval`, and at least `Retry-After`); 5xx, network failures and
/// timeouts are ridden out; any other status fails at once. The last probe
/// goes out at the deadline; after it the wait ends with
/// [`Error::WaitTimedOut`].
#[derive(Debug)]
pub struct Poller {
    target: WaitTarget,
    probe: Option<Request>,
    options: WaitOptions,
    interval: Duration,
    started: Option<SystemTime>,
    secrets: [Secret; 2],
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
            Ok(probe) => (Some(probe), State::Ready),
            Err(error) => (None, State::Done(Err(error))),
        };
        Self {
            target,
            probe,
            interval: options.interval,
            options,
            started: None,
            secrets: config.key_secrets(),
            state,
        }
    }

    /// What is awaited.
    pub fn target(&self) -> &WaitTarget {
        &self.target
    }

    fn deadline(&self, now: SystemTime) -> SystemTime {
        later(self.started.unwrap_or(now), self.options.timeout)
    }

    fn schedule(&mut self, delay: Duration, now: SystemTime) {
        let deadline = self.deadline(now);
        if now >= deadline {
            let waited = now
                .duration_since(self.started.unwrap_or(now))
                .unwrap_or_default();
            self.state = State::Done(Err(Error::WaitTimedOut {
                what: self.target.to_string(),
                waited,
            }));
        } else {
            self.state = State::Waiting(later(now, delay).min(deadline));
        }
    }

    fn handle_response(&mut self, response: &Response, now: SystemTime) {
        match self.target.reached(response) {
            Ok(Some(true)) => self.state = State::Done(Ok(())),
            Ok(Some(false)) => self.schedule(self.interval, now),
            Ok(None) if response.status == 429 => {
                self.interval = (self.interval.saturating_mul(2))
                    .min(self.options.max_interval.max(self.interval));
                let asked = response
                    .header("retry-after")
                    .and_then(RetryAfter::parse)
                    .map(|after| after.delay_from(now))
                    .unwrap_or_default();
                self.schedule(self.interval.max(asked), now);
            }
            Ok(None) if response.status >= 500 => self.schedule(self.interval, now),
            Ok(None) => {
                let secrets = self.secrets.each_ref().map(Secret::expose);
                let error = Error::from_response_with_secrets(response, &secrets);
                self.state = State::Done(Err(error));
            }
            Err(error) => {
                let secrets = self.secrets.each_ref().map(Secret::expose);
                self.state = State::Done(Err(error.redact(&secrets)));
            }
        }
    }
}

impl Machine for Poller {
    type Value = ();

    fn poll_output(&mut self, now: SystemTime) -> Output<()> {
        match &self.state {
            State::Done(result) => return Output::Done(result.clone()),
            State::Waiting(at) if now < *at => return Output::WaitUntil(*at),
            State::Sent => {
                // The probe's outcome was never handed in: count it as lost.
                let lost = Input::Failed(TransportError::Network(LOST.to_owned()));
                self.handle_input(lost, now);
                return self.poll_output(now);
            }
            State::Ready | State::Waiting(_) => {}
        }
        self.started.get_or_insert(now);
        self.state = State::Sent;
        match &self.probe {
            Some(probe) => Output::Send(probe.clone()),
            None => Output::Done(Err(Error::invalid("target", "has no probe"))),
        }
    }

    fn handle_input(&mut self, input: Input, now: SystemTime) {
        if !matches!(self.state, State::Sent) {
            return;
        }
        match input {
            Input::Response(response) => self.handle_response(&response, now),
            Input::Failed(_) => self.schedule(self.interval, now),
        }
    }
}
