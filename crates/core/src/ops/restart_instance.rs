//! `POST /instance/restart`: restarts the instance's broker.

use super::{Operation, request};
use crate::config::ApiConfig;
use crate::error::Error;
use crate::http::{Method, Request, Response};

/// `POST /instance/restart`: restarts the instance's broker; users and
/// rules are kept.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RestartInstance;

impl Operation for RestartInstance {
    type Output = ();

    fn build_request(&self, config: &ApiConfig) -> Result<Request, Error> {
        Ok(request(config, Method::Post, &["instance", "restart"], &[]))
    }

    fn parse_success(&self, _response: &Response) -> Result<(), Error> {
        Ok(())
    }
}
