//! The polls of a wait: the user list walked page by page, or the rules
//! read at once, and what a complete listing shows.

use std::collections::BTreeSet;

use super::task::Op;
use crate::config::ApiConfig;
use crate::declarative::plan::identity;
use crate::error::Error;
use crate::http::Request;
use crate::model::AclRule;
use crate::ops::{ListAclRules, Operation, parse_acl_rules, parse_users};
use crate::paginate::Paginator;
use crate::validate::MAX_LIMIT;

/// A poll walking the user list, or reading the rules.
#[derive(Debug)]
pub(super) enum PollRun {
    Users {
        pages: Paginator,
        seen: BTreeSet<String>,
    },
    Rules,
}

/// What a listing page gave.
#[derive(Debug)]
pub(super) enum Read {
    /// The walk goes on with the next page.
    More(PollRun),
    /// The listing is complete.
    Listing(Listing),
}

/// A complete listing.
#[derive(Debug)]
pub(super) enum Listing {
    /// Every user's name.
    Users(BTreeSet<String>),
    /// Every rule.
    Rules(Vec<AclRule>),
}

impl PollRun {
    /// A walk of the user list, or a read of the rules.
    pub(super) fn start(users: bool) -> Result<Self, Error> {
        Ok(if users {
            Self::Users {
                pages: Paginator::new(None, MAX_LIMIT)?,
                seen: BTreeSet::new(),
            }
        } else {
            Self::Rules
        })
    }

    /// The next request of the poll.
    pub(super) fn request(&self, config: &ApiConfig) -> Result<Request, Error> {
        match self {
            Self::Users { pages, .. } => match pages.next_request() {
                Some(list) => list.build_request(config),
                None => Err(Error::invalid("poll", "has no request")),
            },
            Self::Rules => ListAclRules.build_request(config),
        }
    }

    /// Reads the answer to the poll's request.
    pub(super) fn read(self, body: &[u8]) -> Result<Read, Error> {
        match self {
            Self::Rules => Ok(Read::Listing(Listing::Rules(parse_acl_rules(body)?))),
            Self::Users {
                mut pages,
                mut seen,
            } => {
                let users = parse_users(body)?;
                seen.extend(pages.handle_page(users).into_iter().map(|u| u.username));
                Ok(if pages.is_finished() {
                    Read::Listing(Listing::Users(seen))
                } else {
                    Read::More(Self::Users { pages, seen })
                })
            }
        }
    }
}

impl Listing {
    /// Whether what `op` does shows: a created user or rule (with its
    /// rights, in every rule of its identity) is listed, a deleted one is
    /// not. What the listing does not cover counts as shown.
    pub(super) fn shows(&self, op: &Op) -> bool {
        match (self, op) {
            (Self::Users(seen), Op::CreateUser(name)) => seen.contains(name),
            (Self::Users(seen), Op::DeleteUser(name)) => !seen.contains(name),
            (Self::Rules(rules), Op::CreateRule(rule)) => {
                let mut same = rules.iter().filter(|r| identity(r) == identity(rule));
                let mut any = false;
                let all = same.all(|r| {
                    any = true;
                    r.read == rule.read && r.write == rule.write
                });
                any && all
            }
            (Self::Rules(rules), Op::DeleteRule(rule)) => {
                !rules.iter().any(|r| identity(r) == identity(rule))
            }
            _ => true,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::AclKind;

    fn rule(pattern: &str, read: bool) -> AclRule {
        AclRule {
            kind: AclKind::Topic,
            username: Some("a".into()),
            pattern: pattern.into(),
            read,
            write: false,
        }
    }

    #[test]
    fn users_show_when_listed_and_are_gone_when_not() {
        let listing = Listing::Users(BTreeSet::from(["a".to_owned()]));
        assert!(listing.shows(&Op::CreateUser("a".into())));
        assert!(!listing.shows(&Op::CreateUser("b".into())));
        assert!(listing.shows(&Op::DeleteUser("b".into())));
        assert!(!listing.shows(&Op::DeleteUser("a".into())));
        assert!(listing.shows(&Op::SetPassword("b".into())));
    }

    #[test]
    fn a_rule_shows_only_with_its_rights_in_every_copy() {
        let listing = Listing::Rules(vec![rule("t", true), rule("u", true), rule("u", false)]);
        assert!(listing.shows(&Op::CreateRule(rule("t", true))));
        assert!(!listing.shows(&Op::CreateRule(rule("t", false))));
        assert!(!listing.shows(&Op::CreateRule(rule("u", true))));
        assert!(!listing.shows(&Op::CreateRule(rule("v", true))));
        assert!(listing.shows(&Op::DeleteRule(rule("v", true))));
        assert!(!listing.shows(&Op::DeleteRule(rule("t", false))));
    }

    #[test]
    fn a_user_walk_reads_every_page_before_it_lists() {
        let config = ApiConfig::new("listing-test-key").unwrap();
        let run = PollRun::start(true).unwrap();
        assert!(run.request(&config).unwrap().url.contains("/user"));
        match run.read(br#"[{"username":"a"}]"#).unwrap() {
            Read::Listing(Listing::Users(seen)) => assert!(seen.contains("a")),
            other => panic!("{other:?}"),
        }
        let rules = PollRun::start(false).unwrap();
        assert!(rules.request(&config).unwrap().url.ends_with("/acl"));
        match rules.read(b"[]").unwrap() {
            Read::Listing(Listing::Rules(rules)) => assert!(rules.is_empty()),
            other => panic!("{other:?}"),
        }
        assert!(PollRun::Rules.read(b"not json").is_err());
    }
}
