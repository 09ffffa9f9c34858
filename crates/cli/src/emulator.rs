//! `cloudmqtt emulator ...`: the control API of `cloudmqtt-emulator`
//! (`/_emulator/...` beside the API's `/api`), for tests that use the
//! emulator as a fixture.
//!
//! Each route is a core [`Operation`], carried by the CLI's client like
//! every API call: the same profile, base URL and key, the same transport,
//! retries and errors, so the same exit codes (2 for a bad argument the
//! emulator refuses, 3 for an unknown snapshot, 4 for a wrong key).

use std::io::{Read as _, Write};
use std::path::Path;

use cloudmqtt_api::{
    ApiConfig, Error, Method, Operation, Request, ResetInstance, Response, encode_path_segment,
};
use serde_json::Value;

use crate::args::EmulatorCommand;
use crate::client::Client;
use crate::failure::Failure;
use crate::output;

/// One control request: a method, a path under `/_emulator/`, and a JSON
/// body or none.
#[derive(Debug, Clone)]
struct Control {
    method: Method,
    path: String,
    body: Option<Vec<u8>>,
}

impl Control {
    fn new(method: Method, path: impl Into<String>) -> Self {
        Self {
            method,
            path: path.into(),
            body: None,
        }
    }
}

/// The control API's root for a base URL: its origin and `/_emulator`
/// (`http://127.0.0.1:8080/api` gives `http://127.0.0.1:8080/_emulator`).
fn control_root(base_url: &str) -> String {
    let after_scheme = base_url.find("://").map_or(0, |at| at + 3);
    let origin_end = base_url[after_scheme..]
        .find('/')
        .map_or(base_url.len(), |at| after_scheme + at);
    format!("{}/_emulator", &base_url[..origin_end])
}

impl Operation for Control {
    type Output = Option<Value>;

    fn build_request(&self, config: &ApiConfig) -> Result<Request, Error> {
        // The core's request carries the key exactly as every API call
        // does; only its method, URL and body are the control API's.
        let mut request = ResetInstance.build_request(config)?;
        request.method = self.method;
        request.url = format!("{}/{}", control_root(config.base_url()), self.path);
        if let Some(body) = &self.body {
            request
                .headers
                .push(("content-type".to_owned(), "application/json".to_owned()));
            request.body.clone_from(body);
        }
        Ok(request)
    }

    fn parse_success(&self, response: &Response) -> Result<Option<Value>, Error> {
        if response.body.is_empty() {
            return Ok(None);
        }
        serde_json::from_slice(&response.body)
            .map(Some)
            .map_err(|error| Error::Decode {
                reason: format!("the emulator's answer: {error}"),
                body: String::from_utf8_lossy(&response.body)
                    .chars()
                    .take(200)
                    .collect(),
            })
    }
}

/// Runs `cloudmqtt emulator ...`.
///
/// # Errors
/// The call's failure, a faults file that cannot be read, or output that
/// cannot be written.
pub fn run(
    client: &mut Client,
    command: EmulatorCommand,
    json: bool,
    out: &mut impl Write,
) -> Result<(), Failure> {
    match command {
        EmulatorCommand::Requests { since, clear } => {
            if clear {
                client.call(Control::new(Method::Delete, "requests"))?;
                return done(json, out, "cleared the journal");
            }
            let path = match since {
                Some(since) => format!("requests?since={since}"),
                None => "requests".to_owned(),
            };
            let entries = client.call(Control::new(Method::Get, path))?;
            let entries = entries.unwrap_or(Value::Array(Vec::new()));
            if json {
                output::write_json(out, &entries)?;
            } else {
                write_requests(out, &entries)?;
            }
            Ok(())
        }
        EmulatorCommand::Reset => {
            client.call(Control::new(Method::Post, "reset"))?;
            done(json, out, "reset the emulator")
        }
        EmulatorCommand::Snapshot { name } => {
            let path = format!("snapshots/{}", encode_path_segment(&name));
            client.call(Control::new(Method::Post, path))?;
            done(json, out, &format!("saved snapshot {name:?}"))
        }
        EmulatorCommand::Restore { name } => {
            let path = format!("snapshots/{}/restore", encode_path_segment(&name));
            client.call(Control::new(Method::Post, path))?;
            done(json, out, &format!("restored snapshot {name:?}"))
        }
        EmulatorCommand::Faults { set: Some(file) } => {
            let body = read_faults(&file)?;
            let mut control = Control::new(Method::Put, "faults");
            control.body = Some(body);
            client.call(control)?;
            done(json, out, "set the scoped faults")
        }
        EmulatorCommand::Faults { set: None } => {
            let faults = client.call(Control::new(Method::Get, "faults"))?;
            let faults = faults.unwrap_or(Value::Null);
            if json {
                output::write_json(out, &faults)?;
            } else {
                write_faults(out, &faults)?;
            }
            Ok(())
        }
    }
}

/// The bytes of a faults file, or of stdin for `-`.
fn read_faults(file: &Path) -> Result<Vec<u8>, Failure> {
    let read = if file.as_os_str() == "-" {
        let mut bytes = Vec::new();
        std::io::stdin().read_to_end(&mut bytes).map(|_| bytes)
    } else {
        std::fs::read(file)
    };
    read.map_err(|error| Failure::Usage(format!("--set {}: {error}", file.display())))
}

/// Confirms a change on stdout, unless `--json` (which prints nothing for
/// changes).
fn done(json: bool, out: &mut impl Write, what: &str) -> Result<(), Failure> {
    if !json {
        writeln!(out, "{what}")?;
    }
    Ok(())
}

/// The journal as a table.
fn write_requests(out: &mut impl Write, entries: &Value) -> std::io::Result<()> {
    let text = |value: &Value| match value {
        Value::String(text) => output::cell(text),
        Value::Null => String::new(),
        other => output::cell(&other.to_string()),
    };
    let rows: Vec<Vec<String>> = entries
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or_default()
        .iter()
        .map(|entry| {
            let query = entry["query"].as_str().unwrap_or("");
            let target = if query.is_empty() {
                text(&entry["path"])
            } else {
                format!("{}?{}", text(&entry["path"]), output::cell(query))
            };
            vec![
                text(&entry["seq"]),
                text(&entry["method"]),
                target,
                text(&entry["status"]),
                format!("{:.1}", entry["duration_ms"].as_f64().unwrap_or(0.0)),
                text(&entry["flagged"]),
            ]
        })
        .collect();
    output::write_table(
        out,
        &["SEQ", "METHOD", "TARGET", "STATUS", "MS", "FLAGGED"],
        &rows,
    )
}

/// The scoped faults, one rule a line as JSON (or a note that there are
/// none).
fn write_faults(out: &mut impl Write, faults: &Value) -> std::io::Result<()> {
    let rules = faults["rules"]
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or_default();
    if rules.is_empty() {
        return writeln!(out, "no scoped faults");
    }
    for rule in rules {
        writeln!(out, "{}", output::cell(&rule.to_string()))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_control_root_is_beside_the_api() {
        for (base, root) in [
            (
                "http://127.0.0.1:8080/api",
                "http://127.0.0.1:8080/_emulator",
            ),
            ("http://[::1]:1/api/", "http://[::1]:1/_emulator"),
            ("https://host", "https://host/_emulator"),
        ] {
            assert_eq!(control_root(base), root);
        }
    }
}
