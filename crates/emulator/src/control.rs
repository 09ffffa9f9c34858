//! The control API under `/_emulator/`, for tests that use the emulator as
//! a fixture. It needs the API key exactly as the API does (the same 401
//! without it) and is never delayed, rate limited or failed on purpose;
//! its requests stay out of the journal.
//!
//! | route | answer |
//! | --- | --- |
//! | `GET /_emulator/requests[?since=N]` | 200, the journal's entries with `seq` above `N` ([`crate::journal`]) |
//! | `DELETE /_emulator/requests` | 204, the journal emptied |
//! | `POST /_emulator/reset` | 204: no users, rules, pending changes or scoped faults, an empty journal, the broker's files rewritten |
//! | `POST /_emulator/snapshots/NAME` | 204, users, rules and pending changes kept under `NAME` |
//! | `POST /_emulator/snapshots/NAME/restore` | 204, the state `NAME` kept, the broker's files rewritten; 404 for an unknown name |
//! | `PUT /_emulator/faults` | 204, the scoped faults replaced ([`crate::faults::FaultRules`]) |
//! | `GET /_emulator/faults` | 200, the scoped faults that remain |
//!
//! Snapshot names are 1 to 64 letters, digits, `.`, `_` and `-`, starting
//! with a letter or digit (400 otherwise); snapshots
//! live in memory only, and go with the emulator.

use std::collections::BTreeMap;
use std::sync::{Mutex, PoisonError};

use crate::api::Inner;
use crate::faults::{FaultRules, ScopedFaults};
use crate::journal::Journal;
use crate::store::State;
use crate::wire::{ApiRequest, ApiResponse, invalid};

/// The prefix of every control path.
pub const PREFIX: &str = "/_emulator/";

/// The longest snapshot name.
pub const MAX_SNAPSHOT_NAME: usize = 64;

/// Whether a request target is the control API's.
#[must_use]
pub(crate) fn is_control(url: &str) -> bool {
    let path = url.split('?').next().unwrap_or("");
    path.starts_with(PREFIX) || path == PREFIX.trim_end_matches('/')
}

/// What the control API works on.
pub(crate) struct Control<'a> {
    /// The journal of API requests.
    pub(crate) journal: &'a Journal,
    /// The scoped faults.
    pub(crate) faults: &'a ScopedFaults,
    /// Named snapshots of the state.
    pub(crate) snapshots: &'a Mutex<BTreeMap<String, State>>,
    /// The state and the broker.
    pub(crate) inner: &'a Mutex<Inner>,
}

/// A control route.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Route {
    Requests,
    Reset,
    Snapshot(String),
    Restore(String),
    Faults,
}

impl Route {
    fn parse(path: &str) -> Option<Self> {
        let rest = path.strip_prefix(PREFIX)?;
        let rest = rest.strip_suffix('/').unwrap_or(rest);
        Some(match rest {
            "requests" => Self::Requests,
            "reset" => Self::Reset,
            "faults" => Self::Faults,
            _ => {
                let name = rest.strip_prefix("snapshots/")?;
                match name.strip_suffix("/restore") {
                    Some(name) => Self::Restore(name.to_owned()),
                    None => Self::Snapshot(name.to_owned()),
                }
            }
        })
    }

    fn allowed(&self) -> &'static [&'static str] {
        match self {
            Self::Requests => &["GET", "DELETE"],
            Self::Reset | Self::Snapshot(_) | Self::Restore(_) => &["POST"],
            Self::Faults => &["GET", "PUT"],
        }
    }
}

/// Checks a snapshot name: 1 to [`MAX_SNAPSHOT_NAME`] letters, digits,
/// `.`, `_` and `-`, starting with a letter or digit.
fn snapshot_name(name: &str) -> Result<&str, ApiResponse> {
    let fine = name
        .bytes()
        .next()
        .is_some_and(|first| first.is_ascii_alphanumeric())
        && name.len() <= MAX_SNAPSHOT_NAME
        && name
            .bytes()
            .all(|byte| byte.is_ascii_alphanumeric() || b"._-".contains(&byte));
    if fine {
        Ok(name)
    } else {
        Err(invalid(
            "snapshot name",
            "must be 1 to 64 letters, digits, '.', '_' or '-', starting with a letter or digit",
        ))
    }
}

impl Control<'_> {
    /// Answers an authenticated control request.
    #[must_use]
    pub(crate) fn respond(&self, request: &ApiRequest) -> ApiResponse {
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
        let result = match (route, method) {
            (Route::Requests, "GET") => self.requests(query),
            (Route::Requests, _) => {
                self.journal.clear();
                Ok(ApiResponse::no_content())
            }
            (Route::Reset, _) => self.reset(),
            (Route::Snapshot(name), _) => self.snapshot(&name),
            (Route::Restore(name), _) => self.restore(&name),
            (Route::Faults, "GET") => Ok(ApiResponse::json(200, &self.faults.rules())),
            (Route::Faults, _) => self.set_faults(&request.body),
        };
        result.unwrap_or_else(|response| response)
    }

    fn requests(&self, query: &str) -> Result<ApiResponse, ApiResponse> {
        let mut since = 0;
        for (key, value) in form_urlencoded::parse(query.as_bytes()) {
            if key == "since" {
                since = value
                    .trim()
                    .parse::<u64>()
                    .map_err(|_| invalid("since", "must be a whole number"))?;
            }
        }
        Ok(ApiResponse::json(200, &self.journal.since(since)))
    }

    fn reset(&self) -> Result<ApiResponse, ApiResponse> {
        self.inner
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .replace_state(State::reset)?;
        self.faults.set(FaultRules::default());
        self.journal.clear();
        Ok(ApiResponse::no_content())
    }

    fn snapshot(&self, name: &str) -> Result<ApiResponse, ApiResponse> {
        let name = snapshot_name(name)?;
        let state = self
            .inner
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .store
            .state()
            .clone();
        self.snapshots
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(name.to_owned(), state);
        Ok(ApiResponse::no_content())
    }

    fn restore(&self, name: &str) -> Result<ApiResponse, ApiResponse> {
        let name = snapshot_name(name)?;
        let Some(saved) = self
            .snapshots
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get(name)
            .cloned()
        else {
            return Err(ApiResponse::error(
                404,
                format!("no snapshot named {name:?}"),
            ));
        };
        self.inner
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .replace_state(|state| *state = saved)?;
        Ok(ApiResponse::no_content())
    }

    fn set_faults(&self, body: &[u8]) -> Result<ApiResponse, ApiResponse> {
        let rules = FaultRules::parse(body)
            .map_err(|reason| ApiResponse::error(400, format!("invalid faults: {reason}")))?;
        self.faults.set(rules);
        Ok(ApiResponse::no_content())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routes_and_names() {
        assert_eq!(Route::parse("/_emulator/requests"), Some(Route::Requests));
        assert_eq!(Route::parse("/_emulator/reset/"), Some(Route::Reset));
        assert_eq!(
            Route::parse("/_emulator/snapshots/a-1/restore"),
            Some(Route::Restore("a-1".into()))
        );
        assert_eq!(
            Route::parse("/_emulator/snapshots/a.b"),
            Some(Route::Snapshot("a.b".into()))
        );
        assert_eq!(Route::parse("/_emulator/nothing"), None);
        assert!(is_control("/_emulator/reset?x=1") && is_control("/_emulator"));
        assert!(!is_control("/api/_emulator/reset") && !is_control("/_emulatorx"));
        for bad in ["", "a/b", "a b", "%2e%2e", "..", ".hidden", &"x".repeat(65)] {
            assert_eq!(snapshot_name(bad).map_err(|e| e.status), Err(400), "{bad}");
        }
        assert_eq!(
            snapshot_name("before-test_1.2").ok(),
            Some("before-test_1.2")
        );
    }
}
