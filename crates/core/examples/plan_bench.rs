//! Prints how long the core takes to plan 10,000 users and 20,000 rules
//! against a server that holds half of them (some with other rights) and
//! 2,000 others, next to a tenth of that size: the ratio shows the
//! planner grows with its input (ordered maps: n log n), not with its
//! square. Then, for the large plan, what `plan -o` and `apply PLAN` do
//! besides: the saved plan written and read back, and the staleness check
//! against the server read again. (What the plan does to access, the other
//! local work of `plan -o`, is timed by the access crate's `diff_bench` on
//! the same shape of input.)
//!
//! `cargo run --release -p cloudmqtt-api --example plan_bench`
#![allow(clippy::disallowed_methods)] // A benchmark reads the clock.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use cloudmqtt_api::{
    AclKind, AclRule, DesiredAccess, NewAclRule, Outside, Ownership, PasswordRef, PlanOptions,
    SavedPlan, Secret, ServerAccess, plan,
};

fn inputs(users: usize) -> (DesiredAccess, ServerAccess) {
    let names: Vec<String> = (0..users).map(|i| format!("device-{i:05}")).collect();
    let mut desired = DesiredAccess {
        users: BTreeMap::new(),
        rules: Vec::new(),
    };
    let mut server = ServerAccess::default();
    for (i, name) in names.iter().enumerate() {
        desired
            .users
            .insert(name.clone(), Some(Secret::new(format!("pw-{i}"))));
        for topic in ["in", "out"] {
            let rule = NewAclRule::Topic {
                username: name.clone(),
                pattern: format!("devices/{i}/{topic}/#"),
                read: true,
                write: topic == "out",
            };
            if i % 2 == 0 {
                server.rules.push(AclRule {
                    kind: AclKind::Topic,
                    pattern: rule.pattern().to_owned(),
                    read: i % 10 != 0,
                    write: topic == "out",
                    username: Some(name.clone()),
                });
            }
            desired.rules.push(rule);
        }
        if i % 2 == 0 {
            server.users.insert(name.clone());
        }
    }
    for i in 0..users / 5 {
        server.users.insert(format!("old-{i:05}"));
    }
    (desired, server)
}

fn time(users: usize) -> (Duration, usize) {
    let (desired, server) = inputs(users);
    let options = PlanOptions {
        prune: true,
        set_passwords: false,
    };
    let mut best = Duration::MAX;
    let mut changes = 0;
    for _ in 0..5 {
        let start = Instant::now();
        let planned = plan(&desired, &server, options).expect("a valid plan");
        best = best.min(start.elapsed());
        changes = planned.changes.len();
    }
    (best, changes)
}

/// The best of five runs of `work`, in milliseconds.
fn best_ms(mut work: impl FnMut()) -> f64 {
    let mut best = Duration::MAX;
    for _ in 0..5 {
        let start = Instant::now();
        work();
        best = best.min(start.elapsed());
    }
    best.as_secs_f64() * 1e3
}

/// The saved plan's parts for 10,000 users and 20,000 rules.
fn saved_plan() {
    let (desired, server) = inputs(10_000);
    let options = PlanOptions {
        prune: true,
        set_passwords: false,
    };
    let planned = plan(&desired, &server, options).expect("a valid plan");
    let saved = SavedPlan {
        files: vec![],
        options,
        targets: vec![],
        ownership: Ownership::everything(),
        outside: Outside::default(),
        passwords: planned
            .password_users()
            .map(|user| (user.to_owned(), PasswordRef::Env(format!("PW_{user}"))))
            .collect(),
        versions: BTreeMap::new(),
        missing_passwords: vec![],
        notes: vec![],
        access: None,
        server: server.clone(),
        plan: planned,
    };
    let mut text = String::new();
    let write = best_ms(|| text = saved.to_json());
    let read = best_ms(|| {
        SavedPlan::from_json(&text).expect("reads back");
    });
    let check = best_ms(|| saved.check_fresh(&server).expect("fresh"));
    println!(
        "saved plan of 10,000 users / 20,000 rules ({} KB): write {write:.2} ms, read {read:.2} ms, staleness check {check:.2} ms",
        text.len() / 1024
    );
}

fn main() {
    let (small, small_changes) = time(1_000);
    let (large, large_changes) = time(10_000);
    println!(
        "plan  1,000 users /  2,000 rules: {:>8.2} ms ({small_changes} changes)",
        small.as_secs_f64() * 1e3
    );
    println!(
        "plan 10,000 users / 20,000 rules: {:>8.2} ms ({large_changes} changes)",
        large.as_secs_f64() * 1e3
    );
    println!(
        "ratio for 10x the input: {:.1}x (n log n plus cache effects; quadratic matching would be near 100x)",
        large.as_secs_f64() / small.as_secs_f64()
    );
    saved_plan();
}
