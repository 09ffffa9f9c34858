//! API conformance against the real binary (without a broker): every
//! endpoint, status and body shape.

mod common;

use cloudmqtt_api::{AclKind, validate};
use common::{Body, Emulator};
use serde_json::json;

const KEY: &str = "test-key";

fn emulator() -> Emulator {
    Emulator::start(&["--no-broker", "--apply-delay-ms", "50", "--api-key", KEY])
}

fn form(pairs: &[(&'static str, &str)]) -> Option<Body> {
    Some(Body::Form(
        pairs.iter().map(|(k, v)| (*k, (*v).to_owned())).collect(),
    ))
}

fn json_body(value: serde_json::Value) -> Option<Body> {
    Some(Body::Json(value))
}

#[test]
fn ready_line_and_generated_key() {
    let emulator = Emulator::start(&["--no-broker"]);
    assert_eq!(emulator.key.len(), 32);
    assert!(emulator.key.bytes().all(|b| b.is_ascii_hexdigit()));
    assert!(emulator.api.ip().is_loopback());
    assert_eq!(emulator.mqtt_port, None);
    assert_eq!(emulator.call("GET", "/user", None).status, 200);
    assert!(emulator.extra_stdout().is_empty());
}

#[test]
fn authentication() {
    let emulator = emulator();
    let missing = emulator.call_with("GET", "/user", &[], None);
    assert_eq!(missing.status, 401);
    assert_eq!(missing.error(), "unauthorized: wrong or missing API key");
    assert_eq!(
        missing.header("WWW-Authenticate"),
        Some("Basic realm=\"cloudmqtt\"")
    );
    let wrong = common::basic("test-kez");
    let prefix = common::basic("test-ke");
    let longer = common::basic("test-key2");
    let bearer = format!("Bearer {KEY}");
    for value in [
        wrong.as_str(),
        prefix.as_str(),
        longer.as_str(),
        bearer.as_str(),
        "Basic !!!",
        "Basic",
        "",
    ] {
        let reply = emulator.call_with("GET", "/user", &[("Authorization", value)], None);
        assert_eq!(reply.status, 401, "{value:?}");
    }
    // Every endpoint checks the key, even for unknown paths and methods.
    for (method, path) in [
        ("POST", "/user"),
        ("DELETE", "/acl"),
        ("POST", "/instance/reset"),
        ("GET", "/nowhere"),
    ] {
        assert_eq!(emulator.call_with(method, path, &[], None).status, 401);
    }
    // The user name of the Basic credentials is ignored.
    let named = format!(
        "Basic {}",
        base64::Engine::encode(
            &base64::engine::general_purpose::STANDARD,
            format!("someone:{KEY}")
        )
    );
    let reply = emulator.call_with("GET", "/user", &[("authorization", &named)], None);
    assert_eq!(reply.status, 200);
}

#[test]
fn unknown_paths_and_wrong_methods() {
    let emulator = emulator();
    for path in [
        "",
        "/",
        "/users",
        "/user/a/b",
        "/instance",
        "/instance/stop",
        "/acl/x",
    ] {
        let reply = emulator.call("GET", path, None);
        assert_eq!(reply.status, 404, "{path}");
        assert_eq!(reply.error(), "not found");
    }
    let cases = [
        ("/user", &["PUT", "DELETE", "PATCH"][..], "GET, POST"),
        ("/user/alice", &["POST", "PATCH"], "GET, PUT, DELETE"),
        ("/acl", &["PUT", "PATCH"], "GET, POST, DELETE"),
        ("/instance/restart", &["GET", "PUT", "DELETE"], "POST"),
        ("/instance/reset", &["GET"], "POST"),
    ];
    for (path, methods, allow) in cases {
        for method in methods {
            let reply = emulator.call(method, path, None);
            assert_eq!(reply.status, 405, "{method} {path}");
            assert_eq!(reply.header("Allow"), Some(allow));
            assert_eq!(reply.error(), "method not allowed");
        }
    }
}

#[test]
fn changes_stay_pending_until_they_fall_due() {
    // Ten minutes: far beyond this test's run however loaded the machine,
    // so "not applied yet" cannot turn false while it runs.
    let emulator = Emulator::start(&[
        "--no-broker",
        "--apply-delay-ms",
        "600000",
        "--api-key",
        KEY,
    ]);
    let created = emulator.call(
        "POST",
        "/user",
        json_body(json!({"username": "test", "password": "super_secret_password"})),
    );
    assert_eq!(created.status, 204);
    assert_eq!(emulator.call("GET", "/user/test", None).status, 404);
    assert_eq!(emulator.call("GET", "/user", None).json(), json!([]));
    // The pending create already counts for later writes.
    let again = emulator.call(
        "POST",
        "/user",
        json_body(json!({"username": "test", "password": "x"})),
    );
    assert_eq!(again.status, 400);
    assert_eq!(again.error(), "user \"test\" already exists");
    let rule = emulator.call(
        "POST",
        "/acl",
        json_body(json!({"type": "topic", "username": "test", "pattern": "t/#", "read": true, "write": false})),
    );
    assert_eq!(rule.status, 204);
    assert_eq!(emulator.call("GET", "/acl", None).json(), json!([]));
}

#[test]
fn users_lifecycle_in_json_and_form() {
    let emulator = emulator();
    let created = emulator.call(
        "POST",
        "/user",
        json_body(json!({"username": "test", "password": "super_secret_password"})),
    );
    assert_eq!(created.status, 204);
    assert!(created.body.is_empty());
    emulator.wait_user("test", true);
    let created = emulator.call(
        "POST",
        "/user",
        form(&[("username", "a/b c"), ("password", "p&w=1")]),
    );
    assert_eq!(created.status, 204);
    emulator.wait_user("a%2Fb%20c", true);

    let list = emulator.call("GET", "/user", None);
    assert_eq!(list.status, 200);
    assert_eq!(list.header("Content-Type"), Some("application/json"));
    assert_eq!(
        list.json(),
        json!([{"username": "a/b c"}, {"username": "test"}])
    );
    let info = emulator.call("GET", "/user/test", None);
    assert_eq!(info.status, 200);
    assert_eq!(info.json(), json!({"username": "test", "acls": []}));

    // Creating it again, even while the first create is pending, is refused.
    let again = emulator.call(
        "POST",
        "/user",
        json_body(json!({"username": "test", "password": "x"})),
    );
    assert_eq!(again.status, 400);
    assert_eq!(again.error(), "user \"test\" already exists");

    let updated = emulator.call(
        "PUT",
        "/user/test",
        json_body(json!({"password": "another"})),
    );
    assert_eq!(updated.status, 204);
    let updated = emulator.call("PUT", "/user/test", form(&[("password", "third")]));
    assert_eq!(updated.status, 204);
    let unknown = emulator.call("PUT", "/user/ghost", form(&[("password", "x")]));
    assert_eq!(unknown.status, 404);
    assert_eq!(unknown.error(), "user \"ghost\" not found");

    assert_eq!(emulator.call("DELETE", "/user/test", None).status, 204);
    // Still visible until the delete applies; deleting twice is refused.
    assert_eq!(emulator.call("DELETE", "/user/test", None).status, 404);
    emulator.wait_user("test", false);
    assert_eq!(emulator.call("DELETE", "/user/ghost", None).status, 404);
    assert_eq!(
        emulator.call("GET", "/user", None).json(),
        json!([{"username": "a/b c"}])
    );
}

#[test]
fn user_list_paging_and_prefix() {
    let emulator = Emulator::start(&["--no-broker", "--apply-delay-ms", "0", "--api-key", KEY]);
    for name in ["bob", "alice", "al", "carol", "alfred"] {
        let reply = emulator.call(
            "POST",
            "/user",
            form(&[("username", name), ("password", "pw")]),
        );
        assert_eq!(reply.status, 204);
    }
    let names = |query: &str| -> serde_json::Value {
        let reply = emulator.call("GET", &format!("/user{query}"), None);
        assert_eq!(reply.status, 200, "{query}: {}", reply.text());
        reply.json()
    };
    assert_eq!(
        names(""),
        json!([{"username":"al"},{"username":"alfred"},{"username":"alice"},{"username":"bob"},{"username":"carol"}])
    );
    assert_eq!(
        names("?limit=2"),
        json!([{"username":"al"},{"username":"alfred"}])
    );
    assert_eq!(names("?limit=2&page=3"), json!([{"username":"carol"}]));
    assert_eq!(names("?limit=2&page=4"), json!([]));
    assert_eq!(
        names("?query=al&limit=2&page=2"),
        json!([{"username":"alice"}])
    );
    assert_eq!(names("?query=ali"), json!([{"username":"alice"}]));
    assert_eq!(names("?query=zz"), json!([]));
    assert_eq!(names("?limit=1000&page=1&query="), names(""));
    // The same rules as the client, with the client's words.
    let cases = [
        ("?limit=0", validate::limit("limit", 0)),
        ("?limit=1001", validate::limit("limit", 1001)),
        ("?page=0", validate::page(0)),
        ("?query=a%01", validate::query("a\u{1}")),
        // Past what a u32 (or even a u64) holds: still out of range.
        ("?limit=1000000000000", validate::limit("limit", u32::MAX)),
        (
            "?limit=99999999999999999999999999",
            validate::limit("limit", u32::MAX),
        ),
    ];
    for (query, expected) in cases {
        let reply = emulator.call("GET", &format!("/user{query}"), None);
        assert_eq!(reply.status, 400, "{query}");
        assert_eq!(reply.error(), expected.unwrap_err().to_string());
    }
    assert_eq!(names("?page=1000000000000"), json!([]));
    for query in ["?limit=abc", "?limit=-1", "?page=1.5", "?limit="] {
        let reply = emulator.call("GET", &format!("/user{query}"), None);
        assert_eq!(reply.status, 400, "{query}");
        assert!(reply.error().ends_with("must be a whole number"));
    }
}

#[test]
fn user_arguments_are_validated_like_the_client_does() {
    let emulator = emulator();
    let long = "a".repeat(validate::MAX_STRING_BYTES + 1);
    let bad_names = ["", "..", ".", "tab\there", long.as_str()];
    for name in bad_names {
        let reply = emulator.call(
            "POST",
            "/user",
            json_body(json!({"username": name, "password": "pw"})),
        );
        assert_eq!(reply.status, 400, "{name:?}");
        assert_eq!(
            reply.error(),
            validate::username(name).unwrap_err().to_string()
        );
    }
    let reply = emulator.call(
        "POST",
        "/user",
        json_body(json!({"username": "u", "password": ""})),
    );
    assert_eq!(
        reply.error(),
        validate::password("").unwrap_err().to_string()
    );
    for (body, message) in [
        (json!({"password": "pw"}), "invalid username: is required"),
        (json!({"username": "u"}), "invalid password: is required"),
        (
            json!({"username": 7, "password": "pw"}),
            "invalid username: must be a string",
        ),
    ] {
        let reply = emulator.call("POST", "/user", json_body(body));
        assert_eq!((reply.status, reply.error()), (400, message.to_owned()));
    }
    // Names in the path: percent-decoded, then validated.
    let reply = emulator.call("GET", "/user/%2E%2E", None);
    assert_eq!(reply.status, 400);
    assert_eq!(
        reply.error(),
        validate::username("..").unwrap_err().to_string()
    );
    assert_eq!(emulator.call("GET", "/user/%FF", None).status, 400);
    assert_eq!(emulator.call("GET", "/user/a%0Ab", None).status, 400);
    let reply = emulator.call("PUT", "/user/u", json_body(json!({})));
    assert_eq!(reply.error(), "invalid password: is required");
}

#[test]
fn bodies_of_every_kind() {
    let emulator = emulator();
    for (content_type, body, message) in [
        (
            "application/json",
            &b"{"[..],
            "invalid body: not valid JSON",
        ),
        (
            "application/json",
            b"[1]",
            "invalid body: must be a JSON object",
        ),
        (
            "application/json",
            b"\xff\xfe",
            "invalid body: not valid JSON",
        ),
    ] {
        let reply = emulator.call(
            "POST",
            "/user",
            Some(Body::Raw(content_type, body.to_vec())),
        );
        assert_eq!(reply.status, 400);
        assert!(reply.error().starts_with(message), "{}", reply.error());
    }
    // A JSON media type with parameters, and a form without a content type.
    let reply = emulator.call(
        "POST",
        "/user",
        Some(Body::Raw(
            "Application/JSON; charset=utf-8",
            br#"{"username":"j","password":"p"}"#.to_vec(),
        )),
    );
    assert_eq!(reply.status, 204);
    // A browser's FormData.
    let multipart = "--b0undary\r\nContent-Disposition: form-data; name=\"username\"\r\n\r\nfd\r\n--b0undary\r\nContent-Disposition: form-data; name=\"password\"\r\n\r\npw\r\n--b0undary--\r\n";
    let reply = emulator.call(
        "POST",
        "/user",
        Some(Body::Raw(
            "multipart/form-data; boundary=b0undary",
            multipart.as_bytes().to_vec(),
        )),
    );
    assert_eq!(reply.status, 204, "{}", reply.text());
    emulator.wait_user("fd", true);
    let reply = emulator.call_with(
        "POST",
        "/user",
        &[("Authorization", &common::basic(KEY))],
        None,
    );
    assert_eq!(reply.error(), "invalid username: is required");
    // Bounded bodies: 413 past 1 MiB, by header or by content.
    let big = vec![b'a'; (1 << 20) + 1];
    let reply = emulator.call("POST", "/user", Some(Body::Raw("text/plain", big)));
    assert_eq!(reply.status, 413);
    assert_eq!(reply.error(), "request body too large");
    // The longest password the client may send still fits, in JSON and form.
    let longest = "\u{1}".repeat(validate::MAX_STRING_BYTES);
    let reply = emulator.call(
        "POST",
        "/user",
        json_body(json!({"username": "long", "password": longest})),
    );
    assert_eq!(reply.status, 204);
    let longest = "&".repeat(validate::MAX_STRING_BYTES);
    let reply = emulator.call("PUT", "/user/long", form(&[("password", longest.as_str())]));
    assert_eq!(reply.status, 204);
}

#[test]
fn acl_rules_lifecycle() {
    let emulator = emulator();
    emulator.create_user("custom-user", "pw");
    let topic = emulator.call(
        "POST",
        "/acl",
        json_body(json!({"type": "topic", "username": "custom-user", "pattern": "test/users/topic", "read": true, "write": true})),
    );
    assert_eq!(topic.status, 204);
    let pattern = emulator.call(
        "POST",
        "/acl",
        form(&[
            ("type", "pattern"),
            ("pattern", "sensor/%u/data"),
            ("read", "true"),
            ("write", "1"),
        ]),
    );
    assert_eq!(pattern.status, 204);
    assert_eq!(emulator.call("GET", "/acl", None).json(), json!([]));
    emulator.wait_until("two rules", || emulator.rule_count() == 2);
    // Exactly the reference's shape.
    assert_eq!(
        emulator.call("GET", "/acl", None).json(),
        json!([
            {"type":"topic","pattern":"test/users/topic","read":true,"write":true,"username":"custom-user"},
            {"type":"pattern","pattern":"sensor/%u/data","read":true,"write":true,"username":null}
        ])
    );
    assert_eq!(
        emulator.call("GET", "/user/custom-user", None).json(),
        json!({"username":"custom-user","acls":[{"topic":"test/users/topic","read":true,"write":true}]})
    );
    // The same rule again replaces its flags.
    emulator.create_rule(
        "topic",
        Some("custom-user"),
        "test/users/topic",
        false,
        true,
    );
    assert_eq!(emulator.rule_count(), 2);

    // Delete the topic rule (body) and the pattern rule (no user, query string).
    let deleted = emulator.call(
        "DELETE",
        "/acl",
        json_body(json!({"username": "custom-user", "topic": "test/users/topic"})),
    );
    assert_eq!(deleted.status, 204);
    let deleted = emulator.call("DELETE", "/acl?topic=sensor%2F%25u%2Fdata", None);
    assert_eq!(deleted.status, 204);
    emulator.wait_until("no rules", || {
        emulator.call("GET", "/acl", None).json() == json!([])
    });
    let missing = emulator.call(
        "DELETE",
        "/acl",
        form(&[("username", "custom-user"), ("topic", "test/users/topic")]),
    );
    assert_eq!(missing.status, 404);
    assert_eq!(
        missing.error(),
        "no topic rule \"test/users/topic\" for user \"custom-user\""
    );
    let missing = emulator.call("DELETE", "/acl", form(&[("topic", "x")]));
    assert_eq!(missing.error(), "no pattern rule \"x\"");
    let ghost = emulator.call(
        "DELETE",
        "/acl",
        form(&[("username", "ghost"), ("topic", "x")]),
    );
    assert_eq!(
        (ghost.status, ghost.error()),
        (404, "user \"ghost\" not found".to_owned())
    );
}

#[test]
fn deleting_a_user_removes_its_topic_rules() {
    let emulator = emulator();
    emulator.create_user("u", "pw");
    emulator.create_rule("topic", Some("u"), "u/#", true, false);
    emulator.create_rule("pattern", None, "all/%u", true, true);
    assert_eq!(emulator.call("DELETE", "/user/u", None).status, 204);
    emulator.wait_user("u", false);
    assert_eq!(
        emulator.call("GET", "/acl", None).json(),
        json!([{"type":"pattern","pattern":"all/%u","read":true,"write":true,"username":null}])
    );
}

#[test]
fn acl_arguments_are_validated_like_the_client_does() {
    let emulator = emulator();
    emulator.create_user("u", "pw");
    let client = |kind, user: Option<&str>, pattern| {
        validate::acl_rule(kind, user, pattern)
            .unwrap_err()
            .to_string()
    };
    let cases = [
        (
            json!({"type":"topic","pattern":"a"}),
            client(AclKind::Topic, None, "a"),
        ),
        (
            json!({"type":"topic","username":"","pattern":"a"}),
            client(AclKind::Topic, Some(""), "a"),
        ),
        (
            json!({"type":"pattern","username":"u","pattern":"a"}),
            client(AclKind::Pattern, Some("u"), "a"),
        ),
        (
            json!({"type":"topic","username":"u","pattern":"a/#/b"}),
            client(AclKind::Topic, Some("u"), "a/#/b"),
        ),
        (
            json!({"type":"pattern","pattern":"a+"}),
            client(AclKind::Pattern, None, "a+"),
        ),
        (
            json!({"type":"pattern","pattern":""}),
            client(AclKind::Pattern, None, ""),
        ),
        (
            json!({"type":"other","pattern":"a"}),
            AclKind::parse("other").unwrap_err().to_string(),
        ),
        (
            json!({"pattern":"a"}),
            "invalid type: is required".to_owned(),
        ),
        (
            json!({"type":"pattern"}),
            "invalid pattern: is required".to_owned(),
        ),
        (
            json!({"type":"pattern","pattern":"a","read":"maybe"}),
            "invalid read: must be true or false".to_owned(),
        ),
        (
            json!({"type":"pattern","pattern":"a","write":[]}),
            "invalid write: must be true or false".to_owned(),
        ),
    ];
    for (body, expected) in cases {
        let reply = emulator.call("POST", "/acl", json_body(body.clone()));
        assert_eq!(reply.status, 400, "{body}");
        assert_eq!(reply.error(), expected, "{body}");
    }
    let unknown = emulator.call(
        "POST",
        "/acl",
        json_body(json!({"type":"topic","username":"ghost","pattern":"a"})),
    );
    assert_eq!(
        (unknown.status, unknown.error()),
        (404, "user \"ghost\" not found".to_owned())
    );
    let reply = emulator.call("DELETE", "/acl", form(&[("username", "u")]));
    assert_eq!(reply.error(), "invalid topic: is required");
    let reply = emulator.call(
        "DELETE",
        "/acl",
        form(&[("username", "u"), ("topic", "#/a")]),
    );
    assert_eq!(
        reply.error(),
        validate::topic_filter("topic", "#/a")
            .unwrap_err()
            .to_string()
    );
    let reply = emulator.call("DELETE", "/acl", form(&[("username", ""), ("topic", "a")]));
    assert_eq!(
        reply.error(),
        validate::username("").unwrap_err().to_string()
    );
}

#[test]
fn restart_and_reset_without_a_broker() {
    let emulator = emulator();
    emulator.create_user("keep", "pw");
    emulator.create_rule("pattern", None, "p/%u", true, true);
    let restarted = emulator.call("POST", "/instance/restart", None);
    assert_eq!(restarted.status, 204);
    assert_eq!(emulator.call("GET", "/user/keep", None).status, 200);
    // A pending create is dropped by a reset too.
    let reply = emulator.call(
        "POST",
        "/user",
        form(&[("username", "pending"), ("password", "p")]),
    );
    assert_eq!(reply.status, 204);
    let reset = emulator.call("POST", "/instance/reset", None);
    assert_eq!(reset.status, 204);
    assert_eq!(emulator.call("GET", "/user", None).json(), json!([]));
    assert_eq!(emulator.call("GET", "/acl", None).json(), json!([]));
    std::thread::sleep(std::time::Duration::from_millis(150));
    assert_eq!(emulator.call("GET", "/user", None).json(), json!([]));
}

#[test]
fn requests_are_logged_without_secrets() {
    let emulator = emulator();
    let password = "hunter2-very-secret";
    emulator.call(
        "POST",
        "/user",
        json_body(json!({"username": "logged", "password": password})),
    );
    emulator.call("PUT", "/user/logged", form(&[("password", password)]));
    emulator.call("GET", &format!("/user/{KEY}"), None);
    // Percent-encoded, wholly or in part: the handler decodes the path, so
    // the log hides these too.
    let encoded = [
        "%74est-key",
        "test%2Dkey",
        "%74%65%73%74%2d%6B%65%79",
        "x%74est-keyx",
    ];
    for spelling in encoded {
        emulator.call("GET", &format!("/user/{spelling}"), None);
    }
    emulator.call_with("GET", "/user", &[], None);
    let log = emulator.stderr_text();
    assert!(log.contains("POST /api/user 204 "), "{log}");
    assert!(log.contains("GET /api/user 401 "), "{log}");
    assert!(log.contains("GET /api/user/[redacted] 404 "), "{log}");
    assert!(log.contains("GET /api/user/x[redacted]x 404 "), "{log}");
    assert_eq!(log.matches("[redacted]").count(), 5, "{log}");
    for spelling in encoded {
        assert!(!log.contains(spelling), "{spelling}: {log}");
    }
    assert!(!log.contains("est-key"), "{log}");
    assert!(!log.contains(KEY), "{log}");
    assert!(!log.contains(password), "{log}");
    assert!(!log.contains(&common::basic(KEY)), "{log}");
}

#[test]
fn a_closed_standard_error_does_not_stop_the_api() {
    let mut emulator = Emulator::start_with_stderr_piped(&[
        "--no-broker",
        "--apply-delay-ms",
        "0",
        "--api-key",
        KEY,
    ]);
    // Every request now logs into a broken pipe, on every worker.
    emulator.close_stderr();
    for round in 0..6 {
        let name = format!("u{round}");
        let reply = emulator.call(
            "POST",
            "/user",
            form(&[("username", name.as_str()), ("password", "pw")]),
        );
        assert_eq!(reply.status, 204, "{name}: {}", reply.text());
        let reply = emulator.call("GET", &format!("/user/{name}"), None);
        assert_eq!(reply.status, 200, "{name}: {}", reply.text());
        assert_eq!(reply.json(), json!({"username": name, "acls": []}));
        assert_eq!(emulator.call("GET", "/nowhere", None).status, 404);
        assert_eq!(emulator.call_with("GET", "/user", &[], None).status, 401);
    }
    let users = emulator.call("GET", "/user", None);
    assert_eq!(users.json().as_array().map(Vec::len), Some(6));
    // Its last words go nowhere either, and it still exits cleanly.
    let status = emulator.signal_and_wait("TERM");
    assert_eq!(status.code(), Some(0), "{status:?}");
}

#[test]
fn keys_the_ready_line_cannot_carry_are_refused() {
    for key in [
        "two words",
        "trailing ",
        "tab\there",
        "no\u{a0}break",
        "line\nbreak",
    ] {
        let output = std::process::Command::new(env!("CARGO_BIN_EXE_cloudmqtt-emulator"))
            .args(["--no-broker", "--api-key", key])
            .output()
            .unwrap();
        // A usage error, like every other bad flag.
        assert_eq!(output.status.code(), Some(2), "{key:?}");
        assert!(output.stdout.is_empty(), "{key:?}: no ready line");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(
            stderr.contains("cloudmqtt-emulator: --api-key: ")
                && stderr.contains("must not contain"),
            "{key:?}: {stderr}"
        );
    }
}

#[test]
fn sigterm_and_sigint_stop_it_cleanly() {
    for signal in ["TERM", "INT"] {
        let mut emulator = emulator();
        emulator.create_user("kept", "pw");
        let status = emulator.signal_and_wait(signal);
        assert!(status.success(), "SIG{signal}: {status:?}");
        assert!(emulator.stderr_text().contains("shutting down"));
        // A data directory that was given is kept, state and all.
        assert!(emulator.data_dir.join("state.json").exists());
    }
}

#[test]
fn a_temporary_data_directory_is_removed_at_exit() {
    let mut emulator = Emulator::start_with_temporary_data(&["--no-broker"]);
    assert!(
        emulator.data_dir.is_dir(),
        "{}",
        emulator.data_dir.display()
    );
    let reply = emulator.call(
        "POST",
        "/user",
        form(&[("username", "t"), ("password", "p")]),
    );
    assert_eq!(reply.status, 204);
    assert!(emulator.data_dir.join("state.json").exists());
    assert!(emulator.signal_and_wait("TERM").success());
    assert!(!emulator.data_dir.exists());
}

#[test]
fn concurrent_writes_all_land() {
    let emulator = Emulator::start(&["--no-broker", "--apply-delay-ms", "20", "--api-key", KEY]);
    std::thread::scope(|scope| {
        for thread in 0..8 {
            let emulator = &emulator;
            scope.spawn(move || {
                for index in 0..25 {
                    let name = format!("t{thread}-{index:02}");
                    let reply = emulator.call(
                        "POST",
                        "/user",
                        form(&[("username", name.as_str()), ("password", "pw")]),
                    );
                    assert_eq!(reply.status, 204, "{name}: {}", reply.text());
                }
            });
        }
    });
    emulator.wait_until("200 users", || {
        emulator
            .call("GET", "/user", None)
            .json()
            .as_array()
            .unwrap()
            .len()
            == 200
    });
}
