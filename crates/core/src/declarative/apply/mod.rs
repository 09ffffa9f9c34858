//! Carrying out an [`AccessPlan`]: the [`Apply`] state machine.

mod ledger;
mod listing;
mod phases;
mod task;
mod throttle;

use std::collections::{BTreeMap, BTreeSet};
use std::time::{Duration, SystemTime};

use crate::config::{ApiConfig, Secret};
use crate::declarative::plan::{AccessChange, AccessPlan, DesiredAccess};
use crate::error::{Error, SecretForms};
use crate::http::{Request, Response};
use crate::machine::{Input, LOST, Machine, Output, TransportError, later};
use crate::poll::{ProbeSchedule, WaitOptions};
use crate::retry::{Jitter, RetryPolicy};

pub use ledger::{ApplyReport, Progress};

use ledger::Ledger;
use listing::{Listing, PollRun, Read};
use phases::{PhaseKind, Phases};
use task::{Op, Task};
use throttle::Throttle;

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
    options: ApplyOptions,
    jitter: Jitter,
    phases: Phases,
    in_flight: BTreeMap<u64, InFlight>,
    poll: Option<PollRun>,
    next_ticket: u64,
    throttle: Throttle,
    schedule: ProbeSchedule,
    ledger: Ledger,
    fatal: Option<Error>,
    last: Option<Ticket>,
}

#[derive(Debug)]
enum InFlight {
    Task(Task),
    Poll,
}

/// The phase a change's (first) request belongs to, and the request.
fn first_op(change: &AccessChange) -> (PhaseKind, Op) {
    match change {
        AccessChange::CreateUser { username, .. } => {
            (PhaseKind::Users, Op::CreateUser(username.clone()))
        }
        AccessChange::SetPassword { username, .. } => {
            (PhaseKind::Users, Op::SetPassword(username.clone()))
        }
        AccessChange::DeleteUser { username, .. } => {
            (PhaseKind::DeleteUsers, Op::DeleteUser(username.clone()))
        }
        AccessChange::CreateRule { rule, .. } => {
            (PhaseKind::CreateRules, Op::CreateRule(rule.clone()))
        }
        AccessChange::DeleteRule { rule, .. } | AccessChange::ReplaceRule { from: rule, .. } => {
            (PhaseKind::DeleteRules, Op::DeleteRule(rule.clone()))
        }
    }
}

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
            options,
            jitter: Jitter::new(seed),
            phases: Phases::default(),
            in_flight: BTreeMap::new(),
            poll: None,
            next_ticket: 0,
            throttle: Throttle::new(options.concurrency),
            schedule: ProbeSchedule::new(&options.wait),
            ledger: Ledger::new(plan.changes.clone()),
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
            let (phase, op) = first_op(change);
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
            apply
                .phases
                .get_mut(phase)
                .queue
                .push_back(Task::new(index, op));
        }
        apply
    }

    /// What a wait is for, while every change of the current phase is
    /// sent and the apply waits to see them: `the 2 new users to show`. `None` while it sends, or waits out a retry's backoff.
    pub fn waiting_for(&self) -> Option<String> {
        self.phases.waiting_for()
    }

    /// The changes whose progress changed since the last call, in order.
    pub fn take_progress(&mut self) -> Vec<(AccessChange, Progress)> {
        self.ledger.take_progress()
    }

    /// Requests sent so far, polls included.
    pub fn requests(&self) -> u64 {
        self.ledger.requests()
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
            let Some(kind) = self.phases.kind() else {
                return Step::Done(Ok(self.ledger.report()));
            };
            if let Some(at) = self.throttle.holds(now) {
                return Step::WaitUntil(at);
            }
            let room = self.poll.is_none() && self.throttle.has_room(self.in_flight.len());
            // Send the next ready task of this phase.
            let ready = if room {
                self.phases.current_mut().take_ready(now)
            } else {
                None
            };
            if let Some(task) = ready {
                match self.send_task(task) {
                    Some(step) => return step,
                    None => continue,
                }
            }
            let next_ready = self.phases.current().next_ready();
            if !self.in_flight.is_empty() {
                return match next_ready {
                    Some(at) if room => Step::WaitUntil(at),
                    _ => Step::Busy,
                };
            }
            if let Some(at) = next_ready {
                return Step::WaitUntil(at);
            }
            if self.phases.current().awaiting.is_empty() {
                self.next_phase();
                continue;
            }
            // Everything sent: poll for what is awaited (a walk of the user
            // list goes on page after page).
            if self.poll.is_some() {
                return self.send_poll(kind);
            }
            let phase = self.phases.current_mut();
            let at = *phase
                .next_poll
                .get_or_insert_with(|| later(now, self.schedule.next_delay()));
            phase
                .deadline
                .get_or_insert(later(now, self.options.wait.timeout));
            if now < at {
                return Step::WaitUntil(at);
            }
            return self.send_poll(kind);
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
        let next = self.phases.advance();
        self.schedule = ProbeSchedule::new(&self.options.wait);
        if next == Some(PhaseKind::CreateRules) {
            self.queue_rule_creates();
        }
    }

    /// Entering the rule creates: the new side of each replacement whose
    /// old side is gone joins them, and the topic rules of users that could
    /// not be created fail.
    fn queue_rule_creates(&mut self) {
        let ledger = &self.ledger;
        let phase = self.phases.get_mut(PhaseKind::CreateRules);
        for (index, change) in ledger.changes().iter().enumerate() {
            if let AccessChange::ReplaceRule { to, .. } = change
                && !ledger.has_failed(index)
            {
                phase
                    .queue
                    .push_back(Task::new(index, Op::CreateRule(to.clone())));
            }
        }
        let missing: BTreeSet<&str> = ledger
            .changes()
            .iter()
            .enumerate()
            .filter_map(|(index, change)| match change {
                AccessChange::CreateUser { username, .. } if ledger.has_failed(index) => {
                    Some(username.as_str())
                }
                _ => None,
            })
            .collect();
        let mut skipped = Vec::new();
        phase.queue.retain(|task| match &task.op {
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

    fn ticket(&mut self, flight: InFlight) -> Ticket {
        self.next_ticket += 1;
        self.in_flight.insert(self.next_ticket, flight);
        self.ledger.count_request();
        Ticket(self.next_ticket)
    }

    /// Builds and sends a task's request; `None` when it failed to build.
    fn send_task(&mut self, mut task: Task) -> Option<Step> {
        let request = match task.op.request(&self.config, &self.passwords) {
            Ok(request) => request,
            Err(error) => {
                self.fail(task.change, error);
                return None;
            }
        };
        task.attempts += 1;
        task.ready_at = None;
        self.ledger.start(task.change);
        let ticket = self.ticket(InFlight::Task(task));
        Some(Step::Send(ticket, request))
    }

    fn send_poll(&mut self, kind: PhaseKind) -> Step {
        if self.poll.is_none() {
            match PollRun::start(kind.lists_users()) {
                Ok(run) => self.poll = Some(run),
                Err(error) => return Step::Done(Err(error)),
            }
        }
        let request = match &self.poll {
            Some(run) => run.request(&self.config),
            None => Err(Error::invalid("poll", "has no request")),
        };
        match request {
            Ok(request) => Step::Send(self.ticket(InFlight::Poll), request),
            Err(error) => Step::Done(Err(error)),
        }
    }
}

/// What becomes of the answers.
impl Apply {
    fn redact(&self, error: Error) -> Error {
        error.redact_with(&self.secrets)
    }

    fn fail(&mut self, change: usize, error: Error) {
        let error = self.redact(error);
        self.ledger.fail(change, error);
    }

    fn finish(&mut self, change: usize) {
        if let AccessChange::ReplaceRule { .. } = self.ledger.change(change)
            && self.phases.kind() == Some(PhaseKind::DeleteRules)
        {
            // Half done: the rule is created again in the next phase.
            return;
        }
        self.ledger.finish(change);
    }

    /// Every request backs off after a 429.
    fn throttle(&mut self, response: &Response, now: SystemTime) {
        self.throttle
            .refused(response, now, &self.options.backoff, &mut self.jitter);
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
        self.phases.current_mut().queue.push_back(task);
    }

    fn await_visible(&mut self, task: Task) {
        self.phases.current_mut().awaiting.push(task);
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
            self.throttle.answered();
            return match task.op {
                Op::SetPassword(_) => self.finish(task.change),
                _ => {
                    task.uncertain_since = None;
                    self.await_visible(task)
                }
            };
        }
        // Every secret of the apply (the key, the passwords it sends)
        // scrubbed.
        let error = self.redact(Error::read_failure(&response, &self.secrets));
        match response.status {
            429 => {
                self.throttle(&response, now);
                if task.attempts >= self.options.max_attempts {
                    return self.fail(task.change, error);
                }
                self.phases.current_mut().queue.push_front(task);
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
        self.throttle.answered();
        let Some(run) = self.poll.take() else {
            return;
        };
        match run.read(&response.body) {
            Ok(Read::More(run)) => self.poll = Some(run),
            Ok(Read::Listing(listing)) => self.check(now, &listing),
            Err(error) => self.fatal = Some(self.redact(error)),
        }
    }

    /// A poll failed: try again after the schedule's next delay, or give
    /// up on what is awaited once the deadline has passed.
    fn poll_again(&mut self, now: SystemTime) {
        self.poll = None;
        let phase = self.phases.current_mut();
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
            what: format!("{} to show", self.ledger.change(task.change)),
            waited: self.options.wait.timeout,
        }
    }

    /// Settles what a complete listing shows: visible changes are done,
    /// unknown creates not seen within the settle time go out again, and
    /// past the deadline the rest is given up.
    fn check(&mut self, now: SystemTime, listing: &Listing) {
        let awaiting = std::mem::take(&mut self.phases.current_mut().awaiting);
        let past = self
            .phases
            .current()
            .deadline
            .is_some_and(|deadline| now >= deadline);
        for mut task in awaiting {
            if listing.shows(&task.op) {
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
                    self.phases.current_mut().queue.push_back(task);
                }
            } else if past {
                let error = self.timed_out(&task);
                self.fail(task.change, error);
            } else {
                self.phases.current_mut().awaiting.push(task);
            }
        }
        self.phases.current_mut().next_poll = Some(later(now, self.schedule.next_delay()));
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
