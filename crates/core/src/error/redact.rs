//! Finding every form of a secret in text and replacing it.

use std::fmt;

use crate::http::Response;

/// What a secret is replaced with.
pub(crate) const REDACTED: &str = "[redacted]";

/// Secrets at least this many characters long are redacted wherever they
/// occur; shorter ones only where they stand as a whole token.
///
/// A one-letter password is a letter of many words: replacing every `x`
/// would turn the server's "User already exists" into `"User already
/// e[redacted]ists"` and tell a reader that the password is `x`. A short
/// secret that a server echoes stands apart from its neighbours (`password
/// x is too weak`, `"x"`, `password=x&`), so it is still caught there. A
/// secret of eight characters or more is unlikely to occur inside ordinary
/// words by chance, and may be echoed glued to other text, so it is
/// replaced wherever it occurs.
pub const REDACT_ANYWHERE_MIN_CHARS: usize = 8;

/// One form a secret may take in text, and whether it counts anywhere or
/// only as a whole token.
#[derive(Clone, PartialEq, Eq)]
pub(crate) struct SecretForm {
    text: String,
    anywhere: bool,
}

impl SecretForm {
    /// `haystack` with every occurrence of this form that counts replaced by
    /// `[redacted]`, or `None` when there is none.
    fn replace_in(&self, haystack: &[u8]) -> Option<Vec<u8>> {
        let needle = self.text.as_bytes();
        let first = needle.first()?;
        let last = needle.last()?;
        // A secret whose own edge is not a word character has a token
        // boundary there whatever stands beside it.
        let open_start = self.anywhere || !is_word_byte(*first);
        let open_end = self.anywhere || !is_word_byte(*last);
        let mut out: Option<Vec<u8>> = None;
        let mut copied = 0;
        let mut at = 0;
        while at + needle.len() <= haystack.len() {
            let end = at + needle.len();
            let counts = haystack[at..end] == *needle
                && (open_start || at == 0 || !is_word_byte(haystack[at - 1]))
                && (open_end || end == haystack.len() || !is_word_byte(haystack[end]));
            if counts {
                let out = out.get_or_insert_with(|| Vec::with_capacity(haystack.len()));
                out.extend_from_slice(&haystack[copied..at]);
                out.extend_from_slice(REDACTED.as_bytes());
                copied = end;
                at = end;
            } else {
                at += 1;
            }
        }
        let mut out = out?;
        out.extend_from_slice(&haystack[copied..]);
        Some(out)
    }
}

/// Whether a byte belongs to a word: ASCII letters, digits and `_`, and
/// every byte of a non-ASCII character (most of which are letters).
fn is_word_byte(byte: u8) -> bool {
    byte.is_ascii_alphanumeric() || byte == b'_' || !byte.is_ascii()
}

/// Every form of each secret worth scrubbing: the text itself, JSON-escaped
/// (as `JSON.stringify` writes it, with `\u` escapes for everything beyond
/// ASCII, and either with `/` escaped), form-urlencoded, and percent-encoded
/// as a path segment. Longest first, so that no shorter form cuts a longer
/// one apart.
fn secret_forms(secrets: &[&str]) -> Vec<SecretForm> {
    let mut forms: Vec<SecretForm> = Vec::new();
    for secret in secrets.iter().filter(|secret| !secret.is_empty()) {
        let anywhere = secret.chars().count() >= REDACT_ANYWHERE_MIN_CHARS;
        let mut json = String::new();
        crate::wire::text::push_json_string(&mut json, secret);
        let json = json[1..json.len() - 1].to_owned();
        let mut ascii = String::new();
        for unit in json.encode_utf16() {
            match char::from_u32(u32::from(unit)) {
                Some(c) if c.is_ascii() => ascii.push(c),
                _ => crate::wire::text::push_unicode_escape(&mut ascii, unit),
            }
        }
        // PHP's json_encode also escapes `/`.
        let json_slashed = crate::wire::text::slashes_escaped(&json);
        let ascii_slashed = crate::wire::text::slashes_escaped(&ascii);
        let form = crate::wire::text::form_component(secret);
        let segment = crate::wire::text::encode_path_segment(secret);
        for text in [
            (*secret).to_owned(),
            json,
            ascii,
            json_slashed,
            ascii_slashed,
            form,
            segment,
        ] {
            let candidate = SecretForm { text, anywhere };
            if let Some(known) = forms.iter_mut().find(|form| form.text == candidate.text) {
                known.anywhere |= candidate.anywhere;
            } else {
                let at = forms.partition_point(|form| form.text.len() >= candidate.text.len());
                forms.insert(at, candidate);
            }
        }
    }
    forms
}

/// Every form of a set of secrets, worked out once and applied to any
/// number of errors. Its `Debug` output shows none of them.
#[derive(Clone, Default, PartialEq, Eq)]
pub(crate) struct SecretForms(Vec<SecretForm>);

impl SecretForms {
    /// The forms of `secrets` (empty ones are ignored).
    pub(crate) fn new(secrets: &[&str]) -> Self {
        Self(secret_forms(secrets))
    }

    /// These forms and `other`'s, longest first.
    pub(crate) fn with(&self, other: &Self) -> Self {
        let mut forms = self.0.clone();
        for form in &other.0 {
            if let Some(known) = forms.iter_mut().find(|known| known.text == form.text) {
                known.anywhere |= form.anywhere;
            } else {
                let at = forms.partition_point(|known| known.text.len() >= form.text.len());
                forms.insert(at, form.clone());
            }
        }
        Self(forms)
    }

    /// `text` with every form that counts replaced by `[redacted]`.
    pub(crate) fn scrub_text(&self, text: &mut String) {
        for form in &self.0 {
            if let Some(scrubbed) = form.replace_in(text.as_bytes()) {
                // Only whole UTF-8 sequences are replaced, by ASCII.
                *text = crate::wire::text::lossy(&scrubbed);
            }
        }
    }

    /// The response with every form replaced in its body, so that nothing
    /// read from it (message, snippet) can hold a secret, not even part of
    /// one cut off at a length limit.
    pub(crate) fn scrub_response(&self, response: &Response) -> Response {
        let mut body = response.body.clone();
        for form in &self.0 {
            if let Some(scrubbed) = form.replace_in(&body) {
                body = scrubbed;
            }
        }
        Response {
            body,
            ..response.clone()
        }
    }
}

impl fmt::Debug for SecretForms {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SecretForms([redacted; {}])", self.0.len())
    }
}
