//! Small text helpers in place of the standard library's larger general
//! forms, which the WebAssembly build would otherwise carry (see README,
//! Size). `find` and `concat` are the core's own.

pub(crate) use cloudmqtt_api::{text_concat as concat, text_find as find};

/// Whether `needle` occurs in `haystack`: `str::contains` with a `&str`.
pub(crate) fn contains(haystack: &str, needle: &str) -> bool {
    find(haystack, needle).is_some()
}

/// Whether `text` holds a `%u` or a `%c` placeholder.
pub(crate) fn has_placeholder(text: &str) -> bool {
    contains(text, "%u") || contains(text, "%c")
}

/// The parts with `separator` between each two: `[..].join(separator)`.
pub(crate) fn join(parts: &[&str], separator: &str) -> String {
    let mut out = String::new();
    for (at, part) in parts.iter().enumerate() {
        if at > 0 {
            out.push_str(separator);
        }
        out.push_str(part);
    }
    out
}

/// The levels of a topic or filter: `text.split('/').collect()` with a
/// byte loop (an empty text is one empty level).
pub(crate) fn split_levels(text: &str) -> Vec<&str> {
    let mut levels = Vec::new();
    let mut start = 0;
    for (at, byte) in text.bytes().enumerate() {
        if byte == b'/' {
            levels.push(&text[start..at]);
            start = at + 1;
        }
    }
    levels.push(&text[start..]);
    levels
}

#[cfg(test)]
mod tests {
    use super::*;

    proptest::proptest! {
        #[test]
        fn split_levels_is_split(text in "[a/é+#]{0,8}") {
            proptest::prop_assert_eq!(split_levels(&text), text.split('/').collect::<Vec<_>>());
        }

        #[test]
        fn find_is_str_find(haystack in "[ab%é]{0,8}", needle in "[ab%é]{0,3}") {
            proptest::prop_assert_eq!(find(&haystack, &needle), haystack.find(needle.as_str()));
        }

        #[test]
        fn join_is_slice_join(parts in proptest::collection::vec("[a/é]{0,4}", 0..5)) {
            let parts: Vec<&str> = parts.iter().map(String::as_str).collect();
            proptest::prop_assert_eq!(join(&parts, ", "), parts.join(", "));
            proptest::prop_assert_eq!(concat(&parts), parts.concat());
        }
    }
}
