//! Requests and responses as plain values, for any transport to carry.

use std::fmt;
use std::time::{Duration, SystemTime};

/// The HTTP methods the API uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Method {
    /// `GET`: reads, safe to repeat.
    Get,
    /// `POST`: creates or acts; never repeated once the server may have acted.
    Post,
    /// `PUT`: replaces, safe to repeat.
    Put,
    /// `DELETE`: removes, safe to repeat.
    Delete,
}

impl Method {
    /// The method's name, e.g. `"GET"`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Get => "GET",
            Self::Post => "POST",
            Self::Put => "PUT",
            Self::Delete => "DELETE",
        }
    }

    /// Whether sending the request twice has the same effect as once.
    pub fn is_idempotent(self) -> bool {
        !matches!(self, Self::Post)
    }
}

impl fmt::Display for Method {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A request ready to send: method, absolute URL, headers and body bytes.
///
/// Its `Debug` output hides the `Authorization` header and the body, which
/// carry the API key and passwords.
#[derive(Clone, PartialEq, Eq)]
pub struct Request {
    /// The method.
    pub method: Method,
    /// The absolute URL, path segments and query already percent-encoded.
    pub url: String,
    /// Header names (lower case) and values, in the order to send them.
    pub headers: Vec<(String, String)>,
    /// The body; empty when there is none.
    pub body: Vec<u8>,
    /// When the attempt must be over, the whole response body included: a
    /// driver that has no response by then hands in
    /// [`TransportError::Timeout`](crate::TransportError::Timeout). The
    /// machines set it on every request they send; an operation's
    /// [`build_request`](crate::Operation::build_request) leaves it `None`.
    pub deadline: Option<SystemTime>,
}

impl Request {
    /// A request that is never sent: what a machine holds in place of one
    /// it could not build, while it reports why.
    pub(crate) fn unsendable() -> Self {
        Self {
            method: Method::Get,
            url: String::new(),
            headers: Vec::new(),
            body: Vec::new(),
            deadline: None,
        }
    }

    /// How long the attempt may still take at `now`, when it has a deadline
    /// (zero once the deadline has passed).
    pub fn time_left(&self, now: SystemTime) -> Option<Duration> {
        self.deadline
            .map(|deadline| deadline.duration_since(now).unwrap_or_default())
    }

    /// The value of the first header with this name (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        find_header(&self.headers, name)
    }
}

impl fmt::Debug for Request {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let headers: Vec<(&str, &str)> = self
            .headers
            .iter()
            .map(|(name, value)| {
                if name.eq_ignore_ascii_case("authorization") {
                    (name.as_str(), "[redacted]")
                } else {
                    (name.as_str(), value.as_str())
                }
            })
            .collect();
        f.debug_struct("Request")
            .field("method", &self.method)
            .field("url", &self.url)
            .field("headers", &headers)
            .field("body", &format_args!("[{} bytes]", self.body.len()))
            .field("deadline", &self.deadline)
            .finish()
    }
}

/// A response as the transport received it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Response {
    /// The HTTP status.
    pub status: u16,
    /// Header names and values as received.
    pub headers: Vec<(String, String)>,
    /// The whole body.
    pub body: Vec<u8>,
}

impl Response {
    /// Makes a response from its parts.
    pub fn new(status: u16, headers: Vec<(String, String)>, body: Vec<u8>) -> Self {
        Self {
            status,
            headers,
            body,
        }
    }

    /// Whether the status is 2xx.
    pub fn is_success(&self) -> bool {
        (200..300).contains(&self.status)
    }

    /// The value of the first header with this name (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        find_header(&self.headers, name)
    }
}

fn find_header<'a>(headers: &'a [(String, String)], name: &str) -> Option<&'a str> {
    headers
        .iter()
        .find(|(key, _)| key.eq_ignore_ascii_case(name))
        .map(|(_, value)| value.as_str())
}

#[cfg(feature = "http")]
mod interop {
    //! Conversions to and from the `http` crate's types.
    use super::{Method, Request, Response};

    impl From<Method> for http::Method {
        fn from(method: Method) -> Self {
            match method {
                Method::Get => http::Method::GET,
                Method::Post => http::Method::POST,
                Method::Put => http::Method::PUT,
                Method::Delete => http::Method::DELETE,
            }
        }
    }

    impl TryFrom<Request> for http::Request<Vec<u8>> {
        type Error = http::Error;

        /// Converts a request; fails only if a header would be invalid, which
        /// the core never produces.
        fn try_from(request: Request) -> Result<Self, Self::Error> {
            let mut builder = http::Request::builder()
                .method(http::Method::from(request.method))
                .uri(request.url);
            for (name, value) in request.headers {
                builder = builder.header(name, value);
            }
            builder.body(request.body)
        }
    }

    impl<B: Into<Vec<u8>>> From<http::Response<B>> for Response {
        fn from(response: http::Response<B>) -> Self {
            let (parts, body) = response.into_parts();
            let headers = parts
                .headers
                .iter()
                .map(|(name, value)| {
                    (
                        name.as_str().to_owned(),
                        String::from_utf8_lossy(value.as_bytes()).into_owned(),
                    )
                })
                .collect();
            Response::new(parts.status.as_u16(), headers, body.into())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_hides_credentials_and_body() {
        let request = Request {
            method: Method::Post,
            url: "https://example.test/api/user".into(),
            headers: vec![("authorization".into(), "Basic OnNlY3JldA==".into())],
            body: b"{\"password\":\"hunter2\"}".to_vec(),
            deadline: None,
        };
        let shown = format!("{request:?}");
        assert!(!shown.contains("OnNlY3JldA"), "{shown}");
        assert!(!shown.contains("hunter2"), "{shown}");
        assert!(shown.contains("[22 bytes]"), "{shown}");
    }

    #[test]
    fn only_post_is_not_idempotent() {
        assert!(Method::Get.is_idempotent());
        assert!(Method::Put.is_idempotent());
        assert!(Method::Delete.is_idempotent());
        assert!(!Method::Post.is_idempotent());
    }

    #[cfg(feature = "http")]
    #[test]
    fn converts_to_and_from_http_types() {
        let request = Request {
            method: Method::Put,
            url: "https://example.test/api/user/a%2Fb".into(),
            headers: vec![("content-type".into(), "application/json".into())],
            body: b"{}".to_vec(),
            deadline: None,
        };
        let converted = http::Request::try_from(request).unwrap();
        assert_eq!(converted.method(), http::Method::PUT);
        assert_eq!(converted.uri().path(), "/api/user/a%2Fb");
        assert_eq!(converted.headers()["content-type"], "application/json");
        let response = http::Response::builder()
            .status(404)
            .header("Retry-After", "1")
            .body(b"nope".to_vec())
            .unwrap();
        let back = Response::from(response);
        assert_eq!(back.status, 404);
        assert_eq!(back.header("retry-after"), Some("1"));
        assert_eq!(back.body, b"nope");
    }
}
