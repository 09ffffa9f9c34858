//! The HTTP layer: a small synchronous server (`tiny_http`) and a few
//! worker threads.
//!
//! A thread-per-request server fits an emulator: a handful of clients, no
//! need for an async runtime, and it compiles in seconds. Each worker reads
//! at most [`MAX_BODY`] bytes of body (413 beyond), hands the request to
//! [`App::handle`] behind a panic guard (500 if it ever panicked), sends
//! the response and logs one line to standard error: method, path, status
//! and duration. Headers and bodies are never logged, and the API key is
//! scrubbed from the path should a client put it there.

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
                eprintln!("cloudmqtt-emulator: accepting a request failed: {error}");
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
    let path = url.split('?').next().unwrap_or("");
    let path = if api_key.is_empty() {
        path.to_owned()
    } else {
        path.replace(api_key, "[redacted]")
    };
    eprintln!(
        "{method} {path} {status} {:.1}ms",
        started.elapsed().as_secs_f64() * 1000.0
    );
    // Logged before the response goes out, so a client that got its
    // answer can count on the line being there.
    let _ = request.respond(reply);
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
