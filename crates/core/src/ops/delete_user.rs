//! `DELETE /user/{username}`: deletes a user and its topic rules (applied
//! asynchronously by the server).

use super::{Operation, request};
use crate::config::ApiConfig;
use crate::error::Error;
use crate::http::{Method, Request, Response};
use crate::validate;
use crate::wait::WaitTarget;

/// `DELETE /user/{username}`: deletes a user (applied asynchronously).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeleteUser {
    /// The user.
    pub username: String,
}

impl Operation for DeleteUser {
    type Output = ();

    fn build_request(&self, config: &ApiConfig) -> Result<Request, Error> {
        validate::username(&self.username)?;
        Ok(request(
            config,
            Method::Delete,
            &["user", &self.username],
            &[],
        ))
    }

    fn parse_success(&self, _response: &Response) -> Result<(), Error> {
        Ok(())
    }

    fn wait_target(&self) -> Option<WaitTarget> {
        Some(WaitTarget::user(&self.username, false))
    }
}
