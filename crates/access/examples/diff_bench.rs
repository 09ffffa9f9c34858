//! How long an access diff takes at scale: 10,000 users with 2 topic rules
//! each (20,000 rules) and 3 pattern rules, against a rule set that holds
//! half of those topic rules, some with other rights, printed next to a
//! tenth of the size; then the same with a pattern rule changed, which
//! every user must be looked at for. Each figure comes with the number of
//! lines and an FNV-1a fingerprint of them: a faster diff must print the
//! same fingerprints (`6bfc810ade296675` and `9c5aa0aee8f87b64` for the
//! 10,000 users).
//!
//! `cargo run --release -p cloudmqtt-access --example diff_bench`
#![allow(clippy::disallowed_methods)] // A benchmark reads the clock.

use std::time::{Duration, Instant};

use cloudmqtt_access::diff::diff;
use cloudmqtt_access::{AclKind, AclRule};

fn rule(user: Option<&str>, pattern: String, read: bool, write: bool) -> AclRule {
    AclRule {
        kind: if user.is_some() {
            AclKind::Topic
        } else {
            AclKind::Pattern
        },
        pattern,
        read,
        write,
        username: user.map(str::to_owned),
    }
}

fn inputs(users: usize, pattern_changed: bool) -> (Vec<AclRule>, Vec<AclRule>) {
    let patterns = |write: bool| {
        vec![
            rule(None, "home/%u/private".into(), false, false),
            rule(None, "home/%u/#".into(), true, write),
            rule(None, "status/%c".into(), false, true),
        ]
    };
    let mut old = patterns(true);
    let mut new = patterns(!pattern_changed);
    for i in 0..users {
        let name = format!("device-{i:05}");
        for topic in ["in", "out"] {
            let pattern = format!("devices/{i}/{topic}/#");
            let write = topic == "out";
            new.push(rule(Some(&name), pattern.clone(), true, write));
            if i % 2 == 0 {
                old.push(rule(Some(&name), pattern, i % 10 != 0, write));
            }
        }
    }
    (old, new)
}

/// FNV-1a over the lines, each ended by a newline: a fingerprint of the
/// output, to see that a faster diff still says the same.
fn fingerprint<'l>(lines: impl Iterator<Item = String> + 'l) -> (usize, u64) {
    let mut count = 0;
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for line in lines {
        count += 1;
        for byte in line.bytes().chain([b'\n']) {
            hash = (hash ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3);
        }
    }
    (count, hash)
}

fn time(users: usize, pattern_changed: bool) -> (Duration, usize, u64) {
    let (old, new) = inputs(users, pattern_changed);
    let mut best = Duration::MAX;
    let mut lines = (0, 0);
    for _ in 0..3 {
        let start = Instant::now();
        let report = diff(&old, &new);
        best = best.min(start.elapsed());
        lines = fingerprint(report.lines());
    }
    (best, lines.0, lines.1)
}

fn main() {
    for pattern_changed in [false, true] {
        let what = if pattern_changed {
            "topic rules and a pattern rule changed"
        } else {
            "topic rules changed"
        };
        let (small, small_lines, small_hash) = time(1_000, pattern_changed);
        let (large, large_lines, large_hash) = time(10_000, pattern_changed);
        println!(
            "diff  1,000 users /  2,003 rules, {what}: {:>9.2} ms ({small_lines} lines, FNV-1a {small_hash:016x})",
            small.as_secs_f64() * 1e3
        );
        println!(
            "diff 10,000 users / 20,003 rules, {what}: {:>9.2} ms ({large_lines} lines, FNV-1a {large_hash:016x})",
            large.as_secs_f64() * 1e3
        );
        println!(
            "ratio for 10x the input: {:.1}x",
            large.as_secs_f64() / small.as_secs_f64()
        );
    }
}
