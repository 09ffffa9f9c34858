//! How many requests go out at once, and the 429 backoff that holds every
//! request.

use std::time::SystemTime;

use crate::http::Response;
use crate::machine::later;
use crate::retry::{Jitter, RetryAfter, RetryPolicy};

/// The limit on requests in flight, and the instant before which none
/// goes out after a 429.
#[derive(Debug, Clone)]
pub(super) struct Throttle {
    concurrency: usize,
    not_before: Option<SystemTime>,
    /// 429s in a row, for the backoff when no `Retry-After` is given.
    throttled: u32,
}

impl Throttle {
    /// At most `concurrency` requests in flight.
    pub(super) fn new(concurrency: usize) -> Self {
        Self {
            concurrency,
            not_before: None,
            throttled: 0,
        }
    }

    /// The instant every request is held until, if it is after `now`.
    pub(super) fn holds(&mut self, now: SystemTime) -> Option<SystemTime> {
        let at = self.not_before?;
        if now < at {
            return Some(at);
        }
        self.not_before = None;
        None
    }

    /// Whether another request may go out while `in_flight` are.
    pub(super) fn has_room(&self, in_flight: usize) -> bool {
        in_flight < self.concurrency
    }

    /// A 429 arrived at `now`: every request backs off, for as long as its
    /// `Retry-After` asks (up to the policy's longest), or on the policy's
    /// backoff when it does not say.
    pub(super) fn refused(
        &mut self,
        response: &Response,
        now: SystemTime,
        policy: &RetryPolicy,
        jitter: &mut Jitter,
    ) {
        let asked = response
            .header("retry-after")
            .and_then(RetryAfter::parse)
            .map(|after| after.delay_from(now));
        let delay = match asked {
            Some(delay) if delay <= policy.max_retry_after => delay,
            Some(_) => policy.max_retry_after,
            None => policy.backoff(self.throttled, jitter.next()),
        };
        self.throttled = self.throttled.saturating_add(1);
        let until = later(now, delay);
        self.not_before = Some(self.not_before.map_or(until, |at| at.max(until)));
    }

    /// A request succeeded: the next 429 backs off from the start.
    pub(super) fn answered(&mut self) {
        self.throttled = 0;
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    fn t0() -> SystemTime {
        SystemTime::UNIX_EPOCH + Duration::from_secs(1_000)
    }

    fn too_many(after: Option<&str>) -> Response {
        let headers = after
            .map(|value| vec![("retry-after".to_owned(), value.to_owned())])
            .unwrap_or_default();
        Response::new(429, headers, Vec::new())
    }

    #[test]
    fn room_is_the_concurrency() {
        let throttle = Throttle::new(2);
        assert!(throttle.has_room(0) && throttle.has_room(1));
        assert!(!throttle.has_room(2));
    }

    #[test]
    fn a_429_holds_every_request_until_its_retry_after() {
        let (mut throttle, mut jitter) = (Throttle::new(4), Jitter::new(1));
        let policy = RetryPolicy::default();
        assert_eq!(throttle.holds(t0()), None);
        throttle.refused(&too_many(Some("3")), t0(), &policy, &mut jitter);
        let until = t0() + Duration::from_secs(3);
        assert_eq!(throttle.holds(t0()), Some(until));
        // A shorter wait asked later does not shorten the hold.
        throttle.refused(&too_many(Some("1")), t0(), &policy, &mut jitter);
        assert_eq!(throttle.holds(t0() + Duration::from_secs(2)), Some(until));
        assert_eq!(throttle.holds(until), None);
        assert_eq!(throttle.holds(t0()), None, "released once over");
    }

    #[test]
    fn a_retry_after_is_capped_and_its_absence_backs_off() {
        let (mut throttle, mut jitter) = (Throttle::new(1), Jitter::new(7));
        let policy = RetryPolicy::default();
        throttle.refused(&too_many(Some("999999")), t0(), &policy, &mut jitter);
        assert_eq!(throttle.holds(t0()), Some(t0() + policy.max_retry_after));
        let mut throttle = Throttle::new(1);
        throttle.refused(&too_many(None), t0(), &policy, &mut jitter);
        let held = throttle
            .holds(t0())
            .map_or(Duration::ZERO, |at| at.duration_since(t0()).unwrap());
        assert!(held <= policy.max_delay, "{held:?}");
        throttle.answered();
        assert_eq!(throttle.throttled, 0);
    }
}
