//! The access files of `plan` and `apply`: `-f` given once or more, each a
//! file or a folder of them (its `*.toml` and `*.json` files, in name
//! order), read by the core's reader and merged: their users, rules and
//! scopes together, a user or rule defined twice an error naming both
//! places.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use cloudmqtt_api::desired::{self, AccessFile, FileError, PasswordSource, Position, Problem};
use cloudmqtt_api::{Ownership, SavedFile, Secret, saved};

use crate::failure::Failure;

/// One access file, read.
pub struct Input {
    /// Where it is.
    pub path: PathBuf,
    /// Its name in messages.
    pub shown: String,
    /// `sha256:` of its bytes.
    pub fingerprint: String,
    /// What it says.
    pub file: AccessFile,
    /// Its problems so far.
    pub problems: Vec<Problem>,
}

/// The files of one `plan` or `apply`.
pub struct Inputs {
    /// Each file, in the order given (a folder's in name order).
    pub files: Vec<Input>,
}

/// The files `paths` name: each file, and each folder's `*.toml` and
/// `*.json` files in name order.
fn expand(paths: &[PathBuf]) -> Result<Vec<PathBuf>, Failure> {
    if paths.is_empty() {
        return Err(Failure::Usage(
            "no access file: give -f FILE (or a folder), or a saved plan to apply".to_owned(),
        ));
    }
    let mut files = Vec::new();
    for path in paths {
        if !path.is_dir() {
            files.push(path.clone());
            continue;
        }
        let entries = std::fs::read_dir(path)
            .map_err(|error| Failure::Usage(format!("cannot read {}: {error}", path.display())))?;
        let mut found: Vec<PathBuf> = entries
            .filter_map(|entry| entry.ok().map(|entry| entry.path()))
            .filter(|file| {
                file.is_file()
                    && matches!(
                        file.extension().and_then(|ext| ext.to_str()),
                        Some("toml" | "json")
                    )
            })
            .collect();
        if found.is_empty() {
            return Err(Failure::Usage(format!(
                "{}: no .toml or .json access files in this folder",
                path.display()
            )));
        }
        found.sort();
        files.extend(found);
    }
    Ok(files)
}

/// `a.toml:3:1`.
fn place(shown: &str, at: Position) -> String {
    format!("{shown}:{}:{}", at.line, at.column)
}

impl Inputs {
    /// Reads every file `paths` names, with each file's problems and the
    /// users and rules defined in two files (reported at the second).
    ///
    /// # Errors
    /// A file or folder that cannot be read.
    pub fn read(paths: &[PathBuf]) -> Result<Self, Failure> {
        let mut files = Vec::new();
        for path in expand(paths)? {
            let shown = path.display().to_string();
            let bytes = std::fs::read(&path)
                .map_err(|error| Failure::Usage(format!("cannot read {shown}: {error}")))?;
            let text = String::from_utf8_lossy(&bytes);
            let (file, problems) = desired::read(&shown, &text);
            files.push(Input {
                path,
                fingerprint: saved::fingerprint(&bytes),
                shown,
                file,
                problems,
            });
        }
        let mut inputs = Self { files };
        inputs.twice();
        Ok(inputs)
    }

    /// A user or rule a later file defines again.
    fn twice(&mut self) {
        // Where each is first defined, and in which file (a rule twice in
        // one file is the reader's to report).
        let mut users: BTreeMap<String, (usize, String)> = BTreeMap::new();
        let mut rules: BTreeMap<String, (usize, String)> = BTreeMap::new();
        for (index, input) in self.files.iter_mut().enumerate() {
            for user in &input.file.users {
                let here = (index, place(&input.shown, user.at));
                if let Some((_, first)) = users.get(&user.username) {
                    input.problems.push(Problem::new(
                        user.at,
                        format!("user {:?} is also defined at {first}", user.username),
                    ));
                } else {
                    users.insert(user.username.clone(), here);
                }
            }
            for rule in &input.file.rules {
                let key = cloudmqtt_api::identity_text(&rule.rule);
                let here = (index, place(&input.shown, rule.at));
                if let Some((file, first)) = rules.get(&key) {
                    if *file == index {
                        continue;
                    }
                    input.problems.push(Problem::new(
                        rule.at,
                        format!("{key} is also defined at {first}"),
                    ));
                } else {
                    rules.insert(key, here);
                }
            }
        }
    }

    /// Every problem so far, one `FILE:LINE:COLUMN: reason` line each, or
    /// `None` when there is none.
    pub fn error(&self) -> Option<FileError> {
        let mut lines = Vec::new();
        let mut named = Vec::new();
        for input in &self.files {
            if !input.problems.is_empty() {
                lines.extend(FileError::new(&input.shown, input.problems.clone()).lines);
                named.push(input.shown.as_str());
            }
        }
        let file = match named.as_slice() {
            [] => return None,
            [one] => (*one).to_owned(),
            _ => "the access files".to_owned(),
        };
        Some(FileError { file, lines })
    }

    /// What the files own together.
    pub fn ownership(&self) -> Ownership {
        Ownership::of(self.files.iter().map(|input| input.file.scope.as_ref()))
    }

    /// Every user the files define.
    pub fn users(&self) -> BTreeSet<&str> {
        self.files
            .iter()
            .flat_map(|input| input.file.users.iter().map(|user| user.username.as_str()))
            .collect()
    }

    /// Each user's `password_version`, where the file gives one.
    pub fn versions(&self) -> BTreeMap<String, u64> {
        self.files
            .iter()
            .flat_map(|input| &input.file.users)
            .filter_map(|user| Some((user.username.clone(), user.password_version?)))
            .collect()
    }

    /// The files as a saved plan names them.
    pub fn saved_files(&self) -> Vec<SavedFile> {
        self.files
            .iter()
            .map(|input| SavedFile {
                name: input.shown.clone(),
                fingerprint: input.fingerprint.clone(),
            })
            .collect()
    }

    /// The password source of `user`, with a `password_file` relative to
    /// the directory it is opened from (the access file's).
    pub fn source(&self, user: &str) -> Option<PasswordSource> {
        self.files.iter().find_map(|input| {
            let found = input.file.users.iter().find(|u| u.username == user)?;
            Some(match &found.password {
                PasswordSource::File(path) => {
                    PasswordSource::File(base(&input.path).join(path).display().to_string())
                }
                other => other.clone(),
            })
        })
    }

    /// The desired state, with the passwords of the users `needed` names
    /// looked up by `lookup` (a `password_file` relative to its access
    /// file's directory); each file's problems of those lookups are added
    /// to its problems, and returned as `FILE:LINE:COLUMN: reason` lines.
    pub fn resolve(
        &mut self,
        needed: impl Fn(&str) -> bool,
        mut lookup: impl FnMut(&Path, &PasswordSource) -> Result<Secret, String>,
    ) -> (cloudmqtt_api::DesiredAccess, Vec<String>) {
        let mut desired = cloudmqtt_api::DesiredAccess::default();
        let mut missing = Vec::new();
        for input in &mut self.files {
            let dir = base(&input.path).to_path_buf();
            let (part, problems) = input
                .file
                .resolve_some(&needed, |source| lookup(&dir, source));
            missing.extend(FileError::new(&input.shown, problems.clone()).lines);
            input.problems.extend(problems);
            desired.users.extend(part.users);
            desired.rules.extend(part.rules);
        }
        (desired, missing)
    }
}

/// The directory a file's relative paths start from.
pub fn base(path: &Path) -> &Path {
    path.parent()
        .filter(|dir| !dir.as_os_str().is_empty())
        .unwrap_or(Path::new("."))
}
