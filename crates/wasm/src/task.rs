//! One call, stepped by the JavaScript driver (`npm/src/client.js`).
//!
//! The core's machine decides everything; the driver only carries requests
//! with `fetch`, tells the time and sleeps. Each step crosses the boundary
//! as one string, its first character saying what it is:
//!
//! | step | meaning |
//! | --- | --- |
//! | `S{"ticket":1,"url":…,"timeoutMs":…,"init":{…}}` | send: `fetch(url, init)`, abort after `timeoutMs`, then [`respond`](Task::respond) or [`fail`](Task::fail) with the ticket; step again at once (more may go out meanwhile) |
//! | `S{…,"pending":true}` | the same, and the machine has nothing more to do until an outcome comes back: hand one in before stepping again (what a `P` step would say, without the step) |
//! | `W1500` | wait: sleep this many milliseconds, or less when a fetch in flight comes back, then step again |
//! | `P` | pending: step again when a fetch in flight comes back |
//! | `V{"retry":1,"reason":…,"delayMs":…}`, `V{"wait":…,"delayMs":…}`, `V{"change":{…},"state":"done"}` | event: a retry, a wait that looks again (for the logger and hooks), a change of an apply moved on (for `onProgress`); step again at once ([`event_json`](crate::convert::event_json)) |
//! | `D<json>` | done: the result is `JSON.parse(json)` |
//! | `C` | done: the result is `JSON.parse` of the last response's body (already the result's compact JSON) |
//! | `U` | done: the result is `undefined` |
//! | `N` | done: the result is `null` |
//! | `E{"code":…}` | failed: the error object as JSON ([`crate::error`]) |
//!
//! A task ends at its first `D`, `C`, `U`, `N` or `E`, and the driver
//! frees it, except the walk over the user list (`src/pages.rs`): it ends
//! at each page with a `D`, and stepping on fetches the next page, until an
//! `N`.
//!
//! Strings keep the glue small and the calls cheap: no object is built
//! property by property from WebAssembly, and `JSON.parse` makes the
//! request's `init` and the result in one native step each.

use std::rc::Rc;
use std::time::SystemTime;

use cloudmqtt_api::{
    DEFAULT_ATTEMPT_TIMEOUT, Error, Event, Input, Machine, Output, Request, Response, Ticket,
    TransportError,
};
use js_sys::Array;
use wasm_bindgen::prelude::*;
use web_sys::AbortSignal;

use crate::clock::{self, timer_ms};
use crate::convert::{Value, key, write_str, write_u64};
use crate::error::error_json;
use crate::{Inner, Prepared};

/// A machine whose result crosses as a [`Value`].
pub(crate) type BoxedMachine = Box<dyn Machine<Value = Value>>;

/// One call in progress: the core's machine, the client it runs for and
/// the caller's abort signals. The driver frees it when the call ends.
#[wasm_bindgen]
pub struct Task {
    machine: BoxedMachine,
    /// The client, for scrubbing its key from errors.
    inner: Rc<Inner>,
    signals: Vec<AbortSignal>,
    /// What the machine answered when polled ahead after a send, to be
    /// stepped next.
    ahead: Option<Output<Value>>,
}

impl Task {
    /// A call for `inner` of a prepared machine, ended early by any of its
    /// signals; a preparation that failed makes a task that fails with its
    /// error on the first step, sending nothing.
    pub(crate) fn new(inner: Rc<Inner>, prepared: Prepared) -> Self {
        let (machine, signals) = match prepared {
            Ok(prepared) => prepared,
            Err(error) => (Box::new(Finished(Err(error))) as BoxedMachine, Vec::new()),
        };
        Self {
            machine,
            inner,
            signals,
            ahead: None,
        }
    }

    /// `E` and the error's JSON, the API key scrubbed from its text.
    fn error(&self, error: Error, now: SystemTime) -> String {
        let error = self.inner.redact(error);
        let mut out = String::from("E");
        out.push_str(&error_json(&error, now));
        out
    }

    /// The step of an output (events are stepped apart).
    fn output_step(&self, output: Output<Value>, now: SystemTime) -> String {
        match output {
            // Sends and events are stepped in `step`: none reaches here.
            Output::Pending | Output::Send(..) | Output::Event(_) => "P".to_owned(),
            Output::WaitUntil(at) => {
                let mut out = String::from("W");
                let wait = at.duration_since(now).unwrap_or_default();
                write_u64(&mut out, timer_ms(wait) as u64);
                out
            }
            Output::Done(Ok(Value::Undefined)) => "U".to_owned(),
            Output::Done(Ok(Value::Null)) => "N".to_owned(),
            Output::Done(Ok(Value::Canonical)) => "C".to_owned(),
            Output::Done(Ok(Value::Json(json))) => {
                let mut out = String::with_capacity(json.len() + 1);
                out.push('D');
                out.push_str(&json);
                out
            }
            Output::Done(Err(error)) => self.error(error, now),
        }
    }
}

#[wasm_bindgen]
impl Task {
    /// The caller's abort signals (the call's and its wait's), or
    /// `undefined` when there are none.
    pub fn signals(&self) -> JsValue {
        if self.signals.is_empty() {
            return JsValue::UNDEFINED;
        }
        self.signals.iter().collect::<Array>().into()
    }

    /// The next step as of `now` (milliseconds since the Unix epoch, as
    /// `Date.now()` tells it); the steps are described in `src/task.rs`.
    pub fn step(&mut self, now: f64) -> String {
        let now = clock::at(now);
        loop {
            let output = match self.ahead.take() {
                Some(output) => output,
                None => self.machine.poll_output(now),
            };
            return match output {
                Output::Event(event) => match event_step(&event) {
                    Some(step) => step,
                    None => continue,
                },
                Output::Send(ticket, request) => {
                    // Polled ahead: a machine that now waits for this
                    // outcome spares the driver a `P` step.
                    let next = self.machine.poll_output(now);
                    let pending = matches!(next, Output::Pending);
                    if !pending {
                        self.ahead = Some(next);
                    }
                    send_step(ticket, &request, now, pending)
                }
                other => self.output_step(other, now),
            };
        }
    }

    /// Hands in the response to the `S` step of `ticket`: its status, the
    /// headers the core reads (`content-type`, `retry-after`; `null` when
    /// absent) and the whole body.
    pub fn respond(
        &mut self,
        ticket: f64,
        status: u16,
        content_type: Option<String>,
        retry_after: Option<String>,
        body: Vec<u8>,
        now: f64,
    ) {
        let mut headers = Vec::new();
        if let Some(value) = content_type {
            headers.push(("content-type".to_owned(), value));
        }
        if let Some(value) = retry_after {
            headers.push(("retry-after".to_owned(), value));
        }
        let response = Response::new(status, headers, body);
        self.machine
            .handle_input(ticket_of(ticket), Input::Response(response), clock::at(now));
    }

    /// Hands in the failure of the `S` step of `ticket`: its timeout ran
    /// out (`timeout`), or the network failed with `message`.
    pub fn fail(&mut self, ticket: f64, timeout: bool, message: String, now: f64) {
        let failure = if timeout {
            TransportError::Timeout
        } else {
            TransportError::Network(message)
        };
        self.machine
            .handle_input(ticket_of(ticket), Input::Failed(failure), clock::at(now));
    }

    /// The `E` step for a call the caller aborted.
    pub fn aborted(&self) -> String {
        self.error(Error::Aborted, SystemTime::UNIX_EPOCH)
    }
}

/// `S` and the request: `{"url":…,"timeoutMs":…,"init":{"method":…,
/// "headers":{…},"body":…}}`, the body absent when empty.
fn send_step(ticket: Ticket, request: &Request, now: SystemTime, pending: bool) -> String {
    let mut out = String::with_capacity(256 + request.body.len());
    out.push_str("S{");
    key(&mut out, "ticket");
    write_u64(&mut out, ticket.get());
    out.push(',');
    key(&mut out, "url");
    write_str(&mut out, &request.url);
    out.push(',');
    key(&mut out, "timeoutMs");
    // The core sets every attempt's deadline.
    let timeout = request.time_left(now).unwrap_or(DEFAULT_ATTEMPT_TIMEOUT);
    write_u64(&mut out, timer_ms(timeout) as u64);
    out.push(',');
    key(&mut out, "init");
    out.push('{');
    key(&mut out, "method");
    write_str(&mut out, request.method.as_str());
    out.push(',');
    key(&mut out, "headers");
    out.push('{');
    for (index, (name, value)) in request.headers.iter().enumerate() {
        if index > 0 {
            out.push(',');
        }
        write_str(&mut out, name);
        out.push(':');
        write_str(&mut out, value);
    }
    out.push('}');
    // The core writes bodies as JSON or form text, which is UTF-8.
    if let Ok(body) = std::str::from_utf8(&request.body)
        && !body.is_empty()
    {
        out.push(',');
        key(&mut out, "body");
        write_str(&mut out, body);
    }
    out.push('}');
    if pending {
        out.push_str(",\"pending\":true");
    }
    out.push('}');
    out
}

/// A machine that is over before it starts.
pub(crate) struct Finished(pub(crate) Result<Value, Error>);

impl Machine for Finished {
    type Value = Value;

    fn poll_output(&mut self, _now: SystemTime) -> Output<Value> {
        Output::Done(self.0.clone())
    }

    fn handle_input(&mut self, _ticket: Ticket, _input: Input, _now: SystemTime) {}
}

/// Adapts a machine whose value is `()` (a wait) to [`Value`].
pub(crate) struct Unit<M>(pub(crate) M);

impl<M: Machine<Value = ()>> Machine for Unit<M> {
    type Value = Value;

    fn poll_output(&mut self, now: SystemTime) -> Output<Value> {
        match self.0.poll_output(now) {
            Output::Send(ticket, request) => Output::Send(ticket, request),
            Output::WaitUntil(at) => Output::WaitUntil(at),
            Output::Pending => Output::Pending,
            Output::Event(event) => Output::Event(event),
            Output::Done(result) => Output::Done(result.map(|()| Value::Undefined)),
        }
    }

    fn handle_input(&mut self, ticket: Ticket, input: Input, now: SystemTime) {
        self.0.handle_input(ticket, input, now);
    }
}

/// The ticket a driver hands back as a number.
fn ticket_of(number: f64) -> Ticket {
    Ticket::new(number as u64)
}

/// The `V` step of an event JavaScript hears (a retry, a wait, a change
/// of an apply), or `None` for one it does not.
fn event_step(event: &Event) -> Option<String> {
    let json = crate::convert::event_json(event)?;
    let mut out = String::with_capacity(json.len() + 1);
    out.push('V');
    out.push_str(&json);
    Some(out)
}
