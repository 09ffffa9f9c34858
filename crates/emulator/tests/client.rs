//! The SDK's own core, driven against the emulator: every operation's
//! request is understood and every response parses, in both encodings, and
//! the core's waits and retries work against the emulator's asynchrony and
//! injected faults.

mod common;

use std::time::{Duration, SystemTime};

use cloudmqtt_api::{
    AclKind, ApiConfig, Call, CreateAclRule, CreateUser, DeleteAclRule, DeleteUser, Encoding,
    ErrorCode, GetUser, Input, ListAclRules, ListUsers, NewAclRule, Operation, Poller, Request,
    ResetInstance, Response, RestartInstance, RetryPolicy, Secret, TransportError, UpdatePassword,
    User, WaitOptions,
};
use common::Emulator;

/// Carries a core request to the emulator over a plain socket.
fn send(emulator: &Emulator, request: &Request) -> Input {
    let base = format!("http://{}", emulator.api);
    let target = request.url.strip_prefix(&base).expect("the emulator's URL");
    let mut bytes = format!(
        "{} {target} HTTP/1.1\r\nHost: {}\r\nConnection: close\r\n",
        request.method, emulator.api
    );
    for (name, value) in &request.headers {
        bytes.push_str(&format!("{name}: {value}\r\n"));
    }
    bytes.push_str(&format!("content-length: {}\r\n\r\n", request.body.len()));
    let mut bytes = bytes.into_bytes();
    bytes.extend_from_slice(&request.body);
    match common::raw(emulator.api, &bytes) {
        Ok(reply) => Input::Response(Response::new(reply.status, reply.headers, reply.body)),
        Err(error) => Input::Failed(TransportError::Network(error.to_string())),
    }
}

/// Runs one operation once.
fn call<O: Operation>(
    emulator: &Emulator,
    config: &ApiConfig,
    op: &O,
) -> Result<O::Output, cloudmqtt_api::Error> {
    let request = op.build_request(config)?;
    match send(emulator, &request) {
        Input::Response(response) => op.parse_response(&response),
        Input::Failed(error) => Err(error.into()),
    }
}

/// Runs an operation, then waits (with the core's poller) until its change
/// is visible.
fn call_and_wait<O: Operation>(emulator: &Emulator, config: &ApiConfig, op: &O) {
    call(emulator, config, op).unwrap();
    let target = op.wait_target().expect("an asynchronous operation");
    let options = WaitOptions {
        interval: Duration::from_millis(20),
        timeout: Duration::from_secs(10),
        ..WaitOptions::default()
    };
    let mut poller = Poller::new(config, target, options);
    cloudmqtt_api::run(
        &mut poller,
        SystemTime::now,
        std::thread::sleep,
        |request| send(emulator, &request),
        |_| {},
    )
    .unwrap();
}

fn config(emulator: &Emulator, encoding: Encoding) -> ApiConfig {
    ApiConfig::builder(emulator.key.as_str())
        .base_url(format!("http://{}/api", emulator.api))
        .encoding(encoding)
        .build()
        .unwrap()
}

#[test]
fn every_operation_in_both_encodings() {
    for encoding in [Encoding::Json, Encoding::Form] {
        let emulator = Emulator::start(&["--no-broker", "--apply-delay-ms", "100"]);
        let config = config(&emulator, encoding);
        let create = CreateUser {
            username: "sensor one".into(),
            password: Secret::new("pa ss&word=%"),
        };
        call_and_wait(&emulator, &config, &create);
        let users = call(&emulator, &config, &ListUsers::default()).unwrap();
        assert_eq!(
            users,
            vec![User {
                username: "sensor one".into()
            }]
        );
        let page = ListUsers {
            limit: Some(1),
            page: Some(2),
            query: Some("sensor".into()),
        };
        assert!(call(&emulator, &config, &page).unwrap().is_empty());

        let topic = CreateAclRule {
            rule: NewAclRule::Topic {
                username: "sensor one".into(),
                pattern: "sensors/+/temp".into(),
                read: true,
                write: false,
            },
        };
        call_and_wait(&emulator, &config, &topic);
        let pattern = CreateAclRule {
            rule: NewAclRule::Pattern {
                pattern: "devices/%u/#".into(),
                read: false,
                write: true,
            },
        };
        call_and_wait(&emulator, &config, &pattern);
        let rules = call(&emulator, &config, &ListAclRules).unwrap();
        assert_eq!(rules.len(), 2);
        assert_eq!(rules[0].kind, AclKind::Topic);
        assert_eq!(rules[0].username.as_deref(), Some("sensor one"));
        assert_eq!((rules[0].read, rules[0].write), (true, false));
        assert_eq!(rules[1].kind, AclKind::Pattern);
        assert_eq!(rules[1].username, None);
        assert_eq!((rules[1].read, rules[1].write), (false, true));

        let info = call(
            &emulator,
            &config,
            &GetUser {
                username: "sensor one".into(),
            },
        )
        .unwrap();
        assert_eq!(info.acls.len(), 1);
        assert_eq!(info.acls[0].topic, "sensors/+/temp");

        let update = UpdatePassword {
            username: "sensor one".into(),
            password: Secret::new("new"),
        };
        call(&emulator, &config, &update).unwrap();

        let delete_rule = DeleteAclRule::topic_rules("sensor one", "sensors/+/temp");
        call_and_wait(&emulator, &config, &delete_rule);
        let delete_pattern = DeleteAclRule::pattern_rules("devices/%u/#");
        call_and_wait(&emulator, &config, &delete_pattern);
        assert!(call(&emulator, &config, &ListAclRules).unwrap().is_empty());
        let delete = DeleteUser {
            username: "sensor one".into(),
        };
        call_and_wait(&emulator, &config, &delete);
        let missing = call(
            &emulator,
            &config,
            &GetUser {
                username: "sensor one".into(),
            },
        )
        .unwrap_err();
        assert_eq!(missing.code(), ErrorCode::NotFound);
        assert_eq!(
            missing.server_message(),
            Some("user \"sensor one\" not found")
        );

        call(&emulator, &config, &RestartInstance).unwrap();
        call(&emulator, &config, &ResetInstance).unwrap();
        assert!(call(&emulator, &config, &ListAclRules).unwrap().is_empty());
    }
}

#[test]
fn server_errors_reach_the_client_as_its_own_errors() {
    let emulator = Emulator::start(&["--no-broker", "--apply-delay-ms", "0"]);
    let config = config(&emulator, Encoding::Json);
    let create = CreateUser {
        username: "dup".into(),
        password: Secret::new("pw"),
    };
    call(&emulator, &config, &create).unwrap();
    let again = call(&emulator, &config, &create).unwrap_err();
    // A duplicate is told apart by the server's words, its status kept.
    assert_eq!(again.code(), ErrorCode::AlreadyExists);
    assert_eq!(again.status(), Some(400));
    assert_eq!(again.server_message(), Some("user \"dup\" already exists"));
    let wrong_key = ApiConfig::builder("not-the-key")
        .base_url(format!("http://{}/api", emulator.api))
        .build()
        .unwrap();
    let refused = call(&emulator, &wrong_key, &ListAclRules).unwrap_err();
    assert_eq!(refused.code(), ErrorCode::Unauthorized);
}

#[test]
fn the_clients_retries_ride_out_injected_failures() {
    let emulator = Emulator::start(&["--no-broker", "--fail-rate", "0.5", "--seed", "3"]);
    let config = config(&emulator, Encoding::Json);
    let policy = RetryPolicy {
        max_retries: 20,
        base_delay: Duration::from_millis(1),
        max_delay: Duration::from_millis(5),
        ..RetryPolicy::default()
    };
    let mut retries = 0;
    for seed in 0..10 {
        let mut call = Call::new(&config, ListAclRules, policy, seed);
        let rules = cloudmqtt_api::run(
            &mut call,
            SystemTime::now,
            std::thread::sleep,
            |request| send(&emulator, &request),
            |_| {},
        )
        .unwrap();
        assert!(rules.is_empty());
        retries += call.retries();
    }
    assert!(retries > 0, "half the requests fail, so some were retried");
}
