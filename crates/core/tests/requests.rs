//! Every operation's exact outgoing request, in both body encodings.

use cloudmqtt_api::{
    ApiConfig, CreateAclRule, CreateUser, DeleteAclRule, DeleteUser, Encoding, GetUser,
    ListAclRules, ListUsers, Method, NewAclRule, Operation, Request, ResetInstance,
    RestartInstance, UpdatePassword,
};

const AUTH: &str = "Basic OnMzY3IzdA=="; // base64(":s3cr3t")
const BASE: &str = "http://127.0.0.1:8080/api";

fn config(encoding: Encoding) -> ApiConfig {
    ApiConfig::builder("s3cr3t")
        .base_url("http://127.0.0.1:8080/api/")
        .encoding(encoding)
        .build()
        .unwrap()
}

#[derive(Clone, Copy)]
struct Expected {
    method: Method,
    path: &'static str,
    content_type: Option<&'static str>,
    body: &'static str,
}

fn check(request: Request, expected: &Expected) {
    assert_eq!(request.method, expected.method, "{}", expected.path);
    assert_eq!(request.url, format!("{BASE}{}", expected.path));
    let mut headers = vec![
        ("authorization".to_owned(), AUTH.to_owned()),
        ("accept".to_owned(), "application/json".to_owned()),
    ];
    if let Some(content_type) = expected.content_type {
        headers.push(("content-type".to_owned(), content_type.to_owned()));
    }
    assert_eq!(request.headers, headers, "{}", expected.path);
    assert_eq!(
        String::from_utf8(request.body).unwrap(),
        expected.body,
        "{}",
        expected.path
    );
}

fn build(op: &dyn BuildRequest, encoding: Encoding) -> Request {
    op.build(&config(encoding))
}

trait BuildRequest {
    fn build(&self, config: &ApiConfig) -> Request;
}

impl<O: Operation> BuildRequest for O {
    fn build(&self, config: &ApiConfig) -> Request {
        self.build_request(config).unwrap()
    }
}

/// One operation and what it must send in each encoding.
type Case<'a> = (&'a dyn BuildRequest, [(Encoding, Expected); 2]);

const JSON: Option<&str> = Some("application/json");
const FORM: Option<&str> = Some("application/x-www-form-urlencoded");

#[test]
fn every_operation_in_both_encodings() {
    let topic_rule = CreateAclRule {
        rule: NewAclRule::Topic {
            username: "test".into(),
            pattern: "readonly".into(),
            read: true,
            write: false,
        },
    };
    let pattern_rule = CreateAclRule {
        rule: NewAclRule::Pattern {
            pattern: "sensor/%u/data".into(),
            read: true,
            write: true,
        },
    };
    let list_users = ListUsers {
        limit: Some(50),
        page: Some(3),
        query: Some("te st".into()),
    };
    let create = CreateUser {
        username: "test".into(),
        password: "super_secret_password".into(),
    };
    let update = UpdatePassword {
        username: "test".into(),
        password: "n3w pass".into(),
    };
    let get = GetUser {
        username: "a/b?c#d%".into(),
    };
    let delete = DeleteUser {
        username: "test".into(),
    };
    let delete_rule = DeleteAclRule::topic_rules("test", "readonly");
    let no_body = |method, path| {
        let expected = Expected {
            method,
            path,
            content_type: None,
            body: "",
        };
        [(Encoding::Json, expected), (Encoding::Form, expected)]
    };
    let table: Vec<Case> = vec![
        (&RestartInstance, no_body(Method::Post, "/instance/restart")),
        (&ResetInstance, no_body(Method::Post, "/instance/reset")),
        (
            &list_users,
            no_body(Method::Get, "/user?limit=50&page=3&query=te+st"),
        ),
        (&get, no_body(Method::Get, "/user/a%2Fb%3Fc%23d%25")),
        (&delete, no_body(Method::Delete, "/user/test")),
        (&ListAclRules, no_body(Method::Get, "/acl")),
        (
            &create,
            [
                (
                    Encoding::Json,
                    Expected {
                        method: Method::Post,
                        path: "/user",
                        content_type: JSON,
                        body: r#"{"username":"test","password":"super_secret_password"}"#,
                    },
                ),
                (
                    Encoding::Form,
                    Expected {
                        method: Method::Post,
                        path: "/user",
                        content_type: FORM,
                        body: "username=test&password=super_secret_password",
                    },
                ),
            ],
        ),
        (
            &update,
            [
                (
                    Encoding::Json,
                    Expected {
                        method: Method::Put,
                        path: "/user/test",
                        content_type: JSON,
                        body: r#"{"password":"n3w pass"}"#,
                    },
                ),
                (
                    Encoding::Form,
                    Expected {
                        method: Method::Put,
                        path: "/user/test",
                        content_type: FORM,
                        body: "password=n3w+pass",
                    },
                ),
            ],
        ),
        (
            &topic_rule,
            [
                (
                    Encoding::Json,
                    Expected {
                        method: Method::Post,
                        path: "/acl",
                        content_type: JSON,
                        body: r#"{"type":"topic","username":"test","pattern":"readonly","read":true,"write":false}"#,
                    },
                ),
                (
                    Encoding::Form,
                    Expected {
                        method: Method::Post,
                        path: "/acl",
                        content_type: FORM,
                        body: "type=topic&username=test&pattern=readonly&read=true&write=false",
                    },
                ),
            ],
        ),
        (
            &pattern_rule,
            [
                (
                    Encoding::Json,
                    Expected {
                        method: Method::Post,
                        path: "/acl",
                        content_type: JSON,
                        body: r#"{"type":"pattern","pattern":"sensor/%u/data","read":true,"write":true}"#,
                    },
                ),
                (
                    Encoding::Form,
                    Expected {
                        method: Method::Post,
                        path: "/acl",
                        content_type: FORM,
                        body: "type=pattern&pattern=sensor%2F%25u%2Fdata&read=true&write=true",
                    },
                ),
            ],
        ),
        (
            &delete_rule,
            [
                (
                    Encoding::Json,
                    Expected {
                        method: Method::Delete,
                        path: "/acl",
                        content_type: JSON,
                        body: r#"{"username":"test","topic":"readonly"}"#,
                    },
                ),
                (
                    Encoding::Form,
                    Expected {
                        method: Method::Delete,
                        path: "/acl",
                        content_type: FORM,
                        body: "username=test&topic=readonly",
                    },
                ),
            ],
        ),
    ];
    assert_eq!(table.len(), 11);
    for (op, cases) in table {
        for (encoding, expected) in cases {
            check(build(op, encoding), &expected);
        }
    }
}
