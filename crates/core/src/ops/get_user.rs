//! `GET /user/{username}`: a user and its ACL entries.

use super::{Operation, request};
use crate::config::ApiConfig;
use crate::error::Error;
use crate::http::{Method, Request, Response};
use crate::model::{UserAcl, UserInfo, flag, name_field, parse_json, unwrap_object};
use crate::validate;
use crate::wire::json::Json;

/// `GET /user/{username}`: a user and its ACL entries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GetUser {
    /// The user.
    pub username: String,
}

impl Operation for GetUser {
    type Output = UserInfo;

    fn build_request(&self, config: &ApiConfig) -> Result<Request, Error> {
        validate::username(&self.username)?;
        Ok(request(config, Method::Get, &["user", &self.username], &[]))
    }

    fn parse_success(&self, response: &Response) -> Result<UserInfo, Error> {
        parse_user_info(&response.body, &self.username)
    }
}

/// Parses one user's info. A missing name falls back to `requested`;
/// missing `acls` is an empty list; an empty body is both.
///
/// # Errors
/// [`Error::Decode`] when the body is not a JSON object of that shape.
pub fn parse_user_info(body: &[u8], requested: &str) -> Result<UserInfo, Error> {
    if body.iter().all(u8::is_ascii_whitespace) {
        // A success with no body (204): the user exists, nothing more known.
        return Ok(UserInfo {
            username: requested.to_owned(),
            acls: Vec::new(),
        });
    }
    let value = parse_json(body)?;
    let object = unwrap_object(&value, &["user", "data"])
        .ok_or_else(|| Error::decode("expected a JSON object describing the user", body))?;
    let username = name_field(object).unwrap_or_else(|| requested.to_owned());
    let acls = match object.get("acls").or_else(|| object.get("acl")) {
        None | Some(Json::Null) => Vec::new(),
        Some(Json::Array(items)) => {
            let mut acls = Vec::with_capacity(items.len());
            for item in items {
                let acl = user_acl(item)
                    .ok_or_else(|| Error::decode("an entry in \"acls\" has no topic", body))?;
                acls.push(acl);
            }
            acls
        }
        Some(_) => return Err(Error::decode("\"acls\" is not a list", body)),
    };
    Ok(UserInfo { username, acls })
}

fn user_acl(object: &Json<'_>) -> Option<UserAcl> {
    let topic = ["topic", "pattern"]
        .iter()
        .find_map(|key| object.get(key).and_then(Json::as_str))?
        .to_owned();
    Some(UserAcl {
        topic,
        read: flag(object.get("read")),
        write: flag(object.get("write")),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn user_info_in_every_shape() {
        let info = parse_user_info(
            br#"{"username":"test","acls":[{"topic":"sensor/%u","read":false,"write":true}]}"#,
            "test",
        )
        .unwrap();
        assert_eq!(
            info,
            UserInfo {
                username: "test".into(),
                acls: vec![UserAcl {
                    topic: "sensor/%u".into(),
                    read: false,
                    write: true
                }]
            }
        );
        let info = parse_user_info(
            br#"{"user":"t","id":3,"acls":[{"pattern":"a/#","read":"true","write":0}]}"#,
            "t",
        )
        .unwrap();
        assert_eq!(info.username, "t");
        assert_eq!(info.acls[0].topic, "a/#");
        assert!(info.acls[0].read && !info.acls[0].write);
        let info = parse_user_info(br#"{"acls":null}"#, "fallback").unwrap();
        assert_eq!(info.username, "fallback");
        assert!(info.acls.is_empty());
        let info = parse_user_info(br#"{"user":{"username":"x","acls":[]}}"#, "x").unwrap();
        assert_eq!(info.username, "x");
        assert!(parse_user_info(b"[]", "x").is_err());
        let empty = parse_user_info(b" ", "x").unwrap();
        assert_eq!((empty.username.as_str(), empty.acls.len()), ("x", 0));
        assert!(parse_user_info(br#"{"acls":[{"read":true}]}"#, "x").is_err());
        assert!(parse_user_info(br#"{"acls":"x"}"#, "x").is_err());
    }
}
