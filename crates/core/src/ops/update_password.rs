//! `PUT /user/{username}`: sets a user's password (applied at once).

use super::{Field, Operation, request, with_body};
use crate::config::{ApiConfig, Secret};
use crate::error::Error;
use crate::http::{Method, Request, Response};
use crate::validate;

/// `PUT /user/{username}`: sets a user's password.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UpdatePassword {
    /// The user.
    pub username: String,
    /// The new password.
    pub password: Secret,
}

impl Operation for UpdatePassword {
    type Output = ();

    fn build_request(&self, config: &ApiConfig) -> Result<Request, Error> {
        validate::username(&self.username)?;
        validate::password(self.password.expose())?;
        let fields = [("password", Field::Text(self.password.expose()))];
        let request = request(config, Method::Put, &["user", &self.username], &[]);
        Ok(with_body(request, config.encoding(), &fields))
    }

    fn parse_success(&self, _response: &Response) -> Result<(), Error> {
        Ok(())
    }

    fn secrets(&self) -> Vec<&str> {
        vec![self.password.expose()]
    }
}
