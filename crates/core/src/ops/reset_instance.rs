//! `POST /instance/reset`: resets the instance.

use super::{Operation, request};
use crate::config::ApiConfig;
use crate::error::Error;
use crate::http::{Method, Request, Response};

/// `POST /instance/reset`: resets the instance, removing every user and
/// rule.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ResetInstance;

impl Operation for ResetInstance {
    type Output = ();

    fn build_request(&self, config: &ApiConfig) -> Result<Request, Error> {
        Ok(request(config, Method::Post, &["instance", "reset"], &[]))
    }

    fn parse_success(&self, _response: &Response) -> Result<(), Error> {
        Ok(())
    }
}
