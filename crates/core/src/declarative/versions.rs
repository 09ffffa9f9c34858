//! Password versions: rotating passwords on purpose, one user at a time.
//!
//! An access file gives a user `password_version = N`. The server cannot
//! tell which password a user has, so an apply records the version it set
//! ([`PasswordVersions`], kept in a small state file by the caller); the
//! next plan sets the password of each user whose version differs from
//! the one recorded ([`VersionCheck`]), and of no other. A user with no
//! record is "unknown": the plan says so and does not guess.

use std::collections::BTreeMap;

use crate::declarative::plan::{AccessChange, AccessPlan, ServerAccess};
use crate::error::Error;
use crate::wire::json::{self, Json};
use crate::wire::text::{push_decimal, push_json_string};

/// The `format_version` of the state this build writes and reads.
pub const STATE_FORMAT_VERSION: u64 = 1;

/// The password versions applied, by user: what the state file holds.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PasswordVersions {
    /// The version last set, by user.
    pub applied: BTreeMap<String, u64>,
}

fn bad_state(why: &str) -> Error {
    Error::invalid("state", why.to_owned())
}

impl PasswordVersions {
    /// `{"format_version": 1, "password_versions": {"user": 2}}`, one user
    /// per line.
    pub fn to_json(&self) -> String {
        let mut out = String::from("{\n  \"format_version\": ");
        push_decimal(&mut out, STATE_FORMAT_VERSION);
        out.push_str(",\n  \"password_versions\": {");
        for (index, (user, version)) in self.applied.iter().enumerate() {
            out.push_str(if index == 0 { "\n    " } else { ",\n    " });
            push_json_string(&mut out, user);
            out.push_str(": ");
            push_decimal(&mut out, *version);
        }
        out.push_str(if self.applied.is_empty() {
            "}"
        } else {
            "\n  }"
        });
        out.push_str("\n}\n");
        out
    }

    /// Reads what [`to_json`](Self::to_json) writes.
    ///
    /// # Errors
    /// [`Error::InvalidInput`] naming `state` and what is wrong.
    pub fn from_json(text: &str) -> Result<Self, Error> {
        let root = json::parse(text.as_bytes()).map_err(|error| bad_state(&error.describe()))?;
        match root.get("format_version") {
            Some(Json::Number(version)) if version.as_ref() == "1" => {}
            _ => return Err(bad_state("format_version must be 1")),
        }
        let Some(Json::Object(members)) = root.get("password_versions") else {
            return Err(bad_state("password_versions must be an object"));
        };
        let mut applied = BTreeMap::new();
        for (user, version) in members {
            let Json::Number(number) = version else {
                return Err(bad_state("each password version must be a whole number"));
            };
            let number = number
                .parse()
                .map_err(|_| bad_state("each password version must be a whole number"))?;
            applied.insert(user.to_string(), number);
        }
        Ok(Self { applied })
    }

    /// Records what an apply made: the version of each user created or
    /// whose password was set (`wanted`, from the file), and forgets users
    /// deleted.
    pub fn record<'a>(
        &mut self,
        done: impl IntoIterator<Item = &'a AccessChange>,
        wanted: &BTreeMap<String, u64>,
    ) {
        // The last change to each user decides its version (`None`:
        // forgotten); the map is rebuilt rather than edited in place.
        let mut last: Vec<(&str, Option<u64>)> = Vec::new();
        for change in done {
            let (user, version) = match change {
                AccessChange::CreateUser { username } | AccessChange::SetPassword { username } => {
                    (username.as_str(), wanted.get(username.as_str()).copied())
                }
                AccessChange::DeleteUser { username } => (username.as_str(), None),
                _ => continue,
            };
            match last.binary_search_by(|(name, _)| (*name).cmp(user)) {
                Ok(at) => last[at].1 = version,
                Err(at) => last.insert(at, (user, version)),
            }
        }
        let touched = |user: &str| last.binary_search_by(|(name, _)| (*name).cmp(user)).is_ok();
        let mut applied = BTreeMap::new();
        for (user, version) in &self.applied {
            if !touched(user) {
                applied.insert(user.clone(), *version);
            }
        }
        for (user, version) in &last {
            if let Some(version) = version {
                applied.insert((*user).to_owned(), *version);
            }
        }
        self.applied = applied;
    }
}

/// What the versions of the file say against those recorded.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct VersionCheck {
    /// Existing users whose version differs from the one recorded: their
    /// passwords are set.
    pub bumped: Vec<String>,
    /// Existing users with a version in the file and none recorded, with
    /// that version.
    pub unknown: Vec<(String, u64)>,
}

impl VersionCheck {
    /// Compares the file's versions (`wanted`) with `recorded`, for the
    /// users on `server` (a user to be created gets its password anyway).
    pub fn new(
        wanted: &BTreeMap<String, u64>,
        recorded: &PasswordVersions,
        server: &ServerAccess,
    ) -> Self {
        let mut check = Self::default();
        for (user, version) in wanted {
            if !server.users.contains(user) {
                continue;
            }
            match recorded.applied.get(user.as_str()) {
                Some(applied) if applied == version => {}
                Some(_) => check.bumped.push(user.clone()),
                None => check.unknown.push((user.clone(), *version)),
            }
        }
        check
    }

    /// Whether the plan sets `user`'s password because its version was
    /// bumped.
    pub fn is_bumped(&self, user: &str) -> bool {
        self.bumped.iter().any(|name| name == user)
    }

    /// The plan's lines about versions it cannot know, one per user.
    pub fn notes(&self) -> Vec<String> {
        let mut notes = Vec::with_capacity(self.unknown.len());
        for (user, version) in &self.unknown {
            let mut note = String::from("password version of user ");
            note.push_str(user);
            note.push_str(" is unknown (none recorded), so its password is not set; to set it and record version ");
            push_decimal(&mut note, *version);
            note.push_str(": --set-passwords --target user:");
            note.push_str(user);
            notes.push(note);
        }
        notes
    }
}

impl AccessPlan {
    /// Adds a password set for each user of `users` the plan neither
    /// creates nor already sets, after the users created (where apply sets
    /// passwords).
    pub fn set_passwords_of(&mut self, users: &[String]) {
        let at = self
            .changes
            .iter()
            .take_while(|change| {
                matches!(
                    change,
                    AccessChange::CreateUser { .. } | AccessChange::SetPassword { .. }
                )
            })
            .count();
        let mut added = Vec::new();
        for user in users {
            if !self.password_users().any(|sent| sent == user) {
                added.push(AccessChange::set_password(user));
            }
        }
        let mut rest = self.changes.split_off(at);
        self.changes.append(&mut added);
        self.changes.append(&mut rest);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_bumped_versions_set_passwords_and_unknown_ones_are_said() {
        let server = ServerAccess {
            users: ["a", "b", "c", "d"].map(str::to_owned).into(),
            rules: vec![],
        };
        let wanted: BTreeMap<String, u64> = [("a", 1), ("b", 2), ("c", 1), ("new", 1)]
            .map(|(u, v)| (u.to_owned(), v))
            .into();
        let recorded = PasswordVersions {
            applied: [("a", 1), ("b", 1)].map(|(u, v)| (u.to_owned(), v)).into(),
        };
        let check = VersionCheck::new(&wanted, &recorded, &server);
        assert_eq!(check.bumped, ["b"]);
        assert_eq!(check.unknown, [("c".to_owned(), 1)]);
        assert!(check.notes()[0].starts_with("password version of user c is unknown"));

        let mut plan = AccessPlan {
            changes: vec![
                AccessChange::create_user("new"),
                AccessChange::delete_user("d"),
            ],
        };
        plan.set_passwords_of(&check.bumped);
        let texts: Vec<String> = plan.changes.iter().map(AccessChange::text).collect();
        assert_eq!(texts, ["+ user new", "~ user b (set password)", "- user d"]);

        let mut after = recorded.clone();
        after.record(&plan.changes, &wanted);
        assert_eq!(
            after.applied,
            [("a", 1), ("b", 2), ("new", 1)]
                .map(|(u, v)| (u.to_owned(), v))
                .into()
        );
        assert_eq!(
            PasswordVersions::from_json(&after.to_json()).unwrap(),
            after
        );
        assert_eq!(
            PasswordVersions::from_json(&PasswordVersions::default().to_json()).unwrap(),
            PasswordVersions::default()
        );
        assert!(PasswordVersions::from_json("{\"format_version\": 2}").is_err());
    }

    #[test]
    fn the_last_change_to_a_user_decides_its_recorded_version() {
        let wanted: BTreeMap<String, u64> =
            [("a", 5), ("c", 7)].map(|(u, v)| (u.to_owned(), v)).into();
        let mut versions = PasswordVersions {
            applied: [("a", 1), ("b", 2), ("d", 4)]
                .map(|(u, v)| (u.to_owned(), v))
                .into(),
        };
        let done = [
            AccessChange::delete_user("a"),
            AccessChange::create_user("a"),
            AccessChange::set_password("b"),
            AccessChange::create_user("c"),
            AccessChange::delete_user("c"),
            AccessChange::set_password("c"),
            AccessChange::delete_user("e"),
        ];
        versions.record(&done, &wanted);
        let expected: BTreeMap<String, u64> = [("a", 5), ("c", 7), ("d", 4)]
            .map(|(u, v)| (u.to_owned(), v))
            .into();
        assert_eq!(versions.applied, expected);
    }
}
