//! Recognising response bodies that are already in the documented compact
//! JSON shape, so that a transport whose host parses JSON natively (a
//! JavaScript engine's `JSON.parse`) can hand such a body over as it is,
//! instead of having it parsed here and written out again.
//!
//! The answer is this crate's: a body recognised here parses (with
//! [`parse_users`](crate::parse_users)) to exactly the items it spells.

/// Whether `body` is a user list exactly as the documented shape writes it
/// compactly: `[]`, or `[{"username":"…"},…]` with no whitespace, and
/// names without escapes, quotes or control characters, the whole body
/// valid UTF-8.
///
/// For such a body [`parse_users`](crate::parse_users) returns one
/// [`User`](crate::User) per item with that name, unchanged, so the
/// body's own JSON is the normalised result.
///
/// # Examples
/// ```
/// use cloudmqtt_api::is_canonical_user_list;
///
/// assert!(is_canonical_user_list(br#"[{"username":"alice"},{"username":"bob"}]"#));
/// assert!(!is_canonical_user_list(br#"[{"user":"alice"}]"#)); // tolerated, not canonical
/// assert!(!is_canonical_user_list(br#"[ {"username":"alice"} ]"#));
/// ```
pub fn is_canonical_user_list(body: &[u8]) -> bool {
    const ITEM_START: &[u8] = br#"{"username":""#;
    const ITEM_END: &[u8] = br#""}"#;
    if std::str::from_utf8(body).is_err() {
        return false;
    }
    let Some(mut rest) = body.strip_prefix(b"[") else {
        return false;
    };
    if rest == b"]" {
        return true;
    }
    loop {
        let Some(after) = rest.strip_prefix(ITEM_START) else {
            return false;
        };
        // The name runs to the next quote; it must hold no escape and no
        // control character.
        let Some(end) = after.iter().position(|&byte| byte == b'"') else {
            return false;
        };
        if after[..end]
            .iter()
            .any(|&byte| byte == b'\\' || byte < 0x20)
        {
            return false;
        }
        let Some(next) = after[end..].strip_prefix(ITEM_END) else {
            return false;
        };
        match next {
            b"]" => return true,
            [b',', more @ ..] => rest = more,
            _ => return false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::is_canonical_user_list;
    use crate::{User, parse_users};

    /// Writes users the way the documented shape does, compactly.
    fn write(names: &[&str]) -> String {
        let items: Vec<String> = names
            .iter()
            .map(|name| format!(r#"{{"username":"{name}"}}"#))
            .collect();
        format!("[{}]", items.join(","))
    }

    #[test]
    fn canonical_lists_are_recognised_and_parse_to_their_names() {
        for names in [
            &[][..],
            &["alice"][..],
            &["alice", "bob", ""][..],
            &["名前", "jürgen", "a/b", "%u", "with space", "#", "+"][..],
        ] {
            let body = write(names);
            assert!(is_canonical_user_list(body.as_bytes()), "{body}");
            let users = parse_users(body.as_bytes()).expect("parses");
            let expected: Vec<User> = names
                .iter()
                .map(|name| User {
                    username: (*name).to_owned(),
                })
                .collect();
            assert_eq!(users, expected, "{body}");
        }
    }

    #[test]
    fn anything_else_is_left_to_the_parser() {
        for body in [
            "",
            " ",
            "[",
            "]",
            "[ ]",
            "[]\n",
            " []",
            "null",
            "{}",
            r#"{"items":[]}"#,
            r#"["alice"]"#,
            r#"[{"user":"alice"}]"#,
            r#"[{"username":"alice","extra":1}]"#,
            r#"[{"username": "alice"}]"#,
            r#"[{"username":"al\"ice"}]"#,
            r#"[{"username":"al\\ice"}]"#,
            r#"[{"username":"al\u0041ice"}]"#,
            "[{\"username\":\"tab\there\"}]",
            r#"[{"username":"alice"},]"#,
            r#"[{"username":"alice"}"#,
            r#"[{"username":"alice"}]x"#,
            r#"[{"username":"alice"},{"username":"bob"}]]"#,
            r#"[{"username":1}]"#,
        ] {
            assert!(!is_canonical_user_list(body.as_bytes()), "{body:?}");
        }
        assert!(!is_canonical_user_list(b"[{\"username\":\"\xff\"}]"));
    }
}
