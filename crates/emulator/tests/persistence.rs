//! State survives `kill -9` and a restart: nothing acknowledged is lost,
//! pending changes still apply, and the file is never torn.

mod common;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::Duration;

use common::{Body, Emulator, can_connect, process_alive};
use serde_json::json;

const KEY: &str = "persist-key";

#[test]
fn users_rules_and_pending_changes_survive_kill_9() {
    common::require_broker_tools();
    // First run: erin and her rule applied at once, then a clean stop.
    let setup = Emulator::start(&["--apply-delay-ms", "0", "--api-key", KEY]);
    setup.create_user("erin", "erin-pw");
    setup.create_rule("topic", Some("erin"), "erin/#", true, true);
    let (scratch, data_dir) = setup.into_scratch();

    // Second run: changes fall due in ten minutes, so the create it
    // acknowledges is still pending when it dies, however loaded the machine.
    let mut first = Emulator::start_in(
        scratch,
        data_dir,
        &["--apply-delay-ms", "600000", "--api-key", KEY],
    );
    first.mqtt();
    let reply = first.call(
        "POST",
        "/user",
        Some(Body::Json(
            json!({"username": "frank", "password": "frank-pw"}),
        )),
    );
    assert_eq!(reply.status, 204);
    assert_eq!(first.call("GET", "/user/frank", None).status, 404);
    let broker = first.broker_pid();
    let status = first.signal_and_wait("KILL");
    assert!(!status.success());
    // The broker goes with it.
    first.wait_until("the old broker to die", || !process_alive(broker));

    // Time passes: the pending create falls due (its due time is moved to
    // the past in the saved state, which is what ten minutes would do).
    let (scratch, data_dir) = first.into_scratch();
    let state_file = data_dir.join("state.json");
    let mut state: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&state_file).unwrap()).unwrap();
    let pending = state["pending"].as_array_mut().unwrap();
    assert_eq!(pending.len(), 1, "{pending:?}");
    assert_eq!(pending[0]["change"]["username"], "frank", "{pending:?}");
    pending[0]["due_unix_ms"] = json!(0);
    std::fs::write(&state_file, serde_json::to_vec(&state).unwrap()).unwrap();

    let second = Emulator::start_in(
        scratch,
        data_dir,
        &["--apply-delay-ms", "0", "--api-key", KEY],
    );
    let port = second.mqtt();
    assert_eq!(
        second.call("GET", "/user/erin", None).json(),
        json!({"username": "erin", "acls": [{"topic": "erin/#", "read": true, "write": true}]})
    );
    assert!(can_connect(port, "erin", "erin-pw"));
    second.wait_user("frank", true);
    assert!(can_connect(port, "frank", "frank-pw"));
}

#[test]
fn a_kill_at_any_moment_loses_nothing_acknowledged() {
    let args = ["--no-broker", "--apply-delay-ms", "0", "--api-key", KEY];
    let mut emulator = Emulator::start(&args);
    for round in 0..3u64 {
        let acknowledged = Arc::new(Mutex::new(Vec::new()));
        let stop = Arc::new(AtomicBool::new(false));
        let api = emulator.api;
        let writer = {
            let acknowledged = Arc::clone(&acknowledged);
            let stop = Arc::clone(&stop);
            thread::spawn(move || {
                let mut index = 0;
                while !stop.load(Ordering::SeqCst) {
                    let name = format!("r{round}-u{index}");
                    index += 1;
                    let body = format!(r#"{{"username":"{name}","password":"pw"}}"#);
                    let request = format!(
                        "POST /api/user HTTP/1.1\r\nHost: x\r\nConnection: close\r\nAuthorization: {}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
                        common::basic(KEY),
                        body.len()
                    );
                    match common::raw(api, request.as_bytes()) {
                        Ok(reply) if reply.status == 204 => {
                            acknowledged.lock().unwrap().push(name);
                        }
                        Ok(reply) => panic!("unexpected {}: {}", reply.status, reply.text()),
                        // The emulator died mid-request: not acknowledged.
                        Err(_) => break,
                    }
                }
            })
        };
        thread::sleep(Duration::from_millis(150 + 70 * round));
        emulator.signal_and_wait("KILL");
        stop.store(true, Ordering::SeqCst);
        writer.join().unwrap();
        let acknowledged = acknowledged.lock().unwrap().clone();
        assert!(!acknowledged.is_empty(), "round {round} wrote nothing");

        let (scratch, data_dir) = emulator.into_scratch();
        // The state file is whole JSON (the emulator would refuse to start
        // otherwise), and no temporary file is mistaken for it.
        let state: serde_json::Value =
            serde_json::from_slice(&std::fs::read(data_dir.join("state.json")).unwrap()).unwrap();
        assert_eq!(state["version"], 1);
        emulator = Emulator::start_in(scratch, data_dir, &args);
        let listed = emulator.call("GET", "/user?limit=1000", None).json();
        let listed: Vec<&str> = listed
            .as_array()
            .unwrap()
            .iter()
            .map(|user| user["username"].as_str().unwrap())
            .collect();
        for name in &acknowledged {
            assert!(
                listed.contains(&name.as_str()),
                "round {round}: {name} was acknowledged but is lost"
            );
        }
    }
}

#[test]
fn a_corrupt_state_file_stops_the_start_instead_of_losing_data() {
    let scratch = tempfile::tempdir().unwrap();
    let data_dir = scratch.path().join("data");
    std::fs::create_dir_all(&data_dir).unwrap();
    std::fs::write(data_dir.join("state.json"), b"{\"version\": 1, \"appl").unwrap();
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_cloudmqtt-emulator"))
        .arg("--no-broker")
        .arg("--data-dir")
        .arg(&data_dir)
        .output()
        .unwrap();
    assert!(!output.status.success());
    assert!(output.stdout.is_empty(), "no ready line");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("is not a valid state file"), "{stderr}");
    // The file is left for the user to inspect.
    assert_eq!(
        std::fs::read(data_dir.join("state.json")).unwrap(),
        b"{\"version\": 1, \"appl"
    );
}

#[test]
fn a_second_emulator_on_the_same_data_directory_is_refused() {
    let first = Emulator::start(&["--no-broker", "--apply-delay-ms", "0", "--api-key", KEY]);
    first.create_user("kept", "pw");
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_cloudmqtt-emulator"))
        .arg("--data-dir")
        .arg(&first.data_dir)
        .args(["--no-broker", "--api-key", KEY])
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    assert!(output.stdout.is_empty(), "no ready line");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains(&format!(
            "{} is in use by another emulator (process {})",
            first.data_dir.display(),
            first.pid()
        )) && stderr.contains("choose another --data-dir"),
        "{stderr}"
    );
    // The first one is unharmed and keeps its state.
    assert_eq!(first.call("GET", "/user/kept", None).status, 200);
}
