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
//! Failures print one line on stderr and exit with 1 (API or network),
//! 2 (usage or invalid input), 3 (not found) or 4 (authentication).
#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod args;
mod commands;
mod failure;
mod input;
mod output;
mod plan;
mod transport;

use std::io::ErrorKind;
use std::process::ExitCode;

use clap::Parser;
use clap::error::ErrorKind as ClapErrorKind;

use crate::failure::{EXIT_OK, Failure, error_line};

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
            return fail(&args::usage_failure(&error, &args));
        }
    };
    match commands::run(cli) {
        Ok(()) => ExitCode::from(EXIT_OK),
        // A closed pipe (`cloudmqtt users list | head -1`) is not an error.
        Err(Failure::Output(error)) if error.kind() == ErrorKind::BrokenPipe => {
            ExitCode::from(EXIT_OK)
        }
        Err(failure) => fail(&failure),
    }
}

/// Prints the failure's one line on stderr and returns its exit code.
fn fail(failure: &Failure) -> ExitCode {
    eprintln!("{}", error_line(failure));
    ExitCode::from(failure.exit_code())
}
