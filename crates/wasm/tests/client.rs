//! The WebAssembly client against a scripted `fetch` (tests/fake.js), in
//! Node and in a browser: request shape, results, argument checks, retries,
//! timeouts, aborts, redirects, paging and waiting.
#![cfg(target_arch = "wasm32")]

use cloudmqtt_api_wasm::WasmClient;
use js_sys::{JSON, Promise, Reflect};
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;
use wasm_bindgen_test::wasm_bindgen_test;

#[wasm_bindgen(module = "/tests/fake.js")]
extern "C" {
    type FakeServer;

    #[wasm_bindgen(constructor)]
    fn new(replies: JsValue) -> FakeServer;

    #[wasm_bindgen(method, getter)]
    fn fetch(this: &FakeServer) -> JsValue;

    #[wasm_bindgen(method)]
    fn count(this: &FakeServer) -> u32;

    #[wasm_bindgen(method)]
    fn request(this: &FakeServer, index: u32) -> JsValue;

    fn options(extra: JsValue) -> JsValue;

    #[wasm_bindgen(js_name = abortAfter)]
    fn abort_after(ms: f64, reason: JsValue, with_reason: bool) -> JsValue;

    #[wasm_bindgen(js_name = abortedSignal)]
    fn aborted_signal() -> JsValue;

    #[wasm_bindgen(js_name = setGlobalFetch)]
    fn set_global_fetch(fetch: JsValue) -> JsValue;

    fn now() -> f64;
}

const AUTHORIZATION: &str = "Basic OnRlc3Qta2V5LTAxMjM=";
const KEY: &str = "test-key-0123";

fn js(json: &str) -> JsValue {
    JSON::parse(json).expect("test JSON")
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

fn server(replies: &str) -> FakeServer {
    FakeServer::new(js(replies))
}

/// A client whose `fetch` is the fake server; `extra` adds options.
fn client(server: &FakeServer, extra: &str) -> WasmClient {
    let extra = js(extra);
    Reflect::set(&extra, &"fetch".into(), &server.fetch()).expect("set fetch");
    WasmClient::new(options(extra)).expect("client")
}

async fn resolves(promise: Promise) -> JsValue {
    match JsFuture::from(promise).await {
        Ok(value) => value,
        Err(error) => panic!("expected success, got {}", text(&error)),
    }
}

async fn rejects(promise: Promise) -> JsValue {
    match JsFuture::from(promise).await {
        Ok(value) => panic!("expected a failure, got {}", text(&value)),
        Err(error) => error,
    }
}

fn code(error: &JsValue) -> String {
    prop_string(error, "code").unwrap_or_else(|| panic!("no code in {}", text(error)))
}

fn header(request: &JsValue, name: &str) -> Option<String> {
    prop_string(&prop(request, "headers"), name)
}

#[wasm_bindgen_test]
async fn create_user_sends_json_with_basic_auth_and_no_credentials() {
    let fake = server(r#"[{"status": 201}]"#);
    let api = client(&fake, "{}");
    let result = resolves(api.create_user(
        js(r#"{"username": "alice", "password": "pw"}"#),
        JsValue::UNDEFINED,
    ))
    .await;
    assert!(result.is_undefined());
    assert_eq!(fake.count(), 1);
    let request = fake.request(0);
    assert_eq!(prop_string(&request, "method").as_deref(), Some("POST"));
    assert_eq!(
        prop_string(&request, "url").as_deref(),
        Some("http://127.0.0.1:9/api/user")
    );
    assert_eq!(
        header(&request, "authorization").as_deref(),
        Some(AUTHORIZATION)
    );
    assert_eq!(
        header(&request, "content-type").as_deref(),
        Some("application/json")
    );
    assert_eq!(
        prop_string(&request, "body").as_deref(),
        Some(r#"{"username":"alice","password":"pw"}"#)
    );
    assert_eq!(
        prop_string(&request, "credentials").as_deref(),
        Some("omit")
    );
    assert_eq!(prop_string(&request, "redirect").as_deref(), Some("manual"));
    assert_eq!(prop(&request, "hasSignal").as_bool(), Some(true));
}

#[wasm_bindgen_test]
async fn form_encoding_sends_form_bodies() {
    let fake = server(r#"[{"status": 200}]"#);
    let api = client(&fake, r#"{"encoding": "form"}"#);
    let rule = js(
        r#"{"type": "topic", "username": "alice", "pattern": "a/#", "read": true, "write": false}"#,
    );
    resolves(api.create_acl(rule, JsValue::UNDEFINED)).await;
    let request = fake.request(0);
    assert_eq!(
        header(&request, "content-type").as_deref(),
        Some("application/x-www-form-urlencoded")
    );
    assert_eq!(
        prop_string(&request, "body").as_deref(),
        Some("type=topic&username=alice&pattern=a%2F%23&read=true&write=false")
    );
}

#[wasm_bindgen_test]
async fn reads_resolve_to_plain_data() {
    let fake = server(
        r#"[
        {"status": 200, "body": "{\"items\": [{\"user\": \"a\"}, \"b\"]}"},
        {"status": 200, "body": "{\"username\": \"a\", \"acls\": [{\"topic\": \"t/%u\", \"read\": \"true\", \"write\": 0}]}"},
        {"status": 200, "body": "[{\"type\": \"pattern\", \"pattern\": \"p/%u\", \"read\": true, \"write\": true, \"username\": null}]"}
    ]"#,
    );
    let api = client(&fake, "{}");
    let users = resolves(api.list_users(
        js(r#"{"limit": 10, "page": 2, "query": "a b"}"#),
        JsValue::UNDEFINED,
    ))
    .await;
    assert_eq!(text(&users), r#"[{"username":"a"},{"username":"b"}]"#);
    assert_eq!(
        prop_string(&fake.request(0), "url").as_deref(),
        Some("http://127.0.0.1:9/api/user?limit=10&page=2&query=a+b")
    );
    let user = resolves(api.get_user("a".into(), JsValue::UNDEFINED)).await;
    assert_eq!(
        text(&user),
        r#"{"username":"a","acls":[{"topic":"t/%u","read":true,"write":false}]}"#
    );
    let rules = resolves(api.list_acls(JsValue::UNDEFINED)).await;
    assert_eq!(
        text(&rules),
        r#"[{"type":"pattern","pattern":"p/%u","read":true,"write":true,"username":null}]"#
    );
}

#[wasm_bindgen_test]
async fn wrong_argument_types_are_invalid_input_before_sending() {
    let fake = server(r#"[{"status": 200, "body": "[]"}]"#);
    let api = client(&fake, "{}");
    let cases: Vec<(Promise, &str)> = vec![
        (api.get_user(42.into(), JsValue::UNDEFINED), "username"),
        (api.get_user("".into(), JsValue::UNDEFINED), "username"),
        (api.list_users(js(r#"{"limit": "x"}"#), JsValue::UNDEFINED), "limit"),
        (api.list_users(js(r#"{"limit": 0}"#), JsValue::UNDEFINED), "limit"),
        (api.list_users("params".into(), JsValue::UNDEFINED), "params"),
        (api.create_user(JsValue::UNDEFINED, JsValue::UNDEFINED), "user"),
        (
            api.update_user_password("a".into(), 5.into(), JsValue::UNDEFINED),
            "password",
        ),
        (
            api.create_acl(
                js(r#"{"type": "nope", "pattern": "a", "read": true, "write": true}"#),
                JsValue::UNDEFINED,
            ),
            "type",
        ),
        (
            api.create_acl(
                js(r#"{"type": "topic", "username": "u", "pattern": "a", "read": 1, "write": true}"#),
                JsValue::UNDEFINED,
            ),
            "read",
        ),
        (
            api.delete_acl(js(r#"{"username": "u"}"#), JsValue::UNDEFINED),
            "topic",
        ),
        (api.list_acls(js(r#"{"timeoutMs": -1}"#)), "timeoutMs"),
        (api.list_acls(js(r#"{"signal": "now"}"#)), "signal"),
        (api.list_acls("options".into()), "options"),
        (
            api.delete_user("u".into(), js(r#"{"wait": "yes"}"#)),
            "wait",
        ),
        (
            api.wait_for_user("u".into(), js(r#"{"intervalMs": 0}"#)),
            "intervalMs",
        ),
    ];
    for (promise, field) in cases {
        let error = rejects(promise).await;
        assert_eq!(code(&error), "INVALID_INPUT", "{}", text(&error));
        assert_eq!(prop_string(&error, "field").as_deref(), Some(field));
    }
    assert_eq!(fake.count(), 0, "nothing may be sent");
}

#[wasm_bindgen_test]
fn wrong_client_options_are_invalid_input() {
    let cases = [
        (JsValue::from(42), "options"),
        (js("{}"), "apiKey"),
        (js(r#"{"apiKey": ""}"#), "apiKey"),
        (
            js(r#"{"apiKey": "k", "baseUrl": "http://example.test/api"}"#),
            "baseUrl",
        ),
        (js(r#"{"apiKey": "k", "encoding": "xml"}"#), "encoding"),
        (js(r#"{"apiKey": "k", "timeoutMs": "fast"}"#), "timeoutMs"),
        (js(r#"{"apiKey": "k", "maxRetries": 1.5}"#), "maxRetries"),
        (js(r#"{"apiKey": "k", "fetch": 5}"#), "fetch"),
        (
            js(r#"{"apiKey": "k", "allowInsecureHttp": "yes"}"#),
            "allowInsecureHttp",
        ),
    ];
    for (options, field) in cases {
        let error = match WasmClient::new(options) {
            Ok(_) => panic!("expected {field} to be refused"),
            Err(error) => error,
        };
        assert_eq!(code(&error), "INVALID_INPUT");
        assert_eq!(prop_string(&error, "field").as_deref(), Some(field));
    }
    let allowed = WasmClient::new(js(
        r#"{"apiKey": "k", "baseUrl": "http://example.test/api/", "allowInsecureHttp": true}"#,
    ))
    .expect("insecure http when allowed");
    assert_eq!(allowed.base_url(), "http://example.test/api");
}

#[wasm_bindgen_test]
async fn idempotent_calls_are_retried_and_posts_are_not() {
    let fake = server(r#"[{"status": 503}, {"status": 502}, {"status": 200, "body": "[]"}]"#);
    let api = client(&fake, r#"{"maxRetries": 2}"#);
    resolves(api.list_users(JsValue::UNDEFINED, JsValue::UNDEFINED)).await;
    assert_eq!(fake.count(), 3);

    let fake = server(r#"[{"status": 503, "body": "{\"error\": \"busy\"}"}]"#);
    let api = client(&fake, r#"{"maxRetries": 2}"#);
    let error = rejects(api.create_user(
        js(r#"{"username": "u", "password": "p"}"#),
        JsValue::UNDEFINED,
    ))
    .await;
    assert_eq!(code(&error), "SERVER_ERROR");
    assert_eq!(prop(&error, "status").as_f64(), Some(503.0));
    assert_eq!(
        prop_string(&error, "serverMessage").as_deref(),
        Some("busy")
    );
    assert_eq!(fake.count(), 1, "a POST is never repeated after a 5xx");
}

#[wasm_bindgen_test]
async fn rate_limits_are_retried_after_the_delay_or_reported() {
    let fake = server(
        r#"[{"status": 429, "headers": {"retry-after": "0"}}, {"status": 200, "body": "[]"}]"#,
    );
    let api = client(&fake, r#"{"maxRetries": 1}"#);
    resolves(api.list_acls(JsValue::UNDEFINED)).await;
    assert_eq!(fake.count(), 2);

    let fake = server(r#"[{"status": 429, "headers": {"retry-after": "7"}}]"#);
    let api = client(&fake, "{}");
    let error = rejects(api.list_acls(JsValue::UNDEFINED)).await;
    assert_eq!(code(&error), "RATE_LIMITED");
    assert_eq!(prop(&error, "status").as_f64(), Some(429.0));
    assert_eq!(prop(&error, "retryAfterMs").as_f64(), Some(7000.0));
}

#[wasm_bindgen_test]
async fn an_attempt_past_its_timeout_is_timeout() {
    let fake = server(r#"[{"hang": true}]"#);
    let api = client(&fake, r#"{"timeoutMs": 50}"#);
    let started = now();
    let error = rejects(api.get_user("u".into(), JsValue::UNDEFINED)).await;
    assert_eq!(code(&error), "TIMEOUT");
    assert!(now() - started < 5000.0);

    // A call's own timeout overrides the client's.
    let api = client(&fake, r#"{"timeoutMs": 60000}"#);
    let error = rejects(api.get_user("u".into(), js(r#"{"timeoutMs": 50}"#))).await;
    assert_eq!(code(&error), "TIMEOUT");
    assert!(now() - started < 10000.0);
}

#[wasm_bindgen_test]
async fn an_abort_with_any_reason_is_aborted() {
    let reasons = [
        (JsValue::from_str("a string"), true),
        (js_sys::Error::new("an error").into(), true),
        (JsValue::UNDEFINED, false),
    ];
    for (reason, with_reason) in reasons {
        let fake = server(r#"[{"hang": true}]"#);
        let api = client(&fake, "{}");
        let options = js("{}");
        let signal = abort_after(20.0, reason, with_reason);
        Reflect::set(&options, &"signal".into(), &signal).unwrap();
        let error = rejects(api.get_user("u".into(), options)).await;
        assert_eq!(code(&error), "ABORTED", "{}", text(&error));
    }
}

#[wasm_bindgen_test]
async fn an_abort_ends_a_backoff_sleep_at_once() {
    let fake = server(r#"[{"status": 429, "headers": {"retry-after": "30"}}]"#);
    let api = client(&fake, r#"{"maxRetries": 1}"#);
    let options = js("{}");
    Reflect::set(
        &options,
        &"signal".into(),
        &abort_after(50.0, JsValue::UNDEFINED, false),
    )
    .unwrap();
    let started = now();
    let error = rejects(api.list_acls(options)).await;
    assert_eq!(code(&error), "ABORTED");
    assert!(now() - started < 3000.0, "the 30 s sleep must end at once");
    assert_eq!(fake.count(), 1);
}

#[wasm_bindgen_test]
async fn an_already_aborted_signal_sends_nothing() {
    let fake = server(r#"[{"status": 200, "body": "[]"}]"#);
    let api = client(&fake, "{}");
    let options = js("{}");
    Reflect::set(&options, &"signal".into(), &aborted_signal()).unwrap();
    let error = rejects(api.list_acls(options)).await;
    assert_eq!(code(&error), "ABORTED");
    assert_eq!(fake.count(), 0);
}

#[wasm_bindgen_test]
async fn network_failures_are_network_and_retried_for_reads() {
    let fake = server(r#"[{"fail": true}]"#);
    let api = client(&fake, "{}");
    let error = rejects(api.list_acls(JsValue::UNDEFINED)).await;
    assert_eq!(code(&error), "NETWORK");
    let message = prop_string(&error, "message").unwrap();
    assert!(message.contains("connection refused"), "{message}");

    let fake = server(r#"[{"fail": true}, {"status": 200, "body": "[]"}]"#);
    let api = client(&fake, r#"{"maxRetries": 1}"#);
    resolves(api.list_acls(JsValue::UNDEFINED)).await;
    assert_eq!(fake.count(), 2);
}

#[wasm_bindgen_test]
async fn redirects_are_not_followed() {
    let fake = server(r#"[{"status": 302, "headers": {"location": "https://elsewhere.test/"}}]"#);
    let api = client(&fake, r#"{"maxRetries": 2}"#);
    let error = rejects(api.list_acls(JsValue::UNDEFINED)).await;
    assert_eq!(code(&error), "UNEXPECTED_STATUS");
    assert_eq!(prop(&error, "status").as_f64(), Some(302.0));
    assert_eq!(fake.count(), 1);

    // What a browser hands back for a redirect under `redirect: "manual"`:
    // status 0, which is no HTTP status, so the error has none.
    let fake = server(r#"[{"error": true}]"#);
    let api = client(&fake, "{}");
    let error = rejects(api.list_acls(JsValue::UNDEFINED)).await;
    assert_eq!(code(&error), "UNEXPECTED_STATUS");
    assert!(prop(&error, "status").is_undefined(), "{}", text(&error));
    let message = prop_string(&error, "message").unwrap();
    assert!(message.contains("redirect"), "{message}");
}

#[wasm_bindgen_test]
async fn undecodable_success_is_decode() {
    let fake = server(r#"[{"status": 200, "body": "<html>hello</html>"}]"#);
    let api = client(&fake, "{}");
    let error = rejects(api.list_acls(JsValue::UNDEFINED)).await;
    assert_eq!(code(&error), "DECODE");
}

#[wasm_bindgen_test]
async fn the_key_and_passwords_never_appear_in_errors() {
    let fake =
        server(r#"[{"status": 400, "body": "bad key test-key-0123 and password hunter22"}]"#);
    let api = client(&fake, "{}");
    let error = rejects(api.create_user(
        js(r#"{"username": "u", "password": "hunter22"}"#),
        JsValue::UNDEFINED,
    ))
    .await;
    assert_eq!(code(&error), "BAD_REQUEST");
    let shown = text(&error);
    assert!(!shown.contains(KEY), "{shown}");
    assert!(!shown.contains("hunter22"), "{shown}");
    assert!(shown.contains("[redacted]"), "{shown}");
}

#[wasm_bindgen_test]
async fn an_echoed_authorization_header_is_scrubbed() {
    let fake = server(&format!(
        r#"[{{"status": 401, "body": "header was {AUTHORIZATION}"}}]"#
    ));
    let api = client(&fake, "{}");
    let error = rejects(api.list_acls(JsValue::UNDEFINED)).await;
    assert_eq!(code(&error), "UNAUTHORIZED");
    let shown = text(&error);
    assert!(!shown.contains("OnRlc3Qta2V5LTAxMjM"), "{shown}");
    assert!(shown.contains("[redacted]"), "{shown}");
}

#[wasm_bindgen_test]
async fn user_pages_yield_each_user_once() {
    let fake = server(
        r#"[
        {"status": 200, "body": "[{\"username\": \"a\"}, {\"username\": \"b\"}]"},
        {"status": 200, "body": "[{\"username\": \"b\"}, {\"username\": \"c\"}]"},
        {"status": 200, "body": "[]"}
    ]"#,
    );
    let api = client(&fake, "{}");
    let pages = api
        .user_pages(js(r#"{"pageSize": 2, "query": "x"}"#))
        .expect("pages");
    let mut seen = Vec::new();
    loop {
        let batch = resolves(pages.next(JsValue::UNDEFINED)).await;
        if batch.is_null() {
            break;
        }
        seen.push(text(&batch));
        assert!(seen.len() < 10, "the walk must end");
    }
    assert_eq!(
        seen,
        [
            r#"[{"username":"a"},{"username":"b"}]"#,
            r#"[{"username":"c"}]"#
        ]
    );
    assert_eq!(fake.count(), 3);
    assert_eq!(
        prop_string(&fake.request(2), "url").as_deref(),
        Some("http://127.0.0.1:9/api/user?limit=2&page=3&query=x")
    );
    // Asking again after the end sends nothing.
    assert!(resolves(pages.next(JsValue::UNDEFINED)).await.is_null());
    assert_eq!(fake.count(), 3);

    let error = api.user_pages(js(r#"{"pageSize": 5000}"#)).err().unwrap();
    assert_eq!(prop_string(&error, "field").as_deref(), Some("pageSize"));
}

#[wasm_bindgen_test]
async fn create_with_wait_polls_until_visible() {
    let fake = server(
        r#"[{"status": 201}, {"status": 404}, {"status": 200, "body": "{\"username\": \"u\", \"acls\": []}"}]"#,
    );
    let api = client(&fake, "{}");
    resolves(api.create_user(
        js(r#"{"username": "u", "password": "p"}"#),
        js(r#"{"wait": {"intervalMs": 10}}"#),
    ))
    .await;
    let methods: Vec<String> = (0..fake.count())
        .map(|i| prop_string(&fake.request(i), "method").unwrap())
        .collect();
    assert_eq!(methods, ["POST", "GET", "GET"]);
    assert_eq!(
        prop_string(&fake.request(2), "url").as_deref(),
        Some("http://127.0.0.1:9/api/user/u")
    );
}

#[wasm_bindgen_test]
async fn the_wait_after_a_create_uses_the_calls_attempt_timeout() {
    let fake = server(r#"[{"status": 201}, {"hang": true}]"#);
    let api = client(&fake, "{}");
    let started = now();
    let error = rejects(api.create_user(
        js(r#"{"username": "u", "password": "p"}"#),
        js(r#"{"timeoutMs": 50, "wait": {"timeoutMs": 300, "intervalMs": 10}}"#),
    ))
    .await;
    assert_eq!(code(&error), "WAIT_TIMEOUT", "{}", text(&error));
    assert!(now() - started < 900.0, "probes time out after 50 ms each");
    assert!(fake.count() >= 3, "the create and several probes");
}

#[wasm_bindgen_test]
async fn a_wait_past_its_deadline_is_wait_timeout() {
    let fake = server(r#"[{"status": 404}]"#);
    let api = client(&fake, "{}");
    let started = now();
    let error =
        rejects(api.wait_for_user("u".into(), js(r#"{"timeoutMs": 100, "intervalMs": 20}"#))).await;
    assert_eq!(code(&error), "WAIT_TIMEOUT", "{}", text(&error));
    assert!(fake.count() >= 2);
    assert!(now() - started < 5000.0);
}

#[wasm_bindgen_test]
async fn a_probe_that_never_answers_ends_at_the_deadline() {
    let fake = server(r#"[{"hang": true}]"#);
    let api = client(&fake, "{}");
    let started = now();
    let error =
        rejects(api.wait_for_user("u".into(), js(r#"{"timeoutMs": 300, "intervalMs": 50}"#))).await;
    assert_eq!(code(&error), "WAIT_TIMEOUT", "{}", text(&error));
    let took = now() - started;
    assert!(took < 900.0, "took {took} ms, the deadline was 300 ms");
}

#[wasm_bindgen_test]
async fn the_calls_signal_ends_a_wait_that_has_its_own() {
    let fake = server(r#"[{"status": 204}, {"status": 200, "body": "{}"}]"#);
    let api = client(&fake, "{}");
    let options = js(r#"{"wait": {"intervalMs": 100, "timeoutMs": 1500}}"#);
    let own = abort_after(60_000.0, JsValue::UNDEFINED, false);
    Reflect::set(&prop(&options, "wait"), &"signal".into(), &own).unwrap();
    let call = abort_after(250.0, JsValue::UNDEFINED, false);
    Reflect::set(&options, &"signal".into(), &call).unwrap();
    let started = now();
    let error = rejects(api.delete_user("u".into(), options)).await;
    assert_eq!(code(&error), "ABORTED", "{}", text(&error));
    assert!(now() - started < 1000.0);
}

#[wasm_bindgen_test]
async fn a_wait_ends_at_once_when_aborted() {
    let fake = server(r#"[{"status": 200, "body": "[]"}]"#);
    let api = client(&fake, "{}");
    let options = js(r#"{"intervalMs": 60000}"#);
    Reflect::set(
        &options,
        &"signal".into(),
        &abort_after(50.0, JsValue::from_str("stop"), true),
    )
    .unwrap();
    let started = now();
    let rule = js(r#"{"type": "pattern", "pattern": "p/%u"}"#);
    let error = rejects(api.wait_for_acl(rule, options)).await;
    assert_eq!(code(&error), "ABORTED");
    assert!(now() - started < 3000.0);
    assert_eq!(fake.count(), 1);
}

#[wasm_bindgen_test]
async fn the_global_fetch_is_used_by_default() {
    let fake = server(r#"[{"status": 200, "body": "[{\"username\": \"g\"}]"}]"#);
    let previous = set_global_fetch(fake.fetch());
    let api = WasmClient::new(options(js("{}"))).expect("client");
    let result = JsFuture::from(api.list_users(JsValue::UNDEFINED, JsValue::UNDEFINED)).await;
    set_global_fetch(previous);
    assert_eq!(text(&result.expect("list")), r#"[{"username":"g"}]"#);
    assert_eq!(fake.count(), 1);
}
