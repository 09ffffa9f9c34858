//! Reading what the server has: the [`ReadServer`] machine, the start of
//! every plan.

use std::collections::BTreeSet;
use std::time::SystemTime;

use crate::call::Call;
use crate::config::ApiConfig;
use crate::declarative::plan::ServerAccess;
use crate::error::Error;
use crate::event::Event;
use crate::http::{Request, Response};
use crate::machine::{Input, Machine, Output, Ticket};
use crate::model::{AclRule, User};
use crate::ops::{ListAclRules, ListUsers, Operation};
use crate::paginate::Paginator;
use crate::retry::RetryPolicy;
use crate::validate;

/// Reads every user (through the [`Paginator`], the largest pages) and
/// every rule: the [`ServerAccess`] a plan starts from. Each request is a
/// [`Call`] with its retries.
#[derive(Debug)]
pub struct ReadServer {
    config: ApiConfig,
    policy: RetryPolicy,
    seed: u64,
    pages: Paginator,
    users: BTreeSet<String>,
    /// Pages read so far.
    read: u32,
    state: ReadState,
}

#[derive(Debug)]
enum ReadState {
    /// A page of users, or the rules.
    Reading(Box<Call<Read>>),
    Done(Result<ServerAccess, Error>),
}

/// A page of the user list or the rule list, as one operation: the reads
/// share one [`Call`] type (one copy of its code in the `.wasm`, not two).
#[derive(Debug, Clone)]
enum Read {
    Users(ListUsers),
    Rules,
}

/// What a [`Read`] gave.
#[derive(Debug, Clone)]
enum Listed {
    Users(Vec<User>),
    Rules(Vec<AclRule>),
}

impl Operation for Read {
    type Output = Listed;

    fn build_request(&self, config: &ApiConfig) -> Result<Request, Error> {
        match self {
            Self::Users(page) => page.build_request(config),
            Self::Rules => ListAclRules.build_request(config),
        }
    }

    fn parse_success(&self, response: &Response) -> Result<Listed, Error> {
        match self {
            Self::Users(page) => page.parse_success(response).map(Listed::Users),
            Self::Rules => ListAclRules.parse_success(response).map(Listed::Rules),
        }
    }
}

impl ReadServer {
    /// Prepares the reads. `seed` feeds the backoff jitter.
    pub fn new(config: &ApiConfig, policy: RetryPolicy, seed: u64) -> Self {
        let mut read = Self {
            config: config.clone(),
            policy,
            seed,
            pages: Paginator::new(None, validate::MAX_LIMIT)
                .unwrap_or_else(|_| unreachable!("the largest page size is valid")),
            users: BTreeSet::new(),
            read: 0,
            state: ReadState::Done(Ok(ServerAccess::default())),
        };
        read.state = read.next_state();
        read
    }

    fn next_state(&mut self) -> ReadState {
        self.seed = self.seed.wrapping_add(1);
        let read = match self.pages.next_request() {
            Some(page) => Read::Users(page),
            None => Read::Rules,
        };
        ReadState::Reading(Box::new(Call::new(
            &self.config,
            read,
            self.policy,
            self.seed,
        )))
    }
}

impl Machine for ReadServer {
    type Value = ServerAccess;

    fn poll_output(&mut self, now: SystemTime) -> Output<ServerAccess> {
        loop {
            let next = match &mut self.state {
                ReadState::Done(result) => {
                    return Output::Done(match result {
                        Ok(server) => Ok(server.copy()),
                        Err(error) => Err(error.clone()),
                    });
                }
                ReadState::Reading(call) => match call.poll_output(now) {
                    Output::Done(Ok(Listed::Users(page))) => {
                        let fresh = self.pages.handle_page(page);
                        self.read += 1;
                        let event = Event::Page {
                            page: self.read,
                            users: fresh.len(),
                        };
                        self.users
                            .extend(fresh.into_iter().map(|user| user.username));
                        self.state = self.next_state();
                        return Output::Event(event);
                    }
                    Output::Done(Ok(Listed::Rules(rules))) => ReadState::Done(Ok(ServerAccess {
                        users: std::mem::take(&mut self.users),
                        rules,
                    })),
                    Output::Done(Err(error)) => ReadState::Done(Err(error)),
                    Output::Send(ticket, request) => return Output::Send(ticket, request),
                    Output::WaitUntil(at) => return Output::WaitUntil(at),
                    Output::Pending => return Output::Pending,
                    Output::Event(event) => return Output::Event(event),
                },
            };
            self.state = next;
        }
    }

    fn handle_input(&mut self, ticket: Ticket, input: Input, now: SystemTime) {
        match &mut self.state {
            ReadState::Reading(call) => call.handle_input(ticket, input, now),
            ReadState::Done(_) => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_every_page_and_the_rules() {
        use crate::http::Response;
        let config = ApiConfig::builder("k").build().unwrap();
        let mut read = ReadServer::new(&config, RetryPolicy::never(), 1);
        let mut now = SystemTime::UNIX_EPOCH;
        let full: Vec<String> = (0..1000)
            .map(|i| format!("{{\"username\":\"u{i}\"}}"))
            .collect();
        let mut urls = Vec::new();
        let server = loop {
            match read.poll_output(now) {
                Output::Send(ticket, request) => {
                    urls.push(request.url.clone());
                    let body = match urls.len() {
                        1 => format!("[{}]", full.join(",")),
                        2 => r#"[{"username":"last"}]"#.to_owned(),
                        _ => r#"[{"type":"pattern","pattern":"p","read":true,"write":false}]"#
                            .to_owned(),
                    };
                    read.handle_input(
                        ticket,
                        Input::Response(Response::new(200, vec![], body.into_bytes())),
                        now,
                    );
                }
                Output::WaitUntil(at) => now = at,
                Output::Event(_) => {}
                Output::Pending => unreachable!("every request was answered"),
                Output::Done(result) => break result.unwrap(),
            }
        };
        assert_eq!(
            urls,
            [
                "https://api.cloudmqtt.com/api/user?limit=1000&page=1",
                "https://api.cloudmqtt.com/api/user?limit=1000&page=2",
                "https://api.cloudmqtt.com/api/acl",
            ]
        );
        assert_eq!(server.users.len(), 1001);
        assert_eq!(server.rules.len(), 1);
    }
}
