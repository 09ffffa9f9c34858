//! Rule test files: cases of "this client, this topic, read or write:
//! allowed or denied", read with every problem located as in an access
//! file (TOML, or JSON when the name ends in `.json`, with the same
//! shape):
//!
//! ```toml
//! [[case]]
//! user = "sensor-1"
//! client_id = "s1"            # optional
//! topic = "sensors/1/temp"
//! write = true                # or read = true
//! expect = "allow"            # or "deny"
//! decided_by = "sensors/1/#"  # optional: the pattern of the rule that must decide
//! ```
//!
//! The cases are answered by the `cloudmqtt-access` crate's evaluator;
//! this module only reads them.

use crate::declarative::desired::{
    FileError, Lines, Node, Position, Value, flag_of, json_tree, read_fields, reason, string_of,
    toml_tree,
};
use crate::validate;

/// One case of a rule test file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TestCase {
    /// The MQTT user name.
    pub user: String,
    /// The client id, when the case gives one.
    pub client_id: Option<String>,
    /// The topic name.
    pub topic: String,
    /// Writing (publishing) when `true`, reading otherwise.
    pub write: bool,
    /// Whether the case expects access to be allowed.
    pub expect_allow: bool,
    /// The pattern of the rule that must decide, when the case names one.
    pub decided_by: Option<String>,
    /// Where the case starts.
    pub at: Position,
}

/// The parts of a case read so far.
#[derive(Default)]
struct Parts {
    user: Option<String>,
    client_id: Option<String>,
    topic: Option<String>,
    read: Option<bool>,
    write: Option<bool>,
    expect: Option<bool>,
    decided_by: Option<String>,
}

/// Reads a rule test file: its cases, in file order.
///
/// # Errors
/// A [`FileError`] with every problem found: unknown keys, wrong types, a
/// case without `user`, `topic` or `expect`, with neither or both of `read`
/// and `write`, an `expect` other than `"allow"` or `"deny"`, and user
/// names, client ids and topics the checker refuses.
pub fn read_cases(name: &str, text: &str) -> Result<Vec<TestCase>, FileError> {
    let lines = Lines::new(text);
    let root = if name.ends_with(".json") {
        json_tree(text)
    } else {
        toml_tree(text)
    };
    let mut errors = crate::declarative::desired::Errors {
        lines: &lines,
        found: Vec::new(),
    };
    let mut cases = Vec::new();
    match root {
        Ok(root) => match &root.value {
            Value::Table(entries) => {
                for (key, key_at, value) in entries {
                    if key == "case" {
                        read_list(value, &mut errors, &mut cases);
                    } else {
                        errors.at(*key_at, format!("unknown key {key:?} (expected \"case\")"));
                    }
                }
            }
            other => errors.at(
                root.at,
                format!(
                    "expected a table with \"case\", found {}",
                    other.type_name()
                ),
            ),
        },
        Err((offset, message)) => errors.at(offset, message),
    }
    if errors.found.is_empty() {
        Ok(cases)
    } else {
        Err(FileError::new(name, errors.found))
    }
}

fn read_list(
    value: &Node,
    errors: &mut crate::declarative::desired::Errors<'_>,
    cases: &mut Vec<TestCase>,
) {
    let Value::Array(items) = &value.value else {
        errors.at(
            value.at,
            format!(
                "\"case\" must be a list of cases ([[case]] tables), found {}",
                value.value.type_name()
            ),
        );
        return;
    };
    for (index, item) in items.iter().enumerate() {
        let what = format!("case {}", index + 1);
        if let Some(case) = read_case(item, &what, errors) {
            cases.push(case);
        }
    }
}

/// One case, or `None` (its problems recorded).
fn read_case(
    item: &Node,
    what: &str,
    errors: &mut crate::declarative::desired::Errors<'_>,
) -> Option<TestCase> {
    let Value::Table(fields) = &item.value else {
        errors.at(
            item.at,
            format!("{what} must be a table, found {}", item.value.type_name()),
        );
        return None;
    };
    let mut parts = Parts::default();
    let ok = read_fields(fields, errors, what, |key, _, node| {
        let text = |slot: &mut Option<String>| {
            *slot = Some(string_of(node, key, what)?.to_owned());
            Ok(())
        };
        match key {
            "user" => text(&mut parts.user),
            "client_id" => text(&mut parts.client_id),
            "topic" => text(&mut parts.topic),
            "decided_by" => text(&mut parts.decided_by),
            "read" => flag_of(node, key, what).map(|flag| parts.read = Some(flag)),
            "write" => flag_of(node, key, what).map(|flag| parts.write = Some(flag)),
            "expect" => {
                let allow = match string_of(node, key, what)? {
                    "allow" => true,
                    "deny" => false,
                    other => {
                        return Err(Some(format!(
                            "expect in {what} must be \"allow\" or \"deny\", found {other:?}"
                        )));
                    }
                };
                parts.expect = Some(allow);
                Ok(())
            }
            _ => Err(None),
        }
    });
    let at = errors.lines.position(item.at);
    let mut problem = |message: String| {
        errors.at(item.at, message);
        None
    };
    if !ok {
        return None;
    }
    let (Some(user), Some(topic), Some(expect_allow)) = (parts.user, parts.topic, parts.expect)
    else {
        return problem(format!("{what} needs user, topic and expect"));
    };
    let write = match (parts.read.unwrap_or(false), parts.write.unwrap_or(false)) {
        (false, true) => true,
        (true, false) => false,
        _ => {
            return problem(format!(
                "{what} needs exactly one of read = true and write = true"
            ));
        }
    };
    let checked = validate::username(&user)
        .and_then(|()| validate::topic_name("topic", &topic))
        .and_then(|()| {
            parts
                .client_id
                .as_deref()
                .map_or(Ok(()), validate::client_id)
        });
    if let Err(error) = checked {
        return problem(format!("{what}: {}", reason(&error)));
    }
    Some(TestCase {
        user,
        client_id: parts.client_id,
        topic,
        write,
        expect_allow,
        decided_by: parts.decided_by,
        at,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cases_are_read_with_their_places() {
        let text = "[[case]]\nuser = \"sensor-1\"\nclient_id = \"s1\"\ntopic = \"sensors/1/temp\"\nwrite = true\nexpect = \"allow\"\ndecided_by = \"sensors/1/#\"\n\n[[case]]\nuser = \"dash\"\ntopic = \"secret/x\"\nread = true\nexpect = \"deny\"\n";
        let cases = read_cases("t.toml", text).unwrap();
        assert_eq!(cases.len(), 2);
        assert_eq!(cases[0].user, "sensor-1");
        assert_eq!(cases[0].client_id.as_deref(), Some("s1"));
        assert!(cases[0].write && cases[0].expect_allow);
        assert_eq!(cases[0].decided_by.as_deref(), Some("sensors/1/#"));
        assert!(!cases[1].write && !cases[1].expect_allow);
        assert_eq!(cases[1].at.line, 9);
        let json = r#"{"case": [{"user": "a", "topic": "t", "read": true, "expect": "allow"}]}"#;
        assert_eq!(read_cases("t.json", json).unwrap().len(), 1);
    }

    #[test]
    fn every_problem_is_reported() {
        let text = "colour = 1\n[[case]]\nuser = \"a\"\ntopic = \"t\"\nexpect = \"maybe\"\nread = true\n\n[[case]]\nuser = \"a\"\ntopic = \"t/#\"\nread = true\nexpect = \"deny\"\n\n[[case]]\nuser = \"a\"\ntopic = \"t\"\nread = true\nwrite = true\nexpect = \"deny\"\n\n[[case]]\ntopic = \"t\"\nread = true\nexpect = \"deny\"\nextra = 2\n";
        let error = read_cases("t.toml", text).unwrap_err();
        let lines = error.lines.join("\n");
        for expected in [
            "t.toml:1:1: unknown key \"colour\"",
            "t.toml:5:10: expect in case 1 must be \"allow\" or \"deny\", found \"maybe\"",
            "t.toml:8:1: case 2: topic must be a topic name",
            "case 3 needs exactly one of read = true and write = true",
            "t.toml:25:1: unknown key \"extra\" in case 4",
        ] {
            assert!(lines.contains(expected), "{expected:?} in\n{lines}");
        }
    }
}
