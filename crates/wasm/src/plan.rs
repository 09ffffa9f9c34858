//! Declarative access from JavaScript: `plan`, `apply` and `exportAccess`.
//!
//! Each is one machine, stepped by the npm package's driver like every
//! other call ([`Task`]): the core's [`ReadServer`] reads the users and
//! rules, the core's [`plan`] computes the changes, and for `apply` the
//! core's [`Apply`] makes them, with up to `concurrency` requests in flight
//! (the driver carries every request it is given). Each change's progress
//! reaches `onProgress` as a `V` step
//! ([`event_json`](crate::convert::event_json)).

use std::collections::BTreeMap;
use std::time::SystemTime;

use cloudmqtt_api::{
    AccessChange, ApiConfig, Apply, ApplyOptions, ApplyReport, DesiredAccess, Error, Input,
    Machine, NewAclRule, Output, PlanOptions, ReadServer, Secret, ServerAccess, Ticket, plan,
};
use js_sys::{Array, Object};
use wasm_bindgen::prelude::*;

use crate::args::{self, Props, invalid};
use crate::clock::seed;
use crate::convert::{Value, to_json, write_change, write_str};
use crate::ops::acl_kind;
use crate::task::Task;
use crate::{Inner, WasmClient};

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
    /// Plans, applies or exports declarative access (see [`AccessMethod`])
    /// as a [`Task`] for the driver: `desired` is `{ users?: { [name]: {
    /// password? } }, rules?: [...] }`, `options` `{ prune?,
    /// setPasswords?, signal?, timeoutMs?, wait?, concurrency?, onProgress?
    /// }`. A plan ends with `{ changes, missingPasswords }`, an apply with
    /// the same shape (the changes made), an export with a desired state
    /// that plans no changes (`{ users: { [name]: {} }, rules }`).
    pub fn access(&self, method: AccessMethod, desired: JsValue, options: JsValue) -> Task {
        let prepared = prepare(&self.inner.config, method, desired, options, &self.inner);
        Task::new(std::rc::Rc::clone(&self.inner), prepared)
    }
}

/// A call's arguments, read and checked, as its machine and signals.
fn prepare(
    config: &ApiConfig,
    method: AccessMethod,
    desired: JsValue,
    options: JsValue,
    inner: &Inner,
) -> crate::Prepared {
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
        // Read here so that a wrong type fails before anything is sent;
        // the driver calls it.
        props.opt_function("onProgress")?;
    }
    desired.validate()?;
    let machine = AccessMachine {
        method,
        config: config.clone(),
        desired,
        plan_options,
        apply,
        stage: Stage::Read(Box::new(ReadServer::new(config, call.policy, seed()))),
    };
    Ok((Box::new(machine), signals))
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

/// Where an access call stands.
enum Stage {
    Read(Box<ReadServer>),
    Apply(Box<Apply>),
    Done(Result<Value, Error>),
}

/// Reads the server, then plans, exports, or plans and applies.
struct AccessMachine {
    method: AccessMethod,
    config: ApiConfig,
    desired: DesiredAccess,
    plan_options: PlanOptions,
    apply: ApplyOptions,
    stage: Stage,
}

impl AccessMachine {
    /// What follows the read: the result, or the apply.
    fn after_read(&self, server: &ServerAccess) -> Stage {
        if self.method == AccessMethod::Export {
            return Stage::Done(Ok(Value::Json(export_json(server))));
        }
        let planned = match plan(&self.desired, server, self.plan_options) {
            Ok(planned) => planned,
            Err(error) => return Stage::Done(Err(error)),
        };
        let missing = planned.missing_passwords(&self.desired);
        if self.method == AccessMethod::Plan {
            return Stage::Done(Ok(Value::Json(plan_json(&planned.changes, &missing))));
        }
        if !missing.is_empty() {
            return Stage::Done(Err(missing_passwords(&missing)));
        }
        let apply = Apply::new(&self.config, &planned, &self.desired, self.apply, seed());
        Stage::Apply(Box::new(apply))
    }
}

/// An apply's result: the changes made, or the first change given up.
fn applied(report: ApplyReport) -> Result<Value, Error> {
    match report.failed.into_iter().next() {
        None => Ok(Value::Json(plan_json(&report.done, &[]))),
        Some((_, error)) => Err(error),
    }
}

/// Passes on what a stage's machine asks, or gives its result.
fn relay<T>(output: Output<T>) -> Result<Output<Value>, Result<T, Error>> {
    Ok(match output {
        Output::Send(ticket, request) => Output::Send(ticket, request),
        Output::WaitUntil(at) => Output::WaitUntil(at),
        Output::Pending => Output::Pending,
        Output::Event(event) => Output::Event(event),
        Output::Done(result) => return Err(result),
    })
}

impl Machine for AccessMachine {
    type Value = Value;

    fn poll_output(&mut self, now: SystemTime) -> Output<Value> {
        loop {
            let next = match &mut self.stage {
                Stage::Done(result) => return Output::Done(result.clone()),
                Stage::Read(read) => match relay(read.poll_output(now)) {
                    Ok(output) => return output,
                    Err(Ok(server)) => self.after_read(&server),
                    Err(Err(error)) => Stage::Done(Err(error)),
                },
                Stage::Apply(apply) => match relay(apply.poll_output(now)) {
                    Ok(output) => return output,
                    Err(result) => Stage::Done(result.and_then(applied)),
                },
            };
            self.stage = next;
        }
    }

    fn handle_input(&mut self, ticket: Ticket, input: Input, now: SystemTime) {
        match &mut self.stage {
            Stage::Read(read) => read.handle_input(ticket, input, now),
            Stage::Apply(apply) => apply.handle_input(ticket, input, now),
            Stage::Done(_) => {}
        }
    }
}

/// Each user as a desired one without a password (which cannot be read
/// back), and the rules: planning the export changes nothing. As JSON, so
/// that any name (`__proto__` too) is an own property.
fn export_json(server: &ServerAccess) -> String {
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
    json
}

/// `{"changes":[...],"missingPasswords":[...]}`: the users of `changes`
/// that an apply could not create, or set the password of, without the
/// password they lack.
fn plan_json(changes: &[AccessChange], missing: &[&str]) -> String {
    let mut json = String::from("{\"changes\":[");
    for (index, change) in changes.iter().enumerate() {
        if index > 0 {
            json.push(',');
        }
        write_change(&mut json, change);
    }
    json.push_str("],\"missingPasswords\":[");
    for (index, name) in missing.iter().enumerate() {
        if index > 0 {
            json.push(',');
        }
        write_str(&mut json, name);
    }
    json.push_str("]}");
    json
}
