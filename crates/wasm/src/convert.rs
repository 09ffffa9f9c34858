//! The API's data as plain JavaScript values, in its documented JSON shape.
//!
//! A result is written as compact JSON and handed to `JSON.parse` in one
//! step: one string crosses the boundary and the JavaScript engine builds
//! the objects, which is several times faster than building them property
//! by property from WebAssembly (a list of a thousand users is one string,
//! not a thousand objects and names).

#[cfg(feature = "access")]
use cloudmqtt_api::{AccessChange, Progress};
use cloudmqtt_api::{AclRule, AttemptFailure, Error, Event, User, UserAcl, UserInfo};

/// A call's result as the JavaScript driver receives it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Value {
    /// `undefined` (a change without a result, a wait).
    Undefined,
    /// `null` (a walk over the user list that is over).
    Null,
    /// Compact JSON for `JSON.parse`.
    Json(String),
    /// The body of the last response, which is already the result's
    /// compact JSON (see [`cloudmqtt_api::is_canonical_user_list`]): the
    /// driver parses the bytes it holds, so they never cross back.
    Canonical,
}

/// A value that becomes plain JavaScript data.
pub(crate) trait IntoValue {
    /// Converts the value.
    fn into_value(self) -> Value;
}

/// A value written as JSON, in the API's documented shape.
pub(crate) trait WriteJson {
    /// Appends the value's JSON to `out`.
    fn write_json(&self, out: &mut String);
}

/// Appends `text` as a JSON string, escaped as `JSON.stringify` does (the
/// core's writer, which also writes request bodies).
pub(crate) use cloudmqtt_api::push_json_string as write_str;

/// Appends `"name":` (names are plain ASCII).
pub(crate) fn key(out: &mut String, name: &str) {
    out.push('"');
    out.push_str(name);
    out.push_str("\":");
}

pub(crate) fn write_bool(out: &mut String, value: bool) {
    out.push_str(if value { "true" } else { "false" });
}

impl<T: WriteJson> WriteJson for Vec<T> {
    fn write_json(&self, out: &mut String) {
        out.push('[');
        for (index, item) in self.iter().enumerate() {
            if index > 0 {
                out.push(',');
            }
            item.write_json(out);
        }
        out.push(']');
    }
}

impl WriteJson for User {
    fn write_json(&self, out: &mut String) {
        out.push('{');
        key(out, "username");
        write_str(out, &self.username);
        out.push('}');
    }
}

impl WriteJson for UserAcl {
    fn write_json(&self, out: &mut String) {
        out.push('{');
        key(out, "topic");
        write_str(out, &self.topic);
        out.push(',');
        key(out, "read");
        write_bool(out, self.read);
        out.push(',');
        key(out, "write");
        write_bool(out, self.write);
        out.push('}');
    }
}

impl WriteJson for UserInfo {
    fn write_json(&self, out: &mut String) {
        out.push('{');
        key(out, "username");
        write_str(out, &self.username);
        out.push(',');
        key(out, "acls");
        self.acls.write_json(out);
        out.push('}');
    }
}

/// A rule as the rule list shows it, by the core's one writer (which
/// saved plans use too).
impl WriteJson for AclRule {
    fn write_json(&self, out: &mut String) {
        cloudmqtt_api::saved::push_rule_json(out, self);
    }
}

/// Appends a whole number, in decimal (no `core::fmt`).
pub(crate) use cloudmqtt_api::push_decimal as write_u64;

impl IntoValue for () {
    fn into_value(self) -> Value {
        Value::Undefined
    }
}

/// Every value with a JSON form becomes JavaScript data through it.
impl<T: WriteJson> IntoValue for T {
    fn into_value(self) -> Value {
        Value::Json(to_json(&self))
    }
}

/// The value's JSON.
pub(crate) fn to_json(value: &impl WriteJson) -> String {
    let mut out = String::new();
    value.write_json(&mut out);
    out
}

/// One change as the TypeScript `AccessChange` describes it, by the
/// core's one writer (the saved plan's and `--json`'s shape).
#[cfg(feature = "access")]
pub(crate) fn write_change(out: &mut String, change: &AccessChange) {
    cloudmqtt_api::saved::push_change_json(out, change);
}

/// An event as the JSON of a `V` step, for the driver's logger and hooks
/// (and, with the `access` feature, `onProgress`); `None` for an event
/// JavaScript does not hear (a page read, a change given up):
///
/// - `{"retry":1,"reason":"SERVER_ERROR","status":503,"delayMs":250}`: a
///   retry, its number, why (the error code the failed attempt would have
///   ended the call with; `status` when a response came) and its delay;
/// - `{"wait":"user \"a\" to exist","delayMs":125}`: a wait looks again;
/// - `{"change":{...},"state":"started"}`: a change of an apply started
///   or was made.
pub(crate) fn event_json(event: &Event) -> Option<String> {
    let mut json = String::from("{");
    match event {
        Event::Retry {
            failure,
            retry,
            delay,
        } => {
            key(&mut json, "retry");
            write_u64(&mut json, u64::from(*retry));
            json.push(',');
            key(&mut json, "reason");
            write_str(&mut json, Error::of_attempt(*failure).code().as_str());
            if let AttemptFailure::Status(status, _) = failure {
                json.push(',');
                key(&mut json, "status");
                write_u64(&mut json, u64::from(*status));
            }
            write_delay(&mut json, *delay);
        }
        Event::Waiting { what, delay } => {
            key(&mut json, "wait");
            write_str(&mut json, what);
            write_delay(&mut json, *delay);
        }
        #[cfg(feature = "access")]
        Event::Change {
            change, progress, ..
        } if *progress != Progress::Failed => {
            key(&mut json, "change");
            write_change(&mut json, change);
            json.push(',');
            key(&mut json, "state");
            write_str(&mut json, progress.as_str());
        }
        _ => return None,
    }
    json.push('}');
    Some(json)
}

/// Appends `,"delayMs":N`, the delay as a timer's milliseconds.
fn write_delay(out: &mut String, delay: std::time::Duration) {
    out.push(',');
    key(out, "delayMs");
    write_u64(out, crate::clock::timer_ms(delay) as u64);
}
