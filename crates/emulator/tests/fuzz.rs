//! Arbitrary requests never crash the emulator: in-process through the
//! handler, and as raw bytes over a socket to the real binary.

mod common;

use std::io::{Read as _, Write as _};
use std::net::TcpStream;
use std::time::Duration;

use cloudmqtt_emulator::faults::Faults;
use cloudmqtt_emulator::store::Store;
use cloudmqtt_emulator::{ApiRequest, App, AppSettings};
use proptest::prelude::*;

const KEY: &str = "fuzz-key";

fn app(dir: &std::path::Path) -> App {
    App::new(
        AppSettings {
            api_key: KEY.into(),
            apply_delay: Duration::ZERO,
            faults: Faults::new(Duration::ZERO, 0.0, None, 0),
            strict: false,
        },
        Store::open(dir).unwrap(),
        None,
    )
}

fn methods() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("GET".to_owned()),
        Just("POST".to_owned()),
        Just("PUT".to_owned()),
        Just("DELETE".to_owned()),
        "[A-Z]{0,8}",
    ]
}

fn urls() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("/api/user".to_owned()),
        Just("/api/acl".to_owned()),
        Just("/api/instance/reset".to_owned()),
        "/api/user/[^/?]{0,12}",
        "/api/user\\?[a-z=&%0-9]{0,30}",
        "/api/acl\\?[a-z=&%0-9]{0,30}",
        ".{0,40}",
    ]
}

fn bodies() -> impl Strategy<Value = (Option<&'static str>, Vec<u8>)> {
    let content_type = prop_oneof![
        Just(None),
        Just(Some("application/json")),
        Just(Some("application/x-www-form-urlencoded")),
        Just(Some("text/plain; charset=utf-8")),
        Just(Some("multipart/form-data; boundary=x")),
        Just(Some("multipart/form-data")),
    ];
    let json = prop_oneof![
        Just(serde_json::json!({})),
        "[a-z]{0,6}".prop_map(|name| serde_json::json!({"username": name, "password": name})),
        (
            any::<bool>(),
            "[a-z/#+%]{0,8}",
            prop::option::of("[a-z]{0,4}"),
            any::<i64>()
        )
            .prop_map(|(read, pattern, user, n)| serde_json::json!({
                "type": if read { "topic" } else { "pattern" },
                "pattern": pattern, "topic": pattern, "username": user,
                "read": read, "write": n
            })),
    ]
    .prop_map(|value| value.to_string().into_bytes());
    let body = prop_oneof![
        json,
        prop::collection::vec(any::<u8>(), 0..200),
        "[a-z]{0,6}=[^&]{0,10}(&[a-z]{0,8}=[^&]{0,10}){0,4}".prop_map(String::into_bytes),
        "(--x(--)?(\r\n)?([a-zA-Z-]{0,20}(: form-data; name=\"?[a-z]{0,8}\"?)?\r\n){0,2}(\r\n)?[a-z]{0,5}\r\n){0,3}"
            .prop_map(String::into_bytes),
    ];
    (content_type, body)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 400, ..ProptestConfig::default() })]

    /// Any request gets a response with a known status, and every error
    /// has the `{"error": "..."}` shape.
    #[test]
    fn the_handler_answers_anything(
        method in methods(),
        url in urls(),
        authorized in any::<bool>(),
        (content_type, body) in bodies(),
        extra in prop::collection::vec(("[A-Za-z-]{1,12}", ".{0,20}"), 0..3),
    ) {
        let dir = tempfile::tempdir().unwrap();
        let app = app(dir.path());
        let mut headers: Vec<(String, String)> = extra;
        if authorized {
            headers.push(("Authorization".into(), common::basic(KEY)));
        }
        if let Some(content_type) = content_type {
            headers.push(("Content-Type".into(), content_type.into()));
        }
        // Create a user first so that user and rule paths hit real state.
        let setup = ApiRequest {
            method: "POST".into(),
            url: "/api/user".into(),
            headers: vec![("Authorization".into(), common::basic(KEY))],
            body: b"username=abc&password=pw".to_vec(),
        };
        prop_assert_eq!(app.handle(&setup).status, 204);
        let response = app.handle(&ApiRequest { method, url, headers, body });
        prop_assert!([200, 204, 400, 401, 404, 405].contains(&response.status), "{}", response.status);
        if response.status >= 400 {
            let value: serde_json::Value = serde_json::from_slice(&response.body).unwrap();
            prop_assert!(value["error"].is_string());
        } else if response.status == 200 {
            let value: serde_json::Value = serde_json::from_slice(&response.body).unwrap();
            prop_assert!(value.is_array() || value.is_object());
        } else {
            prop_assert!(response.body.is_empty());
        }
    }
}

/// Sends raw bytes and reads whatever comes back, briefly.
fn throw(address: std::net::SocketAddr, bytes: &[u8]) {
    let Ok(mut stream) = TcpStream::connect(address) else {
        panic!("the emulator stopped accepting connections");
    };
    let _ = stream.set_read_timeout(Some(Duration::from_millis(200)));
    let _ = stream.write_all(bytes);
    let _ = stream.shutdown(std::net::Shutdown::Write);
    let mut sink = Vec::new();
    let _ = stream.read_to_end(&mut sink);
}

#[test]
fn raw_bytes_never_crash_the_binary() {
    let mut emulator = common::Emulator::start(&["--no-broker", "--api-key", KEY]);
    let auth = common::basic(KEY);
    let fixed: Vec<Vec<u8>> = vec![
        b"".to_vec(),
        b"\r\n\r\n".to_vec(),
        b"GET\r\n\r\n".to_vec(),
        b"GET / HTTP/9.9\r\n\r\n".to_vec(),
        b"GET /api/user HTTP/1.1\r\nHost: x\r\nContent-Length: -5\r\n\r\n".to_vec(),
        b"POST /api/user HTTP/1.1\r\nHost: x\r\nContent-Length: 99999999999999999999\r\n\r\n".to_vec(),
        b"POST /api/user HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n".to_vec(),
        format!("POST /api/user HTTP/1.1\r\nHost: x\r\nAuthorization: {auth}\r\nTransfer-Encoding: chunked\r\n\r\nFFFFFFFFFFFFFFFFFF\r\n").into_bytes(),
        b"GET /api/user/\xff\xfe HTTP/1.1\r\nHost: x\r\n\r\n".to_vec(),
        b"GET /api/user HTTP/1.1\r\nAuthorization: Basic \xc3\xa9\r\n\r\n".to_vec(),
        [b"GET /".as_slice(), &[b'a'; 100_000], b" HTTP/1.1\r\n\r\n"].concat(),
        [b"GET / HTTP/1.1\r\nX: ".as_slice(), &[b'b'; 100_000], b"\r\n\r\n"].concat(),
    ];
    for bytes in &fixed {
        throw(emulator.api, bytes);
    }
    let mut runner = proptest::test_runner::TestRunner::new(ProptestConfig {
        cases: 150,
        ..ProptestConfig::default()
    });
    let garbage = prop_oneof![
        prop::collection::vec(any::<u8>(), 0..300),
        (
            methods(),
            urls(),
            prop::collection::vec(any::<u8>(), 0..100)
        )
            .prop_map(|(method, url, tail)| [
                format!("{method} {url} HTTP/1.1\r\n").into_bytes(),
                tail
            ]
            .concat()),
    ];
    runner
        .run(&garbage, |bytes| {
            throw(emulator.api, &bytes);
            Ok(())
        })
        .unwrap();
    // Still alive and answering.
    let reply = emulator.call("GET", "/user", None);
    assert_eq!(reply.status, 200);
    let status = emulator.signal_and_wait("TERM");
    assert!(status.success(), "clean exit after the barrage: {status:?}");
    assert!(!emulator.stderr_text().contains("panicked"));
}
