//! JavaScript strings for the fixed names this crate uses (property names,
//! option values), made once per name: each `JsValue::from_str` crosses the
//! boundary and decodes UTF-8, which showed in the per-call profile.

use std::cell::RefCell;

use wasm_bindgen::JsValue;

thread_local! {
    static CACHE: RefCell<Vec<(&'static str, JsValue)>> = const { RefCell::new(Vec::new()) };
}

/// Calls `f` with the JavaScript string for `name`, made on first use. A
/// name is found by its address and length: the same literal is one name
/// (two copies of one text would be two entries, which is harmless).
pub(crate) fn with_key<R>(name: &'static str, f: impl FnOnce(&JsValue) -> R) -> R {
    let value = CACHE.with(|cache| {
        let mut cache = cache.borrow_mut();
        let found = cache
            .iter()
            .find(|(known, _)| std::ptr::eq(*known, name))
            .map(|(_, value)| value.clone());
        found.unwrap_or_else(|| {
            let value = JsValue::from_str(name);
            cache.push((name, value.clone()));
            value
        })
    });
    f(&value)
}
