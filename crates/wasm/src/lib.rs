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
//!   a `Promise`; [`WasmUserPages`]: the user list, one page at a time.
//! - Failures as plain objects `{ code, message, status?, serverMessage?,
//!   retryAfterMs?, field? }` (see [`error_object`]), which the npm
//!   package's JavaScript layer turns into `CloudMqttError`.
//!
//! # Out of scope
//! The public JavaScript class, the async iterator and per-runtime loading
//! live in the npm package (`npm/` in the repository).
#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod args;
mod convert;
mod driver;
mod erased;

use std::cell::RefCell;
use std::rc::Rc;
use std::time::{Duration, SystemTime};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use cloudmqtt_api::{
    AclKind, ApiConfig, Call, CreateAclRule, CreateUser, DEFAULT_PAGE_SIZE, DeleteAclRule,
    DeleteUser, Encoding, Error, GetUser, Input, ListAclRules, ListUsers, Machine, NewAclRule,
    Operation, Output, Paginator, Poller, ResetInstance, RestartInstance, RetryPolicy, Secret,
    UpdatePassword, WaitOptions, WaitTarget,
};
use js_sys::{Object, Promise, Reflect};
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::future_to_promise;
use web_sys::AbortSignal;

use crate::args::{get, invalid};
use crate::convert::IntoJs;
use crate::driver::{Limits, ToJs, Transport, drive};
use crate::erased::Erased;

/// The per-attempt timeout when none is given.
const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);

/// Turns an error into the plain object the JavaScript layer expects:
/// `code`, `message`, and `status`, `serverMessage`, `retryAfterMs`,
/// `field` when they apply.
pub fn error_object(error: &Error) -> JsValue {
    let object = Object::new();
    let set = |name: &str, value: JsValue| {
        // Setting a property on a fresh plain object cannot fail.
        let _ = Reflect::set(&object, &JsValue::from_str(name), &value);
    };
    set("code", error.code().as_str().into());
    set("message", error.to_string().into());
    if let Some(status) = error.status() {
        set("status", status.into());
    }
    if let Some(message) = error.server_message() {
        set("serverMessage", message.into());
    }
    if let Some(after) = error.retry_after(driver::now()) {
        set(
            "retryAfterMs",
            (after.as_secs_f64() * 1000.0).round().into(),
        );
    }
    if let Some(field) = error.field() {
        set("field", field.into());
    }
    object.into()
}

/// Settings shared by every call of one client.
struct Inner {
    config: ApiConfig,
    policy: RetryPolicy,
    timeout: Duration,
    transport: Transport,
}

/// A call's own options: `{ signal, timeoutMs }`.
struct CallOptions {
    signal: Option<AbortSignal>,
    timeout: Duration,
}

/// How to wait for a change: the poller's options and the signal.
struct Wait {
    options: WaitOptions,
    signal: Option<AbortSignal>,
    /// The timeout of each probe: the call's, or the client's.
    attempt_timeout: Duration,
}

/// One machine to drive, with its limits.
struct Step {
    machine: Box<dyn Machine<Value = JsValue>>,
    signal: Option<AbortSignal>,
    attempt_timeout: Duration,
    /// For waits: the total time, counted from when the step starts.
    wait_timeout: Option<Duration>,
}

/// A method's work, prepared synchronously from its arguments: steps run in
/// order, and the last one's value is the result. Every method funnels
/// through [`WasmClient::start`], so the `.wasm` holds one async driver
/// rather than one per method.
type Plan = Result<Vec<Step>, Error>;

impl Inner {
    fn call_options(&self, value: JsValue) -> Result<(CallOptions, Option<Object>), Error> {
        let object = args::opt_object(value, "options")?;
        let signal = args::opt_signal(get(object.as_ref(), "signal")?, "signal")?;
        let timeout = args::opt_millis(&get(object.as_ref(), "timeoutMs")?, "timeoutMs", 1.0)?
            .unwrap_or(self.timeout);
        Ok((CallOptions { signal, timeout }, object))
    }

    /// Reads `{ signal, timeoutMs, intervalMs }` (a wait's options).
    /// `call` is the options of the create or delete the wait follows: its
    /// signal and per-attempt timeout apply unless the wait has its own.
    fn wait_options(
        &self,
        object: Option<&Object>,
        call: Option<&CallOptions>,
    ) -> Result<Wait, Error> {
        let defaults = WaitOptions::default();
        let signal = args::opt_signal(get(object, "signal")?, "signal")?;
        let timeout = args::opt_millis(&get(object, "timeoutMs")?, "timeoutMs", 0.0)?;
        let interval = args::opt_millis(&get(object, "intervalMs")?, "intervalMs", 1.0)?;
        let interval = interval.unwrap_or(defaults.interval);
        Ok(Wait {
            options: WaitOptions {
                interval,
                timeout: timeout.unwrap_or(defaults.timeout),
                max_interval: defaults.max_interval.max(interval),
            },
            signal: signal.or_else(|| call.and_then(|call| call.signal.clone())),
            attempt_timeout: call.map_or(self.timeout, |call| call.timeout),
        })
    }

    /// Reads the `wait` option of a create or delete: absent or `false`
    /// (no wait), `true` (defaults) or an object of wait options.
    fn wait_for(
        &self,
        options: Option<&Object>,
        call: &CallOptions,
    ) -> Result<Option<Wait>, Error> {
        let wait = get(options, "wait")?;
        if args::is_absent(&wait) || wait.as_bool() == Some(false) {
            return Ok(None);
        }
        if wait.as_bool() == Some(true) {
            return self.wait_options(None, Some(call)).map(Some);
        }
        let object = args::opt_object(wait, "wait")
            .map_err(|_| invalid("wait", "must be a boolean or an object"))?;
        self.wait_options(object.as_ref(), Some(call)).map(Some)
    }

    /// One operation carried out with retries.
    fn call<O>(&self, op: O, options: &CallOptions) -> Step
    where
        O: Operation + 'static,
        O::Output: IntoJs,
    {
        Step {
            machine: Box::new(Call::new(
                &self.config,
                Erased::new(op),
                self.policy,
                driver::seed(),
            )),
            signal: options.signal.clone(),
            attempt_timeout: options.timeout,
            wait_timeout: None,
        }
    }

    /// A wait until `target` is reached.
    fn wait(&self, target: WaitTarget, wait: Wait) -> Step {
        Step {
            machine: Box::new(ToJs(Poller::new(&self.config, target, wait.options))),
            signal: wait.signal,
            attempt_timeout: wait.attempt_timeout,
            wait_timeout: Some(wait.options.timeout),
        }
    }

    /// A create or delete, then a wait for it when asked to.
    fn call_and_wait<O>(&self, op: O, options: JsValue) -> Plan
    where
        O: Operation<Output = ()> + 'static,
    {
        let (options, object) = self.call_options(options)?;
        let wait = self.wait_for(object.as_ref(), &options)?;
        let target = op.wait_target();
        let mut steps = vec![self.call(op, &options)];
        if let (Some(wait), Some(target)) = (wait, target) {
            steps.push(self.wait(target, wait));
        }
        Ok(steps)
    }

    /// A single call with `{ signal, timeoutMs }` options.
    fn single<O>(&self, op: Result<O, Error>, options: JsValue) -> Plan
    where
        O: Operation + 'static,
        O::Output: IntoJs,
    {
        let op = op?;
        let (options, _) = self.call_options(options)?;
        Ok(vec![self.call(op, &options)])
    }

    /// Scrubs the API key from an error's text, as given and as it travels
    /// in the `Authorization` header (base64 of `:key`), in case a server
    /// echoes either back.
    fn redact(&self, error: Error) -> Error {
        let key = self.config.api_key().expose();
        // The same engine as the core's (one copy of its code in the .wasm);
        // without the padding, an echo cut short is caught as well.
        let encoded = STANDARD.encode(format!(":{key}"));
        error.redact(&[key, encoded.trim_end_matches('=')])
    }
}

/// Reads an ACL rule's `type`.
fn acl_kind(value: &JsValue) -> Result<AclKind, Error> {
    let text = args::string(value, "type")
        .map_err(|_| invalid("type", "must be \"topic\" or \"pattern\""))?;
    AclKind::parse(&text)
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
        let options = Some(&options);
        let api_key = args::string(&get(options, "apiKey")?, "apiKey")?;
        Self::with_key(options, &api_key).map_err(|error| error.redact(&[&api_key]))
    }

    fn with_key(options: Option<&Object>, api_key: &str) -> Result<WasmClient, Error> {
        let mut builder = ApiConfig::builder(Secret::new(api_key));
        if let Some(base_url) = args::opt_string(&get(options, "baseUrl")?, "baseUrl")? {
            builder = builder.base_url(base_url);
        }
        let encoding = match args::opt_string(&get(options, "encoding")?, "encoding")?.as_deref() {
            None | Some("json") => Encoding::Json,
            Some("form") => Encoding::Form,
            Some(_) => return Err(invalid("encoding", "must be \"json\" or \"form\"")),
        };
        let insecure = args::opt_bool(&get(options, "allowInsecureHttp")?, "allowInsecureHttp")?;
        let config = builder
            .encoding(encoding)
            .allow_insecure_http(insecure.unwrap_or(false))
            .build()?;
        let timeout = args::opt_millis(&get(options, "timeoutMs")?, "timeoutMs", 1.0)?
            .unwrap_or(DEFAULT_TIMEOUT);
        let max_retries = args::opt_u32(&get(options, "maxRetries")?, "maxRetries")?;
        let policy = RetryPolicy {
            max_retries: max_retries.unwrap_or(RetryPolicy::default().max_retries),
            ..RetryPolicy::default()
        };
        let fetch = args::opt_function(get(options, "fetch")?, "fetch")?;
        Ok(WasmClient {
            inner: Rc::new(Inner {
                config,
                policy,
                timeout,
                transport: Transport { fetch },
            }),
        })
    }

    /// The base URL requests go to (without a trailing slash).
    #[wasm_bindgen(getter, js_name = baseUrl)]
    pub fn base_url(&self) -> String {
        self.inner.config.base_url().to_owned()
    }

    /// Runs a plan to a `Promise`; a failure rejects with
    /// [`error_object`], the API key scrubbed from its text.
    fn start(&self, plan: Plan) -> Promise {
        let inner = Rc::clone(&self.inner);
        future_to_promise(async move {
            let run = async {
                let mut value = JsValue::UNDEFINED;
                for mut step in plan? {
                    let limits = Limits {
                        signal: step.signal.as_ref(),
                        attempt_timeout: step.attempt_timeout,
                        deadline: step.wait_timeout.map(|timeout| driver::now() + timeout),
                    };
                    value = drive(step.machine.as_mut(), &inner.transport, limits).await?;
                }
                Ok(value)
            };
            run.await
                .map_err(|error: Error| error_object(&inner.redact(error)))
        })
    }

    /// `POST /instance/restart`. Resolves to `undefined`.
    #[wasm_bindgen(js_name = restartInstance)]
    pub fn restart_instance(&self, options: JsValue) -> Promise {
        self.start(self.inner.single(Ok(RestartInstance), options))
    }

    /// `POST /instance/reset`. Resolves to `undefined`.
    #[wasm_bindgen(js_name = resetInstance)]
    pub fn reset_instance(&self, options: JsValue) -> Promise {
        self.start(self.inner.single(Ok(ResetInstance), options))
    }

    /// `GET /user` with `{ limit?, page?, query? }`. Resolves to an array
    /// of `{ username }`.
    #[wasm_bindgen(js_name = listUsers)]
    pub fn list_users(&self, params: JsValue, options: JsValue) -> Promise {
        let op = (|| {
            let params = args::opt_object(params, "params")?;
            let params = params.as_ref();
            Ok(ListUsers {
                limit: args::opt_u32(&get(params, "limit")?, "limit")?,
                page: args::opt_u32(&get(params, "page")?, "page")?,
                query: args::opt_string(&get(params, "query")?, "query")?,
            })
        })();
        self.start(self.inner.single(op, options))
    }

    /// Starts a walk over the user list with `{ query?, pageSize? }`.
    ///
    /// # Errors
    /// Throws an error object (`INVALID_INPUT`) when a parameter is wrong.
    #[wasm_bindgen(js_name = userPages)]
    pub fn user_pages(&self, params: JsValue) -> Result<WasmUserPages, JsValue> {
        let pages = (|| {
            let params = args::opt_object(params, "params")?;
            let params = params.as_ref();
            let query = args::opt_string(&get(params, "query")?, "query")?;
            let size = args::opt_u32(&get(params, "pageSize")?, "pageSize")?;
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

    /// `GET /user/{username}`. Resolves to `{ username, acls }`.
    #[wasm_bindgen(js_name = getUser)]
    pub fn get_user(&self, username: JsValue, options: JsValue) -> Promise {
        let op = args::string(&username, "username").map(|username| GetUser { username });
        self.start(self.inner.single(op, options))
    }

    /// `POST /user` with `{ username, password }`; with `wait`, resolves
    /// once the user exists.
    #[wasm_bindgen(js_name = createUser)]
    pub fn create_user(&self, user: JsValue, options: JsValue) -> Promise {
        let plan = (|| {
            let user = args::object(user, "user")?;
            let user = Some(&user);
            let op = CreateUser {
                username: args::string(&get(user, "username")?, "username")?,
                password: Secret::new(args::string(&get(user, "password")?, "password")?),
            };
            self.inner.call_and_wait(op, options)
        })();
        self.start(plan)
    }

    /// `PUT /user/{username}` with the new password.
    #[wasm_bindgen(js_name = updateUserPassword)]
    pub fn update_user_password(
        &self,
        username: JsValue,
        password: JsValue,
        options: JsValue,
    ) -> Promise {
        let op = (|| {
            Ok(UpdatePassword {
                username: args::string(&username, "username")?,
                password: Secret::new(args::string(&password, "password")?),
            })
        })();
        self.start(self.inner.single(op, options))
    }

    /// `DELETE /user/{username}`; with `wait`, resolves once it is gone.
    #[wasm_bindgen(js_name = deleteUser)]
    pub fn delete_user(&self, username: JsValue, options: JsValue) -> Promise {
        let plan = args::string(&username, "username")
            .and_then(|username| self.inner.call_and_wait(DeleteUser { username }, options));
        self.start(plan)
    }

    /// `GET /acl`. Resolves to an array of `{ type, pattern, read, write,
    /// username }`.
    #[wasm_bindgen(js_name = listAcls)]
    pub fn list_acls(&self, options: JsValue) -> Promise {
        self.start(self.inner.single(Ok(ListAclRules), options))
    }

    /// `POST /acl` with `{ type, username?, pattern, read, write }`; with
    /// `wait`, resolves once the rule is listed.
    #[wasm_bindgen(js_name = createAcl)]
    pub fn create_acl(&self, rule: JsValue, options: JsValue) -> Promise {
        let plan = (|| {
            let rule = args::object(rule, "rule")?;
            let rule = Some(&rule);
            let kind = acl_kind(&get(rule, "type")?)?;
            let username = args::opt_string(&get(rule, "username")?, "username")?;
            let pattern = args::string(&get(rule, "pattern")?, "pattern")?;
            let read = args::boolean(&get(rule, "read")?, "read")?;
            let write = args::boolean(&get(rule, "write")?, "write")?;
            let rule = NewAclRule::from_parts(kind, username, pattern, read, write)?;
            self.inner.call_and_wait(CreateAclRule { rule }, options)
        })();
        self.start(plan)
    }

    /// `DELETE /acl` with `{ username, topic }`; with `wait`, resolves once
    /// no such rule is listed.
    #[wasm_bindgen(js_name = deleteAcl)]
    pub fn delete_acl(&self, rule: JsValue, options: JsValue) -> Promise {
        let plan = (|| {
            let rule = args::object(rule, "rule")?;
            let rule = Some(&rule);
            let username = args::string(&get(rule, "username")?, "username")?;
            let topic = args::string(&get(rule, "topic")?, "topic")?;
            self.inner
                .call_and_wait(DeleteAclRule { username, topic }, options)
        })();
        self.start(plan)
    }

    /// Waits until a user exists (or, with `exists: false`, is gone).
    /// Options: `{ signal?, timeoutMs?, intervalMs?, exists? }`.
    #[wasm_bindgen(js_name = waitForUser)]
    pub fn wait_for_user(&self, username: JsValue, options: JsValue) -> Promise {
        let plan = (|| {
            let username = args::string(&username, "username")?;
            let options = args::opt_object(options, "options")?;
            let exists = args::opt_bool(&get(options.as_ref(), "exists")?, "exists")?;
            let wait = self.inner.wait_options(options.as_ref(), None)?;
            let target = WaitTarget::User {
                username,
                exists: exists.unwrap_or(true),
            };
            Ok(vec![self.inner.wait(target, wait)])
        })();
        self.start(plan)
    }

    /// Waits until an ACL rule `{ type, username?, pattern }` is listed
    /// (or, with `exists: false`, is not).
    #[wasm_bindgen(js_name = waitForAcl)]
    pub fn wait_for_acl(&self, rule: JsValue, options: JsValue) -> Promise {
        let plan = (|| {
            let rule = args::object(rule, "rule")?;
            let rule = Some(&rule);
            let kind = acl_kind(&get(rule, "type")?)?;
            let username = args::opt_string(&get(rule, "username")?, "username")?;
            let pattern = args::string(&get(rule, "pattern")?, "pattern")?;
            let options = args::opt_object(options, "options")?;
            let exists = args::opt_bool(&get(options.as_ref(), "exists")?, "exists")?;
            let wait = self.inner.wait_options(options.as_ref(), None)?;
            let target = WaitTarget::Acl {
                kind: Some(kind),
                username,
                pattern,
                exists: exists.unwrap_or(true),
            };
            Ok(vec![self.inner.wait(target, wait)])
        })();
        self.start(plan)
    }
}

/// A walk over the user list: each call to [`next`](WasmUserPages::next)
/// fetches one page and resolves to the users not seen before, or to `null`
/// when the walk is over.
#[wasm_bindgen]
pub struct WasmUserPages {
    client: WasmClient,
    pages: Rc<RefCell<Paginator>>,
}

#[wasm_bindgen]
impl WasmUserPages {
    /// Fetches the next page (with `{ signal?, timeoutMs? }`). Resolves to
    /// an array of new users, or `null` when there are no more pages.
    pub fn next(&self, options: JsValue) -> Promise {
        let inner = &self.client.inner;
        let plan = inner.call_options(options).map(|(options, _)| {
            let request = self.pages.borrow().next_request();
            let machine: Box<dyn Machine<Value = JsValue>> = match request {
                Some(request) => Box::new(Call::new(
                    &inner.config,
                    Erased::user_page(request, Rc::clone(&self.pages)),
                    inner.policy,
                    driver::seed(),
                )),
                None => Box::new(Finished),
            };
            vec![Step {
                machine,
                signal: options.signal,
                attempt_timeout: options.timeout,
                wait_timeout: None,
            }]
        });
        self.client.start(plan)
    }
}

/// A walk that is over: resolves to `null` at once.
struct Finished;

impl Machine for Finished {
    type Value = JsValue;

    fn poll_output(&mut self, _now: SystemTime) -> Output<JsValue> {
        Output::Done(Ok(JsValue::NULL))
    }

    fn handle_input(&mut self, _input: Input, _now: SystemTime) {}
}
