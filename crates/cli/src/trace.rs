//! `--debug` (or `CLOUDMQTT_DEBUG=1`): every attempt and every wait, on
//! stderr, every line starting with `cloudmqtt: debug: `.
//!
//! One line per attempt, written when its outcome is known, in one format:
//!
//! ```text
//! METHOD URL attempt N: STATUS in T ms
//! METHOD URL attempt N: no response after T ms: REASON
//! ```
//!
//! `N` counts the attempts of that request (method, URL and body): a send
//! after an answer the core retries (no response, a 429 or a 5xx) is the
//! next attempt, whatever else went out between; a send after any other
//! answer (a wait's probe asking again) is attempt 1 of a new request. The attempt's headers and bodies follow it, indented and
//! marked `>` (sent) and `<` (received), written with it so that the
//! attempts of requests in flight at once never interleave. Each wait is
//! one line, `wait S s: WHY`, naming what it waits for: a retry of a named
//! request and the answer that caused it, or the change a `--wait` waits
//! to see and the last answer its probe got; `no wait: WHY` when the next
//! send follows at once.
//!
//! Nothing secret is written: `Authorization` shows as `Basic [redacted]`,
//! and every form of the API key and of each password the process learns
//! (as is, JSON-escaped, form- or percent-encoded) is replaced by
//! `[redacted]`, with the core's own redaction
//! ([`cloudmqtt_api::Error::redact`]), so that the two can never disagree.
//! Control characters are escaped, so that a body cannot rewrite the
//! terminal. Bodies longer than [`MAX_BODY_SHOWN`] bytes are cut.
//!
//! The wait lines are written from the core's events (`Event::Waiting`
//! and `Event::Retry`, as `Client::drive_with` hears them), the attempt
//! lines from the transport's own timing of each request: the split of
//! every driver of the core, the npm package's logger and the tokio
//! example's `tracing` lines included.
//!
//! The state is process-wide: the CLI runs one command, and the transport
//! (on any thread), the drivers and the places that learn secrets all
//! report here without being handed a tracer.

use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use cloudmqtt_api::{Error, Input, Request, Secret, TransportError};

/// How many bytes of a body are shown.
pub const MAX_BODY_SHOWN: usize = 2000;

/// What the tracer knows (its `Debug` output shows no secret: [`Secret`]
/// hides itself).
#[derive(Debug)]
struct State {
    enabled: bool,
    secrets: Vec<Secret>,
    /// Each request's attempts so far, by method, URL and body, and
    /// whether its last answer was one the core retries.
    attempts: Option<HashMap<Vec<u8>, (u32, bool)>>,
}

static STATE: Mutex<State> = Mutex::new(State {
    enabled: false,
    secrets: Vec::new(),
    attempts: None,
});

fn state() -> std::sync::MutexGuard<'static, State> {
    STATE.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Turns tracing on or off.
pub fn enable(on: bool) {
    state().enabled = on;
}

/// Whether tracing is on.
pub fn enabled() -> bool {
    state().enabled
}

/// Adds a secret (the API key, a password) to scrub from every line: the
/// one call every place that learns a secret makes, at once.
pub fn add_secret(secret: &str) {
    if !secret.is_empty() {
        state().secrets.push(Secret::new(secret));
    }
}

/// What a request was, kept to trace its attempt once its outcome is in.
#[derive(Debug)]
pub struct Sent {
    method: &'static str,
    url: String,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Sent {
    /// Keeps what the trace shows of `request`, or nothing when tracing is
    /// off.
    pub fn of(request: &Request) -> Option<Self> {
        enabled().then(|| Self {
            method: request.method.as_str(),
            url: request.url.clone(),
            headers: request.headers.clone(),
            body: request.body.clone(),
        })
    }

    /// `GET https://...`: what the request was sent to.
    pub fn target(&self) -> String {
        format!("{} {}", self.method, self.url)
    }
}

/// Reports one attempt: its one line, then its headers and bodies.
pub fn attempt(sent: &Sent, input: &Input, took: Duration) {
    let mut state = state();
    if !state.enabled {
        return;
    }
    let mut key = sent.target().into_bytes();
    key.push(b'\n');
    key.extend_from_slice(&sent.body);
    // A send of the same request after an answer the core does not
    // retry (a probe asking again) is a new request: attempt 1 again.
    let retryable = match input {
        Input::Failed(_) => true,
        Input::Response(response) => response.status == 429 || response.status >= 500,
    };
    let entry = state
        .attempts
        .get_or_insert_with(HashMap::new)
        .entry(key)
        .or_insert((0, true));
    let number = if entry.1 { entry.0 + 1 } else { 1 };
    *entry = (number, retryable);
    let millis = took.as_secs_f64() * 1000.0;
    let head = format!("{} attempt {number}: ", sent.target());
    let mut lines = Vec::new();
    match input {
        Input::Response(response) => {
            lines.push(format!("{head}{} in {millis:.1} ms", response.status));
        }
        Input::Failed(_) => {
            lines.push(format!(
                "{head}no response after {millis:.1} ms: {}",
                outcome(&sent.target(), input)
            ));
        }
    }
    for (name, value) in &sent.headers {
        let value = if name.eq_ignore_ascii_case("authorization") {
            redact_authorization(value)
        } else {
            value.clone()
        };
        lines.push(format!("  > {name}: {value}"));
    }
    if !sent.body.is_empty() {
        lines.push(format!("  > body: {}", body_text(&sent.body)));
    }
    if let Input::Response(response) = input {
        for (name, value) in &response.headers {
            let shown = [
                "retry-after",
                "location",
                "content-type",
                "www-authenticate",
            ];
            if shown.iter().any(|shown| name.eq_ignore_ascii_case(shown)) {
                lines.push(format!("  < {name}: {value}"));
            }
        }
        if !response.body.is_empty() {
            lines.push(format!("  < body: {}", body_text(&response.body)));
        }
    }
    write_lines(&state, &lines);
}

/// Reports a wait of `delay`, and why.
pub fn wait(delay: Duration, why: &str) {
    let state = state();
    if state.enabled {
        let line = format!("wait {:.2} s: {why}", delay.as_secs_f64());
        write_lines(&state, &[line]);
    }
}

/// Reports that the next send follows at once, and why.
pub fn no_wait(why: &str) {
    let state = state();
    if state.enabled {
        write_lines(&state, &[format!("no wait: {why}")]);
    }
}

/// What an attempt came back with, in words a wait's reason uses:
/// `server error 503`, `rate limited (429), the server asked for
/// Retry-After: 0`, `404`, `network error: ...`, `timed out`. A network
/// error's words lose the `METHOD URL: ` they start with when `target` is
/// that, since the line names it already.
pub fn outcome(target: &str, input: &Input) -> String {
    match input {
        Input::Failed(TransportError::Network(message)) => {
            let words = message
                .strip_prefix(target)
                .and_then(|rest| rest.strip_prefix(": "))
                .unwrap_or(message);
            format!("network error: {words}")
        }
        Input::Failed(TransportError::Timeout) => "timed out".to_owned(),
        Input::Response(response) => match (response.status, response.header("retry-after")) {
            (429, Some(after)) => {
                format!("rate limited (429), the server asked for Retry-After: {after}")
            }
            (429, None) => "rate limited (429)".to_owned(),
            (status @ 500..=599, _) => format!("server error {status}"),
            (status, _) => status.to_string(),
        },
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
    let _ = crate::output::to_stderr(|err| {
        for line in lines {
            let line = crate::output::cell(&scrub(line, &state.secrets));
            writeln!(err, "cloudmqtt: debug: {line}")?;
        }
        Ok(())
    });
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
