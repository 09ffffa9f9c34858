//! The control API under `/_emulator/`: the journal, reset, snapshots,
//! scoped faults and `--strict`, against the binary with its real broker.

mod common;

use common::{Body, Emulator, basic, can_connect};
use serde_json::{Value, json};

const KEY: &str = "control-key-5ecret";

fn start(extra: &[&str]) -> Emulator {
    common::require_broker_tools();
    let mut args = vec!["--apply-delay-ms", "0", "--api-key", KEY];
    args.extend_from_slice(extra);
    Emulator::start(&args)
}

fn journal(emulator: &Emulator, query: &str) -> Vec<Value> {
    let reply = emulator.control("GET", &format!("/requests{query}"), None);
    assert_eq!(reply.status, 200, "{}", reply.text());
    reply.json().as_array().expect("an array").clone()
}

fn field<'a>(entries: &'a [Value], name: &str) -> Vec<&'a Value> {
    entries.iter().map(|entry| &entry[name]).collect()
}

#[test]
fn the_journal_lists_api_requests_since_a_number_and_clears() {
    let emulator = start(&[]);
    assert!(journal(&emulator, "").is_empty());
    emulator.create_user("alice", "alice-pw");
    assert_eq!(emulator.call("GET", "/user?limit=5", None).status, 200);
    let all = journal(&emulator, "");
    assert!(all.len() >= 3, "{all:?}");
    let first = &all[0];
    assert_eq!(first["seq"], 1);
    assert_eq!(first["method"], "POST");
    assert_eq!(first["path"], "/api/user");
    assert_eq!(first["query"], "");
    assert_eq!(first["status"], 204);
    assert!(first["duration_ms"].as_f64().unwrap() >= 0.0);
    assert_eq!(
        first["body"],
        json!({"username": "alice", "password": "[redacted]"})
    );
    assert!(first.get("flagged").is_none(), "{first}");
    let last = all.last().unwrap();
    assert_eq!(last["query"], "limit=5");
    assert_eq!(last["body"], Value::Null);
    // Control requests stay out of it; `since` gives what came later.
    let seqs: Vec<u64> = all.iter().map(|e| e["seq"].as_u64().unwrap()).collect();
    assert!(
        seqs.windows(2).all(|pair| pair[1] == pair[0] + 1),
        "{seqs:?}"
    );
    let since = journal(&emulator, &format!("?since={}", seqs[0]));
    assert_eq!(since.len(), all.len() - 1);
    assert_eq!(since[0]["seq"], seqs[1]);
    assert_eq!(
        emulator.control("GET", "/requests?since=x", None).status,
        400
    );
    assert_eq!(emulator.control("DELETE", "/requests", None).status, 204);
    assert!(journal(&emulator, "").is_empty());
    emulator.call("GET", "/acl", None);
    let after = journal(&emulator, "");
    assert_eq!(field(&after, "seq"), [&json!(seqs.last().unwrap() + 1)]);
}

#[test]
fn reset_empties_users_and_rules_and_the_broker_follows() {
    let emulator = start(&[]);
    let port = emulator.mqtt();
    emulator.create_user("alice", "alice-pw");
    emulator.create_rule("topic", Some("alice"), "a/#", true, true);
    assert!(can_connect(port, "alice", "alice-pw"));
    let faults = json!({"rules": [{"path": "/api/acl", "latency_ms": 1}]});
    assert_eq!(
        emulator
            .control("PUT", "/faults", Some(Body::Json(faults)))
            .status,
        204
    );
    assert_eq!(emulator.control("POST", "/reset", None).status, 204);
    assert_eq!(emulator.call("GET", "/user", None).json(), json!([]));
    assert_eq!(emulator.rule_count(), 0);
    assert!(!can_connect(port, "alice", "alice-pw"));
    assert_eq!(
        emulator.control("GET", "/faults", None).json(),
        json!({"rules": []})
    );
    // The journal starts again with the reads after the reset.
    assert_eq!(journal(&emulator, "").len(), 2);
}

#[test]
fn snapshots_restore_users_rules_and_the_brokers_files() {
    let emulator = start(&[]);
    let port = emulator.mqtt();
    emulator.create_user("alice", "alice-pw");
    emulator.create_rule("topic", Some("alice"), "a/#", true, false);
    assert_eq!(emulator.control("POST", "/snapshots/one", None).status, 204);
    emulator.create_user("bob", "bob-pw");
    assert_eq!(emulator.call("DELETE", "/user/alice", None).status, 204);
    emulator.wait_user("alice", false);
    assert!(can_connect(port, "bob", "bob-pw"));
    assert!(!can_connect(port, "alice", "alice-pw"));

    assert_eq!(
        emulator
            .control("POST", "/snapshots/one/restore", None)
            .status,
        204
    );
    assert_eq!(
        emulator.call("GET", "/user/alice", None).json(),
        json!({"username": "alice", "acls": [{"topic": "a/#", "read": true, "write": false}]})
    );
    assert_eq!(emulator.call("GET", "/user/bob", None).status, 404);
    assert!(can_connect(port, "alice", "alice-pw"));
    assert!(!can_connect(port, "bob", "bob-pw"));

    let unknown = emulator.control("POST", "/snapshots/nothing/restore", None);
    assert_eq!(unknown.status, 404);
    assert_eq!(unknown.error(), "no snapshot named \"nothing\"");
    for bad in [
        "/snapshots/a%20b",
        "/snapshots/..",
        "/snapshots/a%2Fb/restore",
    ] {
        let reply = emulator.control("POST", bad, None);
        assert_eq!(reply.status, 400, "{bad}");
        assert!(reply.error().starts_with("invalid snapshot name"), "{bad}");
    }
    assert_eq!(emulator.control("GET", "/snapshots/one", None).status, 405);
}

#[test]
fn pending_changes_are_part_of_a_snapshot() {
    common::require_broker_tools();
    let emulator = Emulator::start(&["--apply-delay-ms", "600000", "--api-key", KEY]);
    let create = json!({"username": "later", "password": "later-pw"});
    assert_eq!(
        emulator
            .call("POST", "/user", Some(Body::Json(create.clone())))
            .status,
        204
    );
    assert_eq!(
        emulator.control("POST", "/snapshots/pending", None).status,
        204
    );
    assert_eq!(emulator.control("POST", "/reset", None).status, 204);
    // Nothing pending after the reset: the same create is taken again.
    assert_eq!(
        emulator
            .call("POST", "/user", Some(Body::Json(create.clone())))
            .status,
        204
    );
    assert_eq!(emulator.control("POST", "/reset", None).status, 204);
    assert_eq!(
        emulator
            .control("POST", "/snapshots/pending/restore", None)
            .status,
        204
    );
    // Pending again: a second create of the same user is refused.
    assert_eq!(
        emulator
            .call("POST", "/user", Some(Body::Json(create)))
            .status,
        400
    );
}

#[test]
fn scoped_faults_apply_by_method_and_path_and_count_down() {
    let emulator = start(&[]);
    emulator.create_user("alice", "alice-pw");
    let rules = json!({"rules": [
        {"method": "POST", "path": "/api/acl", "status": 429, "retry_after": 1, "times": 3},
        {"path": "/api/user", "latency_ms": 1}
    ]});
    assert_eq!(
        emulator
            .control("PUT", "/faults", Some(Body::Json(rules)))
            .status,
        204
    );
    let rule = json!({"type": "topic", "username": "alice", "pattern": "a", "read": true});
    assert_eq!(emulator.call("GET", "/acl", None).status, 200);
    for left in [2, 1] {
        let reply = emulator.call("POST", "/acl", Some(Body::Json(rule.clone())));
        assert_eq!(reply.status, 429);
        assert_eq!(reply.header("Retry-After"), Some("1"));
        assert_eq!(reply.error(), "injected fault");
        let shown = emulator.control("GET", "/faults", None).json();
        assert_eq!(shown["rules"][0]["times"], left, "{shown}");
    }
    assert_eq!(
        emulator
            .call("POST", "/acl", Some(Body::Json(rule.clone())))
            .status,
        429
    );
    let shown = emulator.control("GET", "/faults", None).json();
    assert_eq!(
        shown,
        json!({"rules": [{"path": "/api/user", "latency_ms": 1}]})
    );
    assert_eq!(
        emulator.call("POST", "/acl", Some(Body::Json(rule))).status,
        204
    );
    assert_eq!(emulator.call("GET", "/user/alice", None).status, 200);
    // The journal shows the injected answers.
    let statuses: Vec<u64> = journal(&emulator, "")
        .iter()
        .filter(|entry| entry["path"] == "/api/acl" && entry["method"] == "POST")
        .map(|entry| entry["status"].as_u64().unwrap())
        .collect();
    assert_eq!(statuses, [429, 429, 429, 204]);

    for (body, says) in [
        (b"{\"rules\": [".to_vec(), "invalid faults: "),
        (
            br#"{"rules": [{"path": "/api", "status": 500, "colour": "red"}]}"#.to_vec(),
            "unknown field `colour`",
        ),
        (br#"{"rules": [{"path": "/api"}]}"#.to_vec(), "rules[0]: "),
    ] {
        let reply = emulator.control("PUT", "/faults", Some(Body::Raw("application/json", body)));
        assert_eq!(reply.status, 400);
        assert!(reply.error().contains(says), "{}", reply.error());
    }
    // A refused body leaves the rules as they were.
    assert_eq!(
        emulator.control("GET", "/faults", None).json()["rules"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
}

#[test]
fn strict_answers_as_the_api_and_flags_what_it_would_not_accept() {
    let emulator = start(&["--strict"]);
    emulator.create_user("alice", "alice-pw");
    let unknown_field = emulator.call(
        "POST",
        "/user",
        Some(Body::Json(
            json!({"username": "bob", "password": "pw", "email": "b@x"}),
        )),
    );
    assert_eq!(unknown_field.status, 400);
    assert_eq!(
        unknown_field.error(),
        "invalid body: unknown field \"email\""
    );
    let untyped = emulator.call(
        "POST",
        "/user",
        Some(Body::Raw(
            "application/x-www-form-urlencoded",
            br#"{"username":"bob","password":"pw"}"#.to_vec(),
        )),
    );
    assert_eq!(untyped.status, 400);
    assert_eq!(emulator.call("GET", "/users", None).status, 404);
    assert_eq!(emulator.call("PATCH", "/user", None).status, 405);
    let flags: Vec<Value> = journal(&emulator, "")
        .into_iter()
        .filter_map(|entry| entry.get("flagged").cloned())
        .collect();
    assert_eq!(
        flags,
        [
            json!("unknown field \"email\""),
            json!("JSON body without Content-Type: application/json"),
            json!("unknown route"),
            json!("method not allowed"),
        ]
    );
    assert_eq!(emulator.call("GET", "/user/bob", None).status, 404);

    // Without --strict the same requests are taken and nothing is flagged.
    let lenient = start(&[]);
    let reply = lenient.call(
        "POST",
        "/user",
        Some(Body::Json(
            json!({"username": "bob", "password": "pw", "email": "b@x"}),
        )),
    );
    assert_eq!(reply.status, 204);
    assert!(
        journal(&lenient, "")
            .iter()
            .all(|entry| entry.get("flagged").is_none())
    );
}

#[test]
fn the_control_api_refuses_a_missing_or_wrong_key_as_the_api_does() {
    let emulator = start(&[]);
    let api = emulator.call_with("GET", "/user", &[], None);
    assert_eq!(api.status, 401);
    let wrong = basic("not-the-key");
    for (method, path) in [
        ("GET", "/_emulator/requests"),
        ("DELETE", "/_emulator/requests"),
        ("POST", "/_emulator/reset"),
        ("POST", "/_emulator/snapshots/a"),
        ("POST", "/_emulator/snapshots/a/restore"),
        ("PUT", "/_emulator/faults"),
        ("GET", "/_emulator/faults"),
        ("GET", "/_emulator/nowhere"),
    ] {
        for headers in [&[][..], &[("Authorization", wrong.as_str())][..]] {
            let reply = emulator.send(method, path, headers, None);
            assert_eq!(reply.status, 401, "{method} {path}");
            assert_eq!(reply.body, api.body, "{method} {path}");
            assert_eq!(
                reply.header("WWW-Authenticate"),
                api.header("WWW-Authenticate")
            );
        }
    }
}

#[test]
fn no_secret_reaches_the_journal_or_the_log() {
    let emulator = start(&[]);
    let encoded_key: String = KEY.bytes().map(|byte| format!("%{byte:02X}")).collect();
    emulator.create_user("alice", "json-pa55word");
    let form = emulator.call(
        "POST",
        "/user",
        Some(Body::Form(vec![
            ("username", "bob".into()),
            ("password", "form-pa55word".into()),
        ])),
    );
    assert_eq!(form.status, 204);
    let put = emulator.call(
        "PUT",
        "/user/alice?password=query-pa55word",
        Some(Body::Json(json!({"password": "new-pa55word", "note": KEY}))),
    );
    assert_eq!(put.status, 204);
    emulator.call("GET", &format!("/user/{KEY}"), None);
    emulator.call("GET", &format!("/user/{encoded_key}"), None);
    emulator.call_with(
        "GET",
        "/user",
        &[("Authorization", &basic("wrong-pa55key"))],
        None,
    );
    let shown = emulator.control("GET", "/requests", None).text();
    assert!(shown.contains("alice") && shown.contains("bob"), "{shown}");
    let log = emulator.stderr_text();
    for secret in [
        KEY,
        encoded_key.as_str(),
        &basic(KEY)["Basic ".len()..],
        "json-pa55word",
        "form-pa55word",
        "query-pa55word",
        "new-pa55word",
        "wrong-pa55key",
    ] {
        assert!(!shown.contains(secret), "{secret} in the journal: {shown}");
        assert!(!log.contains(secret), "{secret} in the log");
    }
}
