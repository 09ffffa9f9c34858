//! The virtual clock every machine's tests drive it on.

// Each test binary uses the part it needs.
#![allow(dead_code)]

use std::time::{Duration, SystemTime};

use cloudmqtt_api::{Error, Input, Machine, Output, Request};

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
    loop {
        match machine.poll_output(now) {
            Output::Send(request) => {
                sent.push((now, request.clone()));
                assert!(sent.len() < MOST_REQUESTS, "the machine must end");
                now += latency;
                let input = answer(sent.len() - 1, &request, now);
                machine.handle_input(input, now);
            }
            Output::WaitUntil(at) => {
                waits.push((now, at));
                now = at;
            }
            Output::Done(result) => {
                return Run {
                    result,
                    sent,
                    waits,
                    end: now,
                };
            }
        }
    }
}
