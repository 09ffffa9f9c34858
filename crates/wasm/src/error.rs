//! Failures as the plain objects the JavaScript layer turns into
//! `CloudMqttError`: `{ code, message, status?, serverMessage?,
//! retryAfterMs?, field? }`, with the core's Rust argument names given
//! their JavaScript names. They cross as JSON text, like every result.

use std::time::SystemTime;

use cloudmqtt_api::Error;
use wasm_bindgen::JsValue;

use crate::convert::{key, write_str, write_u64};

/// The message of a redirect whose status the runtime hides.
const OPAQUE_REDIRECT: &str =
    "unexpected status: the server redirected (redirects are not followed)";

/// The error as JSON: `code`, `message`, and `status`, `serverMessage`,
/// `retryAfterMs`, `field` when they apply (`retryAfterMs` counted from
/// `now`).
pub(crate) fn error_json(error: &Error, now: SystemTime) -> String {
    let mut out = String::from("{");
    key(&mut out, "code");
    write_str(&mut out, error.code().as_str());
    out.push(',');
    key(&mut out, "message");
    match error.status() {
        // Status 0 is a browser's opaque answer to `redirect: "manual"`: a
        // redirect whose status the page may not see.
        Some(0) => write_str(&mut out, OPAQUE_REDIRECT),
        status => {
            // JavaScript names in JavaScript: the message names the
            // argument as `field` does.
            write_str(&mut out, &error.message_naming(js_field));
            if let Some(status) = status {
                out.push(',');
                key(&mut out, "status");
                write_u64(&mut out, u64::from(status));
            }
        }
    }
    if let Some(message) = error.server_message() {
        out.push(',');
        key(&mut out, "serverMessage");
        write_str(&mut out, message);
    }
    if let Some(after) = error.retry_after(now) {
        out.push(',');
        key(&mut out, "retryAfterMs");
        // Rounded to the nearest millisecond.
        write_u64(
            &mut out,
            (after.as_micros() as u64).saturating_add(500) / 1000,
        );
    }
    if let Some(field) = error.field() {
        out.push(',');
        key(&mut out, "field");
        write_str(&mut out, js_field(field));
    }
    out.push('}');
    out
}

/// The error as the plain object `error_json` describes, for the
/// functions that throw or reject with it directly.
pub fn error_object(error: &Error) -> JsValue {
    js_sys::JSON::parse(&error_json(error, crate::clock::now())).unwrap_or(JsValue::UNDEFINED)
}

/// The JavaScript name of an argument the core names in Rust.
pub(crate) fn js_field(field: &'static str) -> &'static str {
    match field {
        "api_key" => "apiKey",
        "base_url" => "baseUrl",
        "page_size" => "pageSize",
        "client_id" => "clientId",
        "interval" | "max_interval" => "intervalMs",
        other => other,
    }
}
