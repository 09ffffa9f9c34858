//! `cloudmqtt-emulator`: the CloudMQTT management API, offline, over a real
//! Mosquitto broker. See the library's documentation.
#![forbid(unsafe_code)]

use std::io::Write as _;
use std::process::ExitCode;

use cloudmqtt_emulator::{Emulator, environment, log_line};
use signal_hook::consts::{SIGINT, SIGTERM};
use signal_hook::iterator::Signals;

fn main() -> ExitCode {
    let options = environment::parse();
    // Listen for signals before starting anything, so that none is missed.
    let mut signals = match Signals::new([SIGINT, SIGTERM]) {
        Ok(signals) => signals,
        Err(error) => {
            log_line(format_args!(
                "cloudmqtt-emulator: cannot handle signals: {error}"
            ));
            return ExitCode::FAILURE;
        }
    };
    let emulator = match Emulator::start(options) {
        Ok(emulator) => emulator,
        Err(error) => {
            log_line(format_args!("cloudmqtt-emulator: {error}"));
            return ExitCode::from(error.exit_code());
        }
    };
    let mut stdout = std::io::stdout();
    let _ = writeln!(stdout, "{}", emulator.ready_line());
    let _ = stdout.flush();
    let signal = signals.forever().next();
    log_line(format_args!(
        "cloudmqtt-emulator: shutting down (signal {})",
        signal.unwrap_or_default()
    ));
    emulator.shutdown();
    ExitCode::SUCCESS
}
