//! A sans-IO client for the [CloudMQTT](https://www.cloudmqtt.com) management
//! API: restart and reset an instance, manage MQTT users and ACL rules.
//!
//! # In scope
//! - Building every request as a plain value ([`Request`]: method, URL,
//!   headers, body bytes) and parsing every response ([`Response`]) into a
//!   typed result or one [`Error`].
//! - Validating every argument before anything is sent ([`validate`]).
//! - Retry ([`RetryPolicy`], [`Call`]), pagination ([`Paginator`]) and waiting
//!   for asynchronous changes ([`Poller`]) as pure state machines.
//! - Declarative access: the difference between desired and actual users and
//!   rules ([`plan`], [`ReadServer`]) and carrying it out ([`Apply`]); with
//!   the `access-file` feature, reading access files ([`desired`]).
//!
//! # Out of scope
//! Sockets, TLS, timers, clocks and random numbers. The caller passes `now`
//! and a seed in and carries requests however it likes: this crate is
//! driven the same way by `fetch` in WebAssembly and by a blocking client in
//! a command-line tool.
//!
//! Logging, too: the machines report [`Event`]s ([`Output::Event`]) and a
//! driver logs them, with its own timing of each attempt, through whatever
//! logger it uses (see [`Event`]'s *Logging*, and
//! `examples/tokio_reqwest.rs`, which logs with `tracing`).
//!
//! Who may publish or read on a topic under a rule set, and a lint over
//! rule sets, are the `cloudmqtt-access` crate's, on this crate's model.
//!
//! # The life of a call
//! ```text
//!  Operation ──build_request──▶ Request ──(your transport)──▶ Response
//!      ▲                                                          │
//!      └──────────────── parse_response ◀─────────────────────────┘
//!
//!  Call<Op> (a Machine):  poll_output(now) ─▶ Send(ticket, Request) | WaitUntil(t)
//!                                             | Pending | Event(e) | Done(result)
//!                         handle_input(ticket, Response | Failed, now)
//! ```
//!
//! ```
//! use std::time::{Duration, SystemTime};
//! use cloudmqtt_api::{
//!     ApiConfig, Call, Input, ListUsers, Machine, Output, Response, RetryPolicy, User,
//! };
//!
//! let config = ApiConfig::new("my-api-key")?;
//! let mut call = Call::new(&config, ListUsers::default(), RetryPolicy::default(), 42);
//!
//! // A fake transport: busy once, then answers.
//! let mut replies = vec![
//!     Response::new(200, vec![], br#"[{"username":"test"}]"#.to_vec()),
//!     Response::new(503, vec![], b"try later".to_vec()),
//! ];
//! let mut send = |request: cloudmqtt_api::Request| {
//!     assert_eq!(request.url, "https://api.cloudmqtt.com/api/user");
//!     Input::Response(replies.pop().unwrap())
//! };
//!
//! // A virtual clock that jumps instead of sleeping.
//! let mut now = SystemTime::UNIX_EPOCH;
//! let users = loop {
//!     match call.poll_output(now) {
//!         Output::Send(ticket, request) => call.handle_input(ticket, send(request), now),
//!         Output::WaitUntil(at) => now = at,
//!         // A retry, and why: the first answer was a 503.
//!         Output::Event(event) => println!("{event:?}"),
//!         Output::Pending => unreachable!("every request was answered at once"),
//!         Output::Done(result) => break result?,
//!     }
//! };
//! assert_eq!(users, vec![User { username: "test".into() }]);
//! assert_eq!(call.retries(), 1);
//! # Ok::<(), cloudmqtt_api::Error>(())
//! ```
#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod call;
mod config;
mod declarative;
mod error;
mod event;
mod http;
mod machine;
mod model;
mod mutation;
mod ops;
mod paginate;
mod poll;
mod retry;
pub mod validate;
mod wait;
mod wire;

pub use call::Call;
pub use config::{ApiConfig, ApiConfigBuilder, DEFAULT_BASE_URL, Encoding, Secret};
pub use declarative::apply::{
    Apply, ApplyOptions, ApplyReport, DEFAULT_CONCURRENCY, DEFAULT_MAX_ATTEMPTS, DEFAULT_SETTLE,
};
pub use declarative::plan::{
    AccessChange, AccessPlan, DesiredAccess, PlanOptions, ServerAccess, identity_text, plan,
    rights, sends_password,
};
pub use declarative::read::ReadServer;
pub use declarative::saved::{PasswordRef, SavedFile, SavedPlan};
pub use declarative::scope::{Outside, Ownership, Scope};
pub use declarative::target::Target;
pub use declarative::versions::{PasswordVersions, VersionCheck};
#[cfg(feature = "access-file")]
pub use declarative::{cases, desired};
pub use declarative::{saved, scope, versions};
pub use error::{Error, ErrorCode, Hint, REDACT_ANYWHERE_MIN_CHARS, Reply};
pub use event::{Event, Progress};
pub use http::{Method, Request, Response};
pub use machine::{Input, Machine, Output, Ticket, TransportError, run};
pub use model::{AclKind, AclRule, User, UserAcl, UserInfo};
pub use mutation::Mutation;
pub use ops::{
    CreateAclRule, CreateUser, DeleteAclRule, DeleteUser, GetUser, ListAclRules, ListUsers,
    NewAclRule, Operation, ResetInstance, RestartInstance, UpdatePassword, parse_acl_rules,
    parse_user_info, parse_users,
};
pub use paginate::{AllUsers, DEFAULT_PAGE_SIZE, Paginator};
pub use poll::{
    DEFAULT_MAX_WAIT_INTERVAL, DEFAULT_WAIT_INTERVAL, DEFAULT_WAIT_TIMEOUT, FIRST_PROBE_DELAY,
    MIN_PROBE_TIME, Poller, ProbeSchedule, WaitOptions,
};
pub use retry::{
    AttemptFailure, DEFAULT_ATTEMPT_TIMEOUT, DEFAULT_BASE_DELAY, DEFAULT_MAX_DELAY,
    DEFAULT_MAX_RETRIES, DEFAULT_MAX_RETRY_AFTER, RetryAfter, RetryPolicy,
};
pub use wait::WaitTarget;
/// For the WebAssembly bindings (`cloudmqtt-api-wasm`); not part of the
/// API covered by semver.
#[doc(hidden)]
pub use wire::canonical::is_canonical_user_list;
/// For this crate's integration tests; not part of the API covered by
/// semver.
#[doc(hidden)]
pub use wire::text::encode_path_segment;
/// For the access checker (`cloudmqtt-access`): the core's small text
/// helpers, one copy for both crates; not part of the API covered by
/// semver.
#[doc(hidden)]
pub use wire::text::{concat as text_concat, find as text_find};
/// For the WebAssembly bindings (`cloudmqtt-api-wasm`); not part of the
/// API covered by semver.
#[doc(hidden)]
pub use wire::text::{push_decimal, push_json_string, push_json_strings};

/// The repository README's Rust example, compiled and run as a doctest.
#[cfg(doctest)]
#[doc = include_str!("../../../README.md")]
struct ReadmeDoctest;
