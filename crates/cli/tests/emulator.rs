//! The binary run as a user would against the real emulator
//! (`cloudmqtt-emulator --no-broker`): every command, `--json` parsed back,
//! exit codes, secrets, retries under `--rate-limit` and `--fail-rate`, and
//! `--wait` against `--apply-delay-ms`.
//!
//! The emulator runs in this test process through its library (a
//! dev-dependency), started from the same command-line options its binary
//! takes; the `cloudmqtt` binary runs as a separate process against it.

mod common;

use std::process::Command;
use std::time::Duration;

use clap::Parser as _;
use cloudmqtt_emulator::Options;
use common::{Run, against, run};
use serde_json::{Value, json};

const KEY: &str = "emulated-key-3d8f1a";
const PASSWORD: &str = "emulated-pw-92bc77";

/// A running emulator without a broker; dropping it shuts it down.
struct Emulator {
    inner: Option<cloudmqtt_emulator::Emulator>,
    api: String,
}

impl Emulator {
    /// Starts the emulator with `--no-broker`, the test key and `extra`
    /// options, and checks its ready line.
    fn start(extra: &[&str]) -> Self {
        let mut args = vec!["cloudmqtt-emulator", "--no-broker", "--api-key", KEY];
        args.extend(extra);
        let options = Options::try_parse_from(args).expect("valid emulator options");
        let inner = cloudmqtt_emulator::Emulator::start(options).expect("the emulator starts");
        let ready = inner.ready_line();
        let api = ready
            .split_whitespace()
            .find_map(|field| field.strip_prefix("api="))
            .expect("the ready line names the API")
            .to_owned();
        assert!(ready.ends_with(&format!(" key={KEY}")), "{ready}");
        Self {
            inner: Some(inner),
            api,
        }
    }

    /// A `cloudmqtt` command against this emulator.
    fn cli(&self, args: &[&str]) -> Command {
        against(&self.api, KEY, args)
    }

    /// Runs `cloudmqtt ARGS`.
    fn run(&self, args: &[&str]) -> Run {
        let result = run(self.cli(args), "");
        assert_no_secrets(&result);
        result
    }

    /// Runs `cloudmqtt ARGS` with the test password on stdin.
    fn run_with_password(&self, args: &[&str]) -> Run {
        let mut command = self.cli(args);
        command.arg("--password-stdin");
        let result = run(command, &format!("{PASSWORD}\n"));
        assert_no_secrets(&result);
        result
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
}

impl Drop for Emulator {
    fn drop(&mut self) {
        if let Some(inner) = self.inner.take() {
            inner.shutdown();
        }
    }
}

#[track_caller]
fn assert_no_secrets(result: &Run) {
    let all = result.all_output();
    assert!(!all.contains(KEY), "the API key was printed: {result:?}");
    assert!(
        !all.contains(PASSWORD),
        "a password was printed: {result:?}"
    );
}

const WAIT: [&str; 3] = ["--wait", "--wait-interval", "0.1"];

fn with(args: &[&'static str], more: &[&'static str]) -> Vec<&'static str> {
    args.iter().chain(more).copied().collect()
}

#[test]
fn every_command_against_the_emulator() {
    let emulator = Emulator::start(&["--apply-delay-ms", "200"]);
    assert_eq!(emulator.json(&["users", "list"]), json!([]));
    assert_eq!(emulator.json(&["acl", "list"]), json!([]));

    let created = emulator.run_with_password(&with(&["users", "create", "alice"], &WAIT));
    created.expect_code(0);
    assert_eq!(created.stdout, "created user \"alice\"\n");
    assert_eq!(
        emulator.json(&["users", "get", "alice"]),
        json!({"username": "alice", "acls": []})
    );
    assert_eq!(
        emulator.json(&["users", "list"]),
        json!([{"username": "alice"}])
    );
    emulator
        .run_with_password(&["users", "set-password", "alice"])
        .expect_code(0);

    emulator
        .run(&with(
            &[
                "acl",
                "create",
                "--type",
                "topic",
                "--user",
                "alice",
                "--pattern",
                "sensors/#",
                "--read",
            ],
            &WAIT,
        ))
        .expect_code(0);
    emulator
        .run(&with(
            &[
                "acl",
                "create",
                "--type",
                "pattern",
                "--pattern",
                "inbox/%u",
                "--write",
                "--encoding",
                "form",
            ],
            &WAIT,
        ))
        .expect_code(0);
    let mut rules = emulator.json(&["acl", "list"]).as_array().cloned().unwrap();
    rules.sort_by_key(|rule| rule["type"].as_str().map(str::to_owned));
    assert_eq!(
        rules,
        [
            json!({"type":"pattern","pattern":"inbox/%u","read":false,"write":true,"username":null}),
            json!({"type":"topic","pattern":"sensors/#","read":true,"write":false,"username":"alice"}),
        ]
    );
    assert_eq!(
        emulator.json(&["users", "get", "alice"]),
        json!({"username":"alice","acls":[{"topic":"sensors/#","read":true,"write":false}]})
    );
    let table = emulator.run(&["acl", "list"]);
    table.expect_code(0);
    assert!(table.stdout.starts_with("TYPE "), "{table:?}");
    assert!(table.stdout.contains("sensors/#"), "{table:?}");

    emulator
        .run(&with(
            &["acl", "delete", "--user", "alice", "--topic", "sensors/#"],
            &WAIT,
        ))
        .expect_code(0);
    assert_eq!(
        emulator.json(&["users", "get", "alice"]),
        json!({"username":"alice","acls":[]})
    );
    emulator
        .run(&with(
            &[
                "acl",
                "delete",
                "--type",
                "pattern",
                "--pattern",
                "inbox/%u",
            ],
            &WAIT,
        ))
        .expect_code(0);
    assert_eq!(emulator.json(&["acl", "list"]), json!([]));
    emulator
        .run(&with(&["users", "delete", "alice"], &WAIT))
        .expect_code(0);
    let gone = emulator.run(&["users", "get", "alice"]);
    gone.expect_code(3);
    // The server's words, once.
    assert_eq!(gone.stderr, "cloudmqtt: user \"alice\" not found\n");

    emulator.run(&["instance", "restart"]).expect_code(0);
    emulator
        .run_with_password(&with(&["users", "create", "bob"], &WAIT))
        .expect_code(0);
    let reset = emulator.run(&["instance", "reset", "--yes", "--json"]);
    reset.expect_code(0);
    assert_eq!(reset.stdout, "");
    assert_eq!(emulator.json(&["users", "list"]), json!([]));
    assert_eq!(emulator.json(&["acl", "list"]), json!([]));
}

#[test]
fn wait_rides_out_the_apply_delay() {
    let emulator = Emulator::start(&["--apply-delay-ms", "2000"]);
    let waited = emulator.run_with_password(&with(&["users", "create", "late"], &WAIT));
    waited.expect_code(0);
    assert!(
        waited.elapsed >= Duration::from_millis(1800),
        "returned before the change applied: {waited:?}"
    );
    emulator.run(&["users", "get", "late"]).expect_code(0);
}

#[test]
fn without_wait_a_change_is_pending_and_a_short_wait_gives_up() {
    // Changes apply after ten minutes, far beyond this test's run however
    // loaded the machine: "not applied yet" cannot turn false under it.
    let emulator = Emulator::start(&["--apply-delay-ms", "600000"]);
    emulator
        .run_with_password(&["users", "create", "early"])
        .expect_code(0);
    emulator.run(&["users", "get", "early"]).expect_code(3);

    let timed_out = emulator.run_with_password(&[
        "users",
        "create",
        "late",
        "--wait",
        "--wait-interval",
        "0.1",
        "--wait-timeout",
        "0.4",
    ]);
    timed_out.expect_code(1);
    assert!(
        timed_out.stderr.starts_with("cloudmqtt: gave up after"),
        "{timed_out:?}"
    );
}

#[test]
fn pages_are_walked_with_all() {
    let emulator = Emulator::start(&["--apply-delay-ms", "0"]);
    for name in ["u1", "u2", "u3", "u4", "u5"] {
        emulator
            .run_with_password(&with(&["users", "create", name], &WAIT))
            .expect_code(0);
    }
    let all = emulator.json(&["users", "list", "--all", "--limit", "2"]);
    let names = |value: &Value| -> Vec<String> {
        let mut names: Vec<String> = value
            .as_array()
            .unwrap()
            .iter()
            .map(|user| user["username"].as_str().unwrap().to_owned())
            .collect();
        names.sort();
        names
    };
    assert_eq!(names(&all), ["u1", "u2", "u3", "u4", "u5"]);
    let page = emulator.json(&["users", "list", "--limit", "2", "--page", "3"]);
    assert_eq!(names(&page).len(), 1);
    let filtered = emulator.json(&["users", "list", "--all", "--query", "u4"]);
    assert_eq!(names(&filtered), ["u4"]);
}

#[test]
fn exit_codes_against_the_emulator() {
    let emulator = Emulator::start(&["--apply-delay-ms", "0"]);
    let mut wrong_key = against(&emulator.api, "not-the-key", &["users", "list"]);
    let denied = run(&mut wrong_key, "");
    denied.expect_code(4);
    assert!(
        denied.stderr.starts_with("cloudmqtt: unauthorized"),
        "{denied:?}"
    );
    assert!(!denied.all_output().contains("not-the-key"), "{denied:?}");

    emulator.run(&["users", "get", "nobody"]).expect_code(3);
    emulator.run(&["users", "delete", "nobody"]).expect_code(3);
    emulator.run(&["users", "get", ""]).expect_code(2);
    emulator
        .run(&["users", "list", "--limit", "0"])
        .expect_code(2);

    emulator
        .run_with_password(&with(&["users", "create", "dup"], &WAIT))
        .expect_code(0);
    let duplicate = emulator.run_with_password(&["users", "create", "dup"]);
    duplicate.expect_code(1);
    assert!(
        duplicate.stderr.starts_with("cloudmqtt: bad request: "),
        "{duplicate:?}"
    );
    assert_eq!(duplicate.stderr.lines().count(), 1, "{duplicate:?}");
    // Scripts tell a duplicate apart by its code, not its words.
    let duplicate = emulator.run_with_password(&["users", "create", "dup", "--json"]);
    duplicate.expect_code(1);
    let error: serde_json::Value =
        serde_json::from_str(duplicate.stderr.lines().last().unwrap()).unwrap();
    assert_eq!(error["error"]["code"], "ALREADY_EXISTS", "{duplicate:?}");
    assert_eq!(error["error"]["status"], 400, "{duplicate:?}");
}

#[test]
fn retries_ride_out_the_rate_limit() {
    let emulator = Emulator::start(&["--apply-delay-ms", "0", "--rate-limit", "2"]);
    for name in ["r1", "r2", "r3", "r4"] {
        emulator
            .run_with_password(&["users", "create", name, "--retries", "5"])
            .expect_code(0);
    }
    let users = emulator.json(&["users", "list", "--all", "--limit", "1", "--retries", "5"]);
    assert_eq!(users.as_array().unwrap().len(), 4);
    // One walk of five pages at two requests a second, without retries:
    // the bucket runs dry within the walk, whatever the machine's speed.
    let limited = emulator.run(&["users", "list", "--all", "--limit", "1", "--retries", "0"]);
    limited.expect_code(1);
    assert_eq!(
        limited.stderr, "cloudmqtt: rate limited (retry after 1s): too many requests\n",
        "{limited:?}"
    );
}

#[test]
fn retries_ride_out_injected_failures_for_reads_only() {
    let emulator = Emulator::start(&["--apply-delay-ms", "0", "--fail-rate", "0.4", "--seed", "7"]);
    for _ in 0..8 {
        emulator
            .json(&["users", "list", "--retries", "12"])
            .as_array()
            .expect("a list");
    }
    let outcomes: Vec<Run> = (0..12)
        .map(|_| emulator.run(&["instance", "restart", "--retries", "12"]))
        .collect();
    let failed: Vec<&Run> = outcomes.iter().filter(|run| run.code != 0).collect();
    assert!(
        !failed.is_empty() && failed.len() < outcomes.len(),
        "a POST is never retried after 500, so some fail and some pass: {outcomes:#?}"
    );
    for run in failed {
        run.expect_code(1);
        assert!(
            run.stderr.starts_with("cloudmqtt: server error 500"),
            "{run:?}"
        );
    }
}
