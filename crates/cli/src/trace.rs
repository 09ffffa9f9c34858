//! `--debug` (or `CLOUDMQTT_DEBUG=1`): every attempt and every wait, on
//! stderr.
//!
//! Each attempt shows its method, URL, headers and body, then the status,
//! the time it took, and the response's body (or the network failure);
//! each wait shows how long and why: the answer that made the core decide
//! to retry or to poll again. Lines start with `cloudmqtt: debug: `.
//!
//! Nothing secret is written: `Authorization` shows as `Basic [redacted]`,
//! and every form of the API key and of each password read for the command
//! (as is, JSON-escaped, form- or percent-encoded) is replaced by
//! `[redacted]` in URLs, headers and bodies, with the core's own redaction
//! ([`cloudmqtt_api::Error::redact`]), so that the two can never disagree.
//! Control characters are escaped, so that a body cannot rewrite the
//! terminal. Bodies longer than [`MAX_BODY_SHOWN`] bytes are cut.
//!
//! The state is process-wide: the CLI runs one command, and the transport,
//! the driver loop and the password prompt all report here without being
//! handed a tracer.

use std::io::Write as _;
use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use cloudmqtt_api::{Error, Input, Request, Secret, TransportError};

/// The environment variable that turns tracing on (`1`, `true`, `yes`,
/// `on`).
pub const DEBUG_ENV: &str = "CLOUDMQTT_DEBUG";

/// How many bytes of a body are shown.
pub const MAX_BODY_SHOWN: usize = 2000;

/// What the tracer knows (its `Debug` output shows no secret: [`Secret`]
/// hides itself).
#[derive(Debug)]
struct State {
    enabled: bool,
    secrets: Vec<Secret>,
    attempt: u32,
    last: Option<Outcome>,
    waited: bool,
}

/// What the last attempt brought back, to explain the next wait.
#[derive(Debug, Clone)]
enum Outcome {
    Status(u16, Option<String>),
    Failed(String),
}

static STATE: Mutex<State> = Mutex::new(State {
    enabled: false,
    secrets: Vec::new(),
    attempt: 0,
    last: None,
    waited: false,
});

fn state() -> std::sync::MutexGuard<'static, State> {
    STATE.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Turns tracing on or off.
pub fn enable(on: bool) {
    state().enabled = on;
}

/// Adds a secret (the API key, a password) to scrub from every line.
pub fn add_secret(secret: &str) {
    if !secret.is_empty() {
        state().secrets.push(Secret::new(secret));
    }
}

/// Starts counting the attempts of a new operation.
pub fn begin() {
    let mut state = state();
    state.attempt = 0;
    state.last = None;
    state.waited = false;
}

/// Reports the request about to go out.
pub fn request(request: &Request) {
    let mut state = state();
    if !state.enabled {
        return;
    }
    state.attempt += 1;
    let mut lines = Vec::new();
    // The core may decide to go again at once (`Retry-After: 0`, a probe
    // that is due): that decision is shown too.
    if let Some(last) = &state.last
        && !state.waited
    {
        lines.push(format!("no wait: {}", reason(last)));
    }
    state.waited = false;
    lines.push(format!(
        "> {} {} (attempt {})",
        request.method.as_str(),
        request.url,
        state.attempt
    ));
    for (name, value) in &request.headers {
        let value = if name.eq_ignore_ascii_case("authorization") {
            redact_authorization(value)
        } else {
            value.clone()
        };
        lines.push(format!("  {name}: {value}"));
    }
    if !request.body.is_empty() {
        lines.push(format!("  body: {}", body_text(&request.body)));
    }
    write_lines(&state, &lines);
}

/// Reports what came back for the last request, and how long it took.
pub fn response(input: &Input, took: Duration) {
    let mut state = state();
    if !state.enabled {
        return;
    }
    let millis = took.as_secs_f64() * 1000.0;
    let lines = match input {
        Input::Response(response) => {
            let mut lines = vec![format!("< {} in {millis:.1} ms", response.status)];
            for (name, value) in &response.headers {
                if [
                    "retry-after",
                    "location",
                    "content-type",
                    "www-authenticate",
                ]
                .iter()
                .any(|shown| name.eq_ignore_ascii_case(shown))
                {
                    lines.push(format!("  {name}: {value}"));
                }
            }
            if !response.body.is_empty() {
                lines.push(format!("  body: {}", body_text(&response.body)));
            }
            state.last = Some(Outcome::Status(
                response.status,
                response.header("retry-after").map(str::to_owned),
            ));
            lines
        }
        Input::Failed(error) => {
            let text = match error {
                TransportError::Network(message) => format!("network error: {message}"),
                TransportError::Timeout => "timed out".to_owned(),
            };
            state.last = Some(Outcome::Failed(text.clone()));
            vec![format!("< no response after {millis:.1} ms: {text}")]
        }
    };
    write_lines(&state, &lines);
}

/// Reports a wait the core asked for, with the reason it was decided.
pub fn wait(delay: Duration) {
    let mut state = state();
    if !state.enabled {
        return;
    }
    state.waited = true;
    let reason = match &state.last {
        None => "before the first attempt".to_owned(),
        Some(last) => reason(last),
    };
    let line = format!("wait {:.2} s: {reason}", delay.as_secs_f64());
    write_lines(&state, &[line]);
}

/// Why the core goes again after this outcome.
fn reason(last: &Outcome) -> String {
    match last {
        Outcome::Failed(text) => format!("retrying after {text}"),
        Outcome::Status(429, retry_after) => match retry_after {
            Some(after) => format!("rate limited (429), the server asked for Retry-After: {after}"),
            None => "rate limited (429), backing off".to_owned(),
        },
        Outcome::Status(status @ 500..=599, _) => {
            format!("retrying after server error {status}")
        }
        Outcome::Status(status, _) => {
            format!("polling again: the change is not visible yet (last answer {status})")
        }
    }
}

/// `Basic [redacted]`, or `[redacted]` for any other scheme.
fn redact_authorization(value: &str) -> String {
    match value.split_once(' ') {
        Some((scheme, _)) => format!("{scheme} [redacted]"),
        None => "[redacted]".to_owned(),
    }
}

/// A body as text, cut at [`MAX_BODY_SHOWN`] bytes.
fn body_text(body: &[u8]) -> String {
    let shown = &body[..body.len().min(MAX_BODY_SHOWN)];
    let mut text = String::from_utf8_lossy(shown).into_owned();
    if body.len() > MAX_BODY_SHOWN {
        text.push_str(&format!(
            " [... {} more bytes]",
            body.len() - MAX_BODY_SHOWN
        ));
    }
    text
}

/// Every secret's every form replaced by `[redacted]`, through the core's
/// redaction of error texts.
fn scrub(text: &str, secrets: &[Secret]) -> String {
    if secrets.is_empty() {
        return text.to_owned();
    }
    let secrets: Vec<&str> = secrets.iter().map(Secret::expose).collect();
    match Error::from(TransportError::Network(text.to_owned())).redact(&secrets) {
        Error::Network { message, .. } => message,
        // The core keeps the variant; should that ever change, show
        // nothing rather than a secret.
        _ => "[redacted]".to_owned(),
    }
}

/// Writes lines to stderr, scrubbed, control characters escaped; a failed
/// write is ignored (tracing must never fail the command).
fn write_lines(state: &State, lines: &[String]) {
    let mut stderr = std::io::stderr().lock();
    for line in lines {
        let line = crate::output::cell(&scrub(line, &state.secrets));
        let _ = writeln!(stderr, "cloudmqtt: debug: {line}");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn authorization_keeps_only_its_scheme() {
        assert_eq!(redact_authorization("Basic OmtleQ=="), "Basic [redacted]");
        assert_eq!(redact_authorization("token"), "[redacted]");
    }

    #[test]
    fn every_form_of_a_secret_is_scrubbed() {
        let secrets = vec![Secret::new("p@ss/w\"rd é"), Secret::new("key-1")];
        for text in [
            "{\"password\":\"p@ss/w\\\"rd \\u00e9\"}",
            "password=p%40ss%2Fw%22rd+%C3%A9",
            "/api/user/p%40ss%2Fw%22rd%20%C3%A9",
            "p@ss/w\"rd é",
            "key-1",
        ] {
            let scrubbed = scrub(text, &secrets);
            assert!(scrubbed.contains("[redacted]"), "{text} -> {scrubbed}");
            for part in ["ss/w", "ss%2Fw", "ss\\/w"] {
                assert!(!scrubbed.contains(part), "{text} -> {scrubbed}");
            }
            assert!(!scrubbed.contains("key-1"), "{text} -> {scrubbed}");
        }
        assert_eq!(scrub("nothing here", &secrets), "nothing here");
    }

    #[test]
    fn long_bodies_are_cut() {
        let body = vec![b'a'; MAX_BODY_SHOWN + 5];
        let text = body_text(&body);
        assert!(text.ends_with(" [... 5 more bytes]"), "{text}");
    }
}
