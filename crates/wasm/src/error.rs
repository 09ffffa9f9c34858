//! Failures as the plain objects the JavaScript layer turns into
//! `CloudMqttError`: `{ code, message, status?, serverMessage?,
//! retryAfterMs?, field? }`, with the core's Rust argument names given
//! their JavaScript names.

use cloudmqtt_api::Error;
use js_sys::{Object, Reflect};
use wasm_bindgen::JsValue;

use crate::driver;

/// The message of a redirect whose status the runtime hides.
const OPAQUE_REDIRECT: &str =
    "unexpected status: the server redirected (redirects are not followed)";

/// Turns an error into the plain object the JavaScript layer expects:
/// `code`, `message`, and `status`, `serverMessage`, `retryAfterMs`,
/// `field` when they apply.
pub fn error_object(error: &Error) -> JsValue {
    let object = Object::new();
    let set = |name: &str, value: JsValue| {
        // Setting a property on a fresh plain object cannot fail.
        let _ = Reflect::set(&object, &JsValue::from_str(name), &value);
    };
    set("code", error.code().as_str().into());
    match error.status() {
        // Status 0 is a browser's opaque answer to `redirect: "manual"`: a
        // redirect whose status the page may not see.
        Some(0) => set("message", OPAQUE_REDIRECT.into()),
        status => {
            set("message", error.to_string().into());
            if let Some(status) = status {
                set("status", status.into());
            }
        }
    }
    if let Some(message) = error.server_message() {
        set("serverMessage", message.into());
    }
    if let Some(after) = error.retry_after(driver::now()) {
        set(
            "retryAfterMs",
            (after.as_secs_f64() * 1000.0).round().into(),
        );
    }
    if let Some(field) = error.field() {
        set("field", js_field(field).into());
    }
    object.into()
}

/// The JavaScript name of an argument the core names in Rust.
pub(crate) fn js_field(field: &str) -> &str {
    match field {
        "api_key" => "apiKey",
        "base_url" => "baseUrl",
        "page_size" => "pageSize",
        "client_id" => "clientId",
        "interval" | "max_interval" => "intervalMs",
        other => other,
    }
}
