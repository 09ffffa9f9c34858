//! The emulated service around the API: the key check, injected latency
//! and faults, the clock and the lock, the journal, and the thread that
//! applies changes when they fall due. The API itself answers in
//! [`crate::api`], the control API under `/_emulator/` in
//! [`crate::control`].

use std::collections::BTreeMap;
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant, SystemTime};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use sha2::{Digest as _, Sha256};
use subtle::ConstantTimeEq as _;

use crate::api::Inner;
use crate::broker::Broker;
use crate::control::{self, Control};
use crate::faults::{Faults, ScopedFaults, Verdict};
use crate::journal::Journal;
use crate::store::{GroupCommit, State, Store, WriteStats};
use crate::strict;
use crate::wire::{ApiRequest, ApiResponse};

/// How the API behaves.
#[derive(Debug)]
pub struct AppSettings {
    /// The API key clients must present.
    pub api_key: cloudmqtt_api::Secret,
    /// How long creates and deletes take to apply.
    pub apply_delay: Duration,
    /// Injected faults.
    pub faults: Faults,
    /// Answer requests the real API would not accept as it does, and flag
    /// them in the journal (`--strict`).
    pub strict: bool,
}

/// The emulated service: settings, state, broker.
pub struct App {
    key_digest: [u8; 32],
    /// The key, to redact from the journal.
    api_key: cloudmqtt_api::Secret,
    apply_delay: Duration,
    faults: Faults,
    scoped: ScopedFaults,
    strict: bool,
    journal: Journal,
    snapshots: Mutex<BTreeMap<String, State>>,
    inner: Mutex<Inner>,
    /// The state file's writes, waited on without holding `inner`.
    commits: Arc<GroupCommit>,
    changed: Condvar,
}

impl std::fmt::Debug for App {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The key's digest stays out of debug output.
        f.debug_struct("App")
            .field("apply_delay", &self.apply_delay)
            .field("faults", &self.faults)
            .field("strict", &self.strict)
            .finish_non_exhaustive()
    }
}

impl App {
    /// A new app over a store and, optionally, a broker that mirrors it.
    pub fn new(settings: AppSettings, store: Store, broker: Option<Broker>) -> Self {
        Self {
            key_digest: Sha256::digest(settings.api_key.expose().as_bytes()).into(),
            api_key: settings.api_key,
            apply_delay: settings.apply_delay,
            faults: settings.faults,
            scoped: ScopedFaults::default(),
            strict: settings.strict,
            journal: Journal::default(),
            snapshots: Mutex::new(BTreeMap::new()),
            commits: store.commits(),
            inner: Mutex::new(Inner { store, broker }),
            changed: Condvar::new(),
        }
    }

    /// Locks the state, applying every change due by now first.
    fn lock(&self) -> MutexGuard<'_, Inner> {
        let mut inner = self.inner.lock().unwrap_or_else(PoisonError::into_inner);
        inner.apply_due(SystemTime::now());
        inner
    }

    /// Applies due changes until `stop` says so, sleeping until the next
    /// change falls due (or a new one is queued), and saves what it
    /// applied (without the lock, so that requests go on meanwhile). Runs
    /// on its own thread.
    pub fn run_applier(&self, stop: &std::sync::atomic::AtomicBool) {
        let mut inner = self.lock();
        let mut saved = inner.store.generation();
        while !stop.load(std::sync::atomic::Ordering::SeqCst) {
            let now = SystemTime::now();
            inner.apply_due(now);
            if inner.store.generation() != saved {
                saved = inner.store.generation();
                drop(inner);
                if let Err(error) = self.save(saved) {
                    log!("cloudmqtt-emulator: could not save applied changes: {error}");
                }
                inner = self.lock();
                continue;
            }
            let wait = inner
                .store
                .state()
                .next_due()
                .map_or(Duration::from_secs(1), |due| {
                    due.duration_since(now).unwrap_or_default()
                })
                .clamp(Duration::from_millis(1), Duration::from_secs(1));
            inner = self
                .changed
                .wait_timeout(inner, wait)
                .unwrap_or_else(PoisonError::into_inner)
                .0;
        }
    }

    /// Returns once the state of `generation` is saved, writing it (with
    /// whatever else changed meanwhile) when no write is running.
    fn save(&self, generation: u64) -> std::io::Result<()> {
        self.commits.wait_durable(generation, || {
            self.inner
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .store
                .image()
        })
    }

    /// `response`, once every change made until now is saved; a 500 when
    /// saving fails (the change stays, and the next write saves it).
    fn when_saved(&self, response: ApiResponse) -> ApiResponse {
        let generation = self
            .inner
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .store
            .generation();
        match self.save(generation) {
            Ok(()) => response,
            Err(error) => {
                log!("cloudmqtt-emulator: could not save the state: {error}");
                ApiResponse::error(500, "internal error: could not save the state")
            }
        }
    }

    /// How many times the state file has been written since the start,
    /// and the time it took.
    #[must_use]
    pub fn state_writes(&self) -> WriteStats {
        self.commits.stats()
    }

    /// Wakes the applier (after queueing a change, or to stop it).
    pub fn wake(&self) {
        self.changed.notify_all();
    }

    /// Why the broker is not enforcing the API's rules as they stand, when
    /// it is not: it refused the files made from them and runs on the last
    /// files it accepted (or denies everything). `None` when all is well
    /// or there is no broker. For a health report.
    pub fn broker_problem(&self) -> Option<String> {
        self.inner
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .broker
            .as_ref()
            .and_then(Broker::problem)
    }

    /// Takes the broker out, to stop it.
    pub fn take_broker(&self) -> Option<Broker> {
        self.inner
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .broker
            .take()
    }

    /// Answers one request. A control request (under `/_emulator/`) needs
    /// the key and nothing else happens to it; any other request gets the
    /// injected latency and faults (scoped ones first), the key check, the
    /// `--strict` check, and is answered by `api::Inner::respond` from the
    /// state as it stands at this moment, under the lock; then it goes into
    /// the journal. Either answer waits until the changes made so far are
    /// saved (see [`crate::store`]).
    pub fn handle(&self, request: &ApiRequest) -> ApiResponse {
        if control::is_control(&request.url) {
            if !self.authorized(request) {
                return unauthorized();
            }
            let response = Control {
                journal: &self.journal,
                faults: &self.scoped,
                snapshots: &self.snapshots,
                inner: &self.inner,
            }
            .respond(request);
            return self.when_saved(response);
        }
        let started = Instant::now();
        let mut flagged = None;
        let response = self.answer(request, &mut flagged);
        self.journal.record(
            request,
            self.api_key.expose(),
            response.status,
            started.elapsed(),
            flagged,
        );
        response
    }

    /// Answers an API request; sets `flagged` when `--strict` finds the
    /// real API would not accept it.
    fn answer(&self, request: &ApiRequest, flagged: &mut Option<String>) -> ApiResponse {
        let path = request.url.split('?').next().unwrap_or("");
        let scoped = self.scoped.judge(&request.method, path);
        let latency = self.faults.latency() + scoped.latency;
        if !latency.is_zero() {
            std::thread::sleep(latency);
        }
        if let Some((status, retry_after)) = scoped.status {
            let response = ApiResponse::error(status, "injected fault");
            return match retry_after {
                Some(seconds) => response.with_header("Retry-After", seconds.to_string()),
                None => response,
            };
        }
        match self.faults.judge(Instant::now()) {
            Verdict::Pass => {}
            Verdict::RateLimited { retry_after_secs } => {
                return ApiResponse::error(429, "too many requests")
                    .with_header("Retry-After", retry_after_secs.to_string());
            }
            Verdict::Fail => return ApiResponse::error(500, "internal error (injected)"),
        }
        if !self.authorized(request) {
            return unauthorized();
        }
        if self.strict
            && let Some(violation) = strict::violation(request)
        {
            *flagged = Some(violation.reason);
            if let Some(answer) = violation.answer {
                return answer;
            }
        }
        let now = SystemTime::now();
        let mut inner = self.inner.lock().unwrap_or_else(PoisonError::into_inner);
        let response = inner.respond(request, now, self.apply_delay);
        drop(inner);
        if request.method != "GET" {
            // A change may have been queued: the applier's next due time moved.
            self.wake();
        }
        // Acknowledged only once saved, together with the changes that
        // came meanwhile.
        self.when_saved(response)
    }

    /// Whether the request carries the API key as its Basic password,
    /// compared in constant time (over digests, so the length leaks
    /// nothing either).
    fn authorized(&self, request: &ApiRequest) -> bool {
        let Some(value) = request.header("authorization") else {
            return false;
        };
        let Some((scheme, credentials)) = value.trim().split_once(' ') else {
            return false;
        };
        if !scheme.eq_ignore_ascii_case("basic") {
            return false;
        }
        let Ok(decoded) = STANDARD.decode(credentials.trim()) else {
            return false;
        };
        let Some(colon) = decoded.iter().position(|byte| *byte == b':') else {
            return false;
        };
        let presented: [u8; 32] = Sha256::digest(&decoded[colon + 1..]).into();
        presented.ct_eq(&self.key_digest).into()
    }
}

/// The answer to a missing or wrong key, on the API and the control API
/// alike.
fn unauthorized() -> ApiResponse {
    ApiResponse::error(401, "unauthorized: wrong or missing API key")
        .with_header("WWW-Authenticate", "Basic realm=\"cloudmqtt\"")
}
