//! The time and the jitter seed, from the JavaScript host.

use std::time::{Duration, SystemTime};

/// The longest single timer: browsers fire at once past 2^31 - 1 ms.
pub(crate) const MAX_TIMER_MS: f64 = 2_147_483_647.0;

/// The current time from `Date.now()` (`SystemTime::now` panics on wasm32).
pub(crate) fn now() -> SystemTime {
    at(js_sys::Date::now())
}

/// The instant `millis` milliseconds after the Unix epoch (`Date.now()`'s
/// scale); whole milliseconds, which is all `Date.now()` has.
pub(crate) fn at(millis: f64) -> SystemTime {
    SystemTime::UNIX_EPOCH + Duration::from_millis(millis.max(0.0) as u64)
}

/// A duration as a timer's milliseconds: rounded up, at most
/// [`MAX_TIMER_MS`].
pub(crate) fn timer_ms(duration: Duration) -> f64 {
    (duration.as_secs_f64() * 1000.0).ceil().min(MAX_TIMER_MS)
}

/// A random seed for the backoff jitter, from `Math.random()`.
pub(crate) fn seed() -> u64 {
    // Both factors are below 2^53, so the products are exact in f64.
    let high = (js_sys::Math::random() * 4_294_967_296.0) as u64;
    let low = (js_sys::Math::random() * 4_294_967_296.0) as u64;
    (high << 32) | low
}
