//! What a machine tells its driver along the way: [`Event`]s, for a user to
//! see or a log to keep. A driver may ignore every one of them; nothing a
//! machine does depends on them being read.

use std::time::Duration;

use crate::declarative::plan::AccessChange;
use crate::retry::AttemptFailure;

/// Something that happened in a machine, worth showing or logging.
///
/// # Logging
/// This crate logs nothing itself and depends on no logging crate: its
/// events are how a Rust transport logs what a machine decides. A driver
/// logs each [`Event`] it polls (a retry and why, a wait and what for, a
/// page read, a change of an apply) beside its own record of each attempt
/// (method, URL, status, duration), which only it can time:
///
/// ```
/// use cloudmqtt_api::Event;
///
/// /// One log line per event, with whatever logger the program uses.
/// fn log_event(event: &Event, log: &mut impl FnMut(String)) {
///     match event {
///         Event::Retry { failure, retry, delay } => {
///             log(format!("retry {retry} in {} ms: {failure:?}", delay.as_millis()));
///         }
///         Event::Waiting { what, delay } => log(format!("wait {} ms for {what}", delay.as_millis())),
///         other => log(format!("{other:?}")),
///     }
/// }
///
/// let mut lines = Vec::new();
/// let event = Event::Waiting { what: "user \"a\" to exist".into(), delay: std::time::Duration::from_millis(125) };
/// log_event(&event, &mut |line| lines.push(line));
/// assert_eq!(lines, ["wait 125 ms for user \"a\" to exist"]);
/// ```
///
/// `examples/tokio_reqwest.rs` logs them with `tracing`; the CLI's
/// `--debug` writes its wait and retry lines from them; the npm package's
/// logger and `onRetry` hook hear them through its WebAssembly bindings.
/// No event carries the API key or a password, so their `Debug` output
/// can be logged as it is.
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
