//! The access file as `plan`, `apply` and the emulator's `--from` read it:
//! a file that plans is a file that applies, every problem in one run,
//! passwords read only when a change sends them (one line of a file, no
//! control characters) and never shown, in any output.

mod common;

use std::path::{Path, PathBuf};

use clap::Parser as _;
use cloudmqtt_emulator::{Emulator, Options};
use common::{Run, against, run};

const KEY: &str = "file-key-81d0";

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

    fn file(&self, name: &str, text: impl AsRef<[u8]>) -> PathBuf {
        let path = self.dir.path().join(name);
        std::fs::write(&path, text).expect("write the file");
        path
    }

    fn cli(&self, args: &[&str]) -> std::process::Command {
        against(&self.emulator.api_url(), KEY, args)
    }

    fn run(&self, args: &[&str]) -> Run {
        run(self.cli(args), "")
    }

    fn users(&self) -> Vec<String> {
        let result = self.run(&["users", "list", "--all", "--json"]);
        result.expect_code(0);
        result
            .json()
            .as_array()
            .unwrap()
            .iter()
            .map(|user| user["username"].as_str().unwrap().to_owned())
            .collect()
    }
}

fn path(file: &Path) -> &str {
    file.to_str().unwrap()
}

#[test]
fn names_apply_refuses_are_refused_by_plan_and_by_the_emulator() {
    let setup = Setup::start();
    setup.file("ok.pw", "ok-password\n");
    setup.file("bad.pw", "bad-password\n");
    for name in ["bad:name", " sp", "#hash"] {
        let file = setup.file(
            "access.toml",
            format!(
                "[users.ok]\npassword_file = \"ok.pw\"\n\n[users.{name:?}]\npassword_file = \"bad.pw\"\n"
            ),
        );
        let plan = setup.run(&["plan", "-f", path(&file)]);
        plan.expect_code(2);
        let shown = file.display().to_string();
        let located = format!("{shown}:4:8: user name {name:?}: username must not");
        assert!(plan.stderr.starts_with(&located), "{plan:?}");
        setup
            .run(&["apply", "-f", path(&file), "--yes"])
            .expect_code(2);
        // Nothing half-applied.
        assert!(setup.users().is_empty());

        let options =
            Options::try_parse_from(["cloudmqtt-emulator", "--no-broker", "--from", path(&file)])
                .unwrap();
        let error = Emulator::start(options).expect_err("--from refuses the file");
        assert!(error.to_string().contains(&located), "{error}");
    }
}

#[test]
fn every_problem_of_a_file_is_reported_in_one_run() {
    let setup = Setup::start();
    let file = setup.file(
        "access.toml",
        concat!(
            "[users.a]\n",
            "password_env = \"UNSET_PW_1F2\"\n",
            "colour = \"red\"\n",
            "\n",
            "[users.b]\n",
            "password = \"inline\"\n",
            "\n",
            "[users.c]\n",
            "password_file = \"missing-file\"\n",
            "\n",
            "[[rules]]\n",
            "type = \"pattern\"\n",
            "username = \"a\"\n",
            "pattern = \"x\"\n",
            "\n",
            "[[rules]]\n",
            "type = \"topic\"\n",
            "username = \"c\"\n",
            "pattern = \"a/#/b\"\n",
            "read = \"yes\"\n",
            "\n",
            "[[rules]]\n",
            "type = \"topic\"\n",
            "username = \"ghost\"\n",
            "pattern = \"g\"\n",
            "\n",
            "[[rules]]\n",
            "type = \"topic\"\n",
            "username = \"ghost\"\n",
            "pattern = \"g\"\n",
        ),
    );
    let result = setup.run(&["apply", "-f", path(&file), "--yes"]);
    result.expect_code(2);
    let shown = file.display().to_string();
    let lines: Vec<&str> = result.stderr.lines().collect();
    let expected = [
        "3:1: unknown key \"colour\" in [users.a]",
        "6:1: an inline password in [users.b] is refused",
        "9:17: user \"c\": password_file \"missing-file\": cannot be read: entity not found",
        "13:12: rule 1 is a pattern rule (for every user) and cannot have a username",
        "19:11: rule 2: pattern '#' must be the last level",
        "20:8: read in rule 2 must be true or false, found a string",
        "22:1: user \"ghost\" of topic rule \"g\" of user \"ghost\" is neither in the file nor on the server",
        "27:1: a second topic rule \"g\" of user \"ghost\" (the first is at line 22)",
        "27:1: user \"ghost\" of topic rule \"g\" of user \"ghost\" is neither in the file nor on the server",
    ];
    assert_eq!(lines.len(), expected.len() + 1, "{result:?}");
    for (line, expected) in lines.iter().zip(expected) {
        assert!(
            line.starts_with(&format!("{shown}:{expected}")),
            "{line:?} should start with {expected:?}\n{result:?}"
        );
    }
    assert_eq!(
        lines[expected.len()],
        format!("cloudmqtt: {shown}: 9 problems found; nothing was sent")
    );
    assert!(setup.users().is_empty());
}

#[test]
fn plan_needs_no_password_and_apply_only_those_it_sends() {
    let setup = Setup::start();
    let mut command = setup.cli(&["users", "create", "old", "--password-stdin"]);
    command.args(["--wait"]);
    run(command, "old-password\n").expect_code(0);
    let exported = setup.run(&["export"]);
    exported.expect_code(0);
    let file = setup.file(
        "access.toml",
        format!(
            "{}\n[users.new]\npassword_env = \"NEW_PW_7A\"\n",
            exported.stdout
        ),
    );
    // The exported user's variable is unset: plan needs it for nothing.
    let plan = setup.run(&["plan", "-f", path(&file)]);
    plan.expect_code(0);
    assert!(plan.stdout.contains("+ user new\n"), "{plan:?}");
    assert!(
        plan.stdout
            .contains("Apply needs these passwords, which cannot be had now:\n"),
        "{plan:?}"
    );
    assert!(
        plan.stdout
            .contains(": user \"new\": environment variable NEW_PW_7A: is not set"),
        "{plan:?}"
    );
    assert!(!plan.stdout.contains("CLOUDMQTT_PASSWORD_OLD"), "{plan:?}");
    let json = setup.run(&["plan", "-f", path(&file), "--json"]);
    json.expect_code(0);
    let missing = json.json()["missing_passwords"].clone();
    assert_eq!(missing.as_array().map(Vec::len), Some(1), "{json:?}");

    // Apply refuses before its first request.
    let apply = setup.run(&["apply", "-f", path(&file), "--yes"]);
    apply.expect_code(2);
    assert!(
        apply
            .stderr
            .ends_with("1 password the plan sends cannot be had; nothing was sent\n"),
        "{apply:?}"
    );
    assert_eq!(setup.users(), ["old"]);

    // With the one password it sends, apply needs no other.
    let mut command = setup.cli(&["apply", "-f", path(&file), "--yes"]);
    command.env("NEW_PW_7A", "new-password");
    run(command, "").expect_code(0);
    assert_eq!(setup.users(), ["new", "old"]);
    // Setting passwords needs every one.
    let plan = setup.run(&["plan", "-f", path(&file), "--set-passwords"]);
    plan.expect_code(0);
    assert!(
        plan.stdout.contains("CLOUDMQTT_PASSWORD_OLD: is not set"),
        "{plan:?}"
    );
}

#[test]
fn a_password_file_gives_its_first_line_and_refuses_control_characters() {
    let setup = Setup::start();
    setup.file("first-line", "first-line-pw\r\nsecond line\n");
    setup.file("blank-first", "\n\nSECRET-AFTER-BLANK");
    setup.file("control", "con\u{1}trol-SECRET\n");
    setup.file("nul", "nul\0SECRET\n");
    let file = setup.file(
        "access.toml",
        concat!(
            "[users.one]\npassword_file = \"first-line\"\n\n",
            "[users.two]\npassword_file = \"blank-first\"\n\n",
            "[users.three]\npassword_file = \"control\"\n\n",
            "[users.four]\npassword_file = \"nul\"\n",
        ),
    );
    let result = setup.run(&["apply", "-f", path(&file), "--yes"]);
    result.expect_code(2);
    let shown = file.display().to_string();
    for expected in [
        ":5:17: user \"two\": password_file \"blank-first\": holds no valid password: must not be empty",
        ":8:17: user \"three\": password_file \"control\": holds a control character",
        ":11:17: user \"four\": password_file \"nul\": holds a NUL byte",
    ] {
        assert!(
            result.stderr.contains(&format!("{shown}{expected}\n")),
            "{expected}\n{result:?}"
        );
    }
    assert!(!result.all_output().contains("SECRET"), "{result:?}");
    assert!(setup.users().is_empty());

    // The first line alone is the password.
    let file = setup.file("one.toml", "[users.one]\npassword_file = \"first-line\"\n");
    setup
        .run(&["apply", "-f", path(&file), "--yes", "--wait-timeout", "30"])
        .expect_code(0);
    let info = setup.run(&["users", "get", "one", "--json"]);
    info.expect_code(0);
    assert_eq!(setup.users(), ["one"]);
}

#[test]
fn acl_delete_refuses_what_acl_create_refuses() {
    // Nothing listens here: a refused argument never reaches a server.
    let deep = "a/".repeat(5000) + "b";
    for args in [
        vec![
            "acl",
            "create",
            "--type",
            "topic",
            "--user",
            "alice",
            "--pattern",
            &deep,
            "--read",
        ],
        vec![
            "acl", "delete", "--type", "topic", "--user", "alice", "--topic", &deep,
        ],
    ] {
        let result = run(against("http://127.0.0.1:9/api", KEY, &args), "");
        result.expect_code(2);
        assert!(
            result.stderr.contains("must have at most 201 levels"),
            "{result:?}"
        );
    }
}

/// Every form a password can take in output: as is, JSON-escaped (both
/// ways of writing a non-ASCII character), form- and percent-encoded.
fn forms(password: &str) -> Vec<String> {
    let json = serde_json::to_string(password).unwrap();
    let json = json.trim_matches('"').to_owned();
    let ascii_json: String = password
        .chars()
        .map(|c| match c {
            '"' => "\\\"".to_owned(),
            c if c.is_ascii() => c.to_string(),
            c => format!("\\u{:04x}", c as u32),
        })
        .collect();
    let percent: String = password
        .bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect();
    let form = percent.replace("%20", "+");
    vec![password.to_owned(), json, ascii_json, percent, form]
}

#[test]
fn apply_with_debug_and_json_shows_no_password_from_any_source() {
    let env_password = "env\"SECRET/é 1";
    let file_password = "file\"SECRET/ü+2";
    for encoding in ["json", "form"] {
        let setup = Setup::start();
        setup.file("pw", format!("{file_password}\nsecond line\n"));
        let file = setup.file(
            "access.toml",
            "[users.from-env]\npassword_env = \"ENV_PW_3C\"\n\n[users.from-file]\npassword_file = \"pw\"\n",
        );
        let mut command = setup.cli(&[
            "apply",
            "-f",
            path(&file),
            "--yes",
            "--set-passwords",
            "--debug",
            "--json",
            "--encoding",
            encoding,
        ]);
        command.env("ENV_PW_3C", env_password);
        let result = run(command, "");
        result.expect_code(0);
        assert_eq!(setup.users(), ["from-env", "from-file"]);
        // The passwords went out: the trace shows their requests.
        assert!(result.stderr.contains("> body: "), "{result:?}");
        assert!(result.stderr.contains("[redacted]"), "{result:?}");
        let output = result.all_output();
        for password in [env_password, file_password] {
            for form in forms(password) {
                assert!(!output.contains(&form), "{encoding}: {form:?} in\n{output}");
            }
            assert!(!output.contains("SECRET"), "{encoding}: {output}");
        }
        // Redaction leaves the rest of each line as it was.
        assert!(
            result.stderr.contains("cloudmqtt: debug: POST "),
            "{result:?}"
        );
        // Attempts are numbered per request: with no fault, each request
        // went out once, whatever went out between; no line speaks of a
        // poll before a request that is no poll.
        let attempts: Vec<&str> = result
            .stderr
            .lines()
            .filter(|line| line.contains(" attempt "))
            .collect();
        assert!(attempts.len() >= 4, "{result:?}");
        for line in &attempts {
            assert!(line.contains(" attempt 1: "), "{line}\n{result:?}");
        }
        assert!(!result.stderr.contains("no wait"), "{result:?}");
        // Each wait names what it waits for.
        assert!(
            result
                .stderr
                .contains(" s: apply: waiting for the 2 new users to show\n"),
            "{result:?}"
        );
    }
}
