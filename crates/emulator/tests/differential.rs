//! The access checker against a real Mosquitto: random rule sets (topic
//! and pattern rules, `%u`, `%c`, `+`, `#`, `$` topics, deny rules, names
//! and client ids with odd characters) are loaded into the emulator's
//! broker through the API, and random queries are answered both by
//! `cloudmqtt_access::evaluate` over `GET /acl` and by the broker: a QoS 1
//! publish under MQTT 5 for write (PUBACK 0x87 when refused), delivery to
//! a subscriber for read. Every disagreement ever found stays below as a
//! fixed case.
//!
//! The run is seeded; the seed is printed, and `CLOUDMQTT_DIFFERENTIAL_SEED`
//! replays one.

mod common;

use std::collections::BTreeMap;
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use cloudmqtt_access::explain::explain;
use cloudmqtt_access::{Access, AccessQuery, evaluate};
use cloudmqtt_api::{AclKind, AclRule, validate};
use common::mqtt::{self, Client};
use common::{Body, Emulator};
use serde_json::json;

const KEY: &str = "differential-key";
const PASSWORD: &str = "pw";
/// The user that publishes the messages read queries wait for.
const ADMIN: &str = "admin";
const ADMIN_CLIENT: &str = "admin-publisher";
/// Random rule sets per run, and queries per set.
const SETS: usize = 14;
const QUERIES_PER_SET: usize = 80;
/// Messages between two barriers (far below Mosquitto's queue limit).
const BATCH: usize = 60;

/// User names the API accepts, odd ones included.
const USERS: &[&str] = &[
    "u1", "u2", "a+b", "h#sh", "sl/ash", "pct%u", "$dollar", "sp ace", "ünï", "%c",
];
/// Client ids.
const CLIENTS: &[&str] = &["c1", "c2", "c+", "c#", "cl/id", "$cid", "%u", "ç"];
/// Levels for filters and topics, besides user names and client ids.
const LEVELS: &[&str] = &["a", "b", "", "x"];
/// First levels starting with `$`: the admin may publish under these.
const DOLLAR_LEVELS: &[&str] = &["$x", "$dollar", "$cid"];

/// splitmix64: small, seeded, good enough to pick cases.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }

    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.below(items.len())]
    }
}

/// A rule set and queries over it.
struct Scenario {
    users: Vec<String>,
    rules: Vec<AclRule>,
    queries: Vec<AccessQuery>,
}

fn rule(kind: AclKind, user: Option<&str>, pattern: &str, read: bool, write: bool) -> AclRule {
    AclRule {
        kind,
        pattern: pattern.to_owned(),
        read,
        write,
        username: user.map(str::to_owned),
    }
}

fn query(user: &str, client: &str, topic: &str, access: Access) -> AccessQuery {
    AccessQuery::new(user, Some(client.to_owned()), topic, access)
}

fn random_filter(rng: &mut Rng, users: &[String]) -> String {
    loop {
        let mut levels = Vec::new();
        let count = 1 + rng.below(3);
        for index in 0..count {
            let level = match rng.below(10) {
                0 | 1 => "+".to_owned(),
                2 => "%u".to_owned(),
                3 => "%c".to_owned(),
                4 if index == 0 => rng.pick(DOLLAR_LEVELS).to_owned(),
                5 if index == 0 => rng.pick(&["$SYS", "$share"]).to_owned(),
                6 => users[rng.below(users.len())].clone(),
                7 => rng.pick(CLIENTS).to_owned(),
                _ => rng.pick(LEVELS).to_owned(),
            };
            levels.push(level);
        }
        if rng.chance(35) {
            levels.push("#".to_owned());
        }
        let filter = levels.join("/");
        if validate::acl_topic_filter("pattern", &filter).is_ok() {
            return filter;
        }
    }
}

fn random_topic(rng: &mut Rng, users: &[String], for_read: bool) -> String {
    loop {
        let mut levels = Vec::new();
        let count = 1 + rng.below(4);
        for index in 0..count {
            let level = match rng.below(10) {
                0 if index == 0 => rng.pick(DOLLAR_LEVELS).to_owned(),
                1 if index == 0 && !for_read => rng.pick(&["$SYS", "$share", "$SYSTEM"]).to_owned(),
                2 | 3 => users[rng.below(users.len())].clone(),
                4 => rng.pick(CLIENTS).to_owned(),
                5 => "%u".to_owned(),
                _ => rng.pick(LEVELS).to_owned(),
            };
            levels.push(level);
        }
        if !for_read && rng.chance(3) {
            levels = vec![
                "$SYS".into(),
                "broker".into(),
                "connection".into(),
                "b".into(),
                "state".into(),
            ];
        }
        let topic = levels.join("/");
        if validate::topic_name("topic", &topic).is_ok() {
            return topic;
        }
    }
}

/// A topic a rule's filter matches for this user and client, or near one.
fn topic_from_rule(rng: &mut Rng, rule: &AclRule, user: &str, client: &str) -> String {
    let mut levels = Vec::new();
    for level in rule.pattern.split('/') {
        let level = match level {
            "+" => rng.pick(&["a", "b", "", "q"]).to_owned(),
            "#" => {
                let extra: Vec<&str> = (0..rng.below(3)).map(|_| rng.pick(LEVELS)).collect();
                if extra.is_empty() {
                    // `a/#` also matches `a`.
                    break;
                }
                extra.join("/")
            }
            other if rule.kind == AclKind::Pattern => {
                other.replace("%c", client).replace("%u", user)
            }
            other => other.to_owned(),
        };
        levels.push(level);
    }
    if rng.chance(15) {
        levels.push(rng.pick(LEVELS).to_owned());
    }
    levels.join("/")
}

fn random_scenario(rng: &mut Rng) -> Scenario {
    let mut users: Vec<String> = Vec::new();
    while users.len() < 3 + rng.below(2) {
        let user = rng.pick(USERS).to_owned();
        if !users.contains(&user) {
            users.push(user);
        }
    }
    let mut rules = Vec::new();
    for _ in 0..2 + rng.below(7) {
        let pattern = random_filter(rng, &users);
        let (read, write) = match rng.below(4) {
            0 => (true, true),
            1 => (true, false),
            2 => (false, true),
            _ => (false, false),
        };
        let kind = if rng.chance(50) {
            AclKind::Topic
        } else {
            AclKind::Pattern
        };
        let user = users[rng.below(users.len())].clone();
        rules.push(rule(
            kind,
            (kind == AclKind::Topic).then_some(user.as_str()),
            &pattern,
            read,
            write,
        ));
    }
    let mut queries = Vec::new();
    for _ in 0..QUERIES_PER_SET {
        let user = users[rng.below(users.len())].clone();
        let client = rng.pick(CLIENTS);
        let access = if rng.chance(50) {
            Access::Read
        } else {
            Access::Write
        };
        let mut topic = random_topic(rng, &users, access == Access::Read);
        if rng.chance(70) {
            let rule = &rules[rng.below(rules.len())];
            let derived = topic_from_rule(rng, rule, &user, client);
            let dollar = ["$SYS", "$share"]
                .iter()
                .any(|prefix| derived.starts_with(prefix));
            if validate::topic_name("topic", &derived).is_ok()
                && !(access == Access::Read && dollar)
                && !(derived.starts_with('$')
                    && !DOLLAR_LEVELS.iter().any(|level| derived.starts_with(level))
                    && access == Access::Read)
            {
                topic = derived;
            }
        }
        queries.push(query(&user, client, &topic, access));
    }
    Scenario {
        users,
        rules,
        queries,
    }
}

/// Cases that once disagreed or that pin down a fact about Mosquitto.
fn fixed_scenarios() -> Vec<Scenario> {
    use Access::{Read, Write};
    use AclKind::{Pattern, Topic};
    let users = |names: &[&str]| names.iter().map(|name| (*name).to_owned()).collect();
    vec![
        // A pattern deny does not override a topic allow; a topic read rule
        // and a pattern write rule together allow a write.
        Scenario {
            users: users(&["u1", "u2"]),
            rules: vec![
                rule(Pattern, None, "secret/#", false, false),
                rule(Topic, Some("u1"), "secret/#", true, true),
                rule(Topic, Some("u2"), "t/#", true, false),
                rule(Pattern, None, "t/%u", false, true),
            ],
            queries: vec![
                query("u1", "c1", "secret/x", Write),
                query("u2", "c1", "secret/x", Write),
                query("u2", "c1", "t/u2", Write),
                query("u2", "c1", "t/u2", Read),
                query("u2", "c1", "t/u1", Write),
                query("u1", "c1", "secret", Read),
            ],
        },
        // `+` or `#` in a name denies only with pattern rules, and only
        // after the user's own topic rules.
        Scenario {
            users: users(&["a+b", "h#sh"]),
            rules: vec![rule(Topic, Some("a+b"), "x/+", true, true)],
            queries: vec![
                query("a+b", "c1", "x/", Write),
                query("a+b", "c1", "y", Write),
                query("h#sh", "c+", "x/a", Read),
            ],
        },
        Scenario {
            users: users(&["a+b", "u1"]),
            rules: vec![
                rule(Topic, Some("a+b"), "x/+", true, true),
                rule(Pattern, None, "#", true, true),
            ],
            queries: vec![
                query("a+b", "c1", "x/a", Write),
                query("a+b", "c1", "y", Write),
                query("u1", "c+", "y", Write),
                query("u1", "c#", "y", Read),
                query("u1", "c1", "y", Read),
                query("u1", "c1", "$x/y", Write),
            ],
        },
        // One-pass substitution; a `/` in a name adds levels; `$` checks on
        // the substituted filter; `$SYS` and `$share` prefixes.
        Scenario {
            users: users(&["sl/ash", "$dollar", "%c"]),
            rules: vec![
                rule(Pattern, None, "%u/%c/#", true, true),
                rule(Topic, Some("sl/ash"), "#", true, true),
                rule(Pattern, None, "$SYS/#", true, true),
                rule(Pattern, None, "$share/#", true, true),
            ],
            queries: vec![
                query("sl/ash", "c1", "sl/ash/c1", Write),
                query("sl/ash", "c1", "$x", Write),
                query("$dollar", "cl/id", "$dollar/cl/id/z", Write),
                query("$dollar", "c1", "$dollar/c2", Write),
                query("%c", "%u", "%c/%u", Write),
                query("%c", "%u", "%c/%c", Write),
                query("%c", "c2", "$SYS/x", Write),
                query("%c", "c1", "$SYSTEM", Write),
                query("%c", "c1", "$SYS/broker/connection/b/state", Write),
                query("%c", "c1", "$share/g/x", Write),
            ],
        },
        // `a/#` matches `a`, `+` an empty level, `#` no `$` topic.
        Scenario {
            users: users(&["u1"]),
            rules: vec![
                rule(Topic, Some("u1"), "a/#", true, false),
                rule(Topic, Some("u1"), "b/+/c", false, true),
                rule(Topic, Some("u1"), "#", true, false),
            ],
            queries: vec![
                query("u1", "c1", "a", Read),
                query("u1", "c1", "b//c", Write),
                query("u1", "c1", "$x/a", Read),
                query("u1", "c1", "z", Write),
            ],
        },
    ]
}

/// What the broker did with each query, in order.
fn ask_broker(emulator: &Emulator, scenario: &Scenario) -> Vec<bool> {
    let port = emulator.mqtt();
    let mut answers = vec![false; scenario.queries.len()];
    // Group queries by who asks, keeping their indices.
    let mut by_identity: BTreeMap<(String, String, Access), Vec<usize>> = BTreeMap::new();
    for (index, query) in scenario.queries.iter().enumerate() {
        let client = query.client_id.clone().unwrap();
        by_identity
            .entry((query.username.clone(), client, query.access))
            .or_default()
            .push(index);
    }
    let mut admin = Client::connect(port, ADMIN_CLIENT, ADMIN, PASSWORD).unwrap();
    for ((user, client_id, access), indices) in by_identity {
        let mut client = Client::connect(port, &client_id, &user, PASSWORD)
            .unwrap_or_else(|error| panic!("{user:?}/{client_id:?} cannot connect: {error:?}"));
        for batch in indices.chunks(BATCH) {
            match access {
                Access::Write => {
                    for &index in batch {
                        let code = client
                            .publish(&scenario.queries[index].topic, b"w")
                            .unwrap();
                        assert!(
                            [
                                mqtt::SUCCESS,
                                mqtt::NO_MATCHING_SUBSCRIBERS,
                                mqtt::NOT_AUTHORIZED
                            ]
                            .contains(&code),
                            "PUBACK reason {code:#x}"
                        );
                        answers[index] = code != mqtt::NOT_AUTHORIZED;
                    }
                }
                Access::Read => {
                    let topics: Vec<&str> = batch
                        .iter()
                        .map(|&index| scenario.queries[index].topic.as_str())
                        .collect();
                    client.subscribe(&topics).unwrap();
                    for &index in batch {
                        let code = admin
                            .publish(&scenario.queries[index].topic, index.to_string().as_bytes())
                            .unwrap();
                        assert_ne!(
                            code,
                            mqtt::NOT_AUTHORIZED,
                            "the admin may publish {:?}",
                            scenario.queries[index].topic
                        );
                    }
                    // Every message routed to this client is queued on its
                    // connection before the PINGRESP.
                    client.barrier().unwrap();
                    for (topic, payload) in client.inbox.drain(..) {
                        let index: usize = String::from_utf8(payload).unwrap().parse().unwrap();
                        assert_eq!(topic, scenario.queries[index].topic);
                        answers[index] = true;
                    }
                }
            }
        }
        client.disconnect().unwrap();
    }
    admin.disconnect().unwrap();
    answers
}

/// Loads a scenario into the emulator (after a reset) and returns the rule
/// list as `GET /acl` shows it.
fn load(emulator: &Emulator, scenario: &Scenario) -> Vec<AclRule> {
    let reply = emulator.call("POST", "/instance/reset", None);
    assert_eq!(reply.status, 204, "{}", reply.text());
    let mut users = scenario.users.clone();
    users.push(ADMIN.to_owned());
    for user in &users {
        let reply = emulator.call(
            "POST",
            "/user",
            Some(Body::Json(json!({"username": user, "password": PASSWORD}))),
        );
        assert_eq!(reply.status, 204, "{user:?}: {}", reply.text());
    }
    let mut rules = scenario.rules.clone();
    rules.push(rule(AclKind::Topic, Some(ADMIN), "#", true, true));
    for level in DOLLAR_LEVELS {
        rules.push(rule(
            AclKind::Topic,
            Some(ADMIN),
            &format!("{level}/#"),
            true,
            true,
        ));
    }
    for rule in &rules {
        let reply = emulator.call("POST", "/acl", Some(Body::Json(json!(rule))));
        assert_eq!(reply.status, 204, "{rule:?}: {}", reply.text());
    }
    let listed = emulator.call("GET", "/acl", None);
    cloudmqtt_api::parse_acl_rules(&listed.body).unwrap()
}

/// Runs one scenario; returns how many queries ran, how many the broker
/// allowed, and the disagreements.
fn run(emulator: &Emulator, scenario: &Scenario) -> (usize, usize, Vec<String>) {
    let rules = load(emulator, scenario);
    let broker = ask_broker(emulator, scenario);
    let allowed = broker.iter().filter(|allowed| **allowed).count();
    let mut disagreements = Vec::new();
    for (query, broker_allowed) in scenario.queries.iter().zip(broker) {
        let decision = evaluate(&rules, query).unwrap();
        // `acl why` names the rule the broker's decision follows, and
        // explains every other rule near it.
        let why = explain(&rules, query).unwrap();
        if why.allowed != broker_allowed || why.decided.index != decision.index {
            disagreements.push(format!(
                "why says {} by rule {:?}, the broker {} ({:?}) for {query:?} over {rules:?}",
                if why.allowed { "allowed" } else { "denied" },
                why.decided.index,
                if broker_allowed { "allowed" } else { "denied" },
                decision.index,
            ));
        }
        if decision.allowed != broker_allowed {
            disagreements.push(format!(
                "broker {} but checker {} ({:?}, rule {:?}) for {query:?} over {rules:?}",
                if broker_allowed { "allowed" } else { "denied" },
                if decision.allowed {
                    "allowed"
                } else {
                    "denied"
                },
                decision.reason,
                decision.rule,
            ));
        }
    }
    (scenario.queries.len(), allowed, disagreements)
}

#[test]
fn the_checker_answers_as_mosquitto_does() {
    common::require_broker_tools();
    let seed = std::env::var("CLOUDMQTT_DIFFERENTIAL_SEED")
        .ok()
        .map(|text| text.parse::<u64>().expect("a numeric seed"))
        .unwrap_or_else(|| {
            let now = SystemTime::now().duration_since(UNIX_EPOCH).unwrap();
            now.as_secs() ^ u64::from(now.subsec_nanos())
        });
    println!("differential seed={seed} (replay with CLOUDMQTT_DIFFERENTIAL_SEED={seed})");
    let started = Instant::now();
    let emulator = Emulator::start(&["--api-key", KEY, "--apply-delay-ms", "0"]);
    let mut rng = Rng(seed);
    let mut scenarios = fixed_scenarios();
    scenarios.extend((0..SETS).map(|_| random_scenario(&mut rng)));
    let mut total = 0;
    let mut allowed = 0;
    let mut disagreements = Vec::new();
    for scenario in &scenarios {
        let (count, allowed_here, found) = run(&emulator, scenario);
        total += count;
        allowed += allowed_here;
        disagreements.extend(found);
    }
    println!(
        "differential: {} rule sets, {total} queries ({allowed} allowed by the broker), {} disagreements, {:.1} s (seed {seed})",
        scenarios.len(),
        disagreements.len(),
        started.elapsed().as_secs_f64()
    );
    assert!(
        disagreements.is_empty(),
        "seed {seed}: {} disagreements:\n{}",
        disagreements.len(),
        disagreements.join("\n")
    );
    assert!(total >= 1000, "only {total} queries ran");
}
