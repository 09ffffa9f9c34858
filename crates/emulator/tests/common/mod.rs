//! Helpers shared by the end-to-end tests: run the real binary, talk HTTP to
//! it over a plain socket, and drive `mosquitto_pub` / `mosquitto_sub`.
#![allow(dead_code)]

use std::io::{BufRead as _, BufReader, Read as _, Write as _};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

use base64::Engine as _;

pub mod mqtt;

/// A running `cloudmqtt-emulator`, killed (with its broker) when dropped.
pub struct Emulator {
    child: Option<Child>,
    pub api: SocketAddr,
    pub mqtt_port: Option<u16>,
    pub key: String,
    pub data_dir: PathBuf,
    pub stderr: PathBuf,
    stdout: std::sync::Mutex<Option<mpsc::Receiver<String>>>,
    /// The read end of standard error, when it is a pipe.
    stderr_pipe: Option<std::process::ChildStderr>,
    _scratch: tempfile::TempDir,
}

/// Fails with a clear message when the machine has no Mosquitto clients
/// (scripts/setup.sh installs them).
pub fn require_broker_tools() {
    for tool in ["mosquitto_pub", "mosquitto_sub"] {
        assert!(
            Command::new(tool)
                .arg("--help")
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status()
                .is_ok(),
            "{tool} is missing: install mosquitto and mosquitto-clients"
        );
    }
}

impl Emulator {
    /// Starts the binary with these arguments and a fresh data directory.
    pub fn start(args: &[&str]) -> Self {
        let scratch = tempfile::tempdir().unwrap();
        let data_dir = scratch.path().join("data");
        Self::start_in(scratch, data_dir, args)
    }

    /// Starts the binary on an existing data directory.
    pub fn start_in(scratch: tempfile::TempDir, data_dir: PathBuf, args: &[&str]) -> Self {
        Self::launch(scratch, Some(data_dir), args, false)
    }

    /// Starts the binary without `--data-dir` (it makes a temporary one).
    pub fn start_with_temporary_data(args: &[&str]) -> Self {
        Self::launch(tempfile::tempdir().unwrap(), None, args, false)
    }

    /// Starts the binary with its standard error on a pipe (see
    /// [`Emulator::close_stderr`]) rather than in a file.
    pub fn start_with_stderr_piped(args: &[&str]) -> Self {
        let scratch = tempfile::tempdir().unwrap();
        let data_dir = scratch.path().join("data");
        Self::launch(scratch, Some(data_dir), args, true)
    }

    /// Closes the read end of a piped standard error: the emulator's next
    /// writes there fail with a broken pipe.
    pub fn close_stderr(&mut self) {
        drop(self.stderr_pipe.take().expect("stderr is piped"));
    }

    fn launch(
        scratch: tempfile::TempDir,
        data_dir: Option<PathBuf>,
        args: &[&str],
        pipe_stderr: bool,
    ) -> Self {
        let stderr = scratch.path().join(format!(
            "stderr-{}.log",
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .as_nanos()
        ));
        let mut command = Command::new(env!("CARGO_BIN_EXE_cloudmqtt-emulator"));
        if let Some(dir) = &data_dir {
            command.arg("--data-dir").arg(dir);
        }
        let mut child = command
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(if pipe_stderr {
                Stdio::piped()
            } else {
                Stdio::from(std::fs::File::create(&stderr).unwrap())
            })
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        let stderr_pipe = child.stderr.take();
        let (lines, inbox) = mpsc::channel();
        thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                if lines.send(line.unwrap_or_default()).is_err() {
                    break;
                }
            }
        });
        let mut emulator = Self {
            child: Some(child),
            api: "127.0.0.1:1".parse().unwrap(),
            mqtt_port: None,
            key: String::new(),
            data_dir: data_dir.unwrap_or_default(),
            stderr,
            stdout: std::sync::Mutex::new(None),
            stderr_pipe,
            _scratch: scratch,
        };
        let line = match inbox.recv_timeout(Duration::from_secs(30)) {
            Ok(line) => line,
            Err(_) => panic!(
                "no ready line; stderr:\n{}",
                std::fs::read_to_string(&emulator.stderr).unwrap_or_default()
            ),
        };
        if emulator.data_dir.as_os_str().is_empty() {
            // The emulator names its temporary directory on stderr.
            let stderr = emulator.stderr_text();
            let named = stderr
                .lines()
                .find_map(|line| line.strip_prefix("cloudmqtt-emulator: data in "))
                .and_then(|rest| rest.rsplit_once(", changes apply"))
                .map(|(dir, _)| PathBuf::from(dir))
                .expect("the data directory is named on stderr");
            emulator.data_dir = named;
        }
        emulator.stdout = std::sync::Mutex::new(Some(inbox));
        let mut parts = line.split(' ');
        assert_eq!(parts.next(), Some("ready"), "{line}");
        for part in parts {
            let (name, value) = part.split_once('=').unwrap();
            match name {
                "api" => {
                    let address = value
                        .strip_prefix("http://")
                        .and_then(|rest| rest.strip_suffix("/api"))
                        .unwrap();
                    emulator.api = address.parse().unwrap();
                }
                "mqtt" => {
                    let port = value.strip_prefix("mqtt://127.0.0.1:").unwrap();
                    emulator.mqtt_port = Some(port.parse().unwrap());
                }
                "key" => emulator.key = value.to_owned(),
                other => panic!("unknown field {other} in {line}"),
            }
        }
        emulator
    }

    /// Lines printed to stdout after the ready line so far.
    pub fn extra_stdout(&self) -> Vec<String> {
        self.stdout
            .lock()
            .unwrap()
            .as_ref()
            .map(|lines| lines.try_iter().collect())
            .unwrap_or_default()
    }

    /// The broker's port; panics with a clear message when none runs.
    pub fn mqtt(&self) -> u16 {
        self.mqtt_port
            .expect("the emulator started no broker: is mosquitto installed?")
    }

    /// The process id of the emulator.
    pub fn pid(&self) -> u32 {
        self.child.as_ref().unwrap().id()
    }

    /// The broker's process id, from its pid file.
    pub fn broker_pid(&self) -> u32 {
        std::fs::read_to_string(self.data_dir.join("mosquitto.pid"))
            .unwrap()
            .trim()
            .parse()
            .unwrap()
    }

    /// Sends a signal to the emulator and waits for it to exit.
    pub fn signal_and_wait(&mut self, signal: &str) -> std::process::ExitStatus {
        let mut child = self.child.take().unwrap();
        send_signal(child.id(), signal);
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            if let Some(status) = child.try_wait().unwrap() {
                return status;
            }
            if Instant::now() > deadline {
                let _ = child.kill();
                panic!("the emulator did not exit after SIG{signal}");
            }
            thread::sleep(Duration::from_millis(10));
        }
    }

    /// Hands over the scratch directory (to start again on the same data).
    pub fn into_scratch(mut self) -> (tempfile::TempDir, PathBuf) {
        self.stop_child();
        let scratch = std::mem::replace(&mut self._scratch, tempfile::tempdir().unwrap());
        (scratch, self.data_dir.clone())
    }

    pub fn stderr_text(&self) -> String {
        std::fs::read_to_string(&self.stderr).unwrap_or_default()
    }

    /// Sends a request with the API key.
    pub fn call(&self, method: &str, path: &str, body: Option<Body>) -> Reply {
        let auth = basic(&self.key);
        self.call_with(method, path, &[("Authorization", auth.as_str())], body)
    }

    /// Sends a request with exactly these headers (plus Host and
    /// Content-Length).
    pub fn call_with(
        &self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: Option<Body>,
    ) -> Reply {
        self.send(method, &format!("/api{path}"), headers, body)
    }

    /// Sends a control request (`/_emulator{path}`) with the API key.
    pub fn control(&self, method: &str, path: &str, body: Option<Body>) -> Reply {
        let auth = basic(&self.key);
        self.send(
            method,
            &format!("/_emulator{path}"),
            &[("Authorization", auth.as_str())],
            body,
        )
    }

    /// Sends a request for any target with exactly these headers (plus
    /// Host and Content-Length).
    pub fn send(
        &self,
        method: &str,
        target: &str,
        headers: &[(&str, &str)],
        body: Option<Body>,
    ) -> Reply {
        let mut head = format!(
            "{method} {target} HTTP/1.1\r\nHost: {}\r\nConnection: close\r\n",
            self.api
        );
        for (name, value) in headers {
            head.push_str(&format!("{name}: {value}\r\n"));
        }
        let bytes = match body {
            None => Vec::new(),
            Some(Body::Json(value)) => {
                head.push_str("Content-Type: application/json\r\n");
                value.to_string().into_bytes()
            }
            Some(Body::Form(pairs)) => {
                head.push_str("Content-Type: application/x-www-form-urlencoded\r\n");
                let mut form = form_urlencoded::Serializer::new(String::new());
                for (name, value) in pairs {
                    form.append_pair(name, &value);
                }
                form.finish().into_bytes()
            }
            Some(Body::Raw(content_type, bytes)) => {
                head.push_str(&format!("Content-Type: {content_type}\r\n"));
                bytes
            }
        };
        head.push_str(&format!("Content-Length: {}\r\n\r\n", bytes.len()));
        let mut request = head.into_bytes();
        request.extend_from_slice(&bytes);
        raw(self.api, &request).unwrap()
    }

    /// Polls until `check` holds, for up to 10 seconds.
    pub fn wait_until(&self, what: &str, mut check: impl FnMut() -> bool) {
        let deadline = Instant::now() + Duration::from_secs(10);
        while !check() {
            assert!(Instant::now() < deadline, "timed out waiting for {what}");
            thread::sleep(Duration::from_millis(20));
        }
    }

    /// Waits until `GET /user/{name}` says the user exists (or is gone).
    pub fn wait_user(&self, name: &str, exists: bool) {
        let path = format!("/user/{name}");
        self.wait_until(&format!("user {name} exists={exists}"), || {
            let status = self.call("GET", &path, None).status;
            status == if exists { 200 } else { 404 }
        });
    }

    /// Creates a user and waits until it is applied.
    pub fn create_user(&self, name: &str, password: &str) {
        let reply = self.call(
            "POST",
            "/user",
            Some(Body::Json(
                serde_json::json!({"username": name, "password": password}),
            )),
        );
        assert_eq!(reply.status, 204, "{}", reply.text());
        self.wait_user(name, true);
    }

    /// How many rules `GET /acl` lists.
    pub fn rule_count(&self) -> usize {
        self.call("GET", "/acl", None)
            .json()
            .as_array()
            .expect("the rule list is an array")
            .len()
    }

    /// Creates a rule and waits until the rule list shows it.
    pub fn create_rule(
        &self,
        kind: &str,
        user: Option<&str>,
        pattern: &str,
        read: bool,
        write: bool,
    ) {
        let mut body =
            serde_json::json!({"type": kind, "pattern": pattern, "read": read, "write": write});
        if let Some(user) = user {
            body["username"] = user.into();
        }
        let reply = self.call("POST", "/acl", Some(Body::Json(body)));
        assert_eq!(reply.status, 204, "{}", reply.text());
        self.wait_until(&format!("rule {pattern}"), || {
            self.call("GET", "/acl", None)
                .json()
                .as_array()
                .unwrap()
                .iter()
                .any(|rule| {
                    rule["pattern"] == pattern
                        && rule["username"].as_str() == user
                        && rule["read"] == read
                        && rule["write"] == write
                })
        });
    }

    fn stop_child(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

impl Drop for Emulator {
    fn drop(&mut self) {
        // SIGTERM first so that the emulator stops its broker; SIGKILL if
        // that does not do it.
        if let Some(mut child) = self.child.take() {
            send_signal(child.id(), "TERM");
            let deadline = Instant::now() + Duration::from_secs(10);
            while matches!(child.try_wait(), Ok(None)) && Instant::now() < deadline {
                thread::sleep(Duration::from_millis(10));
            }
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// A request body.
pub enum Body {
    Json(serde_json::Value),
    Form(Vec<(&'static str, String)>),
    Raw(&'static str, Vec<u8>),
}

/// A parsed response.
#[derive(Debug)]
pub struct Reply {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Reply {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(key, _)| key.eq_ignore_ascii_case(name))
            .map(|(_, value)| value.as_str())
    }

    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|error| panic!("not JSON ({error}): {:?}", self.text()))
    }

    /// The `error` message of an error body (which must be exactly
    /// `{"error": "..."}`).
    pub fn error(&self) -> String {
        let json = self.json();
        let object = json.as_object().unwrap();
        assert_eq!(object.len(), 1, "{json}");
        object["error"].as_str().unwrap().to_owned()
    }
}

/// `Basic base64(":key")`.
pub fn basic(key: &str) -> String {
    format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(format!(":{key}"))
    )
}

/// Sends raw bytes and reads a whole `Connection: close` response.
pub fn raw(address: SocketAddr, request: &[u8]) -> std::io::Result<Reply> {
    let mut stream = TcpStream::connect(address)?;
    stream.set_read_timeout(Some(Duration::from_secs(30)))?;
    stream.write_all(request)?;
    let mut bytes = Vec::new();
    stream.read_to_end(&mut bytes)?;
    parse_reply(&bytes).ok_or_else(|| {
        std::io::Error::other(format!(
            "unparsable response: {:?}",
            String::from_utf8_lossy(&bytes)
        ))
    })
}

fn parse_reply(bytes: &[u8]) -> Option<Reply> {
    let end = bytes.windows(4).position(|window| window == b"\r\n\r\n")?;
    let head = std::str::from_utf8(&bytes[..end]).ok()?;
    let mut lines = head.split("\r\n");
    let status = lines.next()?.split(' ').nth(1)?.parse().ok()?;
    let headers: Vec<(String, String)> = lines
        .filter_map(|line| line.split_once(':'))
        .map(|(name, value)| (name.trim().to_owned(), value.trim().to_owned()))
        .collect();
    let mut body = bytes[end + 4..].to_vec();
    if let Some((_, length)) = headers
        .iter()
        .find(|(name, _)| name.eq_ignore_ascii_case("content-length"))
    {
        body.truncate(length.parse().ok()?);
    }
    Some(Reply {
        status,
        headers,
        body,
    })
}

/// Runs a command with a timeout; returns its exit code and output.
fn run(command: &mut Command, timeout: Duration) -> (Option<i32>, String) {
    let mut child = command
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("mosquitto clients are installed");
    let deadline = Instant::now() + timeout;
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            let mut output = String::new();
            child
                .stdout
                .take()
                .unwrap()
                .read_to_string(&mut output)
                .unwrap();
            child
                .stderr
                .take()
                .unwrap()
                .read_to_string(&mut output)
                .unwrap();
            return (status.code(), output);
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            return (None, "timed out".into());
        }
        thread::sleep(Duration::from_millis(5));
    }
}

/// Publishes one QoS 1 message; `Ok` when the broker accepted the
/// connection (a publish the ACL refuses is dropped, not an error), `Err`
/// with the exit code and output otherwise.
pub fn publish(
    port: u16,
    user: &str,
    password: &str,
    topic: &str,
    message: &str,
) -> Result<(), String> {
    let (code, output) = run(
        Command::new("mosquitto_pub")
            .args(["-h", "127.0.0.1", "-p", &port.to_string()])
            .args(["-u", user, "-P", password])
            .args(["-t", topic, "-m", message, "-q", "1"]),
        Duration::from_secs(10),
    );
    if code == Some(0) {
        Ok(())
    } else {
        Err(format!("exit {code:?}: {output}"))
    }
}

/// What happened to an MQTT 5 QoS 1 publish.
#[derive(Debug, PartialEq, Eq)]
pub enum Published {
    /// The broker acknowledged it.
    Accepted,
    /// The broker answered "not authorized" (the ACL refused it).
    Refused,
    /// The connection itself failed.
    NotConnected(String),
}

/// Publishes one QoS 1 message over MQTT 5, whose acknowledgement says
/// whether the ACL let it through.
pub fn publish_v5(port: u16, user: &str, password: &str, topic: &str, message: &str) -> Published {
    let (code, output) = run(
        Command::new("mosquitto_pub")
            .args(["-h", "127.0.0.1", "-p", &port.to_string()])
            .args(["-u", user, "-P", password, "-V", "mqttv5", "-d"])
            .args(["-t", topic, "-m", message, "-q", "1"]),
        Duration::from_secs(10),
    );
    if code != Some(0) {
        return Published::NotConnected(format!("exit {code:?}: {output}"));
    }
    if output.contains("RC:0)") || output.contains("RC:16)") {
        Published::Accepted
    } else if output.contains("Not authorized") || output.contains("RC:135") {
        Published::Refused
    } else {
        Published::NotConnected(output)
    }
}

/// Whether the broker accepts a connection with these credentials.
pub fn can_connect(port: u16, user: &str, password: &str) -> bool {
    publish(port, user, password, "connect/check", "x").is_ok()
}

/// A running `mosquitto_sub`, killed when dropped.
pub struct Subscriber {
    child: Child,
    lines: mpsc::Receiver<String>,
    seen: Vec<String>,
}

impl Subscriber {
    /// Subscribes and waits for the broker's answer; `None` when the
    /// connection or every subscription was refused.
    pub fn start(port: u16, user: &str, password: &str, topics: &[&str]) -> Option<Self> {
        // Line-buffered, so each line reaches the pipe as it is printed.
        let mut command = Command::new("stdbuf");
        command
            .args(["-oL", "-eL", "mosquitto_sub"])
            .args(["-h", "127.0.0.1", "-p", &port.to_string()])
            .args(["-u", user, "-P", password]);
        for topic in topics {
            command.args(["-t", topic]);
        }
        let mut child = command
            .args(["-q", "1", "-v", "-d"])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("mosquitto_sub is installed");
        let (send, lines) = mpsc::channel();
        for stream in [
            Box::new(child.stdout.take().unwrap()) as Box<dyn std::io::Read + Send>,
            Box::new(child.stderr.take().unwrap()),
        ] {
            let send = send.clone();
            thread::spawn(move || {
                for line in BufReader::new(stream).lines() {
                    if send.send(line.unwrap_or_default()).is_err() {
                        break;
                    }
                }
            });
        }
        let mut subscriber = Self {
            child,
            lines,
            seen: Vec::new(),
        };
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let line = subscriber
                .lines
                .recv_timeout(deadline.saturating_duration_since(Instant::now()))
                .ok()?;
            subscriber.seen.push(line.clone());
            // "Subscribed (mid: 1): 1, 1" grants QoS 1 per topic; 128 or
            // more refuses.
            if let Some(granted) = line.strip_prefix("Subscribed (mid: 1): ") {
                let all = granted
                    .split(',')
                    .all(|code| code.trim().parse::<u8>().is_ok_and(|code| code < 128));
                return all.then_some(subscriber);
            }
            if line.contains("Connection error") || line.contains("not authorised") {
                return None;
            }
        }
    }

    /// Waits up to `timeout` for the message `payload` on `topic`.
    pub fn received(&mut self, topic: &str, payload: &str, timeout: Duration) -> bool {
        let wanted = format!("{topic} {payload}");
        if self.seen.contains(&wanted) {
            return true;
        }
        let deadline = Instant::now() + timeout;
        while let Ok(line) = self
            .lines
            .recv_timeout(deadline.saturating_duration_since(Instant::now()))
        {
            let found = line == wanted;
            self.seen.push(line);
            if found {
                return true;
            }
        }
        false
    }
}

impl Drop for Subscriber {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Sends `SIGTERM`, `SIGINT` or `SIGKILL` (by name) to a process.
pub fn send_signal(pid: u32, name: &str) {
    use rustix::process::{Pid, Signal, kill_process};
    let signal = match name {
        "TERM" => Signal::TERM,
        "INT" => Signal::INT,
        "KILL" => Signal::KILL,
        other => panic!("no signal {other} here"),
    };
    let pid = Pid::from_raw(i32::try_from(pid).unwrap()).unwrap();
    // The process may already be gone; that is fine for every caller.
    let _ = kill_process(pid, signal);
}

/// Whether a process runs (a zombie counts as gone).
pub fn process_alive(pid: u32) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Ok(stat) => !stat
            .rsplit(')')
            .next()
            .is_some_and(|rest| rest.trim_start().starts_with('Z')),
        Err(_) => false,
    }
}

/// Whether the path exists.
pub fn exists(path: &Path) -> bool {
    path.exists()
}
