//! Declarative access: the difference between the users and rules meant
//! ([`DesiredAccess`]) and those on the server ([`ServerAccess`]), as a list
//! of changes ([`AccessPlan`]).
//!
//! Pure and linear: users are matched through ordered sets and maps keyed
//! by name, rules through vectors sorted by rule identity, never by
//! scanning one list per entry of the other.
//!
//! A rule's identity is its kind, its user (topic rules) and its pattern;
//! read and write are its rights. The API cannot edit a rule, so a rule
//! whose rights differ is replaced: deleted, then created again.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use crate::config::Secret;
use crate::error::Error;
use crate::model::{AclKind, AclRule};
use crate::ops::NewAclRule;
use crate::validate;
use crate::wire::text::push_quoted;

/// The users and rules meant to be on the server.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DesiredAccess {
    /// Users by name, with the password each gets when it is created (or
    /// when passwords are set). A user may have none: a plan needs no
    /// password, and an apply only those of the users it creates or whose
    /// passwords it sets ([`AccessPlan::missing_passwords`]).
    pub users: BTreeMap<String, Option<Secret>>,
    /// Rules; two with one identity are an error.
    pub rules: Vec<NewAclRule>,
}

/// The users and rules on the server, as read before planning.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ServerAccess {
    /// Every user's name.
    pub users: BTreeSet<String>,
    /// Every rule, in the server's order.
    pub rules: Vec<AclRule>,
}

impl ServerAccess {
    /// A copy, its users inserted one by one: the same value as `clone`,
    /// without the ordered set's separate copying code.
    pub(crate) fn copy(&self) -> Self {
        let mut users = BTreeSet::new();
        for user in &self.users {
            users.insert(user.clone());
        }
        Self {
            users,
            rules: self.rules.clone(),
        }
    }
}

/// What to plan beyond creating what is missing and replacing what differs.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PlanOptions {
    /// Delete users and rules that are on the server and not desired.
    pub prune: bool,
    /// Set the password of every desired user that already exists.
    pub set_passwords: bool,
}

/// One change to the server. With the `serde` feature it serializes as
/// `{"action": "create", "kind": "user", "username": …}`, `{"action":
/// "delete", "kind": "rule", "rule": {…}}` or `{"action": "replace",
/// "kind": "rule", "from": {…}, "to": {…}}` (the action is
/// [`action`](Self::action)).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AccessChange {
    /// Create a user (with its desired password).
    CreateUser {
        /// The user.
        username: String,
    },
    /// Set an existing user's password to the desired one.
    SetPassword {
        /// The user.
        username: String,
    },
    /// Delete a user.
    DeleteUser {
        /// The user.
        username: String,
    },
    /// Create a rule.
    CreateRule {
        /// The rule.
        rule: AclRule,
    },
    /// Delete a rule (every rule with its identity).
    DeleteRule {
        /// The rule.
        rule: AclRule,
    },
    /// Delete a rule and create it again with other rights.
    ReplaceRule {
        /// The rule on the server.
        from: AclRule,
        /// The rule as desired.
        to: AclRule,
    },
}

#[cfg(feature = "serde")]
impl serde::Serialize for AccessChange {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut map = serializer.serialize_map(None)?;
        map.serialize_entry("action", self.action())?;
        match self {
            Self::CreateUser { username }
            | Self::SetPassword { username }
            | Self::DeleteUser { username } => {
                map.serialize_entry("kind", "user")?;
                map.serialize_entry("username", username)?;
            }
            Self::CreateRule { rule } | Self::DeleteRule { rule } => {
                map.serialize_entry("kind", "rule")?;
                map.serialize_entry("rule", rule)?;
            }
            Self::ReplaceRule { from, to } => {
                map.serialize_entry("kind", "rule")?;
                map.serialize_entry("from", from)?;
                map.serialize_entry("to", to)?;
            }
        }
        map.end()
    }
}

impl AccessChange {
    /// Creates a user.
    pub fn create_user(username: &str) -> Self {
        Self::CreateUser {
            username: username.to_owned(),
        }
    }

    /// Sets a user's password.
    pub fn set_password(username: &str) -> Self {
        Self::SetPassword {
            username: username.to_owned(),
        }
    }

    /// Deletes a user.
    pub fn delete_user(username: &str) -> Self {
        Self::DeleteUser {
            username: username.to_owned(),
        }
    }

    /// Creates a rule.
    pub fn create_rule(rule: AclRule) -> Self {
        Self::CreateRule { rule }
    }

    /// Deletes a rule.
    pub fn delete_rule(rule: AclRule) -> Self {
        Self::DeleteRule { rule }
    }

    /// Replaces a rule.
    pub fn replace_rule(from: AclRule, to: AclRule) -> Self {
        Self::ReplaceRule { from, to }
    }

    /// `"create"`, `"replace"`, `"delete"` or `"set-password"`.
    pub fn action(&self) -> &'static str {
        match self {
            Self::CreateUser { .. } | Self::CreateRule { .. } => "create",
            Self::ReplaceRule { .. } => "replace",
            Self::DeleteUser { .. } | Self::DeleteRule { .. } => "delete",
            Self::SetPassword { .. } => "set-password",
        }
    }
}

/// `+ user sensor-1`, `~ rule topic sensor-1 sensors/1/# write -> read+write`,
/// `- rule pattern home/%u/# read+write`, `~ user sensor-1 (set password)`.
impl fmt::Display for AccessChange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text())
    }
}

impl AccessChange {
    /// The change as its `Display` shows it, built without `core::fmt`
    /// (which the WebAssembly build would otherwise carry for it).
    pub fn text(&self) -> String {
        let mut out = String::new();
        match self {
            Self::CreateUser { username } => {
                out.push_str("+ user ");
                out.push_str(username);
            }
            Self::SetPassword { username } => {
                out.push_str("~ user ");
                out.push_str(username);
                out.push_str(" (set password)");
            }
            Self::DeleteUser { username } => {
                out.push_str("- user ");
                out.push_str(username);
            }
            Self::CreateRule { rule } => {
                out.push_str("+ rule ");
                push_rule(&mut out, rule);
            }
            Self::DeleteRule { rule } => {
                out.push_str("- rule ");
                push_rule(&mut out, rule);
            }
            Self::ReplaceRule { from, to } => {
                out.push_str("~ rule ");
                push_rule(&mut out, from);
                out.push_str(" -> ");
                out.push_str(rights(to.read, to.write));
            }
        }
        out
    }
}

/// `topic sensor-1 sensors/1/# write`.
pub(crate) fn push_rule(out: &mut String, rule: &AclRule) {
    out.push_str(rule.kind.as_str());
    if let Some(user) = &rule.username {
        out.push(' ');
        out.push_str(user);
    }
    out.push(' ');
    out.push_str(&rule.pattern);
    out.push(' ');
    out.push_str(rights(rule.read, rule.write));
}

/// `read`, `write`, `read+write` or `none`.
pub fn rights(read: bool, write: bool) -> &'static str {
    match (read, write) {
        (true, true) => "read+write",
        (true, false) => "read",
        (false, true) => "write",
        (false, false) => "none",
    }
}

/// The changes that bring the server to the desired state, in the order
/// apply carries them out: users created and passwords set, rules replaced,
/// deleted and created, users deleted.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct AccessPlan {
    /// The changes; empty when the server is as desired.
    pub changes: Vec<AccessChange>,
}

impl AccessPlan {
    /// Whether there is nothing to do.
    pub fn is_empty(&self) -> bool {
        self.changes.is_empty()
    }

    /// How many changes create, replace and delete something (a password
    /// set counts as a replacement).
    pub fn counts(&self) -> (usize, usize, usize) {
        let mut counts = (0, 0, 0);
        for change in &self.changes {
            match change.action() {
                "create" => counts.0 += 1,
                "delete" => counts.2 += 1,
                _ => counts.1 += 1,
            }
        }
        counts
    }

    /// The users whose password a change sends: those created, and those
    /// whose password is set.
    pub fn password_users(&self) -> impl Iterator<Item = &str> {
        self.changes.iter().filter_map(|change| match change {
            AccessChange::CreateUser { username, .. }
            | AccessChange::SetPassword { username, .. } => Some(username.as_str()),
            _ => None,
        })
    }

    /// The users of [`password_users`](Self::password_users) that have no
    /// password in `desired`: an apply of this plan refuses to start
    /// while there is any.
    pub fn missing_passwords<'a>(&'a self, desired: &DesiredAccess) -> Vec<&'a str> {
        let mut missing = Vec::new();
        for name in self.password_users() {
            if !matches!(desired.users.get(name), Some(Some(_))) {
                missing.push(name);
            }
        }
        missing
    }

    /// `Plan: N to create, N to replace, N to delete.` or `No changes.`
    pub fn summary(&self) -> String {
        if self.is_empty() {
            return "No changes.".to_owned();
        }
        let (create, replace, delete) = self.counts();
        format!("Plan: {create} to create, {replace} to replace, {delete} to delete.")
    }

    /// The rules the server has once the plan is applied: `rules` (the
    /// server's, as the plan read them) less the rules it deletes or
    /// replaces, then the rules it creates, replacements included. (The
    /// order of created rules may differ on the server; what a rule set
    /// allows does not depend on it.)
    pub fn rules_after(&self, rules: &[AclRule]) -> Vec<AclRule> {
        let deleted = |kept: &AclRule| {
            self.changes.iter().any(|change| match change {
                AccessChange::DeleteRule { rule }
                | AccessChange::ReplaceRule { from: rule, .. } => identity(kept) == identity(rule),
                _ => false,
            })
        };
        let mut after = Vec::with_capacity(rules.len());
        for rule in rules {
            if !deleted(rule) {
                after.push(rule.clone());
            }
        }
        for change in &self.changes {
            match change {
                AccessChange::CreateRule { rule } | AccessChange::ReplaceRule { to: rule, .. } => {
                    after.push(rule.clone());
                }
                _ => {}
            }
        }
        after
    }
}

/// A rule's identity: kind, user (topic rules) and pattern.
pub type RuleIdentity<'a> = (AclKind, Option<&'a str>, &'a str);

/// The identity of a rule as listed.
pub fn identity(rule: &AclRule) -> RuleIdentity<'_> {
    (rule.kind, rule.username.as_deref(), &rule.pattern)
}

/// A desired rule as the rule list would show it.
pub fn listed(rule: &NewAclRule) -> AclRule {
    rule.listed()
}

impl DesiredAccess {
    /// Checks every user name, password and rule, and that no two rules
    /// share an identity.
    ///
    /// # Errors
    /// [`Error::InvalidInput`] for the first problem found; its reason names
    /// the user or rule.
    pub fn validate(&self) -> Result<(), Error> {
        for (name, password) in &self.users {
            validate::username(name)?;
            if let Some(password) = password {
                validate::password(password.expose()).map_err(|error| {
                    let mut why = String::from("of user ");
                    push_quoted(&mut why, name);
                    why.push_str(": ");
                    why.push_str(&reason(&error));
                    Error::invalid("password", why)
                })?;
            }
        }
        // The first rule whose identity an earlier rule has: in each run
        // of one identity (sorted, so in rule order), the second rule.
        let sorted = sorted_identities(&self.rules);
        let twin = sorted
            .windows(2)
            .filter(|pair| pair[0].0 == pair[1].0)
            .map(|pair| pair[1].1)
            .min();
        for (index, rule) in self.rules.iter().enumerate() {
            rule.validate()?;
            if twin == Some(index) {
                let mut why = String::from("two rules for ");
                push_identity(&mut why, rule);
                return Err(Error::invalid("rules", why));
            }
        }
        Ok(())
    }
}

/// Each desired rule's identity with its index, sorted: by identity, then
/// in rule order. A sorted vector rather than an ordered map, which is
/// larger in the `.wasm`.
fn sorted_identities(rules: &[NewAclRule]) -> Vec<(RuleIdentity<'_>, usize)> {
    let mut sorted = Vec::with_capacity(rules.len());
    for (index, rule) in rules.iter().enumerate() {
        sorted.push(((rule.kind(), rule.username(), rule.pattern()), index));
    }
    // Unstable is enough: the indices make every entry distinct.
    sorted.sort_unstable();
    sorted
}

/// The entries of `sorted` with identity `key` (see [`sorted_identities`]).
fn with_identity<'s, 'a>(
    sorted: &'s [(RuleIdentity<'a>, usize)],
    key: &RuleIdentity<'_>,
) -> &'s [(RuleIdentity<'a>, usize)] {
    let start = sorted.partition_point(|(identity, _)| identity < key);
    let end = start + sorted[start..].partition_point(|(identity, _)| identity == key);
    &sorted[start..end]
}

fn reason(error: &Error) -> String {
    match error {
        Error::InvalidInput { reason, .. } => reason.clone(),
        // What `Display` shows.
        other => other.message(),
    }
}

/// `topic rule "p" of user "u"`, `pattern rule "p"` (for access files'
/// messages).
#[cfg(feature = "access-file")]
pub(crate) struct IdentityText<'a>(pub(crate) &'a NewAclRule);

#[cfg(feature = "access-file")]
impl fmt::Display for IdentityText<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut out = String::new();
        push_identity(&mut out, self.0);
        f.write_str(&out)
    }
}

/// `topic rule "p" of user "u"` or `pattern rule "p"`: a rule by its
/// identity, as messages name it.
pub fn identity_text(rule: &NewAclRule) -> String {
    let mut out = String::new();
    push_identity(&mut out, rule);
    out
}

/// Appends `topic rule "p" of user "u"` or `pattern rule "p"`, without
/// `core::fmt`.
fn push_identity(out: &mut String, rule: &NewAclRule) {
    out.push_str(rule.kind().as_str());
    out.push_str(" rule ");
    push_quoted(out, rule.pattern());
    if let Some(user) = rule.username() {
        out.push_str(" of user ");
        push_quoted(out, user);
    }
}

/// Whether a plan sends the password of the desired user `name`: it
/// creates the user, or sets passwords (`set_passwords`). The one rule for
/// which passwords a plan needs, so that a caller can look up only those
/// before planning.
pub fn sends_password(name: &str, server: &ServerAccess, options: PlanOptions) -> bool {
    options.set_passwords || !server.users.contains(name)
}

/// Computes the changes from `server` to `desired`.
///
/// Runs in `O((u + r) log(u + r))` for `u` users and `r` rules.
///
/// # Errors
/// [`Error::InvalidInput`] when `desired` is invalid ([`DesiredAccess::validate`]),
/// or names a topic rule whose user is neither desired nor on the server
/// (nor kept, with `prune`).
pub fn plan(
    desired: &DesiredAccess,
    server: &ServerAccess,
    options: PlanOptions,
) -> Result<AccessPlan, Error> {
    desired.validate()?;
    for rule in &desired.rules {
        if let Some(user) = rule.username()
            && !desired.users.contains_key(user)
            && (options.prune || !server.users.contains(user))
        {
            let where_ = if options.prune {
                "is not in the desired users (and pruning would delete it)"
            } else {
                "is neither in the desired users nor on the server"
            };
            let mut why = String::from("user ");
            push_quoted(&mut why, user);
            why.push_str(" of ");
            push_identity(&mut why, rule);
            why.push(' ');
            why.push_str(where_);
            return Err(Error::invalid("username", why));
        }
    }

    let mut creates = Vec::new();
    let mut passwords = Vec::new();
    for name in desired.users.keys() {
        if !sends_password(name, server, options) {
            continue;
        }
        if server.users.contains(name) {
            passwords.push(AccessChange::set_password(name));
        } else {
            // The validator creating the user runs: a plan that passes
            // is one apply can carry out.
            validate::new_username(name)?;
            creates.push(AccessChange::create_user(name));
        }
    }

    // Server rules by identity (duplicates are possible on a server that
    // does not merge them), each identity's in the server's order.
    let mut on_server: Vec<(RuleIdentity<'_>, usize)> = Vec::with_capacity(server.rules.len());
    for (index, rule) in server.rules.iter().enumerate() {
        on_server.push((identity(rule), index));
    }
    on_server.sort_unstable();
    let wanted = sorted_identities(&desired.rules);

    let mut replaces = Vec::new();
    let mut rule_deletes = Vec::new();
    let mut rule_creates = Vec::new();
    for (key, index) in &wanted {
        let to = listed(&desired.rules[*index]);
        match with_identity(&on_server, key) {
            [] => rule_creates.push(AccessChange::create_rule(to)),
            found => {
                let first = &server.rules[found[0].1];
                let same = found.len() == 1 && first.read == to.read && first.write == to.write;
                if !same {
                    replaces.push(AccessChange::replace_rule(first.clone(), to));
                }
            }
        }
    }
    let mut user_deletes = Vec::new();
    if options.prune {
        for (position, (key, index)) in on_server.iter().enumerate() {
            let first = position == 0 || on_server[position - 1].0 != *key;
            if first && with_identity(&wanted, key).is_empty() {
                rule_deletes.push(AccessChange::delete_rule(server.rules[*index].clone()));
            }
        }
        for name in &server.users {
            if !desired.users.contains_key(name) {
                user_deletes.push(AccessChange::delete_user(name));
            }
        }
    }

    let mut changes = creates;
    changes.extend(passwords);
    changes.extend(replaces);
    changes.extend(rule_deletes);
    changes.extend(rule_creates);
    changes.extend(user_deletes);
    Ok(AccessPlan { changes })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn topic(user: &str, pattern: &str, read: bool, write: bool) -> NewAclRule {
        NewAclRule::Topic {
            username: user.into(),
            pattern: pattern.into(),
            read,
            write,
        }
    }

    fn pattern(pattern: &str, read: bool, write: bool) -> NewAclRule {
        NewAclRule::Pattern {
            pattern: pattern.into(),
            read,
            write,
        }
    }

    fn desired(users: &[&str], rules: Vec<NewAclRule>) -> DesiredAccess {
        DesiredAccess {
            users: users
                .iter()
                .map(|name| ((*name).to_owned(), Some(Secret::new(format!("pw-{name}")))))
                .collect(),
            rules,
        }
    }

    fn server(users: &[&str], rules: Vec<NewAclRule>) -> ServerAccess {
        ServerAccess {
            users: users.iter().map(|name| (*name).to_owned()).collect(),
            rules: rules.iter().map(listed).collect(),
        }
    }

    fn lines(plan: &AccessPlan) -> Vec<String> {
        plan.changes.iter().map(ToString::to_string).collect()
    }

    #[test]
    fn table() {
        let none = PlanOptions::default();
        let prune = PlanOptions {
            prune: true,
            ..none
        };
        let passwords = PlanOptions {
            set_passwords: true,
            ..none
        };
        let cases: Vec<(DesiredAccess, ServerAccess, PlanOptions, Vec<&str>)> = vec![
            (desired(&[], vec![]), server(&[], vec![]), none, vec![]),
            (
                desired(
                    &["sensor-1"],
                    vec![
                        topic("sensor-1", "sensors/1/#", false, true),
                        pattern("home/%u/#", true, true),
                    ],
                ),
                server(&[], vec![]),
                none,
                vec![
                    "+ user sensor-1",
                    "+ rule topic sensor-1 sensors/1/# write",
                    "+ rule pattern home/%u/# read+write",
                ],
            ),
            (
                desired(&["a"], vec![topic("a", "t", true, true)]),
                server(
                    &["a", "old"],
                    vec![topic("a", "t", false, true), pattern("p", true, false)],
                ),
                none,
                vec!["~ rule topic a t write -> read+write"],
            ),
            (
                desired(&["a"], vec![topic("a", "t", true, true)]),
                server(
                    &["a", "old"],
                    vec![
                        topic("a", "t", true, true),
                        topic("old", "x", true, false),
                        pattern("p", true, false),
                    ],
                ),
                prune,
                vec![
                    "- rule topic old x read",
                    "- rule pattern p read",
                    "- user old",
                ],
            ),
            (
                desired(&["a", "b"], vec![]),
                server(&["a"], vec![]),
                passwords,
                vec!["+ user b", "~ user a (set password)"],
            ),
            // A topic rule for a user kept on the server (no prune).
            (
                desired(&[], vec![topic("legacy", "t", true, false)]),
                server(&["legacy"], vec![]),
                none,
                vec!["+ rule topic legacy t read"],
            ),
            // Duplicates on the server are replaced by one rule.
            (
                desired(&["a"], vec![topic("a", "t", true, true)]),
                server(
                    &["a"],
                    vec![topic("a", "t", true, true), topic("a", "t", true, true)],
                ),
                none,
                vec!["~ rule topic a t read+write -> read+write"],
            ),
        ];
        for (desired, server, options, expected) in cases {
            let plan = plan(&desired, &server, options).unwrap();
            assert_eq!(lines(&plan), expected);
        }
    }

    #[test]
    fn refusals() {
        let none = PlanOptions::default();
        let error = plan(
            &desired(&[], vec![topic("ghost", "t", true, true)]),
            &server(&[], vec![]),
            none,
        )
        .unwrap_err();
        assert!(error.to_string().contains("\"ghost\""), "{error}");
        let error = plan(
            &desired(&[], vec![topic("legacy", "t", true, true)]),
            &server(&["legacy"], vec![]),
            PlanOptions {
                prune: true,
                ..none
            },
        )
        .unwrap_err();
        assert!(error.to_string().contains("pruning"), "{error}");
        let error = plan(
            &desired(
                &["a"],
                vec![topic("a", "t", true, true), topic("a", "t", false, true)],
            ),
            &server(&[], vec![]),
            none,
        )
        .unwrap_err();
        assert!(error.to_string().contains("two rules"), "{error}");
        // The first rule whose identity an earlier one has is named; a
        // rule invalid before it is reported first.
        let rules = vec![
            pattern("x", true, false),
            pattern("y", true, false),
            pattern("y", false, true),
            pattern("x", false, true),
        ];
        let error = desired(&[], rules.clone()).validate().unwrap_err();
        assert!(
            error
                .to_string()
                .ends_with("two rules for pattern rule \"y\""),
            "{error}"
        );
        let mut invalid_first = rules;
        invalid_first.insert(1, pattern("", true, false));
        let error = desired(&[], invalid_first).validate().unwrap_err();
        assert!(!error.to_string().contains("two rules"), "{error}");
        let mut bad = desired(&["a"], vec![]);
        bad.users.insert("b".into(), Some(Secret::new("")));
        assert_eq!(
            plan(&bad, &server(&[], vec![]), none).unwrap_err().field(),
            Some("password")
        );
    }

    #[cfg(feature = "serde")]
    #[test]
    fn the_rules_after_a_plan() {
        let server = server(
            &["a"],
            vec![
                topic("a", "gone", true, true),
                topic("a", "changed", true, true),
                topic("a", "kept", true, false),
            ],
        );
        let desired = desired(
            &["a"],
            vec![
                topic("a", "kept", true, false),
                topic("a", "changed", true, false),
                topic("a", "new", false, true),
            ],
        );
        let plan = plan(
            &desired,
            &server,
            PlanOptions {
                prune: true,
                set_passwords: false,
            },
        )
        .unwrap();
        let after: Vec<(String, bool, bool)> = plan
            .rules_after(&server.rules)
            .into_iter()
            .map(|rule| (rule.pattern, rule.read, rule.write))
            .collect();
        let mut after = after;
        after.sort();
        assert_eq!(
            after,
            [
                ("changed".to_owned(), true, false),
                ("kept".to_owned(), true, false),
                ("new".to_owned(), false, true)
            ]
        );
    }

    #[test]
    fn summary_and_json() {
        let plan = plan(
            &desired(&["a"], vec![topic("a", "t", true, false)]),
            &server(
                &["a", "b"],
                vec![topic("a", "t", true, true), pattern("p", true, true)],
            ),
            PlanOptions {
                prune: true,
                set_passwords: true,
            },
        )
        .unwrap();
        assert_eq!(
            plan.summary(),
            "Plan: 0 to create, 2 to replace, 2 to delete."
        );
        assert_eq!(AccessPlan::default().summary(), "No changes.");
        let json = serde_json::to_value(&plan).unwrap();
        assert_eq!(
            json,
            serde_json::json!({"changes": [
                {"action": "set-password", "kind": "user", "username": "a"},
                {"action": "replace", "kind": "rule",
                 "from": {"type": "topic", "pattern": "t", "read": true, "write": true, "username": "a"},
                 "to": {"type": "topic", "pattern": "t", "read": true, "write": false, "username": "a"}},
                {"action": "delete", "kind": "rule",
                 "rule": {"type": "pattern", "pattern": "p", "read": true, "write": true, "username": null}},
                {"action": "delete", "kind": "user", "username": "b"},
            ]})
        );
    }
}
