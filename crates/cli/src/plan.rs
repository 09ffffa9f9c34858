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
use std::path::Path;

use cloudmqtt_access::diff::{AccessDiff, diff};
use cloudmqtt_api::desired::{self, FileError, PasswordSource, Problem};
use cloudmqtt_api::{
    AccessChange, AccessPlan, AclKind, AclRule, Apply, ApplyOptions, ApplyReport, DesiredAccess,
    Event, PlanOptions, Progress, ReadServer, Secret, ServerAccess, WaitOptions,
};
use serde_json::{Value, json};

use crate::args::{ApplyArgs, CommonArgs, ExportFormat, PlanArgs};
use crate::client::{Client, Watch};
use crate::failure::Failure;

/// `cloudmqtt plan`. `connect` makes the client once the file has been
/// read and checked, so that a broken file is reported before a missing
/// API key.
pub fn plan(
    connect: impl FnOnce() -> Result<Client, Failure>,
    args: &PlanArgs,
    json: bool,
    out: &mut impl Write,
) -> Result<(), Failure> {
    let Prepared {
        plan,
        missing,
        rules,
        ..
    } = prepare(connect, &args.common)?;
    let access = diff(&rules, &plan.rules_after(&rules));
    if json {
        let mut value = serde_json::to_value(&plan).map_err(io::Error::other)?;
        if !missing.is_empty() {
            value["missing_passwords"] = json!(missing);
        }
        value["access"] = crate::diff::diff_json(&access);
        crate::output::write_json(out, &value)?;
    } else {
        write_plan(out, &plan, Some(&access))?;
        write_missing(out, &missing)?;
    }
    if args.exit_code && !plan.is_empty() {
        // The plan on stdout is the verdict; main exits with its status.
        return Err(Failure::Verdict);
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
    let Prepared {
        mut client,
        desired,
        plan,
        missing,
        ..
    } = prepare(connect, &args.common)?;
    let client = &mut client;
    if !missing.is_empty() {
        crate::output::to_stderr(|err| write_missing(err, &missing))?;
        return Err(Failure::Usage(format!(
            "{}: {} password{} the plan sends cannot be had; nothing was sent",
            args.common.file.display(),
            missing.len(),
            if missing.len() == 1 { "" } else { "s" }
        )));
    }
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
        crate::output::to_stderr(|err| write_plan(err, &plan, None))?;
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
pub fn export(
    client: &mut Client,
    format: ExportFormat,
    json: bool,
    out: &mut impl Write,
) -> Result<(), Failure> {
    let server = read_server(client)?;
    if format == ExportFormat::MosquittoAcl {
        // The one writer the emulator's broker files come from too.
        let (text, left_out) = cloudmqtt_access::acl_file::write(&server.rules);
        out.write_all(text.as_bytes())?;
        for rule in left_out {
            crate::output::note(&format!(
                "left out of the acl_file (Mosquitto cannot read it back): {}",
                cloudmqtt_access::describe_rule(rule)
            ));
        }
    } else if json {
        crate::output::write_json(out, &export_json(&server))?;
    } else {
        out.write_all(export_toml(&server).as_bytes())?;
    }
    Ok(())
}

/// What `plan` and `apply` start from: the client, the desired state with
/// the passwords the plan's changes send, the plan, and the located
/// problems of the passwords it needs but could not have.
struct Prepared {
    client: Client,
    desired: DesiredAccess,
    plan: AccessPlan,
    missing: Vec<String>,
    /// The server's rules, as the plan read them.
    rules: Vec<AclRule>,
}

/// Reads and checks the file, connects, reads the server, then looks up
/// the passwords of the users the plan creates or sets (and no other), and
/// plans. Every problem of the file (its reading, unknown users, password
/// sources that are needed and unusable) is reported in one run, sorted by
/// position; a password needed and missing is kept for the caller.
fn prepare(
    connect: impl FnOnce() -> Result<Client, Failure>,
    args: &CommonArgs,
) -> Result<Prepared, Failure> {
    let shown = args.file.display().to_string();
    let text = std::fs::read_to_string(&args.file)
        .map_err(|error| Failure::Usage(format!("cannot read {shown}: {error}")))?;
    let (file, mut problems) = desired::read(&shown, &text);
    // A broken file is reported first, whatever else fails after it.
    let fail_with = |problems: Vec<Problem>, failure: Failure| {
        if problems.is_empty() {
            failure
        } else {
            Failure::File(FileError::new(&shown, problems))
        }
    };
    let mut client = connect().map_err(|failure| fail_with(problems.clone(), failure))?;
    let server =
        read_server(&mut client).map_err(|failure| fail_with(problems.clone(), failure))?;
    problems.extend(file.user_problems(&server.users, args.prune));
    let options = PlanOptions {
        prune: args.prune,
        set_passwords: args.set_passwords,
    };
    let needed = |name: &str| cloudmqtt_api::sends_password(name, &server, options);
    let base = args.file.parent().unwrap_or(Path::new("."));
    let (desired, password_problems) = file.resolve_some(needed, |source| lookup(base, source));
    if !problems.is_empty() {
        problems.extend(password_problems);
        return Err(Failure::File(FileError::new(&shown, problems)));
    }
    let plan = cloudmqtt_api::plan(&desired, &server, options)?;
    Ok(Prepared {
        client,
        desired,
        plan,
        rules: server.rules,
        missing: FileError::new(&shown, password_problems).lines,
    })
}

/// A password from its source (an environment variable, or a file
/// relative to the access file's directory), read by the core's one rule
/// ([`desired::password_from`]: a file's first line, no control
/// characters), and registered for redaction the moment it is learned.
fn lookup(base: &Path, source: &PasswordSource) -> Result<Secret, String> {
    let value = match source {
        PasswordSource::Env(name) => std::env::var_os(name)
            .map(|value| value.into_encoded_bytes())
            .ok_or_else(|| "is not set".to_owned()),
        PasswordSource::File(path) => std::fs::read(base.join(path))
            .map_err(|error| format!("cannot be read: {}", error.kind())),
    };
    if let Ok(bytes) = &value {
        // Whatever the source holds is a secret, even where it is refused.
        crate::trace::add_secret(&String::from_utf8_lossy(bytes));
    }
    let password = desired::password_from(source, value)?;
    crate::trace::add_secret(password.expose());
    Ok(password)
}

/// Every user and every rule: the core's [`ReadServer`].
fn read_server(client: &mut Client) -> Result<ServerAccess, Failure> {
    let seed = client.next_seed();
    let mut read = ReadServer::new(&client.config, client.policy, seed);
    Ok(client.drive(&mut read)?)
}

/// The passwords apply would need and cannot have, after the plan.
fn write_missing(out: &mut (impl Write + ?Sized), missing: &[String]) -> io::Result<()> {
    if missing.is_empty() {
        return Ok(());
    }
    writeln!(out, "Apply needs these passwords, which cannot be had now:")?;
    for line in missing {
        writeln!(out, "  {}", crate::output::cell(line))?;
    }
    Ok(())
}

/// What the plan does to access, under its change lines: who gains and who
/// loses what (`acl diff`'s lines), when the plan changes rules.
fn write_access(
    out: &mut (impl Write + ?Sized),
    plan: &AccessPlan,
    access: &AccessDiff,
) -> io::Result<()> {
    let changes_rules = plan.changes.iter().any(|change| {
        matches!(
            change,
            AccessChange::CreateRule { .. }
                | AccessChange::DeleteRule { .. }
                | AccessChange::ReplaceRule { .. }
        )
    });
    if !changes_rules {
        return Ok(());
    }
    writeln!(out, "Access:")?;
    crate::diff::write_lines(out, access, "  ")?;
    writeln!(out, "  {}", crate::diff::summary(access))
}

/// The change lines, what they do to access when given, and the summary.
fn write_plan(
    out: &mut (impl Write + ?Sized),
    plan: &AccessPlan,
    access: Option<&AccessDiff>,
) -> io::Result<()> {
    for change in &plan.changes {
        writeln!(out, "{}", crate::output::cell(&change.to_string()))?;
    }
    if let Some(access) = access {
        write_access(out, plan, access)?;
    }
    writeln!(out, "{}", plan.summary())
}

/// Runs the apply machine through the client's one loop (several
/// requests at once), printing one line per change on stderr as it is
/// made or given up.
fn drive(machine: &mut Apply, client: &Client) -> Result<ApplyReport, Failure> {
    let mut listen = |event: &Event| {
        let Event::Change {
            change, progress, ..
        } = event
        else {
            return;
        };
        let line = match progress {
            Progress::Started => return,
            Progress::Done => format!("done: {change}"),
            Progress::Failed => format!("failed: {change}"),
        };
        crate::output::note(&line);
    };
    let watch = Watch {
        label: Some("apply"),
        listen: Some(&mut listen),
    };
    Ok(client.drive_with(machine, watch)?)
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
                    PasswordSource::Env(variable) => Ok(Secret::new(format!("pw-{variable}"))),
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
