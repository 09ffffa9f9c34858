//! The printer: everything the CLI writes goes through here. Results go
//! to stdout (the writer [`crate::commands::run`] hands each command):
//! aligned tables for people, the API's data as JSON for scripts. Lines
//! beside the results (failures, notes, apply progress, prompts, traces
//! and the spinner) go to stderr through [`to_stderr`] and [`note`].

use std::io::{self, Write};

use cloudmqtt_api::{AclRule, User, UserInfo};
use serde::Serialize;

/// Runs `write` on stderr, locked, and flushes it: the one way to stderr.
///
/// # Errors
/// When writing fails.
pub fn to_stderr<T>(write: impl FnOnce(&mut dyn Write) -> io::Result<T>) -> io::Result<T> {
    let mut stderr = io::stderr().lock();
    let value = write(&mut stderr)?;
    stderr.flush()?;
    Ok(value)
}

/// Prints `line` on stderr with its control characters escaped
/// ([`cell`]). A failed write is ignored: a note must never fail the
/// command.
pub fn note(line: &str) {
    let _ = to_stderr(|err| writeln!(err, "{}", cell(line)));
}

/// Writes `value` as one line of compact JSON.
///
/// # Errors
/// When writing fails.
pub fn write_json<T: Serialize + ?Sized>(out: &mut impl Write, value: &T) -> io::Result<()> {
    serde_json::to_writer(&mut *out, value)?;
    writeln!(out)
}

/// Writes the user list as a one-column table.
///
/// # Errors
/// When writing fails.
pub fn write_users(out: &mut impl Write, users: &[User]) -> io::Result<()> {
    let rows: Vec<Vec<String>> = users
        .iter()
        .map(|user| vec![cell(&user.username)])
        .collect();
    write_table(out, &["USERNAME"], &rows)
}

/// Writes a user's name and its ACL entries.
///
/// # Errors
/// When writing fails.
pub fn write_user_info(out: &mut impl Write, info: &UserInfo) -> io::Result<()> {
    writeln!(out, "Username: {}", cell(&info.username))?;
    if info.acls.is_empty() {
        return writeln!(out, "ACL entries: none");
    }
    writeln!(out)?;
    let rows: Vec<Vec<String>> = info
        .acls
        .iter()
        .map(|acl| vec![cell(&acl.topic), yes_no(acl.read), yes_no(acl.write)])
        .collect();
    write_table(out, &["TOPIC", "READ", "WRITE"], &rows)
}

/// Writes the ACL rules as a table; pattern rules show `-` as their user.
///
/// # Errors
/// When writing fails.
pub fn write_acl_rules(out: &mut impl Write, rules: &[AclRule]) -> io::Result<()> {
    let rows: Vec<Vec<String>> = rules
        .iter()
        .map(|rule| {
            vec![
                rule.kind.as_str().to_owned(),
                rule.username
                    .as_deref()
                    .map_or_else(|| "-".to_owned(), cell),
                cell(&rule.pattern),
                yes_no(rule.read),
                yes_no(rule.write),
            ]
        })
        .collect();
    write_table(out, &["TYPE", "USER", "PATTERN", "READ", "WRITE"], &rows)
}

fn yes_no(flag: bool) -> String {
    if flag { "yes" } else { "no" }.to_owned()
}

/// Makes server or user text safe for a terminal: control characters are
/// shown as escapes instead of being sent raw. Tables and the `--wait`
/// progress line both go through it.
pub fn cell(text: &str) -> String {
    text.chars()
        .flat_map(|c| {
            if c.is_control() {
                c.escape_default().collect::<Vec<char>>()
            } else {
                vec![c]
            }
        })
        .collect()
}

/// Writes a header and rows with columns padded to their widest cell; the
/// last column is not padded.
pub fn write_table(out: &mut impl Write, header: &[&str], rows: &[Vec<String>]) -> io::Result<()> {
    let mut widths: Vec<usize> = header.iter().map(|name| name.chars().count()).collect();
    for row in rows {
        for (width, value) in widths.iter_mut().zip(row) {
            *width = (*width).max(value.chars().count());
        }
    }
    let header: Vec<String> = header.iter().map(|name| (*name).to_owned()).collect();
    for row in std::iter::once(&header).chain(rows) {
        let mut line = String::new();
        for (index, (value, width)) in row.iter().zip(&widths).enumerate() {
            if index + 1 == row.len() {
                line.push_str(value);
            } else {
                let pad = width - value.chars().count();
                line.push_str(value);
                line.extend(std::iter::repeat_n(' ', pad + 2));
            }
        }
        writeln!(out, "{line}")?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use cloudmqtt_api::{AclKind, UserAcl};

    fn text(write: impl FnOnce(&mut Vec<u8>) -> io::Result<()>) -> String {
        let mut out = Vec::new();
        write(&mut out).unwrap();
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn acl_table_is_aligned() {
        let rules = [
            AclRule {
                kind: AclKind::Topic,
                pattern: "test/users/topic".into(),
                read: true,
                write: false,
                username: Some("custom-user".into()),
            },
            AclRule {
                kind: AclKind::Pattern,
                pattern: "sensor/%u/data".into(),
                read: true,
                write: true,
                username: None,
            },
        ];
        assert_eq!(
            text(|out| write_acl_rules(out, &rules)),
            "\
TYPE     USER         PATTERN           READ  WRITE
topic    custom-user  test/users/topic  yes   no
pattern  -            sensor/%u/data    yes   yes
"
        );
    }

    #[test]
    fn user_info_and_list() {
        let info = UserInfo {
            username: "test".into(),
            acls: vec![UserAcl {
                topic: "sensor/%u".into(),
                read: false,
                write: true,
            }],
        };
        assert_eq!(
            text(|out| write_user_info(out, &info)),
            "Username: test\n\nTOPIC      READ  WRITE\nsensor/%u  no    yes\n"
        );
        let bare = UserInfo {
            username: "x".into(),
            acls: vec![],
        };
        assert_eq!(
            text(|out| write_user_info(out, &bare)),
            "Username: x\nACL entries: none\n"
        );
        assert_eq!(text(|out| write_users(out, &[])), "USERNAME\n");
    }

    #[test]
    fn control_characters_are_escaped() {
        let users = [User {
            username: "evil\u{1b}[2Jname".into(),
        }];
        let shown = text(|out| write_users(out, &users));
        assert!(!shown.contains('\u{1b}'), "{shown:?}");
        assert!(shown.contains("evil\\u{1b}[2Jname"), "{shown:?}");
    }

    #[test]
    fn json_is_the_documented_shape() {
        let rules = [AclRule {
            kind: AclKind::Pattern,
            pattern: "p".into(),
            read: true,
            write: false,
            username: None,
        }];
        assert_eq!(
            text(|out| write_json(out, &rules[..])),
            "[{\"type\":\"pattern\",\"pattern\":\"p\",\"read\":true,\"write\":false,\"username\":null}]\n"
        );
    }
}
