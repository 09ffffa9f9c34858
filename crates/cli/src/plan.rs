//! `cloudmqtt plan` and `cloudmqtt apply`: keeping a broker's users and
//! rules as access files say, or exactly as a saved plan says.
//!
//! The files are read and checked by the core (`cloudmqtt_api::desired`,
//! through [`crate::files`]), the part of the server they own picked by the
//! core's [`cloudmqtt_api::Ownership`], the difference computed by the
//! core's `plan`, and the changes carried out by the core's `Apply`
//! machine; a saved plan is written, read and checked against the server
//! by the core's [`SavedPlan`]. This module reads files and environment
//! variables, carries requests (several at once) and prints.

use std::collections::BTreeMap;
use std::io::{self, IsTerminal, Write};
use std::path::{Path, PathBuf};

use cloudmqtt_access::diff::{AccessDiff, diff};
use cloudmqtt_api::desired::{self, PasswordSource};
use cloudmqtt_api::{
    AccessChange, AccessPlan, Apply, ApplyOptions, ApplyReport, DesiredAccess, Event, PasswordRef,
    PasswordVersions, PlanOptions, Progress, SavedPlan, Secret, VersionCheck, WaitOptions,
};
use serde_json::{Value, json};

use crate::args::{ApplyArgs, CommonArgs, PlanArgs};
use crate::client::{Client, Watch};
use crate::failure::Failure;
use crate::files::Inputs;

/// `cloudmqtt plan`. `connect` makes the client once the files have been
/// read and checked, so that a broken file is reported before a missing
/// API key. With `-o FILE` the plan is also saved, as `--json` prints it.
pub fn plan(
    connect: impl FnOnce() -> Result<Client, Failure>,
    args: &PlanArgs,
    json: bool,
    out: &mut impl Write,
) -> Result<(), Failure> {
    let prepared = prepare(connect, &args.common)?;
    let saved = &prepared.saved;
    let text = saved.to_json();
    if let Some(path) = &args.out {
        write_file(path, &text)?;
    }
    if json {
        out.write_all(text.as_bytes())?;
    } else {
        write_plan(out, saved, Some(&prepared.access))?;
        write_missing(out, &prepared.missing)?;
    }
    if let Some(path) = &args.out {
        crate::output::note(&format!(
            "Saved the plan to {0}; apply exactly it with: cloudmqtt apply {0}",
            path.display()
        ));
    }
    if args.exit_code && !saved.plan.is_empty() {
        // The plan on stdout is the verdict; main exits with its status.
        return Err(Failure::Verdict);
    }
    Ok(())
}

/// Writes `text` to `path` whole or not at all (a temporary file beside
/// it, then a rename).
fn write_file(path: &Path, text: &str) -> Result<(), Failure> {
    let mut temporary = path.as_os_str().to_owned();
    temporary.push(".tmp");
    let temporary = PathBuf::from(temporary);
    std::fs::write(&temporary, text)
        .and_then(|()| std::fs::rename(&temporary, path))
        .map_err(|error| Failure::Usage(format!("cannot write {}: {error}", path.display())))
}

/// `cloudmqtt apply`: from access files (planned now), or from a saved
/// plan. `connect` makes the client once the files have been read and
/// checked (see [`plan`]).
pub fn apply(
    connect: impl FnOnce() -> Result<Client, Failure>,
    args: &ApplyArgs,
    json: bool,
    out: &mut impl Write,
) -> Result<(), Failure> {
    let run = match &args.plan {
        Some(path) => from_saved(connect, path, &args.common)?,
        None => {
            let prepared = prepare(connect, &args.common)?;
            if !prepared.missing.is_empty() {
                crate::output::to_stderr(|err| write_missing(err, &prepared.missing))?;
                let count = prepared.missing.len();
                return Err(Failure::Usage(format!(
                    "{}: {count} password{} the plan sends cannot be had; nothing was sent",
                    prepared.label,
                    if count == 1 { "" } else { "s" }
                )));
            }
            Run {
                client: prepared.client,
                desired: prepared.desired,
                state: prepared.state,
                saved: prepared.saved,
            }
        }
    };
    carry_out(run, args, json, out)
}

/// What an apply carries out, from files or a saved plan.
struct Run {
    client: Client,
    /// The passwords the plan sends.
    desired: DesiredAccess,
    /// Where the password versions are recorded.
    state: StateFile,
    /// The plan, its notes and the versions it records.
    saved: SavedPlan,
}

/// `apply PLAN`: reads the plan, reads the server again and refuses when
/// it changed (exit 6), then looks up the passwords the plan sends from
/// the sources it names.
fn from_saved(
    connect: impl FnOnce() -> Result<Client, Failure>,
    path: &Path,
    args: &CommonArgs,
) -> Result<Run, Failure> {
    let shown = path.display().to_string();
    let text = std::fs::read_to_string(path)
        .map_err(|error| Failure::Usage(format!("cannot read {shown}: {error}")))?;
    let mut saved = SavedPlan::from_json(&text)
        .map_err(|error| Failure::Usage(format!("{shown}: {}", error.message())))?;
    let default_state = saved.files.first().map(|file| PathBuf::from(&file.name));
    let state = StateFile::open(args.state.as_deref(), default_state.as_deref())?;
    let mut client = connect()?;
    saved.check_fresh(&client.read_server()?)?;
    saved.plan = saved.plan.targeted(&args.targets);
    let mut desired = DesiredAccess::default();
    let mut problems = Vec::new();
    for user in saved.plan.password_users() {
        let source = saved.passwords.iter().find(|(name, _)| name == user);
        let source = match source.map(|(_, source)| source) {
            Some(PasswordRef::Env(name)) => PasswordSource::Env(name.clone()),
            Some(PasswordRef::File(file)) => PasswordSource::File(file.clone()),
            Some(PasswordRef::Given) | None => {
                problems.push(format!("user {user:?}: the plan names no password source"));
                continue;
            }
        };
        match lookup(Path::new("."), &source) {
            Ok(password) => {
                desired.users.insert(user.to_owned(), Some(password));
            }
            Err(why) => problems.push(format!("user {user:?}: {source}: {why}")),
        }
    }
    if !problems.is_empty() {
        crate::output::to_stderr(|err| write_missing(err, &problems))?;
        return Err(Failure::Usage(format!(
            "{shown}: {} password{} the plan sends cannot be had; nothing was sent",
            problems.len(),
            if problems.len() == 1 { "" } else { "s" }
        )));
    }
    Ok(Run {
        client,
        desired,
        state,
        saved,
    })
}

/// Confirms, runs the apply, records the password versions set, and
/// reports.
fn carry_out(
    mut run: Run,
    args: &ApplyArgs,
    json: bool,
    out: &mut impl Write,
) -> Result<(), Failure> {
    let plan = &run.saved.plan;
    if plan.is_empty() {
        if json {
            crate::output::write_json(out, &json!({"changes": [], "failed": [], "requests": 0}))?;
        } else {
            write_notes(out, &run.saved)?;
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
        crate::output::to_stderr(|err| write_plan(err, &run.saved, None))?;
        if !crate::input::confirm("Apply these changes?")? {
            return Err(Failure::Usage(
                "apply not confirmed; nothing was sent".to_owned(),
            ));
        }
    }
    let client = &mut run.client;
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
    let seed = client.next_seed();
    let mut machine = Apply::new(&client.config, plan, &run.desired, options, seed);
    let report = drive(&mut machine, client)?;
    run.state.record(&report.done, &run.saved.versions)?;
    report_apply(out, plan, &report, json)
}

/// The apply's result: what was made and not made; an incomplete apply
/// fails with the first change's error.
fn report_apply(
    out: &mut impl Write,
    plan: &AccessPlan,
    report: &ApplyReport,
    json: bool,
) -> Result<(), Failure> {
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
        return Ok(());
    }
    out.flush()?;
    let message = format!(
        "{} of {} changes were not made; run apply again",
        report.failed.len(),
        plan.changes.len()
    );
    let cause = report.failed[0].1.clone();
    Err(Failure::Incomplete { message, cause })
}

/// The state file: the password versions applied, read before planning
/// and written after an apply that set any.
struct StateFile {
    path: PathBuf,
    versions: PasswordVersions,
}

/// The name of the state file beside the first access file.
const STATE_NAME: &str = "cloudmqtt-state.json";

impl StateFile {
    /// `--state`, or the file beside `first` (an access file, or a folder
    /// of them); a missing file records nothing.
    fn open(given: Option<&Path>, first: Option<&Path>) -> Result<Self, Failure> {
        let path = match (given, first) {
            (Some(path), _) => path.to_path_buf(),
            (None, Some(first)) if first.is_dir() => first.join(STATE_NAME),
            (None, Some(first)) => crate::files::base(first).join(STATE_NAME),
            (None, None) => PathBuf::from(STATE_NAME),
        };
        let versions = match std::fs::read_to_string(&path) {
            Ok(text) => PasswordVersions::from_json(&text).map_err(|error| {
                Failure::Usage(format!("{}: {}", path.display(), error.message()))
            })?,
            Err(error) if error.kind() == io::ErrorKind::NotFound => PasswordVersions::default(),
            Err(error) => {
                return Err(Failure::Usage(format!(
                    "cannot read {}: {error}",
                    path.display()
                )));
            }
        };
        Ok(Self { path, versions })
    }

    /// Records the versions of the passwords `done` set, and writes the
    /// file when that changed it.
    fn record(
        &mut self,
        done: &[AccessChange],
        wanted: &BTreeMap<String, u64>,
    ) -> Result<(), Failure> {
        let before = self.versions.clone();
        self.versions.record(done, wanted);
        if self.versions == before {
            return Ok(());
        }
        write_file(&self.path, &self.versions.to_json())
    }
}

/// What `plan` and `apply` start from: the client, the desired state with
/// the passwords the plan's changes send, the plan as it would be saved,
/// what it does to access, and the located problems of the passwords it
/// needs but could not have.
struct Prepared {
    client: Client,
    desired: DesiredAccess,
    saved: SavedPlan,
    access: AccessDiff,
    missing: Vec<String>,
    state: StateFile,
    /// The files, as the error line names them.
    label: String,
}

/// Reads and checks the files, connects, reads the server (the part the
/// files own), plans (password versions and targets included), then looks
/// up the passwords of the users the plan creates or sets (and no other).
/// Every problem of the files (their reading, unknown users) is reported in
/// one run, sorted by position; a password needed and missing is kept for
/// the caller.
fn prepare(
    connect: impl FnOnce() -> Result<Client, Failure>,
    args: &CommonArgs,
) -> Result<Prepared, Failure> {
    let mut inputs = Inputs::read(&args.files)?;
    let label = match inputs.files.as_slice() {
        [one] => one.shown.clone(),
        _ => "the access files".to_owned(),
    };
    let state = StateFile::open(
        args.state.as_deref(),
        args.files.first().map(PathBuf::as_path),
    )?;
    // A broken file is reported first, whatever else fails after it.
    let fail_with = |inputs: &Inputs, failure: Failure| match inputs.error() {
        Some(error) => Failure::File(error),
        None => failure,
    };
    let mut client = connect().map_err(|failure| fail_with(&inputs, failure))?;
    let server = client
        .read_server()
        .map_err(|error| fail_with(&inputs, error.into()))?;
    let ownership = inputs.ownership();
    let (owned, outside) = ownership.restrict(&server);
    let mine: Vec<String> = inputs.users().into_iter().map(str::to_owned).collect();
    let mine = mine.iter().map(String::as_str).collect();
    for input in &mut inputs.files {
        let problems = input
            .file
            .user_problems_among(&mine, &owned.users, args.prune);
        input.problems.extend(problems);
    }
    let options = PlanOptions {
        prune: args.prune,
        set_passwords: args.set_passwords,
    };
    let wanted = inputs.versions();
    let check = VersionCheck::new(&wanted, &state.versions, &owned);
    if inputs.error().is_some() {
        // The passwords a plan would send are checked too, so that every
        // problem is reported in one run.
        let needed = |name: &str| {
            cloudmqtt_api::sends_password(name, &owned, options) || check.is_bumped(name)
        };
        // Their problems join the files'.
        let (_, _) = inputs.resolve(needed, lookup);
    }
    if let Some(error) = inputs.error() {
        return Err(Failure::File(error));
    }
    let (planned_from, _) = inputs.resolve(|_| false, |_, _| Err(String::new()));
    let mut plan = cloudmqtt_api::plan(&planned_from, &owned, options)?;
    plan.set_passwords_of(&check.bumped);
    let plan = plan.targeted(&args.targets);
    let sent: Vec<String> = plan.password_users().map(str::to_owned).collect();
    let (desired, missing) = inputs.resolve(|name| sent.iter().any(|user| user == name), lookup);
    let access = diff(&owned.rules, &plan.rules_after(&owned.rules));
    let saved = SavedPlan {
        files: inputs.saved_files(),
        options,
        targets: args.targets.clone(),
        ownership,
        outside,
        passwords: sent
            .iter()
            .filter_map(|user| {
                let source = match inputs.source(user)? {
                    PasswordSource::Env(name) => PasswordRef::Env(name),
                    PasswordSource::File(path) => PasswordRef::File(path),
                };
                Some((user.clone(), source))
            })
            .collect(),
        versions: wanted
            .iter()
            .filter(|(user, _)| sent.contains(user))
            .map(|(user, version)| (user.clone(), *version))
            .collect(),
        missing_passwords: plan
            .missing_passwords(&desired)
            .into_iter()
            .map(str::to_owned)
            .collect(),
        notes: check.notes(),
        access: Some(crate::diff::diff_json(&access)),
        server: owned,
        plan,
    };
    Ok(Prepared {
        client,
        desired,
        saved,
        access,
        missing,
        state,
        label,
    })
}

/// A password from its source (an environment variable, or a file
/// relative to `base`, the access file's directory), read by the core's
/// one rule ([`desired::password_from`]: a file's first line, no control
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

/// The change lines, what they do to access when given, the plan's notes,
/// what is outside the files' scope, and the summary.
fn write_plan(
    out: &mut (impl Write + ?Sized),
    saved: &SavedPlan,
    access: Option<&AccessDiff>,
) -> io::Result<()> {
    let plan = &saved.plan;
    for change in &plan.changes {
        writeln!(out, "{}", crate::output::cell(&change.to_string()))?;
    }
    if let Some(access) = access {
        write_access(out, plan, access)?;
    }
    write_notes(out, saved)?;
    writeln!(out, "{}", plan.summary())
}

/// The plan's notes (password versions it cannot know) and the users and
/// rules outside the files' scope.
fn write_notes(out: &mut (impl Write + ?Sized), saved: &SavedPlan) -> io::Result<()> {
    for note in &saved.notes {
        writeln!(out, "Note: {}", crate::output::cell(note))?;
    }
    if let Some(line) = saved.outside.line() {
        writeln!(out, "{line}")?;
    }
    Ok(())
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
