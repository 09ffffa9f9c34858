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
//!   get their own section when their changes differ;
//! - a section that changes nothing where `every user` would say it does
//!   is shown as `= admin no change of access`;
//! - pattern rules give nothing to a client id holding `+` or `#`: for a
//!   user that no topic rule names nothing changes there, and the `every
//!   user` lines leave such client ids out; the users with topic rules for
//!   whose such client ids nothing changes, where their own lines would
//!   say otherwise, share one line (`= alice, bob with a client id holding
//!   + or # no change of access`).
//!
//! A user name or client id holding `/` spreads over several levels; those
//! are exact when named ([`diff_for`]), not as `every user`.

use std::borrow::Cow;

use cloudmqtt_api::{AclKind, validate};

use crate::text::{concat, contains, find, has_placeholder, join, split_levels};
use crate::{Access, AclRule, Reason, substitute, topic_matches};

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
        let mut out = concat(&[&self.filter, " except "]);
        for (at, except) in self.except.iter().enumerate() {
            if at > 0 {
                out.push_str(", ");
            }
            out.push_str(except);
        }
        out
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
    /// The section that speaks for this one when it is not shown.
    #[cfg_attr(feature = "serde", serde(skip))]
    base: Option<usize>,
}

impl Section {
    /// The user's name, for a section about one user.
    pub fn user(&self) -> Option<&str> {
        match &self.users {
            Users::Named(name) => Some(name),
            _ => None,
        }
    }

    /// The client id, for a section about one client id.
    pub fn client_id(&self) -> Option<&str> {
        match &self.clients {
            Clients::Named(name) => Some(name),
            _ => None,
        }
    }

    /// Who the section is about, in words: `sensor-1`, `every user`,
    /// `every user with client id %u`, ...
    pub fn who(&self) -> String {
        let users = match &self.users {
            Users::Named(name) => name.clone(),
            Users::Every => "every user".to_owned(),
            Users::Prefixed(prefix) => concat(&["every user whose name starts with ", prefix]),
        };
        let clients = match &self.clients {
            Clients::Any => String::new(),
            Clients::UserName => " with client id %u".to_owned(),
            Clients::Named(name) => concat(&[" with client id ", name]),
            Clients::Prefixed(prefix) => concat(&[" with a client id starting with ", prefix]),
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
    named_users: Names,
    /// The users with topic rules.
    own_users: Names,
    /// Literal levels that a `%u` or `%c` level could become.
    spelled: Names,
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
    /// every user home/%u/# except home/%u/private`; a section without
    /// changes that `every user` would otherwise speak for as
    /// `= admin no change of access`.
    pub fn lines(&self) -> impl Iterator<Item = String> + '_ {
        let quiet =
            |section: &Section| section.clients == Clients::Wildcard && section.changes.is_empty();
        // Client ids holding `+` or `#` for which nothing changes: one line.
        let mut names: Vec<&str> = Vec::new();
        let mut lines = Vec::new();
        for section in self.sections() {
            if quiet(section) {
                if let Users::Named(name) = &section.users {
                    names.push(name);
                }
                continue;
            }
            let who = section.who();
            if section.changes.is_empty() {
                lines.push(concat(&["= ", &who, " no change of access"]));
            }
            for change in &section.changes {
                let sign = if change.gained { "+ " } else { "- " };
                lines.push(concat(&[
                    sign,
                    change.access.as_str(),
                    " ",
                    &who,
                    " ",
                    &change.topics(),
                ]));
            }
        }
        if !names.is_empty() {
            lines.push(concat(&[
                "= ",
                &join(&names, ", "),
                " with a client id holding + or # no change of access",
            ]));
        }
        lines.into_iter()
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
        let mut found = Vec::new();
        for section in &self.sections {
            if section.users != Users::Every || section.clients != Clients::Any {
                continue;
            }
            for change in &section.changes {
                if change.gained
                    && change.access == Access::Write
                    && !has_placeholder(&change.filter)
                {
                    found.push(change);
                }
            }
        }
        found
    }

    /// The changes for one user name and client id, their names filled
    /// in: what the section that covers them says.
    pub fn changes_for(&self, user: &str, client_id: &str) -> Vec<Change> {
        let users = if has(&self.named_users, user) || has(&self.spelled, user) {
            Users::Named(user.to_owned())
        } else {
            dollar_class(user).map_or(Users::Every, Users::Prefixed)
        };
        let clients = self.client_classes(user, client_id);
        if clients[0] == Clients::Wildcard && !has(&self.own_users, user) {
            // Pattern rules give it nothing, and it has no topic rules.
            return Vec::new();
        }
        let find = |users: &Users, clients: &Clients| {
            self.sections
                .iter()
                .find(|section| section.users == *users && section.clients == *clients)
        };
        // Kinds of names that make no difference to these rules have no
        // section: they are like any other.
        let Some(mut section) = [&users, &Users::Every]
            .into_iter()
            .find_map(|users| clients.iter().find_map(|clients| find(users, clients)))
        else {
            return Vec::new();
        };
        // A section not shown says what the section it falls back on
        // says, names filled in: what a reader of the lines concludes.
        while let (false, Some(base)) = (section.shown, section.base) {
            section = &self.sections[base];
        }
        filled(&section.raw, &section.names, (user, client_id))
    }

    /// The kinds of client ids a client id could be counted with, the
    /// most particular first; the first with a section is its kind.
    fn client_classes(&self, user: &str, client_id: &str) -> Vec<Clients> {
        let mut classes = Vec::new();
        if client_id.contains(['+', '#']) {
            classes.push(Clients::Wildcard);
        } else if self.by_client {
            if client_id == user {
                classes.push(Clients::UserName);
            }
            classes.push(Clients::Named(client_id.to_owned()));
            classes.extend(dollar_class(client_id).map(Clients::Prefixed));
        }
        classes.push(Clients::Any);
        classes
    }
}

/// Names, sorted, each once (vectors rather than ordered sets: the
/// WebAssembly build carries less code for them; see the README's Size
/// table).
type Names = Vec<String>;

/// Sorts names and drops the repeated ones. Sorted as `&str`, which
/// other code here sorts too, and only then copied (see README, Size).
fn names(mut names: Vec<&str>) -> Names {
    names.sort_unstable();
    names.dedup();
    let mut owned = Vec::with_capacity(names.len());
    for name in names {
        owned.push(name.to_owned());
    }
    owned
}

/// Whether sorted names hold one.
fn has(names: &[String], name: &str) -> bool {
    names
        .binary_search_by(|other| other.as_str().cmp(name))
        .is_ok()
}

/// The `$` class of a name, if it starts with `$`.
fn dollar_class(name: &str) -> Option<&'static str> {
    ["$SYS", "$share", "$"]
        .into_iter()
        .find(|prefix| name.starts_with(prefix))
}

/// Changes with the names they were worked out for (`from`: user name,
/// client id) replaced by others (`to`).
fn filled(changes: &[Change], from: &(String, String), to: (&str, &str)) -> Vec<Change> {
    let fill = |text: &str| replace_names(text, &from.0, to.0, &from.1, to.1);
    let mut filled = Vec::with_capacity(changes.len());
    for change in changes {
        let mut except = Vec::with_capacity(change.except.len());
        for text in &change.except {
            except.push(fill(text));
        }
        filled.push(Change {
            filter: fill(&change.filter),
            except,
            ..change.clone()
        });
    }
    filled
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
    // Where no name that changes occurs, the text stays as it is.
    let changes =
        |(from, to): &(&str, &str)| !from.is_empty() && from != to && contains(text, from);
    if !pairs.iter().any(changes) {
        return text.to_owned();
    }
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

/// The classes of topics under a prefix (levels borrowed from the
/// filters).
enum Below<'t> {
    /// Every topic below the prefix is answered alike.
    Alike(Answers),
    /// Split by the next level: the levels the filters spell out, and any
    /// other level.
    Split(Vec<(&'t str, Node<'t>)>, Box<Node<'t>>),
}

/// The topics at and below one prefix.
struct Node<'t> {
    /// The prefix itself, as a topic (none at the root).
    exact: Option<Answers>,
    below: Below<'t>,
    /// Which answers occur at or below the prefix, a bit each.
    seen: u16,
}

/// The bit of some answers in [`Node::seen`].
fn bit(answers: &Answers) -> u16 {
    let index = answers
        .iter()
        .fold(0, |index, answer| index * 2 + usize::from(*answer));
    1 << index
}

/// The answers of a bit of [`Node::seen`].
fn unbit(index: usize) -> Answers {
    [
        index & 8 != 0,
        index & 4 != 0,
        index & 2 != 0,
        index & 1 != 0,
    ]
}

/// A node's topics inside a region and outside it, as lines.
type Sides<'t> = (Vec<Line<'t>>, Vec<Line<'t>>);

/// A topic filter less some exceptions, as levels (borrowed from the
/// filters).
#[derive(Debug, Clone, PartialEq, Eq)]
struct Line<'t> {
    filter: Vec<&'t str>,
    except: Vec<Vec<&'t str>>,
}

impl<'t> Line<'t> {
    fn new(filter: Vec<&'t str>) -> Self {
        Self {
            filter,
            except: Vec::new(),
        }
    }

    fn cost(lines: &[Self]) -> usize {
        lines.iter().map(|line| 1 + line.except.len()).sum()
    }

    /// Whether `other` is this line, with only its first `known`
    /// exceptions, with level `at` (a `+`) replaced by `level`.
    fn is_twin(&self, known: usize, at: usize, level: &str, other: &Self) -> bool {
        let same = |mine: &[&str], theirs: &[&str]| {
            mine.len() == theirs.len()
                && (mine.iter().zip(theirs).enumerate()).all(|(index, (mine, theirs))| {
                    *theirs == if index == at { level } else { mine }
                })
        };
        let except = &self.except[..known];
        same(&self.filter, &other.filter)
            && except.len() == other.except.len()
            && (except.iter().zip(&other.except)).all(|(mine, theirs)| same(mine, theirs))
    }
}

/// Extends a path by some levels.
fn joined<'t>(path: &[&'t str], more: &[&'t str]) -> Vec<&'t str> {
    let mut levels = Vec::with_capacity(path.len() + more.len());
    levels.extend_from_slice(path);
    levels.extend_from_slice(more);
    levels
}

/// The work of one diff: both rule sets and the names used for "any".
struct Differ<'a> {
    extra: &'a [String],
    /// Each user's topic rules, old and new.
    own: Vec<(&'a str, [Vec<&'a AclRule>; 2])>,
    /// The pattern rules, old and new.
    patterns: [Vec<&'a AclRule>; 2],
    /// Whether the old and new pattern rules allow the same.
    patterns_alike: bool,
    /// Whether a user name holds `/`, which moves the levels after it.
    shifted: bool,
    /// A prefix no rule or name contains, for made-up names and levels.
    fresh: String,
    /// The made-up level standing for any other level.
    other: String,
}

/// One kind of user and client id, and the names that stand for them.
struct Subject {
    users: Users,
    clients: Clients,
    user: String,
    client: String,
}

/// The names a placeholder level of `patterns` could be filled with to
/// become a literal level of `literals` at the same depth (any depth when
/// `shifted`: a user name holding `/` moves the levels after it).
fn spelled_names<'r>(
    patterns: &[&'r AclRule],
    literals: &[&'r AclRule],
    placeholders: [&str; 2],
    shifted: bool,
) -> Names {
    let literals = levels(literals, shifted, |level| !level.contains(['%', '+', '#']));
    let templates = levels(patterns, shifted, |level| level.contains('%'));
    let mut found = Vec::new();
    for (at, template) in &templates {
        for placeholder in placeholders {
            let Some((before, after)) = find(template, placeholder)
                .map(|at| (&template[..at], &template[at + placeholder.len()..]))
            else {
                continue;
            };
            let start = literals.partition_point(|(other, _)| other < at);
            let meets = literals[start..]
                .iter()
                .take_while(|(other, _)| other == at);
            for (_, literal) in meets {
                if literal.len() > before.len() + after.len()
                    && literal.starts_with(before)
                    && literal.ends_with(after)
                {
                    found.push(&literal[before.len()..literal.len() - after.len()]);
                }
            }
        }
    }
    names(found)
}

/// The levels of `rules` that `keep` keeps, each with its depth (0 when
/// `shifted`), sorted and each once.
fn levels<'r>(
    rules: &[&'r AclRule],
    shifted: bool,
    keep: fn(&str) -> bool,
) -> Vec<(usize, &'r str)> {
    let mut found = Vec::new();
    for rule in rules {
        for (at, level) in rule.pattern.split('/').enumerate() {
            if keep(level) {
                found.push((if shifted { 0 } else { at }, level));
            }
        }
    }
    found.sort_unstable();
    found.dedup();
    found
}

/// A filter still matching a topic's prefix: its levels after the prefix,
/// and whether its rule is in one list and not the other.
type Alive<'f> = (&'f [&'f str], bool);

/// Which kinds of names the rules make a difference for.
struct Kinds {
    /// Client ids (a pattern rule uses `%c`).
    by_client: bool,
    /// Client ids holding `+` or `#` (there are pattern rules).
    patterns: bool,
    /// User names starting with `$`.
    dollar_users: bool,
    /// Client ids starting with `$`.
    dollar_clients: bool,
}

/// A subject and the rules that can decide for it, old and new: its topic
/// rules and the pattern rules, their filters as levels with the
/// subject's names in place.
struct Case<'f> {
    /// Whether the user name and client id can be asked about.
    valid: bool,
    /// Whether the user name or the client id holds `+` or `#`.
    wildcard: bool,
    /// The old rules and the new.
    sides: [Side<'f>; 2],
}

/// One rule set as it decides for a subject.
#[derive(Default)]
struct Side<'f> {
    /// The subject's topic rules.
    own: Vec<Asked<'f>>,
    /// The pattern rules.
    patterns: Vec<Asked<'f>>,
}

/// A rule as it decides for a subject: its filter's levels and rights.
struct Asked<'f> {
    levels: &'f [&'f str],
    read: bool,
    write: bool,
}

/// A rule's filter for a subject, as text: which side it is on, whether
/// it is a pattern rule, its rights, and whether the other side lacks it.
struct Filter<'r> {
    side: usize,
    pattern: bool,
    text: Cow<'r, str>,
    read: bool,
    write: bool,
    changed: bool,
}

/// A topic being looked at: its levels and its text.
struct Topic<'f> {
    levels: Vec<&'f str>,
    text: String,
}

impl<'f> Topic<'f> {
    fn push(&mut self, level: &'f str) {
        if !self.levels.is_empty() {
            self.text.push('/');
        }
        self.text.push_str(level);
        self.levels.push(level);
    }

    fn pop(&mut self) {
        if let Some(level) = self.levels.pop() {
            let slash = usize::from(!self.levels.is_empty());
            self.text.truncate(self.text.len() - level.len() - slash);
        }
    }
}

/// Whether two lists of rules allow the same: the same rules, in any
/// order (what is allowed does not depend on it), twice or once.
fn alike(one: &[&AclRule], other: &[&AclRule]) -> bool {
    keys(one) == keys(other)
}

/// A rule's kind (whether a pattern rule) and rights as one number, and
/// its pattern. The keys are only compared for equality and looked up, so
/// any order does; this one is the type [`levels`] sorts, which the
/// WebAssembly build then sorts with one copy of the code (see README,
/// Size).
fn rule_key(rule: &AclRule) -> (usize, &str) {
    let pattern = usize::from(rule.kind == AclKind::Pattern);
    let rights = pattern * 4 + usize::from(rule.read) * 2 + usize::from(rule.write);
    (rights, rule.pattern.as_str())
}

/// The rules' [`rule_key`]s, sorted, each once.
fn keys<'r>(rules: &[&'r AclRule]) -> Vec<(usize, &'r str)> {
    let mut keys = Vec::with_capacity(rules.len());
    for rule in rules {
        keys.push(rule_key(rule));
    }
    keys.sort_unstable();
    keys.dedup();
    keys
}

impl<'a> Differ<'a> {
    fn new(old: &'a [AclRule], new: &'a [AclRule], extra: &'a [String]) -> Self {
        // The longest run of `~` in any pattern, user name or extra name.
        let mut longest = 0;
        let mut measure = |text: &str| {
            for run in text.split(|c| c != '~') {
                longest = longest.max(run.len());
            }
        };
        for rule in old.iter().chain(new) {
            measure(&rule.pattern);
            if let Some(user) = &rule.username {
                measure(user);
            }
        }
        for name in extra {
            measure(name);
        }
        let topic_user = |rule: &'a AclRule| match rule.kind {
            AclKind::Topic => rule.username.as_deref(),
            AclKind::Pattern => None,
        };
        // Each user's topic rules, by user name, then in the lists' order:
        // the names sorted first (as `&str`, which other code here sorts
        // too, see README, Size), then the rules dealt out in order.
        let mut users: Vec<&str> = Vec::new();
        for rule in old.iter().chain(new) {
            users.extend(topic_user(rule));
        }
        users.sort_unstable();
        users.dedup();
        let mut own: Vec<(&str, [Vec<&AclRule>; 2])> = Vec::with_capacity(users.len());
        for user in users {
            own.push((user, [Vec::new(), Vec::new()]));
        }
        let mut patterns = [Vec::new(), Vec::new()];
        for (side, rules) in [old, new].into_iter().enumerate() {
            for rule in rules {
                if rule.kind == AclKind::Pattern {
                    patterns[side].push(rule);
                } else if let Some(user) = topic_user(rule)
                    && let Ok(at) = own.binary_search_by(|(name, _)| (*name).cmp(user))
                {
                    own[at].1[side].push(rule);
                }
            }
        }
        let shifted = own.iter().any(|(name, _)| name.contains('/'))
            || extra.iter().any(|name| name.contains('/'));
        Self {
            extra,
            own,
            patterns_alike: alike(&patterns[0], &patterns[1]),
            patterns,
            shifted,
            other: "~".repeat(longest + 1) + "t",
            fresh: "~".repeat(longest + 1),
        }
    }

    /// A user's topic rules, old and new.
    fn own_rules(&self, user: &str) -> Option<&[Vec<&'a AclRule>; 2]> {
        let at = self
            .own
            .binary_search_by(|(name, _)| (*name).cmp(user))
            .ok()?;
        Some(&self.own[at].1)
    }

    fn run(&self) -> AccessDiff {
        let all_patterns = [&self.patterns[0][..], &self.patterns[1][..]].concat();
        let patterns = || all_patterns.iter();
        let uses = |what: &str| patterns().any(|rule| contains(&rule.pattern, what));
        let by_user = uses("%u");
        let by_client = uses("%c");
        let mut named_users = Vec::with_capacity(self.own.len() + self.extra.len());
        for (name, _) in &self.own {
            named_users.push(*name);
        }
        for name in self.extra {
            named_users.push(name.as_str());
        }
        let named_users = names(named_users);
        let spelled = if by_user || by_client {
            self.spelled()
        } else {
            Names::new()
        };
        // A name starting with `$` makes a difference only where a filter
        // starts with it.
        let starts = |what: &str| patterns().any(|rule| rule.pattern.starts_with(what));
        let dollar_clients = starts("%c");
        let kinds = Kinds {
            by_client,
            patterns: patterns().next().is_some(),
            dollar_users: starts("%u") || dollar_clients,
            dollar_clients,
        };
        let subjects = self.subjects(&named_users, &spelled, &kinds);
        let mut sections = Vec::with_capacity(subjects.len());
        for subject in subjects {
            sections.push(self.section(subject));
        }
        mark_shown(&mut sections);
        let mut own_users = Vec::with_capacity(self.own.len());
        for (name, _) in &self.own {
            own_users.push((*name).to_owned());
        }
        AccessDiff {
            sections,
            own_users,
            by_client,
            named_users,
            spelled,
        }
    }

    /// Literal levels of pattern rules that a level holding one `%u` or
    /// `%c` could become, and what the placeholder is then.
    fn spelled(&self) -> Names {
        let patterns = [&self.patterns[0][..], &self.patterns[1][..]].concat();
        spelled_names(&patterns, &patterns, ["%u", "%c"], self.shifted)
    }

    /// The client ids that a user's own topic rules spell out where a
    /// pattern rule has `%c`.
    fn spelled_clients(&self, user: &str) -> Names {
        let Some(own) = self.own_rules(user) else {
            return Names::new();
        };
        let own = [&own[0][..], &own[1][..]].concat();
        let mut patterns = Vec::new();
        for rule in self.patterns.iter().flatten() {
            if contains(&rule.pattern, "%c") {
                patterns.push(*rule);
            }
        }
        spelled_names(&patterns, &own, ["%c", "%c"], self.shifted)
    }

    /// Every kind of user and client id whose answers could differ.
    fn subjects(&self, named: &[String], spelled: &[String], kinds: &Kinds) -> Vec<Subject> {
        let fresh_user = concat(&[&self.fresh, "u"]);
        let fresh_client = concat(&[&self.fresh, "c"]);
        let mut users = Vec::new();
        for name in named {
            users.push((Users::Named(name.clone()), name.clone()));
        }
        for name in spelled {
            if !has(named, name) {
                users.push((Users::Named(name.clone()), name.clone()));
            }
        }
        users.push((Users::Every, fresh_user.clone()));
        if kinds.dollar_users {
            for prefix in ["$", "$SYS", "$share"] {
                users.push((Users::Prefixed(prefix), concat(&[prefix, &fresh_user])));
            }
        }
        let mut subjects = Vec::new();
        for (user_class, user) in users {
            let mut clients = vec![(Clients::Any, fresh_client.clone())];
            if kinds.by_client {
                clients.push((Clients::UserName, user.clone()));
                let own = self.spelled_clients(&user);
                let mut both = Vec::with_capacity(own.len() + spelled.len());
                for name in own.iter().chain(spelled) {
                    both.push(name.as_str());
                }
                let both = names(both);
                for name in both {
                    clients.push((Clients::Named(name.clone()), name));
                }
            }
            if kinds.dollar_clients {
                for prefix in ["$", "$SYS", "$share"] {
                    clients.push((Clients::Prefixed(prefix), concat(&[prefix, &fresh_client])));
                }
            }
            // Pattern rules give nothing to a client id holding `+` or
            // `#`, so only a user with topic rules can see a change there.
            if kinds.patterns && self.own_rules(&user).is_some() {
                clients.push((Clients::Wildcard, concat(&[&fresh_client, "+"])));
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
        let none = [Vec::new(), Vec::new()];
        let own = self.own_rules(&subject.user).unwrap_or(&none);
        let mut raw = Vec::new();
        // Nothing that decides for this subject changed: no need to look.
        if !self.patterns_alike || !alike(&own[0], &own[1]) {
            self.changes(&subject, own, &mut raw);
        }
        // Shown with `%u` and `%c` for the names that stand for any.
        let names = (subject.user, subject.client);
        let user = match subject.users {
            Users::Every | Users::Prefixed(_) => "%u",
            Users::Named(_) => names.0.as_str(),
        };
        let client = if subject.clients == Clients::Any {
            "%c"
        } else {
            names.1.as_str()
        };
        let changes = filled(&raw, &names, (user, client));
        Section {
            users: subject.users,
            clients: subject.clients,
            changes,
            shown: true,
            names,
            raw,
            base: None,
        }
    }
}

/// Working out one subject's changes: the classes of topics, and their
/// answers.
impl Differ<'_> {
    /// The changes of one subject whose rules changed, with its names in
    /// place.
    fn changes(&self, subject: &Subject, own: &[Vec<&AclRule>; 2], raw: &mut Vec<Change>) {
        let filters = self.filters(subject, own);
        let mut levels: Vec<Vec<&str>> = Vec::with_capacity(filters.len());
        for filter in &filters {
            levels.push(split_levels(&filter.text));
        }
        let wildcard = |text: &str| text.contains(['+', '#']);
        let mut case = Case {
            valid: validate::username(&subject.user).is_ok()
                && validate::client_id(&subject.client).is_ok(),
            wildcard: wildcard(&subject.user) || wildcard(&subject.client),
            sides: [Side::default(), Side::default()],
        };
        // The last filter is the `$SYS` topic anyone may write, no rule's.
        for (filter, levels) in filters.iter().zip(&levels).take(filters.len() - 1) {
            let side = &mut case.sides[filter.side];
            let list = if filter.pattern {
                &mut side.patterns
            } else {
                &mut side.own
            };
            list.push(Asked {
                levels,
                read: filter.read,
                write: filter.write,
            });
        }
        let mut alive: Vec<Alive<'_>> = Vec::with_capacity(filters.len());
        for (filter, levels) in filters.iter().zip(&levels) {
            alive.push((levels.as_slice(), filter.changed));
        }
        let mut topic = Topic {
            levels: Vec::with_capacity(8),
            text: String::with_capacity(64),
        };
        let tree = self.explore(&case, &mut topic, &alive, false);
        for gained in [true, false] {
            for access in [Access::Read, Access::Write] {
                let inside = |answers: &Answers| {
                    let at = usize::from(access == Access::Write);
                    let (old, new) = (answers[at], answers[2 + at]);
                    if gained { !old && new } else { old && !new }
                };
                let (lines, _) = describe(&tree, &mut Vec::with_capacity(8), &inside);
                for line in lines {
                    let mut except = Vec::with_capacity(line.except.len());
                    for levels in &line.except {
                        except.push(shown_filter(levels));
                    }
                    raw.push(Change {
                        gained,
                        access,
                        filter: shown_filter(&line.filter),
                        except,
                    });
                }
            }
        }
    }

    /// The filters of a subject's rules, old then new, with its names in
    /// place, and last the `$SYS` topic anyone may write. Only topics a
    /// rule in one list and not the other matches can be answered
    /// differently; every rule counts when pattern rules come or go
    /// (their presence alone denies wildcard names).
    fn filters<'r>(&'r self, subject: &Subject, own: &[Vec<&'r AclRule>; 2]) -> Vec<Filter<'r>> {
        let rules = |side: usize| [&own[side][..], &self.patterns[side][..]].concat();
        let keys = [keys(&rules(0)), keys(&rules(1))];
        let everything = self.patterns[0].is_empty() != self.patterns[1].is_empty();
        let mut filters = Vec::new();
        for side in 0..2 {
            for rule in rules(side) {
                let text = match rule.kind {
                    AclKind::Topic => Cow::Borrowed(rule.pattern.as_str()),
                    AclKind::Pattern => {
                        match substitute(&rule.pattern, &subject.user, Some(&subject.client)) {
                            Some(text) => Cow::Owned(text),
                            None => continue,
                        }
                    }
                };
                let changed = keys[1 - side].binary_search(&rule_key(rule)).is_err();
                filters.push(Filter {
                    side,
                    pattern: rule.kind == AclKind::Pattern,
                    text,
                    read: rule.read,
                    write: rule.write,
                    changed: changed || everything,
                });
            }
        }
        filters.push(Filter {
            side: 0,
            pattern: false,
            text: Cow::Borrowed(SYS_WRITABLE),
            read: false,
            write: false,
            changed: false,
        });
        filters
    }

    /// The classes of topics at and below `topic` (made-up levels standing
    /// for "any other"), given the filters still matching it (their levels
    /// after it).
    fn explore<'f>(
        &'f self,
        case: &Case<'_>,
        topic: &mut Topic<'f>,
        alive: &[Alive<'f>],
        covered: bool,
    ) -> Node<'f> {
        // No changed rule can match here or below: answered alike.
        if !covered && !alive.iter().any(|(_, changed)| *changed) {
            let same = [false; 4];
            return Node {
                exact: (!topic.levels.is_empty()).then_some(same),
                below: Below::Alike(same),
                seen: bit(&same),
            };
        }
        // A changed rule whose `#` takes in everything below.
        let covered = covered
            || alive
                .iter()
                .any(|(levels, changed)| *changed && levels.first() == Some(&"#"));
        let exact = (!topic.levels.is_empty()).then(|| answers(case, topic));
        // Filters with a level after the prefix other than a final `#`.
        let mut going: Vec<Alive<'f>> = Vec::new();
        for &(levels, changed) in alive {
            if levels.first().is_some_and(|level| *level != "#") {
                going.push((levels, changed));
            }
        }
        let other = self.other.as_str();
        if going.is_empty() {
            topic.push(other);
            let answers = answers(case, topic);
            topic.pop();
            return Node {
                seen: exact.as_ref().map_or(0, bit) | bit(&answers),
                exact,
                below: Below::Alike(answers),
            };
        }
        let mut spelled: Vec<&'f str> = Vec::new();
        for (levels, _) in &going {
            if !levels[0].contains(['+', '#']) {
                spelled.push(levels[0]);
            }
        }
        spelled.sort_unstable();
        spelled.dedup();
        let mut children = Vec::with_capacity(spelled.len());
        let mut next = Vec::with_capacity(going.len());
        for level in spelled {
            next.clear();
            for (levels, changed) in &going {
                if levels[0] == level || levels[0] == "+" {
                    next.push((&levels[1..], *changed));
                }
            }
            topic.push(level);
            children.push((level, self.explore(case, topic, &next, covered)));
            topic.pop();
        }
        next.clear();
        for (levels, changed) in &going {
            if levels[0] == "+" {
                next.push((&levels[1..], *changed));
            }
        }
        topic.push(other);
        let rest = self.explore(case, topic, &next, covered);
        topic.pop();
        let seen = children.iter().fold(
            exact.as_ref().map_or(0, bit) | rest.seen,
            |seen, (_, child)| seen | child.seen,
        );
        Node {
            exact,
            below: Below::Split(children, Box::new(rest)),
            seen,
        }
    }
}

/// The answers for one topic, old and new, read and write, in the
/// evaluator's one order of decision ([`crate::in_order`], which
/// [`crate::decide`] follows too), on filters already split into levels.
fn answers(case: &Case<'_>, topic: &Topic<'_>) -> Answers {
    // The names and the topic are made of the rules' own levels and
    // made-up ones: a query the broker could be asked, if any is.
    if !case.valid || validate::topic_name("topic", &topic.text).is_err() {
        return [false; 4];
    }
    let levels = topic.levels.as_slice();
    // Which name holds a wildcard matters only for the reason, not here.
    let wildcard_name = case.wildcard.then_some(Reason::WildcardUsername);
    let mut answers = [false; 4];
    for (side, rules) in case.sides.iter().enumerate() {
        let own = matched(&rules.own, levels);
        let patterns = (!rules.patterns.is_empty() && !case.wildcard)
            .then(|| matched(&rules.patterns, levels));
        // A matching deny rule denies, else a matching rule with the
        // access allows, else the list does not decide.
        let decides = |found: [bool; 3], at: usize| {
            if found[0] {
                Some(false)
            } else {
                found[1 + at].then_some(true)
            }
        };
        for at in 0..2 {
            answers[2 * side + at] = crate::in_order(
                crate::gate(levels.iter().copied(), at == 1),
                || decides(own, at),
                !rules.patterns.is_empty(),
                wildcard_name,
                || patterns.and_then(|found| decides(found, at)),
            )
            .unwrap_or(false);
        }
    }
    answers
}

/// What the rules of one list that match a topic give: whether one
/// denies, whether one allows reading, whether one allows writing.
fn matched(rules: &[Asked<'_>], topic: &[&str]) -> [bool; 3] {
    let mut found = [false; 3];
    for rule in rules {
        let deny = !rule.read && !rule.write;
        let adds = deny && !found[0] || rule.read && !found[1] || rule.write && !found[2];
        if adds && levels_match(rule.levels, topic) {
            found[0] |= deny;
            found[1] |= rule.read;
            found[2] |= rule.write;
        }
    }
    found
}

/// The evaluator's one matcher ([`crate::levels_match`]) on levels split
/// once.
fn levels_match(filter: &[&str], topic: &[&str]) -> bool {
    crate::levels_match(filter.iter().copied(), topic.iter().copied())
}

/// A filter's levels as text; `+/#` at the root is `#`.
fn shown_filter(levels: &[&str]) -> String {
    if levels == ["+", "#"] {
        return "#".to_owned();
    }
    join(levels, "/")
}

/// Hides a section that says what another says, names filled in: one
/// about a client id said by its users' section for any client id, one
/// about users by name (that no topic rule names) or by prefix said by
/// every user's.
fn mark_shown(sections: &mut [Section]) {
    // Each section's base: for a kind of client ids, its users' section
    // for any client id, which comes first of theirs; for that one, every
    // user's.
    let every = sections
        .iter()
        .position(|section| section.users == Users::Every && section.clients == Clients::Any);
    let mut first = 0;
    let mut bases: Vec<Option<usize>> = Vec::with_capacity(sections.len());
    for (index, section) in sections.iter().enumerate() {
        if section.clients != Clients::Any {
            bases.push(Some(first));
            continue;
        }
        first = index;
        bases.push(every.filter(|every| *every != index));
    }
    let said = |sections: &[Section], index: usize| {
        let section = &sections[index];
        bases[index].is_some_and(|at| {
            let base = &sections[at];
            let (user, client) = &section.names;
            filled(&base.raw, &base.names, (user, client)) == section.raw
        })
    };
    let mut hidden = Vec::with_capacity(sections.len());
    for index in 0..sections.len() {
        hidden.push(said(sections, index));
    }
    for ((section, hidden), base) in sections.iter_mut().zip(hidden).zip(bases) {
        section.base = base;
        // Every user's section speaks for everyone else; any other one
        // that says something else is shown, even when it says "no
        // change".
        let everyone = section.users == Users::Every && section.clients == Clients::Any;
        section.shown = !(hidden || everyone && section.changes.is_empty());
    }
}

/// The topics of a node inside and outside a region, as lines: the
/// shorter of the union of its parts and "all but the outside".
fn describe<'f>(
    node: &Node<'f>,
    path: &mut Vec<&'f str>,
    inside: &dyn Fn(&Answers) -> bool,
) -> Sides<'f> {
    // All of the node on one side: no need to look further.
    let (mut some_in, mut some_out) = (false, false);
    for index in 0..16 {
        if node.seen & (1 << index) != 0 {
            let side = inside(&unbit(index));
            some_in |= side;
            some_out |= !side;
        }
    }
    let whole = |path: &[&'f str]| vec![Line::new(joined(path, &["#"]))];
    if !some_in {
        return (
            Vec::new(),
            if path.is_empty() {
                Vec::new()
            } else {
                whole(path)
            },
        );
    }
    if !some_out && !path.is_empty() {
        return (whole(path), Vec::new());
    }
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
            let mut ins = Vec::with_capacity(children.len());
            let mut outs = Vec::with_capacity(children.len());
            for (level, child) in children {
                path.push(level);
                let (child_in, child_out) = describe(child, path, inside);
                path.pop();
                ins.push((*level, child_in));
                outs.push((*level, child_out));
            }
            path.push("+");
            let (rest_in, rest_out) = describe(rest, path, inside);
            path.pop();
            let inner = union(path, exact == Some(true), ins, rest_in);
            let outer = union(path, exact == Some(false), outs, rest_out);
            // The shorter of the two ways, for each side.
            let inner_all = all_but(path, exact, true, &outer, Line::cost(&inner));
            let outer_all = all_but(path, exact, false, &inner, Line::cost(&outer));
            (inner_all.unwrap_or(inner), outer_all.unwrap_or(outer))
        }
    }
}

/// The lines of a split node's topics on one side: the prefix itself, each
/// spelled-out level's lines, and the lines of "any other level", which
/// take in a spelled-out level's identical line or else except it.
fn union<'f>(
    path: &[&'f str],
    exact: bool,
    mut parts: Vec<(&'f str, Vec<Line<'f>>)>,
    rest: Vec<Line<'f>>,
) -> Vec<Line<'f>> {
    let at = path.len();
    let spelled: usize = parts.iter().map(|(_, their)| their.len()).sum();
    let mut lines = Vec::with_capacity(usize::from(exact) + rest.len() + spelled);
    if exact {
        lines.push(Line::new(path.to_vec()));
    }
    for mut line in rest {
        // The line's own exceptions; those added here come after them.
        let known = line.except.len();
        for (level, their) in &mut parts {
            // `+` never matches a first level starting with `$`.
            if at == 0 && level.starts_with('$') {
                continue;
            }
            match their
                .iter()
                .position(|theirs| line.is_twin(known, at, level, theirs))
            {
                Some(found) => {
                    their.remove(found);
                }
                None => {
                    let mut twin = line.filter.clone();
                    twin[at] = level;
                    line.except.push(twin);
                }
            }
        }
        lines.push(line);
    }
    for (_, mut their) in parts {
        lines.append(&mut their);
    }
    lines
}

/// A node's topics on one side as "all but the other side", when the other
/// side's lines have no exceptions of their own (not at the root, where
/// `#` leaves out `$` topics) and that costs less than `than`.
fn all_but<'f>(
    path: &[&'f str],
    exact: Option<bool>,
    want: bool,
    others: &[Line<'f>],
    than: usize,
) -> Option<Vec<Line<'f>>> {
    let exact = exact?;
    if others.iter().any(|line| !line.except.is_empty()) {
        return None;
    }
    let excepted = |line: &&Line<'f>| line.filter.as_slice() != path;
    if 1 + others.iter().filter(excepted).count() >= than {
        return None;
    }
    let base = if exact == want {
        joined(path, &["#"])
    } else {
        joined(path, &["+", "#"])
    };
    let mut except = Vec::new();
    for line in others {
        if excepted(&line) {
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
    fn a_user_the_rules_spell_out_is_not_left_to_every_user() {
        let new = [
            test_rule(AclKind::Pattern, None, "dev/admin", false, false),
            test_rule(AclKind::Pattern, None, "dev/%u", false, true),
        ];
        let report = diff(&[], &new);
        assert_eq!(
            report.lines().collect::<Vec<_>>(),
            ["= admin no change of access", "+ write every user dev/%u"]
        );
        assert!(report.changes_for("admin", "c").is_empty());
        assert_eq!(report.changes_for("bob", "c")[0].filter, "dev/bob");
    }

    #[test]
    fn a_client_id_a_topic_rule_spells_out_gets_its_own_section() {
        let pattern = test_rule(AclKind::Pattern, None, "status/%c", false, true);
        let old = [
            test_rule(AclKind::Topic, Some("alice"), "status/c1", false, true),
            pattern.clone(),
        ];
        let new = [pattern];
        let report = diff(&old, &new);
        // Client c1 keeps writing status/c1 through the pattern rule.
        assert!(report.changes_for("alice", "c1").is_empty());
        assert_eq!(report.changes_for("alice", "c2")[0].filter, "status/c1");
        assert_eq!(
            report.lines().collect::<Vec<_>>(),
            [
                "- write alice status/c1",
                "= alice with client id c1 no change of access",
            ]
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
        // For user kitchen nothing changes, which every user's lines
        // would not say.
        assert_eq!(
            report.lines().collect::<Vec<_>>(),
            [
                "= kitchen no change of access",
                "+ read every user home/%u/#",
                "- read every user home/kitchen/#"
            ]
        );
        assert!(report.changes_for("kitchen", "c").is_empty());
        assert_eq!(report.changes_for("bob", "c").len(), 2);
    }
}
