//! Usage errors: every flag or variable whose value cannot work ends the
//! binary with status 2 and a message naming what was given (the flag, or
//! the variable it came from), before anything is written or started.

use std::path::Path;
use std::process::{Command, Stdio};

/// Runs the binary with these arguments and only these
/// `CLOUDMQTT_EMULATOR_*` variables; returns its status and standard
/// error.
fn run(args: &[&str], env: &[(&str, &str)]) -> (Option<i32>, String) {
    let mut command = Command::new(env!("CARGO_BIN_EXE_cloudmqtt-emulator"));
    for (name, _) in std::env::vars_os() {
        if name.to_string_lossy().starts_with("CLOUDMQTT_EMULATOR_") {
            command.env_remove(name);
        }
    }
    let output = command
        .args(args)
        .envs(env.iter().copied())
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert!(
        output.stdout.is_empty(),
        "no ready line for {args:?} {env:?}"
    );
    (
        output.status.code(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

fn names(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

#[test]
fn a_data_dir_that_holds_other_files_is_refused_untouched() {
    let scratch = tempfile::tempdir().unwrap();
    let other = scratch.path().join("etc");
    std::fs::create_dir(&other).unwrap();
    std::fs::write(other.join("passwd"), "root:x:0:0::/root:/bin/sh\n").unwrap();
    std::fs::write(other.join("hosts"), "127.0.0.1 localhost\n").unwrap();
    let shown = other.display().to_string();
    for (args, env, named) in [
        (
            vec!["--no-broker", "--data-dir", shown.as_str()],
            vec![],
            "--data-dir",
        ),
        (
            vec!["--no-broker"],
            vec![("CLOUDMQTT_EMULATOR_DATA_DIR", shown.as_str())],
            "CLOUDMQTT_EMULATOR_DATA_DIR",
        ),
    ] {
        let (code, stderr) = run(&args, &env);
        assert_eq!(code, Some(2), "{stderr}");
        assert!(
            stderr.contains(&format!("{named}: {shown} is not empty"))
                && stderr.contains("is not an emulator's data directory")
                && stderr.contains("Give a new or empty directory"),
            "{stderr}"
        );
        assert_eq!(names(&other), ["hosts", "passwd"], "nothing written");
    }
    // A file is no directory.
    let file = other.join("hosts").display().to_string();
    let (code, stderr) = run(&["--no-broker", "--data-dir", &file], &[]);
    assert_eq!(code, Some(2), "{stderr}");
    assert!(stderr.contains("is not a directory"), "{stderr}");
}

#[test]
fn every_bad_flag_exits_2_naming_the_flag() {
    let scratch = tempfile::tempdir().unwrap();
    let data = scratch.path().join("data").display().to_string();
    let missing = scratch.path().join("missing.toml").display().to_string();
    for (args, named) in [
        (&["--api-key", ""][..], "--api-key: "),
        (&["--api-key", "a\u{1}b"], "--api-key: "),
        (&["--api-key", "a b"], "--api-key: "),
        (&["--fail-rate", "2"], "--fail-rate"),
        (&["--rate-limit", "0"], "--rate-limit"),
        (&["--listen", "nowhere"], "--listen"),
        (&["--mqtt-listen", "somewhere"], "--mqtt-listen"),
        (
            &["--mqtt-listen", "127.0.0.1:1", "--mqtt-port", "2"],
            "--mqtt-listen 127.0.0.1:1 and --mqtt-port 2 name different ports",
        ),
        (
            &["--mosquitto", "/nonexistent/mosquitto"],
            "--mosquitto /nonexistent/mosquitto: ",
        ),
        (&["--from", &missing], "--from: cannot read"),
        (&["--no-such-flag"], "--no-such-flag"),
    ] {
        let mut all = vec!["--data-dir", data.as_str()];
        all.extend_from_slice(args);
        let (code, stderr) = run(&all, &[]);
        assert_eq!(code, Some(2), "{args:?}: {stderr}");
        assert!(stderr.contains(named), "{args:?}: {stderr}");
    }
}

#[test]
fn a_bad_variable_exits_2_naming_the_variable_not_the_flag() {
    let scratch = tempfile::tempdir().unwrap();
    let data = scratch.path().join("data").display().to_string();
    let missing = scratch.path().join("missing.toml").display().to_string();
    for (variable, value, flag) in [
        ("NO_BROKER", "maybe", "--no-broker"),
        ("API_KEY", "", "--api-key"),
        ("API_KEY", "a b", "--api-key"),
        ("LISTEN", "nowhere", "--listen"),
        ("MQTT_PORT", "70000", "--mqtt-port"),
        ("MQTT_LISTEN", "somewhere", "--mqtt-listen"),
        ("MOSQUITTO", "/nonexistent/mosquitto", "--mosquitto"),
        ("APPLY_DELAY_MS", "86400001", "--apply-delay-ms"),
        ("RATE_LIMIT", "0", "--rate-limit"),
        ("FAIL_RATE", "2", "--fail-rate"),
        ("LATENCY_MS", "soon", "--latency-ms"),
        ("SEED", "-1", "--seed"),
        ("CORS_ORIGIN", "ftp://x", "--cors-origin"),
        ("FROM", &missing, "--from"),
    ] {
        let variable = format!("CLOUDMQTT_EMULATOR_{variable}");
        let (code, stderr) = run(&["--data-dir", &data], &[(&variable, value)]);
        assert_eq!(code, Some(2), "{variable}={value:?}: {stderr}");
        assert!(stderr.contains(&variable), "{variable}={value:?}: {stderr}");
        assert!(!stderr.contains(flag), "{variable}={value:?}: {stderr}");
    }
    // A variable that clashes with a flag: each is named as it was given.
    let (code, stderr) = run(
        &["--data-dir", &data, "--mqtt-listen", "127.0.0.1:1"],
        &[("CLOUDMQTT_EMULATOR_MQTT_PORT", "2")],
    );
    assert_eq!(code, Some(2), "{stderr}");
    assert!(
        stderr.contains("--mqtt-listen 127.0.0.1:1 and CLOUDMQTT_EMULATOR_MQTT_PORT 2"),
        "{stderr}"
    );
    let (code, stderr) = run(
        &["--data-dir", &data, "--mosquitto", "/bin/true"],
        &[("CLOUDMQTT_EMULATOR_NO_BROKER", "1")],
    );
    assert_eq!(code, Some(2), "{stderr}");
    assert!(
        stderr.contains("'CLOUDMQTT_EMULATOR_NO_BROKER'")
            && stderr.contains("'--mosquitto <PATH>'"),
        "{stderr}"
    );
    // A flag on the command line wins: its variable is not read, bad or not.
    let (code, stderr) = run(
        &["--data-dir", &data, "--fail-rate", "3"],
        &[("CLOUDMQTT_EMULATOR_FAIL_RATE", "2")],
    );
    assert_eq!(code, Some(2), "{stderr}");
    assert!(stderr.contains("'3' for '--fail-rate"), "{stderr}");
}
