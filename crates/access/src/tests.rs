use super::*;

fn topic(user: &str, pattern: &str, read: bool, write: bool) -> AclRule {
    AclRule {
        kind: AclKind::Topic,
        pattern: pattern.into(),
        read,
        write,
        username: Some(user.into()),
    }
}

fn pattern(pattern: &str, read: bool, write: bool) -> AclRule {
    AclRule {
        kind: AclKind::Pattern,
        pattern: pattern.into(),
        read,
        write,
        username: None,
    }
}

fn ask(
    rules: &[AclRule],
    user: &str,
    client: Option<&str>,
    topic: &str,
    access: Access,
) -> AccessDecision {
    evaluate(
        rules,
        &AccessQuery::new(user, client.map(str::to_owned), topic, access),
    )
    .unwrap()
}

use Access::{Read, Write};

#[test]
fn matching_follows_mosquitto() {
    let cases: &[(&str, &str, bool)] = &[
        ("a/b", "a/b", true),
        ("a/b", "a/c", false),
        ("a/+", "a/b", true),
        ("a/+", "a/", true),
        ("a/+", "a", false),
        ("a/+", "a/b/c", false),
        ("+", "a", true),
        ("+", "/a", false),
        ("+/+", "/a", true),
        ("+", "", false),
        ("#", "a/b/c", true),
        ("#", "/", true),
        ("a/#", "a", true),
        ("a/#", "a/", true),
        ("a/#", "ab", false),
        ("a/+/#", "a/b", true),
        ("a/+/#", "a/b/c/d", true),
        ("a/+/#", "a", false),
        ("+/#", "a", true),
        ("#", "$SYS/x", false),
        ("+/#", "$SYS/x", false),
        ("+", "$x", false),
        ("$SYS/#", "$SYS/x", true),
        ("$SYS/#", "$SYS", true),
        ("$x", "x", false),
        ("a//b", "a//b", true),
        ("a/+/b", "a//b", true),
        ("/#", "/", true),
        ("/#", "a", false),
        ("a/b#", "a/b", false),
        ("a/#/b", "a/x/b", false),
    ];
    for (filter, topic, expected) in cases {
        assert_eq!(
            topic_matches(filter, topic),
            *expected,
            "{filter:?} {topic:?}"
        );
    }
}

#[test]
fn substitution_is_one_pass() {
    assert_eq!(substitute("a/%u/%c", "u", Some("c")).unwrap(), "a/u/c");
    assert_eq!(substitute("%u", "%c", Some("x")).unwrap(), "%c");
    assert_eq!(substitute("%%u", "n", Some("x")).unwrap(), "%n");
    assert_eq!(substitute("x%", "n", Some("x")).unwrap(), "x%");
    assert_eq!(substitute("%cu", "n", Some("c")).unwrap(), "cu");
    assert_eq!(substitute("a/%c", "n", None), None);
    assert_eq!(substitute("a/%u", "p/q", None).unwrap(), "a/p/q");
    assert_eq!(substitute("é%uü", "ß", None).unwrap(), "éßü");
}

#[test]
fn deny_first_within_each_list_not_across() {
    let rules = [
        pattern("secret/#", false, false),
        topic("u", "secret/#", true, true),
    ];
    // A pattern deny does not override a topic allow.
    let decision = ask(&rules, "u", Some("c"), "secret/x", Write);
    assert!(decision.allowed);
    assert_eq!(decision.rule, Some(rules[1].clone()));
    // For another user the pattern deny decides.
    let decision = ask(&rules, "v", Some("c"), "secret/x", Write);
    assert!(!decision.allowed);
    assert_eq!(decision.rule, Some(rules[0].clone()));
    // Within the topic list, the deny comes first whatever the order.
    let rules = [
        topic("u", "a/#", true, true),
        topic("u", "a/b", false, false),
    ];
    let decision = ask(&rules, "u", None, "a/b", Read);
    assert!(!decision.allowed);
    assert_eq!(decision.rule, Some(rules[1].clone()));
    assert!(ask(&rules, "u", None, "a/c", Read).allowed);
    // Of several matching deny rules, the last written decides.
    let rules = [pattern("a/#", false, false), pattern("a/+", false, false)];
    assert_eq!(
        ask(&rules, "u", None, "a/b", Read).rule,
        Some(rules[1].clone())
    );
}

#[test]
fn a_rule_without_the_access_does_not_end_the_check() {
    let rules = [topic("u", "t/#", true, false), pattern("t/%u", false, true)];
    let decision = ask(&rules, "u", Some("c"), "t/u", Write);
    assert!(decision.allowed);
    assert_eq!(decision.rule, Some(rules[1].clone()));
    let decision = ask(&rules, "u", Some("c"), "t/u", Read);
    assert_eq!(decision.rule, Some(rules[0].clone()));
    assert!(!ask(&rules, "u", Some("c"), "t/v", Write).allowed);
}

#[test]
fn wildcards_in_names_deny_only_with_pattern_rules_and_after_topic_rules() {
    let own = [topic("a+b", "x", true, true)];
    assert!(ask(&own, "a+b", Some("c"), "x", Write).allowed);
    assert!(!ask(&own, "a+b", Some("c"), "y", Write).allowed);
    let rules = [topic("a+b", "x", true, true), pattern("#", true, true)];
    assert!(ask(&rules, "a+b", Some("c"), "x", Write).allowed);
    let decision = ask(&rules, "a+b", Some("c"), "y", Write);
    assert_eq!(
        (decision.allowed, decision.reason),
        (false, Reason::WildcardUsername)
    );
    let decision = ask(&rules, "u", Some("c#"), "y", Write);
    assert_eq!(
        (decision.allowed, decision.reason),
        (false, Reason::WildcardClientId)
    );
    // A pattern deny rule counts as a pattern rule.
    let rules = [pattern("z", false, false)];
    assert_eq!(
        ask(&rules, "u#", None, "y", Read).reason,
        Reason::WildcardUsername
    );
    assert_eq!(
        ask(&rules, "u", None, "y", Read).reason,
        Reason::NoRuleMatches
    );
}

#[test]
fn names_with_slashes_add_levels_and_topic_rules_are_literal() {
    let rules = [pattern("home/%u/#", true, true)];
    assert!(ask(&rules, "a/b", None, "home/a/b/c", Write).allowed);
    assert!(!ask(&rules, "a/b", None, "home/a/c", Write).allowed);
    let rules = [topic("u", "home/%u", true, true)];
    assert!(ask(&rules, "u", None, "home/%u", Write).allowed);
    assert!(!ask(&rules, "u", None, "home/u", Write).allowed);
    let rules = [pattern("dev/%c", true, true)];
    assert!(ask(&rules, "u", Some("c1"), "dev/c1", Write).allowed);
    assert!(!ask(&rules, "u", None, "dev/c1", Write).allowed);
}

#[test]
fn dollar_topics() {
    // The raw filter of a topic rule must start with `$`.
    let rules = [topic("u", "#", true, true), topic("u", "+/x", true, true)];
    assert!(!ask(&rules, "u", None, "$x", Read).allowed);
    assert!(!ask(&rules, "u", None, "$a/x", Read).allowed);
    let rules = [topic("u", "$a/#", true, true)];
    assert!(ask(&rules, "u", None, "$a/x", Read).allowed);
    // A pattern rule's substituted filter decides.
    let rules = [pattern("%u/#", true, true)];
    assert!(ask(&rules, "$u", None, "$u/x", Write).allowed);
    assert!(!ask(&rules, "u", None, "$u/x", Write).allowed);
    // $SYS and $share are prefixes.
    let rules = [pattern("#", true, true), pattern("$SYS/#", true, true)];
    let decision = ask(&rules, "u", None, "$SYS/x", Write);
    assert_eq!(
        (decision.allowed, decision.reason),
        (false, Reason::SysWrite)
    );
    assert!(ask(&rules, "u", None, "$SYS/x", Read).allowed);
    assert_eq!(
        ask(&rules, "u", None, "$SYSTEM", Write).reason,
        Reason::SysWrite
    );
    assert!(ask(&rules, "u", None, "$SYS/broker/connection/b1/state", Write).allowed);
    assert!(!ask(&[], "u", None, "$SYS/broker/connection/b1/state", Write).allowed);
    let rules = [pattern("$share/#", true, true)];
    assert_eq!(
        ask(&rules, "u", None, "$share/g/t", Read).reason,
        Reason::Share
    );
    assert_eq!(
        ask(&rules, "u", None, "$shared", Write).reason,
        Reason::Share
    );
}

#[test]
fn empty_rules_and_other_users() {
    assert_eq!(ask(&[], "u", None, "a", Read).reason, Reason::NoRuleMatches);
    let rules = [topic("v", "#", true, true)];
    assert!(!ask(&rules, "u", None, "a", Read).allowed);
    // `+` matches an empty level.
    let rules = [topic("u", "a/+/c", true, true)];
    assert!(ask(&rules, "u", None, "a//c", Read).allowed);
}

#[test]
fn queries_are_validated() {
    let query = AccessQuery::new("u", None, "a/+", Read);
    assert_eq!(evaluate(&[], &query).unwrap_err().field(), Some("topic"));
    let query = AccessQuery::new("", None, "a", Read);
    assert_eq!(evaluate(&[], &query).unwrap_err().field(), Some("username"));
    let query = AccessQuery::new("u", Some(String::new()), "a", Read);
    assert_eq!(
        evaluate(&[], &query).unwrap_err().field(),
        Some("client_id")
    );
    let deep = vec!["a"; 202].join("/");
    let query = AccessQuery::new("u", None, deep, Read);
    assert_eq!(evaluate(&[], &query).unwrap_err().field(), Some("topic"));
    let deepest = vec!["a"; 201].join("/");
    assert!(evaluate(&[], &AccessQuery::new("u", None, deepest, Read)).is_ok());
}

#[cfg(feature = "serde")]
#[test]
#[cfg(feature = "serde")]
fn decisions_serialise_as_documented() {
    let rules = [topic("sensor-1", "sensors/1/#", true, true)];
    let decision = ask(&rules, "sensor-1", None, "sensors/1/t", Write);
    assert_eq!(
        serde_json::to_string(&decision).unwrap(),
        r#"{"allowed":true,"rule":{"type":"topic","pattern":"sensors/1/#","read":true,"write":true,"username":"sensor-1"}}"#
    );
    let decision = ask(&rules, "x", None, "a", Read);
    assert_eq!(
        serde_json::to_string(&decision).unwrap(),
        r#"{"allowed":false,"rule":null}"#
    );
    assert_eq!(
        describe_rule(&rules[0]),
        "topic rule for sensor-1 on sensors/1/# (read+write)"
    );
}

fn codes(findings: &[Finding]) -> Vec<&'static str> {
    findings
        .iter()
        .map(|finding| finding.code.as_str())
        .collect()
}

#[test]
fn lint_findings() {
    let users = [User {
        username: "u".into(),
    }];
    let rules = [
        topic("ghost", "g/#", true, true),
        pattern("#", false, true),
        pattern("$share/g/#", true, false),
        topic("u", "a/#", true, true),
        topic("u", "a/b", true, false),
        topic("u", "home/%u", true, true),
        pattern("public", true, false),
    ];
    let findings = lint(Some(&users), &rules);
    assert_eq!(
        codes(&findings),
        [
            "unknown-user",
            "world-writable",
            "unmatchable",
            "pattern-without-placeholder",
            "shadowed",
            "literal-placeholder",
            "pattern-without-placeholder",
        ]
    );
    assert_eq!(findings[1].severity, Severity::Error);
    assert_eq!(findings[4].rules, vec![rules[4].clone(), rules[3].clone()]);
    assert!(lint(None, &rules[..1]).is_empty());
    // A deny rule shadows what it covers; identical rules report once.
    let rules = [
        pattern("x/%u/#", false, false),
        pattern("x/%u/y", true, true),
        pattern("x/%u/y", true, true),
        pattern("x/+/z", true, true),
    ];
    let findings = lint(None, &rules);
    let shadowed: Vec<_> = findings
        .iter()
        .filter(|finding| finding.code == FindingCode::Shadowed)
        .map(|finding| &finding.rules[0])
        .collect();
    assert_eq!(shadowed, [&rules[1], &rules[2]]);
    // A $SYS write rule can only work for the bridge state topic.
    let rules = [
        topic("u", "$SYS/x", false, true),
        topic("u", "$SYS/broker/connection/+/state", false, true),
    ];
    assert_eq!(codes(&lint(None, &rules)), ["unmatchable"]);
}

#[test]
fn coverage_is_conservative() {
    assert!(covers("a/#", "a", false));
    assert!(covers("a/#", "a/b/c", false));
    assert!(covers("a/+/#", "a/b", false));
    assert!(covers("+/b", "a/b", false));
    assert!(!covers("+/b", "$a/b", false));
    assert!(!covers("#", "$a", false));
    assert!(covers("#", "+/x", false));
    assert!(!covers("a/+", "a/%u", true));
    assert!(covers("a/+", "a/%u", false));
    assert!(covers("a/%u/#", "a/%u/b", true));
    assert!(!covers("#", "%u/b", true));
    assert!(!covers("a/b", "a/+", false));
    assert!(!covers("a", "a/#", false));
}
