//! What became of each change: started, done, failed, and the progress
//! not yet taken.

use std::collections::VecDeque;

use crate::declarative::plan::AccessChange;
use crate::error::Error;
use crate::event::{Event, Progress};

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

/// The outcomes of a plan's changes, and the requests sent for them.
///
/// Outcomes are kept by change number in vectors as long as the plan:
/// smaller in the `.wasm` than ordered sets, and in plan order as they are.
#[derive(Debug, Clone, Default)]
pub(super) struct Ledger {
    changes: Vec<AccessChange>,
    started: Vec<bool>,
    done: Vec<bool>,
    failed: Vec<Option<Error>>,
    events: VecDeque<Event>,
    requests: u64,
}

impl Ledger {
    /// Nothing done yet of `changes`.
    pub(super) fn new(changes: Vec<AccessChange>) -> Self {
        let count = changes.len();
        Self {
            changes,
            started: vec![false; count],
            done: vec![false; count],
            failed: std::iter::repeat_with(|| None).take(count).collect(),
            ..Self::default()
        }
    }

    /// The changes, in plan order.
    pub(super) fn changes(&self) -> &[AccessChange] {
        &self.changes
    }

    /// Change `index` of the plan.
    pub(super) fn change(&self, index: usize) -> &AccessChange {
        &self.changes[index]
    }

    /// One more request went out.
    pub(super) fn count_request(&mut self) {
        self.requests += 1;
    }

    /// Requests sent so far.
    pub(super) fn requests(&self) -> u64 {
        self.requests
    }

    /// A request of change `index` went out (reported the first time).
    pub(super) fn start(&mut self, index: usize) {
        if !std::mem::replace(&mut self.started[index], true) {
            self.report_progress(index, Progress::Started);
        }
    }

    /// Change `index` shows on the server (reported once).
    pub(super) fn finish(&mut self, index: usize) {
        if !std::mem::replace(&mut self.done[index], true) {
            self.report_progress(index, Progress::Done);
        }
    }

    /// Change `index` was given up; the first error given is the one kept.
    pub(super) fn fail(&mut self, index: usize, error: Error) {
        if self.failed[index].is_none() {
            self.report_progress(index, Progress::Failed);
            self.failed[index] = Some(error);
        }
    }

    /// Whether change `index` was given up.
    pub(super) fn has_failed(&self, index: usize) -> bool {
        matches!(self.failed.get(index), Some(Some(_)))
    }

    fn report_progress(&mut self, index: usize, progress: Progress) {
        self.events.push_back(Event::Change {
            index,
            change: self.changes[index].clone(),
            progress,
        });
    }

    /// The oldest progress event not yet taken.
    pub(super) fn next_event(&mut self) -> Option<Event> {
        self.events.pop_front()
    }

    /// What was done and what failed, in plan order.
    pub(super) fn report(&self) -> ApplyReport {
        let mut done = Vec::new();
        let mut failed = Vec::new();
        for (index, change) in self.changes.iter().enumerate() {
            if self.done[index] {
                done.push(change.clone());
            }
            if let Some(error) = &self.failed[index] {
                failed.push((change.clone(), error.clone()));
            }
        }
        ApplyReport {
            done,
            failed,
            requests: self.requests,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn delete(name: &str) -> AccessChange {
        AccessChange::DeleteUser {
            username: name.into(),
        }
    }

    fn ledger() -> Ledger {
        Ledger::new(vec![delete("a"), delete("b"), delete("c")])
    }

    /// The progress not yet taken, as (change, progress).
    fn take_progress(ledger: &mut Ledger) -> Vec<(AccessChange, Progress)> {
        std::iter::from_fn(|| ledger.next_event())
            .map(|event| match event {
                Event::Change {
                    change, progress, ..
                } => (change, progress),
                other => panic!("not a change: {other:?}"),
            })
            .collect()
    }

    #[test]
    fn progress_is_reported_once_per_step_in_order() {
        let mut ledger = ledger();
        ledger.start(1);
        ledger.start(1);
        ledger.finish(1);
        ledger.finish(1);
        ledger.start(0);
        assert_eq!(
            take_progress(&mut ledger),
            vec![
                (delete("b"), Progress::Started),
                (delete("b"), Progress::Done),
                (delete("a"), Progress::Started),
            ]
        );
        assert_eq!(take_progress(&mut ledger), vec![]);
    }

    #[test]
    fn the_first_failure_is_kept() {
        let mut ledger = ledger();
        ledger.fail(2, Error::Timeout);
        ledger.fail(2, Error::invalid("x", "y"));
        assert!(ledger.has_failed(2) && !ledger.has_failed(0));
        assert_eq!(
            take_progress(&mut ledger),
            vec![(delete("c"), Progress::Failed)]
        );
        assert_eq!(ledger.report().failed, vec![(delete("c"), Error::Timeout)]);
    }

    #[test]
    fn the_report_lists_changes_in_plan_order_with_the_requests() {
        let mut ledger = ledger();
        ledger.finish(2);
        ledger.finish(0);
        ledger.count_request();
        ledger.count_request();
        let report = ledger.report();
        assert_eq!(report.done, vec![delete("a"), delete("c")]);
        assert_eq!(report.requests, 2);
        assert_eq!(ledger.requests(), 2);
        assert_eq!(ledger.change(1), &delete("b"));
        assert_eq!(ledger.changes().len(), 3);
    }
}
