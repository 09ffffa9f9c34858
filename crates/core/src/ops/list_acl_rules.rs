//! `GET /acl`: every ACL rule.

use super::{Operation, request};
use crate::config::ApiConfig;
use crate::error::Error;
use crate::http::{Method, Request, Response};
use crate::model::{AclKind, AclRule, flag, name_field, parse_list};
use crate::wire::json::Json;

/// `GET /acl`: every ACL rule.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ListAclRules;

impl Operation for ListAclRules {
    type Output = Vec<AclRule>;

    fn build_request(&self, config: &ApiConfig) -> Result<Request, Error> {
        Ok(request(config, Method::Get, &["acl"], &[]))
    }

    fn parse_success(&self, response: &Response) -> Result<Vec<AclRule>, Error> {
        parse_acl_rules(&response.body)
    }
}

/// Parses the ACL rule list: an array, bare or wrapped under `items`,
/// `acls`, `rules` or `data`.
///
/// # Errors
/// [`Error::Decode`] when the body is not such a list.
pub fn parse_acl_rules(body: &[u8]) -> Result<Vec<AclRule>, Error> {
    parse_list(body, "ACL rules", acl_rule)
}

fn acl_rule(object: &Json<'_>) -> Option<AclRule> {
    let pattern = ["pattern", "topic"]
        .iter()
        .find_map(|key| object.get(key).and_then(Json::as_str))?
        .to_owned();
    let username = name_field(object).filter(|name| !name.is_empty());
    let kind = match object.get("type").and_then(Json::as_str) {
        Some(text) => AclKind::parse(text).ok()?,
        None if username.is_some() => AclKind::Topic,
        None => AclKind::Pattern,
    };
    Some(AclRule {
        kind,
        pattern,
        read: flag(object.get("read")),
        write: flag(object.get("write")),
        username,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn acl_lists_in_every_shape() {
        let reference = br#"[
          {"type":"topic","pattern":"test/users/topic","read":true,"write":true,"username":"custom-user"},
          {"type":"pattern","pattern":"sensor/%u/data","read":true,"write":true,"username":null}
        ]"#;
        let rules = parse_acl_rules(reference).unwrap();
        assert_eq!(
            rules,
            vec![
                AclRule {
                    kind: AclKind::Topic,
                    pattern: "test/users/topic".into(),
                    read: true,
                    write: true,
                    username: Some("custom-user".into())
                },
                AclRule {
                    kind: AclKind::Pattern,
                    pattern: "sensor/%u/data".into(),
                    read: true,
                    write: true,
                    username: None
                },
            ]
        );
        let wrapped = br#"{"items":[{"type":"TOPIC","topic":"a","read":1,"write":"false","user":"u","id":9}]}"#;
        let rules = parse_acl_rules(wrapped).unwrap();
        assert_eq!(rules[0].kind, AclKind::Topic);
        assert_eq!(rules[0].pattern, "a");
        assert_eq!(rules[0].username.as_deref(), Some("u"));
        assert!(rules[0].read && !rules[0].write);
        let untyped = parse_acl_rules(br#"[{"pattern":"p","username":""}]"#).unwrap();
        assert_eq!(untyped[0].kind, AclKind::Pattern);
        assert_eq!(untyped[0].username, None);
        assert!(parse_acl_rules(b"").unwrap().is_empty());
        assert!(parse_acl_rules(br#"[{"type":"other","pattern":"p"}]"#).is_err());
        assert!(parse_acl_rules(br#"{"items":{}}"#).is_err());
    }
}
