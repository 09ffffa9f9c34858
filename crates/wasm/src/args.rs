//! Reading arguments from untyped JavaScript values.
//!
//! Every function here turns a wrong type into [`Error::InvalidInput`]
//! naming the argument, so that a caller passing `getUser(42)` gets an
//! error object and never a panic or a bare string.

use std::time::Duration;

use cloudmqtt_api::Error;
use js_sys::{Function, Object, Reflect};
use wasm_bindgen::{JsCast, JsValue};
use web_sys::AbortSignal;

use crate::keys::with_key;

/// An [`Error::InvalidInput`] for `field`.
pub(crate) fn invalid(field: &'static str, reason: &str) -> Error {
    Error::InvalidInput {
        field,
        reason: reason.to_owned(),
    }
}

/// The property `name` of `object`, or what reading it threw. One function
/// for every read, so that the `.wasm` holds one copy of it.
fn get(object: &JsValue, name: &'static str) -> Result<JsValue, JsValue> {
    with_key(name, |key| Reflect::get(object, key))
}

/// Whether a value stands for "not given": `undefined` or `null`.
pub(crate) fn is_absent(value: &JsValue) -> bool {
    value.is_undefined() || value.is_null()
}

/// An optional object argument: `None` when absent.
///
/// # Errors
/// When the value is present but not an object.
pub(crate) fn opt_object(value: JsValue, field: &'static str) -> Result<Option<Object>, Error> {
    if is_absent(&value) {
        return Ok(None);
    }
    if value.is_object() && !value.is_function() {
        Ok(Some(value.unchecked_into()))
    } else {
        Err(invalid(field, "must be an object"))
    }
}

/// A required object argument.
///
/// # Errors
/// When the value is absent or not an object.
pub(crate) fn object(value: JsValue, field: &'static str) -> Result<Object, Error> {
    opt_object(value, field)?.ok_or_else(|| invalid(field, "must be an object"))
}

/// An optional string.
///
/// # Errors
/// When the value is present but not a string.
pub(crate) fn opt_string(value: JsValue, field: &'static str) -> Result<Option<String>, Error> {
    if is_absent(&value) {
        return Ok(None);
    }
    value
        .as_string()
        .map(Some)
        .ok_or_else(|| invalid(field, "must be a string"))
}

/// A required string.
///
/// # Errors
/// When the value is absent or not a string.
pub(crate) fn string(value: JsValue, field: &'static str) -> Result<String, Error> {
    opt_string(value, field)?.ok_or_else(|| invalid(field, "must be a string"))
}

/// An optional boolean.
///
/// # Errors
/// When the value is present but not a boolean.
fn opt_bool(value: &JsValue, field: &'static str) -> Result<Option<bool>, Error> {
    if is_absent(value) {
        return Ok(None);
    }
    value
        .as_bool()
        .map(Some)
        .ok_or_else(|| invalid(field, "must be a boolean"))
}

/// An optional whole number from 0 to `u32::MAX`.
///
/// # Errors
/// When the value is present but not such a number.
fn opt_u32(value: &JsValue, field: &'static str) -> Result<Option<u32>, Error> {
    if is_absent(value) {
        return Ok(None);
    }
    match value.as_f64() {
        Some(number) if number.fract() == 0.0 && (0.0..=f64::from(u32::MAX)).contains(&number) => {
            // In range and whole, so the conversion is exact.
            Ok(Some(number as u32))
        }
        _ => Err(invalid(
            field,
            "must be a whole number from 0 to 4294967295",
        )),
    }
}

/// An optional duration in milliseconds: a finite number, at least
/// `min_ms`.
///
/// # Errors
/// When the value is present but not such a number.
fn opt_millis(
    value: &JsValue,
    field: &'static str,
    min_ms: f64,
) -> Result<Option<Duration>, Error> {
    if is_absent(value) {
        return Ok(None);
    }
    match value.as_f64() {
        // A cap of about 31 years keeps `Duration` and timer arithmetic
        // safe; NaN and the infinities fail one of the two comparisons.
        Some(ms) if ms >= min_ms && ms <= 1e12 => {
            Ok(Some(Duration::from_micros((ms * 1000.0).round() as u64)))
        }
        _ if min_ms > 0.0 => Err(invalid(field, "must be a positive number of milliseconds")),
        _ => Err(invalid(
            field,
            "must be a non-negative number of milliseconds",
        )),
    }
}

/// The properties of an optional object argument, each read and checked in
/// one step (and named after the property in errors). Without an object,
/// every property is absent.
#[derive(Clone, Copy)]
pub(crate) struct Props<'a>(pub(crate) Option<&'a Object>);

impl Props<'_> {
    /// The property `name`; `undefined` when there is no object.
    ///
    /// # Errors
    /// When reading the property throws (a getter that fails).
    pub(crate) fn get(self, name: &'static str) -> Result<JsValue, Error> {
        match self.0 {
            None => Ok(JsValue::UNDEFINED),
            Some(object) => get(object, name).map_err(|_| invalid(name, "could not be read")),
        }
    }

    /// A required string property.
    pub(crate) fn string(self, name: &'static str) -> Result<String, Error> {
        string(self.get(name)?, name)
    }

    /// An optional string property.
    pub(crate) fn opt_string(self, name: &'static str) -> Result<Option<String>, Error> {
        opt_string(self.get(name)?, name)
    }

    /// A required boolean property.
    pub(crate) fn boolean(self, name: &'static str) -> Result<bool, Error> {
        self.opt_bool(name)?
            .ok_or_else(|| invalid(name, "must be a boolean"))
    }

    /// An optional boolean property.
    pub(crate) fn opt_bool(self, name: &'static str) -> Result<Option<bool>, Error> {
        opt_bool(&self.get(name)?, name)
    }

    /// An optional whole number property from 0 to `u32::MAX`.
    pub(crate) fn opt_u32(self, name: &'static str) -> Result<Option<u32>, Error> {
        opt_u32(&self.get(name)?, name)
    }

    /// An optional whole number property that the core checks with
    /// `check`: a value that is no such number gets the core's own words
    /// for the parameter (its one range, e.g. `limit: "10"` and `limit: 0`
    /// both "must be from 1 to 1000").
    pub(crate) fn opt_u32_in(
        self,
        name: &'static str,
        check: fn(u32) -> Result<(), Error>,
    ) -> Result<Option<u32>, Error> {
        opt_u32(&self.get(name)?, name).map_err(|error| check(0).err().unwrap_or(error))
    }

    /// An optional duration property in milliseconds, at least `min_ms`.
    pub(crate) fn opt_millis(
        self,
        name: &'static str,
        min_ms: f64,
    ) -> Result<Option<Duration>, Error> {
        opt_millis(&self.get(name)?, name, min_ms)
    }

    /// An optional function property.
    pub(crate) fn opt_function(self, name: &'static str) -> Result<Option<Function>, Error> {
        let value = self.get(name)?;
        if is_absent(&value) {
            return Ok(None);
        }
        value
            .dyn_into::<Function>()
            .map(Some)
            .map_err(|_| invalid(name, "must be a function"))
    }

    /// An optional abort signal property: any object with `aborted` and
    /// `addEventListener`, so that signals from another realm work too.
    pub(crate) fn opt_signal(self, name: &'static str) -> Result<Option<AbortSignal>, Error> {
        let value = self.get(name)?;
        if is_absent(&value) {
            return Ok(None);
        }
        let looks_right = value.is_object()
            && get(&value, "addEventListener").is_ok_and(|listen| listen.is_function())
            && get(&value, "aborted").is_ok_and(|a| a.as_bool().is_some());
        if looks_right {
            Ok(Some(value.unchecked_into()))
        } else {
            Err(invalid(name, "must be an AbortSignal"))
        }
    }
}
