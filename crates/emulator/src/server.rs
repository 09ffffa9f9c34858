//! The HTTP layer: axum (on hyper) on a small tokio runtime of its own.
//!
//! One thread runs a single-threaded runtime that accepts connections and
//! reads requests; each request is handed to [`App::handle`], which is
//! synchronous (it may sleep for `--latency-ms` or wait for the broker to
//! reload), on tokio's blocking pool behind a panic guard (500 if it ever
//! panicked). A body is read up to [`MAX_BODY`] bytes; past that the rest
//! is read and dropped (up to [`DRAIN_LIMIT`], so that the client can read
//! the answer rather than a reset connection) and a 413 goes back at once
//! with `Connection: close`, before latency, rate limit, injected failure
//! and authentication. A client that waits for `100 Continue` before
//! sending a body that is too large gets its 413 without sending it.
//!
//! `GET /health` is answered here, without authentication, latency or
//! injected failures: `{"status":"ok","broker":"running"|"stopped"|"disabled"}`,
//! 503 when the broker should run and does not answer.
//!
//! With `--cors-origin`, tower-http's CORS layer answers preflights (the
//! methods the API serves, the `authorization` and `content-type` request
//! headers) and adds the CORS headers to every answer, exposing
//! `Retry-After`, `WWW-Authenticate` and `Allow` to scripts; without it, no
//! CORS header is sent and a preflight is a 405 like any `OPTIONS`.
//!
//! Every request, preflights included, is logged as one line on standard
//! error: method, path, status and duration. Headers, bodies and query
//! strings are never logged, and the API key is scrubbed from the path
//! should a client put it there, plainly or percent-encoded (see
//! [`crate::redact::loggable_path`]). A log line that cannot be written (standard error
//! closed) is dropped; the request is answered all the same.

use std::net::{SocketAddr, TcpListener};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::Response;
use axum::serve::ListenerExt as _;
use http_body_util::BodyExt as _;
use tokio::sync::watch;
use tower_http::cors::{AllowOrigin, CorsLayer};

use crate::app::App;
use crate::broker::{self, BrokerState};
use crate::redact::loggable_path;
use crate::wire::{ApiRequest, ApiResponse};

/// The largest request body accepted (enough for the longest user name and
/// password the API allows, in either encoding).
pub const MAX_BODY: usize = 1 << 20;
/// How much of a body that is too large is read (and dropped) before the
/// 413, so that the client is not reset while still sending. A larger one
/// is answered without reading it.
pub const DRAIN_LIMIT: u64 = 16 << 20;
/// How long a stop waits for requests in progress before dropping them.
const STOP_TIMEOUT: Duration = Duration::from_secs(5);
/// How long browsers may cache a preflight's answer.
const CORS_MAX_AGE: Duration = Duration::from_secs(600);

/// What the server needs besides the app.
#[derive(Debug, Clone)]
pub struct ServerSettings {
    /// The API key, to scrub from logged paths.
    pub api_key: cloudmqtt_api::Secret,
    /// Origins allowed to call the API from a browser (`*` for any); none:
    /// no CORS headers at all.
    pub cors_origins: Vec<String>,
    /// Where the broker listens, for `/health` (`None`: no broker).
    pub broker: Option<SocketAddr>,
}

/// What every request handler shares.
struct Shared {
    app: Arc<App>,
    broker: Option<SocketAddr>,
}

/// A running HTTP server.
pub struct HttpServer {
    address: SocketAddr,
    stop: watch::Sender<bool>,
    thread: Option<thread::JoinHandle<()>>,
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
    /// When the listener cannot be used, the runtime cannot start, or a
    /// CORS origin is not a valid header value.
    pub fn start(
        listener: TcpListener,
        app: Arc<App>,
        settings: ServerSettings,
    ) -> std::io::Result<Self> {
        let address = listener.local_addr()?;
        listener.set_nonblocking(true)?;
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_io()
            .enable_time()
            .thread_name("http")
            .build()?;
        let listener = {
            let _entered = runtime.enter();
            tokio::net::TcpListener::from_std(listener)?
        };
        let router = router(app, &settings)?;
        let (stop, mut stopped) = watch::channel(false);
        let thread = thread::Builder::new().name("http".into()).spawn(move || {
            runtime.block_on(async move {
                let listener = listener.tap_io(|stream| {
                    let _ = stream.set_nodelay(true);
                });
                let mut signal = stopped.clone();
                let server = axum::serve(listener, router).with_graceful_shutdown(async move {
                    let _ = signal.wait_for(|stop| *stop).await;
                });
                // Requests still running after the stop get a little
                // time, not forever.
                let deadline = async {
                    let _ = stopped.wait_for(|stop| *stop).await;
                    tokio::time::sleep(STOP_TIMEOUT).await;
                };
                tokio::select! {
                    result = server => if let Err(error) = result {
                        log!("cloudmqtt-emulator: the HTTP server failed: {error}");
                    },
                    () = deadline => {}
                }
            });
            runtime.shutdown_timeout(STOP_TIMEOUT);
        })?;
        Ok(Self {
            address,
            stop,
            thread: Some(thread),
        })
    }

    /// The address the server listens on.
    pub fn address(&self) -> SocketAddr {
        self.address
    }

    /// Stops taking requests and waits for those in progress to finish.
    pub fn stop(mut self) {
        let _ = self.stop.send(true);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// The whole service: every path goes to [`handle`], wrapped in CORS (when
/// asked for) and then in the request log.
fn router(app: Arc<App>, settings: &ServerSettings) -> std::io::Result<Router> {
    let shared = Arc::new(Shared {
        app,
        broker: settings.broker,
    });
    let mut router = Router::new().fallback(handle).with_state(shared);
    if !settings.cors_origins.is_empty() {
        router = router.layer(cors(&settings.cors_origins)?);
    }
    let api_key: Arc<str> = Arc::from(settings.api_key.expose());
    Ok(router.layer(middleware::from_fn_with_state(api_key, log_request)))
}

/// The CORS layer for these origins.
fn cors(origins: &[String]) -> std::io::Result<CorsLayer> {
    let allow = if origins.iter().any(|origin| origin == "*") {
        AllowOrigin::any()
    } else {
        let values = origins
            .iter()
            .map(|origin| HeaderValue::from_str(origin))
            .collect::<Result<Vec<_>, _>>()
            .map_err(|_| std::io::Error::other("--cors-origin: not a valid origin"))?;
        AllowOrigin::list(values)
    };
    Ok(CorsLayer::new()
        .allow_origin(allow)
        .allow_methods([Method::GET, Method::POST, Method::PUT, Method::DELETE])
        .allow_headers([header::AUTHORIZATION, header::CONTENT_TYPE])
        .expose_headers([header::RETRY_AFTER, header::WWW_AUTHENTICATE, header::ALLOW])
        .max_age(CORS_MAX_AGE))
}

/// Logs one line per request once its answer is ready, before it goes
/// out, so that a client that got its answer can count on the line being
/// there.
async fn log_request(State(api_key): State<Arc<str>>, request: Request, next: Next) -> Response {
    let started = Instant::now();
    let method = request.method().clone();
    let target = request_target(&request);
    let response = next.run(request).await;
    log!(
        "{method} {} {} {:.1}ms",
        loggable_path(&target, &api_key),
        response.status().as_u16(),
        started.elapsed().as_secs_f64() * 1000.0
    );
    response
}

/// The request target as sent: path and query.
fn request_target(request: &Request) -> String {
    let uri = request.uri();
    match uri.path_and_query() {
        Some(target) => target.as_str().to_owned(),
        None => uri.to_string(),
    }
}

/// Answers one request: `/health` here, everything else by the app.
async fn handle(State(shared): State<Arc<Shared>>, request: Request) -> Response {
    if request.uri().path() == "/health" {
        return health(&shared, request.method()).await;
    }
    let url = request_target(&request);
    let (parts, body) = request.into_parts();
    let body = match read_body(body, &parts.headers).await {
        Ok(body) => body,
        Err(response) => return into_response(response),
    };
    let api_request = ApiRequest {
        method: parts.method.as_str().to_owned(),
        url,
        headers: parts
            .headers
            .iter()
            .map(|(name, value)| {
                (
                    name.as_str().to_owned(),
                    String::from_utf8_lossy(value.as_bytes()).into_owned(),
                )
            })
            .collect(),
        body,
    };
    let app = Arc::clone(&shared.app);
    let response = tokio::task::spawn_blocking(move || {
        catch_unwind(AssertUnwindSafe(|| app.handle(&api_request)))
            .unwrap_or_else(|_| ApiResponse::error(500, "internal error"))
    })
    .await
    .unwrap_or_else(|_| ApiResponse::error(500, "internal error"));
    into_response(response)
}

/// `GET /health`: no authentication, no added latency, no injected
/// failure. `{"status":"ok","broker":"running"|"stopped"|"disabled"}`,
/// 503 when the broker does not answer, and a `problem` when the broker
/// refused the files made from the API's rules and runs closed.
async fn health(shared: &Shared, method: &Method) -> Response {
    if method != Method::GET && method != Method::HEAD {
        return into_response(
            ApiResponse::error(405, "method not allowed").with_header("Allow", "GET, HEAD"),
        );
    }
    let address = shared.broker;
    let app = Arc::clone(&shared.app);
    let (state, problem) =
        tokio::task::spawn_blocking(move || (broker::state(address), app.broker_problem()))
            .await
            .unwrap_or((BrokerState::Stopped, None));
    let status = if state == BrokerState::Stopped {
        503
    } else {
        200
    };
    let mut body = serde_json::json!({"status": "ok", "broker": state.as_str()});
    // The broker refused the files made from the API's rules: it runs on
    // the last ones it accepted, or denies everything (fail closed).
    if let Some(problem) = problem {
        body["problem"] = problem.into();
    }
    into_response(ApiResponse::json(status, &body))
}

/// Reads a body of at most [`MAX_BODY`] bytes; a larger one is a 413 and
/// an unreadable one a 400.
async fn read_body(mut body: Body, headers: &HeaderMap) -> Result<Vec<u8>, ApiResponse> {
    let too_large = || ApiResponse::error(413, "request body too large");
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.trim().parse::<u64>().ok());
    let waits_for_continue = headers
        .get(header::EXPECT)
        .is_some_and(|value| value.as_bytes().eq_ignore_ascii_case(b"100-continue"));
    if let Some(length) = declared
        && length > MAX_BODY as u64
        && (waits_for_continue || length > DRAIN_LIMIT)
    {
        return Err(too_large());
    }
    let mut bytes = Vec::new();
    let mut seen: u64 = 0;
    while let Some(frame) = body.frame().await {
        let Ok(frame) = frame else {
            return Err(ApiResponse::error(400, "invalid body: could not be read"));
        };
        let Ok(data) = frame.into_data() else {
            continue;
        };
        seen += data.len() as u64;
        if seen > DRAIN_LIMIT {
            break;
        }
        if seen <= MAX_BODY as u64 {
            bytes.extend_from_slice(&data);
        }
    }
    if seen > MAX_BODY as u64 {
        return Err(too_large());
    }
    Ok(bytes)
}

/// The app's answer as an HTTP response, always with a `Content-Length`
/// (never chunked); a 413 closes the connection.
fn into_response(api: ApiResponse) -> Response {
    let status = StatusCode::from_u16(api.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let mut response = Response::new(Body::from(api.body));
    *response.status_mut() = status;
    let headers = response.headers_mut();
    for (name, value) in api.headers {
        if let (Ok(name), Ok(value)) = (
            HeaderName::from_bytes(name.as_bytes()),
            HeaderValue::from_str(&value),
        ) {
            headers.append(name, value);
        }
    }
    if status == StatusCode::PAYLOAD_TOO_LARGE {
        headers.insert(header::CONNECTION, HeaderValue::from_static("close"));
    }
    response
}
