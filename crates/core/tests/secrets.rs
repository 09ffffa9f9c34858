//! Secrets never leave the machines: not in errors (whatever form a server
//! echoes them in, whole or cut short), not in `Debug` output. And no reply
//! or option makes a machine panic.

mod common;

use common::Manual;
use std::time::{Duration, SystemTime};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use cloudmqtt_api::{
    ApiConfig, Call, CreateUser, Error, ErrorCode, GetUser, Input, ListUsers, Machine, Operation,
    Output, Poller, Response, RetryPolicy, TransportError, UpdatePassword, WaitOptions, WaitTarget,
};
use proptest::prelude::*;

const KEY: &str = "Key-4f0c9d2e-77aa-4e1b-b1f3";
const PASSWORD: &str = "pä\"ss w/rd&=+%";

fn t0() -> SystemTime {
    SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000)
}

fn config() -> ApiConfig {
    ApiConfig::new(KEY).unwrap()
}

fn create() -> CreateUser {
    CreateUser {
        username: "alice".into(),
        password: PASSWORD.into(),
    }
}

/// Every form of the secrets a leak could take, plus their first halves.
fn leaks() -> Vec<String> {
    let mut forms = key_forms();
    forms.extend([
        PASSWORD.to_owned(),
        serde_json::to_string(PASSWORD)
            .unwrap()
            .trim_matches('"')
            .to_owned(),
        form_urlencoded::byte_serialize(PASSWORD.as_bytes()).collect(),
    ]);
    with_halves(forms)
}

/// The key and the base64 credentials it travels as.
fn key_forms() -> Vec<String> {
    let credentials = STANDARD.encode(format!(":{KEY}"));
    vec![KEY.to_owned(), credentials.trim_end_matches('=').to_owned()]
}

fn with_halves(mut forms: Vec<String>) -> Vec<String> {
    let halves: Vec<String> = forms
        .iter()
        .map(|form| form.chars().take(form.chars().count() / 2 + 1).collect())
        .collect();
    forms.extend(halves);
    forms
}

fn assert_clean(text: &str) {
    assert_free_of(text, &leaks());
}

fn assert_free_of(text: &str, leaks: &[String]) {
    for leak in leaks {
        assert!(!text.contains(leak.as_str()), "{leak:?} leaked in {text:?}");
    }
}

fn assert_error_clean(error: &Error) {
    assert_clean(&error.to_string());
    assert_clean(&format!("{error:?}"));
    if let Some(reply) = error.reply() {
        assert_clean(&reply.body);
        assert_clean(reply.message.as_deref().unwrap_or(""));
    }
}

/// Starts a wait at `now` and lets time pass to its first probe, which it
/// sends; returns that probe's instant.
fn first_probe(poller: &mut Manual<Poller>, now: SystemTime) -> SystemTime {
    let Output::WaitUntil(at) = poller.poll_output(now) else {
        panic!("a wait's first probe goes out after a delay");
    };
    assert!(matches!(poller.poll_output(at), Output::Send(..)));
    at
}

/// Runs a machine whose every attempt gets `reply`.
fn finish<M: Machine>(machine: &mut M, reply: &Response) -> Result<M::Value, Error> {
    let mut now = t0();
    for _ in 0..100 {
        match machine.poll_output(now) {
            Output::Send(ticket, _) => {
                machine.handle_input(ticket, Input::Response(reply.clone()), now);
            }
            Output::WaitUntil(at) => now = at,
            Output::Event(_) => {}
            Output::Pending => panic!("every request was answered"),
            Output::Done(result) => return result,
        }
    }
    panic!("the machine did not finish");
}

#[test]
fn an_echoed_authorization_header_loses_its_padding_too() {
    let credentials = STANDARD.encode(format!(":{KEY}"));
    assert!(
        credentials.ends_with('='),
        "the test key's credentials are padded"
    );
    let reply = Response::new(
        400,
        vec![("content-type".into(), "text/plain".into())],
        format!("bad header Basic {credentials}; retry").into_bytes(),
    );
    let mut call = Manual::new(Call::new(&config(), create(), RetryPolicy::never(), 7));
    let error = finish(&mut *call, &reply).unwrap_err();
    assert_eq!(
        error.server_message(),
        Some("bad header Basic [redacted]; retry")
    );
}

fn echoes() -> Vec<(String, String)> {
    let credentials = STANDARD.encode(format!(":{KEY}"));
    let json_escaped = serde_json::to_string(PASSWORD).unwrap();
    let ascii_escaped = "\"p\\u00e4\\\"ss w\\/rd&=+%\"".to_owned();
    let form: String = form_urlencoded::byte_serialize(PASSWORD.as_bytes()).collect();
    let mut echoes = vec![
        ("text/plain".into(), format!("bad key {KEY}")),
        ("text/plain".into(), format!("bad password {PASSWORD}")),
        (
            "text/plain".into(),
            format!("bad header Basic {credentials}"),
        ),
        (
            "application/json".into(),
            format!(r#"{{"error":"bad password","password":{json_escaped}}}"#),
        ),
        (
            "application/json".into(),
            format!(r#"{{"error":"bad password","password":{ascii_escaped}}}"#),
        ),
        (
            "application/json".into(),
            format!(
                r#"{{"error":{}}}"#,
                serde_json::to_string(&format!("key {KEY}")).unwrap()
            ),
        ),
        (
            "text/plain".into(),
            format!("body was username=alice&password={form}"),
        ),
        ("text/html".into(), format!("<p>key <b>{KEY}</b></p>")),
    ];
    // A secret cut in half where the message or the snippet is bounded.
    for pad in 280..300 {
        echoes.push(("text/plain".into(), format!("{} {KEY}", "x".repeat(pad))));
        echoes.push((
            "text/plain".into(),
            format!("{} {PASSWORD}", "x".repeat(pad)),
        ));
        echoes.push((
            "text/plain".into(),
            format!("{} {credentials}", "x".repeat(pad)),
        ));
    }
    for pad in 1000..1024 {
        echoes.push(("text/plain".into(), format!("{} {KEY}", "x".repeat(pad))));
    }
    echoes
}

#[test]
fn echoed_secrets_are_scrubbed_from_call_errors() {
    for status in [400, 403, 500, 422] {
        for (content_type, body) in echoes() {
            let reply = Response::new(
                status,
                vec![("content-type".into(), content_type)],
                body.clone().into_bytes(),
            );
            let mut call = Manual::new(Call::new(&config(), create(), RetryPolicy::never(), 7));
            let error = finish(&mut *call, &reply).unwrap_err();
            assert_error_clean(&error);
            if body.len() < 1000 {
                // (Longer bodies are cut within the marker itself.)
                let shown = format!("{error:?}");
                assert!(shown.contains("[redacted]"), "{status} {body}: {shown}");
            }
        }
    }
}

#[test]
fn echoed_secrets_are_scrubbed_from_wait_errors() {
    for (content_type, body) in echoes() {
        let reply = Response::new(
            403,
            vec![("content-type".into(), content_type)],
            body.into_bytes(),
        );
        let mut poller = Manual::new(Poller::new(
            &config(),
            WaitTarget::user("alice", true),
            WaitOptions::default(),
        ));
        let error = finish(&mut *poller, &reply).unwrap_err();
        assert_eq!(error.code(), ErrorCode::Forbidden);
        // A wait knows the key, not the password of the create before it.
        let leaks = with_halves(key_forms());
        assert_free_of(&error.to_string(), &leaks);
        assert_free_of(&format!("{error:?}"), &leaks);
    }
}

#[test]
fn an_operation_scrubs_its_own_password_without_a_call() {
    for (content_type, body) in echoes() {
        if key_forms().iter().any(|form| body.contains(form.as_str())) {
            continue; // The key is the config's, which only Call and Poller know.
        }
        let reply = Response::new(
            400,
            vec![("content-type".into(), content_type)],
            body.into_bytes(),
        );
        assert_error_clean(&create().parse_response(&reply).unwrap_err());
        let update = UpdatePassword {
            username: "alice".into(),
            password: PASSWORD.into(),
        };
        assert_error_clean(&update.parse_response(&reply).unwrap_err());
    }
}

#[test]
fn debug_output_shows_no_secret() {
    let call = Call::new(&config(), create(), RetryPolicy::default(), 1);
    assert_clean(&format!("{call:?}"));
    let poller = Poller::new(
        &config(),
        WaitTarget::user("alice", true),
        WaitOptions::default(),
    );
    assert_clean(&format!("{poller:?}"));
    assert_clean(&format!("{:?} {:?}", create(), config()));
    // The request carries both; its Debug hides them.
    let request = create().build_request(&config()).unwrap();
    assert_clean(&format!("{request:?}"));
}

#[test]
fn polling_again_before_the_outcome_waits_for_it_and_stale_tickets_are_ignored() {
    let now = t0();
    // A POST in flight: polling again sends nothing more.
    let mut call = Call::new(&config(), create(), RetryPolicy::default(), 1);
    let Output::Send(ticket, _) = call.poll_output(now) else {
        panic!("sends first")
    };
    assert_eq!(call.poll_output(now), Output::Pending);
    // An outcome with a ticket not in flight changes nothing.
    let stale = cloudmqtt_api::Ticket::new(ticket.get() + 1);
    call.handle_input(stale, Input::Failed(TransportError::Timeout), now);
    assert_eq!(call.poll_output(now), Output::Pending);
    // The real one ends it: a POST that timed out is never sent again.
    call.handle_input(ticket, Input::Failed(TransportError::Timeout), now);
    match call.poll_output(now) {
        Output::Done(Err(error)) => assert_eq!(error.code(), ErrorCode::Timeout),
        other => panic!("expected a timeout, got {other:?}"),
    }
    // A wait's probe in flight: the same.
    let mut poller = Manual::new(Poller::new(
        &config(),
        WaitTarget::user("alice", true),
        WaitOptions::default(),
    ));
    let at = first_probe(&mut poller, now);
    assert_eq!(poller.poll_output(at), Output::Pending);
}

#[test]
fn huge_durations_do_not_overflow_the_clock() {
    let huge = Response::new(
        429,
        vec![("retry-after".into(), u64::MAX.to_string())],
        Vec::new(),
    );
    let mut poller = Manual::new(Poller::new(
        &config(),
        WaitTarget::user("alice", true),
        WaitOptions {
            interval: Duration::MAX,
            timeout: Duration::MAX,
            max_interval: Duration::MAX,
            attempt_timeout: Duration::MAX,
        },
    ));
    let now = first_probe(&mut poller, t0());
    poller.handle_input(Input::Response(huge.clone()), now);
    assert!(matches!(poller.poll_output(now), Output::WaitUntil(_)));

    let policy = RetryPolicy {
        max_retries: 3,
        base_delay: Duration::MAX,
        max_delay: Duration::MAX,
        max_retry_after: Duration::MAX,
        attempt_timeout: Duration::MAX,
    };
    let mut call = Manual::new(Call::new(&config(), ListUsers::default(), policy, 3));
    assert!(matches!(call.poll_output(now), Output::Send(..)));
    call.handle_input(Input::Response(huge), now);
    assert!(matches!(call.poll_output(now), Output::WaitUntil(_)));
    let mut call = Manual::new(Call::new(&config(), ListUsers::default(), policy, 3));
    assert!(matches!(call.poll_output(now), Output::Send(..)));
    call.handle_input(Input::Failed(TransportError::Timeout), now);
    assert!(!matches!(call.poll_output(now), Output::Done(Ok(_))));
}

proptest! {
    #[test]
    fn any_retry_after_is_safe_in_calls_and_waits(
        value in "\\PC{0,40}|[0-9]{1,30}(\\.[0-9]{0,12})?",
        status in prop_oneof![Just(429u16), Just(503u16)],
        elapsed in 0u64..1_000_000_000,
    ) {
        let reply = Response::new(status, vec![("Retry-After".into(), value)], Vec::new());
        let now = t0() + Duration::from_secs(elapsed);
        let mut call = Manual::new(Call::new(&config(), GetUser { username: "a".into() }, RetryPolicy::default(), 5));
        prop_assert!(matches!(call.poll_output(now), Output::Send(..)));
        call.handle_input(Input::Response(reply.clone()), now);
        let _ = call.poll_output(now);
        let mut poller = Manual::new(Poller::new(&config(), WaitTarget::user("a", true), WaitOptions::default()));
        let now = first_probe(&mut poller, now);
        poller.handle_input(Input::Response(reply), now);
        let _ = poller.poll_output(now);
    }
}

/// A call creating `alice` with `password` that gets `reply`, as the caller
/// sees its error.
fn create_error(password: &str, reply: Response) -> Error {
    let op = CreateUser {
        username: "alice".into(),
        password: password.into(),
    };
    finish(
        &mut Call::new(&config(), op, RetryPolicy::never(), 7),
        &reply,
    )
    .unwrap_err()
}

#[test]
fn short_secrets_are_redacted_as_whole_tokens_only() {
    let json = |body: &str| {
        Response::new(
            400,
            vec![("content-type".into(), "application/json".into())],
            body.as_bytes().to_vec(),
        )
    };
    // The letters of a short password inside other words are left alone.
    for (password, body, message) in [
        (
            "x",
            r#"{"error":"User already exists"}"#,
            "User already exists",
        ),
        (
            "e",
            r#"{"error":"User already exists"}"#,
            "User already exists",
        ),
        ("sts", "User already exists", "User already exists"),
        ("ab_1", "ab_12 is taken", "ab_12 is taken"),
        ("é", "idée reçue", "idée reçue"),
    ] {
        let reply = if body.starts_with('{') {
            json(body)
        } else {
            Response::new(400, vec![], body.as_bytes().to_vec())
        };
        let error = create_error(password, reply);
        assert_eq!(error.server_message(), Some(message), "{password:?}");
        assert_eq!(error.to_string(), format!("bad request: {message}"));
    }
    // Where a short password stands as a token, in any form, it goes.
    for (password, body, message) in [
        (
            "x",
            r#"{"error":"password x is too weak"}"#,
            "password [redacted] is too weak",
        ),
        ("x", r#"{"error":"x"}"#, "[redacted]"),
        ("x", r#"{"error":"bad: \"x\""}"#, "bad: \"[redacted]\""),
        (
            "a b",
            "password=a+b&user=alice",
            "password=[redacted]&user=alice",
        ),
        ("a/b", r#"{"error":"a\/b is weak"}"#, "[redacted] is weak"),
        ("-x", "weak-x", "weak[redacted]"),
        ("x!", "x!!", "[redacted]!"),
    ] {
        let reply = if body.starts_with('{') {
            json(body)
        } else {
            Response::new(400, vec![], body.as_bytes().to_vec())
        };
        let error = create_error(password, reply);
        assert_eq!(
            error.server_message(),
            Some(message),
            "{password:?} in {body:?}"
        );
        if let Some(reply) = error.reply() {
            assert!(!reply.body.contains(&format!(" {password} ")), "{reply:?}");
        }
    }
}

#[test]
fn long_secrets_are_redacted_anywhere() {
    // Eight characters or more: glued to other text, still redacted.
    let password = "hunter22";
    assert_eq!(
        password.chars().count(),
        cloudmqtt_api::REDACT_ANYWHERE_MIN_CHARS
    );
    let reply = Response::new(400, vec![], b"bad:hunter22abc".to_vec());
    let error = create_error(password, reply);
    assert_eq!(error.server_message(), Some("bad:[redacted]abc"));
    // Seven characters glued to a word are not a token.
    let reply = Response::new(400, vec![], b"bad:hunter2abc".to_vec());
    let error = create_error("hunter2", reply);
    assert_eq!(error.server_message(), Some("bad:hunter2abc"));
}

proptest! {
    /// Redaction only ever replaces the secret: the text around it is kept
    /// byte for byte, and no form of a secret of any length survives as a
    /// token.
    #[test]
    fn redaction_keeps_the_rest_of_a_message(
        before in "[a-z ]{0,20}",
        after in "[a-z ]{0,20}",
        password in "[A-Z0-9]{1,12}",
    ) {
        let message = format!("{before} {password} {after}").trim().to_owned();
        let reply = Response::new(400, vec![], message.clone().into_bytes());
        let error = create_error(&password, reply);
        let shown = error.server_message().unwrap_or("").to_owned();
        let words: Vec<&str> = shown.split(' ').collect();
        prop_assert!(!words.contains(&password.as_str()), "{shown:?}");
        let expected_words: Vec<String> = message
            .split(' ')
            .map(|word| if word == password { "[redacted]".to_owned() } else { word.to_owned() })
            .collect();
        prop_assert_eq!(shown, expected_words.join(" "));
    }
}
