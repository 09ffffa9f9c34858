//! Targets: limiting a plan, or the apply of a saved plan, to some users
//! and rules (`--target user:NAME`, `--target rule:TYPE:USER:PATTERN`).
//!
//! `user:NAME` selects the changes to that user and to its topic rules;
//! `rule:topic:USER:PATTERN` and `rule:pattern::PATTERN` the changes to the
//! rule with that identity (a replacement included). A selected rule
//! created for a user the plan creates brings that user's creation along,
//! so a targeted plan is one apply can carry out.

use crate::declarative::plan::{AccessChange, AccessPlan};
use crate::error::Error;
use crate::model::AclKind;
use crate::validate;
use crate::wire::text::{concat, push_quoted};

/// One `--target`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum Target {
    /// `user:NAME`: a user and its topic rules.
    User(String),
    /// `rule:TYPE:USER:PATTERN` (`USER` empty for a pattern rule).
    Rule {
        /// Topic or pattern.
        kind: AclKind,
        /// The user of a topic rule.
        username: Option<String>,
        /// The rule's pattern.
        pattern: String,
    },
}

fn bad_target(text: &str, why: &str) -> Error {
    let mut reason = String::new();
    push_quoted(&mut reason, text);
    reason.push_str(": ");
    reason.push_str(why);
    Error::invalid("target", reason)
}

impl Target {
    /// Reads `user:NAME` or `rule:TYPE:USER:PATTERN` (the pattern may hold
    /// `:`; a user name cannot).
    ///
    /// # Errors
    /// [`Error::InvalidInput`] naming the target and what is wrong.
    pub fn parse(text: &str) -> Result<Self, Error> {
        if let Some(name) = text.strip_prefix("user:") {
            validate::username(name).map_err(|_| bad_target(text, "not a user name"))?;
            return Ok(Self::User(name.to_owned()));
        }
        let Some(rest) = text.strip_prefix("rule:") else {
            return Err(bad_target(
                text,
                "expected user:NAME or rule:TYPE:USER:PATTERN",
            ));
        };
        let mut parts = rest.splitn(3, ':');
        let (Some(kind), Some(user), Some(pattern)) = (parts.next(), parts.next(), parts.next())
        else {
            return Err(bad_target(
                text,
                "expected rule:topic:USER:PATTERN or rule:pattern::PATTERN",
            ));
        };
        let kind = AclKind::parse(kind)
            .map_err(|_| bad_target(text, "the type is \"topic\" or \"pattern\""))?;
        let username = match (kind, user.is_empty()) {
            (AclKind::Topic, false) => Some(user.to_owned()),
            (AclKind::Pattern, true) => None,
            (AclKind::Topic, true) => return Err(bad_target(text, "a topic rule names its user")),
            (AclKind::Pattern, false) => {
                return Err(bad_target(text, "a pattern rule has no user"));
            }
        };
        if pattern.is_empty() {
            return Err(bad_target(text, "the pattern is empty"));
        }
        Ok(Self::Rule {
            kind,
            username,
            pattern: pattern.to_owned(),
        })
    }

    /// The target as written: `user:NAME` or `rule:TYPE:USER:PATTERN`.
    pub fn text(&self) -> String {
        match self {
            Self::User(name) => concat(&["user:", name]),
            Self::Rule {
                kind,
                username,
                pattern,
            } => concat(&[
                "rule:",
                kind.as_str(),
                ":",
                username.as_deref().unwrap_or(""),
                ":",
                pattern,
            ]),
        }
    }

    /// Whether the target selects `change`.
    pub fn selects(&self, change: &AccessChange) -> bool {
        let rule = match change {
            AccessChange::CreateUser { username }
            | AccessChange::SetPassword { username }
            | AccessChange::DeleteUser { username } => {
                return matches!(self, Self::User(name) if name == username);
            }
            AccessChange::CreateRule { rule }
            | AccessChange::DeleteRule { rule }
            | AccessChange::ReplaceRule { from: rule, .. } => rule,
        };
        match self {
            Self::User(name) => rule.username.as_deref() == Some(name.as_str()),
            Self::Rule {
                kind,
                username,
                pattern,
            } => rule.kind == *kind && rule.username == *username && rule.pattern == *pattern,
        }
    }
}

impl AccessPlan {
    /// The changes any of `targets` selects, in order, with the creation
    /// of each user a selected rule creation needs; the whole plan when
    /// `targets` is empty.
    #[must_use]
    pub fn targeted(&self, targets: &[Target]) -> AccessPlan {
        let selected = |change: &AccessChange| targets.iter().any(|target| target.selects(change));
        let mut needed = Vec::new();
        for change in &self.changes {
            if let AccessChange::CreateRule { rule } = change
                && let Some(user) = &rule.username
                && selected(change)
            {
                needed.push(user.as_str());
            }
        }
        let mut changes = Vec::new();
        for change in &self.changes {
            if targets.is_empty()
                || selected(change)
                || matches!(change, AccessChange::CreateUser { username } if needed.contains(&username.as_str()))
            {
                changes.push(change.clone());
            }
        }
        AccessPlan { changes }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::AclRule;

    fn rule(user: Option<&str>, pattern: &str) -> AclRule {
        AclRule::test(user, pattern, true, false)
    }

    #[test]
    fn targets_read_back_as_written() {
        for text in [
            "user:sensor-1",
            "rule:topic:sensor-1:sensors/1/#",
            "rule:pattern::home/%u/#",
            "rule:topic:u:a:b",
        ] {
            assert_eq!(Target::parse(text).unwrap().text(), text);
        }
        for bad in [
            "sensor-1",
            "user:",
            "rule:topic::x",
            "rule:pattern:u:x",
            "rule:queue:u:x",
            "rule:topic:u:",
            "rule:topic",
        ] {
            let error = Target::parse(bad).unwrap_err().to_string();
            assert!(error.starts_with("invalid target: \""), "{error}");
        }
    }

    #[test]
    fn a_targeted_plan_keeps_what_its_rules_need() {
        let plan = AccessPlan {
            changes: vec![
                AccessChange::create_user("a"),
                AccessChange::create_user("b"),
                AccessChange::set_password("c"),
                AccessChange::create_rule(rule(Some("a"), "a/#")),
                AccessChange::create_rule(rule(Some("b"), "b/#")),
                AccessChange::delete_rule(rule(None, "home/%u")),
                AccessChange::delete_user("d"),
            ],
        };
        let only = |targets: &[&str]| {
            let targets: Vec<Target> = targets.iter().map(|t| Target::parse(t).unwrap()).collect();
            plan.targeted(&targets)
                .changes
                .iter()
                .map(AccessChange::text)
                .collect::<Vec<_>>()
        };
        assert_eq!(only(&["user:c"]), ["~ user c (set password)"]);
        assert_eq!(
            only(&["rule:topic:b:b/#"]),
            ["+ user b", "+ rule topic b b/# read"]
        );
        assert_eq!(
            only(&["user:a", "rule:pattern::home/%u"]),
            [
                "+ user a",
                "+ rule topic a a/# read",
                "- rule pattern home/%u read"
            ]
        );
        assert_eq!(only(&[]).len(), plan.changes.len());
    }
}
