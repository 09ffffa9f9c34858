//! `--debug` / `CLOUDMQTT_DEBUG=1`: every attempt and wait on stderr, no
//! secret in it; and the JSON error line of `--json`.

mod common;

use common::{Reply, Stub, against, run};

const KEY: &str = "debug-key-2c7e";
const PASSWORD: &str = "debug-pw/\"é-9a1";

fn assert_no_secret(text: &str) {
    assert!(!text.contains(KEY), "{text}");
    assert!(!text.contains(&common::basic_auth(KEY)), "{text}");
    for part in ["debug-pw", "pw%2F", "pw/\\\""] {
        assert!(!text.contains(part), "{part}: {text}");
    }
}

#[test]
fn every_attempt_and_wait_is_traced() {
    let stub = Stub::start([
        Reply::new(503, "busy"),
        Reply::new(429, r#"{"error":"slow down"}"#).header("Retry-After", "0"),
        Reply::new(200, r#"[{"username":"a"}]"#),
    ]);
    let result = run(
        against(
            &stub.base_url(),
            KEY,
            &["users", "list", "--debug", "--json"],
        ),
        "",
    );
    result.expect_code(0);
    let trace = &result.stderr;
    let url = format!("{}/user", stub.base_url());
    // One line per attempt, numbered per request.
    assert!(
        trace.contains(&format!("cloudmqtt: debug: GET {url} attempt 1: 503 in ")),
        "{trace}"
    );
    assert!(
        trace.contains(&format!("cloudmqtt: debug: GET {url} attempt 2: 429 in ")),
        "{trace}"
    );
    assert!(
        trace.contains(&format!("cloudmqtt: debug: GET {url} attempt 3: 200 in ")),
        "{trace}"
    );
    assert!(
        trace.contains("  > authorization: Basic [redacted]"),
        "{trace}"
    );
    assert!(trace.contains("cloudmqtt: debug: wait "), "{trace}");
    assert!(
        trace.contains(&format!("retrying GET {url} after server error 503")),
        "{trace}"
    );
    assert!(
        trace.contains("  < body: [{\"username\":\"a\"}]"),
        "{trace}"
    );
    assert!(
        trace.contains(&format!(
            "cloudmqtt: debug: no wait: retrying GET {url} after rate limited (429), the server asked for Retry-After: 0"
        )),
        "{trace}"
    );
    assert!(
        trace
            .lines()
            .all(|line| line.starts_with("cloudmqtt: debug: ")),
        "{trace}"
    );
    assert_no_secret(trace);
    // The data on stdout is untouched.
    assert_eq!(result.json(), serde_json::json!([{"username": "a"}]));
}

#[test]
fn bodies_are_scrubbed_in_both_encodings_and_waits_say_why() {
    for encoding in ["json", "form"] {
        let stub = Stub::start([
            // A server that echoes the password back.
            Reply::new(
                200,
                &format!(r#"{{"echo":"{}"}}"#, PASSWORD.replace('"', "\\\"")),
            ),
            Reply::new(404, ""),
            Reply::new(200, r#"{"username":"alice","acls":[]}"#),
        ]);
        let result = run(
            against(
                &stub.base_url(),
                KEY,
                &[
                    "users",
                    "create",
                    "alice",
                    "--password-stdin",
                    "--wait",
                    "--wait-interval",
                    "0.1",
                    "--encoding",
                    encoding,
                ],
            )
            .env("CLOUDMQTT_DEBUG", "1"),
            &format!("{PASSWORD}\n"),
        );
        result.expect_code(0);
        let trace = &result.stderr;
        assert!(trace.contains("cloudmqtt: debug: POST "), "{trace}");
        assert!(trace.contains("  > body: "), "{trace}");
        assert!(trace.contains("[redacted]"), "{trace}");
        // The wait names what it waits for.
        assert!(
            trace.contains("waiting for user \"alice\" to exist (last answer: 404)"),
            "{trace}"
        );
        assert_no_secret(trace);
        assert_no_secret(&result.stdout);
        // The password did go out.
        assert!(stub.requests()[0].body_text().contains("debug-pw"));
    }
}

#[test]
fn without_debug_nothing_is_traced() {
    let stub = Stub::start([Reply::new(200, "[]")]);
    let result = run(
        against(&stub.base_url(), KEY, &["acl", "list"]).env("CLOUDMQTT_DEBUG", "0"),
        "",
    );
    result.expect_code(0);
    assert_eq!(result.stderr, "");
}

#[test]
fn json_failures_carry_the_code_status_and_message() {
    let stub = Stub::start([
        Reply::new(404, r#"{"error":"no such user"}"#),
        Reply::new(401, r#"{"error":"bad key"}"#),
        Reply::new(404, r#"{"error":"no such user"}"#),
    ]);
    let result = run(
        against(&stub.base_url(), KEY, &["users", "get", "nobody", "--json"]),
        "",
    );
    result.expect_code(3);
    assert_eq!(result.stdout, "");
    let last = result.stderr.lines().last().unwrap();
    let json: serde_json::Value = serde_json::from_str(last).unwrap();
    assert_eq!(json["error"]["code"], "NOT_FOUND");
    assert_eq!(json["error"]["status"], 404);
    let message = json["error"]["message"].as_str().unwrap();
    assert!(message.contains("no such user"), "{message}");
    assert_eq!(json.as_object().unwrap().len(), 1);
    assert_eq!(json["error"].as_object().unwrap().len(), 3);

    let result = run(
        against(&stub.base_url(), KEY, &["acl", "list", "--json"]),
        "",
    );
    result.expect_code(4);
    let json: serde_json::Value =
        serde_json::from_str(result.stderr.lines().last().unwrap()).unwrap();
    assert_eq!(json["error"]["code"], "UNAUTHORIZED");
    assert_eq!(json["error"]["status"], 401);

    // Without --json: the one line only.
    let result = run(
        against(&stub.base_url(), KEY, &["users", "get", "nobody"]),
        "",
    );
    result.expect_code(3);
    assert_eq!(result.stderr.lines().count(), 1, "{}", result.stderr);
    assert!(
        result.stderr.starts_with("cloudmqtt: not found"),
        "{}",
        result.stderr
    );

    // Invalid input never reaches the server, and says so in JSON too.
    let result = run(
        against(
            "http://127.0.0.1:9/api",
            KEY,
            &["users", "get", "..", "--json"],
        ),
        "",
    );
    result.expect_code(2);
    let json: serde_json::Value =
        serde_json::from_str(result.stderr.lines().last().unwrap()).unwrap();
    assert_eq!(json["error"]["code"], "INVALID_INPUT");
    assert_eq!(json["error"]["status"], serde_json::Value::Null);
}

#[test]
fn network_failures_and_their_retries_are_traced() {
    // Nothing listens on the discard port of loopback.
    let result = run(
        against(
            "http://127.0.0.1:9/api",
            KEY,
            &["acl", "list", "--debug", "--retries", "1"],
        ),
        "",
    );
    result.expect_code(1);
    let trace = &result.stderr;
    let url = "http://127.0.0.1:9/api/acl";
    assert!(
        trace.contains(&format!(
            "cloudmqtt: debug: GET {url} attempt 1: no response after "
        )),
        "{trace}"
    );
    assert!(
        trace.contains(&format!(": retrying GET {url} after network error: io: ")),
        "{trace}"
    );
    assert!(trace.contains(&format!("GET {url} attempt 2: ")), "{trace}");
    assert!(!trace.contains("attempt 3"), "{trace}");
    // The error names what it could not reach.
    assert!(
        trace
            .lines()
            .last()
            .unwrap()
            .starts_with(&format!("cloudmqtt: network error: GET {url}: io: ")),
        "{trace}"
    );
    assert_no_secret(trace);
}
