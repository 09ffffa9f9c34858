//! Request and response tables for each endpoint.

mod instance {

    use super::super::*;
    use crate::ErrorCode;
    use crate::config::ApiConfig;
    #[allow(unused_imports)]
    use crate::http::{Method, Request, Response};
    #[allow(unused_imports)]
    use crate::model::{AclKind, User};

    #[test]
    fn requests() {
        let config = ApiConfig::new("k").unwrap();
        let restart = RestartInstance.build_request(&config).unwrap();
        assert_eq!(restart.method, Method::Post);
        assert_eq!(
            restart.url,
            "https://api.cloudmqtt.com/api/instance/restart"
        );
        assert_eq!(
            restart.headers,
            [
                ("authorization".to_owned(), "Basic Oms=".to_owned()),
                ("accept".to_owned(), "application/json".to_owned())
            ]
        );
        assert!(restart.body.is_empty());
        let reset = ResetInstance.build_request(&config).unwrap();
        assert_eq!(reset.url, "https://api.cloudmqtt.com/api/instance/reset");
    }

    #[test]
    fn responses() {
        for status in [200, 201, 202, 204] {
            let response = Response::new(status, vec![], b"whatever".to_vec());
            assert_eq!(RestartInstance.parse_response(&response), Ok(()));
            assert_eq!(
                ResetInstance.parse_response(&Response::new(status, vec![], vec![])),
                Ok(())
            );
        }
        let error = RestartInstance
            .parse_response(&Response::new(403, vec![], br#"{"error":"no"}"#.to_vec()))
            .unwrap_err();
        assert_eq!(error.code(), ErrorCode::Forbidden);
        assert_eq!(error.server_message(), Some("no"));
    }
}

mod users {

    use super::super::*;
    use crate::ErrorCode;
    use crate::config::ApiConfig;
    use crate::config::Encoding;
    #[allow(unused_imports)]
    use crate::http::{Method, Request, Response};
    #[allow(unused_imports)]
    use crate::model::{AclKind, User};

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

mod acl {

    use super::super::*;
    use crate::config::ApiConfig;
    use crate::config::Encoding;
    #[allow(unused_imports)]
    use crate::http::{Method, Request, Response};
    #[allow(unused_imports)]
    use crate::model::{AclKind, User};

    fn config(encoding: Encoding) -> ApiConfig {
        ApiConfig::builder("k").encoding(encoding).build().unwrap()
    }

    fn body(request: &Request) -> &str {
        std::str::from_utf8(&request.body).unwrap()
    }

    #[test]
    fn create_bodies_in_both_encodings() {
        let topic = CreateAclRule {
            rule: NewAclRule::Topic {
                username: "test".into(),
                pattern: "readonly/#".into(),
                read: true,
                write: false,
            },
        };
        let pattern = CreateAclRule {
            rule: NewAclRule::Pattern {
                pattern: "sensor/%u/+".into(),
                read: false,
                write: true,
            },
        };
        let cases = [
            (
                &topic,
                Encoding::Json,
                r##"{"type":"topic","username":"test","pattern":"readonly/#","read":true,"write":false}"##,
            ),
            (
                &topic,
                Encoding::Form,
                "type=topic&username=test&pattern=readonly%2F%23&read=true&write=false",
            ),
            (
                &pattern,
                Encoding::Json,
                r#"{"type":"pattern","pattern":"sensor/%u/+","read":false,"write":true}"#,
            ),
            (
                &pattern,
                Encoding::Form,
                "type=pattern&pattern=sensor%2F%25u%2F%2B&read=false&write=true",
            ),
        ];
        for (op, encoding, expected) in cases {
            let request = op.build_request(&config(encoding)).unwrap();
            assert_eq!(
                (request.method, request.url.as_str()),
                (Method::Post, "https://api.cloudmqtt.com/api/acl")
            );
            assert_eq!(body(&request), expected);
        }
        let bad = CreateAclRule {
            rule: NewAclRule::Topic {
                username: "".into(),
                pattern: "a".into(),
                read: true,
                write: true,
            },
        };
        assert_eq!(
            bad.build_request(&config(Encoding::Json))
                .unwrap_err()
                .field(),
            Some("username")
        );
        let bad = CreateAclRule {
            rule: NewAclRule::Pattern {
                pattern: "a/#/b".into(),
                read: true,
                write: true,
            },
        };
        assert_eq!(
            bad.build_request(&config(Encoding::Json))
                .unwrap_err()
                .field(),
            Some("pattern")
        );
    }

    #[test]
    fn delete_has_a_body() {
        let op = DeleteAclRule::topic_rules("test", "readonly");
        let json = op.build_request(&config(Encoding::Json)).unwrap();
        assert_eq!(
            (json.method, json.url.as_str()),
            (Method::Delete, "https://api.cloudmqtt.com/api/acl")
        );
        assert_eq!(json.header("content-type"), Some("application/json"));
        assert_eq!(body(&json), r#"{"username":"test","topic":"readonly"}"#);
        let form = op.build_request(&config(Encoding::Form)).unwrap();
        assert_eq!(body(&form), "username=test&topic=readonly");
        let bad = DeleteAclRule::topic_rules("u", "");
        assert_eq!(
            bad.build_request(&config(Encoding::Json))
                .unwrap_err()
                .field(),
            Some("topic")
        );
    }

    #[test]
    fn deleting_pattern_rules_sends_no_username() {
        let op = DeleteAclRule::pattern_rules("home/%u/#");
        assert_eq!(op.kind(), AclKind::Pattern);
        let json = op.build_request(&config(Encoding::Json)).unwrap();
        assert_eq!(json.method, Method::Delete);
        assert_eq!(body(&json), r##"{"topic":"home/%u/#"}"##);
        let form = op.build_request(&config(Encoding::Form)).unwrap();
        assert_eq!(body(&form), "topic=home%2F%25u%2F%23");
        assert_eq!(
            op.wait_target(),
            Some(WaitTarget::Acl {
                kind: Some(AclKind::Pattern),
                username: None,
                pattern: "home/%u/#".into(),
                exists: false,
            })
        );
    }

    #[test]
    fn deletes_from_loose_parts() {
        type Case = (
            Option<AclKind>,
            Option<&'static str>,
            &'static str,
            Result<DeleteAclRule, &'static str>,
        );
        let cases: [Case; 6] = [
            (
                None,
                Some("u"),
                "t",
                Ok(DeleteAclRule::topic_rules("u", "t")),
            ),
            (
                Some(AclKind::Topic),
                Some("u"),
                "t",
                Ok(DeleteAclRule::topic_rules("u", "t")),
            ),
            (
                Some(AclKind::Pattern),
                None,
                "p/%u",
                Ok(DeleteAclRule::pattern_rules("p/%u")),
            ),
            (None, None, "t", Err("username")),
            (Some(AclKind::Pattern), Some("u"), "t", Err("username")),
            (Some(AclKind::Pattern), None, "a/#/b", Err("topic")),
        ];
        for (kind, username, topic, expected) in cases {
            let got = DeleteAclRule::from_parts(kind, username.map(str::to_owned), topic.into());
            match expected {
                Ok(op) => assert_eq!(got, Ok(op)),
                Err(field) => assert_eq!(
                    got.unwrap_err().field(),
                    Some(field),
                    "{kind:?} {username:?} {topic}"
                ),
            }
        }
    }

    #[test]
    fn list_request_and_response() {
        let request = ListAclRules.build_request(&config(Encoding::Form)).unwrap();
        assert_eq!(
            (request.method, request.url.as_str()),
            (Method::Get, "https://api.cloudmqtt.com/api/acl")
        );
        assert!(request.body.is_empty());
        let response = Response::new(200, vec![], br#"{"items":[{"type":"pattern","pattern":"p","read":true,"write":true,"username":null}]}"#.to_vec());
        let rules = ListAclRules.parse_response(&response).unwrap();
        assert_eq!(rules[0].kind, AclKind::Pattern);
    }
}
