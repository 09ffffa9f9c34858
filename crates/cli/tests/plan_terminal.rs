//! `cloudmqtt apply` on a terminal: it shows the plan and asks; a no sends
//! nothing beyond the reads the plan needs.

mod common;

use common::{Reply, Stub, Terminal};

const KEY: &str = "key-on-a-terminal-71aa";

#[test]
fn apply_shows_the_plan_and_a_no_changes_nothing() {
    let stub = Stub::start([Reply::new(200, "[]"), Reply::new(200, "[]")]);
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("access.toml");
    std::fs::write(
        &file,
        "[users.sensor-1]\npassword_env = \"SENSOR_PW_TERMINAL\"\n\n[[rules]]\ntype = \"pattern\"\npattern = \"home/%u/#\"\nread = true\nwrite = true\n",
    )
    .unwrap();
    let base = stub.base_url();
    let env = [
        ("CLOUDMQTT_API_KEY", KEY),
        ("CLOUDMQTT_BASE_URL", base.as_str()),
        ("SENSOR_PW_TERMINAL", "terminal-secret-5"),
    ];
    let mut terminal = Terminal::start(&env, &["apply", "-f", file.to_str().unwrap()]);
    terminal.expect("Apply these changes? [y/N] ");
    terminal.type_text("n\n");
    let (code, screen) = terminal.finish();
    assert_eq!(code, 2, "{screen:?}");
    assert!(screen.contains("+ user sensor-1"), "{screen:?}");
    assert!(
        screen.contains("+ rule pattern home/%u/# read+write"),
        "{screen:?}"
    );
    assert!(
        screen.contains("Plan: 2 to create, 0 to replace, 0 to delete."),
        "{screen:?}"
    );
    assert!(
        screen.contains("apply not confirmed; nothing was sent"),
        "{screen:?}"
    );
    assert!(!screen.contains("terminal-secret-5"), "{screen:?}");
    let targets: Vec<String> = stub.requests().into_iter().map(|r| r.target).collect();
    assert_eq!(targets, ["/api/user?limit=1000&page=1", "/api/acl"]);
}
