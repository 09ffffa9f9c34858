//! The client every command that calls the API shares: the configuration,
//! the blocking transport and the retry policy, and the driver that runs the
//! core's machines with the wall clock.

use std::hash::{BuildHasher, RandomState};
use std::sync::mpsc;
use std::time::{Duration, SystemTime};

use cloudmqtt_api::{
    AllUsers, ApiConfig, Call, Error, Event, Machine, Operation, Output, RetryPolicy,
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
        self.drive(&mut walk)
    }

    /// Every user and every rule: the core's [`cloudmqtt_api::ReadServer`].
    pub(crate) fn read_server(&mut self) -> Result<cloudmqtt_api::ServerAccess, Error> {
        let seed = self.next_seed();
        let mut read = cloudmqtt_api::ReadServer::new(&self.config, self.policy, seed);
        self.drive(&mut read)
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
        self.drive(&mut call)
    }

    /// Runs a machine with [`drive_with`](Self::drive_with), a spinner
    /// showing what it waits for on an interactive terminal.
    pub(crate) fn drive<M: Machine>(&self, machine: &mut M) -> Result<M::Value, Error> {
        self.drive_with(machine, Watch::default())
    }

    /// The driver, the one loop of the CLI: runs any machine with the wall
    /// clock, each request on its own thread (so that an apply keeps
    /// several in flight), and `thread::sleep`. It traces each wait with
    /// `--debug` and hands every event to `watch`.
    pub(crate) fn drive_with<M: Machine>(
        &self,
        machine: &mut M,
        mut watch: Watch<'_>,
    ) -> Result<M::Value, Error> {
        let spin = watch.label.is_none() && crate::terminal::interactive();
        let mut spinner: Option<Progress> = None;
        let mut why = WaitReason {
            label: watch.label,
            ..WaitReason::default()
        };
        let (sender, receiver) = mpsc::channel();
        let mut in_flight = 0usize;
        let result = std::thread::scope(|scope| {
            loop {
                let now = now();
                let arrived = match machine.poll_output(now) {
                    Output::Send(ticket, request) => {
                        let target = format!("{} {}", request.method.as_str(), request.url);
                        let (sender, transport) = (sender.clone(), self.transport.clone());
                        in_flight += 1;
                        scope.spawn(move || {
                            let input = transport.send(request, now);
                            let _ = sender.send((ticket, target, input));
                        });
                        continue;
                    }
                    Output::Event(event) => {
                        why.event(&event);
                        if let Some(spinner) = spinner.take() {
                            spinner.clear();
                        }
                        if let Some(listen) = watch.listen.as_mut() {
                            listen(&event);
                        }
                        continue;
                    }
                    Output::Done(result) => break result,
                    Output::WaitUntil(at) if in_flight == 0 => {
                        let delay = at.duration_since(now).unwrap_or_default();
                        why.wait(delay);
                        match why.waiting.as_deref().filter(|_| spin) {
                            Some(what) => spinner
                                .get_or_insert_with(|| Progress::new(format!("waiting for {what}")))
                                .sleep(delay),
                            None => sleep(delay),
                        }
                        continue;
                    }
                    Output::WaitUntil(at) => {
                        let delay = at.duration_since(now).unwrap_or_default();
                        match receiver.recv_timeout(delay) {
                            Ok(arrived) => arrived,
                            Err(_) => continue,
                        }
                    }
                    Output::Pending => match receiver.recv() {
                        Ok(arrived) => arrived,
                        Err(_) => {
                            break Err(Error::Network {
                                message: "a request thread ended without an answer".to_owned(),
                            });
                        }
                    },
                };
                let (ticket, target, input) = arrived;
                in_flight -= 1;
                why.after(target, &input);
                machine.handle_input(ticket, input, self::now());
            }
        });
        if let Some(spinner) = spinner {
            spinner.clear();
        }
        result
    }
}

/// What the driver does with a machine's events beside tracing them.
#[derive(Default)]
pub(crate) struct Watch<'a> {
    /// The machine's name in trace lines (`apply`): its waits are traced
    /// as `apply: waiting for ...`, naming no last answer (several
    /// requests may be in flight), and no spinner is shown.
    pub(crate) label: Option<&'static str>,
    /// Hears every event.
    pub(crate) listen: Option<&'a mut dyn FnMut(&Event)>,
}

/// Why one machine goes again, for the trace: the last request it sent
/// and what came back, what it waits for, and whether it has waited since.
#[derive(Debug, Default)]
struct WaitReason {
    label: Option<&'static str>,
    last: Option<(String, String)>,
    /// What the machine waits to see, since its last [`Event::Waiting`]
    /// (cleared by a retry).
    waiting: Option<String>,
}

impl WaitReason {
    /// Notes what an event says about the next wait, and traces a
    /// request that goes out again at once.
    fn event(&mut self, event: &Event) {
        let delay = match event {
            Event::Waiting { what, delay } => {
                self.waiting = Some(what.clone());
                delay
            }
            Event::Retry { delay, .. } => {
                self.waiting = None;
                delay
            }
            _ => return,
        };
        if delay.is_zero()
            && self.label.is_none()
            && let Some(why) = self.text()
        {
            crate::trace::no_wait(&why);
        }
    }

    /// Notes what `target` brought back.
    fn after(&mut self, target: String, input: &cloudmqtt_api::Input) {
        if crate::trace::enabled() {
            let outcome = crate::trace::outcome(&target, input);
            self.last = Some((target, outcome));
        }
    }

    /// The reason for going again: waiting for a change to show, or
    /// retrying the last request; `None` before the first send.
    fn text(&self) -> Option<String> {
        if let Some(label) = self.label {
            return Some(match &self.waiting {
                Some(what) => format!("{label}: waiting for {what}"),
                None => format!("{label}: a retry's backoff"),
            });
        }
        let (target, outcome) = self.last.as_ref()?;
        Some(match &self.waiting {
            Some(what) => format!("waiting for {what} (last answer: {outcome})"),
            None => format!("retrying {target} after {outcome}"),
        })
    }

    /// Traces a wait.
    fn wait(&self, delay: Duration) {
        let why = self
            .text()
            .unwrap_or_else(|| "before the first attempt".to_owned());
        crate::trace::wait(delay, &why);
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
        // Progress is best effort: a failed write must not fail the wait.
        let _ = output::to_stderr(|err| err.write_all(self.line(elapsed).as_bytes()));
    }

    fn clear(&self) {
        let _ = output::to_stderr(|err| write!(err, "\r\x1b[2K"));
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
