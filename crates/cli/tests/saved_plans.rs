//! Saved plans, ownership scopes and password versions, run as teams
//! would: `plan -o` reviewed and `apply PLAN` later, a stale plan refused,
//! `--target`, two scoped files applied to one instance in turn, several
//! files and folders, and a password rotated one user at a time; against
//! the emulator and its broker with faults on. No output, plan file or
//! state file holds a password.

mod common;

use std::process::{Command, Stdio};

use common::fixture::{FAST, Fixture};
use common::run;
use serde_json::Value;

const KEY: &str = "saved-key-3f9a";

const FAULTS: [&str; 8] = [
    "--apply-delay-ms",
    "100",
    "--fail-rate",
    "0.2",
    "--rate-limit",
    "15",
    "--seed",
    "22",
];

/// Passwords in the environment; the last three are those of files,
/// there so that every output is searched for them too.
const SECRETS: [(&str, &str); 7] = [
    ("SENSOR_PASSWORD", "sensor-pw-8c21"),
    ("A_PASSWORD", "team-a-pw-19fe"),
    ("B_PASSWORD", "team-b-pw-5d07"),
    ("INTRUDER_PASSWORD", "intruder-pw-66b3"),
    ("UNUSED_1", "dash-pw-0e4b"),
    ("UNUSED_2", "p1-old-4411"),
    ("UNUSED_3", "p1-new-9920"),
];

const ACCESS: &str = r#"
[users.sensor-1]
password_env = "SENSOR_PASSWORD"

[users.dashboard]
password_file = "secrets/dashboard"

[[rules]]
type = "topic"
username = "sensor-1"
pattern = "sensors/1/#"
read = false
write = true

[[rules]]
type = "topic"
username = "dashboard"
pattern = "sensors/#"
read = true
write = false
"#;

const DASHBOARD_PASSWORD: &str = "dash-pw-0e4b";

fn apply(fixture: &Fixture, args: &[&str]) -> common::Run {
    let mut all = vec!["apply"];
    all.extend(args);
    all.extend(FAST);
    all.push("4");
    fixture.run(&all)
}

fn read_json(fixture: &Fixture, name: &str) -> (String, Value) {
    let text = std::fs::read_to_string(fixture.dir.path().join(name)).expect("the file exists");
    for (_, secret) in SECRETS {
        assert!(!text.contains(secret), "{name} holds a password:\n{text}");
    }
    assert!(!text.contains(DASHBOARD_PASSWORD), "{text}");
    let value: Value = serde_json::from_str(&text).expect("JSON");
    if value.get("changes").is_some() {
        assert_valid_plan(&value);
    }
    (text, value)
}

/// A saved plan is valid under `crates/core/plan.schema.json`.
fn assert_valid_plan(plan: &Value) {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../core/plan.schema.json");
    let schema: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let mut schemas = boon::Schemas::new();
    let mut compiler = boon::Compiler::new();
    compiler
        .add_resource("plan.schema.json", schema)
        .expect("the schema loads");
    let index = compiler
        .compile("plan.schema.json", &mut schemas)
        .expect("the schema compiles");
    if let Err(error) = schemas.validate(plan, index) {
        panic!("the plan does not follow the schema: {error:#}\n{plan:#}");
    }
}

#[test]
fn a_saved_plan_is_applied_exactly_and_refused_once_stale() {
    let fixture = Fixture::start(KEY, &FAULTS, &SECRETS);
    fixture.file("secrets/dashboard", &format!("{DASHBOARD_PASSWORD}\n"));
    fixture.file("access.toml", ACCESS);

    let plan = fixture.run(&["plan", "-f", "access.toml", "-o", "plan.json"]);
    plan.expect_code(0);
    assert!(plan.stdout.contains("+ user sensor-1\n"), "{plan:?}");
    assert!(
        plan.stderr.contains(
            "Saved the plan to plan.json; apply exactly it with: cloudmqtt apply plan.json"
        ),
        "{plan:?}"
    );
    let (text, saved) = read_json(&fixture, "plan.json");
    assert_eq!(saved["format_version"], 1);
    assert!(
        saved["files"][0]["fingerprint"]
            .as_str()
            .unwrap()
            .starts_with("sha256:")
    );
    assert!(
        saved["server"]["fingerprint"]
            .as_str()
            .unwrap()
            .starts_with("sha256:")
    );
    assert_eq!(saved["changes"].as_array().unwrap().len(), 4, "{text}");
    assert_eq!(
        saved["passwords"],
        serde_json::json!([
            {"username": "dashboard", "password_file": "./secrets/dashboard"},
            {"username": "sensor-1", "password_env": "SENSOR_PASSWORD"},
        ])
    );
    assert!(
        saved["access"]["lines"].as_array().unwrap().len() >= 2,
        "{text}"
    );
    // `plan --json` prints the same JSON as the file.
    let json = fixture.run(&["plan", "-f", "access.toml", "--json"]);
    assert_valid_plan(&json.json());
    assert_eq!(json.json()["changes"], saved["changes"]);
    assert_eq!(json.json()["server"], saved["server"]);

    // Applied later, exactly as reviewed.
    apply(&fixture, &["plan.json"]).expect_code(0);
    assert_eq!(fixture.users(), ["dashboard", "sensor-1"]);
    assert_eq!(fixture.rules().len(), 2);

    // The server is no longer what the plan was made against.
    let again = apply(&fixture, &["plan.json"]);
    again.expect_code(6);
    assert!(
        again.stderr.contains(
            "plan is stale: the server changed since the plan was made: + user dashboard, + user sensor-1, + rule topic dashboard sensors/# read, + rule topic sensor-1 sensors/1/# write"
        ),
        "{again:?}"
    );

    // A plan made now, then someone changes the server before it is
    // applied: refused, nothing sent.
    let pruned = ACCESS.replace(
        "[[rules]]\ntype = \"topic\"\nusername = \"dashboard\"",
        "[[rules]]\ntype = \"topic\"\nusername = \"dashboard-gone\"",
    );
    fixture.file("access.toml", &pruned.replace("dashboard-gone", "sensor-1"));
    fixture
        .run(&["plan", "-f", "access.toml", "--prune", "-o", "plan2.json"])
        .expect_code(0);
    let create = run(
        fixture.cli(&["users", "create", "intruder", "--password-stdin", "--wait"]),
        &format!("{}\n", SECRETS[3].1),
    );
    create.expect_code(0);
    let stale = apply(&fixture, &["plan2.json"]);
    stale.expect_code(6);
    assert!(
        stale.stderr.contains(
            "cloudmqtt: plan is stale: the server changed since the plan was made: + user intruder\n"
        ),
        "{stale:?}"
    );
    assert_eq!(fixture.rules().len(), 2, "nothing was sent");

    // --target: only one user's changes, at plan time and at apply time.
    fixture.file(
        "more.toml",
        "[users.t-1]\npassword_env = \"A_PASSWORD\"\n[users.t-2]\npassword_env = \"B_PASSWORD\"\n",
    );
    let targeted = fixture.run(&["plan", "-f", "more.toml", "--target", "user:t-1"]);
    assert_eq!(
        targeted.stdout,
        "+ user t-1\nPlan: 1 to create, 0 to replace, 0 to delete.\n"
    );
    fixture
        .run(&["plan", "-f", "more.toml", "-o", "more.json"])
        .expect_code(0);
    apply(&fixture, &["more.json", "--target", "user:t-2"]).expect_code(0);
    assert!(fixture.users().contains(&"t-2".to_owned()));
    assert!(!fixture.users().contains(&"t-1".to_owned()));
    let bad = fixture.run(&["plan", "-f", "more.toml", "--target", "t-1"]);
    bad.expect_code(2);
    assert!(
        bad.stderr
            .contains("expected user:NAME or rule:TYPE:USER:PATTERN"),
        "{bad:?}"
    );

    // A plan edited by hand is refused before anything is sent.
    let (text, _) = read_json(&fixture, "more.json");
    fixture.file(
        "edited.json",
        &text.replacen("\"users\": [", "\"users\": [\"x\", ", 1),
    );
    let edited = apply(&fixture, &["edited.json"]);
    edited.expect_code(2);
    assert!(
        edited
            .stderr
            .contains("invalid plan: server.fingerprint: does not match"),
        "{edited:?}"
    );
}

const TEAM_A: &str = r#"
[scope]
users = ["a-*"]

[users.a-1]
password_env = "A_PASSWORD"

[[rules]]
type = "topic"
username = "a-1"
pattern = "a/#"
read = true
write = true
"#;

const TEAM_B: &str = r#"
[scope]
users = ["b-*"]
patterns = ["shared/*"]

[users.b-1]
password_env = "B_PASSWORD"

[[rules]]
type = "topic"
username = "b-1"
pattern = "shared/b/#"
read = true
write = true

[[rules]]
type = "pattern"
pattern = "shared/%u/#"
read = true
write = false
"#;

#[test]
fn two_scoped_files_on_one_instance_leave_each_other_alone() {
    let fixture = Fixture::start(KEY, &FAULTS, &SECRETS);
    fixture.file("a/access.toml", TEAM_A);
    fixture.file("b/access.toml", TEAM_B);
    // Something neither team owns.
    fixture
        .run(&[
            "acl",
            "create",
            "--type",
            "pattern",
            "--pattern",
            "ops/%u/#",
            "--read",
        ])
        .expect_code(0);
    for _ in 0..2 {
        for team in ["a/access.toml", "b/access.toml"] {
            apply(&fixture, &["-f", team, "--prune"]).expect_code(0);
        }
    }
    assert_eq!(fixture.users(), ["a-1", "b-1"]);
    assert_eq!(fixture.rules().len(), 4, "{:?}", fixture.rules());
    let scoped = fixture.run(&[
        "plan",
        "-f",
        "a/access.toml",
        "-f",
        "b",
        "--prune",
        "--json",
    ]);
    assert_valid_plan(&scoped.json());
    assert_eq!(
        scoped.json()["scope"][1]["patterns"],
        serde_json::json!(["shared/*"])
    );
    let plan = fixture.run(&["plan", "-f", "a/access.toml", "--prune"]);
    assert_eq!(
        plan.stdout,
        "1 user and 3 rules outside this file's scope, untouched\nNo changes.\n"
    );

    // Both files together, as two -f or as their folders.
    let both = fixture.run(&["plan", "-f", "a/access.toml", "-f", "b", "--prune"]);
    assert_eq!(
        both.stdout,
        "0 users and 1 rule outside this file's scope, untouched\nNo changes.\n"
    );

    // A file declaring what it does not own.
    fixture.file(
        "c/access.toml",
        &TEAM_A.replace("[users.a-1]", "[users.b-2]"),
    );
    let outside = fixture.run(&["plan", "-f", "c/access.toml"]);
    outside.expect_code(2);
    assert!(
        outside
            .stderr
            .contains("c/access.toml:5:8: user \"b-2\" is outside this file's [scope]"),
        "{outside:?}"
    );

    // One user defined in two files.
    fixture.file("d/one.toml", "[users.a-1]\npassword_env = \"A_PASSWORD\"\n");
    fixture.file(
        "d/two.toml",
        "\n[users.a-1]\npassword_env = \"A_PASSWORD\"\n",
    );
    let twice = fixture.run(&["plan", "-f", "d"]);
    twice.expect_code(2);
    assert!(
        twice
            .stderr
            .contains("d/two.toml:2:8: user \"a-1\" is also defined at d/one.toml:1:8"),
        "{twice:?}"
    );
}

/// Whether `user` can connect to the broker with `password` (it may take
/// the broker a moment to reload its password file: tried until `expect`
/// holds, for at most 20 s).
fn connects_eventually(port: u16, user: &str, password: &str, expect: bool) -> bool {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    loop {
        let status = Command::new("mosquitto_pub")
            .args(["-h", "127.0.0.1", "-p", &port.to_string()])
            .args(["-u", user, "-P", password, "-t", "t", "-m", "x", "-q", "1"])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .expect("mosquitto_pub is installed");
        if status.success() == expect || std::time::Instant::now() > deadline {
            return status.success();
        }
        std::thread::sleep(std::time::Duration::from_millis(200));
    }
}

#[test]
fn a_bumped_password_version_sets_that_password_only() {
    let fixture = Fixture::start(KEY, &FAULTS, &SECRETS);
    let port = fixture.mqtt.expect("mosquitto runs");
    let file = |version: u64, secret: &str| {
        format!(
            "[users.p-1]\npassword_file = \"p1\"\npassword_version = {version}\n\n[users.p-2]\npassword_env = \"B_PASSWORD\"\npassword_version = 1\n"
        )
        .replace("p1\"", &format!("{secret}\""))
    };
    fixture.file("old-pw", "p1-old-4411\n");
    fixture.file("new-pw", "p1-new-9920\n");
    fixture.file("access.toml", &file(1, "old-pw"));
    apply(&fixture, &["-f", "access.toml"]).expect_code(0);
    let (_, state) = read_json(&fixture, "cloudmqtt-state.json");
    assert_eq!(
        state["password_versions"],
        serde_json::json!({"p-1": 1, "p-2": 1})
    );
    assert!(connects_eventually(port, "p-1", "p1-old-4411", true));

    // A new password without a new version: nothing to do.
    fixture.file("access.toml", &file(1, "new-pw"));
    let same = fixture.run(&["plan", "-f", "access.toml"]);
    assert_eq!(same.stdout, "No changes.\n");

    // The version bumped: that user's password, and no other.
    fixture.file("access.toml", &file(2, "new-pw"));
    fixture
        .run(&["plan", "-f", "access.toml", "-o", "rotate.json"])
        .expect_code(0);
    let (text, saved) = read_json(&fixture, "rotate.json");
    assert!(
        !text.contains("p1-new-9920") && !text.contains("p1-old-4411"),
        "{text}"
    );
    assert_eq!(
        saved["changes"],
        serde_json::json!([{"action": "set-password", "kind": "user", "username": "p-1"}])
    );
    assert_eq!(saved["password_versions"], serde_json::json!({"p-1": 2}));
    // With --debug too: the request lines never show the password.
    apply(&fixture, &["rotate.json", "--debug"]).expect_code(0);
    assert!(connects_eventually(port, "p-1", "p1-new-9920", true));
    assert!(!connects_eventually(port, "p-1", "p1-old-4411", false));
    assert!(connects_eventually(port, "p-2", SECRETS[2].1, true));
    let (_, state) = read_json(&fixture, "cloudmqtt-state.json");
    assert_eq!(
        state["password_versions"],
        serde_json::json!({"p-1": 2, "p-2": 1})
    );
    assert_eq!(
        fixture.run(&["plan", "-f", "access.toml"]).stdout,
        "No changes.\n"
    );

    // Without a record the version is unknown: said, never guessed.
    std::fs::remove_file(fixture.dir.path().join("cloudmqtt-state.json")).unwrap();
    let unknown = fixture.run(&["plan", "-f", "access.toml"]);
    assert!(
        unknown.stdout.contains(
            "Note: password version of user p-1 is unknown (none recorded), so its password is not set; to set it and record version 2: --set-passwords --target user:p-1\n"
        ),
        "{unknown:?}"
    );
    assert!(unknown.stdout.ends_with("No changes.\n"), "{unknown:?}");
    apply(
        &fixture,
        &[
            "-f",
            "access.toml",
            "--set-passwords",
            "--target",
            "user:p-1",
        ],
    )
    .expect_code(0);
    let (_, state) = read_json(&fixture, "cloudmqtt-state.json");
    assert_eq!(state["password_versions"], serde_json::json!({"p-1": 2}));

    // The rest of the cycle: exports, and every file written, hold no
    // password either.
    for args in [
        &["export"][..],
        &["export", "--json"],
        &["export", "--format", "mosquitto-acl"],
    ] {
        fixture.run(args).expect_code(0);
    }
    for entry in walk(fixture.dir.path()) {
        let name = entry.file_name().unwrap().to_string_lossy().into_owned();
        if !name.ends_with("-pw") {
            let text = String::from_utf8_lossy(&std::fs::read(&entry).unwrap()).into_owned();
            fixture.assert_no_secret(&text);
        }
    }
}

/// Every file under `dir`.
fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            files.extend(walk(&path));
        } else {
            files.push(path);
        }
    }
    files
}
