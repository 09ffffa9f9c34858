//! Keeping secrets out of what the emulator shows: the request log on
//! standard error and the journal of `GET /_emulator/requests`. The API
//! key is replaced by `[redacted]` wherever it appears (plainly or
//! percent-encoded in a path), and so is the value of every field named
//! `password`.

use serde_json::{Map, Value};

/// What replaces a secret.
pub const REDACTED: &str = "[redacted]";

/// The path of a request target as logged: the query left out, and every
/// occurrence of `api_key` replaced by `[redacted]`, whether written
/// plainly, percent-encoded, or in any mix of the two (`/api/user/%6B1`
/// for the key `k1`: the name the handler sees once it decodes the path).
/// The rest of the path is logged as sent, undecoded, so that a
/// percent-encoded line break cannot split a log line.
pub fn loggable_path(url: &str, api_key: &str) -> String {
    let path = url.split('?').next().unwrap_or("").as_bytes();
    let key = api_key.as_bytes();
    if key.is_empty() {
        return String::from_utf8_lossy(path).into_owned();
    }
    // The decoded bytes, each with the range of `path` it came from.
    let mut decoded = Vec::with_capacity(path.len());
    let mut sources = Vec::with_capacity(path.len());
    let mut at = 0;
    while at < path.len() {
        let escaped = match path.get(at..at + 3) {
            Some([b'%', high, low]) => hex_digit(*high)
                .zip(hex_digit(*low))
                .map(|(high, low)| (high << 4) | low),
            _ => None,
        };
        match escaped {
            Some(byte) => {
                decoded.push(byte);
                sources.push(at..at + 3);
                at += 3;
            }
            None => {
                decoded.push(path[at]);
                sources.push(at..at + 1);
                at += 1;
            }
        }
    }
    // Ranges of `path` to hide: the key as written, and the key once
    // decoded (which covers the plain form too, unless the key itself
    // holds a `%`).
    let mut hidden: Vec<std::ops::Range<usize>> = Vec::new();
    for start in 0..path.len() {
        if path[start..].starts_with(key) {
            hidden.push(start..start + key.len());
        }
    }
    for start in 0..decoded.len() {
        if decoded[start..].starts_with(key) {
            let end = start + key.len() - 1;
            hidden.push(sources[start].start..sources[end].end);
        }
    }
    hidden.sort_by_key(|range| range.start);
    let mut logged = Vec::with_capacity(path.len());
    let mut copied = 0;
    for range in hidden {
        if range.end <= copied {
            continue;
        }
        if range.start >= copied {
            logged.extend_from_slice(&path[copied..range.start]);
            logged.extend_from_slice(b"[redacted]");
        }
        copied = range.end;
    }
    logged.extend_from_slice(&path[copied..]);
    String::from_utf8_lossy(&logged).into_owned()
}

fn hex_digit(byte: u8) -> Option<u8> {
    char::from(byte)
        .to_digit(16)
        .and_then(|digit| u8::try_from(digit).ok())
}

/// Whether a field's value is a secret by its name.
fn is_secret_field(name: &str) -> bool {
    name.eq_ignore_ascii_case("password")
}

/// `value` with every `password` field and every string holding the key
/// replaced by `[redacted]`.
#[must_use]
pub fn redact_value(value: Value, api_key: &str) -> Value {
    match value {
        Value::Object(map) => Value::Object(
            map.into_iter()
                .map(|(name, value)| {
                    let name = redact_text(&name, api_key);
                    if is_secret_field(&name) && !value.is_null() {
                        (name, Value::String(REDACTED.into()))
                    } else {
                        (name, redact_value(value, api_key))
                    }
                })
                .collect::<Map<_, _>>(),
        ),
        Value::Array(items) => Value::Array(
            items
                .into_iter()
                .map(|item| redact_value(item, api_key))
                .collect(),
        ),
        Value::String(text) => Value::String(redact_text(&text, api_key)),
        other => other,
    }
}

/// `text` with every occurrence of the key replaced.
fn redact_text(text: &str, api_key: &str) -> String {
    if api_key.is_empty() {
        text.to_owned()
    } else {
        text.replace(api_key, REDACTED)
    }
}

/// A query string with `password` values and the key (in names and
/// values) redacted, encoded again.
#[must_use]
pub fn redact_query(query: &str, api_key: &str) -> String {
    if query.is_empty() {
        return String::new();
    }
    let mut encoded = form_urlencoded::Serializer::new(String::new());
    for (name, value) in form_urlencoded::parse(query.as_bytes()) {
        let name = redact_text(&name, api_key);
        let value = if is_secret_field(&name) {
            REDACTED.to_owned()
        } else {
            redact_text(&value, api_key)
        };
        encoded.append_pair(&name, &value);
    }
    encoded.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_key_is_redacted_in_every_spelling() {
        let cases = [
            ("/api/user/k1", "k1", "/api/user/[redacted]"),
            ("/api/user/%6B1", "k1", "/api/user/[redacted]"),
            ("/api/user/%6b%31", "k1", "/api/user/[redacted]"),
            ("/api/user/k%31x", "k1", "/api/user/[redacted]x"),
            (
                "/api/user/xk1k1?k1=k1",
                "k1",
                "/api/user/x[redacted][redacted]",
            ),
            ("/api/user/k1%6B1", "k1", "/api/user/[redacted][redacted]"),
            ("/api/user/kk1", "kk1k", "/api/user/kk1"),
            ("/api/user/%6", "k1", "/api/user/%6"),
            ("/api/user/%0A", "k1", "/api/user/%0A"),
            ("/api/user/%6B%6B", "kk", "/api/user/[redacted]"),
            ("/api/user/aaa", "aa", "/api/user/[redacted]"),
            // A key holding a `%`: as written, and encoded.
            ("/api/user/a%41", "a%41", "/api/user/[redacted]"),
            ("/api/user/a%2541", "a%41", "/api/user/[redacted]"),
            ("/api/user/%C3%A9t%C3%A9", "été", "/api/user/[redacted]"),
            ("/api/user/%C3%A9", "", "/api/user/%C3%A9"),
            ("", "k1", ""),
        ];
        for (url, key, logged) in cases {
            assert_eq!(loggable_path(url, key), logged, "{url} {key}");
        }
    }
}
