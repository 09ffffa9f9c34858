//! Where requests go and how they are signed and encoded.

use std::fmt;

use crate::error::{Error, SecretForms};
use crate::validate;

/// The public CloudMQTT API.
pub const DEFAULT_BASE_URL: &str = "https://api.cloudmqtt.com/api";

/// How request bodies are encoded. The API accepts both.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Encoding {
    /// `application/json` (the default).
    #[default]
    Json,
    /// `application/x-www-form-urlencoded`.
    Form,
}

/// A secret string (API key or password) whose `Debug` shows nothing.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// Wraps a secret.
    pub fn new(secret: impl Into<String>) -> Self {
        Self(secret.into())
    }

    /// The secret itself, for the one place that must send it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

impl From<&str> for Secret {
    fn from(secret: &str) -> Self {
        Self::new(secret)
    }
}

impl From<String> for Secret {
    fn from(secret: String) -> Self {
        Self::new(secret)
    }
}

/// A validated client configuration: base URL, API key, body encoding.
///
/// `Debug` hides the key.
#[derive(Clone)]
pub struct ApiConfig {
    base_url: String,
    api_key: Secret,
    authorization: String,
    encoding: Encoding,
    key_forms: SecretForms,
}

impl ApiConfig {
    /// A configuration for the public API with JSON bodies.
    ///
    /// # Errors
    /// [`Error::InvalidInput`] if the key is empty or has control characters.
    pub fn new(api_key: impl Into<Secret>) -> Result<Self, Error> {
        Self::builder(api_key).build()
    }

    /// Starts a configuration to adjust before [`ApiConfigBuilder::build`].
    pub fn builder(api_key: impl Into<Secret>) -> ApiConfigBuilder {
        ApiConfigBuilder {
            api_key: api_key.into(),
            base_url: DEFAULT_BASE_URL.to_owned(),
            allow_insecure_http: false,
            encoding: Encoding::Json,
        }
    }

    /// The base URL, without a trailing slash.
    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// The body encoding.
    pub fn encoding(&self) -> Encoding {
        self.encoding
    }

    /// The API key (to scrub it from text, or for a transport that signs
    /// requests itself).
    pub fn api_key(&self) -> &Secret {
        &self.api_key
    }

    /// The `Authorization` header value: Basic with an empty user name and
    /// the key as password.
    pub(crate) fn authorization(&self) -> &str {
        &self.authorization
    }

    /// What to scrub from errors for this key, worked out once: every form
    /// of the key and of the base64 credentials of the `Authorization`
    /// header (without padding, so that an echo cut short is caught too).
    pub(crate) fn key_forms(&self) -> &SecretForms {
        &self.key_forms
    }
}

impl fmt::Debug for ApiConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ApiConfig")
            .field("base_url", &self.base_url)
            .field("api_key", &self.api_key)
            .field("encoding", &self.encoding)
            .finish()
    }
}

/// Builds an [`ApiConfig`].
#[derive(Debug, Clone)]
pub struct ApiConfigBuilder {
    api_key: Secret,
    base_url: String,
    allow_insecure_http: bool,
    encoding: Encoding,
}

impl ApiConfigBuilder {
    /// Sends requests to another base URL (a trailing slash is fine).
    pub fn base_url(mut self, base_url: impl Into<String>) -> Self {
        self.base_url = base_url.into();
        self
    }

    /// Allows plain `http://` to hosts other than loopback, which sends the
    /// API key in clear. Off by default.
    pub fn allow_insecure_http(mut self, allow: bool) -> Self {
        self.allow_insecure_http = allow;
        self
    }

    /// Chooses the body encoding.
    pub fn encoding(mut self, encoding: Encoding) -> Self {
        self.encoding = encoding;
        self
    }

    /// Validates and builds the configuration.
    ///
    /// # Errors
    /// [`Error::InvalidInput`] naming `api_key` or `base_url`.
    pub fn build(self) -> Result<ApiConfig, Error> {
        validate::api_key(self.api_key.expose())?;
        let base_url = parse_base_url(&self.base_url, self.allow_insecure_http)?;
        // Built without `core::fmt`, which no success path of the
        // WebAssembly build needs.
        let mut authorization = String::from("Basic ");
        crate::wire::text::push_base64(
            &mut authorization,
            crate::wire::text::concat(&[":", self.api_key.expose()]).as_bytes(),
        );
        let encoded = &authorization["Basic ".len()..];
        // The padded form first (longest first), so that an echoed header
        // loses its padding too; the unpadded one catches the rest.
        let key_forms = SecretForms::new(&[
            self.api_key.expose(),
            encoded,
            crate::wire::text::trim_end_byte(encoded, b'='),
        ]);
        Ok(ApiConfig {
            base_url,
            api_key: self.api_key,
            authorization,
            encoding: self.encoding,
            key_forms,
        })
    }
}

/// Checks a base URL and returns it without trailing slashes.
fn parse_base_url(url: &str, allow_insecure_http: bool) -> Result<String, Error> {
    let invalid = |reason: &str| Error::invalid("base_url", reason);
    let url = url.trim();
    if url.chars().any(|c| c.is_control() || c.is_whitespace()) {
        return Err(invalid("must not contain spaces or control characters"));
    }
    let (scheme, rest) = crate::wire::text::find(url, "://")
        .map(|at| (&url[..at], &url[at + "://".len()..]))
        .ok_or_else(|| invalid("must start with https:// or http://"))?;
    let secure = match scheme.to_ascii_lowercase().as_str() {
        "https" => true,
        "http" => false,
        _ => return Err(invalid("must start with https:// or http://")),
    };
    if rest.contains(['?', '#']) {
        return Err(invalid("must not have a query or fragment"));
    }
    if rest.contains('\\') {
        // URL parsers in browsers and Node read `\` as `/`, which would move
        // the host: `http://evil.test\.localhost/` goes to evil.test.
        return Err(invalid("must not contain a backslash"));
    }
    let (authority, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
    if authority.contains('@') {
        return Err(invalid("must not contain credentials"));
    }
    // Letters, digits and the punctuation of names, ports and IPv6
    // addresses; non-ASCII letters are left to IDNA.
    if !authority.chars().all(|c| {
        c.is_ascii_alphanumeric()
            || !c.is_ascii()
            || matches!(c, '-' | '.' | '_' | '~' | ':' | '[' | ']')
    }) {
        return Err(invalid("has a host with characters a host cannot have"));
    }
    let host = if let Some(bracketed) = authority.strip_prefix('[') {
        let (host, after) = bracketed
            .split_once(']')
            .ok_or_else(|| invalid("has an unclosed IPv6 address"))?;
        check_port(after, &invalid)?;
        host
    } else {
        let (host, port) = authority
            .split_once(':')
            .map_or((authority, ""), |(host, port)| (host, port));
        if !port.is_empty() || authority.ends_with(':') {
            check_port(&crate::wire::text::concat(&[":", port]), &invalid)?;
        }
        host
    };
    if host.is_empty() {
        return Err(invalid("has no host"));
    }
    if !secure && !allow_insecure_http && !is_loopback(host) {
        return Err(invalid(
            "uses plain http to a host that is not loopback; the API key would travel in clear (use https, or allow insecure http explicitly)",
        ));
    }
    let path = crate::wire::text::trim_end_byte(path, b'/');
    Ok(crate::wire::text::concat(&[
        &scheme.to_ascii_lowercase(),
        "://",
        authority,
        path,
    ]))
}

fn check_port(after_host: &str, invalid: &dyn Fn(&str) -> Error) -> Result<(), Error> {
    if after_host.is_empty() {
        return Ok(());
    }
    let port = after_host
        .strip_prefix(':')
        .ok_or_else(|| invalid("has a malformed host"))?;
    match crate::wire::text::parse_decimal(port) {
        Some(number) if number <= u64::from(u16::MAX) => Ok(()),
        _ => Err(invalid("has an invalid port")),
    }
}

/// Whether a host name or address is on this machine: `localhost`, a name
/// under `.localhost`, an IPv4 address in 127.0.0.0/8 or the IPv6 address
/// `::1` (addresses read by `std::net`).
fn is_loopback(host: &str) -> bool {
    let host = host.to_ascii_lowercase();
    host == "localhost"
        || host.ends_with(".localhost")
        || host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_hosts() {
        let loopback = [
            "localhost",
            "LOCALHOST",
            "api.localhost",
            "127.0.0.1",
            "127.9.9.9",
            "127.255.255.255",
            "::1",
            "0:0:0:0:0:0:0:1",
            "0000:0000::0001",
            "::0.0.0.1",
        ];
        for host in loopback {
            assert!(is_loopback(host), "{host}");
        }
        let not_loopback = [
            "localhost.test",
            "10.0.0.1",
            "128.0.0.1",
            "127.0.0.01",
            "127.000.0.1",
            "127.0.0",
            "127.0.0.1.",
            "127.0.0.256",
            "::",
            "::2",
            "::ffff:127.0.0.1",
            "1::1",
            "::1:",
            ":::1",
            "00000::1",
            "",
        ];
        for host in not_loopback {
            assert!(!is_loopback(host), "{host}");
        }
    }

    fn base(url: &str, insecure: bool) -> Result<String, Error> {
        ApiConfig::builder("key")
            .base_url(url)
            .allow_insecure_http(insecure)
            .build()
            .map(|config| config.base_url().to_owned())
    }

    #[test]
    fn base_urls() {
        let ok = [
            (
                "https://api.cloudmqtt.com/api",
                "https://api.cloudmqtt.com/api",
            ),
            (
                "https://api.cloudmqtt.com/api/",
                "https://api.cloudmqtt.com/api",
            ),
            ("HTTPS://example.test//", "https://example.test"),
            ("http://127.0.0.1:8080/api", "http://127.0.0.1:8080/api"),
            ("http://127.9.9.9/api", "http://127.9.9.9/api"),
            ("http://localhost:1/", "http://localhost:1"),
            ("http://[::1]:99/api", "http://[::1]:99/api"),
            ("https://[2001:db8::1]/x", "https://[2001:db8::1]/x"),
        ];
        for (input, expected) in ok {
            assert_eq!(base(input, false).as_deref(), Ok(expected), "{input}");
        }
        let bad = [
            "ftp://x",
            "api.cloudmqtt.com",
            "http://example.test/api",
            "http://10.0.0.1/api",
            "https://",
            "https://:80",
            "https://h:99999",
            "https://h:x",
            "https://u:p@h",
            "https://h/a?b",
            "https://h/a#b",
            "http://evil.test\\.localhost/api",
            "https://h\\x/api",
            "https://h/a\\b",
            "http://evil.test%2F.localhost/api",
            "http://evil.test^.localhost/api",
            "https://h|x/api",
            "https://h /a",
            "https://[::1",
        ];
        for input in bad {
            let error = base(input, false).unwrap_err();
            assert_eq!(error.field(), Some("base_url"), "{input}");
        }
        assert_eq!(
            base("http://example.test/api", true).as_deref(),
            Ok("http://example.test/api")
        );
    }

    #[test]
    fn authorization_is_basic_with_empty_user() {
        let config = ApiConfig::new("secret-key").unwrap();
        assert_eq!(config.authorization(), "Basic OnNlY3JldC1rZXk=");
        assert_eq!(config.base_url(), DEFAULT_BASE_URL);
    }

    #[test]
    fn debug_hides_the_key() {
        let config = ApiConfig::new("secret-key").unwrap();
        let shown = format!("{config:?} {:?}", ApiConfig::builder("secret-key"));
        assert!(!shown.contains("secret-key"), "{shown}");
        assert!(!shown.contains("OnNlY3JldC1rZXk"), "{shown}");
    }

    #[test]
    fn bad_keys_are_refused() {
        assert_eq!(ApiConfig::new("").unwrap_err().field(), Some("api_key"));
        assert_eq!(ApiConfig::new("a\nb").unwrap_err().field(), Some("api_key"));
    }
}
