//! The binary on a terminal: the reset confirmation, the password prompt
//! and `--password-stdin` that do not echo, and the progress shown while
//! `--wait` polls.

mod common;

use common::{Reply, Stub, Terminal};

const KEY: &str = "key-on-a-terminal-0b9d";
const PASSWORD: &str = "typed-pw-c4e2";

fn env(stub: &Stub) -> Vec<(&'static str, String)> {
    vec![
        ("CLOUDMQTT_API_KEY", KEY.to_owned()),
        ("CLOUDMQTT_BASE_URL", stub.base_url()),
    ]
}

fn start(stub: &Stub, args: &[&str]) -> Terminal {
    let env = env(stub);
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    Terminal::start(&env, args)
}

#[test]
fn reset_asks_and_a_no_sends_nothing() {
    let stub = Stub::start([Reply::new(200, "")]);
    let mut terminal = start(&stub, &["instance", "reset"]);
    terminal.expect("Reset the instance? [y/N] ");
    terminal.type_text("n\n");
    let (code, screen) = terminal.finish();
    assert_eq!(code, 2, "{screen:?}");
    assert!(
        screen.contains("reset not confirmed; nothing was sent"),
        "{screen:?}"
    );
    assert!(stub.requests().is_empty());
}

#[test]
fn reset_asks_and_a_yes_resets() {
    let stub = Stub::start([Reply::new(200, "")]);
    let mut terminal = start(&stub, &["instance", "reset"]);
    terminal.expect("Reset the instance? [y/N] ");
    terminal.type_text("yes\n");
    let (code, screen) = terminal.finish();
    assert_eq!(code, 0, "{screen:?}");
    assert!(screen.contains("reset requested"), "{screen:?}");
    let requests = stub.requests();
    assert_eq!(requests.len(), 1);
    assert_eq!(requests[0].target, "/api/instance/reset");
}

#[test]
fn an_unreadable_answer_is_a_usage_error() {
    let stub = Stub::start([Reply::new(200, "")]);
    let mut terminal = start(&stub, &["instance", "reset"]);
    terminal.expect("Reset the instance? [y/N] ");
    terminal.type_bytes(b"y\xff\xfe\n");
    let (code, screen) = terminal.finish();
    assert_eq!(code, 2, "{screen:?}");
    assert!(
        screen.contains("cloudmqtt: cannot read the answer: "),
        "{screen:?}"
    );
    assert!(!screen.contains("cannot write output"), "{screen:?}");
    assert!(stub.requests().is_empty());
}

#[test]
fn password_stdin_on_a_terminal_does_not_echo() {
    let stub = Stub::start([Reply::new(200, "{}")]);
    let mut terminal = start(
        &stub,
        &["users", "set-password", "alice", "--password-stdin"],
    );
    terminal.expect("Password: ");
    terminal.type_text(&format!("{PASSWORD}\n"));
    let (code, screen) = terminal.finish();
    assert_eq!(code, 0, "{screen:?}");
    assert!(
        !screen.contains(PASSWORD),
        "the password was shown: {screen:?}"
    );
    assert!(
        screen.contains("set the password of user \"alice\""),
        "{screen:?}"
    );
    assert_eq!(
        stub.requests()[0].body_text(),
        format!(r#"{{"password":"{PASSWORD}"}}"#)
    );
}

#[test]
fn the_password_prompt_does_not_echo() {
    let stub = Stub::start([Reply::new(200, "")]);
    let mut terminal = start(&stub, &["users", "create", "alice"]);
    terminal.expect("Password: ");
    terminal.type_text(&format!("{PASSWORD}\n"));
    terminal.expect("Repeat password: ");
    terminal.type_text(&format!("{PASSWORD}\n"));
    let (code, screen) = terminal.finish();
    assert_eq!(code, 0, "{screen:?}");
    assert!(
        !screen.contains(PASSWORD),
        "the password was shown: {screen:?}"
    );
    assert!(!screen.contains(KEY), "{screen:?}");
    assert_eq!(
        stub.requests()[0].body_text(),
        format!(r#"{{"username":"alice","password":"{PASSWORD}"}}"#)
    );
}

#[test]
fn passwords_that_differ_are_refused() {
    let stub = Stub::start([]);
    let mut terminal = start(&stub, &["users", "set-password", "alice"]);
    terminal.expect("Password: ");
    terminal.type_text("one\n");
    terminal.expect("Repeat password: ");
    terminal.type_text("two\n");
    let (code, screen) = terminal.finish();
    assert_eq!(code, 2, "{screen:?}");
    assert!(screen.contains("the passwords do not match"), "{screen:?}");
    assert!(stub.requests().is_empty());
}

#[test]
fn wait_shows_progress_on_a_terminal_and_clears_it() {
    let stub = Stub::start([
        Reply::new(200, ""),
        Reply::new(404, ""),
        Reply::new(404, ""),
        Reply::new(200, r#"{"username":"alice","acls":[]}"#),
    ]);
    let mut terminal = start(
        &stub,
        &[
            "users",
            "create",
            "alice",
            "--wait",
            "--wait-interval",
            "0.3",
        ],
    );
    terminal.expect("Password: ");
    terminal.type_text(&format!("{PASSWORD}\n"));
    terminal.expect("Repeat password: ");
    terminal.type_text(&format!("{PASSWORD}\n"));
    let (code, screen) = terminal.finish();
    assert_eq!(code, 0, "{screen:?}");
    assert!(
        screen.contains("waiting for user \"alice\" to exist (0s)"),
        "{screen:?}"
    );
    let cleared = screen
        .rfind("\r\x1b[2K")
        .expect("the progress line is cleared");
    assert!(
        screen[cleared..].contains("created user \"alice\""),
        "{screen:?}"
    );
    assert_eq!(stub.requests().len(), 4);
}
