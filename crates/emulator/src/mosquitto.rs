//! Mosquitto's file formats: hashed passwords, the `password_file`, the
//! `acl_file` and the broker's configuration.
//!
//! # What the broker can and cannot represent
//! Mosquitto reads its files a line at a time. It reads a `password_file`
//! line as `name:hash`, splitting at the first `:`, skipping lines that
//! start with `#` and trimming ASCII blanks (C's `isspace`) around the name;
//! it trims them around a topic in the `acl_file` too. Other white space,
//! such as a no-break space, is kept: Mosquitto 2.0 lets a user named
//! `"\u{a0}x\u{a0}"` connect, and matches a topic with such edges. The API
//! refuses to create a user whose name contains `:`, starts with `#` or has
//! ASCII blanks at either end, and a rule whose filter has ASCII blanks at
//! either end or more levels than Mosquitto allows
//! (`cloudmqtt_api::validate::new_username` and `acl_rule`). A state saved
//! before those checks may still hold such names and filters: they stay
//! listed by the API but are left out of the broker's files (see
//! [`representable_name`] and [`representable_topic`]), and an `acl_file`
//! the broker would refuse is never given to it ([`check_acl_file`]). A
//! name or filter with a control character, a line break above all, is left out
//! too, so that nothing read from the API's state can add a line of its own
//! to either file (the API refuses those already).

use std::fmt::Write as _;
use std::path::Path;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use cloudmqtt_api::{AclKind, AclRule};
use sha2::{Digest as _, Sha512};

use crate::store::Snapshot;

/// Bytes of salt in a password hash (what `mosquitto_passwd` uses).
pub const SALT_BYTES: usize = 12;

/// Hashes a password in Mosquitto's `$6$` format: `$6$<base64 salt>$<base64
/// SHA-512(password || salt)>`, which Mosquitto 2.0 accepts in its
/// `password_file`.
pub fn hash_password(password: &str, salt: &[u8; SALT_BYTES]) -> String {
    let mut digest = Sha512::new();
    digest.update(password.as_bytes());
    digest.update(salt);
    format!(
        "$6${}${}",
        STANDARD.encode(salt),
        STANDARD.encode(digest.finalize())
    )
}

/// Hashes a password with a fresh random salt.
///
/// # Errors
/// When the operating system has no randomness to give.
pub fn hash_new_password(password: &str) -> Result<String, getrandom::Error> {
    let mut salt = [0u8; SALT_BYTES];
    getrandom::fill(&mut salt)?;
    Ok(hash_password(password, &salt))
}

/// Checks a password against a `$6$` hash.
pub fn verify_password(password: &str, hash: &str) -> bool {
    let mut parts = hash.split('$');
    let (Some(""), Some("6"), Some(salt), Some(_), None) = (
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
    ) else {
        return false;
    };
    let Ok(salt) = STANDARD.decode(salt) else {
        return false;
    };
    let Ok(salt) = <[u8; SALT_BYTES]>::try_from(salt.as_slice()) else {
        return false;
    };
    hash_password(password, &salt) == hash
}

/// Whether Mosquitto can read `name` back from its files unchanged, and
/// writing it adds no line of its own.
pub fn representable_name(name: &str) -> bool {
    !name.contains(':') && !name.starts_with('#') && fits_on_a_line(name)
}

/// Whether Mosquitto can read a topic filter back from its `acl_file`
/// unchanged, and writing it adds no line of its own.
pub fn representable_topic(topic: &str) -> bool {
    fits_on_a_line(topic)
}

/// Not empty, no control characters (`\n` and `\r` above all), and no
/// ASCII blanks at either end, which Mosquitto trims: the `acl_file`
/// writer's own rule.
fn fits_on_a_line(text: &str) -> bool {
    cloudmqtt_access::acl_file::representable(text)
}

/// The `password_file` for a snapshot: one `name:hash` line per user.
pub fn password_file(snapshot: &Snapshot) -> String {
    let mut out = String::new();
    for (name, hash) in &snapshot.users {
        if representable_name(name) {
            let _ = writeln!(out, "{name}:{hash}");
        }
    }
    out
}

/// The `acl_file` for a snapshot, written by the access crate's one
/// writer ([`cloudmqtt_access::acl_file::write`]): every pattern rule as a
/// `pattern` line (they apply to every user), then each user's topic rules
/// under a `user` line. Topic rules of a user the `password_file` cannot
/// hold are left out with the user.
pub fn acl_file(snapshot: &Snapshot) -> String {
    let rules: Vec<AclRule> = snapshot
        .rules
        .iter()
        .filter(|rule| {
            rule.kind == AclKind::Pattern
                || rule.username.as_deref().is_some_and(representable_name)
        })
        .cloned()
        .collect();
    let (text, _left_out) = cloudmqtt_access::acl_file::write(&rules);
    let mut out = String::from("# Written by cloudmqtt-emulator from its API state.\n");
    out.push_str(&text);
    out
}

/// An `acl_file` that lets nobody publish or receive anything: with an
/// `acl_file` that holds no rule, Mosquitto denies every check
/// (`src/security_default.c:395`). The broker runs on it when it was never
/// given files it accepts.
pub const DENY_ALL_ACL: &str =
    "# Written by cloudmqtt-emulator: no rule, every access is denied.\n";

/// Most `/` Mosquitto 2.0 allows in a topic filter (`TOPIC_HIERARCHY_LIMIT`,
/// `src/mosquitto_broker_internal.h:59`).
pub const TOPIC_HIERARCHY_LIMIT: usize = 200;

/// Reads an `acl_file` as Mosquitto 2.0's `aclfile__parse` does
/// (`src/security_default.c:508-640`) and says why it would refuse it.
/// Mosquitto does not stop on such a file when it reloads: it logs `Error
/// opening acl file` and from then on checks no ACL at all, so the files
/// are checked here before the broker ever sees them.
///
/// # Errors
/// The first line Mosquitto would refuse, and why.
pub fn check_acl_file(text: &str) -> Result<(), String> {
    let is_space = |c: char| c.is_ascii_whitespace() || c == '\u{b}';
    for (index, line) in text.split('\n').enumerate() {
        let number = index + 1;
        let line = line.trim_end_matches(is_space);
        if line.starts_with('#') {
            continue;
        }
        let line = line.trim_start_matches(' ');
        let (token, rest) = line.split_once(' ').unwrap_or((line, ""));
        match token {
            "" => {}
            "topic" | "pattern" => {
                let rest = rest.trim_start_matches(' ');
                let (access, topic) = match rest.split_once(' ') {
                    Some((access, topic)) if !topic.is_empty() => {
                        (Some(access), topic.trim_matches(is_space))
                    }
                    _ => (None, rest.trim_end_matches(' ')),
                };
                if topic.is_empty() {
                    return Err(format!("line {number}: empty topic"));
                }
                if let Some(access) = access
                    && !matches!(access, "read" | "write" | "readwrite" | "deny")
                {
                    return Err(format!("line {number}: invalid access {access:?}"));
                }
                sub_topic_check(topic).map_err(|why| {
                    format!("line {number}: invalid ACL topic {}: {why}", shorten(topic))
                })?;
            }
            "user" => {
                if rest.trim_matches(is_space).is_empty() {
                    return Err(format!("line {number}: missing username"));
                }
            }
            _ => return Err(format!("line {number}: invalid line")),
        }
    }
    Ok(())
}

/// Mosquitto's `mosquitto_sub_topic_check` (`lib/util_topic.c:117-154`,
/// built into the broker): `+` and `#` fill whole levels, `#` comes last,
/// at most 65,535 bytes and [`TOPIC_HIERARCHY_LIMIT`] `/`.
fn sub_topic_check(topic: &str) -> Result<(), &'static str> {
    let bytes = topic.as_bytes();
    let mut slashes = 0;
    for (index, byte) in bytes.iter().enumerate() {
        let before = index.checked_sub(1).map(|at| bytes[at]);
        let after = bytes.get(index + 1).copied();
        match byte {
            b'+' if !matches!(before, None | Some(b'/')) || !matches!(after, None | Some(b'/')) => {
                return Err("'+' must fill a whole level");
            }
            b'#' if !matches!(before, None | Some(b'/')) || after.is_some() => {
                return Err("'#' must fill the last level");
            }
            b'/' => slashes += 1,
            _ => {}
        }
    }
    if bytes.len() > 65_535 {
        return Err("longer than 65535 bytes");
    }
    if slashes > TOPIC_HIERARCHY_LIMIT {
        return Err("more than 201 levels");
    }
    Ok(())
}

/// The start of a long text, for a message.
fn shorten(text: &str) -> String {
    const KEEP: usize = 40;
    match text.char_indices().nth(KEEP) {
        Some((cut, _)) => format!("{:?}... ({} bytes)", &text[..cut], text.len()),
        None => format!("{text:?}"),
    }
}

/// The broker's configuration: a listener on `listen` (loopback unless
/// told otherwise), no anonymous clients, the password and ACL files in
/// `dir`, no persistence, and the log file `log.0`, at debug level when
/// `log.1` (every denied publish is logged then). `run_as_root` keeps a
/// broker started by root from dropping to the `mosquitto` user, which
/// could not read a private directory.
pub fn config_file(
    dir: &Path,
    (host, port): (std::net::IpAddr, u16),
    run_as_root: bool,
    (log, debug): (&Path, bool),
) -> String {
    let path = |name: &str| dir.join(name).display().to_string();
    let mut out = format!(
        "# Written by cloudmqtt-emulator.\n\
         listener {port} {host}\n\
         allow_anonymous false\n\
         password_file {}\n\
         acl_file {}\n\
         persistence false\n\
         log_dest file {}\n\
         log_type error\n\
         log_type warning\n\
         log_type notice\n\
         log_type information\n\
         log_timestamp true\n",
        path(PASSWORD_FILE),
        path(ACL_FILE),
        log.display(),
    );
    if debug {
        out.push_str("log_type debug\n");
    }
    if run_as_root {
        out.push_str("user root\n");
    }
    out
}

/// The `password_file`'s name in the data directory.
pub const PASSWORD_FILE: &str = "mosquitto.passwd";
/// The `acl_file`'s name in the data directory.
pub const ACL_FILE: &str = "mosquitto.acl";
/// The broker's configuration file's name in the data directory.
pub const CONFIG_FILE: &str = "mosquitto.conf";
/// The broker's log file's name in the data directory.
pub const LOG_FILE: &str = "mosquitto.log";

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::Change;

    #[test]
    fn hashes_match_mosquitto_passwd() {
        // `mosquitto_passwd -H sha512 -b pw alice secret` wrote this line.
        let written = "$6$luCJ+KqD7Q1uy6bE$KJgXhaIkOpOuRFi1YwXrk1YC9J8TJNmAAUjfbheKWyWaOsDIa9tNFTxd/GSMYn/TldzsUZQRe0NwiIhzLpG6CA==";
        let salt: [u8; SALT_BYTES] = STANDARD
            .decode("luCJ+KqD7Q1uy6bE")
            .unwrap()
            .try_into()
            .unwrap();
        assert_eq!(hash_password("secret", &salt), written);
        assert!(verify_password("secret", written));
        assert!(!verify_password("Secret", written));
        assert!(!verify_password("secret", "$7$101$x$y"));
        assert!(!verify_password("secret", "garbage"));
        let fresh = hash_new_password("pw").unwrap();
        assert!(verify_password("pw", &fresh));
        assert_ne!(fresh, hash_new_password("pw").unwrap(), "salts differ");
    }

    #[test]
    fn files_from_a_snapshot() {
        let mut snapshot = Snapshot::default();
        for name in [
            "alice",
            "bob",
            "a:b",
            "#hash",
            " pad",
            "pad\t",
            "eve\nuser alice",
            "del\u{7f}",
            "\u{a0}nbsp\u{a0}",
        ] {
            snapshot.apply(&Change::CreateUser {
                username: name.into(),
                password_hash: "$6$s$h".into(),
            });
        }
        let rules = [
            (AclKind::Topic, Some("alice"), "alice/out", false, true),
            (AclKind::Pattern, None, "home/%u/#", true, true),
            (AclKind::Topic, Some("bob"), "alice/#", true, false),
            (AclKind::Topic, Some("alice"), "secret", false, false),
            (AclKind::Topic, Some("a:b"), "x", true, true),
            (AclKind::Pattern, None, "dev/%c", false, true),
            (AclKind::Pattern, None, " spaced", true, true),
            (AclKind::Pattern, None, "x\ntopic readwrite #", true, true),
            (
                AclKind::Topic,
                Some("bob"),
                "x\rtopic readwrite #",
                true,
                true,
            ),
            (AclKind::Topic, Some("bob"), "c1\u{85}", true, true),
            (AclKind::Topic, Some("eve\nuser alice"), "#", true, true),
            (
                AclKind::Topic,
                Some("\u{a0}nbsp\u{a0}"),
                "\u{a0}t",
                true,
                false,
            ),
        ];
        for (kind, username, pattern, read, write) in rules {
            snapshot.apply(&Change::CreateRule {
                rule: AclRule {
                    kind,
                    pattern: pattern.into(),
                    read,
                    write,
                    username: username.map(str::to_owned),
                },
            });
        }
        assert_eq!(
            password_file(&snapshot),
            "alice:$6$s$h\nbob:$6$s$h\n\u{a0}nbsp\u{a0}:$6$s$h\n"
        );
        assert_eq!(
            acl_file(&snapshot),
            "# Written by cloudmqtt-emulator from its API state.\n\
             pattern readwrite home/%u/#\n\
             pattern write dev/%c\n\
             \n\
             user alice\n\
             topic write alice/out\n\
             topic deny secret\n\
             \n\
             user bob\n\
             topic read alice/#\n\
             \n\
             user \u{a0}nbsp\u{a0}\n\
             topic read \u{a0}t\n"
        );
    }

    #[test]
    fn acl_files_mosquitto_refuses() {
        let deepest = vec!["a"; 201].join("/");
        let deeper = vec!["a"; 202].join("/");
        assert_eq!(check_acl_file(DENY_ALL_ACL), Ok(()));
        for good in [
            "# c\npattern readwrite a/%u/#\n\nuser bob\ntopic read +/x\ntopic deny y\n".to_owned(),
            format!("pattern read {deepest}\n"),
            format!("topic {}\n", "a".repeat(65_535)),
            "user a b\ntopic write x y \n".to_owned(),
        ] {
            assert_eq!(check_acl_file(&good), Ok(()), "{good:?}");
        }
        for (bad, why) in [
            (
                format!("pattern read {deeper}\n"),
                "line 1: invalid ACL topic",
            ),
            (format!("topic {}\n", "a".repeat(65_536)), "65535"),
            (
                "\nuser u\ntopic read a#\n".to_owned(),
                "line 3: invalid ACL topic",
            ),
            ("topic read a/+b\n".to_owned(), "whole level"),
            ("topic maybe a\n".to_owned(), "invalid access"),
            ("topic\n".to_owned(), "empty topic"),
            ("user \n".to_owned(), "missing username"),
            ("toppic read a\n".to_owned(), "invalid line"),
        ] {
            let error = check_acl_file(&bad).unwrap_err();
            assert!(error.contains(why), "{error} for {bad:?}");
            assert!(error.len() < 200, "{error}");
        }
    }

    #[test]
    fn config_keeps_the_broker_on_loopback() {
        let log = Path::new("/data").join(LOG_FILE);
        let config = config_file(
            Path::new("/data"),
            ([127, 0, 0, 1].into(), 1883),
            true,
            (&log, false),
        );
        assert!(config.contains("listener 1883 127.0.0.1\n"));
        assert!(config.contains("allow_anonymous false\n"));
        assert!(config.contains("password_file /data/mosquitto.passwd\n"));
        assert!(config.contains("acl_file /data/mosquitto.acl\n"));
        assert!(config.ends_with("user root\n"));
        assert!(
            !config_file(
                Path::new("/data"),
                ([127, 0, 0, 1].into(), 1),
                false,
                (&log, false)
            )
            .contains("user root")
        );
    }
}
