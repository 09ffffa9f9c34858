//! Rule tests: cases answered by [`evaluate_at`](crate::evaluate_at), and
//! what the cases cover (which rules decided at least one, which users no
//! case mentions).
//!
//! ```
//! use cloudmqtt_access::suite::{Case, Percent, run};
//! use cloudmqtt_access::{Access, AclKind, AclRule};
//!
//! let rules = vec![AclRule {
//!     kind: AclKind::Pattern,
//!     pattern: "home/%u/#".into(),
//!     read: true,
//!     write: true,
//!     username: None,
//! }];
//! let case = Case {
//!     user: "alice".into(),
//!     client_id: None,
//!     topic: "home/alice/light".into(),
//!     access: Access::Write,
//!     expect_allow: true,
//!     decided_by: Some("home/%u/#".into()),
//! };
//! let report = run(&rules, &[], &[case])?;
//! assert!(report.outcomes[0].passed());
//! assert!(report.coverage.meets(Percent::parse("100")?));
//! # Ok::<(), cloudmqtt_access::Error>(())
//! ```

use cloudmqtt_api::{AclRule, Error, User};

use crate::text::concat;
use crate::{Access, AccessQuery, Decided, Reason, describe_rule, evaluate_at};

/// One case: a client, a topic, read or write, and what is expected.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Case {
    /// The MQTT user name.
    pub user: String,
    /// The client id, if the case gives one.
    pub client_id: Option<String>,
    /// The topic name.
    pub topic: String,
    /// Read or write.
    pub access: Access,
    /// Whether access is expected to be allowed.
    pub expect_allow: bool,
    /// The pattern of the rule expected to decide, if the case names one.
    pub decided_by: Option<String>,
}

/// What became of one case.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome {
    /// Whether access was allowed.
    pub allowed: bool,
    /// Which rule decided, or why none did.
    pub decided: Decided,
    /// Why the case failed, in words (`None` when it passed): `expected
    /// allow, got deny: no rule matches`.
    pub failure: Option<String>,
}

impl Outcome {
    /// Whether the case passed.
    #[must_use]
    pub fn passed(&self) -> bool {
        self.failure.is_none()
    }
}

/// What the cases cover.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Coverage {
    /// For each rule (by position), how many cases it decided.
    pub decided: Vec<usize>,
    /// The users (given, or named by topic rules) that no case mentions,
    /// in order.
    pub unmentioned_users: Vec<String>,
}

impl Coverage {
    /// The positions of the rules that decided no case.
    #[must_use]
    pub fn undecided_rules(&self) -> Vec<usize> {
        let mut undecided = Vec::new();
        for (index, count) in self.decided.iter().enumerate() {
            if *count == 0 {
                undecided.push(index);
            }
        }
        undecided
    }

    /// How many rules decided at least one case.
    #[must_use]
    pub fn rules_covered(&self) -> usize {
        self.decided.iter().filter(|&&count| count > 0).count()
    }

    /// Whether the share of rules that decided at least one case is at
    /// least `min`, computed exactly (99.9 % is not 100 %). No rules at all
    /// is full coverage.
    #[must_use]
    pub fn meets(&self, min: Percent) -> bool {
        let total = self.decided.len() as u128;
        let covered = self.rules_covered() as u128;
        total == 0 || covered * 10_000 >= u128::from(min.hundredths) * total
    }
}

/// A percentage with at most two decimals, held exactly.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Percent {
    /// Hundredths of a percent (100 % is 10,000).
    pub hundredths: u32,
}

impl Percent {
    /// Reads `"90"`, `"99.5"` or `"99.95"` (0 to 100, at most two
    /// decimals).
    ///
    /// # Errors
    /// [`Error::InvalidInput`] naming `min_coverage`.
    pub fn parse(text: &str) -> Result<Self, Error> {
        let invalid = || Error::InvalidInput {
            field: "min_coverage",
            reason: "must be a percentage from 0 to 100 with at most two decimals".to_owned(),
        };
        let (whole, fraction) = text.split_once('.').unwrap_or((text, ""));
        let digits = |part: &str| part.bytes().all(|byte| byte.is_ascii_digit());
        if whole.is_empty() || whole.len() > 3 || fraction.len() > 2 || !digits(whole) {
            return Err(invalid());
        }
        if text.contains('.') && (fraction.is_empty() || !digits(fraction)) {
            return Err(invalid());
        }
        let whole: u32 = whole.parse().map_err(|_| invalid())?;
        let fraction: u32 = format!("{fraction:0<2}").parse().map_err(|_| invalid())?;
        let hundredths = whole * 100 + fraction;
        if hundredths > 10_000 {
            return Err(invalid());
        }
        Ok(Self { hundredths })
    }
}

/// Every case's outcome, in order, and the coverage.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Report {
    /// One outcome per case, in the cases' order.
    pub outcomes: Vec<Outcome>,
    /// What the cases cover.
    pub coverage: Coverage,
}

impl Report {
    /// How many cases passed.
    #[must_use]
    pub fn passed(&self) -> usize {
        self.outcomes
            .iter()
            .filter(|outcome| outcome.passed())
            .count()
    }

    /// How many cases failed.
    #[must_use]
    pub fn failed(&self) -> usize {
        self.outcomes.len() - self.passed()
    }
}

/// Answers every case over `rules` and measures what they cover; `users`
/// are the users whose mention coverage counts beside those the topic
/// rules name.
///
/// # Errors
/// [`Error::InvalidInput`] for a case whose user, client id or topic the
/// checker refuses.
pub fn run(rules: &[AclRule], users: &[User], cases: &[Case]) -> Result<Report, Error> {
    let mut decided = vec![0; rules.len()];
    let mut outcomes = Vec::with_capacity(cases.len());
    for case in cases {
        let query = AccessQuery::new(
            case.user.clone(),
            case.client_id.clone(),
            case.topic.clone(),
            case.access,
        );
        let (allowed, by) = evaluate_at(rules, &query)?;
        if let Some(index) = by.index {
            decided[index] += 1;
        }
        outcomes.push(Outcome {
            allowed,
            decided: by,
            failure: failure(rules, case, allowed, by),
        });
    }
    let mut mentioned = Vec::new();
    for case in cases {
        insert_sorted(&mut mentioned, &case.user);
    }
    let mut listed = Vec::new();
    let mut unmentioned_users = Vec::new();
    let names = users.iter().map(|user| user.username.as_str());
    for name in names.chain(rules.iter().filter_map(|rule| rule.username.as_deref())) {
        if mentioned.binary_search(&name).is_err() && insert_sorted(&mut listed, name) {
            unmentioned_users.push(name.to_owned());
        }
    }
    Ok(Report {
        outcomes,
        coverage: Coverage {
            decided,
            unmentioned_users,
        },
    })
}

/// Adds `name` to the sorted `set` unless it is there; whether it was not.
fn insert_sorted<'a>(set: &mut Vec<&'a str>, name: &'a str) -> bool {
    match set.binary_search(&name) {
        Ok(_) => false,
        Err(at) => {
            set.insert(at, name);
            true
        }
    }
}

/// What decided, in words: the rule, or why none did.
#[must_use]
pub fn decided_text(rules: &[AclRule], decided: Decided) -> String {
    match decided.index.and_then(|index| rules.get(index)) {
        Some(rule) => describe_rule(rule),
        None if decided.reason == Reason::Rule => Reason::NoRuleMatches.describe().to_owned(),
        None => decided.reason.describe().to_owned(),
    }
}

/// Why a case failed, or `None`.
fn failure(rules: &[AclRule], case: &Case, allowed: bool, by: Decided) -> Option<String> {
    // Concatenated rather than formatted: the WebAssembly build carries no
    // `core::fmt` for it.
    let word = |allow: bool| if allow { "allow" } else { "deny" };
    if allowed != case.expect_allow {
        return Some(concat(&[
            "expected ",
            word(case.expect_allow),
            ", got ",
            word(allowed),
            ": ",
            &decided_text(rules, by),
        ]));
    }
    let expected = case.decided_by.as_deref()?;
    let rule = by.index.and_then(|index| rules.get(index));
    if rule.is_some_and(|rule| rule.pattern == expected) {
        return None;
    }
    Some(concat(&[
        word(allowed),
        " as expected, but decided by ",
        &decided_text(rules, by),
        ", not a rule on ",
        expected,
    ]))
}

#[cfg(test)]
mod tests {
    use super::*;
    use cloudmqtt_api::AclKind;

    use crate::test_rule as rule;

    fn case(user: &str, topic: &str, access: Access, allow: bool, by: Option<&str>) -> Case {
        Case {
            user: user.to_owned(),
            client_id: None,
            topic: topic.to_owned(),
            access,
            expect_allow: allow,
            decided_by: by.map(str::to_owned),
        }
    }

    #[test]
    fn cases_pass_fail_and_cover() {
        let rules = vec![
            rule(AclKind::Topic, Some("s1"), "sensors/1/#", false, true),
            rule(AclKind::Topic, Some("s2"), "sensors/2/#", false, true),
            rule(AclKind::Pattern, None, "home/%u/#", true, true),
        ];
        let users = [User {
            username: "dash".into(),
        }];
        let cases = [
            case(
                "s1",
                "sensors/1/t",
                Access::Write,
                true,
                Some("sensors/1/#"),
            ),
            case("s1", "sensors/1/t", Access::Read, true, None),
            case("s1", "home/s1/x", Access::Read, true, Some("sensors/1/#")),
        ];
        let report = run(&rules, &users, &cases).unwrap();
        assert_eq!(report.passed(), 1);
        assert_eq!(report.failed(), 2);
        assert_eq!(
            report.outcomes[1].failure.as_deref(),
            Some("expected allow, got deny: no rule matches")
        );
        assert_eq!(
            report.outcomes[2].failure.as_deref(),
            Some(
                "allow as expected, but decided by pattern rule on home/%u/# (read+write), not a rule on sensors/1/#"
            )
        );
        assert_eq!(report.coverage.decided, vec![1, 0, 1]);
        assert_eq!(report.coverage.undecided_rules(), vec![1]);
        assert_eq!(report.coverage.unmentioned_users, vec!["dash", "s2"]);
        // Two of three rules: 66.66... %, exactly.
        assert!(report.coverage.meets(Percent::parse("66.66").unwrap()));
        assert!(!report.coverage.meets(Percent::parse("66.67").unwrap()));
    }

    #[test]
    fn percentages_are_exact() {
        assert_eq!(Percent::parse("100").unwrap().hundredths, 10_000);
        assert_eq!(Percent::parse("99.9").unwrap().hundredths, 9_990);
        assert_eq!(Percent::parse("0.05").unwrap().hundredths, 5);
        for bad in ["", "101", "99.999", "-1", "1e2", "50.", ".5", "5 0", "1000"] {
            assert!(Percent::parse(bad).is_err(), "{bad:?}");
        }
        let coverage = Coverage {
            decided: vec![1; 999].into_iter().chain([0]).collect(),
            unmentioned_users: Vec::new(),
        };
        assert!(coverage.meets(Percent::parse("99.9").unwrap()));
        assert!(!coverage.meets(Percent::parse("100").unwrap()));
    }
}
