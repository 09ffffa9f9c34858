//! The client every command that calls the API shares: the configuration,
//! the blocking transport and the retry policy, and the driver that runs the
//! core's machines with the wall clock.

use std::hash::{BuildHasher, RandomState};
use std::io::{self, Write};
use std::time::{Duration, SystemTime};

use cloudmqtt_api::{
    AllUsers, ApiConfig, Call, Error, Machine, Operation, Output, RetryPolicy, WaitTarget,
};

use crate::args::GlobalArgs;
use crate::failure::Failure;
use crate::output;
use crate::transport::HttpTransport;

/// The configuration, transport and retry policy shared by every call of
/// one command.
pub(crate) struct Client {
    pub(crate) config: ApiConfig,
    pub(crate) transport: HttpTransport,
    pub(crate) policy: RetryPolicy,
    pub(crate) seed: u64,
}

impl Client {
    pub(crate) fn new(global: &GlobalArgs) -> Result<Self, Failure> {
        let settings = crate::profiles::resolve(global)?;
        crate::trace::add_secret(settings.api_key.expose());
        let config = ApiConfig::builder(settings.api_key)
            .base_url(settings.base_url)
            .encoding(settings.encoding)
            .allow_insecure_http(settings.allow_insecure_http)
            .build()?;
        let policy = RetryPolicy {
            max_retries: global.retries,
            attempt_timeout: global.timeout.0,
            ..RetryPolicy::default()
        };
        Ok(Self {
            config,
            transport: HttpTransport::new(),
            policy,
            seed: RandomState::new().hash_one(now()),
        })
    }

    /// Every user, through every page (the core's [`AllUsers`]).
    pub(crate) fn all_users(&mut self) -> Result<Vec<cloudmqtt_api::User>, Error> {
        let seed = self.next_seed();
        let page_size = cloudmqtt_api::DEFAULT_PAGE_SIZE;
        let mut walk = AllUsers::new(&self.config, None, page_size, self.policy, seed)?;
        self.drive(&mut walk, |_: &AllUsers| None)
    }

    /// A fresh seed for the next machine's jitter.
    pub(crate) fn next_seed(&mut self) -> u64 {
        self.seed = self.seed.wrapping_add(1);
        self.seed
    }

    /// Carries out one operation with retries.
    pub(crate) fn call<O: Operation>(&mut self, op: O) -> Result<O::Output, Error> {
        let seed = self.next_seed();
        let mut call = Call::new(&self.config, op, self.policy, seed);
        self.drive(&mut call, |_: &Call<O>| None)
    }

    /// The driver: runs a machine with the wall clock, the blocking
    /// transport and `thread::sleep`, tracing each wait with `--debug`.
    /// While `waiting` names what the machine waits for, a spinner shows it
    /// on an interactive terminal.
    pub(crate) fn drive<M: Machine>(
        &self,
        machine: &mut M,
        waiting: impl Fn(&M) -> Option<&WaitTarget>,
    ) -> Result<M::Value, Error> {
        let interactive = crate::terminal::interactive();
        let mut progress: Option<Progress> = None;
        let mut why = WaitReason::default();
        let result = loop {
            let now = now();
            match machine.poll_output(now) {
                Output::Send(request) => {
                    why.before_send(waiting(machine));
                    let target = format!("{} {}", request.method.as_str(), request.url);
                    let input = self.transport.send(request, now);
                    why.after(target, &input);
                    machine.handle_input(input, self::now());
                }
                Output::WaitUntil(at) => {
                    let delay = at.duration_since(now).unwrap_or_default();
                    let target = waiting(machine);
                    why.wait(delay, target);
                    match target.filter(|_| interactive) {
                        Some(target) => progress
                            .get_or_insert_with(|| Progress::new(format!("waiting for {target}")))
                            .sleep(delay),
                        None => sleep(delay),
                    }
                }
                Output::Done(result) => break result,
            }
        };
        if let Some(progress) = progress {
            progress.clear();
        }
        result
    }
}

/// Why one machine goes again, for the trace: the last request it sent
/// and what came back, and whether it has waited since.
#[derive(Debug, Default)]
struct WaitReason {
    last: Option<(String, String)>,
    waited: bool,
}

impl WaitReason {
    /// Notes what `target` brought back.
    fn after(&mut self, target: String, input: &cloudmqtt_api::Input) {
        if crate::trace::enabled() {
            let outcome = crate::trace::outcome(&target, input);
            self.last = Some((target, outcome));
            self.waited = false;
        }
    }

    /// The reason for going again: waiting for a change to show, or
    /// retrying the last request; `None` before the first send.
    fn text(&self, waiting: Option<&WaitTarget>) -> Option<String> {
        let (target, outcome) = self.last.as_ref()?;
        Some(match waiting {
            Some(change) => format!("waiting for {change} (last answer: {outcome})"),
            None => format!("retrying {target} after {outcome}"),
        })
    }

    /// Traces a wait.
    fn wait(&mut self, delay: Duration, waiting: Option<&WaitTarget>) {
        self.waited = true;
        let why = self
            .text(waiting)
            .unwrap_or_else(|| "before the first attempt".to_owned());
        crate::trace::wait(delay, &why);
    }

    /// Traces a send that follows an answer with no wait between.
    fn before_send(&self, waiting: Option<&WaitTarget>) {
        if !self.waited
            && let Some(why) = self.text(waiting)
        {
            crate::trace::no_wait(&why);
        }
    }
}

/// The wall clock: the CLI is the driver, so it is the one place that reads
/// time for the core.
pub(crate) fn now() -> SystemTime {
    SystemTime::now()
}

/// Blocks where the core asks the driver to wait.
pub(crate) fn sleep(delay: Duration) {
    std::thread::sleep(delay);
}

/// A one-line spinner with elapsed seconds on stderr.
struct Progress {
    label: String,
    started: SystemTime,
    frame: usize,
}

impl Progress {
    const FRAMES: [char; 4] = ['|', '/', '-', '\\'];
    const TICK: Duration = Duration::from_millis(100);

    fn new(label: String) -> Self {
        let progress = Self {
            label,
            started: now(),
            frame: 0,
        };
        progress.draw();
        progress
    }

    /// Sleeps for `delay`, redrawing every tick.
    fn sleep(&mut self, delay: Duration) {
        let mut left = delay;
        while !left.is_zero() {
            let step = left.min(Self::TICK);
            sleep(step);
            left -= step;
            self.frame = (self.frame + 1) % Self::FRAMES.len();
            self.draw();
        }
    }

    /// What one redraw writes after `elapsed` seconds: clear the line, then
    /// the spinner frame, the label and the time. The label's control
    /// characters are escaped, since a user name or pattern may hold any.
    fn line(&self, elapsed: u64) -> String {
        format!(
            "\r\x1b[2K{} {} ({elapsed}s)",
            Self::FRAMES[self.frame],
            output::cell(&self.label)
        )
    }

    fn draw(&self) {
        let elapsed = now()
            .duration_since(self.started)
            .unwrap_or_default()
            .as_secs();
        let mut stderr = io::stderr().lock();
        // Progress is best effort: a failed write must not fail the wait.
        let _ = stderr.write_all(self.line(elapsed).as_bytes());
        let _ = stderr.flush();
    }

    fn clear(&self) {
        let mut stderr = io::stderr().lock();
        let _ = write!(stderr, "\r\x1b[2K");
        let _ = stderr.flush();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_progress_line_escapes_control_characters() {
        let progress = Progress {
            label: "waiting for pattern rule \"a\u{1b}]0;x\u{7}\u{1b}[2Jb\" to exist".to_owned(),
            started: now(),
            frame: 1,
        };
        let line = progress.line(3);
        assert_eq!(
            line,
            "\r\x1b[2K/ waiting for pattern rule \"a\\u{1b}]0;x\\u{7}\\u{1b}[2Jb\" to exist (3s)"
        );
        // The one escape sequence left is the line clear the spinner sends.
        assert_eq!(line.matches('\u{1b}').count(), 1, "{line:?}");
        assert!(!line.contains('\u{7}'), "{line:?}");
    }
}
