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
    // `{"username":"` as a little-endian word and the five bytes after it:
    // compared a word at a time, this loop is the whole cost of reading a
    // canonical list.
    const START_WORD: u64 = u64::from_le_bytes(*b"{\"userna");
    const START_REST: &[u8; 5] = b"me\":\"";
    if body == b"[]" {
        return true;
    }
    let mut at = 1;
    if body.first() != Some(&b'[') {
        return false;
    }
    // Bytes outside ASCII seen in names: UTF-8 is checked only then.
    let mut seen = 0u8;
    loop {
        let start = match body.get(at..at + 8) {
            Some(&[a, b, c, d, e, f, g, h]) => u64::from_le_bytes([a, b, c, d, e, f, g, h]),
            _ => return false,
        };
        if start != START_WORD || body.get(at + 8..at + 13) != Some(&START_REST[..]) {
            return false;
        }
        at += 13;
        // The name runs to the next quote; it must hold no escape and no
        // control character.
        loop {
            match body.get(at) {
                Some(b'"') => break,
                Some(&byte) if byte != b'\\' && byte >= 0x20 => {
                    seen |= byte;
                    at += 1;
                }
                _ => return false,
            }
        }
        // `"}` and then `,` and the next item, or `]` and the end.
        match body.get(at + 1..) {
            Some([b'}', b',', ..]) => at += 3,
            Some([b'}', b']']) => break,
            _ => return false,
        }
    }
    seen < 0x80 || std::str::from_utf8(body).is_ok()
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

    /// The check written plainly, a pattern at a time: what the one-pass
    /// version must agree with.
    fn plainly(body: &[u8]) -> bool {
        const ITEM_START: &[u8] = br#"{"username":""#;
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
            let Some(end) = after.iter().position(|&byte| byte == b'"') else {
                return false;
            };
            if after[..end]
                .iter()
                .any(|&byte| byte == b'\\' || byte < 0x20)
            {
                return false;
            }
            match &after[end..] {
                [b'"', b'}', b']'] => return true,
                [b'"', b'}', b',', more @ ..] => rest = more,
                _ => return false,
            }
        }
    }

    proptest::proptest! {
        #[test]
        fn agrees_with_the_plain_check(
            names in proptest::collection::vec(
                proptest::collection::vec(
                    proptest::prop_oneof![
                        8 => 0x20u8..0x7f,
                        1 => proptest::sample::select(vec![b'"', b'\\', 0x00, 0x1f, 0x80, 0xc3, 0xa9, 0xff]),
                    ],
                    0..24,
                ),
                0..6,
            ),
            cut in 0usize..400,
        ) {
            let mut body = b"[".to_vec();
            for (index, name) in names.iter().enumerate() {
                if index > 0 {
                    body.push(b',');
                }
                body.extend_from_slice(br#"{"username":""#);
                body.extend_from_slice(name);
                body.extend_from_slice(br#""}"#);
            }
            body.push(b']');
            proptest::prop_assert_eq!(is_canonical_user_list(&body), plainly(&body), "{:?}", String::from_utf8_lossy(&body));
            let cut = cut.min(body.len());
            proptest::prop_assert_eq!(is_canonical_user_list(&body[..cut]), plainly(&body[..cut]));
        }
    }
}
