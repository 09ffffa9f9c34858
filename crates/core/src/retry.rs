//! When to try a failed request again: the [`RetryPolicy`] that decides, the
//! server's [`RetryAfter`], and the jitter that spreads retries out. The
//! [`Call`](crate::Call) machine applies them.

use std::time::{Duration, SystemTime};

use crate::http::Method;

/// Retries after the first attempt, by default.
pub const DEFAULT_MAX_RETRIES: u32 = 2;
/// The backoff ceiling of the first retry, by default.
pub const DEFAULT_BASE_DELAY: Duration = Duration::from_millis(500);
/// The largest backoff ceiling, by default.
pub const DEFAULT_MAX_DELAY: Duration = Duration::from_secs(10);
/// The longest `Retry-After` honoured, by default.
pub const DEFAULT_MAX_RETRY_AFTER: Duration = Duration::from_secs(60);
/// How long one attempt may take, by default.
pub const DEFAULT_ATTEMPT_TIMEOUT: Duration = Duration::from_secs(30);

/// When to try a failed request again.
///
/// - 429 is retried for every method (the server did not act), honouring
///   `Retry-After` up to [`max_retry_after`](Self::max_retry_after).
/// - 5xx, network failures and timeouts are retried only for idempotent
///   methods (GET, PUT, DELETE): a POST is never repeated once the server
///   may have acted.
/// - Otherwise the delay is exponential backoff with full jitter:
///   a random duration up to `min(max_delay, base_delay * 2^retry)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Retries after the first attempt; zero disables retrying.
    pub max_retries: u32,
    /// The backoff ceiling of the first retry.
    pub base_delay: Duration,
    /// The largest backoff ceiling.
    pub max_delay: Duration,
    /// The longest `Retry-After` honoured; a longer one ends the call with
    /// [`Error::RateLimited`](crate::Error::RateLimited).
    pub max_retry_after: Duration,
    /// How long one attempt may take, the whole response body included; a
    /// driver ends the attempt at the deadline this sets on each request
    /// ([`Request::deadline`](crate::Request::deadline)).
    pub attempt_timeout: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            max_retries: DEFAULT_MAX_RETRIES,
            base_delay: DEFAULT_BASE_DELAY,
            max_delay: DEFAULT_MAX_DELAY,
            max_retry_after: DEFAULT_MAX_RETRY_AFTER,
            attempt_timeout: DEFAULT_ATTEMPT_TIMEOUT,
        }
    }
}

/// Why an attempt failed, as the policy sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AttemptFailure {
    /// A response with this status (and `Retry-After`, if any).
    Status(u16, Option<RetryAfter>),
    /// No response: the connection failed.
    Network,
    /// No response in time.
    Timeout,
}

impl RetryPolicy {
    /// A policy that never retries.
    pub fn never() -> Self {
        Self {
            max_retries: 0,
            ..Self::default()
        }
    }

    /// Whether and after how long to retry, given how many retries were
    /// already made. `random` is any random number (it picks the jitter).
    pub fn retry_delay(
        &self,
        retries_done: u32,
        method: Method,
        failure: AttemptFailure,
        now: SystemTime,
        random: u64,
    ) -> Option<Duration> {
        if retries_done >= self.max_retries {
            return None;
        }
        match failure {
            AttemptFailure::Status(429, Some(after)) => {
                let delay = after.delay_from(now);
                (delay <= self.max_retry_after).then_some(delay)
            }
            AttemptFailure::Status(429, None) => Some(self.backoff(retries_done, random)),
            AttemptFailure::Status(500..=599, _)
            | AttemptFailure::Network
            | AttemptFailure::Timeout
                if method.is_idempotent() =>
            {
                Some(self.backoff(retries_done, random))
            }
            _ => None,
        }
    }

    /// Full jitter: uniform in `0..=min(max_delay, base_delay * 2^retry)`.
    pub(crate) fn backoff(&self, retries_done: u32, random: u64) -> Duration {
        let factor = 1u32.checked_shl(retries_done.min(31)).unwrap_or(u32::MAX);
        let ceiling = self.base_delay.saturating_mul(factor).min(self.max_delay);
        let ceiling_ms = u64::try_from(ceiling.as_millis()).unwrap_or(u64::MAX);
        Duration::from_millis(random % ceiling_ms.saturating_add(1))
    }
}

/// A small deterministic random sequence (SplitMix64) from a caller's seed.
#[derive(Debug, Clone)]
pub(crate) struct Jitter(u64);

impl Jitter {
    pub(crate) fn new(seed: u64) -> Self {
        Self(seed)
    }

    pub(crate) fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
}

/// When a rate-limited request may be tried again, as the server said it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RetryAfter {
    /// `Retry-After: <seconds>`.
    Delay(Duration),
    /// `Retry-After: <HTTP-date>`.
    At(SystemTime),
}

/// Reads fractional seconds such as `1.5` (below 10^12 s, nanosecond
/// precision) with integer arithmetic: parsing floats would add tens of
/// kilobytes to the WebAssembly build.
fn decimal_seconds(value: &str) -> Option<Duration> {
    let (whole, fraction) = value.strip_prefix('+').unwrap_or(value).split_once('.')?;
    let digits = |text: &str| text.bytes().all(|b| b.is_ascii_digit());
    if (whole.is_empty() && fraction.is_empty()) || !digits(whole) || !digits(fraction) {
        return None;
    }
    let whole = crate::wire::text::trim_start_byte(whole, b'0');
    if whole.len() > 12 {
        return None;
    }
    let seconds = if whole.is_empty() {
        0
    } else {
        crate::wire::text::parse_decimal(whole)?
    };
    // The first nine digits, padded with zeros.
    let mut nanos = 0u32;
    for at in 0..9 {
        let digit = fraction.as_bytes().get(at).map_or(0, |digit| digit - b'0');
        nanos = nanos * 10 + u32::from(digit);
    }
    Some(Duration::new(seconds, nanos))
}

impl RetryAfter {
    /// Parses a `Retry-After` header value (seconds or an HTTP-date).
    pub fn parse(value: &str) -> Option<Self> {
        let value = value.trim();
        // `+7` counts, as Rust's integer parsing (used before) read it.
        if let Some(seconds) =
            crate::wire::text::parse_decimal(value.strip_prefix('+').unwrap_or(value))
        {
            return Some(Self::Delay(Duration::from_secs(seconds)));
        }
        if let Some(delay) = decimal_seconds(value) {
            return Some(Self::Delay(delay));
        }
        crate::wire::date::parse_http_date(value).map(Self::At)
    }

    /// How long to wait from `now`; zero when the date has passed.
    pub fn delay_from(self, now: SystemTime) -> Duration {
        match self {
            Self::Delay(delay) => delay,
            Self::At(at) => at.duration_since(now).unwrap_or_default(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_reads_seconds_and_dates() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_000_000_000);
        assert_eq!(
            RetryAfter::parse("7").map(|r| r.delay_from(now)),
            Some(Duration::from_secs(7))
        );
        let date = httpdate::fmt_http_date(now + Duration::from_secs(30));
        assert_eq!(
            RetryAfter::parse(&date).map(|r| r.delay_from(now)),
            Some(Duration::from_secs(30))
        );
        let past = httpdate::fmt_http_date(now - Duration::from_secs(30));
        assert_eq!(
            RetryAfter::parse(&past).map(|r| r.delay_from(now)),
            Some(Duration::ZERO)
        );
        assert_eq!(RetryAfter::parse("soon"), None);
        assert_eq!(RetryAfter::parse("-1"), None);
        let seconds = |text: &str| RetryAfter::parse(text).map(|r| r.delay_from(now));
        assert_eq!(seconds("1.5"), Some(Duration::from_millis(1500)));
        assert_eq!(seconds(".25"), Some(Duration::from_millis(250)));
        assert_eq!(seconds("2."), Some(Duration::from_secs(2)));
        assert_eq!(
            seconds("0.1234567891"),
            Some(Duration::from_nanos(123_456_789))
        );
        assert_eq!(
            seconds("999999999999.5"),
            Some(Duration::new(999_999_999_999, 500_000_000))
        );
        assert_eq!(seconds("1000000000000.5"), None);
        assert_eq!(seconds("."), None);
        assert_eq!(seconds("1.5.2"), None);
        assert_eq!(seconds("-1.5"), None);
        let limited = crate::Response::new(429, vec![("Retry-After".into(), "3".into())], vec![]);
        let error = crate::Error::from_response(&limited);
        assert_eq!(error.retry_after(now), Some(Duration::from_secs(3)));
        assert_eq!(error.to_string(), "rate limited (retry after 3s)");
    }
}
