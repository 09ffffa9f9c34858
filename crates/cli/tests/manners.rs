//! Terminal manners: no prompt or spinner with `TERM=dumb` or off a
//! terminal, no colour with `NO_COLOR`; `--help` and `cloudmqtt man`.

mod common;

use common::{Reply, Stub, Terminal, cloudmqtt, run};

const KEY: &str = "key-for-manners-5e1a";
const PASSWORD: &str = "manners-pw-77d1";

fn start(stub: &Stub, extra: &[(&str, &str)], args: &[&str]) -> Terminal {
    let base_url = stub.base_url();
    let mut env = vec![
        ("CLOUDMQTT_API_KEY", KEY),
        ("CLOUDMQTT_BASE_URL", base_url.as_str()),
    ];
    env.extend_from_slice(extra);
    Terminal::start(&env, args)
}

#[test]
fn a_dumb_terminal_gets_no_prompt() {
    let stub = Stub::start([Reply::new(200, "")]);
    let terminal = start(&stub, &[("TERM", "dumb")], &["instance", "reset"]);
    let (code, screen) = terminal.finish();
    assert_eq!(code, 2, "{screen:?}");
    assert!(!screen.contains("[y/N]"), "{screen:?}");
    assert!(
        screen.contains("refusing to reset without --yes with TERM=dumb"),
        "{screen:?}"
    );
    let terminal = start(&stub, &[("TERM", "dumb")], &["users", "create", "bob"]);
    let (code, screen) = terminal.finish();
    assert_eq!(code, 2, "{screen:?}");
    assert!(!screen.contains("Password: "), "{screen:?}");
    assert!(stub.requests().is_empty());
}

#[test]
fn a_dumb_terminal_gets_no_spinner() {
    let stub = Stub::start([
        Reply::new(200, ""),
        Reply::new(404, ""),
        Reply::new(200, r#"{"username":"alice","acls":[]}"#),
    ]);
    let mut terminal = start(
        &stub,
        &[("TERM", "dumb")],
        &[
            "users",
            "create",
            "alice",
            "--password-stdin",
            "--wait",
            "--wait-interval",
            "0.3",
        ],
    );
    // No prompt either: the password is read without one. (Whether it
    // echoes is not checked here: without a prompt the test cannot know
    // when echo is off, and the terminal echoes what is typed before.)
    terminal.type_text(&format!("{PASSWORD}\n"));
    let (code, screen) = terminal.finish();
    assert_eq!(code, 0, "{screen:?}");
    assert!(screen.contains("created user \"alice\""), "{screen:?}");
    assert!(!screen.contains("waiting for"), "{screen:?}");
    assert!(!screen.contains('\u{1b}'), "{screen:?}");
    assert!(!screen.contains("Password: "), "{screen:?}");
    assert_eq!(stub.requests().len(), 3);
}

#[test]
fn no_color_turns_colour_off() {
    // On a capable terminal clap colours the help; NO_COLOR stops it.
    let (code, screen) = Terminal::start(&[], &["--help"]).finish();
    assert_eq!(code, 0);
    assert!(
        screen.contains("\u{1b}["),
        "coloured without NO_COLOR: {screen:?}"
    );
    let (code, screen) = Terminal::start(&[("NO_COLOR", "1")], &["--help"]).finish();
    assert_eq!(code, 0);
    assert!(screen.contains("Usage:"), "{screen:?}");
    assert!(!screen.contains('\u{1b}'), "{screen:?}");
    let (_, screen) = Terminal::start(&[("NO_COLOR", "1")], &["users", "--nope"]).finish();
    assert!(screen.contains("cloudmqtt: "), "{screen:?}");
    assert!(!screen.contains('\u{1b}'), "{screen:?}");
}

#[test]
fn man_writes_a_manual_page() {
    let result = run(cloudmqtt().arg("man"), "");
    result.expect_code(0);
    assert!(
        result.stdout.starts_with(".ie"),
        "{}",
        &result.stdout[..200.min(result.stdout.len())]
    );
    assert!(
        result.stdout.contains(".TH cloudmqtt 1"),
        "{}",
        result.stdout
    );
    for word in [
        "users",
        "acl",
        "instance",
        "profiles",
        "\\-\\-debug",
        "\\-\\-profile",
    ] {
        assert!(result.stdout.contains(word), "{word}");
    }
    assert_eq!(result.stderr, "");
}

#[test]
fn the_manual_refers_to_no_page_it_lacks() {
    let result = run(cloudmqtt().arg("man"), "");
    result.expect_code(0);
    let page = &result.stdout;
    // There are no pages per command: the commands are described here.
    assert!(!page.contains("(1)"), "{page}");
    for command in [
        "cloudmqtt users list",
        "cloudmqtt users set\\-password",
        "cloudmqtt acl check",
        "cloudmqtt profiles remove",
        "cloudmqtt apply",
    ] {
        assert!(page.contains(command), "{command}: {page}");
    }
    assert!(!page.contains("cloudmqtt help"), "{page}");
}

#[test]
fn the_manual_lists_the_environment_and_the_exit_status() {
    let result = run(cloudmqtt().arg("man"), "");
    result.expect_code(0);
    let page = &result.stdout;
    let section = |name: &str| {
        let start = page
            .find(&format!(".SH {name}\n"))
            .unwrap_or_else(|| panic!("no {name} section: {page}"));
        let rest = &page[start + 4..];
        rest[..rest.find("\n.SH ").unwrap_or(rest.len())].to_owned()
    };
    let environment = section("ENVIRONMENT");
    for variable in [
        "CLOUDMQTT_API_KEY",
        "CLOUDMQTT_BASE_URL",
        "CLOUDMQTT_PROFILE",
        "CLOUDMQTT_DEBUG",
        "CLOUDMQTT_PASSWORD_",
        "XDG_CONFIG_HOME",
        "HOME",
        "TERM",
        "NO_COLOR",
        "HTTPS_PROXY",
        "NO_PROXY",
    ] {
        assert!(environment.contains(variable), "{variable}: {environment}");
    }
    let exit = section("EXIT STATUS");
    for words in [
        "access denied",
        "acl lint",
        "plan \\-\\-exit\\-code",
        "not found",
    ] {
        assert!(exit.contains(words), "{words}: {exit}");
    }
}

#[test]
fn help_names_variables_without_their_values() {
    let unset = run(cloudmqtt().arg("--help"), "");
    unset.expect_code(0);
    for shown in [
        "[env: CLOUDMQTT_PROFILE]",
        "[env: CLOUDMQTT_DEBUG]",
        "[env: CLOUDMQTT_BASE_URL]",
    ] {
        assert!(unset.stdout.contains(shown), "{shown}: {}", unset.stdout);
    }
    assert!(!unset.stdout.contains("=]"), "{}", unset.stdout);
    let set = run(
        cloudmqtt()
            .arg("--help")
            .env("CLOUDMQTT_PROFILE", "staging-7c1d")
            .env("CLOUDMQTT_DEBUG", "1"),
        "",
    );
    set.expect_code(0);
    assert!(!set.stdout.contains("staging-7c1d"), "{}", set.stdout);
    assert!(
        set.stdout.contains("[env: CLOUDMQTT_DEBUG]"),
        "{}",
        set.stdout
    );
}

#[test]
fn help_lists_every_exit_code() {
    let help = run(cloudmqtt().arg("--help"), "");
    help.expect_code(0);
    let text = help.stdout.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(
        text.contains("changes (plan --exit-code)"),
        "{}",
        help.stdout
    );
}

#[test]
fn profiles_add_asks_for_the_key_without_echo() {
    let home = tempfile::tempdir().unwrap();
    let home_path = home.path().to_str().unwrap();
    let mut terminal = Terminal::start(
        &[("XDG_CONFIG_HOME", home_path)],
        &["profiles", "add", "typed", "--api-key-stdin"],
    );
    terminal.expect("API key: ");
    terminal.type_text(&format!("{KEY}\n"));
    let (code, screen) = terminal.finish();
    assert_eq!(code, 0, "{screen:?}");
    assert!(!screen.contains(KEY), "{screen:?}");
    assert!(screen.contains("added profile \"typed\""), "{screen:?}");
    let stored = std::fs::read_to_string(home.path().join("cloudmqtt/typed.key")).unwrap();
    assert_eq!(stored, format!("{KEY}\n"));
}
