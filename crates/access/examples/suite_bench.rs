//! Rule tests at scale: 10,000 cases over 2,000 rules, timed, and printed
//! (a figure, not an assertion). Run with
//! `cargo run --release -p cloudmqtt-access --example suite_bench`.

use std::time::Instant;

use cloudmqtt_access::suite::{Case, run};
use cloudmqtt_access::{Access, AclKind, AclRule};

/// The clock: the crate never reads it (its lints forbid that); a
/// benchmark is the one place that does.
#[allow(clippy::disallowed_methods)]
fn now() -> Instant {
    Instant::now()
}

fn main() {
    // 1,900 topic rules over 950 users, 100 pattern rules.
    let mut rules: Vec<AclRule> = (0..1_900)
        .map(|i| AclRule {
            kind: AclKind::Topic,
            pattern: format!("site/{}/device/{}/#", i % 50, i),
            read: i % 3 != 0,
            write: i % 2 == 0,
            username: Some(format!("user-{}", i / 2)),
        })
        .collect();
    rules.extend((0..100).map(|i| AclRule {
        kind: AclKind::Pattern,
        pattern: format!("home/%u/room/{i}/+"),
        read: true,
        write: i % 4 != 0,
        username: None,
    }));
    let cases: Vec<Case> = (0..10_000)
        .map(|i| Case {
            user: format!("user-{}", (i % 1_900) / 2),
            client_id: Some(format!("client-{i}")),
            topic: if i % 2 == 0 {
                // The device of a rule of this user.
                format!("site/{}/device/{}/temp", (i % 1_900) % 50, i % 1_900)
            } else {
                format!("home/user-{}/room/{}/lamp", (i % 1_900) / 2, i % 100)
            },
            access: if i % 3 == 0 {
                Access::Write
            } else {
                Access::Read
            },
            expect_allow: i % 5 != 0,
            decided_by: None,
        })
        .collect();
    let started = now();
    let report = run(&rules, &[], &cases).expect("valid cases");
    let took = started.elapsed();
    println!(
        "acl test: {} cases over {} rules in {:.3} s ({} passed, {} failed, {} of {} rules decided a case; target: under 1 s)",
        cases.len(),
        rules.len(),
        took.as_secs_f64(),
        report.passed(),
        report.failed(),
        report.coverage.rules_covered(),
        rules.len()
    );
}
