//! The API's data as plain JavaScript values, in its documented JSON shape.

use cloudmqtt_api::{AclRule, User, UserAcl, UserInfo};
use js_sys::{Array, Object, Reflect};
use wasm_bindgen::JsValue;

/// A value that becomes plain JavaScript data.
pub(crate) trait IntoJs {
    /// Converts the value.
    fn into_js(self) -> JsValue;
}

/// A plain object with these properties, in this order.
fn object(properties: &[(&str, JsValue)]) -> JsValue {
    let object = Object::new();
    for (name, value) in properties {
        // Defining a property of a fresh plain object cannot fail.
        let _ = Reflect::set(&object, &JsValue::from_str(name), value);
    }
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
        object(&[("username", self.username.into())])
    }
}

impl IntoJs for UserAcl {
    fn into_js(self) -> JsValue {
        object(&[
            ("topic", self.topic.into()),
            ("read", self.read.into()),
            ("write", self.write.into()),
        ])
    }
}

impl IntoJs for UserInfo {
    fn into_js(self) -> JsValue {
        object(&[
            ("username", self.username.into()),
            ("acls", self.acls.into_js()),
        ])
    }
}

impl IntoJs for AclRule {
    fn into_js(self) -> JsValue {
        object(&[
            ("type", self.kind.as_str().into()),
            ("pattern", self.pattern.into()),
            ("read", self.read.into()),
            ("write", self.write.into()),
            (
                "username",
                self.username.map_or(JsValue::NULL, JsValue::from),
            ),
        ])
    }
}
