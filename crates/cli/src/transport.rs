//! The blocking HTTP transport: carries the core's request values with ureq
//! and hands back response values. It never retries, follows redirects or
//! interprets a status; the core's machines do all of that.

use std::io;
use std::time::{Duration, SystemTime};

use cloudmqtt_api::{DEFAULT_ATTEMPT_TIMEOUT, Input, Request, Response, TransportError};
use ureq::RequestExt as _;
use ureq::http;

/// The largest response body read, in bytes; a larger one fails the attempt.
pub const MAX_BODY_BYTES: u64 = 16 * 1024 * 1024;

/// Sends requests over HTTP(S) with rustls, one attempt at a time.
#[derive(Debug, Clone)]
pub struct HttpTransport {
    agent: ureq::Agent,
}

impl HttpTransport {
    /// A transport that follows no redirect and reads any status.
    pub fn new() -> Self {
        let agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .max_redirects(0)
            .max_redirects_will_error(false)
            .user_agent(concat!("cloudmqtt-cli/", env!("CARGO_PKG_VERSION")))
            .build()
            .new_agent();
        Self { agent }
    }

    /// Sends one request and reports what came back: any status is a
    /// response; no response is a [`TransportError`]. The attempt
    /// (connect, send, receive the whole body) ends at the deadline the
    /// request carries, `now` being when it starts.
    pub fn send(&self, request: Request, now: SystemTime) -> Input {
        let timeout = request.time_left(now).unwrap_or(DEFAULT_ATTEMPT_TIMEOUT);
        let sent = crate::trace::Sent::of(&request);
        let started = std::time::Instant::now();
        let target = format!("{} {}", request.method.as_str(), request.url);
        let input = match self.try_send(request, timeout) {
            Ok(response) => Input::Response(response),
            // The failure names what it was sending, and where.
            Err(TransportError::Network(message)) => {
                Input::Failed(TransportError::Network(format!("{target}: {message}")))
            }
            Err(error) => Input::Failed(error),
        };
        if let Some(sent) = &sent {
            crate::trace::attempt(sent, &input, started.elapsed());
        }
        input
    }

    fn try_send(&self, request: Request, timeout: Duration) -> Result<Response, TransportError> {
        if timeout.is_zero() {
            return Err(TransportError::Timeout);
        }
        let request = http::Request::try_from(request)
            .map_err(|error| TransportError::Network(format!("invalid request: {error}")))?;
        let response = request
            .with_agent(&self.agent)
            .configure()
            .timeout_global(Some(timeout))
            .run()
            .map_err(transport_error)?;
        let (parts, mut body) = response.into_parts();
        let bytes = body
            .with_config()
            .limit(MAX_BODY_BYTES)
            .read_to_vec()
            .map_err(transport_error)?;
        Ok(Response::from(http::Response::from_parts(parts, bytes)))
    }
}

/// Maps ureq's error to the core's two kinds of failure.
fn transport_error(error: ureq::Error) -> TransportError {
    match error {
        ureq::Error::Timeout(_) => TransportError::Timeout,
        ureq::Error::Io(io) if io.kind() == io::ErrorKind::TimedOut => TransportError::Timeout,
        ureq::Error::BodyExceedsLimit(limit) => {
            TransportError::Network(format!("response body larger than {limit} bytes"))
        }
        other => TransportError::Network(other.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timeouts_are_timeouts() {
        assert_eq!(
            transport_error(ureq::Error::Timeout(ureq::Timeout::Global)),
            TransportError::Timeout
        );
        let io = io::Error::new(io::ErrorKind::TimedOut, "slow");
        assert_eq!(
            transport_error(ureq::Error::Io(io)),
            TransportError::Timeout
        );
    }

    #[test]
    fn other_failures_keep_their_words() {
        let io = io::Error::new(io::ErrorKind::ConnectionRefused, "refused");
        assert_eq!(
            transport_error(ureq::Error::Io(io)),
            TransportError::Network("io: refused".to_owned())
        );
        assert!(matches!(
            transport_error(ureq::Error::BodyExceedsLimit(5)),
            TransportError::Network(message) if message.contains("larger than 5 bytes")
        ));
    }
}
