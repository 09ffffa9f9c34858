//! Small text helpers the WebAssembly build needs without the standard
//! library's larger general forms, and the writers of the wire format (JSON
//! strings, percent-encoding, decimals). This module uses nothing else of
//! the crate, so that every other module can use it.

/// `text` without the `byte`s (an ASCII character) at its end: a
/// `trim_end_matches` with less code (see README, Size).
pub(crate) fn trim_end_byte(text: &str, byte: u8) -> &str {
    let mut end = text.len();
    while end > 0 && text.as_bytes()[end - 1] == byte {
        end -= 1;
    }
    &text[..end]
}

/// `text` without the `byte`s (an ASCII character) at its start: a
/// `trim_start_matches` with less code (see README, Size).
pub(crate) fn trim_start_byte(text: &str, byte: u8) -> &str {
    let mut start = 0;
    while text.as_bytes().get(start) == Some(&byte) {
        start += 1;
    }
    &text[start..]
}

/// `text` with each `/` escaped as `\/`, as PHP's `json_encode` writes it.
pub(crate) fn slashes_escaped(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut start = 0;
    for (at, byte) in text.bytes().enumerate() {
        if byte == b'/' {
            out.push_str(&text[start..at]);
            out.push_str("\\/");
            start = at + 1;
        }
    }
    out.push_str(&text[start..]);
    out
}

/// The parts one after another: `[..].concat()` with one copy of the
/// code for every caller, and smaller (see README, Size).
pub fn concat(parts: &[&str]) -> String {
    let mut len = 0;
    for part in parts {
        len += part.len();
    }
    let mut out = String::with_capacity(len);
    for part in parts {
        out.push_str(part);
    }
    out
}

/// Where `needle` first occurs in `haystack`: a plain scan. The texts the
/// core searches are short, and the standard library's substring search
/// (`str::find` with a `&str`) is one of the larger pieces of the
/// WebAssembly build.
pub fn find(haystack: &str, needle: &str) -> Option<usize> {
    if needle.is_empty() {
        return Some(0);
    }
    haystack
        .as_bytes()
        .windows(needle.len())
        .position(|window| window == needle.as_bytes())
}

/// A whole number written in ASCII digits only (no sign), or `None` when
/// `text` is empty, holds anything else or does not fit in a `u64`. One
/// reader for every number the core reads from text, in place of
/// `str::parse`, which the WebAssembly build compiles once per integer
/// type.
pub(crate) fn parse_decimal(text: &str) -> Option<u64> {
    if text.is_empty() {
        return None;
    }
    text.bytes().try_fold(0u64, |number, byte| {
        let digit = char::from(byte).to_digit(10)?;
        number.checked_mul(10)?.checked_add(u64::from(digit))
    })
}

/// `bytes` as text, each invalid UTF-8 sequence replaced by U+FFFD, as
/// `String::from_utf8_lossy` does; written with `str::from_utf8`, which
/// the build has anyway, rather than the standard library's chunk
/// iterator (a test checks the two agree).
pub(crate) fn lossy(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len());
    let mut rest = bytes;
    loop {
        match std::str::from_utf8(rest) {
            Ok(text) => {
                out.push_str(text);
                return out;
            }
            Err(error) => {
                let (valid, after) = rest.split_at(error.valid_up_to());
                out.push_str(std::str::from_utf8(valid).unwrap_or_default());
                out.push(char::REPLACEMENT_CHARACTER);
                let skip = error.error_len().unwrap_or(after.len());
                rest = &after[skip..];
            }
        }
    }
}

/// The standard base64 alphabet (RFC 4648, section 4).
const BASE64_ALPHABET: &[u8; 64] =
    b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/// Appends `bytes` in standard base64 with `=` padding, as the
/// `Authorization: Basic` header carries credentials. Written out rather
/// than taken from the `base64` crate, whose general engine is a large
/// piece of the WebAssembly build for this one use; a test checks the two
/// agree.
pub(crate) fn push_base64(out: &mut String, bytes: &[u8]) {
    for chunk in bytes.chunks(3) {
        let group = chunk.iter().enumerate().fold(0u32, |group, (index, byte)| {
            group | u32::from(*byte) << (16 - 8 * index)
        });
        for index in 0..4 {
            if index <= chunk.len() {
                let sextet = (group >> (18 - 6 * index)) & 0x3F;
                out.push(char::from(BASE64_ALPHABET[sextet as usize]));
            } else {
                out.push('=');
            }
        }
    }
}

/// Appends `%XX` for `byte`, in upper-case hex as RFC 3986 recommends.
fn push_percent(out: &mut String, byte: u8) {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    out.push('%');
    out.push(char::from(HEX[usize::from(byte >> 4)]));
    out.push(char::from(HEX[usize::from(byte & 0xF)]));
}

/// Appends `text` percent-encoded so that it stays exactly one path
/// segment: everything but RFC 3986's unreserved characters (ASCII letters,
/// digits, `-`, `.`, `_`, `~`) is encoded.
///
/// This and [`push_form_pair`] are written out rather than taken from the
/// `percent-encoding` and `form_urlencoded` crates, whose 768-byte table of
/// every `%XX` and general encoders are a large piece of the WebAssembly
/// build; tests check that they agree with those crates.
pub(crate) fn push_path_segment(out: &mut String, text: &str) {
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(byte));
        } else {
            push_percent(out, byte);
        }
    }
}

/// Appends `text` as `application/x-www-form-urlencoded` writes it (the
/// WHATWG URL standard's byte serializer): ASCII letters, digits, `*`, `-`,
/// `.` and `_` as they are, a space as `+`, every other byte as `%XX`.
fn push_form_component(out: &mut String, text: &str) {
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'*' | b'-' | b'.' | b'_') {
            out.push(char::from(byte));
        } else if byte == b' ' {
            out.push('+');
        } else {
            push_percent(out, byte);
        }
    }
}

/// Appends one `name=value` pair of a form-urlencoded text, after a `&`
/// when `out` already holds a pair.
pub(crate) fn push_form_pair(out: &mut String, name: &str, value: &str) {
    if !out.is_empty() {
        out.push('&');
    }
    push_form_component(out, name);
    out.push('=');
    push_form_component(out, value);
}

/// `text` as a form-urlencoded component (see [`push_form_pair`]).
pub(crate) fn form_component(text: &str) -> String {
    let mut out = String::new();
    push_form_component(&mut out, text);
    out
}

/// Appends `number` in decimal to `out`, without `core::fmt` (which no
/// success path of the WebAssembly build needs).
pub fn push_decimal(out: &mut String, mut number: u64) {
    let mut digits = [0u8; 20];
    let mut start = digits.len();
    loop {
        start -= 1;
        digits[start] = b'0' + (number % 10) as u8;
        number /= 10;
        if number == 0 {
            break;
        }
    }
    for &digit in &digits[start..] {
        out.push(char::from(digit));
    }
}

/// Appends `text` quoted as `format!("{text:?}")` shows it (the same
/// escapes), without `core::fmt`: error messages of the declarative layer
/// name users and patterns so.
pub(crate) fn push_quoted(out: &mut String, text: &str) {
    out.push('"');
    for c in text.chars() {
        // `{:?}` of a string escapes what `char::escape_debug` does, but
        // for the single quote.
        if c == '\'' {
            out.push(c);
        } else {
            out.extend(c.escape_debug());
        }
    }
    out.push('"');
}

/// `number` in decimal (see [`push_decimal`]).
pub(crate) fn format_decimal(number: u64) -> String {
    let mut out = String::new();
    push_decimal(&mut out, number);
    out
}

/// Percent-encodes a value so that it stays exactly one path segment:
/// everything but RFC 3986's unreserved characters is encoded.
pub fn encode_path_segment(segment: &str) -> String {
    let mut out = String::new();
    push_path_segment(&mut out, segment);
    out
}

/// Appends `text` as a JSON string: quotes, backslashes and control
/// characters escaped, everything else as is (JSON is UTF-8); the same
/// bytes as `serde_json` and JavaScript's `JSON.stringify` produce.
pub fn push_json_string(out: &mut String, text: &str) {
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            c if c < ' ' => push_unicode_escape(out, c as u16),
            c => out.push(c),
        }
    }
    out.push('"');
}

/// Appends `["a","b"]`: each string as [`push_json_string`] writes it.
pub fn push_json_strings<'a>(out: &mut String, items: impl IntoIterator<Item = &'a str>) {
    out.push('[');
    for (index, item) in items.into_iter().enumerate() {
        if index > 0 {
            out.push(',');
        }
        push_json_string(out, item);
    }
    out.push(']');
}

/// Appends a JSON `\uXXXX` escape of one UTF-16 code unit (lower-case hex).
pub(crate) fn push_unicode_escape(out: &mut String, unit: u16) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    out.push_str("\\u");
    for shift in [12, 8, 4, 0] {
        out.push(HEX[usize::from(unit >> shift) & 0xf] as char);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // The small replacements above, checked against the standard library
    // calls they stand for.
    proptest::proptest! {
        #[test]
        fn trim_byte_is_trim_matches(text in "[a/=0é ]{0,12}") {
            for byte in [b'/', b'=', b'0', b' '] {
                proptest::prop_assert_eq!(
                    trim_end_byte(&text, byte),
                    text.trim_end_matches(char::from(byte))
                );
                proptest::prop_assert_eq!(
                    trim_start_byte(&text, byte),
                    text.trim_start_matches(char::from(byte))
                );
            }
        }

        #[test]
        fn slashes_escaped_is_replace(text in "[a/\\\\é]{0,12}") {
            proptest::prop_assert_eq!(slashes_escaped(&text), text.replace('/', "\\/"));
        }

        #[test]
        fn concat_is_slice_concat(parts in proptest::collection::vec("[a-zé/]{0,5}", 0..5)) {
            let parts: Vec<&str> = parts.iter().map(String::as_str).collect();
            proptest::prop_assert_eq!(concat(&parts), parts.concat());
        }
    }

    #[test]
    fn quoted_is_debug_for_every_char() {
        let quoted = |text: &str| {
            let mut out = String::new();
            push_quoted(&mut out, text);
            out
        };
        for c in (0..=0x0010_FFFF).filter_map(char::from_u32) {
            let text = format!("a{c}'{c}");
            assert_eq!(quoted(&text), format!("{text:?}"), "{:x}", u32::from(c));
        }
        assert_eq!(quoted(""), "\"\"");
    }

    /// Texts with every byte value, spaces, and characters beyond ASCII.
    fn samples() -> Vec<String> {
        let mut samples: Vec<String> = (0..=127u8)
            .map(|byte| char::from(byte).to_string())
            .collect();
        samples.extend(
            [
                "",
                "alice",
                "a b+c&d=e",
                "100%",
                "ä/é?ß#",
                "日本",
                "🙂 x",
                "~*-._",
                "a\u{7f}b",
            ]
            .map(str::to_owned),
        );
        samples.push((0..=127u8).map(char::from).collect());
        samples
    }

    #[test]
    fn path_segments_agree_with_percent_encoding() {
        use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
        const UNRESERVED: &AsciiSet = &NON_ALPHANUMERIC
            .remove(b'-')
            .remove(b'.')
            .remove(b'_')
            .remove(b'~');
        for text in samples() {
            let mut out = String::new();
            push_path_segment(&mut out, &text);
            assert_eq!(
                out,
                utf8_percent_encode(&text, UNRESERVED).to_string(),
                "{text:?}"
            );
        }
    }

    #[test]
    fn form_pairs_agree_with_form_urlencoded() {
        for text in samples() {
            let mut out = String::new();
            push_form_pair(&mut out, &text, "v");
            push_form_pair(&mut out, "k", &text);
            let expected = form_urlencoded::Serializer::new(String::new())
                .append_pair(&text, "v")
                .append_pair("k", &text)
                .finish();
            assert_eq!(out, expected, "{text:?}");
            assert_eq!(
                form_component(&text),
                form_urlencoded::byte_serialize(text.as_bytes()).collect::<String>()
            );
        }
    }

    #[test]
    fn decimal_agrees_with_parse_on_digits() {
        for text in [
            "0",
            "7",
            "007",
            "65535",
            "18446744073709551615",
            "18446744073709551616",
            "",
            "+7",
            "-1",
            "1 ",
            "1.5",
            "١",
        ] {
            let expected = if text.bytes().all(|b| b.is_ascii_digit()) {
                text.parse::<u64>().ok()
            } else {
                None
            };
            assert_eq!(parse_decimal(text), expected, "{text:?}");
        }
    }

    #[test]
    fn lossy_agrees_with_the_standard_library() {
        let pieces: [&[u8]; 10] = [
            b"a",
            b"\xC3\xA9",
            b"\xC3",
            b"\xE2\x82",
            b"\xE2\x82\xAC",
            b"\xF0\x9F\x99\x82",
            b"\xF0\x9F",
            b"\xFF",
            b"\x80",
            b"\xED\xA0\x80",
        ];
        let mut state: u64 = 0x1234_5678_9ABC_DEF1;
        for _ in 0..5_000 {
            let mut bytes = Vec::new();
            for _ in 0..(state % 7) {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                bytes.extend_from_slice(pieces[usize::try_from(state % 10).unwrap()]);
            }
            assert_eq!(lossy(&bytes), String::from_utf8_lossy(&bytes), "{bytes:?}");
            state = state.wrapping_add(1);
        }
    }

    #[test]
    fn base64_agrees_with_the_base64_crate() {
        use base64::Engine as _;
        let mut input = Vec::new();
        for length in 0..300 {
            let mut out = String::from("Basic ");
            push_base64(&mut out, &input);
            let expected = base64::engine::general_purpose::STANDARD.encode(&input);
            assert_eq!(out, ["Basic ", &expected].concat(), "{length} bytes");
            input.push(u8::try_from((length * 97 + 13) % 256).unwrap());
        }
    }

    #[test]
    fn find_agrees_with_the_standard_library() {
        let haystacks = [
            "",
            "a",
            "abc",
            "aab",
            "ab://cd://",
            "ééa",
            "</script></script>",
            "xx-->",
        ];
        let needles = ["", "a", "b", "ab", "://", "é", "</script>", "-->", "abcd"];
        for haystack in haystacks {
            for needle in needles {
                assert_eq!(
                    find(haystack, needle),
                    haystack.find(needle),
                    "{haystack:?} {needle:?}"
                );
            }
        }
    }

    #[test]
    fn json_strings_are_escaped_as_json_stringify_escapes_them() {
        let cases = [
            ("", r#""""#),
            ("alice", r#""alice""#),
            ("a\"b\\c/d", r#""a\"b\\c/d""#),
            ("\u{8}\u{c}\n\r\t", r#""\b\f\n\r\t""#),
            ("\u{0}\u{1}\u{b}\u{1f}", r#""\u0000\u0001\u000b\u001f""#),
            ("\u{7f} é日🙂\u{2028}", "\"\u{7f} é日🙂\u{2028}\""),
        ];
        for (text, json) in cases {
            let mut out = String::from("x");
            push_json_string(&mut out, text);
            assert_eq!(out, ["x", json].concat(), "{text:?}");
        }
    }

    #[test]
    fn decimals_are_written_as_display_writes_them() {
        for number in [0, 7, 10, 1234, u64::from(u32::MAX), u64::MAX] {
            assert_eq!(format_decimal(number), number.to_string());
        }
    }

    #[test]
    fn path_segments_stay_single() {
        let cases = [
            ("alice", "alice"),
            ("a/b", "a%2Fb"),
            ("../x", "..%2Fx"),
            ("%", "%25"),
            ("?", "%3F"),
            ("#", "%23"),
            ("with space", "with%20space"),
            ("jürgen", "j%C3%BCrgen"),
            ("a.b-c_d~e", "a.b-c_d~e"),
            ("+", "%2B"),
        ];
        for (raw, encoded) in cases {
            assert_eq!(encode_path_segment(raw), encoded);
        }
    }
}
