//! `/user`: list, get, create, update password, delete.

use super::{Field, Operation, expect_success, request, with_body};
use crate::config::{ApiConfig, Secret};
use crate::error::Error;
use crate::http::{Method, Request, Response};
use crate::model::{User, UserInfo, parse_user_info, parse_users};
use crate::poll::WaitTarget;
use crate::validate;

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

/// `GET /user/{username}`: a user and its ACL entries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GetUser {
    /// The user.
    pub username: String,
}

/// `POST /user`: creates a user (applied asynchronously by the server).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CreateUser {
    /// The new user's name.
    pub username: String,
    /// Its password.
    pub password: Secret,
}

/// `PUT /user/{username}`: sets a user's password.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UpdatePassword {
    /// The user.
    pub username: String,
    /// The new password.
    pub password: Secret,
}

/// `DELETE /user/{username}`: deletes a user (applied asynchronously).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeleteUser {
    /// The user.
    pub username: String,
}

impl Operation for ListUsers {
    type Output = Vec<User>;

    fn build_request(&self, config: &ApiConfig) -> Result<Request, Error> {
        let mut query = Vec::new();
        if let Some(limit) = self.limit {
            validate::limit("limit", limit)?;
            query.push(("limit", limit.to_string()));
        }
        if let Some(page) = self.page {
            validate::page(page)?;
            query.push(("page", page.to_string()));
        }
        if let Some(prefix) = self.query.as_deref().filter(|q| !q.is_empty()) {
            validate::query(prefix)?;
            query.push(("query", prefix.to_owned()));
        }
        Ok(request(config, Method::Get, &["user"], &query))
    }

    fn parse_response(&self, response: &Response) -> Result<Vec<User>, Error> {
        expect_success(response, &[])?;
        parse_users(&response.body)
    }
}

impl Operation for GetUser {
    type Output = UserInfo;

    fn build_request(&self, config: &ApiConfig) -> Result<Request, Error> {
        validate::username(&self.username)?;
        Ok(request(config, Method::Get, &["user", &self.username], &[]))
    }

    fn parse_response(&self, response: &Response) -> Result<UserInfo, Error> {
        expect_success(response, &[])?;
        parse_user_info(&response.body, &self.username)
    }
}

impl Operation for CreateUser {
    type Output = ();

    fn build_request(&self, config: &ApiConfig) -> Result<Request, Error> {
        validate::new_username(&self.username)?;
        validate::password(self.password.expose())?;
        let fields = [
            ("username", Field::Text(&self.username)),
            ("password", Field::Text(self.password.expose())),
        ];
        let request = request(config, Method::Post, &["user"], &[]);
        Ok(with_body(request, config.encoding(), &fields))
    }

    fn parse_response(&self, response: &Response) -> Result<(), Error> {
        expect_success(response, &self.secrets())
    }

    fn secrets(&self) -> Vec<&str> {
        vec![self.password.expose()]
    }

    fn wait_target(&self) -> Option<WaitTarget> {
        Some(WaitTarget::user(&self.username, true))
    }
}

impl Operation for UpdatePassword {
    type Output = ();

    fn build_request(&self, config: &ApiConfig) -> Result<Request, Error> {
        validate::username(&self.username)?;
        validate::password(self.password.expose())?;
        let fields = [("password", Field::Text(self.password.expose()))];
        let request = request(config, Method::Put, &["user", &self.username], &[]);
        Ok(with_body(request, config.encoding(), &fields))
    }

    fn parse_response(&self, response: &Response) -> Result<(), Error> {
        expect_success(response, &self.secrets())
    }

    fn secrets(&self) -> Vec<&str> {
        vec![self.password.expose()]
    }
}

impl Operation for DeleteUser {
    type Output = ();

    fn build_request(&self, config: &ApiConfig) -> Result<Request, Error> {
        validate::username(&self.username)?;
        Ok(request(
            config,
            Method::Delete,
            &["user", &self.username],
            &[],
        ))
    }

    fn parse_response(&self, response: &Response) -> Result<(), Error> {
        expect_success(response, &[])
    }

    fn wait_target(&self) -> Option<WaitTarget> {
        Some(WaitTarget::user(&self.username, false))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ErrorCode;
    use crate::config::Encoding;

    fn config(encoding: Encoding) -> ApiConfig {
        ApiConfig::builder("k")
            .base_url("http://127.0.0.1:9/api/")
            .encoding(encoding)
            .build()
            .unwrap()
    }

    fn header<'a>(request: &'a Request, name: &str) -> Option<&'a str> {
        request.header(name)
    }

    #[test]
    fn list_requests() {
        let config = config(Encoding::Json);
        let cases = [
            (ListUsers::default(), "http://127.0.0.1:9/api/user"),
            (
                ListUsers {
                    limit: Some(10),
                    page: Some(2),
                    query: Some("al ice&x=1".into()),
                },
                "http://127.0.0.1:9/api/user?limit=10&page=2&query=al+ice%26x%3D1",
            ),
            (
                ListUsers {
                    limit: Some(1000),
                    page: None,
                    query: Some(String::new()),
                },
                "http://127.0.0.1:9/api/user?limit=1000",
            ),
        ];
        for (op, url) in cases {
            let request = op.build_request(&config).unwrap();
            assert_eq!(request.method, Method::Get);
            assert_eq!(request.url, url);
            assert!(request.body.is_empty());
            assert_eq!(header(&request, "content-type"), None);
        }
        for (op, field) in [
            (
                ListUsers {
                    limit: Some(0),
                    ..Default::default()
                },
                "limit",
            ),
            (
                ListUsers {
                    limit: Some(1001),
                    ..Default::default()
                },
                "limit",
            ),
            (
                ListUsers {
                    page: Some(0),
                    ..Default::default()
                },
                "page",
            ),
            (
                ListUsers {
                    query: Some("a\nb".into()),
                    ..Default::default()
                },
                "query",
            ),
        ] {
            assert_eq!(op.build_request(&config).unwrap_err().field(), Some(field));
        }
    }

    #[test]
    fn user_path_requests() {
        let config = config(Encoding::Json);
        let get = GetUser {
            username: "a/b c".into(),
        }
        .build_request(&config)
        .unwrap();
        assert_eq!(
            (get.method, get.url.as_str()),
            (Method::Get, "http://127.0.0.1:9/api/user/a%2Fb%20c")
        );
        let delete = DeleteUser {
            username: "../x".into(),
        }
        .build_request(&config)
        .unwrap();
        assert_eq!(
            (delete.method, delete.url.as_str()),
            (Method::Delete, "http://127.0.0.1:9/api/user/..%2Fx")
        );
        assert!(delete.body.is_empty());
        for name in ["", ".", "..", "a\u{0}"] {
            assert_eq!(
                GetUser {
                    username: name.into()
                }
                .build_request(&config)
                .unwrap_err()
                .field(),
                Some("username")
            );
            assert!(
                DeleteUser {
                    username: name.into()
                }
                .build_request(&config)
                .is_err()
            );
        }
    }

    #[test]
    fn create_and_update_bodies_in_both_encodings() {
        let create = CreateUser {
            username: "jürgen \"j\"".into(),
            password: "p&ss=wörd".into(),
        };
        let update = UpdatePassword {
            username: "u".into(),
            password: "p&ss=wörd".into(),
        };
        let json = create.build_request(&config(Encoding::Json)).unwrap();
        assert_eq!(
            (json.method, json.url.as_str()),
            (Method::Post, "http://127.0.0.1:9/api/user")
        );
        assert_eq!(header(&json, "content-type"), Some("application/json"));
        assert_eq!(
            String::from_utf8(json.body).unwrap(),
            r#"{"username":"jürgen \"j\"","password":"p&ss=wörd"}"#
        );
        let form = create.build_request(&config(Encoding::Form)).unwrap();
        assert_eq!(
            header(&form, "content-type"),
            Some("application/x-www-form-urlencoded")
        );
        assert_eq!(
            String::from_utf8(form.body).unwrap(),
            "username=j%C3%BCrgen+%22j%22&password=p%26ss%3Dw%C3%B6rd"
        );
        let json = update.build_request(&config(Encoding::Json)).unwrap();
        assert_eq!(
            (json.method, json.url.as_str()),
            (Method::Put, "http://127.0.0.1:9/api/user/u")
        );
        assert_eq!(
            String::from_utf8(json.body).unwrap(),
            r#"{"password":"p&ss=wörd"}"#
        );
        let form = update.build_request(&config(Encoding::Form)).unwrap();
        assert_eq!(form.body, b"password=p%26ss%3Dw%C3%B6rd".to_vec());
        let empty = CreateUser {
            username: "u".into(),
            password: "".into(),
        };
        assert_eq!(
            empty
                .build_request(&config(Encoding::Json))
                .unwrap_err()
                .field(),
            Some("password")
        );
        let bad = UpdatePassword {
            username: "..".into(),
            password: "p".into(),
        };
        assert_eq!(
            bad.build_request(&config(Encoding::Json))
                .unwrap_err()
                .field(),
            Some("username")
        );
    }

    #[test]
    fn responses() {
        let list = ListUsers::default();
        let ok = Response::new(200, vec![], br#"{"items":[{"user":"a"}]}"#.to_vec());
        assert_eq!(
            list.parse_response(&ok).unwrap(),
            vec![User {
                username: "a".into()
            }]
        );
        assert_eq!(
            list.parse_response(&Response::new(204, vec![], vec![]))
                .unwrap(),
            vec![]
        );
        let get = GetUser {
            username: "a".into(),
        };
        let missing = Response::new(404, vec![], b"Not Found".to_vec());
        let error = get.parse_response(&missing).unwrap_err();
        assert_eq!(
            (error.code(), error.server_message()),
            (ErrorCode::NotFound, Some("Not Found"))
        );
        let create = CreateUser {
            username: "a".into(),
            password: "pw".into(),
        };
        for status in [200, 201, 202, 204] {
            assert_eq!(
                create.parse_response(&Response::new(status, vec![], vec![])),
                Ok(())
            );
        }
        assert_eq!(create.secrets(), ["pw"]);
        assert_eq!(
            ListUsers::default()
                .parse_response(&Response::new(200, vec![], b"<html>".to_vec()))
                .unwrap_err()
                .code(),
            ErrorCode::Decode
        );
    }
}
