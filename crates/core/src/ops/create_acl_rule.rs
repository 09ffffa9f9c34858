//! `POST /acl`: creates a rule (applied asynchronously by the server); the
//! rule to create, [`NewAclRule`], and how it is checked.

use super::{Field, Operation, request, with_body};
use crate::config::ApiConfig;
use crate::error::Error;
use crate::http::{Method, Request, Response};
use crate::model::{AclKind, AclRule};
use crate::validate;
use crate::wait::WaitTarget;

/// `POST /acl`: creates a rule (applied asynchronously by the server).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CreateAclRule {
    /// The rule.
    pub rule: NewAclRule,
}

/// A rule to create: a topic rule names its user, a pattern rule cannot.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NewAclRule {
    /// A rule for one user.
    Topic {
        /// The user.
        username: String,
        /// The topic filter.
        pattern: String,
        /// Allow subscribing.
        read: bool,
        /// Allow publishing.
        write: bool,
    },
    /// A rule for every user.
    Pattern {
        /// The topic filter, usually with `%u` or `%c`.
        pattern: String,
        /// Allow subscribing.
        read: bool,
        /// Allow publishing.
        write: bool,
    },
}

impl NewAclRule {
    /// Builds a rule from loose parts, as a command line or untyped caller
    /// gives them, and validates it.
    ///
    /// # Errors
    /// [`Error::InvalidInput`] naming `username` or `pattern`.
    pub fn from_parts(
        kind: AclKind,
        username: Option<String>,
        pattern: String,
        read: bool,
        write: bool,
    ) -> Result<Self, Error> {
        validate::acl_rule(kind, username.as_deref(), &pattern)?;
        Ok(match (kind, username) {
            (AclKind::Topic, Some(username)) => Self::Topic {
                username,
                pattern,
                read,
                write,
            },
            _ => Self::Pattern {
                pattern,
                read,
                write,
            },
        })
    }

    /// Topic or pattern.
    pub fn kind(&self) -> AclKind {
        match self {
            Self::Topic { .. } => AclKind::Topic,
            Self::Pattern { .. } => AclKind::Pattern,
        }
    }

    /// The user of a topic rule.
    pub fn username(&self) -> Option<&str> {
        match self {
            Self::Topic { username, .. } => Some(username),
            Self::Pattern { .. } => None,
        }
    }

    /// The topic filter.
    pub fn pattern(&self) -> &str {
        match self {
            Self::Topic { pattern, .. } | Self::Pattern { pattern, .. } => pattern,
        }
    }

    /// The read and write flags.
    pub fn access(&self) -> (bool, bool) {
        match self {
            Self::Topic { read, write, .. } | Self::Pattern { read, write, .. } => (*read, *write),
        }
    }

    /// The rule as the rule list shows it.
    pub fn listed(&self) -> AclRule {
        let (read, write) = self.access();
        AclRule {
            kind: self.kind(),
            pattern: self.pattern().to_owned(),
            read,
            write,
            username: self.username().map(str::to_owned),
        }
    }

    /// Checks the rule.
    ///
    /// # Errors
    /// [`Error::InvalidInput`] naming `username` or `pattern`.
    pub fn validate(&self) -> Result<(), Error> {
        validate::acl_rule(self.kind(), self.username(), self.pattern())
    }
}

impl Operation for CreateAclRule {
    type Output = ();

    fn build_request(&self, config: &ApiConfig) -> Result<Request, Error> {
        self.rule.validate()?;
        let (read, write) = self.rule.access();
        let mut fields = Vec::with_capacity(5);
        fields.push(("type", Field::Text(self.rule.kind().as_str())));
        if let Some(username) = self.rule.username() {
            fields.push(("username", Field::Text(username)));
        }
        fields.push(("pattern", Field::Text(self.rule.pattern())));
        fields.push(("read", Field::Flag(read)));
        fields.push(("write", Field::Flag(write)));
        let request = request(config, Method::Post, &["acl"], &[]);
        Ok(with_body(request, config.encoding(), &fields))
    }

    fn parse_success(&self, _response: &Response) -> Result<(), Error> {
        Ok(())
    }

    fn wait_target(&self) -> Option<WaitTarget> {
        Some(WaitTarget::Acl {
            kind: Some(self.rule.kind()),
            username: self.rule.username().map(str::to_owned),
            pattern: self.rule.pattern().to_owned(),
            exists: true,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn new_rules_from_parts() {
        let rule =
            NewAclRule::from_parts(AclKind::Topic, Some("u".into()), "a/#".into(), true, false)
                .unwrap();
        assert_eq!(rule.username(), Some("u"));
        assert_eq!(rule.access(), (true, false));
        assert!(
            NewAclRule::from_parts(AclKind::Pattern, Some("u".into()), "a".into(), true, true)
                .is_err()
        );
        assert!(NewAclRule::from_parts(AclKind::Topic, None, "a".into(), true, true).is_err());
        assert_eq!(AclKind::parse("Pattern"), Ok(AclKind::Pattern));
        assert!(AclKind::parse("x").is_err());
    }
}
