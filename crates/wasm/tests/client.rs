//! The WebAssembly client's tasks, stepped here the way the npm package's
//! driver (`npm/src/client.js`) steps them, in Node and in a browser:
//! request shape, results, argument checks, client options, retries, rate
//! limits, timeouts, redirects, secrets, aborts, paging and waiting.
//!
//! Nothing is fetched and no timer runs: every response is handed in by
//! script and every `now` is chosen here, so each run is exact. How the
//! driver itself sleeps and aborts is tested with the npm package
//! (`tests/npm`).
#![cfg(target_arch = "wasm32")]

use cloudmqtt_api_wasm::{MethodId, Task, WasmClient};
use js_sys::{Array, JSON, Object, Reflect};
use wasm_bindgen::prelude::*;
use wasm_bindgen_test::wasm_bindgen_test;
use web_sys::AbortSignal;

const KEY: &str = "test-key-0123";
/// `Basic` and the base64 of `:test-key-0123`.
const AUTHORIZATION: &str = "Basic OnRlc3Qta2V5LTAxMjM=";
const BASE_URL: &str = "http://127.0.0.1:9/api";
/// When each run starts: 2023-11-14T22:13:20Z, in `Date.now()` milliseconds.
const T0: f64 = 1_700_000_000_000.0;
/// The attempt timeout when no option sets one.
const DEFAULT_TIMEOUT_MS: f64 = 30_000.0;
/// The backoff ceiling of the first retry (the second's is twice this).
const BASE_DELAY_MS: f64 = 500.0;
/// How long after a wait starts its first probe goes out (when the
/// interval is not shorter).
const FIRST_PROBE_MS: f64 = 125.0;

fn js(json: &str) -> JsValue {
    JSON::parse(json).unwrap_or_else(|_| panic!("test JSON: {json}"))
}

fn text(value: &JsValue) -> String {
    JSON::stringify(value)
        .ok()
        .and_then(|s| s.as_string())
        .unwrap_or_else(|| format!("{value:?}"))
}

fn prop(value: &JsValue, name: &str) -> JsValue {
    Reflect::get(value, &JsValue::from_str(name)).expect("property")
}

fn prop_string(value: &JsValue, name: &str) -> Option<String> {
    prop(value, name).as_string()
}

fn set(object: &JsValue, name: &str, value: &JsValue) {
    Reflect::set(object, &JsValue::from_str(name), value).expect("set property");
}

fn keys(value: &JsValue) -> Vec<String> {
    Object::keys(value.unchecked_ref::<Object>())
        .iter()
        .map(|key| key.as_string().expect("key"))
        .collect()
}

fn code(error: &JsValue) -> String {
    prop_string(error, "code").unwrap_or_else(|| panic!("no code in {}", text(error)))
}

fn field(error: &JsValue) -> Option<String> {
    prop_string(error, "field")
}

#[wasm_bindgen(inline_js = "export function signal() { return new AbortController().signal; }")]
extern "C" {
    /// A fresh `AbortSignal`, not aborted.
    fn signal() -> AbortSignal;
}

/// A client with the test key and base URL and no retries; `extra` adds
/// or overrides options.
fn client(extra: &str) -> WasmClient {
    let options = js(&format!(
        r#"{{"apiKey": "{KEY}", "baseUrl": "{BASE_URL}", "maxRetries": 0}}"#
    ));
    let options = Object::assign(
        options.unchecked_ref::<Object>(),
        js(extra).unchecked_ref::<Object>(),
    );
    WasmClient::new(options.into()).unwrap_or_else(|error| panic!("client: {}", text(&error)))
}

fn start(api: &WasmClient, method: MethodId, args: [JsValue; 3]) -> Task {
    let [a, b, c] = args;
    api.start(method, a, b, c)
}

/// No argument.
fn none() -> JsValue {
    JsValue::UNDEFINED
}

/// What the scripted server does with one request.
#[derive(Clone)]
enum Reply {
    /// A response with this status, `content-type`, `retry-after` and body.
    Response {
        status: u16,
        content_type: Option<&'static str>,
        retry_after: Option<String>,
        body: String,
    },
    /// The network failed with this message.
    Network(String),
    /// No answer: the attempt's timeout ran out.
    Timeout,
}

fn json(status: u16, body: &str) -> Reply {
    Reply::Response {
        status,
        content_type: Some("application/json"),
        retry_after: None,
        body: body.to_owned(),
    }
}

fn plain(status: u16, body: &str) -> Reply {
    Reply::Response {
        status,
        content_type: Some("text/plain"),
        retry_after: None,
        body: body.to_owned(),
    }
}

fn empty(status: u16) -> Reply {
    Reply::Response {
        status,
        content_type: None,
        retry_after: None,
        body: String::new(),
    }
}

fn rate_limited(retry_after: &str) -> Reply {
    Reply::Response {
        status: 429,
        content_type: None,
        retry_after: Some(retry_after.to_owned()),
        body: String::new(),
    }
}

fn network(message: &str) -> Reply {
    Reply::Network(message.to_owned())
}

/// One `S` step: what the driver would fetch, and when.
struct Sent {
    at: f64,
    url: String,
    method: String,
    timeout_ms: f64,
    /// The ticket its outcome goes back with.
    ticket: f64,
    init: JsValue,
    headers: JsValue,
    body: Option<String>,
}

impl Sent {
    /// Parses an `S` step taken at `at`.
    fn parse(step: &str, at: f64) -> Self {
        let json = step
            .strip_prefix('S')
            .unwrap_or_else(|| panic!("expected a send, got {step}"));
        let value = JSON::parse(json).unwrap_or_else(|_| panic!("send JSON: {json}"));
        let keys = keys(&value);
        // `pending` is there when the machine then waits for the outcome.
        assert_eq!(keys[..4], ["ticket", "url", "timeoutMs", "init"], "{json}");
        assert!(keys.len() == 4 || keys[4..] == ["pending"], "{json}");
        let init = prop(&value, "init");
        Self {
            at,
            url: prop_string(&value, "url").expect("url"),
            timeout_ms: prop(&value, "timeoutMs").as_f64().expect("timeoutMs"),
            ticket: prop(&value, "ticket").as_f64().expect("ticket"),
            method: prop_string(&init, "method").expect("method"),
            headers: prop(&init, "headers"),
            body: prop_string(&init, "body"),
            init,
        }
    }

    fn header(&self, name: &str) -> Option<String> {
        prop_string(&self.headers, name)
    }

    fn line(&self) -> String {
        format!("{} {}", self.method, self.url)
    }
}

/// A task stepped to its end.
struct Run {
    sent: Vec<Sent>,
    /// The `W` steps' milliseconds, in order.
    waits: Vec<f64>,
    /// The final step: `D…`, `C`, `U`, `N` or `E…`.
    end: String,
    /// When the final step was taken.
    now: f64,
    /// The `V` steps' JSON (a retry, a wait), in order.
    events: Vec<String>,
    /// The body of the last response handed in (the result of a `C`).
    last_body: Option<String>,
}

impl Run {
    /// The result as JSON text (`undefined` for `U`).
    fn result(&self) -> String {
        match self.end.as_str() {
            "U" => "undefined".to_owned(),
            "N" => "null".to_owned(),
            "C" => normal(self.last_body.as_deref().expect("a body for C")),
            end => match end.strip_prefix('D') {
                Some(json) => normal(json),
                None => panic!("expected a result, got {end}"),
            },
        }
    }

    fn error(&self) -> JsValue {
        error_of(&self.end)
    }

    fn lines(&self) -> Vec<String> {
        self.sent.iter().map(Sent::line).collect()
    }
}

/// The JSON text of `json` as `JSON.parse` reads it.
fn normal(json: &str) -> String {
    text(&JSON::parse(json).unwrap_or_else(|_| panic!("result JSON: {json}")))
}

/// The error object of an `E` step.
fn error_of(step: &str) -> JsValue {
    let json = step
        .strip_prefix('E')
        .unwrap_or_else(|| panic!("expected an error, got {step}"));
    JSON::parse(json).unwrap_or_else(|_| panic!("error JSON: {json}"))
}

/// The next step the driver acts on: the events before it (`V` steps: a
/// retry or a wait, for the logger and the hooks) are passed over.
fn next(task: &mut Task, now: f64) -> String {
    loop {
        let step = task.step(now);
        if !step.starts_with('V') {
            return step;
        }
    }
}

/// Steps `task` from `start` as the driver does: each `S` gets the next
/// reply (the last one repeats), each `W` moves the clock on by its
/// milliseconds, and a timeout is handed in once the attempt's
/// `timeoutMs` has passed. Every reply must be used.
fn drive(task: &mut Task, replies: &[Reply], start: f64) -> Run {
    let mut now = start;
    let mut sent = Vec::new();
    let mut waits = Vec::new();
    let mut events = Vec::new();
    let mut last_body = None;
    for _ in 0..1000 {
        let step = task.step(now);
        match step.as_bytes().first() {
            Some(b'S') => {
                let request = Sent::parse(&step, now);
                let reply = replies
                    .get(sent.len().min(replies.len().saturating_sub(1)))
                    .unwrap_or_else(|| panic!("no reply scripted for {}", request.line()))
                    .clone();
                match reply {
                    Reply::Response {
                        status,
                        content_type,
                        retry_after,
                        body,
                    } => {
                        task.respond(
                            request.ticket,
                            status,
                            content_type.map(str::to_owned),
                            retry_after,
                            body.clone().into_bytes(),
                            now,
                        );
                        last_body = Some(body);
                    }
                    Reply::Network(message) => task.fail(request.ticket, false, message, now),
                    Reply::Timeout => {
                        now += request.timeout_ms;
                        let timed_out = "the request timed out".to_owned();
                        task.fail(request.ticket, true, timed_out, now);
                    }
                }
                sent.push(request);
            }
            Some(b'V') => events.push(step[1..].to_owned()),
            Some(b'W') => {
                let ms: f64 = step[1..].parse().unwrap_or_else(|_| panic!("wait {step}"));
                waits.push(ms);
                now += ms;
            }
            Some(b'D' | b'C' | b'U' | b'N' | b'E') => {
                assert!(
                    sent.len() >= replies.len(),
                    "only {} of {} replies were used; ended with {step}",
                    sent.len(),
                    replies.len()
                );
                return Run {
                    sent,
                    waits,
                    end: step,
                    now,
                    events,
                    last_body,
                };
            }
            _ => panic!("unknown step {step:?}"),
        }
    }
    panic!("the task did not end in 1000 steps");
}

/// Starts `method` and steps it from [`T0`] with `replies`.
fn call(api: &WasmClient, method: MethodId, args: [JsValue; 3], replies: &[Reply]) -> Run {
    drive(&mut start(api, method, args), replies, T0)
}

#[wasm_bindgen_test]
fn create_user_sends_json_with_basic_auth() {
    let api = client("{}");
    let user = js(r#"{"username": "alice", "password": "pw"}"#);
    let run = call(
        &api,
        MethodId::CreateUser,
        [user, none(), none()],
        &[empty(201)],
    );
    assert_eq!(run.end, "U");
    assert_eq!(run.result(), "undefined");
    assert_eq!(run.lines(), [format!("POST {BASE_URL}/user")]);
    let request = &run.sent[0];
    assert_eq!(keys(&request.init), ["method", "headers", "body"]);
    assert_eq!(
        request.header("authorization").as_deref(),
        Some(AUTHORIZATION)
    );
    assert_eq!(
        request.header("accept").as_deref(),
        Some("application/json")
    );
    assert_eq!(
        request.header("content-type").as_deref(),
        Some("application/json")
    );
    assert_eq!(
        request.body.as_deref(),
        Some(r#"{"username":"alice","password":"pw"}"#)
    );
    assert_eq!(request.timeout_ms, DEFAULT_TIMEOUT_MS);
}

#[wasm_bindgen_test]
fn every_method_sends_its_documented_request() {
    let api = client("{}");
    let cases = [
        (
            MethodId::RestartInstance,
            [none(), none(), none()],
            "POST",
            "/instance/restart",
            None,
        ),
        (
            MethodId::ResetInstance,
            [none(), none(), none()],
            "POST",
            "/instance/reset",
            None,
        ),
        (
            MethodId::ListUsers,
            [none(), none(), none()],
            "GET",
            "/user",
            None,
        ),
        (
            MethodId::GetUser,
            ["a b/c".into(), none(), none()],
            "GET",
            "/user/a%20b%2Fc",
            None,
        ),
        (
            MethodId::UpdateUserPassword,
            ["alice".into(), "pw2".into(), none()],
            "PUT",
            "/user/alice",
            Some(r#"{"password":"pw2"}"#),
        ),
        (
            MethodId::DeleteUser,
            ["alice".into(), none(), none()],
            "DELETE",
            "/user/alice",
            None,
        ),
        (
            MethodId::ListAcls,
            [none(), none(), none()],
            "GET",
            "/acl",
            None,
        ),
        (
            MethodId::CreateAcl,
            [
                js(
                    r#"{"type": "topic", "username": "alice", "pattern": "a/#", "read": true, "write": false}"#,
                ),
                none(),
                none(),
            ],
            "POST",
            "/acl",
            Some(
                r#"{"type":"topic","username":"alice","pattern":"a/#","read":true,"write":false}"#,
            ),
        ),
        (
            MethodId::DeleteAcl,
            [
                js(r#"{"username": "alice", "topic": "a/#"}"#),
                none(),
                none(),
            ],
            "DELETE",
            "/acl",
            Some(r#"{"username":"alice","topic":"a/#"}"#),
        ),
        (
            MethodId::WaitForUser,
            ["alice".into(), none(), none()],
            "GET",
            "/user/alice",
            None,
        ),
        (
            MethodId::WaitForAcl,
            [
                js(r#"{"type": "pattern", "pattern": "p/%u"}"#),
                none(),
                none(),
            ],
            "GET",
            "/acl",
            None,
        ),
    ];
    for (method, args, verb, path, body) in cases {
        let mut task = start(&api, method, args);
        let mut at = T0;
        let mut step = next(&mut task, at);
        // A wait's first probe goes out after the schedule's first delay.
        if let Some(ms) = step.strip_prefix('W') {
            assert_eq!(ms.parse::<f64>().ok(), Some(FIRST_PROBE_MS), "{method:?}");
            at += FIRST_PROBE_MS;
            step = next(&mut task, at);
        }
        let request = Sent::parse(&step, at);
        assert_eq!(
            request.line(),
            format!("{verb} {BASE_URL}{path}"),
            "{method:?}"
        );
        assert_eq!(request.body.as_deref(), body, "{method:?}");
        assert_eq!(
            request.header("authorization").as_deref(),
            Some(AUTHORIZATION)
        );
        let content_type = request.header("content-type");
        assert_eq!(
            content_type.as_deref(),
            body.map(|_| "application/json"),
            "{method:?}: a content type exactly when there is a body"
        );
        if body.is_none() {
            assert_eq!(keys(&request.init), ["method", "headers"], "{method:?}");
        }
    }
}

#[wasm_bindgen_test]
fn form_encoding_sends_form_bodies() {
    let api = client(r#"{"encoding": "form"}"#);
    let rule = js(
        r#"{"type": "topic", "username": "alice", "pattern": "a/#", "read": true, "write": false}"#,
    );
    let run = call(
        &api,
        MethodId::CreateAcl,
        [rule, none(), none()],
        &[empty(200)],
    );
    assert_eq!(run.end, "U");
    let request = &run.sent[0];
    assert_eq!(
        request.header("content-type").as_deref(),
        Some("application/x-www-form-urlencoded")
    );
    assert_eq!(
        request.body.as_deref(),
        Some("type=topic&username=alice&pattern=a%2F%23&read=true&write=false")
    );

    let run = drive(
        &mut start(
            &api,
            MethodId::UpdateUserPassword,
            ["alice".into(), "p w&=".into(), none()],
        ),
        &[empty(204)],
        T0,
    );
    assert_eq!(run.end, "U");
    assert_eq!(run.sent[0].body.as_deref(), Some("password=p+w%26%3D"));
}

#[wasm_bindgen_test]
fn reads_end_with_plain_data() {
    let api = client("{}");
    // A list in a shape the API is tolerant of is rewritten (`D`).
    let run = call(
        &api,
        MethodId::ListUsers,
        [
            js(r#"{"limit": 10, "page": 2, "query": "a b"}"#),
            none(),
            none(),
        ],
        &[json(200, r#"{"items": [{"user": "a"}, "b"]}"#)],
    );
    assert_eq!(
        run.lines(),
        [format!("GET {BASE_URL}/user?limit=10&page=2&query=a+b")]
    );
    assert_eq!(run.end, r#"D[{"username":"a"},{"username":"b"}]"#);

    // A list already in the documented compact shape is the body as it
    // came (`C`).
    let canonical = r#"[{"username":"a"},{"username":"b"}]"#;
    let run = call(
        &api,
        MethodId::ListUsers,
        [none(), none(), none()],
        &[json(200, canonical)],
    );
    assert_eq!(run.end, "C");
    assert_eq!(run.result(), canonical);

    let run = call(
        &api,
        MethodId::GetUser,
        ["a".into(), none(), none()],
        &[json(
            200,
            r#"{"username": "a", "acls": [{"topic": "t/%u", "read": "true", "write": 0}]}"#,
        )],
    );
    assert_eq!(
        run.result(),
        r#"{"username":"a","acls":[{"topic":"t/%u","read":true,"write":false}]}"#
    );

    let run = call(
        &api,
        MethodId::ListAcls,
        [none(), none(), none()],
        &[json(
            200,
            r#"[{"type": "pattern", "pattern": "p/%u", "read": true, "write": true, "username": null}]"#,
        )],
    );
    assert_eq!(
        run.result(),
        r#"[{"type":"pattern","pattern":"p/%u","read":true,"write":true,"username":null}]"#
    );
}

#[wasm_bindgen_test]
fn wrong_arguments_fail_before_anything_is_sent() {
    let api = client("{}");
    let cases = [
        (MethodId::GetUser, [42.into(), none(), none()], "username"),
        (MethodId::GetUser, ["".into(), none(), none()], "username"),
        (
            MethodId::ListUsers,
            [js(r#"{"limit": "x"}"#), none(), none()],
            "limit",
        ),
        (
            MethodId::ListUsers,
            [js(r#"{"limit": 0}"#), none(), none()],
            "limit",
        ),
        (
            MethodId::ListUsers,
            [js(r#"{"page": -1}"#), none(), none()],
            "page",
        ),
        (
            MethodId::ListUsers,
            ["params".into(), none(), none()],
            "params",
        ),
        (MethodId::CreateUser, [none(), none(), none()], "user"),
        (
            MethodId::CreateUser,
            [
                js(r#"{"username": "a:b", "password": "p"}"#),
                none(),
                none(),
            ],
            "username",
        ),
        (
            MethodId::CreateUser,
            [js(r#"{"username": "a", "password": ""}"#), none(), none()],
            "password",
        ),
        (
            MethodId::UpdateUserPassword,
            ["a".into(), 5.into(), none()],
            "password",
        ),
        (
            MethodId::CreateAcl,
            [
                js(r#"{"type": "nope", "pattern": "a", "read": true, "write": true}"#),
                none(),
                none(),
            ],
            "type",
        ),
        (
            MethodId::CreateAcl,
            [
                js(
                    r#"{"type": "topic", "username": "u", "pattern": "a", "read": 1, "write": true}"#,
                ),
                none(),
                none(),
            ],
            "read",
        ),
        (
            MethodId::DeleteAcl,
            [js(r#"{"username": "u"}"#), none(), none()],
            "topic",
        ),
        (
            MethodId::ListAcls,
            [js(r#"{"timeoutMs": -1}"#), none(), none()],
            "timeoutMs",
        ),
        (
            MethodId::RestartInstance,
            [js(r#"{"timeoutMs": 0}"#), none(), none()],
            "timeoutMs",
        ),
        (
            MethodId::ListAcls,
            [js(r#"{"signal": "now"}"#), none(), none()],
            "signal",
        ),
        (
            MethodId::ListAcls,
            ["options".into(), none(), none()],
            "options",
        ),
        (
            MethodId::DeleteUser,
            ["u".into(), js(r#"{"wait": "yes"}"#), none()],
            "wait",
        ),
        (
            MethodId::DeleteUser,
            ["u".into(), js(r#"{"wait": {"intervalMs": 0}}"#), none()],
            "intervalMs",
        ),
        (
            MethodId::WaitForUser,
            ["u".into(), js(r#"{"intervalMs": 0}"#), none()],
            "intervalMs",
        ),
        (
            MethodId::WaitForUser,
            ["u".into(), js(r#"{"timeoutMs": "soon"}"#), none()],
            "timeoutMs",
        ),
        (
            MethodId::WaitForAcl,
            [js(r#"{"type": "pattern"}"#), none(), none()],
            "pattern",
        ),
    ];
    for (method, args, expected) in cases {
        let shown = format!(
            "{method:?} {}",
            args.iter().map(text).collect::<Vec<_>>().join(", ")
        );
        // No reply is scripted: a send would fail the test.
        let run = call(&api, method, args, &[]);
        let error = run.error();
        assert_eq!(code(&error), "INVALID_INPUT", "{shown}: {}", text(&error));
        assert_eq!(
            field(&error).as_deref(),
            Some(expected),
            "{shown}: {}",
            text(&error)
        );
        assert!(run.sent.is_empty());
    }
}

#[wasm_bindgen_test]
fn wrong_client_options_are_invalid_input() {
    let cases = [
        (JsValue::from(42), "options"),
        (js("{}"), "apiKey"),
        (js(r#"{"apiKey": ""}"#), "apiKey"),
        (js(r#"{"apiKey": 7}"#), "apiKey"),
        (
            js(r#"{"apiKey": "k", "baseUrl": "http://example.test/api"}"#),
            "baseUrl",
        ),
        (js(r#"{"apiKey": "k", "baseUrl": "not a url"}"#), "baseUrl"),
        (js(r#"{"apiKey": "k", "encoding": "xml"}"#), "encoding"),
        (js(r#"{"apiKey": "k", "timeoutMs": "fast"}"#), "timeoutMs"),
        (js(r#"{"apiKey": "k", "timeoutMs": 0}"#), "timeoutMs"),
        (js(r#"{"apiKey": "k", "maxRetries": 1.5}"#), "maxRetries"),
        (js(r#"{"apiKey": "k", "fetch": 5}"#), "fetch"),
        (
            js(r#"{"apiKey": "k", "allowInsecureHttp": "yes"}"#),
            "allowInsecureHttp",
        ),
    ];
    for (options, expected) in cases {
        let shown = text(&options);
        let error = match WasmClient::new(options) {
            Ok(_) => panic!("expected {expected} to be refused in {shown}"),
            Err(error) => error,
        };
        assert_eq!(code(&error), "INVALID_INPUT", "{shown}: {}", text(&error));
        assert_eq!(field(&error).as_deref(), Some(expected), "{shown}");
    }

    let allowed = WasmClient::new(js(
        r#"{"apiKey": "k", "baseUrl": "http://example.test/api/", "allowInsecureHttp": true}"#,
    ))
    .expect("insecure http when allowed");
    assert_eq!(allowed.base_url(), "http://example.test/api");
    assert!(allowed.fetch().is_none(), "the global fetch by default");

    // The caller's fetch is handed back to the driver as it came.
    let options = js(r#"{"apiKey": "k"}"#);
    let fetch = js_sys::Function::new_no_args("return null");
    set(&options, "fetch", &fetch);
    let api = WasmClient::new(options).expect("client with fetch");
    assert!(Object::is(&api.fetch().expect("fetch").into(), &fetch));
    assert_eq!(api.base_url(), "https://api.cloudmqtt.com/api");
}

#[wasm_bindgen_test]
fn idempotent_calls_are_retried_and_posts_are_not() {
    let api = client(r#"{"maxRetries": 2}"#);
    let run = call(
        &api,
        MethodId::ListUsers,
        [none(), none(), none()],
        &[empty(503), network("connection reset"), json(200, "[]")],
    );
    assert_eq!(run.result(), "[]");
    assert_eq!(run.sent.len(), 3);
    // Each retry is a `V` step for the logger and the hooks: which retry,
    // why (the code the attempt would have failed with) and the delay.
    assert_eq!(run.events.len(), 2, "{:?}", run.events);
    let retry_event = |index: usize, start: &str| {
        assert!(run.events[index].starts_with(start), "{:?}", run.events);
    };
    retry_event(
        0,
        r#"{"retry":1,"reason":"SERVER_ERROR","status":503,"delayMs":"#,
    );
    retry_event(1, r#"{"retry":2,"reason":"NETWORK","delayMs":"#);
    // Full jitter: each backoff is at most its ceiling, which doubles. A
    // backoff of zero sends again at once, with no wait step, so the waits
    // are the backoffs that were not zero, in order: each must fit the
    // ceiling of a retry after the previous one's.
    let retries = run.sent.len() - 1;
    let mut retry = 0;
    for wait in &run.waits {
        while retry < retries && *wait > BASE_DELAY_MS * 2f64.powi(retry as i32) {
            retry += 1;
        }
        assert!(retry < retries, "{:?} do not fit the ceilings", run.waits);
        retry += 1;
    }

    // A DELETE is idempotent too; retries run out after `maxRetries`.
    let run = call(
        &api,
        MethodId::DeleteUser,
        ["u".into(), none(), none()],
        &[json(502, r#"{"error": "bad gateway"}"#)],
    );
    assert_eq!(run.lines(), vec![format!("DELETE {BASE_URL}/user/u"); 3]);
    let error = run.error();
    assert_eq!(code(&error), "SERVER_ERROR");
    assert_eq!(prop(&error, "status").as_f64(), Some(502.0));

    // A POST is never repeated once the server may have acted.
    let user = || js(r#"{"username": "u", "password": "p"}"#);
    let run = call(
        &api,
        MethodId::CreateUser,
        [user(), none(), none()],
        &[json(503, r#"{"error": "busy"}"#)],
    );
    assert_eq!(run.sent.len(), 1);
    let error = run.error();
    assert_eq!(code(&error), "SERVER_ERROR", "{}", text(&error));
    assert_eq!(prop(&error, "status").as_f64(), Some(503.0));
    assert_eq!(
        prop_string(&error, "serverMessage").as_deref(),
        Some("busy")
    );

    for (reply, expected) in [
        (network("connection refused"), "NETWORK"),
        (Reply::Timeout, "TIMEOUT"),
    ] {
        let run = call(
            &api,
            MethodId::CreateUser,
            [user(), none(), none()],
            &[reply],
        );
        assert_eq!(run.sent.len(), 1);
        assert_eq!(code(&run.error()), expected);
    }
}

#[wasm_bindgen_test]
fn rate_limits_wait_as_long_as_the_server_asks() {
    let api = client(r#"{"maxRetries": 1}"#);
    let run = call(
        &api,
        MethodId::ListAcls,
        [none(), none(), none()],
        &[rate_limited("7"), json(200, "[]")],
    );
    assert_eq!(run.waits, [7000.0]);
    assert_eq!(run.sent[1].at, T0 + 7000.0);
    assert_eq!(run.result(), "[]");

    // A POST is retried after a 429: the server did not act on it.
    let run = call(
        &api,
        MethodId::CreateUser,
        [js(r#"{"username": "u", "password": "p"}"#), none(), none()],
        &[rate_limited("1.5"), empty(201)],
    );
    assert_eq!(run.waits, [1500.0]);
    assert_eq!(run.lines(), vec![format!("POST {BASE_URL}/user"); 2]);
    assert_eq!(run.end, "U");

    // An HTTP date counts from the time the task is stepped at.
    let mut task = start(&api, MethodId::ListAcls, [none(), none(), none()]);
    let sent = Sent::parse(&next(&mut task, T0), T0);
    task.respond(
        sent.ticket,
        429,
        None,
        Some("Tue, 14 Nov 2023 22:13:50 GMT".to_owned()),
        Vec::new(),
        T0,
    );
    assert_eq!(next(&mut task, T0), "W30000");
    assert_eq!(next(&mut task, T0 + 10_000.0), "W20000");
    let again = Sent::parse(&next(&mut task, T0 + 30_000.0), T0 + 30_000.0);
    assert_eq!(again.line(), format!("GET {BASE_URL}/acl"));

    // Without retries left, or asked to wait too long, the call fails and
    // says how long to wait.
    let api = client("{}");
    let run = call(
        &api,
        MethodId::ListAcls,
        [none(), none(), none()],
        &[rate_limited("7")],
    );
    let error = run.error();
    assert_eq!(code(&error), "RATE_LIMITED");
    assert_eq!(prop(&error, "status").as_f64(), Some(429.0));
    assert_eq!(prop(&error, "retryAfterMs").as_f64(), Some(7000.0));

    let api = client(r#"{"maxRetries": 2}"#);
    let run = call(
        &api,
        MethodId::ListAcls,
        [none(), none(), none()],
        &[rate_limited("3600")],
    );
    assert!(run.waits.is_empty(), "{:?}", run.waits);
    assert_eq!(run.sent.len(), 1);
    assert_eq!(
        prop(&run.error(), "retryAfterMs").as_f64(),
        Some(3_600_000.0)
    );
}

#[wasm_bindgen_test]
fn an_attempt_past_its_timeout_is_timeout() {
    let api = client(r#"{"timeoutMs": 50}"#);
    let run = call(
        &api,
        MethodId::GetUser,
        ["u".into(), none(), none()],
        &[Reply::Timeout],
    );
    assert_eq!(run.sent[0].timeout_ms, 50.0);
    assert_eq!(code(&run.error()), "TIMEOUT", "{}", run.end);
    assert!(prop(&run.error(), "status").is_undefined());

    // A call's own timeout overrides the client's.
    let api = client(r#"{"timeoutMs": 60000}"#);
    let options = js(r#"{"timeoutMs": 75}"#);
    let run = call(
        &api,
        MethodId::GetUser,
        ["u".into(), options, none()],
        &[Reply::Timeout],
    );
    assert_eq!(run.sent[0].timeout_ms, 75.0);
    assert_eq!(code(&run.error()), "TIMEOUT");

    // A read that timed out is tried again, with a fresh timeout.
    let api = client(r#"{"timeoutMs": 50, "maxRetries": 1}"#);
    let run = call(
        &api,
        MethodId::ListAcls,
        [none(), none(), none()],
        &[Reply::Timeout, json(200, "[]")],
    );
    assert_eq!(run.result(), "[]");
    let timeouts: Vec<f64> = run.sent.iter().map(|sent| sent.timeout_ms).collect();
    assert_eq!(timeouts, [50.0, 50.0]);
}

#[wasm_bindgen_test]
fn network_failures_are_network() {
    let api = client("{}");
    let run = call(
        &api,
        MethodId::ListAcls,
        [none(), none(), none()],
        &[network("TypeError: connection refused")],
    );
    let error = run.error();
    assert_eq!(code(&error), "NETWORK");
    let message = prop_string(&error, "message").unwrap();
    assert!(message.contains("connection refused"), "{message}");
}

#[wasm_bindgen_test]
fn redirects_are_not_followed() {
    let api = client(r#"{"maxRetries": 2}"#);
    for status in [301, 302, 307, 308] {
        let run = call(
            &api,
            MethodId::ListAcls,
            [none(), none(), none()],
            &[empty(status)],
        );
        assert_eq!(run.sent.len(), 1);
        let error = run.error();
        assert_eq!(code(&error), "UNEXPECTED_STATUS", "{}", text(&error));
        assert_eq!(prop(&error, "status").as_f64(), Some(f64::from(status)));
    }

    // What a browser hands back for a redirect under `redirect: "manual"`:
    // status 0, which is no HTTP status, so the error has none.
    let run = call(
        &api,
        MethodId::ListAcls,
        [none(), none(), none()],
        &[empty(0)],
    );
    assert_eq!(run.sent.len(), 1);
    let error = run.error();
    assert_eq!(code(&error), "UNEXPECTED_STATUS");
    assert!(prop(&error, "status").is_undefined(), "{}", text(&error));
    let message = prop_string(&error, "message").unwrap();
    assert!(message.contains("redirect"), "{message}");
}

#[wasm_bindgen_test]
fn undecodable_success_is_decode() {
    let api = client(r#"{"maxRetries": 2}"#);
    let cases = [
        (MethodId::ListAcls, [none(), none(), none()]),
        (MethodId::GetUser, ["u".into(), none(), none()]),
        (MethodId::ListUsers, [none(), none(), none()]),
    ];
    for (method, args) in cases {
        let run = call(&api, method, args, &[plain(200, "<html>hello</html>")]);
        assert_eq!(run.sent.len(), 1, "{method:?}");
        assert_eq!(code(&run.error()), "DECODE", "{method:?}: {}", run.end);
    }
}

#[wasm_bindgen_test]
fn the_key_and_passwords_never_appear_in_errors() {
    let api = client("{}");
    let echo = format!("bad key {KEY}, header {AUTHORIZATION}, password hunter22");
    let cases = [
        (
            MethodId::CreateUser,
            [
                js(r#"{"username": "u", "password": "hunter22"}"#),
                none(),
                none(),
            ],
            plain(400, &echo),
            "BAD_REQUEST",
        ),
        (
            MethodId::CreateUser,
            [
                js(r#"{"username": "u", "password": "hunter22"}"#),
                none(),
                none(),
            ],
            json(500, &format!(r#"{{"error": "{echo}"}}"#)),
            "SERVER_ERROR",
        ),
        (
            MethodId::UpdateUserPassword,
            ["u".into(), "hunter22".into(), none()],
            json(400, &format!(r#"{{"message": "{echo}"}}"#)),
            "BAD_REQUEST",
        ),
        (
            MethodId::ListAcls,
            [none(), none(), none()],
            plain(401, &format!("header was {AUTHORIZATION}, key {KEY}")),
            "UNAUTHORIZED",
        ),
        (
            MethodId::UpdateUserPassword,
            ["u".into(), "hunter22".into(), none()],
            network(&format!("could not send {echo}")),
            "NETWORK",
        ),
    ];
    for (method, args, reply, expected) in cases {
        let run = call(&api, method, args, &[reply]);
        let error = run.error();
        let shown = text(&error);
        assert_eq!(code(&error), expected, "{method:?}: {shown}");
        for secret in [KEY, "OnRlc3Qta2V5LTAxMjM", "hunter22"] {
            assert!(!shown.contains(secret), "{method:?}: {shown}");
        }
        assert!(shown.contains("[redacted]"), "{method:?}: {shown}");
    }

    // Nor in a client option's error.
    let options = js(&format!(
        r#"{{"apiKey": "{KEY}", "baseUrl": "ftp://{KEY}.example.test/api"}}"#
    ));
    let error = WasmClient::new(options).err().expect("ftp is refused");
    assert_eq!(field(&error).as_deref(), Some("baseUrl"));
    assert!(!text(&error).contains(KEY), "{}", text(&error));
}

#[wasm_bindgen_test]
fn aborted_is_an_aborted_error_at_any_step() {
    let api = client(r#"{"maxRetries": 1}"#);
    let check = |task: &Task| {
        let error = error_of(&task.aborted());
        assert_eq!(code(&error), "ABORTED", "{}", text(&error));
        assert!(prop(&error, "status").is_undefined());
    };
    let mut task = start(&api, MethodId::ListAcls, [none(), none(), none()]);
    check(&task);
    let sent = Sent::parse(&next(&mut task, T0), T0);
    check(&task);
    task.respond(sent.ticket, 429, None, Some("5".to_owned()), Vec::new(), T0);
    assert_eq!(next(&mut task, T0), "W5000");
    check(&task);
}

#[wasm_bindgen_test]
fn signals_are_the_ones_in_the_options() {
    let api = client("{}");
    let same = |signals: JsValue, expected: &[&AbortSignal]| {
        assert!(Array::is_array(&signals), "{signals:?}");
        let signals = Array::from(&signals);
        assert_eq!(signals.length() as usize, expected.len());
        for (index, signal) in expected.iter().enumerate() {
            assert!(Object::is(&signals.get(index as u32), signal));
        }
    };

    assert!(
        start(&api, MethodId::ListAcls, [none(), none(), none()])
            .signals()
            .is_undefined()
    );
    assert!(
        start(
            &api,
            MethodId::ListAcls,
            [js(r#"{"timeoutMs": 5}"#), none(), none()]
        )
        .signals()
        .is_undefined()
    );

    let call = signal();
    let options = js("{}");
    set(&options, "signal", &call);
    same(
        start(&api, MethodId::ListAcls, [options, none(), none()]).signals(),
        &[&call],
    );

    // A change with a wait: the call's signal and the wait's own.
    let wait = signal();
    let options = js(r#"{"wait": {"intervalMs": 10}}"#);
    set(&options, "signal", &call);
    set(&prop(&options, "wait"), "signal", &wait);
    same(
        start(&api, MethodId::DeleteUser, ["u".into(), options, none()]).signals(),
        &[&call, &wait],
    );

    // A wait on its own.
    let options = js(r#"{"intervalMs": 10}"#);
    set(&options, "signal", &wait);
    same(
        start(&api, MethodId::WaitForUser, ["u".into(), options, none()]).signals(),
        &[&wait],
    );

    // A walk over the user list.
    let options = js("{}");
    set(&options, "signal", &call);
    same(
        start(&api, MethodId::UserPages, [none(), options, none()]).signals(),
        &[&call],
    );
}

#[wasm_bindgen_test]
fn a_walk_ends_at_each_page_with_new_users_then_with_null() {
    let api = client("{}");
    let walk = |params: JsValue| start(&api, MethodId::UserPages, [params, none(), none()]);
    let mut pages = walk(js(r#"{"pageSize": 2, "query": "x"}"#));
    let replies = [
        json(200, r#"[{"username": "a"}, {"username": "b"}]"#),
        json(200, r#"[{"username": "b"}, {"username": "c"}]"#),
        json(200, "[]"),
    ];
    let mut seen = Vec::new();
    let mut urls = Vec::new();
    for reply in replies {
        let run = drive(&mut pages, &[reply], T0);
        urls.extend(run.sent.iter().map(|sent| sent.url.clone()));
        seen.push(run.result());
    }
    assert_eq!(
        seen,
        [
            r#"[{"username":"a"},{"username":"b"}]"#,
            r#"[{"username":"c"}]"#,
            "null"
        ]
    );
    assert_eq!(
        urls,
        [1, 2, 3].map(|page| format!("{BASE_URL}/user?limit=2&page={page}&query=x"))
    );
    // After the end, stepping on is `null` at once and sends nothing.
    assert_eq!(drive(&mut pages, &[], T0).end, "N");

    // A short page is the last one.
    let mut pages = walk(js(r#"{"pageSize": 3}"#));
    let run = drive(&mut pages, &[json(200, r#"[{"username": "a"}]"#)], T0);
    assert_eq!(run.result(), r#"[{"username":"a"}]"#);
    assert_eq!(drive(&mut pages, &[], T0).end, "N");

    // A page that fails ends with its error; stepping on fetches it again.
    let mut pages = walk(none());
    let run = drive(&mut pages, &[empty(403)], T0);
    assert_eq!(code(&run.error()), "FORBIDDEN");
    let run = drive(&mut pages, &[json(200, "[]")], T0);
    assert_eq!(run.sent[0].url, format!("{BASE_URL}/user?limit=100&page=1"));
    assert_eq!(run.end, "N");

    let options = js(r#"{"timeoutMs": "x"}"#);
    let error = start(&api, MethodId::UserPages, [none(), options, none()]).step(T0);
    assert_eq!(field(&error_of(&error)).as_deref(), Some("timeoutMs"));
    for (params, expected) in [
        (js(r#"{"pageSize": 5000}"#), "pageSize"),
        (js(r#"{"pageSize": 0}"#), "pageSize"),
        (js(r#"{"query": 1}"#), "query"),
        (JsValue::from("x"), "params"),
    ] {
        let error = error_of(&walk(params).step(T0));
        assert_eq!(code(&error), "INVALID_INPUT");
        assert_eq!(field(&error).as_deref(), Some(expected));
    }
}

#[wasm_bindgen_test]
fn create_with_wait_probes_until_visible() {
    let api = client("{}");
    let user = || js(r#"{"username": "u", "password": "p"}"#);
    let run = call(
        &api,
        MethodId::CreateUser,
        [user(), js(r#"{"wait": true}"#), none()],
        &[
            empty(201),
            empty(404),
            json(200, r#"{"username": "u", "acls": []}"#),
        ],
    );
    assert_eq!(run.end, "U");
    assert_eq!(
        run.lines(),
        [
            format!("POST {BASE_URL}/user"),
            format!("GET {BASE_URL}/user/u"),
            format!("GET {BASE_URL}/user/u"),
        ]
    );
    // The first probe soon after the change, the next twice as late.
    assert_eq!(run.waits, [FIRST_PROBE_MS, 2.0 * FIRST_PROBE_MS]);
    // Each wait is a `V` step naming what it waits for, for the logger.
    let probe = |ms: f64| format!(r#"{{"wait":"user \"u\" to exist","delayMs":{ms}}}"#);
    assert_eq!(
        run.events,
        [probe(FIRST_PROBE_MS), probe(2.0 * FIRST_PROBE_MS)]
    );

    // Wait options set the interval; without `wait` nothing is probed.
    let run = call(
        &api,
        MethodId::CreateUser,
        [user(), js(r#"{"wait": {"intervalMs": 10}}"#), none()],
        &[empty(201), empty(404), empty(404), json(200, "{}")],
    );
    assert_eq!(run.end, "U");
    // The interval caps every delay, the first one's too.
    assert_eq!(run.waits, [10.0, 10.0, 10.0]);
    let run = call(
        &api,
        MethodId::CreateUser,
        [user(), js(r#"{"wait": false}"#), none()],
        &[empty(201)],
    );
    assert_eq!(run.sent.len(), 1);

    // A delete waits for the user to be gone; a rule for its rule.
    let run = call(
        &api,
        MethodId::DeleteUser,
        ["u".into(), js(r#"{"wait": {"intervalMs": 10}}"#), none()],
        &[empty(204), json(200, "{}"), empty(404)],
    );
    assert_eq!(run.end, "U");
    assert_eq!(run.sent.len(), 3);
    let rule = js(r#"{"type": "pattern", "pattern": "p/%u", "read": true, "write": false}"#);
    let run = call(
        &api,
        MethodId::CreateAcl,
        [rule, js(r#"{"wait": {"intervalMs": 10}}"#), none()],
        &[
            empty(201),
            json(200, "[]"),
            json(
                200,
                r#"[{"type": "pattern", "pattern": "p/%u", "read": true, "write": false, "username": null}]"#,
            ),
        ],
    );
    assert_eq!(run.end, "U");
    assert_eq!(
        run.lines(),
        [
            format!("POST {BASE_URL}/acl"),
            format!("GET {BASE_URL}/acl"),
            format!("GET {BASE_URL}/acl"),
        ]
    );
}

#[wasm_bindgen_test]
fn the_wait_after_a_change_uses_the_calls_attempt_timeout() {
    let api = client("{}");
    let run = call(
        &api,
        MethodId::CreateUser,
        [
            js(r#"{"username": "u", "password": "p"}"#),
            js(r#"{"timeoutMs": 50, "wait": {"timeoutMs": 300, "intervalMs": 10}}"#),
            none(),
        ],
        &[empty(201), Reply::Timeout],
    );
    let error = run.error();
    assert_eq!(code(&error), "WAIT_TIMEOUT", "{}", text(&error));
    assert!(run.sent.len() >= 3, "the create and several probes");
    for probe in &run.sent {
        assert_eq!(probe.timeout_ms, 50.0, "{}", probe.line());
    }
    assert!(
        run.now >= T0 + 300.0 && run.now <= T0 + 400.0,
        "{}",
        run.now - T0
    );
}

#[wasm_bindgen_test]
fn a_wait_past_its_deadline_is_wait_timeout() {
    let api = client("{}");
    let run = call(
        &api,
        MethodId::WaitForUser,
        [
            "u".into(),
            js(r#"{"timeoutMs": 100, "intervalMs": 20}"#),
            none(),
        ],
        &[empty(404)],
    );
    let error = run.error();
    assert_eq!(code(&error), "WAIT_TIMEOUT", "{}", text(&error));
    assert!(run.sent.len() >= 2);
    assert!(
        run.waits.iter().all(|wait| *wait <= 20.0),
        "{:?}",
        run.waits
    );
    assert_eq!(run.now, T0 + 100.0, "it ends at the deadline");

    // A probe that never answers ends by the deadline.
    let run = call(
        &api,
        MethodId::WaitForUser,
        [
            "u".into(),
            js(r#"{"timeoutMs": 300, "intervalMs": 50}"#),
            none(),
        ],
        &[Reply::Timeout],
    );
    assert_eq!(code(&run.error()), "WAIT_TIMEOUT");
    for probe in &run.sent {
        let left = (T0 + 300.0 - probe.at).max(100.0);
        assert!(
            probe.timeout_ms <= left,
            "{} ms with {left} ms left",
            probe.timeout_ms
        );
    }
    assert!(
        run.now <= T0 + 400.0,
        "took {} ms, the deadline was 300 ms",
        run.now - T0
    );

    // A wait that sees its target at once is over after one probe.
    let run = call(
        &api,
        MethodId::WaitForUser,
        ["u".into(), js(r#"{"exists": false}"#), none()],
        &[empty(404)],
    );
    assert_eq!(run.end, "U");
    assert_eq!(run.sent.len(), 1);
}
