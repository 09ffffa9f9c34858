//! One [`Operation`] type for every endpoint, so that the core's generic
//! [`Call`](cloudmqtt_api::Call) is compiled once rather than once per
//! endpoint (about 2 KB of `.wasm` each).

use cloudmqtt_api::{ApiConfig, Error, ListUsers, Operation, Request, Response, User, WaitTarget};
use wasm_bindgen::JsValue;

use crate::convert::IntoJs;

/// What an erased operation produces.
#[derive(Clone)]
pub(crate) enum Outcome {
    /// The result as JavaScript data.
    Js(JsValue),
    /// A page of users, kept in Rust for the paginator.
    Users(Vec<User>),
}

impl IntoJs for Outcome {
    fn into_js(self) -> JsValue {
        match self {
            Outcome::Js(value) => value,
            Outcome::Users(users) => users.into_js(),
        }
    }
}

/// The object-safe part of [`Operation`].
trait DynOperation {
    fn build_request(&self, config: &ApiConfig) -> Result<Request, Error>;
    fn parse_response(&self, response: &Response) -> Result<Outcome, Error>;
    fn secrets(&self) -> Vec<&str>;
    fn wait_target(&self) -> Option<WaitTarget>;
}

/// An operation whose output becomes JavaScript data.
struct ToJsOutput<O>(O);

impl<O> DynOperation for ToJsOutput<O>
where
    O: Operation,
    O::Output: IntoJs,
{
    fn build_request(&self, config: &ApiConfig) -> Result<Request, Error> {
        self.0.build_request(config)
    }

    fn parse_response(&self, response: &Response) -> Result<Outcome, Error> {
        self.0
            .parse_response(response)
            .map(|output| Outcome::Js(output.into_js()))
    }

    fn secrets(&self) -> Vec<&str> {
        self.0.secrets()
    }

    fn wait_target(&self) -> Option<WaitTarget> {
        self.0.wait_target()
    }
}

/// A page of the user list, kept as Rust values.
struct UserPage(ListUsers);

impl DynOperation for UserPage {
    fn build_request(&self, config: &ApiConfig) -> Result<Request, Error> {
        self.0.build_request(config)
    }

    fn parse_response(&self, response: &Response) -> Result<Outcome, Error> {
        self.0.parse_response(response).map(Outcome::Users)
    }

    fn secrets(&self) -> Vec<&str> {
        Vec::new()
    }

    fn wait_target(&self) -> Option<WaitTarget> {
        None
    }
}

/// Any endpoint behind one type.
pub(crate) struct Erased(Box<dyn DynOperation>);

impl Erased {
    /// An operation whose output the caller gets as JavaScript data.
    pub(crate) fn new<O>(op: O) -> Self
    where
        O: Operation + 'static,
        O::Output: IntoJs,
    {
        Self(Box::new(ToJsOutput(op)))
    }

    /// A user-list page whose users stay in Rust ([`Outcome::Users`]).
    pub(crate) fn user_page(op: ListUsers) -> Self {
        Self(Box::new(UserPage(op)))
    }
}

impl Operation for Erased {
    type Output = Outcome;

    fn build_request(&self, config: &ApiConfig) -> Result<Request, Error> {
        self.0.build_request(config)
    }

    fn parse_response(&self, response: &Response) -> Result<Outcome, Error> {
        self.0.parse_response(response)
    }

    fn secrets(&self) -> Vec<&str> {
        self.0.secrets()
    }

    fn wait_target(&self) -> Option<WaitTarget> {
        self.0.wait_target()
    }
}
