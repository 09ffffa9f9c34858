//! `POST /instance/restart` and `POST /instance/reset`.

use super::{Operation, expect_success, request};
use crate::config::ApiConfig;
use crate::error::Error;
use crate::http::{Method, Request, Response};

/// Restarts the instance's broker.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RestartInstance;

/// Resets the instance.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ResetInstance;

impl Operation for RestartInstance {
    type Output = ();

    fn build_request(&self, config: &ApiConfig) -> Result<Request, Error> {
        Ok(request(config, Method::Post, &["instance", "restart"], &[]))
    }

    fn parse_response(&self, response: &Response) -> Result<(), Error> {
        expect_success(response, &[])
    }
}

impl Operation for ResetInstance {
    type Output = ();

    fn build_request(&self, config: &ApiConfig) -> Result<Request, Error> {
        Ok(request(config, Method::Post, &["instance", "reset"], &[]))
    }

    fn parse_response(&self, response: &Response) -> Result<(), Error> {
        expect_success(response, &[])
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ErrorCode;

    #[test]
    fn requests() {
        let config = ApiConfig::new("k").unwrap();
        let restart = RestartInstance.build_request(&config).unwrap();
        assert_eq!(restart.method, Method::Post);
        assert_eq!(
            restart.url,
            "https://api.cloudmqtt.com/api/instance/restart"
        );
        assert_eq!(
            restart.headers,
            [
                ("authorization".to_owned(), "Basic Oms=".to_owned()),
                ("accept".to_owned(), "application/json".to_owned())
            ]
        );
        assert!(restart.body.is_empty());
        let reset = ResetInstance.build_request(&config).unwrap();
        assert_eq!(reset.url, "https://api.cloudmqtt.com/api/instance/reset");
    }

    #[test]
    fn responses() {
        for status in [200, 201, 202, 204] {
            let response = Response::new(status, vec![], b"whatever".to_vec());
            assert_eq!(RestartInstance.parse_response(&response), Ok(()));
            assert_eq!(
                ResetInstance.parse_response(&Response::new(status, vec![], vec![])),
                Ok(())
            );
        }
        let error = RestartInstance
            .parse_response(&Response::new(403, vec![], br#"{"error":"no"}"#.to_vec()))
            .unwrap_err();
        assert_eq!(error.code(), ErrorCode::Forbidden);
        assert_eq!(error.server_message(), Some("no"));
    }
}
