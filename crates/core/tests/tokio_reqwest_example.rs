//! The tokio + reqwest example, run as it is against the emulator: the core
//! serves a transport other than the CLI's and the npm package's.

#[allow(dead_code)]
#[path = "../examples/tokio_reqwest.rs"]
mod example;

use clap::Parser as _;

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
    emulator.shutdown();
}
