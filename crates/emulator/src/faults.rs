//! Fault injection for client tests: rate limiting, failures and latency.
//!
//! Failures come from a small seeded generator (SplitMix64), one draw per
//! request in arrival order, so a client that sends its requests one after
//! another sees the same statuses on every run with the same `--seed`.
//! Rate limiting is a token bucket holding `N` tokens that refills at `N`
//! per second: a burst of `N` requests passes, and the `Retry-After` header
//! says in whole seconds (at least 1) when the next token comes.

use std::sync::Mutex;
use std::time::{Duration, Instant};

/// What to do with a request before handling it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// Handle it.
    Pass,
    /// Answer 429 with `Retry-After` in seconds.
    RateLimited {
        /// Seconds until a request would pass.
        retry_after_secs: u64,
    },
    /// Answer 500.
    Fail,
}

/// The fault-injection settings and their running state.
#[derive(Debug)]
pub struct Faults {
    latency: Duration,
    fail_rate: f64,
    rate_limit: Option<u32>,
    inner: Mutex<Inner>,
}

#[derive(Debug)]
struct Inner {
    rng: SplitMix64,
    tokens: f64,
    refilled_at: Option<Instant>,
}

impl Faults {
    /// Faults with the given latency, failure probability (0 to 1; values
    /// outside are clamped), rate limit in requests per second, and seed.
    pub fn new(latency: Duration, fail_rate: f64, rate_limit: Option<u32>, seed: u64) -> Self {
        let fail_rate = if fail_rate.is_nan() {
            0.0
        } else {
            fail_rate.clamp(0.0, 1.0)
        };
        Self {
            latency,
            fail_rate,
            rate_limit: rate_limit.filter(|limit| *limit > 0),
            inner: Mutex::new(Inner {
                rng: SplitMix64(seed),
                tokens: f64::from(rate_limit.unwrap_or(0)),
                refilled_at: None,
            }),
        }
    }

    /// The added latency per request.
    pub fn latency(&self) -> Duration {
        self.latency
    }

    /// Decides the fate of a request arriving at `now`.
    pub fn judge(&self, now: Instant) -> Verdict {
        let mut inner = self
            .inner
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some(limit) = self.rate_limit {
            let rate = f64::from(limit);
            if let Some(then) = inner.refilled_at {
                let elapsed = now.saturating_duration_since(then).as_secs_f64();
                inner.tokens = (inner.tokens + elapsed * rate).min(rate);
            }
            inner.refilled_at = Some(now);
            if inner.tokens >= 1.0 {
                inner.tokens -= 1.0;
            } else {
                let wait = (1.0 - inner.tokens) / rate;
                return Verdict::RateLimited {
                    retry_after_secs: (wait.ceil() as u64).max(1),
                };
            }
        }
        if self.fail_rate > 0.0 && inner.rng.next_unit() < self.fail_rate {
            return Verdict::Fail;
        }
        Verdict::Pass
    }
}

/// SplitMix64: a tiny, well-known generator, good enough to decide
/// failures reproducibly.
#[derive(Debug, Clone)]
struct SplitMix64(u64);

impl SplitMix64 {
    fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number in [0, 1).
    fn next_unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn verdicts(faults: &Faults, count: usize, now: Instant) -> Vec<Verdict> {
        (0..count).map(|_| faults.judge(now)).collect()
    }

    #[test]
    fn failures_are_reproducible_under_a_seed() {
        let now = Instant::now();
        let a = verdicts(&Faults::new(Duration::ZERO, 0.5, None, 7), 200, now);
        let b = verdicts(&Faults::new(Duration::ZERO, 0.5, None, 7), 200, now);
        let c = verdicts(&Faults::new(Duration::ZERO, 0.5, None, 8), 200, now);
        assert_eq!(a, b);
        assert_ne!(a, c);
        let failed = a.iter().filter(|v| **v == Verdict::Fail).count();
        assert!((60..=140).contains(&failed), "{failed} of 200 failed");
        let all = verdicts(&Faults::new(Duration::ZERO, 1.0, None, 1), 50, now);
        assert!(all.iter().all(|v| *v == Verdict::Fail));
        let none = verdicts(&Faults::new(Duration::ZERO, 0.0, None, 1), 50, now);
        assert!(none.iter().all(|v| *v == Verdict::Pass));
        let nan = verdicts(&Faults::new(Duration::ZERO, f64::NAN, None, 1), 50, now);
        assert!(nan.iter().all(|v| *v == Verdict::Pass));
    }

    #[test]
    fn the_bucket_allows_a_burst_then_refills() {
        let start = Instant::now();
        let faults = Faults::new(Duration::ZERO, 0.0, Some(3), 0);
        assert_eq!(verdicts(&faults, 3, start), vec![Verdict::Pass; 3]);
        assert_eq!(
            faults.judge(start),
            Verdict::RateLimited {
                retry_after_secs: 1
            }
        );
        // A third of a second later one token has come back.
        let later = start + Duration::from_millis(340);
        assert_eq!(faults.judge(later), Verdict::Pass);
        assert!(matches!(faults.judge(later), Verdict::RateLimited { .. }));
        // After a long pause the bucket is full again, never fuller.
        let much_later = later + Duration::from_secs(60);
        assert_eq!(verdicts(&faults, 3, much_later), vec![Verdict::Pass; 3]);
        assert!(matches!(
            faults.judge(much_later),
            Verdict::RateLimited { .. }
        ));
    }

    #[test]
    fn slow_limits_ask_for_longer_waits() {
        let now = Instant::now();
        let faults = Faults::new(Duration::ZERO, 0.0, Some(1), 0);
        assert_eq!(faults.judge(now), Verdict::Pass);
        assert_eq!(
            faults.judge(now),
            Verdict::RateLimited {
                retry_after_secs: 1
            }
        );
    }
}
