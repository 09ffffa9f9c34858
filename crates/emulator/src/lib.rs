//! A stand-alone emulator of the [CloudMQTT](https://www.cloudmqtt.com)
//! management API that manages a real Mosquitto broker, so that users and
//! ACL rules created through the API govern real MQTT connections. It plays
//! the part stripe-mock and LocalStack play for their services: offline
//! development, and the server for the SDK's integration tests.
//!
//! # In scope
//! - Every endpoint of the reference, with its authentication, statuses and
//!   body shapes, validating arguments with the very rules the client uses
//!   ([`cloudmqtt_api::validate`]). See [`api`] for the choices made where the
//!   reference is silent.
//! - Asynchronous application of creates and deletes after a configurable
//!   delay, persisted so that nothing acknowledged is lost ([`store`]).
//! - A supervised Mosquitto broker whose `password_file` and `acl_file`
//!   follow the API's state ([`broker`], [`mosquitto`]).
//! - Fault injection for client tests ([`faults`]), set at start by flags
//!   and at run time through the control API ([`control`]), which also
//!   shows the journal of requests ([`journal`]), resets the state and
//!   keeps named snapshots of it; `--strict` flags requests the real API
//!   would not accept.
//! - What browsers, containers and harnesses need ([`server`],
//!   [`environment`]): CORS for chosen origins (`--cors-origin`), listening
//!   beyond loopback (`--listen`, `--mqtt-listen`), every flag from a
//!   `CLOUDMQTT_EMULATOR_*` variable, and `GET /health`.
//!
//! # Out of scope
//! TLS, several instances, and the hosted service's console. The API and
//! the broker listen on loopback unless `--listen` and `--mqtt-listen` say
//! otherwise (with a warning on standard error).
//!
//! # Running it
//! ```text
//! $ cloudmqtt-emulator --apply-delay-ms 100
//! ready api=http://127.0.0.1:41235/api mqtt=mqtt://127.0.0.1:40111 key=4f0c...
//! ```
//! The binary is [`Emulator::start`] plus signal handling; the same can be
//! run in-process:
//! ```
//! use cloudmqtt_emulator::{Emulator, Options};
//!
//! let options = Options { no_broker: true, api_key: Some("secret".into()), ..Options::default() };
//! let emulator = Emulator::start(options)?;
//! assert!(emulator.ready_line().starts_with("ready api=http://127.0.0.1:"));
//! assert!(emulator.ready_line().ends_with(" key=secret"));
//! emulator.shutdown();
//! # Ok::<(), cloudmqtt_emulator::StartError>(())
//! ```
#![forbid(unsafe_code)]
#![deny(missing_docs)]

/// Writes one line to standard error with `format!` arguments, through
/// [`log_line`].
macro_rules! log {
    ($($arg:tt)*) => {
        $crate::log_line(format_args!($($arg)*))
    };
}

pub mod api;
pub mod app;
pub mod broker;
pub mod control;
pub mod environment;
pub mod faults;
pub mod journal;
pub mod mosquitto;
pub mod options;
pub mod redact;
pub mod seed;
pub mod server;
pub mod store;
mod strict;
pub mod wire;

use std::fmt;
use std::io::Write as _;
use std::net::{SocketAddr, TcpListener};
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread;
use std::time::Duration;

pub use app::{App, AppSettings};
pub use options::Options;
pub use wire::{ApiRequest, ApiResponse};

use broker::{Broker, BrokerFiles, BrokerSettings};
use faults::Faults;
use server::{HttpServer, ServerSettings};
use store::Store;

/// Why the emulator could not start.
#[derive(Debug, thiserror::Error)]
#[error("{message}")]
pub struct StartError {
    message: String,
    usage: bool,
}

impl StartError {
    /// Something failed at start: I/O, a port in use, a broker that would
    /// not start.
    fn failure(message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
            usage: false,
        }
    }

    /// A flag's (or its variable's) value cannot work.
    fn usage(message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
            usage: true,
        }
    }

    /// Whether a flag's (or its variable's) value is to blame, rather than
    /// something that failed.
    #[must_use]
    pub fn is_usage(&self) -> bool {
        self.usage
    }

    /// The binary's exit status for it: 2 for a usage error, as for the
    /// errors the command line's parser finds, 1 otherwise.
    #[must_use]
    pub fn exit_code(&self) -> u8 {
        if self.usage { 2 } else { 1 }
    }
}

/// Writes one line to standard error, ignoring a failed write: with
/// standard error closed (a broken pipe) the emulator keeps serving rather
/// than panicking, as `eprintln!` would.
pub fn log_line(line: fmt::Arguments<'_>) {
    let _ = writeln!(std::io::stderr().lock(), "{line}");
}

fn fail(context: &str) -> impl FnOnce(std::io::Error) -> StartError + '_ {
    move |error| StartError::failure(format!("{context}: {error}"))
}

/// A running emulator: HTTP API, applier thread and (optionally) broker.
#[derive(Debug)]
pub struct Emulator {
    app: Arc<App>,
    server: HttpServer,
    applier: thread::JoinHandle<()>,
    stop: Arc<AtomicBool>,
    api_key: cloudmqtt_api::Secret,
    mqtt_address: Option<SocketAddr>,
    data_dir: PathBuf,
    temp_dir: Option<tempfile::TempDir>,
}

impl Emulator {
    /// Starts everything and returns once the API and the broker accept
    /// connections.
    ///
    /// Without `--data-dir` the state lives in a fresh temporary directory
    /// that [`Emulator::shutdown`] removes; a given one must be new, empty
    /// or an emulator's ([`store::claim_data_dir`]). Without `--no-broker`
    /// and with no `mosquitto` to be found, the API runs alone (with a
    /// warning on standard error); an explicit `--mosquitto` that fails is
    /// an error.
    ///
    /// The seed for injected failures is named on standard error
    /// (`seed=N`), so that a run with a random one can be repeated.
    ///
    /// # Errors
    /// A [`StartError`] saying what failed. It is a usage error
    /// ([`StartError::is_usage`]) when a value cannot work: a bad key
    /// (empty, or with white space or control characters, which the
    /// space-separated ready line could not carry), ports that disagree, a
    /// `--mosquitto` that is no executable, a data directory that is not
    /// the emulator's, a `--from` file with problems. Otherwise something
    /// failed: an unreadable state file, a port in use, a broker that would
    /// not start.
    pub fn start(options: Options) -> Result<Self, StartError> {
        let mqtt_listen = environment::mqtt_address(&options).map_err(StartError::usage)?;
        let api_key = api_key(&options)?;
        let program = broker_program(&options)?;
        let (data_dir, temp_dir) = data_dir(&options)?;
        let store = open_store(&options, &data_dir)?;
        if program.is_some()
            && let Some(warning) = environment::exposure_warning(
                &options.name("mqtt-listen"),
                mqtt_listen.ip(),
                "the broker",
            )
        {
            log!("{warning}");
        }
        let broker = match program {
            Some(program) => Some(
                Broker::start(
                    BrokerSettings {
                        program,
                        dir: data_dir.clone(),
                        port: mqtt_listen.port(),
                        host: mqtt_listen.ip(),
                        debug_log: options.broker_log.clone(),
                    },
                    BrokerFiles::from_snapshot(&store.state().applied),
                )
                .map_err(fail("starting mosquitto"))?,
            ),
            None => None,
        };
        let mqtt_address = broker.as_ref().map(Broker::address);
        if let Some(warning) =
            environment::exposure_warning(&options.name("listen"), options.listen.ip(), "the API")
        {
            log!("{warning}");
        }
        let listener = TcpListener::bind(options.listen)
            .map_err(fail(&format!("binding {}", options.name("listen"))))?;
        let seed = match options.seed {
            Some(seed) => seed,
            None => getrandom::u64()
                .map_err(|error| StartError::failure(format!("seeding: {error}")))?,
        };
        log!("cloudmqtt-emulator: seed={seed}");
        let app = Arc::new(App::new(
            AppSettings {
                api_key: cloudmqtt_api::Secret::new(api_key.clone()),
                apply_delay: Duration::from_millis(options.apply_delay_ms),
                faults: Faults::new(
                    Duration::from_millis(options.latency_ms),
                    options.fail_rate,
                    options.rate_limit,
                    seed,
                ),
                strict: options.strict,
            },
            store,
            broker,
        ));
        let stop = Arc::new(AtomicBool::new(false));
        let applier = {
            let app = Arc::clone(&app);
            let stop = Arc::clone(&stop);
            thread::Builder::new()
                .name("applier".into())
                .spawn(move || app.run_applier(&stop))
                .map_err(fail("starting the applier"))?
        };
        let server = HttpServer::start(
            listener,
            Arc::clone(&app),
            ServerSettings {
                api_key: cloudmqtt_api::Secret::new(api_key.clone()),
                cors_origins: options.cors_origin.clone(),
                broker: mqtt_address,
            },
        )
        .map_err(fail("starting the HTTP server"))?;
        log!(
            "cloudmqtt-emulator: data in {}, changes apply after {} ms",
            data_dir.display(),
            options.apply_delay_ms
        );
        Ok(Self {
            app,
            server,
            applier,
            stop,
            api_key: cloudmqtt_api::Secret::new(api_key),
            mqtt_address,
            data_dir,
            temp_dir,
        })
    }

    /// The API's base URL, e.g. `http://127.0.0.1:41235/api`. When the
    /// API listens on every address (`0.0.0.0` or `[::]`), the URL names
    /// loopback, which a client can connect to.
    pub fn api_url(&self) -> String {
        format!("http://{}/api", connectable(self.server.address()))
    }

    /// The broker's URL, when one runs.
    pub fn mqtt_url(&self) -> Option<String> {
        self.mqtt_address
            .map(|address| format!("mqtt://{}", connectable(address)))
    }

    /// The API key.
    pub fn api_key(&self) -> &str {
        self.api_key.expose()
    }

    /// How many times the state file has been written since the start
    /// (changes made at once share a write), and the time it took.
    pub fn state_writes(&self) -> store::WriteStats {
        self.app.state_writes()
    }

    /// Where the state lives.
    pub fn data_dir(&self) -> &std::path::Path {
        &self.data_dir
    }

    /// `ready api=... mqtt=... key=...`, the line the binary prints when
    /// ready (`mqtt=` left out without a broker).
    pub fn ready_line(&self) -> String {
        match self.mqtt_url() {
            Some(mqtt) => format!(
                "ready api={} mqtt={mqtt} key={}",
                self.api_url(),
                self.api_key()
            ),
            None => format!("ready api={} key={}", self.api_url(), self.api_key()),
        }
    }

    /// Stops the HTTP server, the applier and the broker, and removes a
    /// temporary data directory.
    pub fn shutdown(self) {
        self.server.stop();
        self.stop.store(true, Ordering::SeqCst);
        self.app.wake();
        let _ = self.applier.join();
        if let Some(mut broker) = self.app.take_broker() {
            broker.stop();
        }
        drop(self.temp_dir);
    }
}

/// `--api-key`, checked, or a generated key.
fn api_key(options: &Options) -> Result<String, StartError> {
    let Some(key) = &options.api_key else {
        return generate_key().map_err(fail("generating an API key"));
    };
    let name = options.name("api-key");
    cloudmqtt_api::validate::api_key(key)
        .map_err(|error| StartError::usage(format!("{name}: {error}")))?;
    if key.chars().any(char::is_whitespace) {
        return Err(StartError::usage(format!(
            "{name}: must not contain white space (the ready line separates its fields with spaces)"
        )));
    }
    Ok(key.clone())
}

/// The broker to run: none with `--no-broker`; `--mosquitto`, which must
/// be an executable; or `mosquitto` wherever it is installed, when it is
/// (without it the API runs alone, and says so).
fn broker_program(options: &Options) -> Result<Option<PathBuf>, StartError> {
    if options.no_broker {
        return Ok(None);
    }
    if let Some(program) = &options.mosquitto {
        if !broker::can_run(program) {
            return Err(StartError::usage(format!(
                "{} {}: no executable file there (install mosquitto, or give its path)",
                options.name("mosquitto"),
                program.display()
            )));
        }
        return Ok(Some(program.clone()));
    }
    let found = broker::find_mosquitto();
    if found.is_none() {
        log!(
            "cloudmqtt-emulator: mosquitto not found (install it, or pass --mosquitto PATH); running the API without a broker"
        );
    }
    Ok(found)
}

/// `--data-dir`, or a fresh temporary directory removed at shutdown.
fn data_dir(options: &Options) -> Result<(PathBuf, Option<tempfile::TempDir>), StartError> {
    match &options.data_dir {
        Some(dir) => Ok((dir.clone(), None)),
        None => {
            let temp = tempfile::Builder::new()
                .prefix("cloudmqtt-emulator-")
                .tempdir()
                .map_err(fail("creating a temporary data directory"))?;
            Ok((temp.path().to_owned(), Some(temp)))
        }
    }
}

/// Opens the state in `dir`, applies what fell due while the emulator was
/// down (before the broker reads the files), and brings in `--from`.
fn open_store(options: &Options, dir: &std::path::Path) -> Result<Store, StartError> {
    let mut store = Store::open(dir).map_err(|error| match error.kind() {
        std::io::ErrorKind::DirectoryNotEmpty | std::io::ErrorKind::NotADirectory => {
            StartError::usage(format!("{}: {error}", options.name("data-dir")))
        }
        _ => StartError::failure(format!("reading the state: {error}")),
    })?;
    store
        .update(|state| Ok::<_, std::io::Error>(state.apply_due(std::time::SystemTime::now())))
        .map_err(fail("saving the state"))?;
    if let Some(path) = &options.from {
        let existing = store.state().applied.users.keys().cloned().collect();
        let changes = seed::changes_from(path, &existing)
            .map_err(|error| StartError::usage(format!("{}: {error}", options.name("from"))))?;
        store
            .update(|state| {
                for change in &changes {
                    state.applied.apply(change);
                }
                Ok::<_, std::io::Error>(())
            })
            .map_err(fail("saving the state"))?;
    }
    store.save().map_err(fail("saving the state"))?;
    Ok(store)
}

/// `address`, with an unspecified IP (`0.0.0.0`, `::`) replaced by the
/// loopback address of the same family.
fn connectable(address: SocketAddr) -> SocketAddr {
    broker::connectable(address)
}

/// A random API key: 32 hexadecimal digits.
fn generate_key() -> std::io::Result<String> {
    let mut bytes = [0u8; 16];
    getrandom::fill(&mut bytes).map_err(|error| std::io::Error::other(error.to_string()))?;
    Ok(bytes.iter().map(|byte| format!("{byte:02x}")).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_ready_line_names_an_address_clients_can_connect_to() {
        for (listening, named) in [
            ("0.0.0.0:8080", "127.0.0.1:8080"),
            ("[::]:8080", "[::1]:8080"),
            ("127.0.0.1:8080", "127.0.0.1:8080"),
            ("192.0.2.7:8080", "192.0.2.7:8080"),
            ("[2001:db8::1]:8080", "[2001:db8::1]:8080"),
        ] {
            let address = connectable(listening.parse().unwrap());
            assert_eq!(address.to_string(), named, "{listening}");
        }
    }

    #[test]
    fn keys_the_ready_line_cannot_carry_are_refused() {
        for key in ["a b", "a\tb", " lead", "trail ", "nb\u{a0}sp", "a\nb", ""] {
            let options = Options {
                no_broker: true,
                api_key: Some(key.into()),
                ..Options::default()
            };
            let error = Emulator::start(options).unwrap_err().to_string();
            assert!(error.starts_with("--api-key: "), "{key:?}: {error}");
        }
    }
}
