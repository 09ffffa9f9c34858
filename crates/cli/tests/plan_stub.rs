//! `cloudmqtt apply` against a scripted server: what it reports when a
//! change cannot be made, and that the password never shows.

mod common;

use common::{Reply, Stub, against, run};
use serde_json::json;

const KEY: &str = "stub-key-access-3c";

#[test]
fn a_change_that_fails_is_reported_and_exits_1() {
    let stub = Stub::start([
        Reply::new(200, "[]"),
        Reply::new(200, "[]"),
        Reply::new(422, r#"{"error":"password stub-secret-77 is too weak"}"#),
    ]);
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("access.json");
    std::fs::write(&file, r#"{"users": {"weak": {"password_env": "WEAK_PW"}}}"#).unwrap();
    let mut command = against(
        &stub.base_url(),
        KEY,
        &["apply", "-f", file.to_str().unwrap(), "--yes", "--json"],
    );
    command.env("WEAK_PW", "stub-secret-77");
    let result = run(command, "");
    result.expect_code(1);
    assert!(
        !result.all_output().contains("stub-secret-77"),
        "{result:?}"
    );
    let output = result.json();
    assert_eq!(output["changes"], json!([]));
    assert_eq!(output["requests"], json!(1));
    assert_eq!(
        output["failed"][0]["change"],
        json!({"action": "create", "kind": "user", "username": "weak"})
    );
    let error = output["failed"][0]["error"].as_str().unwrap();
    assert!(
        error.contains("422") && error.contains("[redacted]"),
        "{error}"
    );
    // The error line, then (with --json) the same as JSON, with the code
    // and status of the first change not made.
    assert!(
        result.stderr.ends_with(
            "cloudmqtt: 1 of 1 changes were not made; run apply again\n\
             {\"error\":{\"code\":\"UNEXPECTED_STATUS\",\"message\":\"1 of 1 changes were not made; run apply again\",\"status\":422}}\n"
        ),
        "{result:?}"
    );
    assert!(
        result.stderr.contains("failed: + user weak\n"),
        "{result:?}"
    );
    let requests = stub.requests();
    assert_eq!(requests.len(), 3);
    assert_eq!(requests[2].method, "POST");
    assert_eq!(
        requests[2].body_text(),
        r#"{"username":"weak","password":"stub-secret-77"}"#
    );
}

#[test]
fn a_broken_file_is_reported_before_a_missing_key() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("access.toml");
    std::fs::write(&file, "[users.alice]\npasword_env = \"P\"\n").unwrap();
    for verb in ["plan", "apply"] {
        let mut command = common::cloudmqtt();
        command.args([verb, "-f", file.to_str().unwrap()]);
        let result = run(command, "");
        result.expect_code(2);
        let shown = file.display().to_string();
        assert!(
            result.stderr.contains(&format!("{shown}:2:")),
            "{verb}: {result:?}"
        );
        assert!(!result.stderr.contains("API key"), "{verb}: {result:?}");
    }
}
