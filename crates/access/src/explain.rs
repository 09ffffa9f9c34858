//! Why: the decision of a query, and for the nearest rules that did not
//! decide, why each missed, in words a user acts on.
//!
//! ```
//! use cloudmqtt_access::explain::explain;
//! use cloudmqtt_access::{Access, AccessQuery, AclKind, AclRule};
//!
//! let rules = vec![AclRule {
//!     kind: AclKind::Topic,
//!     pattern: "sensors/+".into(),
//!     read: true,
//!     write: true,
//!     username: Some("sensor-1".into()),
//! }];
//! let query = AccessQuery::new("sensor-1", None, "sensors/1/temp", Access::Write);
//! let why = explain(&rules, &query)?;
//! assert!(!why.allowed);
//! assert_eq!(
//!     why.misses[0].reason.to_string(),
//!     "'+' matches one level, not several: level 2 is the filter's last, and the topic goes on (\"sensors/+/#\" would match)"
//! );
//! # Ok::<(), cloudmqtt_access::Error>(())
//! ```

use std::fmt;

use cloudmqtt_api::{AclKind, AclRule, Error};

use crate::text::{concat, contains, has_placeholder, split_levels};
use crate::{AccessQuery, Decided, evaluate_at, substitute, topic_matches};

/// Rules shown as missing, at most.
pub const MOST_MISSES: usize = 5;

/// A decision and the nearest rules that did not decide.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Explanation {
    /// Whether access is allowed.
    pub allowed: bool,
    /// Which rule decided, or why none did.
    pub decided: Decided,
    /// The nearest rules that did not decide, nearest first (at most
    /// [`MOST_MISSES`]).
    pub misses: Vec<Miss>,
}

/// A rule that did not decide, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Miss {
    /// The rule's position in the list.
    pub index: usize,
    /// Why it did not decide.
    pub reason: MissReason,
}

/// Why a rule did not decide a query.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum MissReason {
    /// A topic rule of another user.
    OtherUser(String),
    /// A topic rule holding `%u` or `%c`, which only pattern rules
    /// substitute; substituted, it would match.
    NotSubstituted,
    /// A pattern rule with `%c`, and the query has no client id.
    NoClientId,
    /// The substituted user name or client id holds `+`, `#` or `/`,
    /// which changes the filter's levels.
    SubstitutedWildcard(&'static str),
    /// The topic starts with `$`, which a filter starting with a wildcard
    /// never matches.
    DollarTopic,
    /// A `+` ends the filter and the topic goes on: `+` matches one level.
    PlusOneLevel {
        /// The level of the `+`, from 1.
        level: usize,
        /// The filter with `#` after the `+`, which would match.
        with_hash: String,
    },
    /// A level differs.
    Level {
        /// The level, from 1.
        level: usize,
        /// The filter's level.
        filter: String,
        /// The topic's level.
        topic: String,
    },
    /// The topic has fewer levels than the filter.
    TopicShorter {
        /// The topic's levels.
        topic: usize,
        /// The filter's levels.
        filter: usize,
    },
    /// The topic has more levels than the filter, which has no `#`.
    TopicLonger {
        /// The topic's levels.
        topic: usize,
        /// The filter's levels.
        filter: usize,
    },
    /// It matches, but allows the other access.
    OtherAccess {
        /// What it allows: `read` or `write`.
        allows: &'static str,
    },
    /// It matches and would decide, but the deciding rule came first in
    /// the broker's order (deny rules first, topic rules before pattern
    /// rules).
    CameAfter(usize),
    /// It matches, but the broker refuses the access before any rule.
    Refused,
}

impl MissReason {
    /// The reason in words, built without `core::fmt` (which the
    /// WebAssembly build would otherwise carry for it).
    #[must_use]
    pub fn text(&self) -> String {
        let number = |value: usize| {
            let mut out = String::new();
            cloudmqtt_api::push_decimal(&mut out, value as u64);
            out
        };
        match self {
            Self::OtherUser(owner) => {
                concat(&["a topic rule for another user (", &quoted(owner), ")"])
            }
            Self::NotSubstituted => {
                "%u and %c are not substituted in a topic rule (a pattern rule substitutes them)"
                    .to_owned()
            }
            Self::NoClientId => "it uses %c, and the client has no client id".to_owned(),
            Self::SubstitutedWildcard(what) => concat(&[
                "the ",
                what,
                " holds '+', '#' or '/', which change the substituted filter's levels",
            ]),
            Self::DollarTopic => {
                "a topic starting with '$' is not matched by a filter starting with '+' or '#'"
                    .to_owned()
            }
            Self::PlusOneLevel { level, with_hash } => concat(&[
                "'+' matches one level, not several: level ",
                &number(*level),
                " is the filter's last, and the topic goes on (",
                &quoted(with_hash),
                " would match)",
            ]),
            Self::Level {
                level,
                filter,
                topic,
            } => concat(&[
                "level ",
                &number(*level),
                " is ",
                &quoted(filter),
                " in the filter and ",
                &quoted(topic),
                " in the topic",
            ]),
            Self::TopicShorter { topic, filter } => concat(&[
                "the topic has ",
                &number(*topic),
                " level(s) and the filter ",
                &number(*filter),
                " ('#' matches the rest, '+' exactly one)",
            ]),
            Self::TopicLonger { topic, filter } => concat(&[
                "the topic has ",
                &number(*topic),
                " levels and the filter ",
                &number(*filter),
                ", without '#' to match the rest",
            ]),
            Self::OtherAccess { allows } => concat(&["it matches, but allows ", allows, " only"]),
            Self::CameAfter(index) => concat(&[
                "it matches, but rule ",
                &number(index + 1),
                " decided first (deny rules are tried first, and a user's topic rules before pattern rules)",
            ]),
            Self::Refused => {
                "it matches, but the broker refuses this access before any rule".to_owned()
            }
        }
    }
}

impl fmt::Display for MissReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text())
    }
}

/// `text` in double quotes, escaped as JSON (cheaper than `{:?}` in the
/// WebAssembly build, and the same for the names and topics checked here).
fn quoted(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    cloudmqtt_api::push_json_string(&mut out, text);
    out
}

/// Answers `query` over `rules` and explains the nearest rules that did
/// not decide.
///
/// # Errors
/// [`Error::InvalidInput`] when the query is not valid.
pub fn explain(rules: &[AclRule], query: &AccessQuery) -> Result<Explanation, Error> {
    let (allowed, decided) = evaluate_at(rules, query)?;
    let mut ranked: Vec<(usize, Miss)> = Vec::with_capacity(rules.len());
    for (index, rule) in rules.iter().enumerate() {
        if Some(index) != decided.index {
            let (nearness, reason) = miss(rule, query, decided);
            ranked.push((nearness, Miss { index, reason }));
        }
    }
    // Nearest first; the file's order among equals. The few nearest picked
    // one by one rather than all sorted (see README, Size).
    let mut misses = Vec::with_capacity(ranked.len().min(MOST_MISSES));
    while misses.len() < MOST_MISSES && !ranked.is_empty() {
        let mut best = 0;
        for (at, (nearness, _)) in ranked.iter().enumerate() {
            if *nearness > ranked[best].0 {
                best = at;
            }
        }
        misses.push(ranked.remove(best).1);
    }
    Ok(Explanation {
        allowed,
        decided,
        misses,
    })
}

/// How near a rule came (higher is nearer) and why it missed.
fn miss(rule: &AclRule, query: &AccessQuery, decided: Decided) -> (usize, MissReason) {
    const MATCHED: usize = 10_000;
    let topic = query.topic.as_str();
    let filter = match rule.kind {
        AclKind::Topic => {
            if rule.username.as_deref() != Some(query.username.as_str()) {
                let owner = rule.username.clone().unwrap_or_default();
                return (0, MissReason::OtherUser(owner));
            }
            rule.pattern.clone()
        }
        AclKind::Pattern => {
            match substitute(&rule.pattern, &query.username, query.client_id.as_deref()) {
                Some(filter) => filter,
                None => return (1, MissReason::NoClientId),
            }
        }
    };
    if topic_matches(&filter, topic) {
        let reason = if !query.access.granted_by(rule) && !crate::is_deny(rule) {
            let allows = if rule.read { "read" } else { "write" };
            MissReason::OtherAccess { allows }
        } else if decided.index.is_none() {
            MissReason::Refused
        } else {
            MissReason::CameAfter(decided.index.unwrap_or_default())
        };
        return (MATCHED, reason);
    }
    if rule.kind == AclKind::Topic && has_placeholder(&rule.pattern) {
        let substituted = substitute(&rule.pattern, &query.username, query.client_id.as_deref());
        if substituted.is_some_and(|filter| topic_matches(&filter, topic)) {
            return (MATCHED - 1, MissReason::NotSubstituted);
        }
    }
    if rule.kind == AclKind::Pattern {
        let holds = |text: &str| text.bytes().any(|byte| matches!(byte, b'+' | b'#' | b'/'));
        if contains(&rule.pattern, "%u") && holds(&query.username) {
            return (MATCHED - 2, MissReason::SubstitutedWildcard("user name"));
        }
        if contains(&rule.pattern, "%c") && query.client_id.as_deref().is_some_and(holds) {
            return (MATCHED - 2, MissReason::SubstitutedWildcard("client id"));
        }
    }
    if topic.starts_with('$') && (filter.starts_with('+') || filter.starts_with('#')) {
        return (2, MissReason::DollarTopic);
    }
    levels(&filter, topic)
}

/// Where a filter and a topic part: the number of leading levels that
/// match (the nearness) and the reason.
fn levels(filter: &str, topic: &str) -> (usize, MissReason) {
    let filter_levels = split_levels(filter);
    let topic_levels = split_levels(topic);
    for (index, (want, have)) in filter_levels.iter().zip(&topic_levels).enumerate() {
        if *want != "+" && *want != "#" && want != have {
            let reason = MissReason::Level {
                level: index + 1,
                filter: (*want).to_owned(),
                topic: (*have).to_owned(),
            };
            return (index + 2, reason);
        }
    }
    let (filter_count, topic_count) = (filter_levels.len(), topic_levels.len());
    let near = filter_count.min(topic_count) + 2;
    if topic_count > filter_count {
        if filter_levels.last() == Some(&"+") {
            let reason = MissReason::PlusOneLevel {
                level: filter_count,
                with_hash: concat(&[filter, "/#"]),
            };
            return (near, reason);
        }
        let reason = MissReason::TopicLonger {
            topic: topic_count,
            filter: filter_count,
        };
        return (near, reason);
    }
    let reason = MissReason::TopicShorter {
        topic: topic_count,
        filter: filter_count,
    };
    (near, reason)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Access;

    use crate::test_rule as rule;

    fn reasons(rules: &[AclRule], query: &AccessQuery) -> Vec<(usize, String)> {
        explain(rules, query)
            .unwrap()
            .misses
            .iter()
            .map(|miss| (miss.index, miss.reason.to_string()))
            .collect()
    }

    #[test]
    fn each_miss_says_why_in_words() {
        let rules = vec![
            rule(AclKind::Topic, Some("s1"), "sensors/1/secret", false, false),
            rule(AclKind::Topic, Some("s1"), "sensors/+", true, true),
            rule(AclKind::Topic, Some("s1"), "sensors/1/temp", true, false),
            rule(AclKind::Topic, Some("other"), "sensors/1/temp", true, true),
            rule(AclKind::Topic, Some("s1"), "%u/#", true, true),
            rule(AclKind::Pattern, None, "devices/%c/#", true, true),
            rule(AclKind::Pattern, None, "+/1/temp", true, true),
        ];
        let query = AccessQuery::new("s1", None, "sensors/1/temp", Access::Write);
        let why = explain(&rules, &query).unwrap();
        // The user's topic rules do not decide (one matches, for reading
        // only), so the pattern rules are tried.
        assert!(why.allowed && why.decided.index == Some(6), "{why:?}");
        let found = reasons(&rules, &query);
        assert!(
            found.contains(&(2, "it matches, but allows read only".to_owned())),
            "{found:?}"
        );
        assert!(
            found.iter().any(|(index, text)| *index == 1
                && text.starts_with("'+' matches one level, not several")),
            "{found:?}"
        );
        let literal = AccessQuery::new("s1", None, "s1/x", Access::Write);
        let found = reasons(&rules[4..5], &literal);
        assert_eq!(
            found[0].1,
            "%u and %c are not substituted in a topic rule (a pattern rule substitutes them)"
        );
        let dollar = AccessQuery::new("s1", None, "$x/1/temp", Access::Write);
        let found = reasons(
            &[rule(AclKind::Pattern, None, "+/1/temp", true, true)],
            &dollar,
        );
        assert_eq!(
            found[0].1,
            "a topic starting with '$' is not matched by a filter starting with '+' or '#'"
        );
        let other = reasons(&rules[3..4], &query);
        assert_eq!(other[0].1, "a topic rule for another user (\"other\")");
        let level = reasons(
            &[rule(
                AclKind::Topic,
                Some("s1"),
                "sensors/2/temp",
                true,
                true,
            )],
            &query,
        );
        assert_eq!(
            level[0].1,
            "level 2 is \"2\" in the filter and \"1\" in the topic"
        );
    }
}
