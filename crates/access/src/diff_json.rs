//! An access diff as JSON, written one way for every host: the command
//! line's `acl diff --json` and saved plans (snake_case keys), and the
//! npm package's `diffAccess` (camelCase keys, as JavaScript names them).
//!
//! `{"changes":[{"gained","access","who","user","client_id","filter",
//! "except"}],"lines":[...],"gains_access":bool,"world_writable":[...]}`.

use cloudmqtt_api::{push_json_string, push_json_strings as strings};

use crate::diff::AccessDiff;

/// How the keys are spelt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Keys {
    /// `client_id`, `gains_access`, `world_writable`.
    Snake,
    /// `clientId`, `gainsAccess`, `worldWritable`.
    Camel,
}

impl Keys {
    fn name(self, snake: &'static str, camel: &'static str) -> &'static str {
        match self {
            Self::Snake => snake,
            Self::Camel => camel,
        }
    }
}

fn key(out: &mut String, name: &str) {
    push_json_string(out, name);
    out.push(':');
}

fn name(out: &mut String, name: Option<&str>) {
    match name {
        Some(name) => push_json_string(out, name),
        None => out.push_str("null"),
    }
}

/// The diff as compact JSON: each change shown, the lines as printed, and
/// the gate's findings.
pub fn to_json(report: &AccessDiff, keys: Keys) -> String {
    let mut out = String::from("{\"changes\":[");
    let mut first = true;
    for section in report.sections() {
        let who = section.who();
        let (user, client_id) = (section.user(), section.client_id());
        for change in &section.changes {
            if !first {
                out.push(',');
            }
            first = false;
            out.push_str("{\"gained\":");
            out.push_str(if change.gained { "true," } else { "false," });
            key(&mut out, "access");
            push_json_string(&mut out, change.access.as_str());
            out.push(',');
            key(&mut out, "who");
            push_json_string(&mut out, &who);
            out.push(',');
            key(&mut out, "user");
            name(&mut out, user);
            out.push(',');
            key(&mut out, keys.name("client_id", "clientId"));
            name(&mut out, client_id);
            out.push(',');
            key(&mut out, "filter");
            push_json_string(&mut out, &change.filter);
            out.push(',');
            key(&mut out, "except");
            strings(&mut out, change.except.iter().map(String::as_str));
            out.push('}');
        }
    }
    out.push_str("],");
    key(&mut out, "lines");
    let lines: Vec<String> = report.lines().collect();
    strings(&mut out, lines.iter().map(String::as_str));
    out.push(',');
    key(&mut out, keys.name("gains_access", "gainsAccess"));
    out.push_str(if report.gains_access() {
        "true,"
    } else {
        "false,"
    });
    key(&mut out, keys.name("world_writable", "worldWritable"));
    let world = report.world_writable();
    strings(&mut out, world.iter().map(|change| change.filter.as_str()));
    out.push('}');
    out
}
