//! `cloudmqtt plan`, `apply` and `export` run as a user would, against the
//! emulator and its real Mosquitto broker: faults injected, MQTT clients
//! checking what the rules allow, prune, convergence, and an apply killed
//! half-way and run again.

mod common;

use std::collections::BTreeSet;
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use common::fixture::{FAST, Fixture};
use common::run;
use serde_json::json;

const KEY: &str = "access-key-5c1e";

/// The emulator (with its broker unless told otherwise) and a scratch
/// directory, every run with the passwords in its environment.
type Setup = Fixture;

impl Fixture {
    fn start_with(extra: &[&str]) -> Self {
        Fixture::start(KEY, extra, &PASSWORDS)
    }

    /// No rule is listed twice; returns how many there are.
    fn assert_no_duplicates(&self) -> usize {
        let rules = self.rules();
        let identities: BTreeSet<String> = rules
            .iter()
            .map(|rule| format!("{} {} {}", rule["type"], rule["username"], rule["pattern"]))
            .collect();
        assert_eq!(identities.len(), rules.len(), "duplicates: {rules:#?}");
        let users = self.users();
        let distinct: BTreeSet<&String> = users.iter().collect();
        assert_eq!(distinct.len(), users.len(), "{users:?}");
        rules.len()
    }
}

const PASSWORDS: [(&str, &str); 3] = [
    ("SENSOR_1_PASSWORD", "s1-pw-4e7a"),
    ("SENSOR_2_PASSWORD", "s2-pw-9b1c"),
    ("DASHBOARD_PASSWORD", "dash-pw-77d2"),
];

const ACCESS: &str = r#"[users.sensor-1]
password_env = "SENSOR_1_PASSWORD"

[users.sensor-2]
password_env = "SENSOR_2_PASSWORD"

[users."dashboard"]
password_file = "secrets/dashboard"

[[rules]]
type = "topic"
username = "sensor-1"
pattern = "sensors/1/#"
read = false
write = true

[[rules]]
type = "topic"
username = "sensor-2"
pattern = "sensors/2/#"
read = false
write = true

[[rules]]
type = "topic"
username = "dashboard"
pattern = "sensors/#"
read = true
write = false

[[rules]]
type = "pattern"
pattern = "home/%u/#"
read = true
write = true
"#;

/// What the broker answers to an MQTT 5 QoS 1 publish.
#[derive(Debug, PartialEq, Eq)]
enum Publish {
    Accepted,
    Refused,
    NotConnected,
}

fn publish(port: u16, user: &str, password: &str, topic: &str) -> Publish {
    let output = Command::new("mosquitto_pub")
        .args(["-h", "127.0.0.1", "-p", &port.to_string()])
        .args(["-u", user, "-P", password, "-V", "mqttv5", "-d"])
        .args(["-t", topic, "-m", "hello", "-q", "1"])
        .stdin(Stdio::null())
        .output()
        .expect("mosquitto_pub is installed");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    if !output.status.success() {
        Publish::NotConnected
    } else if text.contains("RC:0)") || text.contains("RC:16)") {
        Publish::Accepted
    } else if text.contains("Not authorized") || text.contains("RC:135") {
        Publish::Refused
    } else {
        panic!("unexpected mosquitto_pub output: {text}");
    }
}

/// Whether `user` receives what `sender` publishes on `topic` through a
/// subscription to `filter`: `mosquitto_sub` subscribes, then the message
/// goes out, and the subscriber ends with the first message it gets (or
/// after 20 s).
fn receives(
    port: u16,
    (user, password): (&str, &str),
    filter: &str,
    (sender, sender_password): (&str, &str),
    topic: &str,
) -> bool {
    let mut child = Command::new("stdbuf")
        .args([
            "-oL",
            "mosquitto_sub",
            "-h",
            "127.0.0.1",
            "-p",
            &port.to_string(),
        ])
        .args([
            "-u", user, "-P", password, "-d", "-v", "-C", "1", "-W", "20",
        ])
        .args(["-t", filter, "-q", "1"])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("mosquitto_sub is installed");
    let lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let wanted = format!("{topic} hello");
    let mut received = false;
    for line in lines {
        let line = line.unwrap_or_default();
        if line.starts_with("Subscribed (mid: 1)") {
            assert_eq!(
                publish(port, sender, sender_password, topic),
                Publish::Accepted
            );
        }
        if line == wanted {
            received = true;
        }
    }
    let _ = child.kill();
    let _ = child.wait();
    received
}

fn password(user: &str) -> &'static str {
    match user {
        "sensor-1" => PASSWORDS[0].1,
        "sensor-2" => PASSWORDS[1].1,
        _ => PASSWORDS[2].1,
    }
}

fn write_secret(dir: &Path) {
    std::fs::create_dir_all(dir.join("secrets")).unwrap();
    std::fs::write(
        dir.join("secrets/dashboard"),
        format!("{}\n", PASSWORDS[2].1),
    )
    .unwrap();
}

#[test]
fn apply_converges_under_faults_and_the_broker_enforces_the_file() {
    let setup = Setup::start_with(&[
        "--apply-delay-ms",
        "200",
        "--fail-rate",
        "0.2",
        "--rate-limit",
        "15",
        "--seed",
        "20",
    ]);
    let port = setup.mqtt.expect("mosquitto runs");
    write_secret(setup.dir.path());
    let file = setup.file("access.toml", ACCESS);
    let file = file.to_str().unwrap();

    let plan = setup.run(&["plan", "-f", file, "--exit-code"]);
    plan.expect_code(5);
    assert!(plan.stdout.contains("+ user sensor-1\n"), "{plan:?}");
    assert!(
        plan.stdout
            .contains("+ rule topic sensor-1 sensors/1/# write\n"),
        "{plan:?}"
    );
    assert!(
        plan.stdout
            .ends_with("Plan: 7 to create, 0 to replace, 0 to delete.\n"),
        "{plan:?}"
    );

    let mut args = vec!["apply", "-f", file];
    args.extend(FAST);
    args.push("3");
    let apply = setup.run(&args);
    apply.expect_code(0);
    assert_eq!(
        apply
            .stderr
            .lines()
            .filter(|l| l.starts_with("done: "))
            .count(),
        7,
        "{apply:?}"
    );
    assert!(
        apply.stdout.starts_with("Applied: 7 of 7 changes made"),
        "{apply:?}"
    );

    let again = setup.run(&["plan", "-f", file, "--exit-code"]);
    again.expect_code(0);
    assert_eq!(again.stdout, "No changes.\n");
    assert_eq!(setup.assert_no_duplicates(), 4);

    // The broker lets each user do what the rules say, and nothing more.
    let s1 = password("sensor-1");
    assert_eq!(
        publish(port, "sensor-1", s1, "sensors/1/temp"),
        Publish::Accepted
    );
    assert_eq!(
        publish(port, "sensor-1", s1, "sensors/2/temp"),
        Publish::Refused
    );
    assert_eq!(
        publish(port, "sensor-1", s1, "home/sensor-1/x"),
        Publish::Accepted
    );
    assert_eq!(
        publish(port, "sensor-1", s1, "home/sensor-2/x"),
        Publish::Refused
    );
    let dash = password("dashboard");
    assert!(receives(
        port,
        ("dashboard", dash),
        "sensors/#",
        ("sensor-1", s1),
        "sensors/1/temp"
    ));
    assert_eq!(
        publish(port, "dashboard", dash, "sensors/1/temp"),
        Publish::Refused
    );
    assert_eq!(
        publish(port, "sensor-2", "wrong", "sensors/2/x"),
        Publish::NotConnected
    );

    // Change rights, remove a user, prune: converge again.
    let changed = ACCESS
        .replace(
            "pattern = \"sensors/1/#\"\nread = false",
            "pattern = \"sensors/1/#\"\nread = true",
        )
        .replace("[users.sensor-2]\npassword_env = \"SENSOR_2_PASSWORD\"\n", "")
        .replace(
            "[[rules]]\ntype = \"topic\"\nusername = \"sensor-2\"\npattern = \"sensors/2/#\"\nread = false\nwrite = true\n",
            "",
        );
    let file = setup.file("access.toml", &changed);
    let file = file.to_str().unwrap();
    let plan = setup.run(&["plan", "-f", file, "--prune", "--json"]);
    plan.expect_code(0);
    // The saved plan's JSON: its changes and what they do to access.
    let value = plan.json();
    assert_eq!(value["format_version"], 1);
    assert_eq!(
        value["server"]["users"],
        json!(["dashboard", "sensor-1", "sensor-2"])
    );
    assert_eq!(
        json!({"changes": value["changes"], "access": value["access"]}),
        json!({"changes": [
            {"action": "replace", "kind": "rule",
             "from": {"type": "topic", "pattern": "sensors/1/#", "read": false, "write": true, "username": "sensor-1"},
             "to": {"type": "topic", "pattern": "sensors/1/#", "read": true, "write": true, "username": "sensor-1"}},
            {"action": "delete", "kind": "rule",
             "rule": {"type": "topic", "pattern": "sensors/2/#", "read": false, "write": true, "username": "sensor-2"}},
            {"action": "delete", "kind": "user", "username": "sensor-2"},
        ],
        // What the plan does to access, as `acl diff --json` says it.
        "access": {
            "changes": [
                {"gained": true, "access": "read", "who": "sensor-1", "user": "sensor-1",
                 "client_id": null, "filter": "sensors/1/#", "except": []},
                {"gained": false, "access": "write", "who": "sensor-2", "user": "sensor-2",
                 "client_id": null, "filter": "sensors/2/#", "except": []},
            ],
            "lines": ["+ read sensor-1 sensors/1/#", "- write sensor-2 sensors/2/#"],
            "gains_access": true,
            "world_writable": [],
        }})
    );
    let human = setup.run(&["plan", "-f", file, "--prune"]);
    assert_eq!(
        human.stdout,
        "~ rule topic sensor-1 sensors/1/# write -> read+write\n\
         - rule topic sensor-2 sensors/2/# write\n\
         - user sensor-2\n\
         Access:\n  \
         + read sensor-1 sensors/1/#\n  \
         - write sensor-2 sensors/2/#\n  \
         1 gain, 1 loss of access\n\
         Plan: 0 to create, 1 to replace, 2 to delete.\n"
    );
    let mut args = vec!["apply", "-f", file, "--prune", "--json"];
    args.extend(FAST);
    args.push("4");
    let apply = setup.run(&args);
    apply.expect_code(0);
    assert_eq!(
        apply.json()["changes"].as_array().unwrap().len(),
        3,
        "{apply:?}"
    );
    setup
        .run(&["plan", "-f", file, "--prune", "--exit-code"])
        .expect_code(0);
    assert_eq!(setup.assert_no_duplicates(), 3);
    assert!(receives(
        port,
        ("sensor-1", s1),
        "sensors/1/#",
        ("sensor-1", s1),
        "sensors/1/echo"
    ));
    assert_eq!(
        publish(port, "sensor-2", password("sensor-2"), "sensors/2/x"),
        Publish::NotConnected
    );

    // Export is a file that plans to nothing.
    let exported = setup.run(&["export"]);
    exported.expect_code(0);
    let file = setup.file("exported.toml", &exported.stdout);
    let mut command = setup.cli(&[
        "plan",
        "-f",
        file.to_str().unwrap(),
        "--prune",
        "--exit-code",
    ]);
    command
        .env("CLOUDMQTT_PASSWORD_SENSOR_1", "x")
        .env("CLOUDMQTT_PASSWORD_DASHBOARD", "y");
    run(command, "").expect_code(0);
    let exported = setup.run(&["export", "--json"]);
    exported.expect_code(0);
    assert_eq!(
        exported.json()["users"],
        json!({"dashboard": {"password_env": "CLOUDMQTT_PASSWORD_DASHBOARD"},
               "sensor-1": {"password_env": "CLOUDMQTT_PASSWORD_SENSOR_1"}})
    );
}

#[test]
fn a_killed_apply_is_finished_by_running_it_again() {
    let setup = Setup::start_with(&[
        "--no-broker",
        "--apply-delay-ms",
        "400",
        "--fail-rate",
        "0.1",
        "--seed",
        "3",
    ]);
    let mut text = String::new();
    for i in 0..30 {
        text.push_str(&format!(
            "[users.device-{i}]\npassword_env = \"SENSOR_1_PASSWORD\"\n\n"
        ));
    }
    for i in 0..30 {
        for topic in ["in", "out"] {
            text.push_str(&format!(
                "[[rules]]\ntype = \"topic\"\nusername = \"device-{i}\"\npattern = \"devices/{i}/{topic}\"\nread = true\nwrite = {}\n\n",
                topic == "out"
            ));
        }
    }
    let file = setup.file("access.toml", &text);
    let file = file.to_str().unwrap();
    let mut args = vec!["apply", "-f", file];
    args.extend(FAST);
    args.push("2");

    // Killed once the first changes are made, while the rest go out.
    let mut child = setup
        .cli(&args)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start the binary");
    let stderr = child.stderr.take().unwrap();
    let (send, lines) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines() {
            if send.send(line.unwrap_or_default()).is_err() {
                break;
            }
        }
    });
    let mut made = 0;
    while made < 31 {
        match lines.recv_timeout(Duration::from_secs(60)) {
            Ok(line) if line.starts_with("done: ") => made += 1,
            Ok(_) => {}
            Err(error) => panic!("no progress from apply: {error}"),
        }
    }
    child.kill().expect("kill the apply");
    child.wait().expect("reap the apply");

    let again = setup.run(&args);
    again.expect_code(0);
    setup
        .run(&["plan", "-f", file, "--exit-code"])
        .expect_code(0);
    assert_eq!(setup.assert_no_duplicates(), 60);
    assert_eq!(setup.users().len(), 30);
}

#[test]
fn files_are_checked_before_anything_is_sent() {
    let setup = Setup::start_with(&["--no-broker", "--apply-delay-ms", "0"]);
    let file = setup.file(
        "access.toml",
        "[users.sensor-1]\npasswd = \"x\"\n\n[users.b]\npassword = \"inline\"\n\n[[rules]]\ntype = \"pattern\"\nusername = \"b\"\npattern = \"a/#\"\n",
    );
    let result = setup.run(&["plan", "-f", file.to_str().unwrap()]);
    result.expect_code(2);
    let shown = file.display().to_string();
    assert_eq!(
        result.stderr,
        format!(
            "{shown}:2:1: unknown key \"passwd\" in [users.sensor-1]\n\
             {shown}:5:1: an inline password in [users.b] is refused (it would sit in the file); use password_env or password_file\n\
             {shown}:9:12: rule 1 is a pattern rule (for every user) and cannot have a username\n\
             cloudmqtt: {shown}: 3 problems found; nothing was sent\n"
        )
    );
    // An unset variable is named, and a rule for an unknown user located,
    // in one run.
    let file = setup.file(
        "access.json",
        "{\"users\": {\"a\": {\"password_env\": \"UNSET_VARIABLE_0X\"}},\n \"rules\": [{\"type\": \"topic\", \"username\": \"ghost\", \"pattern\": \"t\"}]}",
    );
    let result = setup.run(&["apply", "-f", file.to_str().unwrap(), "--yes"]);
    result.expect_code(2);
    let shown = file.display().to_string();
    assert_eq!(
        result.stderr,
        format!(
            "{shown}:1:34: user \"a\": environment variable UNSET_VARIABLE_0X: is not set\n\
             {shown}:2:12: user \"ghost\" of topic rule \"t\" of user \"ghost\" is neither in the file nor on the server\n\
             cloudmqtt: {shown}: 2 problems found; nothing was sent\n"
        )
    );
    let mut command = setup.cli(&["plan", "-f", file.to_str().unwrap()]);
    command.env("UNSET_VARIABLE_0X", "set-now");
    let result = run(command, "");
    result.expect_code(2);
    assert!(
        result.stderr.contains(":2:12: user \"ghost\" of topic rule \"t\" of user \"ghost\" is neither in the file nor on the server\n"),
        "{result:?}"
    );
    // Not on a terminal, apply needs --yes; nothing is sent.
    write_secret(setup.dir.path());
    let file = setup.file("access.toml", ACCESS);
    let result = setup.run(&["apply", "-f", file.to_str().unwrap()]);
    result.expect_code(2);
    assert!(result.stderr.contains("--yes"), "{result:?}");
    assert!(setup.users().is_empty());
}

#[test]
fn the_emulator_starts_from_an_access_file() {
    let scratch = tempfile::tempdir().unwrap();
    write_secret(scratch.path());
    let text = ACCESS
        .replace(
            "password_env = \"SENSOR_1_PASSWORD\"",
            "password_file = \"secrets/dashboard\"",
        )
        .replace(
            "password_env = \"SENSOR_2_PASSWORD\"",
            "password_file = \"secrets/dashboard\"",
        );
    let file = scratch.path().join("access.toml");
    std::fs::write(&file, &text).unwrap();
    let setup = Setup::start_with(&["--no-broker", "--from", file.to_str().unwrap()]);
    setup
        .run(&[
            "plan",
            "-f",
            file.to_str().unwrap(),
            "--prune",
            "--exit-code",
        ])
        .expect_code(0);
    assert_eq!(setup.users(), ["dashboard", "sensor-1", "sensor-2"]);
    assert_eq!(setup.assert_no_duplicates(), 4);
}
