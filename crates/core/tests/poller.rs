//! Waiting for asynchronous changes, on a virtual clock.

mod common;

use std::time::{Duration, SystemTime};

use cloudmqtt_api::{
    AclKind, ApiConfig, CreateAclRule, CreateUser, DeleteAclRule, DeleteUser, Error, ErrorCode,
    FIRST_PROBE_DELAY, Input, NewAclRule, Operation, Poller, ProbeSchedule, Request, Response,
    TransportError, WaitOptions, WaitTarget,
};

fn t0() -> SystemTime {
    SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000)
}

fn config() -> ApiConfig {
    ApiConfig::new("poller-test-key").unwrap()
}

/// Runs a poller; `answer(n, request)` gives the outcome of probe `n`.
/// Returns the result and the probe instants (seconds after the start).
fn drive(
    mut poller: Poller,
    mut answer: impl FnMut(usize, &Request) -> Input,
) -> (Result<(), Error>, Vec<f64>) {
    let run = common::drive(&mut poller, t0(), Duration::ZERO, |n, request, _| {
        answer(n, request)
    });
    let probes = run
        .sent
        .iter()
        .map(|(at, _)| at.duration_since(t0()).unwrap().as_secs_f64())
        .collect();
    (run.result, probes)
}

fn status(code: u16) -> Input {
    Input::Response(Response::new(code, vec![], Vec::new()))
}

fn body(code: u16, text: &str) -> Input {
    Input::Response(Response::new(code, vec![], text.as_bytes().to_vec()))
}

fn options(interval: u64, timeout: u64) -> WaitOptions {
    WaitOptions {
        interval: Duration::from_secs(interval),
        timeout: Duration::from_secs(timeout),
        ..WaitOptions::default()
    }
}

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

/// The schedule's next `count` delays.
fn delays(schedule: &mut ProbeSchedule, count: usize) -> Vec<Duration> {
    (0..count).map(|_| schedule.next_delay()).collect()
}

#[test]
fn the_schedule_starts_soon_and_doubles_up_to_the_interval() {
    assert_eq!(FIRST_PROBE_DELAY, ms(125));
    let mut schedule = ProbeSchedule::new(&options(2, 90));
    assert_eq!(
        delays(&mut schedule, 7),
        [
            ms(125),
            ms(250),
            ms(500),
            ms(1000),
            ms(2000),
            ms(2000),
            ms(2000)
        ]
    );
    // The interval stays the cap, however short.
    let short = WaitOptions {
        interval: ms(300),
        ..WaitOptions::default()
    };
    let mut schedule = ProbeSchedule::new(&short);
    assert_eq!(
        delays(&mut schedule, 4),
        [ms(125), ms(250), ms(300), ms(300)]
    );
    let shorter = WaitOptions {
        interval: ms(50),
        ..WaitOptions::default()
    };
    let mut schedule = ProbeSchedule::new(&shorter);
    assert_eq!(delays(&mut schedule, 3), [ms(50), ms(50), ms(50)]);
}

#[test]
fn a_429_doubles_the_interval_up_to_the_maximum_and_probes_once_per_interval() {
    let slow = WaitOptions {
        interval: Duration::from_secs(1),
        max_interval: Duration::from_secs(3),
        ..WaitOptions::default()
    };
    let mut schedule = ProbeSchedule::new(&slow);
    assert_eq!(schedule.next_delay(), ms(125));
    schedule.slow_down();
    assert_eq!(schedule.interval(), ms(2000));
    assert_eq!(delays(&mut schedule, 2), [ms(2000), ms(2000)]);
    schedule.slow_down();
    schedule.slow_down();
    assert_eq!(delays(&mut schedule, 2), [ms(3000), ms(3000)]);
    // An interval above the maximum is never cut to it.
    let mut schedule = ProbeSchedule::new(&WaitOptions {
        interval: Duration::from_secs(5),
        ..slow
    });
    schedule.slow_down();
    assert_eq!(delays(&mut schedule, 2), [ms(5000), ms(5000)]);
}

#[test]
fn waits_for_a_created_user_to_appear() {
    let op = CreateUser {
        username: "a/b".into(),
        password: "pw".into(),
    };
    let poller = Poller::new(&config(), op.wait_target().unwrap(), options(2, 90));
    let (result, probes) = drive(poller, |n, request| {
        assert_eq!(request.url, "https://api.cloudmqtt.com/api/user/a%2Fb");
        if n < 3 { status(404) } else { status(200) }
    });
    assert_eq!(result, Ok(()));
    // Soon after the start, then backing off: 125, 250, 500 ms apart.
    assert_eq!(probes, [0.125, 0.375, 0.875, 1.875]);
}

#[test]
fn waits_for_a_deleted_user_to_go() {
    let op = DeleteUser {
        username: "u".into(),
    };
    let poller = Poller::new(&config(), op.wait_target().unwrap(), options(1, 90));
    let (result, probes) = drive(
        poller,
        |n, _| if n == 0 { status(200) } else { status(404) },
    );
    assert_eq!(result, Ok(()));
    assert_eq!(probes, [0.125, 0.375]);
}

#[test]
fn times_out_with_a_last_probe_at_the_deadline() {
    let poller = Poller::new(&config(), WaitTarget::user("u", true), options(2, 5));
    let (result, probes) = drive(poller, |_, _| status(404));
    // Backing off to the 2 s interval; the last one at the deadline.
    assert_eq!(probes, [0.125, 0.375, 0.875, 1.875, 3.875, 5.0]);
    let error = result.unwrap_err();
    assert_eq!(error.code(), ErrorCode::WaitTimeout);
    assert_eq!(
        error.to_string(),
        "gave up after 5s waiting for user \"u\" to exist"
    );
}

#[test]
fn slows_down_on_429_and_rides_out_5xx_and_network_failures() {
    let poller = Poller::new(&config(), WaitTarget::user("u", true), options(1, 120));
    let (result, probes) = drive(poller, |n, _| match n {
        0 => status(503),
        1 => Input::Failed(TransportError::Network("reset".into())),
        2 => Input::Failed(TransportError::Timeout),
        3 => status(429),
        4 => Input::Response(Response::new(
            429,
            vec![("Retry-After".into(), "10".into())],
            vec![],
        )),
        5 => status(404),
        _ => status(200),
    });
    assert_eq!(result, Ok(()));
    // Backing off to 1 s through the failures, then 2 s after the first
    // 429, then max(4 s, 10 s), then 4 s.
    assert_eq!(probes, [0.125, 0.375, 0.875, 1.875, 3.875, 13.875, 17.875]);
}

#[test]
fn a_zero_timeout_probes_once_at_the_start() {
    let poller = Poller::new(&config(), WaitTarget::user("u", true), options(2, 0));
    let (result, probes) = drive(poller, |_, _| status(404));
    assert_eq!(probes, [0.0]);
    assert_eq!(result.unwrap_err().code(), ErrorCode::WaitTimeout);
    let poller = Poller::new(&config(), WaitTarget::user("u", true), options(2, 0));
    let (result, probes) = drive(poller, |_, _| status(200));
    assert_eq!((result, probes), (Ok(()), vec![0.0]));
}

#[test]
fn fails_fast_on_other_errors() {
    let poller = Poller::new(&config(), WaitTarget::user("u", true), options(1, 60));
    let (result, probes) = drive(poller, |_, _| body(401, r#"{"error":"bad key"}"#));
    let error = result.unwrap_err();
    assert_eq!(
        (error.code(), error.server_message()),
        (ErrorCode::Unauthorized, Some("bad key"))
    );
    assert_eq!(probes.len(), 1);
}

#[test]
fn waits_for_acl_rules_to_appear_and_go() {
    let rule = NewAclRule::Topic {
        username: "u".into(),
        pattern: "a/#".into(),
        read: true,
        write: false,
    };
    let listed =
        r#"{"items":[{"type":"topic","pattern":"a/#","read":true,"write":false,"username":"u"}]}"#;
    let other = r#"[{"type":"pattern","pattern":"a/#","read":true,"write":false,"username":null},
                    {"type":"topic","pattern":"a/#","read":true,"write":false,"username":"v"}]"#;
    let create = CreateAclRule { rule };
    let poller = Poller::new(&config(), create.wait_target().unwrap(), options(1, 60));
    let (result, probes) = drive(poller, |n, request| {
        assert_eq!(request.url, "https://api.cloudmqtt.com/api/acl");
        if n < 2 {
            body(200, other)
        } else {
            body(200, listed)
        }
    });
    assert_eq!((result, probes.len()), (Ok(()), 3));

    let delete = DeleteAclRule::topic_rules("u", "a/#");
    let poller = Poller::new(&config(), delete.wait_target().unwrap(), options(1, 60));
    let (result, probes) = drive(poller, |n, _| {
        if n == 0 {
            body(200, listed)
        } else {
            body(200, other)
        }
    });
    assert_eq!((result, probes.len()), (Ok(()), 2));

    let pattern = WaitTarget::Acl {
        kind: Some(AclKind::Pattern),
        username: None,
        pattern: "a/#".into(),
        exists: true,
    };
    let poller = Poller::new(&config(), pattern, options(1, 60));
    let (result, probes) = drive(poller, |_, _| body(200, other));
    assert_eq!((result, probes.len()), (Ok(()), 1));
}

#[test]
fn an_undecodable_acl_list_fails_fast() {
    let target = WaitTarget::Acl {
        kind: None,
        username: Some("u".into()),
        pattern: "t".into(),
        exists: true,
    };
    let poller = Poller::new(&config(), target, options(1, 60));
    let (result, _) = drive(poller, |_, _| body(200, "<html>oops</html>"));
    assert_eq!(result.unwrap_err().code(), ErrorCode::Decode);
}

#[test]
fn invalid_targets_fail_before_probing() {
    let targets = [
        WaitTarget::user("..", true),
        WaitTarget::Acl {
            kind: Some(AclKind::Topic),
            username: None,
            pattern: "a".into(),
            exists: true,
        },
        WaitTarget::Acl {
            kind: None,
            username: Some("u".into()),
            pattern: "a/#/b".into(),
            exists: false,
        },
    ];
    let zero_interval = (WaitTarget::user("u", true), options(0, 60));
    for (target, options) in targets
        .map(|t| (t, options(1, 60)))
        .into_iter()
        .chain([zero_interval])
    {
        let poller = Poller::new(&config(), target, options);
        let (result, probes) = drive(poller, |_, _| unreachable!());
        assert_eq!(result.unwrap_err().code(), ErrorCode::InvalidInput);
        assert!(probes.is_empty());
    }
}
