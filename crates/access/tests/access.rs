//! Properties of the access checker: matching agrees with MQTT's level
//! rules as Mosquitto applies them, coverage never claims too much, and a
//! rule the lint calls useless never changes an answer.

use cloudmqtt_access::{
    Access, AccessQuery, AclKind, AclRule, FindingCode, covers, evaluate, lint, substitute,
    topic_matches,
};
use cloudmqtt_api::validate;
use proptest::prelude::*;

/// MQTT's matching, level by level: `+` is one level (maybe empty), `#`
/// the rest (zero levels included), and `$` topics only for `$` filters.
fn reference(filter: &str, topic: &str) -> bool {
    if filter.starts_with('$') != topic.starts_with('$') {
        return false;
    }
    fn go(filter: &[&str], topic: &[&str]) -> bool {
        match (filter.first(), topic.first()) {
            (Some(&"#"), _) => filter.len() == 1,
            (None, None) => true,
            (None, Some(_)) | (Some(_), None) => false,
            (Some(&"+"), Some(_)) => go(&filter[1..], &topic[1..]),
            (Some(level), Some(other)) => level == other && go(&filter[1..], &topic[1..]),
        }
    }
    let filter: Vec<&str> = filter.split('/').collect();
    let topic: Vec<&str> = topic.split('/').collect();
    go(&filter, &topic)
}

/// Mosquitto 2.0.11's `mosquitto_topic_matches_sub` (`lib/util_topic.c:198-327`),
/// ported byte for byte: the oracle for `topic_matches`.
fn mosquitto_topic_matches(filter: &str, topic: &str) -> bool {
    let sub = filter.as_bytes();
    let top = topic.as_bytes();
    // C strings: a NUL past the end.
    let s = |i: usize| sub.get(i).copied().unwrap_or(0);
    let t = |i: usize| top.get(i).copied().unwrap_or(0);
    if s(0) == 0 || t(0) == 0 {
        return false;
    }
    if (s(0) == b'$') != (t(0) == b'$') {
        return false;
    }
    let wildcard = |byte: u8| byte == b'+' || byte == b'#';
    let (mut si, mut ti) = (0usize, 0usize);
    while s(si) != 0 {
        if wildcard(t(ti)) {
            return false;
        }
        if s(si) != t(ti) || t(ti) == 0 {
            match s(si) {
                b'+' => {
                    if si > 0 && s(si - 1) != b'/' {
                        return false;
                    }
                    if s(si + 1) != 0 && s(si + 1) != b'/' {
                        return false;
                    }
                    si += 1;
                    while t(ti) != 0 && t(ti) != b'/' {
                        if wildcard(t(ti)) {
                            return false;
                        }
                        ti += 1;
                    }
                    if t(ti) == 0 && s(si) == 0 {
                        return true;
                    }
                }
                b'#' => {
                    if si > 0 && s(si - 1) != b'/' {
                        return false;
                    }
                    if s(si + 1) != 0 {
                        return false;
                    }
                    return !top[ti..].iter().any(|byte| wildcard(*byte));
                }
                _ => {
                    // `foo/bar` matches `foo/+/#`.
                    return t(ti) == 0
                        && si > 0
                        && s(si - 1) == b'+'
                        && s(si) == b'/'
                        && s(si + 1) == b'#'
                        && s(si + 2) == 0;
                }
            }
        } else {
            // `foo` matches `foo/#`.
            if t(ti + 1) == 0 && s(si + 1) == b'/' && s(si + 2) == b'#' && s(si + 3) == 0 {
                return true;
            }
            si += 1;
            ti += 1;
            if s(si) == 0 && t(ti) == 0 {
                return true;
            }
            if t(ti) == 0 && s(si) == b'+' && s(si + 1) == 0 {
                return si == 0 || s(si - 1) == b'/';
            }
        }
    }
    false
}

fn level() -> impl Strategy<Value = String> {
    prop_oneof![
        Just(String::new()),
        Just("a".to_owned()),
        Just("b".to_owned()),
        Just("$a".to_owned()),
        Just("ab".to_owned()),
    ]
}

fn topic_name() -> impl Strategy<Value = String> {
    prop::collection::vec(level(), 1..5)
        .prop_map(|levels| levels.join("/"))
        .prop_filter("not empty", |topic| !topic.is_empty())
}

fn filter() -> impl Strategy<Value = String> {
    let level = prop_oneof![
        3 => level(),
        2 => Just("+".to_owned()),
        1 => Just("%u".to_owned()),
        1 => Just("x%c".to_owned()),
    ];
    (prop::collection::vec(level, 1..5), any::<bool>())
        .prop_map(|(mut levels, hash)| {
            if hash {
                levels.push("#".to_owned());
            }
            levels.join("/")
        })
        .prop_filter("valid", |filter| {
            validate::topic_filter("pattern", filter).is_ok()
        })
}

fn name() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("a".to_owned()),
        Just("b/a".to_owned()),
        Just("$a".to_owned()),
        Just("%u".to_owned()),
        Just("a+".to_owned()),
        Just("x".to_owned()),
    ]
}

fn rule() -> impl Strategy<Value = AclRule> {
    (
        any::<bool>(),
        prop_oneof![Just("a"), Just("b/a"), Just("$a")],
        filter(),
        any::<bool>(),
        any::<bool>(),
    )
        .prop_map(|(is_topic, user, pattern, read, write)| AclRule {
            kind: if is_topic {
                AclKind::Topic
            } else {
                AclKind::Pattern
            },
            pattern,
            read,
            write,
            username: is_topic.then(|| user.to_owned()),
        })
}

fn query() -> impl Strategy<Value = AccessQuery> {
    (
        name(),
        prop::option::of(name()),
        topic_name(),
        prop_oneof![Just(Access::Read), Just(Access::Write)],
    )
        .prop_map(|(username, client_id, topic, access)| {
            AccessQuery::new(username, client_id, topic, access)
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn matching_is_mqtt_level_matching(filter in filter(), topic in topic_name()) {
        prop_assert_eq!(topic_matches(&filter, &topic), reference(&filter, &topic));
    }

    #[test]
    fn matching_is_mosquittos_even_for_invalid_filters(
        filter in "[ab+#/$]{0,8}",
        topic in "[ab/$]{0,6}",
    ) {
        prop_assert_eq!(
            topic_matches(&filter, &topic),
            mosquitto_topic_matches(&filter, &topic),
            "{:?} {:?}", filter, topic
        );
    }

    #[test]
    fn coverage_never_claims_too_much(
        outer in filter(),
        inner in filter(),
        user in name(),
        client in name(),
        topic in topic_name(),
    ) {
        if covers(&outer, &inner, false) && topic_matches(&inner, &topic) {
            prop_assert!(topic_matches(&outer, &topic));
        }
        if covers(&outer, &inner, true) {
            let inner = substitute(&inner, &user, Some(&client)).unwrap();
            let outer = substitute(&outer, &user, Some(&client)).unwrap();
            if topic_matches(&inner, &topic) {
                prop_assert!(topic_matches(&outer, &topic), "{} {} {}", outer, inner, topic);
            }
        }
    }

    #[test]
    fn a_shadowed_rule_never_changes_an_answer(
        rules in prop::collection::vec(rule(), 1..6),
        queries in prop::collection::vec(query(), 1..20),
    ) {
        for finding in lint(None, &rules) {
            if finding.code != FindingCode::Shadowed {
                continue;
            }
            let index = rules.iter().position(|rule| *rule == finding.rules[0]).unwrap();
            let mut without = rules.clone();
            without.remove(index);
            for query in &queries {
                let Ok(with_it) = evaluate(&rules, query) else { continue };
                let without_it = evaluate(&without, query).unwrap();
                prop_assert_eq!(
                    with_it.allowed,
                    without_it.allowed,
                    "removing {:?} changed {:?}",
                    &finding.rules[0],
                    query
                );
            }
        }
    }

    #[test]
    fn an_allow_comes_from_a_matching_rule_with_the_access(
        rules in prop::collection::vec(rule(), 0..6),
        query in query(),
    ) {
        let Ok(decision) = evaluate(&rules, &query) else { return Ok(()) };
        if let Some(rule) = &decision.rule {
            let filter = match rule.kind {
                AclKind::Topic => rule.pattern.clone(),
                AclKind::Pattern => {
                    substitute(&rule.pattern, &query.username, query.client_id.as_deref()).unwrap()
                }
            };
            prop_assert!(topic_matches(&filter, &query.topic));
            let grants = match query.access {
                Access::Read => rule.read,
                Access::Write => rule.write,
            };
            prop_assert_eq!(decision.allowed, grants);
        } else {
            prop_assert!(!decision.allowed);
        }
    }
}
