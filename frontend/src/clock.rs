//! The page's clock: the core never reads time, so the host passes the browser's wall clock in
//! and turns the core's wake-up times into timer delays.

use kubeplay_shared::Timestamp;

/// The longest delay `setTimeout` honours; larger ones overflow and fire at once.
const MAX_TIMEOUT_MS: i128 = i32::MAX as i128;

/// Wall-clock now, from `Date.now()` (millisecond precision is all Kubernetes timestamps keep).
pub fn now() -> Timestamp {
    Timestamp::from_millisecond(js_sys::Date::now() as i64).unwrap_or(Timestamp::UNIX_EPOCH)
}

/// A monotonic reading in milliseconds for timing, in the page or its worker (both have a
/// global `performance`); falls back to the wall clock.
pub fn monotonic_ms() -> f64 {
    use wasm_bindgen::JsCast;
    js_sys::Reflect::get(&js_sys::global(), &"performance".into())
        .ok()
        .and_then(|p| p.dyn_into::<web_sys::Performance>().ok())
        .map(|p| p.now())
        .unwrap_or_else(js_sys::Date::now)
}

/// Milliseconds from `now` until `at`, as a timer delay: zero when `at` has passed.
pub fn millis_until(at: Timestamp, now: Timestamp) -> u32 {
    let millis = at.duration_since(now).as_millis().clamp(0, MAX_TIMEOUT_MS);
    u32::try_from(millis).unwrap_or(u32::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> Timestamp {
        s.parse().unwrap()
    }

    #[test]
    fn a_future_wake_becomes_its_distance_in_millis() {
        let delay = millis_until(at("2025-06-01T12:00:01.5Z"), at("2025-06-01T12:00:00Z"));
        assert_eq!(delay, 1500);
    }

    #[test]
    fn a_past_wake_fires_at_once() {
        assert_eq!(
            millis_until(at("2025-06-01T11:59:00Z"), at("2025-06-01T12:00:00Z")),
            0
        );
    }

    #[test]
    fn a_far_wake_is_capped_at_what_set_timeout_accepts() {
        let delay = millis_until(at("2030-01-01T00:00:00Z"), at("2025-06-01T12:00:00Z"));
        assert_eq!(delay, i32::MAX as u32);
    }
}
