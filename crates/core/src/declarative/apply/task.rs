//! One request a change needs, and where its sending stands.

use std::collections::BTreeMap;
use std::time::SystemTime;

use crate::config::{ApiConfig, Secret};
use crate::error::Error;
use crate::http::Request;
use crate::model::{AclKind, AclRule};
use crate::ops::{
    CreateAclRule, CreateUser, DeleteAclRule, DeleteUser, NewAclRule, Operation, UpdatePassword,
};
use crate::wire::text::push_quoted;

/// One request a change needs.
#[derive(Debug, Clone)]
pub(super) enum Op {
    CreateUser(String),
    SetPassword(String),
    DeleteUser(String),
    CreateRule(AclRule),
    DeleteRule(AclRule),
}

impl Op {
    /// A create: sent again only once a listing shows it did not arrive.
    pub(super) fn is_create(&self) -> bool {
        matches!(self, Self::CreateUser(_) | Self::CreateRule(_))
    }

    /// A delete: a 404 means it is gone or going.
    pub(super) fn is_delete(&self) -> bool {
        matches!(self, Self::DeleteUser(_) | Self::DeleteRule(_))
    }

    /// The request, with the password of a user it creates or changes
    /// taken from `passwords`.
    pub(super) fn request(
        &self,
        config: &ApiConfig,
        passwords: &BTreeMap<String, Option<Secret>>,
    ) -> Result<Request, Error> {
        let password = |name: &str| {
            passwords.get(name).and_then(Option::clone).ok_or_else(|| {
                let mut why = String::from("none for user ");
                push_quoted(&mut why, name);
                Error::invalid("password", why)
            })
        };
        match self {
            Self::CreateUser(name) => CreateUser {
                username: name.clone(),
                password: password(name)?,
            }
            .build_request(config),
            Self::SetPassword(name) => UpdatePassword {
                username: name.clone(),
                password: password(name)?,
            }
            .build_request(config),
            Self::DeleteUser(name) => DeleteUser {
                username: name.clone(),
            }
            .build_request(config),
            Self::CreateRule(rule) => {
                let rule = NewAclRule::from_parts(
                    rule.kind,
                    rule.username.clone(),
                    rule.pattern.clone(),
                    rule.read,
                    rule.write,
                )?;
                CreateAclRule { rule }.build_request(config)
            }
            Self::DeleteRule(rule) => match (&rule.kind, &rule.username) {
                (AclKind::Topic, Some(user)) => {
                    DeleteAclRule::topic_rules(user.clone(), rule.pattern.clone())
                        .build_request(config)
                }
                _ => DeleteAclRule::pattern_rules(rule.pattern.clone()).build_request(config),
            },
        }
    }
}

/// The sending of one request of a change.
#[derive(Debug, Clone)]
pub(super) struct Task {
    /// Index of the change in the plan.
    pub(super) change: usize,
    pub(super) op: Op,
    pub(super) attempts: u32,
    /// Not sent again before this instant.
    pub(super) ready_at: Option<SystemTime>,
    /// Sent, outcome unknown since this instant.
    pub(super) uncertain_since: Option<SystemTime>,
    /// The refusal to report if it never shows (a user create answered
    /// "exists").
    pub(super) refused: Option<Error>,
}

impl Task {
    /// A request of change `change`, not sent yet.
    pub(super) fn new(change: usize, op: Op) -> Self {
        Self {
            change,
            op,
            attempts: 0,
            ready_at: None,
            uncertain_since: None,
            refused: None,
        }
    }

    /// Whether it may go out at `now`.
    pub(super) fn is_ready(&self, now: SystemTime) -> bool {
        self.ready_at.is_none_or(|at| at <= now)
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::http::Method;

    fn config() -> ApiConfig {
        ApiConfig::new("task-test-key").unwrap()
    }

    fn rule(kind: AclKind, username: Option<&str>) -> AclRule {
        AclRule {
            kind,
            username: username.map(str::to_owned),
            pattern: "t/#".into(),
            read: true,
            write: false,
        }
    }

    #[test]
    fn creates_and_deletes_are_told_apart() {
        let user = || "a".to_owned();
        assert!(Op::CreateUser(user()).is_create());
        assert!(Op::CreateRule(rule(AclKind::Pattern, None)).is_create());
        assert!(Op::DeleteUser(user()).is_delete());
        assert!(Op::DeleteRule(rule(AclKind::Pattern, None)).is_delete());
        let password = Op::SetPassword(user());
        assert!(!password.is_create() && !password.is_delete());
    }

    #[test]
    fn a_user_without_a_password_has_no_request() {
        let passwords = BTreeMap::new();
        let error = Op::CreateUser("a".into())
            .request(&config(), &passwords)
            .unwrap_err();
        assert!(error.to_string().contains("\"a\""), "{error}");
        let passwords = BTreeMap::from([("a".to_owned(), Some(Secret::from("pw")))]);
        let request = Op::SetPassword("a".into())
            .request(&config(), &passwords)
            .unwrap();
        assert_eq!(request.method, Method::Put);
    }

    #[test]
    fn a_topic_rule_is_deleted_by_its_user_a_pattern_by_itself() {
        let passwords = BTreeMap::new();
        let topic = Op::DeleteRule(rule(AclKind::Topic, Some("bob")))
            .request(&config(), &passwords)
            .unwrap();
        let pattern = Op::DeleteRule(rule(AclKind::Pattern, None))
            .request(&config(), &passwords)
            .unwrap();
        assert_eq!(topic.method, Method::Delete);
        let text = |request: &Request| {
            format!("{} {}", request.url, String::from_utf8_lossy(&request.body))
        };
        assert!(text(&topic).contains("bob"), "{}", text(&topic));
        assert!(!text(&pattern).contains("bob"), "{}", text(&pattern));
    }

    #[test]
    fn a_task_is_ready_once_its_backoff_is_over() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(10);
        let mut task = Task::new(0, Op::DeleteUser("a".into()));
        assert!(task.is_ready(now));
        task.ready_at = Some(now + Duration::from_secs(1));
        assert!(!task.is_ready(now));
        assert!(task.is_ready(now + Duration::from_secs(1)));
    }
}
