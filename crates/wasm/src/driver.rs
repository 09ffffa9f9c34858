//! The loop that drives a core [`Machine`] with `fetch` and timers, for the
//! access entry's `plan`, `apply` and `exportAccess` (whose [`Apply`]
//! keeps several requests in flight). Every other call is driven by the
//! npm package's JavaScript driver ([`crate::Task`]).
//!
//! [`Apply`]: cloudmqtt_api::Apply
//!
//! The core decides everything (what to send, whether to retry, how long to
//! wait); this module only carries requests, tells the time and sleeps. A
//! user's abort signal (any of them, for a wait that follows a call) ends a
//! call at once, in flight or asleep.

use std::time::Duration;

use crate::clock::{now, timer_ms as millis};
use crate::keys::with_key;
use cloudmqtt_api::{Error, Input, Machine, Output, Request, Response, TransportError};
use js_sys::{Array, ArrayBuffer, Function, Object, Promise, Reflect, Uint8Array};
use wasm_bindgen::prelude::*;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{AbortController, AbortSignal};

#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(js_name = setTimeout)]
    fn set_timeout(callback: &Function, millis: f64) -> JsValue;

    #[wasm_bindgen(js_name = clearTimeout)]
    fn clear_timeout(id: &JsValue);
}

fn is_aborted(signals: &[AbortSignal]) -> bool {
    signals.iter().any(AbortSignal::aborted)
}

/// How requests travel: the `fetch` to call.
#[derive(Debug, Clone)]
pub(crate) struct Transport {
    /// A caller's `fetch(request)`; the global `fetch` when `None`.
    pub(crate) fetch: Option<Function>,
}

/// Runs a machine to completion: sends what it asks for (each attempt ends
/// at the deadline the request carries), sleeps when it asks, and returns
/// its result.
///
/// # Errors
/// The machine's error, or [`Error::Aborted`] as soon as the signal fires.
pub(crate) async fn drive(
    machine: &mut dyn Machine<Value = JsValue>,
    transport: &Transport,
    signals: &[AbortSignal],
) -> Result<JsValue, Error> {
    loop {
        let now = now();
        match machine.poll_output(now) {
            Output::Done(result) => return result,
            Output::WaitUntil(at) => {
                sleep(at.duration_since(now).unwrap_or_default(), signals).await?;
            }
            Output::Send(request) => {
                if is_aborted(signals) {
                    return Err(Error::Aborted);
                }
                // The core sets every attempt's deadline.
                let timeout = request
                    .time_left(now)
                    .unwrap_or(cloudmqtt_api::DEFAULT_ATTEMPT_TIMEOUT);
                let input = send(request, transport, signals, timeout).await?;
                machine.handle_input(input, self::now());
            }
        }
    }
}

/// Sleeps for `duration`, or less if a signal fires.
///
/// # Errors
/// [`Error::Aborted`] when a signal fired (before or during the sleep).
pub(crate) async fn sleep(duration: Duration, signals: &[AbortSignal]) -> Result<(), Error> {
    if is_aborted(signals) {
        return Err(Error::Aborted);
    }
    let mut timer = JsValue::UNDEFINED;
    let mut wake = None;
    let promise = Promise::new(&mut |resolve: Function, _reject| {
        timer = set_timeout(&resolve, millis(duration));
        // A signal that cannot take a listener still ends the sleep on
        // time; the abort is then seen when the sleep ends.
        for signal in signals {
            let _ = signal.add_event_listener_with_callback("abort", &resolve);
        }
        wake = Some(resolve);
    });
    // The promise only ever resolves.
    let _ = JsFuture::from(promise).await;
    clear_timeout(&timer);
    if let Some(wake) = &wake {
        for signal in signals {
            let _ = signal.remove_event_listener_with_callback("abort", wake);
        }
    }
    if is_aborted(signals) {
        return Err(Error::Aborted);
    }
    Ok(())
}

thread_local! {
    /// The reason an attempt is aborted with (its timeout, or a user's signal).
    static ABORT_REASON: JsValue = js_sys::Error::new("the request was aborted").into();
}

/// One attempt's abort controller: aborted by the timer or by a user's
/// signal. Dropping it clears the timer and the listeners.
struct Attempt<'a> {
    /// The controller's signal, which every `fetch` of the attempt gets.
    signal: AbortSignal,
    abort: Function,
    timer: JsValue,
    user: &'a [AbortSignal],
}

impl<'a> Attempt<'a> {
    fn start(user: &'a [AbortSignal], timeout: Duration) -> Result<Self, JsValue> {
        let controller = AbortController::new()?;
        let abort_method: Function =
            with_key("abort", |key| Reflect::get(&controller, key))?.dyn_into()?;
        // Abort with an Error so that every rejection is an Error object;
        // one is made once and shared (making an Error records a stack).
        let reason = ABORT_REASON.with(JsValue::clone);
        let abort: Function = abort_method.bind1(&controller, &reason).unchecked_into();
        let timer = set_timeout(&abort, millis(timeout));
        let attempt = Self {
            signal: controller.signal(),
            abort,
            timer,
            user,
        };
        for signal in user {
            // On an error, dropping the attempt clears the timer and removes
            // the listeners added so far.
            signal.add_event_listener_with_callback("abort", &attempt.abort)?;
        }
        Ok(attempt)
    }

    /// A promise that rejects when the attempt is aborted, to race against
    /// promises that may ignore the signal (a caller's `fetch` may).
    fn aborted(&self) -> Promise {
        Promise::new(&mut |_resolve, reject: Function| {
            let _ = self
                .signal
                .add_event_listener_with_callback("abort", &reject);
        })
    }

    /// Why a failed step failed: the user's abort, the timeout, or the
    /// network.
    fn failure(&self, error: &JsValue) -> Result<Input, Error> {
        if is_aborted(self.user) {
            Err(Error::Aborted)
        } else if self.signal.aborted() {
            Ok(Input::Failed(TransportError::Timeout))
        } else {
            Ok(Input::Failed(TransportError::Network(describe(error))))
        }
    }
}

impl Drop for Attempt<'_> {
    fn drop(&mut self) {
        clear_timeout(&self.timer);
        for signal in self.user {
            let _ = signal.remove_event_listener_with_callback("abort", &self.abort);
        }
    }
}

/// A JavaScript error as text: `name: message`, with its cause's message
/// (Node's fetch puts the socket error there).
fn describe(error: &JsValue) -> String {
    let text = |value: &JsValue| -> Option<String> {
        let message = Reflect::get(value, &"message".into()).ok()?.as_string()?;
        let name = Reflect::get(value, &"name".into())
            .ok()
            .and_then(|name| name.as_string())
            .unwrap_or_else(|| "Error".to_owned());
        Some(format!("{name}: {message}"))
    };
    if !error.is_object() {
        return error
            .as_string()
            .unwrap_or_else(|| "the request failed".to_owned());
    }
    let mut description = text(error).unwrap_or_else(|| "the request failed".to_owned());
    if let Some(cause) = Reflect::get(error, &"cause".into())
        .ok()
        .filter(JsValue::is_object)
        .and_then(|cause| text(&cause))
    {
        description.push_str(" (");
        description.push_str(&cause);
        description.push(')');
    }
    description
}

/// Sets `object[name] = value` on a fresh plain object (which cannot fail).
fn set(object: &Object, name: &'static str, value: &JsValue) {
    let _ = with_key(name, |key| Reflect::set(object, key, value));
}

/// The second argument of `fetch(url, init)`: credentials omitted,
/// redirects not followed, headers as a plain object.
fn init(request: &Request, signal: &AbortSignal) -> Object {
    let init = Object::new();
    with_key(request.method.as_str(), |method| {
        set(&init, "method", method)
    });
    let headers = Object::new();
    for (name, value) in &request.headers {
        let _ = Reflect::set(
            &headers,
            &JsValue::from_str(name),
            &JsValue::from_str(value),
        );
    }
    set(&init, "headers", &headers);
    if !request.body.is_empty() {
        set(&init, "body", &Uint8Array::from(request.body.as_slice()));
    }
    with_key("omit", |omit| set(&init, "credentials", omit));
    with_key("manual", |manual| set(&init, "redirect", manual));
    set(&init, "signal", signal);
    init
}

/// Starts one `fetch`: the global one as `fetch(url, init)`, or the
/// caller's with a `Request` (its documented argument).
fn call_fetch(transport: &Transport, request: &Request, init: &Object) -> Result<Promise, JsValue> {
    let global = js_sys::global();
    let returned = match &transport.fetch {
        Some(fetch) => {
            let request =
                web_sys::Request::new_with_str_and_init(&request.url, init.unchecked_ref())?;
            fetch.call1(&global, &request)?
        }
        None => {
            let fetch: Function = with_key("fetch", |key| Reflect::get(&global, key))?
                .dyn_into()
                .map_err(|_| js_sys::Error::new("no global fetch function"))?;
            fetch.call2(&global, &JsValue::from_str(&request.url), init)?
        }
    };
    Ok(Promise::resolve(&returned))
}

/// Waits for `promise`; with a caller's `fetch`, which may ignore the
/// signal, fails as soon as the attempt is aborted. The global `fetch`
/// honours its signal, body included, and needs no race.
async fn settle(promise: Promise, race: Option<&Promise>) -> Result<JsValue, JsValue> {
    match race {
        Some(aborted) => JsFuture::from(Promise::race(&Array::of2(&promise, aborted))).await,
        None => JsFuture::from(promise).await,
    }
}

/// A response's headers as name-value pairs.
fn headers(response: &web_sys::Response) -> Result<Vec<(String, String)>, JsValue> {
    let mut pairs = Vec::new();
    if let Some(entries) = js_sys::try_iter(&response.headers())? {
        for entry in entries {
            let entry: Array = entry?.unchecked_into();
            if let (Some(name), Some(value)) = (entry.get(0).as_string(), entry.get(1).as_string())
            {
                pairs.push((name, value));
            }
        }
    }
    Ok(pairs)
}

/// Sends one request and reads the whole response within `timeout`.
///
/// # Errors
/// Only [`Error::Aborted`]; every other failure is an [`Input::Failed`] for
/// the machine to judge.
pub(crate) async fn send(
    request: Request,
    transport: &Transport,
    signals: &[AbortSignal],
    timeout: Duration,
) -> Result<Input, Error> {
    let attempt = match Attempt::start(signals, timeout) {
        Ok(attempt) => attempt,
        Err(error) => return Ok(Input::Failed(TransportError::Network(describe(&error)))),
    };
    let race = transport.fetch.as_ref().map(|_| attempt.aborted());
    let fetched = async {
        let init = init(&request, &attempt.signal);
        let response = settle(call_fetch(transport, &request, &init)?, race.as_ref()).await?;
        let response: web_sys::Response = response
            .dyn_into()
            .map_err(|_| js_sys::Error::new("fetch did not return a Response"))?;
        let status = response.status();
        let headers = headers(&response)?;
        let buffer: ArrayBuffer = settle(response.array_buffer()?, race.as_ref())
            .await?
            .dyn_into()
            .map_err(|_| js_sys::Error::new("the body was not an ArrayBuffer"))?;
        Ok::<_, JsValue>(Response::new(
            status,
            headers,
            Uint8Array::new(&buffer).to_vec(),
        ))
    };
    match fetched.await {
        Ok(response) => Ok(Input::Response(response)),
        Err(error) => attempt.failure(&error),
    }
}
