//! The rules every argument must pass before anything is sent.
//!
//! Clients and servers share these: the emulator rejects exactly what the
//! client refuses to send.

use crate::error::Error;
use crate::model::AclKind;

/// Most bytes a user name or topic filter may have (MQTT's string limit).
pub const MAX_STRING_BYTES: usize = 65_535;
/// Largest `limit` the user list accepts.
pub const MAX_LIMIT: u32 = 1000;
/// Most levels a topic filter in an ACL rule, or a topic name, may have.
///
/// Mosquitto 2.0 refuses a filter with more than `TOPIC_HIERARCHY_LIMIT`
/// (200) `/` separators (`src/mosquitto_broker_internal.h`, checked in
/// `mosquitto_sub_topic_check`, `lib/util_topic.c`): its `acl_file` parser
/// stops at such a line, and the broker then checks no ACL at all.
pub const MAX_TOPIC_LEVELS: usize = 201;

/// Checks an API key: not empty, no control characters.
///
/// # Errors
/// [`Error::InvalidInput`] naming `api_key`.
pub fn api_key(key: &str) -> Result<(), Error> {
    if key.is_empty() {
        return Err(Error::invalid("api_key", "must not be empty"));
    }
    if key.chars().any(char::is_control) {
        return Err(Error::invalid(
            "api_key",
            "must not contain control characters",
        ));
    }
    Ok(())
}

/// Checks a user name: not empty, at most 65,535 bytes, no control
/// characters, and not `.` or `..` (URL parsers collapse those even when
/// percent-encoded, so the request would reach another resource).
///
/// # Errors
/// [`Error::InvalidInput`] naming `username`.
pub fn username(name: &str) -> Result<(), Error> {
    named_username("username", name)
}

pub(crate) fn named_username(field: &'static str, name: &str) -> Result<(), Error> {
    if name.is_empty() {
        return Err(Error::invalid(field, "must not be empty"));
    }
    if name.len() > MAX_STRING_BYTES {
        return Err(Error::invalid(field, "must be at most 65535 bytes"));
    }
    if name.chars().any(char::is_control) {
        return Err(Error::invalid(field, "must not contain control characters"));
    }
    if name == "." || name == ".." {
        return Err(Error::invalid(field, "must not be \".\" or \"..\""));
    }
    Ok(())
}

/// Checks a password: not empty, at most 65,535 bytes.
///
/// # Errors
/// [`Error::InvalidInput`] naming `password`.
pub fn password(password: &str) -> Result<(), Error> {
    if password.is_empty() {
        return Err(Error::invalid("password", "must not be empty"));
    }
    if password.len() > MAX_STRING_BYTES {
        return Err(Error::invalid("password", "must be at most 65535 bytes"));
    }
    Ok(())
}

/// Checks an MQTT topic filter: not empty, at most 65,535 bytes, no NUL or
/// other control character, `+` and `#` only as a whole level, `#` only
/// last.
///
/// # Errors
/// [`Error::InvalidInput`] naming `field`.
pub fn topic_filter(field: &'static str, filter: &str) -> Result<(), Error> {
    if filter.is_empty() {
        return Err(Error::invalid(field, "must not be empty"));
    }
    if filter.len() > MAX_STRING_BYTES {
        return Err(Error::invalid(field, "must be at most 65535 bytes"));
    }
    if filter.contains('\0') {
        return Err(Error::invalid(field, "must not contain NUL"));
    }
    // MQTT says filters should not hold control characters; a line break
    // would also split the broker's ACL file into lines of the sender's
    // choosing.
    if filter.chars().any(char::is_control) {
        return Err(Error::invalid(field, "must not contain control characters"));
    }
    for level in filter.split('/') {
        if level.contains('+') && level != "+" {
            return Err(Error::invalid(field, "'+' must fill a whole topic level"));
        }
        if level.contains('#') && level != "#" {
            return Err(Error::invalid(field, "'#' must fill a whole topic level"));
        }
    }
    if filter.find('#').is_some_and(|at| at + 1 != filter.len()) {
        return Err(Error::invalid(field, "'#' must be the last level"));
    }
    Ok(())
}

/// Checks the name of a user to create, or of the user a new topic rule
/// is for: a valid [`username`] that Mosquitto can also hold in its
/// `password_file` and `acl_file` and receive in an MQTT `CONNECT`. It must
/// not contain `:` (the `password_file` splits a line at the first `:`),
/// start with `#` (a comment there), start or end with a blank (both files
/// trim them) or contain a Unicode non-character (U+FDD0 to U+FDEF, or
/// U+xFFFE / U+xFFFF), which Mosquitto refuses in MQTT strings.
///
/// Names already on a server are looked up and deleted with the looser
/// [`username`].
///
/// # Errors
/// [`Error::InvalidInput`] naming `username`.
pub fn new_username(name: &str) -> Result<(), Error> {
    named_new_username("username", name)
}

pub(crate) fn named_new_username(field: &'static str, name: &str) -> Result<(), Error> {
    named_username(field, name)?;
    if name.contains(':') {
        return Err(Error::invalid(
            field,
            "must not contain ':' (the broker's password file cannot hold it)",
        ));
    }
    if name.starts_with('#') {
        return Err(Error::invalid(
            field,
            "must not start with '#' (a comment in the broker's password file)",
        ));
    }
    broker_edges_and_characters(field, name)
}

/// Checks the topic filter of a new ACL rule: a valid [`topic_filter`]
/// that Mosquitto's `acl_file` can also hold and MQTT topics can match: at
/// most [`MAX_TOPIC_LEVELS`] levels (200 `/`), no blank at either end
/// (Mosquitto trims them), no Unicode non-character.
///
/// # Errors
/// [`Error::InvalidInput`] naming `field`.
pub fn acl_topic_filter(field: &'static str, filter: &str) -> Result<(), Error> {
    topic_filter(field, filter)?;
    levels(field, filter)?;
    broker_edges_and_characters(field, filter)
}

/// Checks a topic name, as published: not empty, at most 65,535 bytes and
/// [`MAX_TOPIC_LEVELS`] levels, no `+` or `#` (those belong to filters), no
/// control character or Unicode non-character (Mosquitto refuses both).
///
/// # Errors
/// [`Error::InvalidInput`] naming `field`.
pub fn topic_name(field: &'static str, topic: &str) -> Result<(), Error> {
    if topic.bytes().any(|byte| byte == b'+' || byte == b'#') {
        return Err(Error::invalid(
            field,
            "must be a topic name, without '+' or '#'",
        ));
    }
    topic_filter(field, topic)?;
    noncharacters(field, topic)?;
    levels(field, topic)
}

/// Checks an MQTT client id as the access checker takes it: not empty, at
/// most 65,535 bytes, no control character or Unicode non-character.
///
/// # Errors
/// [`Error::InvalidInput`] naming `client_id`.
pub fn client_id(id: &str) -> Result<(), Error> {
    if id.is_empty() || id.len() > MAX_STRING_BYTES || id.chars().any(char::is_control) {
        return Err(Error::invalid(
            "client_id",
            "must be 1 to 65535 bytes, no control characters",
        ));
    }
    noncharacters("client_id", id)
}

/// At most [`MAX_TOPIC_LEVELS`] levels.
fn levels(field: &'static str, topic: &str) -> Result<(), Error> {
    if topic.bytes().filter(|byte| *byte == b'/').count() >= MAX_TOPIC_LEVELS {
        return Err(Error::invalid(
            field,
            "must have at most 201 levels (Mosquitto refuses more)",
        ));
    }
    Ok(())
}

/// No blank at either end (C's `isspace`: Mosquitto's files trim them),
/// and no Unicode non-character.
fn broker_edges_and_characters(field: &'static str, text: &str) -> Result<(), Error> {
    // Control characters, the other blanks of C's `isspace`, are refused
    // before this.
    if text.starts_with(' ') || text.ends_with(' ') {
        return Err(Error::invalid(
            field,
            "must not start or end with a blank (Mosquitto trims them)",
        ));
    }
    noncharacters(field, text)
}

/// No code point Mosquitto's UTF-8 check refuses as a non-character
/// (`lib/utf8_mosq.c`: U+FDD0 to U+FDEF, U+xFFFE and U+xFFFF).
fn noncharacters(field: &'static str, text: &str) -> Result<(), Error> {
    if text.chars().any(|c| {
        let code = u32::from(c);
        (0xFDD0..=0xFDEF).contains(&code) || code & 0xFFFE == 0xFFFE
    }) {
        return Err(Error::invalid(
            field,
            "must not hold Unicode non-characters (MQTT refuses them)",
        ));
    }
    Ok(())
}

/// Checks a new ACL rule's parts: a `topic` rule names a user Mosquitto
/// can hold ([`new_username`]), a `pattern` rule names none, and the
/// pattern is a topic filter Mosquitto's `acl_file` can hold
/// ([`acl_topic_filter`]).
///
/// # Errors
/// [`Error::InvalidInput`] naming `username` or `pattern`.
pub fn acl_rule(kind: AclKind, username: Option<&str>, pattern: &str) -> Result<(), Error> {
    rule_owner(kind, username)?;
    if let Some(name) = username {
        named_new_username("username", name)?;
    }
    acl_topic_filter("pattern", pattern)
}

/// Checks who a rule belongs to: a topic rule names a valid user, a pattern
/// rule names none.
///
/// # Errors
/// [`Error::InvalidInput`] naming `username`.
pub fn rule_owner(kind: AclKind, username: Option<&str>) -> Result<(), Error> {
    match (kind, username) {
        (AclKind::Topic, None) => {
            return Err(Error::invalid("username", "is required for a topic rule"));
        }
        (AclKind::Topic, Some(name)) => named_username("username", name)?,
        (AclKind::Pattern, Some(_)) => {
            return Err(Error::invalid(
                "username",
                "must not be given for a pattern rule (it applies to every user)",
            ));
        }
        (AclKind::Pattern, None) => {}
    }
    Ok(())
}

/// Checks a page size for the user list: 1 to 1000.
///
/// # Errors
/// [`Error::InvalidInput`] naming `field`.
pub fn limit(field: &'static str, limit: u32) -> Result<(), Error> {
    if !(1..=MAX_LIMIT).contains(&limit) {
        return Err(Error::invalid(field, "must be from 1 to 1000"));
    }
    Ok(())
}

/// Checks a page number: 1 or more (pages are 1-indexed).
///
/// # Errors
/// [`Error::InvalidInput`] naming `page`.
pub fn page(page: u32) -> Result<(), Error> {
    if page == 0 {
        return Err(Error::invalid(
            "page",
            "must be 1 or more (pages start at 1)",
        ));
    }
    Ok(())
}

/// Checks a user-list prefix query: at most 65,535 bytes, no control
/// characters.
///
/// # Errors
/// [`Error::InvalidInput`] naming `query`.
pub fn query(query: &str) -> Result<(), Error> {
    if query.len() > MAX_STRING_BYTES {
        return Err(Error::invalid("query", "must be at most 65535 bytes"));
    }
    if query.chars().any(char::is_control) {
        return Err(Error::invalid(
            "query",
            "must not contain control characters",
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn usernames() {
        let long = "a".repeat(MAX_STRING_BYTES);
        for good in [
            "alice",
            "a/b",
            "../x",
            "%",
            "?",
            "#",
            "with space",
            "jürgen",
            "名前",
            "+",
            &long,
        ] {
            assert_eq!(username(good), Ok(()), "{good:?}");
        }
        let too_long = "a".repeat(MAX_STRING_BYTES + 1);
        for bad in [
            "", ".", "..", "a\nb", "tab\t", "nul\0", "\u{7f}", "\u{85}", &too_long,
        ] {
            let error = username(bad).unwrap_err();
            assert_eq!(error.field(), Some("username"), "{bad:?}");
        }
    }

    #[test]
    fn topic_filters() {
        for good in [
            "a",
            "a/b",
            "+",
            "#",
            "a/+/c",
            "a/#",
            "/",
            "sensor/%u/data",
            "+/+",
            "a//b",
        ] {
            assert_eq!(topic_filter("pattern", good), Ok(()), "{good:?}");
        }
        for bad in [
            "",
            "a+",
            "a/b+/c",
            "#/a",
            "a/#/b",
            "a#",
            "x\0y",
            "++",
            "x\ntopic readwrite victim/#",
            "a\rb",
            "tab\tb",
            "\u{1b}]0;t\u{7}",
            "\u{85}",
        ] {
            assert!(topic_filter("pattern", bad).is_err(), "{bad:?}");
        }
        assert!(topic_filter("pattern", &"a".repeat(MAX_STRING_BYTES + 1)).is_err());
    }

    #[test]
    fn what_the_broker_cannot_hold() {
        for good in ["alice", "a b", "\u{a0}x\u{a0}", "a#", "+", "$x"] {
            assert_eq!(new_username(good), Ok(()), "{good:?}");
        }
        for (bad, why) in [
            ("a:b", "':'"),
            ("#x", "'#'"),
            (" x", "blank"),
            ("x ", "blank"),
            ("x\u{ffff}", "non-character"),
            ("\u{fdd0}", "non-character"),
            ("", "empty"),
        ] {
            let error = new_username(bad).unwrap_err();
            assert!(error.to_string().contains(why), "{bad:?}: {error}");
        }
        let deepest = vec!["a"; MAX_TOPIC_LEVELS].join("/");
        let deeper = vec!["a"; MAX_TOPIC_LEVELS + 1].join("/");
        assert_eq!(acl_topic_filter("pattern", &deepest), Ok(()));
        for bad in [deeper.as_str(), " a", "a ", "a\u{1fffe}", "a+"] {
            let error = acl_topic_filter("pattern", bad).unwrap_err();
            assert_eq!(error.field(), Some("pattern"), "{bad:?}");
        }
        assert!(acl_rule(AclKind::Topic, Some("a:b"), "x/#").is_err());
        assert!(acl_rule(AclKind::Pattern, None, " sp/#").is_err());
        // Looking up and deleting stay possible for names already stored.
        assert_eq!(username("a:b"), Ok(()));
        assert_eq!(topic_filter("topic", &deeper), Ok(()));
    }

    #[test]
    fn topic_names_and_client_ids() {
        let deepest = vec!["a"; MAX_TOPIC_LEVELS].join("/");
        for good in ["a", "/", "a//b", " a ", "$SYS/x", deepest.as_str()] {
            assert_eq!(topic_name("topic", good), Ok(()), "{good:?}");
        }
        let deeper = vec!["a"; MAX_TOPIC_LEVELS + 1].join("/");
        for bad in ["", "a/+", "#", "a+", "a\nb", "a\u{ffff}", deeper.as_str()] {
            assert_eq!(
                topic_name("topic", bad).unwrap_err().field(),
                Some("topic"),
                "{bad:?}"
            );
        }
        assert!(topic_name("topic", &"a".repeat(MAX_STRING_BYTES + 1)).is_err());
        for good in ["c", "c+", ".", " "] {
            assert_eq!(client_id(good), Ok(()), "{good:?}");
        }
        for bad in ["", "a\u{0}", "\u{fffe}"] {
            assert_eq!(
                client_id(bad).unwrap_err().field(),
                Some("client_id"),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn acl_rules() {
        assert_eq!(acl_rule(AclKind::Topic, Some("u"), "a/#"), Ok(()));
        assert_eq!(acl_rule(AclKind::Pattern, None, "a/%u"), Ok(()));
        assert_eq!(
            acl_rule(AclKind::Topic, None, "a").unwrap_err().field(),
            Some("username")
        );
        assert_eq!(
            acl_rule(AclKind::Pattern, Some("u"), "a")
                .unwrap_err()
                .field(),
            Some("username")
        );
        assert_eq!(
            acl_rule(AclKind::Topic, Some("u"), "a#")
                .unwrap_err()
                .field(),
            Some("pattern")
        );
    }

    #[test]
    fn keys_passwords_limits_pages_queries() {
        assert!(api_key("k").is_ok());
        assert!(api_key("").is_err());
        assert!(api_key("k\r\n").is_err());
        assert!(password("p").is_ok());
        assert_eq!(password("").unwrap_err().field(), Some("password"));
        assert!(limit("limit", 1).is_ok() && limit("limit", 1000).is_ok());
        assert!(limit("limit", 0).is_err() && limit("limit", 1001).is_err());
        assert!(page(1).is_ok() && page(0).is_err());
        assert!(query("").is_ok() && query("al").is_ok() && query("a\u{1}").is_err());
    }
}
