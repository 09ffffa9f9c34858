//! `cloudmqtt acl why --log` end to end: the emulator's real broker logs
//! at debug level (`--broker-log`), a client is denied a publish, and the
//! log's denial is paired with its user and explained by the API's rules.

mod common;

#[path = "../../emulator/tests/common/mqtt.rs"]
#[allow(dead_code)]
mod mqtt;

use clap::Parser as _;
use cloudmqtt_emulator::Options;
use common::{against, run};

const KEY: &str = "broker-log-key-7d21";
const PASSWORD: &str = "sensor-pw-1";

#[test]
fn a_denied_publish_in_the_broker_log_is_explained() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("broker.log");
    let data = dir.path().join("data");
    let options = Options::try_parse_from([
        "cloudmqtt-emulator",
        "--api-key",
        KEY,
        "--apply-delay-ms",
        "0",
        "--data-dir",
        data.to_str().unwrap(),
        "--broker-log",
        log.to_str().unwrap(),
    ])
    .unwrap();
    let emulator = cloudmqtt_emulator::Emulator::start(options).unwrap();
    let line = emulator.ready_line();
    let field = |name: &str| {
        line.split_whitespace()
            .find_map(|field| field.strip_prefix(name))
            .unwrap()
            .to_owned()
    };
    let api = field("api=");
    let port: u16 = field("mqtt=")
        .rsplit(':')
        .next()
        .and_then(|port| port.parse().ok())
        .unwrap();
    let cli = |args: &[&str], stdin: &str| run(against(&api, KEY, args), stdin);
    cli(
        &["users", "create", "sensor-1", "--password-stdin", "--wait"],
        &format!("{PASSWORD}\n"),
    )
    .expect_code(0);
    cli(
        &[
            "acl",
            "create",
            "--type",
            "topic",
            "--user",
            "sensor-1",
            "--pattern",
            "sensors/+",
            "--write",
            "--wait",
        ],
        "",
    )
    .expect_code(0);

    let mut client = mqtt::Client::connect(port, "s1", "sensor-1", PASSWORD).unwrap();
    assert_eq!(
        client.publish("sensors/1", b"ok").unwrap(),
        mqtt::NO_MATCHING_SUBSCRIBERS
    );
    assert_eq!(
        client.publish("sensors/1/temp", b"21").unwrap(),
        mqtt::NOT_AUTHORIZED
    );
    client.disconnect().unwrap();

    let why = cli(&["acl", "why", "--log", log.to_str().unwrap()], "");
    emulator.shutdown();
    why.expect_code(0);
    let shown = log.display().to_string();
    let lines: Vec<&str> = why.stdout.lines().collect();
    assert_eq!(lines.len(), 4, "{}", why.stdout);
    assert!(
        lines[0].starts_with(&format!("{shown}:"))
            && lines[0].ends_with(
                ": client \"s1\" (user \"sensor-1\") was denied publishing to \"sensors/1/temp\""
            ),
        "{}",
        why.stdout
    );
    assert_eq!(lines[1], "  deny: no rule matches");
    assert_eq!(lines[2], "  nearest rules that did not decide:");
    assert!(
        lines[3].starts_with(
            "    topic rule for sensor-1 on sensors/+ (write): '+' matches one level, not several"
        ),
        "{}",
        why.stdout
    );
}
