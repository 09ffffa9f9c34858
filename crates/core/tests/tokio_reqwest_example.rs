//! The tokio + reqwest example, run as it is against the emulator: the core
//! serves a transport other than the CLI's and the npm package's.

#[allow(dead_code)]
#[path = "../examples/tokio_reqwest.rs"]
mod example;

use std::io::Write;
use std::sync::{Arc, Mutex};

use clap::Parser as _;

/// Where the example's log lines go in this test.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[test]
fn the_tokio_reqwest_example_runs_against_the_emulator() {
    let options = cloudmqtt_emulator::Options::try_parse_from([
        "cloudmqtt-emulator",
        "--no-broker",
        "--apply-delay-ms",
        "300",
        "--api-key",
        "example-key",
    ])
    .unwrap();
    let emulator = cloudmqtt_emulator::Emulator::start(options).unwrap();
    let captured = Captured::default();
    let writer = captured.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::DEBUG)
        .with_writer(move || writer.clone())
        .finish();
    let _logging = tracing::subscriber::set_default(subscriber);
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let names = runtime
        .block_on(example::demo(&emulator.api_url(), emulator.api_key()))
        .unwrap();
    assert_eq!(names, ["example-device"]);
    // The example removed its user again, and waited until it was gone.
    let runtime_check = runtime.block_on(async {
        let client = example::http_client().unwrap();
        let config = cloudmqtt_api::ApiConfig::builder(emulator.api_key())
            .base_url(emulator.api_url())
            .build()
            .unwrap();
        let mut list = cloudmqtt_api::Call::new(
            &config,
            cloudmqtt_api::ListUsers::default(),
            cloudmqtt_api::RetryPolicy::default(),
            1,
        );
        example::drive(&client, &mut list).await
    });
    assert_eq!(runtime_check.unwrap(), []);
    // The example logged its attempts and the core's events, no secret.
    let logged = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
    assert!(logged.contains("attempt"), "{logged}");
    assert!(logged.contains("attempt method=\"POST\""), "{logged}");
    assert!(logged.contains(" status=20"), "{logged}");
    assert!(
        logged.contains("waiting for user \"example-device\" to exist"),
        "{logged}"
    );
    assert!(logged.contains("page read"), "{logged}");
    for secret in [emulator.api_key(), "example-password"] {
        assert!(!logged.contains(secret), "{secret} in {logged}");
    }
    emulator.shutdown();
}
