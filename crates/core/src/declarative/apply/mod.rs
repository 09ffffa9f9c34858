//! Carrying out an [`AccessPlan`]: the [`Apply`] state machine.

mod ledger;
mod listing;
mod phases;
mod task;
mod throttle;

use std::collections::{BTreeMap, VecDeque};
use std::time::{Duration, SystemTime};

use crate::config::{ApiConfig, Secret};
use crate::declarative::plan::{AccessChange, AccessPlan, DesiredAccess};
use crate::error::{Error, SecretForms};
use crate::event::Event;
use crate::http::Response;
use crate::machine::{Input, Machine, Output, Ticket, Tickets, TransportError, later};
use crate::poll::{ProbeSchedule, WaitOptions};
use crate::retry::{AttemptFailure, Jitter, RetryAfter, RetryPolicy};
use crate::wire::text::{push_decimal, push_quoted};

pub use ledger::ApplyReport;

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
/// at once, each with its own [`Ticket`] (a driver that sends one at a
/// time, like [`crate::run`], gets the same result one by one). A 429 backs
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
/// It is a [`Machine`] like every other. Its events: each change's
/// [`Event::Change`] (started, done, failed), an [`Event::Waiting`] before
/// each poll, an [`Event::Retry`] before a change goes out again. Its value is an [`ApplyReport`]; it fails as a whole only when the
/// server refuses the key (401, 403) or a list cannot be read.
#[derive(Debug)]
pub struct Apply {
    config: ApiConfig,
    /// The password of each user the plan creates or sets one for (the
    /// map type of [`DesiredAccess::users`], whose code the `.wasm` has).
    passwords: BTreeMap<String, Option<Secret>>,
    secrets: SecretForms,
    options: ApplyOptions,
    jitter: Jitter,
    phases: Phases,
    /// Requests in flight (at most `concurrency` and a poll), unordered.
    in_flight: Vec<(Ticket, InFlight)>,
    poll: Option<PollRun>,
    tickets: Tickets,
    events: VecDeque<Event>,
    /// The poll instant the last [`Event::Waiting`] announced.
    announced: Option<SystemTime>,
    throttle: Throttle,
    schedule: ProbeSchedule,
    ledger: Ledger,
    fatal: Option<Error>,
}

#[derive(Debug)]
enum InFlight {
    Task(Task),
    Poll,
}

/// A copy of each change: a loop rather than `Vec::clone`, whose own copy
/// of the code the WebAssembly build would carry (see README, Size).
fn owned_changes(changes: &[AccessChange]) -> Vec<AccessChange> {
    let mut owned = Vec::with_capacity(changes.len());
    for change in changes {
        owned.push(change.clone());
    }
    owned
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
            in_flight: Vec::new(),
            poll: None,
            tickets: Tickets::default(),
            events: VecDeque::new(),
            announced: None,
            throttle: Throttle::new(options.concurrency),
            schedule: ProbeSchedule::new(&options.wait),
            ledger: Ledger::new(owned_changes(&plan.changes)),
            fatal: None,
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
                        apply.passwords.insert(name.clone(), Some(password.clone()));
                        apply.secrets = apply.secrets.with(&SecretForms::new(&[password.expose()]));
                    }
                    Some(None) | None => {
                        let mut why = String::from("has no password for user ");
                        push_quoted(&mut why, name);
                        why.push_str(" of the plan");
                        apply.fatal = Some(Error::invalid("desired", why));
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

    /// Requests sent so far, polls included.
    pub fn requests(&self) -> u64 {
        self.ledger.requests()
    }

    /// The oldest event not yet reported.
    fn next_event(&mut self) -> Option<Event> {
        self.ledger.next_event().or_else(|| self.events.pop_front())
    }

    /// Announces the poll at `at` once.
    fn announce_poll(&mut self, now: SystemTime, at: SystemTime) {
        if self.announced != Some(at) {
            self.announced = Some(at);
            self.events.push_back(Event::Waiting {
                what: self.waiting_for().unwrap_or_default(),
                delay: at.duration_since(now).unwrap_or_default(),
            });
        }
    }

    fn next_step(&mut self, now: SystemTime) -> Output<ApplyReport> {
        loop {
            if let Some(error) = &self.fatal {
                return Output::Done(Err(error.clone()));
            }
            let Some(kind) = self.phases.kind() else {
                return Output::Done(Ok(self.ledger.report()));
            };
            if let Some(at) = self.throttle.holds(now) {
                return Output::WaitUntil(at);
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
                    Some(at) if room => Output::WaitUntil(at),
                    _ => Output::Pending,
                };
            }
            if let Some(at) = next_ready {
                return Output::WaitUntil(at);
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
                self.announce_poll(now, at);
                return Output::WaitUntil(at);
            }
            return self.send_poll(kind);
        }
    }

    fn handle(&mut self, ticket: Ticket, input: Input, now: SystemTime) {
        let index = self.in_flight.iter().position(|(held, _)| *held == ticket);
        match index.map(|index| self.in_flight.swap_remove(index).1) {
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
        let mut missing = Vec::new();
        for (index, change) in ledger.changes().iter().enumerate() {
            if let AccessChange::CreateUser { username, .. } = change
                && ledger.has_failed(index)
            {
                missing.push(username.as_str());
            }
        }
        missing.sort_unstable();
        let mut skipped = Vec::new();
        // Queued again one by one rather than by `VecDeque::retain`, whose
        // own code the WebAssembly build would carry (see README, Size).
        for task in std::mem::take(&mut phase.queue) {
            match &task.op {
                Op::CreateRule(rule)
                    if rule
                        .username
                        .as_deref()
                        .is_some_and(|user| missing.binary_search(&user).is_ok()) =>
                {
                    skipped.push((task.change, rule.username.clone().unwrap_or_default()));
                }
                _ => phase.queue.push_back(task),
            }
        }
        for (index, user) in skipped {
            let mut why = String::from("user ");
            push_quoted(&mut why, &user);
            why.push_str(" was not created, so its rule was not");
            self.fail(index, Error::invalid("username", why));
        }
    }

    fn ticket(&mut self, flight: InFlight) -> Ticket {
        let ticket = self.tickets.next();
        self.in_flight.push((ticket, flight));
        self.ledger.count_request();
        ticket
    }

    /// Builds and sends a task's request; `None` when it failed to build.
    fn send_task(&mut self, mut task: Task) -> Option<Output<ApplyReport>> {
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
        Some(Output::Send(ticket, request))
    }

    fn send_poll(&mut self, kind: PhaseKind) -> Output<ApplyReport> {
        if self.poll.is_none() {
            match PollRun::start(kind.lists_users()) {
                Ok(run) => self.poll = Some(run),
                Err(error) => return Output::Done(Err(error)),
            }
        }
        let request = match &self.poll {
            Some(run) => run.request(&self.config),
            None => Err(Error::invalid("poll", "has no request")),
        };
        match request {
            Ok(request) => Output::Send(self.ticket(InFlight::Poll), request),
            Err(error) => Output::Done(Err(error)),
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

    fn retry_later(
        &mut self,
        mut task: Task,
        now: SystemTime,
        failure: AttemptFailure,
        error: Error,
    ) {
        if task.attempts >= self.options.max_attempts {
            return self.fail(task.change, error);
        }
        let delay = self
            .options
            .backoff
            .backoff(task.attempts.saturating_sub(1), self.jitter.next());
        self.events.push_back(Event::Retry {
            failure,
            retry: task.attempts,
            delay,
        });
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
                let failure = match error {
                    TransportError::Network(_) => AttemptFailure::Network,
                    TransportError::Timeout => AttemptFailure::Timeout,
                };
                if task.op.is_create() {
                    task.uncertain_since = Some(now);
                    return self.await_visible(task);
                }
                return self.retry_later(task, now, failure, Error::from(error));
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
            500..=599 => {
                let retry_after = response.header("retry-after").and_then(RetryAfter::parse);
                let failure = AttemptFailure::Status(response.status, retry_after);
                self.retry_later(task, now, failure, error);
            }
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
        let mut what = self.ledger.change(task.change).text();
        what.push_str(" to show");
        Error::WaitTimeout {
            what,
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
                    let mut message = String::from("no answer to any of ");
                    push_decimal(&mut message, u64::from(task.attempts));
                    message.push_str(" attempts, and it did not show");
                    self.fail(task.change, Error::Network { message });
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
        if let Some(event) = self.next_event() {
            return Output::Event(event);
        }
        match self.next_step(now) {
            // Every request carries its attempt's deadline.
            Output::Send(ticket, mut request) => {
                request.deadline = Some(later(now, self.options.backoff.attempt_timeout));
                Output::Send(ticket, request)
            }
            // Events come first; what else was decided is decided again.
            other => match self.next_event() {
                Some(event) => Output::Event(event),
                None => other,
            },
        }
    }

    fn handle_input(&mut self, ticket: Ticket, input: Input, now: SystemTime) {
        self.handle(ticket, input, now);
    }
}
