//! Reading the server's own words out of an error body: a JSON `error`,
//! `message`, `reason` or `errors` field, else the text, with HTML reduced
//! to its readable text; bounded in length.

use crate::http::Response;
use crate::wire::json::{self, Json};
use crate::wire::text::find;

/// Longest server message kept, in characters.
const MESSAGE_LIMIT: usize = 300;
/// How much of an error body is searched for the server's message, in bytes.
const MESSAGE_SOURCE_LIMIT: usize = 64 * 1024;
/// Longest body snippet kept, in bytes.
const SNIPPET_LIMIT: usize = 1024;

/// The start of a body as text, bounded to [`SNIPPET_LIMIT`] bytes.
pub(crate) fn body_snippet(body: &[u8]) -> String {
    let head = &body[..body.len().min(SNIPPET_LIMIT)];
    crate::wire::text::lossy(head)
}

/// Finds the server's own words in an error response.
pub(super) fn server_message(response: &Response) -> Option<String> {
    let head = &response.body[..response.body.len().min(MESSAGE_SOURCE_LIMIT)];
    let text = crate::wire::text::lossy(head);
    let text = text.trim();
    if text.is_empty() {
        return None;
    }
    if let Ok(value) = json::parse(text.as_bytes())
        && let Some(message) = json_message(&value)
    {
        return bounded(&message);
    }
    let is_html = response
        .header("content-type")
        .is_some_and(|ct| find(&ct.to_ascii_lowercase(), "html").is_some())
        || text.starts_with('<');
    if is_html {
        return bounded(&html_to_text(text));
    }
    bounded(text)
}

/// The message in a JSON error body: `error`, `message`, `reason` or `errors`.
fn json_message(value: &Json<'_>) -> Option<String> {
    match value {
        Json::String(text) => Some(text.to_string()),
        Json::Object(_) => {
            for key in ["error", "message", "reason", "error_description", "detail"] {
                match value.get(key) {
                    Some(Json::String(text)) if !text.trim().is_empty() => {
                        return Some(text.to_string());
                    }
                    Some(nested @ Json::Object(_)) => {
                        if let Some(text) = json_message(nested) {
                            return Some(text);
                        }
                    }
                    _ => {}
                }
            }
            value.get("errors").and_then(errors_message)
        }
        _ => None,
    }
}

/// Joins an `errors` field: a list of strings or objects, or a map of field
/// names to messages.
fn errors_message(errors: &Json<'_>) -> Option<String> {
    let mut parts = String::new();
    match errors {
        Json::String(text) => parts.push_str(text),
        Json::Array(items) => join_messages(&mut parts, items, "; "),
        Json::Object(members) => {
            for (field, value) in members {
                let mut text = String::new();
                match value {
                    Json::Array(items) => join_messages(&mut text, items, ", "),
                    other => {
                        if let Some(message) = json_message(other) {
                            text = message;
                        }
                    }
                }
                if !text.is_empty() {
                    if !parts.is_empty() {
                        parts.push_str("; ");
                    }
                    parts.push_str(field);
                    parts.push_str(": ");
                    parts.push_str(&text);
                }
            }
        }
        _ => {}
    }
    (!parts.is_empty()).then_some(parts)
}

/// Appends the message of each of `items` that has one, `separator`
/// between them.
fn join_messages(out: &mut String, items: &[Json<'_>], separator: &str) {
    for message in items.iter().filter_map(json_message) {
        if !out.is_empty() {
            out.push_str(separator);
        }
        out.push_str(&message);
    }
}

/// Reduces an HTML page to its readable text: tags, scripts and styles
/// dropped, common entities decoded, white space folded.
fn html_to_text(html: &str) -> String {
    // ASCII lowercasing keeps every byte offset, so positions found in
    // `lower` apply to `html`.
    let lower = html.to_ascii_lowercase();
    let mut out = String::with_capacity(html.len().min(4096));
    let mut at = 0;
    while let Some(start) = html[at..].find('<').map(|i| at + i) {
        out.push_str(&html[at..start]);
        out.push(' ');
        let tag = &lower[start..];
        let end = if tag.starts_with("<script") {
            find(tag, "</script>").map(|i| i + "</script>".len())
        } else if tag.starts_with("<style") {
            find(tag, "</style>").map(|i| i + "</style>".len())
        } else if tag.starts_with("<!--") {
            find(tag, "-->").map(|i| i + 3)
        } else {
            tag.find('>').map(|i| i + 1)
        };
        match end {
            Some(end) => at = start + end,
            None => {
                at = html.len();
                break;
            }
        }
    }
    out.push_str(&html[at..]);
    let decoded = decode_entities(&out);
    let mut folded = String::with_capacity(decoded.len());
    for word in decoded.split_whitespace() {
        if !folded.is_empty() {
            folded.push(' ');
        }
        folded.push_str(word);
    }
    folded
}

/// The common HTML entities and what they stand for.
const ENTITIES: [(&str, char); 6] = [
    ("&nbsp;", ' '),
    ("&lt;", '<'),
    ("&gt;", '>'),
    ("&quot;", '"'),
    ("&#39;", '\''),
    ("&amp;", '&'),
];

/// `text` with the [`ENTITIES`] decoded, in one pass: a decoded `&` never
/// starts another entity (`&amp;lt;` is `&lt;`).
fn decode_entities(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find('&') {
        out.push_str(&rest[..at]);
        rest = &rest[at..];
        match ENTITIES.iter().find(|(name, _)| rest.starts_with(name)) {
            Some((name, decoded)) => {
                out.push(*decoded);
                rest = &rest[name.len()..];
            }
            None => {
                out.push('&');
                rest = &rest[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

/// Trims and bounds a message; `None` when nothing is left.
fn bounded(text: &str) -> Option<String> {
    let text = text.trim();
    if text.is_empty() {
        return None;
    }
    match text.char_indices().nth(MESSAGE_LIMIT) {
        Some((cut, _)) => Some(crate::wire::text::concat(&[text[..cut].trim_end(), "…"])),
        None => Some(text.to_owned()),
    }
}

#[cfg(test)]
mod tests {
    use super::super::Error;
    use super::super::tests::response;
    use super::*;

    #[test]
    fn message_comes_from_json_text_html_or_nothing() {
        let cases = [
            (
                r#"{"error":"Username taken"}"#,
                "application/json",
                Some("Username taken"),
            ),
            (r#"{"message":"bad"}"#, "application/json", Some("bad")),
            (r#"{"reason":"why not"}"#, "", Some("why not")),
            (r#"{"error":{"message":"nested"}}"#, "", Some("nested")),
            (r#"{"errors":["a","b"]}"#, "", Some("a; b")),
            (r#"{"errors":[{"message":"a"}]}"#, "", Some("a")),
            (
                r#"{"errors":{"username":["is taken"]}}"#,
                "",
                Some("username: is taken"),
            ),
            (r#""plain json string""#, "", Some("plain json string")),
            (
                "  Service Unavailable \n",
                "text/plain",
                Some("Service Unavailable"),
            ),
            (
                "<html><head><title>502 Bad Gateway</title><style>b{}</style></head><body><h1>Bad &amp; Gateway</h1><script>x()</script></body></html>",
                "text/html",
                Some("502 Bad Gateway Bad & Gateway"),
            ),
            ("", "", None),
            ("   ", "text/plain", None),
            ("{}", "application/json", Some("{}")),
        ];
        for (body, content_type, expected) in cases {
            let error = Error::from_response(&response(500, content_type, body));
            assert_eq!(error.server_message(), expected, "body {body:?}");
        }
    }

    #[test]
    fn long_messages_are_bounded() {
        let body = "x".repeat(5000);
        let error = Error::from_response(&response(500, "text/plain", &body));
        let message = error.server_message().unwrap();
        assert_eq!(message.chars().count(), MESSAGE_LIMIT + 1);
        assert!(message.ends_with('…'));
        assert_eq!(error.reply().unwrap().body.len(), SNIPPET_LIMIT);
    }
}
