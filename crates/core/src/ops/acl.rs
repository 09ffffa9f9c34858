//! `/acl`: list, create, delete rules.

use super::{Field, Operation, expect_success, request, with_body};
use crate::config::ApiConfig;
use crate::error::Error;
use crate::http::{Method, Request, Response};
use crate::model::{AclKind, AclRule, NewAclRule, parse_acl_rules};
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

/// `DELETE /acl`: deletes a user's topic rules for a topic filter (body
/// `{username, topic}`), or the pattern rules for a filter (body `{topic}`,
/// no username). Applied asynchronously.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeleteAclRule {
    /// The user whose topic rules go; `None` deletes pattern rules.
    pub username: Option<String>,
    /// The rules' topic filter.
    pub topic: String,
}

impl DeleteAclRule {
    /// Deletes `username`'s topic rules for `topic`.
    pub fn topic_rules(username: impl Into<String>, topic: impl Into<String>) -> Self {
        Self {
            username: Some(username.into()),
            topic: topic.into(),
        }
    }

    /// Deletes the pattern rules for `topic`.
    pub fn pattern_rules(topic: impl Into<String>) -> Self {
        Self {
            username: None,
            topic: topic.into(),
        }
    }

    /// Builds a delete from loose parts, as a command line or untyped caller
    /// gives them: no kind means a topic rule, which names its user; a
    /// pattern rule names none.
    ///
    /// # Errors
    /// [`Error::InvalidInput`] naming `username` or `topic`.
    pub fn from_parts(
        kind: Option<AclKind>,
        username: Option<String>,
        topic: String,
    ) -> Result<Self, Error> {
        let kind = kind.unwrap_or(AclKind::Topic);
        validate::rule_owner(kind, username.as_deref())?;
        validate::topic_filter("topic", &topic)?;
        Ok(Self { username, topic })
    }

    /// Which kind of rule goes: topic rules when a user is named.
    pub fn kind(&self) -> AclKind {
        if self.username.is_some() {
            AclKind::Topic
        } else {
            AclKind::Pattern
        }
    }
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
        if let Some(username) = &self.username {
            validate::username(username)?;
        }
        validate::topic_filter("topic", &self.topic)?;
        let mut fields = Vec::with_capacity(2);
        if let Some(username) = &self.username {
            fields.push(("username", Field::Text(username)));
        }
        fields.push(("topic", Field::Text(&self.topic)));
        let request = request(config, Method::Delete, &["acl"], &[]);
        Ok(with_body(request, config.encoding(), &fields))
    }

    fn parse_response(&self, response: &Response) -> Result<(), Error> {
        expect_success(response, &[])
    }

    fn wait_target(&self) -> Option<WaitTarget> {
        Some(WaitTarget::Acl {
            kind: self.username.is_none().then_some(AclKind::Pattern),
            username: self.username.clone(),
            pattern: self.topic.clone(),
            exists: false,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Encoding;

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
