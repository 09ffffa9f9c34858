//! A small JSON reader for response bodies.
//!
//! The core reads a handful of fields from small bodies and must stay small
//! in the WebAssembly build, where `serde_json`'s generic deserialiser and
//! its `BTreeMap`-backed `Value` cost more than the rest of the parsing
//! together. This reader accepts exactly RFC 8259 JSON into a plain tree:
//! objects keep their members in document order (a repeated key: the last
//! one counts, as in `serde_json`), numbers keep their text, strings without
//! escapes borrow from the body, and nesting is bounded so that no input
//! can exhaust the stack.

use std::borrow::Cow;

/// How deep arrays and objects may nest (the same bound as `serde_json`).
const MAX_DEPTH: usize = 128;

/// A parsed JSON value.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Json<'a> {
    Null,
    Bool(bool),
    /// A number, as written.
    Number(Cow<'a, str>),
    String(Cow<'a, str>),
    Array(Vec<Json<'a>>),
    /// Members in document order.
    Object(Vec<(Cow<'a, str>, Json<'a>)>),
}

impl<'a> Json<'a> {
    /// The value of member `key` of an object (the last, if repeated).
    pub(crate) fn get(&self, key: &str) -> Option<&Json<'a>> {
        match self {
            Self::Object(members) => members
                .iter()
                .rev()
                .find_map(|(name, value)| (name == key).then_some(value)),
            _ => None,
        }
    }

    /// The text of a string.
    pub(crate) fn as_str(&self) -> Option<&str> {
        match self {
            Self::String(text) => Some(text),
            _ => None,
        }
    }

    /// Whether this is an object.
    pub(crate) fn is_object(&self) -> bool {
        matches!(self, Self::Object(_))
    }
}

/// Why a body is not JSON, and where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct SyntaxError {
    /// Byte offset of the problem.
    pub offset: usize,
    pub reason: &'static str,
}

impl SyntaxError {
    /// `<reason> at byte <offset>`, built without `core::fmt`.
    pub(crate) fn describe(&self) -> String {
        let mut out = crate::wire::text::concat(&[self.reason, " at byte "]);
        crate::wire::text::push_decimal(&mut out, self.offset as u64);
        out
    }
}

/// Parses a whole JSON text (white space allowed around it).
pub(crate) fn parse(bytes: &[u8]) -> Result<Json<'_>, SyntaxError> {
    let mut reader = Reader { bytes, pos: 0 };
    let value = reader.value(0)?;
    reader.skip_space();
    if reader.pos < bytes.len() {
        return Err(reader.error("trailing characters"));
    }
    Ok(value)
}

struct Reader<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    fn error(&self, reason: &'static str) -> SyntaxError {
        SyntaxError {
            offset: self.pos,
            reason,
        }
    }

    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.pos).copied()
    }

    fn skip_space(&mut self) {
        while let Some(b' ' | b'\t' | b'\n' | b'\r') = self.peek() {
            self.pos += 1;
        }
    }

    /// Consumes `byte` after optional white space.
    fn eat(&mut self, byte: u8) -> bool {
        self.skip_space();
        let found = self.peek() == Some(byte);
        if found {
            self.pos += 1;
        }
        found
    }

    fn literal(&mut self, word: &[u8], value: Json<'a>) -> Result<Json<'a>, SyntaxError> {
        if self.bytes[self.pos..].starts_with(word) {
            self.pos += word.len();
            Ok(value)
        } else {
            Err(self.error("expected a value"))
        }
    }

    fn value(&mut self, depth: usize) -> Result<Json<'a>, SyntaxError> {
        self.skip_space();
        match self.peek() {
            Some(b'n') => self.literal(b"null", Json::Null),
            Some(b't') => self.literal(b"true", Json::Bool(true)),
            Some(b'f') => self.literal(b"false", Json::Bool(false)),
            Some(b'"') => self.string().map(Json::String),
            Some(b'-' | b'0'..=b'9') => self.number(),
            Some(b'[') => {
                let depth = self.enter(depth)?;
                let mut items = Vec::new();
                if !self.eat(b']') {
                    loop {
                        items.push(self.value(depth)?);
                        if self.eat(b']') {
                            break;
                        }
                        if !self.eat(b',') {
                            return Err(self.error("expected `,` or `]`"));
                        }
                    }
                }
                Ok(Json::Array(items))
            }
            Some(b'{') => {
                let depth = self.enter(depth)?;
                let mut members = Vec::new();
                if !self.eat(b'}') {
                    loop {
                        self.skip_space();
                        if self.peek() != Some(b'"') {
                            return Err(self.error("expected a member name"));
                        }
                        let name = self.string()?;
                        if !self.eat(b':') {
                            return Err(self.error("expected `:`"));
                        }
                        members.push((name, self.value(depth)?));
                        if self.eat(b'}') {
                            break;
                        }
                        if !self.eat(b',') {
                            return Err(self.error("expected `,` or `}`"));
                        }
                    }
                }
                Ok(Json::Object(members))
            }
            Some(_) => Err(self.error("expected a value")),
            None => Err(self.error("unexpected end")),
        }
    }

    /// Steps past an opening bracket, one level deeper.
    fn enter(&mut self, depth: usize) -> Result<usize, SyntaxError> {
        if depth >= MAX_DEPTH {
            return Err(self.error("nested too deeply"));
        }
        self.pos += 1;
        Ok(depth + 1)
    }

    fn digits(&mut self) -> usize {
        let start = self.pos;
        while let Some(b'0'..=b'9') = self.peek() {
            self.pos += 1;
        }
        self.pos - start
    }

    fn number(&mut self) -> Result<Json<'a>, SyntaxError> {
        let start = self.pos;
        if self.peek() == Some(b'-') {
            self.pos += 1;
        }
        let leading_zero = self.peek() == Some(b'0');
        match self.digits() {
            0 => return Err(self.error("expected a digit")),
            1 => {}
            _ if leading_zero => return Err(self.error("leading zero in a number")),
            _ => {}
        }
        if self.peek() == Some(b'.') {
            self.pos += 1;
            if self.digits() == 0 {
                return Err(self.error("expected a digit"));
            }
        }
        if let Some(b'e' | b'E') = self.peek() {
            self.pos += 1;
            if let Some(b'+' | b'-') = self.peek() {
                self.pos += 1;
            }
            if self.digits() == 0 {
                return Err(self.error("expected a digit"));
            }
        }
        // Only ASCII digits and signs were consumed.
        let text = std::str::from_utf8(&self.bytes[start..self.pos]).unwrap_or_default();
        Ok(Json::Number(Cow::Borrowed(text)))
    }

    /// Reads a string, the reader on its opening quote. Without escapes it
    /// borrows from the body.
    fn string(&mut self) -> Result<Cow<'a, str>, SyntaxError> {
        let bytes = self.bytes;
        let opening = self.pos;
        self.pos += 1;
        let invalid = || SyntaxError {
            offset: opening,
            reason: "invalid UTF-8 in a string",
        };
        let mut owned: Option<Vec<u8>> = None;
        loop {
            let start = self.pos;
            while let Some(&byte) = bytes.get(self.pos)
                && byte != b'"'
                && byte != b'\\'
                && byte >= 0x20
            {
                self.pos += 1;
            }
            let run = &bytes[start..self.pos];
            match self.peek() {
                Some(b'"') => {
                    self.pos += 1;
                    return match owned {
                        None => std::str::from_utf8(run)
                            .map(Cow::Borrowed)
                            .map_err(|_| invalid()),
                        Some(mut out) => {
                            out.extend_from_slice(run);
                            String::from_utf8(out)
                                .map(Cow::Owned)
                                .map_err(|_| invalid())
                        }
                    };
                }
                Some(b'\\') => {
                    let out = owned.get_or_insert_with(Vec::new);
                    out.extend_from_slice(run);
                    let escape = bytes.get(self.pos + 1).copied();
                    self.pos += 2;
                    let unescaped = match escape {
                        Some(b'"') => '"',
                        Some(b'\\') => '\\',
                        Some(b'/') => '/',
                        Some(b'b') => '\u{8}',
                        Some(b'f') => '\u{c}',
                        Some(b'n') => '\n',
                        Some(b'r') => '\r',
                        Some(b't') => '\t',
                        Some(b'u') => self.unicode_escape()?,
                        _ => {
                            return Err(SyntaxError {
                                offset: self.pos - 1,
                                reason: "invalid escape",
                            });
                        }
                    };
                    out.extend_from_slice(unescaped.encode_utf8(&mut [0; 4]).as_bytes());
                }
                Some(_) => return Err(self.error("control character in a string")),
                None => return Err(self.error("unterminated string")),
            }
        }
    }

    /// Four hex digits after `\u`; a high surrogate must be followed by
    /// `\u` and a low one. A lone surrogate becomes U+FFFD.
    fn unicode_escape(&mut self) -> Result<char, SyntaxError> {
        let first = self.hex4()?;
        if !(0xD800..0xDC00).contains(&first) {
            return Ok(char::from_u32(first).unwrap_or(char::REPLACEMENT_CHARACTER));
        }
        if self.bytes[self.pos..].starts_with(b"\\u") {
            let saved = self.pos;
            self.pos += 2;
            let second = self.hex4()?;
            if (0xDC00..0xE000).contains(&second) {
                let code = 0x10000 + ((first - 0xD800) << 10) + (second - 0xDC00);
                return Ok(char::from_u32(code).unwrap_or(char::REPLACEMENT_CHARACTER));
            }
            // Not a pair: read the second escape on its own.
            self.pos = saved;
        }
        Ok(char::REPLACEMENT_CHARACTER)
    }

    fn hex4(&mut self) -> Result<u32, SyntaxError> {
        let mut code = 0;
        for _ in 0..4 {
            let digit = match self.peek() {
                Some(byte @ b'0'..=b'9') => byte - b'0',
                Some(byte @ b'a'..=b'f') => byte - b'a' + 10,
                Some(byte @ b'A'..=b'F') => byte - b'A' + 10,
                _ => return Err(self.error("expected four hex digits")),
            };
            code = code * 16 + u32::from(digit);
            self.pos += 1;
        }
        Ok(code)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn text(value: &str) -> Json<'_> {
        Json::String(Cow::Borrowed(value))
    }

    #[test]
    fn reads_every_kind_of_value() {
        assert_eq!(parse(b" null "), Ok(Json::Null));
        assert_eq!(parse(b"true"), Ok(Json::Bool(true)));
        assert_eq!(parse(b"false"), Ok(Json::Bool(false)));
        for number in ["0", "-0", "12", "-3.25", "1e5", "6.02E+23", "1.5e-7"] {
            assert_eq!(parse(number.as_bytes()), Ok(Json::Number(number.into())));
        }
        assert_eq!(
            parse(br#"{"a": [1, "x", {}], "b": {"c": null}}"#),
            Ok(Json::Object(vec![
                (
                    "a".into(),
                    Json::Array(vec![
                        Json::Number("1".into()),
                        text("x"),
                        Json::Object(vec![])
                    ])
                ),
                ("b".into(), Json::Object(vec![("c".into(), Json::Null)])),
            ]))
        );
        assert_eq!(parse(b"[ ]"), Ok(Json::Array(vec![])));
    }

    #[test]
    fn decodes_escapes_and_unicode() {
        assert_eq!(
            parse(br#""q\" b\\ s\/ \b\f\n\r\t""#),
            Ok(text("q\" b\\ s/ \u{8}\u{c}\n\r\t"))
        );
        assert_eq!(parse(br#""\u00e9\u4e2d""#), Ok(text("é中")));
        assert_eq!(parse(br#""\ud83d\ude00""#), Ok(text("😀")));
        assert_eq!(parse("\"jürgen 😀\"".as_bytes()), Ok(text("jürgen 😀")));
        // Lone surrogates are kept as U+FFFD rather than refusing the body.
        assert_eq!(parse(br#""\ud800x""#), Ok(text("\u{fffd}x")));
        assert_eq!(parse(br#""\udc00""#), Ok(text("\u{fffd}")));
        assert_eq!(parse(br#""\ud800\u0041""#), Ok(text("\u{fffd}A")));
    }

    #[test]
    fn repeated_keys_last_one_counts() {
        let value = parse(br#"{"a": 1, "a": 2}"#).unwrap();
        assert_eq!(value.get("a"), Some(&Json::Number("2".into())));
        assert_eq!(value.get("b"), None);
        assert_eq!(text("x").get("a"), None);
    }

    #[test]
    fn refuses_what_is_not_json() {
        for bad in [
            &b""[..],
            b"  ",
            b"nul",
            b"True",
            b"01",
            b"-",
            b"1.",
            b".5",
            b"1e",
            b"+1",
            b"[1,]",
            b"[1 2]",
            b"{\"a\" 1}",
            b"{\"a\":1,}",
            b"{a:1}",
            b"\"open",
            b"\"tab\there\"",
            b"\"\\x\"",
            b"\"\\u12\"",
            b"\"\xff\"",
            b"\xff",
            b"[] []",
            b"NaN",
        ] {
            assert!(parse(bad).is_err(), "{:?}", String::from_utf8_lossy(bad));
        }
        assert_eq!(
            parse(b"[1, x]").unwrap_err().describe(),
            "expected a value at byte 4"
        );
    }

    #[test]
    fn deep_nesting_is_an_error_not_a_crash() {
        let deep = "[".repeat(100_000);
        assert_eq!(
            parse(deep.as_bytes()).unwrap_err().reason,
            "nested too deeply"
        );
        let fine = format!("{}{}", "[".repeat(MAX_DEPTH), "]".repeat(MAX_DEPTH));
        assert!(parse(fine.as_bytes()).is_ok());
        let over = format!("{}{}", "[".repeat(MAX_DEPTH + 1), "]".repeat(MAX_DEPTH + 1));
        assert!(parse(over.as_bytes()).is_err());
    }

    /// The same tree `serde_json` reads, for comparison.
    fn from_serde(value: &serde_json::Value) -> Json<'_> {
        use serde_json::Value;
        match value {
            Value::Null => Json::Null,
            Value::Bool(flag) => Json::Bool(*flag),
            Value::Number(number) => Json::Number(number.to_string().into()),
            Value::String(text) => Json::String(text.as_str().into()),
            Value::Array(items) => Json::Array(items.iter().map(from_serde).collect()),
            Value::Object(map) => Json::Object(
                map.iter()
                    .map(|(name, value)| (name.as_str().into(), from_serde(value)))
                    .collect(),
            ),
        }
    }

    fn any_json() -> impl Strategy<Value = serde_json::Value> {
        use serde_json::Value;
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::Bool),
            any::<i64>().prop_map(Value::from),
            any::<u64>().prop_map(Value::from),
            ".*".prop_map(Value::String),
        ];
        leaf.prop_recursive(4, 48, 6, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
                prop::collection::btree_map(".*", inner, 0..6)
                    .prop_map(|map| Value::Object(map.into_iter().collect())),
            ]
        })
    }

    proptest! {
        #[test]
        fn reads_what_serde_json_writes(value in any_json(), pretty in any::<bool>()) {
            let text = if pretty {
                serde_json::to_string_pretty(&value).unwrap()
            } else {
                serde_json::to_string(&value).unwrap()
            };
            prop_assert_eq!(parse(text.as_bytes()), Ok(from_serde(&value)));
        }

        #[test]
        fn accepts_what_serde_json_accepts(bytes in prop::collection::vec(any::<u8>(), 0..64)) {
            // serde_json refuses lone surrogates, which this reader keeps as
            // U+FFFD; random bytes seldom spell one.
            let ours = parse(&bytes).is_ok();
            let theirs = serde_json::from_slice::<serde_json::Value>(&bytes).is_ok();
            prop_assert_eq!(ours, theirs);
        }

        #[test]
        fn accepts_what_serde_json_accepts_in_json_like_text(
            text in r#"[\[\]{}:,"\\ a-z0-9.eE+\-]{0,24}"#
        ) {
            let ours = parse(text.as_bytes()).is_ok();
            let theirs = serde_json::from_str::<serde_json::Value>(&text).is_ok();
            prop_assert_eq!(ours, theirs, "{}", text);
        }
    }
}
