//! Fault injection for client tests: rate limiting, failures and latency.
//!
//! Failures come from a small seeded generator (SplitMix64), one draw per
//! request in arrival order, so a client that sends its requests one after
//! another sees the same statuses on every run with the same `--seed`.
//! Rate limiting is a token bucket holding `N` tokens that refills at `N`
//! per second: a burst of `N` requests passes, and the `Retry-After` header
//! says in whole seconds (at least 1) when the next token comes.
//!
//! Scoped faults ([`ScopedFaults`]) are set at run time through
//! `PUT /_emulator/faults` and apply to the requests whose method and path
//! they name, each for a number of times or until replaced.

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

/// One scoped fault, as `PUT /_emulator/faults` takes it and
/// `GET /_emulator/faults` shows it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FaultRule {
    /// The method it applies to (any when absent), e.g. `POST`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub method: Option<String>,
    /// The path it applies to: that path and every path below it
    /// (`/api/user` matches `/api/user` and `/api/user/alice`, not
    /// `/api/users`).
    pub path: String,
    /// The status to answer instead of handling the request (400 to 599).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<u16>,
    /// The `Retry-After` header, in seconds, sent with `status`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retry_after: Option<u64>,
    /// Milliseconds added before answering (at most a minute).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub latency_ms: Option<u64>,
    /// How many more requests it applies to; absent: until replaced.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub times: Option<u64>,
}

/// The body of `PUT /_emulator/faults` and `GET /_emulator/faults`.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FaultRules {
    /// The rules, in the order they are tried.
    pub rules: Vec<FaultRule>,
}

/// The longest latency a scoped fault may add.
pub const MAX_SCOPED_LATENCY_MS: u64 = 60_000;

impl FaultRules {
    /// Reads and checks a `PUT /_emulator/faults` body.
    ///
    /// # Errors
    /// A sentence saying what is wrong: not JSON, an unknown field, a
    /// path not starting with `/`, a status outside 400–599, a
    /// `retry_after` without a status, a rule that does nothing, `times`
    /// of 0, or a latency over a minute.
    pub fn parse(body: &[u8]) -> Result<Self, String> {
        let rules: Self = serde_json::from_slice(body).map_err(|error| error.to_string())?;
        for (index, rule) in rules.rules.iter().enumerate() {
            rule.check()
                .map_err(|reason| format!("rules[{index}]: {reason}"))?;
        }
        Ok(rules)
    }
}

impl FaultRule {
    fn check(&self) -> Result<(), &'static str> {
        if !self.path.starts_with('/') {
            return Err("path must start with /");
        }
        if let Some(method) = &self.method
            && (method.is_empty() || !method.bytes().all(|byte| byte.is_ascii_alphabetic()))
        {
            return Err("method must be a word such as GET or POST");
        }
        if self
            .status
            .is_some_and(|status| !(400..=599).contains(&status))
        {
            return Err("status must be from 400 to 599");
        }
        if self.retry_after.is_some() && self.status.is_none() {
            return Err("retry_after needs a status");
        }
        if self.status.is_none() && self.latency_ms.is_none() {
            return Err("a rule needs a status or a latency_ms");
        }
        if self.latency_ms.is_some_and(|ms| ms > MAX_SCOPED_LATENCY_MS) {
            return Err("latency_ms must be at most 60000");
        }
        if self.times == Some(0) {
            return Err("times must be at least 1 (leave it out for no limit)");
        }
        Ok(())
    }

    /// Whether the rule applies to a request with this method and path.
    fn matches(&self, method: &str, path: &str) -> bool {
        let method_matches = self
            .method
            .as_deref()
            .is_none_or(|wanted| wanted.eq_ignore_ascii_case(method));
        let below = path.strip_prefix(self.path.as_str()).is_some_and(|rest| {
            rest.is_empty() || rest.starts_with('/') || self.path.ends_with('/')
        });
        method_matches && below
    }
}

/// What the scoped faults do to one request.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ScopedVerdict {
    /// Latency to add (the sum over the rules that matched).
    pub latency: Duration,
    /// The status to answer, and its `Retry-After`, from the first
    /// matching rule with a status.
    pub status: Option<(u16, Option<u64>)>,
}

/// The scoped faults set at run time.
#[derive(Debug, Default)]
pub struct ScopedFaults {
    rules: Mutex<Vec<FaultRule>>,
}

impl ScopedFaults {
    /// Replaces every rule.
    pub fn set(&self, rules: FaultRules) {
        *self.lock() = rules.rules;
    }

    /// The rules that remain, with what is left of their `times`.
    #[must_use]
    pub fn rules(&self) -> FaultRules {
        FaultRules {
            rules: self.lock().clone(),
        }
    }

    /// Decides what the rules do to a request and counts down the `times`
    /// of every rule that took effect (every matching latency rule, the
    /// first matching rule with a status), removing those that reach 0.
    #[must_use]
    pub fn judge(&self, method: &str, path: &str) -> ScopedVerdict {
        let mut rules = self.lock();
        let mut verdict = ScopedVerdict::default();
        rules.retain_mut(|rule| {
            if !rule.matches(method, path) {
                return true;
            }
            let mut took_effect = false;
            if let Some(ms) = rule.latency_ms {
                verdict.latency += Duration::from_millis(ms);
                took_effect = true;
            }
            if let Some(status) = rule.status
                && verdict.status.is_none()
            {
                verdict.status = Some((status, rule.retry_after));
                took_effect = true;
            }
            match &mut rule.times {
                Some(times) if took_effect => {
                    *times -= 1;
                    *times > 0
                }
                _ => true,
            }
        });
        verdict
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<FaultRule>> {
        self.rules
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
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
    fn scoped_rules_match_by_method_and_path_and_count_down() {
        let faults = ScopedFaults::default();
        let rules = FaultRules::parse(
            br#"{"rules": [{"method": "POST", "path": "/api/acl", "status": 429, "retry_after": 1, "times": 2},
                          {"path": "/api/user", "latency_ms": 5}]}"#,
        )
        .unwrap();
        faults.set(rules);
        assert_eq!(faults.judge("GET", "/api/acl"), ScopedVerdict::default());
        assert_eq!(faults.judge("POST", "/api/users"), ScopedVerdict::default());
        let slow = faults.judge("DELETE", "/api/user/alice");
        assert_eq!(slow.latency, Duration::from_millis(5));
        assert_eq!(slow.status, None);
        for _ in 0..2 {
            assert_eq!(
                faults.judge("post", "/api/acl").status,
                Some((429, Some(1)))
            );
        }
        assert_eq!(faults.judge("POST", "/api/acl").status, None);
        assert_eq!(faults.rules().rules.len(), 1);
    }

    #[test]
    fn bad_fault_bodies_are_refused_with_a_reason() {
        for (body, reason) in [
            (
                r#"{"rules": [{"path": "/api", "status": 500, "colour": 1}]}"#,
                "unknown field `colour`",
            ),
            (
                r#"{"rules": [{"path": "api", "status": 500}]}"#,
                "path must start with /",
            ),
            (
                r#"{"rules": [{"path": "/api", "status": 200}]}"#,
                "status must be from 400",
            ),
            (
                r#"{"rules": [{"path": "/api"}]}"#,
                "needs a status or a latency_ms",
            ),
            (
                r#"{"rules": [{"path": "/api", "status": 500, "times": 0}]}"#,
                "times must be",
            ),
            (
                r#"{"rules": [{"path": "/api", "retry_after": 1, "latency_ms": 1}]}"#,
                "retry_after needs",
            ),
            (r#"{"rulez": []}"#, "unknown field `rulez`"),
            ("not json", "expected"),
        ] {
            let error = FaultRules::parse(body.as_bytes()).unwrap_err();
            assert!(error.contains(reason), "{body}: {error}");
        }
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
