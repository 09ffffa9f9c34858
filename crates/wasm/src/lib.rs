//! WebAssembly bindings for the CloudMQTT management API.
//!
//! This crate drives the sans-IO [`cloudmqtt_api`] core over `fetch`: it
//! reads arguments from JavaScript, builds the core's machines ([`Call`]
//! with retries, [`Paginator`], [`Poller`]), carries their requests with
//! `fetch`, sleeps with timers, and hands results back as plain JavaScript
//! values. Every decision (validation, encoding, parsing, retrying, paging,
//! polling) is the core's.
//!
//! # In scope
//! - [`WasmClient`]: one method per endpoint plus the waits, each returning
//!   a `Promise`, exported to JavaScript as one [`run`](WasmClient::run)
//!   (see [`Method`]); [`WasmUserPages`]: the user list, one page at a time.
//! - `evaluateAccess(rules, query)`: the core's access checker, pure and
//!   synchronous (`src/access.rs`).
//! - Failures as plain objects `{ code, message, status?, serverMessage?,
//!   retryAfterMs?, field? }` (see [`error_object`]), which the npm
//!   package's JavaScript layer turns into `CloudMqttError`.
//!
//! # Out of scope
//! The public JavaScript class, the async iterator and per-runtime loading
//! live in the npm package (`npm/` in the repository).
#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod access;
mod args;
mod convert;
mod driver;
mod erased;
mod error;
mod keys;
mod ops;
mod pages;
#[cfg(feature = "access")]
mod plan;

use std::cell::RefCell;
use std::rc::Rc;
use std::time::Duration;

use cloudmqtt_api::{
    ApiConfig, Call, DEFAULT_PAGE_SIZE, DeleteUser, Encoding, Error, GetUser, ListAclRules,
    Machine, Mutation, Paginator, Poller, ResetInstance, RestartInstance, RetryPolicy, Secret,
    WaitOptions, WaitTarget,
};
use js_sys::{Object, Promise};
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::future_to_promise;
use web_sys::AbortSignal;

use crate::args::{Props, invalid};
use crate::driver::{ToJs, Transport, drive};
use crate::erased::Erased;
pub use crate::error::error_object;
use crate::ops::{acl_target, create_acl, create_user, delete_acl, list_users, update_password};
pub use crate::pages::WasmUserPages;
#[cfg(feature = "access")]
pub use crate::plan::AccessMethod;

/// Settings shared by every call of one client.
struct Inner {
    config: ApiConfig,
    /// The retry policy, with the client's per-attempt timeout.
    policy: RetryPolicy,
    transport: Transport,
}

/// A call's own options: `{ signal, timeoutMs }`.
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
/// (the core's) and the signals that end it. Every method funnels through
/// [`WasmClient::start`], so the `.wasm` holds one async driver rather than
/// one per method.
struct Step {
    machine: Box<dyn Machine<Value = JsValue>>,
    signals: Vec<AbortSignal>,
}

type Plan = Result<Step, Error>;

impl Inner {
    /// Reads `{ signal, timeoutMs }` (a call's options), and hands back the
    /// object for the options that follow (`wait`).
    fn call_options(&self, value: JsValue) -> Result<(CallOptions, Option<Object>), Error> {
        let object = args::opt_object(value, "options")?;
        let props = Props(object.as_ref());
        let signal = props.opt_signal("signal")?;
        let mut policy = self.policy;
        if let Some(timeout) = props.opt_millis("timeoutMs", 1.0)? {
            policy.attempt_timeout = timeout;
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
    fn call_and_wait(&self, op: Result<Erased, Error>, options: JsValue) -> Plan {
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
        let mut signals: Vec<AbortSignal> = options.signal.into_iter().collect();
        let wait_options = wait.map(|wait| {
            signals.extend(wait.signal);
            wait.options
        });
        let machine = Mutation::new(
            &self.config,
            op,
            options.policy,
            driver::seed(),
            wait_options,
        );
        Ok(Step {
            machine: Box::new(machine),
            signals,
        })
    }

    /// A single call with `{ signal, timeoutMs }` options.
    fn single(&self, op: Result<Erased, Error>, options: JsValue) -> Plan {
        let op = op?;
        let (options, _) = self.call_options(options)?;
        Ok(Step {
            machine: Box::new(Call::new(&self.config, op, options.policy, driver::seed())),
            signals: options.signal.into_iter().collect(),
        })
    }

    /// A wait on its own, with `{ signal?, timeoutMs?, intervalMs?,
    /// exists? }`; `target` makes the target from `exists`.
    fn wait_for(
        &self,
        target: Result<impl FnOnce(bool) -> WaitTarget, Error>,
        options: JsValue,
    ) -> Plan {
        let target = target?;
        let options = args::opt_object(options, "options")?;
        let props = Props(options.as_ref());
        let exists = props.opt_bool("exists")?.unwrap_or(true);
        let wait = Self::wait_options(props, self.policy.attempt_timeout)?;
        let poller = Poller::new(&self.config, target(exists), wait.options);
        Ok(Step {
            machine: Box::new(ToJs(poller)),
            signals: wait.signal.into_iter().collect(),
        })
    }

    /// Scrubs the API key from an error's text. The core's machines scrub
    /// the key in every form from what a server says; this catches any
    /// other error that might quote it (an argument, say).
    fn redact(&self, error: Error) -> Error {
        error.redact(&[self.config.api_key().expose()])
    }
}

/// The methods of [`WasmClient::run`], by number.
#[wasm_bindgen]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    /// [`WasmClient::restart_instance`]: `(options)`.
    RestartInstance = 0,
    /// [`WasmClient::reset_instance`]: `(options)`.
    ResetInstance = 1,
    /// [`WasmClient::list_users`]: `(params, options)`.
    ListUsers = 2,
    /// [`WasmClient::get_user`]: `(username, options)`.
    GetUser = 3,
    /// [`WasmClient::create_user`]: `(user, options)`.
    CreateUser = 4,
    /// [`WasmClient::update_user_password`]: `(username, password, options)`.
    UpdateUserPassword = 5,
    /// [`WasmClient::delete_user`]: `(username, options)`.
    DeleteUser = 6,
    /// [`WasmClient::list_acls`]: `(options)`.
    ListAcls = 7,
    /// [`WasmClient::create_acl`]: `(rule, options)`.
    CreateAcl = 8,
    /// [`WasmClient::delete_acl`]: `(rule, options)`.
    DeleteAcl = 9,
    /// [`WasmClient::wait_for_user`]: `(username, options)`.
    WaitForUser = 10,
    /// [`WasmClient::wait_for_acl`]: `(rule, options)`.
    WaitForAcl = 11,
}

impl Method {
    /// Every method, in order: the list `npm/src/client.js` and
    /// `npm/src/index.d.ts` are checked against (`tests/surface.rs`).
    pub const ALL: [Method; 12] = [
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
        }
    }
}

/// A client for one API key, with async methods that take plain JavaScript
/// values and resolve to plain JavaScript data.
#[wasm_bindgen]
pub struct WasmClient {
    inner: Rc<Inner>,
}

#[wasm_bindgen]
impl WasmClient {
    /// Makes a client from `{ apiKey, baseUrl?, encoding?, timeoutMs?,
    /// maxRetries?, allowInsecureHttp?, fetch? }`.
    ///
    /// # Errors
    /// Throws an error object (`INVALID_INPUT`) when an option is wrong.
    #[wasm_bindgen(constructor)]
    pub fn new(options: JsValue) -> Result<WasmClient, JsValue> {
        Self::from_options(options).map_err(|error| error_object(&error))
    }

    fn from_options(options: JsValue) -> Result<WasmClient, Error> {
        let options = args::object(options, "options")?;
        let props = Props(Some(&options));
        let api_key = props.string("apiKey")?;
        Self::with_key(props, &api_key).map_err(|error| error.redact(&[&api_key]))
    }

    fn with_key(props: Props<'_>, api_key: &str) -> Result<WasmClient, Error> {
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
        Ok(WasmClient {
            inner: Rc::new(Inner {
                config,
                policy,
                transport: Transport { fetch },
            }),
        })
    }

    /// The base URL requests go to (without a trailing slash).
    #[wasm_bindgen(getter, js_name = baseUrl)]
    pub fn base_url(&self) -> String {
        self.inner.config.base_url().to_owned()
    }

    /// Calls `method` with its arguments (`a`, `b`, `c`, as many as it
    /// takes; see [`Method`]). One entry point for every method keeps the
    /// `.wasm` small: each export costs glue of its own.
    pub fn run(&self, method: Method, a: JsValue, b: JsValue, c: JsValue) -> Promise {
        let inner = &self.inner;
        let plan = match method {
            Method::RestartInstance => inner.single(Ok(Erased::new(RestartInstance)), a),
            Method::ResetInstance => inner.single(Ok(Erased::new(ResetInstance)), a),
            Method::ListUsers => inner.single(list_users(a), b),
            Method::GetUser => {
                let op = args::string(a, "username").map(|username| GetUser { username });
                inner.single(op.map(Erased::new), b)
            }
            Method::CreateUser => inner.call_and_wait(create_user(a), b),
            Method::UpdateUserPassword => inner.single(update_password(a, b), c),
            Method::DeleteUser => {
                let op = args::string(a, "username").map(|username| DeleteUser { username });
                inner.call_and_wait(op.map(Erased::new), b)
            }
            Method::ListAcls => inner.single(Ok(Erased::new(ListAclRules)), a),
            Method::CreateAcl => inner.call_and_wait(create_acl(a), b),
            Method::DeleteAcl => inner.call_and_wait(delete_acl(a), b),
            Method::WaitForUser => {
                let username = args::string(a, "username");
                inner.wait_for(
                    username.map(|username| |exists| WaitTarget::User { username, exists }),
                    b,
                )
            }
            Method::WaitForAcl => inner.wait_for(acl_target(a), b),
        };
        self.start(plan)
    }

    /// Starts a walk over the user list with `{ query?, pageSize? }`.
    ///
    /// # Errors
    /// Throws an error object (`INVALID_INPUT`) when a parameter is wrong.
    #[wasm_bindgen(js_name = userPages)]
    pub fn user_pages(&self, params: JsValue) -> Result<WasmUserPages, JsValue> {
        let pages = (|| {
            let params = args::opt_object(params, "params")?;
            let props = Props(params.as_ref());
            let query = props.opt_string("query")?;
            let size = props.opt_u32("pageSize")?;
            Paginator::new(query, size.unwrap_or(DEFAULT_PAGE_SIZE))
        })();
        match pages {
            Ok(pages) => Ok(WasmUserPages {
                client: WasmClient {
                    inner: Rc::clone(&self.inner),
                },
                pages: Rc::new(RefCell::new(pages)),
            }),
            Err(error) => Err(error_object(&self.inner.redact(error))),
        }
    }
}

/// The driver, and the methods one by one for Rust callers (JavaScript
/// calls [`run`](WasmClient::run)).
impl WasmClient {
    /// Runs a plan to a `Promise`; a failure rejects with
    /// [`error_object`], the API key scrubbed from its text.
    fn start(&self, plan: Plan) -> Promise {
        let inner = Rc::clone(&self.inner);
        future_to_promise(async move {
            let run = async {
                let mut step = plan?;
                drive(step.machine.as_mut(), &inner.transport, &step.signals).await
            };
            run.await
                .map_err(|error: Error| error_object(&inner.redact(error)))
        })
    }

    /// [`run`](Self::run) for a method of at most two arguments.
    fn run2(&self, method: Method, a: JsValue, b: JsValue) -> Promise {
        self.run(method, a, b, JsValue::UNDEFINED)
    }

    /// `POST /instance/restart`. Resolves to `undefined`.
    pub fn restart_instance(&self, options: JsValue) -> Promise {
        self.run2(Method::RestartInstance, options, JsValue::UNDEFINED)
    }

    /// `POST /instance/reset`. Resolves to `undefined`.
    pub fn reset_instance(&self, options: JsValue) -> Promise {
        self.run2(Method::ResetInstance, options, JsValue::UNDEFINED)
    }

    /// `GET /user` with `{ limit?, page?, query? }`. Resolves to an array
    /// of `{ username }`.
    pub fn list_users(&self, params: JsValue, options: JsValue) -> Promise {
        self.run2(Method::ListUsers, params, options)
    }

    /// `GET /user/{username}`. Resolves to `{ username, acls }`.
    pub fn get_user(&self, username: JsValue, options: JsValue) -> Promise {
        self.run2(Method::GetUser, username, options)
    }

    /// `POST /user` with `{ username, password }`; with `wait`, resolves
    /// once the user exists.
    pub fn create_user(&self, user: JsValue, options: JsValue) -> Promise {
        self.run2(Method::CreateUser, user, options)
    }

    /// `PUT /user/{username}` with the new password.
    pub fn update_user_password(
        &self,
        username: JsValue,
        password: JsValue,
        options: JsValue,
    ) -> Promise {
        self.run(Method::UpdateUserPassword, username, password, options)
    }

    /// `DELETE /user/{username}`; with `wait`, resolves once it is gone.
    pub fn delete_user(&self, username: JsValue, options: JsValue) -> Promise {
        self.run2(Method::DeleteUser, username, options)
    }

    /// `GET /acl`. Resolves to an array of `{ type, pattern, read, write,
    /// username }`.
    pub fn list_acls(&self, options: JsValue) -> Promise {
        self.run2(Method::ListAcls, options, JsValue::UNDEFINED)
    }

    /// `POST /acl` with `{ type, username?, pattern, read, write }`; with
    /// `wait`, resolves once the rule is listed.
    pub fn create_acl(&self, rule: JsValue, options: JsValue) -> Promise {
        self.run2(Method::CreateAcl, rule, options)
    }

    /// `DELETE /acl` with `{ username, topic }`; with `wait`, resolves once
    /// no such rule is listed.
    pub fn delete_acl(&self, rule: JsValue, options: JsValue) -> Promise {
        self.run2(Method::DeleteAcl, rule, options)
    }

    /// Waits until a user exists (or, with `exists: false`, is gone).
    /// Options: `{ signal?, timeoutMs?, intervalMs?, exists? }`.
    pub fn wait_for_user(&self, username: JsValue, options: JsValue) -> Promise {
        self.run2(Method::WaitForUser, username, options)
    }

    /// Waits until an ACL rule `{ type, username?, pattern }` is listed
    /// (or, with `exists: false`, is not).
    pub fn wait_for_acl(&self, rule: JsValue, options: JsValue) -> Promise {
        self.run2(Method::WaitForAcl, rule, options)
    }
}
