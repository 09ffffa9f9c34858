//! Why a command failed, and the exit code each reason maps to.

use std::fmt;

use cloudmqtt_api::{Error, ErrorCode};

/// The process's exit status: every code the CLI exits with, in one type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ExitStatus(pub u8);

impl ExitStatus {
    /// The command succeeded.
    pub const OK: Self = Self(0);
    /// The API refused or failed, or the network did.
    pub const API: Self = Self(1);
    /// The command line or an input value was wrong.
    pub const USAGE: Self = Self(2);
    /// The user (or path) does not exist.
    pub const NOT_FOUND: Self = Self(3);
    /// The API key was rejected or may not do this.
    pub const AUTH: Self = Self(4);
    /// `acl check` denied access, `acl lint` found a problem, or `plan
    /// --exit-code` found changes: the verdict is on stdout.
    pub const VERDICT: Self = Self(5);
    /// `apply PLAN`: the server changed since the plan was made; nothing
    /// was sent.
    pub const STALE: Self = Self(6);
}

impl fmt::Display for ExitStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

impl From<ExitStatus> for std::process::ExitCode {
    fn from(status: ExitStatus) -> Self {
        Self::from(status.0)
    }
}

/// A failed command.
#[derive(Debug, thiserror::Error)]
pub enum Failure {
    /// The core reported an error (from the API, the network or its own
    /// validation).
    #[error("{}", .0.message_naming(cli_name))]
    Api(Error),
    /// The command line or the terminal interaction was not usable.
    #[error("{0}")]
    Usage(String),
    /// A file the command reads has problems: each is printed on its own
    /// `FILE:LINE:COLUMN: reason` line before the error line, which counts
    /// them.
    #[error(
        "{}: {} problem{} found; nothing was sent",
        .0.file,
        .0.lines.len(),
        if .0.lines.len() == 1 { "" } else { "s" }
    )]
    File(cloudmqtt_api::desired::FileError),
    /// Writing the output failed.
    #[error("cannot write output: {0}")]
    Output(#[source] std::io::Error),
    /// `acl check` denied access, `acl lint` found a problem, or `plan
    /// --exit-code` found changes; the verdict is already on stdout.
    #[error("access denied, lint findings, or changes to make")]
    Verdict,
    /// Some of the changes of an apply were not made (exit 1): how many,
    /// and the error of the first one.
    #[error("{message}")]
    Incomplete {
        /// What was not made, for the error line.
        message: String,
        /// Why the first change was not made (its code and status go into
        /// the `--json` error).
        cause: Error,
    },
}

impl Failure {
    /// The process exit status for this failure.
    pub fn exit_status(&self) -> ExitStatus {
        match self {
            Self::Api(error) => match error.code() {
                ErrorCode::InvalidInput => ExitStatus::USAGE,
                ErrorCode::NotFound => ExitStatus::NOT_FOUND,
                ErrorCode::Unauthorized | ErrorCode::Forbidden => ExitStatus::AUTH,
                ErrorCode::StalePlan => ExitStatus::STALE,
                _ => ExitStatus::API,
            },
            Self::Usage(_) | Self::File(_) => ExitStatus::USAGE,
            Self::Output(_) | Self::Incomplete { .. } => ExitStatus::API,
            Self::Verdict => ExitStatus::VERDICT,
        }
    }
}

/// What the command line calls an argument the core names in Rust.
fn cli_name(field: &'static str) -> &'static str {
    match field {
        "base_url" => "--base-url",
        "api_key" => "API key",
        "page_size" | "limit" => "--limit",
        "page" => "--page",
        "query" => "--query",
        "interval" | "max_interval" => "--wait-interval",
        "target" => "--target",
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

/// The JSON line printed to stderr with `--json`:
/// `{"error":{"code":"NOT_FOUND","status":404,"message":"..."}}`, with
/// `"problems": ["FILE:LINE:COLUMN: reason", ...]` for a file's problems. The code
/// is the npm package's (`INVALID_INPUT` for a usage error), `status` the
/// HTTP status or `null`, and `message` the text of the one-line error,
/// secrets already redacted by the core.
pub fn error_json(failure: &Failure) -> String {
    let (code, status) = match failure {
        Failure::Api(error) => (error.code().as_str(), error.status()),
        Failure::Usage(_) | Failure::File(_) => (ErrorCode::InvalidInput.as_str(), None),
        Failure::Output(_) => ("OUTPUT", None),
        Failure::Incomplete { cause, .. } => (cause.code().as_str(), cause.status()),
        // Never printed: the verdict is on stdout and the exit code says it.
        Failure::Verdict => ("DENIED", None),
    };
    let message = error_line(failure);
    let message = message.strip_prefix("cloudmqtt: ").unwrap_or(&message);
    let mut error = serde_json::json!({"code": code, "status": status, "message": message});
    if let Failure::File(file) = failure {
        // Each problem's `FILE:LINE:COLUMN: reason` line, as printed.
        error["problems"] = serde_json::json!(file.lines);
    }
    serde_json::json!({ "error": error }).to_string()
}

/// Whether `--json` is on the command line (before any `--`), for a
/// command line that could not be parsed.
pub fn json_requested(args: &[std::ffi::OsString]) -> bool {
    args.iter()
        .skip(1)
        .take_while(|arg| *arg != "--")
        .any(|arg| arg == "--json")
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
        assert_eq!(from_status(401).exit_status(), ExitStatus::AUTH);
        assert_eq!(from_status(403).exit_status(), ExitStatus::AUTH);
        assert_eq!(from_status(404).exit_status(), ExitStatus::NOT_FOUND);
        for status in [400, 405, 429, 500, 503, 302] {
            assert_eq!(
                from_status(status).exit_status(),
                ExitStatus::API,
                "{status}"
            );
        }
        let network = Error::from(TransportError::Network("refused".into()));
        assert_eq!(Failure::Api(network).exit_status(), ExitStatus::API);
        let invalid = cloudmqtt_api::validate::username("").unwrap_err();
        assert_eq!(Failure::Api(invalid).exit_status(), ExitStatus::USAGE);
        assert_eq!(Failure::Usage("no".into()).exit_status(), ExitStatus::USAGE);
    }

    #[test]
    fn the_json_error_carries_code_status_and_message() {
        let response = Response::new(404, vec![], br#"{"error":"no such user"}"#.to_vec());
        let json: serde_json::Value =
            serde_json::from_str(&error_json(&Failure::Api(Error::from_response(&response))))
                .unwrap();
        assert_eq!(json["error"]["code"], "NOT_FOUND");
        assert_eq!(json["error"]["status"], 404);
        assert!(
            json["error"]["message"]
                .as_str()
                .unwrap()
                .starts_with("not found"),
            "{json}"
        );
        let json: serde_json::Value =
            serde_json::from_str(&error_json(&Failure::Usage("bad".into()))).unwrap();
        assert_eq!(
            json,
            serde_json::json!({"error": {"code": "INVALID_INPUT", "status": null, "message": "bad"}})
        );
        let network = Error::from(TransportError::Network("refused".into()));
        let json: serde_json::Value =
            serde_json::from_str(&error_json(&Failure::Api(network))).unwrap();
        assert_eq!(json["error"]["code"], "NETWORK");
    }

    #[test]
    fn json_is_found_before_the_end_of_options() {
        let args =
            |words: &[&str]| -> Vec<std::ffi::OsString> { words.iter().map(Into::into).collect() };
        assert!(json_requested(&args(&["cloudmqtt", "users", "--json"])));
        assert!(!json_requested(&args(&[
            "cloudmqtt",
            "users",
            "--",
            "--json"
        ])));
        assert!(!json_requested(&args(&["--json"])));
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
