//! Mosquitto's log, read for access denials: each `Denied PUBLISH` line
//! (logged at debug level) paired with the user of the client that sent
//! it, from the client's `New client connected` line (Mosquitto 2.0:
//! `src/handle_connect.c`, `src/handle_publish.c`). Mosquitto logs no line
//! when it withholds a message from a subscriber, so only denied writes
//! are found.
//!
//! ```
//! use cloudmqtt_access::log::denials;
//!
//! let log = "1700000000: New client connected from 127.0.0.1:50000 as s1 (p5, c1, k60, u'sensor-1').\n\
//!            1700000001: Denied PUBLISH from s1 (d0, q1, r0, m1, 'sensors/2/temp', ... (4 bytes))\n";
//! let found = denials(log);
//! assert_eq!(found[0].username.as_deref(), Some("sensor-1"));
//! assert_eq!(found[0].topic, "sensors/2/temp");
//! assert_eq!(found[0].line, 2);
//! ```

use std::collections::BTreeMap;

/// A publish the broker denied.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Denial {
    /// The log line, from 1.
    pub line: usize,
    /// The client id.
    pub client_id: String,
    /// The client's user name, from its last connection line before the
    /// denial; `None` when the log has none (connected before the log
    /// starts, or without a user name).
    pub username: Option<String>,
    /// The topic it published to.
    pub topic: String,
}

/// Every denied publish in `log`, in order.
#[must_use]
pub fn denials(log: &str) -> Vec<Denial> {
    let mut users: BTreeMap<String, Option<String>> = BTreeMap::new();
    let mut found = Vec::new();
    for (index, line) in log.lines().enumerate() {
        if let Some((client, user)) = connection(line) {
            users.insert(client.to_owned(), user.map(str::to_owned));
        } else if let Some((client, topic)) = denied_publish(line) {
            found.push(Denial {
                line: index + 1,
                client_id: client.to_owned(),
                username: users.get(client).cloned().flatten(),
                topic: topic.to_owned(),
            });
        }
    }
    found
}

/// `New client connected from ADDRESS:PORT as CLIENT (pN, cN, kN[, u'USER']).`
fn connection(line: &str) -> Option<(&str, Option<&str>)> {
    let rest = after(line, "New client connected from ")?;
    let rest = after(rest, " as ")?;
    let rest = rest.strip_suffix(").")?;
    // The client id ends at the last " (p" (an id may hold anything).
    let open = rest.rfind(" (p")?;
    let (client, details) = (&rest[..open], &rest[open + 3..]);
    let user = details
        .find(", u'")
        .and_then(|at| details[at + 4..].strip_suffix('\''));
    Some((client, user))
}

/// `Denied PUBLISH from CLIENT (dN, qN, rN, mN, 'TOPIC', ... (N bytes))`.
fn denied_publish(line: &str) -> Option<(&str, &str)> {
    let rest = after(line, "Denied PUBLISH from ")?;
    let body = rest.strip_suffix(" bytes))")?;
    let topic_end = body.rfind("', ... (")?;
    let head = &body[..topic_end];
    // The fixed fields come right after the client id: " (dN, qN, rN, mN, '".
    let mut search = head;
    let mut offset = 0;
    while let Some(at) = search.find(" (d") {
        let start = offset + at;
        if let Some(topic_start) = fields_end(&head[start + 3..]) {
            let client = &head[..start];
            let topic = &head[start + 3 + topic_start..];
            return Some((client, topic));
        }
        offset = start + 3;
        search = &head[offset..];
    }
    None
}

/// The length of `N, qN, rN, mN, '` at the start of `text`, if it is that.
fn fields_end(text: &str) -> Option<usize> {
    let bytes = text.as_bytes();
    let mut at = 0;
    for letter in [None, Some(b'q'), Some(b'r'), Some(b'm')] {
        if let Some(letter) = letter {
            if bytes.get(at..at + 3) != Some(&[b',', b' ', letter][..]) {
                return None;
            }
            at += 3;
        }
        let digits = bytes[at..]
            .iter()
            .take_while(|b| b.is_ascii_digit())
            .count();
        if digits == 0 {
            return None;
        }
        at += digits;
    }
    (bytes.get(at..at + 3) == Some(&b", '"[..])).then_some(at + 3)
}

/// What follows the first `marker` in `line`.
fn after<'a>(line: &'a str, marker: &str) -> Option<&'a str> {
    line.find(marker).map(|at| &line[at + marker.len()..])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn denials_are_paired_with_their_users() {
        let log = "\
1: mosquitto version 2.0.18 starting
2: New client connected from 127.0.0.1:1 as odd (p1) id (p5, c1, k60, u'dash board').
3: New client connected from 127.0.0.1:2 as anon (p5, c1, k60).
4: Denied PUBLISH from odd (p1) id (d0, q1, r0, m7, 'a/b', ... (0 bytes))
5: Denied PUBLISH from anon (d0, q0, r1, m0, 'it's', ... (12 bytes))
6: Denied PUBLISH from ghost (d1, q2, r0, m3, 'x', ... (1 bytes))
7: Received PUBLISH from odd (p1) id (d0, q1, r0, m8, 'a/c', ... (0 bytes))
8: New client connected from 127.0.0.1:3 as anon (p5, c1, k60, u'late').
9: Denied PUBLISH from anon (d0, q1, r0, m1, 'weird (d0, q1, r0, m1, 'x', ... (3 bytes))
";
        let found = denials(log);
        let summary: Vec<(usize, &str, Option<&str>, &str)> = found
            .iter()
            .map(|d| {
                (
                    d.line,
                    d.client_id.as_str(),
                    d.username.as_deref(),
                    d.topic.as_str(),
                )
            })
            .collect();
        assert_eq!(
            summary,
            vec![
                (4, "odd (p1) id", Some("dash board"), "a/b"),
                (5, "anon", None, "it's"),
                (6, "ghost", None, "x"),
                (9, "anon", Some("late"), "weird (d0, q1, r0, m1, 'x"),
            ]
        );
    }
}
