//! WebAssembly bindings for the CloudMQTT management API.
//!
//! This crate steps the sans-IO [`cloudmqtt_api`] core for JavaScript: it
//! reads arguments from JavaScript, builds the core's machines ([`Call`]
//! with retries, [`Paginator`], [`Poller`]) and hands their requests,
//! sleeps and results to the npm package's driver, which carries the
//! requests with `fetch` and sleeps with timers. Every decision
//! (validation, encoding, parsing, retrying, paging, polling) is the core's.
//!
//! # In scope
//! - [`WasmClient`]: a client's options, read and checked;
//!   [`start`](WasmClient::start) makes one call of a method (see
//!   [`MethodId`]) a [`Task`] the JavaScript driver steps;
//!   the user list is one task for the whole walk, a page at each end
//!   (`src/pages.rs`).
//! - Failures as plain objects `{ code, message, status?, serverMessage?,
//!   retryAfterMs?, field? }` (see [`error_object`]), which the npm
//!   package's JavaScript layer turns into `CloudMqttError`.
//! - With the `access` feature (the `.wasm` of `cloudmqtt-api/access`):
//!   `evaluateAccess(rules, query)`, the access checker of
//!   `cloudmqtt-access`, pure and synchronous (`src/access.rs`); and
//!   `plan`, `apply` and `exportAccess` (`src/plan.rs`), tasks the same
//!   driver steps.
//!   The main `.wasm` leaves them out: plan and apply would break its
//!   size budget, the checker its size target.
//!
//! # Out of scope
//! The public JavaScript class, the driver loop, the async iterator and
//! per-runtime loading live in the npm package (`npm/` in the repository).
#![forbid(unsafe_code)]
#![deny(missing_docs)]

/// The allocator: talc rather than the standard library's dlmalloc, which
/// is larger in the `.wasm` (see README, Size; the benchmark's call times
/// showed no difference). The module is single-threaded, which this
/// allocator requires.
#[cfg(all(not(target_feature = "atomics"), target_family = "wasm"))]
#[global_allocator]
static TALC: talc::wasm::WasmDynamicTalc = talc::wasm::new_wasm_dynamic_allocator();

#[cfg(feature = "access")]
mod access;
mod args;
mod clock;
mod convert;
mod erased;
mod error;
mod keys;
mod ops;
mod pages;
#[cfg(feature = "access")]
mod plan;
mod task;

use std::rc::Rc;
use std::time::Duration;

use cloudmqtt_api::{
    ApiConfig, Call, DEFAULT_PAGE_SIZE, DeleteUser, Encoding, Error, GetUser, ListAclRules,
    Mutation, Paginator, Poller, ResetInstance, RestartInstance, RetryPolicy, Secret, WaitOptions,
    WaitTarget, validate,
};
use js_sys::{Function, Object};
use wasm_bindgen::prelude::*;
use web_sys::AbortSignal;

use crate::args::{Props, invalid};
use crate::erased::Erased;
pub use crate::error::error_object;
use crate::ops::{acl_target, create_acl, create_user, delete_acl, list_users, update_password};
use crate::pages::Walk;
#[cfg(feature = "access")]
pub use crate::plan::AccessMethod;
pub use crate::task::Task;
use crate::task::{BoxedMachine, Unit};

/// Settings shared by every call of one client.
struct Inner {
    config: ApiConfig,
    /// The retry policy, with the client's per-attempt timeout.
    policy: RetryPolicy,
    /// A caller's `fetch(request)`; the global `fetch` when `None`.
    fetch: Option<Function>,
}

/// A call's own options: `{ signal, timeoutMs, maxRetries }`.
struct CallOptions {
    signal: Option<AbortSignal>,
    /// The retry policy with this call's per-attempt timeout.
    policy: RetryPolicy,
}

/// How to wait for a change: the poller's options and the wait's own signal.
struct Wait {
    options: WaitOptions,
    signal: Option<AbortSignal>,
}

/// A method's work, prepared synchronously from its arguments: one machine
/// (the core's) and the signals that end it.
pub(crate) type Prepared = Result<(BoxedMachine, Vec<AbortSignal>), Error>;

/// The signals of a call and of its wait, those given.
fn signal_list(call: Option<AbortSignal>, wait: Option<AbortSignal>) -> Vec<AbortSignal> {
    let mut signals = Vec::new();
    if let Some(signal) = call {
        signals.push(signal);
    }
    if let Some(signal) = wait {
        signals.push(signal);
    }
    signals
}

impl Inner {
    /// Reads a client's options: `{ apiKey, baseUrl?, encoding?,
    /// timeoutMs?, maxRetries?, allowInsecureHttp?, fetch? }`. The key is
    /// scrubbed from any error.
    fn from_options(options: JsValue) -> Result<Self, Error> {
        let options = args::object(options, "options")?;
        let props = Props(Some(&options));
        let api_key = props.string("apiKey")?;
        Self::with_key(props, &api_key).map_err(|error| error.redact(&[&api_key]))
    }

    fn with_key(props: Props<'_>, api_key: &str) -> Result<Self, Error> {
        let mut builder = ApiConfig::builder(Secret::new(api_key));
        if let Some(base_url) = props.opt_string("baseUrl")? {
            builder = builder.base_url(base_url);
        }
        let encoding = match props.opt_string("encoding")?.as_deref() {
            None | Some("json") => Encoding::Json,
            Some("form") => Encoding::Form,
            Some(_) => return Err(invalid("encoding", "must be \"json\" or \"form\"")),
        };
        let insecure = props.opt_bool("allowInsecureHttp")?;
        let config = builder
            .encoding(encoding)
            .allow_insecure_http(insecure.unwrap_or(false))
            .build()?;
        let mut policy = RetryPolicy::default();
        if let Some(timeout) = props.opt_millis("timeoutMs", 1.0)? {
            policy.attempt_timeout = timeout;
        }
        if let Some(max_retries) = props.opt_u32("maxRetries")? {
            policy.max_retries = max_retries;
        }
        let fetch = props.opt_function("fetch")?;
        Ok(Self {
            config,
            policy,
            fetch,
        })
    }

    /// Reads `{ signal, timeoutMs, maxRetries }` (a call's options), and
    /// hands back the object for the options that follow (`wait`).
    fn call_options(&self, value: JsValue) -> Result<(CallOptions, Option<Object>), Error> {
        let object = args::opt_object(value, "options")?;
        let props = Props(object.as_ref());
        let signal = props.opt_signal("signal")?;
        let mut policy = self.policy;
        if let Some(timeout) = props.opt_millis("timeoutMs", 1.0)? {
            policy.attempt_timeout = timeout;
        }
        if let Some(max_retries) = props.opt_u32("maxRetries")? {
            policy.max_retries = max_retries;
        }
        Ok((CallOptions { signal, policy }, object))
    }

    /// Reads `{ signal, timeoutMs, intervalMs }` (a wait's options); each
    /// probe may take `attempt_timeout`.
    fn wait_options(props: Props<'_>, attempt_timeout: Duration) -> Result<Wait, Error> {
        let defaults = WaitOptions::default();
        let signal = props.opt_signal("signal")?;
        let timeout = props.opt_millis("timeoutMs", 0.0)?;
        let interval = props.opt_millis("intervalMs", 1.0)?;
        let interval = interval.unwrap_or(defaults.interval);
        Ok(Wait {
            options: WaitOptions {
                interval,
                timeout: timeout.unwrap_or(defaults.timeout),
                max_interval: defaults.max_interval.max(interval),
                attempt_timeout,
            },
            signal,
        })
    }

    /// A create or delete, then a wait for it when its `wait` option asks:
    /// absent or `false` (no wait), `true` (defaults) or wait options. The
    /// call's signal ends the wait too, as does the wait's own.
    fn call_and_wait(&self, op: Result<Erased, Error>, options: JsValue) -> Prepared {
        let op = op?;
        let (options, object) = self.call_options(options)?;
        let wait = Props(object.as_ref()).get("wait")?;
        let timeout = options.policy.attempt_timeout;
        let wait = match wait.as_bool() {
            _ if args::is_absent(&wait) => None,
            Some(false) => None,
            Some(true) => Some(Self::wait_options(Props(None), timeout)?),
            None => {
                let object = args::opt_object(wait, "wait")
                    .map_err(|_| invalid("wait", "must be a boolean or an object"))?;
                Some(Self::wait_options(Props(object.as_ref()), timeout)?)
            }
        };
        let (wait_options, wait_signal) = match wait {
            Some(wait) => (Some(wait.options), wait.signal),
            None => (None, None),
        };
        let signals = signal_list(options.signal, wait_signal);
        let machine = Mutation::new(
            &self.config,
            op,
            options.policy,
            clock::seed(),
            wait_options,
        );
        Ok((Box::new(machine), signals))
    }

    /// A single call with `{ signal, timeoutMs }` options.
    fn single(&self, op: Result<Erased, Error>, options: JsValue) -> Prepared {
        let op = op?;
        let (options, _) = self.call_options(options)?;
        let machine = Call::new(&self.config, op, options.policy, clock::seed());
        Ok((Box::new(machine), signal_list(options.signal, None)))
    }

    /// A walk over the user list with `{ query?, pageSize? }` and `{
    /// signal?, timeoutMs? }` options for every page.
    fn walk(self: &Rc<Self>, params: JsValue, options: JsValue) -> Prepared {
        let params = args::opt_object(params, "params")?;
        let props = Props(params.as_ref());
        let query = props.opt_string("query")?;
        let size = props.opt_u32_in("pageSize", |n| validate::limit("page_size", n))?;
        let pages = Paginator::new(query, size.unwrap_or(DEFAULT_PAGE_SIZE))?;
        let (options, _) = self.call_options(options)?;
        let walk = Walk::new(Rc::clone(self), pages, options.policy);
        Ok((Box::new(walk), signal_list(options.signal, None)))
    }

    /// A wait on its own, with `{ signal?, timeoutMs?, intervalMs?,
    /// exists? }`; `exists` replaces the target's own (`true`).
    fn wait_for(&self, target: Result<WaitTarget, Error>, options: JsValue) -> Prepared {
        let mut target = target?;
        let options = args::opt_object(options, "options")?;
        let props = Props(options.as_ref());
        let wanted = props.opt_bool("exists")?.unwrap_or(true);
        match &mut target {
            WaitTarget::User { exists, .. } | WaitTarget::Acl { exists, .. } => *exists = wanted,
        }
        let wait = Self::wait_options(props, self.policy.attempt_timeout)?;
        let poller = Poller::new(&self.config, target, wait.options);
        Ok((Box::new(Unit(poller)), signal_list(wait.signal, None)))
    }

    /// Prepares `method` with its arguments.
    fn prepare(self: &Rc<Self>, method: MethodId, a: JsValue, b: JsValue, c: JsValue) -> Prepared {
        match method {
            MethodId::RestartInstance => self.single(Ok(Erased::new(RestartInstance)), a),
            MethodId::ResetInstance => self.single(Ok(Erased::new(ResetInstance)), a),
            MethodId::ListUsers => self.single(list_users(a), b),
            MethodId::GetUser => {
                let op = args::string(a, "username").map(|username| GetUser { username });
                self.single(op.map(Erased::new), b)
            }
            MethodId::CreateUser => self.call_and_wait(create_user(a), b),
            MethodId::UpdateUserPassword => self.single(update_password(a, b), c),
            MethodId::DeleteUser => {
                let op = args::string(a, "username").map(|username| DeleteUser { username });
                self.call_and_wait(op.map(Erased::new), b)
            }
            MethodId::ListAcls => self.single(Ok(Erased::new(ListAclRules)), a),
            MethodId::CreateAcl => self.call_and_wait(create_acl(a), b),
            MethodId::DeleteAcl => self.call_and_wait(delete_acl(a), b),
            MethodId::WaitForUser => {
                let username = args::string(a, "username");
                let target = username.map(|username| WaitTarget::User {
                    username,
                    exists: true,
                });
                self.wait_for(target, b)
            }
            MethodId::WaitForAcl => self.wait_for(acl_target(a), b),
            MethodId::UserPages => self.walk(a, b),
        }
    }

    /// Scrubs the API key from an error's text. The core's machines scrub
    /// the key in every form from what a server says; this catches any
    /// other error that might quote it (an argument, say).
    fn redact(&self, error: Error) -> Error {
        error.redact(&[self.config.api_key().expose()])
    }
}

/// The methods [`WasmClient::start`] starts, by number. JavaScript knows
/// this enum as `Method` (`wasm.Method["ListUsers"]`); in Rust it is
/// `MethodId`, apart from the core's HTTP [`Method`](cloudmqtt_api::Method).
#[wasm_bindgen(js_name = Method)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MethodId {
    /// `restartInstance(options)`.
    RestartInstance = 0,
    /// `resetInstance(options)`.
    ResetInstance = 1,
    /// `listUsers(params, options)`.
    ListUsers = 2,
    /// `getUser(username, options)`.
    GetUser = 3,
    /// `createUser(user, options)`.
    CreateUser = 4,
    /// `updateUserPassword(username, password, options)`.
    UpdateUserPassword = 5,
    /// `deleteUser(username, options)`.
    DeleteUser = 6,
    /// `listAcls(options)`.
    ListAcls = 7,
    /// `createAcl(rule, options)`.
    CreateAcl = 8,
    /// `deleteAcl(rule, options)`.
    DeleteAcl = 9,
    /// `waitForUser(username, options)`.
    WaitForUser = 10,
    /// `waitForAcl(rule, options)`.
    WaitForAcl = 11,
    /// `users(params, options)`: the walk over the user list, one task that
    /// ends at every page (see `src/pages.rs`).
    UserPages = 12,
}

// `WasmClient::start_number` finds a method by its number in `ALL`: each
// method sits at the index of its number, checked when compiling.
const _: () = {
    let mut index = 0;
    while index < MethodId::ALL.len() {
        assert!(MethodId::ALL[index] as usize == index);
        index += 1;
    }
};

impl MethodId {
    /// Every method, in order: the list `npm/src/client.js` and
    /// `npm/src/index.d.ts` are checked against (`tests/surface.rs`).
    pub const ALL: [MethodId; 13] = [
        Self::RestartInstance,
        Self::ResetInstance,
        Self::ListUsers,
        Self::GetUser,
        Self::CreateUser,
        Self::UpdateUserPassword,
        Self::DeleteUser,
        Self::ListAcls,
        Self::CreateAcl,
        Self::DeleteAcl,
        Self::WaitForUser,
        Self::WaitForAcl,
        Self::UserPages,
    ];

    /// The variant's name, as JavaScript passes it (`Method["ListUsers"]`),
    /// and the name of the `CloudMqtt` method that calls it.
    pub fn names(self) -> (&'static str, &'static str) {
        match self {
            Self::RestartInstance => ("RestartInstance", "restartInstance"),
            Self::ResetInstance => ("ResetInstance", "resetInstance"),
            Self::ListUsers => ("ListUsers", "listUsers"),
            Self::GetUser => ("GetUser", "getUser"),
            Self::CreateUser => ("CreateUser", "createUser"),
            Self::UpdateUserPassword => ("UpdateUserPassword", "updateUserPassword"),
            Self::DeleteUser => ("DeleteUser", "deleteUser"),
            Self::ListAcls => ("ListAcls", "listAcls"),
            Self::CreateAcl => ("CreateAcl", "createAcl"),
            Self::DeleteAcl => ("DeleteAcl", "deleteAcl"),
            Self::WaitForUser => ("WaitForUser", "waitForUser"),
            Self::WaitForAcl => ("WaitForAcl", "waitForAcl"),
            Self::UserPages => ("UserPages", "users"),
        }
    }
}

/// A client's options, read and checked, and the calls made with them.
#[wasm_bindgen]
pub struct WasmClient {
    inner: Rc<Inner>,
}

impl WasmClient {
    /// Starts one call of `method` with its arguments (`a`, `b`, `c`, as
    /// many as it takes; see [`MethodId`]). A wrong argument makes a task
    /// whose first step is its error. One entry point for every method
    /// keeps the `.wasm` small: each export costs glue of its own.
    pub fn start(&self, method: MethodId, a: JsValue, b: JsValue, c: JsValue) -> Task {
        Task::new(Rc::clone(&self.inner), self.inner.prepare(method, a, b, c))
    }
}

#[wasm_bindgen]
impl WasmClient {
    /// Reads `{ apiKey, baseUrl?, encoding?, timeoutMs?, maxRetries?,
    /// allowInsecureHttp?, fetch? }`.
    ///
    /// # Errors
    /// Throws an error object (`INVALID_INPUT`) when an option is wrong.
    #[wasm_bindgen(constructor)]
    pub fn new(options: JsValue) -> Result<WasmClient, JsValue> {
        match Inner::from_options(options) {
            Ok(inner) => Ok(WasmClient {
                inner: Rc::new(inner),
            }),
            Err(error) => Err(error_object(&error)),
        }
    }

    /// The base URL requests go to (without a trailing slash).
    #[wasm_bindgen(getter, js_name = baseUrl)]
    pub fn base_url(&self) -> String {
        self.inner.config.base_url().to_owned()
    }

    /// [`start`](WasmClient::start) for JavaScript, the method by its
    /// number in `Method`: one bounds check rather than the glue's check
    /// of each variant (see README, Size).
    #[wasm_bindgen(js_name = start)]
    pub fn start_number(&self, method: u32, a: JsValue, b: JsValue, c: JsValue) -> Task {
        match MethodId::ALL.get(method as usize) {
            Some(method) => self.start(*method, a, b, c),
            None => wasm_bindgen::throw_str("invalid enum value passed"),
        }
    }

    /// `text` with every form of the API key and of each of `secrets` (the
    /// passwords the client was given) replaced by `[redacted]`: the
    /// core's redaction of error texts, for the driver's log lines.
    pub fn redact(&self, text: String, secrets: js_sys::Array) -> String {
        // An array read item by item: a `Vec<String>` argument costs glue.
        let mut owned = Vec::new();
        for secret in secrets.iter() {
            if let Some(secret) = secret.as_string() {
                owned.push(secret);
            }
        }
        let mut all = Vec::with_capacity(owned.len() + 1);
        for secret in &owned {
            all.push(secret.as_str());
        }
        all.push(self.inner.config.api_key().expose());
        match (Error::Network { message: text }).redact(&all) {
            Error::Network { message } => message,
            // The core keeps the variant; should that ever change, show
            // nothing rather than a secret.
            _ => "[redacted]".to_owned(),
        }
    }

    /// The caller's `fetch` option, which the driver calls with a
    /// `Request`; `undefined` for the global `fetch`.
    #[wasm_bindgen(getter)]
    pub fn fetch(&self) -> Option<Function> {
        self.inner.fetch.clone()
    }
}
