//! The HTTP layer: a small synchronous server (`tiny_http`) and a few
//! worker threads.
//!
//! A thread-per-request server fits an emulator: a handful of clients, no
//! need for an async runtime, and it compiles in seconds. Each worker reads
//! at most [`MAX_BODY`] bytes of body (413 beyond), hands the request to
//! [`App::handle`] behind a panic guard (500 if it ever panicked), sends
//! the response and logs one line to standard error: method, path, status
//! and duration. Headers, bodies and query strings are never logged, and
//! the API key is scrubbed from the path should a client put it there,
//! plainly or percent-encoded (see [`loggable_path`]). A log line that
//! cannot be written (standard error closed) is dropped; the request is
//! answered all the same.

use std::io::Read as _;
use std::net::{SocketAddr, TcpListener};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread;
use std::time::{Duration, Instant};

use crate::api::{ApiRequest, ApiResponse, App};

/// The largest request body accepted (enough for the longest user name and
/// password the API allows, in either encoding).
pub const MAX_BODY: usize = 1 << 20;
/// How many requests are served at once.
const WORKERS: usize = 4;

/// A running HTTP server.
pub struct HttpServer {
    server: Arc<tiny_http::Server>,
    address: SocketAddr,
    stop: Arc<AtomicBool>,
    workers: Vec<thread::JoinHandle<()>>,
}

impl std::fmt::Debug for HttpServer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HttpServer")
            .field("address", &self.address)
            .finish_non_exhaustive()
    }
}

impl HttpServer {
    /// Serves `app` on an already bound listener.
    ///
    /// # Errors
    /// When the listener cannot be used.
    pub fn start(listener: TcpListener, app: Arc<App>, api_key: String) -> std::io::Result<Self> {
        let address = listener.local_addr()?;
        let server = Arc::new(
            tiny_http::Server::from_listener(listener, None)
                .map_err(|error| std::io::Error::other(error.to_string()))?,
        );
        let stop = Arc::new(AtomicBool::new(false));
        let workers = (0..WORKERS)
            .map(|index| {
                let server = Arc::clone(&server);
                let app = Arc::clone(&app);
                let stop = Arc::clone(&stop);
                let api_key = api_key.clone();
                thread::Builder::new()
                    .name(format!("http-{index}"))
                    .spawn(move || serve(&server, &app, &stop, &api_key))
            })
            .collect::<std::io::Result<Vec<_>>>()?;
        Ok(Self {
            server,
            address,
            stop,
            workers,
        })
    }

    /// The address the server listens on.
    pub fn address(&self) -> SocketAddr {
        self.address
    }

    /// Stops taking requests and waits for the workers to finish theirs.
    pub fn stop(mut self) {
        self.stop.store(true, Ordering::SeqCst);
        for _ in 0..self.workers.len() {
            self.server.unblock();
        }
        for worker in self.workers.drain(..) {
            let _ = worker.join();
        }
    }
}

fn serve(server: &tiny_http::Server, app: &App, stop: &AtomicBool, api_key: &str) {
    while !stop.load(Ordering::SeqCst) {
        match server.recv_timeout(Duration::from_millis(200)) {
            Ok(Some(request)) => respond(request, app, api_key),
            Ok(None) => {}
            Err(error) => {
                log!("cloudmqtt-emulator: accepting a request failed: {error}");
                thread::sleep(Duration::from_millis(50));
            }
        }
    }
}

fn respond(mut request: tiny_http::Request, app: &App, api_key: &str) {
    let started = Instant::now();
    let method = request.method().as_str().to_owned();
    let url = request.url().to_owned();
    let response = match read_request(&mut request, &method, &url) {
        Ok(api_request) => catch_unwind(AssertUnwindSafe(|| app.handle(&api_request)))
            .unwrap_or_else(|_| ApiResponse::error(500, "internal error")),
        Err(response) => response,
    };
    let status = response.status;
    let close = status == 413;
    // Always a Content-Length, never chunked: simpler for every client.
    let mut reply = tiny_http::Response::from_data(response.body)
        .with_status_code(tiny_http::StatusCode(status))
        .with_chunked_threshold(usize::MAX);
    for (name, value) in response.headers {
        if let Ok(header) = tiny_http::Header::from_bytes(name.as_bytes(), value.as_bytes()) {
            reply.add_header(header);
        }
    }
    if close && let Ok(header) = tiny_http::Header::from_bytes(&b"Connection"[..], &b"close"[..]) {
        reply.add_header(header);
    }
    log!(
        "{method} {} {status} {:.1}ms",
        loggable_path(&url, api_key),
        started.elapsed().as_secs_f64() * 1000.0
    );
    // Logged before the response goes out, so a client that got its
    // answer can count on the line being there.
    let _ = request.respond(reply);
}

/// The path of a request target as logged: the query left out, and every
/// occurrence of `api_key` replaced by `[redacted]`, whether written
/// plainly, percent-encoded, or in any mix of the two (`/api/user/%6B1`
/// for the key `k1`: the name the handler sees once it decodes the path).
/// The rest of the path is logged as sent, undecoded, so that a
/// percent-encoded line break cannot split a log line.
pub fn loggable_path(url: &str, api_key: &str) -> String {
    let path = url.split('?').next().unwrap_or("").as_bytes();
    let key = api_key.as_bytes();
    if key.is_empty() {
        return String::from_utf8_lossy(path).into_owned();
    }
    // The decoded bytes, each with the range of `path` it came from.
    let mut decoded = Vec::with_capacity(path.len());
    let mut sources = Vec::with_capacity(path.len());
    let mut at = 0;
    while at < path.len() {
        let escaped = match path.get(at..at + 3) {
            Some([b'%', high, low]) => hex_digit(*high)
                .zip(hex_digit(*low))
                .map(|(high, low)| (high << 4) | low),
            _ => None,
        };
        match escaped {
            Some(byte) => {
                decoded.push(byte);
                sources.push(at..at + 3);
                at += 3;
            }
            None => {
                decoded.push(path[at]);
                sources.push(at..at + 1);
                at += 1;
            }
        }
    }
    // Ranges of `path` to hide: the key as written, and the key once
    // decoded (which covers the plain form too, unless the key itself
    // holds a `%`).
    let mut hidden: Vec<std::ops::Range<usize>> = Vec::new();
    for start in 0..path.len() {
        if path[start..].starts_with(key) {
            hidden.push(start..start + key.len());
        }
    }
    for start in 0..decoded.len() {
        if decoded[start..].starts_with(key) {
            let end = start + key.len() - 1;
            hidden.push(sources[start].start..sources[end].end);
        }
    }
    hidden.sort_by_key(|range| range.start);
    let mut logged = Vec::with_capacity(path.len());
    let mut copied = 0;
    for range in hidden {
        if range.end <= copied {
            continue;
        }
        if range.start >= copied {
            logged.extend_from_slice(&path[copied..range.start]);
            logged.extend_from_slice(b"[redacted]");
        }
        copied = range.end;
    }
    logged.extend_from_slice(&path[copied..]);
    String::from_utf8_lossy(&logged).into_owned()
}

fn hex_digit(byte: u8) -> Option<u8> {
    char::from(byte)
        .to_digit(16)
        .and_then(|digit| u8::try_from(digit).ok())
}

/// Copies what the handler needs out of the request, reading a bounded
/// body.
fn read_request(
    request: &mut tiny_http::Request,
    method: &str,
    url: &str,
) -> Result<ApiRequest, ApiResponse> {
    let too_large = || ApiResponse::error(413, "request body too large");
    if request
        .body_length()
        .is_some_and(|length| length > MAX_BODY)
    {
        return Err(too_large());
    }
    let headers = request
        .headers()
        .iter()
        .map(|header| {
            (
                header.field.as_str().as_str().to_owned(),
                header.value.as_str().to_owned(),
            )
        })
        .collect();
    let mut body = Vec::new();
    request
        .as_reader()
        .take(MAX_BODY as u64 + 1)
        .read_to_end(&mut body)
        .map_err(|_| ApiResponse::error(400, "invalid body: could not be read"))?;
    if body.len() > MAX_BODY {
        return Err(too_large());
    }
    Ok(ApiRequest {
        method: method.to_owned(),
        url: url.to_owned(),
        headers,
        body,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_key_is_redacted_in_every_spelling() {
        let cases = [
            ("/api/user/k1", "k1", "/api/user/[redacted]"),
            ("/api/user/%6B1", "k1", "/api/user/[redacted]"),
            ("/api/user/%6b%31", "k1", "/api/user/[redacted]"),
            ("/api/user/k%31x", "k1", "/api/user/[redacted]x"),
            (
                "/api/user/xk1k1?k1=k1",
                "k1",
                "/api/user/x[redacted][redacted]",
            ),
            ("/api/user/k1%6B1", "k1", "/api/user/[redacted][redacted]"),
            ("/api/user/kk1", "kk1k", "/api/user/kk1"),
            ("/api/user/%6", "k1", "/api/user/%6"),
            ("/api/user/%0A", "k1", "/api/user/%0A"),
            ("/api/user/%6B%6B", "kk", "/api/user/[redacted]"),
            ("/api/user/aaa", "aa", "/api/user/[redacted]"),
            // A key holding a `%`: as written, and encoded.
            ("/api/user/a%41", "a%41", "/api/user/[redacted]"),
            ("/api/user/a%2541", "a%41", "/api/user/[redacted]"),
            ("/api/user/%C3%A9t%C3%A9", "été", "/api/user/[redacted]"),
            ("/api/user/%C3%A9", "", "/api/user/%C3%A9"),
            ("", "k1", ""),
        ];
        for (url, key, logged) in cases {
            assert_eq!(loggable_path(url, key), logged, "{url} {key}");
        }
    }
}
