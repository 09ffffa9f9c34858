//! The virtual clock every machine's tests drive it on.

// Each test binary uses the part it needs.
#![allow(dead_code)]

use std::time::{Duration, SystemTime};

use cloudmqtt_api::{Error, Event, Input, Machine, Output, Request, Ticket};

/// Requests a driven machine may send before it counts as never ending.
pub const MOST_REQUESTS: usize = 1000;

/// How a machine ran on the virtual clock.
#[derive(Debug)]
pub struct Run<T> {
    /// What it finished with.
    pub result: Result<T, Error>,
    /// Each request it sent, with the instant it went out.
    pub sent: Vec<(SystemTime, Request)>,
    /// Each wait it asked for: the clock then, and the instant asked for.
    pub waits: Vec<(SystemTime, SystemTime)>,
    /// Each event it reported, in order.
    pub events: Vec<Event>,
    /// The clock when it finished.
    pub end: SystemTime,
}

/// Drives `machine` from `start` until it finishes: a wait moves the clock
/// to its instant, a request's outcome arrives `latency` after it went out,
/// and `answer(n, request, now)` gives the outcome of request `n` (from 0)
/// at `now`.
pub fn drive<M: Machine>(
    machine: &mut M,
    start: SystemTime,
    latency: Duration,
    mut answer: impl FnMut(usize, &Request, SystemTime) -> Input,
) -> Run<M::Value> {
    let mut now = start;
    let mut sent = Vec::new();
    let mut waits = Vec::new();
    let mut events = Vec::new();
    loop {
        match machine.poll_output(now) {
            Output::Send(ticket, request) => {
                sent.push((now, request.clone()));
                assert!(sent.len() < MOST_REQUESTS, "the machine must end");
                now += latency;
                let input = answer(sent.len() - 1, &request, now);
                machine.handle_input(ticket, input, now);
            }
            Output::Event(event) => {
                events.push(event);
                assert!(events.len() < 10 * MOST_REQUESTS, "the machine must end");
            }
            Output::Pending => panic!("every request was answered before the next poll"),
            Output::WaitUntil(at) => {
                waits.push((now, at));
                now = at;
            }
            Output::Done(result) => {
                return Run {
                    result,
                    sent,
                    waits,
                    events,
                    end: now,
                };
            }
        }
    }
}

/// A machine stepped by hand, one request at a time: polling skips (and
/// keeps) events, and an outcome goes to the last request sent.
#[derive(Debug)]
pub struct Manual<M> {
    machine: M,
    last: Option<Ticket>,
    /// The events seen so far.
    pub events: Vec<Event>,
}

impl<M: Machine> Manual<M> {
    /// Steps `machine` by hand.
    pub fn new(machine: M) -> Self {
        Self {
            machine,
            last: None,
            events: Vec::new(),
        }
    }

    /// The next output that is no event.
    pub fn poll_output(&mut self, now: SystemTime) -> Output<M::Value> {
        loop {
            match self.machine.poll_output(now) {
                Output::Event(event) => self.events.push(event),
                Output::Send(ticket, request) => {
                    self.last = Some(ticket);
                    return Output::Send(ticket, request);
                }
                other => return other,
            }
        }
    }

    /// Hands in the outcome of the last request sent.
    pub fn handle_input(&mut self, input: Input, now: SystemTime) {
        let ticket = self.last.take().expect("a request was sent");
        self.machine.handle_input(ticket, input, now);
    }
}

impl<M> std::ops::Deref for Manual<M> {
    type Target = M;

    fn deref(&self) -> &M {
        &self.machine
    }
}

impl<M> std::ops::DerefMut for Manual<M> {
    fn deref_mut(&mut self) -> &mut M {
        &mut self.machine
    }
}
