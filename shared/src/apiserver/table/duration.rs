//! Ages as Kubernetes prints them (`5s`, `2m3s`, `3h4m`, `2d5h`, `2y3d`).
//!
//! Every `Age`, `Last Seen` and restart time in a table goes through here, so
//! the rounding rules of apimachinery's `HumanDuration` live in one place.

use jiff::Timestamp;

const SECOND: i64 = 1_000_000_000;
const MINUTE: i64 = 60 * SECOND;
const HOUR: i64 = 60 * MINUTE;

/// Go's zero `time.Time`, which Kubernetes prints for a missing timestamp.
pub(crate) const GO_ZERO_TIME: Timestamp = Timestamp::constant(-62_135_596_800, 0);

/// A duration (in nanoseconds) with two or three significant figures, the way
/// `kubectl get` shows ages. Up to 2s in the future counts as now (clock skew);
/// further in the future is `<invalid>`.
pub fn human_duration(nanos: i128) -> String {
    // Go durations are int64 nanoseconds and saturate at about 292 years.
    let d = nanos.clamp(i64::MIN as i128, i64::MAX as i128) as i64;
    let seconds = d / SECOND;
    if seconds < -1 {
        return "<invalid>".into();
    }
    if seconds < 0 {
        return "0s".into();
    }
    if seconds < 60 * 2 {
        return format!("{seconds}s");
    }
    let minutes = d / MINUTE;
    if minutes < 10 {
        return match seconds % 60 {
            0 => format!("{minutes}m"),
            s => format!("{minutes}m{s}s"),
        };
    }
    if minutes < 60 * 3 {
        return format!("{minutes}m");
    }
    let hours = d / HOUR;
    if hours < 8 {
        return match minutes % 60 {
            0 => format!("{hours}h"),
            m => format!("{hours}h{m}m"),
        };
    }
    if hours < 48 {
        return format!("{hours}h");
    }
    let days = hours / 24;
    if hours < 24 * 8 {
        return match hours % 24 {
            0 => format!("{days}d"),
            h => format!("{days}d{h}h"),
        };
    }
    if hours < 24 * 365 * 2 {
        return format!("{days}d");
    }
    let years = days / 365;
    if hours < 24 * 365 * 8 {
        return match days % 365 {
            0 => format!("{years}y"),
            dy => format!("{years}y{dy}d"),
        };
    }
    format!("{years}y")
}

/// Parses a Kubernetes `Time` or `MicroTime` (RFC 3339).
pub(crate) fn parse_time(s: &str) -> Option<Timestamp> {
    s.parse().ok()
}

/// How long ago `then` was; `<unknown>` when the object has no such time,
/// as Kubernetes prints a zero time.
pub(crate) fn since(then: Option<Timestamp>, now: Timestamp) -> String {
    match then {
        Some(t) if t != GO_ZERO_TIME => human_duration(now.as_nanosecond() - t.as_nanosecond()),
        _ => "<unknown>".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn secs(s: i64) -> String {
        human_duration(s as i128 * SECOND as i128)
    }

    const M: i64 = 60;
    const H: i64 = 60 * M;
    const D: i64 = 24 * H;
    const Y: i64 = 365 * D;

    #[test]
    fn small_future_skew_reads_as_now() {
        assert_eq!(human_duration(-1), "0s");
        assert_eq!(human_duration(-1_999_999_999), "0s");
        assert_eq!(secs(-1), "0s");
    }

    #[test]
    fn two_seconds_in_the_future_is_invalid() {
        assert_eq!(secs(-2), "<invalid>");
        assert_eq!(secs(-3600), "<invalid>");
    }

    #[test]
    fn seconds_up_to_two_minutes() {
        assert_eq!(secs(0), "0s");
        assert_eq!(human_duration(999_999_999), "0s");
        assert_eq!(secs(5), "5s");
        assert_eq!(secs(119), "119s");
    }

    #[test]
    fn minutes_and_seconds_below_ten_minutes() {
        assert_eq!(secs(120), "2m");
        assert_eq!(secs(123), "2m3s");
        assert_eq!(secs(9 * M + 59), "9m59s");
    }

    #[test]
    fn whole_minutes_below_three_hours() {
        assert_eq!(secs(10 * M), "10m");
        assert_eq!(secs(10 * M + 59), "10m");
        assert_eq!(secs(3 * H - 1), "179m");
    }

    #[test]
    fn hours_and_minutes_below_eight_hours() {
        assert_eq!(secs(3 * H), "3h");
        assert_eq!(secs(3 * H + 4 * M + 30), "3h4m");
        assert_eq!(secs(8 * H - 1), "7h59m");
    }

    #[test]
    fn whole_hours_below_two_days() {
        assert_eq!(secs(8 * H), "8h");
        assert_eq!(secs(48 * H - 1), "47h");
    }

    #[test]
    fn days_and_hours_below_eight_days() {
        assert_eq!(secs(2 * D), "2d");
        assert_eq!(secs(2 * D + 5 * H), "2d5h");
        assert_eq!(secs(8 * D - 1), "7d23h");
    }

    #[test]
    fn whole_days_below_two_years() {
        assert_eq!(secs(8 * D), "8d");
        assert_eq!(secs(45 * D + 23 * H), "45d");
        assert_eq!(secs(2 * Y - 1), "729d");
    }

    #[test]
    fn years_and_days_below_eight_years() {
        assert_eq!(secs(2 * Y), "2y");
        assert_eq!(secs(2 * Y + 3 * D), "2y3d");
        assert_eq!(secs(8 * Y - 1), "7y364d");
    }

    #[test]
    fn whole_years_from_eight_years() {
        assert_eq!(secs(8 * Y), "8y");
        assert_eq!(secs(100 * Y + 200 * D), "100y");
    }

    #[test]
    fn durations_saturate_like_go() {
        assert_eq!(human_duration(i128::MAX), "292y");
    }

    #[test]
    fn since_reads_kubernetes_times() {
        let now: Timestamp = "2025-01-01T12:00:00Z".parse().unwrap();
        assert_eq!(since(parse_time("2025-01-01T11:57:57Z"), now), "2m3s");
        assert_eq!(since(parse_time("2025-01-01T11:59:59.500000Z"), now), "0s");
        assert_eq!(since(parse_time("2025-01-01T12:00:05Z"), now), "<invalid>");
        assert_eq!(since(None, now), "<unknown>");
        assert_eq!(since(Some(GO_ZERO_TIME), now), "<unknown>");
        assert_eq!(since(parse_time("not a time"), now), "<unknown>");
    }
}
