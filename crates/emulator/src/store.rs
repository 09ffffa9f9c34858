//! The emulator's state: users, ACL rules, and the changes waiting to apply.
//!
//! # Applied and pending
//! Like the real service, the emulator applies creates and deletes of users
//! and rules asynchronously. A write is checked against the *projected*
//! state (everything applied plus every pending change, in order), queued as
//! a [`Pending`] change with the wall-clock instant it falls due, and saved
//! before it is acknowledged. Reads, and the broker, see only the *applied*
//! state. A change applies once it and every change queued before it are
//! due, so the queue always applies in the order it was written.
//!
//! Password updates apply at once (to the applied user, and to any queued
//! creation of that user), because the reference does not call them
//! asynchronous.
//!
//! # Persistence
//! The whole state, pending changes with their due times included, lives in
//! one JSON file that is replaced atomically (temporary file in the same
//! directory, `fsync`, `rename`, `fsync` of the directory). A kill at any
//! moment leaves either the old or the new file. Due times are wall-clock
//! milliseconds since the Unix epoch, so a change still pending when the
//! emulator stops applies on the next start once its time has come.
//!
//! Writes are batched (group commit, [`GroupCommit`]): [`Store::update`]
//! changes the state in memory and counts a new generation; a change is
//! acknowledged only once [`GroupCommit::wait_durable`] says a write that
//! includes its generation is durable. One write runs at a time; the
//! changes made while it runs share the next one, so a burst of concurrent
//! changes costs a few writes rather than one each, and a kill at any
//! moment still loses no acknowledged change.
//!
//! One emulator at a time owns a data directory: [`Store::open`] takes an
//! exclusive lock on its `lock` file and a second emulator is refused with
//! the holder's process id, since two writers would save over each other.
//!
//! # Whose directory
//! The emulator writes its lock, its state and the broker's files into the
//! data directory, so it only takes one that is new, empty, or already an
//! emulator's ([`claim_data_dir`]): it marks the directory with
//! [`MARKER_FILE`] the first time. A directory holding a state file
//! ([`STATE_FILE`]) but no marker was made by an earlier version, which
//! wrote no marker, and counts as marked. One an earlier version used
//! without ever saving a change holds no state worth keeping and is
//! refused like any other directory that holds files.

use std::collections::BTreeMap;
use std::fs::{self, File, OpenOptions};
use std::io::{self, Write as _};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use cloudmqtt_api::{AclKind, AclRule, User, UserAcl, UserInfo};
use serde::{Deserialize, Serialize};

/// The version of the state file's layout.
const FORMAT_VERSION: u32 = 1;

/// One change to apply when it falls due.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case")]
pub enum Change {
    /// Adds a user with a Mosquitto password hash.
    CreateUser {
        /// The user's name.
        username: String,
        /// The password in Mosquitto's hashed format.
        password_hash: String,
    },
    /// Removes a user and its topic rules.
    DeleteUser {
        /// The user's name.
        username: String,
    },
    /// Adds a rule, or replaces the flags of the rule with the same kind,
    /// user and pattern.
    CreateRule {
        /// The rule.
        rule: AclRule,
    },
    /// Removes the matching rules: a user's topic rules for `topic`, or the
    /// pattern rules for `topic` when `username` is `None`.
    DeleteRules {
        /// The user whose topic rules go; `None` for pattern rules.
        username: Option<String>,
        /// The rules' topic filter.
        topic: String,
    },
}

/// A queued change and when it falls due.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Pending {
    /// Milliseconds since the Unix epoch.
    pub due_unix_ms: u64,
    /// The change.
    pub change: Change,
}

/// Users and rules as they stand at one moment.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Snapshot {
    /// Password hashes by user name.
    pub users: BTreeMap<String, String>,
    /// Rules in the order they were created.
    pub rules: Vec<AclRule>,
}

impl Snapshot {
    /// Applies one change.
    pub fn apply(&mut self, change: &Change) {
        match change {
            Change::CreateUser {
                username,
                password_hash,
            } => {
                self.users.insert(username.clone(), password_hash.clone());
            }
            Change::DeleteUser { username } => {
                self.users.remove(username);
                self.rules.retain(|rule| {
                    !(rule.kind == AclKind::Topic && rule.username.as_deref() == Some(username))
                });
            }
            Change::CreateRule { rule } => {
                match self.rules.iter_mut().find(|existing| {
                    existing.kind == rule.kind
                        && existing.username == rule.username
                        && existing.pattern == rule.pattern
                }) {
                    Some(existing) => {
                        existing.read = rule.read;
                        existing.write = rule.write;
                    }
                    None => self.rules.push(rule.clone()),
                }
            }
            Change::DeleteRules { username, topic } => {
                self.rules
                    .retain(|rule| !rule_matches(rule, username.as_deref(), topic));
            }
        }
    }

    /// Whether the user exists.
    pub fn has_user(&self, username: &str) -> bool {
        self.users.contains_key(username)
    }

    /// One page of users whose names start with `prefix`, by name.
    pub fn list_users(&self, prefix: &str, limit: u32, page: u32) -> Vec<User> {
        let skip = (page.saturating_sub(1) as usize).saturating_mul(limit as usize);
        self.users
            .keys()
            .filter(|name| name.starts_with(prefix))
            .skip(skip)
            .take(limit as usize)
            .map(|username| User {
                username: username.clone(),
            })
            .collect()
    }

    /// A user and its topic rules, if it exists.
    pub fn user_info(&self, username: &str) -> Option<UserInfo> {
        self.has_user(username).then(|| UserInfo {
            username: username.to_owned(),
            acls: self
                .rules
                .iter()
                .filter(|rule| {
                    rule.kind == AclKind::Topic && rule.username.as_deref() == Some(username)
                })
                .map(|rule| UserAcl {
                    topic: rule.pattern.clone(),
                    read: rule.read,
                    write: rule.write,
                })
                .collect(),
        })
    }

    /// Whether any rule matches a delete request.
    pub fn has_rule(&self, username: Option<&str>, topic: &str) -> bool {
        self.rules
            .iter()
            .any(|rule| rule_matches(rule, username, topic))
    }
}

/// Whether `rule` is one that `DELETE /acl` with this user and topic removes.
fn rule_matches(rule: &AclRule, username: Option<&str>, topic: &str) -> bool {
    rule.pattern == topic
        && match username {
            Some(name) => rule.kind == AclKind::Topic && rule.username.as_deref() == Some(name),
            None => rule.kind == AclKind::Pattern,
        }
}

/// The whole persisted state.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct State {
    /// The layout version.
    pub version: u32,
    /// What reads and the broker see.
    pub applied: Snapshot,
    /// Changes waiting for their time, in the order they were written.
    pub pending: Vec<Pending>,
}

/// Why a write was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// The user does not exist (or is being deleted).
    NoSuchUser(String),
    /// The user already exists (or is being created).
    UserExists(String),
    /// No rule matches a delete.
    NoSuchRule {
        /// The user named in the delete, if any.
        username: Option<String>,
        /// The topic named in the delete.
        topic: String,
    },
}

impl std::fmt::Display for Refusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::NoSuchUser(name) => write!(f, "user {name:?} not found"),
            Self::UserExists(name) => write!(f, "user {name:?} already exists"),
            Self::NoSuchRule {
                username: Some(name),
                topic,
            } => write!(f, "no topic rule {topic:?} for user {name:?}"),
            Self::NoSuchRule {
                username: None,
                topic,
            } => write!(f, "no pattern rule {topic:?}"),
        }
    }
}

impl State {
    /// The state once every pending change has applied.
    pub fn projected(&self) -> Snapshot {
        let mut snapshot = self.applied.clone();
        for pending in &self.pending {
            snapshot.apply(&pending.change);
        }
        snapshot
    }

    /// Applies every change that is due at `now`, in order; returns whether
    /// anything changed.
    pub fn apply_due(&mut self, now: SystemTime) -> bool {
        let now_ms = unix_ms(now);
        let due = self
            .pending
            .iter()
            .take_while(|pending| pending.due_unix_ms <= now_ms)
            .count();
        for pending in self.pending.drain(..due) {
            self.applied.apply(&pending.change);
        }
        due > 0
    }

    /// When the next pending change falls due.
    pub fn next_due(&self) -> Option<SystemTime> {
        self.pending
            .first()
            .map(|pending| UNIX_EPOCH + Duration::from_millis(pending.due_unix_ms))
    }

    /// Queues a change after checking it against the projected state.
    ///
    /// # Errors
    /// A [`Refusal`] when the change makes no sense once the queue applies.
    pub fn queue(&mut self, change: Change, due: SystemTime) -> Result<(), Refusal> {
        let projected = self.projected();
        match &change {
            Change::CreateUser { username, .. } => {
                if projected.has_user(username) {
                    return Err(Refusal::UserExists(username.clone()));
                }
            }
            Change::DeleteUser { username } => {
                if !projected.has_user(username) {
                    return Err(Refusal::NoSuchUser(username.clone()));
                }
            }
            Change::CreateRule { rule } => {
                if let Some(name) = &rule.username
                    && !projected.has_user(name)
                {
                    return Err(Refusal::NoSuchUser(name.clone()));
                }
            }
            Change::DeleteRules { username, topic } => {
                if let Some(name) = username
                    && !projected.has_user(name)
                {
                    return Err(Refusal::NoSuchUser(name.clone()));
                }
                if !projected.has_rule(username.as_deref(), topic) {
                    return Err(Refusal::NoSuchRule {
                        username: username.clone(),
                        topic: topic.clone(),
                    });
                }
            }
        }
        // Keep due times in order even if the delay shrank across a restart.
        let floor = self.pending.last().map_or(0, |last| last.due_unix_ms);
        self.pending.push(Pending {
            due_unix_ms: unix_ms(due).max(floor),
            change,
        });
        Ok(())
    }

    /// Sets a user's password at once; returns whether the applied state
    /// changed (so the broker must reload).
    ///
    /// # Errors
    /// [`Refusal::NoSuchUser`] when the user does not exist once the queue
    /// applies.
    pub fn set_password(&mut self, username: &str, password_hash: &str) -> Result<bool, Refusal> {
        if !self.projected().has_user(username) {
            return Err(Refusal::NoSuchUser(username.to_owned()));
        }
        for pending in &mut self.pending {
            if let Change::CreateUser {
                username: name,
                password_hash: hash,
            } = &mut pending.change
                && name == username
            {
                password_hash.clone_into(hash);
            }
        }
        Ok(match self.applied.users.get_mut(username) {
            Some(hash) => {
                password_hash.clone_into(hash);
                true
            }
            None => false,
        })
    }

    /// Removes every user, rule and pending change.
    pub fn reset(&mut self) {
        self.applied = Snapshot::default();
        self.pending.clear();
    }
}

/// Milliseconds since the Unix epoch (0 before it).
pub fn unix_ms(time: SystemTime) -> u64 {
    time.duration_since(UNIX_EPOCH).map_or(0, |since| {
        u64::try_from(since.as_millis()).unwrap_or(u64::MAX)
    })
}

/// The state and the file it lives in.
#[derive(Debug)]
pub struct Store {
    state: State,
    /// Counts the changes: one more for each update that changed the state.
    generation: u64,
    commits: Arc<GroupCommit>,
    /// The data directory's lock, held for as long as the store lives (the
    /// kernel releases it when the process ends, even on `kill -9`).
    _lock: File,
}

/// The file in a data directory that one emulator at a time locks.
pub const LOCK_FILE: &str = "lock";

/// The file that holds the state.
pub const STATE_FILE: &str = "state.json";

/// The file that marks a directory as an emulator's data directory.
pub const MARKER_FILE: &str = ".cloudmqtt-emulator";

/// What [`MARKER_FILE`] says to whoever finds it.
const MARKER_TEXT: &str =
    "This directory holds the state of a cloudmqtt-emulator and its broker's files.\n";

/// Makes `dir` an emulator's data directory, or refuses it: creates it
/// when it does not exist, takes it when it is empty, marked with
/// [`MARKER_FILE`], or holds an earlier version's [`STATE_FILE`], and marks
/// it when it is not yet (see the module documentation).
///
/// # Errors
/// [`io::ErrorKind::NotADirectory`] when `dir` is something else,
/// [`io::ErrorKind::DirectoryNotEmpty`] when it holds files but is not an
/// emulator's (both name the directory and say what to do), or the I/O
/// error met.
pub fn claim_data_dir(dir: &Path) -> io::Result<()> {
    match fs::metadata(dir) {
        Ok(meta) if !meta.is_dir() => {
            return Err(io::Error::new(
                io::ErrorKind::NotADirectory,
                format!(
                    "{} is not a directory; give a new or empty directory",
                    dir.display()
                ),
            ));
        }
        Ok(_) => {}
        Err(error) if error.kind() == io::ErrorKind::NotFound => fs::create_dir_all(dir)?,
        Err(error) => return Err(error),
    }
    if dir.join(MARKER_FILE).is_file() {
        return Ok(());
    }
    let first = fs::read_dir(dir)?.next().transpose()?;
    if let Some(entry) = first
        && !dir.join(STATE_FILE).is_file()
    {
        return Err(io::Error::new(
            io::ErrorKind::DirectoryNotEmpty,
            format!(
                "{} is not empty (it holds {:?}, among others) and is not an emulator's data directory (it has no {MARKER_FILE} file); the emulator would write its state and the broker's files among what is there. Give a new or empty directory, or one an emulator made",
                dir.display(),
                entry.file_name()
            ),
        ));
    }
    fs::write(dir.join(MARKER_FILE), MARKER_TEXT)
}

/// Takes the data directory's lock, so that no second emulator reads or
/// writes the same state: two writers would each save their own copy over
/// the other's and lose acknowledged writes. The lock file holds the
/// holder's process id, for the message a second emulator shows.
fn lock_data_dir(dir: &Path) -> io::Result<File> {
    let path = dir.join(LOCK_FILE);
    let mut file = OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(&path)?;
    match file.try_lock() {
        Ok(()) => {}
        Err(fs::TryLockError::WouldBlock) => {
            let holder = fs::read_to_string(&path).unwrap_or_default();
            let holder = holder.trim();
            let by = if holder.is_empty() {
                String::new()
            } else {
                format!(" (process {holder})")
            };
            return Err(io::Error::new(
                io::ErrorKind::WouldBlock,
                format!(
                    "{} is in use by another emulator{by}; stop it or choose another --data-dir",
                    dir.display()
                ),
            ));
        }
        Err(fs::TryLockError::Error(error)) => return Err(error),
    }
    file.set_len(0)?;
    writeln!(file, "{}", std::process::id())?;
    Ok(file)
}

impl Store {
    /// Opens the state file in `dir`, or starts empty when there is none;
    /// `dir` is claimed first ([`claim_data_dir`]), and created when it
    /// does not exist.
    ///
    /// # Errors
    /// When `dir` is not an emulator's data directory ([`claim_data_dir`]'s
    /// errors), when another emulator holds the directory's lock, or the
    /// file cannot be read or is not a state file: the emulator refuses to
    /// start rather than lose data.
    pub fn open(dir: &Path) -> io::Result<Self> {
        claim_data_dir(dir)?;
        let lock = lock_data_dir(dir)?;
        let path = dir.join(STATE_FILE);
        remove_leftover_temporaries(dir);
        let state = match fs::read(&path) {
            Ok(bytes) => {
                let state: State = serde_json::from_slice(&bytes).map_err(|error| {
                    io::Error::new(
                        io::ErrorKind::InvalidData,
                        format!("{} is not a valid state file: {error}", path.display()),
                    )
                })?;
                if state.version != FORMAT_VERSION {
                    return Err(io::Error::new(
                        io::ErrorKind::InvalidData,
                        format!(
                            "{} has layout version {}, this emulator reads {FORMAT_VERSION}",
                            path.display(),
                            state.version
                        ),
                    ));
                }
                state
            }
            Err(error) if error.kind() == io::ErrorKind::NotFound => State {
                version: FORMAT_VERSION,
                ..State::default()
            },
            Err(error) => return Err(error),
        };
        Ok(Self {
            state,
            generation: 0,
            commits: Arc::new(GroupCommit::new(path)),
            _lock: lock,
        })
    }

    /// The current state.
    pub fn state(&self) -> &State {
        &self.state
    }

    /// Runs `edit` on a copy of the state and, if it succeeds and changed
    /// anything, makes the copy current and counts a new generation. The
    /// change is in memory only: it is saved by the next write of
    /// [`GroupCommit::wait_durable`] (or [`Store::save`]), which whoever
    /// acknowledges it waits for.
    ///
    /// # Errors
    /// `edit`'s error; the state is then left as it was.
    pub fn update<T, E>(&mut self, edit: impl FnOnce(&mut State) -> Result<T, E>) -> Result<T, E> {
        let mut next = self.state.clone();
        let value = edit(&mut next)?;
        if next != self.state {
            self.state = next;
            self.generation += 1;
        }
        Ok(value)
    }

    /// The generation of the current state: a change is durable once a
    /// write of this generation (or a later one) is.
    #[must_use]
    pub fn generation(&self) -> u64 {
        self.generation
    }

    /// The current state as the state file holds it, with its generation.
    ///
    /// # Errors
    /// When the state cannot be encoded.
    pub fn image(&self) -> io::Result<Image> {
        Ok(Image {
            generation: self.generation,
            bytes: serde_json::to_vec_pretty(&self.state).map_err(io::Error::other)?,
        })
    }

    /// The gate through which the state's writes go, to wait on without
    /// holding the store.
    #[must_use]
    pub fn commits(&self) -> Arc<GroupCommit> {
        Arc::clone(&self.commits)
    }

    /// Saves the current state now, unless it is saved already.
    ///
    /// # Errors
    /// The write's.
    pub fn save(&self) -> io::Result<()> {
        self.commits.wait_durable(self.generation, || self.image())
    }
}

impl Drop for Store {
    fn drop(&mut self) {
        // What was changed but never waited for (changes applied by the
        // applier just before a stop) is saved on the way out.
        if let Err(error) = self.save() {
            log!("cloudmqtt-emulator: could not save the state: {error}");
        }
    }
}

/// The state's bytes at one generation: what one write saves.
#[derive(Debug, Clone)]
pub struct Image {
    /// The generation the bytes hold.
    pub generation: u64,
    /// The state file's content.
    pub bytes: Vec<u8>,
}

/// Group commit for the state file: one write at a time, and every change
/// made while a write runs saved by the next one, whose durability all of
/// their requests wait for.
#[derive(Debug)]
pub struct GroupCommit {
    path: PathBuf,
    progress: Mutex<Progress>,
    written: Condvar,
}

#[derive(Debug, Default)]
struct Progress {
    /// The last generation known to be on disk.
    durable: u64,
    /// Whether a write is running.
    writing: bool,
    /// The writes made so far, for the benchmark.
    stats: WriteStats,
}

/// How many times the state file was written, and the time it took.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct WriteStats {
    /// Writes (each a temporary file, `fsync`, `rename`, `fsync` of the
    /// directory).
    pub writes: u64,
    /// The time spent writing.
    pub time: Duration,
}

impl GroupCommit {
    fn new(path: PathBuf) -> Self {
        Self {
            path,
            progress: Mutex::new(Progress::default()),
            written: Condvar::new(),
        }
    }

    /// Returns once generation `generation` is durable. When no write is
    /// running, this thread writes [`Image`]s from `image` (the current
    /// state, taken under the caller's lock) until `generation` is on disk;
    /// otherwise it waits for the running write, then checks again.
    ///
    /// # Errors
    /// The write's error (a waiter then takes its turn at writing).
    pub fn wait_durable(
        &self,
        generation: u64,
        mut image: impl FnMut() -> io::Result<Image>,
    ) -> io::Result<()> {
        let mut progress = self.lock();
        loop {
            if progress.durable >= generation {
                return Ok(());
            }
            if progress.writing {
                progress = self
                    .written
                    .wait(progress)
                    .unwrap_or_else(PoisonError::into_inner);
                continue;
            }
            progress.writing = true;
            drop(progress);
            let started = std::time::Instant::now();
            let result = image().and_then(|image| {
                write_atomically(&self.path, &image.bytes)?;
                Ok(image.generation)
            });
            progress = self.lock();
            progress.writing = false;
            self.written.notify_all();
            let written = result?;
            progress.stats.writes += 1;
            progress.stats.time += started.elapsed();
            progress.durable = progress.durable.max(written);
        }
    }

    /// The writes made so far.
    #[must_use]
    pub fn stats(&self) -> WriteStats {
        self.lock().stats
    }

    fn lock(&self) -> MutexGuard<'_, Progress> {
        self.progress.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// Replaces `path` with `bytes` so that a crash leaves the old or the new
/// content, never a mix: temporary file, `fsync`, `rename`, `fsync` of the
/// directory.
///
/// # Errors
/// Any I/O error; the temporary file is removed when the write fails.
pub fn write_atomically(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let dir = path.parent().unwrap_or(Path::new("."));
    let name = path
        .file_name()
        .map(|name| name.to_string_lossy().into_owned())
        .unwrap_or_default();
    let temp = dir.join(format!(".{name}.{}.tmp", std::process::id()));
    let result = (|| {
        let mut file = open_private(&temp)?;
        file.write_all(bytes)?;
        file.sync_all()?;
        drop(file);
        fs::rename(&temp, path)?;
        File::open(dir)?.sync_all()
    })();
    if result.is_err() {
        let _ = fs::remove_file(&temp);
    }
    result
}

/// Removes temporary files that a write interrupted by a kill left behind
/// (they never hold acknowledged state: the rename is the commit).
fn remove_leftover_temporaries(dir: &Path) {
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let name = name.to_string_lossy();
        if name.starts_with(".state.json.") && name.ends_with(".tmp") {
            let _ = fs::remove_file(entry.path());
        }
    }
}

/// Creates (or truncates) a file only its owner can read.
fn open_private(path: &Path) -> io::Result<File> {
    use std::os::unix::fs::OpenOptionsExt as _;
    OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(ms: u64) -> SystemTime {
        UNIX_EPOCH + Duration::from_millis(ms)
    }

    fn create(name: &str) -> Change {
        Change::CreateUser {
            username: name.into(),
            password_hash: format!("hash-{name}"),
        }
    }

    fn topic_rule(user: &str, pattern: &str, read: bool, write: bool) -> AclRule {
        AclRule {
            kind: AclKind::Topic,
            pattern: pattern.into(),
            read,
            write,
            username: Some(user.into()),
        }
    }

    #[test]
    fn changes_become_visible_when_due_and_in_order() {
        let mut state = State::default();
        state.queue(create("alice"), at(100)).unwrap();
        state
            .queue(
                Change::DeleteUser {
                    username: "alice".into(),
                },
                at(50),
            )
            .unwrap();
        // The delete was queued after the create, so it waits for it.
        assert_eq!(state.pending[1].due_unix_ms, 100);
        assert!(!state.apply_due(at(99)));
        assert!(state.applied.users.is_empty());
        assert_eq!(state.next_due(), Some(at(100)));
        assert!(state.apply_due(at(100)));
        assert!(state.applied.users.is_empty());
        assert!(state.pending.is_empty());
        assert_eq!(state.next_due(), None);
    }

    #[test]
    fn writes_are_checked_against_the_projected_state() {
        let mut state = State::default();
        state.queue(create("bob"), at(10)).unwrap();
        assert_eq!(
            state.queue(create("bob"), at(10)),
            Err(Refusal::UserExists("bob".into()))
        );
        // A rule for a user still being created is fine.
        state
            .queue(
                Change::CreateRule {
                    rule: topic_rule("bob", "a/#", true, false),
                },
                at(10),
            )
            .unwrap();
        assert_eq!(
            state.queue(
                Change::CreateRule {
                    rule: topic_rule("carol", "a", true, true)
                },
                at(10)
            ),
            Err(Refusal::NoSuchUser("carol".into()))
        );
        assert_eq!(
            state.queue(
                Change::DeleteRules {
                    username: Some("bob".into()),
                    topic: "b".into()
                },
                at(10)
            ),
            Err(Refusal::NoSuchRule {
                username: Some("bob".into()),
                topic: "b".into()
            })
        );
        assert_eq!(
            state.queue(
                Change::DeleteUser {
                    username: "zed".into()
                },
                at(10)
            ),
            Err(Refusal::NoSuchUser("zed".into()))
        );
        state.apply_due(at(10));
        let info = state.applied.user_info("bob").unwrap();
        assert_eq!(info.acls.len(), 1);
        assert_eq!(info.acls[0].topic, "a/#");
    }

    #[test]
    fn deleting_a_user_removes_its_topic_rules_only() {
        let mut snapshot = Snapshot::default();
        snapshot.apply(&create("u"));
        snapshot.apply(&Change::CreateRule {
            rule: topic_rule("u", "t", true, true),
        });
        let pattern = AclRule {
            kind: AclKind::Pattern,
            pattern: "p/%u".into(),
            read: true,
            write: false,
            username: None,
        };
        snapshot.apply(&Change::CreateRule {
            rule: pattern.clone(),
        });
        snapshot.apply(&Change::DeleteUser {
            username: "u".into(),
        });
        assert_eq!(snapshot.rules, vec![pattern]);
    }

    #[test]
    fn creating_the_same_rule_replaces_its_flags() {
        let mut snapshot = Snapshot::default();
        snapshot.apply(&create("u"));
        snapshot.apply(&Change::CreateRule {
            rule: topic_rule("u", "t", true, true),
        });
        snapshot.apply(&Change::CreateRule {
            rule: topic_rule("u", "t", false, true),
        });
        assert_eq!(snapshot.rules, vec![topic_rule("u", "t", false, true)]);
        assert!(snapshot.has_rule(Some("u"), "t"));
        assert!(!snapshot.has_rule(None, "t"));
        snapshot.apply(&Change::DeleteRules {
            username: Some("u".into()),
            topic: "t".into(),
        });
        assert!(snapshot.rules.is_empty());
    }

    #[test]
    fn pages_and_prefixes() {
        let mut snapshot = Snapshot::default();
        for name in ["bob", "alice", "al", "carol", "alfred"] {
            snapshot.apply(&create(name));
        }
        let names = |users: Vec<User>| -> Vec<String> {
            users.into_iter().map(|user| user.username).collect()
        };
        assert_eq!(
            names(snapshot.list_users("", 1000, 1)),
            ["al", "alfred", "alice", "bob", "carol"]
        );
        assert_eq!(names(snapshot.list_users("al", 2, 1)), ["al", "alfred"]);
        assert_eq!(names(snapshot.list_users("al", 2, 2)), ["alice"]);
        assert!(snapshot.list_users("al", 2, 3).is_empty());
        assert!(snapshot.list_users("", 1000, u32::MAX).is_empty());
        assert!(snapshot.list_users("x", 10, 1).is_empty());
    }

    #[test]
    fn passwords_change_at_once_and_in_queued_creates() {
        let mut state = State::default();
        state.applied.apply(&create("a"));
        state.queue(create("b"), at(10)).unwrap();
        assert_eq!(state.set_password("a", "new-a"), Ok(true));
        assert_eq!(state.set_password("b", "new-b"), Ok(false));
        assert_eq!(
            state.set_password("c", "x"),
            Err(Refusal::NoSuchUser("c".into()))
        );
        state.apply_due(at(10));
        assert_eq!(state.applied.users["a"], "new-a");
        assert_eq!(state.applied.users["b"], "new-b");
    }

    #[test]
    fn the_store_survives_reopening_and_keeps_old_state_on_refused_edits() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::open(dir.path()).unwrap();
        store
            .update(|state| {
                state
                    .queue(create("x"), at(5))
                    .map_err(|_| io::Error::other("refused"))
            })
            .unwrap();
        let refused: io::Result<()> = store.update(|state| {
            state.reset();
            Err(io::Error::other("refused"))
        });
        assert!(refused.is_err());
        assert_eq!(store.state().pending.len(), 1);
        let saved = store.state().clone();
        drop(store);
        let reopened = Store::open(dir.path()).unwrap();
        assert_eq!(reopened.state(), &saved);
        // Only the marker, the lock and the state file are left: no
        // temporary files.
        let mut names: Vec<_> = fs::read_dir(dir.path())
            .unwrap()
            .map(|entry| entry.unwrap().file_name())
            .collect();
        names.sort();
        assert_eq!(names, [MARKER_FILE, LOCK_FILE, STATE_FILE]);
    }

    #[test]
    fn a_change_is_on_disk_once_its_generation_is_durable() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::open(dir.path()).unwrap();
        let commits = store.commits();
        let saved = || -> State {
            serde_json::from_slice(&fs::read(dir.path().join(STATE_FILE)).unwrap()).unwrap()
        };
        for name in ["a", "b"] {
            store
                .update(|state| {
                    state.applied.apply(&create(name));
                    Ok::<_, io::Error>(())
                })
                .unwrap();
        }
        assert_eq!(store.generation(), 2);
        // Nothing written yet: both changes share the first write.
        assert_eq!(commits.stats().writes, 0);
        commits.wait_durable(1, || store.image()).unwrap();
        assert_eq!(commits.stats().writes, 1);
        assert!(saved().applied.has_user("a") && saved().applied.has_user("b"));
        // Durable already: no second write for either generation.
        commits.wait_durable(2, || store.image()).unwrap();
        store.save().unwrap();
        assert_eq!(commits.stats().writes, 1);
        // An edit that changes nothing counts no generation.
        store.update(|_| Ok::<_, io::Error>(())).unwrap();
        assert_eq!(store.generation(), 2);
        // A failed write is an error, and the next waiter writes again.
        let failed = commits.wait_durable(3, || Err(io::Error::other("disk full")));
        assert_eq!(failed.unwrap_err().to_string(), "disk full");
        store
            .update(|state| {
                state.applied.apply(&create("c"));
                Ok::<_, io::Error>(())
            })
            .unwrap();
        store.save().unwrap();
        assert!(saved().applied.has_user("c"));
        assert_eq!(commits.stats().writes, 2);
    }

    #[test]
    fn one_store_at_a_time_per_directory() {
        let dir = tempfile::tempdir().unwrap();
        let first = Store::open(dir.path()).unwrap();
        let second = Store::open(dir.path()).unwrap_err();
        assert_eq!(second.kind(), io::ErrorKind::WouldBlock);
        let message = second.to_string();
        assert!(
            message.contains("is in use by another emulator")
                && message.contains(&format!("(process {})", std::process::id()))
                && message.contains("choose another --data-dir"),
            "{message}"
        );
        drop(first);
        Store::open(dir.path()).unwrap();
    }

    #[test]
    fn leftover_temporary_files_are_ignored_and_removed() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::open(dir.path()).unwrap();
        store
            .update(|state| {
                state.applied.apply(&create("kept"));
                Ok::<_, io::Error>(())
            })
            .unwrap();
        drop(store);
        fs::write(dir.path().join(".state.json.999.tmp"), b"{\"torn").unwrap();
        let reopened = Store::open(dir.path()).unwrap();
        assert!(reopened.state().applied.has_user("kept"));
        assert!(!dir.path().join(".state.json.999.tmp").exists());
    }

    #[test]
    fn a_corrupt_state_file_is_an_error_not_an_empty_state() {
        let dir = tempfile::tempdir().unwrap();
        fs::write(dir.path().join("state.json"), b"{\"version\":1,").unwrap();
        assert_eq!(
            Store::open(dir.path()).unwrap_err().kind(),
            io::ErrorKind::InvalidData
        );
    }

    #[test]
    fn only_new_empty_or_emulator_directories_are_taken() {
        let scratch = tempfile::tempdir().unwrap();
        // New and empty directories are taken and marked.
        let new = scratch.path().join("new/data");
        drop(Store::open(&new).unwrap());
        assert!(new.join(MARKER_FILE).is_file());
        let empty = scratch.path().join("empty");
        fs::create_dir(&empty).unwrap();
        drop(Store::open(&empty).unwrap());
        assert!(empty.join(MARKER_FILE).is_file());
        // A marked directory is taken whatever else it holds.
        fs::write(empty.join("mosquitto.log"), b"").unwrap();
        drop(Store::open(&empty).unwrap());
        // Anything else is refused, and left as it was.
        let other = scratch.path().join("other");
        fs::create_dir(&other).unwrap();
        fs::write(other.join("passwd"), b"root:x:0:0::/root:/bin/sh\n").unwrap();
        let error = Store::open(&other).unwrap_err();
        assert_eq!(error.kind(), io::ErrorKind::DirectoryNotEmpty);
        let message = error.to_string();
        assert!(
            message.starts_with(&format!("{} is not empty", other.display()))
                && message.contains("\"passwd\"")
                && message.contains("Give a new or empty directory"),
            "{message}"
        );
        let names: Vec<_> = fs::read_dir(&other)
            .unwrap()
            .map(|entry| entry.unwrap().file_name())
            .collect();
        assert_eq!(names, ["passwd"]);
        let file = other.join("passwd");
        let error = Store::open(&file).unwrap_err();
        assert_eq!(error.kind(), io::ErrorKind::NotADirectory);
        assert!(error.to_string().contains("is not a directory"), "{error}");
    }

    #[test]
    fn a_directory_with_an_earlier_versions_state_counts_as_marked() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::open(dir.path()).unwrap();
        store
            .update(|state| {
                state.applied.apply(&create("kept"));
                Ok::<_, io::Error>(())
            })
            .unwrap();
        drop(store);
        // As an earlier version left it: no marker.
        fs::remove_file(dir.path().join(MARKER_FILE)).unwrap();
        let reopened = Store::open(dir.path()).unwrap();
        assert!(reopened.state().applied.has_user("kept"));
        assert!(dir.path().join(MARKER_FILE).is_file());
    }
}
