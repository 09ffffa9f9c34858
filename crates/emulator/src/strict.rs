//! `--strict`: requests the real API would not accept.
//!
//! The emulator is lenient where the reference leaves room (it ignores
//! body fields it does not know, and reads a JSON body sent without a JSON
//! `Content-Type` as a form, which then lacks its fields). Under
//! `--strict`, a request the real API would not accept is answered as the
//! API answers it and flagged in the journal (`"flagged": "reason"`), so
//! that a test can assert that its client sent nothing of the kind:
//!
//! | request | answer | flag |
//! | --- | --- | --- |
//! | a path the API does not serve | 404 | `unknown route` |
//! | a method the path does not serve | 405 with `Allow` | `method not allowed` |
//! | a JSON body without a JSON `Content-Type` | 400 | `JSON body without Content-Type: application/json` |
//! | a body field the endpoint does not take | 400 | `unknown field "NAME"` |
//!
//! The 404 and 405 are what the emulator answers anyway; the two 400s are
//! answered only under `--strict`. The reference says a JSON body needs
//! `Content-Type: application/json` ("otherwise the server won't be able
//! to parse your request") and lists each endpoint's parameters.

use crate::api::Route;
use crate::wire::{ApiRequest, ApiResponse, Fields, invalid, is_json_media, media_type};

/// A request the real API would not accept.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Violation {
    /// Why, for the journal's `flagged`.
    pub(crate) reason: String,
    /// The answer to give instead of handling the request; `None` when
    /// the API's own answer (a 404 or a 405) is already the right one.
    pub(crate) answer: Option<ApiResponse>,
}

/// The body fields an endpoint takes, as the reference lists them.
fn known_fields(route: &Route, method: &str) -> &'static [&'static str] {
    match (route, method) {
        (Route::Users, "POST") => &["username", "password"],
        (Route::User(_), "PUT") => &["password"],
        (Route::Acl, "POST") => &["type", "username", "pattern", "read", "write"],
        (Route::Acl, "DELETE") => &["username", "topic"],
        _ => &[],
    }
}

/// Why the real API would not accept `request`, if it would not.
#[must_use]
pub(crate) fn violation(request: &ApiRequest) -> Option<Violation> {
    let path = request.url.split('?').next().unwrap_or("");
    let Some(route) = Route::parse(path) else {
        return Some(Violation {
            reason: "unknown route".into(),
            answer: None,
        });
    };
    let method = request.method.as_str();
    if !route.allowed().contains(&method) {
        return Some(Violation {
            reason: "method not allowed".into(),
            answer: None,
        });
    }
    let body = request.body.trim_ascii_start();
    if body.is_empty() {
        return None;
    }
    if body.starts_with(b"{") && !is_json_media(&media_type(request)) {
        return Some(Violation {
            reason: "JSON body without Content-Type: application/json".into(),
            answer: Some(invalid("body", "JSON needs Content-Type: application/json")),
        });
    }
    // An unreadable body gets the API's 400 anyway.
    let fields = Fields::parse(request, "").ok()?;
    let known = known_fields(&route, method);
    let unknown = fields.names().find(|name| !known.contains(name))?;
    let reason = format!("unknown field {unknown:?}");
    Some(Violation {
        answer: Some(ApiResponse::error(400, format!("invalid body: {reason}"))),
        reason,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(method: &str, url: &str, content_type: &str, body: &str) -> ApiRequest {
        ApiRequest {
            method: method.into(),
            url: url.into(),
            headers: vec![("content-type".into(), content_type.into())],
            body: body.as_bytes().to_vec(),
        }
    }

    #[test]
    fn what_the_api_would_refuse() {
        let json = "application/json";
        let form = "application/x-www-form-urlencoded";
        for (request, reason, answered) in [
            (request("GET", "/api/users", "", ""), "unknown route", None),
            (
                request("PATCH", "/api/user", "", ""),
                "method not allowed",
                None,
            ),
            (
                request("POST", "/api/user", form, r#"{"username":"a"}"#),
                "JSON body without Content-Type: application/json",
                Some(400),
            ),
            (
                request(
                    "POST",
                    "/api/user",
                    json,
                    r#"{"username":"a","pasword":"x"}"#,
                ),
                "unknown field \"pasword\"",
                Some(400),
            ),
            (
                request("POST", "/api/acl", form, "type=topic&topic=a"),
                "unknown field \"topic\"",
                Some(400),
            ),
        ] {
            let violation = violation(&request).expect("a violation");
            assert_eq!(violation.reason, reason);
            assert_eq!(violation.answer.map(|answer| answer.status), answered);
        }
        for fine in [
            request("GET", "/api/user?limit=5", "", ""),
            request(
                "POST",
                "/api/user",
                json,
                r#"{"username":"a","password":"p"}"#,
            ),
            request("POST", "/api/user", form, "username=a&password=p"),
            request(
                "DELETE",
                "/api/acl",
                json,
                r#"{"username":null,"topic":"t"}"#,
            ),
            request("POST", "/api/instance/restart", "", ""),
        ] {
            assert_eq!(violation(&fine), None, "{fine:?}");
        }
    }
}
