//! The broker never runs on a configuration it did not accept: a rule
//! Mosquitto's `acl_file` cannot hold (here one of 5,000 levels, which could
//! only come from a state file written before the API refused it) leaves
//! the broker on its last good files, or denying everything, never
//! checking no ACL at all. Proven over MQTT.

mod common;

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use cloudmqtt_emulator::mosquitto::hash_password;
use common::mqtt::{self, Client};
use common::{Body, Emulator};
use serde_json::json;

const KEY: &str = "fail-closed-key";

fn deep_filter() -> String {
    vec!["a"; 5000].join("/")
}

/// A state file: users alice and bob, bob's topic rule on `secret/#`, and
/// whatever else is given.
fn write_state(
    dir: &std::path::Path,
    extra_applied: &[serde_json::Value],
    pending: serde_json::Value,
) {
    let hash = hash_password("pw", &[7; 12]);
    let mut rules = vec![json!({
        "type": "topic", "pattern": "secret/#", "read": true, "write": true, "username": "bob"
    })];
    rules.extend_from_slice(extra_applied);
    let state = json!({
        "version": 1,
        "applied": {"users": {"alice": hash, "bob": hash}, "rules": rules},
        "pending": pending,
    });
    std::fs::create_dir_all(dir).unwrap();
    std::fs::write(dir.join("state.json"), state.to_string()).unwrap();
}

fn deep_rule() -> serde_json::Value {
    json!({"type": "pattern", "pattern": deep_filter(), "read": true, "write": true, "username": null})
}

/// The PUBACK reason code for `user` publishing to `topic`.
fn publish(port: u16, user: &str, topic: &str) -> u8 {
    let mut client = Client::connect(port, &format!("{user}-client"), user, "pw").unwrap();
    let code = client.publish(topic, b"x").unwrap();
    client.disconnect().unwrap();
    code
}

fn allowed(code: u8) -> bool {
    assert!(
        [
            mqtt::SUCCESS,
            mqtt::NO_MATCHING_SUBSCRIBERS,
            mqtt::NOT_AUTHORIZED
        ]
        .contains(&code),
        "unexpected PUBACK reason {code:#x}"
    );
    code != mqtt::NOT_AUTHORIZED
}

fn delete_deep_rule(emulator: &Emulator) {
    let reply = emulator.call(
        "DELETE",
        "/acl",
        Some(Body::Json(json!({"topic": deep_filter()}))),
    );
    assert_eq!(reply.status, 204, "{}", reply.text());
    emulator.wait_until("the rule to go", || emulator.rule_count() == 1);
}

#[test]
fn a_state_the_broker_refuses_at_start_denies_everything_until_fixed() {
    common::require_broker_tools();
    let scratch = tempfile::tempdir().unwrap();
    let data_dir = scratch.path().join("data");
    write_state(&data_dir, &[deep_rule()], json!([]));
    let emulator = Emulator::start_in(scratch, data_dir, &["--api-key", KEY]);
    let port = emulator.mqtt();
    // Fail closed: nobody may publish, not even bob on his own topic.
    assert!(!allowed(publish(port, "alice", "secret/x")));
    assert!(!allowed(publish(port, "bob", "secret/x")));
    // A restart reports why and stays closed.
    let reply = emulator.call("POST", "/instance/restart", None);
    assert_eq!(reply.status, 500, "{}", reply.text());
    let message = reply.error();
    assert!(message.contains("more than 201 levels"), "{message}");
    assert!(message.contains("last good files"), "{message}");
    // /health says so too.
    let report = health(&emulator);
    assert_eq!(report["broker"], "running", "{report}");
    let problem = report["problem"].as_str().unwrap_or_default();
    assert!(problem.contains("more than 201 levels"), "{report}");
    assert!(!allowed(publish(port, "alice", "secret/x")));
    assert!(!allowed(publish(port, "bob", "secret/x")));
    // Removing the rule recovers; a restart then succeeds.
    delete_deep_rule(&emulator);
    assert!(allowed(publish(port, "bob", "secret/x")));
    assert!(!allowed(publish(port, "alice", "secret/x")));
    assert_eq!(emulator.call("POST", "/instance/restart", None).status, 204);
    assert!(allowed(publish(port, "bob", "secret/x")));
    assert!(!allowed(publish(port, "alice", "secret/x")));
    assert_eq!(health(&emulator).get("problem"), None);
}

/// `GET /health`'s JSON.
fn health(emulator: &Emulator) -> serde_json::Value {
    let reply = common::raw(
        emulator.api,
        b"GET /health HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n",
    )
    .unwrap();
    assert_eq!(reply.status, 200, "{}", reply.text());
    reply.json()
}

#[test]
fn a_change_the_broker_refuses_keeps_the_last_good_files() {
    common::require_broker_tools();
    let scratch = tempfile::tempdir().unwrap();
    let data_dir = scratch.path().join("data");
    // The bad rule is still pending; it applies once the emulator runs.
    let due = SystemTime::now() + Duration::from_secs(2);
    let due = u64::try_from(due.duration_since(UNIX_EPOCH).unwrap().as_millis()).unwrap();
    write_state(
        &data_dir,
        &[],
        json!([{"due_unix_ms": due, "change": {"op": "create_rule", "rule": deep_rule()}}]),
    );
    let emulator = Emulator::start_in(scratch, data_dir, &["--api-key", KEY]);
    let port = emulator.mqtt();
    // The list shows the rule once it applied, and the broker has been
    // asked to reload by then.
    emulator.wait_until("the rule to apply", || emulator.rule_count() == 2);
    // The broker still enforces the last good files: bob may, alice may not.
    assert!(allowed(publish(port, "bob", "secret/x")));
    assert!(!allowed(publish(port, "alice", "secret/x")));
    let reply = emulator.call("POST", "/instance/restart", None);
    assert_eq!(reply.status, 500, "{}", reply.text());
    assert!(!allowed(publish(port, "alice", "secret/x")));
    assert!(allowed(publish(port, "bob", "secret/x")));
    let log = emulator.stderr_text();
    assert!(log.contains("cannot load its acl_file"), "{log}");
    delete_deep_rule(&emulator);
    assert_eq!(emulator.call("POST", "/instance/restart", None).status, 204);
    assert!(!allowed(publish(port, "alice", "secret/x")));
}

#[test]
fn the_api_refuses_what_the_broker_cannot_hold() {
    let emulator = Emulator::start(&["--no-broker", "--api-key", KEY]);
    emulator.create_user("bob", "pw");
    let deepest = vec!["a"; 201].join("/");
    let deeper = vec!["a"; 202].join("/");
    for (body, reason) in [
        (
            json!({"type": "pattern", "pattern": deeper, "read": true, "write": true}),
            "at most 201 levels",
        ),
        (
            json!({"type": "pattern", "pattern": " sp/#", "read": true, "write": true}),
            "blank",
        ),
        (
            json!({"type": "topic", "username": "a:b", "pattern": "x/#", "read": true, "write": true}),
            "':'",
        ),
    ] {
        let reply = emulator.call("POST", "/acl", Some(Body::Json(body)));
        assert_eq!(reply.status, 400, "{}", reply.text());
        assert!(reply.error().contains(reason), "{}", reply.text());
    }
    for name in ["a:b", " x", "x ", "#x"] {
        let reply = emulator.call(
            "POST",
            "/user",
            Some(Body::Json(json!({"username": name, "password": "pw"}))),
        );
        assert_eq!(reply.status, 400, "{name:?}: {}", reply.text());
    }
    emulator.create_rule("pattern", None, &deepest, true, false);
}
