//! Profiles: named instances (base URL, encoding, where the key comes from)
//! in `$XDG_CONFIG_HOME/cloudmqtt/config.toml` (or
//! `~/.config/cloudmqtt/config.toml`), and the `profiles` commands.
//!
//! ```toml
//! [profiles.prod]
//! base_url = "https://api.cloudmqtt.com/api"
//! encoding = "json"                 # or "form"
//! api_key_file = "prod.key"         # relative to the config's directory
//! # api_key_env = "PROD_CLOUDMQTT_KEY"
//! # api_key_command = "pass show cloudmqtt/prod"
//! # allow_insecure_http = true     # base_url may be plain http
//! ```
//!
//! A profile names exactly one source for its key and never holds the key
//! itself. A profile's mistakes (an unknown key, a value of the wrong kind)
//! matter only to the commands that use it: `profiles list` shows them and
//! `profiles remove` removes any profile.
//!
//! The profile used is `--profile NAME`, else `CLOUDMQTT_PROFILE`,
//! else the one named `default` if there is one. Each setting is taken,
//! first found, from its flag, its environment variable, the profile, and
//! the built-in default: `--api-key-file` > `CLOUDMQTT_API_KEY` > profile;
//! `--base-url` > `CLOUDMQTT_BASE_URL` > profile > the public API;
//! `--encoding` > profile > `json`. A profile's `allow_insecure_http`
//! permits plain http for its own `base_url` only; `--allow-insecure-http`
//! permits it for any.
//!
//! `profiles add` writes the key read from stdin to `NAME.key` beside the
//! config, created with mode 0600, and refers to it; `profiles remove`
//! deletes that file with the profile. The file is edited in place, keeping
//! its comments and other tables.

use std::fs;
use std::io::{self, BufRead as _, IsTerminal as _, Write};
use std::path::{Path, PathBuf};

use cloudmqtt_api::{Encoding, Secret};
use toml_edit::{DocumentMut, Item, Table, value};

use crate::args::{API_KEY_ENV, GlobalArgs, ProfilesCommand};
use crate::failure::Failure;
use crate::output;

/// The profile used when none is named, if it exists.
pub const DEFAULT_PROFILE: &str = "default";
/// The config file's name in its directory.
const CONFIG_FILE: &str = "config.toml";
/// The keys a profile may hold.
const PROFILE_KEYS: [&str; 6] = [
    "base_url",
    "encoding",
    "api_key_file",
    "api_key_env",
    "api_key_command",
    "allow_insecure_http",
];

/// Where a profile's key comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeySource {
    /// The first line of a file.
    File(PathBuf),
    /// An environment variable.
    Env(String),
    /// The first line a shell command prints.
    Command(String),
}

/// One profile as the config file holds it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Profile {
    /// Its name.
    pub name: String,
    /// The API's base URL, if set.
    pub base_url: Option<String>,
    /// The body encoding, if set.
    pub encoding: Option<Encoding>,
    /// Where the key comes from, if set.
    pub key: Option<KeySource>,
    /// Whether its base URL may be plain http to a host that is not
    /// loopback.
    pub allow_insecure_http: bool,
}

/// One `[profiles.NAME]` table of the config: the profile, or what is wrong
/// with it.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Entry {
    /// The table's name.
    name: String,
    /// The profile, or why it cannot be used.
    profile: Result<Profile, String>,
}

impl Entry {
    /// The profile, or its problem as a failure naming the file and table.
    fn into_profile(self, path: &Path) -> Result<Profile, Failure> {
        let name = self.name;
        self.profile
            .map_err(|reason| config_error(path, format!("[profiles.{name}]: {reason}")))
    }
}

/// What a command runs with, every setting resolved.
#[derive(Debug)]
pub struct Settings {
    /// The API key.
    pub api_key: Secret,
    /// The base URL.
    pub base_url: String,
    /// The body encoding.
    pub encoding: Encoding,
    /// Whether the base URL may be plain http to a host that is not
    /// loopback: `--allow-insecure-http`, or the permission of the profile
    /// the base URL comes from.
    pub allow_insecure_http: bool,
}

/// The directory of the config file.
///
/// # Errors
/// When neither `XDG_CONFIG_HOME` nor `HOME` is set.
pub fn config_dir() -> Result<PathBuf, Failure> {
    let base = match std::env::var_os("XDG_CONFIG_HOME").filter(|dir| !dir.is_empty()) {
        Some(dir) => PathBuf::from(dir),
        None => match std::env::var_os("HOME").filter(|dir| !dir.is_empty()) {
            Some(home) => PathBuf::from(home).join(".config"),
            None => {
                return Err(Failure::Usage(
                    "cannot find the config directory: set XDG_CONFIG_HOME or HOME".to_owned(),
                ));
            }
        },
    };
    Ok(base.join("cloudmqtt"))
}

/// The config file's path.
///
/// # Errors
/// See [`config_dir`].
pub fn config_path() -> Result<PathBuf, Failure> {
    Ok(config_dir()?.join(CONFIG_FILE))
}

fn config_error(path: &Path, reason: impl std::fmt::Display) -> Failure {
    Failure::Usage(format!("config {}: {reason}", path.display()))
}

/// Reads the config file; a missing file is an empty config.
fn read_document(path: &Path) -> Result<DocumentMut, Failure> {
    match fs::read_to_string(path) {
        Ok(text) => text
            .parse::<DocumentMut>()
            .map_err(|error| config_error(path, error.to_string().trim())),
        Err(error) if error.kind() == io::ErrorKind::NotFound => Ok(DocumentMut::new()),
        Err(error) => Err(config_error(path, error)),
    }
}

/// Every profile in the config, in file order, each with its own
/// problem if it has one.
///
/// # Errors
/// A `profiles` item that is not a table: no profile can be read.
fn profiles(document: &DocumentMut, path: &Path) -> Result<Vec<Entry>, Failure> {
    let Some(item) = document.get("profiles") else {
        return Ok(Vec::new());
    };
    let table = item
        .as_table_like()
        .ok_or_else(|| config_error(path, "`profiles` must be a table"))?;
    Ok(table
        .iter()
        .map(|(name, item)| Entry {
            name: name.to_owned(),
            profile: parse_profile(name, item, path),
        })
        .collect())
}

/// A path the config names, relative to the config's directory.
fn beside_config(path: &Path, file: &str) -> PathBuf {
    let file = PathBuf::from(file);
    match path.parent() {
        Some(dir) if file.is_relative() => dir.join(file),
        _ => file,
    }
}

/// Reads one profile's table; the error is what is wrong with it.
fn parse_profile(name: &str, item: &Item, path: &Path) -> Result<Profile, String> {
    let table = item
        .as_table_like()
        .ok_or_else(|| "must be a table".to_owned())?;
    for (key, _) in table.iter() {
        if !PROFILE_KEYS.contains(&key) {
            return Err(format!(
                "unknown key `{key}` (known: {})",
                PROFILE_KEYS.join(", ")
            ));
        }
    }
    let text = |key: &str| -> Result<Option<String>, String> {
        match table.get(key) {
            None => Ok(None),
            Some(item) => item
                .as_str()
                .map(|text| Some(text.to_owned()))
                .ok_or_else(|| format!("`{key}` must be a string")),
        }
    };
    let encoding = match text("encoding")?.as_deref() {
        None => None,
        Some("json") => Some(Encoding::Json),
        Some("form") => Some(Encoding::Form),
        Some(other) => {
            return Err(format!(
                "`encoding` must be \"json\" or \"form\", not {other:?}"
            ));
        }
    };
    let allow_insecure_http = match table.get("allow_insecure_http") {
        None => false,
        Some(item) => item
            .as_bool()
            .ok_or_else(|| "`allow_insecure_http` must be true or false".to_owned())?,
    };
    let mut sources = Vec::new();
    if let Some(file) = text("api_key_file")? {
        sources.push(KeySource::File(beside_config(path, &file)));
    }
    if let Some(name) = text("api_key_env")? {
        sources.push(KeySource::Env(name));
    }
    if let Some(command) = text("api_key_command")? {
        sources.push(KeySource::Command(command));
    }
    if sources.len() > 1 {
        return Err("give one of api_key_file, api_key_env and api_key_command".to_owned());
    }
    if table.contains_key("api_key") {
        return Err("the key is never written in the config".to_owned());
    }
    Ok(Profile {
        name: name.to_owned(),
        base_url: text("base_url")?,
        encoding,
        key: sources.pop(),
        allow_insecure_http,
    })
}

/// Checks a base URL as a command would use it. The reason it is refused
/// ends with `permission` when only the permission for plain http is
/// missing.
fn check_base_url(url: &str, allow_insecure_http: bool, permission: &str) -> Result<(), String> {
    let build = |allow: bool| {
        cloudmqtt_api::ApiConfig::builder("check")
            .base_url(url)
            .allow_insecure_http(allow)
            .build()
    };
    let Err(error) = build(allow_insecure_http) else {
        return Ok(());
    };
    let reason = match error {
        cloudmqtt_api::Error::InvalidInput { reason, .. } => reason,
        other => other.to_string(),
    };
    if !allow_insecure_http && build(true).is_ok() {
        Err(format!("{reason}; {permission}"))
    } else {
        Err(reason)
    }
}

/// The name of the profile chosen by `--profile` or `CLOUDMQTT_PROFILE`.
fn chosen(global: &GlobalArgs) -> Option<String> {
    global.profile.clone().filter(|name| !name.is_empty())
}

/// Resolves the key, base URL and encoding for a command: flag, then
/// environment, then profile, then default; and whether the base URL may be
/// plain http.
///
/// # Errors
/// A named profile that does not exist, an unreadable config, a profile in
/// use that is invalid (its base URL too), or no key from anywhere.
pub fn resolve(global: &GlobalArgs) -> Result<Settings, Failure> {
    let profile = active_profile(global)?;
    let profile = profile.as_ref();
    let api_key = if global.api_key_file.is_some() || std::env::var_os(API_KEY_ENV).is_some() {
        crate::input::api_key(global.api_key_file.as_deref())?
    } else {
        match profile {
            Some(Profile {
                name,
                key: Some(source),
                ..
            }) => read_key(name, source)?,
            Some(Profile { name, .. }) => {
                return Err(Failure::Usage(format!(
                    "no API key: profile {name:?} names no api_key_file, api_key_env or api_key_command, and {API_KEY_ENV} is not set"
                )));
            }
            None => {
                return Err(Failure::Usage(format!(
                    "no API key: set {API_KEY_ENV}, pass --api-key-file PATH, or use a profile (cloudmqtt profiles add)"
                )));
            }
        }
    };
    let (base_url, allow_insecure_http) = match (&global.base_url, profile) {
        (Some(url), _) => (url.clone(), global.allow_insecure_http),
        (
            None,
            Some(Profile {
                name,
                base_url: Some(url),
                allow_insecure_http,
                ..
            }),
        ) => {
            let allowed = global.allow_insecure_http || *allow_insecure_http;
            let permission = format!(
                "set allow_insecure_http = true in [profiles.{name}] to allow it, or pass --allow-insecure-http"
            );
            check_base_url(url, allowed, &permission).map_err(|reason| {
                Failure::Usage(format!(
                    "profile {name:?}: invalid base_url {url:?}: {reason}"
                ))
            })?;
            (url.clone(), allowed)
        }
        (None, _) => (
            cloudmqtt_api::DEFAULT_BASE_URL.to_owned(),
            global.allow_insecure_http,
        ),
    };
    let encoding = global
        .encoding
        .map(Encoding::from)
        .or_else(|| profile.and_then(|profile| profile.encoding))
        .unwrap_or(Encoding::Json);
    Ok(Settings {
        api_key,
        base_url,
        encoding,
        allow_insecure_http,
    })
}

/// The profile in use: the one named, or `default` when it exists.
fn active_profile(global: &GlobalArgs) -> Result<Option<Profile>, Failure> {
    let name = chosen(global);
    let path = match config_path() {
        Ok(path) => path,
        // Without a home there is no config; only a named profile needs one.
        Err(failure) if name.is_some() => return Err(failure),
        Err(_) => return Ok(None),
    };
    let document = read_document(&path)?;
    let all = profiles(&document, &path)?;
    let wanted = name.as_deref().unwrap_or(DEFAULT_PROFILE);
    match all.into_iter().find(|entry| entry.name == wanted) {
        Some(entry) => entry.into_profile(&path).map(Some),
        None if name.is_some() => Err(Failure::Usage(format!(
            "no profile {wanted:?} in {} (cloudmqtt profiles list)",
            path.display()
        ))),
        None => Ok(None),
    }
}

fn read_key(profile: &str, source: &KeySource) -> Result<Secret, Failure> {
    match source {
        KeySource::File(path) => crate::input::api_key(Some(path)),
        KeySource::Env(name) => std::env::var(name)
            .map(|key| Secret::new(key.trim()))
            .map_err(|_| {
                Failure::Usage(format!(
                    "no API key: profile {profile:?} reads it from {name}, which is not set"
                ))
            }),
        KeySource::Command(command) => {
            let output = std::process::Command::new("sh")
                .arg("-c")
                .arg(command)
                .stdin(std::process::Stdio::null())
                .stderr(std::process::Stdio::inherit())
                .output()
                .map_err(|error| {
                    Failure::Usage(format!(
                        "profile {profile:?}: cannot run its api_key_command: {error}"
                    ))
                })?;
            if !output.status.success() {
                return Err(Failure::Usage(format!(
                    "profile {profile:?}: its api_key_command failed ({})",
                    output.status
                )));
            }
            let text = String::from_utf8_lossy(&output.stdout);
            Ok(Secret::new(text.lines().next().unwrap_or_default().trim()))
        }
    }
}

/// Runs `cloudmqtt profiles ...`.
///
/// # Errors
/// An invalid name, config or key; a profile that exists (add) or does not
/// (remove); a plain http base URL without `--allow-insecure-http` (add); a
/// file that cannot be written.
pub fn run(
    command: ProfilesCommand,
    global: &GlobalArgs,
    out: &mut impl Write,
) -> Result<(), Failure> {
    let path = config_path()?;
    let json = global.json;
    match command {
        ProfilesCommand::List => list(&path, chosen(global), json, out),
        ProfilesCommand::Add {
            name,
            base_url,
            encoding,
            api_key_stdin: _,
            force,
        } => {
            check_name(&name)?;
            // Checked as a command would use it, before the key is asked for.
            if let Some(url) = &base_url {
                let permission = "pass --allow-insecure-http to allow it for this profile";
                check_base_url(url, global.allow_insecure_http, permission).map_err(|reason| {
                    Failure::Usage(format!("invalid --base-url {url:?}: {reason}"))
                })?;
            }
            let key = read_stdin_key()?;
            let profile = Profile {
                allow_insecure_http: global.allow_insecure_http && base_url.is_some(),
                name,
                base_url,
                encoding: encoding.map(Encoding::from),
                key: None,
            };
            add(&path, &profile, &key, force)?;
            if !json {
                let name = &profile.name;
                writeln!(out, "added profile {name:?} to {}", path.display())?;
            }
            Ok(())
        }
        ProfilesCommand::Remove { name } => {
            remove(&path, &name)?;
            if !json {
                writeln!(out, "removed profile {name:?}")?;
            }
            Ok(())
        }
    }
}

/// How `profiles list` names an encoding.
fn encoding_name(encoding: Encoding) -> &'static str {
    match encoding {
        Encoding::Form => "form",
        _ => "json",
    }
}

/// `profiles list`: every profile in file order, an invalid one with its
/// problem.
fn list(
    path: &Path,
    chosen: Option<String>,
    json: bool,
    out: &mut impl Write,
) -> Result<(), Failure> {
    let document = read_document(path)?;
    let all = profiles(&document, path)?;
    let active = chosen.or_else(|| {
        all.iter()
            .any(|entry| entry.name == DEFAULT_PROFILE)
            .then(|| DEFAULT_PROFILE.to_owned())
    });
    let is_active = |entry: &Entry| active.as_deref() == Some(entry.name.as_str());
    if json {
        let list: Vec<serde_json::Value> = all
            .iter()
            .map(|entry| {
                let profile = entry.profile.as_ref().ok();
                serde_json::json!({
                    "name": entry.name,
                    "base_url": profile.and_then(|profile| profile.base_url.as_deref()),
                    "encoding": profile.and_then(|profile| profile.encoding).map(encoding_name),
                    "api_key_from": profile.and_then(|profile| profile.key.as_ref()).map(|key| match key {
                        KeySource::File(_) => "file",
                        KeySource::Env(_) => "env",
                        KeySource::Command(_) => "command",
                    }),
                    "allow_insecure_http": profile.is_some_and(|profile| profile.allow_insecure_http),
                    "active": is_active(entry),
                    "error": entry.profile.as_ref().err(),
                })
            })
            .collect();
        output::write_json(out, &list)?;
        return Ok(());
    }
    if all.is_empty() {
        writeln!(
            out,
            "no profiles in {} (cloudmqtt profiles add NAME --api-key-stdin)",
            path.display()
        )?;
        return Ok(());
    }
    let rows: Vec<Vec<String>> = all
        .iter()
        .map(|entry| {
            let mark = if is_active(entry) { "*" } else { "" }.to_owned();
            let name = output::cell(&entry.name);
            match &entry.profile {
                Ok(profile) => vec![
                    mark,
                    name,
                    output::cell(profile.base_url.as_deref().unwrap_or("-")),
                    profile.encoding.map_or("-", encoding_name).to_owned(),
                    output::cell(&match &profile.key {
                        Some(KeySource::File(path)) => format!("file {}", path.display()),
                        Some(KeySource::Env(name)) => format!("env {name}"),
                        Some(KeySource::Command(_)) => "command".to_owned(),
                        None => "-".to_owned(),
                    }),
                ],
                // The problem takes the place of the settings.
                Err(reason) => vec![mark, name, output::cell(&format!("invalid: {reason}"))],
            }
        })
        .collect();
    let header = ["", "NAME", "BASE URL", "ENCODING", "KEY FROM"].map(str::to_owned);
    write_table(out, &header, &rows)?;
    Ok(())
}

/// Writes rows under a header, each cell but a row's last padded to its
/// column's width. A row shorter than the header ends in a cell that spans
/// the columns left, and does not widen them.
fn write_table(out: &mut impl Write, header: &[String], rows: &[Vec<String>]) -> io::Result<()> {
    let mut widths: Vec<usize> = header.iter().map(String::len).collect();
    for row in rows {
        let padded = if row.len() == header.len() {
            row.len()
        } else {
            row.len() - 1
        };
        for (width, cell) in widths.iter_mut().zip(&row[..padded]) {
            *width = (*width).max(cell.chars().count());
        }
    }
    for row in std::iter::once(header).chain(rows.iter().map(Vec::as_slice)) {
        let mut text = String::new();
        for (index, (cell, width)) in row.iter().zip(&widths).enumerate() {
            if index + 1 == row.len() {
                text.push_str(cell);
            } else {
                text.push_str(&format!("{cell:<width$} "));
            }
        }
        writeln!(out, "{text}")?;
    }
    Ok(())
}

/// The names of the profiles in the config, valid or not, for shell
/// completion: only those a name check accepts (so that any shell takes each
/// as one word), and none when the config cannot be read.
pub fn completion_names() -> Vec<String> {
    let Ok(path) = config_path() else {
        return Vec::new();
    };
    let entries = read_document(&path).and_then(|document| profiles(&document, &path));
    entries
        .unwrap_or_default()
        .into_iter()
        .map(|entry| entry.name)
        .filter(|name| check_name(name).is_ok())
        .collect()
}

/// Profile names are file and TOML friendly: letters, digits, `-`, `_`.
fn check_name(name: &str) -> Result<(), Failure> {
    if name.is_empty()
        || name.len() > 64
        || !name
            .bytes()
            .all(|byte| byte.is_ascii_alphanumeric() || byte == b'-' || byte == b'_')
    {
        return Err(Failure::Usage(format!(
            "invalid profile name {name:?}: use 1 to 64 letters, digits, - or _"
        )));
    }
    Ok(())
}

/// The key from the first line of stdin; on a terminal, typed without echo
/// (after an `API key: ` prompt unless prompts are off).
fn read_stdin_key() -> Result<Secret, Failure> {
    let unreadable =
        |error: io::Error| Failure::Usage(format!("cannot read the API key from stdin: {error}"));
    let line = if io::stdin().is_terminal() {
        if crate::terminal::prompts_allowed() {
            crate::input::prompt_hidden("API key: ").map_err(unreadable)?
        } else {
            rpassword::read_password().map_err(unreadable)?
        }
    } else {
        let mut line = String::new();
        io::stdin()
            .lock()
            .read_line(&mut line)
            .map_err(unreadable)?;
        line
    };
    let key = Secret::new(line.trim());
    cloudmqtt_api::validate::api_key(key.expose())?;
    Ok(key)
}

/// Writes `profile` (its name, base URL, encoding and permission) with a
/// new key file for `key`.
fn add(path: &Path, profile: &Profile, key: &Secret, force: bool) -> Result<(), Failure> {
    let name = profile.name.as_str();
    let mut document = read_document(path)?;
    profiles(&document, path)?;
    let dir = path.parent().unwrap_or(Path::new("."));
    let profiles_table = document
        .entry("profiles")
        .or_insert_with(|| {
            let mut table = Table::new();
            table.set_implicit(true);
            Item::Table(table)
        })
        .as_table_mut()
        .ok_or_else(|| config_error(path, "`profiles` must be a table"))?;
    if profiles_table.contains_key(name) && !force {
        return Err(Failure::Usage(format!(
            "profile {name:?} exists; pass --force to replace it, or remove it first"
        )));
    }
    let key_file = format!("{name}.key");
    write_private(
        &dir.join(&key_file),
        format!("{}\n", key.expose()).as_bytes(),
    )
    .map_err(|error| config_error(&dir.join(&key_file), error))?;
    let mut table = Table::new();
    if let Some(url) = &profile.base_url {
        table.insert("base_url", value(url.as_str()));
    }
    if let Some(encoding) = profile.encoding {
        table.insert("encoding", value(encoding_name(encoding)));
    }
    table.insert("api_key_file", value(key_file));
    if profile.allow_insecure_http {
        table.insert("allow_insecure_http", value(true));
    }
    profiles_table.insert(name, Item::Table(table));
    write_config(path, &document)
}

/// Removes a profile, valid or not, and the key file `profiles add` wrote
/// for it.
fn remove(path: &Path, name: &str) -> Result<(), Failure> {
    let mut document = read_document(path)?;
    profiles(&document, path)?;
    let removed = document
        .get_mut("profiles")
        .and_then(Item::as_table_like_mut)
        .and_then(|table| table.remove(name))
        .ok_or_else(|| Failure::Usage(format!("no profile {name:?} in {}", path.display())))?;
    write_config(path, &document)?;
    // The key file `profiles add` wrote goes with the profile; a file the
    // user named elsewhere stays.
    let key_file = beside_config(path, &format!("{name}.key"));
    let named = removed
        .as_table_like()
        .and_then(|table| table.get("api_key_file"))
        .and_then(Item::as_str)
        .map(|file| beside_config(path, file));
    if named.as_ref() == Some(&key_file) {
        let _ = fs::remove_file(key_file);
    }
    Ok(())
}

fn write_config(path: &Path, document: &DocumentMut) -> Result<(), Failure> {
    let dir = path.parent().unwrap_or(Path::new("."));
    create_dir(dir).map_err(|error| config_error(path, error))?;
    let temporary = path.with_extension("toml.tmp");
    fs::write(&temporary, document.to_string())
        .and_then(|()| fs::rename(&temporary, path))
        .map_err(|error| config_error(path, error))
}

/// Creates the config directory, private to its owner.
fn create_dir(dir: &Path) -> io::Result<()> {
    let mut builder = fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder.create(dir)
}

/// Writes a file only its owner can read (mode 0600), replacing it
/// atomically.
fn write_private(path: &Path, bytes: &[u8]) -> io::Result<()> {
    if let Some(dir) = path.parent() {
        create_dir(dir)?;
    }
    let temporary = path.with_extension("key.tmp");
    let _ = fs::remove_file(&temporary);
    let mut options = fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options.open(&temporary)?;
    file.write_all(bytes)?;
    file.sync_all()?;
    fs::rename(&temporary, path)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Vec<Profile>, Failure> {
        let path = Path::new("/conf/cloudmqtt/config.toml");
        profiles(&text.parse().unwrap(), path)?
            .into_iter()
            .map(|entry| entry.into_profile(path))
            .collect()
    }

    #[test]
    fn profiles_are_read_with_their_key_source() {
        let all = parse(
            "[profiles.a]\nbase_url = \"http://127.0.0.1:1/api\"\nencoding = \"form\"\napi_key_file = \"a.key\"\n\
             [profiles.b]\napi_key_env = \"B_KEY\"\n[profiles.c]\napi_key_command = \"echo k\"\n",
        )
        .unwrap();
        assert_eq!(all.len(), 3);
        assert_eq!(all[0].encoding, Some(Encoding::Form));
        assert_eq!(
            all[0].key,
            Some(KeySource::File("/conf/cloudmqtt/a.key".into()))
        );
        assert_eq!(all[1].key, Some(KeySource::Env("B_KEY".into())));
        assert_eq!(all[2].key, Some(KeySource::Command("echo k".into())));
    }

    #[test]
    fn mistakes_in_the_config_are_named() {
        for (text, words) in [
            ("[profiles.a]\nbase-url = \"x\"\n", "unknown key `base-url`"),
            (
                "[profiles.a]\napi_key = \"secret\"\n",
                "unknown key `api_key`",
            ),
            ("[profiles.a]\nencoding = \"xml\"\n", "`encoding` must be"),
            (
                "[profiles.a]\napi_key_env = \"A\"\napi_key_command = \"b\"\n",
                "give one of",
            ),
            (
                "[profiles.a]\nbase_url = 1\n",
                "`base_url` must be a string",
            ),
            ("profiles = 1\n", "`profiles` must be a table"),
            (
                "[profiles.a]\nallow_insecure_http = \"yes\"\n",
                "[profiles.a]: `allow_insecure_http` must be true or false",
            ),
        ] {
            let error = parse(text).unwrap_err().to_string();
            assert!(error.contains(words), "{text:?}: {error}");
            assert!(!error.contains("secret"), "{error}");
        }
    }

    #[test]
    fn names_are_checked() {
        for good in ["prod", "eu-west_1", "A1"] {
            assert!(check_name(good).is_ok(), "{good}");
        }
        for bad in ["", "a b", "a/b", "..", "a.b", "é"] {
            assert!(check_name(bad).is_err(), "{bad:?}");
        }
    }
}
