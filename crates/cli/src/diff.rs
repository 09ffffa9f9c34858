//! `cloudmqtt acl diff`: who gains and who loses access between two rule
//! sets (the server's, or files), worked out by the access crate
//! (`cloudmqtt_access::diff`), and the gate on it (`--fail-on`). `plan`
//! prints the same lines for the rules a plan leaves.

use std::io::{self, Write};
use std::path::Path;

use cloudmqtt_access::diff::{AccessDiff, diff_for};
use cloudmqtt_api::AclRule;

use crate::access::{Server, load_file};
use crate::args::{DiffArgs, FailOn};
use crate::failure::Failure;
use crate::output;

/// What names the server's rules instead of a file.
pub const SERVER: &str = "@server";

/// `acl diff`: prints each change of access and a summary line, and fails
/// with [`Failure::Verdict`] when a `--fail-on` condition holds. `connect`
/// is only called when a side is [`SERVER`].
///
/// # Errors
/// A file with problems, the server's failure, unwritable output, or the
/// verdict.
pub fn diff<S: Server>(
    args: DiffArgs,
    json: bool,
    connect: impl FnOnce() -> Result<S, Failure>,
    out: &mut impl Write,
) -> Result<(), Failure> {
    // Both files are read before the server is asked, once at most.
    let old = read_side(&args.old)?;
    let new = read_side(&args.new)?;
    let server = if old.is_none() || new.is_none() {
        connect()?.rules()?
    } else {
        Vec::new()
    };
    let old = old.unwrap_or_else(|| server.clone());
    let new = new.unwrap_or(server);
    let report = diff_for(&old, &new, &args.users);
    if json {
        writeln!(out, "{}", diff_json(&report))?;
    } else {
        write_lines(out, &report, "")?;
        writeln!(out, "{}", summary(&report))?;
    }
    let gate = args.fail_on.iter().any(|condition| match condition {
        FailOn::NewAccess => report.gains_access(),
        FailOn::WorldWritable => !report.world_writable().is_empty(),
    });
    if gate {
        return Err(Failure::Verdict);
    }
    Ok(())
}

/// The rules of a file, or `None` for the server.
fn read_side(side: &str) -> Result<Option<Vec<AclRule>>, Failure> {
    if side == SERVER {
        return Ok(None);
    }
    Ok(Some(load_file(Path::new(side))?.rules))
}

/// Each change as a line (`+ write sensor-1 sensors/1/#`), after `indent`.
///
/// # Errors
/// Unwritable output.
pub fn write_lines(
    out: &mut (impl Write + ?Sized),
    report: &AccessDiff,
    indent: &str,
) -> io::Result<()> {
    for line in report.lines() {
        writeln!(out, "{indent}{}", output::cell(&line))?;
    }
    Ok(())
}

/// `N gains, N losses of access`, or `no change of access`.
pub fn summary(report: &AccessDiff) -> String {
    let (mut gains, mut losses) = (0, 0);
    for section in report.sections() {
        for change in &section.changes {
            if change.gained {
                gains += 1;
            } else {
                losses += 1;
            }
        }
    }
    if gains + losses == 0 {
        return "no change of access".to_owned();
    }
    let gains = if gains == 1 {
        "1 gain".to_owned()
    } else {
        format!("{gains} gains")
    };
    let losses = if losses == 1 {
        "1 loss".to_owned()
    } else {
        format!("{losses} losses")
    };
    format!("{gains}, {losses} of access")
}

/// The diff as JSON: each change (`gained`, `access`, `who`, `user`,
/// `client_id`, `filter`, `except`), the lines as printed, and the gate's
/// findings (the access crate's one writer).
pub fn diff_json(report: &AccessDiff) -> String {
    cloudmqtt_access::diff_json::to_json(report, cloudmqtt_access::diff_json::Keys::Snake)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_summary_counts_gains_and_losses() {
        let rule = |pattern: &str, write| AclRule {
            kind: cloudmqtt_api::AclKind::Topic,
            pattern: pattern.into(),
            read: false,
            write,
            username: Some("u".into()),
        };
        let report = cloudmqtt_access::diff::diff(&[rule("a", true)], &[rule("b", true)]);
        assert_eq!(summary(&report), "1 gain, 1 loss of access");
        let report = cloudmqtt_access::diff::diff(&[], &[rule("a", true), rule("b", true)]);
        assert_eq!(summary(&report), "2 gains, 0 losses of access");
        let same = cloudmqtt_access::diff::diff(&[], &[]);
        assert_eq!(summary(&same), "no change of access");
    }
}
