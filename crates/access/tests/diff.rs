//! The access diff against the evaluator: on random rule sets, for random
//! users, client ids and topics, a change covers a topic exactly when the
//! two rule sets answer it differently.

use cloudmqtt_access::diff::{diff, diff_for};
use cloudmqtt_access::{Access, AccessQuery, AclKind, AclRule, evaluate};
use proptest::prelude::*;

/// Levels the rules and topics are made of: spelled-out levels, an empty
/// one, `$` ones, names, and placeholders (rules only).
const LEVELS: &[&str] = &[
    "a",
    "b",
    "",
    "$SYS",
    "$x",
    "alice",
    "kitchen",
    "c1",
    "broker",
    "connection",
    "state",
];
const RULE_LEVELS: &[&str] = &["+", "#", "%u", "%c", "x%u", "%c-b"];
const USERS: &[&str] = &[
    "alice", "bob", "kitchen", "zed", "$x", "$SYSy", "$sharez", "a",
];
const CLIENTS: &[&str] = &["c1", "c2", "a", "kitchen", "$c", "w+", "x-b"];

fn level(rules: bool) -> BoxedStrategy<String> {
    let mut all: Vec<&'static str> = LEVELS.to_vec();
    if rules {
        all.extend(RULE_LEVELS);
    }
    proptest::sample::select(all)
        .prop_map(str::to_owned)
        .boxed()
}

fn filter() -> impl Strategy<Value = String> {
    proptest::collection::vec(level(true), 1..5).prop_filter_map("a valid filter", |levels| {
        let hash = levels.iter().position(|level| level == "#");
        if hash.is_some_and(|at| at + 1 != levels.len()) {
            return None;
        }
        let filter = levels.join("/");
        cloudmqtt_api::validate::acl_topic_filter("pattern", &filter)
            .is_ok()
            .then_some(filter)
    })
}

fn rule() -> impl Strategy<Value = AclRule> {
    (
        any::<bool>(),
        proptest::sample::select(&["alice", "bob", "$x"][..]),
        filter(),
        any::<bool>(),
        any::<bool>(),
    )
        .prop_map(|(pattern, user, filter, read, write)| AclRule {
            kind: if pattern {
                AclKind::Pattern
            } else {
                AclKind::Topic
            },
            pattern: filter,
            read,
            write,
            username: (!pattern).then(|| user.to_owned()),
        })
}

fn topic() -> impl Strategy<Value = String> {
    (
        proptest::collection::vec(level(false), 1..6),
        proptest::sample::select(USERS),
        proptest::sample::select(CLIENTS),
        proptest::collection::vec(0..3u8, 6),
    )
        .prop_map(|(levels, user, client, names)| {
            // Some levels are the user name or the client id.
            levels
                .into_iter()
                .zip(names)
                .map(|(level, name)| match name {
                    1 => user.to_owned(),
                    2 => client.to_owned(),
                    _ => level,
                })
                .collect::<Vec<_>>()
                .join("/")
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(500))]

    #[test]
    fn the_diff_covers_exactly_the_topics_answered_differently(
        old in proptest::collection::vec(rule(), 0..6),
        new in proptest::collection::vec(rule(), 0..6),
        questions in proptest::collection::vec(
            (proptest::sample::select(USERS), proptest::sample::select(CLIENTS), topic()),
            40,
        ),
        named in any::<bool>(),
    ) {
        // Users named by the caller are exact whatever their names hold.
        let extra = ["a/b".to_owned(), "zed".to_owned()];
        let report = if named { diff_for(&old, &new, &extra) } else { diff(&old, &new) };
        for (index, (user, client, topic)) in questions.into_iter().enumerate() {
            let user = if named && index % 4 == 0 { "a/b" } else { user };
            let changes = report.changes_for(user, client);
            for access in [Access::Read, Access::Write] {
                let query = AccessQuery::new(user, Some(client.to_owned()), topic.clone(), access);
                let Ok(before) = evaluate(&old, &query) else { continue };
                let after = evaluate(&new, &query).unwrap();
                for gained in [true, false] {
                    let differs = if gained {
                        !before.allowed && after.allowed
                    } else {
                        before.allowed && !after.allowed
                    };
                    let covered = changes
                        .iter()
                        .filter(|change| change.gained == gained && change.access == access)
                        .filter(|change| change.covers(&topic))
                        .count();
                    prop_assert_eq!(
                        covered,
                        usize::from(differs),
                        "user {} client {} topic {} {:?} gained {}: changes {:?}\nlines {:#?}",
                        user, client, topic, access, gained, changes,
                        report.lines().collect::<Vec<_>>()
                    );
                }
            }
        }
    }
}

#[test]
fn a_world_rule_with_an_exception() {
    let rule = |pattern: &str, read, write| AclRule {
        kind: AclKind::Pattern,
        pattern: pattern.into(),
        read,
        write,
        username: None,
    };
    let new = [rule("secret/#", false, false), rule("#", true, true)];
    let lines: Vec<String> = diff(&[], &new).lines().collect();
    assert_eq!(
        lines,
        [
            "+ read every user # except secret/#",
            "+ write every user # except secret/#"
        ]
    );
}
