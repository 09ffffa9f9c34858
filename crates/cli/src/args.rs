//! The command line: global options, commands and their arguments.
//!
//! Parsing only: every value the API will see is checked by the core, so
//! nothing here decides what a valid user name, topic or page is.

use std::ffi::OsString;
use std::fmt;
use std::io::{self, Write};
use std::path::PathBuf;
use std::time::Duration;

use clap::builder::PossibleValuesParser;
use clap::error::ErrorKind;
use clap::{ArgGroup, Args, CommandFactory, Parser, Subcommand, ValueEnum, ValueHint};
use clap_complete::Shell;
use cloudmqtt_api::{
    AclKind, DEFAULT_ATTEMPT_TIMEOUT, DEFAULT_CONCURRENCY, DEFAULT_MAX_RETRIES, DEFAULT_SETTLE,
    DEFAULT_WAIT_INTERVAL, DEFAULT_WAIT_TIMEOUT, Encoding, Target,
};

use crate::failure::{ExitStatus, Failure};

/// The environment variable that holds the API key.
pub const API_KEY_ENV: &str = "CLOUDMQTT_API_KEY";

/// The environment variable that overrides the API's base URL.
pub const BASE_URL_ENV: &str = "CLOUDMQTT_BASE_URL";

/// The environment variable that names the profile to use.
pub const PROFILE_ENV: &str = "CLOUDMQTT_PROFILE";

/// The environment variable that turns tracing on (`1`, `true`, `yes`,
/// `on`).
pub const DEBUG_ENV: &str = "CLOUDMQTT_DEBUG";

/// What `--help` says after the options, and the manual in its description.
const NOTES: &str = r#"The API key comes from the CLOUDMQTT_API_KEY environment variable, from
--api-key-file or from a profile; it is never taken as an option value,
which would show in process lists. Passwords come from --password-stdin or a prompt that does
not echo.

Settings come from, first found: a flag, the environment, the profile
(--profile, CLOUDMQTT_PROFILE, or the profile named 'default' in
$XDG_CONFIG_HOME/cloudmqtt/config.toml), the default. See
'cloudmqtt profiles --help'.

With --debug (or CLOUDMQTT_DEBUG=1) every attempt and every wait is
written to stderr, secrets redacted. With --json a failure also writes
{"error":{"code":"NOT_FOUND","status":404,"message":"..."}} to stderr."#;

/// Every exit code and what it means, for `--help` and the manual.
const EXIT_CODES: [(ExitStatus, &str); 7] = [
    (ExitStatus::OK, "success"),
    (
        ExitStatus::API,
        "API or network error (including a --wait that gave up, or an apply that left changes unmade)",
    ),
    (ExitStatus::USAGE, "usage error or invalid input"),
    (ExitStatus::NOT_FOUND, "not found"),
    (ExitStatus::AUTH, "authentication or permission failure"),
    (
        ExitStatus::VERDICT,
        "access denied (acl check), findings (acl lint), failed cases (acl test), a --fail-on condition (acl diff) or changes (plan --exit-code)",
    ),
    (
        ExitStatus::STALE,
        "apply PLAN: the server changed since the plan was made (nothing was sent)",
    ),
];

/// `--help` after the options: the notes, then the exit codes.
fn after_help() -> String {
    let mut text = format!("{NOTES}\n\nExit codes:");
    for (code, meaning) in EXIT_CODES {
        text.push_str(&format!("\n  {code}  {meaning}"));
    }
    text
}

/// Manage the users, ACL rules and instance of a CloudMQTT broker.
#[derive(Debug, Parser)]
#[command(name = "cloudmqtt", version, after_help = after_help())]
pub struct Cli {
    /// Options that apply to every command.
    #[command(flatten)]
    pub global: GlobalArgs,
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// Options that apply to every command.
#[derive(Debug, Args)]
pub struct GlobalArgs {
    /// Read the API key from this file (first line) instead of
    /// CLOUDMQTT_API_KEY.
    #[arg(long, global = true, value_name = "PATH")]
    pub api_key_file: Option<PathBuf>,

    /// The API's base URL (default: the profile's, else the public API).
    #[arg(
        help = base_url_help(),
        long,
        global = true,
        env = BASE_URL_ENV,
        hide_env_values = true,
        value_name = "URL"
    )]
    pub base_url: Option<String>,

    /// Allow plain http:// to a host that is not loopback (sends the API key
    /// in clear); `profiles add` keeps it in the profile.
    #[arg(long, global = true)]
    pub allow_insecure_http: bool,

    /// How request bodies are encoded [default: the profile's, else json].
    #[arg(long, global = true, value_enum)]
    pub encoding: Option<EncodingArg>,

    /// Seconds one HTTP attempt may take.
    #[arg(long, global = true, value_name = "SECONDS", default_value_t = Seconds(DEFAULT_ATTEMPT_TIMEOUT), value_parser = parse_seconds)]
    pub timeout: Seconds,

    /// How many times a failed request is retried (POST only when the
    /// server did not act: 429).
    #[arg(long, global = true, value_name = "N", default_value_t = DEFAULT_MAX_RETRIES)]
    pub retries: u32,

    /// Print the API's data as JSON on stdout instead of tables; mutations
    /// print nothing.
    #[arg(long, global = true)]
    pub json: bool,

    /// The profile to use (from the config file; see `cloudmqtt profiles`).
    #[arg(
        long,
        global = true,
        env = PROFILE_ENV,
        hide_env_values = true,
        value_name = "NAME",
        value_hint = ValueHint::Other
    )]
    pub profile: Option<String>,

    /// Write every attempt (method, URL, status, duration) and every retry
    /// or wait decision to stderr, secrets redacted.
    #[arg(
        long,
        global = true,
        env = DEBUG_ENV,
        hide_env_values = true,
        value_parser = clap::builder::BoolishValueParser::new()
    )]
    pub debug: bool,
}

/// The help line of `--base-url`, naming the default from the core.
fn base_url_help() -> String {
    format!(
        "The API's base URL [default: the profile's, else {}]",
        cloudmqtt_api::DEFAULT_BASE_URL
    )
}

/// The body encodings, as named on the command line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum EncodingArg {
    /// application/json
    Json,
    /// application/x-www-form-urlencoded
    Form,
}

impl From<EncodingArg> for Encoding {
    fn from(encoding: EncodingArg) -> Self {
        match encoding {
            EncodingArg::Json => Encoding::Json,
            EncodingArg::Form => Encoding::Form,
        }
    }
}

/// The top-level commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// List, show, create and delete MQTT users.
    #[command(subcommand)]
    Users(UsersCommand),
    /// List, create and delete ACL rules.
    #[command(subcommand)]
    Acl(AclCommand),
    /// Restart or reset the instance.
    #[command(subcommand)]
    Instance(InstanceCommand),
    /// Show what applying access files would change (-o saves the plan).
    Plan(PlanArgs),
    /// Bring the server's users and rules to what access files say, or make
    /// a saved plan's changes.
    Apply(ApplyArgs),
    /// Print the server's users and rules as an access file (TOML, or JSON
    /// with --json), or its rules as a Mosquitto acl_file.
    Export(ExportArgs),
    /// Print a shell completion script to stdout.
    Completions {
        /// The shell to complete for.
        #[arg(value_enum)]
        shell: Shell,
    },
    /// Print the manual page (roff) to stdout.
    Man,
    /// List, add and remove profiles: named instances in the config file.
    #[command(subcommand)]
    Profiles(ProfilesCommand),
    /// Drive a cloudmqtt-emulator used as a test fixture: its journal of
    /// requests, reset, snapshots and scoped faults.
    #[command(subcommand)]
    Emulator(EmulatorCommand),
}

/// `cloudmqtt emulator ...`: the emulator's control API (`/_emulator/`
/// beside the base URL's `/api`).
#[derive(Debug, Subcommand)]
pub enum EmulatorCommand {
    /// Print the journal of API requests (oldest first), or clear it.
    Requests {
        /// Only the requests whose sequence number is above N.
        #[arg(long, value_name = "N", conflicts_with = "clear")]
        since: Option<u64>,
        /// Empty the journal instead.
        #[arg(long)]
        clear: bool,
    },
    /// Remove every user, rule, pending change and scoped fault, empty the
    /// journal, and rewrite the broker's files.
    Reset,
    /// Keep the users, rules and pending changes under a name.
    Snapshot {
        /// 1 to 64 letters, digits, ., _ and -, starting with a letter or
        /// digit.
        #[arg(value_hint = ValueHint::Other)]
        name: String,
    },
    /// Bring back the state kept under a name (exit 3 when there is none).
    Restore {
        /// The snapshot's name.
        #[arg(value_hint = ValueHint::Other)]
        name: String,
    },
    /// Print the scoped faults that remain, or replace them.
    Faults {
        /// Replace them with the rules of this JSON file (- for stdin):
        /// {"rules": [{"method": "POST", "path": "/api/acl", "status": 429,
        /// "retry_after": 1, "times": 3}]}.
        #[arg(long, value_name = "FILE", value_hint = ValueHint::FilePath)]
        set: Option<PathBuf>,
    },
}

/// `cloudmqtt profiles ...`
#[derive(Debug, Subcommand)]
pub enum ProfilesCommand {
    /// List the profiles (never their keys); `*` marks the one in use.
    List,
    /// Add a profile; its key is read from stdin and written to NAME.key
    /// (mode 0600) beside the config.
    Add {
        /// The profile's name: letters, digits, - and _.
        #[arg(value_hint = ValueHint::Other)]
        name: String,
        /// The API's base URL for this profile. Plain http:// to a host that
        /// is not loopback needs --allow-insecure-http, which the profile
        /// then keeps.
        #[arg(long, value_name = "URL")]
        base_url: Option<String>,
        /// How request bodies are encoded for this profile.
        #[arg(long, value_enum)]
        encoding: Option<EncodingArg>,
        /// Read the API key from the first line of stdin.
        #[arg(long, required = true)]
        api_key_stdin: bool,
        /// Replace a profile of the same name.
        #[arg(long)]
        force: bool,
    },
    /// Remove a profile, and the key file `profiles add` wrote for it.
    Remove {
        /// The profile's name.
        #[arg(value_hint = ValueHint::Other)]
        name: String,
    },
}

/// `cloudmqtt users ...`
#[derive(Debug, Subcommand)]
pub enum UsersCommand {
    /// List users: one page, or every page with --all.
    List(ListUsersArgs),
    /// Show a user and its ACL entries.
    Get {
        /// The user.
        name: String,
    },
    /// Create a user.
    Create {
        /// The new user's name.
        name: String,
        /// How the password is read.
        #[command(flatten)]
        password: PasswordArgs,
        /// Waiting until the user exists.
        #[command(flatten)]
        wait: WaitArgs,
    },
    /// Set a user's password.
    SetPassword {
        /// The user.
        name: String,
        /// How the password is read.
        #[command(flatten)]
        password: PasswordArgs,
    },
    /// Delete a user.
    Delete {
        /// The user.
        name: String,
        /// Waiting until the user is gone.
        #[command(flatten)]
        wait: WaitArgs,
    },
}

/// Arguments of `users list`.
#[derive(Debug, Args)]
pub struct ListUsersArgs {
    /// Only users whose names start with this.
    #[arg(long, value_name = "Q")]
    pub query: Option<String>,
    /// Users per page (page size of the walk with --all, 100 by default).
    #[arg(long, value_name = "N")]
    pub limit: Option<u32>,
    /// The page to show, from 1.
    #[arg(long, value_name = "P", conflicts_with = "all")]
    pub page: Option<u32>,
    /// Walk every page and list all users.
    #[arg(long)]
    pub all: bool,
}

/// How a password is read.
#[derive(Debug, Args)]
pub struct PasswordArgs {
    /// Read the password from the first line of stdin instead of prompting.
    #[arg(long)]
    pub password_stdin: bool,
}

/// Whether and how long to wait for an asynchronous change.
#[derive(Debug, Args)]
pub struct WaitArgs {
    /// Wait until the change is visible.
    #[arg(long)]
    pub wait: bool,
    /// Seconds to wait before giving up.
    #[arg(long, value_name = "SECONDS", default_value_t = Seconds(DEFAULT_WAIT_TIMEOUT), value_parser = parse_seconds, requires = "wait")]
    pub wait_timeout: Seconds,
    /// Seconds between checks.
    #[arg(long, value_name = "SECONDS", default_value_t = Seconds(DEFAULT_WAIT_INTERVAL), value_parser = parse_seconds, requires = "wait")]
    pub wait_interval: Seconds,
}

/// `cloudmqtt acl ...`
#[derive(Debug, Subcommand)]
pub enum AclCommand {
    /// List every ACL rule.
    List,
    /// Create a rule: a topic rule for one user, or a pattern rule for all.
    Create(CreateAclArgs),
    /// Delete a user's topic rules for a filter, or the pattern rules for a
    /// filter (`--type pattern`).
    Delete {
        /// Topic rules of one user (the default) or pattern rules.
        #[arg(
            long = "type",
            value_enum,
            value_name = "TYPE",
            default_value = "topic"
        )]
        kind: AclKindArg,
        /// The user whose topic rules go (not for pattern rules).
        #[arg(long, value_name = "U")]
        user: Option<String>,
        /// The rules' topic filter.
        #[arg(long, value_name = "T", visible_alias = "pattern")]
        topic: String,
        /// Waiting until the rule is gone.
        #[command(flatten)]
        wait: WaitArgs,
    },
    /// May a user read or write a topic, and which rule decides? Exit 0
    /// when allowed, 5 when denied.
    Check(CheckArgs),
    /// Why a user may or may not read or write a topic: the deciding rule,
    /// and why each of the nearest other rules did not decide. Exit 0 when
    /// allowed, 5 when denied.
    Why(WhyArgs),
    /// Look for rules that do nothing or too much. Exit 5 on a finding of
    /// severity warning or higher.
    Lint(LintArgs),
    /// Run rule tests: every case of a test file answered by the rules.
    /// Exit 0 when all pass, 5 when any fails (or coverage is under
    /// --min-coverage), 2 for a file with problems.
    Test(TestArgs),
    /// Who gains and who loses access from OLD to NEW, as topic filters
    /// with exceptions, exactly. Exit 5 when a --fail-on condition holds.
    Diff(DiffArgs),
}

/// Arguments of `export`.
#[derive(Debug, Args)]
pub struct ExportArgs {
    /// What to write: an access file (plan and apply read it back as no
    /// change), or a Mosquitto 2.0 acl_file that a stock broker loads and
    /// enforces as CloudMQTT does.
    #[arg(long, value_enum, default_value = "access-file")]
    pub format: ExportFormat,
}

/// The formats of `export`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ExportFormat {
    /// An access file: TOML, or JSON with --json.
    AccessFile,
    /// A Mosquitto acl_file (pattern lines, then each user's topic lines).
    MosquittoAcl,
}

/// Arguments of `acl test`.
#[derive(Debug, Args)]
pub struct TestArgs {
    /// The test file: TOML (JSON when the name ends in .json) with
    /// [[case]] tables of user, client_id (optional), topic, read = true or
    /// write = true, expect = "allow" or "deny", and decided_by (optional:
    /// the pattern of the rule that must decide).
    #[arg(value_name = "CASES")]
    pub cases: PathBuf,
    /// Test the rules in this file (an access file, a JSON array of rules,
    /// or a Mosquitto acl_file) instead of the server's.
    #[arg(short = 'f', long = "file", value_name = "FILE")]
    pub file: Option<PathBuf>,
    /// Also print which rules decided no case and which users no case
    /// mentions.
    #[arg(long)]
    pub coverage: bool,
    /// Fail (exit 5) when fewer than PCT percent of the rules decided at
    /// least one case, computed exactly (99.9 is not 100).
    #[arg(long, value_name = "PCT", value_parser = parse_percent)]
    pub min_coverage: Option<cloudmqtt_access::suite::Percent>,
    /// Also write the results as JUnit XML to this file.
    #[arg(long, value_name = "PATH")]
    pub junit: Option<PathBuf>,
}

/// `--min-coverage`: a percentage with at most two decimals.
fn parse_percent(text: &str) -> Result<cloudmqtt_access::suite::Percent, String> {
    cloudmqtt_access::suite::Percent::parse(text)
        .map_err(|_| "must be a percentage from 0 to 100 with at most two decimals".to_owned())
}

/// Arguments of `acl diff`.
#[derive(Debug, Args)]
pub struct DiffArgs {
    /// The rules before: @server for the server's, or a file (an access
    /// file, a JSON array of rules, or a Mosquitto acl_file).
    #[arg(value_name = "OLD")]
    pub old: String,
    /// The rules after: @server, or a file, as OLD.
    #[arg(value_name = "NEW")]
    pub new: String,
    /// Exit 5 when anyone gains access (new-access), or when a topic
    /// becomes writable by every user (world-writable). Repeatable.
    #[arg(long, value_enum, value_name = "CONDITION")]
    pub fail_on: Vec<FailOn>,
    /// Also report this user by name (for a user name holding '/', which
    /// "every user" does not stand for). Repeatable.
    #[arg(long = "user", value_name = "U")]
    pub users: Vec<String>,
}

/// The conditions of `acl diff --fail-on`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum FailOn {
    /// Anyone gains any access.
    NewAccess,
    /// A topic becomes writable by every user.
    WorldWritable,
}

/// Arguments of `acl create`.
#[derive(Debug, Args)]
pub struct CreateAclArgs {
    /// Topic (one user) or pattern (every user).
    #[arg(long = "type", value_enum, value_name = "TYPE")]
    pub kind: AclKindArg,
    /// The user of a topic rule.
    #[arg(long, value_name = "U")]
    pub user: Option<String>,
    /// The topic filter (`%u` and `%c` stand for user name and client id in
    /// pattern rules).
    #[arg(long, value_name = "P")]
    pub pattern: String,
    /// Allow subscribing.
    #[arg(long)]
    pub read: bool,
    /// Allow publishing.
    #[arg(long)]
    pub write: bool,
    /// Waiting until the rule exists.
    #[command(flatten)]
    pub wait: WaitArgs,
}

/// The rule kinds, as named on the command line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum AclKindArg {
    /// A rule for one user.
    Topic,
    /// A rule for every user.
    Pattern,
}

impl From<AclKindArg> for AclKind {
    fn from(kind: AclKindArg) -> Self {
        match kind {
            AclKindArg::Topic => AclKind::Topic,
            AclKindArg::Pattern => AclKind::Pattern,
        }
    }
}

/// `cloudmqtt instance ...`
#[derive(Debug, Subcommand)]
pub enum InstanceCommand {
    /// Restart the broker.
    Restart,
    /// Reset the instance (asks first on a terminal).
    Reset {
        /// Do not ask; required when not on a terminal.
        #[arg(long)]
        yes: bool,
    },
}

/// A duration given in seconds on the command line; shown the same way in
/// `--help`, where the defaults come from the core's constants.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Seconds(pub Duration);

impl fmt::Display for Seconds {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let millis = self.0.as_millis();
        if millis.is_multiple_of(1000) {
            write!(f, "{}", millis / 1000)
        } else {
            write!(f, "{}.{:03}", millis / 1000, millis % 1000)
        }
    }
}

/// Arguments of `acl check`.
#[derive(Debug, Args)]
#[command(group(ArgGroup::new("access").required(true).args(["read", "write"])))]
pub struct CheckArgs {
    /// The MQTT user name.
    #[arg(long, value_name = "U")]
    pub user: String,
    /// The MQTT client id (rules with %c match nothing without it).
    #[arg(long, value_name = "C")]
    pub client_id: Option<String>,
    /// The topic name (no wildcards).
    #[arg(long, value_name = "T")]
    pub topic: String,
    /// May the user receive messages on the topic?
    #[arg(long)]
    pub read: bool,
    /// May the user publish to the topic?
    #[arg(long)]
    pub write: bool,
    /// Check the rules in this file (an access file, a JSON array of rules
    /// as `acl list --json` prints, or a Mosquitto acl_file) instead of the
    /// server's.
    #[arg(short = 'f', long = "file", value_name = "FILE")]
    pub file: Option<PathBuf>,
}

/// Arguments of `acl why`: a query as `acl check` takes it, or a broker's
/// log whose denials are each explained.
#[derive(Debug, Args)]
#[command(group(ArgGroup::new("access").args(["read", "write"])))]
pub struct WhyArgs {
    /// The MQTT user name.
    #[arg(long, value_name = "U", required_unless_present = "log")]
    pub user: Option<String>,
    /// The MQTT client id (rules with %c match nothing without it).
    #[arg(long, value_name = "C")]
    pub client_id: Option<String>,
    /// The topic name (no wildcards).
    #[arg(long, value_name = "T", required_unless_present = "log")]
    pub topic: Option<String>,
    /// May the user receive messages on the topic?
    #[arg(long, required_unless_present_any = ["write", "log"])]
    pub read: bool,
    /// May the user publish to the topic?
    #[arg(long)]
    pub write: bool,
    /// Explain the rules in this file (an access file, a JSON array of
    /// rules, or a Mosquitto acl_file) instead of the server's.
    #[arg(short = 'f', long = "file", value_name = "FILE")]
    pub file: Option<PathBuf>,
    /// Instead of one query, explain every denied publish in this Mosquitto
    /// 2.0 log (written at debug level; - for stdin), each paired with the
    /// user of its client's connection line.
    #[arg(
        long,
        value_name = "LOG",
        conflicts_with_all = ["user", "topic", "client_id", "read", "write"]
    )]
    pub log: Option<PathBuf>,
}

/// Arguments of `acl lint`.
#[derive(Debug, Args)]
pub struct LintArgs {
    /// Lint the users and rules in this file (an access file, a JSON array
    /// of rules, or a Mosquitto acl_file) instead of the server's.
    #[arg(short = 'f', long = "file", value_name = "FILE")]
    pub file: Option<PathBuf>,
}

/// Arguments of `cloudmqtt plan`.
#[derive(Debug, Args)]
pub struct PlanArgs {
    /// The access files and what to plan.
    #[command(flatten)]
    pub common: CommonArgs,
    /// Also save the plan as JSON to FILE, for `apply FILE` (the schema is
    /// crates/core/plan.schema.json; passwords appear by their sources only).
    #[arg(short = 'o', long = "out", value_name = "FILE")]
    pub out: Option<PathBuf>,
    /// Exit with 5 when there are changes, 0 when there are none (a drift
    /// check for CI).
    #[arg(long)]
    pub exit_code: bool,
}

/// Arguments of `cloudmqtt apply`.
#[derive(Debug, Args)]
pub struct ApplyArgs {
    /// The files and what to plan.
    #[command(flatten)]
    pub common: CommonArgs,
    /// A plan saved by `plan -o`: makes exactly its changes, and refuses
    /// (exit 6) when the server changed since it was made.
    #[arg(value_name = "PLAN", conflicts_with_all = ["files", "prune", "set_passwords"])]
    pub plan: Option<PathBuf>,
    /// Requests in flight at once.
    #[arg(long, value_name = "N", default_value_t = DEFAULT_CONCURRENCY, value_parser = parse_concurrency)]
    pub concurrency: usize,
    /// Do not ask; required when not on a terminal.
    #[arg(long)]
    pub yes: bool,
    /// Seconds to wait for the changes of each step to show.
    #[arg(long, value_name = "SECONDS", default_value_t = Seconds(DEFAULT_WAIT_TIMEOUT), value_parser = parse_seconds)]
    pub wait_timeout: Seconds,
    /// Seconds between checks while waiting.
    #[arg(long, value_name = "SECONDS", default_value_t = Seconds(DEFAULT_WAIT_INTERVAL), value_parser = parse_seconds)]
    pub wait_interval: Seconds,
    /// Seconds to look for a create whose outcome is unknown (no answer,
    /// a timeout or a 5xx) before sending it again.
    #[arg(long, value_name = "SECONDS", default_value_t = Seconds(DEFAULT_SETTLE), value_parser = parse_seconds)]
    pub settle: Seconds,
}

/// What `plan` and `apply` share.
#[derive(Debug, Args)]
pub struct CommonArgs {
    /// An access file (JSON when it ends in .json, TOML otherwise), or a
    /// folder of them; repeat to merge several.
    #[arg(short = 'f', long = "file", value_name = "FILE")]
    pub files: Vec<PathBuf>,
    /// Delete users and rules that are not in the file.
    #[arg(long)]
    pub prune: bool,
    /// Set the password of every user of the file that already exists.
    #[arg(long)]
    pub set_passwords: bool,
    /// Only the changes to a user and its topic rules (`user:NAME`) or to
    /// one rule (`rule:topic:USER:PATTERN`, `rule:pattern::PATTERN`);
    /// repeatable.
    #[arg(long = "target", value_name = "TARGET", value_parser = parse_target)]
    pub targets: Vec<Target>,
    /// The file where apply records the password_version it set of each
    /// user (default: cloudmqtt-state.json beside the first access file).
    #[arg(long, value_name = "PATH")]
    pub state: Option<PathBuf>,
}

fn parse_target(text: &str) -> Result<Target, String> {
    Target::parse(text).map_err(|error| match error {
        cloudmqtt_api::Error::InvalidInput { reason, .. } => reason,
        other => other.to_string(),
    })
}

/// Most requests in flight at once the command line allows.
const MAX_CONCURRENCY: usize = 64;

fn parse_concurrency(text: &str) -> Result<usize, String> {
    match text.trim().parse::<usize>() {
        Ok(n) if (1..=MAX_CONCURRENCY).contains(&n) => Ok(n),
        _ => Err(format!(
            "must be a whole number from 1 to {MAX_CONCURRENCY}"
        )),
    }
}

/// Reads a positive number of seconds, decimals allowed (`30`, `0.5`).
pub(crate) fn parse_seconds(text: &str) -> Result<Seconds, String> {
    let seconds: f64 = text
        .trim()
        .parse()
        .map_err(|_| format!("{text:?} is not a number of seconds"))?;
    if !(seconds.is_finite() && seconds > 0.0 && seconds <= 86_400.0) {
        return Err("must be more than 0 and at most 86400 seconds".to_owned());
    }
    Ok(Seconds(Duration::from_secs_f64(seconds)))
}

/// The command line as shell completion sees it: `--profile` and `profiles
/// remove` offer the names of the profiles in the config as the script is
/// made (the generator writes values into the script; it cannot read the
/// config as a name is typed), and never file names. `names` are those
/// profile names.
pub fn completion_command(names: Vec<String>) -> clap::Command {
    let command = Cli::command();
    if names.is_empty() {
        return command;
    }
    // clap keeps a value's name as `&'static str` (without its `string`
    // feature); this command lives until the script is written and the
    // process ends.
    let names = PossibleValuesParser::new(names.into_iter().map(|name| &*name.leak()));
    command
        .mut_arg("profile", |arg| arg.value_parser(names.clone()))
        .mut_subcommand("profiles", |profiles| {
            profiles.mut_subcommand("remove", |remove| {
                remove.mut_arg("name", |arg| arg.value_parser(names))
            })
        })
}

/// Every environment variable the command line reads and what for, for the
/// manual.
fn environment() -> [(String, String); 10] {
    [
        (
            API_KEY_ENV.to_owned(),
            "The API key, unless --api-key-file is given; without either, the profile's key (from a file, the variable its api_key_env names, or a command)".to_owned(),
        ),
        (BASE_URL_ENV.to_owned(), "The API's base URL, as --base-url".to_owned()),
        (
            PROFILE_ENV.to_owned(),
            "The profile to use, as --profile".to_owned(),
        ),
        (
            DEBUG_ENV.to_owned(),
            "1 (or true, yes, on) traces every attempt and wait, as --debug".to_owned(),
        ),
        (
            "CLOUDMQTT_PASSWORD_<NAME>".to_owned(),
            "A user's password for plan and apply, where the access file says password_env (export writes these names; any variable the file names is read)".to_owned(),
        ),
        (
            "XDG_CONFIG_HOME".to_owned(),
            "The config file is $XDG_CONFIG_HOME/cloudmqtt/config.toml".to_owned(),
        ),
        (
            "HOME".to_owned(),
            "Without XDG_CONFIG_HOME, the config file is $HOME/.config/cloudmqtt/config.toml".to_owned(),
        ),
        (
            "TERM".to_owned(),
            "dumb: no prompt, no progress line and no colour".to_owned(),
        ),
        (
            "NO_COLOR".to_owned(),
            "Set and not empty: no colour in help and usage messages (CLICOLOR and CLICOLOR_FORCE are read too)".to_owned(),
        ),
        (
            "HTTPS_PROXY, HTTP_PROXY, ALL_PROXY, NO_PROXY".to_owned(),
            "A proxy for every request (as CONNECT), and the hosts reached without it; the lower-case names too".to_owned(),
        ),
    ]
}

/// Text as roff prints it: backslashes, hyphens and apostrophes escaped,
/// and a line that would start with a control character made plain.
fn roff(text: &str) -> String {
    let mut escaped = String::new();
    if text.starts_with(['.', '\'']) {
        escaped.push_str("\\&");
    }
    for c in text.chars() {
        match c {
            '\\' => escaped.push_str("\\e"),
            '-' => escaped.push_str("\\-"),
            '\'' => escaped.push_str("\\*(Aq"),
            c => escaped.push(c),
        }
    }
    escaped
}

/// A roff section of tagged paragraphs: each tag in bold, then its text.
fn tagged_section(title: &str, items: &[(String, String)]) -> String {
    let mut section = format!(".SH {title}\n");
    for (tag, text) in items {
        section.push_str(&format!(".TP\n\\fB{}\\fR\n", roff(tag)));
        for line in text.lines() {
            section.push_str(&roff(line));
            section.push('\n');
        }
    }
    section
}

/// Every command that does something (`users list`, `plan`, ...), as
/// typed, with its one-line description.
fn commands(command: &clap::Command, path: &str, found: &mut Vec<(String, String)>) {
    for sub in command.get_subcommands().filter(|sub| !sub.is_hide_set()) {
        let path = format!("{path} {}", sub.get_name());
        if sub.has_subcommands() {
            commands(sub, &path, found);
        } else {
            let about = sub.get_about().map(ToString::to_string).unwrap_or_default();
            found.push((path, about));
        }
    }
}

/// Writes the manual page (roff): clap_mangen's name, synopsis, description
/// (the notes of `--help`) and options, then every command, the
/// environment and the exit status. There is no page per command, so none
/// is referred to.
///
/// # Errors
/// A failed write.
pub fn write_manual(out: &mut dyn Write) -> io::Result<()> {
    use clap_mangen::Man;
    let command = Cli::command();
    let about = command
        .get_about()
        .map(ToString::to_string)
        .unwrap_or_default();
    let man = Man::new(command.clone().long_about(format!("{about}.\n\n{NOTES}")));
    let mut page = Vec::new();
    man.render_title(&mut page)?;
    // Each part clap_mangen renders starts with the same preamble (the
    // definition of the apostrophe); the page keeps the title's.
    let preamble = page[..page.windows(4).position(|w| w == b".TH ").unwrap_or(0)].to_vec();
    type Render = fn(&Man, &mut dyn Write) -> io::Result<()>;
    let parts: [Render; 4] = [
        Man::render_name_section,
        Man::render_synopsis_section,
        Man::render_description_section,
        Man::render_options_section,
    ];
    for render in parts {
        let mut part = Vec::new();
        render(&man, &mut part)?;
        page.extend_from_slice(part.strip_prefix(preamble.as_slice()).unwrap_or(&part));
    }
    let mut all = Vec::new();
    commands(&command, "cloudmqtt", &mut all);
    all.push((
        "cloudmqtt COMMAND --help".to_owned(),
        "The command's own options".to_owned(),
    ));
    let exit_codes: Vec<(String, String)> = EXIT_CODES
        .iter()
        .map(|(code, meaning)| (code.to_string(), (*meaning).to_owned()))
        .collect();
    for section in [
        tagged_section("COMMANDS", &all),
        tagged_section("ENVIRONMENT", &environment()),
        tagged_section("EXIT STATUS", &exit_codes),
    ] {
        page.extend_from_slice(section.as_bytes());
    }
    out.write_all(&page)
}

/// Turns a command-line mistake into one usage failure: clap's reason
/// (its first paragraph and any tips, without the `error: ` prefix, or for
/// a missing subcommand the ones to choose from) and the `--help` to read.
///
/// `args` is the whole command line, program name first; it names the
/// subcommand whose help is meant.
pub fn usage_failure(error: &clap::Error, args: &[OsString]) -> Failure {
    let root = Cli::command();
    let (path, command) = subcommand_path(&root, args);
    let reason = match error.kind() {
        ErrorKind::MissingSubcommand | ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand => {
            let names: Vec<&str> = command
                .get_subcommands()
                .filter(|sub| !sub.is_hide_set())
                .map(clap::Command::get_name)
                .collect();
            match path.last() {
                _ if names.is_empty() => "arguments are missing".to_owned(),
                None => format!("a command is needed: {}", names.join(", ")),
                Some(name) => format!("'{name}' needs a subcommand: {}", names.join(", ")),
            }
        }
        _ => clap_reason(error),
    };
    let mut help = String::from("cloudmqtt");
    for name in &path {
        help.push(' ');
        help.push_str(name);
    }
    Failure::Usage(format!("{reason} (try '{help} --help')"))
}

/// The reason for a command-line error in one line, from clap's error
/// kind and context (never from its rendered text): what was wrong, the
/// parser's own words for a rejected value, the values it takes, and
/// clap's suggestions.
fn clap_reason(error: &clap::Error) -> String {
    use clap::error::{ContextKind, ContextValue};
    let text = |kind| error.get(kind).map(ToString::to_string);
    let quoted = |kind| match error.get(kind) {
        Some(ContextValue::Strings(values)) => Some(
            values
                .iter()
                .map(|value| format!("'{value}'"))
                .collect::<Vec<_>>()
                .join(", "),
        ),
        Some(value) => Some(format!("'{value}'")),
        None => None,
    };
    let arg = text(ContextKind::InvalidArg);
    let mut reason = match (error.kind(), arg) {
        (ErrorKind::InvalidValue | ErrorKind::ValueValidation, Some(arg)) => {
            match text(ContextKind::InvalidValue) {
                Some(value) if value.is_empty() => {
                    format!("a value is required for '{arg}' but none was supplied")
                }
                Some(value) => format!("invalid value '{value}' for '{arg}'"),
                None => format!("invalid value for '{arg}'"),
            }
        }
        (ErrorKind::UnknownArgument, Some(arg)) => format!("unexpected argument '{arg}' found"),
        (ErrorKind::MissingRequiredArgument, Some(args)) => {
            format!("the following required arguments were not provided: {args}")
        }
        (ErrorKind::ArgumentConflict, Some(arg)) => match text(ContextKind::PriorArg) {
            Some(prior) if prior == arg => {
                format!("the argument '{arg}' cannot be used more than once")
            }
            Some(prior) => format!("the argument '{arg}' cannot be used with '{prior}'"),
            None => format!("the argument '{arg}' cannot be used with the others given"),
        },
        (ErrorKind::InvalidSubcommand, _) => match text(ContextKind::InvalidSubcommand) {
            Some(name) => format!("unrecognized subcommand '{name}'"),
            None => "unrecognized subcommand".to_owned(),
        },
        (kind, arg) => {
            let what = kind.as_str().unwrap_or("the command line is not valid");
            match arg {
                Some(arg) => format!("{what}: '{arg}'"),
                None => what.to_owned(),
            }
        }
    };
    if error.kind() == ErrorKind::ValueValidation
        && let Some(source) = std::error::Error::source(error)
    {
        reason.push_str(&format!(": {source}"));
    }
    if let Some(values) = quoted(ContextKind::ValidValue) {
        reason.push_str(&format!("; possible values: {values}"));
    }
    for (kind, what) in [
        (
            ContextKind::SuggestedSubcommand,
            "a similar subcommand exists",
        ),
        (ContextKind::SuggestedArg, "a similar argument exists"),
        (ContextKind::SuggestedValue, "a similar value exists"),
    ] {
        if let Some(suggested) = quoted(kind) {
            reason.push_str(&format!("; {what}: {suggested}"));
        }
    }
    if let Some(ContextValue::StyledStrs(tips)) = error.get(ContextKind::Suggested) {
        for tip in tips {
            reason.push_str(&format!("; {tip}"));
        }
    }
    reason
}

/// The subcommands named on the command line (`["users", "list"]`) and the
/// last one's definition. Options are skipped with their values; a word
/// that is not a subcommand of the one reached so far is a positional
/// argument (or a mistake) and does not change the path.
fn subcommand_path<'a>(
    root: &'a clap::Command,
    args: &[OsString],
) -> (Vec<String>, &'a clap::Command) {
    let mut path = Vec::new();
    let mut command = root;
    // Options of the commands passed through: global options are defined
    // on the root and may follow any subcommand.
    let mut options: Vec<&clap::Arg> = root.get_arguments().collect();
    let takes_value = |options: &[&clap::Arg], matches: &dyn Fn(&clap::Arg) -> bool| {
        options
            .iter()
            .any(|arg| matches(arg) && arg.get_action().takes_values())
    };
    let mut words = args.iter().skip(1).map(|word| word.to_string_lossy());
    while let Some(word) = words.next() {
        if word == "--" {
            break;
        }
        if let Some(long) = word.strip_prefix("--") {
            if !long.contains('=') && takes_value(&options, &|arg| arg.get_long() == Some(long)) {
                words.next();
            }
        } else if let Some(shorts) = word.strip_prefix('-').filter(|rest| !rest.is_empty()) {
            // `-abc` is a cluster of flags; the first that takes a value
            // takes the rest of the word, or the next word if nothing is left.
            for (index, short) in shorts.char_indices() {
                if takes_value(&options, &|arg| arg.get_short() == Some(short)) {
                    if index + short.len_utf8() == shorts.len() {
                        words.next();
                    }
                    break;
                }
            }
        } else if let Some(sub) = command.find_subcommand(word.as_ref()) {
            path.push(sub.get_name().to_owned());
            options.extend(sub.get_arguments());
            command = sub;
        }
    }
    (path, command)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_command_definition_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn seconds() {
        assert_eq!(parse_seconds("30"), Ok(Seconds(Duration::from_secs(30))));
        assert_eq!(
            parse_seconds(" 0.25 "),
            Ok(Seconds(Duration::from_millis(250)))
        );
        // Defaults show in --help as the core's constants, in seconds.
        assert_eq!(Seconds(DEFAULT_WAIT_TIMEOUT).to_string(), "90");
        assert_eq!(Seconds(Duration::from_millis(1500)).to_string(), "1.500");
        for bad in ["0", "-1", "x", "NaN", "inf", "86401"] {
            assert!(parse_seconds(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn global_options_go_anywhere() {
        let cli = Cli::try_parse_from(["cloudmqtt", "users", "list", "--json", "--retries", "5"])
            .unwrap();
        assert!(cli.global.json);
        assert_eq!(cli.global.retries, 5);
    }

    #[test]
    fn page_and_all_exclude_each_other() {
        let error = Cli::try_parse_from(["cloudmqtt", "users", "list", "--all", "--page", "2"])
            .unwrap_err();
        assert_eq!(error.kind(), clap::error::ErrorKind::ArgumentConflict);
    }

    #[test]
    fn there_is_no_password_option() {
        for command in ["create", "set-password"] {
            let error =
                Cli::try_parse_from(["cloudmqtt", "users", command, "alice", "--password", "pw"])
                    .unwrap_err();
            assert_eq!(
                error.kind(),
                clap::error::ErrorKind::UnknownArgument,
                "{command}"
            );
        }
    }

    /// The usage failure's message for this command line.
    fn usage_message(args: &[&str]) -> String {
        let args: Vec<OsString> = std::iter::once("cloudmqtt")
            .chain(args.iter().copied())
            .map(OsString::from)
            .collect();
        let error = Cli::try_parse_from(&args).unwrap_err();
        let failure = usage_failure(&error, &args);
        assert_eq!(failure.exit_status(), crate::failure::ExitStatus::USAGE);
        failure.to_string()
    }

    #[test]
    fn usage_failures_give_the_reason_and_the_help_to_read() {
        assert_eq!(
            usage_message(&["users", "list", "--limit", "many"]),
            "invalid value 'many' for '--limit <N>': invalid digit found in string \
             (try 'cloudmqtt users list --help')"
        );
        assert_eq!(
            usage_message(&["users"]),
            "'users' needs a subcommand: list, get, create, set-password, delete \
             (try 'cloudmqtt users --help')"
        );
        assert_eq!(
            usage_message(&["--json", "instance"]),
            "'instance' needs a subcommand: restart, reset (try 'cloudmqtt instance --help')"
        );
        assert_eq!(
            usage_message(&[]),
            "a command is needed: users, acl, instance, plan, apply, export, completions, man, \
             profiles, emulator (try 'cloudmqtt --help')"
        );
        // Option values are skipped, whatever they look like.
        assert_eq!(
            usage_message(&["--base-url", "users", "acl", "delete", "--user", "u"]),
            "the following required arguments were not provided: --topic <T> \
             (try 'cloudmqtt acl delete --help')"
        );
        assert_eq!(
            usage_message(&["users", "lisst"]),
            "unrecognized subcommand 'lisst'; a similar subcommand exists: 'list' \
             (try 'cloudmqtt users --help')"
        );
    }

    #[test]
    fn every_variable_an_option_reads_is_named_without_its_value() {
        fn check(command: &clap::Command, listed: &[String]) {
            for arg in command.get_arguments() {
                if let Some(variable) = arg.get_env() {
                    let variable = variable.to_string_lossy();
                    assert!(arg.is_hide_env_values_set(), "{variable}");
                    assert!(
                        listed.contains(&variable.into_owned()),
                        "{:?}",
                        arg.get_id()
                    );
                }
            }
            for sub in command.get_subcommands() {
                check(sub, listed);
            }
        }
        let listed: Vec<String> = environment().into_iter().map(|(name, _)| name).collect();
        check(&Cli::command(), &listed);
    }

    #[test]
    fn every_exit_code_is_listed() {
        let codes: Vec<u8> = EXIT_CODES.iter().map(|(code, _)| code.0).collect();
        assert_eq!(codes, [0, 1, 2, 3, 4, 5, 6]);
        assert!(after_help().contains("changes (plan --exit-code)"));
    }

    #[test]
    fn roff_text_is_escaped() {
        assert_eq!(roff("a-b's \\x"), "a\\-b\\*(Aqs \\ex");
        assert_eq!(roff(".SH x"), "\\&.SH x");
    }

    #[test]
    fn there_is_no_api_key_option() {
        let error =
            Cli::try_parse_from(["cloudmqtt", "--api-key", "k", "acl", "list"]).unwrap_err();
        assert_eq!(error.kind(), clap::error::ErrorKind::UnknownArgument);
    }
}
