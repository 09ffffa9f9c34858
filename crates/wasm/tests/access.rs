//! `plan`, `apply` and `exportAccess` (the `access` feature) against a
//! model server (tests/access.js) whose changes show after a delay.
#![cfg(all(target_arch = "wasm32", feature = "access"))]

use cloudmqtt_api_wasm::{AccessMethod, Task, WasmClient};
use js_sys::{JSON, Object, Promise, Reflect};
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;
use wasm_bindgen_test::wasm_bindgen_test;

#[wasm_bindgen(module = "/tests/access.js")]
extern "C" {
    type AccessServer;

    #[wasm_bindgen(constructor)]
    fn new(delay_ms: f64) -> AccessServer;

    #[wasm_bindgen(method, getter)]
    fn fetch(this: &AccessServer) -> JsValue;

    #[wasm_bindgen(method, getter, js_name = onProgress)]
    fn on_progress(this: &AccessServer) -> JsValue;

    #[wasm_bindgen(method, getter)]
    fn progress(this: &AccessServer) -> js_sys::Array;

    #[wasm_bindgen(method, getter)]
    fn log(this: &AccessServer) -> js_sys::Array;

    #[wasm_bindgen(method, js_name = userNames)]
    fn user_names(this: &AccessServer) -> String;

    #[wasm_bindgen(method)]
    fn password(this: &AccessServer, name: &str) -> Option<String>;

    #[wasm_bindgen(method, js_name = ruleList)]
    fn rule_list(this: &AccessServer) -> String;

    #[wasm_bindgen(method, getter, js_name = maxActive)]
    fn max_active(this: &AccessServer) -> u32;

    #[wasm_bindgen(js_name = driveTask)]
    fn drive_task(task: Task, fetch: JsValue, on_progress: JsValue) -> Promise;
}

fn js(json: &str) -> JsValue {
    JSON::parse(json).expect("test JSON")
}

fn text(value: &JsValue) -> String {
    JSON::stringify(value).unwrap().as_string().unwrap()
}

/// `{"changes":…,"missingPasswords":…}` of a plan (a saved plan has more)
/// or of an apply's result (which has `passwordVersions` too).
fn brief(value: &JsValue) -> String {
    let out = Object::new();
    for key in ["changes", "missingPasswords"] {
        let member = Reflect::get(value, &key.into()).unwrap();
        Reflect::set(&out, &key.into(), &member).unwrap();
    }
    text(&out)
}

fn client(server: &AccessServer) -> WasmClient {
    let options = Object::new();
    let set = |name: &str, value: JsValue| {
        Reflect::set(&options, &name.into(), &value).unwrap();
    };
    set("apiKey", "access-key-1".into());
    set("baseUrl", "http://127.0.0.1:9/api".into());
    set("fetch", server.fetch());
    WasmClient::new(options.into())
        .map_err(|e| text(&e))
        .unwrap()
}

/// Runs a task to its end against `server`, as the npm package's driver
/// would, every change's progress going to the server's log of it.
async fn settle(server: &AccessServer, task: Task) -> Result<JsValue, JsValue> {
    JsFuture::from(drive_task(task, server.fetch(), server.on_progress())).await
}

const DESIRED: &str = r#"{
  "users": {"sensor-1": {"password": "s1-secret"}, "dashboard": {"password": "d-secret"}},
  "rules": [
    {"type": "topic", "username": "sensor-1", "pattern": "sensors/1/#", "read": false, "write": true},
    {"type": "pattern", "pattern": "home/%u/#", "read": true, "write": true}
  ]
}"#;

#[wasm_bindgen_test]
async fn plan_apply_and_export() {
    let server = AccessServer::new(30.0);
    let api = client(&server);
    let planned = settle(
        &server,
        api.access(AccessMethod::Plan, js(DESIRED), JsValue::UNDEFINED),
    )
    .await
    .unwrap();
    assert_eq!(
        brief(&planned),
        r#"{"changes":[{"action":"create","kind":"user","username":"dashboard"},{"action":"create","kind":"user","username":"sensor-1"},{"action":"create","kind":"rule","rule":{"type":"topic","pattern":"sensors/1/#","read":false,"write":true,"username":"sensor-1"}},{"action":"create","kind":"rule","rule":{"type":"pattern","pattern":"home/%u/#","read":true,"write":true,"username":null}}],"missingPasswords":[]}"#
    );
    assert_eq!(server.log().length(), 2, "the plan only reads");

    let options = js(r#"{"wait": {"intervalMs": 20, "timeoutMs": 5000}, "concurrency": 2}"#);
    let made = settle(
        &server,
        api.access(AccessMethod::Apply, js(DESIRED), options),
    )
    .await
    .unwrap();
    assert_eq!(brief(&made), brief(&planned));
    assert_eq!(server.max_active(), 2, "two requests in flight at once");
    assert_eq!(server.user_names(), "dashboard,sensor-1");
    assert_eq!(server.password("sensor-1").as_deref(), Some("s1-secret"));
    assert_eq!(
        server.rule_list(),
        r#"["pattern:null:home/%u/#:true:true","topic:sensor-1:sensors/1/#:false:true"]"#
    );
    let progress: Vec<String> = server
        .progress()
        .iter()
        .map(|p| p.as_string().unwrap())
        .collect();
    assert_eq!(
        progress
            .iter()
            .filter(|p| p.starts_with("started "))
            .count(),
        4
    );
    assert_eq!(
        progress.iter().filter(|p| p.starts_with("done ")).count(),
        4
    );

    let again = settle(
        &server,
        api.access(AccessMethod::Plan, js(DESIRED), JsValue::UNDEFINED),
    )
    .await
    .unwrap();
    assert_eq!(brief(&again), r#"{"changes":[],"missingPasswords":[]}"#);

    // Change rights and prune the dashboard.
    let changed = DESIRED
        .replace(
            r#""read": false, "write": true"#,
            r#""read": true, "write": true"#,
        )
        .replace(r#", "dashboard": {"password": "d-secret"}"#, "");
    let options = js(r#"{"prune": true, "wait": {"intervalMs": 20}}"#);
    let made = settle(
        &server,
        api.access(AccessMethod::Apply, js(&changed), options),
    )
    .await
    .unwrap();
    assert_eq!(
        brief(&made),
        r#"{"changes":[{"action":"replace","kind":"rule","from":{"type":"topic","pattern":"sensors/1/#","read":false,"write":true,"username":"sensor-1"},"to":{"type":"topic","pattern":"sensors/1/#","read":true,"write":true,"username":"sensor-1"}},{"action":"delete","kind":"user","username":"dashboard"}],"missingPasswords":[]}"#
    );
    let exported = settle(
        &server,
        api.access(AccessMethod::Export, JsValue::UNDEFINED, JsValue::UNDEFINED),
    )
    .await
    .unwrap();
    assert_eq!(
        text(&exported),
        r#"{"users":{"sensor-1":{}},"rules":[{"type":"pattern","pattern":"home/%u/#","read":true,"write":true,"username":null},{"type":"topic","pattern":"sensors/1/#","read":true,"write":true,"username":"sensor-1"}]}"#
    );
    // The export is a desired state that plans no changes.
    let options = js(r#"{"prune": true}"#);
    let again = settle(&server, api.access(AccessMethod::Plan, exported, options))
        .await
        .unwrap();
    assert_eq!(brief(&again), r#"{"changes":[],"missingPasswords":[]}"#);
}

#[wasm_bindgen_test]
async fn invalid_desired_states_are_refused_before_anything_is_sent() {
    let server = AccessServer::new(0.0);
    let api = client(&server);
    for (desired, field) in [
        (
            r#"{"rules": [{"type": "pattern", "username": "u", "pattern": "a", "read": true, "write": true}]}"#,
            "username",
        ),
        (r#"{"users": {"a": {"password": ""}}}"#, "password"),
        (r#"{"users": {"a": "pw"}}"#, "users"),
        (r#"{"rules": {}}"#, "rules"),
        (
            r#"{"rules": [{"type": "topic", "username": "a", "pattern": "t", "read": true, "write": true}, {"type": "topic", "username": "a", "pattern": "t", "read": false, "write": true}]}"#,
            "rules",
        ),
        ("42", "desired"),
    ] {
        let error = settle(
            &server,
            api.access(AccessMethod::Plan, js(desired), JsValue::UNDEFINED),
        )
        .await
        .unwrap_err();
        assert_eq!(
            Reflect::get(&error, &"code".into())
                .unwrap()
                .as_string()
                .as_deref(),
            Some("INVALID_INPUT"),
            "{desired}: {}",
            text(&error)
        );
        assert_eq!(
            Reflect::get(&error, &"field".into())
                .unwrap()
                .as_string()
                .as_deref(),
            Some(field),
            "{desired}: {}",
            text(&error)
        );
        assert!(!text(&error).contains("secret"));
    }
    assert_eq!(server.log().length(), 0);
    // A topic rule for a user neither desired nor on the server.
    let desired = r#"{"rules": [{"type": "topic", "username": "ghost", "pattern": "t", "read": true, "write": true}]}"#;
    let error = settle(
        &server,
        api.access(AccessMethod::Plan, js(desired), JsValue::UNDEFINED),
    )
    .await
    .unwrap_err();
    assert!(text(&error).contains("ghost"), "{}", text(&error));
}
