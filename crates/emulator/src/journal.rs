//! The journal of API requests that `GET /_emulator/requests` shows, so
//! that a test can assert on what its client sent.
//!
//! Every request to the API (`/api/...` and anything else outside
//! `/_emulator/` and `/health`) gets one [`Entry`] with a sequence number
//! that only grows (clearing the journal does not reset it). The journal
//! keeps the last [`CAPACITY`] entries and drops older ones.
//!
//! Secrets never reach it ([`crate::redact`]): the API key is replaced by
//! `[redacted]` wherever it appears in the path, the query or the body
//! (plainly or percent-encoded in the path), and the value of every field
//! named `password` (at any depth of a JSON body, and in the query) is
//! `[redacted]`.

use std::collections::VecDeque;
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use serde::Serialize;
use serde_json::Value;

use crate::redact::{loggable_path, redact_query, redact_value};
use crate::wire::{ApiRequest, Fields};

/// How many entries the journal keeps; older ones are dropped.
pub const CAPACITY: usize = 1000;

/// One API request as the journal shows it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Entry {
    /// Its sequence number, from 1, one more for each request.
    pub seq: u64,
    /// The method, e.g. `POST`.
    pub method: String,
    /// The path, without the query.
    pub path: String,
    /// The query string without its `?` (empty when there is none).
    pub query: String,
    /// The status answered.
    pub status: u16,
    /// How long the answer took, in milliseconds.
    pub duration_ms: f64,
    /// The body's fields (JSON, form or multipart), secrets redacted;
    /// `null` without a body or when it could not be read.
    pub body: Value,
    /// Why `--strict` found that the real API would not accept it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub flagged: Option<String>,
}

/// The journal: the last [`CAPACITY`] entries.
#[derive(Debug, Default)]
pub struct Journal {
    inner: Mutex<Inner>,
}

#[derive(Debug, Default)]
struct Inner {
    last_seq: u64,
    entries: VecDeque<Entry>,
}

impl Journal {
    /// Records a request and its answer, secrets redacted.
    pub fn record(
        &self,
        request: &ApiRequest,
        api_key: &str,
        status: u16,
        duration: Duration,
        flagged: Option<String>,
    ) {
        let (path, query) = request
            .url
            .split_once('?')
            .unwrap_or((request.url.as_str(), ""));
        let body = redacted_body(request, api_key);
        let mut inner = self.lock();
        inner.last_seq += 1;
        let entry = Entry {
            seq: inner.last_seq,
            method: request.method.clone(),
            path: loggable_path(path, api_key),
            query: redact_query(query, api_key),
            status,
            duration_ms: (duration.as_secs_f64() * 1000.0 * 1000.0).round() / 1000.0,
            body,
            flagged,
        };
        if inner.entries.len() == CAPACITY {
            inner.entries.pop_front();
        }
        inner.entries.push_back(entry);
    }

    /// The entries with a sequence number above `since`, oldest first.
    #[must_use]
    pub fn since(&self, since: u64) -> Vec<Entry> {
        self.lock()
            .entries
            .iter()
            .filter(|entry| entry.seq > since)
            .cloned()
            .collect()
    }

    /// Removes every entry (sequence numbers go on from where they were).
    pub fn clear(&self) {
        self.lock().entries.clear();
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// The body's fields with secrets redacted, `null` for none.
fn redacted_body(request: &ApiRequest, api_key: &str) -> Value {
    if request.body.iter().all(u8::is_ascii_whitespace) {
        return Value::Null;
    }
    match Fields::parse(request, "") {
        Ok(fields) => redact_value(Value::Object(fields.into_map()), api_key),
        Err(_) => Value::Null,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(url: &str, content_type: &str, body: &str) -> ApiRequest {
        ApiRequest {
            method: "POST".into(),
            url: url.into(),
            headers: vec![("content-type".into(), content_type.into())],
            body: body.as_bytes().to_vec(),
        }
    }

    #[test]
    fn secrets_never_reach_the_journal() {
        let journal = Journal::default();
        let key = "k3y-s3cret";
        for request in [
            request(
                "/api/user?password=q-pw&x=k3y-s3cret",
                "application/json",
                r#"{"username":"alice","password":"json-pw","nested":{"Password":"deep-pw"},"note":"k3y-s3cret"}"#,
            ),
            request(
                "/api/user/k3y-s3cret",
                "application/x-www-form-urlencoded",
                "username=bob&password=form-pw",
            ),
            request("/api/user/k%33y-s3cret", "text/plain", "password=plain-pw"),
        ] {
            journal.record(&request, key, 204, Duration::from_millis(1), None);
        }
        let shown = serde_json::to_string(&journal.since(0)).unwrap();
        for secret in [
            key,
            "k%33y-s3cret",
            "q-pw",
            "json-pw",
            "deep-pw",
            "form-pw",
            "plain-pw",
        ] {
            assert!(!shown.contains(secret), "{secret} in {shown}");
        }
        assert!(shown.contains("alice") && shown.contains("bob"), "{shown}");
    }

    #[test]
    fn entries_are_numbered_bounded_and_cleared() {
        let journal = Journal::default();
        let get = ApiRequest {
            method: "GET".into(),
            url: "/api/user?limit=5".into(),
            ..ApiRequest::default()
        };
        for _ in 0..CAPACITY + 5 {
            journal.record(&get, "key", 200, Duration::ZERO, None);
        }
        let all = journal.since(0);
        assert_eq!(all.len(), CAPACITY);
        assert_eq!(all[0].seq, 6);
        assert_eq!(all[0].query, "limit=5");
        assert_eq!(all[0].body, Value::Null);
        assert_eq!(journal.since(1003).len(), 2);
        journal.clear();
        assert!(journal.since(0).is_empty());
        journal.record(&get, "key", 200, Duration::ZERO, Some("why".into()));
        assert_eq!(journal.since(0)[0].seq, CAPACITY as u64 + 6);
    }
}
