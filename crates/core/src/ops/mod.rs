//! Every endpoint as a pure pair: build a request value, parse a response value.
//!
//! One file per endpoint holds all of it: the operation type, how its
//! arguments are checked, its request, how its 2xx body is read, and what
//! to wait for when the server applies it later. What every endpoint shares
//! is here (the [`Operation`] trait, URLs, headers and bodies) and in the
//! [`Call`](crate::Call) machine, which turns every failed response into an
//! [`Error`] the same way, secrets scrubbed.

mod create_acl_rule;
mod create_user;
mod delete_acl_rule;
mod delete_user;
mod get_user;
mod list_acl_rules;
mod list_users;
mod reset_instance;
mod restart_instance;
mod update_password;

pub use create_acl_rule::{CreateAclRule, NewAclRule};
pub use create_user::CreateUser;
pub use delete_acl_rule::DeleteAclRule;
pub use delete_user::DeleteUser;
pub use get_user::{GetUser, parse_user_info};
pub use list_acl_rules::{ListAclRules, parse_acl_rules};
pub use list_users::{ListUsers, parse_users};
pub use reset_instance::ResetInstance;
pub use restart_instance::RestartInstance;
pub use update_password::UpdatePassword;

use crate::config::{ApiConfig, Encoding};
use crate::error::{Error, SecretForms};
use crate::http::{Method, Request, Response};
use crate::wait::WaitTarget;
use crate::wire::text::push_json_string;

/// One API endpoint: how to build its request and read its response.
pub trait Operation {
    /// What a successful call returns.
    type Output: Clone;

    /// Validates the arguments and builds the request.
    ///
    /// # Errors
    /// [`Error::InvalidInput`] naming the argument at fault.
    fn build_request(&self, config: &ApiConfig) -> Result<Request, Error>;

    /// Reads a 2xx response's body into the operation's output.
    ///
    /// # Errors
    /// [`Error::Decode`] for a body that does not fit.
    fn parse_success(&self, response: &Response) -> Result<Self::Output, Error>;

    /// Reads any response: a 2xx through
    /// [`parse_success`](Self::parse_success), anything else as the error
    /// its status stands for, with the operation's own
    /// [`secrets`](Self::secrets) scrubbed. [`Call`](crate::Call) does the
    /// same with the API key scrubbed too; this is for callers who drive
    /// requests themselves.
    ///
    /// # Errors
    /// The error the status stands for, or [`Error::Decode`] for a success
    /// whose body does not fit.
    fn parse_response(&self, response: &Response) -> Result<Self::Output, Error> {
        let forms = SecretForms::new(&self.secrets());
        if response.is_success() {
            self.parse_success(response)
                .map_err(|error| error.redact_with(&forms))
        } else {
            Err(Error::read_failure(response, &forms))
        }
    }

    /// Secrets the operation carries (passwords), to scrub from errors.
    fn secrets(&self) -> Vec<&str> {
        Vec::new()
    }

    /// What to wait for until the change becomes visible, for operations the
    /// server applies asynchronously (creating and deleting users and rules).
    fn wait_target(&self) -> Option<WaitTarget> {
        None
    }
}

/// A body field's value.
#[derive(Clone, Copy)]
enum Field<'a> {
    Text(&'a str),
    Flag(bool),
}

/// Starts a request: URL from the base, path segments and query, plus the
/// authorization and accept headers.
fn request(
    config: &ApiConfig,
    method: Method,
    segments: &[&str],
    query: &[(&str, String)],
) -> Request {
    let mut url = config.base_url().to_owned();
    for segment in segments {
        url.push('/');
        crate::wire::text::push_path_segment(&mut url, segment);
    }
    if !query.is_empty() {
        let mut pairs = String::new();
        for (name, value) in query {
            crate::wire::text::push_form_pair(&mut pairs, name, value);
        }
        url.push('?');
        url.push_str(&pairs);
    }
    Request {
        method,
        url,
        headers: vec![
            (
                "authorization".to_owned(),
                config.authorization().to_owned(),
            ),
            ("accept".to_owned(), "application/json".to_owned()),
        ],
        body: Vec::new(),
        deadline: None,
    }
}

/// Adds a body in the configured encoding, fields in the given order.
fn with_body(mut request: Request, encoding: Encoding, fields: &[(&str, Field<'_>)]) -> Request {
    let (content_type, body) = match encoding {
        Encoding::Json => {
            let mut body = String::from("{");
            for (index, (name, value)) in fields.iter().enumerate() {
                if index > 0 {
                    body.push(',');
                }
                push_json_string(&mut body, name);
                body.push(':');
                match value {
                    Field::Text(text) => push_json_string(&mut body, text),
                    Field::Flag(flag) => body.push_str(if *flag { "true" } else { "false" }),
                }
            }
            body.push('}');
            ("application/json", body)
        }
        Encoding::Form => {
            let mut body = String::new();
            for (name, value) in fields {
                let value = match value {
                    Field::Text(text) => text,
                    Field::Flag(flag) => {
                        if *flag {
                            "true"
                        } else {
                            "false"
                        }
                    }
                };
                crate::wire::text::push_form_pair(&mut body, name, value);
            }
            ("application/x-www-form-urlencoded", body)
        }
    };
    request
        .headers
        .push(("content-type".to_owned(), content_type.to_owned()));
    request.body = body.into_bytes();
    request
}

#[cfg(test)]
mod tests;
