//! Who may publish or receive on a topic, answered exactly as the Mosquitto
//! broker behind CloudMQTT would, and a lint over a rule set.
//!
//! [`evaluate`] takes the rule list (`GET /acl` items) and a query
//! ([`AccessQuery`]: user, optional client id, topic, read or write) and
//! answers with an [`AccessDecision`]: allowed or not, and the rule that
//! decided. [`lint`] looks for rules that do nothing or too much.
//!
//! Everything here is pure and sans-IO: plain functions of their arguments,
//! with no clock, no randomness and no I/O, so the crate is usable alone,
//! on rules read however the caller likes (from the API, a file, a test).
//! The model ([`AclRule`], [`AclKind`], [`User`]), the [`Error`] type and
//! the validators are those of the [`cloudmqtt_api`] client; the model is
//! re-exported here so that a caller needs no other import.
//!
//! ```
//! use cloudmqtt_access::{Access, AccessQuery, AclKind, AclRule, evaluate, lint};
//!
//! let rules = vec![AclRule {
//!     kind: AclKind::Pattern,
//!     pattern: "home/%u/#".into(),
//!     read: true,
//!     write: true,
//!     username: None,
//! }];
//! let query = AccessQuery::new("alice", None, "home/alice/light", Access::Write);
//! assert!(evaluate(&rules, &query)?.allowed);
//! let query = AccessQuery::new("alice", None, "home/bob/light", Access::Write);
//! assert!(!evaluate(&rules, &query)?.allowed);
//! assert!(lint(None, &rules).is_empty());
//! # Ok::<(), cloudmqtt_access::Error>(())
//! ```
//!
//! # Semantics
//! Those of Mosquitto 2.0's `acl_file` check (checked against 2.0.11),
//! applied to the rules as the service writes them into the broker's
//! `acl_file`: a rule with read and write is `readwrite`, read only `read`,
//! write only `write`, neither `deny`; topic rules go under a `user` line
//! for their user, pattern rules apply to every user. Line numbers are
//! those of eclipse/mosquitto at `v2.0.11`.
//!
//! 1. A topic starting with `$SYS` may not be written, except one matching
//!    `$SYS/broker/connection/+/state`; a topic starting with `$share` may
//!    be neither read nor written. Both are plain prefixes (`strncmp`), so
//!    `$SYSTEM` counts as `$SYS` (`src/security.c:646-676`,
//!    `acl__check_dollar`, called at `src/security.c:695`). Otherwise the
//!    rules decide.
//! 2. With neither topic rules for the user nor pattern rules, access is
//!    denied (`src/security_default.c:395`).
//! 3. The user's topic rules come first. Deny rules are put at the front
//!    of the user's list when the file is read (`src/security_default.c:271-274`),
//!    so they are tried first, the last one written first; the others
//!    follow in the order written (`:276-279`). A topic rule is skipped for
//!    a topic starting with `$` when its filter does not start with `$`
//!    (`:408-411`). The first matching rule that is a deny rule denies
//!    (`:414-417`); the first matching rule that has the requested access
//!    allows (`:418-421`); a matching rule without that access does not end
//!    the check (`:423`). Topic rules are not substituted: `%u` in a topic
//!    rule is the two characters `%u`.
//! 4. If there is any pattern rule and the user name or the client id
//!    contains `+` or `#`, access is denied (`:428-445`). This comes only
//!    after the user's own topic rules did not decide.
//! 5. Pattern rules are tried in the same order (deny rules first, the
//!    last written first: `:351-354`). In each, `%c` becomes the client id
//!    and `%u` the user name, in one pass from the left; nothing inserted
//!    is substituted again, and a `/` in a name adds levels (`:466-486`).
//!    The substituted filter is matched (`:488`), with the same deny and
//!    allow steps as topic rules (`:490-499`). A pattern deny rule therefore
//!    never overrides a topic rule that allowed.
//! 6. Nothing matched: denied (`:504`).
//!
//! Matching is `mosquitto_topic_matches_sub` (`lib/util_topic.c:198-327`),
//! ported byte for byte: `+` matches one level, an empty one included;
//! `#` matches the rest, the parent level included (`a/#` matches `a`, and
//! `a/+/#` matches `a/b`); a filter starting with `$` matches only topics
//! starting with `$` and the other way round (`:212-216`), so `#` and
//! `+/#` never match `$` topics. For pattern rules that check applies to
//! the substituted filter (`%u/#` matches `$x/y` for user `$x`).
//!
//! Reading is receiving: a message is delivered to a subscriber only if
//! the subscriber may read its topic (`src/subs.c:72`, and
//! `src/retain.c:149` for retained messages). Subscribing itself is never
//! checked (`src/security_default.c:383`).
//!
//! A query without a client id is answered for a client id that is none of
//! the topic's levels: pattern rules containing `%c` are skipped.

#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod acl_file;
pub mod diff;
pub mod diff_json;
pub mod explain;
pub mod log;
pub mod suite;
mod text;

use cloudmqtt_api::validate;
pub use cloudmqtt_api::{AclKind, AclRule, Error, User};
use text::{concat, has_placeholder};

/// Reading (receiving messages) or writing (publishing).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "lowercase"))]
pub enum Access {
    /// Receiving messages on the topic.
    Read,
    /// Publishing to the topic.
    Write,
}

impl Access {
    /// `"read"` or `"write"`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Read => "read",
            Self::Write => "write",
        }
    }

    /// Reads `"read"` or `"write"`.
    ///
    /// # Errors
    /// [`Error::InvalidInput`] naming `access`.
    pub fn parse(text: &str) -> Result<Self, Error> {
        match text {
            "read" => Ok(Self::Read),
            "write" => Ok(Self::Write),
            _ => Err(Error::InvalidInput {
                field: "access",
                reason: "must be \"read\" or \"write\"".into(),
            }),
        }
    }

    /// Whether a rule with these flags grants this access.
    pub(crate) fn granted_by(self, rule: &AclRule) -> bool {
        match self {
            Self::Read => rule.read,
            Self::Write => rule.write,
        }
    }
}

/// May this client read or write this topic?
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct AccessQuery {
    /// The MQTT user name the client connects with.
    pub username: String,
    /// The client id; without one, rules using `%c` match nothing.
    pub client_id: Option<String>,
    /// The topic name (no wildcards).
    pub topic: String,
    /// Read or write.
    pub access: Access,
}

impl AccessQuery {
    /// A query.
    pub fn new(
        username: impl Into<String>,
        client_id: Option<String>,
        topic: impl Into<String>,
        access: Access,
    ) -> Self {
        Self {
            username: username.into(),
            client_id,
            topic: topic.into(),
            access,
        }
    }

    /// Checks the query: a valid user name, client id and topic name.
    ///
    /// # Errors
    /// [`Error::InvalidInput`] naming `username`, `client_id` or `topic`.
    pub fn validate(&self) -> Result<(), Error> {
        validate::username(&self.username)?;
        if let Some(id) = &self.client_id {
            validate::client_id(id)?;
        }
        validate::topic_name("topic", &self.topic)
    }
}

/// Why a query was answered as it was.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Reason {
    /// A rule decided (see [`AccessDecision::rule`]).
    Rule,
    /// No rule matched.
    NoRuleMatches,
    /// Writing under `$SYS` is refused by the broker.
    SysWrite,
    /// Reading or writing under `$share` is refused by the broker.
    Share,
    /// The user name contains `+` or `#` and there are pattern rules.
    WildcardUsername,
    /// The client id contains `+` or `#` and there are pattern rules.
    WildcardClientId,
}

impl Reason {
    /// A short explanation, for a denial without a rule.
    pub fn describe(self) -> &'static str {
        match self {
            Self::Rule => "a rule decided",
            Self::NoRuleMatches => "no rule matches",
            Self::SysWrite => "the broker refuses writes under $SYS",
            Self::Share => "the broker refuses reads and writes under $share",
            Self::WildcardUsername => {
                "the user name contains '+' or '#' and there are pattern rules"
            }
            Self::WildcardClientId => {
                "the client id contains '+' or '#' and there are pattern rules"
            }
        }
    }
}

/// The answer to an [`AccessQuery`].
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct AccessDecision {
    /// Whether the access is allowed.
    pub allowed: bool,
    /// The rule that decided: the allowing rule, or a deny rule; `None`
    /// when no rule did.
    pub rule: Option<AclRule>,
    /// Why (not part of the serialised form).
    #[cfg_attr(feature = "serde", serde(skip, default = "no_rule"))]
    pub reason: Reason,
    /// Where [`AccessDecision::rule`] is in the rule list (not part of the
    /// serialised form).
    #[cfg_attr(feature = "serde", serde(skip))]
    pub index: Option<usize>,
}

#[cfg(feature = "serde")]
fn no_rule() -> Reason {
    Reason::NoRuleMatches
}

/// The topic the broker lets anyone write under `$SYS` (bridge state).
pub(crate) const SYS_WRITABLE: &str = "$SYS/broker/connection/+/state";

/// Answers a query over a rule list, as the broker would.
///
/// # Errors
/// [`Error::InvalidInput`] when the query is not valid
/// ([`AccessQuery::validate`]).
pub fn evaluate(rules: &[AclRule], query: &AccessQuery) -> Result<AccessDecision, Error> {
    let (allowed, decided) = evaluate_at(rules, query)?;
    Ok(AccessDecision {
        allowed,
        rule: decided.index.map(|index| rules[index].clone()),
        reason: decided.reason,
        index: decided.index,
    })
}

/// Which rule decided, or why none did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Decided {
    /// The deciding rule's position in the list.
    pub index: Option<usize>,
    /// Why.
    pub reason: Reason,
}

/// [`evaluate`] without copying the deciding rule: whether access is
/// allowed, and what decided.
///
/// # Errors
/// [`Error::InvalidInput`] when the query is not valid.
pub fn evaluate_at(rules: &[AclRule], query: &AccessQuery) -> Result<(bool, Decided), Error> {
    query.validate()?;
    Ok(decide(rules, query))
}

/// [`evaluate_at`] for a query known to be valid.
pub(crate) fn decide(rules: &[AclRule], query: &AccessQuery) -> (bool, Decided) {
    let wildcard = |text: &str| text.bytes().any(|byte| byte == b'+' || byte == b'#');
    let wildcard_name = if wildcard(&query.username) {
        Some(Reason::WildcardUsername)
    } else if query.client_id.as_deref().is_some_and(wildcard) {
        Some(Reason::WildcardClientId)
    } else {
        None
    };
    let decided = in_order(
        gate(query.topic.split('/'), query.access == Access::Write),
        || first_decision(rules, query, AclKind::Topic),
        rules.iter().any(|rule| rule.kind == AclKind::Pattern),
        wildcard_name,
        || first_decision(rules, query, AclKind::Pattern),
    );
    match decided {
        Ok((index, allowed)) => (
            allowed,
            Decided {
                index: Some(index),
                reason: Reason::Rule,
            },
        ),
        Err(reason) => (
            false,
            Decided {
                index: None,
                reason,
            },
        ),
    }
}

/// What refuses a topic before any rule is looked at: a write under
/// `$SYS` other than to the one writable topic, anything under `$share`.
pub(crate) fn gate<'t>(
    levels: impl Iterator<Item = &'t str> + Clone,
    write: bool,
) -> Option<Reason> {
    let first = levels.clone().next().unwrap_or("");
    if first.starts_with("$SYS") {
        (write && !levels_match(SYS_WRITABLE.split('/'), levels)).then_some(Reason::SysWrite)
    } else {
        first.starts_with("$share").then_some(Reason::Share)
    }
}

/// The broker's order of decision, the one both the evaluator and the
/// access diff follow: what [`gate`] refuses; else the subject's topic
/// rules (`own`, `Some` when one decides); else, when there are pattern
/// rules and neither name holds `+` or `#` (`wildcard_name` says which
/// does), the pattern rules alike; else no rule matches.
pub(crate) fn in_order<T>(
    gated: Option<Reason>,
    own: impl FnOnce() -> Option<T>,
    has_patterns: bool,
    wildcard_name: Option<Reason>,
    patterns: impl FnOnce() -> Option<T>,
) -> Result<T, Reason> {
    if let Some(reason) = gated {
        return Err(reason);
    }
    if let Some(found) = own() {
        return Ok(found);
    }
    if !has_patterns {
        return Err(Reason::NoRuleMatches);
    }
    if let Some(reason) = wildcard_name {
        return Err(reason);
    }
    patterns().ok_or(Reason::NoRuleMatches)
}

/// The first rule of one list (the user's topic rules, or the pattern
/// rules) that decides, in the order the broker tries them: deny rules
/// first, the last written first, then the others as written. Returns its
/// position and whether it allows.
fn first_decision(rules: &[AclRule], query: &AccessQuery, kind: AclKind) -> Option<(usize, bool)> {
    let matches = |rule: &AclRule| {
        rule.kind == kind
            && match kind {
                // Not substituted; a `$` topic needs a filter starting with
                // `$`, which matching checks too.
                AclKind::Topic => {
                    rule.username.as_deref() == Some(&query.username)
                        && topic_matches(&rule.pattern, &query.topic)
                }
                AclKind::Pattern => {
                    substitute(&rule.pattern, &query.username, query.client_id.as_deref())
                        .is_some_and(|filter| topic_matches(&filter, &query.topic))
                }
            }
    };
    if let Some(index) = rules
        .iter()
        .rposition(|rule| is_deny(rule) && matches(rule))
    {
        return Some((index, false));
    }
    rules
        .iter()
        .position(|rule| !is_deny(rule) && query.access.granted_by(rule) && matches(rule))
        .map(|index| (index, true))
}

/// Whether a rule is a deny rule (neither read nor write).
pub(crate) fn is_deny(rule: &AclRule) -> bool {
    !rule.read && !rule.write
}

/// A pattern rule's filter with `%u` and `%c` replaced, in one pass from
/// the left; `None` when it uses `%c` and there is no client id.
pub fn substitute(pattern: &str, username: &str, client_id: Option<&str>) -> Option<String> {
    let mut out = String::with_capacity(pattern.len());
    let mut rest = pattern;
    while let Some(at) = rest.find('%') {
        out.push_str(&rest[..at]);
        rest = &rest[at + 1..];
        let insert = match rest.as_bytes().first() {
            Some(b'c') => client_id?,
            Some(b'u') => username,
            _ => {
                out.push('%');
                continue;
            }
        };
        out.push_str(insert);
        rest = &rest[1..];
    }
    out.push_str(rest);
    Some(out)
}

/// Whether an MQTT topic filter matches a topic name, as Mosquitto's
/// `mosquitto_topic_matches_sub` decides: level by level, `+` one level
/// (an empty one too), `#` the rest and the parent level, `$` topics only
/// for filters starting with `$`; an invalid filter matches nothing.
/// `topic` is a topic name: without `+` or `#` ([`validate::topic_name`]).
/// (`tests/access.rs` checks this against a byte-for-byte port of
/// Mosquitto's function.)
pub fn topic_matches(filter: &str, topic: &str) -> bool {
    !topic.is_empty() && levels_match(filter.split('/'), topic.split('/'))
}

/// [`topic_matches`] on a filter and a topic already split into levels:
/// the one matcher, which the access diff runs on levels it split once.
pub(crate) fn levels_match<'f, 't>(
    filter: impl IntoIterator<Item = &'f str>,
    topic: impl IntoIterator<Item = &'t str>,
) -> bool {
    let mut filter = filter.into_iter().peekable();
    let mut topic = topic.into_iter().peekable();
    let dollar = |level: Option<&&str>| level.is_some_and(|level| level.starts_with('$'));
    if dollar(filter.peek()) != dollar(topic.peek()) {
        return false;
    }
    while let Some(level) = filter.next() {
        if level == "#" {
            // Valid only as the last level.
            return filter.next().is_none();
        }
        match topic.next() {
            None => return false,
            // A level holding a wildcard never equals a topic's.
            Some(name) if level != "+" && level != name => return false,
            Some(_) => {}
        }
    }
    topic.next().is_none()
}

// ---------------------------------------------------------------------------
// Lint

/// How serious a finding is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "lowercase"))]
pub enum Severity {
    /// Worth knowing; nothing is wrong.
    Info,
    /// Probably a mistake.
    Warning,
    /// Almost certainly a mistake, or a security risk.
    Error,
}

impl Severity {
    /// `"info"`, `"warning"` or `"error"`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Info => "info",
            Self::Warning => "warning",
            Self::Error => "error",
        }
    }
}

/// What a finding is about; each has a stable code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "kebab-case"))]
#[non_exhaustive]
pub enum FindingCode {
    /// `unknown-user`: a topic rule for a user that does not exist.
    UnknownUser,
    /// `shadowed`: another rule makes this one useless (it never changes an
    /// answer).
    Shadowed,
    /// `world-writable`: a pattern rule lets every user write on every
    /// topic.
    WorldWritable,
    /// `world-readable`: a pattern rule lets every user read every topic.
    WorldReadable,
    /// `unmatchable`: no topic can match the rule, or the broker refuses
    /// every access it could give.
    Unmatchable,
    /// `literal-placeholder`: a topic rule contains `%u` or `%c`, which
    /// only pattern rules substitute.
    LiteralPlaceholder,
    /// `pattern-without-placeholder`: a pattern rule without `%u` or `%c`
    /// applies to every user alike (Mosquitto warns about it).
    PatternWithoutPlaceholder,
}

impl FindingCode {
    /// The stable code, e.g. `"shadowed"`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::UnknownUser => "unknown-user",
            Self::Shadowed => "shadowed",
            Self::WorldWritable => "world-writable",
            Self::WorldReadable => "world-readable",
            Self::Unmatchable => "unmatchable",
            Self::LiteralPlaceholder => "literal-placeholder",
            Self::PatternWithoutPlaceholder => "pattern-without-placeholder",
        }
    }

    /// How serious findings of this kind are.
    pub fn severity(self) -> Severity {
        match self {
            Self::WorldWritable => Severity::Error,
            Self::UnknownUser
            | Self::Shadowed
            | Self::WorldReadable
            | Self::Unmatchable
            | Self::LiteralPlaceholder => Severity::Warning,
            Self::PatternWithoutPlaceholder => Severity::Info,
        }
    }
}

/// One thing [`lint`] found.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Finding {
    /// The stable code.
    pub code: FindingCode,
    /// How serious it is.
    pub severity: Severity,
    /// What is wrong, in words.
    pub message: String,
    /// The rules involved: the rule at fault first, then the rule that
    /// causes it (for `shadowed`).
    pub rules: Vec<AclRule>,
}

impl Finding {
    fn new(code: FindingCode, message: String, rules: Vec<AclRule>) -> Self {
        Self {
            code,
            severity: code.severity(),
            message,
            rules,
        }
    }
}

/// Describes a rule as `topic rule for U on F (read+write)`.
pub fn describe_rule(rule: &AclRule) -> String {
    let access = match (rule.read, rule.write) {
        (true, true) => "read+write",
        (true, false) => "read",
        (false, true) => "write",
        (false, false) => "deny",
    };
    // Concatenated rather than formatted: the WebAssembly build carries no
    // `core::fmt` for it.
    let whose = match (rule.kind, &rule.username) {
        (AclKind::Topic, Some(user)) => concat(&["topic rule for ", user, " on "]),
        (AclKind::Topic, None) => "topic rule on ".to_owned(),
        (AclKind::Pattern, _) => "pattern rule on ".to_owned(),
    };
    concat(&[&whose, rule.pattern.as_str(), " (", access, ")"])
}

/// Looks for mistakes in a rule set. With `users` (the users that exist),
/// topic rules for other users are reported too.
///
/// Findings come in rule order; see [`FindingCode`] for what each means.
pub fn lint(users: Option<&[User]>, rules: &[AclRule]) -> Vec<Finding> {
    let mut findings = Vec::new();
    for (index, rule) in rules.iter().enumerate() {
        let described = describe_rule(rule);
        if let (Some(users), AclKind::Topic, Some(name)) = (users, rule.kind, &rule.username)
            && !users.iter().any(|user| &user.username == name)
        {
            findings.push(Finding::new(
                FindingCode::UnknownUser,
                format!("{described}: user {name:?} does not exist"),
                vec![rule.clone()],
            ));
        }
        if let Some(why) = unmatchable(rule) {
            findings.push(Finding::new(
                FindingCode::Unmatchable,
                format!("{described}: {why}"),
                vec![rule.clone()],
            ));
        }
        if rule.kind == AclKind::Topic && has_placeholder(&rule.pattern) {
            findings.push(Finding::new(
                FindingCode::LiteralPlaceholder,
                format!(
                    "{described}: topic rules do not substitute %u or %c; this rule matches the literal text (use a pattern rule)"
                ),
                vec![rule.clone()],
            ));
        }
        if rule.kind == AclKind::Pattern {
            let everything = covers_everything(&rule.pattern);
            if everything && rule.write {
                findings.push(Finding::new(
                    FindingCode::WorldWritable,
                    format!("{described}: every user may publish on every topic"),
                    vec![rule.clone()],
                ));
            }
            if everything && rule.read {
                findings.push(Finding::new(
                    FindingCode::WorldReadable,
                    format!("{described}: every user may read every topic"),
                    vec![rule.clone()],
                ));
            }
            if !has_placeholder(&rule.pattern) && !everything {
                findings.push(Finding::new(
                    FindingCode::PatternWithoutPlaceholder,
                    format!("{described}: has no %u or %c, so it applies to every user alike"),
                    vec![rule.clone()],
                ));
            }
        }
        if let Some(other) = shadowing(rules, index) {
            findings.push(Finding::new(
                FindingCode::Shadowed,
                format!(
                    "{described} never changes an answer: {} matches wherever it does and {}",
                    describe_rule(other),
                    if is_deny(other) {
                        "denies first"
                    } else {
                        "allows at least as much"
                    }
                ),
                vec![rule.clone(), other.clone()],
            ));
        }
    }
    findings
}

/// Why no access can come of a rule, if none can.
fn unmatchable(rule: &AclRule) -> Option<&'static str> {
    let filter = rule.pattern.as_str();
    if let Err(_error) = validate::acl_topic_filter("pattern", filter) {
        return Some("the broker cannot hold this filter or no topic can match it");
    }
    // Rules substitute only in pattern rules; a literal filter's first
    // level decides which `$` prefix its topics have.
    let literal_start = rule.kind == AclKind::Topic || !filter.starts_with('%');
    if literal_start && filter.starts_with("$share") {
        return Some("the broker refuses every read and write under $share");
    }
    if literal_start
        && filter.starts_with("$SYS")
        && !rule.read
        && rule.write
        && !could_match_sys_writable(filter)
    {
        return Some("the broker refuses writes under $SYS");
    }
    None
}

/// Whether a filter starting with `$SYS` could match a topic of the form
/// `$SYS/broker/connection/+/state`.
fn could_match_sys_writable(filter: &str) -> bool {
    let levels = text::split_levels(filter);
    let want = ["$SYS", "broker", "connection", "", "state"];
    for (index, level) in levels.iter().enumerate() {
        if *level == "#" {
            return true;
        }
        let Some(expected) = want.get(index) else {
            return false;
        };
        if *level != "+" && !level.contains('%') && index != 3 && level != expected {
            return false;
        }
    }
    levels.len() == want.len()
}

/// Whether a filter matches every topic that does not start with `$`.
fn covers_everything(filter: &str) -> bool {
    filter == "#" || filter == "+/#"
}

/// A rule that makes `rules[index]` useless, if there is one: in the same
/// list (the same user's topic rules, or the pattern rules), a rule the
/// broker tries no later that matches every topic this one matches and
/// decides the same way or denies.
fn shadowing(rules: &[AclRule], index: usize) -> Option<&AclRule> {
    let rule = &rules[index];
    let same_list = |other: &AclRule| match rule.kind {
        AclKind::Topic => other.kind == AclKind::Topic && other.username == rule.username,
        AclKind::Pattern => other.kind == AclKind::Pattern,
    };
    rules.iter().enumerate().find_map(|(other_index, other)| {
        if other_index == index || !same_list(other) {
            return None;
        }
        let substitutes = rule.kind == AclKind::Pattern;
        if !covers(&other.pattern, &rule.pattern, substitutes) {
            return None;
        }
        let identical = covers(&rule.pattern, &other.pattern, substitutes);
        let useless = if is_deny(other) {
            // A deny rule is tried before every allow rule; among deny
            // rules, the later one first. Of two identical deny rules, the
            // earlier one is the useless one.
            !is_deny(rule) || !identical || other_index > index
        } else if is_deny(rule) {
            false
        } else {
            // Both allow: `other` grants at least as much wherever `rule`
            // matches. Of two identical ones, the later is the useless one.
            (other.read || !rule.read)
                && (other.write || !rule.write)
                && (!identical
                    || (other.read, other.write) != (rule.read, rule.write)
                    || other_index < index)
        };
        useless.then_some(other)
    })
}

/// Whether every topic `inner` matches is also matched by `outer`
/// (conservative: `false` when unsure). With `substitutes`, levels holding
/// `%u` or `%c` are covered only by the same text or by `#`.
pub fn covers(outer: &str, inner: &str, substitutes: bool) -> bool {
    let outer_levels = text::split_levels(outer);
    let inner_levels = text::split_levels(inner);
    let placeholder = |level: &str| substitutes && has_placeholder(level);
    // With substitution, a `%` level may turn into several: only a prefix
    // of identical levels and then `#` is safe once one was met.
    let mut shifted = false;
    for (index, outer_level) in outer_levels.iter().enumerate() {
        let Some(inner_level) = inner_levels.get(index) else {
            // `a/#` covers `a` (and `a/+/#` covers `a/b`), nothing else
            // does when `inner` is shorter.
            return outer_levels[index..] == ["#"];
        };
        let dollar_start = index == 0 && inner_level.starts_with('$');
        if *outer_level == "#" {
            return !(dollar_start || (index == 0 && placeholder(inner_level)));
        }
        if *inner_level == "#" {
            return false;
        }
        if outer_level == inner_level {
            if placeholder(inner_level) {
                shifted = true;
            }
            continue;
        }
        if shifted || placeholder(inner_level) || placeholder(outer_level) {
            return false;
        }
        if *outer_level == "+" && !dollar_start && *inner_level != "#" {
            continue;
        }
        return false;
    }
    outer_levels.len() == inner_levels.len()
}

/// A rule, for the tests of this crate's modules.
#[cfg(test)]
pub(crate) fn test_rule(
    kind: AclKind,
    user: Option<&str>,
    pattern: &str,
    read: bool,
    write: bool,
) -> AclRule {
    AclRule {
        kind,
        pattern: pattern.to_owned(),
        read,
        write,
        username: user.map(str::to_owned),
    }
}

#[cfg(test)]
mod tests;
