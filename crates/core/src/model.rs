//! The API's data: users, their ACL entries, and ACL rules.
//!
//! Parsing is tolerant of what real servers have sent (`user` for
//! `username`, `topic` or `pattern`, flags as strings or numbers, lists bare
//! or wrapped in `{"items": [...]}`, unknown fields); serialising writes the
//! documented shape.

use serde::{Deserialize, Serialize};

use crate::error::Error;
use crate::json::{self, Json};
use crate::validate;

/// A user, as the user list shows it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct User {
    /// The user's name.
    pub username: String,
}

/// A user with the ACL entries that apply to it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserInfo {
    /// The user's name.
    pub username: String,
    /// The topics the user may read or write.
    pub acls: Vec<UserAcl>,
}

/// One ACL entry in a [`UserInfo`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserAcl {
    /// The topic filter (it may contain `%u` / `%c`).
    pub topic: String,
    /// Whether the user may subscribe.
    pub read: bool,
    /// Whether the user may publish.
    pub write: bool,
}

/// The two kinds of ACL rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AclKind {
    /// Applies to one user.
    Topic,
    /// Applies to every user; `%u` and `%c` stand for the user name and
    /// client id.
    Pattern,
}

impl AclKind {
    /// `"topic"` or `"pattern"`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Topic => "topic",
            Self::Pattern => "pattern",
        }
    }

    /// Reads `"topic"` or `"pattern"` (any case).
    ///
    /// # Errors
    /// [`Error::InvalidInput`] naming `type`.
    pub fn parse(text: &str) -> Result<Self, Error> {
        match text.to_ascii_lowercase().as_str() {
            "topic" => Ok(Self::Topic),
            "pattern" => Ok(Self::Pattern),
            _ => Err(Error::invalid("type", "must be \"topic\" or \"pattern\"")),
        }
    }
}

/// An ACL rule as the rule list shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AclRule {
    /// Topic (one user) or pattern (every user).
    #[serde(rename = "type")]
    pub kind: AclKind,
    /// The topic filter.
    pub pattern: String,
    /// Whether subscribing is allowed.
    pub read: bool,
    /// Whether publishing is allowed.
    pub write: bool,
    /// The user a topic rule applies to; `None` for pattern rules.
    pub username: Option<String>,
}

/// A rule to create: a topic rule names its user, a pattern rule cannot.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NewAclRule {
    /// A rule for one user.
    Topic {
        /// The user.
        username: String,
        /// The topic filter.
        pattern: String,
        /// Allow subscribing.
        read: bool,
        /// Allow publishing.
        write: bool,
    },
    /// A rule for every user.
    Pattern {
        /// The topic filter, usually with `%u` or `%c`.
        pattern: String,
        /// Allow subscribing.
        read: bool,
        /// Allow publishing.
        write: bool,
    },
}

impl NewAclRule {
    /// Builds a rule from loose parts, as a command line or untyped caller
    /// gives them, and validates it.
    ///
    /// # Errors
    /// [`Error::InvalidInput`] naming `username` or `pattern`.
    pub fn from_parts(
        kind: AclKind,
        username: Option<String>,
        pattern: String,
        read: bool,
        write: bool,
    ) -> Result<Self, Error> {
        validate::acl_rule(kind, username.as_deref(), &pattern)?;
        Ok(match (kind, username) {
            (AclKind::Topic, Some(username)) => Self::Topic {
                username,
                pattern,
                read,
                write,
            },
            _ => Self::Pattern {
                pattern,
                read,
                write,
            },
        })
    }

    /// Topic or pattern.
    pub fn kind(&self) -> AclKind {
        match self {
            Self::Topic { .. } => AclKind::Topic,
            Self::Pattern { .. } => AclKind::Pattern,
        }
    }

    /// The user of a topic rule.
    pub fn username(&self) -> Option<&str> {
        match self {
            Self::Topic { username, .. } => Some(username),
            Self::Pattern { .. } => None,
        }
    }

    /// The topic filter.
    pub fn pattern(&self) -> &str {
        match self {
            Self::Topic { pattern, .. } | Self::Pattern { pattern, .. } => pattern,
        }
    }

    /// The read and write flags.
    pub fn access(&self) -> (bool, bool) {
        match self {
            Self::Topic { read, write, .. } | Self::Pattern { read, write, .. } => (*read, *write),
        }
    }

    /// Checks the rule.
    ///
    /// # Errors
    /// [`Error::InvalidInput`] naming `username` or `pattern`.
    pub fn validate(&self) -> Result<(), Error> {
        validate::acl_rule(self.kind(), self.username(), self.pattern())
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

/// Parses one user's info. A missing name falls back to `requested`;
/// missing `acls` is an empty list; an empty body is both.
///
/// # Errors
/// [`Error::Decode`] when the body is not a JSON object of that shape.
pub fn parse_user_info(body: &[u8], requested: &str) -> Result<UserInfo, Error> {
    if body.iter().all(u8::is_ascii_whitespace) {
        // A success with no body (204): the user exists, nothing more known.
        return Ok(UserInfo {
            username: requested.to_owned(),
            acls: Vec::new(),
        });
    }
    let value = parse_json(body)?;
    let object = unwrap_object(&value, &["user", "data"])
        .ok_or_else(|| Error::decode("expected a JSON object describing the user", body))?;
    let username = name_field(object).unwrap_or_else(|| requested.to_owned());
    let acls = match object.get("acls").or_else(|| object.get("acl")) {
        None | Some(Json::Null) => Vec::new(),
        Some(Json::Array(items)) => items
            .iter()
            .map(|item| {
                user_acl(item)
                    .ok_or_else(|| Error::decode("an entry in \"acls\" has no topic", body))
            })
            .collect::<Result<_, _>>()?,
        Some(_) => return Err(Error::decode("\"acls\" is not a list", body)),
    };
    Ok(UserInfo { username, acls })
}

/// Parses the ACL rule list: an array, bare or wrapped under `items`,
/// `acls`, `rules` or `data`.
///
/// # Errors
/// [`Error::Decode`] when the body is not such a list.
pub fn parse_acl_rules(body: &[u8]) -> Result<Vec<AclRule>, Error> {
    parse_list(body, "ACL rules", acl_rule)
}

fn parse_json(body: &[u8]) -> Result<Json<'_>, Error> {
    json::parse(body).map_err(|error| Error::decode(format!("invalid JSON: {error}"), body))
}

fn parse_list<T>(
    body: &[u8],
    what: &str,
    item: impl Fn(&Json<'_>) -> Option<T>,
) -> Result<Vec<T>, Error> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(Vec::new());
    }
    let value = parse_json(body)?;
    let items = match &value {
        Json::Array(items) => items,
        Json::Object(_) => ["items", "users", "acls", "rules", "data"]
            .iter()
            .find_map(|key| match value.get(key) {
                Some(Json::Array(items)) => Some(items),
                _ => None,
            })
            .ok_or_else(|| Error::decode(format!("expected a list of {what}"), body))?,
        Json::Null => return Ok(Vec::new()),
        _ => return Err(Error::decode(format!("expected a list of {what}"), body)),
    };
    items
        .iter()
        .enumerate()
        .map(|(index, entry)| {
            item(entry).ok_or_else(|| {
                Error::decode(
                    format!("entry {index} in the list of {what} is malformed"),
                    body,
                )
            })
        })
        .collect()
}

/// An object, or the object under one of `keys` of a wrapper object.
fn unwrap_object<'a, 'b>(value: &'a Json<'b>, keys: &[&str]) -> Option<&'a Json<'b>> {
    if !value.is_object() {
        return None;
    }
    if name_field(value).is_none() {
        for key in keys {
            if let Some(inner @ Json::Object(_)) = value.get(key) {
                return Some(inner);
            }
        }
    }
    Some(value)
}

/// The user name of an object: `username`, `user` or `name`.
fn name_field(object: &Json<'_>) -> Option<String> {
    ["username", "user", "name"]
        .iter()
        .find_map(|key| object.get(key).and_then(Json::as_str))
        .map(str::to_owned)
}

fn user_acl(object: &Json<'_>) -> Option<UserAcl> {
    let topic = ["topic", "pattern"]
        .iter()
        .find_map(|key| object.get(key).and_then(Json::as_str))?
        .to_owned();
    Some(UserAcl {
        topic,
        read: flag(object.get("read")),
        write: flag(object.get("write")),
    })
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

/// Reads a permission flag sent as a boolean, a number or a string.
fn flag(value: Option<&Json<'_>>) -> bool {
    match value {
        Some(Json::Bool(flag)) => *flag,
        // Non-zero when a digit before the exponent is.
        Some(Json::Number(number)) => number
            .bytes()
            .take_while(|byte| !matches!(byte, b'e' | b'E'))
            .any(|byte| matches!(byte, b'1'..=b'9')),
        Some(Json::String(text)) => {
            matches!(
                text.trim().to_ascii_lowercase().as_str(),
                "true" | "1" | "yes" | "on"
            )
        }
        _ => false,
    }
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

    #[test]
    fn user_info_in_every_shape() {
        let info = parse_user_info(
            br#"{"username":"test","acls":[{"topic":"sensor/%u","read":false,"write":true}]}"#,
            "test",
        )
        .unwrap();
        assert_eq!(
            info,
            UserInfo {
                username: "test".into(),
                acls: vec![UserAcl {
                    topic: "sensor/%u".into(),
                    read: false,
                    write: true
                }]
            }
        );
        let info = parse_user_info(
            br#"{"user":"t","id":3,"acls":[{"pattern":"a/#","read":"true","write":0}]}"#,
            "t",
        )
        .unwrap();
        assert_eq!(info.username, "t");
        assert_eq!(info.acls[0].topic, "a/#");
        assert!(info.acls[0].read && !info.acls[0].write);
        let info = parse_user_info(br#"{"acls":null}"#, "fallback").unwrap();
        assert_eq!(info.username, "fallback");
        assert!(info.acls.is_empty());
        let info = parse_user_info(br#"{"user":{"username":"x","acls":[]}}"#, "x").unwrap();
        assert_eq!(info.username, "x");
        assert!(parse_user_info(b"[]", "x").is_err());
        let empty = parse_user_info(b" ", "x").unwrap();
        assert_eq!((empty.username.as_str(), empty.acls.len()), ("x", 0));
        assert!(parse_user_info(br#"{"acls":[{"read":true}]}"#, "x").is_err());
        assert!(parse_user_info(br#"{"acls":"x"}"#, "x").is_err());
    }

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

    #[test]
    fn serialises_the_documented_shape() {
        let rule = AclRule {
            kind: AclKind::Pattern,
            pattern: "p".into(),
            read: true,
            write: false,
            username: None,
        };
        assert_eq!(
            serde_json::to_string(&rule).unwrap(),
            r#"{"type":"pattern","pattern":"p","read":true,"write":false,"username":null}"#
        );
    }

    #[test]
    fn new_rules_from_parts() {
        let rule =
            NewAclRule::from_parts(AclKind::Topic, Some("u".into()), "a/#".into(), true, false)
                .unwrap();
        assert_eq!(rule.username(), Some("u"));
        assert_eq!(rule.access(), (true, false));
        assert!(
            NewAclRule::from_parts(AclKind::Pattern, Some("u".into()), "a".into(), true, true)
                .is_err()
        );
        assert!(NewAclRule::from_parts(AclKind::Topic, None, "a".into(), true, true).is_err());
        assert_eq!(AclKind::parse("Pattern"), Ok(AclKind::Pattern));
        assert!(AclKind::parse("x").is_err());
    }
}
