//! The one error type a caller acts on, and how a failed response becomes
//! one.
//!
//! - [`Error`] and its stable [`ErrorCode`]s live here;
//! - `body` reads the server's words out of an error body (JSON, text or
//!   HTML), bounded;
//! - `redact` finds and replaces every form of a secret.
//!
//! A failed response becomes an error in one place: [`Error::read_failure`],
//! which [`Call`](crate::Call) and [`Poller`](crate::Poller) use for every
//! endpoint. It scrubs the body of every secret before anything is read or
//! cut from it, then scrubs the words it read (which may hold a secret in a
//! decoded form, such as an HTML entity).

mod body;
mod redact;

use std::fmt;
use std::time::{Duration, SystemTime};

use crate::http::Response;
use crate::retry::{AttemptFailure, RetryAfter};
use crate::wire::text::push_decimal;

pub(crate) use body::body_snippet;
use body::server_message;
pub use redact::REDACT_ANYWHERE_MIN_CHARS;
pub(crate) use redact::SecretForms;

/// Everything that can go wrong with a call, in a form a caller can act on.
///
/// Secrets never appear here: the API key and passwords are scrubbed from any
/// text the server sent back before it is stored.
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
#[error("{}", self.message())]
#[non_exhaustive]
pub enum Error {
    /// An argument was rejected before anything was sent.
    InvalidInput {
        /// The argument at fault, as the API names it (`username`, `limit`, ...).
        field: &'static str,
        /// What is wrong with it, in lowercase words.
        reason: String,
    },
    /// 401: the API key was missing or wrong.
    Unauthorized(Reply),
    /// 403: the key may not do this.
    Forbidden(Reply),
    /// 404: the user (or path) does not exist.
    NotFound(Reply),
    /// 405: the server does not allow this method here.
    MethodNotAllowed(Reply),
    /// 429: too many requests.
    RateLimited {
        /// The response.
        reply: Reply,
        /// When the server said to come back, if it did.
        retry_after: Option<RetryAfter>,
    },
    /// 400: the server rejected the request's content.
    BadRequest(Reply),
    /// 5xx: the server failed.
    ServerError(Reply),
    /// Any other status that is not a success (including redirects, which are
    /// never followed).
    UnexpectedStatus(Reply),
    /// A success response whose body could not be understood.
    Decode {
        /// What did not fit.
        reason: String,
        /// The start of the body, as text.
        body: String,
    },
    /// The request never got a response (DNS, connection, TLS, CORS, ...).
    Network {
        /// What the transport reported.
        message: String,
    },
    /// One attempt took longer than its timeout.
    Timeout,
    /// The caller cancelled the call.
    Aborted,
    /// A wait for a change to become visible passed its deadline.
    WaitTimeout {
        /// What was awaited, e.g. `user "alice" to exist`.
        what: String,
        /// The wait's timeout, as it was given (the wait ended once it had
        /// passed).
        waited: Duration,
    },
    /// A saved plan was made against a server state that has since
    /// changed; nothing was sent.
    StalePlan {
        /// What changed since the plan was made, one `+ user x` or
        /// `- rule topic u p read` each.
        changes: Vec<String>,
    },
}

impl Clone for Error {
    /// One copy of this function in a binary: the derived one was inlined
    /// into each machine that keeps its result (see README, Size).
    #[inline(never)]
    fn clone(&self) -> Self {
        match self {
            Self::InvalidInput { field, reason } => Self::InvalidInput {
                field,
                reason: reason.clone(),
            },
            Self::Unauthorized(reply) => Self::Unauthorized(reply.clone()),
            Self::Forbidden(reply) => Self::Forbidden(reply.clone()),
            Self::NotFound(reply) => Self::NotFound(reply.clone()),
            Self::MethodNotAllowed(reply) => Self::MethodNotAllowed(reply.clone()),
            Self::RateLimited { reply, retry_after } => Self::RateLimited {
                reply: reply.clone(),
                retry_after: *retry_after,
            },
            Self::BadRequest(reply) => Self::BadRequest(reply.clone()),
            Self::ServerError(reply) => Self::ServerError(reply.clone()),
            Self::UnexpectedStatus(reply) => Self::UnexpectedStatus(reply.clone()),
            Self::Decode { reason, body } => Self::Decode {
                reason: reason.clone(),
                body: body.clone(),
            },
            Self::Network { message } => Self::Network {
                message: message.clone(),
            },
            Self::Timeout => Self::Timeout,
            Self::Aborted => Self::Aborted,
            Self::WaitTimeout { what, waited } => Self::WaitTimeout {
                what: what.clone(),
                waited: *waited,
            },
            Self::StalePlan { changes } => Self::StalePlan {
                changes: changes.clone(),
            },
        }
    }
}

/// A stable, machine-readable name for each kind of [`Error`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum ErrorCode {
    /// See [`Error::InvalidInput`].
    InvalidInput,
    /// See [`Error::Unauthorized`].
    Unauthorized,
    /// See [`Error::Forbidden`].
    Forbidden,
    /// See [`Error::NotFound`].
    NotFound,
    /// See [`Error::MethodNotAllowed`].
    MethodNotAllowed,
    /// See [`Error::RateLimited`].
    RateLimited,
    /// See [`Error::BadRequest`].
    BadRequest,
    /// See [`Error::ServerError`].
    ServerError,
    /// See [`Error::UnexpectedStatus`].
    UnexpectedStatus,
    /// See [`Error::Decode`].
    Decode,
    /// See [`Error::Network`].
    Network,
    /// See [`Error::Timeout`].
    Timeout,
    /// See [`Error::Aborted`].
    Aborted,
    /// See [`Error::WaitTimeout`].
    WaitTimeout,
    /// See [`Error::StalePlan`].
    StalePlan,
    /// A 400 or 409 whose message says the user or rule already exists
    /// (read from the server's words: `already exists`, `exists`, `taken`,
    /// `duplicate`); the error is still [`Error::BadRequest`] (or
    /// [`Error::UnexpectedStatus`] for a 409), with its status.
    AlreadyExists,
    /// A failure inside the client itself, never an answer of the server:
    /// the core never gives it; a host reports its own failure with it (the
    /// JavaScript package, its WebAssembly module failing).
    Internal,
}

impl ErrorCode {
    /// Every code, in declaration order: the list the JavaScript package's
    /// `CloudMqttError` codes and TypeScript types are checked against.
    pub const ALL: [ErrorCode; 17] = [
        Self::InvalidInput,
        Self::Unauthorized,
        Self::Forbidden,
        Self::NotFound,
        Self::MethodNotAllowed,
        Self::RateLimited,
        Self::BadRequest,
        Self::ServerError,
        Self::UnexpectedStatus,
        Self::Decode,
        Self::Network,
        Self::Timeout,
        Self::Aborted,
        Self::WaitTimeout,
        Self::StalePlan,
        Self::AlreadyExists,
        Self::Internal,
    ];

    /// The code as an upper-case identifier, e.g. `"RATE_LIMITED"`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::InvalidInput => "INVALID_INPUT",
            Self::Unauthorized => "UNAUTHORIZED",
            Self::Forbidden => "FORBIDDEN",
            Self::NotFound => "NOT_FOUND",
            Self::MethodNotAllowed => "METHOD_NOT_ALLOWED",
            Self::RateLimited => "RATE_LIMITED",
            Self::BadRequest => "BAD_REQUEST",
            Self::ServerError => "SERVER_ERROR",
            Self::UnexpectedStatus => "UNEXPECTED_STATUS",
            Self::Decode => "DECODE",
            Self::Network => "NETWORK",
            Self::Timeout => "TIMEOUT",
            Self::Aborted => "ABORTED",
            Self::WaitTimeout => "WAIT_TIMEOUT",
            Self::StalePlan => "STALE_PLAN",
            Self::AlreadyExists => "ALREADY_EXISTS",
            Self::Internal => "INTERNAL",
        }
    }
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What came back with a failed response: its status, the server's own
/// message if one could be found, and the start of the body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reply {
    /// The HTTP status.
    pub status: u16,
    /// The server's message, from a JSON `error`/`message`/`reason`/`errors`
    /// field or else the body text (trimmed, bounded, HTML reduced to text).
    pub message: Option<String>,
    /// The start of the raw body, decoded lossily as UTF-8.
    pub body: String,
    /// What the caller may have got wrong, when the answer suggests it.
    pub hint: Option<Hint>,
}

/// What a failed answer suggests the caller got wrong.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Hint {
    /// A 404 for a path every API has (the user or rule list, an instance
    /// action): the base URL may be missing `/api`.
    BaseUrl,
}

impl Hint {
    /// The hint in words, as the error's message ends with it.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::BaseUrl => "every API has this path: the base URL may be missing \"/api\"",
        }
    }
}

/// Whether a 400 or 409 says that what was created already exists.
fn says_exists(reply: &Reply) -> bool {
    let Some(message) = reply.message.as_deref() else {
        return false;
    };
    if reply.status != 400 && reply.status != 409 {
        return false;
    }
    if let Some(at) = find_ignoring_case(message, "exist") {
        let before = &message.as_bytes()[at.saturating_sub(4)..at];
        return !(before.eq_ignore_ascii_case(b"not ") || before.eq_ignore_ascii_case(b"n't "));
    }
    find_ignoring_case(message, "taken").is_some()
        || find_ignoring_case(message, "duplicate").is_some()
}

/// Where `needle` (ASCII) first stands in `text`, ASCII case ignored. Byte
/// windows rather than `str::find`, whose searcher the WebAssembly build
/// would carry for this alone; an ASCII match ends on a character
/// boundary.
fn find_ignoring_case(text: &str, needle: &str) -> Option<usize> {
    text.as_bytes()
        .windows(needle.len().max(1))
        .position(|window| window.eq_ignore_ascii_case(needle.as_bytes()))
}

impl Error {
    /// The kind of error as a stable code.
    pub fn code(&self) -> ErrorCode {
        match self {
            Self::InvalidInput { .. } => ErrorCode::InvalidInput,
            Self::Unauthorized(_) => ErrorCode::Unauthorized,
            Self::Forbidden(_) => ErrorCode::Forbidden,
            Self::NotFound(_) => ErrorCode::NotFound,
            Self::MethodNotAllowed(_) => ErrorCode::MethodNotAllowed,
            Self::RateLimited { .. } => ErrorCode::RateLimited,
            Self::BadRequest(reply) | Self::UnexpectedStatus(reply) if says_exists(reply) => {
                ErrorCode::AlreadyExists
            }
            Self::BadRequest(_) => ErrorCode::BadRequest,
            Self::ServerError(_) => ErrorCode::ServerError,
            Self::UnexpectedStatus(_) => ErrorCode::UnexpectedStatus,
            Self::Decode { .. } => ErrorCode::Decode,
            Self::Network { .. } => ErrorCode::Network,
            Self::Timeout => ErrorCode::Timeout,
            Self::Aborted => ErrorCode::Aborted,
            Self::WaitTimeout { .. } => ErrorCode::WaitTimeout,
            Self::StalePlan { .. } => ErrorCode::StalePlan,
        }
    }

    /// The failed response, when the error came from one.
    pub fn reply(&self) -> Option<&Reply> {
        match self {
            Self::Unauthorized(reply)
            | Self::Forbidden(reply)
            | Self::NotFound(reply)
            | Self::MethodNotAllowed(reply)
            | Self::RateLimited { reply, .. }
            | Self::BadRequest(reply)
            | Self::ServerError(reply)
            | Self::UnexpectedStatus(reply) => Some(reply),
            _ => None,
        }
    }

    /// The HTTP status, when a response came.
    pub fn status(&self) -> Option<u16> {
        self.reply().map(|reply| reply.status)
    }

    /// What the server said, when it said anything.
    pub fn server_message(&self) -> Option<&str> {
        self.reply().and_then(|reply| reply.message.as_deref())
    }

    /// The argument at fault, for [`Error::InvalidInput`].
    pub fn field(&self) -> Option<&'static str> {
        match self {
            Self::InvalidInput { field, .. } => Some(field),
            _ => None,
        }
    }

    /// For [`Error::RateLimited`]: how long the server asked to wait, from `now`.
    pub fn retry_after(&self, now: SystemTime) -> Option<Duration> {
        match self {
            Self::RateLimited {
                retry_after: Some(after),
                ..
            } => Some(after.delay_from(now)),
            _ => None,
        }
    }

    /// Builds the error for a response that is not a success.
    ///
    /// A 2xx response is not an error; this still returns
    /// [`Error::UnexpectedStatus`] for it, so call it only for failures.
    pub fn from_response(response: &Response) -> Self {
        let reply = Reply {
            status: response.status,
            message: server_message(response),
            body: body_snippet(&response.body),
            hint: None,
        };
        let retry_after = response.header("retry-after").and_then(RetryAfter::parse);
        Self::of_status(reply, retry_after)
    }

    /// The variant of a failed reply's status (`retry_after` is kept for a
    /// 429): the one place a status picks the error.
    fn of_status(reply: Reply, retry_after: Option<RetryAfter>) -> Self {
        match reply.status {
            400 => Self::BadRequest(reply),
            401 => Self::Unauthorized(reply),
            403 => Self::Forbidden(reply),
            404 => Self::NotFound(reply),
            405 => Self::MethodNotAllowed(reply),
            429 => Self::RateLimited { retry_after, reply },
            500..=599 => Self::ServerError(reply),
            _ => Self::UnexpectedStatus(reply),
        }
    }

    /// The error a failed attempt stands for, without the server's words:
    /// what the call would end with were the attempt not retried. Its
    /// [`code`](Self::code) is a retry's reason as a driver reports it
    /// ([`Event::Retry`](crate::Event::Retry)'s failure, in the npm
    /// package's `onRetry`).
    #[must_use]
    pub fn of_attempt(failure: AttemptFailure) -> Self {
        match failure {
            AttemptFailure::Status(status, retry_after) => {
                let reply = Reply {
                    status,
                    message: None,
                    body: String::new(),
                    hint: None,
                };
                Self::of_status(reply, retry_after)
            }
            AttemptFailure::Network => Self::Network {
                message: String::new(),
            },
            AttemptFailure::Timeout => Self::Timeout,
        }
    }

    pub(crate) fn invalid(field: &'static str, reason: impl Into<String>) -> Self {
        Self::InvalidInput {
            field,
            reason: reason.into(),
        }
    }

    pub(crate) fn decode(reason: impl Into<String>, body: &[u8]) -> Self {
        Self::Decode {
            reason: reason.into(),
            body: body_snippet(body),
        }
    }

    /// Replaces every occurrence of each secret in the error's text with
    /// `[redacted]`: as is, and in the forms a server may echo it in
    /// (JSON-escaped, form- or percent-encoded). Empty secrets are ignored.
    /// Secrets shorter than [`REDACT_ANYWHERE_MIN_CHARS`] are replaced only
    /// where they stand as a whole token, so that the words around them
    /// stay intact.
    pub fn redact(self, secrets: &[&str]) -> Self {
        self.redact_with(&SecretForms::new(secrets))
    }

    /// The error a failed response stands for, read with every form of the
    /// secrets scrubbed: from the body before anything is read or cut from
    /// it, and from the words read out of it. The one way a failed
    /// response becomes an error in [`Call`](crate::Call) and
    /// [`Poller`](crate::Poller).
    pub(crate) fn read_failure(response: &Response, forms: &SecretForms) -> Self {
        Self::from_response(&forms.scrub_response(response)).redact_with(forms)
    }

    /// [`Error::redact`] with forms worked out before.
    pub(crate) fn redact_with(mut self, forms: &SecretForms) -> Self {
        let scrub = |text: &mut String| forms.scrub_text(text);
        match &mut self {
            Self::Unauthorized(reply)
            | Self::Forbidden(reply)
            | Self::NotFound(reply)
            | Self::MethodNotAllowed(reply)
            | Self::RateLimited { reply, .. }
            | Self::BadRequest(reply)
            | Self::ServerError(reply)
            | Self::UnexpectedStatus(reply) => {
                if let Some(message) = &mut reply.message {
                    scrub(message);
                }
                scrub(&mut reply.body);
            }
            Self::Decode { reason, body } => {
                scrub(reason);
                scrub(body);
            }
            Self::Network { message } => scrub(message),
            Self::InvalidInput { reason, .. } => scrub(reason),
            Self::WaitTimeout { what, .. } => scrub(what),
            Self::StalePlan { changes } => changes.iter_mut().for_each(scrub),
            Self::Timeout | Self::Aborted => {}
        }
        self
    }
}

impl Error {
    /// The error's message, as its `Display` shows it: a fixed phrase for
    /// the kind, and what the server said. Built without `core::fmt`, which
    /// nothing else on the WebAssembly build's paths needs.
    pub fn message(&self) -> String {
        self.message_naming(|field| field)
    }

    /// The message, with the argument of an [`Error::InvalidInput`] named
    /// as the caller names it (`name` turns the core's Rust name, e.g.
    /// `api_key`, into a command line's `API key` or JavaScript's
    /// `apiKey`), so that a message and the error's field agree.
    pub fn message_naming(&self, name: fn(&'static str) -> &'static str) -> String {
        let mut out = String::new();
        match self {
            Self::InvalidInput { field, reason } => {
                out.push_str("invalid ");
                out.push_str(name(field));
                out.push_str(": ");
                out.push_str(reason);
            }
            Self::Unauthorized(_) => out.push_str("unauthorized: the API key was rejected"),
            Self::Forbidden(_) => out.push_str("forbidden"),
            Self::NotFound(_) => out.push_str("not found"),
            Self::MethodNotAllowed(_) => out.push_str("method not allowed"),
            Self::RateLimited { retry_after, .. } => {
                out.push_str("rate limited");
                match retry_after {
                    Some(RetryAfter::Delay(delay)) => {
                        out.push_str(" (retry after ");
                        push_decimal(&mut out, delay.as_secs());
                        out.push_str("s)");
                    }
                    Some(RetryAfter::At(at)) => {
                        out.push_str(" (retry after ");
                        crate::wire::date::HttpDate(*at).push_to(&mut out);
                        out.push(')');
                    }
                    None => {}
                }
            }
            Self::BadRequest(_) => out.push_str("bad request"),
            Self::ServerError(reply) => {
                out.push_str("server error ");
                push_decimal(&mut out, u64::from(reply.status));
            }
            Self::UnexpectedStatus(reply) => {
                out.push_str("unexpected status ");
                push_decimal(&mut out, u64::from(reply.status));
            }
            Self::Decode { reason, .. } => {
                out.push_str("could not decode the response: ");
                out.push_str(reason);
            }
            Self::Network { message } => {
                out.push_str("network error: ");
                out.push_str(message);
            }
            Self::Timeout => out.push_str("request timed out"),
            Self::Aborted => out.push_str("request aborted"),
            Self::WaitTimeout { what, waited } => {
                out.push_str("gave up after ");
                push_duration(&mut out, *waited);
                out.push_str(" waiting for ");
                out.push_str(what);
            }
            Self::StalePlan { changes } => {
                out.push_str("plan is stale: the server changed since the plan was made: ");
                for (at, change) in changes.iter().enumerate() {
                    if at > 0 {
                        out.push_str(", ");
                    }
                    out.push_str(change);
                }
            }
        }
        if let Some(message) = self.server_message() {
            push_server_words(&mut out, message);
        }
        if let Some(hint) = self.reply().and_then(|reply| reply.hint) {
            out.push_str(" (");
            out.push_str(hint.as_str());
            out.push(')');
        }
        out
    }
}

/// A duration as a person gave it: whole seconds as `90s`, anything else
/// in milliseconds (`500 ms`, `1500 ms`).
fn push_duration(out: &mut String, duration: Duration) {
    let millis = duration.subsec_millis();
    if millis == 0 {
        push_decimal(out, duration.as_secs());
        out.push('s');
    } else {
        // u64 arithmetic: `as_millis` would bring 128-bit division into
        // the WebAssembly build.
        let whole = duration.as_secs().saturating_mul(1000);
        push_decimal(out, whole.saturating_add(u64::from(millis)));
        out.push_str(" ms");
    }
}

/// Adds the server's words to a message that starts with the kind's
/// phrase (`unauthorized`, `not found`, ...), saying nothing twice: a
/// leading repeat of the phrase is dropped (`unauthorized: the API key was
/// rejected: wrong key`, not `...: unauthorized: wrong key`), and words
/// that already hold the phrase stand alone when there is nothing else to
/// say (`user "x" not found`, not `not found: user "x" not found`).
fn push_server_words(out: &mut String, message: &str) {
    let message = message.trim();
    let phrase_len = out.find(':').unwrap_or(out.len());
    let rest = match find_ignoring_case(message, &out[..phrase_len]) {
        Some(0) => {
            let rest = &message[phrase_len..];
            let skip = rest
                .bytes()
                .take_while(|byte| b":- .".contains(byte))
                .count();
            &rest[skip..]
        }
        // Words that say it all stand alone when there is nothing else to say.
        Some(_) if phrase_len == out.len() => {
            out.clear();
            out.push_str(message);
            return;
        }
        _ => message,
    };
    if !rest.is_empty() {
        out.push_str(": ");
        out.push_str(rest);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A response with this status, `Content-Type` (none when empty) and
    /// body; the error tests of `body` use it too.
    pub(super) fn response(status: u16, content_type: &str, body: &str) -> Response {
        let mut headers = Vec::new();
        if !content_type.is_empty() {
            headers.push(("content-type".to_owned(), content_type.to_owned()));
        }
        Response::new(status, headers, body.as_bytes().to_vec())
    }

    #[test]
    fn the_servers_words_are_said_once() {
        let message = |status: u16, body: &str| {
            Error::from_response(&response(status, "application/json", body)).to_string()
        };
        assert_eq!(
            message(401, r#"{"error":"unauthorized: wrong or missing API key"}"#),
            "unauthorized: the API key was rejected: wrong or missing API key"
        );
        assert_eq!(
            message(404, r#"{"error":"user \"nobody\" not found"}"#),
            "user \"nobody\" not found"
        );
        assert_eq!(message(404, r#"{"error":"Not Found"}"#), "not found");
        assert_eq!(
            message(404, r#"{"error":"no such user here"}"#),
            "not found: no such user here"
        );
        assert_eq!(
            message(400, r#"{"error":"Bad request: username taken"}"#),
            "bad request: username taken"
        );
        assert_eq!(
            message(400, r#"{"error":"username taken"}"#),
            "bad request: username taken"
        );
    }

    #[test]
    fn a_duplicate_is_told_apart_by_the_servers_words() {
        let code = |status: u16, body: &str| {
            Error::from_response(&response(status, "application/json", body)).code()
        };
        for (status, body) in [
            (400, r#"{"error":"user \"alice\" already exists"}"#),
            (400, r#"{"error":"Username taken"}"#),
            (409, r#"{"error":"duplicate rule"}"#),
            (409, r#"{"message":"ACL exists"}"#),
        ] {
            assert_eq!(code(status, body), ErrorCode::AlreadyExists, "{body}");
        }
        for (status, body, expected) in [
            (
                400,
                r#"{"error":"user does not exist"}"#,
                ErrorCode::BadRequest,
            ),
            (
                400,
                r#"{"error":"user doesn't exist"}"#,
                ErrorCode::BadRequest,
            ),
            (400, "", ErrorCode::BadRequest),
            (409, "", ErrorCode::UnexpectedStatus),
            (
                404,
                r#"{"error":"user exists nowhere"}"#,
                ErrorCode::NotFound,
            ),
        ] {
            assert_eq!(code(status, body), expected, "{status} {body}");
        }
        let error = Error::from_response(&response(400, "", "user \"a\" already exists"));
        assert_eq!(error.status(), Some(400));
        assert_eq!(error.to_string(), "bad request: user \"a\" already exists");
    }

    #[test]
    fn durations_are_said_as_given() {
        let waited = |millis: u64| {
            Error::WaitTimeout {
                what: "user \"a\" to exist".into(),
                waited: Duration::from_millis(millis),
            }
            .to_string()
        };
        assert_eq!(
            waited(500),
            "gave up after 500 ms waiting for user \"a\" to exist"
        );
        assert_eq!(
            waited(1500),
            "gave up after 1500 ms waiting for user \"a\" to exist"
        );
        assert_eq!(
            waited(90_000),
            "gave up after 90s waiting for user \"a\" to exist"
        );
    }

    #[test]
    fn every_code_is_listed_once() {
        let names: std::collections::BTreeSet<&str> =
            ErrorCode::ALL.iter().map(|code| code.as_str()).collect();
        assert_eq!(names.len(), ErrorCode::ALL.len());
        // A new variant must be added to `ALL`: this match has no wildcard.
        for code in ErrorCode::ALL {
            match code {
                ErrorCode::InvalidInput
                | ErrorCode::Unauthorized
                | ErrorCode::Forbidden
                | ErrorCode::NotFound
                | ErrorCode::MethodNotAllowed
                | ErrorCode::RateLimited
                | ErrorCode::BadRequest
                | ErrorCode::ServerError
                | ErrorCode::UnexpectedStatus
                | ErrorCode::Decode
                | ErrorCode::Network
                | ErrorCode::Timeout
                | ErrorCode::Aborted
                | ErrorCode::WaitTimeout
                | ErrorCode::StalePlan
                | ErrorCode::AlreadyExists
                | ErrorCode::Internal => {}
            }
        }
    }

    #[test]
    fn status_maps_to_variant() {
        let cases = [
            (400, ErrorCode::BadRequest),
            (401, ErrorCode::Unauthorized),
            (403, ErrorCode::Forbidden),
            (404, ErrorCode::NotFound),
            (405, ErrorCode::MethodNotAllowed),
            (429, ErrorCode::RateLimited),
            (500, ErrorCode::ServerError),
            (503, ErrorCode::ServerError),
            (302, ErrorCode::UnexpectedStatus),
            (418, ErrorCode::UnexpectedStatus),
        ];
        for (status, code) in cases {
            let error = Error::from_response(&response(status, "", ""));
            assert_eq!(error.code(), code, "status {status}");
            assert_eq!(error.status(), Some(status));
        }
    }

    #[test]
    fn redact_scrubs_every_text() {
        let error = Error::from_response(&response(
            400,
            "application/json",
            r#"{"error":"password hunter2 is too weak"}"#,
        ))
        .redact(&["hunter2", ""]);
        assert_eq!(
            error.to_string(),
            "bad request: password [redacted] is too weak"
        );
        assert!(!format!("{error:?}").contains("hunter2"));
    }

    #[test]
    fn a_failed_attempt_has_the_code_its_call_would_end_with() {
        let code = |failure| Error::of_attempt(failure).code();
        assert_eq!(
            code(AttemptFailure::Status(429, None)),
            ErrorCode::RateLimited
        );
        assert_eq!(
            code(AttemptFailure::Status(503, None)),
            ErrorCode::ServerError
        );
        assert_eq!(code(AttemptFailure::Status(404, None)), ErrorCode::NotFound);
        assert_eq!(code(AttemptFailure::Network), ErrorCode::Network);
        assert_eq!(code(AttemptFailure::Timeout), ErrorCode::Timeout);
        let limited = Error::of_attempt(AttemptFailure::Status(
            429,
            Some(RetryAfter::Delay(Duration::from_secs(2))),
        ));
        assert_eq!(
            limited.retry_after(SystemTime::UNIX_EPOCH),
            Some(Duration::from_secs(2))
        );
    }
}
