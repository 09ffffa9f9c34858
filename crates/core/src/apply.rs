//! Carrying out an [`AccessPlan`]: the [`Apply`] state machine.

use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::time::{Duration, SystemTime};

use crate::config::{ApiConfig, Secret};
use crate::error::{Error, SecretForms};
use crate::http::{Request, Response};
use crate::machine::{Input, LOST, Machine, Output, TransportError, later};
use crate::model::{AclKind, AclRule};
use crate::ops::{
    CreateAclRule, CreateUser, DeleteAclRule, DeleteUser, ListAclRules, Operation, UpdatePassword,
};
use crate::ops::{NewAclRule, parse_acl_rules, parse_users};
use crate::paginate::Paginator;
use crate::plan::{AccessChange, AccessPlan, DesiredAccess, identity};
use crate::poll::{ProbeSchedule, WaitOptions};
use crate::retry::RetryAfter;
use crate::retry::{Jitter, RetryPolicy};
use crate::validate::MAX_LIMIT;

/// Requests of one phase in flight at once, unless told otherwise.
pub const DEFAULT_CONCURRENCY: usize = 4;
/// How long a create whose outcome is unknown is looked for before it is
/// sent again, unless told otherwise.
pub const DEFAULT_SETTLE: Duration = Duration::from_secs(10);
/// Attempts per change (first send included) before it is given up.
pub const DEFAULT_MAX_ATTEMPTS: u32 = 8;

/// How to carry out a plan.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ApplyOptions {
    /// Poll interval and timeout of each phase's wait.
    pub wait: WaitOptions,
    /// Requests in flight at once (at least 1).
    pub concurrency: usize,
    /// How long to look for a create whose outcome is unknown before
    /// sending it again.
    pub settle: Duration,
    /// Attempts per change before it is given up.
    pub max_attempts: u32,
    /// Backoff of retries (`base_delay`, `max_delay`) and the longest
    /// `Retry-After` honoured (`max_retry_after`).
    pub backoff: RetryPolicy,
}

impl Default for ApplyOptions {
    fn default() -> Self {
        Self {
            wait: WaitOptions::default(),
            concurrency: DEFAULT_CONCURRENCY,
            settle: DEFAULT_SETTLE,
            max_attempts: DEFAULT_MAX_ATTEMPTS,
            backoff: RetryPolicy::default(),
        }
    }
}

/// Where a change stands, as reported to progress listeners.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Progress {
    /// Its first request went out.
    Started,
    /// It is visible on the server.
    Done,
    /// It was given up (see [`ApplyReport::failed`]).
    Failed,
}

impl Progress {
    /// `"started"`, `"done"` or `"failed"`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Started => "started",
            Self::Done => "done",
            Self::Failed => "failed",
        }
    }
}

/// What an apply did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ApplyReport {
    /// The changes made (visible on the server), in plan order.
    pub done: Vec<AccessChange>,
    /// The changes given up, with why, in plan order.
    pub failed: Vec<(AccessChange, Error)>,
    /// Requests sent, polls included.
    pub requests: u64,
}

/// Identifies one request in flight.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Ticket(u64);

/// What [`Apply::step`] asks its driver to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    /// Send this request and hand its outcome to [`Apply::handle`] with the
    /// ticket; then step again at once (more may go out meanwhile).
    Send(Ticket, Request),
    /// Step again at this instant, or sooner when a request in flight
    /// comes back.
    WaitUntil(SystemTime),
    /// Nothing to do until a request in flight comes back.
    Busy,
    /// Finished.
    Done(Result<ApplyReport, Error>),
}

/// One request a change needs.
#[derive(Debug, Clone)]
enum Op {
    CreateUser(String),
    SetPassword(String),
    DeleteUser(String),
    CreateRule(AclRule),
    DeleteRule(AclRule),
}

impl Op {
    fn is_create(&self) -> bool {
        matches!(self, Self::CreateUser(_) | Self::CreateRule(_))
    }

    fn is_delete(&self) -> bool {
        matches!(self, Self::DeleteUser(_) | Self::DeleteRule(_))
    }
}

#[derive(Debug, Clone)]
struct Task {
    /// Index of the change in the plan.
    change: usize,
    op: Op,
    attempts: u32,
    /// Not sent again before this instant.
    ready_at: Option<SystemTime>,
    /// Sent, outcome unknown since this instant.
    uncertain_since: Option<SystemTime>,
    /// The refusal to report if it never shows (a user create answered
    /// "exists").
    refused: Option<Error>,
}

#[derive(Debug, Clone, Default)]
struct Phase {
    queue: VecDeque<Task>,
    awaiting: Vec<Task>,
    deadline: Option<SystemTime>,
    next_poll: Option<SystemTime>,
}

/// A poll walking the user list, or reading the rules.
#[derive(Debug)]
enum PollRun {
    Users {
        pages: Paginator,
        seen: BTreeSet<String>,
    },
    Rules,
}

#[derive(Debug)]
enum InFlight {
    Task(Task),
    Poll,
}

/// Carries out an [`AccessPlan`].
///
/// # Phases
/// 1. create users and set passwords, then wait until the new users show;
/// 2. delete replaced and pruned rules, then wait until they are gone;
/// 3. create rules (new ones and the new side of replacements), then wait
///    until they show with their rights;
/// 4. delete pruned users, then wait until they are gone.
///
/// # Sending
/// Up to [`ApplyOptions::concurrency`] requests of a phase may be in flight
/// at once (a driver that sends one at a time, like [`crate::run`] through
/// the [`Machine`] trait, gets the same result one by one). A 429 backs
/// every request off, not only the one refused.
///
/// # Waiting
/// Waits are batched: once a phase has sent everything, one list poll
/// (`GET /acl`, or the user list walked page by page) checks every pending
/// change at once, on the waits' [`ProbeSchedule`] (the first soon after,
/// then backing off to one per interval), until all show or the wait's
/// timeout passes.
///
/// # Unknown outcomes
/// A create that got no answer, timed out or got a 5xx may have reached the
/// server. It is never sent again blindly: the phase's polls look for it
/// first, and only when it has not shown within
/// [`ApplyOptions::settle`] is it sent again. A user create refused because
/// the user exists (a 400 or 409, e.g. after an interrupted run) is waited
/// for like any other. Deletes answered 404 are already gone or going.
/// Rerunning plan and apply after an interruption therefore converges
/// without duplicates.
///
/// Drive it with [`step`](Self::step) and [`handle`](Self::handle) to keep
/// several requests in flight, or as a [`Machine`] one request at a time.
/// Its value is an [`ApplyReport`]; it fails as a whole only when the
/// server refuses the key (401, 403) or a list cannot be read.
#[derive(Debug)]
pub struct Apply {
    config: ApiConfig,
    passwords: BTreeMap<String, Secret>,
    secrets: SecretForms,
    changes: Vec<AccessChange>,
    options: ApplyOptions,
    jitter: Jitter,
    phases: [Phase; 4],
    phase: usize,
    in_flight: BTreeMap<u64, InFlight>,
    poll: Option<PollRun>,
    next_ticket: u64,
    not_before: Option<SystemTime>,
    throttled: u32,
    schedule: ProbeSchedule,
    started: BTreeSet<usize>,
    done: BTreeSet<usize>,
    failed: BTreeMap<usize, Error>,
    progress: Vec<(AccessChange, Progress)>,
    requests: u64,
    fatal: Option<Error>,
    last: Option<Ticket>,
}

const USERS: usize = 0;
const DELETE_RULES: usize = 1;
const CREATE_RULES: usize = 2;
const DELETE_USERS: usize = 3;

impl Apply {
    /// Prepares to carry out `plan`; passwords of created users and of
    /// password changes come from `desired`. `seed` feeds the backoff
    /// jitter.
    pub fn new(
        config: &ApiConfig,
        plan: &AccessPlan,
        desired: &DesiredAccess,
        options: ApplyOptions,
        seed: u64,
    ) -> Self {
        let mut apply = Self {
            config: config.clone(),
            passwords: BTreeMap::new(),
            secrets: config.key_forms().clone(),
            changes: plan.changes.clone(),
            options,
            jitter: Jitter::new(seed),
            phases: Default::default(),
            phase: 0,
            in_flight: BTreeMap::new(),
            poll: None,
            next_ticket: 0,
            not_before: None,
            throttled: 0,
            schedule: ProbeSchedule::new(&options.wait),
            started: BTreeSet::new(),
            done: BTreeSet::new(),
            failed: BTreeMap::new(),
            progress: Vec::new(),
            requests: 0,
            fatal: None,
            last: None,
        };
        if let Err(error) = options.wait.validate() {
            apply.fatal = Some(error);
            return apply;
        }
        if options.concurrency == 0 {
            apply.fatal = Some(Error::invalid("concurrency", "must be at least 1"));
            return apply;
        }
        for (index, change) in plan.changes.iter().enumerate() {
            let (phase, op) = match change {
                AccessChange::CreateUser { username, .. } => {
                    (USERS, Op::CreateUser(username.clone()))
                }
                AccessChange::SetPassword { username, .. } => {
                    (USERS, Op::SetPassword(username.clone()))
                }
                AccessChange::DeleteUser { username, .. } => {
                    (DELETE_USERS, Op::DeleteUser(username.clone()))
                }
                AccessChange::CreateRule { rule, .. } => {
                    (CREATE_RULES, Op::CreateRule(rule.clone()))
                }
                AccessChange::DeleteRule { rule, .. }
                | AccessChange::ReplaceRule { from: rule, .. } => {
                    (DELETE_RULES, Op::DeleteRule(rule.clone()))
                }
            };
            if let Op::CreateUser(name) | Op::SetPassword(name) = &op {
                match desired.users.get(name) {
                    Some(Some(password)) => {
                        apply.passwords.insert(name.clone(), password.clone());
                        apply.secrets = apply.secrets.with(&SecretForms::new(&[password.expose()]));
                    }
                    Some(None) | None => {
                        apply.fatal = Some(Error::invalid(
                            "desired",
                            format!("has no password for user {name:?} of the plan"),
                        ));
                        return apply;
                    }
                }
            }
            apply.phases[phase].queue.push_back(Task {
                change: index,
                op,
                attempts: 0,
                ready_at: None,
                uncertain_since: None,
                refused: None,
            });
        }
        apply
    }

    /// What a wait is for, while every change of the current phase is
    /// sent and the apply waits to see them: `the 2 new users to show`. `None` while it sends, or waits out a retry's backoff.
    pub fn waiting_for(&self) -> Option<String> {
        let phase = self.phases.get(self.phase)?;
        if phase.awaiting.is_empty() || !phase.queue.is_empty() {
            return None;
        }
        let count = phase.awaiting.len();
        let (what, show) = match self.phase {
            USERS => ("new users", "to show"),
            DELETE_RULES => ("deleted rules", "to be gone"),
            CREATE_RULES => ("new rules", "to show"),
            _ => ("deleted users", "to be gone"),
        };
        Some(format!("the {count} {what} {show}"))
    }

    /// The changes whose progress changed since the last call, in order.
    pub fn take_progress(&mut self) -> Vec<(AccessChange, Progress)> {
        std::mem::take(&mut self.progress)
    }

    /// Requests sent so far, polls included.
    pub fn requests(&self) -> u64 {
        self.requests
    }

    /// The next thing to do, as of `now`.
    pub fn step(&mut self, now: SystemTime) -> Step {
        match self.next_step(now) {
            // Every request carries its attempt's deadline.
            Step::Send(ticket, mut request) => {
                request.deadline = Some(later(now, self.options.backoff.attempt_timeout));
                Step::Send(ticket, request)
            }
            other => other,
        }
    }

    fn next_step(&mut self, now: SystemTime) -> Step {
        loop {
            if let Some(error) = &self.fatal {
                return Step::Done(Err(error.clone()));
            }
            if self.phase >= self.phases.len() {
                return Step::Done(Ok(self.report()));
            }
            if let Some(at) = self.not_before {
                if now < at {
                    return Step::WaitUntil(at);
                }
                self.not_before = None;
            }
            let limit = self.options.concurrency;
            let phase = &mut self.phases[self.phase];
            // Send the next ready task of this phase.
            let ready = (self.poll.is_none() && self.in_flight.len() < limit)
                .then(|| {
                    phase
                        .queue
                        .iter()
                        .position(|task| task.ready_at.is_none_or(|at| at <= now))
                })
                .flatten();
            if let Some(task) = ready.and_then(|position| phase.queue.remove(position)) {
                match self.send_task(task) {
                    Some(step) => return step,
                    None => continue,
                }
            }
            if !self.in_flight.is_empty() {
                let phase = &self.phases[self.phase];
                return match phase.queue.iter().filter_map(|task| task.ready_at).min() {
                    Some(at) if self.in_flight.len() < limit && self.poll.is_none() => {
                        Step::WaitUntil(at)
                    }
                    _ => Step::Busy,
                };
            }
            let phase = &mut self.phases[self.phase];
            if let Some(at) = phase.queue.iter().filter_map(|task| task.ready_at).min() {
                return Step::WaitUntil(at);
            }
            if phase.awaiting.is_empty() {
                self.next_phase();
                continue;
            }
            // Everything sent: poll for what is awaited (a walk of the user
            // list goes on page after page).
            if self.poll.is_some() {
                return self.send_poll();
            }
            let at = *phase
                .next_poll
                .get_or_insert_with(|| later(now, self.schedule.next_delay()));
            phase
                .deadline
                .get_or_insert(later(now, self.options.wait.timeout));
            if now < at {
                return Step::WaitUntil(at);
            }
            return self.send_poll();
        }
    }

    /// Takes the outcome of the request sent with `ticket`, received at
    /// `now`. An unknown ticket is ignored.
    pub fn handle(&mut self, ticket: Ticket, input: Input, now: SystemTime) {
        if self.last == Some(ticket) {
            self.last = None;
        }
        match self.in_flight.remove(&ticket.0) {
            Some(InFlight::Task(task)) => self.task_outcome(task, input, now),
            Some(InFlight::Poll) => self.poll_outcome(input, now),
            None => {}
        }
    }

    fn next_phase(&mut self) {
        self.phase += 1;
        self.schedule = ProbeSchedule::new(&self.options.wait);
        if self.phase == CREATE_RULES {
            // The new side of each replacement whose old side is gone.
            for (index, change) in self.changes.iter().enumerate() {
                if let AccessChange::ReplaceRule { to, .. } = change
                    && !self.failed.contains_key(&index)
                {
                    self.phases[CREATE_RULES].queue.push_back(Task {
                        change: index,
                        op: Op::CreateRule(to.clone()),
                        attempts: 0,
                        ready_at: None,
                        uncertain_since: None,
                        refused: None,
                    });
                }
            }
            // Topic rules of users that could not be created cannot be.
            let missing: BTreeSet<&str> = self
                .changes
                .iter()
                .enumerate()
                .filter_map(|(index, change)| match change {
                    AccessChange::CreateUser { username, .. }
                        if self.failed.contains_key(&index) =>
                    {
                        Some(username.as_str())
                    }
                    _ => None,
                })
                .collect();
            let mut skipped = Vec::new();
            self.phases[CREATE_RULES]
                .queue
                .retain(|task| match &task.op {
                    Op::CreateRule(rule)
                        if rule
                            .username
                            .as_deref()
                            .is_some_and(|user| missing.contains(user)) =>
                    {
                        skipped.push((task.change, rule.username.clone().unwrap_or_default()));
                        false
                    }
                    _ => true,
                });
            for (index, user) in skipped {
                let error = Error::invalid(
                    "username",
                    format!("user {user:?} was not created, so its rule was not"),
                );
                self.fail(index, error);
            }
        }
    }

    fn ticket(&mut self, flight: InFlight) -> Ticket {
        self.next_ticket += 1;
        self.in_flight.insert(self.next_ticket, flight);
        self.requests += 1;
        Ticket(self.next_ticket)
    }

    /// Builds and sends a task's request; `None` when it failed to build.
    fn send_task(&mut self, mut task: Task) -> Option<Step> {
        let request = match self.build(&task.op) {
            Ok(request) => request,
            Err(error) => {
                self.fail(task.change, error);
                return None;
            }
        };
        task.attempts += 1;
        task.ready_at = None;
        if self.started.insert(task.change) {
            self.progress
                .push((self.changes[task.change].clone(), Progress::Started));
        }
        let ticket = self.ticket(InFlight::Task(task));
        Some(Step::Send(ticket, request))
    }

    fn build(&self, op: &Op) -> Result<Request, Error> {
        let config = &self.config;
        let password = |name: &str| {
            self.passwords
                .get(name)
                .cloned()
                .ok_or_else(|| Error::invalid("password", format!("none for user {name:?}")))
        };
        match op {
            Op::CreateUser(name) => CreateUser {
                username: name.clone(),
                password: password(name)?,
            }
            .build_request(config),
            Op::SetPassword(name) => UpdatePassword {
                username: name.clone(),
                password: password(name)?,
            }
            .build_request(config),
            Op::DeleteUser(name) => DeleteUser {
                username: name.clone(),
            }
            .build_request(config),
            Op::CreateRule(rule) => {
                let rule = NewAclRule::from_parts(
                    rule.kind,
                    rule.username.clone(),
                    rule.pattern.clone(),
                    rule.read,
                    rule.write,
                )?;
                CreateAclRule { rule }.build_request(config)
            }
            Op::DeleteRule(rule) => match (&rule.kind, &rule.username) {
                (AclKind::Topic, Some(user)) => {
                    DeleteAclRule::topic_rules(user.clone(), rule.pattern.clone())
                        .build_request(config)
                }
                _ => DeleteAclRule::pattern_rules(rule.pattern.clone()).build_request(config),
            },
        }
    }

    fn send_poll(&mut self) -> Step {
        if self.poll.is_none() {
            self.poll = Some(match self.phase {
                USERS | DELETE_USERS => match Paginator::new(None, MAX_LIMIT) {
                    Ok(pages) => PollRun::Users {
                        pages,
                        seen: BTreeSet::new(),
                    },
                    Err(error) => return Step::Done(Err(error)),
                },
                _ => PollRun::Rules,
            });
        }
        let request = match &self.poll {
            Some(PollRun::Users { pages, .. }) => pages
                .next_request()
                .map(|op| op.build_request(&self.config)),
            Some(PollRun::Rules) => Some(ListAclRules.build_request(&self.config)),
            None => None,
        };
        match request {
            Some(Ok(request)) => Step::Send(self.ticket(InFlight::Poll), request),
            Some(Err(error)) => Step::Done(Err(error)),
            None => Step::Done(Err(Error::invalid("poll", "has no request"))),
        }
    }

    fn redact(&self, error: Error) -> Error {
        error.redact_with(&self.secrets)
    }

    fn fail(&mut self, change: usize, error: Error) {
        let error = self.redact(error);
        if !self.failed.contains_key(&change) {
            self.progress
                .push((self.changes[change].clone(), Progress::Failed));
            self.failed.insert(change, error);
        }
    }

    fn finish(&mut self, change: usize) {
        if let AccessChange::ReplaceRule { .. } = self.changes[change]
            && self.phase == DELETE_RULES
        {
            // Half done: the rule is created again in the next phase.
            return;
        }
        if self.done.insert(change) {
            self.progress
                .push((self.changes[change].clone(), Progress::Done));
        }
    }

    /// Every request backs off after a 429.
    fn throttle(&mut self, response: &Response, now: SystemTime) {
        let asked = response
            .header("retry-after")
            .and_then(RetryAfter::parse)
            .map(|after| after.delay_from(now));
        let delay = match asked {
            Some(delay) if delay <= self.options.backoff.max_retry_after => delay,
            Some(_) => self.options.backoff.max_retry_after,
            None => self
                .options
                .backoff
                .backoff(self.throttled, self.jitter.next()),
        };
        self.throttled = self.throttled.saturating_add(1);
        let until = later(now, delay);
        self.not_before = Some(self.not_before.map_or(until, |at| at.max(until)));
    }

    fn retry_later(&mut self, mut task: Task, now: SystemTime, error: Error) {
        if task.attempts >= self.options.max_attempts {
            return self.fail(task.change, error);
        }
        let delay = self
            .options
            .backoff
            .backoff(task.attempts.saturating_sub(1), self.jitter.next());
        task.ready_at = Some(later(now, delay));
        self.phases[self.phase].queue.push_back(task);
    }

    fn await_visible(&mut self, task: Task) {
        self.phases[self.phase].awaiting.push(task);
    }

    fn task_outcome(&mut self, mut task: Task, input: Input, now: SystemTime) {
        let response = match input {
            Input::Response(response) => response,
            Input::Failed(error) => {
                let error = Error::from(error);
                if task.op.is_create() {
                    task.uncertain_since = Some(now);
                    return self.await_visible(task);
                }
                return self.retry_later(task, now, error);
            }
        };
        if response.is_success() {
            self.throttled = 0;
            return match task.op {
                Op::SetPassword(_) => self.finish(task.change),
                _ => {
                    task.uncertain_since = None;
                    self.await_visible(task)
                }
            };
        }
        let error = match self.build_error(&task.op, &response) {
            Some(error) => self.redact(error),
            None => return,
        };
        match response.status {
            429 => {
                self.throttle(&response, now);
                if task.attempts >= self.options.max_attempts {
                    return self.fail(task.change, error);
                }
                self.phases[self.phase].queue.push_front(task);
            }
            401 | 403 => self.fatal = Some(error),
            404 if task.op.is_delete() => self.await_visible(task),
            400 | 409 if matches!(task.op, Op::CreateUser(_)) => {
                task.refused = Some(error);
                task.uncertain_since = Some(now);
                self.await_visible(task);
            }
            500..=599 if task.op.is_create() => {
                task.uncertain_since = Some(now);
                self.await_visible(task);
            }
            500..=599 => self.retry_later(task, now, error),
            _ => self.fail(task.change, error),
        }
    }

    /// The error a failed response stands for, every secret of the apply
    /// (the key, the passwords it sends) scrubbed; `None` for a success.
    fn build_error(&self, _op: &Op, response: &Response) -> Option<Error> {
        (!response.is_success()).then(|| Error::read_failure(response, &self.secrets))
    }

    fn poll_outcome(&mut self, input: Input, now: SystemTime) {
        let response = match input {
            Input::Response(response) => response,
            Input::Failed(_) => return self.poll_again(now),
        };
        if !response.is_success() {
            return match response.status {
                429 => {
                    self.throttle(&response, now);
                    self.schedule.slow_down();
                    self.poll_again(now)
                }
                500..=599 => self.poll_again(now),
                _ => {
                    self.fatal = Some(Error::read_failure(&response, &self.secrets));
                    self.poll = None;
                }
            };
        }
        self.throttled = 0;
        match self.poll.take() {
            Some(PollRun::Rules) => match parse_acl_rules(&response.body) {
                Ok(rules) => {
                    let listed: BTreeMap<_, Vec<&AclRule>> =
                        rules.iter().fold(BTreeMap::new(), |mut map, rule| {
                            map.entry(identity(rule))
                                .or_insert_with(Vec::new)
                                .push(rule);
                            map
                        });
                    self.check(now, |op| match op {
                        Op::CreateRule(rule) => listed.get(&identity(rule)).is_some_and(|found| {
                            found
                                .iter()
                                .all(|r| r.read == rule.read && r.write == rule.write)
                        }),
                        Op::DeleteRule(rule) => !listed.contains_key(&identity(rule)),
                        _ => true,
                    });
                }
                Err(error) => self.fatal = Some(self.redact(error)),
            },
            Some(PollRun::Users {
                mut pages,
                mut seen,
            }) => match parse_users(&response.body) {
                Ok(users) => {
                    seen.extend(pages.handle_page(users).into_iter().map(|u| u.username));
                    if pages.is_finished() {
                        self.check(now, |op| match op {
                            Op::CreateUser(name) => seen.contains(name),
                            Op::DeleteUser(name) => !seen.contains(name),
                            _ => true,
                        });
                    } else {
                        // The walk goes on with the next page.
                        self.poll = Some(PollRun::Users { pages, seen });
                    }
                }
                Err(error) => self.fatal = Some(self.redact(error)),
            },
            None => {}
        }
    }

    /// A poll failed: try again after the schedule's next delay, or give
    /// up on what is awaited once the deadline has passed.
    fn poll_again(&mut self, now: SystemTime) {
        self.poll = None;
        let phase = &mut self.phases[self.phase];
        phase.next_poll = Some(later(now, self.schedule.next_delay()));
        if phase.deadline.is_some_and(|deadline| now >= deadline) {
            let awaiting = std::mem::take(&mut phase.awaiting);
            for task in awaiting {
                let error = self.timed_out(&task);
                self.fail(task.change, error);
            }
        }
    }

    fn timed_out(&self, task: &Task) -> Error {
        if let Some(refused) = &task.refused {
            return refused.clone();
        }
        // The timeout as it was given.
        Error::WaitTimeout {
            what: format!("{} to show", self.changes[task.change]),
            waited: self.options.wait.timeout,
        }
    }

    /// Settles what a complete listing shows: visible changes are done,
    /// unknown creates not seen within the settle time go out again, and
    /// past the deadline the rest is given up.
    fn check(&mut self, now: SystemTime, visible: impl Fn(&Op) -> bool) {
        let phase = self.phase;
        let awaiting = std::mem::take(&mut self.phases[phase].awaiting);
        let deadline = self.phases[phase].deadline;
        let past = deadline.is_some_and(|deadline| now >= deadline);
        for mut task in awaiting {
            if visible(&task.op) {
                self.finish(task.change);
            } else if task.refused.is_none()
                && task
                    .uncertain_since
                    .is_some_and(|since| now >= later(since, self.options.settle))
            {
                // Looked for long enough: it never reached the server.
                if task.attempts >= self.options.max_attempts {
                    let error = Error::Network {
                        message: format!(
                            "no answer to any of {} attempts, and it did not show",
                            task.attempts
                        ),
                    };
                    self.fail(task.change, error);
                } else {
                    task.uncertain_since = None;
                    self.phases[phase].queue.push_back(task);
                }
            } else if past {
                let error = self.timed_out(&task);
                self.fail(task.change, error);
            } else {
                self.phases[phase].awaiting.push(task);
            }
        }
        self.phases[phase].next_poll = Some(later(now, self.schedule.next_delay()));
    }

    fn report(&self) -> ApplyReport {
        ApplyReport {
            done: self
                .done
                .iter()
                .map(|&index| self.changes[index].clone())
                .collect(),
            failed: self
                .failed
                .iter()
                .map(|(&index, error)| (self.changes[index].clone(), error.clone()))
                .collect(),
            requests: self.requests,
        }
    }
}

impl Machine for Apply {
    type Value = ApplyReport;

    fn poll_output(&mut self, now: SystemTime) -> Output<ApplyReport> {
        if let Some(ticket) = self.last.take() {
            // The outcome of the last request was never handed in.
            let lost = Input::Failed(TransportError::Network(LOST.to_owned()));
            self.handle(ticket, lost, now);
        }
        match self.step(now) {
            Step::Send(ticket, request) => {
                self.last = Some(ticket);
                Output::Send(request)
            }
            Step::WaitUntil(at) => Output::WaitUntil(at),
            // Nothing is in flight when driven one request at a time.
            Step::Busy => Output::Done(Err(Error::invalid(
                "apply",
                "waits for a request that was never handed back",
            ))),
            Step::Done(result) => Output::Done(result),
        }
    }

    fn handle_input(&mut self, input: Input, now: SystemTime) {
        if let Some(ticket) = self.last.take() {
            self.handle(ticket, input, now);
        }
    }
}
