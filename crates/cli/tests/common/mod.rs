//! Shared test harness: a loopback HTTP stub with scripted replies that
//! records every request, and a runner for the `cloudmqtt` binary.

#![allow(dead_code)] // Each test file uses its own part of the harness.

pub mod fixture;

use std::borrow::BorrowMut;
use std::collections::VecDeque;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// The longest any one run of the binary may take before the test fails.
const RUN_LIMIT: Duration = Duration::from_secs(60);

/// A reply the stub sends for one request.
#[derive(Debug, Clone)]
pub struct Reply {
    /// The status.
    pub status: u16,
    /// Extra headers.
    pub headers: Vec<(String, String)>,
    /// The body.
    pub body: Vec<u8>,
    /// Hold the connection this long before answering.
    pub delay: Duration,
}

impl Reply {
    /// A reply with a status and a body.
    pub fn new(status: u16, body: &str) -> Self {
        Self {
            status,
            headers: Vec::new(),
            body: body.as_bytes().to_vec(),
            delay: Duration::ZERO,
        }
    }

    /// Adds a header.
    pub fn header(mut self, name: &str, value: &str) -> Self {
        self.headers.push((name.to_owned(), value.to_owned()));
        self
    }

    /// Answers only after `delay`.
    pub fn delayed(mut self, delay: Duration) -> Self {
        self.delay = delay;
        self
    }
}

/// A request as the stub received it.
#[derive(Debug, Clone)]
pub struct Recorded {
    /// The method.
    pub method: String,
    /// The path with its query, as sent.
    pub target: String,
    /// Header names (lower case) and values.
    pub headers: Vec<(String, String)>,
    /// The body.
    pub body: Vec<u8>,
    /// When it arrived.
    pub at: Instant,
}

impl Recorded {
    /// The first header with this (lower-case) name.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.as_str())
    }

    /// The body as text.
    pub fn body_text(&self) -> String {
        String::from_utf8(self.body.clone()).expect("request body is UTF-8")
    }
}

/// A loopback HTTP/1.1 server on 127.0.0.1, port 0, answering each request
/// with the next scripted reply (or 599 when the script ran out). Dropping
/// it stops its thread.
pub struct Stub {
    addr: SocketAddr,
    replies: Arc<Mutex<VecDeque<Reply>>>,
    requests: Arc<Mutex<Vec<Recorded>>>,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl Stub {
    /// Starts a stub that will send these replies in order.
    pub fn start(replies: impl IntoIterator<Item = Reply>) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
        let addr = listener.local_addr().expect("local address");
        let replies = Arc::new(Mutex::new(replies.into_iter().collect::<VecDeque<_>>()));
        let requests = Arc::new(Mutex::new(Vec::new()));
        let stop = Arc::new(AtomicBool::new(false));
        let thread = {
            let (replies, requests, stop) = (replies.clone(), requests.clone(), stop.clone());
            std::thread::spawn(move || {
                for stream in listener.incoming() {
                    if stop.load(Ordering::SeqCst) {
                        break;
                    }
                    if let Ok(stream) = stream {
                        serve(stream, &replies, &requests, &stop);
                    }
                }
            })
        };
        Self {
            addr,
            replies,
            requests,
            stop,
            thread: Some(thread),
        }
    }

    /// The base URL to pass as `--base-url`.
    pub fn base_url(&self) -> String {
        format!("http://{}/api", self.addr)
    }

    /// Every request received so far.
    pub fn requests(&self) -> Vec<Recorded> {
        self.requests.lock().unwrap().clone()
    }

    /// How many scripted replies were not used.
    pub fn unused_replies(&self) -> usize {
        self.replies.lock().unwrap().len()
    }
}

impl Drop for Stub {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        // Wake the blocking accept so the thread sees the flag.
        let _ = TcpStream::connect(self.addr);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// Reads one request from the connection, records it and answers it.
fn serve(
    stream: TcpStream,
    replies: &Mutex<VecDeque<Reply>>,
    requests: &Mutex<Vec<Recorded>>,
    stop: &AtomicBool,
) {
    let _ = stream.set_read_timeout(Some(Duration::from_secs(10)));
    let mut reader = BufReader::new(match stream.try_clone() {
        Ok(stream) => stream,
        Err(_) => return,
    });
    let mut line = String::new();
    if reader.read_line(&mut line).unwrap_or(0) == 0 {
        return;
    }
    let mut parts = line.split_whitespace();
    let method = parts.next().unwrap_or_default().to_owned();
    let target = parts.next().unwrap_or_default().to_owned();
    let mut headers = Vec::new();
    loop {
        let mut header = String::new();
        if reader.read_line(&mut header).unwrap_or(0) == 0 {
            return;
        }
        let header = header.trim_end();
        if header.is_empty() {
            break;
        }
        if let Some((name, value)) = header.split_once(':') {
            headers.push((name.trim().to_ascii_lowercase(), value.trim().to_owned()));
        }
    }
    let length: usize = headers
        .iter()
        .find(|(name, _)| name == "content-length")
        .and_then(|(_, value)| value.parse().ok())
        .unwrap_or(0);
    let mut body = vec![0; length];
    if reader.read_exact(&mut body).is_err() {
        return;
    }
    requests.lock().unwrap().push(Recorded {
        method,
        target,
        headers,
        body,
        at: Instant::now(),
    });
    let reply = replies
        .lock()
        .unwrap()
        .pop_front()
        .unwrap_or_else(|| Reply::new(599, "the stub has no reply scripted for this request"));
    let until = Instant::now() + reply.delay;
    while Instant::now() < until && !stop.load(Ordering::SeqCst) {
        std::thread::sleep(Duration::from_millis(10));
    }
    let mut head = format!(
        "HTTP/1.1 {} Scripted\r\ncontent-length: {}\r\nconnection: close\r\n",
        reply.status,
        reply.body.len()
    );
    for (name, value) in &reply.headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    head.push_str("\r\n");
    let mut stream = stream;
    let _ = stream.write_all(head.as_bytes());
    let _ = stream.write_all(&reply.body);
    let _ = stream.flush();
}

/// What one run of the binary produced.
#[derive(Debug)]
pub struct Run {
    /// The exit code.
    pub code: i32,
    /// Everything on stdout.
    pub stdout: String,
    /// Everything on stderr.
    pub stderr: String,
    /// How long it took.
    pub elapsed: Duration,
}

impl Run {
    /// stdout parsed as JSON.
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.stdout)
            .unwrap_or_else(|error| panic!("stdout is not JSON ({error}): {:?}", self.stdout))
    }

    /// Asserts the exit code, showing the output when it differs.
    #[track_caller]
    pub fn expect_code(&self, code: i32) -> &Self {
        assert_eq!(self.code, code, "unexpected exit code: {self:#?}");
        self
    }

    /// stdout and stderr together, for checks that cover all output.
    pub fn all_output(&self) -> String {
        format!("{}\n{}", self.stdout, self.stderr)
    }
}

/// A `cloudmqtt` command with no API key, base URL or proxy inherited from
/// the environment.
pub fn cloudmqtt() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_cloudmqtt"));
    for name in [
        "CLOUDMQTT_API_KEY",
        "CLOUDMQTT_BASE_URL",
        "ALL_PROXY",
        "all_proxy",
        "HTTPS_PROXY",
        "https_proxy",
        "HTTP_PROXY",
        "http_proxy",
        "NO_PROXY",
        "no_proxy",
        "CLOUDMQTT_PROFILE",
        "CLOUDMQTT_DEBUG",
    ] {
        command.env_remove(name);
    }
    // No profile of the machine's own config applies to a test.
    command.env("XDG_CONFIG_HOME", "/nonexistent/cloudmqtt-tests/config");
    command
}

/// Runs a command to the end with `stdin` as its input, killing it (and
/// failing the test) if it outlives [`RUN_LIMIT`].
pub fn run(mut command: impl BorrowMut<Command>, stdin: &str) -> Run {
    let command = command.borrow_mut();
    command
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let started = Instant::now();
    let mut child = command.spawn().expect("start the binary");
    let mut input = child.stdin.take().expect("stdin");
    let stdin = stdin.to_owned();
    let writer = std::thread::spawn(move || {
        let _ = input.write_all(stdin.as_bytes());
    });
    let mut stdout = child.stdout.take().expect("stdout");
    let mut stderr = child.stderr.take().expect("stderr");
    let out = std::thread::spawn(move || {
        let mut text = String::new();
        let _ = stdout.read_to_string(&mut text);
        text
    });
    let err = std::thread::spawn(move || {
        let mut text = String::new();
        let _ = stderr.read_to_string(&mut text);
        text
    });
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait for the binary") {
            break status;
        }
        if started.elapsed() > RUN_LIMIT {
            let _ = child.kill();
            let _ = child.wait();
            panic!("the binary ran longer than {RUN_LIMIT:?}");
        }
        std::thread::sleep(Duration::from_millis(10));
    };
    let elapsed = started.elapsed();
    let _ = writer.join();
    Run {
        code: status.code().expect("exit code (not killed by a signal)"),
        stdout: out.join().expect("stdout reader"),
        stderr: err.join().expect("stderr reader"),
        elapsed,
    }
}

/// A command against a base URL with an API key from the environment.
pub fn against(base_url: &str, key: &str, args: &[&str]) -> Command {
    let mut command = cloudmqtt();
    command
        .env("CLOUDMQTT_API_KEY", key)
        .args(["--base-url", base_url])
        .args(args);
    command
}

/// The `Authorization` header the API expects for `key`.
pub fn basic_auth(key: &str) -> String {
    use std::fmt::Write as _;
    // Base64 by hand so the check does not share code with the binary.
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let input = format!(":{key}");
    let bytes = input.as_bytes();
    let mut encoded = String::new();
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                let index = ((n >> (18 - 6 * i)) & 63) as usize;
                encoded.push(ALPHABET[index] as char);
            } else {
                encoded.push('=');
            }
        }
    }
    let mut header = String::new();
    let _ = write!(header, "Basic {encoded}");
    header
}

/// A command run on a pseudo-terminal (through util-linux `script`), so
/// that its stdin, stdout and stderr are all a terminal. Input is typed
/// only when asked for, as a person would.
pub struct Terminal {
    child: std::process::Child,
    input: std::process::ChildStdin,
    transcript: Arc<Mutex<String>>,
    reader: Option<JoinHandle<()>>,
}

impl Terminal {
    /// Starts `cloudmqtt ARGS` on a terminal with these environment
    /// variables (and none of the API ones inherited).
    pub fn start(env: &[(&str, &str)], args: &[&str]) -> Self {
        let quote = |word: &str| format!("'{}'", word.replace('\'', r"'\''"));
        let mut line = quote(env!("CARGO_BIN_EXE_cloudmqtt"));
        for arg in args {
            line.push(' ');
            line.push_str(&quote(arg));
        }
        let command = cloudmqtt();
        let mut script = Command::new("script");
        for (name, value) in command.get_envs() {
            match value {
                Some(value) => script.env(name, value),
                None => script.env_remove(name),
            };
        }
        script
            .args(["--quiet", "--return", "--command", &line, "/dev/null"])
            // A capable terminal unless the test says otherwise.
            .env("TERM", "xterm")
            .env_remove("NO_COLOR")
            .envs(env.iter().copied())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit());
        let mut child = script.spawn().expect("start `script` (util-linux)");
        let input = child.stdin.take().expect("stdin");
        let mut output = child.stdout.take().expect("stdout");
        let transcript = Arc::new(Mutex::new(String::new()));
        let reader = {
            let transcript = transcript.clone();
            std::thread::spawn(move || {
                let mut buffer = [0u8; 4096];
                while let Ok(n) = output.read(&mut buffer) {
                    if n == 0 {
                        break;
                    }
                    transcript
                        .lock()
                        .unwrap()
                        .push_str(&String::from_utf8_lossy(&buffer[..n]));
                }
            })
        };
        Self {
            child,
            input,
            transcript,
            reader: Some(reader),
        }
    }

    /// Waits until the screen shows `text` (failing the test after 20 s).
    #[track_caller]
    pub fn expect(&self, text: &str) {
        let deadline = Instant::now() + Duration::from_secs(20);
        while !self.transcript.lock().unwrap().contains(text) {
            assert!(
                Instant::now() < deadline,
                "{text:?} never showed; the screen: {:?}",
                self.transcript.lock().unwrap()
            );
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    /// Types `text`.
    pub fn type_text(&mut self, text: &str) {
        self.type_bytes(text.as_bytes());
    }

    /// Types raw bytes, which need not be UTF-8.
    pub fn type_bytes(&mut self, bytes: &[u8]) {
        self.input.write_all(bytes).expect("type");
        self.input.flush().expect("type");
    }

    /// Waits for the command to end; returns its exit code and everything
    /// the terminal showed.
    pub fn finish(mut self) -> (i32, String) {
        let deadline = Instant::now() + RUN_LIMIT;
        let status = loop {
            if let Some(status) = self.child.try_wait().expect("wait for `script`") {
                break status;
            }
            if Instant::now() > deadline {
                let _ = self.child.kill();
                let _ = self.child.wait();
                panic!("the command on the terminal ran longer than {RUN_LIMIT:?}");
            }
            std::thread::sleep(Duration::from_millis(10));
        };
        if let Some(reader) = self.reader.take() {
            let _ = reader.join();
        }
        let transcript = self.transcript.lock().unwrap().clone();
        (status.code().expect("exit code"), transcript)
    }
}

impl Drop for Terminal {
    fn drop(&mut self) {
        // A test that failed half-way must not leave the process behind.
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}
