//! The emulator's speed, from loopback, in three figures.
//!
//! ```text
//! cargo run --release -p cloudmqtt-emulator --example bench
//! ```
//!
//! 1. Requests per second for `GET /api/user` with 100 users: the emulator
//!    in-process without a broker, [`CLIENTS`] threads sending
//!    [`REQUESTS`] requests each over keep-alive connections.
//! 2. [`WRITES`] changes, from one connection and as `cloudmqtt apply`
//!    sends them ([`WRITERS`] connections at once): pattern rules, queued
//!    (no broker, no password hashing), so that the figure is the cost of
//!    saving the state: the writes of the state file and their time.
//! 3. `POST /_emulator/reset` with [`RESET_USERS`] users applied, with the
//!    real broker when `mosquitto` is installed.
//!
//! Every answer is checked; the figures are printed, never asserted.

use std::io::{BufRead as _, BufReader, Read as _, Write as _};
use std::net::{SocketAddr, TcpStream};
use std::time::{Duration, Instant};

use base64::Engine as _;
use cloudmqtt_emulator::{Emulator, Options};

/// How many users the list holds.
const USERS: usize = 100;
/// How many client threads (and connections) run at once.
const CLIENTS: usize = 4;
/// How many requests each client sends.
const REQUESTS: usize = 2_500;
/// How many changes the write figure sends.
const WRITES: usize = 600;
/// How many connections send them at once (`cloudmqtt apply`'s default).
const WRITERS: usize = 4;
/// How many users the reset figure removes.
const RESET_USERS: usize = 1_000;

fn main() {
    reads();
    writes();
    reset();
}

/// `Basic base64(":key")`.
fn basic(key: &str) -> String {
    format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(format!(":{key}"))
    )
}

/// The socket address of a running emulator's API.
fn address_of(emulator: &Emulator) -> SocketAddr {
    emulator
        .api_url()
        .trim_start_matches("http://")
        .trim_end_matches("/api")
        .parse()
        .expect("a socket address")
}

/// Figure 2: saving the state for a burst of changes, sent by one
/// connection (each change waits for its own write, as every change did
/// before writes were batched) and by [`WRITERS`] at once (changes that
/// come while a write runs share the next one).
fn writes() {
    for writers in [1, WRITERS] {
        let options = Options {
            no_broker: true,
            api_key: Some("bench-key".into()),
            apply_delay_ms: 600_000,
            ..Options::default()
        };
        let emulator = Emulator::start(options).expect("the emulator starts");
        let address = address_of(&emulator);
        let auth = basic("bench-key");
        let before = emulator.state_writes();
        let started = Instant::now();
        std::thread::scope(|scope| {
            for writer in 0..writers {
                let auth = auth.as_str();
                scope.spawn(move || {
                    let mut connection = Connection::open(address);
                    for index in (writer..WRITES).step_by(writers) {
                        let body = format!("type=pattern&pattern=bench/%25u/{index}&read=true");
                        let (status, _) =
                            connection.send("POST", "/api/acl", auth, body.as_bytes());
                        assert_eq!(status, 204, "change {index}");
                    }
                });
            }
        });
        let took = started.elapsed();
        let after = emulator.state_writes();
        println!(
            "bench {WRITES} changes (POST /api/acl, queued), {writers} connection(s): {:.0} ms, {} writes of the state file, {:.0} ms writing",
            took.as_secs_f64() * 1000.0,
            after.writes - before.writes,
            (after.time - before.time).as_secs_f64() * 1000.0
        );
        emulator.shutdown();
    }
}

/// Figure 3: `POST /_emulator/reset` with many users.
fn reset() {
    let options = Options {
        api_key: Some("bench-key".into()),
        apply_delay_ms: 500,
        ..Options::default()
    };
    let emulator = Emulator::start(options).expect("the emulator starts");
    let broker = if emulator.mqtt_url().is_some() {
        "with the broker"
    } else {
        "without a broker"
    };
    let address = address_of(&emulator);
    let auth = basic("bench-key");
    let mut connection = Connection::open(address);
    for round in 0..3 {
        for index in 0..RESET_USERS {
            let body = format!("username=user-{index:04}&password=pw-{index}");
            let (status, _) = connection.send("POST", "/api/user", &auth, body.as_bytes());
            assert_eq!(status, 204, "creating user {index}");
        }
        loop {
            let (status, body) = connection.send("GET", "/api/user", &auth, b"");
            assert_eq!(status, 200);
            let listed: serde_json::Value = serde_json::from_slice(&body).expect("a JSON list");
            if listed.as_array().map(Vec::len) == Some(RESET_USERS) {
                break;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let started = Instant::now();
        let (status, _) = connection.send("POST", "/_emulator/reset", &auth, b"");
        let took = started.elapsed();
        assert_eq!(status, 204);
        let (_, body) = connection.send("GET", "/api/user", &auth, b"");
        assert_eq!(body, b"[]");
        println!(
            "bench POST /_emulator/reset ({RESET_USERS} users, {broker}), round {}: {:.1} ms",
            round + 1,
            took.as_secs_f64() * 1000.0
        );
    }
    drop(connection);
    emulator.shutdown();
}

/// Figure 1: reads.
fn reads() {
    let options = Options {
        no_broker: true,
        api_key: Some("bench-key".into()),
        apply_delay_ms: 0,
        ..Options::default()
    };
    let emulator = Emulator::start(options).expect("the emulator starts");
    let address = address_of(&emulator);
    let auth = basic("bench-key");
    let mut connection = Connection::open(address);
    for index in 0..USERS {
        let body = format!("username=user-{index:03}&password=pw-{index}");
        let (status, _) = connection.send("POST", "/api/user", &auth, body.as_bytes());
        assert_eq!(status, 204, "creating user {index}");
    }
    let (status, body) = connection.send("GET", "/api/user", &auth, b"");
    assert_eq!(status, 200);
    let listed: serde_json::Value = serde_json::from_slice(&body).expect("a JSON list");
    assert_eq!(listed.as_array().map(Vec::len), Some(USERS), "{listed}");
    // Warm up, then measure.
    for _ in 0..200 {
        connection.send("GET", "/api/user", &auth, b"");
    }
    drop(connection);
    let started = Instant::now();
    std::thread::scope(|scope| {
        for _ in 0..CLIENTS {
            let auth = auth.as_str();
            let expected = body.len();
            scope.spawn(move || {
                let mut connection = Connection::open(address);
                for _ in 0..REQUESTS {
                    let (status, body) = connection.send("GET", "/api/user", auth, b"");
                    assert!(status == 200 && body.len() == expected, "{status}");
                }
            });
        }
    });
    let took = started.elapsed();
    let total = CLIENTS * REQUESTS;
    println!(
        "bench GET /api/user ({USERS} users): {total} requests, {CLIENTS} connections, {:.2} s, {:.0} req/s",
        took.as_secs_f64(),
        total as f64 / took.as_secs_f64()
    );
    emulator.shutdown();
}

/// One keep-alive HTTP/1.1 connection.
struct Connection {
    reader: BufReader<TcpStream>,
    writer: TcpStream,
    host: SocketAddr,
}

impl Connection {
    fn open(address: SocketAddr) -> Self {
        let stream = TcpStream::connect(address).expect("connecting");
        stream.set_nodelay(true).expect("TCP_NODELAY");
        stream
            .set_read_timeout(Some(Duration::from_secs(30)))
            .expect("a read timeout");
        Self {
            reader: BufReader::new(stream.try_clone().expect("a second handle")),
            writer: stream,
            host: address,
        }
    }

    /// Sends a request and reads the whole response (`Content-Length`
    /// framed): its status and body.
    fn send(&mut self, method: &str, path: &str, auth: &str, body: &[u8]) -> (u16, Vec<u8>) {
        let mut request = format!(
            "{method} {path} HTTP/1.1\r\nHost: {}\r\nAuthorization: {auth}\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n\r\n",
            self.host,
            body.len()
        )
        .into_bytes();
        request.extend_from_slice(body);
        self.writer.write_all(&request).expect("sending");
        let mut line = String::new();
        self.reader.read_line(&mut line).expect("a status line");
        let status: u16 = line
            .split(' ')
            .nth(1)
            .and_then(|code| code.parse().ok())
            .unwrap_or_else(|| panic!("a status line: {line:?}"));
        let mut length = 0;
        loop {
            line.clear();
            self.reader.read_line(&mut line).expect("a header line");
            let header = line.trim_end();
            if header.is_empty() {
                break;
            }
            if let Some((name, value)) = header.split_once(':')
                && name.eq_ignore_ascii_case("content-length")
            {
                length = value.trim().parse().expect("a length");
            }
        }
        let mut body = vec![0; length];
        self.reader.read_exact(&mut body).expect("the body");
        (status, body)
    }
}
