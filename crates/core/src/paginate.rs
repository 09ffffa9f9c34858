//! Walking the user list page by page: the [`Paginator`] that decides which
//! page comes next, and the [`AllUsers`] machine that fetches every page.

use std::time::SystemTime;

use crate::call::Call;
use crate::config::ApiConfig;
use crate::error::Error;
use crate::event::Event;
use crate::machine::{Input, Machine, Output, Ticket};
use crate::model::User;
use crate::ops::ListUsers;
use crate::retry::RetryPolicy;
use crate::validate;

/// The page size used when none is given.
pub const DEFAULT_PAGE_SIZE: u32 = 100;

/// Walks `GET /user` from page 1 until a short or empty page.
///
/// It never yields a user twice, and it stops rather than loops when the
/// server ignores paging: a full page that brings no user not seen before
/// ends the walk.
///
/// ```
/// use cloudmqtt_api::{Paginator, User};
///
/// let mut pages = Paginator::new(None, 2).unwrap();
/// let first = pages.next_request().unwrap();
/// assert_eq!(first.page, Some(1));
/// let fresh = pages.handle_page(vec![User { username: "a".into() }, User { username: "b".into() }]);
/// assert_eq!(fresh.len(), 2);
/// assert_eq!(pages.next_request().unwrap().page, Some(2));
/// pages.handle_page(vec![User { username: "c".into() }]); // short page: the end
/// assert!(pages.next_request().is_none());
/// ```
#[derive(Debug, Clone)]
pub struct Paginator {
    query: Option<String>,
    page_size: u32,
    next_page: u32,
    seen: Seen,
    finished: bool,
}

impl Paginator {
    /// Starts a walk over users whose names start with `query` (all when
    /// `None`), `page_size` users a page.
    ///
    /// # Errors
    /// [`Error::InvalidInput`] naming `page_size` (1 to 1000) or `query`.
    pub fn new(query: Option<String>, page_size: u32) -> Result<Self, Error> {
        validate::limit("page_size", page_size)?;
        if let Some(query) = &query {
            validate::query(query)?;
        }
        Ok(Self {
            query: query.filter(|q| !q.is_empty()),
            page_size,
            next_page: 1,
            seen: Seen::default(),
            finished: false,
        })
    }

    /// The request for the next page, or `None` when the walk is over.
    pub fn next_request(&self) -> Option<ListUsers> {
        (!self.finished).then(|| ListUsers {
            limit: Some(self.page_size),
            page: Some(self.next_page),
            query: self.query.clone(),
        })
    }

    /// Takes the users of the page just fetched and returns those not seen
    /// before, in the server's order.
    pub fn handle_page(&mut self, mut users: Vec<User>) -> Vec<User> {
        if self.finished {
            return Vec::new();
        }
        let full = users.len() >= self.page_size as usize;
        // `retain` rather than a filtering `collect`: the same, in less code.
        users.retain(|user| self.seen.insert(&user.username));
        let fresh = users;
        match self.next_page.checked_add(1) {
            Some(next) if full && !fresh.is_empty() => self.next_page = next,
            _ => self.finished = true,
        }
        fresh
    }

    /// Whether the walk is over.
    pub fn is_finished(&self) -> bool {
        self.finished
    }
}

/// The names a walk has yielded: a hash set of separate chains, FNV-1a
/// hashed. Written out rather than a `BTreeSet` or `HashSet`, whose code is
/// a large piece of the WebAssembly build (see README, Size); a test checks
/// it against `BTreeSet`. The hash is not keyed (the core has no
/// randomness): a server could pick names that share a chain and make its
/// own walk slow, as it could by sending a very long list.
#[derive(Debug, Clone, Default)]
struct Seen {
    /// A power of two of chains (none before the first name).
    chains: Vec<Vec<String>>,
    len: usize,
}

impl Seen {
    /// The first number of chains.
    const MIN_CHAINS: usize = 16;

    /// Adds `name`; `false` when it was already there.
    fn insert(&mut self, name: &str) -> bool {
        if self.len >= self.chains.len() {
            self.grow();
        }
        let slot = Self::slot(name, self.chains.len());
        let chain = &mut self.chains[slot];
        if chain.iter().any(|known| known == name) {
            return false;
        }
        chain.push(name.to_owned());
        self.len += 1;
        true
    }

    /// The chain of `name` among `chains` (a power of two).
    fn slot(name: &str, chains: usize) -> usize {
        let hash = name.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |hash, byte| {
            (hash ^ u64::from(byte)).wrapping_mul(0x0000_0100_0000_01b3)
        });
        // Only the low bits are kept, so the cast loses nothing needed.
        (hash as usize) & (chains - 1)
    }

    /// Doubles the chains (keeping about one name a chain).
    fn grow(&mut self) {
        let count = (self.chains.len() * 2).max(Self::MIN_CHAINS);
        let mut chains: Vec<Vec<String>> = Vec::with_capacity(count);
        while chains.len() < count {
            chains.push(Vec::new());
        }
        for chain in std::mem::take(&mut self.chains) {
            for name in chain {
                chains[Self::slot(&name, count)].push(name);
            }
        }
        self.chains = chains;
    }
}

/// Every user, page after page: a [`Machine`] that walks the user list
/// with a [`Paginator`], each page a [`Call`] with retries.
#[derive(Debug)]
pub struct AllUsers {
    config: ApiConfig,
    policy: RetryPolicy,
    seed: u64,
    pages: Paginator,
    page: Option<Call<ListUsers>>,
    users: Vec<User>,
    /// Pages read so far.
    read: u32,
}

impl AllUsers {
    /// Prepares the walk over users whose names start with `query` (all
    /// when `None`), `page_size` a page. `seed` feeds the backoff jitter.
    ///
    /// # Errors
    /// [`Error::InvalidInput`] naming `page_size` (1 to 1000) or `query`.
    pub fn new(
        config: &ApiConfig,
        query: Option<String>,
        page_size: u32,
        policy: RetryPolicy,
        seed: u64,
    ) -> Result<Self, Error> {
        Ok(Self {
            config: config.clone(),
            policy,
            seed,
            pages: Paginator::new(query, page_size)?,
            page: None,
            users: Vec::new(),
            read: 0,
        })
    }
}

impl Machine for AllUsers {
    type Value = Vec<User>;

    fn poll_output(&mut self, now: SystemTime) -> Output<Vec<User>> {
        let call = match &mut self.page {
            Some(call) => call,
            None => match self.pages.next_request() {
                None => return Output::Done(Ok(self.users.clone())),
                Some(op) => {
                    self.seed = self.seed.wrapping_add(1);
                    self.page
                        .insert(Call::new(&self.config, op, self.policy, self.seed))
                }
            },
        };
        match call.poll_output(now) {
            // Each page read is reported; the next goes out on the next poll.
            Output::Done(Ok(page)) => {
                self.page = None;
                let fresh = self.pages.handle_page(page);
                self.read += 1;
                let event = Event::Page {
                    page: self.read,
                    users: fresh.len(),
                };
                self.users.extend(fresh);
                Output::Event(event)
            }
            other => other,
        }
    }

    fn handle_input(&mut self, ticket: Ticket, input: Input, now: SystemTime) {
        if let Some(call) = &mut self.page {
            call.handle_input(ticket, input, now);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn users(names: &[&str]) -> Vec<User> {
        names
            .iter()
            .map(|name| User {
                username: (*name).to_owned(),
            })
            .collect()
    }

    fn names(users: &[User]) -> Vec<&str> {
        users.iter().map(|user| user.username.as_str()).collect()
    }

    /// Runs a walk against a fake server that answers page `n` with
    /// `serve(n)`; returns every user yielded and the pages asked for.
    fn walk(page_size: u32, serve: impl Fn(u32) -> Vec<User>) -> (Vec<String>, Vec<u32>) {
        let mut pages = Paginator::new(Some("q".into()), page_size).unwrap();
        let (mut yielded, mut asked) = (Vec::new(), Vec::new());
        while let Some(request) = pages.next_request() {
            assert_eq!(request.limit, Some(page_size));
            assert_eq!(request.query.as_deref(), Some("q"));
            let page = request.page.unwrap();
            asked.push(page);
            assert!(asked.len() < 100, "the walk must end");
            yielded.extend(
                pages
                    .handle_page(serve(page))
                    .into_iter()
                    .map(|u| u.username),
            );
        }
        (yielded, asked)
    }

    #[test]
    fn stops_on_a_short_page() {
        let (yielded, asked) = walk(2, |page| match page {
            1 => users(&["a", "b"]),
            2 => users(&["c"]),
            _ => unreachable!(),
        });
        assert_eq!(
            (yielded, asked),
            (vec!["a".into(), "b".into(), "c".into()], vec![1, 2])
        );
    }

    #[test]
    fn stops_on_an_empty_page_after_exact_pages() {
        let (yielded, asked) = walk(2, |page| match page {
            1 => users(&["a", "b"]),
            2 => users(&["c", "d"]),
            _ => users(&[]),
        });
        assert_eq!(yielded.len(), 4);
        assert_eq!(asked, [1, 2, 3]);
    }

    #[test]
    fn stops_when_the_server_ignores_paging() {
        let (yielded, asked) = walk(2, |_| users(&["a", "b"]));
        assert_eq!((yielded, asked), (vec!["a".into(), "b".into()], vec![1, 2]));
    }

    #[test]
    fn never_yields_a_user_twice_across_overlapping_pages() {
        let (yielded, asked) = walk(3, |page| match page {
            1 => users(&["a", "b", "c"]),
            2 => users(&["c", "d", "e"]),
            3 => users(&["e", "f"]),
            _ => unreachable!(),
        });
        assert_eq!(yielded, ["a", "b", "c", "d", "e", "f"]);
        assert_eq!(asked, [1, 2, 3]);
    }

    #[test]
    fn seen_agrees_with_a_btree_set() {
        let mut seen = Seen::default();
        let mut expected = std::collections::BTreeSet::new();
        let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
        for _ in 0..20_000 {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            let name = format!("user-{}", state % 5_000);
            assert_eq!(seen.insert(&name), expected.insert(name.clone()), "{name}");
        }
        assert_eq!(seen.len, expected.len());
        assert!(seen.chains.len().is_power_of_two());
        assert!(seen.insert(""));
        assert!(!seen.insert(""));
    }

    #[test]
    fn validates_and_finishes() {
        assert_eq!(
            Paginator::new(None, 0).unwrap_err().field(),
            Some("page_size")
        );
        assert_eq!(
            Paginator::new(None, 1001).unwrap_err().field(),
            Some("page_size")
        );
        assert!(Paginator::new(Some("\n".into()), 10).is_err());
        let mut pages = Paginator::new(Some(String::new()), 10).unwrap();
        assert_eq!(pages.next_request().unwrap().query, None);
        assert!(names(&pages.handle_page(users(&["x"]))) == ["x"]);
        assert!(pages.is_finished());
        assert!(pages.handle_page(users(&["y"])).is_empty());
    }
}
