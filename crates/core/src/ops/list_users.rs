//! `GET /user`: one page of users, optionally filtered by name prefix.

use super::{Operation, request};
use crate::config::ApiConfig;
use crate::error::Error;
use crate::http::{Method, Request, Response};
use crate::model::{User, name_field, parse_list};
use crate::validate;
use crate::wire::json::Json;

/// `GET /user`: one page of users, optionally filtered by name prefix.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ListUsers {
    /// Page size, 1 to 1000 (the server's default when `None`).
    pub limit: Option<u32>,
    /// Page number, from 1.
    pub page: Option<u32>,
    /// Only users whose names start with this.
    pub query: Option<String>,
}

impl Operation for ListUsers {
    type Output = Vec<User>;

    fn build_request(&self, config: &ApiConfig) -> Result<Request, Error> {
        let mut query = Vec::new();
        if let Some(limit) = self.limit {
            validate::limit("limit", limit)?;
            query.push(("limit", crate::wire::text::format_decimal(limit.into())));
        }
        if let Some(page) = self.page {
            validate::page(page)?;
            query.push(("page", crate::wire::text::format_decimal(page.into())));
        }
        if let Some(prefix) = self.query.as_deref().filter(|q| !q.is_empty()) {
            validate::query(prefix)?;
            query.push(("query", prefix.to_owned()));
        }
        Ok(request(config, Method::Get, &["user"], &query))
    }

    fn parse_success(&self, response: &Response) -> Result<Vec<User>, Error> {
        parse_users(&response.body)
    }
}

/// Parses the user list: an array of users (objects or bare names), bare or
/// wrapped in an object under `items`, `users` or `data`. An empty body is
/// an empty list.
///
/// # Errors
/// [`Error::Decode`] when the body is not such a list.
pub fn parse_users(body: &[u8]) -> Result<Vec<User>, Error> {
    parse_list(body, "users", |item| {
        let username = match item {
            Json::String(name) => Some(name.to_string()),
            Json::Object(_) => name_field(item),
            _ => None,
        };
        username.map(|username| User { username })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn users(body: &str) -> Vec<String> {
        parse_users(body.as_bytes())
            .unwrap()
            .into_iter()
            .map(|user| user.username)
            .collect()
    }

    #[test]
    fn user_lists_in_every_shape() {
        assert_eq!(users(r#"[{"username":"a"},{"username":"b"}]"#), ["a", "b"]);
        assert_eq!(users(r#"{"items":[{"username":"a"}]}"#), ["a"]);
        assert_eq!(users(r#"{"users":[{"user":"a","id":7}]}"#), ["a"]);
        assert_eq!(users(r#"["a","b"]"#), ["a", "b"]);
        assert_eq!(users(r#"[{"user":"a","password_hash":"x"}]"#), ["a"]);
        assert_eq!(users(""), Vec::<String>::new());
        assert_eq!(users("  \n"), Vec::<String>::new());
        assert_eq!(users("[]"), Vec::<String>::new());
        assert_eq!(users("null"), Vec::<String>::new());
        for bad in [
            "{",
            "42",
            r#"{"other":[]}"#,
            r#"[{"id":1}]"#,
            "<html>",
            r#"[1]"#,
        ] {
            let error = parse_users(bad.as_bytes()).unwrap_err();
            assert_eq!(error.code(), crate::ErrorCode::Decode, "{bad}");
        }
    }
}
