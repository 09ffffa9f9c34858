//! Plan and apply against a model server on a virtual clock: creates and
//! deletes apply after a delay, and scripted failures strike before or after
//! the server acts (429, 500, timeouts, lost connections).

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use cloudmqtt_api::{
    AccessChange, AccessPlan, AclKind, AclRule, ApiConfig, Apply, ApplyOptions, ApplyReport,
    DesiredAccess, Event, Input, Machine, Method, NewAclRule, Output, PlanOptions, Progress,
    Request, Response, Secret, ServerAccess, TransportError, WaitOptions, plan,
};
use proptest::prelude::*;
use serde_json::{Value, json};

const DELAY: Duration = Duration::from_millis(1000);

/// What the model server does with one request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Fault {
    None,
    /// 429 with Retry-After: 1, nothing done.
    Throttle,
    /// 500, nothing done.
    FailBefore,
    /// Done, then 500.
    FailAfter,
    /// Done, but the answer is lost (a timeout).
    LostAfter,
    /// Never arrives (a network failure).
    LostBefore,
}

#[derive(Debug, Clone)]
enum Change {
    CreateUser(String, String),
    DeleteUser(String),
    CreateRule(AclRule),
    DeleteRules(Option<String>, String),
}

/// A CloudMQTT-like server. With `duplicates`, creating a rule that exists
/// adds a second one (as a server that does not merge them would), so a
/// repeated POST shows.
#[derive(Debug, Default)]
struct Model {
    users: BTreeMap<String, String>,
    rules: Vec<AclRule>,
    pending: Vec<(SystemTime, Change)>,
    duplicates: bool,
    faults: Vec<Fault>,
    /// Failures injected per request, capped so every change gets through.
    struck: BTreeMap<String, u32>,
    posts: u64,
    next: usize,
}

fn apply_change(
    users: &mut BTreeMap<String, String>,
    rules: &mut Vec<AclRule>,
    change: &Change,
    duplicates: bool,
) {
    match change {
        Change::CreateUser(name, password) => {
            users.insert(name.clone(), password.clone());
        }
        Change::DeleteUser(name) => {
            users.remove(name);
            rules.retain(|rule| rule.username.as_deref() != Some(name));
        }
        Change::CreateRule(rule) => {
            let existing = rules.iter_mut().find(|r| {
                r.kind == rule.kind && r.username == rule.username && r.pattern == rule.pattern
            });
            match existing {
                Some(existing) if !duplicates => {
                    existing.read = rule.read;
                    existing.write = rule.write;
                }
                _ => rules.push(rule.clone()),
            }
        }
        Change::DeleteRules(user, topic) => rules.retain(|rule| {
            !(rule.pattern == *topic
                && match user {
                    Some(name) => rule.username.as_deref() == Some(name),
                    None => rule.kind == AclKind::Pattern,
                })
        }),
    }
}

impl Model {
    fn settle(&mut self, now: SystemTime) {
        let due: Vec<Change> = self
            .pending
            .iter()
            .filter(|(at, _)| *at <= now)
            .map(|(_, change)| change.clone())
            .collect();
        self.pending.retain(|(at, _)| *at > now);
        for change in due {
            apply_change(&mut self.users, &mut self.rules, &change, self.duplicates);
        }
    }

    fn projected(&self) -> (BTreeMap<String, String>, Vec<AclRule>) {
        let (mut users, mut rules) = (self.users.clone(), self.rules.clone());
        for (_, change) in &self.pending {
            apply_change(&mut users, &mut rules, change, self.duplicates);
        }
        (users, rules)
    }

    fn fault(&mut self, key: &str) -> Fault {
        let fault = if self.faults.is_empty() {
            Fault::None
        } else {
            self.next += 1;
            self.faults[self.next % self.faults.len()]
        };
        if fault == Fault::None {
            return fault;
        }
        let struck = self.struck.entry(key.to_owned()).or_default();
        if *struck >= 3 {
            return Fault::None;
        }
        *struck += 1;
        fault
    }

    fn handle(&mut self, request: &Request, now: SystemTime) -> Input {
        self.settle(now);
        let body = String::from_utf8(request.body.clone()).unwrap();
        let key = format!("{:?} {} {body}", request.method, request.url);
        let fault = self.fault(&key);
        match fault {
            Fault::Throttle => {
                return Input::Response(Response::new(
                    429,
                    vec![("retry-after".into(), "1".into())],
                    vec![],
                ));
            }
            Fault::FailBefore => {
                return Input::Response(Response::new(500, vec![], b"oops".to_vec()));
            }
            Fault::LostBefore => return Input::Failed(TransportError::Network("reset".into())),
            _ => {}
        }
        let response = self.act(request, &body, now);
        match fault {
            Fault::FailAfter => Input::Response(Response::new(500, vec![], b"oops".to_vec())),
            Fault::LostAfter => Input::Failed(TransportError::Timeout),
            _ => Input::Response(response),
        }
    }

    fn act(&mut self, request: &Request, body: &str, now: SystemTime) -> Response {
        let path = request.url.strip_prefix("http://127.0.0.1:9/api").unwrap();
        let (path, query) = path.split_once('?').unwrap_or((path, ""));
        let fields: Value = if body.is_empty() {
            json!({})
        } else {
            serde_json::from_str(body).unwrap()
        };
        let text = |name: &str| fields.get(name).and_then(Value::as_str).map(str::to_owned);
        let ok = || Response::new(204, vec![], vec![]);
        let status = |code: u16| Response::new(code, vec![], format!("status {code}").into_bytes());
        let (users, rules) = self.projected();
        let due = now + DELAY;
        match (request.method, path) {
            (Method::Get, "/user") => {
                let param = |name: &str| {
                    query
                        .split('&')
                        .find_map(|pair| pair.strip_prefix(&format!("{name}=")))
                        .map(|v| v.parse::<usize>().unwrap())
                };
                let (limit, page) = (param("limit").unwrap_or(1000), param("page").unwrap_or(1));
                let names: Vec<Value> = self
                    .users
                    .keys()
                    .skip((page - 1) * limit)
                    .take(limit)
                    .map(|name| json!({ "username": name }))
                    .collect();
                Response::new(200, vec![], serde_json::to_vec(&names).unwrap())
            }
            (Method::Get, "/acl") => {
                Response::new(200, vec![], serde_json::to_vec(&self.rules).unwrap())
            }
            (Method::Post, "/user") => {
                self.posts += 1;
                let name = text("username").unwrap();
                if users.contains_key(&name) {
                    return status(400);
                }
                self.pending
                    .push((due, Change::CreateUser(name, text("password").unwrap())));
                ok()
            }
            (Method::Post, "/acl") => {
                self.posts += 1;
                let kind = AclKind::parse(&text("type").unwrap()).unwrap();
                let username = text("username");
                if username
                    .as_ref()
                    .is_some_and(|name| !users.contains_key(name))
                {
                    return status(404);
                }
                let rule = AclRule {
                    kind,
                    pattern: text("pattern").unwrap(),
                    read: fields["read"].as_bool().unwrap(),
                    write: fields["write"].as_bool().unwrap(),
                    username,
                };
                self.pending.push((due, Change::CreateRule(rule)));
                ok()
            }
            (Method::Delete, "/acl") => {
                let (user, topic) = (text("username"), text("topic").unwrap());
                let found = rules.iter().any(|rule| {
                    rule.pattern == topic
                        && match &user {
                            Some(name) => rule.username.as_deref() == Some(name),
                            None => rule.kind == AclKind::Pattern,
                        }
                });
                if !found {
                    return status(404);
                }
                self.pending.push((due, Change::DeleteRules(user, topic)));
                ok()
            }
            (method, path) if path.starts_with("/user/") => {
                let name = percent_encoding::percent_decode_str(&path[6..])
                    .decode_utf8()
                    .unwrap()
                    .into_owned();
                if !users.contains_key(&name) {
                    return status(404);
                }
                match method {
                    Method::Put => {
                        let password = text("password").unwrap();
                        self.users
                            .entry(name)
                            .and_modify(|p| p.clone_from(&password));
                        ok()
                    }
                    Method::Delete => {
                        self.pending.push((due, Change::DeleteUser(name)));
                        ok()
                    }
                    _ => status(405),
                }
            }
            _ => status(404),
        }
    }

    fn access(&self) -> ServerAccess {
        ServerAccess {
            users: self.users.keys().cloned().collect(),
            rules: self.rules.clone(),
        }
    }
}

fn config() -> ApiConfig {
    ApiConfig::builder("k")
        .base_url("http://127.0.0.1:9/api")
        .build()
        .unwrap()
}

fn options(concurrency: usize) -> ApplyOptions {
    ApplyOptions {
        concurrency,
        settle: Duration::from_secs(5),
        wait: WaitOptions {
            interval: Duration::from_secs(2),
            timeout: Duration::from_secs(120),
            max_interval: Duration::from_secs(30),
            ..WaitOptions::default()
        },
        ..ApplyOptions::default()
    }
}

/// Drives an apply on a virtual clock, answering requests in flight in a
/// scrambled order; returns the report, the time taken and the largest
/// number of requests in flight at once.
fn drive(model: &mut Model, apply: &mut Apply, order: u64) -> (ApplyReport, Duration, usize) {
    let start = UNIX_EPOCH + Duration::from_secs(1_000_000);
    let mut now = start;
    let mut flight: Vec<(cloudmqtt_api::Ticket, Request)> = Vec::new();
    let mut most = 0;
    let mut turn = order;
    for _ in 0..1_000_000 {
        match apply.poll_output(now) {
            Output::Send(ticket, request) => {
                flight.push((ticket, request));
                most = most.max(flight.len());
            }
            Output::Event(_) => {}
            Output::WaitUntil(at) if flight.is_empty() => now = now.max(at),
            Output::Pending | Output::WaitUntil(_) => {
                assert!(!flight.is_empty(), "busy with nothing in flight");
                turn = turn
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                let (ticket, request) = flight.remove((turn >> 33) as usize % flight.len());
                now += Duration::from_millis(20);
                let input = model.handle(&request, now);
                apply.handle_input(ticket, input, now);
            }
            Output::Done(result) => {
                assert!(flight.is_empty());
                return (result.unwrap(), now.duration_since(start).unwrap(), most);
            }
        }
    }
    panic!("the apply never finished");
}

fn desired_state(users: &[&str], rules: Vec<NewAclRule>) -> DesiredAccess {
    DesiredAccess {
        users: users
            .iter()
            .map(|name| ((*name).to_owned(), Some(Secret::new(format!("pw-{name}")))))
            .collect(),
        rules,
    }
}

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

/// Plans, applies and lets the server settle; returns the report.
fn converge(
    model: &mut Model,
    desired: &DesiredAccess,
    plan_options: PlanOptions,
    concurrency: usize,
    order: u64,
) -> (AccessPlan, ApplyReport, usize) {
    let planned = plan(desired, &model.access(), plan_options).unwrap();
    let mut apply = Apply::new(&config(), &planned, desired, options(concurrency), order);
    let (report, _, most) = drive(model, &mut apply, order);
    model.settle(UNIX_EPOCH + Duration::from_secs(10_000_000));
    (planned, report, most)
}

/// The server holds exactly what is desired (plus, without prune, what
/// was there and is not desired), each rule once.
fn assert_converged(model: &Model, desired: &DesiredAccess, pruned: bool) {
    for (name, password) in &desired.users {
        assert!(model.users.contains_key(name), "user {name} missing");
        let _ = password;
    }
    if pruned {
        let names: BTreeSet<&String> = model.users.keys().collect();
        let wanted: BTreeSet<&String> = desired.users.keys().collect();
        assert_eq!(names, wanted);
        assert_eq!(model.rules.len(), desired.rules.len(), "{:?}", model.rules);
    }
    let mut identities = BTreeSet::new();
    for rule in &model.rules {
        assert!(
            identities.insert((rule.kind, rule.username.clone(), rule.pattern.clone())),
            "a duplicate rule: {rule:?}"
        );
    }
    for rule in &desired.rules {
        let (read, write) = rule.access();
        assert!(
            model.rules.iter().any(|r| r.kind == rule.kind()
                && r.username.as_deref() == rule.username()
                && r.pattern == rule.pattern()
                && (r.read, r.write) == (read, write)),
            "rule {rule:?} missing"
        );
    }
    let again = plan(
        desired,
        &model.access(),
        PlanOptions {
            prune: pruned,
            set_passwords: false,
        },
    )
    .unwrap();
    assert!(again.is_empty(), "plan after apply: {:?}", again.changes);
}

#[test]
fn applies_in_phases_and_waits_in_batches() {
    let mut model = Model {
        duplicates: true,
        ..Model::default()
    };
    model.users.insert("old".into(), "x".into());
    model.rules.push(AclRule {
        kind: AclKind::Topic,
        pattern: "old/#".into(),
        read: true,
        write: true,
        username: Some("old".into()),
    });
    let users: Vec<String> = (0..30).map(|i| format!("u{i}")).collect();
    let names: Vec<&str> = users.iter().map(String::as_str).collect();
    let mut rules: Vec<NewAclRule> = names
        .iter()
        .map(|u| topic(u, &format!("s/{u}/#"), false, true))
        .collect();
    rules.push(pattern("home/%u/#", true, true));
    let desired = desired_state(&names, rules);
    let (planned, report, most) = converge(
        &mut model,
        &desired,
        PlanOptions {
            prune: true,
            set_passwords: false,
        },
        4,
        7,
    );
    assert_eq!(report.failed, vec![]);
    assert_eq!(report.done.len(), planned.changes.len());
    assert_eq!(most, 4, "up to 4 requests in flight");
    // 30 users, 31 rules, 1 rule and 1 user deleted, plus one poll per
    // phase and interval: far fewer requests than one wait per change.
    assert!(report.requests < 80, "{} requests", report.requests);
    assert_eq!(model.posts, 61, "no POST repeated");
    assert_converged(&model, &desired, true);
    assert_eq!(model.users["u3"], "pw-u3");
}

#[test]
fn a_machine_driven_one_request_at_a_time_gets_the_same_result() {
    let mut model = Model::default();
    let desired = desired_state(
        &["a", "b"],
        vec![topic("a", "t", true, false), pattern("p/%u", true, true)],
    );
    let planned = plan(&desired, &model.access(), PlanOptions::default()).unwrap();
    let mut apply = Apply::new(&config(), &planned, &desired, options(4), 1);
    let run = common::drive(
        &mut apply,
        UNIX_EPOCH + Duration::from_secs(5),
        Duration::from_millis(5),
        |_, request, now| model.handle(request, now),
    );
    let (report, now) = (run.result.unwrap(), run.end);
    assert_eq!(report.done.len(), 4);
    model.settle(now + DELAY);
    assert_converged(&model, &desired, false);
    let progress: Vec<(usize, Progress)> = run
        .events
        .iter()
        .filter_map(|event| match event {
            Event::Change {
                index, progress, ..
            } => Some((*index, *progress)),
            _ => None,
        })
        .collect();
    assert_eq!(progress.len(), 8, "started and done for each change");
    for index in 0..4 {
        let of = |want| progress.iter().position(|&(i, p)| i == index && p == want);
        assert!(of(Progress::Started) < of(Progress::Done), "{progress:?}");
    }
}

#[test]
fn unknown_outcomes_are_read_before_a_create_is_sent_again() {
    // Every create is acted on but its answer lost, or refused before
    // acting: the first must not be sent again, the second must.
    for (fault, posts) in [
        (Fault::LostAfter, 3),
        (Fault::FailAfter, 3),
        (Fault::FailBefore, 3),
        (Fault::LostBefore, 3),
    ] {
        let mut model = Model {
            duplicates: true,
            faults: vec![fault],
            ..Model::default()
        };
        // Only the first attempt of each request is struck.
        let desired = desired_state(
            &["a"],
            vec![topic("a", "t", true, true), pattern("p", false, true)],
        );
        let planned = plan(&desired, &model.access(), PlanOptions::default()).unwrap();
        let mut apply = Apply::new(&config(), &planned, &desired, options(2), 3);
        model.struck.clear();
        let (report, _, _) = drive(&mut model, &mut apply, 3);
        model.settle(UNIX_EPOCH + Duration::from_secs(10_000_000));
        assert_eq!(report.failed, vec![], "{fault:?}");
        assert_converged(&model, &desired, false);
        // Faults strike each request up to three times: whether the POST
        // got through or not, each create acted exactly once.
        assert_eq!(model.posts, posts, "{fault:?}");
    }
}

#[test]
fn throttling_backs_everyone_off_and_a_rerun_after_an_interruption_converges() {
    let mut model = Model {
        faults: vec![Fault::None, Fault::Throttle, Fault::None, Fault::None],
        ..Model::default()
    };
    let users: Vec<String> = (0..12).map(|i| format!("d{i}")).collect();
    let names: Vec<&str> = users.iter().map(String::as_str).collect();
    let rules = names.iter().map(|u| topic(u, "t/#", true, false)).collect();
    let desired = desired_state(&names, rules);
    // Interrupted: only the first 9 requests are carried out.
    let planned = plan(&desired, &model.access(), PlanOptions::default()).unwrap();
    let mut apply = Apply::new(&config(), &planned, &desired, options(3), 5);
    let mut now = UNIX_EPOCH + Duration::from_secs(50);
    let mut sent = 0;
    while sent < 9 {
        match apply.poll_output(now) {
            Output::Send(ticket, request) => {
                sent += 1;
                let input = model.handle(&request, now);
                apply.handle_input(ticket, input, now);
            }
            Output::Event(_) => {}
            Output::WaitUntil(at) => now = at,
            other => panic!("{other:?}"),
        }
    }
    drop(apply);
    // Rerun at once: some creates are still pending on the server.
    model.settle(now);
    let (_, report, _) = converge(&mut model, &desired, PlanOptions::default(), 3, 11);
    assert_eq!(report.failed, vec![]);
    assert_converged(&model, &desired, false);
}

#[test]
fn failures_are_reported_and_dependent_rules_skipped() {
    let mut model = Model::default();
    let desired = desired_state(
        &["ok", "bad"],
        vec![topic("bad", "t", true, true), topic("ok", "t", true, true)],
    );
    let planned = plan(&desired, &model.access(), PlanOptions::default()).unwrap();
    // "bad" exists on the server already but never becomes visible: its
    // create is refused, and after the wait it is given up.
    model.pending.push((
        UNIX_EPOCH + Duration::from_secs(1 << 40),
        Change::CreateUser("bad".into(), "x".into()),
    ));
    let mut apply = Apply::new(&config(), &planned, &desired, options(2), 9);
    let (report, _, _) = drive(&mut model, &mut apply, 9);
    let failed: Vec<String> = report
        .failed
        .iter()
        .map(|(change, _)| change.to_string())
        .collect();
    assert_eq!(failed, ["+ user bad", "+ rule topic bad t read+write"]);
    assert_eq!(
        report.done,
        vec![AccessChange::create_user("ok"), planned.changes[3].clone()]
    );
    assert!(
        report.failed[0].1.to_string().contains("400"),
        "{}",
        report.failed[0].1
    );
}

fn arb_rule(users: Vec<String>) -> impl Strategy<Value = NewAclRule> {
    let topics = prop::sample::select(vec!["a", "a/#", "b/+/c", "d"]);
    (
        any::<bool>(),
        prop::sample::select(users),
        topics,
        any::<bool>(),
        any::<bool>(),
    )
        .prop_map(|(is_topic, user, pattern, read, write)| {
            if is_topic {
                topic(&user, pattern, read, write)
            } else {
                NewAclRule::Pattern {
                    pattern: format!("p/%u/{pattern}"),
                    read,
                    write,
                }
            }
        })
}

fn dedupe(rules: Vec<NewAclRule>) -> Vec<NewAclRule> {
    let mut seen = BTreeSet::new();
    rules
        .into_iter()
        .filter(|r| {
            seen.insert((
                r.kind(),
                r.username().map(str::to_owned),
                r.pattern().to_owned(),
            ))
        })
        .collect()
}

prop_compose! {
    fn arb_state()(
        mine in prop::collection::btree_set("[a-e]", 0..4),
        theirs in prop::collection::btree_set("[c-h]", 0..4),
        seed in any::<u64>(),
    )(
        rules in prop::collection::vec(arb_rule(mine.iter().cloned().chain(["x".to_owned()]).collect()), 0..6),
        old in prop::collection::vec(arb_rule(theirs.iter().cloned().chain(["y".to_owned()]).collect()), 0..6),
        mine in Just(mine),
        theirs in Just(theirs),
        seed in Just(seed),
        prune in any::<bool>(),
        faults in prop::collection::vec(prop::sample::select(vec![Fault::None, Fault::None, Fault::Throttle, Fault::FailBefore, Fault::FailAfter, Fault::LostAfter, Fault::LostBefore]), 0..5),
    ) -> (DesiredAccess, Model, bool, u64) {
        let mut users: Vec<&str> = mine.iter().map(String::as_str).collect();
        users.push("x");
        let rules = dedupe(rules);
        let desired = desired_state(&users, rules);
        let mut model = Model { faults, duplicates: seed % 2 == 0, ..Model::default() };
        for name in theirs.iter().map(String::as_str).chain(["y"]) {
            model.users.insert(name.to_owned(), "old".into());
        }
        model.rules = dedupe(old).iter().map(|rule| {
            let (read, write) = rule.access();
            AclRule { kind: rule.kind(), pattern: rule.pattern().into(), read, write, username: rule.username().map(str::to_owned) }
        }).collect();
        (desired, model, prune, seed)
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn planning_the_desired_state_against_itself_is_empty((desired, _, prune, _) in arb_state()) {
        let server = ServerAccess {
            users: desired.users.keys().cloned().collect(),
            rules: desired.rules.iter().map(|rule| {
                let (read, write) = rule.access();
                AclRule { kind: rule.kind(), pattern: rule.pattern().into(), read, write, username: rule.username().map(str::to_owned) }
            }).collect(),
        };
        let planned = plan(&desired, &server, PlanOptions { prune, set_passwords: false }).unwrap();
        prop_assert!(planned.is_empty(), "{:?}", planned.changes);
    }

    #[test]
    fn applying_a_plan_to_a_model_server_yields_the_desired_state((desired, mut model, prune, seed) in arb_state()) {
        let (_, report, _) = converge(&mut model, &desired, PlanOptions { prune, set_passwords: true }, 1 + (seed % 4) as usize, seed);
        prop_assert_eq!(report.failed, vec![]);
        assert_converged(&model, &desired, prune);
        for (name, password) in &desired.users {
            let password = password.as_ref().map(Secret::expose);
            prop_assert_eq!(Some(model.users[name].as_str()), password);
        }
    }
}

#[test]
fn passwords_never_show_in_debug_output_or_errors() {
    let desired = desired_state(&["echo"], vec![]);
    let planned = plan(&desired, &ServerAccess::default(), PlanOptions::default()).unwrap();
    let mut apply = Apply::new(&config(), &planned, &desired, options(1), 2);
    assert!(!format!("{apply:?}{desired:?}").contains("pw-echo"));
    let run = common::drive(
        &mut apply,
        UNIX_EPOCH + Duration::from_secs(9),
        Duration::ZERO,
        |_, request, _| {
            // A server that quotes the password it refuses.
            Input::Response(if request.method == Method::Post {
                Response::new(
                    422,
                    vec![],
                    br#"{"error":"password pw-echo rejected"}"#.to_vec(),
                )
            } else {
                Response::new(200, vec![], b"[]".to_vec())
            })
        },
    );
    let report = run.result.unwrap();
    assert_eq!(report.failed.len(), 1);
    let text = format!("{} {:?}", report.failed[0].1, report.failed[0].1);
    assert!(text.contains("422"), "{text}");
    assert!(!text.contains("pw-echo"), "{text}");
}
