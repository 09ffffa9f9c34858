//! Declarative access from JavaScript: `plan`, `apply` and `exportAccess`.
//!
//! [`ReadServer`] reads the users and rules through the same loop as every
//! other call ([`drive`]), the core's [`plan`] computes the changes, and the
//! core's [`Apply`] makes them. Apply keeps up to `concurrency` requests in
//! flight: [`apply_changes`] carries each with the driver's [`send`] and
//! hands outcomes back as they come; the machine decides everything else.

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::rc::Rc;
use std::time::{Duration, SystemTime};

use cloudmqtt_api::{
    AccessChange, AclRule, Apply, ApplyOptions, DesiredAccess, Error, Input, Machine, NewAclRule,
    Output, PlanOptions, Progress, ReadServer, Secret, ServerAccess, Step as ApplyStep, Ticket,
    plan,
};
use js_sys::{Array, Function, Object, Promise, Reflect};
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::{JsFuture, future_to_promise};
use web_sys::AbortSignal;

use crate::args::{self, Props, invalid};
use crate::clock::{self, seed};
use crate::convert::{parse, to_json, write_str};
use crate::driver::{Transport, drive, send, sleep};
use crate::ops::acl_kind;
use crate::{Inner, WasmClient, error_object};

/// What [`WasmClient::access`] does.
#[wasm_bindgen]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AccessMethod {
    /// `plan(desired, options)`.
    Plan = 0,
    /// `apply(desired, options)`.
    Apply = 1,
    /// `exportAccess(options)`.
    Export = 2,
}

#[wasm_bindgen]
impl WasmClient {
    /// Plans, applies or exports declarative access (see [`AccessMethod`]):
    /// `desired` is `{ users?: { [name]: { password? } }, rules?: [...] }`,
    /// `options` `{ prune?, setPasswords?, signal?, timeoutMs?, wait?,
    /// concurrency?, onProgress? }`. A plan resolves to `{ changes,
    /// missingPasswords }`, an export to a desired state that plans no
    /// changes (`{ users: { [name]: {} }, rules }`).
    pub fn access(&self, method: AccessMethod, desired: JsValue, options: JsValue) -> Promise {
        match prepare(&self.inner, method, desired, options) {
            Ok(job) if method == AccessMethod::Apply => {
                let inner = Rc::clone(&self.inner);
                future_to_promise(async move {
                    apply_changes(&inner, job)
                        .await
                        .map_err(|error| error_object(&inner.redact(error)))
                })
            }
            Ok(job) => {
                let machine = AccessMachine {
                    method,
                    desired: job.desired,
                    plan_options: job.plan_options,
                    state: State::Read(Box::new(ReadServer::new(
                        &self.inner.config,
                        self.inner.policy,
                        seed(),
                    ))),
                };
                start(&self.inner, Box::new(machine), job.signals)
            }
            Err(error) => Promise::reject(&error_object(&self.inner.redact(error))),
        }
    }
}

/// The client's way of sending.
fn transport(inner: &Inner) -> Transport {
    Transport {
        fetch: inner.fetch.clone(),
    }
}

/// Runs `machine` to a `Promise`, ended early by `signals`; a failure
/// rejects with [`error_object`], the API key scrubbed from its text.
fn start(
    inner: &Rc<Inner>,
    mut machine: Box<dyn Machine<Value = JsValue>>,
    signals: Vec<AbortSignal>,
) -> Promise {
    let inner = Rc::clone(inner);
    future_to_promise(async move {
        drive(machine.as_mut(), &transport(&inner), &signals)
            .await
            .map_err(|error| error_object(&inner.redact(error)))
    })
}

/// A call's arguments, read and checked.
struct Job {
    desired: DesiredAccess,
    plan_options: PlanOptions,
    apply: ApplyOptions,
    progress: Option<Function>,
    signals: Vec<AbortSignal>,
    attempt_timeout: Duration,
}

fn prepare(
    inner: &Inner,
    method: AccessMethod,
    desired: JsValue,
    options: JsValue,
) -> Result<Job, Error> {
    let (desired, options) = match method {
        AccessMethod::Export => (DesiredAccess::default(), desired),
        _ => (read_desired(desired)?, options),
    };
    let (call, object) = inner.call_options(options)?;
    let props = Props(object.as_ref());
    let mut signals: Vec<_> = call.signal.clone().into_iter().collect();
    let mut apply = ApplyOptions {
        backoff: call.policy,
        ..ApplyOptions::default()
    };
    let mut progress = None;
    let plan_options = PlanOptions {
        prune: props.opt_bool("prune")?.unwrap_or(false),
        set_passwords: props.opt_bool("setPasswords")?.unwrap_or(false),
    };
    if method == AccessMethod::Apply {
        let wait = props.get("wait")?;
        if !args::is_absent(&wait) {
            let wait = args::opt_object(wait, "wait")?;
            let wait = Inner::wait_options(Props(wait.as_ref()), call.policy.attempt_timeout)?;
            apply.wait = wait.options;
            signals.extend(wait.signal);
        }
        if let Some(concurrency) = props.opt_u32("concurrency")? {
            if concurrency == 0 {
                return Err(invalid("concurrency", "must be at least 1"));
            }
            apply.concurrency = concurrency as usize;
        }
        progress = props.opt_function("onProgress")?;
    }
    desired.validate()?;
    Ok(Job {
        desired,
        plan_options,
        apply,
        progress,
        signals,
        attempt_timeout: call.policy.attempt_timeout,
    })
}

/// Reads the server, plans, and makes the changes with up to
/// `concurrency` requests in flight; resolves to the changes made.
async fn apply_changes(inner: &Inner, job: Job) -> Result<JsValue, Error> {
    let mut read = Kept {
        machine: ReadServer::new(&inner.config, inner.policy, seed()),
        value: None,
    };
    drive(&mut read, &transport(inner), &job.signals).await?;
    let server = read.value.unwrap_or_default();
    let planned = plan(&job.desired, &server, job.plan_options)?;
    let missing = planned.missing_passwords(&job.desired);
    if !missing.is_empty() {
        return Err(missing_passwords(&missing));
    }
    let mut apply = Apply::new(&inner.config, &planned, &job.desired, job.apply, seed());
    let outcomes: Rc<RefCell<Vec<(Ticket, Input)>>> = Rc::default();
    let mut flights: Vec<(Ticket, Promise)> = Vec::new();
    loop {
        report(&mut apply, job.progress.as_ref());
        let now = clock::now();
        let until = match apply.step(now) {
            ApplyStep::Done(result) => {
                report(&mut apply, job.progress.as_ref());
                let made = result?;
                return match made.failed.into_iter().next() {
                    None => Ok(plan_js(&made.done, &[])),
                    Some((_, error)) => Err(error),
                };
            }
            ApplyStep::Send(ticket, request) => {
                if job.signals.iter().any(AbortSignal::aborted) {
                    return Err(Error::Aborted);
                }
                let transport = transport(inner);
                let signals = job.signals.clone();
                let outcomes = Rc::clone(&outcomes);
                // The machine sets every attempt's deadline.
                let timeout = request.time_left(now).unwrap_or(job.attempt_timeout);
                let flight = future_to_promise(async move {
                    // `send` fails only when a signal aborted the call.
                    let input = send(request, &transport, &signals, timeout)
                        .await
                        .map_err(|_| JsValue::NULL)?;
                    outcomes.borrow_mut().push((ticket, input));
                    Ok(JsValue::UNDEFINED)
                });
                flights.push((ticket, flight));
                continue;
            }
            ApplyStep::WaitUntil(at) => Some(at.duration_since(now).unwrap_or_default()),
            ApplyStep::Busy => None,
        };
        if flights.is_empty() {
            sleep(until.unwrap_or_default(), &job.signals).await?;
            continue;
        }
        // The first request to come back, or the instant asked for.
        let race: Array = flights
            .iter()
            .map(|(_, flight)| JsValue::from(flight.clone()))
            .collect();
        if let Some(delay) = until {
            let signals = job.signals.clone();
            let timer = future_to_promise(async move {
                sleep(delay, &signals).await.map_err(|_| JsValue::NULL)?;
                Ok(JsValue::UNDEFINED)
            });
            race.push(&timer);
        }
        if JsFuture::from(Promise::race(&race)).await.is_err() {
            return Err(Error::Aborted);
        }
        let arrived: Vec<(Ticket, Input)> = outcomes.borrow_mut().drain(..).collect();
        let now = clock::now();
        for (ticket, input) in arrived {
            flights.retain(|(flight, _)| *flight != ticket);
            apply.handle(ticket, input, now);
        }
    }
}

/// Hands progress to `onProgress` (an exception it throws is ignored).
fn report(apply: &mut Apply, callback: Option<&Function>) {
    let events = apply.take_progress();
    let Some(callback) = callback else {
        return;
    };
    for (change, progress) in events {
        let state = match progress {
            Progress::Started => "started",
            Progress::Done => "done",
            Progress::Failed => continue,
        };
        let _ = callback.call2(&JsValue::NULL, &change_js(&change), &state.into());
    }
}

/// Drives a machine through [`drive`], keeping its value for Rust.
struct Kept<M: Machine> {
    machine: M,
    value: Option<M::Value>,
}

impl<M: Machine> Machine for Kept<M> {
    type Value = JsValue;

    fn poll_output(&mut self, now: SystemTime) -> Output<JsValue> {
        match self.machine.poll_output(now) {
            Output::Done(Ok(value)) => {
                self.value = Some(value);
                Output::Done(Ok(JsValue::UNDEFINED))
            }
            Output::Done(Err(error)) => Output::Done(Err(error)),
            Output::Send(request) => Output::Send(request),
            Output::WaitUntil(at) => Output::WaitUntil(at),
        }
    }

    fn handle_input(&mut self, input: Input, now: SystemTime) {
        self.machine.handle_input(input, now);
    }
}

/// The refusal of an apply whose plan creates users, or sets passwords,
/// that have no password: every such user named, before any change is
/// sent (the core's [`Apply`] would name the first).
fn missing_passwords(users: &[&str]) -> Error {
    let mut reason = String::from("missing for ");
    for (index, user) in users.iter().enumerate() {
        if index > 0 {
            reason.push_str(", ");
        }
        write_str(&mut reason, user);
    }
    reason.push_str(", which the plan creates or sets a password for; no change was made");
    invalid("password", &reason)
}

/// `{ users?: { [name]: { password? } }, rules?: NewAclRule[] }`; a user
/// without a password is one that exists, or one a plan reports in
/// `missingPasswords`.
fn read_desired(value: JsValue) -> Result<DesiredAccess, Error> {
    let object = args::object(value, "desired")?;
    let props = Props(Some(&object));
    let mut users = BTreeMap::new();
    if let Some(map) = args::opt_object(props.get("users")?, "users")? {
        for entry in Object::entries(&map).iter() {
            let entry: Array = entry.unchecked_into();
            let name = args::string(entry.get(0), "users")?;
            let user = args::object(entry.get(1), "users")
                .map_err(|_| invalid("users", "must map each user name to { password } or {}"))?;
            let password = Props(Some(&user)).opt_string("password")?;
            users.insert(name, password.map(Secret::new));
        }
    }
    let mut rules = Vec::new();
    let list = props.get("rules")?;
    if !args::is_absent(&list) {
        if !Array::is_array(&list) {
            return Err(invalid("rules", "must be an array"));
        }
        for rule in Array::from(&list).iter() {
            let rule = args::object(rule, "rules")?;
            let rule = Props(Some(&rule));
            rules.push(NewAclRule::from_parts(
                acl_kind(rule)?,
                rule.opt_string("username")?,
                rule.string("pattern")?,
                rule.boolean("read")?,
                rule.boolean("write")?,
            )?);
        }
    }
    Ok(DesiredAccess { users, rules })
}

enum State {
    Read(Box<ReadServer>),
    Done(Result<JsValue, Error>),
}

/// Reads the server, then plans or exports.
struct AccessMachine {
    method: AccessMethod,
    desired: DesiredAccess,
    plan_options: PlanOptions,
    state: State,
}

impl AccessMachine {
    /// What follows the read.
    fn after_read(&mut self, server: ServerAccess) -> Result<JsValue, Error> {
        if self.method == AccessMethod::Export {
            // Each user as a desired one without a password (which cannot
            // be read back): planning the export changes nothing. As JSON,
            // so that any name (`__proto__` too) is an own property.
            let mut json = String::from("{\"users\":{");
            for (index, name) in server.users.iter().enumerate() {
                if index > 0 {
                    json.push(',');
                }
                write_str(&mut json, name);
                json.push_str(":{}");
            }
            json.push_str("},\"rules\":");
            json.push_str(&to_json(&server.rules));
            json.push('}');
            return Ok(parse(&json));
        }
        let planned = plan(&self.desired, &server, self.plan_options)?;
        Ok(plan_js(
            &planned.changes,
            &planned.missing_passwords(&self.desired),
        ))
    }
}

impl Machine for AccessMachine {
    type Value = JsValue;

    fn poll_output(&mut self, now: SystemTime) -> Output<JsValue> {
        let result = match &mut self.state {
            State::Done(result) => return Output::Done(result.clone()),
            State::Read(read) => match read.poll_output(now) {
                Output::Done(Ok(server)) => self.after_read(server),
                Output::Done(Err(error)) => Err(error),
                Output::Send(request) => return Output::Send(request),
                Output::WaitUntil(at) => return Output::WaitUntil(at),
            },
        };
        self.state = State::Done(result.clone());
        Output::Done(result)
    }

    fn handle_input(&mut self, input: Input, now: SystemTime) {
        if let State::Read(read) = &mut self.state {
            read.handle_input(input, now);
        }
    }
}

fn set(object: &Object, name: &str, value: JsValue) {
    // Setting a property on a fresh plain object cannot fail.
    let _ = Reflect::set(object, &JsValue::from_str(name), &value);
}

/// `{ changes: [...], missingPasswords: [...] }`: the users of `changes`
/// that an apply could not create, or set the password of, without the
/// password they lack.
fn plan_js(changes: &[AccessChange], missing: &[&str]) -> JsValue {
    let object = Object::new();
    let list: Array = changes.iter().map(change_js).collect();
    set(&object, "changes", list.into());
    let missing: Array = missing.iter().map(|name| JsValue::from(*name)).collect();
    set(&object, "missingPasswords", missing.into());
    object.into()
}

/// One change as the TypeScript `AccessChange` describes it.
fn change_js(change: &AccessChange) -> JsValue {
    let object = Object::new();
    set(&object, "action", change.action().into());
    let rule = |rule: &AclRule| parse(&to_json(rule));
    match change {
        AccessChange::CreateUser { username, .. }
        | AccessChange::SetPassword { username, .. }
        | AccessChange::DeleteUser { username, .. } => {
            set(&object, "kind", "user".into());
            set(&object, "username", username.into());
        }
        AccessChange::CreateRule { rule: r, .. } | AccessChange::DeleteRule { rule: r, .. } => {
            set(&object, "kind", "rule".into());
            set(&object, "rule", rule(r));
        }
        AccessChange::ReplaceRule { from, to, .. } => {
            set(&object, "kind", "rule".into());
            set(&object, "from", rule(from));
            set(&object, "to", rule(to));
        }
    }
    object.into()
}
