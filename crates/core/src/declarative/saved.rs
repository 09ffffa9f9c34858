//! Saved plans: a plan written as versioned JSON to be reviewed, and
//! applied later exactly as written, never against a server that has
//! changed since ([`SavedPlan::check_fresh`]).
//!
//! ```json
//! {
//!   "format_version": 1,
//!   "files": [{"name": "access.toml", "fingerprint": "sha256:…"}],
//!   "options": {"prune": true, "set_passwords": false},
//!   "targets": ["user:sensor-1"],
//!   "scope": null,
//!   "outside": {"users": 0, "rules": 0},
//!   "server": {"fingerprint": "sha256:…", "users": ["sensor-1"], "rules": [{…}]},
//!   "changes": [{"action": "create", "kind": "user", "username": "sensor-2"}],
//!   "passwords": [{"username": "sensor-2", "password_env": "SENSOR_2_PASSWORD"}],
//!   "password_versions": {"sensor-2": 1},
//!   "missing_passwords": [],
//!   "notes": [],
//!   "access": {…}
//! }
//! ```
//!
//! `server` is the state the plan read (only what the files' scopes own):
//! the users and rules, and a SHA-256 fingerprint of them in a canonical
//! order. A password is recorded by its source, never its value. The
//! schema is `crates/core/plan.schema.json` (JSON Schema 2020-12).
//!
//! Written and read here, without serde, so that the command line and the
//! WebAssembly build write the same bytes and read with the same rules.

use std::collections::BTreeMap;

use sha2::{Digest, Sha256};

use crate::declarative::plan::{AccessChange, AccessPlan, PlanOptions, ServerAccess, push_rule};
use crate::declarative::scope::{Outside, Ownership, Scope};
use crate::declarative::target::Target;
use crate::error::Error;
use crate::model::{AclKind, AclRule};
use crate::wire::json::{self, Json};
use crate::wire::text::{concat, push_decimal, push_json_string, push_json_strings};

/// The `format_version` this build writes and reads.
pub const FORMAT_VERSION: u64 = 1;

/// Where the password a change sends comes from, as a saved plan records
/// it: never the value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PasswordRef {
    /// An environment variable (`password_env`).
    Env(String),
    /// A file (`password_file`), as the plan's maker opened it.
    File(String),
    /// Given to the call itself (the JavaScript package's desired state):
    /// the apply is given it again.
    Given,
}

/// An access file a plan was made from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SavedFile {
    /// Its name, as given.
    pub name: String,
    /// `sha256:` and the hex SHA-256 of its bytes ([`fingerprint`]).
    pub fingerprint: String,
}

/// A plan as saved: what it changes and what it was made against.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SavedPlan {
    /// The access files.
    pub files: Vec<SavedFile>,
    /// How it was planned.
    pub options: PlanOptions,
    /// The targets it was limited to (none: every change).
    pub targets: Vec<Target>,
    /// What the files own.
    pub ownership: Ownership,
    /// What was outside it on the server.
    pub outside: Outside,
    /// The server's users and rules the plan read (the owned part).
    pub server: ServerAccess,
    /// The changes.
    pub plan: AccessPlan,
    /// For each user whose password a change sends, where it comes from.
    pub passwords: Vec<(String, PasswordRef)>,
    /// The `password_version` of each user whose password a change sends,
    /// recorded once the change is made.
    pub versions: BTreeMap<String, u64>,
    /// Users whose password a change sends and could not be had when the
    /// plan was made.
    pub missing_passwords: Vec<String>,
    /// What the plan says beside its changes (e.g. password versions it
    /// cannot know).
    pub notes: Vec<String>,
    /// The access diff, as JSON text (written as is), when the maker has
    /// one.
    pub access: Option<String>,
}

/// `sha256:` and the lower-case hex SHA-256 of `bytes`.
pub fn fingerprint(bytes: &[u8]) -> String {
    let digest = Sha256::digest(bytes);
    let mut out = String::from("sha256:");
    for byte in digest {
        const HEX: &[u8; 16] = b"0123456789abcdef";
        out.push(HEX[usize::from(byte >> 4)] as char);
        out.push(HEX[usize::from(byte & 15)] as char);
    }
    out
}

/// The server state's rules sorted by identity, then rights.
fn sorted_rules(rules: &[AclRule]) -> Vec<&AclRule> {
    let mut sorted: Vec<&AclRule> = rules.iter().collect();
    // Unstable is enough: rules of one key are equal in every field.
    sorted.sort_unstable_by(|a, b| rule_key(a).cmp(&rule_key(b)));
    sorted
}

/// A rule's identity and rights, in the order rules are sorted.
type RuleKey<'a> = (AclKind, Option<&'a str>, &'a str, bool, bool);

fn rule_key(rule: &AclRule) -> RuleKey<'_> {
    (
        rule.kind,
        rule.username.as_deref(),
        &rule.pattern,
        rule.read,
        rule.write,
    )
}

/// The fingerprint of a server state: of its users sorted, then its rules
/// sorted (the server's order of rules changes nothing they allow).
pub fn server_fingerprint(server: &ServerAccess) -> String {
    let mut text = String::new();
    for user in &server.users {
        text.push_str("user ");
        push_json_string(&mut text, user);
        text.push('\n');
    }
    for rule in sorted_rules(&server.rules) {
        text.push_str("rule ");
        push_rule_json(&mut text, rule);
        text.push('\n');
    }
    fingerprint(text.as_bytes())
}

/// `{"type":…,"pattern":…,"read":…,"write":…,"username":…}`: a rule as
/// the rule list and `--json` show it.
pub fn push_rule_json(out: &mut String, rule: &AclRule) {
    out.push_str("{\"type\":");
    push_json_string(out, rule.kind.as_str());
    out.push_str(",\"pattern\":");
    push_json_string(out, &rule.pattern);
    out.push_str(",\"read\":");
    out.push_str(if rule.read { "true" } else { "false" });
    out.push_str(",\"write\":");
    out.push_str(if rule.write { "true" } else { "false" });
    out.push_str(",\"username\":");
    match &rule.username {
        Some(user) => push_json_string(out, user),
        None => out.push_str("null"),
    }
    out.push('}');
}

/// One change as the `--json` plan shows it.
pub fn push_change_json(out: &mut String, change: &AccessChange) {
    out.push_str("{\"action\":");
    push_json_string(out, change.action());
    out.push_str(",\"kind\":");
    match change {
        AccessChange::CreateUser { username }
        | AccessChange::SetPassword { username }
        | AccessChange::DeleteUser { username } => {
            out.push_str("\"user\",\"username\":");
            push_json_string(out, username);
        }
        AccessChange::CreateRule { rule } | AccessChange::DeleteRule { rule } => {
            out.push_str("\"rule\",\"rule\":");
            push_rule_json(out, rule);
        }
        AccessChange::ReplaceRule { from, to } => {
            out.push_str("\"rule\",\"from\":");
            push_rule_json(out, from);
            out.push_str(",\"to\":");
            push_rule_json(out, to);
        }
    }
    out.push('}');
}

/// `["a","b"]`, or `null` for `None`.
fn push_strings<'a>(out: &mut String, items: Option<impl IntoIterator<Item = &'a str>>) {
    match items {
        Some(items) => push_json_strings(out, items),
        None => out.push_str("null"),
    }
}

/// A list written one item per line, indented, for reviewable diffs.
fn push_lines<T>(out: &mut String, items: &[T], each: impl FnMut(&mut String, &T)) {
    push_lines_at(out, "  ", items, each);
}

/// [`push_lines`] for a list whose member line is indented by `indent`.
fn push_lines_at<T>(
    out: &mut String,
    indent: &str,
    items: &[T],
    mut each: impl FnMut(&mut String, &T),
) {
    if items.is_empty() {
        out.push_str("[]");
        return;
    }
    out.push('[');
    for (index, item) in items.iter().enumerate() {
        out.push_str(if index == 0 { "\n" } else { ",\n" });
        out.push_str(indent);
        out.push_str("  ");
        each(out, item);
    }
    out.push('\n');
    out.push_str(indent);
    out.push(']');
}

fn push_scope(out: &mut String, scope: &Scope) {
    out.push_str("{\"users\": ");
    push_strings(
        out,
        scope.users.as_ref().map(|v| v.iter().map(String::as_str)),
    );
    out.push_str(", \"exclude_users\": ");
    push_strings(out, Some(scope.exclude_users.iter().map(String::as_str)));
    out.push_str(", \"patterns\": ");
    push_strings(
        out,
        scope
            .patterns
            .as_ref()
            .map(|v| v.iter().map(String::as_str)),
    );
    out.push('}');
}

impl SavedPlan {
    /// The plan as JSON: an object of one member per line, lists one item
    /// per line, so that a review shows each change on its own line.
    pub fn to_json(&self) -> String {
        let mut out = String::from("{\n  \"format_version\": ");
        push_decimal(&mut out, FORMAT_VERSION);
        out.push_str(",\n  \"files\": ");
        push_lines(&mut out, &self.files, |out, file| {
            out.push_str("{\"name\": ");
            push_json_string(out, &file.name);
            out.push_str(", \"fingerprint\": ");
            push_json_string(out, &file.fingerprint);
            out.push('}');
        });
        out.push_str(",\n  \"options\": {\"prune\": ");
        out.push_str(if self.options.prune { "true" } else { "false" });
        out.push_str(", \"set_passwords\": ");
        out.push_str(if self.options.set_passwords {
            "true"
        } else {
            "false"
        });
        out.push_str("},\n  \"targets\": ");
        let mut targets = Vec::with_capacity(self.targets.len());
        for target in &self.targets {
            targets.push(target.text());
        }
        push_strings(&mut out, Some(targets.iter().map(String::as_str)));
        out.push_str(",\n  \"scope\": ");
        match &self.ownership.scopes {
            None => out.push_str("null"),
            Some(scopes) => push_lines(&mut out, scopes, push_scope),
        }
        out.push_str(",\n  \"outside\": {\"users\": ");
        push_decimal(&mut out, self.outside.users as u64);
        out.push_str(", \"rules\": ");
        push_decimal(&mut out, self.outside.rules as u64);
        self.push_server(&mut out);
        out.push_str(",\n  \"changes\": ");
        push_lines(&mut out, &self.plan.changes, |out, change| {
            push_change_json(out, change);
        });
        out.push_str(",\n  \"passwords\": ");
        push_lines(&mut out, &self.passwords, |out, (user, source)| {
            out.push_str("{\"username\": ");
            push_json_string(out, user);
            match source {
                PasswordRef::Env(name) => {
                    out.push_str(", \"password_env\": ");
                    push_json_string(out, name);
                }
                PasswordRef::File(path) => {
                    out.push_str(", \"password_file\": ");
                    push_json_string(out, path);
                }
                PasswordRef::Given => out.push_str(", \"password_given\": true"),
            }
            out.push('}');
        });
        out.push_str(",\n  \"password_versions\": {");
        for (index, (user, version)) in self.versions.iter().enumerate() {
            if index > 0 {
                out.push_str(", ");
            }
            push_json_string(&mut out, user);
            out.push_str(": ");
            push_decimal(&mut out, *version);
        }
        out.push('}');
        out.push_str(",\n  \"missing_passwords\": ");
        push_strings(
            &mut out,
            Some(self.missing_passwords.iter().map(String::as_str)),
        );
        out.push_str(",\n  \"notes\": ");
        push_lines(&mut out, &self.notes, |out, note| {
            push_json_string(out, note)
        });
        out.push_str(",\n  \"access\": ");
        out.push_str(self.access.as_deref().unwrap_or("null"));
        out.push_str("\n}\n");
        out
    }

    fn push_server(&self, out: &mut String) {
        out.push_str("},\n  \"server\": {\n    \"fingerprint\": ");
        push_json_string(out, &server_fingerprint(&self.server));
        out.push_str(",\n    \"users\": ");
        let users: Vec<&String> = self.server.users.iter().collect();
        push_lines_at(out, "    ", &users, |out, user| push_json_string(out, user));
        out.push_str(",\n    \"rules\": ");
        push_lines_at(
            out,
            "    ",
            &sorted_rules(&self.server.rules),
            |out, rule| {
                push_rule_json(out, rule);
            },
        );
        out.push_str("\n  }");
    }

    /// Refuses, with [`Error::StalePlan`] naming every difference, when the
    /// owned part of `server` (read again before the first write) is not
    /// the state the plan was made against.
    ///
    /// # Errors
    /// [`Error::StalePlan`].
    pub fn check_fresh(&self, server: &ServerAccess) -> Result<(), Error> {
        let (now, _) = self.ownership.restrict(server);
        let changes = differences(&self.server, &now);
        if changes.is_empty() {
            Ok(())
        } else {
            Err(Error::StalePlan { changes })
        }
    }
}

/// What changed from `then` to `now`: users gone and come, then rules.
pub fn differences<'a>(then: &'a ServerAccess, now: &'a ServerAccess) -> Vec<String> {
    let mut out = Vec::new();
    for user in &then.users {
        if !now.users.contains(user) {
            out.push(concat(&["- user ", user]));
        }
    }
    for user in &now.users {
        if !then.users.contains(user) {
            out.push(concat(&["+ user ", user]));
        }
    }
    let (then_rules, now_rules) = (distinct_rules(&then.rules), distinct_rules(&now.rules));
    // `- rule topic u p read`, as a plan's change line shows a rule.
    let line = |sign: &str, rule: &AclRule| {
        let mut text = String::from(sign);
        push_rule(&mut text, rule);
        text
    };
    for rule in &then_rules {
        if !has_rule(&now_rules, rule) {
            out.push(line("- rule ", rule));
        }
    }
    for rule in &now_rules {
        if !has_rule(&then_rules, rule) {
            out.push(line("+ rule ", rule));
        }
    }
    out
}

/// `rules` sorted by identity and rights, each such key once.
fn distinct_rules(rules: &[AclRule]) -> Vec<&AclRule> {
    let mut sorted = sorted_rules(rules);
    sorted.dedup_by(|a, b| rule_key(a) == rule_key(b));
    sorted
}

/// Whether `sorted` (from [`distinct_rules`]) has a rule of `rule`'s key.
fn has_rule(sorted: &[&AclRule], rule: &AclRule) -> bool {
    let key = rule_key(rule);
    sorted
        .binary_search_by(|probe| rule_key(probe).cmp(&key))
        .is_ok()
}

/// Why a saved plan cannot be read: `invalid plan: <where>: <what>`.
fn bad(path: &str, why: &str) -> Error {
    let mut reason = String::new();
    if !path.is_empty() {
        reason.push_str(path);
        reason.push_str(": ");
    }
    reason.push_str(why);
    Error::invalid("plan", reason)
}

/// The reader of a saved plan's JSON tree: each accessor names the field
/// it could not read.
struct Fields<'j, 'a> {
    json: &'j Json<'a>,
    path: String,
}

impl<'j, 'a> Fields<'j, 'a> {
    fn get(&self, key: &str) -> Result<Fields<'j, 'a>, Error> {
        let path = if self.path.is_empty() {
            key.to_owned()
        } else {
            concat(&[&self.path, ".", key])
        };
        match self.json.get(key) {
            Some(json) => Ok(Fields { json, path }),
            None => Err(bad(&path, "missing")),
        }
    }

    fn str(&self) -> Result<&'j str, Error> {
        self.json
            .as_str()
            .ok_or_else(|| bad(&self.path, "must be a string"))
    }

    fn bool(&self) -> Result<bool, Error> {
        match self.json {
            Json::Bool(flag) => Ok(*flag),
            _ => Err(bad(&self.path, "must be true or false")),
        }
    }

    fn count(&self) -> Result<u64, Error> {
        match self.json {
            Json::Number(text) => text
                .parse()
                .map_err(|_| bad(&self.path, "must be a whole number")),
            _ => Err(bad(&self.path, "must be a whole number")),
        }
    }

    /// The string member `key` ([`get`](Self::get), then
    /// [`str`](Self::str)).
    fn str_at(&self, key: &str) -> Result<&'j str, Error> {
        self.get(key)?.str()
    }

    /// The true-or-false member `key`.
    fn bool_at(&self, key: &str) -> Result<bool, Error> {
        self.get(key)?.bool()
    }

    /// The whole-number member `key`.
    fn count_at(&self, key: &str) -> Result<u64, Error> {
        self.get(key)?.count()
    }

    /// The rule member `key`.
    fn rule_at(&self, key: &str) -> Result<AclRule, Error> {
        self.get(key)?.rule()
    }

    /// The member `key`, an array of strings.
    fn strings_at(&self, key: &str) -> Result<Vec<String>, Error> {
        self.get(key)?.strings()
    }

    /// The member `key`, an array of strings or `null`.
    fn opt_strings_at(&self, key: &str) -> Result<Option<Vec<String>>, Error> {
        self.get(key)?.opt_strings()
    }

    fn is_null(&self) -> bool {
        matches!(self.json, Json::Null)
    }

    fn items(&self) -> Result<Vec<Fields<'j, 'a>>, Error> {
        let Json::Array(items) = self.json else {
            return Err(bad(&self.path, "must be an array"));
        };
        let mut fields = Vec::with_capacity(items.len());
        for (index, json) in items.iter().enumerate() {
            let mut path = self.path.clone();
            path.push('[');
            push_decimal(&mut path, index as u64);
            path.push(']');
            fields.push(Fields { json, path });
        }
        Ok(fields)
    }

    /// Each item read with `each`, the first error returned: a loop rather
    /// than a collected iterator, whose code is larger in the `.wasm`.
    #[inline(never)]
    fn list<T>(&self, each: fn(&Self) -> Result<T, Error>) -> Result<Vec<T>, Error> {
        let items = self.items()?;
        let mut out = Vec::with_capacity(items.len());
        for item in &items {
            out.push(each(item)?);
        }
        Ok(out)
    }

    fn strings(&self) -> Result<Vec<String>, Error> {
        self.list(|item| item.str().map(str::to_owned))
    }

    /// Every item a string, then each parsed as a target.
    fn targets(&self) -> Result<Vec<Target>, Error> {
        let texts = self.strings()?;
        let mut targets = Vec::with_capacity(texts.len());
        for text in &texts {
            targets.push(Target::parse(text)?);
        }
        Ok(targets)
    }

    fn opt_strings(&self) -> Result<Option<Vec<String>>, Error> {
        if self.is_null() {
            Ok(None)
        } else {
            self.strings().map(Some)
        }
    }

    fn rule(&self) -> Result<AclRule, Error> {
        let kind = AclKind::parse(self.str_at("type")?)
            .map_err(|_| bad(&self.path, "type must be \"topic\" or \"pattern\""))?;
        let username = self.get("username")?;
        let username = if username.is_null() {
            None
        } else {
            Some(username.str()?)
        };
        let pattern = self.str_at("pattern")?;
        crate::validate::acl_rule(kind, username, pattern)
            .map_err(|error| bad(&self.path, &error.message()))?;
        let read = self.bool_at("read")?;
        let write = self.bool_at("write")?;
        Ok(AclRule {
            kind,
            username: username.map(str::to_owned),
            pattern: pattern.to_owned(),
            read,
            write,
        })
    }

    fn change(&self) -> Result<AccessChange, Error> {
        let action = self.str_at("action")?;
        let kind = self.str_at("kind")?;
        let user = |make: fn(&str) -> AccessChange| -> Result<AccessChange, Error> {
            let name = self.str_at("username")?;
            crate::validate::username(name).map_err(|e| bad(&self.path, &e.message()))?;
            Ok(make(name))
        };
        match (action, kind) {
            ("create", "user") => user(AccessChange::create_user),
            ("set-password", "user") => user(AccessChange::set_password),
            ("delete", "user") => user(AccessChange::delete_user),
            ("create", "rule") => Ok(AccessChange::create_rule(self.rule_at("rule")?)),
            ("delete", "rule") => Ok(AccessChange::delete_rule(self.rule_at("rule")?)),
            ("replace", "rule") => Ok(AccessChange::replace_rule(
                self.rule_at("from")?,
                self.rule_at("to")?,
            )),
            _ => Err(bad(&self.path, "unknown action and kind")),
        }
    }

    fn versions(&self) -> Result<BTreeMap<String, u64>, Error> {
        let Json::Object(members) = self.json else {
            return Err(bad(&self.path, "must be an object"));
        };
        let mut versions = BTreeMap::new();
        for (user, json) in members {
            let version = Fields {
                json,
                path: concat(&[&self.path, ".", user]),
            };
            versions.insert(user.to_string(), version.count()?);
        }
        Ok(versions)
    }

    fn scope(&self) -> Result<Scope, Error> {
        Ok(Scope {
            users: self.opt_strings_at("users")?,
            exclude_users: self.strings_at("exclude_users")?,
            patterns: self.opt_strings_at("patterns")?,
        })
    }

    fn password(&self) -> Result<(String, PasswordRef), Error> {
        let user = self.str_at("username")?.to_owned();
        let source = if let Ok(env) = self.get("password_env") {
            PasswordRef::Env(env.str()?.to_owned())
        } else if let Ok(file) = self.get("password_file") {
            PasswordRef::File(file.str()?.to_owned())
        } else if self.bool_at("password_given")? {
            PasswordRef::Given
        } else {
            return Err(bad(&self.path, "names no password source"));
        };
        Ok((user, source))
    }
}

/// Writes a parsed JSON value back as compact JSON (the `access` member,
/// kept as written).
fn push_json(out: &mut String, json: &Json<'_>) {
    match json {
        Json::Null => out.push_str("null"),
        Json::Bool(flag) => out.push_str(if *flag { "true" } else { "false" }),
        Json::Number(text) => out.push_str(text),
        Json::String(text) => push_json_string(out, text),
        Json::Array(items) => {
            out.push('[');
            for (index, item) in items.iter().enumerate() {
                if index > 0 {
                    out.push(',');
                }
                push_json(out, item);
            }
            out.push(']');
        }
        Json::Object(members) => {
            out.push('{');
            for (index, (key, value)) in members.iter().enumerate() {
                if index > 0 {
                    out.push(',');
                }
                push_json_string(out, key);
                out.push(':');
                push_json(out, value);
            }
            out.push('}');
        }
    }
}

impl SavedPlan {
    /// Reads a saved plan, checking its `format_version`, every field and
    /// every change (with the validators the operations run), and that its
    /// server state has the fingerprint it says.
    ///
    /// # Errors
    /// [`Error::InvalidInput`] naming `plan` and the field at fault.
    pub fn from_json(text: &str) -> Result<Self, Error> {
        let json = json::parse(text.as_bytes()).map_err(|error| bad("", &error.describe()))?;
        if !json.is_object() {
            return Err(bad("", "must be a JSON object"));
        }
        let root = Fields {
            json: &json,
            path: String::new(),
        };
        let version = root.count_at("format_version")?;
        if version != FORMAT_VERSION {
            let mut why = String::from("is ");
            push_decimal(&mut why, version);
            why.push_str("; this version reads plans of format_version ");
            push_decimal(&mut why, FORMAT_VERSION);
            return Err(bad("format_version", &why));
        }
        // Filled in field by field, so that an error drops one value.
        let mut plan = Self::empty();
        let server = root.get("server")?;
        for user in server.strings_at("users")? {
            plan.server.users.insert(user);
        }
        plan.server.rules = server.get("rules")?.list(Fields::rule)?;
        if server.str_at("fingerprint")? != server_fingerprint(&plan.server) {
            return Err(bad(
                "server.fingerprint",
                "does not match the users and rules recorded; the plan was edited",
            ));
        }
        let scope = root.get("scope")?;
        if !scope.is_null() {
            plan.ownership.scopes = Some(scope.list(Fields::scope)?);
        }
        let options = root.get("options")?;
        let outside = root.get("outside")?;
        let access = root.get("access")?;
        plan.files = root.get("files")?.list(|file| {
            Ok(SavedFile {
                name: file.str_at("name")?.to_owned(),
                fingerprint: file.str_at("fingerprint")?.to_owned(),
            })
        })?;
        plan.options.prune = options.bool_at("prune")?;
        plan.options.set_passwords = options.bool_at("set_passwords")?;
        plan.targets = root.get("targets")?.targets()?;
        plan.outside.users = outside.count_at("users")? as usize;
        plan.outside.rules = outside.count_at("rules")? as usize;
        plan.plan.changes = root.get("changes")?.list(Fields::change)?;
        plan.passwords = root.get("passwords")?.list(Fields::password)?;
        plan.versions = root.get("password_versions")?.versions()?;
        plan.missing_passwords = root.strings_at("missing_passwords")?;
        plan.notes = root.strings_at("notes")?;
        if !access.is_null() {
            let mut out = String::new();
            push_json(&mut out, access.json);
            plan.access = Some(out);
        }
        Ok(plan)
    }

    /// A plan of nothing, made against nothing: what
    /// [`from_json`](Self::from_json) fills in.
    fn empty() -> Self {
        Self {
            files: Vec::new(),
            options: PlanOptions::default(),
            targets: Vec::new(),
            ownership: Ownership::everything(),
            outside: Outside::default(),
            server: ServerAccess::default(),
            plan: AccessPlan::default(),
            passwords: Vec::new(),
            versions: BTreeMap::new(),
            missing_passwords: Vec::new(),
            notes: Vec::new(),
            access: None,
        }
    }

    /// The users whose password a change sends and which the plan records
    /// no source for.
    pub fn unsourced_passwords(&self) -> Vec<&str> {
        self.plan
            .password_users()
            .filter(|user| !self.passwords.iter().any(|(name, _)| name == user))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule(user: Option<&str>, pattern: &str, read: bool) -> AclRule {
        AclRule::test(user, pattern, read, !read)
    }

    fn saved() -> SavedPlan {
        SavedPlan {
            files: vec![SavedFile {
                name: "team \"a\".toml".into(),
                fingerprint: fingerprint(b"text"),
            }],
            options: PlanOptions {
                prune: true,
                set_passwords: false,
            },
            targets: vec![Target::parse("user:a-1").unwrap()],
            ownership: Ownership {
                scopes: Some(vec![Scope {
                    users: Some(vec!["a-*".into()]),
                    exclude_users: vec!["a-admin".into()],
                    patterns: None,
                }]),
            },
            outside: Outside { users: 3, rules: 4 },
            server: ServerAccess {
                users: ["a-0", "a-1"].map(str::to_owned).into(),
                // Sorted, as written.
                rules: vec![
                    rule(Some("a-0"), "x", false),
                    rule(Some("a-1"), "a/1/#", true),
                ],
            },
            plan: AccessPlan {
                changes: vec![
                    AccessChange::create_user("a-2"),
                    AccessChange::replace_rule(
                        rule(Some("a-1"), "a/1/#", true),
                        rule(Some("a-1"), "a/1/#", false),
                    ),
                    AccessChange::delete_user("a-0"),
                ],
            },
            passwords: vec![("a-2".into(), PasswordRef::Env("A_2".into()))],
            versions: [("a-2".to_owned(), 3)].into(),
            missing_passwords: vec![],
            notes: vec!["a note".into()],
            access: Some(r#"{"changes":[],"lines":["x"]}"#.into()),
        }
    }

    #[test]
    fn a_saved_plan_reads_back_as_written() {
        let saved = saved();
        let text = saved.to_json();
        assert_eq!(SavedPlan::from_json(&text).unwrap(), saved);
        // One change per line, for reviews.
        assert!(
            text.contains(
                "\n    {\"action\":\"create\",\"kind\":\"user\",\"username\":\"a-2\"},\n"
            ),
            "{text}"
        );
    }

    #[test]
    fn a_plan_is_stale_when_its_part_of_the_server_changed() {
        let saved = saved();
        let mut server = saved.server.clone();
        // Outside the scope: not a change the plan cares about.
        server.users.insert("b-1".into());
        server.rules.push(rule(Some("b-1"), "b", true));
        server.rules.reverse();
        assert_eq!(saved.check_fresh(&server), Ok(()));
        server.users.insert("a-9".into());
        server.rules.retain(|rule| rule.pattern != "x");
        let error = saved.check_fresh(&server).unwrap_err();
        assert_eq!(
            error.to_string(),
            "plan is stale: the server changed since the plan was made: + user a-9, - rule topic a-0 x write"
        );
        assert_eq!(error.code().as_str(), "STALE_PLAN");
    }

    #[test]
    fn edited_and_foreign_plans_are_refused() {
        let text = saved().to_json();
        let edited = text.replacen("\"a-0\"", "\"a-7\"", 1);
        let error = SavedPlan::from_json(&edited).unwrap_err().to_string();
        assert!(
            error.contains("server.fingerprint: does not match"),
            "{error}"
        );
        let future = text.replacen("\"format_version\": 1", "\"format_version\": 2", 1);
        let error = SavedPlan::from_json(&future).unwrap_err().to_string();
        assert_eq!(
            error,
            "invalid plan: format_version: is 2; this version reads plans of format_version 1"
        );
        let bad_change = text.replacen("\"action\":\"create\"", "\"action\":\"make\"", 1);
        let error = SavedPlan::from_json(&bad_change).unwrap_err().to_string();
        assert_eq!(error, "invalid plan: changes[0]: unknown action and kind");
        assert!(SavedPlan::from_json("[]").is_err());
        assert!(SavedPlan::from_json("{").is_err());
    }
}
