//! Profiles: `profiles add|list|remove`, `--profile` / `CLOUDMQTT_PROFILE`,
//! each key source, and the precedence flag > environment > profile >
//! default.

mod common;

use std::os::unix::fs::PermissionsExt as _;
use std::path::Path;
use std::process::Command;

use common::{Reply, Stub, basic_auth, cloudmqtt, run};

const KEY: &str = "profile-key-3f9a";
const OTHER_KEY: &str = "env-key-81c2";

/// `cloudmqtt` with its config in `home`.
fn with_config(home: &Path, args: &[&str]) -> Command {
    let mut command = cloudmqtt();
    command.env("XDG_CONFIG_HOME", home).args(args);
    command
}

fn header<'a>(request: &'a common::Recorded, name: &str) -> Option<&'a str> {
    request
        .headers
        .iter()
        .find(|(key, _)| key.eq_ignore_ascii_case(name))
        .map(|(_, value)| value.as_str())
}

/// `profiles list` shows the one profile `prod` at `base_url`, without its
/// key, and marks it in use only when it is named.
fn expect_listed_without_key(home: &Path, base_url: &str) {
    let list = run(with_config(home, &["profiles", "list"]), "");
    list.expect_code(0);
    assert!(list.stdout.contains("prod"), "{}", list.stdout);
    assert!(list.stdout.contains(base_url), "{}", list.stdout);
    assert!(!list.all_output().contains(KEY));
    let list = run(with_config(home, &["profiles", "list", "--json"]), "");
    assert_eq!(
        list.json(),
        serde_json::json!([{"name": "prod", "base_url": base_url, "encoding": null,
                            "api_key_from": "file", "allow_insecure_http": false,
                            "active": false, "error": null}])
    );
    for selected in [
        with_config(home, &["--profile", "prod", "profiles", "list", "--json"]),
        {
            let mut command = with_config(home, &["profiles", "list", "--json"]);
            command.env("CLOUDMQTT_PROFILE", "prod");
            command
        },
    ] {
        assert_eq!(run(selected, "").json()[0]["active"], true);
    }
}

#[test]
fn add_list_use_and_remove_a_profile() {
    let home = tempfile::tempdir().unwrap();
    let stub = Stub::start([
        Reply::new(200, r#"[{"username":"a"}]"#),
        Reply::new(200, r#"[{"username":"b"}]"#),
    ]);
    let base_url = stub.base_url();
    run(
        with_config(
            home.path(),
            &[
                "profiles",
                "add",
                "prod",
                "--base-url",
                &base_url,
                "--api-key-stdin",
            ],
        ),
        &format!("{KEY}\n"),
    )
    .expect_code(0);
    let dir = home.path().join("cloudmqtt");
    let config = std::fs::read_to_string(dir.join("config.toml")).unwrap();
    assert!(config.contains("[profiles.prod]"), "{config}");
    assert!(config.contains("api_key_file = \"prod.key\""), "{config}");
    assert!(!config.contains(KEY), "{config}");
    let key_file = dir.join("prod.key");
    assert_eq!(
        std::fs::read_to_string(&key_file).unwrap(),
        format!("{KEY}\n")
    );
    let mode = std::fs::metadata(&key_file).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o600, "{mode:o}");

    expect_listed_without_key(home.path(), &base_url);

    // Used by --profile and by CLOUDMQTT_PROFILE.
    run(
        with_config(
            home.path(),
            &["--profile", "prod", "users", "list", "--json"],
        ),
        "",
    )
    .expect_code(0);
    run(
        with_config(home.path(), &["users", "list", "--json"]).env("CLOUDMQTT_PROFILE", "prod"),
        "",
    )
    .expect_code(0);
    let requests = stub.requests();
    assert_eq!(requests.len(), 2);
    for request in &requests {
        assert_eq!(
            header(request, "authorization"),
            Some(basic_auth(KEY).as_str())
        );
        assert_eq!(request.target, "/api/user");
    }

    // A second add of the same name needs --force.
    let again = run(
        with_config(home.path(), &["profiles", "add", "prod", "--api-key-stdin"]),
        "k2\n",
    );
    again.expect_code(2);
    assert!(again.stderr.contains("exists"), "{}", again.stderr);

    run(
        with_config(home.path(), &["profiles", "remove", "prod"]),
        "",
    )
    .expect_code(0);
    assert!(!key_file.exists());
    let config = std::fs::read_to_string(dir.join("config.toml")).unwrap();
    assert!(!config.contains("prod"), "{config}");
    let gone = run(
        with_config(home.path(), &["--profile", "prod", "users", "list"]),
        "",
    );
    gone.expect_code(2);
    assert!(
        gone.stderr.contains("no profile \"prod\""),
        "{}",
        gone.stderr
    );
    run(
        with_config(home.path(), &["profiles", "remove", "prod"]),
        "",
    )
    .expect_code(2);
}

#[test]
fn flag_beats_environment_beats_profile_beats_default() {
    let home = tempfile::tempdir().unwrap();
    let dir = home.path().join("cloudmqtt");
    std::fs::create_dir_all(&dir).unwrap();
    let profile_stub = Stub::start(vec![Reply::new(200, "[]"); 4]);
    let flag_stub = Stub::start(vec![Reply::new(200, "[]"); 2]);
    std::fs::write(dir.join("k.key"), format!("{KEY}\n")).unwrap();
    std::fs::write(
        dir.join("config.toml"),
        format!(
            "# kept\n[profiles.default]\nbase_url = \"{}\"\nencoding = \"form\"\napi_key_file = \"k.key\"\n",
            profile_stub.base_url()
        ),
    )
    .unwrap();
    let create = ["users", "create", "u", "--password-stdin"];
    // The profile named `default` applies when none is named.
    run(with_config(home.path(), &create), "pw\n").expect_code(0);
    // The environment beats the profile: key and base URL.
    run(
        with_config(home.path(), &create)
            .env("CLOUDMQTT_API_KEY", OTHER_KEY)
            .env("CLOUDMQTT_BASE_URL", flag_stub.base_url()),
        "pw\n",
    )
    .expect_code(0);
    // A flag beats the environment and the profile.
    run(
        with_config(
            home.path(),
            &["--base-url", &profile_stub.base_url(), "--encoding", "json"],
        )
        .args(create)
        .env("CLOUDMQTT_BASE_URL", flag_stub.base_url()),
        "pw\n",
    )
    .expect_code(0);
    let from_profile = profile_stub.requests();
    assert_eq!(from_profile.len(), 2);
    assert_eq!(
        header(&from_profile[0], "authorization"),
        Some(basic_auth(KEY).as_str())
    );
    assert_eq!(from_profile[0].body_text(), "username=u&password=pw");
    assert_eq!(
        from_profile[1].body_text(),
        r#"{"username":"u","password":"pw"}"#
    );
    let from_env = flag_stub.requests();
    assert_eq!(from_env.len(), 1);
    assert_eq!(
        header(&from_env[0], "authorization"),
        Some(basic_auth(OTHER_KEY).as_str())
    );
    // No profile and no key: a clear error that names the ways to give one.
    let none = run(cloudmqtt().args(["users", "list"]), "");
    none.expect_code(2);
    assert!(none.stderr.contains("no API key"), "{}", none.stderr);
    let config = std::fs::read_to_string(dir.join("config.toml")).unwrap();
    assert!(config.starts_with("# kept\n"), "{config}");
}

#[test]
fn keys_from_a_variable_or_a_command() {
    let home = tempfile::tempdir().unwrap();
    let dir = home.path().join("cloudmqtt");
    std::fs::create_dir_all(&dir).unwrap();
    let stub = Stub::start(vec![Reply::new(200, "[]"); 2]);
    std::fs::write(
        dir.join("config.toml"),
        format!(
            "[profiles.env]\nbase_url = \"{url}\"\napi_key_env = \"MY_CLOUDMQTT_KEY\"\n\
             [profiles.cmd]\nbase_url = \"{url}\"\napi_key_command = \"printf '%s\\\\n' {KEY}\"\n",
            url = stub.base_url()
        ),
    )
    .unwrap();
    run(
        with_config(home.path(), &["--profile", "env", "acl", "list"])
            .env("MY_CLOUDMQTT_KEY", OTHER_KEY),
        "",
    )
    .expect_code(0);
    run(
        with_config(home.path(), &["--profile", "cmd", "acl", "list"]),
        "",
    )
    .expect_code(0);
    let requests = stub.requests();
    assert_eq!(
        header(&requests[0], "authorization"),
        Some(basic_auth(OTHER_KEY).as_str())
    );
    assert_eq!(
        header(&requests[1], "authorization"),
        Some(basic_auth(KEY).as_str())
    );
    // The variable unset: a clear error.
    let unset = run(
        with_config(home.path(), &["--profile", "env", "acl", "list"]),
        "",
    );
    unset.expect_code(2);
    assert!(
        unset.stderr.contains("MY_CLOUDMQTT_KEY"),
        "{}",
        unset.stderr
    );
    let list = run(with_config(home.path(), &["profiles", "list"]), "");
    assert!(
        list.stdout.contains("env MY_CLOUDMQTT_KEY"),
        "{}",
        list.stdout
    );
    assert!(!list.stdout.contains(KEY), "{}", list.stdout);
}

#[test]
fn bad_configs_and_names_are_refused() {
    let home = tempfile::tempdir().unwrap();
    let dir = home.path().join("cloudmqtt");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        dir.join("config.toml"),
        "[profiles.x]\napi_key = \"inline\"\n",
    )
    .unwrap();
    let result = run(
        with_config(home.path(), &["--profile", "x", "acl", "list"]),
        "",
    );
    result.expect_code(2);
    assert!(
        result.stderr.contains("unknown key `api_key`"),
        "{}",
        result.stderr
    );
    assert!(!result.stderr.contains("inline"), "{}", result.stderr);
    let result = run(
        with_config(
            home.path(),
            &["profiles", "add", "../evil", "--api-key-stdin"],
        ),
        "k\n",
    );
    result.expect_code(2);
    assert!(
        result.stderr.contains("invalid profile name"),
        "{}",
        result.stderr
    );
    let result = run(with_config(home.path(), &["profiles", "add", "p"]), "k\n");
    result.expect_code(2);
    assert!(
        result.stderr.contains("--api-key-stdin"),
        "{}",
        result.stderr
    );
}

#[test]
fn a_broken_profile_matters_only_when_it_is_used() {
    let home = tempfile::tempdir().unwrap();
    let dir = home.path().join("cloudmqtt");
    std::fs::create_dir_all(&dir).unwrap();
    let stub = Stub::start(vec![Reply::new(200, "[]"); 3]);
    std::fs::write(dir.join("typo.key"), format!("{KEY}\n")).unwrap();
    std::fs::write(
        dir.join("config.toml"),
        format!(
            "[profiles.typo]\nbase_uri = \"{url}\"\napi_key_file = \"typo.key\"\n\
             [profiles.good]\nbase_url = \"{url}\"\napi_key_env = \"GOOD_KEY\"\n",
            url = stub.base_url()
        ),
    )
    .unwrap();
    // Unused, it is in nobody's way: not with flags, not for another profile.
    run(
        with_config(
            home.path(),
            &["--base-url", &stub.base_url(), "acl", "list"],
        )
        .env("CLOUDMQTT_API_KEY", KEY),
        "",
    )
    .expect_code(0);
    run(
        with_config(home.path(), &["--profile", "good", "acl", "list"]).env("GOOD_KEY", KEY),
        "",
    )
    .expect_code(0);
    // Used, its problem is the error.
    let used = run(
        with_config(home.path(), &["--profile", "typo", "acl", "list"])
            .env("CLOUDMQTT_API_KEY", KEY),
        "",
    );
    used.expect_code(2);
    assert!(
        used.stderr
            .contains("[profiles.typo]: unknown key `base_uri`"),
        "{}",
        used.stderr
    );
    // Listed with its problem, beside the good one.
    let list = run(with_config(home.path(), &["profiles", "list"]), "");
    list.expect_code(0);
    assert!(
        list.stdout.contains("typo invalid: unknown key `base_uri`"),
        "{}",
        list.stdout
    );
    assert!(list.stdout.contains("env GOOD_KEY"), "{}", list.stdout);
    let list = run(
        with_config(home.path(), &["profiles", "list", "--json"]),
        "",
    )
    .json();
    assert_eq!(list[0]["name"], "typo");
    assert!(
        list[0]["error"]
            .as_str()
            .is_some_and(|error| error.starts_with("unknown key `base_uri`")),
        "{list}"
    );
    assert_eq!(list[1]["error"], serde_json::Value::Null);
    // Removed like any other, with the key file `profiles add` would write.
    run(
        with_config(home.path(), &["profiles", "remove", "typo"]),
        "",
    )
    .expect_code(0);
    let config = std::fs::read_to_string(dir.join("config.toml")).unwrap();
    assert!(!config.contains("typo"), "{config}");
    assert!(config.contains("[profiles.good]"), "{config}");
    assert!(!dir.join("typo.key").exists());
    assert_eq!(stub.requests().len(), 2);
}

#[test]
fn a_broken_default_profile_fails_only_the_commands_that_use_it() {
    let home = tempfile::tempdir().unwrap();
    let dir = home.path().join("cloudmqtt");
    std::fs::create_dir_all(&dir).unwrap();
    let stub = Stub::start(vec![Reply::new(200, "[]")]);
    std::fs::write(
        dir.join("config.toml"),
        format!(
            "[profiles.default]\nencoding = \"xml\"\n\
             [profiles.other]\nbase_url = \"{}\"\napi_key_env = \"OTHER_KEY\"\n",
            stub.base_url()
        ),
    )
    .unwrap();
    let used = run(
        with_config(home.path(), &["acl", "list"]).env("CLOUDMQTT_API_KEY", KEY),
        "",
    );
    used.expect_code(2);
    assert!(
        used.stderr
            .contains("[profiles.default]: `encoding` must be \"json\" or \"form\""),
        "{}",
        used.stderr
    );
    run(
        with_config(home.path(), &["--profile", "other", "acl", "list"])
            .env("OTHER_KEY", OTHER_KEY),
        "",
    )
    .expect_code(0);
}

/// A one-connection HTTP proxy on 127.0.0.1 (port 0) that accepts a
/// `CONNECT` and answers the request sent through the tunnel itself, with
/// `200 []`. The thread returns the `CONNECT` request's head and the
/// tunnelled request's head.
fn tunnel() -> (String, std::thread::JoinHandle<(String, String)>) {
    use std::io::{BufRead as _, BufReader, Write as _};
    fn head(reader: &mut impl std::io::BufRead) -> String {
        let mut head = String::new();
        loop {
            let mut line = String::new();
            if reader.read_line(&mut line).unwrap() == 0 || line == "\r\n" {
                return head;
            }
            head.push_str(&line);
        }
    }
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let proxy = format!("http://{}", listener.local_addr().unwrap());
    let thread = std::thread::spawn(move || {
        let (mut stream, _) = listener.accept().unwrap();
        let mut reader = BufReader::new(stream.try_clone().unwrap());
        let connect = head(&mut reader);
        stream
            .write_all(b"HTTP/1.1 200 Connection established\r\n\r\n")
            .unwrap();
        let request = head(&mut reader);
        stream
            .write_all(
                b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n\
                  content-length: 2\r\nconnection: close\r\n\r\n[]",
            )
            .unwrap();
        let _ = reader.read_line(&mut String::new());
        (connect, request)
    });
    (proxy, thread)
}

#[test]
fn a_plain_http_profile_is_saved_only_with_the_permission_it_keeps() {
    let home = tempfile::tempdir().unwrap();
    let dir = home.path().join("cloudmqtt");
    let url = "http://cloudmqtt.example/api";
    let add = [
        "profiles",
        "add",
        "ins",
        "--base-url",
        url,
        "--api-key-stdin",
    ];
    let refused = run(with_config(home.path(), &add), &format!("{KEY}\n"));
    refused.expect_code(2);
    assert!(
        refused.stderr.contains("plain http") && refused.stderr.contains("--allow-insecure-http"),
        "{}",
        refused.stderr
    );
    assert!(!dir.join("ins.key").exists());
    assert!(!dir.join("config.toml").exists());

    run(
        with_config(home.path(), &add).arg("--allow-insecure-http"),
        &format!("{KEY}\n"),
    )
    .expect_code(0);
    let config = std::fs::read_to_string(dir.join("config.toml")).unwrap();
    assert!(config.contains("allow_insecure_http = true"), "{config}");

    // Used without the flag: the request goes out (through a proxy, the
    // one way a test reaches a host that is not loopback).
    let (proxy, seen) = tunnel();
    run(
        with_config(
            home.path(),
            &["--profile", "ins", "users", "list", "--json"],
        )
        .env("HTTP_PROXY", &proxy)
        .env("NO_PROXY", ""),
        "",
    )
    .expect_code(0);
    let (connect, request) = seen.join().unwrap();
    assert!(
        connect.starts_with("CONNECT cloudmqtt.example:80 "),
        "{connect}"
    );
    assert!(request.starts_with("GET /api/user "), "{request}");
    assert!(request.contains(&basic_auth(KEY)), "{request}");

    // The permission is the profile's, for its own URL only.
    let other = run(
        with_config(
            home.path(),
            &[
                "--profile",
                "ins",
                "--base-url",
                "http://other.example/api",
                "acl",
                "list",
            ],
        ),
        "",
    );
    other.expect_code(2);
    assert!(other.stderr.contains("--base-url"), "{}", other.stderr);
}

#[test]
fn a_plain_http_profile_without_the_permission_is_named_when_used() {
    let home = tempfile::tempdir().unwrap();
    let dir = home.path().join("cloudmqtt");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        dir.join("config.toml"),
        "[profiles.hand]\nbase_url = \"http://cloudmqtt.example/api\"\napi_key_env = \"HAND_KEY\"\n",
    )
    .unwrap();
    let result = run(
        with_config(home.path(), &["--profile", "hand", "acl", "list"]).env("HAND_KEY", KEY),
        "",
    );
    result.expect_code(2);
    assert!(
        result.stderr.contains("profile \"hand\"")
            && result.stderr.contains("plain http")
            && result.stderr.contains("allow_insecure_http = true"),
        "{}",
        result.stderr
    );
    assert!(!result.stderr.contains("--base-url"), "{}", result.stderr);
}

/// The `case` arms of a generated bash script that complete `--profile`.
fn profile_arms(script: &str) -> Vec<&str> {
    script
        .split("--profile)")
        .skip(1)
        .map(|rest| &rest[..rest.find(";;").unwrap_or(rest.len())])
        .collect()
}

#[test]
fn completions_offer_profile_names_and_never_files() {
    let completions = |home: &Path, shell: &str| {
        let result = run(with_config(home, &["completions", shell]), "");
        result.expect_code(0);
        result.stdout
    };
    // Without a config, `--profile` completes nothing rather than files.
    let empty = tempfile::tempdir().unwrap();
    let script = completions(empty.path(), "bash");
    let arms = profile_arms(&script);
    assert!(!arms.is_empty(), "{script}");
    for arm in &arms {
        assert!(!arm.contains("compgen -f"), "{arm}");
    }

    // With one, the names it holds (a name no shell could take as a word is
    // left out).
    let home = tempfile::tempdir().unwrap();
    let dir = home.path().join("cloudmqtt");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        dir.join("config.toml"),
        "[profiles.prod]\napi_key_env = \"A\"\n[profiles.staging-2]\nbase_uri = \"typo\"\n\
         [profiles.\"$(touch pwned)\"]\napi_key_env = \"B\"\n",
    )
    .unwrap();
    let script = completions(home.path(), "bash");
    for arm in profile_arms(&script) {
        assert!(arm.contains("compgen -W \"prod staging-2\""), "{arm}");
    }
    assert!(!script.contains("pwned"), "{script}");
    let remove = script
        .split("cloudmqtt__subcmd__profiles__subcmd__remove)\n")
        .nth(1)
        .unwrap();
    let opts = remove.lines().next().unwrap();
    assert!(opts.ends_with(" prod staging-2\""), "{opts}");
    let zsh = completions(home.path(), "zsh");
    assert!(zsh.contains(":NAME:(prod staging-2)"), "{zsh}");
    let fish = completions(home.path(), "fish");
    assert!(fish.contains("-l profile"), "{fish}");
    assert!(
        fish.lines()
            .filter(|line| line.contains("-l profile"))
            .all(|line| line.contains("-r -f -a \"prod")),
        "{fish}"
    );
}
