//! The emulator (with or without its broker) and a scratch directory, for
//! tests that run `cloudmqtt` against it with secrets in the environment:
//! every run's output is searched for each secret.

use std::path::PathBuf;
use std::process::Command;

use clap::Parser as _;
use cloudmqtt_emulator::{Emulator, Options};
use serde_json::Value;

use super::{Run, against, run};

/// `apply`'s options for quick waits on an emulator that applies changes
/// within a few hundred ms; the concurrency's value follows.
pub const FAST: [&str; 8] = [
    "--yes",
    "--settle",
    "1",
    "--wait-interval",
    "0.3",
    "--wait-timeout",
    "30",
    "--concurrency",
];

/// A running emulator, the key it wants, the environment every run gets,
/// and a scratch directory.
pub struct Fixture {
    emulator: Option<Emulator>,
    /// The API's base URL.
    pub api: String,
    /// The broker's MQTT port, when it runs.
    pub mqtt: Option<u16>,
    /// Files the test writes.
    pub dir: tempfile::TempDir,
    key: &'static str,
    env: Vec<(&'static str, &'static str)>,
}

impl Fixture {
    /// Starts the emulator with `--api-key key` and `extra` options; each
    /// run gets `env` (whose values are secrets).
    pub fn start(key: &'static str, extra: &[&str], env: &[(&'static str, &'static str)]) -> Self {
        let mut args = vec!["cloudmqtt-emulator", "--api-key", key];
        args.extend(extra);
        let options = Options::try_parse_from(args).expect("valid emulator options");
        let emulator = Emulator::start(options).expect("the emulator starts");
        let api = emulator.api_url();
        let mqtt = emulator
            .mqtt_url()
            .and_then(|url| url.rsplit(':').next().and_then(|port| port.parse().ok()));
        Self {
            emulator: Some(emulator),
            api,
            mqtt,
            dir: tempfile::tempdir().expect("a scratch directory"),
            key,
            env: env.to_vec(),
        }
    }

    /// Writes `text` to `name` in the scratch directory (folders made).
    pub fn file(&self, name: &str, text: &str) -> PathBuf {
        let path = self.dir.path().join(name);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).expect("make the folder");
        }
        std::fs::write(&path, text).expect("write the file");
        path
    }

    /// `cloudmqtt ARGS` against the emulator, run in the scratch
    /// directory, with generous retries (faults may be injected).
    pub fn cli(&self, args: &[&str]) -> Command {
        let mut command = against(&self.api, self.key, args);
        command
            .args(["--retries", "12"])
            .current_dir(self.dir.path());
        command.envs(self.env.iter().copied());
        command
    }

    /// Runs `cloudmqtt ARGS`; no secret appears in what it printed.
    pub fn run(&self, args: &[&str]) -> Run {
        let result = run(self.cli(args), "");
        self.assert_no_secret(&result.all_output());
        result
    }

    /// No secret (the key, any value of the environment) appears in
    /// `text` in any form a request carries it: as is, percent-encoded,
    /// JSON-escaped, in Base64 and in Basic credentials.
    pub fn assert_no_secret(&self, text: &str) {
        use base64::Engine as _;
        let base64 = |raw: &str| base64::engine::general_purpose::STANDARD.encode(raw);
        for secret in self.env.iter().map(|(_, value)| *value).chain([self.key]) {
            let forms = [
                secret.to_owned(),
                percent_encoding::utf8_percent_encode(secret, percent_encoding::NON_ALPHANUMERIC)
                    .to_string(),
                serde_json::to_string(secret)
                    .unwrap()
                    .trim_matches('"')
                    .to_owned(),
                base64(secret),
                base64(&format!(":{secret}")),
            ];
            for form in forms {
                assert!(
                    !text.contains(&form),
                    "a secret ({form}) was printed:\n{text}"
                );
            }
        }
    }

    /// The rules, as `acl list --json` gives them.
    pub fn rules(&self) -> Vec<Value> {
        let result = self.run(&["acl", "list", "--json"]);
        result.expect_code(0);
        result.json().as_array().cloned().unwrap()
    }

    /// The user names, as `users list --all --json` gives them.
    pub fn users(&self) -> Vec<String> {
        let result = self.run(&["users", "list", "--all", "--json"]);
        result.expect_code(0);
        let mut names: Vec<String> = result
            .json()
            .as_array()
            .unwrap()
            .iter()
            .map(|user| user["username"].as_str().unwrap().to_owned())
            .collect();
        names.sort();
        names
    }
}

impl Drop for Fixture {
    fn drop(&mut self) {
        if let Some(emulator) = self.emulator.take() {
            emulator.shutdown();
        }
    }
}
