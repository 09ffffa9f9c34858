//! `cloudmqtt export`: the server's users and rules as an access file
//! (TOML, or JSON), or its rules as a Mosquitto `acl_file`. Passwords
//! cannot be read back: each user names the variable to set.

use std::collections::BTreeSet;
use std::io::Write;

use cloudmqtt_api::{AclKind, AclRule, ServerAccess};
use serde_json::{Value, json};

use crate::args::ExportFormat;
use crate::client::Client;
use crate::failure::Failure;

/// `cloudmqtt export`.
pub fn export(
    client: &mut Client,
    format: ExportFormat,
    json: bool,
    out: &mut impl Write,
) -> Result<(), Failure> {
    let server = client.read_server()?;
    if format == ExportFormat::MosquittoAcl {
        // The one writer the emulator's broker files come from too.
        let (text, left_out) = cloudmqtt_access::acl_file::write(&server.rules);
        out.write_all(text.as_bytes())?;
        for rule in left_out {
            crate::output::note(&format!(
                "left out of the acl_file (Mosquitto cannot read it back): {}",
                cloudmqtt_access::describe_rule(rule)
            ));
        }
    } else if json {
        crate::output::write_json(out, &export_json(&server))?;
    } else {
        out.write_all(export_toml(&server).as_bytes())?;
    }
    Ok(())
}

/// `CLOUDMQTT_PASSWORD_<NAME>`: the name upper-cased, anything but
/// letters and digits as `_`.
pub fn password_variable(username: &str) -> String {
    let mut name = String::from("CLOUDMQTT_PASSWORD_");
    name.extend(username.chars().map(|c| {
        if c.is_ascii_alphanumeric() {
            c.to_ascii_uppercase()
        } else {
            '_'
        }
    }));
    name
}

/// Distinct variable names: a second user mapping to one name gets `_2`.
fn variables(server: &ServerAccess) -> Vec<(String, String)> {
    let mut taken = BTreeSet::new();
    server
        .users
        .iter()
        .map(|user| {
            let base = password_variable(user);
            let mut name = base.clone();
            let mut n = 1;
            while !taken.insert(name.clone()) {
                n += 1;
                name = format!("{base}_{n}");
            }
            (user.clone(), name)
        })
        .collect()
}

fn export_json(server: &ServerAccess) -> Value {
    let users: serde_json::Map<String, Value> = variables(server)
        .into_iter()
        .map(|(user, variable)| (user, json!({ "password_env": variable })))
        .collect();
    let rules: Vec<Value> = server.rules.iter().map(rule_json).collect();
    json!({"users": users, "rules": rules})
}

fn rule_json(rule: &AclRule) -> Value {
    let mut object = serde_json::Map::new();
    object.insert("type".into(), rule.kind.as_str().into());
    if let (AclKind::Topic, Some(user)) = (rule.kind, &rule.username) {
        object.insert("username".into(), user.as_str().into());
    }
    object.insert("pattern".into(), rule.pattern.as_str().into());
    object.insert("read".into(), rule.read.into());
    object.insert("write".into(), rule.write.into());
    Value::Object(object)
}

fn export_toml(server: &ServerAccess) -> String {
    let mut out = String::from(
        "# Exported by cloudmqtt export. Passwords cannot be read back:\n# set each variable named below before plan or apply.\n",
    );
    for (user, variable) in variables(server) {
        out.push_str(&format!(
            "\n[users.{}]\npassword_env = {}\n",
            toml_key(&user),
            toml_string(&variable)
        ));
    }
    for rule in &server.rules {
        out.push_str(&format!("\n[[rules]]\ntype = \"{}\"\n", rule.kind.as_str()));
        if let (AclKind::Topic, Some(user)) = (rule.kind, &rule.username) {
            out.push_str(&format!("username = {}\n", toml_string(user)));
        }
        out.push_str(&format!(
            "pattern = {}\nread = {}\nwrite = {}\n",
            toml_string(&rule.pattern),
            rule.read,
            rule.write
        ));
    }
    out
}

/// A bare key when TOML allows one, else a quoted one.
fn toml_key(key: &str) -> String {
    if !key.is_empty()
        && key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
    {
        key.to_owned()
    } else {
        toml_string(key)
    }
}

/// A TOML basic string: quotes, backslashes and control characters
/// escaped.
fn toml_string(text: &str) -> String {
    let mut out = String::from("\"");
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            c if c.is_control() => out.push_str(&format!("\\u{:04X}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use cloudmqtt_api::desired::{self, PasswordSource};
    use cloudmqtt_api::{PlanOptions, Secret};

    fn server() -> ServerAccess {
        ServerAccess {
            users: ["sensor-1", "a b", "a_b", "q\"ü"]
                .into_iter()
                .map(str::to_owned)
                .collect(),
            rules: vec![
                AclRule {
                    kind: AclKind::Topic,
                    pattern: "sensors/1/#".into(),
                    read: false,
                    write: true,
                    username: Some("sensor-1".into()),
                },
                AclRule {
                    kind: AclKind::Pattern,
                    pattern: "home/%u/#".into(),
                    read: true,
                    write: true,
                    username: None,
                },
            ],
        }
    }

    #[test]
    fn exports_read_back_as_the_same_state() {
        let server = server();
        for (name, text) in [
            ("access.toml", export_toml(&server)),
            ("access.json", export_json(&server).to_string()),
        ] {
            let file = desired::parse(name, &text).unwrap_or_else(|e| panic!("{e}\n{text}"));
            let desired = file
                .resolve(|source| match source {
                    PasswordSource::Env(variable) => Ok(Secret::new(format!("pw-{variable}"))),
                    PasswordSource::File(_) => Err("unexpected".into()),
                })
                .unwrap();
            let plan = cloudmqtt_api::plan(
                &desired,
                &server,
                PlanOptions {
                    prune: true,
                    set_passwords: false,
                },
            )
            .unwrap();
            assert!(plan.is_empty(), "{name}: {:?}", plan.changes);
            let variables: BTreeSet<String> = file
                .users
                .iter()
                .map(|user| match &user.password {
                    PasswordSource::Env(variable) => variable.clone(),
                    PasswordSource::File(_) => unreachable!(),
                })
                .collect();
            assert!(
                variables.contains("CLOUDMQTT_PASSWORD_SENSOR_1"),
                "{variables:?}"
            );
            assert!(
                variables.contains("CLOUDMQTT_PASSWORD_A_B_2"),
                "{variables:?}"
            );
            assert_eq!(variables.len(), 4);
        }
    }
}
