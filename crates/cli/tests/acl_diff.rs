//! `cloudmqtt acl diff` as a user runs it: between files of every kind and
//! the emulator's rules, its gate, its JSON, and broken files.

mod common;

use std::path::PathBuf;

use clap::Parser as _;
use cloudmqtt_emulator::{Emulator, Options};
use common::{Run, against, run};
use serde_json::json;

const KEY: &str = "diff-key-40a7";

/// An emulator without a broker, and a scratch directory.
struct Setup {
    emulator: Emulator,
    dir: tempfile::TempDir,
}

impl Setup {
    fn start() -> Self {
        let options =
            Options::try_parse_from(["cloudmqtt-emulator", "--api-key", KEY, "--no-broker"])
                .expect("valid emulator options");
        Self {
            emulator: Emulator::start(options).expect("the emulator starts"),
            dir: tempfile::tempdir().expect("a scratch directory"),
        }
    }

    fn file(&self, name: &str, text: &str) -> String {
        let path: PathBuf = self.dir.path().join(name);
        std::fs::write(&path, text).expect("write the file");
        path.to_str().unwrap().to_owned()
    }

    fn run(&self, args: &[&str]) -> Run {
        let mut command = against(&self.emulator.api_url(), KEY, args);
        command.env("SENSOR_PASSWORD", "s3cret-sensor");
        command.env("DASHBOARD_PASSWORD", "s3cret-dash");
        let result = run(command, "");
        // Passwords are never shown, whatever the command read.
        for secret in ["s3cret-sensor", "s3cret-dash", KEY] {
            assert!(!result.all_output().contains(secret), "{result:?}");
        }
        result
    }
}

/// Before: a Mosquitto acl_file.
const OLD: &str = "\
user sensor-1
topic read sensors/1/#

user dashboard
topic read #
";

/// After: an access file.
const NEW: &str = r##"
[users.sensor-1]
password_env = "SENSOR_PASSWORD"

[users.dashboard]
password_env = "DASHBOARD_PASSWORD"

[[rules]]
type = "topic"
username = "sensor-1"
pattern = "sensors/1/#"
read = true
write = true

[[rules]]
type = "topic"
username = "dashboard"
pattern = "secret/#"
read = false
write = false

[[rules]]
type = "topic"
username = "dashboard"
pattern = "#"
read = true
write = false

[[rules]]
type = "pattern"
pattern = "home/%u/private"
read = false
write = false

[[rules]]
type = "pattern"
pattern = "home/%u/#"
read = true
write = false
"##;

const LINES: &str = "\
- read dashboard secret/#
+ read sensor-1 home/sensor-1/# except home/sensor-1/private
+ write sensor-1 sensors/1/#
+ write sensor-1 with a client id holding + or # sensors/1/#
+ read every user home/%u/# except home/%u/private
";

#[test]
fn files_of_every_kind_and_the_server_are_compared() {
    let setup = Setup::start();
    let old = setup.file("old.acl", OLD);
    let new = setup.file("access.toml", NEW);

    let result = setup.run(&["acl", "diff", &old, &new]);
    result.expect_code(0);
    assert_eq!(result.stdout, format!("{LINES}4 gains, 1 loss of access\n"));

    // The other way round, every gain is a loss.
    let back = setup.run(&["acl", "diff", &new, &old]);
    back.expect_code(0);
    assert!(
        back.stdout.starts_with("+ read dashboard secret/#\n"),
        "{back:?}"
    );
    assert!(
        back.stdout.ends_with("1 gain, 4 losses of access\n"),
        "{back:?}"
    );

    // A JSON array of rules (as `acl list --json` prints) is a side too.
    let apply = setup.run(&["apply", "-f", &new, "--yes"]);
    apply.expect_code(0);
    let listed = setup.run(&["acl", "list", "--json"]);
    listed.expect_code(0);
    let rules = setup.file("rules.json", &listed.stdout);
    let same = setup.run(&["acl", "diff", &new, &rules]);
    same.expect_code(0);
    assert_eq!(same.stdout, "no change of access\n");

    // The server's rules, after the apply.
    let server = setup.run(&["acl", "diff", &old, "@server"]);
    server.expect_code(0);
    assert_eq!(server.stdout, result.stdout);
    let none = setup.run(&[
        "acl",
        "diff",
        "@server",
        "@server",
        "--fail-on",
        "new-access",
    ]);
    none.expect_code(0);
    assert_eq!(none.stdout, "no change of access\n");
}

#[test]
fn the_gate_fails_on_new_access_and_on_world_writable_topics() {
    let setup = Setup::start();
    let old = setup.file("old.acl", OLD);
    let new = setup.file("new.acl", NEW_WORLD);

    let gained = setup.run(&["acl", "diff", &old, &new, "--fail-on", "new-access"]);
    gained.expect_code(5);
    assert_eq!(
        gained.stdout,
        "+ write every user public/#\n\
         = dashboard, sensor-1 with a client id holding + or # no change of access\n\
         1 gain, 0 losses of access\n"
    );
    let world = setup.run(&["acl", "diff", &old, &new, "--fail-on", "world-writable"]);
    world.expect_code(5);
    // Losing access passes both gates.
    let lost = setup.run(&[
        "acl",
        "diff",
        &new,
        &old,
        "--fail-on",
        "new-access",
        "--fail-on",
        "world-writable",
    ]);
    lost.expect_code(0);
    // A per-user topic is not world-writable.
    let own = setup.file("own.acl", "pattern write home/%u/#\n");
    let per_user = setup.run(&["acl", "diff", &old, &own, "--fail-on", "world-writable"]);
    per_user.expect_code(0);

    let json = setup.run(&[
        "--json",
        "acl",
        "diff",
        &old,
        &new,
        "--fail-on",
        "world-writable",
    ]);
    json.expect_code(5);
    let value = json.json();
    assert_eq!(value["world_writable"], json!(["public/#"]));
    assert_eq!(value["gains_access"], json!(true));
    assert!(
        value["changes"].as_array().unwrap().contains(&json!({
            "gained": true, "access": "write", "who": "every user", "user": null,
            "client_id": null, "filter": "public/#", "except": [],
        })),
        "{value:#}"
    );
}

/// After: everyone may write under `public`.
const NEW_WORLD: &str = "\
pattern write public/#

user sensor-1
topic read sensors/1/#

user dashboard
topic read #
";

#[test]
fn broken_files_are_reported_before_anything_is_compared() {
    let setup = Setup::start();
    let old = setup.file("old.acl", OLD);
    let broken = setup.file(
        "broken.acl",
        "user a\ntopic sometimes x/#\ntopic read a/#/b\n",
    );
    let result = setup.run(&["acl", "diff", &old, &broken]);
    result.expect_code(2);
    assert!(result.stderr.contains("broken.acl:2:"), "{result:?}");
    assert!(result.stderr.contains("broken.acl:3:"), "{result:?}");
    assert!(result.stdout.is_empty(), "{result:?}");
    let missing = setup.run(&["acl", "diff", &old, "no-such-file.toml"]);
    missing.expect_code(2);
    assert!(
        missing.stderr.contains("no-such-file.toml: cannot read"),
        "{missing:?}"
    );
}
