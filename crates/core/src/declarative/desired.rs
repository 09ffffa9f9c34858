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
use crate::declarative::plan::{DesiredAccess, IdentityText};
use crate::declarative::scope::Scope;
use crate::error::Error;
use crate::model::AclKind;
use crate::ops::NewAclRule;
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
            Self::File(path) => write!(f, "password_file {path:?}"),
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
    /// Where its password source is named.
    pub source_at: Position,
    /// Its `password_version`: bumping it sets the password at the next
    /// apply.
    pub password_version: Option<u64>,
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
    /// What the file owns (its `[scope]`); `None`: everything.
    pub scope: Option<Scope>,
}

/// One problem of an access file, and where it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// Where in the file.
    pub at: Position,
    /// What is wrong (never a password).
    pub message: String,
}

impl Problem {
    /// A problem at `at`.
    pub fn new(at: Position, message: impl Into<String>) -> Self {
        Self {
            at,
            message: message.into(),
        }
    }
}

/// Every problem found in an access file, one `FILE:LINE:COLUMN: reason`
/// line each, in file order.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}", self.lines.join("\n"))]
pub struct FileError {
    /// The file, as named in the lines.
    pub file: String,
    /// The lines.
    pub lines: Vec<String>,
}

impl FileError {
    /// The lines of `problems` of the file `name`, sorted by position (the
    /// order found kept among problems at one position).
    pub fn new(name: &str, mut problems: Vec<Problem>) -> Self {
        problems.sort_by_key(|problem| problem.at);
        Self {
            file: name.to_owned(),
            lines: problems
                .into_iter()
                .map(|problem| {
                    format!(
                        "{name}:{}:{}: {}",
                        problem.at.line, problem.at.column, problem.message
                    )
                })
                .collect(),
        }
    }
}

/// Reads an access file: JSON when `name` ends in `.json`, TOML otherwise.
///
/// Checks unknown keys, types, user names, rules (a pattern rule with a
/// user, a topic rule without one, invalid topic filters), two rules with
/// one identity, and password sources (exactly one of `password_env` and
/// `password_file`; an inline `password` is refused). Names and rules are
/// checked with the validators the operations run
/// ([`validate::new_username`], [`validate::rule_owner`],
/// [`validate::acl_topic_filter`]), so a file that reads is a file whose
/// users and rules can be created.
///
/// # Errors
/// A [`FileError`] with every problem found.
pub fn parse(name: &str, text: &str) -> Result<AccessFile, FileError> {
    let (file, problems) = read(name, text);
    if problems.is_empty() {
        Ok(file)
    } else {
        Err(FileError::new(name, problems))
    }
}

/// Reads an access file as [`parse`] does, but returns what could be read
/// beside every problem found, so that a caller can add the problems it
/// finds next (unset passwords, unknown users) and report all at once.
/// Users and rules with a problem are left out of the file.
pub fn read(name: &str, text: &str) -> (AccessFile, Vec<Problem>) {
    let lines = Lines::new(text);
    let root = if name.ends_with(".json") {
        json_tree(text)
    } else {
        toml_tree(text)
    };
    let mut errors = Errors {
        lines: &lines,
        found: Vec::new(),
    };
    let mut file = AccessFile {
        name: name.to_owned(),
        users: Vec::new(),
        rules: Vec::new(),
        scope: None,
    };
    match root {
        Ok(root) => read_root(&root, &mut errors, &mut file),
        Err((offset, message)) => errors.at(offset, message),
    }
    (file, errors.found)
}

/// Reads a JSON list of rules as the rule list gives them (`acl list
/// --json`: `type`, `pattern`, `read`, `write`, and `username`, which is
/// `null` for pattern rules), with every problem located and checked as
/// the rules of an access file are.
///
/// # Errors
/// A [`FileError`] with every problem found.
pub fn parse_rule_list(name: &str, text: &str) -> Result<Vec<NewAclRule>, FileError> {
    let lines = Lines::new(text);
    let mut errors = Errors {
        lines: &lines,
        found: Vec::new(),
    };
    let mut file = AccessFile {
        name: name.to_owned(),
        users: Vec::new(),
        rules: Vec::new(),
        scope: None,
    };
    match json_tree(text) {
        Ok(root) => {
            read_rules(&root, &mut errors, &mut file, "the list");
            duplicate_rules(&mut errors, &file);
        }
        Err((offset, message)) => errors.at(offset, message),
    }
    if errors.found.is_empty() {
        Ok(file.rules.into_iter().map(|rule| rule.rule).collect())
    } else {
        Err(FileError::new(name, errors.found))
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

/// The password a source holds, from what the host read for it: the value
/// of the environment variable, or the bytes of the file. A file gives its
/// first line without its line ending (`\n` or `\r\n`), as a password
/// typed or piped on one line; control characters and NUL are refused,
/// from either source. The one rule every host reads password sources by.
///
/// `value` is the variable's value or the file's bytes, or why there is
/// none (`"is not set"`, `"cannot be read: not found"`). The reason given
/// back names no part of the content.
///
/// # Errors
/// Why the source holds no usable password.
pub fn password_from(
    source: &PasswordSource,
    value: Result<Vec<u8>, String>,
) -> Result<Secret, String> {
    let bytes = value?;
    let text = std::str::from_utf8(&bytes).map_err(|_| "is not valid UTF-8".to_owned())?;
    let text = match source {
        PasswordSource::Env(_) => text,
        PasswordSource::File(_) => {
            let line = text.split('\n').next().unwrap_or_default();
            line.strip_suffix('\r').unwrap_or(line)
        }
    };
    if text.contains('\0') {
        return Err("holds a NUL byte".to_owned());
    }
    if text.chars().any(char::is_control) {
        return Err("holds a control character".to_owned());
    }
    validate::password(text).map_err(|error| match error {
        Error::InvalidInput { reason, .. } => format!("holds no valid password: {reason}"),
        other => other.to_string(),
    })?;
    Ok(Secret::new(text))
}

impl AccessFile {
    /// Looks up every user's password with `lookup` (which answers the
    /// password, or why there is none: [`password_from`]) and returns the
    /// desired state.
    ///
    /// # Errors
    /// A [`FileError`] naming each user whose source is unset, unreadable
    /// or holds an invalid password (the source is named, never a value).
    pub fn resolve(
        &self,
        lookup: impl FnMut(&PasswordSource) -> Result<Secret, String>,
    ) -> Result<DesiredAccess, FileError> {
        let (desired, problems) = self.resolve_some(|_| true, lookup);
        if problems.is_empty() {
            Ok(desired)
        } else {
            Err(FileError::new(&self.name, problems))
        }
    }

    /// The desired state with the passwords of the users `needed` names
    /// looked up with `lookup`; other users have none (a plan that only
    /// reads the server needs no password it will not send). Returns the
    /// problems of the sources looked up beside it; a user whose password
    /// could not be had has none.
    pub fn resolve_some(
        &self,
        needed: impl Fn(&str) -> bool,
        mut lookup: impl FnMut(&PasswordSource) -> Result<Secret, String>,
    ) -> (DesiredAccess, Vec<Problem>) {
        let mut problems = Vec::new();
        let mut users = BTreeMap::new();
        for user in &self.users {
            let password = if needed(&user.username) {
                match lookup(&user.password) {
                    Ok(password) => Some(password),
                    Err(why) => {
                        problems.push(Problem::new(
                            user.source_at,
                            format!("user {:?}: {}: {why}", user.username, user.password),
                        ));
                        None
                    }
                }
            } else {
                None
            };
            users.insert(user.username.clone(), password);
        }
        let desired = DesiredAccess {
            users,
            rules: self.rules.iter().map(|rule| rule.rule.clone()).collect(),
        };
        (desired, problems)
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
        let problems = self.user_problems(server_users, prune);
        if problems.is_empty() {
            Ok(())
        } else {
            Err(FileError::new(&self.name, problems))
        }
    }

    /// The problems [`check_users`](Self::check_users) reports.
    pub fn user_problems(&self, server_users: &BTreeSet<String>, prune: bool) -> Vec<Problem> {
        let mine: BTreeSet<&str> = self.users.iter().map(|u| u.username.as_str()).collect();
        self.user_problems_among(&mine, server_users, prune)
    }

    /// The problems [`check_users`](Self::check_users) reports when the
    /// desired users are `desired_users` (those of several files read
    /// together).
    pub fn user_problems_among(
        &self,
        mine: &BTreeSet<&str>,
        server_users: &BTreeSet<String>,
        prune: bool,
    ) -> Vec<Problem> {
        self.rules
            .iter()
            .filter_map(|rule| {
                let user = rule.rule.username()?;
                if mine.contains(user) || (!prune && server_users.contains(user)) {
                    return None;
                }
                let why = if prune {
                    "is not in the file (and pruning deletes users not in the file)"
                } else {
                    "is neither in the file nor on the server"
                };
                Some(Problem::new(
                    rule.at,
                    format!("user {user:?} of {} {why}", IdentityText(&rule.rule)),
                ))
            })
            .collect()
    }
}

pub(super) fn reason(error: &Error) -> String {
    match error {
        Error::InvalidInput { field, reason } => format!("{field} {reason}"),
        other => other.to_string(),
    }
}

/// Byte offsets to lines and columns.
pub(super) struct Lines<'a> {
    text: &'a str,
    starts: Vec<usize>,
}

impl<'a> Lines<'a> {
    pub(super) fn new(text: &'a str) -> Self {
        let mut starts = vec![0];
        starts.extend(text.match_indices('\n').map(|(at, _)| at + 1));
        Self { text, starts }
    }

    pub(super) fn position(&self, offset: usize) -> Position {
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

pub(super) struct Errors<'a> {
    pub(super) lines: &'a Lines<'a>,
    pub(super) found: Vec<Problem>,
}

impl Errors<'_> {
    pub(super) fn at(&mut self, offset: usize, message: impl Into<String>) {
        self.found
            .push(Problem::new(self.lines.position(offset), message));
    }
}

/// A parsed value with the byte offset where it starts.
#[derive(Debug)]
pub(super) struct Node {
    pub(super) at: usize,
    pub(super) value: Value,
}

#[derive(Debug)]
pub(super) enum Value {
    Str(String),
    Bool(bool),
    /// A whole number from 0 to 2^64-1; `None` for one out of range or
    /// with a fraction.
    Count(Option<u64>),
    /// Any other scalar, by its type's name.
    Other(&'static str),
    /// Entries in file order: key, the key's offset, value.
    Table(Vec<(String, usize, Node)>),
    Array(Vec<Node>),
}

impl Value {
    pub(super) fn type_name(&self) -> &'static str {
        match self {
            Self::Str(_) => "a string",
            Self::Bool(_) => "a boolean",
            Self::Count(_) => "a number",
            Self::Other(name) => name,
            Self::Table(_) => "a table",
            Self::Array(_) => "an array",
        }
    }
}

pub(super) fn toml_tree(text: &str) -> Result<Node, (usize, String)> {
    use toml::Spanned;
    use toml::de::{DeTable, DeValue};

    fn node(value: &Spanned<DeValue<'_>>) -> Node {
        let at = value.span().start;
        let value = match value.get_ref() {
            DeValue::String(text) => Value::Str(text.to_string()),
            DeValue::Boolean(flag) => Value::Bool(*flag),
            DeValue::Integer(int) => {
                Value::Count(u64::from_str_radix(int.as_str(), int.radix()).ok())
            }
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

pub(super) fn json_tree(text: &str) -> Result<Node, (usize, String)> {
    use jsonc_parser::ast;
    use jsonc_parser::common::Ranged as _;

    fn node(value: &ast::Value<'_>) -> Result<Node, (usize, String)> {
        let at = value.start();
        let value = match value {
            ast::Value::StringLit(text) => Value::Str(text.value.to_string()),
            ast::Value::BooleanLit(flag) => Value::Bool(flag.value),
            ast::Value::NumberLit(number) => Value::Count(number.value.parse().ok()),
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

fn read_root(root: &Node, errors: &mut Errors<'_>, file: &mut AccessFile) {
    let Value::Table(entries) = &root.value else {
        errors.at(
            root.at,
            format!(
                "expected a table with \"users\" and \"rules\", found {}",
                root.value.type_name()
            ),
        );
        return;
    };
    for (key, key_at, value) in entries {
        match key.as_str() {
            "users" => read_users(value, errors, file),
            "rules" => read_rules(value, errors, file, "\"rules\""),
            "scope" => file.scope = read_scope(value, errors),
            other => errors.at(
                *key_at,
                format!("unknown key {other:?} (expected \"users\", \"rules\" or \"scope\")"),
            ),
        }
    }
    duplicate_rules(errors, file);
    outside_scope(errors, file);
}

/// `[scope]`: `users`, `exclude_users` and `patterns`, each a list of
/// globs (see [`Scope`]); an empty glob is refused.
fn read_scope(value: &Node, errors: &mut Errors<'_>) -> Option<Scope> {
    let Value::Table(fields) = &value.value else {
        errors.at(
            value.at,
            format!("[scope] must be a table, found {}", value.value.type_name()),
        );
        return None;
    };
    let mut scope = Scope::default();
    let ok = read_fields(fields, errors, "[scope]", |key, _, node| {
        let globs = || -> Result<Vec<String>, Option<String>> {
            let Value::Array(items) = &node.value else {
                return Err(Some(format!(
                    "{key} in [scope] must be a list of globs, found {}",
                    node.value.type_name()
                )));
            };
            items
                .iter()
                .map(|item| match &item.value {
                    Value::Str(glob) if !glob.is_empty() => Ok(glob.clone()),
                    _ => Err(Some(format!(
                        "{key} in [scope] must be a list of non-empty strings"
                    ))),
                })
                .collect()
        };
        match key {
            "users" => scope.users = Some(globs()?),
            "exclude_users" => scope.exclude_users = globs()?,
            "patterns" => scope.patterns = Some(globs()?),
            _ => return Err(None),
        }
        Ok(())
    });
    ok.then_some(scope)
}

/// A user or rule the file declares outside its own `[scope]`.
fn outside_scope(errors: &mut Errors<'_>, file: &AccessFile) {
    let Some(scope) = &file.scope else {
        return;
    };
    for user in &file.users {
        if !scope.owns_user(&user.username) {
            errors.found.push(Problem::new(
                user.at,
                format!("user {:?} is outside this file's [scope]", user.username),
            ));
        }
    }
    for rule in &file.rules {
        let (kind, user, pattern) = (rule.rule.kind(), rule.rule.username(), rule.rule.pattern());
        if !scope.owns_rule(kind, user, pattern) {
            errors.found.push(Problem::new(
                rule.at,
                format!(
                    "{} is outside this file's [scope]",
                    IdentityText(&rule.rule)
                ),
            ));
        }
    }
}

/// A second rule with the identity of an earlier one.
fn duplicate_rules(errors: &mut Errors<'_>, file: &AccessFile) {
    let mut seen: BTreeMap<(AclKind, Option<&str>, &str), Position> = BTreeMap::new();
    for rule in &file.rules {
        let key = (rule.rule.kind(), rule.rule.username(), rule.rule.pattern());
        if let Some(first) = seen.get(&key) {
            errors.found.push(Problem::new(
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
}

/// The one reader of a table's fields: each key is handed to `field`,
/// which reads it or answers `Err(None)` for a key it does not know;
/// problems are recorded at the field. Returns whether every field read.
pub(super) fn read_fields(
    fields: &[(String, usize, Node)],
    errors: &mut Errors<'_>,
    in_what: &str,
    mut field: impl FnMut(&str, usize, &Node) -> Result<(), Option<String>>,
) -> bool {
    let mut ok = true;
    for (key, key_at, node) in fields {
        match field(key, *key_at, node) {
            Ok(()) => {}
            Err(None) => {
                errors.at(*key_at, format!("unknown key {key:?} in {in_what}"));
                ok = false;
            }
            Err(Some(message)) => {
                errors.at(node.at, message);
                ok = false;
            }
        }
    }
    ok
}

/// A field's string, or why it is not one.
pub(super) fn string_of<'a>(
    node: &'a Node,
    key: &str,
    in_what: &str,
) -> Result<&'a str, Option<String>> {
    match &node.value {
        Value::Str(text) => Ok(text),
        other => Err(Some(format!(
            "{key} in {in_what} must be a string, found {}",
            other.type_name()
        ))),
    }
}

/// A field's flag, or why it is not one.
pub(super) fn flag_of(node: &Node, key: &str, in_what: &str) -> Result<bool, Option<String>> {
    match &node.value {
        Value::Bool(flag) => Ok(*flag),
        other => Err(Some(format!(
            "{key} in {in_what} must be true or false, found {}",
            other.type_name()
        ))),
    }
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
        let mut ok = true;
        // The validator creating the user runs: a file that plans applies.
        if let Err(error) = validate::new_username(username) {
            errors.at(
                *name_at,
                format!("user name {username:?}: {}", reason(&error)),
            );
            ok = false;
        }
        if let Some((password, source_at, password_version)) =
            read_user(username, *name_at, user, errors)
            && ok
        {
            file.users.push(FileUser {
                username: username.clone(),
                password,
                at: errors.lines.position(*name_at),
                source_at: errors.lines.position(source_at),
                password_version,
            });
        }
    }
}

/// One user's table: its password source, where that is named, and its
/// `password_version`, or `None` (problems recorded) when it has no source
/// or anything is wrong.
fn read_user(
    username: &str,
    name_at: usize,
    user: &Node,
    errors: &mut Errors<'_>,
) -> Option<(PasswordSource, usize, Option<u64>)> {
    let path = format!("[{}]", user_path(username));
    let Value::Table(fields) = &user.value else {
        errors.at(
            user.at,
            format!("{path} must be a table, found {}", user.value.type_name()),
        );
        return None;
    };
    let mut source = None;
    let mut twice = None;
    let mut inline = None;
    let mut version = None;
    let ok = read_fields(fields, errors, &path, |key, key_at, node| match key {
        "password_version" => match node.value {
            Value::Count(Some(number)) => {
                version = Some(number);
                Ok(())
            }
            _ => Err(Some(format!(
                "password_version in {path} must be a whole number from 0, found {}",
                node.value.type_name()
            ))),
        },
        "password_env" | "password_file" => {
            let text = string_of(node, key, &path)?;
            if text.is_empty() {
                return Err(Some(format!("{key} in {path} must not be empty")));
            }
            if source.is_some() {
                twice = Some(key_at);
                return Ok(());
            }
            source = Some(if key == "password_env" {
                (PasswordSource::Env(text.to_owned()), node.at)
            } else {
                (PasswordSource::File(text.to_owned()), node.at)
            });
            Ok(())
        }
        "password" => {
            inline = Some(key_at);
            Ok(())
        }
        _ => Err(None),
    });
    if let Some(at) = inline {
        errors.at(
            at,
            format!(
                "an inline password in {path} is refused (it would sit in the file); use password_env or password_file"
            ),
        );
        return None;
    }
    if let Some(at) = twice {
        errors.at(
            at,
            format!("{path} has both password_env and password_file; give one"),
        );
        return None;
    }
    if ok && source.is_none() {
        errors.at(
            name_at,
            format!("{path} needs password_env or password_file"),
        );
    }
    source
        .filter(|_| ok)
        .map(|(source, at)| (source, at, version))
}

/// The parts of one rule as read, each with where it was.
#[derive(Default)]
struct RuleParts {
    kind: Option<(AclKind, usize)>,
    username: Option<(String, usize)>,
    pattern: Option<(String, usize)>,
    read: bool,
    write: bool,
}

/// Reads the rules, from an array; `what` names the array in errors.
fn read_rules(value: &Node, errors: &mut Errors<'_>, file: &mut AccessFile, what: &str) {
    let Value::Array(rules) = &value.value else {
        errors.at(
            value.at,
            format!(
                "{what} must be an array of rules ([[rules]]), found {}",
                value.value.type_name()
            ),
        );
        return;
    };
    for (index, rule) in rules.iter().enumerate() {
        let what = format!("rule {}", index + 1);
        if let Some(new) = read_rule(rule, &what, errors) {
            file.rules.push(FileRule {
                rule: new,
                at: errors.lines.position(rule.at),
            });
        }
    }
}

/// One rule, every problem of it recorded, with the validators creating
/// the rule runs ([`validate::rule_owner`], [`validate::new_username`],
/// [`validate::acl_topic_filter`]).
fn read_rule(rule: &Node, what: &str, errors: &mut Errors<'_>) -> Option<NewAclRule> {
    let Value::Table(fields) = &rule.value else {
        errors.at(
            rule.at,
            format!("{what} must be a table, found {}", rule.value.type_name()),
        );
        return None;
    };
    let mut parts = RuleParts::default();
    let mut ok = read_fields(fields, errors, what, |key, _, node| {
        match key {
            "type" => {
                let text = string_of(node, key, what)?;
                let kind = match text {
                    "topic" => AclKind::Topic,
                    "pattern" => AclKind::Pattern,
                    _ => {
                        return Err(Some(format!(
                            "type in {what} must be \"topic\" or \"pattern\", not {text:?}"
                        )));
                    }
                };
                parts.kind = Some((kind, node.at));
            }
            // `null` is how the rule list writes a pattern rule's user.
            "username" if matches!(node.value, Value::Other("null")) => {}
            "username" => parts.username = Some((string_of(node, key, what)?.to_owned(), node.at)),
            "pattern" => parts.pattern = Some((string_of(node, key, what)?.to_owned(), node.at)),
            "read" => parts.read = flag_of(node, key, what)?,
            "write" => parts.write = flag_of(node, key, what)?,
            _ => return Err(None),
        }
        Ok(())
    });
    ok &= check_rule(&parts, rule.at, what, errors);
    let (kind, _) = parts.kind?;
    let (pattern, _) = parts.pattern?;
    let username = parts.username.map(|(name, _)| name);
    if !ok {
        return None;
    }
    match NewAclRule::from_parts(kind, username, pattern, parts.read, parts.write) {
        Ok(new) => Some(new),
        Err(error) => {
            errors.at(rule.at, format!("{what}: {}", reason(&error)));
            None
        }
    }
}

/// Checks a rule's parts, each problem at its part; whether all are fine.
fn check_rule(parts: &RuleParts, at: usize, what: &str, errors: &mut Errors<'_>) -> bool {
    let before = errors.found.len();
    match &parts.pattern {
        None => errors.at(at, format!("{what} needs a pattern")),
        Some((pattern, at)) => {
            if let Err(error) = validate::acl_topic_filter("pattern", pattern) {
                errors.at(*at, format!("{what}: {}", reason(&error)));
            }
        }
    }
    if let Some((name, name_at)) = &parts.username
        && let Err(error) = validate::new_username(name)
    {
        errors.at(*name_at, format!("{what}: {}", reason(&error)));
    }
    match (&parts.kind, &parts.username) {
        (None, _) => errors.at(at, format!("{what} needs type = \"topic\" or \"pattern\"")),
        (Some((AclKind::Pattern, _)), Some((_, name_at))) => errors.at(
            *name_at,
            format!("{what} is a pattern rule (for every user) and cannot have a username"),
        ),
        (Some((AclKind::Topic, kind_at)), None) => errors.at(
            *kind_at,
            format!("{what} is a topic rule and needs a username"),
        ),
        _ => {}
    }
    errors.found.len() == before
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
                PasswordSource::Env(name) => Ok(Secret::new(format!("env-{name}"))),
                PasswordSource::File(path) => Ok(Secret::new(format!("file-{path}"))),
            })
            .unwrap();
        assert_eq!(
            desired.users["dashboard"]
                .as_ref()
                .map(Secret::expose)
                .unwrap(),
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
                // Found in the same run as the others.
                "access.toml:25:11: rule 3: pattern '#' must be the last level",
                "access.toml:26:1: unknown key \"colour\" in rule 3",
                "access.toml:32:8: read in rule 4 must be true or false, found a string",
                "access.toml:39:1: a second topic rule \"dup\" of user \"d\" (the first is at line 34)",
                "access.toml:45:2: unknown key \"other\" (expected \"users\", \"rules\" or \"scope\")",
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
    fn names_and_filters_the_operations_refuse_are_refused_here() {
        let text = "[users.\"bad:name\"]\npassword_env = \"A\"\n\n[users.\" sp\"]\npassword_env = \"B\"\n\n[users.\"#hash\"]\npassword_env = \"C\"\n\n[[rules]]\ntype = \"topic\"\nusername = \"x:y\"\npattern = \"a\"\n\n[[rules]]\ntype = \"pattern\"\npattern = \"%s\"\n";
        let deep = "a/".repeat(300) + "b";
        let text = text.replace("%s", &deep);
        let lines = errors("access.toml", &text);
        assert_eq!(lines.len(), 5, "{lines:#?}");
        for (line, (at, field)) in lines.iter().zip([
            (
                "1:8",
                "user name \"bad:name\": username must not contain ':'",
            ),
            (
                "4:8",
                "user name \" sp\": username must not start or end with a blank",
            ),
            (
                "7:8",
                "user name \"#hash\": username must not start with '#'",
            ),
            ("12:12", "rule 1: username must not contain ':'"),
            ("17:11", "rule 2: pattern must have at most 201 levels"),
        ]) {
            assert!(
                line.starts_with(&format!("access.toml:{at}: {field}")),
                "{line}"
            );
        }
        // The operations refuse exactly these.
        for name in ["bad:name", " sp", "#hash"] {
            assert!(validate::new_username(name).is_err());
        }
        assert!(validate::acl_topic_filter("pattern", &deep).is_err());
    }

    #[test]
    fn a_scope_owns_what_the_file_declares() {
        let text = r#"
[scope]
users = ["team-a-*"]
exclude_users = ["team-a-admin"]

[users.team-a-1]
password_env = "A1"
password_version = 3

[users.team-a-admin]
password_env = "ADMIN"

[[rules]]
type = "topic"
username = "team-a-1"
pattern = "a/#"
read = true
write = true

[[rules]]
type = "pattern"
pattern = "shared/%u"
read = true
write = false
"#;
        let (file, problems) = read("a.toml", text);
        let lines = FileError::new("a.toml", problems).lines;
        assert_eq!(
            lines,
            [
                "a.toml:10:8: user \"team-a-admin\" is outside this file's [scope]",
                "a.toml:20:1: pattern rule \"shared/%u\" is outside this file's [scope]",
            ]
        );
        assert_eq!(file.users[0].password_version, Some(3));
        let scope = file.scope.unwrap();
        assert_eq!(scope.users, Some(vec!["team-a-*".to_owned()]));
        assert_eq!(scope.patterns, None);
        let json = r#"{"scope": {"patterns": ["x/*"], "users": "a"}, "users": {"u": {"password_env": "U", "password_version": -1}}}"#;
        assert_eq!(
            errors("a.json", json),
            [
                "a.json:1:42: users in [scope] must be a list of globs, found a string",
                "a.json:1:105: password_version in [users.u] must be a whole number from 0, found a number",
            ]
        );
    }

    #[test]
    fn a_password_source_gives_one_line_without_control_characters() {
        let file = PasswordSource::File("pw".into());
        let env = PasswordSource::Env("PW".into());
        let read = |source: &PasswordSource, bytes: &[u8]| {
            password_from(source, Ok(bytes.to_vec())).map(|secret| secret.expose().to_owned())
        };
        assert_eq!(read(&file, b"secret\n").unwrap(), "secret");
        assert_eq!(read(&file, b"secret\r\nsecond line\n").unwrap(), "secret");
        assert_eq!(read(&file, b"secret").unwrap(), "secret");
        assert_eq!(
            read(&file, b"\n\nSECRET").unwrap_err(),
            "holds no valid password: must not be empty"
        );
        for bad in [&b"se\x01cret\n"[..], b"se\0cret", b"a\tb"] {
            let why = read(&file, bad).unwrap_err();
            assert!(why.starts_with("holds a"), "{why}");
            assert!(!why.contains("se"), "{why}");
        }
        assert_eq!(
            read(&env, b"envSECRET\nline2").unwrap_err(),
            "holds a control character"
        );
        assert_eq!(read(&env, b"pw with spaces").unwrap(), "pw with spaces");
        assert_eq!(read(&file, b"\xff\n").unwrap_err(), "is not valid UTF-8");
        assert_eq!(
            password_from(&env, Err("is not set".to_owned())).unwrap_err(),
            "is not set"
        );
    }

    #[test]
    fn only_the_passwords_needed_are_looked_up() {
        let file = parse("access.toml", EXAMPLE).unwrap();
        let mut asked = Vec::new();
        let (desired, problems) = file.resolve_some(
            |name| name == "dashboard",
            |source| {
                asked.push(source.clone());
                Err("cannot be read: not found".to_owned())
            },
        );
        assert_eq!(asked, [PasswordSource::File("secrets/dashboard".into())]);
        assert_eq!(desired.users.len(), 2);
        assert!(desired.users.values().all(Option::is_none));
        assert_eq!(problems.len(), 1);
        assert_eq!(
            problems[0].at,
            Position {
                line: 5,
                column: 17
            }
        );
    }

    #[test]
    fn a_rule_list_reads_like_the_rules_of_a_file() {
        let text = r#"[
  {"type": "topic", "username": "u", "pattern": "a/#", "read": true, "write": false},
  {"type": "pattern", "username": null, "pattern": "home/%u", "read": true, "write": true}
]"#;
        let rules = parse_rule_list("rules.json", text).unwrap();
        assert_eq!(rules.len(), 2);
        assert_eq!(rules[1].kind(), AclKind::Pattern);
        let error = parse_rule_list(
            "rules.json",
            "[\n {\"type\": \"topic\", \"pattern\": \"a/#/b\", \"read\": 1}\n]",
        )
        .unwrap_err();
        assert_eq!(
            error.lines,
            [
                "rules.json:2:11: rule 1 is a topic rule and needs a username".to_owned(),
                "rules.json:2:31: rule 1: pattern '#' must be the last level".to_owned(),
                "rules.json:2:48: read in rule 1 must be true or false, found a number".to_owned(),
            ]
        );
    }

    #[test]
    fn unset_sources_and_unknown_users_are_located() {
        let file = parse("access.toml", EXAMPLE).unwrap();
        let error = file
            .resolve(|source| match source {
                PasswordSource::Env(_) => Err("is not set".to_owned()),
                PasswordSource::File(source) => {
                    password_from(&PasswordSource::File(source.clone()), Ok(b"\n".to_vec()))
                }
            })
            .unwrap_err();
        assert_eq!(
            error.lines,
            [
                "access.toml:2:16: user \"sensor-1\": environment variable SENSOR_1_PASSWORD: is not set",
                "access.toml:5:17: user \"dashboard\": password_file \"secrets/dashboard\": holds no valid password: must not be empty",
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
