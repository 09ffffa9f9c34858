//! The access file (`access.toml`, or `access.json`): users and ACL rules
//! as they are meant to be, read with every problem located as
//! `FILE:LINE:COLUMN: `.
//!
//! ```toml
//! [users.sensor-1]
//! password_env = "SENSOR_1_PASSWORD"      # or password_file = "secrets/sensor-1"
//!
//! [[rules]]
//! type = "topic"
//! username = "sensor-1"
//! pattern = "sensors/1/#"
//! read = false
//! write = true
//! ```
//!
//! The JSON form has the same shape:
//! `{"users": {"sensor-1": {"password_env": "..."}}, "rules": [{...}]}`.
//!
//! Reading is pure: [`parse`] checks the text with the core's validators;
//! [`AccessFile::resolve`] turns password sources into passwords through a
//! lookup the caller supplies (environment variables and files are its
//! business), so this module does no IO. Only with the `access-file`
//! feature.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use crate::config::Secret;
use crate::error::Error;
use crate::model::AclKind;
use crate::ops::NewAclRule;
use crate::plan::{DesiredAccess, IdentityText};
use crate::validate;

/// A line and column in the file, both from 1 (columns count characters).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord)]
pub struct Position {
    /// The line, from 1.
    pub line: usize,
    /// The column, from 1.
    pub column: usize,
}

/// Where a user's password comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PasswordSource {
    /// An environment variable's value (`password_env`).
    Env(String),
    /// A file's content, less a final line break (`password_file`; a
    /// relative path is relative to the access file's directory).
    File(String),
}

impl fmt::Display for PasswordSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Env(name) => write!(f, "environment variable {name}"),
            Self::File(path) => write!(f, "password file {path:?}"),
        }
    }
}

/// A user of the file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileUser {
    /// The user's name.
    pub username: String,
    /// Where its password comes from.
    pub password: PasswordSource,
    /// Where the user is named.
    pub at: Position,
}

/// A rule of the file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileRule {
    /// The rule.
    pub rule: NewAclRule,
    /// Where the rule starts.
    pub at: Position,
}

/// An access file, read and checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccessFile {
    /// The file's name, as it starts every error.
    pub name: String,
    /// Users, by name.
    pub users: Vec<FileUser>,
    /// Rules, in file order.
    pub rules: Vec<FileRule>,
}

/// Every problem found in an access file, one `FILE:LINE:COLUMN: reason`
/// line each, in file order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileError {
    /// The lines.
    pub lines: Vec<String>,
}

impl fmt::Display for FileError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.lines.join("\n"))
    }
}

impl std::error::Error for FileError {}

/// Reads an access file: JSON when `name` ends in `.json`, TOML otherwise.
///
/// Checks unknown keys, types, user names, rules (a pattern rule with a
/// user, a topic rule without one, invalid topic filters), two rules with
/// one identity, and password sources (exactly one of `password_env` and
/// `password_file`; an inline `password` is refused).
///
/// # Errors
/// A [`FileError`] with every problem found.
pub fn parse(name: &str, text: &str) -> Result<AccessFile, FileError> {
    let lines = Lines::new(text);
    let root = if name.ends_with(".json") {
        json_tree(text)
    } else {
        toml_tree(text)
    };
    let mut errors = Errors {
        name,
        lines: &lines,
        found: Vec::new(),
    };
    let root = match root {
        Ok(root) => root,
        Err((offset, message)) => {
            errors.at(offset, message);
            return Err(errors.finish());
        }
    };
    let file = read_root(&root, &mut errors, name);
    if errors.found.is_empty() {
        Ok(file)
    } else {
        Err(errors.finish())
    }
}

/// Just the rules of an access file, for tools that check access without
/// changing anything (password sources are not looked up).
///
/// # Errors
/// As [`parse`].
pub fn parse_rules(name: &str, text: &str) -> Result<Vec<NewAclRule>, FileError> {
    Ok(parse(name, text)?
        .rules
        .into_iter()
        .map(|rule| rule.rule)
        .collect())
}

impl AccessFile {
    /// Looks up every user's password with `lookup` (which answers the
    /// value, or why there is none) and returns the desired state.
    ///
    /// # Errors
    /// A [`FileError`] naming each user whose source is unset, unreadable
    /// or holds an invalid password (the source is named, never a value).
    pub fn resolve(
        &self,
        mut lookup: impl FnMut(&PasswordSource) -> Result<String, String>,
    ) -> Result<DesiredAccess, FileError> {
        let mut errors = Vec::new();
        let mut users = BTreeMap::new();
        for user in &self.users {
            match lookup(&user.password) {
                Ok(password) => match validate::password(&password) {
                    Ok(()) => {
                        users.insert(user.username.clone(), Secret::new(password));
                    }
                    Err(error) => errors.push(self.located(
                        user.at,
                        &format!(
                            "the password of user {:?} from {}: {}",
                            user.username,
                            user.password,
                            reason(&error)
                        ),
                    )),
                },
                Err(why) => errors.push(self.located(
                    user.at,
                    &format!("user {:?}: {} {why}", user.username, user.password),
                )),
            }
        }
        if !errors.is_empty() {
            return Err(FileError { lines: errors });
        }
        Ok(DesiredAccess {
            users,
            rules: self.rules.iter().map(|rule| rule.rule.clone()).collect(),
        })
    }

    /// Checks that every topic rule's user is in the file or (without
    /// `prune`, which would delete it) on the server.
    ///
    /// # Errors
    /// A [`FileError`] naming each rule whose user is missing.
    pub fn check_users(
        &self,
        server_users: &BTreeSet<String>,
        prune: bool,
    ) -> Result<(), FileError> {
        let mine: BTreeSet<&str> = self.users.iter().map(|u| u.username.as_str()).collect();
        let lines: Vec<String> = self
            .rules
            .iter()
            .filter_map(|rule| {
                let user = rule.rule.username()?;
                if mine.contains(user) || (!prune && server_users.contains(user)) {
                    return None;
                }
                let why = if prune {
                    "is not in the file (and --prune deletes users not in the file)"
                } else {
                    "is neither in the file nor on the server"
                };
                Some(self.located(
                    rule.at,
                    &format!("user {user:?} of {} {why}", IdentityText(&rule.rule)),
                ))
            })
            .collect();
        if lines.is_empty() {
            Ok(())
        } else {
            Err(FileError { lines })
        }
    }

    fn located(&self, at: Position, message: &str) -> String {
        format!("{}:{}:{}: {message}", self.name, at.line, at.column)
    }
}

fn reason(error: &Error) -> String {
    match error {
        Error::InvalidInput { field, reason } => format!("{field} {reason}"),
        other => other.to_string(),
    }
}

/// Byte offsets to lines and columns.
struct Lines<'a> {
    text: &'a str,
    starts: Vec<usize>,
}

impl<'a> Lines<'a> {
    fn new(text: &'a str) -> Self {
        let mut starts = vec![0];
        starts.extend(text.match_indices('\n').map(|(at, _)| at + 1));
        Self { text, starts }
    }

    fn position(&self, offset: usize) -> Position {
        let offset = offset.min(self.text.len());
        let line = self.starts.partition_point(|&start| start <= offset);
        let start = self.starts[line - 1];
        let column = self
            .text
            .get(start..offset)
            .map_or(offset - start, |before| before.chars().count())
            + 1;
        Position { line, column }
    }
}

struct Errors<'a> {
    name: &'a str,
    lines: &'a Lines<'a>,
    found: Vec<(Position, String)>,
}

impl Errors<'_> {
    fn at(&mut self, offset: usize, message: impl Into<String>) {
        self.found
            .push((self.lines.position(offset), message.into()));
    }

    fn finish(mut self) -> FileError {
        self.found.sort_by_key(|(at, _)| *at);
        FileError {
            lines: self
                .found
                .into_iter()
                .map(|(at, message)| format!("{}:{}:{}: {message}", self.name, at.line, at.column))
                .collect(),
        }
    }
}

/// A parsed value with the byte offset where it starts.
#[derive(Debug)]
struct Node {
    at: usize,
    value: Value,
}

#[derive(Debug)]
enum Value {
    Str(String),
    Bool(bool),
    /// Any other scalar, by its type's name.
    Other(&'static str),
    /// Entries in file order: key, the key's offset, value.
    Table(Vec<(String, usize, Node)>),
    Array(Vec<Node>),
}

impl Value {
    fn type_name(&self) -> &'static str {
        match self {
            Self::Str(_) => "a string",
            Self::Bool(_) => "a boolean",
            Self::Other(name) => name,
            Self::Table(_) => "a table",
            Self::Array(_) => "an array",
        }
    }
}

fn toml_tree(text: &str) -> Result<Node, (usize, String)> {
    use toml::Spanned;
    use toml::de::{DeTable, DeValue};

    fn node(value: &Spanned<DeValue<'_>>) -> Node {
        let at = value.span().start;
        let value = match value.get_ref() {
            DeValue::String(text) => Value::Str(text.to_string()),
            DeValue::Boolean(flag) => Value::Bool(*flag),
            DeValue::Integer(_) => Value::Other("an integer"),
            DeValue::Float(_) => Value::Other("a float"),
            DeValue::Datetime(_) => Value::Other("a date-time"),
            DeValue::Array(items) => Value::Array(items.iter().map(node).collect()),
            DeValue::Table(table) => table_value(table),
        };
        Node { at, value }
    }

    fn table_value(table: &DeTable<'_>) -> Value {
        let mut entries: Vec<(String, usize, Node)> = table
            .iter()
            .map(|(key, value)| (key.get_ref().to_string(), key.span().start, node(value)))
            .collect();
        entries.sort_by_key(|(_, at, _)| *at);
        Value::Table(entries)
    }

    let root = DeTable::parse(text).map_err(|error| {
        let at = error.span().map_or(0, |span| span.start);
        let message = error.message().trim().to_owned();
        (at, format!("invalid TOML: {message}"))
    })?;
    Ok(Node {
        at: 0,
        value: table_value(root.get_ref()),
    })
}

fn json_tree(text: &str) -> Result<Node, (usize, String)> {
    use jsonc_parser::ast;
    use jsonc_parser::common::Ranged as _;

    fn node(value: &ast::Value<'_>) -> Result<Node, (usize, String)> {
        let at = value.start();
        let value = match value {
            ast::Value::StringLit(text) => Value::Str(text.value.to_string()),
            ast::Value::BooleanLit(flag) => Value::Bool(flag.value),
            ast::Value::NumberLit(_) => Value::Other("a number"),
            ast::Value::NullKeyword(_) => Value::Other("null"),
            ast::Value::Array(items) => {
                Value::Array(items.elements.iter().map(node).collect::<Result<_, _>>()?)
            }
            ast::Value::Object(object) => {
                let mut seen = BTreeSet::new();
                let mut entries = Vec::new();
                for prop in &object.properties {
                    let key = prop.name.as_str().to_owned();
                    let key_at = prop.name.start();
                    if !seen.insert(key.clone()) {
                        return Err((key_at, format!("duplicate key {key:?}")));
                    }
                    entries.push((key, key_at, node(&prop.value)?));
                }
                Value::Table(entries)
            }
        };
        Ok(Node { at, value })
    }

    let options = jsonc_parser::ParseOptions {
        allow_comments: false,
        allow_loose_object_property_names: false,
        allow_trailing_commas: false,
        allow_missing_commas: false,
        allow_single_quoted_strings: false,
        allow_hexadecimal_numbers: false,
        allow_unary_plus_numbers: false,
        allow_bare_decimal_point_numbers: false,
        allow_non_finite_numbers: false,
        allow_extended_string_escapes: false,
    };
    let parsed =
        jsonc_parser::parse_to_ast(text, &Default::default(), &options).map_err(|error| {
            (
                error.range().start,
                format!("invalid JSON: {}", error.kind()),
            )
        })?;
    match parsed.value {
        Some(value) => node(&value),
        None => Ok(Node {
            at: 0,
            value: Value::Table(Vec::new()),
        }),
    }
}

/// `users.sensor-1` or `users."with space"`, as TOML writes the table.
fn user_path(name: &str) -> String {
    let bare = !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    if bare {
        format!("users.{name}")
    } else {
        format!("users.{name:?}")
    }
}

fn read_root(root: &Node, errors: &mut Errors<'_>, name: &str) -> AccessFile {
    let mut file = AccessFile {
        name: name.to_owned(),
        users: Vec::new(),
        rules: Vec::new(),
    };
    let Value::Table(entries) = &root.value else {
        errors.at(
            root.at,
            format!(
                "expected a table with \"users\" and \"rules\", found {}",
                root.value.type_name()
            ),
        );
        return file;
    };
    for (key, key_at, value) in entries {
        match key.as_str() {
            "users" => read_users(value, errors, &mut file),
            "rules" => read_rules(value, errors, &mut file),
            other => errors.at(
                *key_at,
                format!("unknown key {other:?} (expected \"users\" or \"rules\")"),
            ),
        }
    }
    let lines = errors.lines;
    let mut seen: BTreeMap<(AclKind, Option<&str>, &str), Position> = BTreeMap::new();
    for rule in &file.rules {
        let key = (rule.rule.kind(), rule.rule.username(), rule.rule.pattern());
        if let Some(first) = seen.get(&key) {
            errors.found.push((
                rule.at,
                format!(
                    "a second {} (the first is at line {})",
                    IdentityText(&rule.rule),
                    first.line
                ),
            ));
        } else {
            seen.insert(key, rule.at);
        }
    }
    let _ = lines;
    file
}

fn read_users(value: &Node, errors: &mut Errors<'_>, file: &mut AccessFile) {
    let Value::Table(users) = &value.value else {
        errors.at(
            value.at,
            format!(
                "\"users\" must be a table of users, found {}",
                value.value.type_name()
            ),
        );
        return;
    };
    for (username, name_at, user) in users {
        let path = user_path(username);
        if let Err(error) = validate::username(username) {
            errors.at(
                *name_at,
                format!("user name {username:?}: {}", reason(&error)),
            );
            continue;
        }
        let Value::Table(fields) = &user.value else {
            errors.at(
                user.at,
                format!("[{path}] must be a table, found {}", user.value.type_name()),
            );
            continue;
        };
        let mut source = None;
        let mut ok = true;
        for (key, key_at, field) in fields {
            match key.as_str() {
                "password_env" | "password_file" => {
                    let Value::Str(text) = &field.value else {
                        errors.at(
                            field.at,
                            format!(
                                "{key} in [{path}] must be a string, found {}",
                                field.value.type_name()
                            ),
                        );
                        ok = false;
                        continue;
                    };
                    if text.is_empty() {
                        errors.at(field.at, format!("{key} in [{path}] must not be empty"));
                        ok = false;
                        continue;
                    }
                    if source.is_some() {
                        errors.at(
                            *key_at,
                            format!("[{path}] has both password_env and password_file; give one"),
                        );
                        ok = false;
                        continue;
                    }
                    source = Some(if key == "password_env" {
                        PasswordSource::Env(text.clone())
                    } else {
                        PasswordSource::File(text.clone())
                    });
                }
                "password" => {
                    errors.at(
                        *key_at,
                        format!(
                            "an inline password in [{path}] is refused (it would sit in the file); use password_env or password_file"
                        ),
                    );
                    ok = false;
                }
                other => {
                    errors.at(*key_at, format!("unknown key {other:?} in [{path}]"));
                    ok = false;
                }
            }
        }
        match source {
            Some(password) if ok => file.users.push(FileUser {
                username: username.clone(),
                password,
                at: errors.lines.position(*name_at),
            }),
            None if ok => errors.at(
                *name_at,
                format!("[{path}] needs password_env or password_file"),
            ),
            _ => {}
        }
    }
}

fn read_rules(value: &Node, errors: &mut Errors<'_>, file: &mut AccessFile) {
    let Value::Array(rules) = &value.value else {
        errors.at(
            value.at,
            format!(
                "\"rules\" must be an array of rules ([[rules]]), found {}",
                value.value.type_name()
            ),
        );
        return;
    };
    for (index, rule) in rules.iter().enumerate() {
        let what = format!("rule {}", index + 1);
        let Value::Table(fields) = &rule.value else {
            errors.at(
                rule.at,
                format!("{what} must be a table, found {}", rule.value.type_name()),
            );
            continue;
        };
        let mut kind = None;
        let mut username = None;
        let mut pattern = None;
        let (mut read, mut write) = (false, false);
        let mut ok = true;
        for (key, key_at, field) in fields {
            let text = || match &field.value {
                Value::Str(text) => Ok(text.clone()),
                other => Err(format!(
                    "{key} in {what} must be a string, found {}",
                    other.type_name()
                )),
            };
            let flag = || match &field.value {
                Value::Bool(flag) => Ok(*flag),
                other => Err(format!(
                    "{key} in {what} must be true or false, found {}",
                    other.type_name()
                )),
            };
            let result = match key.as_str() {
                "type" => text().and_then(|text| {
                    let parsed = match text.as_str() {
                        "topic" => AclKind::Topic,
                        "pattern" => AclKind::Pattern,
                        _ => {
                            return Err(format!(
                                "type in {what} must be \"topic\" or \"pattern\", not {text:?}"
                            ));
                        }
                    };
                    kind = Some((parsed, field.at));
                    Ok(())
                }),
                "username" => text().map(|text| username = Some((text, field.at))),
                "pattern" => text().map(|text| pattern = Some((text, field.at))),
                "read" => flag().map(|flag| read = flag),
                "write" => flag().map(|flag| write = flag),
                other => {
                    errors.at(*key_at, format!("unknown key {other:?} in {what}"));
                    ok = false;
                    continue;
                }
            };
            if let Err(message) = result {
                errors.at(field.at, message);
                ok = false;
            }
        }
        let Some((kind, kind_at)) = kind else {
            errors.at(
                rule.at,
                format!("{what} needs type = \"topic\" or \"pattern\""),
            );
            continue;
        };
        let Some((pattern, pattern_at)) = pattern else {
            errors.at(rule.at, format!("{what} needs a pattern"));
            continue;
        };
        if !ok {
            continue;
        }
        match (kind, &username) {
            (AclKind::Pattern, Some((_, at))) => {
                errors.at(
                    *at,
                    format!("{what} is a pattern rule (for every user) and cannot have a username"),
                );
                continue;
            }
            (AclKind::Topic, None) => {
                errors.at(
                    kind_at,
                    format!("{what} is a topic rule and needs a username"),
                );
                continue;
            }
            (_, Some((name, at))) => {
                if let Err(error) = validate::username(name) {
                    errors.at(*at, format!("{what}: {}", reason(&error)));
                    continue;
                }
            }
            _ => {}
        }
        if let Err(error) = validate::topic_filter("pattern", &pattern) {
            errors.at(pattern_at, format!("{what}: {}", reason(&error)));
            continue;
        }
        match NewAclRule::from_parts(kind, username.map(|(name, _)| name), pattern, read, write) {
            Ok(new) => file.rules.push(FileRule {
                rule: new,
                at: errors.lines.position(rule.at),
            }),
            Err(error) => errors.at(rule.at, format!("{what}: {}", reason(&error))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const EXAMPLE: &str = r#"[users.sensor-1]
password_env = "SENSOR_1_PASSWORD"      # or password_file = "secrets/sensor-1"

[users."dashboard"]
password_file = "secrets/dashboard"

[[rules]]
type = "topic"
username = "sensor-1"
pattern = "sensors/1/#"
read = false
write = true

[[rules]]
type = "pattern"
pattern = "home/%u/#"
read = true
write = true
"#;

    fn errors(name: &str, text: &str) -> Vec<String> {
        parse(name, text).unwrap_err().lines
    }

    #[test]
    fn reads_the_example() {
        let file = parse("access.toml", EXAMPLE).unwrap();
        assert_eq!(file.users.len(), 2);
        let sensor = file
            .users
            .iter()
            .find(|u| u.username == "sensor-1")
            .unwrap();
        assert_eq!(
            sensor.password,
            PasswordSource::Env("SENSOR_1_PASSWORD".into())
        );
        assert_eq!(sensor.at, Position { line: 1, column: 8 });
        assert_eq!(file.rules.len(), 2);
        assert_eq!(file.rules[0].rule.username(), Some("sensor-1"));
        assert_eq!(file.rules[0].rule.access(), (false, true));
        assert_eq!(file.rules[1].rule.kind(), AclKind::Pattern);
        let desired = file
            .resolve(|source| match source {
                PasswordSource::Env(name) => Ok(format!("env-{name}")),
                PasswordSource::File(path) => Ok(format!("file-{path}")),
            })
            .unwrap();
        assert_eq!(
            desired.users["dashboard"].expose(),
            "file-secrets/dashboard"
        );
        assert_eq!(desired.rules.len(), 2);
    }

    #[test]
    fn json_is_the_same_shape() {
        let text = r#"{
  "users": {"sensor-1": {"password_env": "S1"}},
  "rules": [
    {"type": "topic", "username": "sensor-1", "pattern": "sensors/1/#", "write": true},
    {"type": "pattern", "pattern": "home/%u/#", "read": true, "write": true}
  ]
}"#;
        let file = parse("access.json", text).unwrap();
        assert_eq!(
            file.users[0].at,
            Position {
                line: 2,
                column: 13
            }
        );
        assert_eq!(file.rules.len(), 2);
        assert_eq!(file.rules[1].at, Position { line: 5, column: 5 });
        assert_eq!(
            errors("access.json", r#"{"users": {"a": {"passwd": "x"}}}"#),
            ["access.json:1:18: unknown key \"passwd\" in [users.a]"]
        );
        let broken = errors("access.json", "{\"users\": {},}");
        assert_eq!(broken.len(), 1);
        assert!(broken[0].starts_with("access.json:1:"), "{broken:?}");
        assert!(broken[0].contains("invalid JSON"), "{broken:?}");
        assert_eq!(
            errors(
                "a.json",
                r#"{"users": {"a": {"password_env": "A"}, "a": {"password_env": "B"}}}"#
            ),
            ["a.json:1:40: duplicate key \"a\""]
        );
    }

    #[test]
    fn every_problem_is_located() {
        let text = r#"[users.sensor-1]
passwd = "x"

[users.b]
password = "inline"

[users.c]

[users.d]
password_env = "D"
password_file = "d"

[[rules]]
type = "pattern"
username = "sensor-1"
pattern = "a"

[[rules]]
type = "topic"
pattern = "a"

[[rules]]
type = "topic"
username = "d"
pattern = "a/#/b"
colour = "red"

[[rules]]
type = "topic"
username = "d"
pattern = "x"
read = "yes"

[[rules]]
type = "topic"
username = "d"
pattern = "dup"

[[rules]]
type = "topic"
username = "d"
pattern = "dup"
write = true

[other]
"#;
        assert_eq!(
            errors("access.toml", text),
            [
                "access.toml:2:1: unknown key \"passwd\" in [users.sensor-1]",
                "access.toml:5:1: an inline password in [users.b] is refused (it would sit in the file); use password_env or password_file",
                "access.toml:7:8: [users.c] needs password_env or password_file",
                "access.toml:11:1: [users.d] has both password_env and password_file; give one",
                "access.toml:15:12: rule 1 is a pattern rule (for every user) and cannot have a username",
                "access.toml:19:8: rule 2 is a topic rule and needs a username",
                "access.toml:26:1: unknown key \"colour\" in rule 3",
                "access.toml:32:8: read in rule 4 must be true or false, found a string",
                "access.toml:39:1: a second topic rule \"dup\" of user \"d\" (the first is at line 34)",
                "access.toml:45:2: unknown key \"other\" (expected \"users\" or \"rules\")",
            ]
        );
        assert_eq!(
            errors(
                "access.toml",
                "[[rules]]\ntype = \"topic\"\nusername = \"u\"\npattern = \"a/#/b\"\n"
            ),
            ["access.toml:4:11: rule 1: pattern '#' must be the last level"]
        );
        assert_eq!(
            errors("access.toml", "[users.\"..\"]\npassword_env = \"X\"\n"),
            ["access.toml:1:8: user name \"..\": username must not be \".\" or \"..\""]
        );
        let broken = errors("access.toml", "[users\n");
        assert_eq!(broken.len(), 1);
        assert!(broken[0].starts_with("access.toml:1:"), "{broken:?}");
        assert!(broken[0].contains("invalid TOML"), "{broken:?}");
    }

    #[test]
    fn unset_sources_and_unknown_users_are_located() {
        let file = parse("access.toml", EXAMPLE).unwrap();
        let error = file
            .resolve(|source| match source {
                PasswordSource::Env(_) => Err("is not set".to_owned()),
                PasswordSource::File(_) => Ok(String::new()),
            })
            .unwrap_err();
        assert_eq!(
            error.lines,
            [
                "access.toml:1:8: user \"sensor-1\": environment variable SENSOR_1_PASSWORD is not set",
                "access.toml:4:8: the password of user \"dashboard\" from password file \"secrets/dashboard\": password must not be empty",
            ]
        );
        let text = "[[rules]]\ntype = \"topic\"\nusername = \"ghost\"\npattern = \"t\"\n";
        let file = parse("access.toml", text).unwrap();
        let error = file.check_users(&BTreeSet::new(), false).unwrap_err();
        assert_eq!(
            error.lines,
            [
                "access.toml:1:1: user \"ghost\" of topic rule \"t\" of user \"ghost\" is neither in the file nor on the server"
            ]
        );
        let on_server: BTreeSet<String> = ["ghost".to_owned()].into();
        assert!(file.check_users(&on_server, false).is_ok());
        assert!(file.check_users(&on_server, true).is_err());
        assert_eq!(parse_rules("access.toml", text).unwrap().len(), 1);
    }
}
