//! The binary run as a user would, against a loopback stub that scripts the
//! server's replies and records the exact requests: wire format, retries,
//! waiting, exit codes and secrets.

mod common;

use std::time::Duration;

use common::{Reply, Stub, against, basic_auth, cloudmqtt, run};
use serde_json::json;

const KEY: &str = "key-7f3a9c-do-not-print";
const PASSWORD: &str = "pw-5e1b-never-shown";

/// Every request carries the key as Basic auth with an empty user and asks
/// for JSON.
#[track_caller]
fn assert_signed(stub: &Stub) {
    for request in stub.requests() {
        assert_eq!(
            request.header("authorization"),
            Some(basic_auth(KEY).as_str())
        );
        assert_eq!(request.header("accept"), Some("application/json"));
    }
}

#[test]
fn users_list_sends_paging_and_prints_json_or_a_table() {
    let body = r#"[{"username":"alice"},{"username":"bob"}]"#;
    let stub = Stub::start([Reply::new(200, body), Reply::new(200, body)]);
    let args = [
        "users", "list", "--limit", "10", "--page", "2", "--query", "a b",
    ];
    let json_run = run(against(&stub.base_url(), KEY, &args).arg("--json"), "");
    json_run.expect_code(0);
    assert_eq!(
        json_run.json(),
        json!([{"username": "alice"}, {"username": "bob"}])
    );
    let table = run(against(&stub.base_url(), KEY, &args), "");
    table.expect_code(0);
    assert_eq!(table.stdout, "USERNAME\nalice\nbob\n");
    let requests = stub.requests();
    assert_eq!(requests.len(), 2);
    assert_eq!(requests[0].method, "GET");
    assert_eq!(requests[0].target, "/api/user?limit=10&page=2&query=a+b");
    assert!(requests[0].body.is_empty());
    assert_signed(&stub);
}

#[test]
fn users_list_all_walks_every_page_through_the_paginator() {
    let stub = Stub::start([
        Reply::new(200, r#"[{"username":"a"},{"username":"b"}]"#),
        Reply::new(200, r#"{"items":[{"username":"c"},{"username":"d"}]}"#),
        Reply::new(200, "[]"),
    ]);
    let result = run(
        against(
            &stub.base_url(),
            KEY,
            &["users", "list", "--all", "--limit", "2", "--json"],
        ),
        "",
    );
    result.expect_code(0);
    assert_eq!(
        result.json(),
        json!([{"username":"a"},{"username":"b"},{"username":"c"},{"username":"d"}])
    );
    let targets: Vec<String> = stub.requests().into_iter().map(|r| r.target).collect();
    assert_eq!(
        targets,
        [
            "/api/user?limit=2&page=1",
            "/api/user?limit=2&page=2",
            "/api/user?limit=2&page=3"
        ]
    );
}

#[test]
fn users_get_prints_the_user_and_its_acls() {
    let body = r#"{"username":"test","acls":[{"topic":"sensor/%u","read":false,"write":true}]}"#;
    let stub = Stub::start([Reply::new(200, body), Reply::new(200, body)]);
    let json_run = run(
        against(&stub.base_url(), KEY, &["users", "get", "test", "--json"]),
        "",
    );
    json_run.expect_code(0);
    assert_eq!(
        json_run.json(),
        json!({"username":"test","acls":[{"topic":"sensor/%u","read":false,"write":true}]})
    );
    let table = run(
        against(&stub.base_url(), KEY, &["users", "get", "test"]),
        "",
    );
    table.expect_code(0);
    assert_eq!(
        table.stdout,
        "Username: test\n\nTOPIC      READ  WRITE\nsensor/%u  no    yes\n"
    );
    assert_eq!(stub.requests()[0].target, "/api/user/test");
    assert_signed(&stub);
}

#[test]
fn a_missing_user_exits_3_with_the_servers_message() {
    let stub = Stub::start([Reply::new(404, r#"{"error":"no such user here"}"#)]);
    let result = run(
        against(&stub.base_url(), KEY, &["users", "get", "ghost/../x"]),
        "",
    );
    result.expect_code(3);
    assert_eq!(result.stdout, "");
    assert_eq!(result.stderr, "cloudmqtt: not found: no such user here\n");
    assert_eq!(stub.requests()[0].target, "/api/user/ghost%2F..%2Fx");
}

#[test]
fn users_create_sends_the_password_from_stdin_in_either_encoding() {
    let stub = Stub::start([Reply::new(200, ""), Reply::new(204, "")]);
    let input = format!("{PASSWORD}\n");
    let json_body = run(
        against(
            &stub.base_url(),
            KEY,
            &["users", "create", "alice", "--password-stdin"],
        ),
        &input,
    );
    json_body.expect_code(0);
    assert!(
        json_body.stdout.starts_with("created user \"alice\""),
        "{json_body:?}"
    );
    let form = run(
        against(
            &stub.base_url(),
            KEY,
            &[
                "users",
                "create",
                "alice",
                "--password-stdin",
                "--encoding",
                "form",
                "--json",
            ],
        ),
        &format!("{PASSWORD}\r\n"),
    );
    form.expect_code(0);
    assert_eq!(form.stdout, "", "--json prints nothing for a change");
    let requests = stub.requests();
    assert_eq!(requests[0].method, "POST");
    assert_eq!(requests[0].target, "/api/user");
    assert_eq!(requests[0].header("content-type"), Some("application/json"));
    assert_eq!(
        requests[0].body_text(),
        format!(r#"{{"username":"alice","password":"{PASSWORD}"}}"#)
    );
    assert_eq!(
        requests[1].header("content-type"),
        Some("application/x-www-form-urlencoded")
    );
    assert_eq!(
        requests[1].body_text(),
        format!("username=alice&password={PASSWORD}")
    );
    for result in [&json_body, &form] {
        assert!(!result.all_output().contains(PASSWORD));
        assert!(!result.all_output().contains(KEY));
    }
    assert_signed(&stub);
}

#[test]
fn a_password_is_required_when_nobody_can_be_asked() {
    let stub = Stub::start([]);
    let result = run(
        against(&stub.base_url(), KEY, &["users", "set-password", "alice"]),
        "",
    );
    result.expect_code(2);
    assert!(result.stderr.contains("--password-stdin"), "{result:?}");
    assert!(stub.requests().is_empty());
}

#[test]
fn users_set_password_puts_the_new_password() {
    let stub = Stub::start([Reply::new(200, "{}")]);
    let result = run(
        against(
            &stub.base_url(),
            KEY,
            &["users", "set-password", "alice", "--password-stdin"],
        ),
        PASSWORD,
    );
    result.expect_code(0);
    assert_eq!(result.stdout, "set the password of user \"alice\"\n");
    let request = &stub.requests()[0];
    assert_eq!(request.method, "PUT");
    assert_eq!(request.target, "/api/user/alice");
    assert_eq!(request.header("content-type"), Some("application/json"));
    assert_eq!(
        request.body_text(),
        format!(r#"{{"password":"{PASSWORD}"}}"#)
    );
}

#[test]
fn users_set_password_puts_the_new_password_as_a_form() {
    let stub = Stub::start([Reply::new(200, "{}")]);
    let result = run(
        against(
            &stub.base_url(),
            KEY,
            &[
                "users",
                "set-password",
                "alice",
                "--password-stdin",
                "--encoding",
                "form",
            ],
        ),
        "p&w=1 +x\n",
    );
    result.expect_code(0);
    assert_eq!(result.stdout, "set the password of user \"alice\"\n");
    let request = &stub.requests()[0];
    assert_eq!(request.method, "PUT");
    assert_eq!(request.target, "/api/user/alice");
    assert_eq!(
        request.header("content-type"),
        Some("application/x-www-form-urlencoded")
    );
    assert_eq!(request.body_text(), "password=p%26w%3D1+%2Bx");
    assert_signed(&stub);
}

#[test]
fn users_delete_sends_delete_and_waits_until_gone() {
    let stub = Stub::start([
        Reply::new(204, ""),
        Reply::new(200, r#"{"username":"bob","acls":[]}"#),
        Reply::new(404, ""),
    ]);
    let result = run(
        against(
            &stub.base_url(),
            KEY,
            &["users", "delete", "bob", "--wait", "--wait-interval", "0.1"],
        ),
        "",
    );
    result.expect_code(0);
    assert_eq!(result.stdout, "deleted user \"bob\"\n");
    assert_eq!(
        result.stderr, "",
        "no progress when stderr is not a terminal"
    );
    let requests: Vec<(String, String)> = stub
        .requests()
        .into_iter()
        .map(|r| (r.method, r.target))
        .collect();
    assert_eq!(
        requests,
        [
            ("DELETE".to_owned(), "/api/user/bob".to_owned()),
            ("GET".to_owned(), "/api/user/bob".to_owned()),
            ("GET".to_owned(), "/api/user/bob".to_owned()),
        ]
    );
}

#[test]
fn create_wait_gives_up_at_the_wait_timeout() {
    let mut replies = vec![Reply::new(200, "")];
    replies.extend((0..50).map(|_| Reply::new(404, "")));
    let stub = Stub::start(replies);
    let result = run(
        against(
            &stub.base_url(),
            KEY,
            &[
                "users",
                "create",
                "slow",
                "--password-stdin",
                "--wait",
                "--wait-interval",
                "0.1",
                "--wait-timeout",
                "0.5",
            ],
        ),
        PASSWORD,
    );
    result.expect_code(1);
    assert!(
        result.stderr.starts_with("cloudmqtt: gave up after ")
            && result
                .stderr
                .ends_with("waiting for user \"slow\" to exist\n"),
        "{result:?}"
    );
    let probes = stub.requests().len() - 1;
    assert!((2..=10).contains(&probes), "{probes} probes in 0.5 s");
}

#[test]
fn acl_list_prints_the_documented_shape_and_a_table() {
    let body = r#"[
        {"type":"topic","pattern":"test/users/topic","read":true,"write":true,"username":"custom-user"},
        {"type":"pattern","pattern":"sensor/%u/data","read":true,"write":false,"username":null}
    ]"#;
    let stub = Stub::start([Reply::new(200, body), Reply::new(200, body)]);
    let json_run = run(
        against(&stub.base_url(), KEY, &["acl", "list", "--json"]),
        "",
    );
    json_run.expect_code(0);
    assert_eq!(
        json_run.json(),
        json!([
            {"type":"topic","pattern":"test/users/topic","read":true,"write":true,"username":"custom-user"},
            {"type":"pattern","pattern":"sensor/%u/data","read":true,"write":false,"username":null}
        ])
    );
    let table = run(against(&stub.base_url(), KEY, &["acl", "list"]), "");
    table.expect_code(0);
    assert_eq!(
        table.stdout,
        "\
TYPE     USER         PATTERN           READ  WRITE
topic    custom-user  test/users/topic  yes   yes
pattern  -            sensor/%u/data    yes   no
"
    );
    assert_eq!(stub.requests()[0].target, "/api/acl");
}

#[test]
fn acl_create_sends_the_rule_and_waits_for_it() {
    let rule =
        r#"[{"type":"topic","pattern":"readonly","read":true,"write":false,"username":"test"}]"#;
    let stub = Stub::start([
        Reply::new(200, ""),
        Reply::new(200, "[]"),
        Reply::new(200, rule),
        Reply::new(201, ""),
    ]);
    let topic = run(
        against(
            &stub.base_url(),
            KEY,
            &[
                "acl",
                "create",
                "--type",
                "topic",
                "--user",
                "test",
                "--pattern",
                "readonly",
                "--read",
                "--wait",
                "--wait-interval",
                "0.1",
            ],
        ),
        "",
    );
    topic.expect_code(0);
    assert_eq!(
        topic.stdout,
        "created topic rule \"readonly\" for user \"test\"\n"
    );
    let pattern = run(
        against(
            &stub.base_url(),
            KEY,
            &[
                "acl",
                "create",
                "--type",
                "pattern",
                "--pattern",
                "sensor/%u",
                "--write",
                "--encoding",
                "form",
            ],
        ),
        "",
    );
    pattern.expect_code(0);
    let requests = stub.requests();
    assert_eq!(requests.len(), 4);
    assert_eq!(
        (requests[0].method.as_str(), requests[0].target.as_str()),
        ("POST", "/api/acl")
    );
    assert_eq!(
        requests[0].body_text(),
        r#"{"type":"topic","username":"test","pattern":"readonly","read":true,"write":false}"#
    );
    assert_eq!(requests[1].target, "/api/acl");
    assert_eq!(requests[2].target, "/api/acl");
    assert_eq!(
        requests[3].body_text(),
        "type=pattern&pattern=sensor%2F%25u&read=false&write=true"
    );
}

#[test]
fn invalid_rules_exit_2_before_anything_is_sent() {
    let stub = Stub::start([]);
    let cases: [&[&str]; 3] = [
        &["acl", "create", "--type", "topic", "--pattern", "a"],
        &[
            "acl",
            "create",
            "--type",
            "pattern",
            "--user",
            "u",
            "--pattern",
            "a",
        ],
        &[
            "acl",
            "create",
            "--type",
            "topic",
            "--user",
            "u",
            "--pattern",
            "a/#/b",
        ],
    ];
    for args in cases {
        let result = run(against(&stub.base_url(), KEY, args), "");
        result.expect_code(2);
        assert!(
            result.stderr.starts_with("cloudmqtt: invalid "),
            "{result:?}"
        );
    }
    assert!(stub.requests().is_empty());
}

#[test]
fn acl_delete_sends_user_and_topic_in_the_body() {
    let stub = Stub::start([Reply::new(204, "")]);
    let result = run(
        against(
            &stub.base_url(),
            KEY,
            &[
                "acl", "delete", "--user", "test", "--topic", "readonly", "--json",
            ],
        ),
        "",
    );
    result.expect_code(0);
    assert_eq!(result.stdout, "");
    let request = &stub.requests()[0];
    assert_eq!(
        (request.method.as_str(), request.target.as_str()),
        ("DELETE", "/api/acl")
    );
    assert_eq!(request.header("content-type"), Some("application/json"));
    assert_eq!(
        request.body_text(),
        r#"{"username":"test","topic":"readonly"}"#
    );
}

#[test]
fn acl_delete_of_pattern_rules_sends_no_username() {
    let stub = Stub::start([Reply::new(204, "")]);
    let result = run(
        against(
            &stub.base_url(),
            KEY,
            &[
                "acl",
                "delete",
                "--type",
                "pattern",
                "--pattern",
                "home/%u/#",
            ],
        ),
        "",
    );
    result.expect_code(0);
    assert!(
        result
            .stdout
            .starts_with("deleted the pattern rules for \"home/%u/#\""),
        "{result:?}"
    );
    let request = &stub.requests()[0];
    assert_eq!(
        (request.method.as_str(), request.target.as_str()),
        ("DELETE", "/api/acl")
    );
    assert_eq!(request.body_text(), r#"{"topic":"home/%u/#"}"#);

    // A pattern rule has no user; a topic rule needs one.
    for args in [
        &[
            "acl",
            "delete",
            "--type",
            "pattern",
            "--user",
            "u",
            "--pattern",
            "p",
        ][..],
        &["acl", "delete", "--topic", "p"][..],
    ] {
        let refused = run(against(&stub.base_url(), KEY, args), "");
        refused.expect_code(2);
        assert!(
            refused.stderr.starts_with("cloudmqtt: invalid username: "),
            "{refused:?}"
        );
    }
    assert_eq!(stub.requests().len(), 1);
}

#[test]
fn acl_delete_sends_user_and_topic_as_a_form() {
    let stub = Stub::start([Reply::new(204, "")]);
    let result = run(
        against(
            &stub.base_url(),
            KEY,
            &[
                "acl",
                "delete",
                "--user",
                "test",
                "--topic",
                "sensor/+/a b",
                "--encoding",
                "form",
                "--json",
            ],
        ),
        "",
    );
    result.expect_code(0);
    assert_eq!(result.stdout, "");
    let request = &stub.requests()[0];
    assert_eq!(
        (request.method.as_str(), request.target.as_str()),
        ("DELETE", "/api/acl")
    );
    assert_eq!(
        request.header("content-type"),
        Some("application/x-www-form-urlencoded")
    );
    assert_eq!(
        request.body_text(),
        "username=test&topic=sensor%2F%2B%2Fa+b"
    );
    assert_signed(&stub);
}

#[test]
fn instance_restart_and_reset_with_yes() {
    let stub = Stub::start([Reply::new(200, ""), Reply::new(200, "")]);
    let restart = run(against(&stub.base_url(), KEY, &["instance", "restart"]), "");
    restart.expect_code(0);
    assert_eq!(restart.stdout, "restart requested\n");
    let reset = run(
        against(&stub.base_url(), KEY, &["instance", "reset", "--yes"]),
        "",
    );
    reset.expect_code(0);
    let targets: Vec<(String, String)> = stub
        .requests()
        .into_iter()
        .map(|r| (r.method, r.target))
        .collect();
    assert_eq!(
        targets,
        [
            ("POST".to_owned(), "/api/instance/restart".to_owned()),
            ("POST".to_owned(), "/api/instance/reset".to_owned()),
        ]
    );
    assert_signed(&stub);
}

#[test]
fn reset_refuses_without_yes_off_a_terminal() {
    let stub = Stub::start([]);
    let result = run(
        against(&stub.base_url(), KEY, &["instance", "reset"]),
        "y\n",
    );
    result.expect_code(2);
    assert_eq!(
        result.stderr,
        "cloudmqtt: refusing to reset without --yes when not on a terminal\n"
    );
    assert!(stub.requests().is_empty());
}

#[test]
fn a_get_is_retried_after_503_and_succeeds() {
    let stub = Stub::start([
        Reply::new(503, "busy"),
        Reply::new(503, "busy"),
        Reply::new(200, r#"[{"username":"x"}]"#),
    ]);
    let result = run(
        against(&stub.base_url(), KEY, &["users", "list", "--json"]),
        "",
    );
    result.expect_code(0);
    assert_eq!(result.json(), json!([{"username":"x"}]));
    assert_eq!(stub.requests().len(), 3);
}

#[test]
fn retries_stop_at_the_retries_option() {
    let stub = Stub::start((0..5).map(|_| Reply::new(503, "still busy")));
    let result = run(
        against(&stub.base_url(), KEY, &["users", "list", "--retries", "1"]),
        "",
    );
    result.expect_code(1);
    assert_eq!(result.stderr, "cloudmqtt: server error 503: still busy\n");
    assert_eq!(stub.requests().len(), 2);
    let none = Stub::start((0..5).map(|_| Reply::new(503, "")));
    run(
        against(&none.base_url(), KEY, &["acl", "list", "--retries", "0"]),
        "",
    )
    .expect_code(1);
    assert_eq!(none.requests().len(), 1);
}

#[test]
fn a_post_is_not_retried_after_500() {
    let stub = Stub::start([
        Reply::new(500, r#"{"message":"it broke"}"#),
        Reply::new(200, ""),
    ]);
    let result = run(against(&stub.base_url(), KEY, &["instance", "restart"]), "");
    result.expect_code(1);
    assert_eq!(result.stderr, "cloudmqtt: server error 500: it broke\n");
    assert_eq!(stub.requests().len(), 1);
    assert_eq!(stub.unused_replies(), 1);
}

#[test]
fn a_post_is_retried_after_429_honouring_retry_after() {
    let stub = Stub::start([
        Reply::new(429, "slow down").header("Retry-After", "1"),
        Reply::new(200, ""),
    ]);
    let result = run(
        against(
            &stub.base_url(),
            KEY,
            &["users", "create", "u1", "--password-stdin", "--json"],
        ),
        PASSWORD,
    );
    result.expect_code(0);
    let requests = stub.requests();
    assert_eq!(requests.len(), 2);
    let gap = requests[1].at - requests[0].at;
    assert!(gap >= Duration::from_millis(950), "retried after {gap:?}");
    assert_eq!(requests[0].body, requests[1].body);
}

#[test]
fn rate_limited_to_the_end_exits_1_naming_the_limit() {
    let stub = Stub::start((0..3).map(|_| Reply::new(429, "").header("Retry-After", "0")));
    let result = run(against(&stub.base_url(), KEY, &["acl", "list"]), "");
    result.expect_code(1);
    assert_eq!(result.stderr, "cloudmqtt: rate limited (retry after 0s)\n");
    assert_eq!(stub.requests().len(), 3);
}

#[test]
fn auth_failures_exit_4() {
    for status in [401, 403] {
        let stub = Stub::start([Reply::new(status, "Access denied")]);
        let result = run(against(&stub.base_url(), KEY, &["acl", "list"]), "");
        result.expect_code(4);
        assert!(result.stderr.ends_with(": Access denied\n"), "{result:?}");
    }
}

#[test]
fn other_api_errors_exit_1_with_one_line() {
    let html = "<html><body><h1>Bad\nRequest</h1>\n<p>pattern is odd</p></body></html>";
    let stub = Stub::start([
        Reply::new(400, html).header("Content-Type", "text/html"),
        Reply::new(405, ""),
        Reply::new(302, "").header("Location", "http://127.0.0.1:9/elsewhere"),
        Reply::new(200, "not json"),
    ]);
    let bad = run(against(&stub.base_url(), KEY, &["instance", "restart"]), "");
    bad.expect_code(1);
    assert_eq!(bad.stderr.lines().count(), 1, "{bad:?}");
    assert!(
        // The page's "Bad Request" heading is not said twice.
        bad.stderr
            .starts_with("cloudmqtt: bad request: pattern is odd"),
        "{bad:?}"
    );
    assert!(bad.stderr.contains("pattern is odd"), "{bad:?}");
    let method = run(
        against(&stub.base_url(), KEY, &["instance", "reset", "--yes"]),
        "",
    );
    method.expect_code(1);
    assert_eq!(method.stderr, "cloudmqtt: method not allowed\n");
    let redirect = run(against(&stub.base_url(), KEY, &["instance", "restart"]), "");
    redirect.expect_code(1);
    assert_eq!(redirect.stderr, "cloudmqtt: unexpected status 302\n");
    let decode = run(against(&stub.base_url(), KEY, &["acl", "list"]), "");
    decode.expect_code(1);
    assert!(
        decode
            .stderr
            .starts_with("cloudmqtt: could not decode the response"),
        "{decode:?}"
    );
    assert_eq!(stub.requests().len(), 4, "the redirect was not followed");
}

#[test]
fn a_slow_server_times_out_per_attempt() {
    let stub = Stub::start([Reply::new(200, "[]").delayed(Duration::from_secs(20))]);
    let result = run(
        against(
            &stub.base_url(),
            KEY,
            &["acl", "list", "--timeout", "0.3", "--retries", "0"],
        ),
        "",
    );
    result.expect_code(1);
    assert_eq!(result.stderr, "cloudmqtt: request timed out\n");
    assert!(
        result.elapsed < Duration::from_secs(10),
        "{:?}",
        result.elapsed
    );
}

#[test]
fn a_closed_port_is_a_network_error() {
    let port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    let url = format!("http://127.0.0.1:{port}/api");
    let result = run(against(&url, KEY, &["users", "list", "--retries", "0"]), "");
    result.expect_code(1);
    assert!(
        result.stderr.starts_with("cloudmqtt: network error: "),
        "{result:?}"
    );
}

#[test]
fn usage_errors_exit_2() {
    // The command line and the `--help` the line must point at.
    let cases: [(&[&str], &str); 14] = [
        // Missing subcommand, with and without other arguments.
        (&[], "cloudmqtt --help"),
        (&["users"], "cloudmqtt users --help"),
        (&["--json", "acl"], "cloudmqtt acl --help"),
        // Unknown subcommand.
        (&["frobnicate"], "cloudmqtt --help"),
        (&["users", "lisst"], "cloudmqtt users --help"),
        // Bad values.
        (
            &["users", "list", "--limit", "many"],
            "cloudmqtt users list --help",
        ),
        (
            &["acl", "create", "--type", "wildcard", "--pattern", "x"],
            "cloudmqtt acl create --help",
        ),
        (
            &["--timeout", "0", "users", "list"],
            "cloudmqtt users list --help",
        ),
        // Unknown flags.
        (&["users", "list", "--bogus"], "cloudmqtt users list --help"),
        (
            &["users", "create", "alice", "--password", PASSWORD],
            "cloudmqtt users create --help",
        ),
        // Missing arguments.
        (&["users", "get"], "cloudmqtt users get --help"),
        (
            &["acl", "delete", "--user", "u"],
            "cloudmqtt acl delete --help",
        ),
        // Conflicting or incomplete options.
        (
            &["users", "list", "--all", "--page", "2"],
            "cloudmqtt users list --help",
        ),
        (
            &["users", "delete", "x", "--wait-timeout", "5"],
            "cloudmqtt users delete --help",
        ),
    ];
    for (args, help) in cases {
        let result = run(against("http://127.0.0.1:9/api", KEY, args), "");
        result.expect_code(2);
        assert_eq!(result.stdout, "", "{args:?}");
        let mut stderr = result
            .stderr
            .strip_suffix('\n')
            .unwrap_or_else(|| panic!("{args:?}: {result:?}"));
        // With --json the line is followed by the same failure as JSON.
        if args.contains(&"--json") {
            let (first, json) = stderr.split_once('\n').unwrap();
            let json: serde_json::Value = serde_json::from_str(json).unwrap();
            assert_eq!(json["error"]["code"], "INVALID_INPUT", "{json}");
            assert_eq!(json["error"]["status"], serde_json::Value::Null);
            stderr = first;
        }
        let line = stderr;
        assert!(!line.contains('\n'), "{args:?}: not one line: {line:?}");
        assert!(line.starts_with("cloudmqtt: "), "{args:?}: {line:?}");
        assert!(!line.contains("error:"), "{args:?}: {line:?}");
        assert!(
            line.ends_with(&format!(" (try '{help}')")),
            "{args:?}: {line:?}"
        );
        assert!(!line.contains(PASSWORD), "{args:?}: {line:?}");
    }
    let bad_value = run(
        against(
            "http://127.0.0.1:9/api",
            KEY,
            &["users", "list", "--limit", "many"],
        ),
        "",
    );
    assert_eq!(
        bad_value.stderr,
        "cloudmqtt: invalid value 'many' for '--limit <N>': invalid digit found in string \
         (try 'cloudmqtt users list --help')\n"
    );
    let no_subcommand = run(against("http://127.0.0.1:9/api", KEY, &["users"]), "");
    assert_eq!(
        no_subcommand.stderr,
        "cloudmqtt: 'users' needs a subcommand: list, get, create, set-password, delete \
         (try 'cloudmqtt users --help')\n"
    );
    let missing = run(
        against("http://127.0.0.1:9/api", KEY, &["users", "get"]),
        "",
    );
    assert_eq!(
        missing.stderr,
        "cloudmqtt: the following required arguments were not provided: <NAME> \
         (try 'cloudmqtt users get --help')\n"
    );
}

#[test]
fn there_is_no_password_option() {
    for command in ["create", "set-password"] {
        let result = run(
            against(
                "http://127.0.0.1:9/api",
                KEY,
                &["users", command, "alice", "--password", PASSWORD],
            ),
            "",
        );
        result.expect_code(2);
        assert!(
            result
                .stderr
                .starts_with("cloudmqtt: unexpected argument '--password' found"),
            "{result:?}"
        );
        assert!(!result.all_output().contains(PASSWORD), "{result:?}");
    }
}

#[test]
fn invalid_values_are_rejected_by_the_core_with_exit_2() {
    let stub = Stub::start([]);
    let cases: [&[&str]; 4] = [
        &["users", "get", ""],
        &["users", "list", "--limit", "1001"],
        &["users", "list", "--page", "0"],
        &["acl", "delete", "--user", "u", "--topic", ""],
    ];
    for args in cases {
        let result = run(against(&stub.base_url(), KEY, args), "");
        result.expect_code(2);
        assert!(
            result.stderr.starts_with("cloudmqtt: invalid "),
            "{result:?}"
        );
    }
    let empty_password = run(
        against(
            &stub.base_url(),
            KEY,
            &["users", "create", "x", "--password-stdin"],
        ),
        "\n",
    );
    empty_password.expect_code(2);
    assert!(
        empty_password.stderr.contains("password"),
        "{empty_password:?}"
    );
    assert!(stub.requests().is_empty());
}

#[test]
fn the_key_comes_from_the_environment_or_a_file_only() {
    let stub = Stub::start([Reply::new(200, "[]"), Reply::new(200, "[]")]);
    let missing = run(
        {
            let mut command = cloudmqtt();
            command.args(["--base-url", &stub.base_url(), "acl", "list"]);
            command
        },
        "",
    );
    missing.expect_code(2);
    assert!(missing.stderr.contains("CLOUDMQTT_API_KEY"), "{missing:?}");

    let dir = std::env::temp_dir().join(format!("cloudmqtt-cli-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("key");
    std::fs::write(&file, format!("{KEY}\n")).unwrap();
    let mut from_file = cloudmqtt();
    from_file
        .env("CLOUDMQTT_BASE_URL", stub.base_url())
        .env("CLOUDMQTT_API_KEY", "the-file-wins")
        .arg("--api-key-file")
        .arg(&file)
        .args(["acl", "list"]);
    run(from_file, "").expect_code(0);
    assert_signed(&stub);

    let mut from_env = cloudmqtt();
    from_env
        .env("CLOUDMQTT_BASE_URL", stub.base_url())
        .env("CLOUDMQTT_API_KEY", KEY)
        .args(["acl", "list"]);
    run(from_env, "").expect_code(0);
    assert_eq!(stub.requests().len(), 2);
    assert_signed(&stub);

    let mut unreadable = cloudmqtt();
    unreadable
        .arg("--api-key-file")
        .arg(dir.join("absent"))
        .args(["acl", "list"]);
    let result = run(unreadable, "");
    result.expect_code(2);
    assert!(
        result.stderr.contains("cannot read the API key file"),
        "{result:?}"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn plain_http_to_a_remote_host_is_refused() {
    let result = run(
        against("http://example.test/api", KEY, &["acl", "list"]),
        "",
    );
    result.expect_code(2);
    assert!(
        result.stderr.starts_with("cloudmqtt: invalid --base-url: "),
        "{result:?}"
    );
}

#[test]
fn secrets_never_reach_any_output() {
    // A server that echoes the key and the password back in its errors.
    let echo = format!(r#"{{"error":"bad key {KEY} or password {PASSWORD}"}}"#);
    let echo_key = format!(r#"{{"error":"bad key {KEY}"}}"#);
    let stub = Stub::start([
        Reply::new(401, &echo_key),
        Reply::new(400, &echo),
        Reply::new(500, &echo),
    ]);
    let runs = [
        run(against(&stub.base_url(), KEY, &["acl", "list"]), ""),
        run(
            against(
                &stub.base_url(),
                KEY,
                &["users", "create", "u", "--password-stdin"],
            ),
            PASSWORD,
        ),
        run(
            against(
                &stub.base_url(),
                KEY,
                &[
                    "users",
                    "set-password",
                    "u",
                    "--password-stdin",
                    "--retries",
                    "0",
                ],
            ),
            PASSWORD,
        ),
        run(against(&stub.base_url(), KEY, &["--help"]), ""),
        run(
            against(&stub.base_url(), KEY, &["users", "create", "--help"]),
            "",
        ),
        run(against(&stub.base_url(), KEY, &["--bogus"]), ""),
    ];
    let encoded = basic_auth(KEY);
    let encoded = encoded.trim_start_matches("Basic ");
    for result in &runs {
        let all = result.all_output();
        assert!(!all.contains(KEY), "{result:?}");
        assert!(!all.contains(PASSWORD), "{result:?}");
        assert!(!all.contains(encoded), "{result:?}");
    }
    assert_eq!(runs[0].code, 4);
    assert!(runs[0].stderr.contains("[redacted]"), "{:?}", runs[0]);
    assert_eq!(runs[1].code, 1);
    assert!(runs[1].stderr.contains("[redacted]"), "{:?}", runs[1]);
    assert_eq!(runs[2].code, 1);
    assert!(runs[2].stderr.contains("[redacted]"), "{:?}", runs[2]);
    assert_eq!(stub.requests().len(), 3);
}

#[test]
fn completions_are_generated_without_a_key() {
    for shell in ["bash", "zsh", "fish", "elvish", "powershell"] {
        let result = run(
            {
                let mut command = cloudmqtt();
                command.args(["completions", shell]);
                command
            },
            "",
        );
        result.expect_code(0);
        assert!(result.stdout.contains("cloudmqtt"), "{shell}");
        assert!(result.stdout.contains("set-password"), "{shell}");
    }
    let mut unknown = cloudmqtt();
    unknown.args(["completions", "tcsh"]);
    run(unknown, "").expect_code(2);
}

#[test]
fn version_and_help_exit_0() {
    for flag in ["--version", "--help", "-h"] {
        let mut command = cloudmqtt();
        command.arg(flag);
        let result = run(command, "");
        result.expect_code(0);
        assert!(result.stdout.contains("cloudmqtt"), "{result:?}");
    }
}
