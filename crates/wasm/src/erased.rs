//! One [`Operation`] type for every endpoint, so that the core's generic
//! [`Call`](cloudmqtt_api::Call) is compiled once rather than once per
//! endpoint (see README, Size).

use std::cell::RefCell;
use std::rc::Rc;

use crate::convert::{IntoValue, Value};
use cloudmqtt_api::{
    ApiConfig, Error, ListUsers, Operation, Paginator, Request, Response, WaitTarget,
};

/// The object-safe part of [`Operation`].
trait DynOperation {
    fn build_request(&self, config: &ApiConfig) -> Result<Request, Error>;
    fn parse_success(&self, response: &Response) -> Result<Value, Error>;
    fn secrets(&self) -> Vec<&str>;
    fn wait_target(&self) -> Option<WaitTarget>;
}

/// An operation whose output becomes JavaScript data.
struct ToValue<O>(O);

impl<O> DynOperation for ToValue<O>
where
    O: Operation,
    O::Output: IntoValue,
{
    fn build_request(&self, config: &ApiConfig) -> Result<Request, Error> {
        self.0.build_request(config)
    }

    fn parse_success(&self, response: &Response) -> Result<Value, Error> {
        self.0.parse_success(response).map(IntoValue::into_value)
    }

    fn secrets(&self) -> Vec<&str> {
        self.0.secrets()
    }

    fn wait_target(&self) -> Option<WaitTarget> {
        self.0.wait_target()
    }
}

/// `GET /user` for JavaScript: a body the core recognises as already in
/// the documented compact shape goes to `JSON.parse` as it is (nothing
/// parsed or written again here); any other goes through the core's parser.
struct UserList(ListUsers);

impl DynOperation for UserList {
    fn build_request(&self, config: &ApiConfig) -> Result<Request, Error> {
        self.0.build_request(config)
    }

    fn parse_success(&self, response: &Response) -> Result<Value, Error> {
        if cloudmqtt_api::is_canonical_user_list(&response.body) {
            return Ok(Value::Canonical);
        }
        self.0.parse_success(response).map(IntoValue::into_value)
    }

    fn secrets(&self) -> Vec<&str> {
        self.0.secrets()
    }

    fn wait_target(&self) -> Option<WaitTarget> {
        self.0.wait_target()
    }
}

/// A page of a walk over the user list: the paginator takes the users and
/// the result is those not seen before, or `null` when there are none
/// (the walk is then over).
struct UserPage {
    op: ListUsers,
    pages: Rc<RefCell<Paginator>>,
}

impl DynOperation for UserPage {
    fn build_request(&self, config: &ApiConfig) -> Result<Request, Error> {
        self.op.build_request(config)
    }

    /// Runs once, for the successful response (a failure never reaches the
    /// paginator).
    fn parse_success(&self, response: &Response) -> Result<Value, Error> {
        let users = self.op.parse_success(response)?;
        let fresh = self.pages.borrow_mut().handle_page(users);
        Ok(if fresh.is_empty() {
            Value::Null
        } else {
            fresh.into_value()
        })
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
        O::Output: IntoValue,
    {
        Self(Box::new(ToValue(op)))
    }

    /// One page of the user list (`listUsers`).
    pub(crate) fn user_list(op: ListUsers) -> Self {
        Self(Box::new(UserList(op)))
    }

    /// The next page of a walk over the user list.
    pub(crate) fn user_page(op: ListUsers, pages: Rc<RefCell<Paginator>>) -> Self {
        Self(Box::new(UserPage { op, pages }))
    }
}

impl Operation for Erased {
    type Output = Value;

    fn build_request(&self, config: &ApiConfig) -> Result<Request, Error> {
        self.0.build_request(config)
    }

    fn parse_success(&self, response: &Response) -> Result<Value, Error> {
        self.0.parse_success(response)
    }

    fn secrets(&self) -> Vec<&str> {
        self.0.secrets()
    }

    fn wait_target(&self) -> Option<WaitTarget> {
        self.0.wait_target()
    }
}
