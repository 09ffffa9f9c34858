//! `/acl`: list, create, delete rules.

use super::{Field, Operation, expect_success, request, with_body};
use crate::config::ApiConfig;
use crate::error::Error;
use crate::http::{Method, Request, Response};
use crate::model::{AclRule, NewAclRule, parse_acl_rules};
use crate::poll::WaitTarget;
use crate::validate;

/// `GET /acl`: every ACL rule.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ListAclRules;

/// `POST /acl`: creates a rule (applied asynchronously by the server).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CreateAclRule {
    /// The rule.
    pub rule: NewAclRule,
}

/// `DELETE /acl` with a `{username, topic}` body: deletes the user's rules
/// for that topic (applied asynchronously).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeleteAclRule {
    /// The user whose rules go.
    pub username: String,
    /// The rules' topic filter.
    pub topic: String,
}

/// `DELETE /acl` with only a `topic` body field: deletes the pattern rules
/// for that topic (applied asynchronously).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeletePatternRule {
    /// The rules' topic filter.
    pub pattern: String,
}

impl Operation for ListAclRules {
    type Output = Vec<AclRule>;

    fn build_request(&self, config: &ApiConfig) -> Result<Request, Error> {
        Ok(request(config, Method::Get, &["acl"], &[]))
    }

    fn parse_response(&self, response: &Response) -> Result<Vec<AclRule>, Error> {
        expect_success(response, &[])?;
        parse_acl_rules(&response.body)
    }
}

impl Operation for CreateAclRule {
    type Output = ();

    fn build_request(&self, config: &ApiConfig) -> Result<Request, Error> {
        self.rule.validate()?;
        let (read, write) = self.rule.access();
        let mut fields = vec![("type", Field::Text(self.rule.kind().as_str()))];
        if let Some(username) = self.rule.username() {
            fields.push(("username", Field::Text(username)));
        }
        fields.extend([
            ("pattern", Field::Text(self.rule.pattern())),
            ("read", Field::Flag(read)),
            ("write", Field::Flag(write)),
        ]);
        let request = request(config, Method::Post, &["acl"], &[]);
        Ok(with_body(request, config.encoding(), &fields))
    }

    fn parse_response(&self, response: &Response) -> Result<(), Error> {
        expect_success(response, &[])
    }

    fn wait_target(&self) -> Option<WaitTarget> {
        Some(WaitTarget::Acl {
            kind: Some(self.rule.kind()),
            username: self.rule.username().map(str::to_owned),
            pattern: self.rule.pattern().to_owned(),
            exists: true,
        })
    }
}

impl Operation for DeleteAclRule {
    type Output = ();

    fn build_request(&self, config: &ApiConfig) -> Result<Request, Error> {
        validate::username(&self.username)?;
        validate::topic_filter("topic", &self.topic)?;
        let fields = [
            ("username", Field::Text(&self.username)),
            ("topic", Field::Text(&self.topic)),
        ];
        let request = request(config, Method::Delete, &["acl"], &[]);
        Ok(with_body(request, config.encoding(), &fields))
    }

    fn parse_response(&self, response: &Response) -> Result<(), Error> {
        expect_success(response, &[])
    }

    fn wait_target(&self) -> Option<WaitTarget> {
        Some(WaitTarget::Acl {
            kind: None,
            username: Some(self.username.clone()),
            pattern: self.topic.clone(),
            exists: false,
        })
    }
}

impl Operation for DeletePatternRule {
    type Output = ();

    fn build_request(&self, config: &ApiConfig) -> Result<Request, Error> {
        validate::topic_filter("topic", &self.pattern)?;
        let fields = [("topic", Field::Text(&self.pattern))];
        let request = request(config, Method::Delete, &["acl"], &[]);
        Ok(with_body(request, config.encoding(), &fields))
    }

    fn parse_response(&self, response: &Response) -> Result<(), Error> {
        expect_success(response, &[])
    }

    fn wait_target(&self) -> Option<WaitTarget> {
        Some(WaitTarget::Acl {
            kind: Some(crate::model::AclKind::Pattern),
            username: None,
            pattern: self.pattern.clone(),
            exists: false,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Encoding;
    use crate::model::AclKind;

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
        let op = DeleteAclRule {
            username: "test".into(),
            topic: "readonly".into(),
        };
        let json = op.build_request(&config(Encoding::Json)).unwrap();
        assert_eq!(
            (json.method, json.url.as_str()),
            (Method::Delete, "https://api.cloudmqtt.com/api/acl")
        );
        assert_eq!(json.header("content-type"), Some("application/json"));
        assert_eq!(body(&json), r#"{"username":"test","topic":"readonly"}"#);
        let form = op.build_request(&config(Encoding::Form)).unwrap();
        assert_eq!(body(&form), "username=test&topic=readonly");
        let pattern = DeletePatternRule {
            pattern: "home/%u/#".into(),
        };
        let json = pattern.build_request(&config(Encoding::Json)).unwrap();
        assert_eq!(json.method, Method::Delete);
        assert_eq!(body(&json), r##"{"topic":"home/%u/#"}"##);
        let bad = DeleteAclRule {
            username: "u".into(),
            topic: "".into(),
        };
        assert_eq!(
            bad.build_request(&config(Encoding::Json))
                .unwrap_err()
                .field(),
            Some("topic")
        );
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
