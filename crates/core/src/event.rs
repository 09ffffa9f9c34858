//! What a machine tells its driver along the way: [`Event`]s, for a user to
//! see or a log to keep. A driver may ignore every one of them; nothing a
//! machine does depends on them being read.

use std::time::Duration;

use crate::declarative::plan::AccessChange;
use crate::retry::AttemptFailure;

/// Something that happened in a machine, worth showing or logging.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Event {
    /// An attempt failed and the request goes out again after `delay`
    /// (the `retry`-th retry).
    Retry {
        /// Why the attempt failed.
        failure: AttemptFailure,
        /// Which retry this is (1 for the first).
        retry: u32,
        /// How long until it goes out.
        delay: Duration,
    },
    /// A wait looks again after `delay`: what it waits for has not shown
    /// yet, or the wait has just begun.
    Waiting {
        /// What it waits for, in words: `user "alice" to exist`.
        what: String,
        /// How long until it looks.
        delay: Duration,
    },
    /// A page of the user list was read.
    Page {
        /// The page's number, from 1.
        page: u32,
        /// How many users on it had not been seen on an earlier page.
        users: usize,
    },
    /// A change of an apply moved on.
    Change {
        /// Its position in the plan.
        index: usize,
        /// The change.
        change: AccessChange,
        /// Where it stands now.
        progress: Progress,
    },
}

/// Where a change of an apply stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Progress {
    /// Its first request went out.
    Started,
    /// It is visible on the server.
    Done,
    /// It was given up (see [`ApplyReport::failed`]).
    ///
    /// [`ApplyReport::failed`]: crate::ApplyReport::failed
    Failed,
}

impl Progress {
    /// `"started"`, `"done"` or `"failed"`.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Started => "started",
            Self::Done => "done",
            Self::Failed => "failed",
        }
    }
}
