//! The management API: one request value in, one response value out.
//!
//! [`App::handle`] does everything but the socket work, so tests can drive
//! it with any bytes: it sleeps the injected latency, judges the injected
//! faults, checks the key, then takes the lock and the time and hands the
//! request to `Inner::respond`, which answers it from the state and `now`
//! alone (no clock, sleep or lock of its own). Order of checks: added
//! latency, rate limit, injected failure, authentication, path (404),
//! method (405), body and arguments (400), then the operation (404 for
//! unknown users, 204 on success). A
//! body over the size limit never gets here: the HTTP layer answers 413 at
//! once, before latency, rate limit, injected failure and authentication
//! (see [`crate::server`]).
//!
//! Endpoints, under `/api`:
//!
//! | path | methods |
//! | --- | --- |
//! | `/user` | `GET` (list: `limit` 1–1000, default 1000; `page` from 1; `query` name prefix), `POST` (create) |
//! | `/user/{name}` | `GET` (user and its topic rules), `PUT` (password), `DELETE` |
//! | `/acl` | `GET` (all rules), `POST` (create), `DELETE` (by `username` and `topic`) |
//! | `/instance/restart`, `/instance/reset` | `POST` |
//!
//! Choices where the reference is silent:
//! - Writes answer `204 No Content`; creating a user that exists (or is
//!   being created) is a 400; a topic rule for an unknown user, and a
//!   delete that matches no rule, are 404s.
//! - Creating a rule with the kind, user and pattern of an existing one
//!   replaces its flags.
//! - `DELETE /acl` removes the user's topic rules for `topic`; without a
//!   `username` (absent or `null`) it removes the pattern rules for `topic`.
//!   Fields missing from the body are also read from the query string.
//! - `GET /user/{name}` lists the user's topic rules (pattern rules are in
//!   `GET /acl`).
//! - `POST /instance/restart` restarts the broker and answers once it
//!   accepts connections again; users and rules are kept.
//!   `POST /instance/reset` removes every user and rule, pending changes
//!   included, at once, then restarts the broker; the instance is as new.
//! - Request bodies are JSON when `Content-Type` says so
//!   (`application/json` or `+json`), `multipart/form-data` (a browser's
//!   `FormData`) when it says that, and form-urlencoded otherwise.

use std::io;
use std::sync::{Condvar, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant, SystemTime};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use cloudmqtt_api::{AclKind, AclRule, validate};
use serde_json::{Map, Value};
use sha2::{Digest as _, Sha256};
use subtle::ConstantTimeEq as _;

use crate::broker::{Broker, BrokerFiles};
use crate::faults::{Faults, Verdict};
use crate::mosquitto;
use crate::store::{Change, Refusal, Store};

/// A request as the HTTP layer hands it over.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ApiRequest {
    /// The method, e.g. `GET`.
    pub method: String,
    /// The request target: path and query, e.g. `/api/user?limit=10`.
    pub url: String,
    /// Header names and values.
    pub headers: Vec<(String, String)>,
    /// The body.
    pub body: Vec<u8>,
}

impl ApiRequest {
    /// The first value of a header, by case-insensitive name.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(key, _)| key.eq_ignore_ascii_case(name))
            .map(|(_, value)| value.as_str())
    }
}

/// A response for the HTTP layer to send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiResponse {
    /// The status code.
    pub status: u16,
    /// Extra headers (`Content-Type`, `Allow`, `Retry-After`, ...).
    pub headers: Vec<(String, String)>,
    /// The body.
    pub body: Vec<u8>,
}

impl ApiResponse {
    /// A JSON response.
    pub fn json(status: u16, value: &impl serde::Serialize) -> Self {
        match serde_json::to_vec(value) {
            Ok(body) => Self {
                status,
                headers: vec![("Content-Type".into(), "application/json".into())],
                body,
            },
            Err(_) => Self::error(500, "internal error: could not encode the response"),
        }
    }

    /// `{"error": message}` with a status.
    pub fn error(status: u16, message: impl Into<String>) -> Self {
        let body = serde_json::json!({ "error": message.into() });
        Self {
            status,
            headers: vec![("Content-Type".into(), "application/json".into())],
            body: body.to_string().into_bytes(),
        }
    }

    /// An empty success.
    pub fn no_content() -> Self {
        Self {
            status: 204,
            headers: Vec::new(),
            body: Vec::new(),
        }
    }

    /// The response with one more header.
    pub fn with_header(mut self, name: &str, value: impl Into<String>) -> Self {
        self.headers.push((name.into(), value.into()));
        self
    }

    /// The first value of a header, by case-insensitive name.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(key, _)| key.eq_ignore_ascii_case(name))
            .map(|(_, value)| value.as_str())
    }
}

/// How the API behaves.
#[derive(Debug)]
pub struct AppSettings {
    /// The API key clients must present.
    pub api_key: cloudmqtt_api::Secret,
    /// How long creates and deletes take to apply.
    pub apply_delay: Duration,
    /// Injected faults.
    pub faults: Faults,
}

/// The state behind the lock: the store and the broker that mirrors it.
#[derive(Debug)]
struct Inner {
    store: Store,
    broker: Option<Broker>,
}

impl Inner {
    /// Applies the changes due at `now`, then makes the broker enforce them
    /// before anyone can read them.
    fn apply_due(&mut self, now: SystemTime) {
        if self.store.state().next_due().is_none_or(|due| due > now) {
            return;
        }
        match self
            .store
            .update(|state| Ok::<_, io::Error>(state.apply_due(now)))
        {
            Ok(true) => self.sync_broker(),
            Ok(false) => {}
            Err(error) => {
                log!("cloudmqtt-emulator: could not save applied changes: {error}");
            }
        }
    }

    fn files(&self) -> BrokerFiles {
        BrokerFiles::from_snapshot(&self.store.state().applied)
    }

    fn sync_broker(&self) {
        if let Some(broker) = &self.broker
            && let Err(error) = broker.reload(self.files())
        {
            log!("cloudmqtt-emulator: the broker did not reload: {error}");
        }
    }
}

/// The emulated service: settings, state, broker.
pub struct App {
    key_digest: [u8; 32],
    apply_delay: Duration,
    faults: Faults,
    inner: Mutex<Inner>,
    changed: Condvar,
}

impl std::fmt::Debug for App {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The key's digest stays out of debug output.
        f.debug_struct("App")
            .field("apply_delay", &self.apply_delay)
            .field("faults", &self.faults)
            .finish_non_exhaustive()
    }
}

/// Why a write failed.
enum WriteError {
    Refused(Refusal),
    Io(io::Error),
}

impl From<io::Error> for WriteError {
    fn from(error: io::Error) -> Self {
        Self::Io(error)
    }
}

impl From<WriteError> for ApiResponse {
    fn from(error: WriteError) -> Self {
        match error {
            WriteError::Refused(refusal) => {
                let status = match refusal {
                    Refusal::UserExists(_) => 400,
                    Refusal::NoSuchUser(_) | Refusal::NoSuchRule { .. } => 404,
                };
                ApiResponse::error(status, refusal.to_string())
            }
            WriteError::Io(error) => {
                log!("cloudmqtt-emulator: could not save the state: {error}");
                ApiResponse::error(500, "internal error: could not save the state")
            }
        }
    }
}

/// The paths the API serves.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Route {
    Users,
    User(String),
    Acl,
    Restart,
    Reset,
}

impl Route {
    fn parse(path: &str) -> Option<Self> {
        let rest = path.strip_prefix("/api/")?;
        let rest = rest.strip_suffix('/').unwrap_or(rest);
        Some(match rest {
            "user" => Self::Users,
            "acl" => Self::Acl,
            "instance/restart" => Self::Restart,
            "instance/reset" => Self::Reset,
            _ => {
                let name = rest.strip_prefix("user/")?;
                if name.is_empty() || name.contains('/') {
                    return None;
                }
                Self::User(name.to_owned())
            }
        })
    }

    fn allowed(&self) -> &'static [&'static str] {
        match self {
            Self::Users => &["GET", "POST"],
            Self::User(_) => &["GET", "PUT", "DELETE"],
            Self::Acl => &["GET", "POST", "DELETE"],
            Self::Restart | Self::Reset => &["POST"],
        }
    }
}

/// `invalid {field}: {reason}`, worded like the core's validation errors.
fn invalid(field: &str, reason: &str) -> ApiResponse {
    ApiResponse::error(400, format!("invalid {field}: {reason}"))
}

fn rejected(error: &cloudmqtt_api::Error) -> ApiResponse {
    ApiResponse::error(400, error.to_string())
}

/// The fields of a request body (and query string, as a fallback).
struct Fields(Map<String, Value>);

impl Fields {
    fn parse(request: &ApiRequest, query: &str) -> Result<Self, ApiResponse> {
        let content_type = request.header("content-type").unwrap_or("");
        let media = content_type
            .split(';')
            .next()
            .unwrap_or("")
            .trim()
            .to_ascii_lowercase();
        let is_json = media == "application/json" || media.ends_with("+json");
        let mut map = if request.body.iter().all(u8::is_ascii_whitespace) {
            Map::new()
        } else if media == "multipart/form-data" {
            parse_multipart(&request.body, content_type)?
        } else if is_json {
            match serde_json::from_slice::<Value>(&request.body) {
                Ok(Value::Object(map)) => map,
                Ok(_) => return Err(invalid("body", "must be a JSON object")),
                Err(error) => return Err(invalid("body", &format!("not valid JSON: {error}"))),
            }
        } else {
            form_urlencoded::parse(&request.body)
                .map(|(key, value)| (key.into_owned(), Value::String(value.into_owned())))
                .collect()
        };
        for (key, value) in form_urlencoded::parse(query.as_bytes()) {
            map.entry(key.into_owned())
                .or_insert_with(|| Value::String(value.into_owned()));
        }
        Ok(Self(map))
    }

    /// A text field: `None` when absent or `null`.
    fn text(&self, name: &'static str) -> Result<Option<String>, ApiResponse> {
        match self.0.get(name) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(text)) => Ok(Some(text.clone())),
            Some(_) => Err(invalid(name, "must be a string")),
        }
    }

    fn required(&self, name: &'static str) -> Result<String, ApiResponse> {
        self.text(name)?.ok_or_else(|| invalid(name, "is required"))
    }

    /// A permission flag: a boolean, 0 or 1, or their text forms; absent is
    /// `false`.
    fn flag(&self, name: &'static str) -> Result<bool, ApiResponse> {
        let bad = || invalid(name, "must be true or false");
        match self.0.get(name) {
            None | Some(Value::Null) => Ok(false),
            Some(Value::Bool(flag)) => Ok(*flag),
            Some(Value::Number(number)) => match number.as_u64() {
                Some(0) => Ok(false),
                Some(1) => Ok(true),
                _ => Err(bad()),
            },
            Some(Value::String(text)) => match text.trim().to_ascii_lowercase().as_str() {
                "true" | "1" | "yes" | "on" => Ok(true),
                "false" | "0" | "no" | "off" | "" => Ok(false),
                _ => Err(bad()),
            },
            Some(_) => Err(bad()),
        }
    }
}

/// Reads the text fields of a `multipart/form-data` body (what a browser's
/// `FormData` sends).
fn parse_multipart(body: &[u8], content_type: &str) -> Result<Map<String, Value>, ApiResponse> {
    let boundary = content_type
        .split(';')
        .skip(1)
        .filter_map(|param| param.split_once('='))
        .find(|(name, _)| name.trim().eq_ignore_ascii_case("boundary"))
        .map(|(_, value)| value.trim().trim_matches('"'))
        .filter(|boundary| !boundary.is_empty())
        .ok_or_else(|| invalid("body", "multipart/form-data needs a boundary"))?;
    let delimiter = format!("--{boundary}");
    let delimiter = delimiter.as_bytes();
    let malformed = || invalid("body", "malformed multipart/form-data");
    let mut map = Map::new();
    let mut parts = split_bytes(body, delimiter).skip(1);
    for part in &mut parts {
        if part.starts_with(b"--") {
            return Ok(map);
        }
        let part = part.strip_prefix(b"\r\n").ok_or_else(malformed)?;
        let part = part.strip_suffix(b"\r\n").ok_or_else(malformed)?;
        let split = part
            .windows(4)
            .position(|window| window == b"\r\n\r\n")
            .ok_or_else(malformed)?;
        let head = String::from_utf8_lossy(&part[..split]);
        let value = &part[split + 4..];
        let name = head
            .split("\r\n")
            .filter(|line| {
                line.split(':')
                    .next()
                    .is_some_and(|name| name.trim().eq_ignore_ascii_case("content-disposition"))
            })
            .flat_map(|line| line.split(';'))
            .filter_map(|param| param.split_once('='))
            .find(|(key, _)| key.trim().eq_ignore_ascii_case("name"))
            .map(|(_, value)| value.trim().trim_matches('"').to_owned())
            .ok_or_else(malformed)?;
        map.insert(
            name,
            Value::String(String::from_utf8_lossy(value).into_owned()),
        );
    }
    Err(malformed())
}

/// Splits `bytes` at every occurrence of `delimiter`.
fn split_bytes<'a>(bytes: &'a [u8], delimiter: &'a [u8]) -> impl Iterator<Item = &'a [u8]> + 'a {
    let mut rest = Some(bytes);
    std::iter::from_fn(move || {
        let current = rest?;
        match current
            .windows(delimiter.len())
            .position(|window| window == delimiter)
        {
            Some(at) => {
                rest = Some(&current[at + delimiter.len()..]);
                Some(&current[..at])
            }
            None => {
                rest = None;
                Some(current)
            }
        }
    })
}

/// Reads a whole-number query parameter. A number too large for a `u32`
/// reads as `u32::MAX`, so that a range check names the range rather than
/// calling it no number at all.
fn number(field: &'static str, text: &str) -> Result<u32, ApiResponse> {
    match text.trim().parse::<u64>() {
        Ok(number) => Ok(u32::try_from(number).unwrap_or(u32::MAX)),
        Err(error) if *error.kind() == std::num::IntErrorKind::PosOverflow => Ok(u32::MAX),
        Err(_) => Err(invalid(field, "must be a whole number")),
    }
}

impl App {
    /// A new app over a store and, optionally, a broker that mirrors it.
    pub fn new(settings: AppSettings, store: Store, broker: Option<Broker>) -> Self {
        Self {
            key_digest: Sha256::digest(settings.api_key.expose().as_bytes()).into(),
            apply_delay: settings.apply_delay,
            faults: settings.faults,
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
    /// change falls due (or a new one is queued). Runs on its own thread.
    pub fn run_applier(&self, stop: &std::sync::atomic::AtomicBool) {
        let mut inner = self.lock();
        while !stop.load(std::sync::atomic::Ordering::SeqCst) {
            let now = SystemTime::now();
            inner.apply_due(now);
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

    /// Answers one request: the injected latency and faults, then the
    /// request itself, answered by [`Inner::respond`] from the state as it
    /// stands at this moment, under the lock.
    pub fn handle(&self, request: &ApiRequest) -> ApiResponse {
        if !self.faults.latency().is_zero() {
            std::thread::sleep(self.faults.latency());
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
            return ApiResponse::error(401, "unauthorized: wrong or missing API key")
                .with_header("WWW-Authenticate", "Basic realm=\"cloudmqtt\"");
        }
        let now = SystemTime::now();
        let mut inner = self.inner.lock().unwrap_or_else(PoisonError::into_inner);
        let response = inner.respond(request, now, self.apply_delay);
        drop(inner);
        if request.method != "GET" {
            // A change may have been queued: the applier's next due time moved.
            self.wake();
        }
        response
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

/// The API proper: a request answered from the state at `now`, every
/// change queued to fall due `apply_delay` later. No clock, no sleep and no
/// lock here: [`App::handle`] does those.
impl Inner {
    /// Answers an authenticated request: path (404), method (405), body and
    /// arguments (400), then the operation (404 for unknown users, 204 on
    /// success).
    pub(crate) fn respond(
        &mut self,
        request: &ApiRequest,
        now: SystemTime,
        apply_delay: Duration,
    ) -> ApiResponse {
        // What fell due by now applies before anything is read or written.
        self.apply_due(now);
        let (path, query) = request
            .url
            .split_once('?')
            .unwrap_or((request.url.as_str(), ""));
        let Some(route) = Route::parse(path) else {
            return ApiResponse::error(404, "not found");
        };
        let method = request.method.as_str();
        if !route.allowed().contains(&method) {
            return ApiResponse::error(405, "method not allowed")
                .with_header("Allow", route.allowed().join(", "));
        }
        let due = now + apply_delay;
        let result = match (route, method) {
            (Route::Users, "GET") => self.list_users(query),
            (Route::Users, _) => self.create_user(request, query, due, now),
            (Route::User(segment), method) => match decode_segment(&segment) {
                Err(response) => Err(response),
                Ok(name) => match method {
                    "GET" => self.get_user(&name),
                    "PUT" => self.update_password(&name, request, query),
                    _ => self.delete_user(&name, due, now),
                },
            },
            (Route::Acl, "GET") => Ok(self.list_rules()),
            (Route::Acl, "POST") => self.create_rule(request, query, due, now),
            (Route::Acl, _) => self.delete_rules(request, query, due, now),
            (Route::Restart, _) => self.restart(),
            (Route::Reset, _) => self.reset(),
        };
        result.unwrap_or_else(|response| response)
    }

    fn list_users(&self, query: &str) -> Result<ApiResponse, ApiResponse> {
        let mut limit = validate::MAX_LIMIT;
        let mut page = 1;
        let mut prefix = String::new();
        for (key, value) in form_urlencoded::parse(query.as_bytes()) {
            match key.as_ref() {
                "limit" => {
                    limit = number("limit", &value)?;
                    validate::limit("limit", limit).map_err(|e| rejected(&e))?;
                }
                "page" => {
                    page = number("page", &value)?;
                    validate::page(page).map_err(|e| rejected(&e))?;
                }
                "query" => {
                    validate::query(&value).map_err(|e| rejected(&e))?;
                    prefix = value.into_owned();
                }
                _ => {}
            }
        }
        let users = self.store.state().applied.list_users(&prefix, limit, page);
        Ok(ApiResponse::json(200, &users))
    }

    fn get_user(&self, name: &str) -> Result<ApiResponse, ApiResponse> {
        match self.store.state().applied.user_info(name) {
            Some(info) => Ok(ApiResponse::json(200, &info)),
            None => Err(ApiResponse::error(404, format!("user {name:?} not found"))),
        }
    }

    fn create_user(
        &mut self,
        request: &ApiRequest,
        query: &str,
        due: SystemTime,
        now: SystemTime,
    ) -> Result<ApiResponse, ApiResponse> {
        let fields = Fields::parse(request, query)?;
        let username = fields.required("username")?;
        validate::new_username(&username).map_err(|e| rejected(&e))?;
        let password = fields.required("password")?;
        validate::password(&password).map_err(|e| rejected(&e))?;
        let password_hash = hash(&password)?;
        self.queue(
            Change::CreateUser {
                username,
                password_hash,
            },
            due,
            now,
        )
    }

    fn update_password(
        &mut self,
        name: &str,
        request: &ApiRequest,
        query: &str,
    ) -> Result<ApiResponse, ApiResponse> {
        let fields = Fields::parse(request, query)?;
        let password = fields.required("password")?;
        validate::password(&password).map_err(|e| rejected(&e))?;
        let password_hash = hash(&password)?;
        let reload = self
            .store
            .update(|state| {
                state
                    .set_password(name, &password_hash)
                    .map_err(WriteError::Refused)
            })
            .map_err(ApiResponse::from)?;
        if reload {
            self.sync_broker();
        }
        Ok(ApiResponse::no_content())
    }

    fn delete_user(
        &mut self,
        name: &str,
        due: SystemTime,
        now: SystemTime,
    ) -> Result<ApiResponse, ApiResponse> {
        let change = Change::DeleteUser {
            username: name.to_owned(),
        };
        self.queue(change, due, now)
    }

    fn list_rules(&self) -> ApiResponse {
        ApiResponse::json(200, &self.store.state().applied.rules)
    }

    fn create_rule(
        &mut self,
        request: &ApiRequest,
        query: &str,
        due: SystemTime,
        now: SystemTime,
    ) -> Result<ApiResponse, ApiResponse> {
        let fields = Fields::parse(request, query)?;
        let kind = AclKind::parse(&fields.required("type")?).map_err(|e| rejected(&e))?;
        let username = fields.text("username")?;
        let pattern = match fields.text("pattern")? {
            Some(pattern) => pattern,
            None => fields
                .required("topic")
                .map_err(|_| invalid("pattern", "is required"))?,
        };
        let read = fields.flag("read")?;
        let write = fields.flag("write")?;
        validate::acl_rule(kind, username.as_deref(), &pattern).map_err(|e| rejected(&e))?;
        let rule = AclRule {
            kind,
            pattern,
            read,
            write,
            username,
        };
        self.queue(Change::CreateRule { rule }, due, now)
    }

    fn delete_rules(
        &mut self,
        request: &ApiRequest,
        query: &str,
        due: SystemTime,
        now: SystemTime,
    ) -> Result<ApiResponse, ApiResponse> {
        let fields = Fields::parse(request, query)?;
        let username = fields.text("username")?;
        if let Some(name) = &username {
            validate::username(name).map_err(|e| rejected(&e))?;
        }
        let topic = match fields.text("topic")? {
            Some(topic) => topic,
            None => fields
                .required("pattern")
                .map_err(|_| invalid("topic", "is required"))?,
        };
        validate::topic_filter("topic", &topic).map_err(|e| rejected(&e))?;
        self.queue(Change::DeleteRules { username, topic }, due, now)
    }

    /// Checks and queues a change to fall due at `due`, saves it, and
    /// applies it at once when it is already due.
    fn queue(
        &mut self,
        change: Change,
        due: SystemTime,
        now: SystemTime,
    ) -> Result<ApiResponse, ApiResponse> {
        self.store
            .update(|state| state.queue(change, due).map_err(WriteError::Refused))
            .map_err(ApiResponse::from)?;
        if due <= now {
            self.apply_due(now);
        }
        Ok(ApiResponse::no_content())
    }

    fn restart(&self) -> Result<ApiResponse, ApiResponse> {
        restart_broker(self)
    }

    fn reset(&mut self) -> Result<ApiResponse, ApiResponse> {
        self.store
            .update(|state| {
                state.reset();
                Ok::<_, WriteError>(())
            })
            .map_err(ApiResponse::from)?;
        restart_broker(self)
    }
}

/// Restarts the broker, if there is one, with the applied state's files.
fn restart_broker(inner: &Inner) -> Result<ApiResponse, ApiResponse> {
    if let Some(broker) = &inner.broker {
        broker.restart(inner.files()).map_err(|error| {
            log!("cloudmqtt-emulator: the broker did not restart: {error}");
            if error.kind() == io::ErrorKind::InvalidData {
                // The broker runs, but on the last files it accepted.
                ApiResponse::error(500, format!("internal error: {error}"))
            } else {
                ApiResponse::error(500, "internal error: the broker did not restart")
            }
        })?;
    }
    Ok(ApiResponse::no_content())
}

/// Percent-decodes a user name from a path segment.
fn decode_segment(segment: &str) -> Result<String, ApiResponse> {
    let name = percent_encoding::percent_decode_str(segment)
        .decode_utf8()
        .map_err(|_| invalid("username", "must be UTF-8"))?
        .into_owned();
    validate::username(&name).map_err(|e| rejected(&e))?;
    Ok(name)
}

fn hash(password: &str) -> Result<String, ApiResponse> {
    mosquitto::hash_new_password(password).map_err(|error| {
        log!("cloudmqtt-emulator: no randomness for a password salt: {error}");
        ApiResponse::error(500, "internal error: could not hash the password")
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The API's answers depend on the state and the `now` handed in, and
    /// on nothing else: a change queued with a minute's delay is invisible
    /// one millisecond before its time and visible at it, with no clock.
    #[test]
    fn answers_come_from_the_state_and_the_time_handed_in() {
        let dir = tempfile::tempdir().unwrap();
        let mut state = Inner {
            store: Store::open(dir.path()).unwrap(),
            broker: None,
        };
        let t0 = std::time::UNIX_EPOCH + Duration::from_secs(1_700_000_000);
        let delay = Duration::from_secs(60);
        let call = |state: &mut Inner, method: &str, url: &str, body: &str, at: SystemTime| {
            let request = ApiRequest {
                method: method.into(),
                url: url.into(),
                headers: vec![("Content-Type".into(), "application/json".into())],
                body: body.as_bytes().to_vec(),
            };
            state.respond(&request, at, delay).status
        };
        let create = r#"{"username":"alice","password":"pw"}"#;
        assert_eq!(call(&mut state, "POST", "/api/user", create, t0), 204);
        // Pending: refused again, not yet readable.
        assert_eq!(call(&mut state, "POST", "/api/user", create, t0), 400);
        let almost = t0 + delay - Duration::from_millis(1);
        assert_eq!(call(&mut state, "GET", "/api/user/alice", "", almost), 404);
        assert_eq!(
            call(&mut state, "GET", "/api/user/alice", "", t0 + delay),
            200
        );
        assert_eq!(call(&mut state, "GET", "/api/nowhere", "", t0), 404);
        assert_eq!(call(&mut state, "PATCH", "/api/user", "", t0), 405);
    }

    #[test]
    fn routes() {
        let cases = [
            ("/api/user", Some(Route::Users)),
            ("/api/user/", Some(Route::Users)),
            ("/api/user/a%2Fb", Some(Route::User("a%2Fb".into()))),
            ("/api/user/a/b", None),
            ("/api/user//", None),
            ("/api/acl", Some(Route::Acl)),
            ("/api/instance/restart", Some(Route::Restart)),
            ("/api/instance/reset/", Some(Route::Reset)),
            ("/api/instance", None),
            ("/api", None),
            ("/user", None),
            ("http://host/api/user", None),
            ("", None),
        ];
        for (path, route) in cases {
            assert_eq!(Route::parse(path), route, "{path}");
        }
    }

    #[test]
    fn flags_in_every_spelling() {
        let request = |body: &str| ApiRequest {
            method: "POST".into(),
            url: "/api/acl".into(),
            headers: vec![("content-type".into(), "application/json".into())],
            body: body.as_bytes().to_vec(),
        };
        let flag = |body: &str| {
            Fields::parse(&request(body), "")
                .ok()
                .and_then(|fields| fields.flag("read").ok())
        };
        for (body, expected) in [
            (r#"{"read":true}"#, Some(true)),
            (r#"{"read":false}"#, Some(false)),
            (r#"{"read":1}"#, Some(true)),
            (r#"{"read":0}"#, Some(false)),
            (r#"{"read":"TRUE"}"#, Some(true)),
            (r#"{"read":"off"}"#, Some(false)),
            (r#"{"read":null}"#, Some(false)),
            (r#"{}"#, Some(false)),
            (r#"{"read":2}"#, None),
            (r#"{"read":"maybe"}"#, None),
            (r#"{"read":{}}"#, None),
        ] {
            assert_eq!(flag(body), expected, "{body}");
        }
    }

    #[test]
    fn multipart_form_data() {
        let body = "--XyZ\r\n\
            Content-Disposition: form-data; name=\"username\"\r\n\r\n\
            alice\r\n\
            --XyZ\r\n\
            content-disposition: form-data; name=password\r\n\
            Content-Type: text/plain\r\n\r\n\
            line one\r\nline two\r\n\
            --XyZ--\r\n";
        let request = ApiRequest {
            method: "POST".into(),
            url: "/api/user".into(),
            headers: vec![(
                "Content-Type".into(),
                "multipart/form-data; boundary=\"XyZ\"".into(),
            )],
            body: body.as_bytes().to_vec(),
        };
        let fields = Fields::parse(&request, "").unwrap();
        assert_eq!(fields.required("username").ok().as_deref(), Some("alice"));
        assert_eq!(
            fields.required("password").ok().as_deref(),
            Some("line one\r\nline two")
        );
        for (content_type, body) in [
            ("multipart/form-data", body),
            (
                "multipart/form-data; boundary=XyZ",
                "--XyZ\r\nno blank line\r\n--XyZ--",
            ),
            (
                "multipart/form-data; boundary=XyZ",
                "--XyZ\r\n\r\nno name\r\n--XyZ--",
            ),
            (
                "multipart/form-data; boundary=XyZ",
                "--XyZ\r\nContent-Disposition: form-data; name=a\r\n\r\nunterminated",
            ),
        ] {
            let request = ApiRequest {
                headers: vec![("content-type".into(), content_type.into())],
                body: body.as_bytes().to_vec(),
                ..request.clone()
            };
            let error = Fields::parse(&request, "")
                .err()
                .map(|response| response.status);
            assert_eq!(error, Some(400), "{content_type} {body:?}");
        }
    }

    #[test]
    fn query_fields_fill_in_for_missing_body_fields() {
        let request = ApiRequest {
            method: "DELETE".into(),
            url: "/api/acl".into(),
            headers: Vec::new(),
            body: b"topic=from-body".to_vec(),
        };
        let fields = Fields::parse(&request, "topic=from-query&username=u").unwrap();
        assert_eq!(
            fields.text("topic").ok().flatten().as_deref(),
            Some("from-body")
        );
        assert_eq!(fields.text("username").ok().flatten().as_deref(), Some("u"));
    }
}
