//! The page's clock: the core never reads time, so the host passes the browser's wall clock in.

use kubeplay_shared::Timestamp;

/// Wall-clock now, from `Date.now()` (millisecond precision is all Kubernetes timestamps keep).
pub fn now() -> Timestamp {
    Timestamp::from_millisecond(js_sys::Date::now() as i64).unwrap_or(Timestamp::UNIX_EPOCH)
}

/// A monotonic reading in milliseconds for timing; falls back to the wall clock.
pub fn monotonic_ms() -> f64 {
    web_sys::window()
        .and_then(|w| w.performance())
        .map(|p| p.now())
        .unwrap_or_else(js_sys::Date::now)
}
