//! Declarative access from JavaScript: `plan`, `apply` and `exportAccess`.
//!
//! Each is one core machine driven by the same loop as every other call:
//! [`ReadServer`] reads the users and rules, the core's [`plan`] computes
//! the changes, and the core's [`Apply`] makes them. Through that loop the
//! apply sends one request at a time; its waits are batched all the same.

use std::collections::BTreeMap;
use std::time::SystemTime;

use cloudmqtt_api::{
    AccessChange, AclRule, Apply, ApplyOptions, DesiredAccess, Error, Input, Machine, NewAclRule,
    Output, PlanOptions, Progress, ReadServer, Secret, ServerAccess, plan,
};
use js_sys::{Array, Function, Object, Promise, Reflect};
use wasm_bindgen::prelude::*;

use crate::args::{self, Props, invalid};
use crate::convert::IntoJs;
use crate::{Inner, Step, WasmClient, acl_kind, driver};

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
    /// `desired` is `{ users?: { [name]: { password } }, rules?: [...] }`,
    /// `options` `{ prune?, setPasswords?, signal?, timeoutMs?, wait?,
    /// concurrency?, onProgress? }`.
    pub fn access(&self, method: AccessMethod, desired: JsValue, options: JsValue) -> Promise {
        let inner = &self.inner;
        let steps = prepare(inner, method, desired, options);
        self.start(steps)
    }
}

fn prepare(
    inner: &Inner,
    method: AccessMethod,
    desired: JsValue,
    options: JsValue,
) -> Result<Vec<Step>, Error> {
    let (desired, options) = match method {
        AccessMethod::Export => (DesiredAccess::default(), desired),
        _ => (read_desired(desired)?, options),
    };
    let (call, object) = inner.call_options(options)?;
    let props = Props(object.as_ref());
    let mut signals: Vec<_> = call.signal.clone().into_iter().collect();
    let mut apply = ApplyOptions {
        backoff: inner.policy,
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
            let wait = inner.wait_options(Props(wait.as_ref()), Some(&call))?;
            apply.wait = wait.options;
            signals = wait.signals;
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
    let machine = AccessMachine {
        method,
        config: inner.config.clone(),
        desired,
        plan_options,
        apply,
        progress,
        state: State::Read(Box::new(ReadServer::new(
            &inner.config,
            inner.policy,
            driver::seed(),
        ))),
    };
    Ok(vec![Step {
        machine: Box::new(machine),
        signals,
        attempt_timeout: call.timeout,
        wait_timeout: None,
    }])
}

/// `{ users?: { [name]: { password } }, rules?: NewAclRule[] }`.
fn read_desired(value: JsValue) -> Result<DesiredAccess, Error> {
    let object = args::object(value, "desired")?;
    let props = Props(Some(&object));
    let mut users = BTreeMap::new();
    if let Some(map) = args::opt_object(props.get("users")?, "users")? {
        for entry in Object::entries(&map).iter() {
            let entry: Array = entry.unchecked_into();
            let name = args::string(entry.get(0), "users")?;
            let user = args::object(entry.get(1), "users")
                .map_err(|_| invalid("users", "must map each user name to { password }"))?;
            let password = Props(Some(&user)).string("password")?;
            users.insert(name, Secret::new(password));
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
    Apply(Box<Apply>),
    Done(Result<JsValue, Error>),
}

/// Reads the server, then plans, applies or exports.
struct AccessMachine {
    method: AccessMethod,
    config: cloudmqtt_api::ApiConfig,
    desired: DesiredAccess,
    plan_options: PlanOptions,
    apply: ApplyOptions,
    progress: Option<Function>,
    state: State,
}

impl AccessMachine {
    /// What follows the read.
    fn after_read(&mut self, server: ServerAccess) -> State {
        if self.method == AccessMethod::Export {
            let users: Array = server.users.into_iter().map(JsValue::from).collect();
            let result = Object::new();
            set(&result, "users", users.into());
            set(&result, "rules", server.rules.into_js());
            return State::Done(Ok(result.into()));
        }
        let planned = match plan(&self.desired, &server, self.plan_options) {
            Ok(planned) => planned,
            Err(error) => return State::Done(Err(error)),
        };
        if self.method == AccessMethod::Plan || planned.is_empty() {
            return State::Done(Ok(plan_js(&planned.changes)));
        }
        State::Apply(Box::new(Apply::new(
            &self.config,
            &planned,
            &self.desired,
            self.apply,
            driver::seed(),
        )))
    }

    /// Hands progress to `onProgress` (an exception it throws is ignored).
    fn report(&mut self) {
        let (State::Apply(apply), Some(callback)) = (&mut self.state, &self.progress) else {
            return;
        };
        for (change, progress) in apply.take_progress() {
            let state = match progress {
                Progress::Started => "started",
                Progress::Done => "done",
                Progress::Failed => continue,
            };
            let _ = callback.call2(&JsValue::NULL, &change_js(&change), &state.into());
        }
    }
}

impl Machine for AccessMachine {
    type Value = JsValue;

    fn poll_output(&mut self, now: SystemTime) -> Output<JsValue> {
        loop {
            let next = match &mut self.state {
                State::Done(result) => return Output::Done(result.clone()),
                State::Read(read) => match read.poll_output(now) {
                    Output::Done(Ok(server)) => self.after_read(server),
                    Output::Done(Err(error)) => State::Done(Err(error)),
                    Output::Send(request) => return Output::Send(request),
                    Output::WaitUntil(at) => return Output::WaitUntil(at),
                },
                State::Apply(apply) => {
                    let output = apply.poll_output(now);
                    self.report();
                    match output {
                        Output::Done(Ok(report)) => match report.failed.into_iter().next() {
                            None => State::Done(Ok(plan_js(&report.done))),
                            Some((_, error)) => State::Done(Err(error)),
                        },
                        Output::Done(Err(error)) => State::Done(Err(error)),
                        Output::Send(request) => return Output::Send(request),
                        Output::WaitUntil(at) => return Output::WaitUntil(at),
                    }
                }
            };
            self.state = next;
        }
    }

    fn handle_input(&mut self, input: Input, now: SystemTime) {
        match &mut self.state {
            State::Read(read) => read.handle_input(input, now),
            State::Apply(apply) => {
                apply.handle_input(input, now);
                self.report();
            }
            State::Done(_) => {}
        }
    }
}

fn set(object: &Object, name: &str, value: JsValue) {
    // Setting a property on a fresh plain object cannot fail.
    let _ = Reflect::set(object, &JsValue::from_str(name), &value);
}

/// `{ changes: [...] }`.
fn plan_js(changes: &[AccessChange]) -> JsValue {
    let object = Object::new();
    let list: Array = changes.iter().map(change_js).collect();
    set(&object, "changes", list.into());
    object.into()
}

/// One change as the TypeScript `AccessChange` describes it.
fn change_js(change: &AccessChange) -> JsValue {
    let object = Object::new();
    set(&object, "action", change.action().into());
    let rule = |rule: &AclRule| rule.clone().into_js();
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
