//! `POST /user`: creates a user (applied asynchronously by the server).

use super::{Field, Operation, request, with_body};
use crate::config::{ApiConfig, Secret};
use crate::error::Error;
use crate::http::{Method, Request, Response};
use crate::validate;
use crate::wait::WaitTarget;

/// `POST /user`: creates a user (applied asynchronously by the server).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CreateUser {
    /// The new user's name.
    pub username: String,
    /// Its password.
    pub password: Secret,
}

impl Operation for CreateUser {
    type Output = ();

    fn build_request(&self, config: &ApiConfig) -> Result<Request, Error> {
        validate::new_username(&self.username)?;
        validate::password(self.password.expose())?;
        let fields = [
            ("username", Field::Text(&self.username)),
            ("password", Field::Text(self.password.expose())),
        ];
        let request = request(config, Method::Post, &["user"], &[]);
        Ok(with_body(request, config.encoding(), &fields))
    }

    fn parse_success(&self, _response: &Response) -> Result<(), Error> {
        Ok(())
    }

    fn secrets(&self) -> Vec<&str> {
        vec![self.password.expose()]
    }

    fn wait_target(&self) -> Option<WaitTarget> {
        Some(WaitTarget::user(&self.username, true))
    }
}
