//! `cloudmqtt acl check` and `cloudmqtt acl lint`: the access checker
//! (`cloudmqtt-access`) over the server's rules, or over a file to check a
//! change before applying it.

use std::io::Write;
use std::path::Path;

use cloudmqtt_access::explain::{Explanation, explain};
use cloudmqtt_access::log::denials;
use cloudmqtt_access::suite;
use cloudmqtt_access::{Access, AccessQuery, Reason, Severity, describe_rule, evaluate, lint};
use cloudmqtt_api::desired::{self, FileError, Problem};
use cloudmqtt_api::{AclRule, ListAclRules, NewAclRule, User};

use crate::args::{CheckArgs, LintArgs, WhyArgs};
use crate::failure::Failure;
use crate::output;

/// The server's side of the two commands: its rules, and its users.
pub trait Server {
    /// Every ACL rule.
    ///
    /// # Errors
    /// The call's failure.
    fn rules(&mut self) -> Result<Vec<AclRule>, Failure>;
    /// Every user, through every page.
    ///
    /// # Errors
    /// The call's failure.
    fn users(&mut self) -> Result<Vec<User>, Failure>;
}

impl Server for crate::client::Client {
    fn rules(&mut self) -> Result<Vec<AclRule>, Failure> {
        Ok(self.call(ListAclRules)?)
    }

    fn users(&mut self) -> Result<Vec<User>, Failure> {
        Ok(self.all_users()?)
    }
}

/// `acl check`: prints the decision and fails with [`Failure::Verdict`]
/// when access is denied. `connect` is only called without `-f`.
///
/// # Errors
/// Invalid input, the server's failure, an unreadable file, or a denial.
pub fn check<S: Server>(
    args: CheckArgs,
    json: bool,
    connect: impl FnOnce() -> Result<S, Failure>,
    out: &mut impl Write,
) -> Result<(), Failure> {
    let (query, rules) = query_and_rules(args, connect)?;
    let decision = evaluate(&rules, &query)?;
    if json {
        output::write_json(out, &decision)?;
    } else {
        let verdict = if decision.allowed { "allow" } else { "deny" };
        let why = match (&decision.rule, decision.reason) {
            (Some(rule), _) => describe_rule(rule),
            (None, reason) => reason_text(reason).to_owned(),
        };
        writeln!(out, "{verdict}: {}", output::cell(&why))?;
    }
    if decision.allowed {
        Ok(())
    } else {
        Err(Failure::Verdict)
    }
}

fn reason_text(reason: Reason) -> &'static str {
    reason.describe()
}

/// The query of `acl check` or `acl why`, checked, and the rules: the
/// file's, or the server's (`connect` is only called without `-f`).
fn query_and_rules<S: Server>(
    args: CheckArgs,
    connect: impl FnOnce() -> Result<S, Failure>,
) -> Result<(AccessQuery, Vec<AclRule>), Failure> {
    let access = if args.write {
        Access::Write
    } else {
        Access::Read
    };
    let query = AccessQuery::new(args.user, args.client_id, args.topic, access);
    query.validate()?;
    let rules = match &args.file {
        Some(path) => load_file(path)?.rules,
        None => connect()?.rules()?,
    };
    Ok((query, rules))
}

/// `acl why`: the decision as `acl check` prints it, then the nearest
/// rules that did not decide, each with why; fails with
/// [`Failure::Verdict`] when access is denied. With `--log`, each denied
/// publish of a Mosquitto log, explained the same way (exit 0).
///
/// # Errors
/// Invalid input, the server's failure, an unreadable file, or a denial.
pub fn why<S: Server>(
    args: WhyArgs,
    json: bool,
    connect: impl FnOnce() -> Result<S, Failure>,
    out: &mut impl Write,
) -> Result<(), Failure> {
    if let Some(log) = &args.log {
        return why_log(log, args.file.as_deref(), json, connect, out);
    }
    let check = CheckArgs {
        user: args.user.unwrap_or_default(),
        client_id: args.client_id,
        topic: args.topic.unwrap_or_default(),
        read: args.read,
        write: args.write,
        file: args.file,
    };
    let (query, rules) = query_and_rules(check, connect)?;
    let why = explain(&rules, &query)?;
    if json {
        output::write_json(out, &why_json(&rules, &why))?;
    } else {
        write_why(out, &rules, &why, "")?;
    }
    if why.allowed {
        Ok(())
    } else {
        Err(Failure::Verdict)
    }
}

/// An explanation as JSON: `{ allowed, rule, decided_by, misses: [{ rule,
/// why }] }`.
fn why_json(rules: &[AclRule], why: &Explanation) -> serde_json::Value {
    let misses: Vec<serde_json::Value> = why
        .misses
        .iter()
        .map(|miss| serde_json::json!({"rule": rules[miss.index], "why": miss.reason.to_string()}))
        .collect();
    let rule = why.decided.index.map(|index| &rules[index]);
    let decided = suite::decided_text(rules, why.decided);
    serde_json::json!({"allowed": why.allowed, "rule": rule, "decided_by": decided, "misses": misses})
}

/// An explanation as lines, each starting with `indent`.
fn write_why(
    out: &mut impl Write,
    rules: &[AclRule],
    why: &Explanation,
    indent: &str,
) -> std::io::Result<()> {
    let verdict = if why.allowed { "allow" } else { "deny" };
    let decided = suite::decided_text(rules, why.decided);
    writeln!(out, "{indent}{verdict}: {}", output::cell(&decided))?;
    if !why.misses.is_empty() {
        writeln!(out, "{indent}nearest rules that did not decide:")?;
    }
    for miss in &why.misses {
        let line = format!(
            "{indent}  {}: {}",
            describe_rule(&rules[miss.index]),
            miss.reason
        );
        writeln!(out, "{}", output::cell(&line))?;
    }
    Ok(())
}

/// `acl why --log`: each denied publish of the log, with its user, and
/// why the rules deny it.
fn why_log<S: Server>(
    log: &Path,
    file: Option<&Path>,
    json: bool,
    connect: impl FnOnce() -> Result<S, Failure>,
    out: &mut impl Write,
) -> Result<(), Failure> {
    let shown = log.display().to_string();
    let text = if shown == "-" {
        std::io::read_to_string(std::io::stdin())
    } else {
        std::fs::read_to_string(log)
    }
    .map_err(|error| Failure::Usage(format!("{shown}: cannot read: {error}")))?;
    let rules = match file {
        Some(path) => load_file(path)?.rules,
        None => connect()?.rules()?,
    };
    let found = denials(&text);
    let mut reports = Vec::new();
    for denial in &found {
        let explained = match &denial.username {
            Some(user) => {
                let query = AccessQuery::new(
                    user.clone(),
                    Some(denial.client_id.clone()),
                    denial.topic.clone(),
                    Access::Write,
                );
                // A log line may name what the checker refuses (a client id
                // it cannot take): say so rather than fail the whole log.
                Some(explain(&rules, &query).map_err(|error| error.to_string()))
            }
            None => None,
        };
        if json {
            reports.push(serde_json::json!({
                "line": denial.line,
                "client_id": denial.client_id,
                "user": denial.username,
                "topic": denial.topic,
                "access": "write",
                "explanation": match &explained {
                    Some(Ok(why)) => why_json(&rules, why),
                    Some(Err(error)) => serde_json::json!({"error": error}),
                    None => serde_json::Value::Null,
                },
            }));
            continue;
        }
        let user = denial.username.as_deref().map_or_else(
            || "no user name in the log".to_owned(),
            |user| format!("user {user:?}"),
        );
        let head = format!(
            "{shown}:{}: client {:?} ({user}) was denied publishing to {:?}",
            denial.line, denial.client_id, denial.topic
        );
        writeln!(out, "{}", output::cell(&head))?;
        match explained {
            Some(Ok(why)) => write_why(out, &rules, &why, "  ")?,
            Some(Err(error)) => writeln!(out, "  cannot be checked: {}", output::cell(&error))?,
            None => writeln!(
                out,
                "  cannot be checked: the client connected before the log starts, or without a user name"
            )?,
        }
    }
    if json {
        output::write_json(out, &reports)?;
    } else if found.is_empty() {
        writeln!(out, "no denied publish in {}", output::cell(&shown))?;
    }
    Ok(())
}

/// `acl lint`: prints the findings and fails with [`Failure::Verdict`] when
/// one is a warning or worse. `connect` is only called without `-f`.
///
/// # Errors
/// The server's failure, an unreadable file, or a finding.
pub fn lint_rules<S: Server>(
    args: LintArgs,
    json: bool,
    connect: impl FnOnce() -> Result<S, Failure>,
    out: &mut impl Write,
) -> Result<(), Failure> {
    let (users, rules) = match &args.file {
        Some(path) => {
            let file = load_file(path)?;
            (file.users, file.rules)
        }
        None => {
            let mut server = connect()?;
            let rules = server.rules()?;
            (Some(server.users()?), rules)
        }
    };
    let findings = lint(users.as_deref(), &rules);
    if json {
        output::write_json(out, &findings)?;
    } else if findings.is_empty() {
        writeln!(out, "no findings in {} rules", rules.len())?;
    } else {
        for finding in &findings {
            writeln!(
                out,
                "{} {}: {}",
                finding.severity.as_str(),
                finding.code.as_str(),
                output::cell(&finding.message)
            )?;
        }
    }
    if findings
        .iter()
        .any(|finding| finding.severity >= Severity::Warning)
    {
        Err(Failure::Verdict)
    } else {
        Ok(())
    }
}

/// What a file gives the checker: its rules, and its users when it names
/// them.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct AccessFile {
    /// The users the file declares; `None` for a bare list of rules.
    pub users: Option<Vec<User>>,
    /// The rules, in file order.
    pub rules: Vec<AclRule>,
}

/// Reads the users and rules of a file: a JSON array of rules (`GET /acl`
/// items, as `acl list --json` prints them), or an access file (the file
/// `plan` and `apply` read: JSON when the name ends in `.json`, TOML
/// otherwise), read by the core's access-file reader so that every problem
/// is reported as `FILE:LINE:COLUMN: reason`. Every rule is checked with
/// the core's validators.
///
/// # Errors
/// [`Failure::Usage`] naming the file, and where in it the problem is.
pub fn load_file(path: &Path) -> Result<AccessFile, Failure> {
    let shown = path.display().to_string();
    let text = std::fs::read_to_string(path)
        .map_err(|error| Failure::Usage(format!("{shown}: cannot read: {error}")))?;
    if cloudmqtt_access::acl_file::looks_like(&text) {
        return load_acl_file(&shown, &text);
    }
    let is_json = path
        .extension()
        .is_some_and(|extension| extension.eq_ignore_ascii_case("json"));
    if is_json && text.trim_start().starts_with('[') {
        // Read as the access file's rules are: every problem located, with
        // the validators creating the rules runs.
        let rules = desired::parse_rule_list(&shown, &text).map_err(Failure::File)?;
        let rules = rules.iter().map(NewAclRule::listed).collect();
        return Ok(AccessFile { users: None, rules });
    }
    let file = desired::parse(&shown, &text).map_err(Failure::File)?;
    let users = file
        .users
        .iter()
        .map(|user| User {
            username: user.username.clone(),
        })
        .collect();
    let rules = file
        .rules
        .iter()
        .map(|rule| {
            let (read, write) = rule.rule.access();
            AclRule {
                kind: rule.rule.kind(),
                pattern: rule.rule.pattern().to_owned(),
                read,
                write,
                username: rule.rule.username().map(str::to_owned),
            }
        })
        .collect();
    Ok(AccessFile {
        users: Some(users),
        rules,
    })
}

/// Reads a Mosquitto `acl_file` (its users named by `user` lines), every
/// problem reported as `FILE:LINE:COLUMN: reason` by the same lines as an
/// access file's.
fn load_acl_file(shown: &str, text: &str) -> Result<AccessFile, Failure> {
    let (file, problems) = cloudmqtt_access::acl_file::read(text);
    if !problems.is_empty() {
        let problems = problems
            .into_iter()
            .map(|problem| {
                let at = desired::Position {
                    line: problem.line,
                    column: problem.column,
                };
                Problem::new(at, problem.message)
            })
            .collect();
        return Err(Failure::File(FileError::new(shown, problems)));
    }
    Ok(AccessFile {
        rules: file.acl_rules(),
        users: Some(file.users),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use cloudmqtt_api::AclKind;
    use std::path::PathBuf;

    fn file(name: &str, text: &str) -> (tempfile::TempDir, PathBuf) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(name);
        std::fs::write(&path, text).unwrap();
        (dir, path)
    }

    #[test]
    fn files_in_every_shape() {
        let (_dir, path) = file(
            "rules.json",
            r#"[{"type":"topic","pattern":"a/#","read":true,"write":false,"username":"u"}]"#,
        );
        let loaded = load_file(&path).unwrap();
        assert_eq!(loaded.users, None);
        assert_eq!(loaded.rules[0].username.as_deref(), Some("u"));
        let (_dir, path) = file(
            "access.toml",
            "[users.sensor-1]\npassword_env = \"X\"\n\n[[rules]]\ntype = \"pattern\"\npattern = \"home/%u/#\"\nread = true\nwrite = true\n",
        );
        let loaded = load_file(&path).unwrap();
        assert_eq!(
            loaded.users,
            Some(vec![User {
                username: "sensor-1".into()
            }])
        );
        assert_eq!(loaded.rules[0].kind, AclKind::Pattern);
        let (_dir, path) = file(
            "access.json",
            r#"{"users":{"a":{"password_env":"A_PW"}},"rules":[{"type":"topic","username":"a","pattern":"x","read":true,"write":false}]}"#,
        );
        let loaded = load_file(&path).unwrap();
        assert_eq!(loaded.rules.len(), 1);
        assert!(!loaded.rules[0].write);
    }

    #[test]
    fn bad_files_name_the_file_and_the_rule() {
        for (name, text, expected) in [
            ("r.json", "{", "r.json:1:"),
            ("r.toml", "rules = 3", "r.toml:1:"),
            (
                "r.json",
                r#"[{"type":"pattern","pattern":" a","read":true}]"#,
                "r.json:1:30: rule 1: pattern must not start or end with a blank",
            ),
            (
                "r.json",
                r#"[{"type":"topic","pattern":"a","read":true}]"#,
                "r.json:1:10: rule 1 is a topic rule and needs a username",
            ),
            (
                "r.json",
                "[\n  {\"type\":\"topic\",\"username\":\"u\",\"pattern\":\"a\",\"read\":\"yes\"}\n]",
                "r.json:2:55: read in rule 1 must be true or false, found a string",
            ),
            ("r.json", "7", "r.json:1:1: "),
        ] {
            let (_dir, path) = file(name, text);
            let message = match load_file(&path).unwrap_err() {
                Failure::File(error) => error.lines.join("\n"),
                other => panic!("not a file's problems: {other}"),
            };
            assert!(
                message.contains(expected),
                "{message:?} should contain {expected:?}"
            );
        }
    }
}
