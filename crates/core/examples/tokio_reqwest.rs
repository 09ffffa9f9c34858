//! The core on another Rust transport: tokio for time, reqwest for HTTP.
//!
//! Everything the API needs decided (requests, validation, retries, paging,
//! waiting) is the core's; the transport is the loop in [`drive`] and the
//! one request in [`send`]. Run it against the real API or the emulator:
//!
//! ```text
//! CLOUDMQTT_API_KEY=... cargo run -p cloudmqtt-api --example tokio_reqwest
//! CLOUDMQTT_API_KEY=KEY cargo run -p cloudmqtt-api --example tokio_reqwest -- http://127.0.0.1:PORT/api
//! ```
//!
//! It creates a user and waits until it exists, grants it a topic rule,
//! lists every user page by page, and removes both again.
//!
//! It logs with `tracing` (written to stderr by `tracing-subscriber`; the
//! level from `CLOUDMQTT_LOG`, `info` by default): each attempt at `debug`
//! (method, URL, status, duration), and the core's events, which are how a
//! transport logs what a machine decides ([`log_event`]): a retry and why at
//! `info`, a wait and what for and a page read at `debug`. Nothing it logs
//! holds a secret: a URL never carries one, and no event carries the key
//! or a password.

use std::process::ExitCode;
use std::time::{Instant, SystemTime};

use cloudmqtt_api::{
    AllUsers, ApiConfig, Call, CreateAclRule, CreateUser, DEFAULT_ATTEMPT_TIMEOUT, DeleteUser,
    Error, Event, Input, Machine, Mutation, NewAclRule, Output, Request, Response, RetryPolicy,
    TransportError, WaitOptions,
};

/// The wall clock. The core never reads it (its lints forbid that); a
/// driver is the one place that does.
#[allow(clippy::disallowed_methods)]
fn now() -> SystemTime {
    SystemTime::now()
}

/// A monotonic clock, for the attempts' durations in the log; like
/// [`now`], read only by the driver.
#[allow(clippy::disallowed_methods)]
fn monotonic() -> Instant {
    Instant::now()
}

/// Runs any of the core's machines to the end: sends what it asks for,
/// each request on its own task so that a machine may keep several in
/// flight; sleeps when it asks (waking early when an outcome comes back);
/// tells it the time; and logs its events ([`log_event`]).
///
/// # Errors
/// The machine's error.
pub async fn drive<M: Machine>(
    client: &reqwest::Client,
    machine: &mut M,
) -> Result<M::Value, Error> {
    let mut flights = tokio::task::JoinSet::new();
    loop {
        let now = now();
        let until = match machine.poll_output(now) {
            Output::Send(ticket, request) => {
                let client = client.clone();
                flights.spawn(async move { (ticket, send(&client, request, now).await) });
                continue;
            }
            Output::Event(event) => {
                log_event(&event);
                continue;
            }
            Output::WaitUntil(at) => Some(at.duration_since(now).unwrap_or_default()),
            Output::Pending => None,
            Output::Done(result) => return result,
        };
        let sleep = tokio::time::sleep(until.unwrap_or(std::time::Duration::MAX));
        tokio::select! {
            () = sleep, if until.is_some() => {}
            Some(outcome) = flights.join_next() => {
                let (ticket, input) = outcome.unwrap_or_else(|error| {
                    std::panic::resume_unwind(error.into_panic())
                });
                machine.handle_input(ticket, input, self::now());
            }
        }
    }
}

/// Logs one of the core's events: the one place this transport learns
/// what a machine decided (a retry and why, a wait and what for, a page
/// read, a change of an apply).
pub fn log_event(event: &Event) {
    match event {
        Event::Retry {
            failure,
            retry,
            delay,
        } => tracing::info!(
            retry,
            delay_ms = delay.as_millis() as u64,
            ?failure,
            "retrying"
        ),
        Event::Waiting { what, delay } => {
            tracing::debug!(delay_ms = delay.as_millis() as u64, "waiting for {what}");
        }
        Event::Page { page, users } => tracing::debug!(page, users, "page read"),
        Event::Change {
            index,
            change,
            progress,
        } => tracing::info!(index, ?change, progress = progress.as_str(), "change"),
        // The enum is non-exhaustive: events added later are logged too.
        other => tracing::debug!(event = ?other, "event"),
    }
}

/// Carries one request and logs it at `debug`: method, URL, and the status
/// and duration, or why no response came.
async fn send(client: &reqwest::Client, request: Request, now: SystemTime) -> Input {
    let method = request.method.as_str();
    let url = request.url.clone();
    let started = monotonic();
    let input = carry(client, request, now).await;
    let ms = started.elapsed().as_secs_f64() * 1000.0;
    match &input {
        Input::Response(response) => {
            tracing::debug!(method, url, status = response.status, ms, "attempt");
        }
        Input::Failed(failure) => tracing::debug!(method, url, ?failure, ms, "attempt failed"),
    }
    input
}

/// Carries one request: any status is a response; no response (or none
/// by the attempt's deadline) is a transport error for the core to judge.
async fn carry(client: &reqwest::Client, request: Request, now: SystemTime) -> Input {
    let timeout = request.time_left(now).unwrap_or(DEFAULT_ATTEMPT_TIMEOUT);
    let method = match reqwest::Method::from_bytes(request.method.as_str().as_bytes()) {
        Ok(method) => method,
        Err(error) => return Input::Failed(TransportError::Network(error.to_string())),
    };
    let mut builder = client.request(method, &request.url).timeout(timeout);
    for (name, value) in &request.headers {
        builder = builder.header(name, value);
    }
    let result = async {
        let response = builder.body(request.body).send().await?;
        let status = response.status().as_u16();
        let headers = response
            .headers()
            .iter()
            .map(|(name, value)| {
                let value = String::from_utf8_lossy(value.as_bytes()).into_owned();
                (name.as_str().to_owned(), value)
            })
            .collect();
        let body = response.bytes().await?.to_vec();
        Ok::<_, reqwest::Error>(Response::new(status, headers, body))
    };
    match result.await {
        Ok(response) => Input::Response(response),
        Err(error) if error.is_timeout() => Input::Failed(TransportError::Timeout),
        Err(error) => Input::Failed(TransportError::Network(error.to_string())),
    }
}

/// A client that follows no redirect (the core never does) and uses
/// rustls with the `ring` provider.
///
/// # Errors
/// When the TLS stack cannot be set up.
pub fn http_client() -> reqwest::Result<reqwest::Client> {
    // Another part of the program may have installed a provider already.
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
}

/// The walk-through: what `main` runs. Returns the user names listed while
/// the user existed.
///
/// # Errors
/// The first error the API or the network gave.
pub async fn demo(base_url: &str, api_key: &str) -> Result<Vec<String>, Error> {
    let client = http_client().map_err(|error| Error::Network {
        message: error.to_string(),
    })?;
    let config = ApiConfig::builder(api_key).base_url(base_url).build()?;
    let policy = RetryPolicy::default();
    let wait = Some(WaitOptions::default());

    let create = CreateUser {
        username: "example-device".into(),
        password: "example-password".into(),
    };
    drive(
        &client,
        &mut Mutation::new(&config, create, policy, 1, wait),
    )
    .await?;
    let rule = NewAclRule::Topic {
        username: "example-device".into(),
        pattern: "devices/example-device/#".into(),
        read: true,
        write: true,
    };
    let grant = Mutation::new(&config, CreateAclRule { rule }, policy, 2, wait);
    drive(&client, &mut { grant }).await?;

    let mut every = AllUsers::new(&config, None, 100, policy, 3)?;
    let names: Vec<String> = drive(&client, &mut every)
        .await?
        .into_iter()
        .map(|user| user.username)
        .collect();

    let rules = drive(
        &client,
        &mut Call::new(&config, cloudmqtt_api::ListAclRules, policy, 4),
    )
    .await?;
    println!("{} rule(s)", rules.len());

    let delete = DeleteUser {
        username: "example-device".into(),
    };
    drive(
        &client,
        &mut Mutation::new(&config, delete, policy, 5, wait),
    )
    .await?;
    Ok(names)
}

/// Writes `tracing` output to stderr at the level `CLOUDMQTT_LOG` names
/// (`debug`, `info`, `warn`, `error`; `info` when unset or unknown).
fn init_logging() {
    let level = std::env::var("CLOUDMQTT_LOG")
        .ok()
        .and_then(|level| level.parse::<tracing::Level>().ok())
        .unwrap_or(tracing::Level::INFO);
    tracing_subscriber::fmt()
        .with_max_level(level)
        .with_writer(std::io::stderr)
        .init();
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    init_logging();
    let Ok(api_key) = std::env::var("CLOUDMQTT_API_KEY") else {
        eprintln!("set CLOUDMQTT_API_KEY");
        return ExitCode::from(2);
    };
    let base_url = std::env::args()
        .nth(1)
        .unwrap_or_else(|| cloudmqtt_api::DEFAULT_BASE_URL.to_owned());
    match demo(&base_url, &api_key).await {
        Ok(names) => {
            println!("users: {}", names.join(", "));
            ExitCode::SUCCESS
        }
        Err(error) => {
            eprintln!("error: {error}");
            ExitCode::FAILURE
        }
    }
}
