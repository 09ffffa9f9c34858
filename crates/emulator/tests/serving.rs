//! What the emulator offers beyond the API: `/health`, CORS for browser
//! pages on other origins, listening beyond loopback, and configuration
//! from the environment.

mod common;

use std::io::{BufRead as _, BufReader};
use std::net::{SocketAddr, TcpListener};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::Duration;

use cloudmqtt_emulator::faults::Faults;
use cloudmqtt_emulator::server::{HttpServer, ServerSettings};
use cloudmqtt_emulator::store::Store;
use cloudmqtt_emulator::{App, AppSettings};
use common::{Emulator, Reply};

const KEY: &str = "serving-key";

/// Sends one request with exactly these headers to `address`.
fn send(address: SocketAddr, method: &str, path: &str, headers: &[(&str, &str)]) -> Reply {
    let mut request =
        format!("{method} {path} HTTP/1.1\r\nHost: {address}\r\nConnection: close\r\n");
    for (name, value) in headers {
        request.push_str(&format!("{name}: {value}\r\n"));
    }
    request.push_str("Content-Length: 0\r\n\r\n");
    common::raw(address, request.as_bytes()).unwrap()
}

fn cors_headers(reply: &Reply) -> Vec<&(String, String)> {
    reply
        .headers
        .iter()
        .filter(|(name, _)| name.to_ascii_lowercase().starts_with("access-control-"))
        .collect()
}

#[test]
fn health_needs_no_key_and_ignores_injected_faults() {
    let emulator = Emulator::start(&[
        "--no-broker",
        "--api-key",
        KEY,
        "--fail-rate",
        "1",
        "--rate-limit",
        "1",
        "--latency-ms",
        "3000",
    ]);
    for _ in 0..3 {
        let reply = send(emulator.api, "GET", "/health", &[]);
        assert_eq!(reply.status, 200, "{}", reply.text());
        assert_eq!(
            reply.json(),
            serde_json::json!({"status": "ok", "broker": "disabled"})
        );
        assert_eq!(reply.header("content-type"), Some("application/json"));
    }
    let reply = send(emulator.api, "POST", "/health", &[]);
    assert_eq!(reply.status, 405);
    assert_eq!(reply.header("allow"), Some("GET, HEAD"));
    assert!(emulator.stderr_text().contains("GET /health 200 "));
}

#[test]
fn health_reports_a_running_broker() {
    let emulator = Emulator::start(&["--api-key", KEY]);
    emulator.mqtt();
    let reply = send(emulator.api, "GET", "/health", &[]);
    assert_eq!(reply.status, 200, "{}", reply.text());
    assert_eq!(
        reply.json(),
        serde_json::json!({"status": "ok", "broker": "running"})
    );
}

#[test]
fn health_is_503_when_the_broker_does_not_answer() {
    // A port nothing listens on stands for a broker that is down.
    let down = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let app = Arc::new(App::new(
        AppSettings {
            api_key: KEY.into(),
            apply_delay: Duration::ZERO,
            faults: Faults::new(Duration::ZERO, 0.0, None, 0),
            strict: false,
        },
        Store::open(dir.path()).unwrap(),
        None,
    ));
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let server = HttpServer::start(
        listener,
        app,
        ServerSettings {
            api_key: KEY.into(),
            cors_origins: Vec::new(),
            broker: Some(down),
        },
    )
    .unwrap();
    let reply = send(server.address(), "GET", "/health", &[]);
    assert_eq!(reply.status, 503, "{}", reply.text());
    assert_eq!(
        reply.json(),
        serde_json::json!({"status": "ok", "broker": "stopped"})
    );
    server.stop();
}

#[test]
fn without_cors_origin_there_are_no_cors_headers() {
    let emulator = Emulator::start(&["--no-broker", "--api-key", KEY]);
    let preflight = send(
        emulator.api,
        "OPTIONS",
        "/api/user",
        &[
            ("Origin", "http://127.0.0.1:5173"),
            ("Access-Control-Request-Method", "GET"),
            ("Access-Control-Request-Headers", "authorization"),
        ],
    );
    // Answered like any OPTIONS (a browser sends no key with a preflight).
    assert_eq!(preflight.status, 401, "{}", preflight.text());
    assert!(cors_headers(&preflight).is_empty(), "{preflight:?}");
    let auth = common::basic(KEY);
    let reply = send(
        emulator.api,
        "GET",
        "/api/user",
        &[
            ("Origin", "http://127.0.0.1:5173"),
            ("Authorization", &auth),
        ],
    );
    assert_eq!(reply.status, 200);
    assert!(cors_headers(&reply).is_empty(), "{reply:?}");
}

#[test]
fn cors_origin_answers_preflights_and_marks_responses() {
    let allowed = "http://127.0.0.1:5173";
    let emulator = Emulator::start(&[
        "--no-broker",
        "--api-key",
        KEY,
        "--cors-origin",
        allowed,
        "--cors-origin",
        "http://localhost:8080/",
        "--rate-limit",
        "1000",
    ]);
    for method in ["GET", "POST", "PUT", "DELETE"] {
        let preflight = send(
            emulator.api,
            "OPTIONS",
            "/api/user/alice",
            &[
                ("Origin", allowed),
                ("Access-Control-Request-Method", method),
                (
                    "Access-Control-Request-Headers",
                    "authorization,content-type",
                ),
            ],
        );
        assert!(
            (200..300).contains(&preflight.status),
            "{method}: {preflight:?}"
        );
        assert_eq!(
            preflight.header("access-control-allow-origin"),
            Some(allowed)
        );
        let methods = preflight
            .header("access-control-allow-methods")
            .unwrap()
            .to_ascii_uppercase();
        assert!(methods.contains(method), "{methods}");
        let headers = preflight
            .header("access-control-allow-headers")
            .unwrap()
            .to_ascii_lowercase();
        assert!(
            headers.contains("authorization") && headers.contains("content-type"),
            "{headers}"
        );
    }
    // The second origin, given with a trailing slash, matches as browsers
    // send it.
    let auth = common::basic(KEY);
    let reply = send(
        emulator.api,
        "GET",
        "/api/user",
        &[
            ("Origin", "http://localhost:8080"),
            ("Authorization", &auth),
        ],
    );
    assert_eq!(reply.status, 200);
    assert_eq!(
        reply.header("access-control-allow-origin"),
        Some("http://localhost:8080")
    );
    let exposed = reply
        .header("access-control-expose-headers")
        .unwrap()
        .to_ascii_lowercase();
    assert!(exposed.contains("retry-after"), "{exposed}");
    // Errors carry the headers too, so that a page can read them.
    let reply = send(emulator.api, "GET", "/api/user", &[("Origin", allowed)]);
    assert_eq!(reply.status, 401);
    assert_eq!(reply.header("access-control-allow-origin"), Some(allowed));
    // Another origin is not allowed.
    let reply = send(
        emulator.api,
        "OPTIONS",
        "/api/user",
        &[
            ("Origin", "http://evil.example"),
            ("Access-Control-Request-Method", "GET"),
        ],
    );
    assert_eq!(reply.header("access-control-allow-origin"), None);
    // Preflights are logged like every request.
    assert!(emulator.stderr_text().contains("OPTIONS /api/user/alice "));
}

#[test]
fn cors_origin_star_allows_any_origin() {
    let emulator = Emulator::start(&["--no-broker", "--api-key", KEY, "--cors-origin", "*"]);
    let preflight = send(
        emulator.api,
        "OPTIONS",
        "/api/acl",
        &[
            ("Origin", "http://anywhere.example:3000"),
            ("Access-Control-Request-Method", "POST"),
            (
                "Access-Control-Request-Headers",
                "authorization, content-type",
            ),
        ],
    );
    assert!((200..300).contains(&preflight.status), "{preflight:?}");
    assert_eq!(preflight.header("access-control-allow-origin"), Some("*"));
}

#[test]
fn bad_cors_origins_are_refused() {
    for bad in ["localhost:5173", "http://x/app", "ftp://x"] {
        let output = Command::new(env!("CARGO_BIN_EXE_cloudmqtt-emulator"))
            .args(["--no-broker", "--cors-origin", bad])
            .output()
            .unwrap();
        assert_eq!(output.status.code(), Some(2), "{bad}");
        assert!(output.stdout.is_empty());
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(stderr.contains("--cors-origin"), "{bad}: {stderr}");
    }
}

/// A child process stopped (SIGTERM, then SIGKILL) when dropped, so that
/// a failing assertion leaves nothing running.
struct Running(std::process::Child);

impl Running {
    /// Stops it and asserts a clean exit.
    fn stop(mut self) {
        common::send_signal(self.0.id(), "TERM");
        let status = self.0.wait().unwrap();
        assert!(status.success(), "{status:?}");
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        if matches!(self.0.try_wait(), Ok(None)) {
            common::send_signal(self.0.id(), "TERM");
            let deadline = std::time::Instant::now() + Duration::from_secs(10);
            while matches!(self.0.try_wait(), Ok(None)) && std::time::Instant::now() < deadline {
                std::thread::sleep(Duration::from_millis(10));
            }
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }
}

/// Starts the binary with this environment, returns its ready line and
/// standard error, and stops it.
fn ready_line_with_env(env: &[(&str, &str)], args: &[&str]) -> (String, String) {
    let scratch = tempfile::tempdir().unwrap();
    let stderr_path = scratch.path().join("stderr");
    let mut command = Command::new(env!("CARGO_BIN_EXE_cloudmqtt-emulator"));
    for (name, _) in std::env::vars() {
        if name.starts_with("CLOUDMQTT_EMULATOR_") {
            command.env_remove(name);
        }
    }
    let mut child = Running(
        command
            .envs(env.iter().copied())
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(std::fs::File::create(&stderr_path).unwrap())
            .spawn()
            .unwrap(),
    );
    let mut line = String::new();
    BufReader::new(child.0.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    child.stop();
    let stderr = std::fs::read_to_string(&stderr_path).unwrap();
    (line.trim_end().to_owned(), stderr)
}

#[test]
fn every_flag_also_comes_from_the_environment() {
    let (line, _) = ready_line_with_env(
        &[
            ("CLOUDMQTT_EMULATOR_API_KEY", "from-env"),
            ("CLOUDMQTT_EMULATOR_NO_BROKER", "1"),
            ("CLOUDMQTT_EMULATOR_SEED", "7"),
        ],
        &[],
    );
    assert!(line.starts_with("ready api=http://127.0.0.1:"), "{line}");
    assert!(line.ends_with(" key=from-env"), "{line}");
    assert!(!line.contains("mqtt="), "{line}");
    // A flag on the command line wins over its variable.
    let (line, stderr) = ready_line_with_env(
        &[
            ("CLOUDMQTT_EMULATOR_API_KEY", "from-env"),
            ("CLOUDMQTT_EMULATOR_NO_BROKER", "true"),
            ("CLOUDMQTT_EMULATOR_SEED", "7"),
        ],
        &["--api-key", "from-flag"],
    );
    assert!(line.ends_with(" key=from-flag"), "{line}");
    assert!(stderr.contains("seed=7"), "{stderr}");
    // A bad value in a variable is refused like the same flag, naming the
    // variable (tests/usage.rs checks every one).
    let output = Command::new(env!("CARGO_BIN_EXE_cloudmqtt-emulator"))
        .env("CLOUDMQTT_EMULATOR_FAIL_RATE", "2")
        .arg("--no-broker")
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("CLOUDMQTT_EMULATOR_FAIL_RATE"));
}

#[test]
fn help_names_each_variable() {
    let output = Command::new(env!("CARGO_BIN_EXE_cloudmqtt-emulator"))
        .arg("--help")
        .env("CLOUDMQTT_EMULATOR_API_KEY", "not-in-the-help")
        .output()
        .unwrap();
    assert!(output.status.success());
    let help = String::from_utf8_lossy(&output.stdout);
    for flag in [
        "LISTEN",
        "API_KEY",
        "DATA_DIR",
        "MQTT_PORT",
        "MQTT_LISTEN",
        "NO_BROKER",
        "MOSQUITTO",
        "APPLY_DELAY_MS",
        "RATE_LIMIT",
        "FAIL_RATE",
        "LATENCY_MS",
        "SEED",
        "CORS_ORIGIN",
    ] {
        assert!(
            help.contains(&format!("[env: CLOUDMQTT_EMULATOR_{flag}]")),
            "{flag}: {help}"
        );
    }
    assert!(!help.contains("not-in-the-help"), "{help}");
}

#[test]
fn listening_beyond_loopback_is_announced() {
    // 192.0.2.1 (TEST-NET-1) is on no interface here: the warning comes
    // before the bind fails, and nothing is opened to the network.
    let output = Command::new(env!("CARGO_BIN_EXE_cloudmqtt-emulator"))
        .args(["--no-broker", "--listen", "192.0.2.1:0"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("warning: --listen 192.0.2.1 is not loopback: the API can be reached from other machines"),
        "{stderr}"
    );
    assert!(stderr.contains("binding --listen"), "{stderr}");
    common::require_broker_tools();
    let output = Command::new(env!("CARGO_BIN_EXE_cloudmqtt-emulator"))
        .args(["--mqtt-listen", "192.0.2.1"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains(
            "warning: --mqtt-listen 192.0.2.1 is not loopback: the broker can be reached"
        ),
        "{stderr}"
    );
    // Loopback, the default or another loopback address, says nothing.
    let (_, stderr) = ready_line_with_env(&[], &["--no-broker", "--listen", "127.0.0.2:0"]);
    assert!(!stderr.contains("warning"), "{stderr}");
}

#[test]
fn the_broker_listens_where_mqtt_listen_says() {
    common::require_broker_tools();
    let scratch = tempfile::tempdir().unwrap();
    let mut child = Running(
        Command::new(env!("CARGO_BIN_EXE_cloudmqtt-emulator"))
            .args([
                "--api-key",
                KEY,
                "--apply-delay-ms",
                "0",
                "--mqtt-listen",
                "127.0.0.2",
            ])
            .arg("--data-dir")
            .arg(scratch.path())
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    let mut line = String::new();
    BufReader::new(child.0.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let fields: Vec<(&str, &str)> = line
        .split_whitespace()
        .filter_map(|field| field.split_once('='))
        .collect();
    let field = |name: &str| {
        fields
            .iter()
            .find(|(key, _)| *key == name)
            .map(|(_, value)| *value)
    };
    let (Some(api), Some(mqtt)) = (field("api"), field("mqtt")) else {
        panic!("{line}");
    };
    let api: SocketAddr = api
        .trim_start_matches("http://")
        .trim_end_matches("/api")
        .parse()
        .unwrap();
    let port: u16 = mqtt
        .strip_prefix("mqtt://127.0.0.2:")
        .unwrap_or_else(|| panic!("{line}"))
        .parse()
        .unwrap();
    let config = std::fs::read_to_string(scratch.path().join("mosquitto.conf")).unwrap();
    assert!(
        config.contains(&format!("listener {port} 127.0.0.2\n")),
        "{config}"
    );
    let body = "username=container&password=pw";
    let request = format!(
        "POST /api/user HTTP/1.1\r\nHost: x\r\nConnection: close\r\nAuthorization: {}\r\nContent-Length: {}\r\n\r\n{body}",
        common::basic(KEY),
        body.len()
    );
    assert_eq!(common::raw(api, request.as_bytes()).unwrap().status, 204);
    let auth = common::basic(KEY);
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while send(
        api,
        "GET",
        "/api/user/container",
        &[("Authorization", &auth)],
    )
    .status
        != 200
    {
        assert!(
            std::time::Instant::now() < deadline,
            "the user never appeared"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    let published = Command::new("mosquitto_pub")
        .args(["-h", "127.0.0.2", "-p", &port.to_string()])
        .args([
            "-u",
            "container",
            "-P",
            "pw",
            "-t",
            "t",
            "-m",
            "x",
            "-q",
            "1",
        ])
        .output()
        .unwrap();
    assert!(published.status.success(), "{published:?}");
    let reply = send(api, "GET", "/health", &[]);
    assert_eq!(reply.json()["broker"], "running");
    child.stop();
}

#[test]
fn bodies_too_large_are_refused_however_they_come() {
    let emulator = Emulator::start(&["--no-broker", "--api-key", KEY]);
    let auth = common::basic(KEY);
    // A client that waits for 100 Continue gets its 413 without sending.
    let head = format!(
        "POST /api/user HTTP/1.1\r\nHost: x\r\nConnection: close\r\nAuthorization: {auth}\r\nExpect: 100-continue\r\nContent-Length: {}\r\n\r\n",
        (1 << 20) + 1
    );
    let reply = common::raw(emulator.api, head.as_bytes()).unwrap();
    assert_eq!(reply.status, 413);
    assert_eq!(reply.error(), "request body too large");
    assert_eq!(reply.header("connection"), Some("close"));
    // A chunked body is counted as it comes.
    let mut request = format!(
        "POST /api/user HTTP/1.1\r\nHost: x\r\nConnection: close\r\nAuthorization: {auth}\r\nTransfer-Encoding: chunked\r\n\r\n"
    )
    .into_bytes();
    let chunk = vec![b'a'; 64 * 1024];
    for _ in 0..17 {
        request.extend_from_slice(format!("{:x}\r\n", chunk.len()).as_bytes());
        request.extend_from_slice(&chunk);
        request.extend_from_slice(b"\r\n");
    }
    request.extend_from_slice(b"0\r\n\r\n");
    let reply = common::raw(emulator.api, &request).unwrap();
    assert_eq!(reply.status, 413);
    // A chunked body within the limit is read whole.
    let body = b"username=chunky&password=pw";
    let mut request = format!(
        "POST /api/user HTTP/1.1\r\nHost: x\r\nConnection: close\r\nAuthorization: {auth}\r\nTransfer-Encoding: chunked\r\n\r\n"
    )
    .into_bytes();
    for part in body.chunks(5) {
        request.extend_from_slice(format!("{:x}\r\n", part.len()).as_bytes());
        request.extend_from_slice(part);
        request.extend_from_slice(b"\r\n");
    }
    request.extend_from_slice(b"0\r\n\r\n");
    let reply = common::raw(emulator.api, &request).unwrap();
    assert_eq!(reply.status, 204, "{}", reply.text());
}
