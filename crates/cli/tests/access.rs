//! `cloudmqtt acl check` and `cloudmqtt acl lint`, run as a user would:
//! against the emulator (`--no-broker`, through its library) and against
//! files, with no API key at all.

mod common;

use std::path::PathBuf;

use clap::Parser as _;
use cloudmqtt_emulator::Options;
use common::{against, cloudmqtt, run};
use serde_json::json;

const KEY: &str = "access-key-5c1e";

/// The emulator with a user `sensor-1`, its topic rule on `sensors/1/#`,
/// a pattern deny rule on `secret/#` and a world-writable pattern rule.
struct Server {
    inner: Option<cloudmqtt_emulator::Emulator>,
    api: String,
}

impl Server {
    fn start() -> Self {
        let options = Options::try_parse_from([
            "cloudmqtt-emulator",
            "--no-broker",
            "--api-key",
            KEY,
            "--apply-delay-ms",
            "0",
        ])
        .unwrap();
        let inner = cloudmqtt_emulator::Emulator::start(options).unwrap();
        let api = inner
            .ready_line()
            .split_whitespace()
            .find_map(|field| field.strip_prefix("api="))
            .unwrap()
            .to_owned();
        let server = Self {
            inner: Some(inner),
            api,
        };
        let setup: &[&[&str]] = &[
            &[
                "acl",
                "create",
                "--type",
                "pattern",
                "--pattern",
                "secret/#",
            ],
            &[
                "acl",
                "create",
                "--type",
                "pattern",
                "--pattern",
                "#",
                "--write",
            ],
        ];
        let created = run(
            against(
                &server.api,
                KEY,
                &["users", "create", "sensor-1", "--password-stdin"],
            ),
            "pw\n",
        );
        created.expect_code(0);
        run(
            against(
                &server.api,
                KEY,
                &[
                    "acl",
                    "create",
                    "--type",
                    "topic",
                    "--user",
                    "sensor-1",
                    "--pattern",
                    "sensors/1/#",
                    "--read",
                    "--write",
                ],
            ),
            "",
        )
        .expect_code(0);
        for args in setup {
            run(against(&server.api, KEY, args), "").expect_code(0);
        }
        server
    }

    fn run(&self, args: &[&str]) -> common::Run {
        run(against(&self.api, KEY, args), "")
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Some(inner) = self.inner.take() {
            inner.shutdown();
        }
    }
}

#[test]
fn check_against_the_server() {
    let server = Server::start();
    let allowed = server.run(&[
        "acl",
        "check",
        "--user",
        "sensor-1",
        "--topic",
        "sensors/1/temp",
        "--read",
    ]);
    allowed.expect_code(0);
    assert_eq!(
        allowed.stdout,
        "allow: topic rule for sensor-1 on sensors/1/# (read+write)\n"
    );
    // The user's topic rule does not cover it; the pattern deny does.
    let denied = server.run(&[
        "acl", "check", "--user", "sensor-1", "--topic", "secret/x", "--read",
    ]);
    denied.expect_code(5);
    assert_eq!(denied.stdout, "deny: pattern rule on secret/# (deny)\n");
    assert_eq!(denied.stderr, "");
    let nothing = server.run(&[
        "acl",
        "check",
        "--user",
        "other",
        "--client-id",
        "c1",
        "--topic",
        "a",
        "--read",
        "--json",
    ]);
    nothing.expect_code(5);
    assert_eq!(nothing.json(), json!({"allowed": false, "rule": null}));
    let json = server.run(&[
        "acl", "check", "--user", "other", "--topic", "a/b", "--write", "--json",
    ]);
    json.expect_code(0);
    assert_eq!(
        json.json(),
        json!({"allowed": true, "rule": {"type": "pattern", "pattern": "#", "read": false, "write": true, "username": null}})
    );
    // $SYS writes are refused whatever the rules say.
    let sys = server.run(&[
        "acl", "check", "--user", "other", "--topic", "$SYS/x", "--write",
    ]);
    sys.expect_code(5);
    assert_eq!(sys.stdout, "deny: the broker refuses writes under $SYS\n");
}

#[test]
fn check_refuses_bad_queries() {
    let server = Server::start();
    let bad = server.run(&["acl", "check", "--user", "u", "--topic", "a/+", "--read"]);
    bad.expect_code(2);
    assert!(bad.stderr.contains("invalid topic"), "{}", bad.stderr);
    let both = server.run(&[
        "acl", "check", "--user", "u", "--topic", "a", "--read", "--write",
    ]);
    both.expect_code(2);
    let neither = server.run(&["acl", "check", "--user", "u", "--topic", "a"]);
    neither.expect_code(2);
}

#[test]
fn lint_against_the_server() {
    let server = Server::start();
    let text = server.run(&["acl", "lint"]);
    text.expect_code(5);
    assert!(
        text.stdout.contains(
            "error world-writable: pattern rule on # (write): every user may publish on every topic"
        ),
        "{}",
        text.stdout
    );
    let json = server.run(&["acl", "lint", "--json"]);
    json.expect_code(5);
    let findings = json.json();
    let codes: Vec<&str> = findings
        .as_array()
        .unwrap()
        .iter()
        .map(|finding| finding["code"].as_str().unwrap())
        .collect();
    assert_eq!(codes, ["pattern-without-placeholder", "world-writable"]);
    assert_eq!(findings[1]["severity"], "error");
    assert_eq!(findings[1]["rules"][0]["pattern"], "#");
}

fn write(dir: &tempfile::TempDir, name: &str, text: &str) -> PathBuf {
    let path = dir.path().join(name);
    std::fs::write(&path, text).unwrap();
    path
}

#[test]
fn files_need_no_server_and_no_key() {
    let dir = tempfile::tempdir().unwrap();
    let rules = write(
        &dir,
        "rules.json",
        r#"[{"type":"topic","pattern":"sensors/1/#","read":true,"write":true,"username":"sensor-1"},
            {"type":"pattern","pattern":"home/%u/#","read":true,"write":false,"username":null}]"#,
    );
    let file = rules.to_str().unwrap();
    let check = |args: &[&str]| {
        let mut command = cloudmqtt();
        command.args(["acl", "check"]).args(args).args(["-f", file]);
        run(command, "")
    };
    check(&["--user", "sensor-1", "--topic", "sensors/1/t", "--write"]).expect_code(0);
    let home = check(&["--user", "bob", "--topic", "home/bob/x", "--read"]);
    home.expect_code(0);
    assert_eq!(home.stdout, "allow: pattern rule on home/%u/# (read)\n");
    check(&["--user", "bob", "--topic", "home/bob/x", "--write"]).expect_code(5);
    let mut command = cloudmqtt();
    command.args(["acl", "lint", "-f", file]);
    let lint = run(command, "");
    lint.expect_code(0);
    assert_eq!(lint.stdout, "no findings in 2 rules\n");

    let access = write(
        &dir,
        "access.toml",
        "[users.sensor-1]\npassword_env = \"P\"\n\n\
         [[rules]]\ntype = \"topic\"\nusername = \"ghost\"\npattern = \"g/#\"\nread = true\nwrite = false\n\n\
         [[rules]]\ntype = \"topic\"\nusername = \"sensor-1\"\npattern = \"a/#\"\nread = true\nwrite = true\n\n\
         [[rules]]\ntype = \"topic\"\nusername = \"sensor-1\"\npattern = \"a/b\"\nread = true\nwrite = false\n",
    );
    let mut command = cloudmqtt();
    command.args(["acl", "lint", "--json", "-f", access.to_str().unwrap()]);
    let lint = run(command, "");
    lint.expect_code(5);
    let codes: Vec<String> = lint
        .json()
        .as_array()
        .unwrap()
        .iter()
        .map(|finding| finding["code"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(codes, ["unknown-user", "shadowed"]);

    let bad = write(
        &dir,
        "bad.json",
        r#"[{"type":"pattern","pattern":"a#","read":true}]"#,
    );
    let mut command = cloudmqtt();
    command.args(["acl", "lint", "-f", bad.to_str().unwrap()]);
    let failed = run(command, "");
    failed.expect_code(2);
    assert!(
        // Located in the file, as every file's problems are.
        failed
            .stderr
            .contains("bad.json:1:30: rule 1: pattern '#' must fill a whole topic level"),
        "{}",
        failed.stderr
    );
}

#[test]
fn mosquitto_acl_files_are_read_as_the_broker_reads_them() {
    let dir = tempfile::tempdir().unwrap();
    let acl = write(
        &dir,
        "mosquitto.acl",
        "# rules of clients without a user name\ntopic read public/#\n\n\
         user sensor-1\ntopic write sensors/1/#\ntopic deny sensors/1/secret\n\n\
         user dashboard\ntopic read sensors/#\n\npattern readwrite home/%u/#\n",
    );
    let file = acl.to_str().unwrap();
    let check = |args: &[&str]| {
        let mut command = cloudmqtt();
        command.args(["acl", "check"]).args(args).args(["-f", file]);
        run(command, "")
    };
    let allowed = check(&["--user", "sensor-1", "--topic", "sensors/1/t", "--write"]);
    allowed.expect_code(0);
    assert_eq!(
        allowed.stdout,
        "allow: topic rule for sensor-1 on sensors/1/# (write)\n"
    );
    // A deny rule is tried first, whatever its place.
    let denied = check(&[
        "--user",
        "sensor-1",
        "--topic",
        "sensors/1/secret",
        "--write",
    ]);
    denied.expect_code(5);
    assert_eq!(
        denied.stdout,
        "deny: topic rule for sensor-1 on sensors/1/secret (deny)\n"
    );
    check(&[
        "--user",
        "dashboard",
        "--topic",
        "home/dashboard/x",
        "--write",
    ])
    .expect_code(0);
    // The anonymous clients' rule is no named user's.
    check(&["--user", "dashboard", "--topic", "public/x", "--read"]).expect_code(5);
    let mut command = cloudmqtt();
    command.args(["acl", "lint", "-f", file]);
    let lint = run(command, "");
    lint.expect_code(0);
    assert_eq!(lint.stdout, "no findings in 5 rules\n");

    let bad = write(
        &dir,
        "bad.acl",
        "user a\ntopic readonly x/#\ntopic read a/#/b\nsubscribe y\n",
    );
    let mut command = cloudmqtt();
    command.args(["acl", "lint", "--json", "-f", bad.to_str().unwrap()]);
    let failed = run(command, "");
    failed.expect_code(2);
    let shown = bad.to_str().unwrap();
    for line in [
        format!(
            "{shown}:2:7: unknown access \"readonly\": expected read, write, readwrite or deny"
        ),
        format!("{shown}:3:12: invalid topic filter: "),
        format!("{shown}:4:1: unknown line: expected user, topic or pattern, not \"subscribe\""),
        format!("cloudmqtt: {shown}: 3 problems found; nothing was sent"),
    ] {
        assert!(failed.stderr.contains(&line), "{line}\n{}", failed.stderr);
    }
    let json: serde_json::Value =
        serde_json::from_str(failed.stderr.lines().last().unwrap()).unwrap();
    assert_eq!(json["error"]["code"], "INVALID_INPUT");
    assert_eq!(json["error"]["problems"].as_array().unwrap().len(), 3);
}

#[test]
fn rule_tests_against_the_server_and_files() {
    let server = Server::start();
    let dir = tempfile::tempdir().unwrap();
    let cases = write(
        &dir,
        "access.test.toml",
        "[[case]]\nuser = \"sensor-1\"\ntopic = \"sensors/1/temp\"\nread = true\nexpect = \"allow\"\ndecided_by = \"sensors/1/#\"\n\n\
         [[case]]\nuser = \"bob\"\ntopic = \"secret/keys\"\nwrite = true\nexpect = \"deny\"\n\n\
         [[case]]\nuser = \"bob\"\ntopic = \"any/thing\"\nread = true\nexpect = \"allow\"\n",
    );
    let junit = dir.path().join("junit.xml");
    let cases_path = cases.to_str().unwrap();
    let tested = server.run(&[
        "acl",
        "test",
        cases_path,
        "--coverage",
        "--junit",
        junit.to_str().unwrap(),
    ]);
    tested.expect_code(5);
    let failed_case = format!("{cases_path}:14:1: expected allow, got deny: no rule matches");
    let lines: Vec<&str> = tested.stdout.lines().collect();
    assert_eq!(
        lines,
        [
            failed_case.as_str(),
            "coverage: 2 of 3 rules decided a case (66.66 %)",
            "  decided no case: pattern rule on # (write)",
            "2 passed, 1 failed",
        ]
    );
    let xml = std::fs::read_to_string(&junit).unwrap();
    assert!(xml.contains("<testsuite name=") && xml.contains("tests=\"3\" failures=\"1\""));
    assert_eq!(
        xml.matches("<failure message=\"expected allow, got deny: no rule matches\"/>")
            .count(),
        1
    );

    let json = server.run(&["acl", "test", cases_path, "--json"]);
    json.expect_code(5);
    let report = json.json();
    assert_eq!(
        (report["passed"].as_u64(), report["failed"].as_u64()),
        (Some(2), Some(1))
    );
    assert_eq!(report["coverage"]["rules"], 3);
    assert_eq!(report["coverage"]["rules_deciding"], 2);
    assert_eq!(report["cases"][0]["rule"]["pattern"], "sensors/1/#");

    // Against a file: all pass, and the coverage is exact.
    let rules = write(
        &dir,
        "rules.acl",
        "user sensor-1\ntopic readwrite sensors/1/#\npattern deny secret/#\npattern read #\n",
    );
    let passing = write(
        &dir,
        "passing.json",
        r#"{"case": [
            {"user": "sensor-1", "topic": "sensors/1/temp", "read": true, "expect": "allow"},
            {"user": "bob", "topic": "secret/keys", "read": true, "expect": "deny", "decided_by": "secret/#"},
            {"user": "bob", "topic": "any/thing", "read": true, "expect": "allow"}
        ]}"#,
    );
    let mut command = cloudmqtt();
    command.args([
        "acl",
        "test",
        passing.to_str().unwrap(),
        "-f",
        rules.to_str().unwrap(),
        "--min-coverage",
        "100",
    ]);
    let all = run(command, "");
    all.expect_code(0);
    assert_eq!(all.stdout, "3 passed, 0 failed\n");
    let mut command = cloudmqtt();
    command.args([
        "acl",
        "test",
        passing.to_str().unwrap(),
        "-f",
        rules.to_str().unwrap(),
        "--min-coverage",
        "100.5",
    ]);
    run(command, "").expect_code(2);
}

#[test]
fn export_as_a_mosquitto_acl_file_answers_as_the_server() {
    let server = Server::start();
    let exported = server.run(&["export", "--format", "mosquitto-acl"]);
    exported.expect_code(0);
    assert!(
        exported
            .stdout
            .contains("\nuser sensor-1\ntopic readwrite sensors/1/#\n"),
        "{}",
        exported.stdout
    );
    assert!(
        exported.stdout.contains("pattern deny secret/#\n"),
        "{}",
        exported.stdout
    );
    let dir = tempfile::tempdir().unwrap();
    let file = write(&dir, "exported.acl", &exported.stdout);
    for (user, topic, access) in [
        ("sensor-1", "sensors/1/temp", "--read"),
        ("sensor-1", "sensors/1/temp", "--write"),
        ("bob", "secret/keys", "--write"),
        ("bob", "any/thing", "--write"),
        ("bob", "any/thing", "--read"),
        ("sensor-1", "secret/x", "--read"),
    ] {
        let args = ["acl", "check", "--user", user, "--topic", topic, access];
        let from_server = server.run(&args);
        let mut command = cloudmqtt();
        command.args(args).args(["-f", file.to_str().unwrap()]);
        let from_file = run(command, "");
        assert_eq!(
            (from_server.code, from_server.stdout.as_str()),
            (from_file.code, from_file.stdout.as_str()),
            "{user} {topic} {access}"
        );
    }
}

#[test]
fn why_names_the_deciding_rule_and_why_the_nearest_others_missed() {
    let dir = tempfile::tempdir().unwrap();
    let acl = write(
        &dir,
        "why.acl",
        "user sensor-1\ntopic readwrite sensors/+\ntopic read sensors/1/temp\ntopic deny sensors/1/secret\npattern readwrite home/%u/#\n",
    );
    let why = |args: &[&str]| {
        let mut command = cloudmqtt();
        command
            .args(["acl", "why"])
            .args(args)
            .args(["-f", acl.to_str().unwrap()]);
        run(command, "")
    };
    let denied = why(&["--user", "sensor-1", "--topic", "sensors/1/temp", "--write"]);
    denied.expect_code(5);
    let lines: Vec<&str> = denied.stdout.lines().collect();
    assert_eq!(lines[0], "deny: no rule matches");
    assert_eq!(lines[1], "nearest rules that did not decide:");
    assert_eq!(
        lines[2],
        "  topic rule for sensor-1 on sensors/1/temp (read): it matches, but allows read only"
    );
    assert!(
        lines[3].starts_with("  topic rule for sensor-1 on sensors/+ (read+write): '+' matches one level, not several"),
        "{}",
        denied.stdout
    );
    let allowed = why(&["--user", "bob", "--topic", "home/bob/x", "--read", "--json"]);
    allowed.expect_code(0);
    let json = allowed.json();
    assert_eq!(json["allowed"], true);
    assert_eq!(json["rule"]["pattern"], "home/%u/#");
    assert_eq!(
        json["misses"][0]["why"],
        "a topic rule for another user (\"sensor-1\")"
    );
}
