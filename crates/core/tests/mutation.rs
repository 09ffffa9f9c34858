//! A change and the wait after it as one machine, every page as one
//! machine, and the attempt deadline each request carries; on a virtual
//! clock.

mod common;

use std::time::{Duration, SystemTime};

use cloudmqtt_api::{
    AllUsers, ApiConfig, CreateUser, DEFAULT_ATTEMPT_TIMEOUT, DeleteAclRule, Error, ErrorCode,
    Input, MIN_PROBE_TIME, Machine, Method, Mutation, Request, Response, RetryPolicy,
    TransportError, WaitOptions, WaitTarget,
};

fn t0() -> SystemTime {
    SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000)
}

fn config() -> ApiConfig {
    ApiConfig::new("mutation-test-key").unwrap()
}

fn create() -> CreateUser {
    CreateUser {
        username: "alice".into(),
        password: "pw".into(),
    }
}

/// One request as the test saw it: when (seconds after t0), what, and how
/// long its attempt may take.
#[derive(Debug, PartialEq)]
struct Sent {
    at: f64,
    what: String,
    attempt: Option<Duration>,
}

/// Runs a machine; `answer(n, request)` gives the outcome of request `n`.
fn drive<M: Machine>(
    machine: &mut M,
    mut answer: impl FnMut(usize, &Request) -> Input,
) -> (Result<M::Value, Error>, Vec<Sent>) {
    let run = common::drive(machine, t0(), Duration::ZERO, |n, request, _| {
        answer(n, request)
    });
    let sent = run
        .sent
        .iter()
        .map(|(at, request)| Sent {
            at: at.duration_since(t0()).unwrap().as_secs_f64(),
            what: format!("{} {}", request.method, request.url),
            attempt: request.time_left(*at),
        })
        .collect();
    (run.result, sent)
}

fn status(code: u16) -> Input {
    Input::Response(Response::new(code, vec![], Vec::new()))
}

fn body(code: u16, text: &str) -> Input {
    Input::Response(Response::new(code, vec![], text.as_bytes().to_vec()))
}

const USER_URL: &str = "https://api.cloudmqtt.com/api/user";
const ALICE_URL: &str = "https://api.cloudmqtt.com/api/user/alice";

#[test]
fn a_create_then_its_wait_in_one_machine() {
    let options = WaitOptions {
        interval: Duration::from_secs(1),
        ..WaitOptions::default()
    };
    let mut create = Mutation::new(
        &config(),
        create(),
        RetryPolicy::default(),
        1,
        Some(options),
    );
    assert_eq!(create.waiting_for(), None);
    let (result, sent) = drive(&mut create, |n, _| match n {
        0 => status(204),
        1 | 2 => status(404),
        _ => body(200, r#"{"username":"alice","acls":[]}"#),
    });
    assert_eq!(result, Ok(()));
    let whats: Vec<&str> = sent.iter().map(|s| s.what.as_str()).collect();
    assert_eq!(
        whats,
        [
            format!("POST {USER_URL}"),
            format!("GET {ALICE_URL}"),
            format!("GET {ALICE_URL}"),
            format!("GET {ALICE_URL}"),
        ]
    );
    let ats: Vec<f64> = sent.iter().map(|s| s.at).collect();
    // The wait's probes start soon after the create and back off.
    assert_eq!(ats, [0.0, 0.125, 0.375, 0.875]);
    // Every attempt carries the default attempt timeout.
    assert!(
        sent.iter()
            .all(|s| s.attempt == Some(DEFAULT_ATTEMPT_TIMEOUT))
    );
    assert_eq!(create.waiting_for(), Some(&WaitTarget::user("alice", true)));
}

#[test]
fn without_a_wait_only_the_call_is_made() {
    let mut create = Mutation::new(&config(), create(), RetryPolicy::default(), 1, None);
    let (result, sent) = drive(&mut create, |_, _| status(201));
    assert_eq!((result, sent.len()), (Ok(()), 1));
    // An operation without a wait target has nothing to wait for.
    let mut restart = Mutation::new(
        &config(),
        cloudmqtt_api::RestartInstance,
        RetryPolicy::default(),
        1,
        Some(WaitOptions::default()),
    );
    let (result, sent) = drive(&mut restart, |_, _| status(204));
    assert_eq!((result, sent.len()), (Ok(()), 1));
}

#[test]
fn invalid_wait_options_send_nothing() {
    let options = WaitOptions {
        interval: Duration::ZERO,
        ..WaitOptions::default()
    };
    let mut create = Mutation::new(
        &config(),
        create(),
        RetryPolicy::default(),
        1,
        Some(options),
    );
    let (result, sent) = drive(&mut create, |_, _| unreachable!("nothing is sent"));
    assert_eq!(result.unwrap_err().field(), Some("interval"));
    assert!(sent.is_empty());
}

#[test]
fn a_failed_change_is_not_waited_for() {
    let mut create = Mutation::new(
        &config(),
        create(),
        RetryPolicy::default(),
        1,
        Some(WaitOptions::default()),
    );
    let (result, sent) = drive(&mut create, |_, _| body(400, r#"{"error":"bad pattern"}"#));
    let error = result.unwrap_err();
    assert_eq!(error.code(), ErrorCode::BadRequest);
    assert_eq!(error.server_message(), Some("bad pattern"));
    assert_eq!(
        sent.len(),
        1,
        "a POST is never repeated on 400, and nothing waited"
    );
}

#[test]
fn the_last_probe_ends_at_the_wait_deadline_but_gets_the_minimum() {
    let options = WaitOptions {
        interval: Duration::from_secs(2),
        timeout: Duration::from_secs(5),
        ..WaitOptions::default()
    };
    let delete = DeleteAclRule::pattern_rules("home/%u/#");
    let mut machine = Mutation::new(&config(), delete, RetryPolicy::default(), 1, Some(options));
    let listed = r#"[{"type":"pattern","pattern":"home/%u/#","read":true,"write":true}]"#;
    let (result, sent) = drive(&mut machine, |n, request| {
        if n == 0 {
            assert_eq!(request.method, Method::Delete);
            status(204)
        } else {
            body(200, listed)
        }
    });
    assert_eq!(result.unwrap_err().code(), ErrorCode::WaitTimeout);
    let probes: Vec<(f64, Option<Duration>)> =
        sent[1..].iter().map(|s| (s.at, s.attempt)).collect();
    let left = |ms| Some(Duration::from_millis(ms));
    assert_eq!(
        probes,
        [
            (0.125, left(4875)),
            (0.375, left(4625)),
            (0.875, left(4125)),
            (1.875, left(3125)),
            (3.875, left(1125)),
            (5.0, Some(MIN_PROBE_TIME)),
        ]
    );
}

#[test]
fn the_attempt_timeout_comes_from_the_policy() {
    let policy = RetryPolicy {
        attempt_timeout: Duration::from_millis(1500),
        ..RetryPolicy::default()
    };
    let mut create = Mutation::new(&config(), create(), policy, 1, Some(WaitOptions::default()));
    let (result, sent) = drive(&mut create, |n, _| match n {
        0 => status(204),
        1 => Input::Failed(TransportError::Timeout),
        _ => status(200),
    });
    assert_eq!(result, Ok(()));
    assert!(
        sent.iter()
            .all(|s| s.attempt == Some(Duration::from_millis(1500))),
        "{sent:?}"
    );
}

#[test]
fn every_page_with_retries_in_one_machine() {
    let mut all = AllUsers::new(&config(), Some("s".into()), 2, RetryPolicy::default(), 9).unwrap();
    let (result, sent) = drive(&mut all, |n, request| match n {
        0 => body(200, r#"[{"username":"s1"},{"username":"s2"}]"#),
        1 => status(503),
        2 => {
            assert!(request.url.ends_with("page=2&query=s"), "{}", request.url);
            body(200, r#"[{"username":"s2"},{"username":"s3"}]"#)
        }
        _ => body(200, r#"[{"username":"s4"}]"#),
    });
    let names: Vec<String> = result.unwrap().into_iter().map(|u| u.username).collect();
    assert_eq!(names, ["s1", "s2", "s3", "s4"]);
    let whats: Vec<&str> = sent.iter().map(|s| s.what.as_str()).collect();
    assert_eq!(
        whats,
        [
            "GET https://api.cloudmqtt.com/api/user?limit=2&page=1&query=s",
            "GET https://api.cloudmqtt.com/api/user?limit=2&page=2&query=s",
            "GET https://api.cloudmqtt.com/api/user?limit=2&page=2&query=s",
            "GET https://api.cloudmqtt.com/api/user?limit=2&page=3&query=s",
        ]
    );
    assert_eq!(
        AllUsers::new(&config(), None, 0, RetryPolicy::default(), 1)
            .unwrap_err()
            .field(),
        Some("page_size")
    );
}
