//! `cloudmqtt emulator ...` against the real emulator with its broker:
//! the journal, reset, snapshots, scoped faults, exit codes and secrets.

mod common;

use std::process::{Command, Stdio};

use clap::Parser as _;
use cloudmqtt_emulator::Options;
use common::{Run, against, run};
use serde_json::{Value, json};

const KEY: &str = "fixture-key-71c0de";
const PASSWORD: &str = "fixture-pw-4be81f";

/// A running emulator with its broker; dropping it shuts it down.
struct Emulator {
    inner: Option<cloudmqtt_emulator::Emulator>,
    api: String,
    mqtt_port: u16,
}

impl Emulator {
    fn start() -> Self {
        let options = Options::try_parse_from([
            "cloudmqtt-emulator",
            "--api-key",
            KEY,
            "--apply-delay-ms",
            "0",
        ])
        .expect("valid emulator options");
        let inner = cloudmqtt_emulator::Emulator::start(options).expect("the emulator starts");
        let mqtt_port = inner
            .mqtt_url()
            .expect("a broker runs: install mosquitto")
            .rsplit(':')
            .next()
            .and_then(|port| port.parse().ok())
            .expect("a port");
        Self {
            api: inner.api_url(),
            inner: Some(inner),
            mqtt_port,
        }
    }

    /// Runs `cloudmqtt ARGS` with `stdin`, checking that no secret shows.
    fn run_with(&self, args: &[&str], stdin: &str) -> Run {
        let result = run(against(&self.api, KEY, args), stdin);
        let all = result.all_output();
        for secret in [KEY, PASSWORD] {
            assert!(!all.contains(secret), "{secret} was printed: {result:?}");
        }
        result
    }

    fn run(&self, args: &[&str]) -> Run {
        self.run_with(args, "")
    }

    /// Runs `cloudmqtt ARGS --json`, expects success and parses stdout.
    #[track_caller]
    fn json(&self, args: &[&str]) -> Value {
        let mut args = args.to_vec();
        args.push("--json");
        let result = self.run(&args);
        result.expect_code(0);
        result.json()
    }

    /// Whether the broker takes a connection with these credentials.
    fn can_connect(&self, user: &str, password: &str) -> bool {
        Command::new("mosquitto_pub")
            .args(["-h", "127.0.0.1", "-p", &self.mqtt_port.to_string()])
            .args(["-u", user, "-P", password, "-t", "check", "-m", "x"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .expect("mosquitto_pub runs: install mosquitto-clients")
            .success()
    }

    fn create_user(&self, name: &str) {
        self.run_with(
            &["users", "create", name, "--password-stdin", "--wait"],
            &format!("{PASSWORD}\n"),
        )
        .expect_code(0);
    }
}

impl Drop for Emulator {
    fn drop(&mut self) {
        if let Some(inner) = self.inner.take() {
            inner.shutdown();
        }
    }
}

#[test]
fn the_journal_shows_what_the_cli_sent_without_secrets() {
    let emulator = Emulator::start();
    emulator.create_user("alice");
    let entries = emulator.json(&["emulator", "requests"]);
    let entries = entries.as_array().unwrap();
    let create = &entries[0];
    assert_eq!(create["method"], "POST");
    assert_eq!(create["path"], "/api/user");
    assert_eq!(create["status"], 204);
    assert_eq!(
        create["body"],
        json!({"username": "alice", "password": "[redacted]"})
    );
    let last = entries.last().unwrap()["seq"].as_u64().unwrap();
    emulator.run(&["users", "list"]).expect_code(0);
    let since = emulator.json(&["emulator", "requests", "--since", &last.to_string()]);
    assert_eq!(since.as_array().unwrap().len(), 1, "{since}");
    assert_eq!(since[0]["path"], "/api/user");
    let table = emulator.run(&["emulator", "requests"]);
    table.expect_code(0);
    assert!(table.stdout.starts_with("SEQ"), "{}", table.stdout);
    assert!(table.stdout.contains("POST"), "{}", table.stdout);
    let cleared = emulator.run(&["emulator", "requests", "--clear", "--json"]);
    cleared.expect_code(0);
    assert_eq!(cleared.stdout, "");
    assert_eq!(emulator.json(&["emulator", "requests"]), json!([]));
}

#[test]
fn reset_snapshot_and_restore_follow_through_to_the_broker() {
    let emulator = Emulator::start();
    emulator.create_user("alice");
    emulator
        .run(&["emulator", "snapshot", "with-alice"])
        .expect_code(0);
    emulator.create_user("bob");
    assert!(emulator.can_connect("bob", PASSWORD));
    let reset = emulator.run(&["emulator", "reset"]);
    reset.expect_code(0);
    assert_eq!(reset.stdout, "reset the emulator\n");
    assert_eq!(emulator.json(&["users", "list"]), json!([]));
    assert!(!emulator.can_connect("alice", PASSWORD));
    emulator
        .run(&["emulator", "restore", "with-alice"])
        .expect_code(0);
    assert_eq!(
        emulator.json(&["users", "list"]),
        json!([{"username": "alice"}])
    );
    assert!(emulator.can_connect("alice", PASSWORD));
    assert!(!emulator.can_connect("bob", PASSWORD));
    // Exit codes: 3 for an unknown snapshot, 2 for a name the emulator
    // refuses, 4 for a wrong key.
    let unknown = emulator.run(&["emulator", "restore", "nothing"]);
    unknown.expect_code(3);
    assert!(unknown.stderr.contains("no snapshot named"), "{unknown:?}");
    let bad = emulator.run(&["emulator", "snapshot", "a b"]);
    assert_ne!(bad.code, 0, "{bad:?}");
    assert!(bad.stderr.contains("invalid snapshot name"), "{bad:?}");
    let mut wrong_key = against(&emulator.api, "not-the-key", &["emulator", "reset"]);
    run(&mut wrong_key, "").expect_code(4);
}

#[test]
fn faults_are_set_from_a_file_or_stdin_and_count_down() {
    let emulator = Emulator::start();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("faults.json");
    let rules =
        json!({"rules": [{"method": "GET", "path": "/api/acl", "status": 503, "times": 1}]});
    std::fs::write(&file, rules.to_string()).unwrap();
    emulator
        .run(&["emulator", "faults", "--set", file.to_str().unwrap()])
        .expect_code(0);
    assert_eq!(emulator.json(&["emulator", "faults"]), rules);
    // The CLI retries the 503; the rule is used up by the first attempt.
    assert_eq!(emulator.json(&["acl", "list"]), json!([]));
    assert_eq!(emulator.json(&["emulator", "faults"]), json!({"rules": []}));
    let statuses: Vec<Value> = emulator
        .json(&["emulator", "requests"])
        .as_array()
        .unwrap()
        .iter()
        .map(|entry| entry["status"].clone())
        .collect();
    assert_eq!(statuses, [json!(503), json!(200)]);
    let from_stdin = emulator.run_with(
        &["emulator", "faults", "--set", "-"],
        r#"{"rules": [{"path": "/api/user", "latency_ms": 1}]}"#,
    );
    from_stdin.expect_code(0);
    let shown = emulator.run(&["emulator", "faults"]);
    assert_eq!(shown.stdout, "{\"latency_ms\":1,\"path\":\"/api/user\"}\n");
    let refused = emulator.run_with(
        &["emulator", "faults", "--set", "-"],
        r#"{"rules": [{"path": "/x", "colour": 1}]}"#,
    );
    assert_ne!(refused.code, 0);
    assert!(
        refused.stderr.contains("unknown field `colour`"),
        "{refused:?}"
    );
    let missing = emulator.run(&["emulator", "faults", "--set", "/nonexistent/faults.json"]);
    missing.expect_code(2);
}
