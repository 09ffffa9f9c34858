//! Mosquitto's own `acl_file`, read as the broker reads it, so that the
//! checker, the linter and the tests of rules work on any Mosquitto
//! broker's file, not only on CloudMQTT's rules.
//!
//! The format (Mosquitto 2.0, `aclfile__parse` in
//! `src/security_default.c`), one line at a time, trailing white space
//! removed:
//! - a line starting with `#` is a comment; a line of spaces is nothing;
//! - `user NAME`: the topic rules that follow are NAME's (the rest of the
//!   line, blanks around it trimmed, is the name);
//! - `topic [read|write|readwrite|deny] FILTER`: a topic rule; without an
//!   access word the rest of the line is the filter, with `readwrite`.
//!   Topic rules before the first `user` line are those of clients that
//!   connect without a user name (anonymous clients);
//! - `pattern [read|write|readwrite|deny] FILTER`: a pattern rule, for
//!   every client, `%u` and `%c` substituted;
//! - anything else is an error, as is an unknown access word or a filter
//!   that is not a valid subscription filter (`mosquitto_sub_topic_check`,
//!   here [`validate::topic_filter`]).
//!
//! Words are separated by spaces only, as the broker's `strtok` does. The
//! broker stops at the first error; [`read`] reports every one, each with
//! its line and column.

use cloudmqtt_api::{AclKind, AclRule, Error, User, validate};

/// One rule of an `acl_file` and where it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileRule {
    /// The rule: `read` and `write` both `false` for `deny`, `username`
    /// the `user` line's name for a topic rule (`None` before the first
    /// `user` line: an anonymous client's rule) and `None` for a pattern
    /// rule.
    pub rule: AclRule,
    /// The line, from 1.
    pub line: usize,
}

impl FileRule {
    /// Whether it is a topic rule of clients without a user name (written
    /// before the first `user` line).
    #[must_use]
    pub fn is_anonymous(&self) -> bool {
        self.rule.kind == AclKind::Topic && self.rule.username.is_none()
    }
}

/// What an `acl_file` holds.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AclFile {
    /// The rules, in file order.
    pub rules: Vec<FileRule>,
    /// The users named by `user` lines, in the order first named.
    pub users: Vec<User>,
}

impl AclFile {
    /// The rules alone, in file order (the anonymous clients' rules
    /// included: they never apply to a client with a user name).
    #[must_use]
    pub fn acl_rules(&self) -> Vec<AclRule> {
        self.rules.iter().map(|rule| rule.rule.clone()).collect()
    }
}

/// One problem of an `acl_file`, and where it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileProblem {
    /// The line, from 1.
    pub line: usize,
    /// The column, from 1 (in characters).
    pub column: usize,
    /// What is wrong.
    pub message: String,
}

/// Whether Mosquitto reads `text` (a user name or a topic filter) back
/// from its `acl_file` unchanged, and writing it adds no line of its own:
/// not empty, no control character (a line break above all), and no ASCII
/// blanks at either end (the broker trims them).
#[must_use]
pub fn representable(text: &str) -> bool {
    !text.is_empty()
        && !text.chars().any(char::is_control)
        && text.trim_matches(|c: char| c.is_ascii_whitespace()) == text
}

/// The access word of a rule: `readwrite`, `read`, `write` or `deny`.
#[must_use]
pub fn access_word(rule: &AclRule) -> &'static str {
    match (rule.read, rule.write) {
        (true, true) => "readwrite",
        (true, false) => "read",
        (false, true) => "write",
        (false, false) => "deny",
    }
}

/// Writes `rules` as an `acl_file` that Mosquitto 2.0 loads and enforces
/// as [`evaluate`](crate::evaluate) answers over `rules`: every pattern
/// rule as a `pattern` line, in order, then each user's topic rules, in
/// order, under a `user` line (users sorted by name). Rules whose user
/// name or filter is not [`representable`] (and topic rules without a
/// user) are left out and returned beside the text.
#[must_use]
pub fn write(rules: &[AclRule]) -> (String, Vec<&AclRule>) {
    use std::collections::BTreeMap;
    use std::fmt::Write as _;

    let mut out = String::new();
    let mut left_out = Vec::new();
    let mut by_user: BTreeMap<&str, Vec<&AclRule>> = BTreeMap::new();
    for rule in rules {
        match (rule.kind, rule.username.as_deref()) {
            _ if !representable(&rule.pattern) => left_out.push(rule),
            (AclKind::Pattern, _) => {
                let _ = writeln!(out, "pattern {} {}", access_word(rule), rule.pattern);
            }
            (AclKind::Topic, Some(name)) if representable(name) => {
                by_user.entry(name).or_default().push(rule);
            }
            (AclKind::Topic, _) => left_out.push(rule),
        }
    }
    for (name, rules) in by_user {
        let _ = writeln!(out, "\nuser {name}");
        for rule in rules {
            let _ = writeln!(out, "topic {} {}", access_word(rule), rule.pattern);
        }
    }
    (out, left_out)
}

/// Whether `text` looks like an `acl_file` rather than another rule file
/// (a JSON list, a TOML or JSON access file): its first line that is not
/// blank or a comment starts with the word `user`, `topic` or `pattern`
/// followed by a space, and holds no `=`.
#[must_use]
pub fn looks_like(text: &str) -> bool {
    text.lines()
        .map(str::trim_end)
        .find(|line| !line.trim_start().is_empty() && !line.starts_with('#'))
        .is_some_and(|line| {
            let line = line.trim_start_matches(' ');
            ["user ", "topic ", "pattern "]
                .iter()
                .any(|word| line.starts_with(word))
                && !line.contains('=')
        })
}

/// Reads an `acl_file`: what it holds, and every problem found (an empty
/// list when the broker would load it).
#[must_use]
pub fn read(text: &str) -> (AclFile, Vec<FileProblem>) {
    let mut file = AclFile::default();
    let mut problems = Vec::new();
    let mut user: Option<String> = None;
    for (index, raw) in text.lines().enumerate() {
        let line = index + 1;
        let mut fail = |at: &str, message: String| {
            problems.push(FileProblem {
                line,
                column: column_of(raw, at),
                message,
            });
        };
        let content = raw.trim_end();
        if content.starts_with('#') {
            continue;
        }
        let mut words = Words::new(content);
        let Some(word) = words.next() else {
            continue;
        };
        match word {
            "topic" | "pattern" => {
                let kind = if word == "topic" {
                    AclKind::Topic
                } else {
                    AclKind::Pattern
                };
                match read_rule(kind, &mut words, user.as_deref()) {
                    Ok(rule) => file.rules.push(FileRule { rule, line }),
                    Err((at, message)) => fail(at, message),
                }
            }
            "user" => match trim_blanks(words.rest()) {
                "" => fail(word, "a user line needs a user name".to_owned()),
                name => {
                    if !file.users.iter().any(|known| known.username == name) {
                        file.users.push(User {
                            username: name.to_owned(),
                        });
                    }
                    user = Some(name.to_owned());
                }
            },
            other => fail(
                other,
                format!("unknown line: expected user, topic or pattern, not {other:?}"),
            ),
        }
    }
    (file, problems)
}

/// The rule of a `topic` or `pattern` line, from its words after the
/// first; or where the problem is and what it is.
fn read_rule<'a>(
    kind: AclKind,
    words: &mut Words<'a>,
    user: Option<&str>,
) -> Result<AclRule, (&'a str, String)> {
    let Some(first) = words.next() else {
        return Err((words.rest(), "the rule has no topic filter".to_owned()));
    };
    let rest = trim_blanks(words.rest());
    let (access, filter) = if rest.is_empty() {
        ("readwrite", first)
    } else {
        (first, rest)
    };
    let (read, write) = match access {
        "read" => (true, false),
        "write" => (false, true),
        "readwrite" => (true, true),
        "deny" => (false, false),
        other => {
            return Err((
                other,
                format!("unknown access {other:?}: expected read, write, readwrite or deny"),
            ));
        }
    };
    validate::topic_filter("pattern", filter).map_err(|error| (filter, reason(&error)))?;
    Ok(AclRule {
        kind,
        pattern: filter.to_owned(),
        read,
        write,
        username: match kind {
            AclKind::Topic => user.map(str::to_owned),
            AclKind::Pattern => None,
        },
    })
}

/// An error's reason, without the field it names.
fn reason(error: &Error) -> String {
    match error {
        Error::InvalidInput { reason, .. } => format!("invalid topic filter: {reason}"),
        other => other.to_string(),
    }
}

/// Blanks (spaces and tabs) trimmed from both ends, as the broker's
/// `misc__trimblanks` does.
fn trim_blanks(text: &str) -> &str {
    text.trim_matches(|c| c == ' ' || c == '\t')
}

/// The column (from 1, in characters) where `part`, a slice of `line`,
/// starts.
fn column_of(line: &str, part: &str) -> usize {
    let offset = (part.as_ptr() as usize)
        .checked_sub(line.as_ptr() as usize)
        .filter(|offset| *offset <= line.len())
        .unwrap_or(0);
    line[..offset].chars().count() + 1
}

/// Words separated by spaces, as `strtok(…, " ")` finds them; the rest of
/// the line after the last word taken.
struct Words<'a> {
    rest: &'a str,
}

impl<'a> Words<'a> {
    fn new(text: &'a str) -> Self {
        Self { rest: text }
    }

    /// What follows the last word taken and the one space after it.
    fn rest(&self) -> &'a str {
        self.rest
    }
}

impl<'a> Iterator for Words<'a> {
    type Item = &'a str;

    fn next(&mut self) -> Option<&'a str> {
        let start = self.rest.trim_start_matches(' ');
        if start.is_empty() {
            self.rest = start;
            return None;
        }
        let end = start.find(' ').unwrap_or(start.len());
        let (word, after) = start.split_at(end);
        // `strtok` ends the word at the space and goes on after it.
        self.rest = after.strip_prefix(' ').unwrap_or(after);
        Some(word)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::test_rule as rule;

    #[test]
    fn reads_users_topics_patterns_and_access_words() {
        let text = "# anonymous clients\ntopic read $SYS/#\n\nuser sensor-1\ntopic write sensors/1/#\ntopic sensors/1/cmd\n  topic deny sensors/1/secret\nuser   dash board  \ntopic readwrite with space/in it  \npattern read home/%u/#\n";
        let (file, problems) = read(text);
        assert_eq!(problems, vec![]);
        let rules: Vec<(AclRule, usize)> = file
            .rules
            .iter()
            .map(|rule| (rule.rule.clone(), rule.line))
            .collect();
        assert_eq!(
            rules,
            vec![
                (rule(AclKind::Topic, None, "$SYS/#", true, false), 2),
                (
                    rule(AclKind::Topic, Some("sensor-1"), "sensors/1/#", false, true),
                    5
                ),
                (
                    rule(
                        AclKind::Topic,
                        Some("sensor-1"),
                        "sensors/1/cmd",
                        true,
                        true
                    ),
                    6
                ),
                (
                    rule(
                        AclKind::Topic,
                        Some("sensor-1"),
                        "sensors/1/secret",
                        false,
                        false
                    ),
                    7
                ),
                (
                    rule(
                        AclKind::Topic,
                        Some("dash board"),
                        "with space/in it",
                        true,
                        true
                    ),
                    9
                ),
                (rule(AclKind::Pattern, None, "home/%u/#", true, false), 10),
            ]
        );
        assert!(file.rules[0].is_anonymous() && !file.rules[1].is_anonymous());
        let users: Vec<&str> = file.users.iter().map(|u| u.username.as_str()).collect();
        assert_eq!(users, ["sensor-1", "dash board"]);
    }

    #[test]
    fn every_problem_is_found_with_its_place() {
        let text = "user\ntopic readonly a/b\ntopic\nsubscribe a\ntopic read a/#/b\n\tpattern read x\ntopic read ok\n";
        let (file, problems) = read(text);
        let found: Vec<(usize, usize, &str)> = problems
            .iter()
            .map(|p| (p.line, p.column, p.message.as_str()))
            .collect();
        assert_eq!(found.len(), 6, "{found:?}");
        assert_eq!(found[0], (1, 1, "a user line needs a user name"));
        assert_eq!(
            found[1],
            (
                2,
                7,
                "unknown access \"readonly\": expected read, write, readwrite or deny"
            )
        );
        assert_eq!(found[2], (3, 6, "the rule has no topic filter"));
        assert_eq!(
            found[3],
            (
                4,
                1,
                "unknown line: expected user, topic or pattern, not \"subscribe\""
            )
        );
        assert_eq!((found[4].0, found[4].1), (5, 12));
        assert!(
            found[4].2.starts_with("invalid topic filter: "),
            "{found:?}"
        );
        // A tab is no word separator for the broker.
        assert_eq!((found[5].0, found[5].1), (6, 1));
        assert_eq!(file.rules.len(), 1);
    }

    #[test]
    fn what_is_written_reads_back_and_answers_alike() {
        let rules = vec![
            rule(AclKind::Topic, Some("sensor-1"), "sensors/1/#", false, true),
            rule(AclKind::Pattern, None, "home/%u/#", true, true),
            rule(
                AclKind::Topic,
                Some("dash board"),
                "with space/x",
                true,
                false,
            ),
            rule(
                AclKind::Topic,
                Some("sensor-1"),
                "sensors/1/secret",
                false,
                false,
            ),
            rule(AclKind::Pattern, None, " padded", true, true),
            rule(AclKind::Topic, Some("line\nbreak"), "x", true, true),
        ];
        let (text, left_out) = write(&rules);
        assert_eq!(left_out, vec![&rules[4], &rules[5]]);
        assert_eq!(
            text,
            "pattern readwrite home/%u/#\n\nuser dash board\ntopic read with space/x\n\nuser sensor-1\ntopic write sensors/1/#\ntopic deny sensors/1/secret\n"
        );
        let (file, problems) = read(&text);
        assert_eq!(problems, vec![]);
        let mut back = file.acl_rules();
        let mut kept: Vec<AclRule> = rules[..4].to_vec();
        let key = |rule: &AclRule| (rule.kind, rule.username.clone(), rule.pattern.clone());
        let answers = |rules: &[AclRule]| {
            let mut allowed = Vec::new();
            for user in ["sensor-1", "dash board", "bob"] {
                for topic in [
                    "sensors/1/t",
                    "sensors/1/secret",
                    "home/bob/x",
                    "with space/x",
                ] {
                    for access in [crate::Access::Read, crate::Access::Write] {
                        let query = crate::AccessQuery::new(user, None, topic, access);
                        allowed.push(crate::evaluate(rules, &query).unwrap().allowed);
                    }
                }
            }
            allowed
        };
        assert_eq!(answers(&back), answers(&kept));
        back.sort_by_key(key);
        kept.sort_by_key(key);
        assert_eq!(back, kept);
    }

    #[test]
    fn files_are_told_from_other_rule_files() {
        assert!(looks_like("# acl\n\nuser a\ntopic read x\n"));
        assert!(looks_like("topic x\n"));
        assert!(looks_like("  pattern read %u/#\n"));
        assert!(!looks_like("[users.a]\npassword_env = \"X\"\n"));
        assert!(!looks_like("topic = \"x\"\n"));
        assert!(!looks_like("[{\"type\":\"topic\"}]"));
        assert!(!looks_like("# only a comment\n"));
    }
}
