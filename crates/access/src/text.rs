//! Small text helpers in place of the standard library's larger general
//! forms, which the WebAssembly build would otherwise carry (see README,
//! Size).

/// Where `needle` first occurs in `haystack`: a plain scan in place of
/// `str::find` with a `&str`. The texts searched here are short.
pub(crate) fn find(haystack: &str, needle: &str) -> Option<usize> {
    if needle.is_empty() {
        return Some(0);
    }
    haystack
        .as_bytes()
        .windows(needle.len())
        .position(|window| window == needle.as_bytes())
}

/// Whether `needle` occurs in `haystack`: `str::contains` with a `&str`.
pub(crate) fn contains(haystack: &str, needle: &str) -> bool {
    find(haystack, needle).is_some()
}

/// Whether `text` holds a `%u` or a `%c` placeholder.
pub(crate) fn has_placeholder(text: &str) -> bool {
    contains(text, "%u") || contains(text, "%c")
}
