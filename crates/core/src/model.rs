//! The API's data: users, their ACL entries, and ACL rules; and the tolerant
//! readers every endpoint's parser shares.
//!
//! Reading is tolerant of what real servers have sent (`user` for
//! `username`, `topic` or `pattern`, flags as strings or numbers, lists bare
//! or wrapped in `{"items": [...]}`, unknown fields); serialising writes the
//! documented shape. Each endpoint's own parser lives in its file under
//! `ops/`.

use crate::error::Error;
use crate::wire::json::{self, Json};

/// A user, as the user list shows it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct User {
    /// The user's name.
    pub username: String,
}

/// A user with the ACL entries that apply to it.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct UserInfo {
    /// The user's name.
    pub username: String,
    /// The topics the user may read or write.
    pub acls: Vec<UserAcl>,
}

/// One ACL entry in a [`UserInfo`].
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct UserAcl {
    /// The topic filter (it may contain `%u` / `%c`).
    pub topic: String,
    /// Whether the user may subscribe.
    pub read: bool,
    /// Whether the user may publish.
    pub write: bool,
}

/// The two kinds of ACL rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "lowercase"))]
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
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct AclRule {
    /// Topic (one user) or pattern (every user).
    #[cfg_attr(feature = "serde", serde(rename = "type"))]
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

#[cfg(test)]
impl AclRule {
    /// A rule for tests: a topic rule of `user`, or a pattern rule.
    pub(crate) fn test(user: Option<&str>, pattern: &str, read: bool, write: bool) -> Self {
        Self {
            kind: if user.is_some() {
                AclKind::Topic
            } else {
                AclKind::Pattern
            },
            pattern: pattern.to_owned(),
            read,
            write,
            username: user.map(str::to_owned),
        }
    }
}

/// Parses a body as JSON.
pub(crate) fn parse_json(body: &[u8]) -> Result<Json<'_>, Error> {
    json::parse(body).map_err(|error| {
        Error::decode(
            crate::wire::text::concat(&["invalid JSON: ", &error.describe()]),
            body,
        )
    })
}

/// Reads a list, bare or wrapped in an object under `items`, `users`,
/// `acls`, `rules` or `data`, each entry through `item`; an empty body or
/// `null` is an empty list.
pub(crate) fn parse_list<T>(
    body: &[u8],
    what: &str,
    item: impl Fn(&Json<'_>) -> Option<T>,
) -> Result<Vec<T>, Error> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(Vec::new());
    }
    let value = parse_json(body)?;
    let items = list_items(&value, what, body)?;
    // A plain loop: the generic part is compiled once per item type.
    let mut list = Vec::with_capacity(items.len());
    for (index, entry) in items.iter().enumerate() {
        match item(entry) {
            Some(item) => list.push(item),
            None => return Err(malformed(index, what, body)),
        }
    }
    Ok(list)
}

/// The entries of a list body: the array itself or under a wrapper key;
/// none for `null`.
fn list_items<'a, 'b>(
    value: &'a Json<'b>,
    what: &str,
    body: &[u8],
) -> Result<&'a [Json<'b>], Error> {
    let items = match value {
        Json::Array(items) => Some(items.as_slice()),
        Json::Object(_) => ["items", "users", "acls", "rules", "data"]
            .iter()
            .find_map(|key| match value.get(key) {
                Some(Json::Array(items)) => Some(items.as_slice()),
                _ => None,
            }),
        Json::Null => Some(&[][..]),
        _ => None,
    };
    items.ok_or_else(|| {
        Error::decode(
            crate::wire::text::concat(&["expected a list of ", what]),
            body,
        )
    })
}

/// The error for the list entry at `index` that `item` could not read.
fn malformed(index: usize, what: &str, body: &[u8]) -> Error {
    let mut reason = String::from("entry ");
    crate::wire::text::push_decimal(&mut reason, index as u64);
    reason.push_str(" in the list of ");
    reason.push_str(what);
    reason.push_str(" is malformed");
    Error::decode(reason, body)
}

/// An object, or the object under one of `keys` of a wrapper object.
pub(crate) fn unwrap_object<'a, 'b>(value: &'a Json<'b>, keys: &[&str]) -> Option<&'a Json<'b>> {
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
pub(crate) fn name_field(object: &Json<'_>) -> Option<String> {
    ["username", "user", "name"]
        .iter()
        .find_map(|key| object.get(key).and_then(Json::as_str))
        .map(str::to_owned)
}

/// Reads a permission flag sent as a boolean, a number or a string.
pub(crate) fn flag(value: Option<&Json<'_>>) -> bool {
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

    #[cfg(feature = "serde")]
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
}
