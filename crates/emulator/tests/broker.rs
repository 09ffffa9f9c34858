//! End to end with a real Mosquitto and real MQTT clients: what the API
//! says is what the broker enforces.
//!
//! These tests need `mosquitto` and `mosquitto-clients`. Without them they
//! fail with a message saying so.

mod common;

use std::time::Duration;

use common::{Body, Emulator, Published, Subscriber, can_connect, process_alive, publish_v5};
use serde_json::json;

const KEY: &str = "broker-key";
const SHORT: Duration = Duration::from_millis(300);
const LONG: Duration = Duration::from_secs(5);

fn emulator(delay_ms: &str) -> Emulator {
    let emulator = Emulator::start(&["--apply-delay-ms", delay_ms, "--api-key", KEY]);
    emulator.mqtt();
    emulator
}

/// A user that may read and write everything, to watch the others.
fn observer(emulator: &Emulator) -> Subscriber {
    emulator.create_user("observer", "observer-pw");
    emulator.create_rule("topic", Some("observer"), "#", true, true);
    Subscriber::start(emulator.mqtt(), "observer", "observer-pw", &["#"])
        .expect("the observer may subscribe to everything")
}

#[test]
fn users_and_topic_rules_govern_real_connections() {
    common::require_broker_tools();
    let emulator = emulator("400");
    let port = emulator.mqtt();
    let mut watch = observer(&emulator);

    // Created through the API: refused until the change applies, then in.
    let reply = emulator.call(
        "POST",
        "/user",
        Some(Body::Json(
            json!({"username": "alice", "password": "alice-pw"}),
        )),
    );
    assert_eq!(reply.status, 204);
    assert!(!can_connect(port, "alice", "alice-pw"), "not applied yet");
    emulator.wait_user("alice", true);
    assert!(can_connect(port, "alice", "alice-pw"));
    assert!(!can_connect(port, "alice", "wrong"));
    assert!(!can_connect(port, "nobody", "alice-pw"));

    emulator.create_rule("topic", Some("alice"), "alice/out", false, true);
    emulator.create_rule("topic", Some("alice"), "alice/in/#", true, false);

    // Publishes where `write` allows...
    assert_eq!(
        publish_v5(port, "alice", "alice-pw", "alice/out", "m1"),
        Published::Accepted
    );
    assert!(watch.received("alice/out", "m1", LONG));
    // ...and is refused where it does not (read-only, or no rule at all).
    for topic in ["alice/in/x", "elsewhere"] {
        assert_eq!(
            publish_v5(port, "alice", "alice-pw", topic, "m2"),
            Published::Refused,
            "{topic}"
        );
    }
    assert_eq!(
        publish_v5(port, "alice", "alice-pw", "alice/out", "m3"),
        Published::Accepted
    );
    assert!(watch.received("alice/out", "m3", LONG));
    assert!(!watch.received("alice/in/x", "m2", SHORT));
    assert!(!watch.received("elsewhere", "m2", SHORT));

    // Receives only where `read` allows.
    let mut alice = Subscriber::start(port, "alice", "alice-pw", &["alice/out", "alice/in/#"])
        .expect("subscribing is allowed; delivery is filtered");
    assert_eq!(
        publish_v5(port, "observer", "observer-pw", "alice/out", "r1"),
        Published::Accepted
    );
    assert_eq!(
        publish_v5(port, "observer", "observer-pw", "alice/in/a", "r2"),
        Published::Accepted
    );
    assert!(alice.received("alice/in/a", "r2", LONG));
    assert!(!alice.received("alice/out", "r1", SHORT));

    // A rule with both flags off denies, even where another rule allows.
    emulator.create_rule("pattern", None, "home/%u/#", true, true);
    for topic in ["home/alice/secret", "home/alice/other"] {
        assert_eq!(
            publish_v5(port, "alice", "alice-pw", topic, "before"),
            Published::Accepted,
            "{topic}"
        );
    }
    emulator.create_rule("topic", Some("alice"), "home/alice/secret", false, false);
    assert_eq!(
        publish_v5(port, "alice", "alice-pw", "home/alice/secret", "m4"),
        Published::Refused
    );
    assert_eq!(
        publish_v5(port, "alice", "alice-pw", "home/alice/other", "m5"),
        Published::Accepted
    );
    assert!(watch.received("home/alice/other", "m5", LONG));
    assert!(!watch.received("home/alice/secret", "m4", SHORT));
}

#[test]
fn changes_reach_the_broker_only_once_they_apply() {
    common::require_broker_tools();
    let emulator = emulator("400");
    let port = emulator.mqtt();
    emulator.create_user("frank", "frank-pw");
    let publishes = |topic: &str| publish_v5(port, "frank", "frank-pw", topic, "x");
    assert_eq!(publishes("frank/t"), Published::Refused, "no rule yet");

    // A rule create: still refused right after the API's answer, allowed
    // once it applies.
    let reply = emulator.call(
        "POST",
        "/acl",
        Some(Body::Json(json!({
            "type": "topic", "username": "frank", "pattern": "frank/t",
            "read": false, "write": true,
        }))),
    );
    assert_eq!(reply.status, 204, "{}", reply.text());
    assert_eq!(publishes("frank/t"), Published::Refused, "not applied yet");
    emulator.wait_until("the rule to apply", || {
        publishes("frank/t") == Published::Accepted
    });

    // A rule delete: still allowed right after, refused once it applies.
    let reply = emulator.call("DELETE", "/acl?username=frank&topic=frank%2Ft", None);
    assert_eq!(reply.status, 204, "{}", reply.text());
    assert_eq!(publishes("frank/t"), Published::Accepted, "not applied yet");
    emulator.wait_until("the rule delete to apply", || {
        publishes("frank/t") == Published::Refused
    });

    // A user delete: still connects right after, refused once it applies.
    assert_eq!(emulator.call("DELETE", "/user/frank", None).status, 204);
    assert!(can_connect(port, "frank", "frank-pw"), "not applied yet");
    emulator.wait_until("the user delete to apply", || {
        !can_connect(port, "frank", "frank-pw")
    });
    assert_eq!(emulator.call("GET", "/user/frank", None).status, 404);
}

#[test]
fn a_line_break_cannot_add_a_line_to_the_acl_file() {
    common::require_broker_tools();
    let emulator = emulator("0");
    let port = emulator.mqtt();
    emulator.create_user("mallory", "mallory-pw");
    emulator.create_user("victim", "victim-pw");
    let injected = "x\ntopic readwrite victim/#";
    for body in [
        json!({"type": "topic", "username": "mallory", "pattern": injected, "read": true, "write": true}),
        json!({"type": "pattern", "pattern": injected, "read": true, "write": true}),
        json!({"type": "topic", "username": "mallory", "pattern": "x\r\ntopic readwrite victim/#"}),
    ] {
        let reply = emulator.call("POST", "/acl", Some(Body::Json(body.clone())));
        assert_eq!(reply.status, 400, "{body}: {}", reply.text());
    }
    // A rule that does apply rewrites the file; the refused ones are not
    // in it.
    emulator.create_rule("topic", Some("mallory"), "mallory/#", true, true);
    let acl = std::fs::read_to_string(emulator.data_dir.join("mosquitto.acl")).unwrap();
    assert!(acl.contains("topic readwrite mallory/#\n"), "{acl}");
    assert!(!acl.contains("victim"), "{acl}");
    assert_eq!(
        emulator
            .call("GET", "/acl", None)
            .json()
            .as_array()
            .map(Vec::len),
        Some(1)
    );
    assert_eq!(
        publish_v5(port, "mallory", "mallory-pw", "victim/x", "m"),
        Published::Refused
    );
}

#[test]
fn a_mosquitto_named_by_path_is_used() {
    common::require_broker_tools();
    let program = ["/usr/sbin/mosquitto"]
        .into_iter()
        .map(std::path::PathBuf::from)
        .find(|path| path.is_file())
        .or_else(|| {
            let output = std::process::Command::new("sh")
                .args(["-c", "command -v mosquitto"])
                .output()
                .ok()?;
            let found = String::from_utf8(output.stdout).ok()?;
            Some(std::path::PathBuf::from(found.trim())).filter(|path| path.is_file())
        })
        .expect("mosquitto is installed");
    let emulator = Emulator::start(&[
        "--apply-delay-ms",
        "0",
        "--api-key",
        KEY,
        "--mosquitto",
        program.to_str().unwrap(),
    ]);
    let port = emulator.mqtt();
    // The broker that runs is that executable.
    let running = std::fs::read_link(format!("/proc/{}/exe", emulator.broker_pid())).unwrap();
    assert_eq!(running, program.canonicalize().unwrap());
    emulator.create_user("hank", "hank-pw");
    emulator.create_rule("topic", Some("hank"), "hank/#", true, true);
    assert_eq!(
        publish_v5(port, "hank", "hank-pw", "hank/x", "m"),
        Published::Accepted
    );
    assert_eq!(
        publish_v5(port, "hank", "hank-pw", "other", "m"),
        Published::Refused
    );
}

#[test]
fn a_pattern_rule_with_the_user_name_works_for_every_user() {
    common::require_broker_tools();
    let emulator = emulator("100");
    let port = emulator.mqtt();
    let mut watch = observer(&emulator);
    emulator.create_user("u1", "pw1");
    emulator.create_user("u2", "pw2");
    emulator.create_rule("pattern", None, "home/%u/#", true, true);
    for (user, password, other) in [("u1", "pw1", "u2"), ("u2", "pw2", "u1")] {
        let own = format!("home/{user}/t");
        let foreign = format!("home/{other}/t");
        assert_eq!(
            publish_v5(port, user, password, &foreign, "no"),
            Published::Refused
        );
        assert_eq!(
            publish_v5(port, user, password, &own, "yes"),
            Published::Accepted
        );
        assert!(watch.received(&own, "yes", LONG));
        assert!(!watch.received(&foreign, "no", SHORT));
        let mut sub = Subscriber::start(port, user, password, &[&format!("home/{user}/#")])
            .expect("own subtree");
        assert_eq!(
            publish_v5(port, "observer", "observer-pw", &own, "hello"),
            Published::Accepted
        );
        assert!(sub.received(&own, "hello", LONG));
    }
    // Deleting the rule takes the access away.
    let reply = emulator.call("DELETE", "/acl?topic=home%2F%25u%2F%23", None);
    assert_eq!(reply.status, 204);
    emulator.wait_until("pattern rule gone", || emulator.rule_count() == 1);
    assert_eq!(
        publish_v5(port, "u1", "pw1", "home/u1/t", "late"),
        Published::Refused
    );
}

#[test]
fn changed_passwords_and_deleted_users() {
    common::require_broker_tools();
    let emulator = emulator("100");
    let port = emulator.mqtt();
    emulator.create_user("carol", "old-pw");
    assert!(can_connect(port, "carol", "old-pw"));
    // A password change takes effect as soon as it is acknowledged.
    let reply = emulator.call(
        "PUT",
        "/user/carol",
        Some(Body::Json(json!({"password": "new-pw"}))),
    );
    assert_eq!(reply.status, 204);
    assert!(!can_connect(port, "carol", "old-pw"));
    assert!(can_connect(port, "carol", "new-pw"));
    // A deleted user can no longer connect once the delete applies.
    assert_eq!(emulator.call("DELETE", "/user/carol", None).status, 204);
    emulator.wait_user("carol", false);
    assert!(!can_connect(port, "carol", "new-pw"));
}

#[test]
fn restart_keeps_users_and_reset_removes_them() {
    common::require_broker_tools();
    let emulator = emulator("50");
    let port = emulator.mqtt();
    emulator.create_user("dave", "dave-pw");
    emulator.create_rule("topic", Some("dave"), "dave/#", true, true);
    let first = emulator.broker_pid();

    assert_eq!(emulator.call("POST", "/instance/restart", None).status, 204);
    let second = emulator.broker_pid();
    assert_ne!(first, second, "a new broker process");
    assert!(!process_alive(first));
    assert_eq!(emulator.call("GET", "/user/dave", None).status, 200);
    assert_eq!(
        publish_v5(port, "dave", "dave-pw", "dave/x", "after restart"),
        Published::Accepted
    );

    assert_eq!(emulator.call("POST", "/instance/reset", None).status, 204);
    assert_ne!(emulator.broker_pid(), second);
    assert_eq!(emulator.call("GET", "/user", None).json(), json!([]));
    assert_eq!(emulator.call("GET", "/acl", None).json(), json!([]));
    assert!(!can_connect(port, "dave", "dave-pw"));
}

#[test]
fn a_broker_that_dies_is_started_again() {
    common::require_broker_tools();
    let emulator = emulator("0");
    let port = emulator.mqtt();
    emulator.create_user("erin", "erin-pw");
    let first = emulator.broker_pid();
    assert!(process_alive(first));
    common::send_signal(first, "KILL");
    emulator.wait_until("a new broker", || {
        std::fs::read_to_string(emulator.data_dir.join("mosquitto.pid"))
            .is_ok_and(|pid| pid.trim() != first.to_string())
            && can_connect(port, "erin", "erin-pw")
    });
}

#[test]
fn stopping_the_emulator_stops_the_broker() {
    common::require_broker_tools();
    let mut emulator = emulator("0");
    let broker = emulator.broker_pid();
    assert!(process_alive(broker));
    let status = emulator.signal_and_wait("TERM");
    assert!(status.success());
    assert!(!process_alive(broker));
}

#[test]
fn a_fixed_mqtt_port_is_used_and_kept_across_restarts() {
    common::require_broker_tools();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let emulator = Emulator::start(&[
        "--apply-delay-ms",
        "0",
        "--api-key",
        KEY,
        "--mqtt-port",
        &port.to_string(),
    ]);
    assert_eq!(emulator.mqtt(), port);
    emulator.create_user("gina", "gina-pw");
    assert!(can_connect(port, "gina", "gina-pw"));
    assert_eq!(emulator.call("POST", "/instance/restart", None).status, 204);
    assert!(can_connect(port, "gina", "gina-pw"));
}

#[test]
fn a_named_mosquitto_that_cannot_run_is_an_error() {
    let scratch = tempfile::tempdir().unwrap();
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_cloudmqtt-emulator"))
        .arg("--data-dir")
        .arg(scratch.path())
        .args(["--mosquitto", "/nonexistent/mosquitto"])
        .output()
        .unwrap();
    // A usage error, found before anything is written.
    assert_eq!(output.status.code(), Some(2));
    assert!(output.stdout.is_empty(), "no ready line");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("--mosquitto /nonexistent/mosquitto: no executable file there"),
        "{stderr}"
    );
    assert_eq!(std::fs::read_dir(scratch.path()).unwrap().count(), 0);
}

#[test]
fn names_the_broker_cannot_store_are_refused() {
    common::require_broker_tools();
    let emulator = emulator("0");
    let port = emulator.mqtt();
    // Mosquitto splits password_file lines at the first ':' and trims ASCII
    // blanks: the API refuses such names rather than list a user who
    // cannot connect.
    for name in ["a:b", " ascii", "ascii ", "#hash"] {
        let reply = emulator.call(
            "POST",
            "/user",
            Some(Body::Json(json!({"username": name, "password": "pw"}))),
        );
        assert_eq!(reply.status, 400, "{name:?}: {}", reply.text());
        assert_eq!(
            reply.error(),
            cloudmqtt_api::validate::new_username(name)
                .unwrap_err()
                .to_string()
        );
    }
    emulator.create_user("plain", "pw");
    assert!(can_connect(port, "plain", "pw"));
    assert!(!can_connect(port, "a", "b:pw"));
    // Mosquitto trims ASCII blanks only: a name with other white space at
    // its ends is written, and connects.
    let reply = emulator.call(
        "POST",
        "/user",
        Some(Body::Json(
            json!({"username": "\u{a0}no-break\u{a0}", "password": "pw"}),
        )),
    );
    assert_eq!(reply.status, 204, "{}", reply.text());
    emulator.wait_user("%C2%A0no-break%C2%A0", true);
    assert!(can_connect(port, "\u{a0}no-break\u{a0}", "pw"));
    assert!(!can_connect(port, "no-break", "pw"));
    assert_eq!(
        emulator.call("GET", "/user", None).json(),
        json!([{"username": "plain"}, {"username": "\u{a0}no-break\u{a0}"}])
    );
}
