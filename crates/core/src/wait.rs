//! What a wait waits for: a user or an ACL rule to exist or to be gone.
//! The [`Poller`](crate::Poller) probes for it; an operation names it
//! ([`Operation::wait_target`](crate::Operation::wait_target)).

use std::fmt;

use crate::model::AclKind;

/// What to wait for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WaitTarget {
    /// A user exists (`GET /user/{name}` answers 2xx) or is gone (404).
    User {
        /// The user.
        username: String,
        /// Wait for it to exist (`true`) or to be gone (`false`).
        exists: bool,
    },
    /// A matching ACL rule is in the rule list, or none is.
    Acl {
        /// Match only this kind; `None` matches both.
        kind: Option<AclKind>,
        /// The rule's user (`None` for pattern rules).
        username: Option<String>,
        /// The rule's topic filter.
        pattern: String,
        /// Wait for it to exist (`true`) or to be gone (`false`).
        exists: bool,
    },
}

impl WaitTarget {
    /// Waits for a user to exist or to be gone.
    pub fn user(username: &str, exists: bool) -> Self {
        Self::User {
            username: username.to_owned(),
            exists,
        }
    }
}

impl WaitTarget {
    /// Reads as the end of "waiting for …", e.g. `user "alice" to exist`.
    /// Built without `core::fmt` (see [`Error::message`](crate::Error::message)).
    pub fn describe(&self) -> String {
        let state = |exists: bool| if exists { "exist" } else { "be gone" };
        match self {
            Self::User { username, exists } => {
                crate::wire::text::concat(&["user \"", username, "\" to ", state(*exists)])
            }
            Self::Acl {
                kind,
                username,
                pattern,
                exists,
            } => {
                let kind = kind.map_or("ACL", AclKind::as_str);
                let mut out = crate::wire::text::concat(&[kind, " rule \"", pattern, "\""]);
                if let Some(user) = username {
                    out.push_str(" of user \"");
                    out.push_str(user);
                    out.push('"');
                }
                out.push_str(" to ");
                out.push_str(state(*exists));
                out
            }
        }
    }
}

/// Reads as the end of "waiting for …" ([`WaitTarget::describe`]).
impl fmt::Display for WaitTarget {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.describe())
    }
}
