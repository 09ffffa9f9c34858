//! Access diff: who gains and who loses access between two rule sets, as
//! topic filters with exceptions, exact rather than sampled.
//!
//! ```
//! use cloudmqtt_access::diff::diff;
//! use cloudmqtt_access::{Access, AclKind, AclRule};
//!
//! let rule = |pattern: &str, read, write| AclRule {
//!     kind: AclKind::Pattern,
//!     pattern: pattern.into(),
//!     read,
//!     write,
//!     username: None,
//! };
//! let old = vec![];
//! let new = vec![rule("home/%u/private", false, false), rule("home/%u/#", true, false)];
//! let report = diff(&old, &new);
//! let lines: Vec<String> = report.lines().collect();
//! assert_eq!(lines, ["+ read every user home/%u/# except home/%u/private"]);
//! // Ask about one client: the lines that hold for it, its names filled in.
//! let alice = report.changes_for("alice", "alice-phone");
//! assert_eq!(alice[0].filter, "home/alice/#");
//! assert!(alice[0].covers("home/alice/light"));
//! assert!(!alice[0].covers("home/alice/private"));
//! assert_eq!(alice[0].access, Access::Read);
//! ```
//!
//! # What "exact" means
//! Every topic a change covers is answered differently by the two rule
//! sets, and every topic answered differently is covered by a change, for
//! each user and client id:
//! - a user a topic rule of either set names is reported by name;
//! - every other user is reported as `every user`, `%u` standing for the
//!   user name and `%c` for the client id, except where the name makes a
//!   difference: a name that the rules spell out as a level (`%u` in
//!   `home/%u` meets `home/kitchen` for user `kitchen`), or one that starts
//!   with `$`, gets its own section when its changes differ;
//! - client ids likewise: the client id that is the user name, one the
//!   rules spell out, one starting with `$`, and one holding `+` or `#`
//!   get their own section when their changes differ.
//!
//! A user name or client id holding `/` spreads over several levels; those
//! are exact when named ([`diff_for`]), not as `every user`.

use std::collections::BTreeSet;

use cloudmqtt_api::AclKind;

use crate::{Access, AccessQuery, AclRule, evaluate_at, substitute, topic_matches};

/// The topic the broker lets anyone write under `$SYS`.
const SYS_WRITABLE: &str = crate::SYS_WRITABLE;

/// Whom a section of a diff is about: which user names.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[cfg_attr(
    feature = "serde",
    serde(rename_all = "snake_case", tag = "kind", content = "name")
)]
pub enum Users {
    /// One user, by name.
    Named(String),
    /// Every user with no section of its own (`%u` in filters).
    Every,
    /// Every other user whose name starts with this prefix (`$SYS`,
    /// `$share`, or otherwise `$`).
    Prefixed(&'static str),
}

/// Whom a section of a diff is about: which client ids.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[cfg_attr(
    feature = "serde",
    serde(rename_all = "snake_case", tag = "kind", content = "name")
)]
pub enum Clients {
    /// Any client id without a section of its own (`%c` in filters).
    Any,
    /// The client id that is the user name.
    UserName,
    /// One client id, by name.
    Named(String),
    /// Client ids starting with this prefix (`$SYS`, `$share`, or
    /// otherwise `$`).
    Prefixed(&'static str),
    /// Client ids holding `+` or `#`.
    Wildcard,
}

/// One change of access: a topic filter (less its exceptions) on which a
/// user (and client id) gained or lost reading or writing.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct Change {
    /// Gained (`true`) or lost.
    pub gained: bool,
    /// Reading or writing.
    pub access: Access,
    /// The topics, as an MQTT filter (`%u`/`%c` for the names in a section
    /// about every user or any client id).
    pub filter: String,
    /// Topics of `filter` that are not part of the change, as filters.
    pub except: Vec<String>,
}

impl Change {
    /// Whether the change covers a topic: `filter` matches it and no
    /// exception does. (Only for changes whose names are filled in, as
    /// [`AccessDiff::changes_for`] gives them.)
    pub fn covers(&self, topic: &str) -> bool {
        topic_matches(&self.filter, topic) && !self.except.iter().any(|e| topic_matches(e, topic))
    }

    /// `filter`, and ` except a, b` when there are exceptions.
    pub fn topics(&self) -> String {
        if self.except.is_empty() {
            return self.filter.clone();
        }
        [&self.filter, " except ", &self.except.join(", ")].concat()
    }
}

/// The changes for one kind of user and client id.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct Section {
    /// Which users.
    pub users: Users,
    /// Which client ids.
    pub clients: Clients,
    /// The changes, gains first, then by access and filter.
    pub changes: Vec<Change>,
    /// Whether the section is shown: a section that says what another
    /// says, names filled in, is not.
    #[cfg_attr(feature = "serde", serde(skip))]
    shown: bool,
    /// The user name and client id the changes were worked out for.
    #[cfg_attr(feature = "serde", serde(skip))]
    names: (String, String),
    /// The changes with those names in place.
    #[cfg_attr(feature = "serde", serde(skip))]
    raw: Vec<Change>,
}

impl Section {
    /// Who the section is about, in words: `sensor-1`, `every user`,
    /// `every user with client id %u`, ...
    pub fn who(&self) -> String {
        let users = match &self.users {
            Users::Named(name) => name.clone(),
            Users::Every => "every user".to_owned(),
            Users::Prefixed(prefix) => ["every user whose name starts with ", prefix].concat(),
        };
        let clients = match &self.clients {
            Clients::Any => String::new(),
            Clients::UserName => " with client id %u".to_owned(),
            Clients::Named(name) => [" with client id ", name].concat(),
            Clients::Prefixed(prefix) => [" with a client id starting with ", prefix].concat(),
            Clients::Wildcard => " with a client id holding + or #".to_owned(),
        };
        users + &clients
    }
}

/// Who gains and who loses access between two rule sets (see the module
/// documentation for what it covers).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccessDiff {
    /// Every section, shown or not (a section not shown says what the
    /// section of its users for any client id, or of every user, says).
    sections: Vec<Section>,
    /// Whether client ids matter (a rule uses `%c`).
    by_client: bool,
    /// The names the rules spell out as levels, user names of topic rules.
    named_users: BTreeSet<String>,
    /// Literal levels that a `%u` or `%c` level could become.
    spelled: BTreeSet<String>,
}

/// [`diff_for`] without extra users.
pub fn diff(old: &[AclRule], new: &[AclRule]) -> AccessDiff {
    diff_for(old, new, &[])
}

/// Who gains and who loses access from `old` to `new`; `users` are
/// reported by name too (for names holding `/`).
pub fn diff_for(old: &[AclRule], new: &[AclRule], users: &[String]) -> AccessDiff {
    Differ::new(old, new, users).run()
}

impl AccessDiff {
    /// The sections that are shown, in order.
    pub fn sections(&self) -> impl Iterator<Item = &Section> {
        self.sections.iter().filter(|section| section.shown)
    }

    /// The changes shown, each as `+ write sensor-1 sensors/1/#` or `- read
    /// every user home/%u/# except home/%u/private`.
    pub fn lines(&self) -> impl Iterator<Item = String> + '_ {
        self.sections().flat_map(|section| {
            let who = section.who();
            section.changes.iter().map(move |change| {
                let sign = if change.gained { "+ " } else { "- " };
                [
                    sign,
                    change.access.as_str(),
                    " ",
                    &who,
                    " ",
                    &change.topics(),
                ]
                .concat()
            })
        })
    }

    /// Whether nobody gains or loses anything.
    pub fn is_empty(&self) -> bool {
        self.sections
            .iter()
            .all(|section| section.changes.is_empty())
    }

    /// Whether anyone gains any access.
    pub fn gains_access(&self) -> bool {
        self.sections
            .iter()
            .any(|section| section.changes.iter().any(|change| change.gained))
    }

    /// The write gains of every user on topics that are the same for
    /// everyone (no `%u` or `%c`): topics the change makes writable by
    /// every user.
    pub fn world_writable(&self) -> Vec<&Change> {
        self.sections
            .iter()
            .filter(|section| section.users == Users::Every && section.clients == Clients::Any)
            .flat_map(|section| &section.changes)
            .filter(|change| {
                change.gained
                    && change.access == Access::Write
                    && !change.filter.contains("%u")
                    && !change.filter.contains("%c")
            })
            .collect()
    }

    /// The changes for one user name and client id, their names filled
    /// in: what the section that covers them says.
    pub fn changes_for(&self, user: &str, client_id: &str) -> Vec<Change> {
        let users = if self.named_users.contains(user) || self.spelled.contains(user) {
            Users::Named(user.to_owned())
        } else {
            dollar_class(user).map_or(Users::Every, Users::Prefixed)
        };
        let clients = self.client_class(user, client_id);
        let find = |users: &Users, clients: &Clients| {
            self.sections
                .iter()
                .find(|section| section.users == *users && section.clients == *clients)
        };
        // Kinds of names that make no difference to these rules have no
        // section: they are like any other.
        let Some(section) = [&users, &Users::Every]
            .into_iter()
            .find_map(|users| find(users, &clients).or_else(|| find(users, &Clients::Any)))
        else {
            return Vec::new();
        };
        let (user_name, client_name) = &section.names;
        let fill = |text: &str| replace_names(text, user_name, user, client_name, client_id);
        section
            .raw
            .iter()
            .map(|change| Change {
                filter: fill(&change.filter),
                except: change.except.iter().map(|e| fill(e)).collect(),
                ..change.clone()
            })
            .collect()
    }

    fn client_class(&self, user: &str, client_id: &str) -> Clients {
        if client_id.contains(['+', '#']) {
            return Clients::Wildcard;
        }
        if !self.by_client {
            return Clients::Any;
        }
        if client_id == user {
            Clients::UserName
        } else if self.spelled.contains(client_id) {
            Clients::Named(client_id.to_owned())
        } else {
            dollar_class(client_id).map_or(Clients::Any, Clients::Prefixed)
        }
    }
}

/// The `$` class of a name, if it starts with `$`.
fn dollar_class(name: &str) -> Option<&'static str> {
    ["$SYS", "$share", "$"]
        .into_iter()
        .find(|prefix| name.starts_with(prefix))
}

/// `text` with `from_user` replaced by `to_user` and `from_client` by
/// `to_client`, in one pass from the left (the longer first where both
/// start at one place).
fn replace_names(
    text: &str,
    from_user: &str,
    to_user: &str,
    from_client: &str,
    to_client: &str,
) -> String {
    let mut pairs = [(from_user, to_user), (from_client, to_client)];
    pairs.sort_by_key(|(from, _)| std::cmp::Reverse(from.len()));
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    'outer: while !rest.is_empty() {
        for (from, to) in pairs {
            if !from.is_empty() && rest.starts_with(from) {
                out.push_str(to);
                rest = &rest[from.len()..];
                continue 'outer;
            }
        }
        let next = rest.chars().next().map_or(1, char::len_utf8);
        out.push_str(&rest[..next]);
        rest = &rest[next..];
    }
    out
}

/// Read and write answered by the old and the new rules, for one class of
/// topics: `[old read, old write, new read, new write]`.
type Answers = [bool; 4];

/// The classes of topics under a prefix.
enum Below {
    /// Every topic below the prefix is answered alike.
    Alike(Answers),
    /// Split by the next level: the levels the filters spell out, and any
    /// other level.
    Split(Vec<(String, Node)>, Box<Node>),
}

/// The topics at and below one prefix.
struct Node {
    /// The prefix itself, as a topic (none at the root).
    exact: Option<Answers>,
    below: Below,
}

/// A node's topics inside a region and outside it, as lines.
type Sides = (Vec<Line>, Vec<Line>);

/// A topic filter less some exceptions, as levels.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Line {
    filter: Vec<String>,
    except: Vec<Vec<String>>,
}

impl Line {
    fn new(filter: Vec<String>) -> Self {
        Self {
            filter,
            except: Vec::new(),
        }
    }

    fn cost(lines: &[Self]) -> usize {
        lines.iter().map(|line| 1 + line.except.len()).sum()
    }

    /// The line with level `at` (a `+`) replaced by `level`.
    fn with_level(&self, at: usize, level: &str) -> Self {
        let put = |levels: &Vec<String>| {
            let mut levels = levels.clone();
            levels[at] = level.to_owned();
            levels
        };
        Self {
            filter: put(&self.filter),
            except: self.except.iter().map(put).collect(),
        }
    }
}

/// Extends a path by some levels.
fn joined(path: &[String], more: &[&str]) -> Vec<String> {
    path.iter()
        .cloned()
        .chain(more.iter().map(|level| (*level).to_owned()))
        .collect()
}

/// The work of one diff: both rule sets and the names used for "any".
struct Differ<'a> {
    old: &'a [AclRule],
    new: &'a [AclRule],
    extra: &'a [String],
    /// A prefix no rule or name contains, for made-up names and levels.
    fresh: String,
}

/// One kind of user and client id, and the names that stand for them.
struct Subject {
    users: Users,
    clients: Clients,
    user: String,
    client: String,
}

impl<'a> Differ<'a> {
    fn new(old: &'a [AclRule], new: &'a [AclRule], extra: &'a [String]) -> Self {
        let texts = old
            .iter()
            .chain(new)
            .flat_map(|rule| [Some(rule.pattern.as_str()), rule.username.as_deref()])
            .flatten()
            .chain(extra.iter().map(String::as_str));
        let longest = texts
            .flat_map(|text| text.split(|c| c != '~').map(str::len))
            .max()
            .unwrap_or(0);
        Self {
            old,
            new,
            extra,
            fresh: "~".repeat(longest + 1),
        }
    }

    fn rules(&self) -> impl Iterator<Item = &'a AclRule> {
        self.old.iter().chain(self.new)
    }

    fn run(&self) -> AccessDiff {
        let uses = |what: &str| {
            self.rules()
                .any(|rule| rule.kind == AclKind::Pattern && rule.pattern.contains(what))
        };
        let by_user = uses("%u");
        let by_client = uses("%c");
        let patterns = self.rules().any(|rule| rule.kind == AclKind::Pattern);
        let named_users: BTreeSet<String> = self
            .rules()
            .filter(|rule| rule.kind == AclKind::Topic)
            .filter_map(|rule| rule.username.clone())
            .chain(self.extra.iter().cloned())
            .collect();
        let spelled = if by_user || by_client {
            self.spelled()
        } else {
            BTreeSet::new()
        };
        let subjects = self.subjects(
            &named_users,
            &spelled,
            by_user || by_client,
            by_client,
            patterns,
        );
        let mut sections: Vec<Section> = subjects.into_iter().map(|s| self.section(s)).collect();
        mark_shown(&mut sections);
        AccessDiff {
            sections,
            by_client,
            named_users,
            spelled,
        }
    }

    /// Literal levels of pattern rules that a level holding one `%u` or
    /// `%c` could become, and what the placeholder is then.
    fn spelled(&self) -> BTreeSet<String> {
        let patterns: Vec<&AclRule> = self
            .rules()
            .filter(|rule| rule.kind == AclKind::Pattern)
            .collect();
        let levels = || patterns.iter().flat_map(|rule| rule.pattern.split('/'));
        let literals: BTreeSet<&str> = levels().filter(|level| !level.contains('%')).collect();
        let mut names = BTreeSet::new();
        for template in levels() {
            for placeholder in ["%u", "%c"] {
                let Some((before, after)) = template.split_once(placeholder) else {
                    continue;
                };
                for literal in &literals {
                    if literal.len() > before.len() + after.len()
                        && literal.starts_with(before)
                        && literal.ends_with(after)
                    {
                        names.insert(literal[before.len()..literal.len() - after.len()].to_owned());
                    }
                }
            }
        }
        names
    }

    /// Every kind of user and client id whose answers could differ.
    fn subjects(
        &self,
        named: &BTreeSet<String>,
        spelled: &BTreeSet<String>,
        by_name: bool,
        by_client: bool,
        patterns: bool,
    ) -> Vec<Subject> {
        let fresh_user = [&self.fresh, "u"].concat();
        let fresh_client = [&self.fresh, "c"].concat();
        let mut users: Vec<(Users, String)> = named
            .iter()
            .chain(spelled.iter().filter(|name| !named.contains(*name)))
            .map(|name| (Users::Named(name.clone()), name.clone()))
            .collect();
        users.push((Users::Every, fresh_user.clone()));
        if by_name {
            for prefix in ["$", "$SYS", "$share"] {
                users.push((Users::Prefixed(prefix), [prefix, &fresh_user].concat()));
            }
        }
        let mut subjects = Vec::new();
        for (user_class, user) in users {
            let mut clients = vec![(Clients::Any, fresh_client.clone())];
            if by_client {
                clients.push((Clients::UserName, user.clone()));
                clients.extend(
                    spelled
                        .iter()
                        .map(|name| (Clients::Named(name.clone()), name.clone())),
                );
                for prefix in ["$", "$SYS", "$share"] {
                    clients.push((Clients::Prefixed(prefix), [prefix, &fresh_client].concat()));
                }
            }
            if patterns {
                clients.push((Clients::Wildcard, [&fresh_client, "+"].concat()));
            }
            for (clients, client) in clients {
                subjects.push(Subject {
                    users: user_class.clone(),
                    clients,
                    user: user.clone(),
                    client,
                });
            }
        }
        subjects
    }

    /// The changes of one subject.
    fn section(&self, subject: Subject) -> Section {
        let filters: Vec<Vec<String>> = self
            .rules()
            .filter_map(|rule| match rule.kind {
                AclKind::Topic => (rule.username.as_deref() == Some(subject.user.as_str()))
                    .then(|| rule.pattern.clone()),
                AclKind::Pattern => substitute(&rule.pattern, &subject.user, Some(&subject.client)),
            })
            .chain([SYS_WRITABLE.to_owned()])
            .map(|filter| filter.split('/').map(str::to_owned).collect())
            .collect();
        let alive: Vec<&[String]> = filters.iter().map(Vec::as_slice).collect();
        let mut topic = Vec::new();
        let tree = self.explore(&subject, &mut topic, &alive);
        let mut raw = Vec::new();
        for gained in [true, false] {
            for access in [Access::Read, Access::Write] {
                let inside = |answers: &Answers| {
                    let at = usize::from(access == Access::Write);
                    let (old, new) = (answers[at], answers[2 + at]);
                    if gained { !old && new } else { old && !new }
                };
                let (lines, _) = describe(&tree, &mut Vec::new(), &inside);
                raw.extend(lines.into_iter().map(|line| Change {
                    gained,
                    access,
                    filter: shown_filter(&line.filter),
                    except: line.except.iter().map(|e| shown_filter(e)).collect(),
                }));
            }
        }
        let generic_user = matches!(subject.users, Users::Every | Users::Prefixed(_));
        let generic_client = subject.clients == Clients::Any;
        let shown = |text: &str| {
            let user = if generic_user {
                "%u"
            } else {
                subject.user.as_str()
            };
            let client = if generic_client {
                "%c"
            } else {
                subject.client.as_str()
            };
            replace_names(text, &subject.user, user, &subject.client, client)
        };
        let changes = raw
            .iter()
            .map(|change| Change {
                filter: shown(&change.filter),
                except: change.except.iter().map(|e| shown(e)).collect(),
                ..change.clone()
            })
            .collect();
        Section {
            users: subject.users,
            clients: subject.clients,
            changes,
            shown: true,
            names: (subject.user, subject.client),
            raw,
        }
    }

    /// The classes of topics at and below `topic` (made-up levels standing
    /// for "any other"), given the filters still matching it (their levels
    /// after it).
    fn explore(&self, subject: &Subject, topic: &mut Vec<String>, alive: &[&[String]]) -> Node {
        let exact = (!topic.is_empty()).then(|| self.answers(subject, topic));
        // Filters with a level after the prefix other than a final `#`.
        let going: Vec<&[String]> = alive
            .iter()
            .filter(|levels| levels.first().is_some_and(|level| level != "#"))
            .copied()
            .collect();
        let other = [&self.fresh, "t"].concat();
        if going.is_empty() {
            topic.push(other);
            let answers = self.answers(subject, topic);
            topic.pop();
            return Node {
                exact,
                below: Below::Alike(answers),
            };
        }
        let spelled: BTreeSet<&str> = going
            .iter()
            .map(|levels| levels[0].as_str())
            .filter(|level| !level.contains(['+', '#']))
            .collect();
        let mut children = Vec::new();
        for level in spelled {
            let next: Vec<&[String]> = going
                .iter()
                .filter(|levels| levels[0] == level || levels[0] == "+")
                .map(|levels| &levels[1..])
                .collect();
            topic.push(level.to_owned());
            children.push((level.to_owned(), self.explore(subject, topic, &next)));
            topic.pop();
        }
        let next: Vec<&[String]> = going
            .iter()
            .filter(|levels| levels[0] == "+")
            .map(|levels| &levels[1..])
            .collect();
        topic.push(other);
        let rest = self.explore(subject, topic, &next);
        topic.pop();
        Node {
            exact,
            below: Below::Split(children, Box::new(rest)),
        }
    }

    /// The answers for one topic.
    fn answers(&self, subject: &Subject, topic: &[String]) -> Answers {
        let topic = topic.join("/");
        let ask = |rules: &[AclRule], access| {
            let query = AccessQuery {
                username: subject.user.clone(),
                client_id: Some(subject.client.clone()),
                topic: topic.clone(),
                access,
            };
            evaluate_at(rules, &query).is_ok_and(|(allowed, _)| allowed)
        };
        [
            ask(self.old, Access::Read),
            ask(self.old, Access::Write),
            ask(self.new, Access::Read),
            ask(self.new, Access::Write),
        ]
    }
}

/// A filter's levels as text; `+/#` at the root is `#`.
fn shown_filter(levels: &[String]) -> String {
    if levels == ["+", "#"] {
        return "#".to_owned();
    }
    levels.join("/")
}

/// Hides a section that says what another says, names filled in: one
/// about a client id said by its users' section for any client id, one
/// about users by name (that no topic rule names) or by prefix said by
/// every user's.
fn mark_shown(sections: &mut [Section]) {
    let said = |sections: &[Section], index: usize| {
        let section = &sections[index];
        let base = if section.clients == Clients::Any {
            if matches!(section.users, Users::Every) {
                return false;
            }
            sections
                .iter()
                .find(|other| other.users == Users::Every && other.clients == Clients::Any)
        } else {
            sections
                .iter()
                .find(|other| other.users == section.users && other.clients == Clients::Any)
        };
        base.is_some_and(|base| {
            let (user, client) = &base.names;
            let fill =
                |text: &str| replace_names(text, user, &section.names.0, client, &section.names.1);
            let filled: Vec<Change> = base
                .raw
                .iter()
                .map(|change| Change {
                    filter: fill(&change.filter),
                    except: change.except.iter().map(|e| fill(e)).collect(),
                    ..change.clone()
                })
                .collect();
            filled == section.raw
        })
    };
    let hidden: Vec<bool> = (0..sections.len())
        .map(|index| said(sections, index))
        .collect();
    for (section, hidden) in sections.iter_mut().zip(hidden) {
        section.shown = !hidden && !section.changes.is_empty();
    }
}

/// The topics of a node inside and outside a region, as lines: the
/// shorter of the union of its parts and "all but the outside".
fn describe(node: &Node, path: &mut Vec<String>, inside: &dyn Fn(&Answers) -> bool) -> Sides {
    let exact = node.exact.map(|answers| inside(&answers));
    match &node.below {
        Below::Alike(answers) => {
            let below = inside(answers);
            let lines = |want: bool| match (exact.map(|e| e == want), below == want) {
                (Some(true) | None, true) => vec![Line::new(joined(path, &["#"]))],
                (Some(true), false) => vec![Line::new(path.clone())],
                (Some(false), true) => vec![Line::new(joined(path, &["+", "#"]))],
                (_, false) => Vec::new(),
            };
            (lines(true), lines(false))
        }
        Below::Split(children, rest) => {
            let mut parts = Vec::new();
            for (level, child) in children {
                path.push(level.clone());
                parts.push((level.as_str(), describe(child, path, inside)));
                path.pop();
            }
            path.push("+".to_owned());
            let rest = describe(rest, path, inside);
            path.pop();
            let union = |want: bool| union(path, exact == Some(want), &parts, &rest, want);
            let (inner, outer) = (union(true), union(false));
            let best = |want: bool, lines: Vec<Line>, others: &[Line]| match all_but(
                path, exact, want, others,
            ) {
                Some(all) if Line::cost(&all) < Line::cost(&lines) => all,
                _ => lines,
            };
            let inside_lines = best(true, inner.clone(), &outer);
            let outside_lines = best(false, outer, &inner);
            (inside_lines, outside_lines)
        }
    }
}

/// The lines of a split node's topics on one side: the prefix itself, each
/// spelled-out level's lines, and the lines of "any other level", which
/// take in a spelled-out level's identical line or else except it.
fn union(
    path: &[String],
    exact: bool,
    parts: &[(&str, Sides)],
    rest: &Sides,
    want: bool,
) -> Vec<Line> {
    let side = |pair: &Sides| if want { pair.0.clone() } else { pair.1.clone() };
    let at = path.len();
    let mut lines = Vec::new();
    if exact {
        lines.push(Line::new(path.to_vec()));
    }
    let mut spelled: Vec<Vec<Line>> = parts.iter().map(|(_, pair)| side(pair)).collect();
    for line in side(rest) {
        let mut line = line;
        let mut excepted = Vec::new();
        for ((level, _), their) in parts.iter().zip(spelled.iter_mut()) {
            // `+` never matches a first level starting with `$`.
            if at == 0 && level.starts_with('$') {
                continue;
            }
            let twin = line.with_level(at, level);
            match their.iter().position(|theirs| *theirs == twin) {
                Some(found) => {
                    their.remove(found);
                }
                None => excepted.push(twin.filter),
            }
        }
        line.except.extend(excepted);
        lines.push(line);
    }
    lines.extend(spelled.into_iter().flatten());
    lines
}

/// A node's topics on one side as "all but the other side", when the other
/// side's lines have no exceptions of their own (not at the root, where
/// `#` leaves out `$` topics).
fn all_but(path: &[String], exact: Option<bool>, want: bool, others: &[Line]) -> Option<Vec<Line>> {
    let exact = exact?;
    let base = if exact == want {
        joined(path, &["#"])
    } else {
        joined(path, &["+", "#"])
    };
    let mut except = Vec::new();
    for line in others {
        if !line.except.is_empty() {
            return None;
        }
        if line.filter.as_slice() != path {
            except.push(line.filter.clone());
        }
    }
    Some(vec![Line {
        filter: base,
        except,
    }])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_rule;

    fn lines(old: &[AclRule], new: &[AclRule]) -> Vec<String> {
        diff(old, new).lines().collect()
    }

    #[test]
    fn a_new_user_rule_is_a_gain_for_that_user() {
        let new = [test_rule(
            AclKind::Topic,
            Some("sensor-1"),
            "sensors/1/#",
            false,
            true,
        )];
        assert_eq!(lines(&[], &new), ["+ write sensor-1 sensors/1/#"]);
        assert_eq!(lines(&new, &[]), ["- write sensor-1 sensors/1/#"]);
        assert!(diff(&new, &new).is_empty());
    }

    #[test]
    fn exceptions_are_named() {
        let old = [test_rule(
            AclKind::Topic,
            Some("dashboard"),
            "#",
            true,
            false,
        )];
        let new = [
            test_rule(AclKind::Topic, Some("dashboard"), "secret/#", false, false),
            test_rule(AclKind::Topic, Some("dashboard"), "#", true, false),
        ];
        assert_eq!(lines(&old, &new), ["- read dashboard secret/#"]);
    }

    #[test]
    fn pattern_rules_change_access_for_every_user() {
        let new = [
            test_rule(AclKind::Pattern, None, "home/%u/private", false, false),
            test_rule(AclKind::Pattern, None, "home/%u/#", true, false),
        ];
        assert_eq!(
            lines(&[], &new),
            ["+ read every user home/%u/# except home/%u/private"]
        );
    }

    #[test]
    fn world_writable_topics_are_found() {
        let new = [test_rule(AclKind::Pattern, None, "public/#", true, true)];
        let report = diff(&[], &new);
        let world: Vec<&str> = report
            .world_writable()
            .iter()
            .map(|change| change.filter.as_str())
            .collect();
        assert_eq!(world, ["public/#"]);
        let own = [test_rule(AclKind::Pattern, None, "home/%u/#", true, true)];
        assert!(diff(&[], &own).world_writable().is_empty());
    }

    #[test]
    fn a_user_whose_name_the_rules_spell_gets_its_own_section() {
        let old = [test_rule(
            AclKind::Pattern,
            None,
            "home/kitchen/#",
            true,
            false,
        )];
        let new = [test_rule(AclKind::Pattern, None, "home/%u/#", true, false)];
        let report = diff(&old, &new);
        // For user kitchen nothing changes, so it has no section.
        assert_eq!(
            report.lines().collect::<Vec<_>>(),
            [
                "+ read every user home/%u/#",
                "- read every user home/kitchen/#"
            ]
        );
        assert!(report.changes_for("kitchen", "c").is_empty());
        assert_eq!(report.changes_for("bob", "c").len(), 2);
    }
}
