//! Requests per second for `GET /api/user` with 100 users, from loopback.
//!
//! ```text
//! cargo run --release -p cloudmqtt-emulator --example bench
//! ```
//!
//! Starts the emulator in-process without a broker, creates 100 users,
//! then has [`CLIENTS`] threads send [`REQUESTS`] requests each over
//! keep-alive connections, checking every answer. Prints one line:
//! `bench GET /api/user (100 users): N requests, C connections, T s, R req/s`.
//! The figure is printed, never asserted.

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

fn main() {
    let options = Options {
        no_broker: true,
        api_key: Some("bench-key".into()),
        apply_delay_ms: 0,
        ..Options::default()
    };
    let emulator = Emulator::start(options).expect("the emulator starts");
    let address: SocketAddr = emulator
        .api_url()
        .trim_start_matches("http://")
        .trim_end_matches("/api")
        .parse()
        .expect("a socket address");
    let auth = format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(":bench-key")
    );
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
