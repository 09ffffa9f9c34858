//! The fault-injection flags do what they promise.

mod common;

use std::time::{Duration, Instant};

use common::Emulator;

fn statuses(emulator: &Emulator, count: usize) -> Vec<u16> {
    (0..count)
        .map(|_| emulator.call("GET", "/user", None).status)
        .collect()
}

#[test]
fn rate_limit_answers_429_with_retry_after() {
    let emulator = Emulator::start(&["--no-broker", "--rate-limit", "5"]);
    let started = Instant::now();
    let burst: Vec<_> = (0..12)
        .map(|_| emulator.call("GET", "/user", None))
        .collect();
    let elapsed = started.elapsed().as_secs_f64();
    let codes: Vec<u16> = burst.iter().map(|reply| reply.status).collect();
    // A burst of 5 passes; after that only what refilled meanwhile (5 per
    // second) does.
    assert_eq!(&codes[..5], &[200; 5], "{codes:?}");
    let passed = codes.iter().filter(|status| **status == 200).count();
    let refilled = (elapsed * 5.0).ceil() as usize;
    assert!(passed <= 5 + refilled, "{codes:?} in {elapsed}s");
    let limited: Vec<_> = burst.iter().filter(|reply| reply.status == 429).collect();
    assert_eq!(limited.len() + passed, 12, "{codes:?}");
    assert!(!limited.is_empty(), "{codes:?} in {elapsed}s");
    for reply in limited {
        let retry_after: u64 = reply.header("Retry-After").unwrap().parse().unwrap();
        assert!(retry_after >= 1);
        assert_eq!(reply.error(), "too many requests");
    }
    // After waiting, requests pass again.
    std::thread::sleep(Duration::from_millis(1100));
    assert_eq!(emulator.call("GET", "/user", None).status, 200);
}

#[test]
fn fail_rate_is_reproducible_under_a_seed() {
    let run = |seed: &str| {
        let emulator = Emulator::start(&["--no-broker", "--fail-rate", "0.5", "--seed", seed]);
        statuses(&emulator, 40)
    };
    let first = run("7");
    assert_eq!(first, run("7"), "same seed, same failures");
    assert_ne!(first, run("8"), "another seed, other failures");
    assert!(first.iter().all(|status| [200, 500].contains(status)));
    let failed = first.iter().filter(|status| **status == 500).count();
    assert!((8..=32).contains(&failed), "{failed} of 40 failed");

    let always = Emulator::start(&["--no-broker", "--fail-rate", "1"]);
    let reply = always.call("POST", "/user", None);
    assert_eq!(reply.status, 500);
    assert_eq!(reply.error(), "internal error (injected)");
    // An injected failure changes nothing.
    let never = Emulator::start(&["--no-broker", "--fail-rate", "0", "--apply-delay-ms", "0"]);
    assert!(statuses(&never, 20).iter().all(|status| *status == 200));
}

#[test]
fn a_random_seed_is_named_on_standard_error() {
    let random = Emulator::start(&["--no-broker", "--fail-rate", "0.5"]);
    let seed = random
        .stderr_text()
        .lines()
        .find_map(|line| line.strip_prefix("cloudmqtt-emulator: seed="))
        .map(|seed| seed.parse::<u64>().unwrap())
        .expect("the seed is on stderr");
    let first = statuses(&random, 40);
    assert!(random.extra_stdout().is_empty(), "stdout is the ready line");
    // Passing it back repeats the run.
    let again = Emulator::start(&[
        "--no-broker",
        "--fail-rate",
        "0.5",
        "--seed",
        &seed.to_string(),
    ]);
    assert!(
        again
            .stderr_text()
            .contains(&format!("cloudmqtt-emulator: seed={seed}\n"))
    );
    assert_eq!(statuses(&again, 40), first);
}

#[test]
fn an_oversized_body_is_refused_before_any_fault() {
    let emulator = Emulator::start(&[
        "--no-broker",
        "--fail-rate",
        "1",
        "--latency-ms",
        "2000",
        "--rate-limit",
        "1",
    ]);
    let big = vec![b'a'; (1 << 20) + 1];
    for _ in 0..3 {
        let started = Instant::now();
        let reply = emulator.call(
            "POST",
            "/user",
            Some(common::Body::Raw("text/plain", big.clone())),
        );
        assert_eq!(reply.status, 413);
        assert!(started.elapsed() < Duration::from_millis(2000));
    }
    // None of them used up the rate limit's one token; this one takes the
    // latency and the injected failure.
    let started = Instant::now();
    assert_eq!(emulator.call("GET", "/user", None).status, 500);
    assert!(started.elapsed() >= Duration::from_millis(2000));
}

#[test]
fn latency_delays_every_answer() {
    let emulator = Emulator::start(&["--no-broker", "--latency-ms", "300"]);
    for (method, path) in [("GET", "/user"), ("GET", "/nowhere")] {
        let started = Instant::now();
        emulator.call(method, path, None);
        assert!(started.elapsed() >= Duration::from_millis(300));
    }
    let fast = Emulator::start(&["--no-broker"]);
    let started = Instant::now();
    fast.call("GET", "/user", None);
    assert!(started.elapsed() < Duration::from_millis(300));
}

#[test]
fn bad_flags_are_refused() {
    for args in [
        &["--fail-rate", "2"][..],
        &["--rate-limit", "0"],
        &["--api-key", ""],
        &["--api-key", "a\u{7}b"],
        &["--listen", "not-an-address"],
    ] {
        let output = std::process::Command::new(env!("CARGO_BIN_EXE_cloudmqtt-emulator"))
            .arg("--no-broker")
            .args(args)
            .output()
            .unwrap();
        assert!(!output.status.success(), "{args:?}");
        assert!(output.stdout.is_empty(), "{args:?}");
        assert!(!output.stderr.is_empty(), "{args:?}");
    }
}
