//! `DELETE /acl`: deletes a user's topic rules, or the pattern rules, for a
//! topic filter (applied asynchronously by the server).

use super::{Field, Operation, request, with_body};
use crate::config::ApiConfig;
use crate::error::Error;
use crate::http::{Method, Request, Response};
use crate::model::AclKind;
use crate::validate;
use crate::wait::WaitTarget;

/// `DELETE /acl`: deletes a user's topic rules for a topic filter (body
/// `{username, topic}`), or the pattern rules for a filter (body `{topic}`,
/// no username). Applied asynchronously.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeleteAclRule {
    /// The user whose topic rules go; `None` deletes pattern rules.
    pub username: Option<String>,
    /// The rules' topic filter.
    pub topic: String,
}

impl DeleteAclRule {
    /// Deletes `username`'s topic rules for `topic`.
    pub fn topic_rules(username: impl Into<String>, topic: impl Into<String>) -> Self {
        Self {
            username: Some(username.into()),
            topic: topic.into(),
        }
    }

    /// Deletes the pattern rules for `topic`.
    pub fn pattern_rules(topic: impl Into<String>) -> Self {
        Self {
            username: None,
            topic: topic.into(),
        }
    }

    /// Builds a delete from loose parts, as a command line or untyped caller
    /// gives them: no kind means a topic rule, which names its user; a
    /// pattern rule names none.
    ///
    /// # Errors
    /// [`Error::InvalidInput`] naming `username` or `topic`.
    pub fn from_parts(
        kind: Option<AclKind>,
        username: Option<String>,
        topic: String,
    ) -> Result<Self, Error> {
        let kind = kind.unwrap_or(AclKind::Topic);
        validate::rule_owner(kind, username.as_deref())?;
        validate::acl_topic_filter("topic", &topic)?;
        Ok(Self { username, topic })
    }

    /// Which kind of rule goes: topic rules when a user is named.
    pub fn kind(&self) -> AclKind {
        if self.username.is_some() {
            AclKind::Topic
        } else {
            AclKind::Pattern
        }
    }
}

impl Operation for DeleteAclRule {
    type Output = ();

    fn build_request(&self, config: &ApiConfig) -> Result<Request, Error> {
        if let Some(username) = &self.username {
            validate::username(username)?;
        }
        // A filter no rule can have (one `acl create` refuses) is refused
        // here too, rather than sent for a 404.
        validate::acl_topic_filter("topic", &self.topic)?;
        let mut fields = Vec::with_capacity(2);
        if let Some(username) = &self.username {
            fields.push(("username", Field::Text(username)));
        }
        fields.push(("topic", Field::Text(&self.topic)));
        let request = request(config, Method::Delete, &["acl"], &[]);
        Ok(with_body(request, config.encoding(), &fields))
    }

    fn parse_success(&self, _response: &Response) -> Result<(), Error> {
        Ok(())
    }

    fn wait_target(&self) -> Option<WaitTarget> {
        Some(WaitTarget::Acl {
            kind: self.username.is_none().then_some(AclKind::Pattern),
            username: self.username.clone(),
            pattern: self.topic.clone(),
            exists: false,
        })
    }
}
