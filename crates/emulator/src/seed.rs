//! `--from FILE`: starting with the users and rules of an access file.
//!
//! The file is read and checked by the core (`cloudmqtt_api::desired`,
//! the very reader `cloudmqtt plan` and `apply` use); passwords come from
//! the same sources (an environment variable, or a file relative to the
//! access file's directory). The users and rules apply at once, before the
//! broker starts, replacing the password and rights of any that exist.

use std::collections::BTreeSet;
use std::path::Path;

use cloudmqtt_api::desired::{self, PasswordSource};
use cloudmqtt_api::{AclRule, Secret};

use crate::mosquitto;
use crate::store::Change;

/// The changes that bring in the file's users and rules, users first.
/// `existing` names the users the emulator already has (a topic rule's
/// user must be in the file or among them).
///
/// # Errors
/// Every problem of the file, one `FILE:LINE:COLUMN: ` line each, or why
/// it could not be read.
pub fn changes_from(path: &Path, existing: &BTreeSet<String>) -> Result<Vec<Change>, String> {
    let shown = path.display().to_string();
    let text =
        std::fs::read_to_string(path).map_err(|error| format!("cannot read {shown}: {error}"))?;
    let file = desired::parse(&shown, &text).map_err(|error| error.to_string())?;
    file.check_users(existing, false)
        .map_err(|error| error.to_string())?;
    let base = path.parent().unwrap_or(Path::new("."));
    let desired = file
        .resolve(|source| lookup(base, source))
        .map_err(|error| error.to_string())?;
    let mut changes = Vec::new();
    for (username, password) in &desired.users {
        let Some(password) = password else {
            continue;
        };
        let password_hash = mosquitto::hash_new_password(password.expose())
            .map_err(|error| format!("no randomness for a password salt: {error}"))?;
        changes.push(Change::CreateUser {
            username: username.clone(),
            password_hash,
        });
    }
    for rule in &desired.rules {
        let (read, write) = rule.access();
        changes.push(Change::CreateRule {
            rule: AclRule {
                kind: rule.kind(),
                pattern: rule.pattern().to_owned(),
                read,
                write,
                username: rule.username().map(str::to_owned),
            },
        });
    }
    Ok(changes)
}

/// A password from its source, read by the core's one rule
/// ([`desired::password_from`]).
fn lookup(base: &Path, source: &PasswordSource) -> Result<Secret, String> {
    let value = match source {
        PasswordSource::Env(name) => std::env::var_os(name)
            .map(|value| value.into_encoded_bytes())
            .ok_or_else(|| "is not set".to_owned()),
        PasswordSource::File(path) => std::fs::read(base.join(path))
            .map_err(|error| format!("cannot be read: {}", error.kind())),
    };
    desired::password_from(source, value)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn users_then_rules_with_passwords_from_their_sources() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("pw"), "from-file\n").unwrap();
        let path = dir.path().join("access.toml");
        std::fs::write(
            &path,
            "[users.a]\npassword_file = \"pw\"\n\n[[rules]]\ntype = \"topic\"\nusername = \"a\"\npattern = \"t/#\"\nread = true\n",
        )
        .unwrap();
        let none = BTreeSet::new();
        let changes = changes_from(&path, &none).unwrap();
        assert_eq!(changes.len(), 2);
        match &changes[0] {
            Change::CreateUser {
                username,
                password_hash,
            } => {
                assert_eq!(username, "a");
                assert!(mosquitto::verify_password("from-file", password_hash));
            }
            other => panic!("{other:?}"),
        }
        assert!(matches!(&changes[1], Change::CreateRule { rule } if rule.read && !rule.write));
        std::fs::write(
            &path,
            "[users.a]\npassword_env = \"CLOUDMQTT_EMULATOR_UNSET_X\"\n",
        )
        .unwrap();
        let error = changes_from(&path, &none).unwrap_err();
        assert!(
            error.ends_with("access.toml:2:16: user \"a\": environment variable CLOUDMQTT_EMULATOR_UNSET_X: is not set"),
            "{error}"
        );
        std::fs::write(
            &path,
            "[[rules]]\ntype = \"topic\"\nusername = \"nobody\"\npattern = \"t\"\n",
        )
        .unwrap();
        let error = changes_from(&path, &none).unwrap_err();
        assert!(
            error.contains("access.toml:1:1: user \"nobody\""),
            "{error}"
        );
        let existing: BTreeSet<String> = ["nobody".to_owned()].into();
        assert_eq!(changes_from(&path, &existing).unwrap().len(), 1);
    }
}
