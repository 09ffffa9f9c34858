//! The management API: one request value in, one response value out.
//!
//! [`App::handle`](crate::App::handle) does everything but the socket work, so tests can drive
//! it with any bytes: it sleeps the injected latency, judges the injected
//! faults, checks the key, then takes the lock and the time and hands the
//! request to `Inner::respond`, which answers it from the state and `now`
//! alone (no clock, sleep or lock of its own). Order of checks: added
//! latency (scoped faults' and `--latency-ms`), a scoped fault's status,
//! rate limit, injected failure, authentication, `--strict`
//! ([`crate::strict`]), path (404), method (405), body and arguments
//! (400), then the operation (404 for unknown users, 204 on success).
//! Requests under `/_emulator/` go to the control API ([`crate::control`])
//! instead, after authentication alone. A
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
use std::time::{Duration, SystemTime};

use cloudmqtt_api::{AclKind, AclRule, validate};

use crate::broker::{Broker, BrokerFiles};
use crate::mosquitto;
use crate::store::{Change, Refusal, State, Store};
pub use crate::wire::{ApiRequest, ApiResponse};
use crate::wire::{Fields, decode_segment, invalid, number, rejected};

/// The state behind the lock: the store and the broker that mirrors it.
#[derive(Debug)]
pub(crate) struct Inner {
    pub(crate) store: Store,
    pub(crate) broker: Option<Broker>,
}

impl Inner {
    /// Applies the changes due at `now`, then makes the broker enforce them
    /// before anyone can read them.
    pub(crate) fn apply_due(&mut self, now: SystemTime) {
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

    /// Replaces the state with what `edit` makes of it, saved, and has the
    /// broker reload its files (rewritten even when nothing changed).
    ///
    /// # Errors
    /// A 500 when the state cannot be saved or the broker does not reload.
    pub(crate) fn replace_state(
        &mut self,
        edit: impl FnOnce(&mut State),
    ) -> Result<(), ApiResponse> {
        self.store
            .update(|state| {
                edit(state);
                Ok::<_, WriteError>(())
            })
            .map_err(ApiResponse::from)?;
        if let Some(broker) = &self.broker {
            broker.reload(self.files()).map_err(|error| {
                log!("cloudmqtt-emulator: the broker did not reload: {error}");
                ApiResponse::error(500, "internal error: the broker did not reload")
            })?;
        }
        Ok(())
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
pub(crate) enum Route {
    Users,
    User(String),
    Acl,
    Restart,
    Reset,
}

impl Route {
    /// The route of a path (without the query), if the API serves it.
    pub(crate) fn parse(path: &str) -> Option<Self> {
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

    /// The methods the route serves.
    pub(crate) fn allowed(&self) -> &'static [&'static str] {
        match self {
            Self::Users => &["GET", "POST"],
            Self::User(_) => &["GET", "PUT", "DELETE"],
            Self::Acl => &["GET", "POST", "DELETE"],
            Self::Restart | Self::Reset => &["POST"],
        }
    }
}

/// The API proper: a request answered from the state at `now`, every
/// change queued to fall due `apply_delay` later. No clock, no sleep and no
/// lock here: [`App::handle`](crate::App::handle) does those.
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
