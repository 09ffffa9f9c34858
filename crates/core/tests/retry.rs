//! The retry policy's decision table, and the `Call` machine on a virtual clock.

mod common;

use common::Manual;

use std::time::{Duration, SystemTime};

use cloudmqtt_api::{
    ApiConfig, AttemptFailure, Call, CreateUser, Error, ErrorCode, Event, GetUser, Input,
    ListUsers, Machine, Method, Output, Response, RetryAfter, RetryPolicy, TransportError,
};

fn t0() -> SystemTime {
    SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000)
}

#[test]
fn decision_table() {
    let policy = RetryPolicy::default();
    let now = t0();
    let secs = |s| Some(RetryAfter::Delay(Duration::from_secs(s)));
    let date = |s| Some(RetryAfter::At(t0() + Duration::from_secs(s)));
    // (retries done, method, failure, retried?)
    let table: &[(u32, Method, AttemptFailure, bool)] = &[
        (0, Method::Get, AttemptFailure::Status(429, None), true),
        (0, Method::Post, AttemptFailure::Status(429, None), true),
        (0, Method::Post, AttemptFailure::Status(429, secs(3)), true),
        (0, Method::Post, AttemptFailure::Status(429, date(3)), true),
        (0, Method::Get, AttemptFailure::Status(429, secs(61)), false),
        (0, Method::Get, AttemptFailure::Status(500, None), true),
        (0, Method::Put, AttemptFailure::Status(502, None), true),
        (0, Method::Delete, AttemptFailure::Status(503, None), true),
        (0, Method::Post, AttemptFailure::Status(500, None), false),
        (0, Method::Post, AttemptFailure::Status(503, None), false),
        (0, Method::Get, AttemptFailure::Network, true),
        (0, Method::Post, AttemptFailure::Network, false),
        (0, Method::Delete, AttemptFailure::Timeout, true),
        (0, Method::Post, AttemptFailure::Timeout, false),
        (0, Method::Get, AttemptFailure::Status(400, None), false),
        (0, Method::Get, AttemptFailure::Status(401, None), false),
        (0, Method::Get, AttemptFailure::Status(403, None), false),
        (0, Method::Get, AttemptFailure::Status(404, None), false),
        (0, Method::Get, AttemptFailure::Status(405, None), false),
        (0, Method::Get, AttemptFailure::Status(302, None), false),
        (1, Method::Get, AttemptFailure::Status(503, None), true),
        (2, Method::Get, AttemptFailure::Status(503, None), false),
        (2, Method::Get, AttemptFailure::Status(429, secs(1)), false),
    ];
    for &(retries, method, failure, retried) in table {
        let delay = policy.retry_delay(retries, method, failure, now, 12345);
        assert_eq!(delay.is_some(), retried, "{retries} {method} {failure:?}");
    }
    assert_eq!(
        RetryPolicy::never().retry_delay(0, Method::Get, AttemptFailure::Status(429, None), now, 1),
        None
    );
}

#[test]
fn retry_after_is_honoured_exactly() {
    let policy = RetryPolicy::default();
    let seconds = AttemptFailure::Status(429, Some(RetryAfter::Delay(Duration::from_secs(7))));
    assert_eq!(
        policy.retry_delay(0, Method::Post, seconds, t0(), 99),
        Some(Duration::from_secs(7))
    );
    let date = AttemptFailure::Status(429, Some(RetryAfter::At(t0() + Duration::from_secs(4))));
    assert_eq!(
        policy.retry_delay(0, Method::Get, date, t0(), 99),
        Some(Duration::from_secs(4))
    );
    let past = AttemptFailure::Status(429, Some(RetryAfter::At(t0() - Duration::from_secs(4))));
    assert_eq!(
        policy.retry_delay(0, Method::Get, past, t0(), 99),
        Some(Duration::ZERO)
    );
}

#[test]
fn backoff_is_full_jitter_under_an_exponential_cap() {
    let policy = RetryPolicy {
        max_retries: 10,
        ..RetryPolicy::default()
    };
    for retries in 0..10u32 {
        let ceiling = (Duration::from_millis(500) * 2u32.pow(retries)).min(Duration::from_secs(10));
        let mut seen_max = Duration::ZERO;
        for random in [0u64, 1, 499, 500, 1_000_003, u64::MAX, 7_777_777_777] {
            let delay = policy
                .retry_delay(retries, Method::Get, AttemptFailure::Network, t0(), random)
                .unwrap();
            assert!(delay <= ceiling, "retry {retries}: {delay:?} > {ceiling:?}");
            seen_max = seen_max.max(delay);
        }
        assert_eq!(
            policy.retry_delay(retries, Method::Get, AttemptFailure::Network, t0(), 0),
            Some(Duration::ZERO)
        );
        assert!(seen_max > Duration::ZERO);
    }
}

/// Drives a call on a virtual clock against scripted outcomes; returns the
/// result, the instants requests went out at, and the requests' methods.
fn drive<O: cloudmqtt_api::Operation>(
    mut call: Call<O>,
    mut script: Vec<Input>,
) -> (Result<O::Output, Error>, Vec<Duration>, usize)
where
    O::Output: PartialEq + std::fmt::Debug,
{
    script.reverse();
    let run = common::drive(&mut call, t0(), Duration::from_millis(10), |_, _, _| {
        script.pop().expect("the machine sent more than scripted")
    });
    for (now, at) in &run.waits {
        assert!(at > now, "a wait must lie in the future");
    }
    assert!(script.is_empty(), "unused script: {script:?}");
    // Polling a finished machine gives the same answer.
    assert_eq!(call.poll_output(run.end), Output::Done(run.result.clone()));
    let sent = run
        .sent
        .iter()
        .map(|(at, _)| at.duration_since(t0()).unwrap())
        .collect();
    (run.result, sent, call.retries() as usize)
}

fn reply(status: u16, headers: &[(&str, &str)], body: &str) -> Input {
    Input::Response(Response::new(
        status,
        headers
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect(),
        body.as_bytes().to_vec(),
    ))
}

fn config() -> ApiConfig {
    ApiConfig::new("the-api-key").unwrap()
}

#[test]
fn get_is_retried_after_503_then_succeeds() {
    let call = Call::new(&config(), ListUsers::default(), RetryPolicy::default(), 7);
    let (result, sent, retries) = drive(
        call,
        vec![
            reply(503, &[], "busy"),
            reply(200, &[], r#"[{"username":"a"}]"#),
        ],
    );
    assert_eq!(result.unwrap().len(), 1);
    assert_eq!((sent.len(), retries), (2, 1));
}

#[test]
fn post_is_never_repeated_after_a_5xx_or_network_failure() {
    let op = || CreateUser {
        username: "u".into(),
        password: "pw".into(),
    };
    let (result, sent, _) = drive(
        Call::new(&config(), op(), RetryPolicy::default(), 1),
        vec![reply(500, &[], r#"{"error":"boom"}"#)],
    );
    let error = result.unwrap_err();
    assert_eq!(
        (error.code(), error.server_message()),
        (ErrorCode::ServerError, Some("boom"))
    );
    assert_eq!(sent.len(), 1);
    let (result, sent, _) = drive(
        Call::new(&config(), op(), RetryPolicy::default(), 1),
        vec![Input::Failed(TransportError::Network("reset".into()))],
    );
    assert_eq!(
        result.unwrap_err(),
        Error::Network {
            message: "reset".into()
        }
    );
    assert_eq!(sent.len(), 1);
}

#[test]
fn post_is_retried_after_429_at_the_retry_after_instant() {
    let op = CreateUser {
        username: "u".into(),
        password: "pw".into(),
    };
    let (result, sent, _) = drive(
        Call::new(&config(), op, RetryPolicy::default(), 1),
        vec![reply(429, &[("Retry-After", "3")], ""), reply(201, &[], "")],
    );
    assert_eq!(result, Ok(()));
    assert_eq!(sent, [Duration::ZERO, Duration::from_millis(3010)]);
}

#[test]
fn gives_up_after_max_retries_with_the_last_error() {
    let call = Call::new(&config(), ListUsers::default(), RetryPolicy::default(), 3);
    let (result, sent, retries) = drive(
        call,
        vec![
            reply(429, &[], ""),
            Input::Failed(TransportError::Timeout),
            reply(429, &[("retry-after", "1")], r#"{"message":"slow down"}"#),
        ],
    );
    let error = result.unwrap_err();
    assert_eq!(error.code(), ErrorCode::RateLimited);
    assert_eq!(error.server_message(), Some("slow down"));
    assert_eq!(error.retry_after(t0()), Some(Duration::from_secs(1)));
    assert_eq!((sent.len(), retries), (3, 2));
    let call = Call::new(&config(), ListUsers::default(), RetryPolicy::never(), 3);
    let (result, sent, _) = drive(call, vec![Input::Failed(TransportError::Timeout)]);
    assert_eq!((result.unwrap_err(), sent.len()), (Error::Timeout, 1));
}

#[test]
fn invalid_input_finishes_before_anything_is_sent() {
    let call = Call::new(
        &config(),
        GetUser {
            username: "..".into(),
        },
        RetryPolicy::default(),
        0,
    );
    let (result, sent, _) = drive(call, vec![]);
    assert_eq!(result.unwrap_err().field(), Some("username"));
    assert!(sent.is_empty());
}

#[test]
fn secrets_are_scrubbed_from_errors() {
    let op = CreateUser {
        username: "u".into(),
        password: "hunter2-pw".into(),
    };
    let call = Call::new(&config(), op, RetryPolicy::default(), 0);
    let (result, _, _) = drive(
        call,
        vec![reply(
            400,
            &[],
            r#"{"error":"password hunter2-pw rejected for key the-api-key"}"#,
        )],
    );
    let error = result.unwrap_err();
    let shown = format!("{error} {error:?}");
    assert!(
        !shown.contains("hunter2-pw") && !shown.contains("the-api-key"),
        "{shown}"
    );
    assert_eq!(
        error.server_message(),
        Some("password [redacted] rejected for key [redacted]")
    );
}

#[test]
fn blocking_run_helper_drives_a_call() {
    let mut call = Call::new(&config(), ListUsers::default(), RetryPolicy::default(), 5);
    let mut now = t0();
    let clock = std::cell::Cell::new(now);
    let mut slept = Duration::ZERO;
    let mut script = vec![reply(200, &[], "[]"), reply(502, &[], "")];
    let mut events = Vec::new();
    let result = cloudmqtt_api::run(
        &mut call,
        || clock.get(),
        |d| {
            slept += d;
            now += d;
            clock.set(now);
        },
        |request| {
            assert_eq!(request.method, Method::Get);
            script.pop().unwrap()
        },
        |event| events.push(event),
    );
    assert_eq!(result, Ok(vec![]));
    assert!(slept <= Duration::from_millis(500));
    // The one retry was reported, with its reason and the time slept.
    match events.as_slice() {
        [
            Event::Retry {
                failure: AttemptFailure::Status(502, None),
                retry: 1,
                delay,
            },
        ] => {
            assert_eq!(*delay, slept);
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn a_404_for_a_path_every_api_has_hints_at_the_base_url() {
    let config = ApiConfig::builder("key")
        .base_url("https://example.com")
        .build()
        .unwrap();
    let run = |op_list: bool| {
        let policy = RetryPolicy::default();
        let answer = Response::new(404, Vec::new(), b"not found".to_vec());
        let result = if op_list {
            let mut call = Manual::new(Call::new(&config, ListUsers::default(), policy, 1));
            let Output::Send(..) = call.poll_output(t0()) else {
                panic!("sends first")
            };
            call.handle_input(Input::Response(answer), t0());
            match call.poll_output(t0()) {
                Output::Done(result) => result.map(|_| ()),
                other => panic!("{other:?}"),
            }
        } else {
            let op = GetUser {
                username: "nobody".into(),
            };
            let mut call = Manual::new(Call::new(&config, op, policy, 1));
            let Output::Send(..) = call.poll_output(t0()) else {
                panic!("sends first")
            };
            call.handle_input(Input::Response(answer), t0());
            match call.poll_output(t0()) {
                Output::Done(result) => result.map(|_| ()),
                other => panic!("{other:?}"),
            }
        };
        result.unwrap_err()
    };
    let listed = run(true);
    assert_eq!(listed.code(), ErrorCode::NotFound);
    assert_eq!(
        listed.to_string(),
        "not found (every API has this path: the base URL may be missing \"/api\")"
    );
    // A missing user is just that.
    assert_eq!(run(false).to_string(), "not found");
}
