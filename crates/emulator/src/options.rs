//! The command line.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::PathBuf;
use std::str::FromStr;

use clap::Parser;

/// A stand-alone CloudMQTT management API that manages a real Mosquitto
/// broker.
///
/// When ready it prints one line to standard output:
/// `ready api=http://HOST:PORT/api mqtt=mqtt://127.0.0.1:PORT key=KEY`
/// (`mqtt=` left out when no broker runs), then logs one line per request
/// to standard error.
#[derive(Debug, Clone, Parser)]
#[command(name = "cloudmqtt-emulator", version, about, long_about = None)]
pub struct Options {
    /// Address for the HTTP API (loopback unless told otherwise; the ready
    /// line names loopback for an unspecified address, 0.0.0.0 or ::).
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:0")]
    pub listen: SocketAddr,

    /// The API key clients must send as the Basic password (generated when
    /// not given; no white space or control characters).
    #[arg(long, value_name = "KEY")]
    pub api_key: Option<String>,

    /// Where state and broker files live (default: a temporary directory,
    /// removed at exit).
    #[arg(long, value_name = "DIR")]
    pub data_dir: Option<PathBuf>,

    /// Port for the MQTT broker (0 picks a free one).
    #[arg(long, value_name = "PORT", default_value_t = 0)]
    pub mqtt_port: u16,

    /// Run the API alone, without a broker.
    #[arg(long)]
    pub no_broker: bool,

    /// The mosquitto executable (default: found on PATH or in /usr/sbin).
    #[arg(long, value_name = "PATH", conflicts_with = "no_broker")]
    pub mosquitto: Option<PathBuf>,

    /// Write the broker's log to this file at debug level, so that every
    /// denied publish is logged (for `cloudmqtt acl why --log`), instead
    /// of its notices in the data directory.
    #[arg(long, value_name = "PATH", conflicts_with = "no_broker")]
    pub broker_log: Option<PathBuf>,

    /// Milliseconds before creates and deletes of users and ACL rules
    /// become visible and take effect on the broker (at most a day).
    #[arg(long, value_name = "N", default_value_t = 1000,
          value_parser = clap::value_parser!(u64).range(..=86_400_000))]
    pub apply_delay_ms: u64,

    /// Requests per second before answering 429 with Retry-After.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..))]
    pub rate_limit: Option<u32>,

    /// Probability (0 to 1) of answering a request with 500.
    #[arg(long, value_name = "P", default_value_t = 0.0, value_parser = probability)]
    pub fail_rate: f64,

    /// Milliseconds added before answering each request (at most a
    /// minute).
    #[arg(long, value_name = "N", default_value_t = 0,
          value_parser = clap::value_parser!(u64).range(..=60_000))]
    pub latency_ms: u64,

    /// Seed for injected failures (random when not given; either way
    /// printed on standard error as seed=N).
    #[arg(long, value_name = "S")]
    pub seed: Option<u64>,

    /// A browser origin allowed to call the API (CORS), such as
    /// http://localhost:5173; repeat it, separate with commas, or give * for
    /// any origin. Without it, no CORS headers are sent.
    #[arg(long, value_name = "ORIGIN", value_delimiter = ',', value_parser = cors_origin)]
    pub cors_origin: Vec<String>,

    /// Address for the MQTT broker: an IP (the port from --mqtt-port) or
    /// IP:PORT; 0.0.0.0 or :: for every interface, as in a container
    /// (default: loopback).
    #[arg(long, value_name = "ADDR")]
    pub mqtt_listen: Option<MqttListen>,
    /// Answer requests the real API would not accept (an unknown route or
    /// method, a body field the endpoint does not take, a JSON body
    /// without a JSON Content-Type) as it does, and flag them in the
    /// journal of GET /_emulator/requests.
    #[arg(long)]
    pub strict: bool,

    /// Start with the users and rules of this access file (the file
    /// `cloudmqtt plan` and `apply` read; passwords from the same sources).
    #[arg(long, value_name = "FILE")]
    pub from: Option<PathBuf>,

    /// The flags (long names, such as `data-dir`) whose value came from
    /// their environment variable rather than the command line, so that an
    /// error about one names the variable ([`Options::name`]). Filled by
    /// [`crate::environment::parse`]; empty for options built in code.
    #[arg(skip)]
    pub from_environment: Vec<String>,
}

impl Options {
    /// How a message names a flag (`flag` is its long name, such as
    /// `data-dir`): `--data-dir`, or `CLOUDMQTT_EMULATOR_DATA_DIR` when
    /// the value came from that variable.
    #[must_use]
    pub fn name(&self, flag: &str) -> String {
        shown_name(flag, &self.from_environment)
    }
}

fn probability(text: &str) -> Result<f64, String> {
    match text.parse::<f64>() {
        Ok(p) if (0.0..=1.0).contains(&p) => Ok(p),
        _ => Err("must be a number from 0 to 1".to_owned()),
    }
}

/// The prefix of every environment variable the emulator reads.
pub const ENV_PREFIX: &str = "CLOUDMQTT_EMULATOR_";

/// The environment variable for a flag: `mqtt-listen` gives
/// `CLOUDMQTT_EMULATOR_MQTT_LISTEN`.
pub fn env_name(flag: &str) -> String {
    format!(
        "{ENV_PREFIX}{}",
        flag.to_ascii_uppercase().replace('-', "_")
    )
}

/// How a message names a flag (its long name, such as `data-dir`):
/// `--data-dir`, or its variable when `from_environment` lists it.
pub fn shown_name(flag: &str, from_environment: &[String]) -> String {
    if from_environment.iter().any(|listed| listed == flag) {
        env_name(flag)
    } else {
        format!("--{flag}")
    }
}

/// Checks a CORS origin: `*`, or `http(s)://host[:port]` with no path,
/// returned the way a browser writes it in `Origin` (lowercase, with no
/// trailing `/`).
///
/// # Errors
/// A sentence saying what is wrong with it.
pub fn cors_origin(text: &str) -> Result<String, String> {
    let text = text.trim();
    if text == "*" {
        return Ok(text.to_owned());
    }
    let origin = text.strip_suffix('/').unwrap_or(text).to_ascii_lowercase();
    let rest = origin
        .strip_prefix("http://")
        .or_else(|| origin.strip_prefix("https://"))
        .ok_or("must be * or start with http:// or https://")?;
    if rest.is_empty() {
        return Err("names no host".to_owned());
    }
    if rest.contains(['/', '?', '#', '@', ',']) {
        return Err("must be scheme://host[:port] with no path, as a browser sends it".to_owned());
    }
    if !rest
        .bytes()
        .all(|byte| byte.is_ascii_alphanumeric() || b".-:[]_".contains(&byte))
    {
        return Err(
            "must be scheme://host[:port] (an international host in its xn-- form)".to_owned(),
        );
    }
    Ok(origin)
}

/// The value of `--mqtt-listen`: an IP address and, optionally, a port.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MqttListen {
    /// The address the broker listens on.
    pub ip: IpAddr,
    /// The port, when given (otherwise `--mqtt-port`'s).
    pub port: Option<u16>,
}

impl Default for MqttListen {
    fn default() -> Self {
        Self {
            ip: IpAddr::V4(Ipv4Addr::LOCALHOST),
            port: None,
        }
    }
}

impl FromStr for MqttListen {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        if let Ok(ip) = text.parse::<IpAddr>() {
            return Ok(Self { ip, port: None });
        }
        match text.parse::<SocketAddr>() {
            Ok(address) => Ok(Self {
                ip: address.ip(),
                port: Some(address.port()),
            }),
            Err(_) => {
                Err("must be an IP address or IP:PORT (e.g. 0.0.0.0 or [::]:1883)".to_owned())
            }
        }
    }
}

impl fmt::Display for MqttListen {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.port {
            Some(port) => SocketAddr::new(self.ip, port).fmt(f),
            None => self.ip.fmt(f),
        }
    }
}

impl Default for Options {
    fn default() -> Self {
        Self::parse_from(["cloudmqtt-emulator"])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_and_flags() {
        let options = Options::default();
        assert_eq!(options.listen, "127.0.0.1:0".parse().unwrap());
        assert_eq!(options.apply_delay_ms, 1000);
        assert_eq!(options.mqtt_port, 0);
        assert!(!options.no_broker && options.api_key.is_none());
        let options = Options::try_parse_from([
            "e",
            "--listen",
            "127.0.0.1:8080",
            "--api-key",
            "k",
            "--no-broker",
            "--rate-limit",
            "5",
            "--fail-rate",
            "0.25",
            "--latency-ms",
            "10",
            "--seed",
            "42",
            "--apply-delay-ms",
            "0",
        ])
        .unwrap();
        assert_eq!(options.rate_limit, Some(5));
        assert_eq!(options.fail_rate, 0.25);
        assert_eq!(options.seed, Some(42));
        assert!(options.no_broker);
        for bad in [
            &["e", "--fail-rate", "1.5"][..],
            &["e", "--rate-limit", "0"],
            &["e", "--apply-delay-ms", "86400001"],
            &["e", "--latency-ms", "18446744073709551615"],
            &["e", "--listen", "nowhere"],
            &["e", "--no-broker", "--mosquitto", "/bin/x"],
        ] {
            assert!(Options::try_parse_from(bad).is_err(), "{bad:?}");
        }
    }
}
