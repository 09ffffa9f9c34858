//! Why a command failed, and the exit code each reason maps to.

use std::fmt;

use cloudmqtt_api::{Error, ErrorCode};

/// Exit code: the command succeeded.
pub const EXIT_OK: u8 = 0;
/// Exit code: the API refused or failed, or the network did.
pub const EXIT_API: u8 = 1;
/// Exit code: the command line or an input value was wrong.
pub const EXIT_USAGE: u8 = 2;
/// Exit code: the user (or path) does not exist.
pub const EXIT_NOT_FOUND: u8 = 3;
/// Exit code: the API key was rejected or may not do this.
pub const EXIT_AUTH: u8 = 4;

/// A failed command.
#[derive(Debug)]
pub enum Failure {
    /// The core reported an error (from the API, the network or its own
    /// validation).
    Api(Error),
    /// The command line or the terminal interaction was not usable.
    Usage(String),
    /// Writing the output failed.
    Output(std::io::Error),
    /// `acl check` denied access, or `acl lint` found a problem; the
    /// verdict is already on stdout.
    Denied,
}

impl Failure {
    /// The process exit code for this failure.
    pub fn exit_code(&self) -> u8 {
        match self {
            Self::Api(error) => match error.code() {
                ErrorCode::InvalidInput => EXIT_USAGE,
                ErrorCode::NotFound => EXIT_NOT_FOUND,
                ErrorCode::Unauthorized | ErrorCode::Forbidden => EXIT_AUTH,
                _ => EXIT_API,
            },
            Self::Usage(_) => EXIT_USAGE,
            Self::Output(_) => EXIT_API,
            Self::Denied => crate::access::EXIT_DENIED,
        }
    }
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Api(Error::InvalidInput { field, reason }) => {
                write!(f, "invalid {}: {reason}", cli_name(field))
            }
            Self::Api(error) => write!(f, "{error}"),
            Self::Usage(message) => f.write_str(message),
            Self::Output(error) => write!(f, "cannot write output: {error}"),
            Self::Denied => f.write_str("access denied, or lint findings"),
        }
    }
}

/// What the command line calls an argument the core names in Rust.
fn cli_name(field: &str) -> &str {
    match field {
        "base_url" => "--base-url",
        "api_key" => "API key",
        "page_size" | "limit" => "--limit",
        "page" => "--page",
        "query" => "--query",
        "interval" | "max_interval" => "--wait-interval",
        other => other,
    }
}

impl From<Error> for Failure {
    fn from(error: Error) -> Self {
        Self::Api(error)
    }
}

impl From<std::io::Error> for Failure {
    fn from(error: std::io::Error) -> Self {
        Self::Output(error)
    }
}

/// The one line printed to stderr for a failure: `cloudmqtt: ` and the
/// reason, with line breaks and control characters flattened so that it
/// stays one line.
pub fn error_line(failure: &Failure) -> String {
    let text = failure.to_string();
    let mut line = String::from("cloudmqtt: ");
    let mut space = false;
    for c in text.trim().chars() {
        if c.is_whitespace() || c.is_control() {
            space = true;
        } else {
            if space {
                line.push(' ');
                space = false;
            }
            line.push(c);
        }
    }
    line
}

#[cfg(test)]
mod tests {
    use super::*;
    use cloudmqtt_api::{Response, TransportError};

    fn from_status(status: u16) -> Failure {
        Failure::Api(Error::from_response(&Response::new(status, vec![], vec![])))
    }

    #[test]
    fn exit_codes() {
        assert_eq!(from_status(401).exit_code(), EXIT_AUTH);
        assert_eq!(from_status(403).exit_code(), EXIT_AUTH);
        assert_eq!(from_status(404).exit_code(), EXIT_NOT_FOUND);
        for status in [400, 405, 429, 500, 503, 302] {
            assert_eq!(from_status(status).exit_code(), EXIT_API, "{status}");
        }
        let network = Error::from(TransportError::Network("refused".into()));
        assert_eq!(Failure::Api(network).exit_code(), EXIT_API);
        let invalid = cloudmqtt_api::validate::username("").unwrap_err();
        assert_eq!(Failure::Api(invalid).exit_code(), EXIT_USAGE);
        assert_eq!(Failure::Usage("no".into()).exit_code(), EXIT_USAGE);
    }

    #[test]
    fn the_error_line_is_one_line() {
        let response = Response::new(500, vec![], b"broken\r\n\x1b[31mbadly\t here".to_vec());
        let line = error_line(&Failure::Api(Error::from_response(&response)));
        assert!(!line.contains(['\n', '\r', '\x1b', '\t']), "{line:?}");
        assert!(
            line.starts_with("cloudmqtt: server error 500: broken"),
            "{line}"
        );
    }
}
