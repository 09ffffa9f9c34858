//! Declarative access from JavaScript: `plan`, `apply` (of a desired
//! state, or of a saved plan) and `exportAccess`.
//!
//! Each is one machine, stepped by the npm package's driver like every
//! other call ([`Task`]): the core's [`ReadServer`] reads the users and
//! rules, the core's [`Ownership`] picks the part a desired state's scope
//! owns, the core's [`plan`] computes the changes (with password versions
//! and targets), and for `apply` the core's [`Apply`] makes them, with up
//! to `concurrency` requests in flight (the driver carries every request it
//! is given). A plan is the core's [`SavedPlan`] JSON, the same bytes as
//! `cloudmqtt plan --json`; an apply of a saved plan checks the server
//! against it first ([`SavedPlan::check_fresh`]). Each change's progress
//! reaches `onProgress` as a `V` step
//! ([`event_json`](crate::convert::event_json)).

use std::collections::BTreeMap;
use std::time::SystemTime;

use cloudmqtt_access::diff::diff;
use cloudmqtt_access::diff_json::{Keys, to_json as diff_to_json};
use cloudmqtt_api::{
    AccessChange, ApiConfig, Apply, ApplyOptions, ApplyReport, DesiredAccess, Error, Input,
    Machine, NewAclRule, Output, Ownership, PasswordRef, PasswordVersions, PlanOptions, ReadServer,
    SavedPlan, Scope, Secret, ServerAccess, Target, Ticket, VersionCheck, plan,
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
    /// `apply(savedPlan, options)`: `desired` is the plan's JSON text.
    ApplySaved = 3,
}

#[wasm_bindgen]
impl WasmClient {
    /// Plans, applies or exports declarative access (see [`AccessMethod`])
    /// as a [`Task`] for the driver: `desired` is `{ users?: { [name]: {
    /// password?, passwordVersion? } }, rules?: [...], scope?: { users?,
    /// excludeUsers?, patterns? } }` (or a saved plan's JSON text),
    /// `options` `{ prune?, setPasswords?, targets?, passwordVersions?,
    /// passwords?, signal?, timeoutMs?, maxRetries?, wait?, concurrency?,
    /// onProgress? }`. A plan ends with the saved plan's JSON (and
    /// `missingPasswords`), an apply with `{ changes, missingPasswords,
    /// passwordVersions }` (the changes made, the versions now applied), an
    /// export with a desired state that plans no changes.
    pub fn access(&self, method: AccessMethod, desired: JsValue, options: JsValue) -> Task {
        let prepared = prepare(&self.inner.config, method, desired, options, &self.inner);
        Task::new(std::rc::Rc::clone(&self.inner), prepared)
    }
}

/// What the caller asked for beside the desired state.
struct Asked {
    method: AccessMethod,
    plan_options: PlanOptions,
    targets: Vec<Target>,
    recorded: PasswordVersions,
    /// `apply(savedPlan, { passwords })`, each `Some` (the map type of
    /// [`DesiredAccess::users`]).
    passwords: BTreeMap<String, Option<Secret>>,
}

/// A call's arguments, read and checked, as its machine and signals.
fn prepare(
    config: &ApiConfig,
    method: AccessMethod,
    desired: JsValue,
    options: JsValue,
    inner: &Inner,
) -> crate::Prepared {
    let (input, options) = match method {
        AccessMethod::Export => (Wanted::default(), desired),
        AccessMethod::ApplySaved => (Wanted::saved(desired)?, options),
        _ => (Wanted::read(desired)?, options),
    };
    let (call, object) = inner.call_options(options)?;
    let props = Props(object.as_ref());
    let mut signals: Vec<_> = call.signal.clone().into_iter().collect();
    let mut apply = ApplyOptions {
        backoff: call.policy,
        ..ApplyOptions::default()
    };
    let asked = Asked {
        method,
        plan_options: PlanOptions {
            prune: props.opt_bool("prune")?.unwrap_or(false),
            set_passwords: props.opt_bool("setPasswords")?.unwrap_or(false),
        },
        targets: read_targets(props.get("targets")?)?,
        recorded: PasswordVersions {
            applied: read_counts(props.get("passwordVersions")?, "passwordVersions")?,
        },
        passwords: read_passwords(props.get("passwords")?)?,
    };
    if matches!(method, AccessMethod::Apply | AccessMethod::ApplySaved) {
        let wait = props.get("wait")?;
        if !args::is_absent(&wait) {
            let wait = args::opt_object(wait, "wait")?;
            let wait = Inner::wait_options(Props(wait.as_ref()), call.policy.attempt_timeout)?;
            apply.wait = wait.options;
            signals.extend(wait.signal);
        }
        // `maxRetries` counts retries of each change, beside the reads'.
        if let Some(max_retries) = props.opt_u32("maxRetries")? {
            apply.max_attempts = max_retries.saturating_add(1);
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
    input.desired.validate()?;
    if let Some(scope) = &input.scope {
        scope.check(&input.desired)?;
    }
    let machine = AccessMachine {
        config: config.clone(),
        input,
        asked,
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

/// What the call wants: a desired state (with its scope and password
/// versions), or a saved plan.
#[derive(Default)]
struct Wanted {
    desired: DesiredAccess,
    scope: Option<Scope>,
    versions: BTreeMap<String, u64>,
    saved: Option<SavedPlan>,
}

impl Wanted {
    /// `{ users?: { [name]: { password?, passwordVersion? } }, rules?:
    /// NewAclRule[], scope? }`; a user without a password is one that
    /// exists, or one a plan reports in `missingPasswords`.
    fn read(value: JsValue) -> Result<Self, Error> {
        let object = args::object(value, "desired")?;
        let props = Props(Some(&object));
        let mut wanted = Self::default();
        if let Some(map) = args::opt_object(props.get("users")?, "users")? {
            for entry in Object::entries(&map).iter() {
                let entry: Array = entry.unchecked_into();
                let name = args::string(entry.get(0), "users")?;
                let user = args::object(entry.get(1), "users").map_err(|_| {
                    invalid("users", "must map each user name to { password } or {}")
                })?;
                let user = Props(Some(&user));
                let password = user.opt_string("password")?;
                if let Some(version) = user.opt_u32("passwordVersion")? {
                    wanted.versions.insert(name.clone(), u64::from(version));
                }
                wanted.desired.users.insert(name, password.map(Secret::new));
            }
        }
        wanted.desired.rules = read_rules(props.get("rules")?)?;
        if let Some(scope) = args::opt_object(props.get("scope")?, "scope")? {
            let scope = Props(Some(&scope));
            wanted.scope = Some(Scope {
                users: read_strings(scope.get("users")?, "scope")?,
                exclude_users: read_strings(scope.get("excludeUsers")?, "scope")?
                    .unwrap_or_default(),
                patterns: read_strings(scope.get("patterns")?, "scope")?,
            });
        }
        Ok(wanted)
    }

    /// A saved plan, as its JSON text.
    fn saved(value: JsValue) -> Result<Self, Error> {
        let text = args::string(value, "plan")?;
        Ok(Self {
            saved: Some(SavedPlan::from_json(&text)?),
            ..Self::default()
        })
    }
}

/// `NewAclRule[]`, or nothing.
fn read_rules(list: JsValue) -> Result<Vec<NewAclRule>, Error> {
    let mut rules = Vec::new();
    if args::is_absent(&list) {
        return Ok(rules);
    }
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
    Ok(rules)
}

/// An optional array of strings.
fn read_strings(value: JsValue, field: &'static str) -> Result<Option<Vec<String>>, Error> {
    if args::is_absent(&value) {
        return Ok(None);
    }
    if !Array::is_array(&value) {
        return Err(invalid(field, "must be an array of strings"));
    }
    let mut strings = Vec::new();
    for item in Array::from(&value).iter() {
        strings.push(args::string(item, field)?);
    }
    Ok(Some(strings))
}

/// `targets: ["user:NAME", "rule:TYPE:USER:PATTERN"]`.
fn read_targets(value: JsValue) -> Result<Vec<Target>, Error> {
    let mut targets = Vec::new();
    for text in read_strings(value, "targets")?.unwrap_or_default() {
        targets.push(Target::parse(&text)?);
    }
    Ok(targets)
}

/// `{ [user]: whole number }`.
fn read_counts(value: JsValue, field: &'static str) -> Result<BTreeMap<String, u64>, Error> {
    let mut counts = BTreeMap::new();
    if let Some(map) = args::opt_object(value, field)? {
        for entry in Object::entries(&map).iter() {
            let entry: Array = entry.unchecked_into();
            let name = args::string(entry.get(0), field)?;
            let count = entry
                .get(1)
                .as_f64()
                .filter(|n| n.fract() == 0.0 && (0.0..=9_007_199_254_740_991.0).contains(n))
                .ok_or_else(|| invalid(field, "must map each user name to a whole number"))?;
            counts.insert(name, count as u64);
        }
    }
    Ok(counts)
}

/// `passwords: { [user]: string }` (for a saved plan's apply).
fn read_passwords(value: JsValue) -> Result<BTreeMap<String, Option<Secret>>, Error> {
    let mut passwords = BTreeMap::new();
    if let Some(map) = args::opt_object(value, "passwords")? {
        for entry in Object::entries(&map).iter() {
            let entry: Array = entry.unchecked_into();
            let name = args::string(entry.get(0), "passwords")?;
            let password = args::string(entry.get(1), "passwords")?;
            passwords.insert(name, Some(Secret::new(password)));
        }
    }
    Ok(passwords)
}

/// Where an access call stands.
enum Stage {
    Read(Box<ReadServer>),
    Apply(Box<Apply>, BTreeMap<String, u64>),
    Done(Result<Value, Error>),
}

/// Reads the server, then plans, exports, or plans and applies.
struct AccessMachine {
    config: ApiConfig,
    input: Wanted,
    asked: Asked,
    apply: ApplyOptions,
    stage: Stage,
}

impl AccessMachine {
    /// What follows the read: the result, or the apply.
    fn after_read(&mut self, server: &ServerAccess) -> Result<Stage, Error> {
        match self.asked.method {
            AccessMethod::Export => Ok(Stage::Done(Ok(Value::Json(export_json(server))))),
            AccessMethod::ApplySaved => self.apply_saved(server),
            AccessMethod::Plan | AccessMethod::Apply => self.plan_then(server),
        }
    }

    /// Plans against the owned part of `server`; a plan ends there, an
    /// apply goes on.
    fn plan_then(&mut self, server: &ServerAccess) -> Result<Stage, Error> {
        // What `Ownership::of` makes of the one scope, which this plan,
        // made once, moves rather than copies.
        let ownership = Ownership {
            scopes: self.input.scope.take().map(|scope| vec![scope]),
        };
        let (owned, outside) = ownership.restrict(server);
        let check = VersionCheck::new(&self.input.versions, &self.asked.recorded, &owned);
        let mut planned = plan(&self.input.desired, &owned, self.asked.plan_options)?;
        planned.set_passwords_of(&check.bumped);
        let planned = planned.targeted(&self.asked.targets);
        let names = planned.missing_passwords(&self.input.desired);
        let mut missing = Vec::with_capacity(names.len());
        for user in &names {
            missing.push((*user).to_owned());
        }
        let mut versions = BTreeMap::new();
        for user in planned.password_users() {
            if let Some(version) = self.input.versions.get(user) {
                versions.insert(user.to_owned(), *version);
            }
        }
        if self.asked.method == AccessMethod::Apply {
            if !names.is_empty() {
                return Err(missing_passwords(&names));
            }
            let apply = Apply::new(
                &self.config,
                &planned,
                &self.input.desired,
                self.apply,
                seed(),
            );
            return Ok(Stage::Apply(Box::new(apply), versions));
        }
        let access = diff(&owned.rules, &planned.rules_after(&owned.rules));
        let mut passwords = Vec::new();
        for user in planned.password_users() {
            if !missing.iter().any(|name| name == user) {
                passwords.push((user.to_owned(), PasswordRef::Given));
            }
        }
        let saved = SavedPlan {
            files: Vec::new(),
            options: self.asked.plan_options,
            // Read once, by this plan: moved, not copied.
            targets: std::mem::take(&mut self.asked.targets),
            ownership,
            outside,
            passwords,
            versions,
            missing_passwords: missing,
            notes: check.notes(),
            access: Some(diff_to_json(&access, Keys::Snake)),
            server: owned,
            plan: planned,
        };
        Ok(Stage::Done(Ok(Value::Json(plan_json(&saved)))))
    }

    /// A saved plan: refused when the server changed since it was made,
    /// else applied with the passwords the call gives.
    fn apply_saved(&mut self, server: &ServerAccess) -> Result<Stage, Error> {
        let Some(saved) = &mut self.input.saved else {
            return Err(invalid("plan", "is missing"));
        };
        saved.check_fresh(server)?;
        let planned = saved.plan.targeted(&self.asked.targets);
        let mut desired = DesiredAccess::default();
        let mut missing = Vec::new();
        for user in planned.password_users() {
            match self.asked.passwords.get(user) {
                Some(password) => {
                    desired.users.insert(user.to_owned(), password.clone());
                }
                None => missing.push(user),
            }
        }
        if !missing.is_empty() {
            return Err(missing_passwords(&missing));
        }
        desired.validate()?;
        let apply = Apply::new(&self.config, &planned, &desired, self.apply, seed());
        // The plan is not read again: its versions are moved, not copied.
        Ok(Stage::Apply(
            Box::new(apply),
            std::mem::take(&mut saved.versions),
        ))
    }

    /// An apply's result: the changes made and the password versions now
    /// applied, or the first change given up.
    fn applied(
        &mut self,
        report: ApplyReport,
        versions: &BTreeMap<String, u64>,
    ) -> Result<Value, Error> {
        if let Some((_, error)) = report.failed.into_iter().next() {
            return Err(error);
        }
        // Called once, at the end: the versions given are moved, not copied.
        let mut recorded = std::mem::take(&mut self.asked.recorded);
        recorded.record(&report.done, versions);
        Ok(Value::Json(applied_json(&report.done, &recorded)))
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
                    Err(Ok(server)) => self
                        .after_read(&server)
                        .unwrap_or_else(|e| Stage::Done(Err(e))),
                    Err(Err(error)) => Stage::Done(Err(error)),
                },
                Stage::Apply(apply, versions) => match relay(apply.poll_output(now)) {
                    Ok(output) => return output,
                    Err(result) => {
                        let versions = std::mem::take(versions);
                        Stage::Done(result.and_then(|report| self.applied(report, &versions)))
                    }
                },
            };
            self.stage = next;
        }
    }

    fn handle_input(&mut self, ticket: Ticket, input: Input, now: SystemTime) {
        match &mut self.stage {
            Stage::Read(read) => read.handle_input(ticket, input, now),
            Stage::Apply(apply, _) => apply.handle_input(ticket, input, now),
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

/// The saved plan's JSON, with `missingPasswords` beside its
/// `missing_passwords` (the name this package gave it first).
fn plan_json(saved: &SavedPlan) -> String {
    let json = saved.to_json();
    let end = json.rfind('}').unwrap_or(json.len());
    let mut extra = String::from(",\n  \"missingPasswords\": [");
    for (index, name) in saved.missing_passwords.iter().enumerate() {
        if index > 0 {
            extra.push(',');
        }
        write_str(&mut extra, name);
    }
    extra.push_str("]\n");
    // Before the closing brace, after the last member's line break.
    let at = json[..end].trim_end().len();
    let mut out = String::with_capacity(json.len() + extra.len());
    out.push_str(&json[..at]);
    out.push_str(&extra);
    out.push_str(&json[end..]);
    out
}

/// `{"changes":[...],"missingPasswords":[],"passwordVersions":{...}}`: the
/// changes an apply made, and the password versions applied after it.
fn applied_json(changes: &[AccessChange], recorded: &PasswordVersions) -> String {
    let mut json = String::from("{\"changes\":[");
    for (index, change) in changes.iter().enumerate() {
        if index > 0 {
            json.push(',');
        }
        write_change(&mut json, change);
    }
    json.push_str("],\"missingPasswords\":[],\"passwordVersions\":{");
    for (index, (user, version)) in recorded.applied.iter().enumerate() {
        if index > 0 {
            json.push(',');
        }
        write_str(&mut json, user);
        json.push(':');
        cloudmqtt_api::push_decimal(&mut json, *version);
    }
    json.push_str("}}");
    json
}
