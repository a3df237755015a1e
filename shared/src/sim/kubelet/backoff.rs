//! The kubelet's restart back-off as a plain value: 10 s doubling to 5 min,
//! forgotten once a container has run for 10 min without needing it.

use jiff::{SignedDuration, Timestamp};

pub const INITIAL_SECONDS: i64 = 10;
pub const MAX_SECONDS: i64 = 300;

/// Back-off of one container (or one image pull).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Backoff {
    /// Current delay and when it was last raised.
    entry: Option<(i64, Timestamp)>,
}

impl Backoff {
    fn live_entry(&self, event: Timestamp) -> Option<(i64, Timestamp)> {
        // An entry older than twice the cap (10 min) no longer counts.
        self.entry.filter(|(_, last)| {
            event.duration_since(*last) <= SignedDuration::from_secs(2 * MAX_SECONDS)
        })
    }

    /// Until when a restart of something that stopped at `finished` must wait, if at all.
    pub fn waits_until(&self, finished: Timestamp, now: Timestamp) -> Option<Timestamp> {
        let (delay, _) = self.live_entry(finished)?;
        let until = finished
            .checked_add(SignedDuration::from_secs(delay))
            .ok()?;
        (now < until).then_some(until)
    }

    /// Records a restart at `now`, raising the delay for the next one.
    pub fn step(&mut self, now: Timestamp) {
        let delay = match self.live_entry(now) {
            Some((d, _)) => (d * 2).min(MAX_SECONDS),
            None => INITIAL_SECONDS,
        };
        self.entry = Some((delay, now));
    }

    /// The delay the next failure will wait.
    pub fn delay(&self) -> i64 {
        self.entry.map_or(0, |(d, _)| d)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: i64) -> Timestamp {
        Timestamp::from_second(1_767_225_600 + s).unwrap()
    }

    #[test]
    fn delays_double_from_ten_seconds_to_five_minutes() {
        let mut b = Backoff::default();
        assert_eq!(
            b.waits_until(t(0), t(0)),
            None,
            "the first restart is immediate"
        );
        let mut delays = Vec::new();
        let mut now = t(0);
        for _ in 0..7 {
            b.step(now);
            delays.push(b.delay());
            now = b.waits_until(now, now).unwrap();
        }
        assert_eq!(delays, vec![10, 20, 40, 80, 160, 300, 300]);
    }

    #[test]
    fn ten_minutes_of_running_resets_it() {
        let mut b = Backoff::default();
        for s in [0, 10, 30] {
            b.step(t(s));
        }
        assert_eq!(b.delay(), 40);
        assert_eq!(b.waits_until(t(30 + 601), t(30 + 601)), None);
        b.step(t(631));
        assert_eq!(b.delay(), 10);
    }
}
