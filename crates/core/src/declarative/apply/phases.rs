//! The four phases of an apply: what each has left to send, what it waits
//! to see, and when it polls and gives up.

use std::collections::VecDeque;
use std::time::SystemTime;

use super::task::Task;
use crate::wire::text::push_decimal;

/// One phase of an apply, in the order they run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(super) enum PhaseKind {
    /// Create users and set passwords.
    Users,
    /// Delete replaced and pruned rules.
    DeleteRules,
    /// Create rules (new ones and the new side of replacements).
    CreateRules,
    /// Delete pruned users.
    DeleteUsers,
}

impl PhaseKind {
    /// Every phase, in order.
    pub(super) const ALL: [Self; 4] = [
        Self::Users,
        Self::DeleteRules,
        Self::CreateRules,
        Self::DeleteUsers,
    ];

    /// Whether its changes show in the user list (else in the rules).
    pub(super) fn lists_users(self) -> bool {
        matches!(self, Self::Users | Self::DeleteUsers)
    }

    /// What its wait is for: what is awaited, and what it waits for them
    /// to do.
    fn awaited(self) -> (&'static str, &'static str) {
        match self {
            Self::Users => ("new users", "to show"),
            Self::DeleteRules => ("deleted rules", "to be gone"),
            Self::CreateRules => ("new rules", "to show"),
            Self::DeleteUsers => ("deleted users", "to be gone"),
        }
    }
}

/// The tasks of one phase.
#[derive(Debug, Clone, Default)]
pub(super) struct Phase {
    /// Waiting to be sent (again).
    pub(super) queue: VecDeque<Task>,
    /// Sent, waiting to show.
    pub(super) awaiting: Vec<Task>,
    /// When its wait gives up.
    pub(super) deadline: Option<SystemTime>,
    /// When it polls next.
    pub(super) next_poll: Option<SystemTime>,
}

impl Phase {
    /// Takes the first task that may go out at `now`.
    pub(super) fn take_ready(&mut self, now: SystemTime) -> Option<Task> {
        let position = self.queue.iter().position(|task| task.is_ready(now))?;
        // The ones before it taken off and put back, rather than
        // `VecDeque::remove`, whose own code the WebAssembly build would
        // carry (see README, Size).
        let mut before = Vec::with_capacity(position);
        for _ in 0..position {
            before.extend(self.queue.pop_front());
        }
        let task = self.queue.pop_front();
        while let Some(earlier) = before.pop() {
            self.queue.push_front(earlier);
        }
        task
    }

    /// The earliest instant a queued task waits for.
    pub(super) fn next_ready(&self) -> Option<SystemTime> {
        self.queue.iter().filter_map(|task| task.ready_at).min()
    }
}

/// The phases, and which one runs.
#[derive(Debug, Clone, Default)]
pub(super) struct Phases {
    phases: [Phase; 4],
    /// Index of the running phase in [`PhaseKind::ALL`]; past the end
    /// once all ran.
    current: usize,
}

impl Phases {
    /// The phase `kind`.
    pub(super) fn get_mut(&mut self, kind: PhaseKind) -> &mut Phase {
        &mut self.phases[kind as usize]
    }

    /// The running phase, `None` once all ran.
    pub(super) fn kind(&self) -> Option<PhaseKind> {
        PhaseKind::ALL.get(self.current).copied()
    }

    /// The running phase's tasks.
    ///
    /// # Panics
    /// Once every phase ran.
    pub(super) fn current(&self) -> &Phase {
        &self.phases[self.current]
    }

    /// The running phase's tasks, to change.
    ///
    /// # Panics
    /// Once every phase ran.
    pub(super) fn current_mut(&mut self) -> &mut Phase {
        &mut self.phases[self.current]
    }

    /// Moves on to the next phase; returns it, `None` once all ran.
    pub(super) fn advance(&mut self) -> Option<PhaseKind> {
        self.current += 1;
        self.kind()
    }

    /// What the running phase waits for, while everything of it is sent
    /// and some is not seen yet: `the 2 new users to show`.
    pub(super) fn waiting_for(&self) -> Option<String> {
        let kind = self.kind()?;
        let phase = self.current();
        if phase.awaiting.is_empty() || !phase.queue.is_empty() {
            return None;
        }
        let count = phase.awaiting.len();
        let (what, show) = kind.awaited();
        let mut text = String::from("the ");
        push_decimal(&mut text, count as u64);
        text.push(' ');
        text.push_str(what);
        text.push(' ');
        text.push_str(show);
        Some(text)
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::declarative::apply::task::Op;

    fn task(change: usize) -> Task {
        Task::new(change, Op::DeleteUser(format!("u{change}")))
    }

    #[test]
    fn the_phases_run_in_order_then_end() {
        let mut phases = Phases::default();
        assert_eq!(phases.kind(), Some(PhaseKind::Users));
        for kind in &PhaseKind::ALL[1..] {
            assert_eq!(phases.advance(), Some(*kind));
        }
        assert_eq!(phases.advance(), None);
        assert_eq!(phases.waiting_for(), None);
        let users: Vec<_> = PhaseKind::ALL.iter().map(|k| k.lists_users()).collect();
        assert_eq!(users, [true, false, false, true]);
    }

    #[test]
    fn a_wait_is_told_only_once_everything_is_sent() {
        let mut phases = Phases::default();
        phases.advance();
        phases
            .get_mut(PhaseKind::DeleteRules)
            .queue
            .push_back(task(0));
        phases.current_mut().awaiting.push(task(1));
        assert_eq!(phases.waiting_for(), None, "still sending");
        phases.current_mut().queue.clear();
        phases.current_mut().awaiting.push(task(2));
        assert_eq!(
            phases.waiting_for().as_deref(),
            Some("the 2 deleted rules to be gone")
        );
    }

    #[test]
    fn the_first_ready_task_goes_out_and_the_rest_wait() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(100);
        let mut phase = Phase::default();
        let mut later = task(0);
        later.ready_at = Some(now + Duration::from_secs(3));
        phase.queue.push_back(later);
        phase.queue.push_back(task(1));
        assert_eq!(phase.take_ready(now).map(|task| task.change), Some(1));
        assert!(phase.take_ready(now).is_none());
        assert_eq!(phase.next_ready(), Some(now + Duration::from_secs(3)));
    }
}
