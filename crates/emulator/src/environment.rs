//! Configuration from the environment, and the values of the flags that
//! open the emulator to browsers and other machines.
//!
//! Every flag can also be set by an environment variable: `--listen` by
//! `CLOUDMQTT_EMULATOR_LISTEN`, `--no-broker` by
//! `CLOUDMQTT_EMULATOR_NO_BROKER`, and so on: [`ENV_PREFIX`] and the flag's
//! name in upper case with `_` for `-`. A flag on the command line wins over
//! its variable. `--help` names each variable. The variables are added to
//! the parser here, for every flag [`Options`] has, so that a new flag gets
//! its variable without a word more.
//!
//! [`Options::default`] reads no variable: the in-process emulator of a
//! test is configured by its code alone.

use std::net::{IpAddr, SocketAddr};

use clap::builder::BoolishValueParser;
use clap::parser::ValueSource;
use clap::{ArgAction, CommandFactory as _, FromArgMatches as _};

use crate::Options;
pub use crate::options::{ENV_PREFIX, MqttListen, cors_origin, env_name, shown_name};

/// The command line, every flag also read from its environment variable.
pub fn command() -> clap::Command {
    Options::command().mut_args(|arg| {
        let Some(flag) = arg.get_long().map(env_name) else {
            return arg;
        };
        // The command is built once per process: the few bytes of each
        // name live as long as it does.
        let flag: &'static str = Box::leak(flag.into_boxed_str());
        // An on/off flag takes `1`, `true`, `yes`, `on` (and their
        // opposites) from its variable.
        let boolean = matches!(arg.get_action(), ArgAction::SetTrue);
        // `--help` names the variable but never shows its value (it may
        // hold the API key).
        let arg = arg.env(flag).hide_env_values(true);
        if boolean {
            arg.value_parser(BoolishValueParser::new())
        } else {
            arg
        }
    })
}

/// Parses the process's arguments and environment; prints help, version
/// or a usage error and exits, as clap does, when they say so.
pub fn parse() -> Options {
    parse_from(std::env::args_os())
}

/// Parses these arguments and the process's environment, exiting on
/// help, version or a usage error (with status 2).
pub fn parse_from<I, T>(args: I) -> Options
where
    I: IntoIterator<Item = T>,
    T: Into<std::ffi::OsString> + Clone,
{
    try_parse_from(args).unwrap_or_else(|error| error.exit())
}

/// Parses these arguments and the process's environment.
///
/// An error about a value that came from a variable names the variable
/// (`CLOUDMQTT_EMULATOR_NO_BROKER`), not the flag, which the user never
/// typed; [`Options::from_environment`] lists those flags for the errors
/// [`crate::Emulator::start`] finds later.
///
/// # Errors
/// Help or version requested (exit status 0), or a usage error (status 2).
pub fn try_parse_from<I, T>(args: I) -> Result<Options, clap::Error>
where
    I: IntoIterator<Item = T>,
    T: Into<std::ffi::OsString> + Clone,
{
    let args: Vec<std::ffi::OsString> = args.into_iter().map(Into::into).collect();
    let with_variables = match command().try_get_matches_from(&args) {
        // Help or version.
        Err(error) if error.exit_code() == 0 => return Err(error),
        parsed => parsed,
    };
    // The command line alone: its errors are about flags the user typed.
    let line = Options::command().try_get_matches_from(&args)?;
    let from_environment = flags_from_environment(&line);
    let mut matches = with_variables.map_err(|error| name_variables(&error, &from_environment))?;
    let mut options = Options::from_arg_matches_mut(&mut matches)?;
    options.from_environment = from_environment;
    Ok(options)
}

/// The flags whose value comes from their variable: those the command
/// line (`line`, parsed without the variables) does not give and whose
/// variable is set. Clap reads a variable that is set, even to nothing.
fn flags_from_environment(line: &clap::ArgMatches) -> Vec<String> {
    Options::command()
        .get_arguments()
        .filter(|arg| line.value_source(arg.get_id().as_str()) != Some(ValueSource::CommandLine))
        .filter_map(clap::Arg::get_long)
        .filter(|flag| std::env::var_os(env_name(flag)).is_some())
        .map(str::to_owned)
        .collect()
}

/// Clap's `error` with every flag whose value came from its variable
/// named by the variable: clap names the flag either way.
fn name_variables(error: &clap::Error, from_environment: &[String]) -> clap::Error {
    let mut text = error.render().to_string();
    // Built, an argument shows as clap's messages show it.
    let mut command = Options::command();
    command.build();
    for arg in command.get_arguments() {
        if let Some(flag) = arg.get_long() {
            let shown = shown_name(flag, from_environment);
            if !shown.starts_with("--") {
                text = text.replace(&format!("'{arg}'"), &format!("'{shown}'"));
            }
        }
    }
    let text = text.strip_prefix("error: ").unwrap_or(&text);
    clap::Error::raw(error.kind(), text)
}

/// Where the broker is to listen: `--mqtt-listen`'s address with its port,
/// or `--mqtt-port`.
///
/// # Errors
/// When both name a port, and not the same one.
pub fn mqtt_address(options: &Options) -> Result<SocketAddr, String> {
    let listen = options.mqtt_listen.unwrap_or_default();
    let port = match listen.port {
        Some(port) if options.mqtt_port != 0 && options.mqtt_port != port => {
            return Err(format!(
                "{} {listen} and {} {} name different ports",
                options.name("mqtt-listen"),
                options.name("mqtt-port"),
                options.mqtt_port
            ));
        }
        Some(port) => port,
        None => options.mqtt_port,
    };
    Ok(SocketAddr::new(listen.ip, port))
}

/// The warning to print when an address is not loopback: whoever can reach
/// it can use what listens there.
pub fn exposure_warning(flag: &str, address: IpAddr, what: &str) -> Option<String> {
    (!address.is_loopback()).then(|| {
        format!(
            "cloudmqtt-emulator: warning: {flag} {address} is not loopback: {what} can be reached from other machines"
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_flag_has_its_variable() {
        let command = command();
        for arg in command.get_arguments() {
            if let Some(long) = arg.get_long() {
                let expected = env_name(long);
                assert_eq!(
                    arg.get_env().and_then(|name| name.to_str()),
                    Some(expected.as_str()),
                    "--{long}"
                );
            }
        }
        assert_eq!(env_name("mqtt-listen"), "CLOUDMQTT_EMULATOR_MQTT_LISTEN");
        assert!(
            command
                .get_arguments()
                .filter(|arg| arg.get_long().is_some())
                .all(clap::Arg::is_hide_env_values_set)
        );
    }

    #[test]
    fn cors_origins() {
        for (given, kept) in [
            ("*", "*"),
            ("http://localhost:5173", "http://localhost:5173"),
            ("http://LocalHost:5173/", "http://localhost:5173"),
            ("https://app.example.com", "https://app.example.com"),
            ("http://[::1]:8080", "http://[::1]:8080"),
        ] {
            assert_eq!(cors_origin(given).as_deref(), Ok(kept), "{given}");
        }
        for bad in [
            "",
            "localhost:5173",
            "ftp://x",
            "http://",
            "http://x/app",
            "http://x?y",
            "http://a b",
            "http://user@x",
            "http://é.example",
        ] {
            assert!(cors_origin(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn mqtt_listen_and_port() {
        let parse = |args: &[&str]| {
            let mut all = vec!["e"];
            all.extend_from_slice(args);
            Options::try_parse_from(all).map(|options| mqtt_address(&options))
        };
        use clap::Parser as _;
        assert_eq!(parse(&[]).unwrap(), Ok("127.0.0.1:0".parse().unwrap()));
        assert_eq!(
            parse(&["--mqtt-listen", "0.0.0.0"]).unwrap(),
            Ok("0.0.0.0:0".parse().unwrap())
        );
        assert_eq!(
            parse(&["--mqtt-listen", "0.0.0.0", "--mqtt-port", "1883"]).unwrap(),
            Ok("0.0.0.0:1883".parse().unwrap())
        );
        assert_eq!(
            parse(&["--mqtt-listen", "[::]:1884"]).unwrap(),
            Ok("[::]:1884".parse().unwrap())
        );
        assert_eq!(
            parse(&["--mqtt-listen", "[::]:1884", "--mqtt-port", "1884"]).unwrap(),
            Ok("[::]:1884".parse().unwrap())
        );
        assert!(
            parse(&["--mqtt-listen", "0.0.0.0:1", "--mqtt-port", "2"])
                .unwrap()
                .is_err()
        );
        assert!(parse(&["--mqtt-listen", "somewhere"]).is_err());
    }

    #[test]
    fn warnings_name_what_is_exposed() {
        assert_eq!(
            exposure_warning("--mqtt-listen", "127.0.0.1".parse().unwrap(), "the broker"),
            None
        );
        assert_eq!(
            exposure_warning("--listen", "::1".parse().unwrap(), "the API"),
            None
        );
        let warning =
            exposure_warning("--mqtt-listen", "0.0.0.0".parse().unwrap(), "the broker").unwrap();
        assert!(
            warning.contains("--mqtt-listen 0.0.0.0 is not loopback"),
            "{warning}"
        );
    }
}
