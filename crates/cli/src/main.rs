//! `cloudmqtt`: manage the users, ACL rules and instance of a CloudMQTT
//! broker from a shell or a script.
//!
//! The tool is a thin transport around the sans-IO `cloudmqtt-api` core:
//! the core builds every request, validates every argument, decides on
//! retries, pagination and polling, and turns every failure into one error;
//! this binary parses the command line, carries requests with a blocking
//! HTTP client ([`transport`]) and prints results ([`output`]).
//!
//! Output: aligned tables by default; with `--json`, exactly the API's data
//! as one line of JSON on stdout, and nothing on stdout for changes.
//! Failures print one line on stderr (with `--json`, then
//! `{"error":{"code":...,"status":...,"message":...}}`) and exit with 1
//! (API or network), 2 (usage or invalid input), 3 (not found) or 4
//! (authentication); `acl check`, `acl lint` and `plan --exit-code` exit
//! with 5 when access is denied, there are findings or there are changes.
//! Settings come from flags, the environment and profiles ([`profiles`]);
//! `--debug` traces every attempt ([`trace`]).
#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod access;
mod args;
mod client;
mod commands;
mod diff;
mod emulator;
mod export;
mod failure;
mod files;
mod input;
mod output;
mod plan;
mod profiles;
mod suite;
mod terminal;
mod trace;
mod transport;

use std::io::ErrorKind;
use std::process::ExitCode;

use clap::Parser;
use clap::error::ErrorKind as ClapErrorKind;

use crate::failure::{ExitStatus, Failure, error_json, error_line, json_requested};

fn main() -> ExitCode {
    let cli = match args::Cli::try_parse() {
        Ok(cli) => cli,
        // Help and version go to stdout with exit 0, as asked for.
        Err(error)
            if matches!(
                error.kind(),
                ClapErrorKind::DisplayHelp | ClapErrorKind::DisplayVersion
            ) =>
        {
            error.exit()
        }
        Err(error) => {
            let args: Vec<_> = std::env::args_os().collect();
            return fail(&args::usage_failure(&error, &args), json_requested(&args));
        }
    };
    let json = cli.global.json;
    match commands::run(cli) {
        Ok(()) => ExitStatus::OK.into(),
        // A closed pipe (`cloudmqtt users list | head -1`) is not an error.
        Err(Failure::Output(error)) if error.kind() == ErrorKind::BrokenPipe => {
            ExitStatus::OK.into()
        }
        // The verdict is already on stdout.
        Err(Failure::Verdict) => ExitStatus::VERDICT.into(),
        Err(failure) => fail(&failure, json),
    }
}

/// Prints the failure's one line on stderr (then, with `--json`, the same
/// as one line of JSON) and returns its exit code.
fn fail(failure: &Failure, json: bool) -> ExitCode {
    // The failure's line is already safe for a terminal; a failed write
    // leaves the exit code to tell.
    let _ = output::to_stderr(|err| {
        if let Failure::File(error) = failure {
            for line in &error.lines {
                writeln!(err, "{}", output::cell(line))?;
            }
        }
        writeln!(err, "{}", error_line(failure))?;
        if json {
            writeln!(err, "{}", error_json(failure))?;
        }
        Ok(())
    });
    failure.exit_status().into()
}
