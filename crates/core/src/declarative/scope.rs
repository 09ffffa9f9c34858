//! Ownership scopes: which users and rules an access file owns, so that
//! several files (several teams) can keep one instance without deleting
//! each other's users and rules.
//!
//! ```toml
//! [scope]
//! users = ["sensor-*", "gateway-*"]     # globs over user names; default: every user
//! exclude_users = ["admin"]
//! patterns = ["sensors/*", "home/%u/*"] # globs over rule patterns; default: every pattern
//! ```
//!
//! A user is inside when it matches `users` and not `exclude_users`; a
//! topic rule when its user is inside and its pattern matches `patterns`;
//! a pattern rule only when `patterns` is given and matches it. Globs
//! have `*` (any run of characters, `/` included) and `?` (one
//! character), and match the whole name (as the `wildmatch` crate matches them).
//!
//! A plan considers only what is inside ([`Ownership::restrict`]):
//! nothing outside is ever created, changed or deleted.

use crate::declarative::plan::{DesiredAccess, ServerAccess, identity_text};
use crate::error::Error;
use crate::model::{AclKind, AclRule};
use crate::wire::text::{concat, push_quoted};

/// What one access file owns (its `[scope]` table).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Scope {
    /// Globs over user names; `None`: every user.
    pub users: Option<Vec<String>>,
    /// Globs over user names left out even when `users` matches.
    pub exclude_users: Vec<String>,
    /// Globs over rule patterns; `None`: every pattern of a topic rule,
    /// and no pattern rule.
    pub patterns: Option<Vec<String>>,
}

/// Whether any glob of `globs` matches the whole of `text`.
fn any_matches(globs: &[String], text: &str) -> bool {
    globs.iter().any(|glob| glob_matches(glob, text))
}

/// Whether `glob` matches the whole of `text`: `*` stands for any run of
/// characters, `?` for one. The `wildmatch` crate's matching step for step
/// (a test compares the two), without its copy of the glob as characters
/// (see README, Size).
fn glob_matches(glob: &str, text: &str) -> bool {
    let pattern = glob.as_bytes();
    if pattern.is_empty() {
        return text.is_empty();
    }
    let mut at = 0;
    let mut input = text.chars();
    if let Some(mut current) = input.next() {
        let mut star = None;
        let mut matched = "".chars();
        loop {
            if pattern.get(at) == Some(&b'*') {
                // A run of stars counts as one.
                while pattern.get(at + 1) == Some(&b'*') {
                    at += 1;
                }
                star = Some(at);
                matched = input.clone();
                at += 1;
            } else if let Some(one) = glob[at..]
                .chars()
                .next()
                .filter(|&c| c == '?' || c == current)
            {
                at += one.len_utf8();
                match input.next() {
                    Some(next) => current = next,
                    None => break,
                }
            } else if let Some(star) = star {
                at = star + 1;
                match matched.next() {
                    Some(next) => current = next,
                    None => break,
                }
                input = matched.clone();
            } else {
                return false;
            }
        }
    }
    while pattern.get(at) == Some(&b'*') {
        at += 1;
    }
    at == pattern.len()
}

impl Scope {
    /// Whether the user `name` is inside.
    pub fn owns_user(&self, name: &str) -> bool {
        self.users
            .as_deref()
            .is_none_or(|globs| any_matches(globs, name))
            && !any_matches(&self.exclude_users, name)
    }

    /// Whether a rule of `kind`, `username` (topic rules) and `pattern` is
    /// inside.
    pub fn owns_rule(&self, kind: AclKind, username: Option<&str>, pattern: &str) -> bool {
        let pattern_inside = |default: bool| {
            self.patterns
                .as_deref()
                .map_or(default, |globs| any_matches(globs, pattern))
        };
        match kind {
            AclKind::Topic => {
                username.is_some_and(|user| self.owns_user(user)) && pattern_inside(true)
            }
            AclKind::Pattern => pattern_inside(false),
        }
    }
}

impl Scope {
    /// Refuses a desired state that declares a user or rule outside the
    /// scope (the access file's reader reports each, located; this is the
    /// same rule for a desired state given whole).
    ///
    /// # Errors
    /// [`Error::InvalidInput`] naming `scope` and the first user or rule
    /// outside it.
    pub fn check(&self, desired: &DesiredAccess) -> Result<(), Error> {
        let outside = |what: String| {
            Err(Error::invalid(
                "scope",
                concat(&[&what, " is outside the scope"]),
            ))
        };
        for name in desired.users.keys() {
            if !self.owns_user(name) {
                let mut what = String::from("user ");
                push_quoted(&mut what, name);
                return outside(what);
            }
        }
        for rule in &desired.rules {
            if !self.owns_rule(rule.kind(), rule.username(), rule.pattern()) {
                return outside(identity_text(rule));
            }
        }
        Ok(())
    }
}

/// What a set of access files owns together: everything when any of them
/// has no `[scope]` (or there is none), else what any scope owns.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Ownership {
    /// The files' scopes; `None`: everything is owned.
    pub scopes: Option<Vec<Scope>>,
}

impl Ownership {
    /// Owns everything (a file without `[scope]`).
    pub fn everything() -> Self {
        Self { scopes: None }
    }

    /// What the given scopes own together; a `None` (a file without
    /// `[scope]`) makes it everything.
    pub fn of<'a>(scopes: impl IntoIterator<Item = Option<&'a Scope>>) -> Self {
        let mut all = Vec::new();
        for scope in scopes {
            match scope {
                Some(scope) => all.push(scope.clone()),
                None => return Self::everything(),
            }
        }
        Self { scopes: Some(all) }
    }

    /// Whether everything is owned.
    pub fn is_everything(&self) -> bool {
        self.scopes.is_none()
    }

    /// Whether the user `name` is owned.
    pub fn owns_user(&self, name: &str) -> bool {
        self.scopes
            .as_deref()
            .is_none_or(|scopes| scopes.iter().any(|scope| scope.owns_user(name)))
    }

    /// Whether the rule is owned.
    pub fn owns_rule(&self, kind: AclKind, username: Option<&str>, pattern: &str) -> bool {
        self.scopes.as_deref().is_none_or(|scopes| {
            scopes
                .iter()
                .any(|scope| scope.owns_rule(kind, username, pattern))
        })
    }

    /// Whether the listed rule is owned.
    pub fn owns_listed(&self, rule: &AclRule) -> bool {
        self.owns_rule(rule.kind, rule.username.as_deref(), &rule.pattern)
    }

    /// The part of `server` that is owned, and how many users and rules
    /// were left out (the plan's `N users and M rules outside this file's
    /// scope, untouched`).
    #[must_use]
    pub fn restrict(&self, server: &ServerAccess) -> (ServerAccess, Outside) {
        // Copied name by name and rule by rule (all of them when everything
        // is owned).
        let mut users = std::collections::BTreeSet::new();
        for name in &server.users {
            if self.owns_user(name) {
                users.insert(name.clone());
            }
        }
        let mut rules = Vec::new();
        for rule in &server.rules {
            if self.owns_listed(rule) {
                rules.push(rule.clone());
            }
        }
        let outside = Outside {
            users: server.users.len() - users.len(),
            rules: server.rules.len() - rules.len(),
        };
        (ServerAccess { users, rules }, outside)
    }
}

/// How many users and rules on the server are outside a scope.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Outside {
    /// Users outside.
    pub users: usize,
    /// Rules outside.
    pub rules: usize,
}

impl Outside {
    /// `N users and M rules outside this file's scope, untouched`, or
    /// `None` when nothing is outside.
    pub fn line(&self) -> Option<String> {
        if self.users == 0 && self.rules == 0 {
            return None;
        }
        let plural = |n: usize, one: &str, many: &str| {
            let mut text = String::new();
            crate::wire::text::push_decimal(&mut text, n as u64);
            text.push(' ');
            text.push_str(if n == 1 { one } else { many });
            text
        };
        Some(concat(&[
            &plural(self.users, "user", "users"),
            " and ",
            &plural(self.rules, "rule", "rules"),
            " outside this file's scope, untouched",
        ]))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    proptest::proptest! {
        #[test]
        fn glob_matches_is_wildmatch(glob in "[ab*?é]{0,6}", text in "[abé*?]{0,6}") {
            proptest::prop_assert_eq!(
                glob_matches(&glob, &text),
                wildmatch::WildMatch::new(&glob).matches(&text)
            );
        }
    }

    fn scope(users: Option<&[&str]>, exclude: &[&str], patterns: Option<&[&str]>) -> Scope {
        let owned = |list: &[&str]| list.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>();
        Scope {
            users: users.map(owned),
            exclude_users: owned(exclude),
            patterns: patterns.map(owned),
        }
    }

    #[test]
    fn users_match_globs_less_the_excluded() {
        let scope = scope(Some(&["sensor-*", "gw-?"]), &["sensor-admin"], None);
        assert!(scope.owns_user("sensor-1"));
        assert!(scope.owns_user("sensor-"));
        assert!(scope.owns_user("gw-1"));
        assert!(!scope.owns_user("gw-12"));
        assert!(!scope.owns_user("sensor-admin"));
        assert!(!scope.owns_user("xsensor-1"));
        let every = Scope::default();
        assert!(every.owns_user("anyone"));
    }

    #[test]
    fn pattern_rules_are_owned_only_when_patterns_say_so() {
        let users_only = scope(Some(&["team-a-*"]), &[], None);
        assert!(users_only.owns_rule(AclKind::Topic, Some("team-a-1"), "x/#"));
        assert!(!users_only.owns_rule(AclKind::Topic, Some("team-b-1"), "x/#"));
        assert!(!users_only.owns_rule(AclKind::Pattern, None, "home/%u/#"));
        let with_patterns = scope(None, &[], Some(&["home/%u/*", "sensors/*"]));
        assert!(with_patterns.owns_rule(AclKind::Pattern, None, "home/%u/#"));
        assert!(with_patterns.owns_rule(AclKind::Topic, Some("u"), "sensors/1/#"));
        assert!(!with_patterns.owns_rule(AclKind::Topic, Some("u"), "other/#"));
        assert!(!with_patterns.owns_rule(AclKind::Pattern, None, "other/%u"));
    }

    #[test]
    fn a_desired_state_outside_its_scope_is_refused() {
        let scope = scope(Some(&["a-*"]), &[], None);
        let mut desired = DesiredAccess::default();
        desired.users.insert("a-1".into(), None);
        assert_eq!(scope.check(&desired), Ok(()));
        desired.users.insert("b-1".into(), None);
        assert_eq!(
            scope.check(&desired).unwrap_err().to_string(),
            "invalid scope: user \"b-1\" is outside the scope"
        );
        desired.users.remove("b-1");
        desired.rules.push(crate::ops::NewAclRule::Pattern {
            pattern: "x/%u".into(),
            read: true,
            write: false,
        });
        assert_eq!(
            scope.check(&desired).unwrap_err().to_string(),
            "invalid scope: pattern rule \"x/%u\" is outside the scope"
        );
    }

    #[test]
    fn ownership_is_the_union_and_restricts_the_server() {
        let a = scope(Some(&["a-*"]), &[], None);
        let b = scope(Some(&["b-*"]), &[], Some(&["shared/*"]));
        let both = Ownership::of([Some(&a), Some(&b)]);
        assert!(both.owns_user("a-1") && both.owns_user("b-1") && !both.owns_user("c"));
        assert!(Ownership::of([Some(&a), None]).is_everything());
        let rule = |user: Option<&str>, pattern: &str| AclRule::test(user, pattern, true, false);
        let server = ServerAccess {
            users: ["a-1", "b-1", "c"].map(str::to_owned).into(),
            rules: vec![
                rule(Some("a-1"), "x"),
                rule(Some("c"), "x"),
                rule(None, "shared/%u"),
                rule(None, "other/%u"),
            ],
        };
        let (inside, outside) = both.restrict(&server);
        assert_eq!(inside.users.len(), 2);
        assert_eq!(
            inside.rules,
            vec![rule(Some("a-1"), "x"), rule(None, "shared/%u")]
        );
        assert_eq!(outside, Outside { users: 1, rules: 2 });
        assert_eq!(
            outside.line().as_deref(),
            Some("1 user and 2 rules outside this file's scope, untouched")
        );
        assert_eq!(Outside::default().line(), None);
    }
}
