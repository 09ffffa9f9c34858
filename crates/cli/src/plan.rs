//! `cloudmqtt plan`, `cloudmqtt apply` and `cloudmqtt export`: keeping a
//! broker's users and rules as an access file says.
//!
//! The file is read and checked by the core (`cloudmqtt_api::desired`),
//! the difference computed by the core's `plan`, and the changes carried
//! out by the core's `Apply` machine; this module reads files and
//! environment variables, carries requests (several at once, one thread
//! each) and prints.

use std::collections::BTreeSet;
use std::io::{self, IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::sync::mpsc;

use clap::Args;
use cloudmqtt_api::desired::{self, AccessFile, PasswordSource};
use cloudmqtt_api::{
    AccessPlan, AclKind, AclRule, Apply, ApplyOptions, ApplyReport, DEFAULT_CONCURRENCY,
    DEFAULT_SETTLE, DEFAULT_WAIT_INTERVAL, DEFAULT_WAIT_TIMEOUT, DesiredAccess, Error,
    ListAclRules, Paginator, PlanOptions, Progress, ServerAccess, Step, WaitOptions,
};
use serde_json::{Value, json};

use crate::args::{Seconds, parse_seconds};
use crate::commands::{Client, now, sleep};
use crate::failure::Failure;

/// Exit code of `plan --exit-code` when there are changes.
pub const EXIT_CHANGES: i32 = 5;

/// Arguments of `cloudmqtt plan`.
#[derive(Debug, Args)]
pub struct PlanArgs {
    /// The access file (JSON when it ends in .json, TOML otherwise).
    #[command(flatten)]
    pub common: CommonArgs,
    /// Exit with 5 when there are changes, 0 when there are none (a drift
    /// check for CI).
    #[arg(long)]
    pub exit_code: bool,
}

/// Arguments of `cloudmqtt apply`.
#[derive(Debug, Args)]
pub struct ApplyArgs {
    /// The file and what to plan.
    #[command(flatten)]
    pub common: CommonArgs,
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
    /// The access file (JSON when it ends in .json, TOML otherwise).
    #[arg(short = 'f', long = "file", value_name = "FILE")]
    pub file: PathBuf,
    /// Delete users and rules that are not in the file.
    #[arg(long)]
    pub prune: bool,
    /// Set the password of every user of the file that already exists.
    #[arg(long)]
    pub set_passwords: bool,
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

/// `cloudmqtt plan`. `connect` makes the client once the file has been
/// read and checked, so that a broken file is reported before a missing
/// API key.
pub fn plan(
    connect: impl FnOnce() -> Result<Client, Failure>,
    args: &PlanArgs,
    json: bool,
    out: &mut impl Write,
) -> Result<(), Failure> {
    let (_, _, plan) = prepare(connect, &args.common)?;
    if json {
        crate::output::write_json(out, &plan)?;
    } else {
        write_plan(out, &plan)?;
    }
    if args.exit_code && !plan.is_empty() {
        out.flush()?;
        std::process::exit(EXIT_CHANGES);
    }
    Ok(())
}

/// `cloudmqtt apply`. `connect` makes the client once the file has been
/// read and checked (see [`plan`]).
pub fn apply(
    connect: impl FnOnce() -> Result<Client, Failure>,
    args: &ApplyArgs,
    json: bool,
    out: &mut impl Write,
) -> Result<(), Failure> {
    let (mut client, desired, plan) = prepare(connect, &args.common)?;
    let client = &mut client;
    if plan.is_empty() {
        if json {
            crate::output::write_json(out, &json!({"changes": [], "failed": [], "requests": 0}))?;
        } else {
            writeln!(out, "No changes.")?;
        }
        return Ok(());
    }
    if !args.yes {
        if !(io::stdin().is_terminal() && io::stderr().is_terminal()) {
            return Err(Failure::Usage(
                "apply needs --yes when not on a terminal; nothing was sent".to_owned(),
            ));
        }
        let mut stderr = io::stderr().lock();
        write_plan(&mut stderr, &plan)?;
        drop(stderr);
        if !crate::input::confirm("Apply these changes?")? {
            return Err(Failure::Usage(
                "apply not confirmed; nothing was sent".to_owned(),
            ));
        }
    }
    let options = ApplyOptions {
        wait: WaitOptions {
            interval: args.wait_interval.0,
            timeout: args.wait_timeout.0,
            ..WaitOptions::default()
        },
        concurrency: args.concurrency,
        settle: args.settle.0,
        backoff: client.policy,
        ..ApplyOptions::default()
    };
    client.seed = client.seed.wrapping_add(1);
    let mut machine = Apply::new(&client.config, &plan, &desired, options, client.seed);
    let report = drive(&mut machine, client)?;
    if json {
        let failed: Vec<Value> = report
            .failed
            .iter()
            .map(|(change, error)| json!({"change": change, "error": error.to_string()}))
            .collect();
        crate::output::write_json(
            out,
            &json!({"changes": report.done, "failed": failed, "requests": report.requests}),
        )?;
    } else {
        writeln!(
            out,
            "Applied: {} of {} changes made, {} not made ({} requests).",
            report.done.len(),
            plan.changes.len(),
            report.failed.len(),
            report.requests
        )?;
        for (change, error) in &report.failed {
            writeln!(out, "not made: {change}: {error}")?;
        }
    }
    if report.failed.is_empty() {
        Ok(())
    } else {
        out.flush()?;
        let message = format!(
            "{} of {} changes were not made; run apply again",
            report.failed.len(),
            plan.changes.len()
        );
        let cause = report.failed[0].1.clone();
        Err(Failure::Incomplete { message, cause })
    }
}

/// `cloudmqtt export`.
pub fn export(client: &mut Client, json: bool, out: &mut impl Write) -> Result<(), Failure> {
    let server = read_server(client)?;
    if json {
        crate::output::write_json(out, &export_json(&server))?;
    } else {
        out.write_all(export_toml(&server).as_bytes())?;
    }
    Ok(())
}

/// Reads and checks the file, resolves passwords, then connects, reads the
/// server and plans.
fn prepare(
    connect: impl FnOnce() -> Result<Client, Failure>,
    args: &CommonArgs,
) -> Result<(Client, DesiredAccess, AccessPlan), Failure> {
    let shown = args.file.display().to_string();
    let text = std::fs::read_to_string(&args.file)
        .map_err(|error| Failure::Usage(format!("cannot read {shown}: {error}")))?;
    let file = desired::parse(&shown, &text).map_err(|error| file_failure(&shown, &error))?;
    let base = args.file.parent().unwrap_or(Path::new("."));
    let desired = file
        .resolve(|source| lookup(base, source))
        .map_err(|error| file_failure(&shown, &error))?;
    let mut client = connect()?;
    let server = read_server(&mut client)?;
    check_users(&file, &server, args.prune).map_err(|error| file_failure(&shown, &error))?;
    let plan = cloudmqtt_api::plan(
        &desired,
        &server,
        PlanOptions {
            prune: args.prune,
            set_passwords: args.set_passwords,
        },
    )?;
    Ok((client, desired, plan))
}

fn check_users(
    file: &AccessFile,
    server: &ServerAccess,
    prune: bool,
) -> Result<(), desired::FileError> {
    file.check_users(&server.users, prune)
}

/// Prints every located problem on stderr, one line each, and fails with
/// a usage error that counts them.
fn file_failure(shown: &str, error: &desired::FileError) -> Failure {
    let mut stderr = io::stderr().lock();
    for line in &error.lines {
        let _ = writeln!(stderr, "{}", crate::output::cell(line));
    }
    let count = error.lines.len();
    Failure::Usage(format!(
        "{shown}: {count} problem{} found; nothing was sent",
        if count == 1 { "" } else { "s" }
    ))
}

/// A password from its source: an environment variable, or a file
/// (relative to the access file's directory) less its final line break.
fn lookup(base: &Path, source: &PasswordSource) -> Result<String, String> {
    match source {
        PasswordSource::Env(name) => match std::env::var(name) {
            Ok(value) => Ok(value),
            Err(std::env::VarError::NotPresent) => Err("is not set".to_owned()),
            Err(std::env::VarError::NotUnicode(_)) => Err("is not valid UTF-8".to_owned()),
        },
        PasswordSource::File(path) => {
            let path = base.join(path);
            let text = std::fs::read_to_string(&path)
                .map_err(|error| format!("cannot be read: {}", error.kind()))?;
            let text = text.strip_suffix('\n').unwrap_or(&text);
            Ok(text.strip_suffix('\r').unwrap_or(text).to_owned())
        }
    }
}

/// Every user (through the paginator, the largest pages) and every rule.
fn read_server(client: &mut Client) -> Result<ServerAccess, Failure> {
    let mut pages = Paginator::new(None, cloudmqtt_api::validate::MAX_LIMIT)?;
    let mut users = BTreeSet::new();
    while let Some(request) = pages.next_request() {
        let page = client.call(request)?;
        users.extend(
            pages
                .handle_page(page)
                .into_iter()
                .map(|user| user.username),
        );
    }
    let rules = client.call(ListAclRules)?;
    Ok(ServerAccess { users, rules })
}

fn write_plan(out: &mut impl Write, plan: &AccessPlan) -> io::Result<()> {
    for change in &plan.changes {
        writeln!(out, "{}", crate::output::cell(&change.to_string()))?;
    }
    writeln!(out, "{}", plan.summary())
}

/// Runs the apply machine, several requests at once (one thread each),
/// printing one line per change on stderr as it is made or given up.
fn drive(machine: &mut Apply, client: &Client) -> Result<ApplyReport, Failure> {
    let (sender, receiver) = mpsc::channel();
    let mut in_flight = 0usize;
    let result = std::thread::scope(|scope| {
        loop {
            report_progress(machine);
            let at = now();
            match machine.step(at) {
                Step::Send(ticket, request) => {
                    in_flight += 1;
                    let sender = sender.clone();
                    let transport = client.transport.clone();
                    scope.spawn(move || {
                        let input = transport.send(request, at);
                        let _ = sender.send((ticket, input));
                    });
                }
                Step::WaitUntil(until) => {
                    let delay = until.duration_since(at).unwrap_or_default();
                    if in_flight == 0 {
                        sleep(delay);
                    } else if let Ok((ticket, input)) = receiver.recv_timeout(delay) {
                        in_flight -= 1;
                        machine.handle(ticket, input, now());
                    }
                }
                Step::Busy => match receiver.recv() {
                    Ok((ticket, input)) => {
                        in_flight -= 1;
                        machine.handle(ticket, input, now());
                    }
                    Err(_) => {
                        break Err(Error::Network {
                            message: "a request thread ended without an answer".to_owned(),
                        });
                    }
                },
                Step::Done(result) => break result,
            }
        }
    });
    report_progress(machine);
    Ok(result?)
}

fn report_progress(machine: &mut Apply) {
    let mut stderr = io::stderr().lock();
    for (change, progress) in machine.take_progress() {
        let line = match progress {
            Progress::Started => continue,
            Progress::Done => format!("done: {change}"),
            Progress::Failed => format!("failed: {change}"),
        };
        let _ = writeln!(stderr, "{}", crate::output::cell(&line));
    }
}

/// `CLOUDMQTT_PASSWORD_<NAME>`: the name upper-cased, anything but
/// letters and digits as `_`.
pub fn password_variable(username: &str) -> String {
    let mut name = String::from("CLOUDMQTT_PASSWORD_");
    name.extend(username.chars().map(|c| {
        if c.is_ascii_alphanumeric() {
            c.to_ascii_uppercase()
        } else {
            '_'
        }
    }));
    name
}

/// Distinct variable names: a second user mapping to one name gets `_2`.
fn variables(server: &ServerAccess) -> Vec<(String, String)> {
    let mut taken = BTreeSet::new();
    server
        .users
        .iter()
        .map(|user| {
            let base = password_variable(user);
            let mut name = base.clone();
            let mut n = 1;
            while !taken.insert(name.clone()) {
                n += 1;
                name = format!("{base}_{n}");
            }
            (user.clone(), name)
        })
        .collect()
}

fn export_json(server: &ServerAccess) -> Value {
    let users: serde_json::Map<String, Value> = variables(server)
        .into_iter()
        .map(|(user, variable)| (user, json!({ "password_env": variable })))
        .collect();
    let rules: Vec<Value> = server.rules.iter().map(rule_json).collect();
    json!({"users": users, "rules": rules})
}

fn rule_json(rule: &AclRule) -> Value {
    let mut object = serde_json::Map::new();
    object.insert("type".into(), rule.kind.as_str().into());
    if let (AclKind::Topic, Some(user)) = (rule.kind, &rule.username) {
        object.insert("username".into(), user.as_str().into());
    }
    object.insert("pattern".into(), rule.pattern.as_str().into());
    object.insert("read".into(), rule.read.into());
    object.insert("write".into(), rule.write.into());
    Value::Object(object)
}

fn export_toml(server: &ServerAccess) -> String {
    let mut out = String::from(
        "# Exported by cloudmqtt export. Passwords cannot be read back:\n# set each variable named below before plan or apply.\n",
    );
    for (user, variable) in variables(server) {
        out.push_str(&format!(
            "\n[users.{}]\npassword_env = {}\n",
            toml_key(&user),
            toml_string(&variable)
        ));
    }
    for rule in &server.rules {
        out.push_str(&format!("\n[[rules]]\ntype = \"{}\"\n", rule.kind.as_str()));
        if let (AclKind::Topic, Some(user)) = (rule.kind, &rule.username) {
            out.push_str(&format!("username = {}\n", toml_string(user)));
        }
        out.push_str(&format!(
            "pattern = {}\nread = {}\nwrite = {}\n",
            toml_string(&rule.pattern),
            rule.read,
            rule.write
        ));
    }
    out
}

/// A bare key when TOML allows one, else a quoted one.
fn toml_key(key: &str) -> String {
    if !key.is_empty()
        && key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
    {
        key.to_owned()
    } else {
        toml_string(key)
    }
}

/// A TOML basic string: quotes, backslashes and control characters
/// escaped.
fn toml_string(text: &str) -> String {
    let mut out = String::from("\"");
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            c if c.is_control() => out.push_str(&format!("\\u{:04X}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn server() -> ServerAccess {
        ServerAccess {
            users: ["sensor-1", "a b", "a_b", "q\"ü"]
                .into_iter()
                .map(str::to_owned)
                .collect(),
            rules: vec![
                AclRule {
                    kind: AclKind::Topic,
                    pattern: "sensors/1/#".into(),
                    read: false,
                    write: true,
                    username: Some("sensor-1".into()),
                },
                AclRule {
                    kind: AclKind::Pattern,
                    pattern: "home/%u/#".into(),
                    read: true,
                    write: true,
                    username: None,
                },
            ],
        }
    }

    #[test]
    fn exports_read_back_as_the_same_state() {
        let server = server();
        for (name, text) in [
            ("access.toml", export_toml(&server)),
            ("access.json", export_json(&server).to_string()),
        ] {
            let file = desired::parse(name, &text).unwrap_or_else(|e| panic!("{e}\n{text}"));
            let desired = file
                .resolve(|source| match source {
                    PasswordSource::Env(variable) => Ok(format!("pw-{variable}")),
                    PasswordSource::File(_) => Err("unexpected".into()),
                })
                .unwrap();
            let plan = cloudmqtt_api::plan(
                &desired,
                &server,
                PlanOptions {
                    prune: true,
                    set_passwords: false,
                },
            )
            .unwrap();
            assert!(plan.is_empty(), "{name}: {:?}", plan.changes);
            let variables: BTreeSet<String> = file
                .users
                .iter()
                .map(|user| match &user.password {
                    PasswordSource::Env(variable) => variable.clone(),
                    PasswordSource::File(_) => unreachable!(),
                })
                .collect();
            assert!(
                variables.contains("CLOUDMQTT_PASSWORD_SENSOR_1"),
                "{variables:?}"
            );
            assert!(
                variables.contains("CLOUDMQTT_PASSWORD_A_B_2"),
                "{variables:?}"
            );
            assert_eq!(variables.len(), 4);
        }
    }
}
