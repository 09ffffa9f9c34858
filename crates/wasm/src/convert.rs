//! The API's data as plain JavaScript values, in its documented JSON shape.

use cloudmqtt_api::{AclRule, User, UserAcl, UserInfo};
use js_sys::{Array, Object, Reflect};
use wasm_bindgen::JsValue;

/// A value that becomes plain JavaScript data.
pub(crate) trait IntoJs {
    /// Converts the value.
    fn into_js(self) -> JsValue;
}

/// The property names of the API's data.
#[derive(Clone, Copy)]
enum Key {
    Username,
    Acls,
    Topic,
    Read,
    Write,
    Type,
    Pattern,
}

const NAMES: [&str; 7] = [
    "username", "acls", "topic", "read", "write", "type", "pattern",
];

thread_local! {
    /// The names as JavaScript strings, made once: a list of a thousand
    /// users then passes no name across the boundary again.
    static KEYS: Vec<JsValue> = NAMES.iter().map(|name| JsValue::from_str(name)).collect();
}

/// A plain object with these properties, in this order.
fn object(properties: &[(Key, JsValue)]) -> JsValue {
    let object = Object::new();
    KEYS.with(|keys| {
        for (key, value) in properties {
            // Defining a property of a fresh plain object cannot fail.
            let _ = Reflect::set(&object, &keys[*key as usize], value);
        }
    });
    object.into()
}

impl IntoJs for () {
    fn into_js(self) -> JsValue {
        JsValue::UNDEFINED
    }
}

impl<T: IntoJs> IntoJs for Vec<T> {
    fn into_js(self) -> JsValue {
        self.into_iter()
            .map(IntoJs::into_js)
            .collect::<Array>()
            .into()
    }
}

impl IntoJs for User {
    fn into_js(self) -> JsValue {
        object(&[(Key::Username, self.username.into())])
    }
}

impl IntoJs for UserAcl {
    fn into_js(self) -> JsValue {
        object(&[
            (Key::Topic, self.topic.into()),
            (Key::Read, self.read.into()),
            (Key::Write, self.write.into()),
        ])
    }
}

impl IntoJs for UserInfo {
    fn into_js(self) -> JsValue {
        object(&[
            (Key::Username, self.username.into()),
            (Key::Acls, self.acls.into_js()),
        ])
    }
}

impl IntoJs for AclRule {
    fn into_js(self) -> JsValue {
        object(&[
            (Key::Type, self.kind.as_str().into()),
            (Key::Pattern, self.pattern.into()),
            (Key::Read, self.read.into()),
            (Key::Write, self.write.into()),
            (
                Key::Username,
                self.username.map_or(JsValue::NULL, JsValue::from),
            ),
        ])
    }
}
