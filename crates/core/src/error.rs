//! The one error type, and how a failed response becomes one.

use std::fmt;
use std::time::{Duration, SystemTime};

use crate::http::Response;
use crate::json::{self, Json};

/// Everything that can go wrong with a call, in a form a caller can act on.
///
/// Secrets never appear here: the API key and passwords are scrubbed from any
/// text the server sent back before it is stored.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// An argument was rejected before anything was sent.
    #[error("invalid {field}: {reason}")]
    InvalidInput {
        /// The argument at fault, as the API names it (`username`, `limit`, ...).
        field: &'static str,
        /// What is wrong with it, in lowercase words.
        reason: String,
    },
    /// 401: the API key was missing or wrong.
    #[error("unauthorized: the API key was rejected{}", Suffix(.0))]
    Unauthorized(Reply),
    /// 403: the key may not do this.
    #[error("forbidden{}", Suffix(.0))]
    Forbidden(Reply),
    /// 404: the user (or path) does not exist.
    #[error("not found{}", Suffix(.0))]
    NotFound(Reply),
    /// 405: the server does not allow this method here.
    #[error("method not allowed{}", Suffix(.0))]
    MethodNotAllowed(Reply),
    /// 429: too many requests.
    #[error("rate limited{}{}", RetryHint(.retry_after), Suffix(.reply))]
    RateLimited {
        /// The response.
        reply: Reply,
        /// When the server said to come back, if it did.
        retry_after: Option<RetryAfter>,
    },
    /// 400: the server rejected the request's content.
    #[error("bad request{}", Suffix(.0))]
    BadRequest(Reply),
    /// 5xx: the server failed.
    #[error("server error {}{}", .0.status, Suffix(.0))]
    Server(Reply),
    /// Any other status that is not a success (including redirects, which are
    /// never followed).
    #[error("unexpected status {}{}", .0.status, Suffix(.0))]
    UnexpectedStatus(Reply),
    /// A success response whose body could not be understood.
    #[error("could not decode the response: {reason}")]
    Decode {
        /// What did not fit.
        reason: String,
        /// The start of the body, as text.
        body: String,
    },
    /// The request never got a response (DNS, connection, TLS, CORS, ...).
    #[error("network error: {message}")]
    Network {
        /// What the transport reported.
        message: String,
    },
    /// One attempt took longer than its timeout.
    #[error("request timed out")]
    Timeout,
    /// The caller cancelled the call.
    #[error("request aborted")]
    Aborted,
    /// A wait for a change to become visible passed its deadline.
    #[error("gave up after {}s waiting for {what}", .waited.as_secs())]
    WaitTimedOut {
        /// What was awaited, e.g. `user "alice" to exist`.
        what: String,
        /// How long the wait lasted.
        waited: Duration,
    },
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
    /// See [`Error::Server`].
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
    /// See [`Error::WaitTimedOut`].
    WaitTimeout,
}

impl ErrorCode {
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
}

/// When a rate-limited request may be tried again, as the server said it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RetryAfter {
    /// `Retry-After: <seconds>`.
    Delay(Duration),
    /// `Retry-After: <HTTP-date>`.
    At(SystemTime),
}

/// Reads fractional seconds such as `1.5` (below 10^12 s, nanosecond
/// precision) with integer arithmetic: parsing floats would add tens of
/// kilobytes to the WebAssembly build.
fn decimal_seconds(value: &str) -> Option<Duration> {
    let (whole, fraction) = value.strip_prefix('+').unwrap_or(value).split_once('.')?;
    let digits = |text: &str| text.bytes().all(|b| b.is_ascii_digit());
    if (whole.is_empty() && fraction.is_empty()) || !digits(whole) || !digits(fraction) {
        return None;
    }
    let whole = whole.trim_start_matches('0');
    if whole.len() > 12 {
        return None;
    }
    let seconds: u64 = if whole.is_empty() {
        0
    } else {
        whole.parse().ok()?
    };
    let nanos = fraction
        .bytes()
        .chain(std::iter::repeat(b'0'))
        .take(9)
        .fold(0u32, |nanos, digit| nanos * 10 + u32::from(digit - b'0'));
    Some(Duration::new(seconds, nanos))
}

impl RetryAfter {
    /// Parses a `Retry-After` header value (seconds or an HTTP-date).
    pub fn parse(value: &str) -> Option<Self> {
        let value = value.trim();
        if let Ok(seconds) = value.parse::<u64>() {
            return Some(Self::Delay(Duration::from_secs(seconds)));
        }
        if let Some(delay) = decimal_seconds(value) {
            return Some(Self::Delay(delay));
        }
        crate::date::parse_http_date(value).map(Self::At)
    }

    /// How long to wait from `now`; zero when the date has passed.
    pub fn delay_from(self, now: SystemTime) -> Duration {
        match self {
            Self::Delay(delay) => delay,
            Self::At(at) => at.duration_since(now).unwrap_or_default(),
        }
    }
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
            Self::BadRequest(_) => ErrorCode::BadRequest,
            Self::Server(_) => ErrorCode::ServerError,
            Self::UnexpectedStatus(_) => ErrorCode::UnexpectedStatus,
            Self::Decode { .. } => ErrorCode::Decode,
            Self::Network { .. } => ErrorCode::Network,
            Self::Timeout => ErrorCode::Timeout,
            Self::Aborted => ErrorCode::Aborted,
            Self::WaitTimedOut { .. } => ErrorCode::WaitTimeout,
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
            | Self::Server(reply)
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
        };
        match response.status {
            400 => Self::BadRequest(reply),
            401 => Self::Unauthorized(reply),
            403 => Self::Forbidden(reply),
            404 => Self::NotFound(reply),
            405 => Self::MethodNotAllowed(reply),
            429 => Self::RateLimited {
                retry_after: response.header("retry-after").and_then(RetryAfter::parse),
                reply,
            },
            500..=599 => Self::Server(reply),
            _ => Self::UnexpectedStatus(reply),
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
    pub fn redact(self, secrets: &[&str]) -> Self {
        self.redact_forms(&secret_forms(secrets))
    }

    /// The error a failed response stands for, with every form of
    /// `secrets` scrubbed from the body before anything is read or cut from
    /// it, and from the text read out of it.
    pub(crate) fn from_response_with_secrets(response: &Response, secrets: &[&str]) -> Self {
        let forms = secret_forms(secrets);
        Self::from_response(&scrub_forms(response, &forms)).redact_forms(&forms)
    }

    fn redact_forms(mut self, forms: &[SecretForm]) -> Self {
        let scrub = |text: &mut String| {
            for form in forms {
                if let Some(scrubbed) = form.replace_in(text.as_bytes()) {
                    // Only whole UTF-8 sequences are replaced, by ASCII.
                    *text = String::from_utf8_lossy(&scrubbed).into_owned();
                }
            }
        };
        match &mut self {
            Self::Unauthorized(reply)
            | Self::Forbidden(reply)
            | Self::NotFound(reply)
            | Self::MethodNotAllowed(reply)
            | Self::RateLimited { reply, .. }
            | Self::BadRequest(reply)
            | Self::Server(reply)
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
            Self::WaitTimedOut { what, .. } => scrub(what),
            Self::Timeout | Self::Aborted => {}
        }
        self
    }
}

/// What a secret is replaced with.
const REDACTED: &str = "[redacted]";

/// Secrets at least this many characters long are redacted wherever they
/// occur; shorter ones only where they stand as a whole token.
///
/// A one-letter password is a letter of many words: replacing every `x`
/// would turn the server's "User already exists" into "User already
/// e[redacted]ists" and tell a reader that the password is `x`. A short
/// secret that a server echoes stands apart from its neighbours (`password
/// x is too weak`, `"x"`, `password=x&`), so it is still caught there. A
/// secret of eight characters or more is unlikely to occur inside ordinary
/// words by chance, and may be echoed glued to other text, so it is
/// replaced wherever it occurs.
pub const REDACT_ANYWHERE_MIN_CHARS: usize = 8;

/// One form a secret may take in text, and whether it counts anywhere or
/// only as a whole token.
#[derive(Clone, PartialEq, Eq)]
pub(crate) struct SecretForm {
    text: String,
    anywhere: bool,
}

impl SecretForm {
    /// `haystack` with every occurrence of this form that counts replaced by
    /// `[redacted]`, or `None` when there is none.
    fn replace_in(&self, haystack: &[u8]) -> Option<Vec<u8>> {
        let needle = self.text.as_bytes();
        let first = needle.first()?;
        let last = needle.last()?;
        // A secret whose own edge is not a word character has a token
        // boundary there whatever stands beside it.
        let open_start = self.anywhere || !is_word_byte(*first);
        let open_end = self.anywhere || !is_word_byte(*last);
        let mut out: Option<Vec<u8>> = None;
        let mut copied = 0;
        let mut at = 0;
        while at + needle.len() <= haystack.len() {
            let end = at + needle.len();
            let counts = haystack[at..end] == *needle
                && (open_start || at == 0 || !is_word_byte(haystack[at - 1]))
                && (open_end || end == haystack.len() || !is_word_byte(haystack[end]));
            if counts {
                let out = out.get_or_insert_with(|| Vec::with_capacity(haystack.len()));
                out.extend_from_slice(&haystack[copied..at]);
                out.extend_from_slice(REDACTED.as_bytes());
                copied = end;
                at = end;
            } else {
                at += 1;
            }
        }
        let mut out = out?;
        out.extend_from_slice(&haystack[copied..]);
        Some(out)
    }
}

/// Whether a byte belongs to a word: ASCII letters, digits and `_`, and
/// every byte of a non-ASCII character (most of which are letters).
fn is_word_byte(byte: u8) -> bool {
    byte.is_ascii_alphanumeric() || byte == b'_' || !byte.is_ascii()
}

/// Every form of each secret worth scrubbing: the text itself, JSON-escaped
/// (as `JSON.stringify` writes it, with `\u` escapes for everything beyond
/// ASCII, and either with `/` escaped), form-urlencoded, and percent-encoded
/// as a path segment. Longest first, so that no shorter form cuts a longer
/// one apart.
pub(crate) fn secret_forms(secrets: &[&str]) -> Vec<SecretForm> {
    let mut forms: Vec<SecretForm> = Vec::new();
    for secret in secrets.iter().filter(|secret| !secret.is_empty()) {
        let anywhere = secret.chars().count() >= REDACT_ANYWHERE_MIN_CHARS;
        let mut json = String::new();
        crate::ops::push_json_string(&mut json, secret);
        let json = json[1..json.len() - 1].to_owned();
        let mut ascii = String::new();
        for unit in json.encode_utf16() {
            match char::from_u32(u32::from(unit)) {
                Some(c) if c.is_ascii() => ascii.push(c),
                _ => crate::ops::push_unicode_escape(&mut ascii, unit),
            }
        }
        // PHP's json_encode also escapes `/`.
        let json_slashed = json.replace('/', "\\/");
        let ascii_slashed = ascii.replace('/', "\\/");
        let form: String = form_urlencoded::byte_serialize(secret.as_bytes()).collect();
        let segment = crate::ops::encode_path_segment(secret);
        for text in [
            (*secret).to_owned(),
            json,
            ascii,
            json_slashed,
            ascii_slashed,
            form,
            segment,
        ] {
            let candidate = SecretForm { text, anywhere };
            if let Some(known) = forms.iter_mut().find(|form| form.text == candidate.text) {
                known.anywhere |= candidate.anywhere;
            } else {
                let at = forms.partition_point(|form| form.text.len() >= candidate.text.len());
                forms.insert(at, candidate);
            }
        }
    }
    forms
}

/// The response with every form of each secret replaced in its body, so
/// that nothing read from it (message, snippet) can hold a secret, not even
/// part of one cut off at a length limit.
pub(crate) fn scrub_response(response: &Response, secrets: &[&str]) -> Response {
    scrub_forms(response, &secret_forms(secrets))
}

fn scrub_forms(response: &Response, forms: &[SecretForm]) -> Response {
    let mut body = response.body.clone();
    for form in forms {
        if let Some(scrubbed) = form.replace_in(&body) {
            body = scrubbed;
        }
    }
    Response {
        body,
        ..response.clone()
    }
}

struct Suffix<'a>(&'a Reply);

impl fmt::Display for Suffix<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.0.message {
            Some(message) => write!(f, ": {message}"),
            None => Ok(()),
        }
    }
}

struct RetryHint<'a>(&'a Option<RetryAfter>);

impl fmt::Display for RetryHint<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            Some(RetryAfter::Delay(delay)) => write!(f, " (retry after {}s)", delay.as_secs()),
            Some(RetryAfter::At(at)) => {
                write!(f, " (retry after {})", crate::date::HttpDate(*at))
            }
            None => Ok(()),
        }
    }
}

/// Longest server message kept, in characters.
const MESSAGE_LIMIT: usize = 300;
/// How much of an error body is searched for the server's message, in bytes.
const MESSAGE_SOURCE_LIMIT: usize = 64 * 1024;
/// Longest body snippet kept, in bytes.
const SNIPPET_LIMIT: usize = 1024;

/// The start of a body as text, bounded to [`SNIPPET_LIMIT`] bytes.
pub(crate) fn body_snippet(body: &[u8]) -> String {
    let head = &body[..body.len().min(SNIPPET_LIMIT)];
    String::from_utf8_lossy(head).into_owned()
}

/// Finds the server's own words in an error response.
fn server_message(response: &Response) -> Option<String> {
    let head = &response.body[..response.body.len().min(MESSAGE_SOURCE_LIMIT)];
    let text = String::from_utf8_lossy(head);
    let text = text.trim();
    if text.is_empty() {
        return None;
    }
    if let Ok(value) = json::parse(text.as_bytes())
        && let Some(message) = json_message(&value)
    {
        return bounded(&message);
    }
    let is_html = response
        .header("content-type")
        .is_some_and(|ct| ct.to_ascii_lowercase().contains("html"))
        || text.starts_with('<');
    if is_html {
        return bounded(&html_to_text(text));
    }
    bounded(text)
}

/// The message in a JSON error body: `error`, `message`, `reason` or `errors`.
fn json_message(value: &Json<'_>) -> Option<String> {
    match value {
        Json::String(text) => Some(text.to_string()),
        Json::Object(_) => {
            for key in ["error", "message", "reason", "error_description", "detail"] {
                match value.get(key) {
                    Some(Json::String(text)) if !text.trim().is_empty() => {
                        return Some(text.to_string());
                    }
                    Some(nested @ Json::Object(_)) => {
                        if let Some(text) = json_message(nested) {
                            return Some(text);
                        }
                    }
                    _ => {}
                }
            }
            value.get("errors").and_then(errors_message)
        }
        _ => None,
    }
}

/// Joins an `errors` field: a list of strings or objects, or a map of field
/// names to messages.
fn errors_message(errors: &Json<'_>) -> Option<String> {
    let parts: Vec<String> = match errors {
        Json::String(text) => vec![text.to_string()],
        Json::Array(items) => items.iter().filter_map(json_message).collect(),
        Json::Object(members) => members
            .iter()
            .filter_map(|(field, value)| {
                let text = match value {
                    Json::Array(items) => {
                        let texts: Vec<String> = items.iter().filter_map(json_message).collect();
                        (!texts.is_empty()).then(|| texts.join(", "))
                    }
                    other => json_message(other),
                }?;
                Some(format!("{field}: {text}"))
            })
            .collect(),
        _ => Vec::new(),
    };
    (!parts.is_empty()).then(|| parts.join("; "))
}

/// Reduces an HTML page to its readable text: tags, scripts and styles
/// dropped, common entities decoded, white space folded.
fn html_to_text(html: &str) -> String {
    // ASCII lowercasing keeps every byte offset, so positions found in
    // `lower` apply to `html`.
    let lower = html.to_ascii_lowercase();
    let mut out = String::with_capacity(html.len().min(4096));
    let mut at = 0;
    while let Some(start) = html[at..].find('<').map(|i| at + i) {
        out.push_str(&html[at..start]);
        out.push(' ');
        let tag = &lower[start..];
        let end = if tag.starts_with("<script") {
            tag.find("</script>").map(|i| i + "</script>".len())
        } else if tag.starts_with("<style") {
            tag.find("</style>").map(|i| i + "</style>".len())
        } else if tag.starts_with("<!--") {
            tag.find("-->").map(|i| i + 3)
        } else {
            tag.find('>').map(|i| i + 1)
        };
        match end {
            Some(end) => at = start + end,
            None => {
                at = html.len();
                break;
            }
        }
    }
    out.push_str(&html[at..]);
    let decoded = out
        .replace("&nbsp;", " ")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&amp;", "&");
    decoded.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Trims and bounds a message; `None` when nothing is left.
fn bounded(text: &str) -> Option<String> {
    let text = text.trim();
    if text.is_empty() {
        return None;
    }
    match text.char_indices().nth(MESSAGE_LIMIT) {
        Some((cut, _)) => Some(format!("{}…", text[..cut].trim_end())),
        None => Some(text.to_owned()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn response(status: u16, content_type: &str, body: &str) -> Response {
        let mut headers = Vec::new();
        if !content_type.is_empty() {
            headers.push(("content-type".to_owned(), content_type.to_owned()));
        }
        Response::new(status, headers, body.as_bytes().to_vec())
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
    fn message_comes_from_json_text_html_or_nothing() {
        let cases = [
            (
                r#"{"error":"Username taken"}"#,
                "application/json",
                Some("Username taken"),
            ),
            (r#"{"message":"bad"}"#, "application/json", Some("bad")),
            (r#"{"reason":"why not"}"#, "", Some("why not")),
            (r#"{"error":{"message":"nested"}}"#, "", Some("nested")),
            (r#"{"errors":["a","b"]}"#, "", Some("a; b")),
            (r#"{"errors":[{"message":"a"}]}"#, "", Some("a")),
            (
                r#"{"errors":{"username":["is taken"]}}"#,
                "",
                Some("username: is taken"),
            ),
            (r#""plain json string""#, "", Some("plain json string")),
            (
                "  Service Unavailable \n",
                "text/plain",
                Some("Service Unavailable"),
            ),
            (
                "<html><head><title>502 Bad Gateway</title><style>b{}</style></head><body><h1>Bad &amp; Gateway</h1><script>x()</script></body></html>",
                "text/html",
                Some("502 Bad Gateway Bad & Gateway"),
            ),
            ("", "", None),
            ("   ", "text/plain", None),
            ("{}", "application/json", Some("{}")),
        ];
        for (body, content_type, expected) in cases {
            let error = Error::from_response(&response(500, content_type, body));
            assert_eq!(error.server_message(), expected, "body {body:?}");
        }
    }

    #[test]
    fn long_messages_are_bounded() {
        let body = "x".repeat(5000);
        let error = Error::from_response(&response(500, "text/plain", &body));
        let message = error.server_message().unwrap();
        assert_eq!(message.chars().count(), MESSAGE_LIMIT + 1);
        assert!(message.ends_with('…'));
        assert_eq!(error.reply().unwrap().body.len(), SNIPPET_LIMIT);
    }

    #[test]
    fn retry_after_reads_seconds_and_dates() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_000_000_000);
        assert_eq!(
            RetryAfter::parse("7").map(|r| r.delay_from(now)),
            Some(Duration::from_secs(7))
        );
        let date = httpdate::fmt_http_date(now + Duration::from_secs(30));
        assert_eq!(
            RetryAfter::parse(&date).map(|r| r.delay_from(now)),
            Some(Duration::from_secs(30))
        );
        let past = httpdate::fmt_http_date(now - Duration::from_secs(30));
        assert_eq!(
            RetryAfter::parse(&past).map(|r| r.delay_from(now)),
            Some(Duration::ZERO)
        );
        assert_eq!(RetryAfter::parse("soon"), None);
        assert_eq!(RetryAfter::parse("-1"), None);
        let seconds = |text: &str| RetryAfter::parse(text).map(|r| r.delay_from(now));
        assert_eq!(seconds("1.5"), Some(Duration::from_millis(1500)));
        assert_eq!(seconds(".25"), Some(Duration::from_millis(250)));
        assert_eq!(seconds("2."), Some(Duration::from_secs(2)));
        assert_eq!(
            seconds("0.1234567891"),
            Some(Duration::from_nanos(123_456_789))
        );
        assert_eq!(
            seconds("999999999999.5"),
            Some(Duration::new(999_999_999_999, 500_000_000))
        );
        assert_eq!(seconds("1000000000000.5"), None);
        assert_eq!(seconds("."), None);
        assert_eq!(seconds("1.5.2"), None);
        assert_eq!(seconds("-1.5"), None);
        let mut limited = response(429, "", "");
        limited.headers.push(("Retry-After".into(), "3".into()));
        let error = Error::from_response(&limited);
        assert_eq!(error.retry_after(now), Some(Duration::from_secs(3)));
        assert_eq!(error.to_string(), "rate limited (retry after 3s)");
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
}
