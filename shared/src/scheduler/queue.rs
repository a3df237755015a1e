//! The scheduling queue, after Kubernetes': an active queue by priority then
//! arrival, a backoff queue of pods that failed recently (1s doubling to 10s),
//! and unschedulable pods parked until the cluster changes (or 5 minutes pass).

use super::pod_info::PodKey;
use jiff::{SignedDuration, Timestamp};
use std::cmp::Reverse;
use std::collections::{BTreeSet, HashMap, HashSet};

const INITIAL_BACKOFF: SignedDuration = SignedDuration::from_secs(1);
const MAX_BACKOFF: SignedDuration = SignedDuration::from_secs(10);
/// How long an unschedulable pod waits without any cluster change before it is retried anyway.
const MAX_UNSCHEDULABLE: SignedDuration = SignedDuration::from_secs(300);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Place {
    Active,
    Backoff(Timestamp),
    Unschedulable(Timestamp),
}

#[derive(Debug)]
struct Entry {
    priority: i64,
    seq: u64,
    attempts: u32,
    /// Until when the last failure holds the pod back.
    backoff_until: Option<Timestamp>,
    place: Place,
    /// Its last failure may be cured by a pod arriving (required pod affinity).
    waits_for_pods: bool,
}

type Ordered = (Reverse<i64>, u64, PodKey);

#[derive(Debug, Default)]
pub struct SchedulingQueue {
    entries: HashMap<PodKey, Entry>,
    active: BTreeSet<Ordered>,
    backoff: BTreeSet<(Timestamp, u64, PodKey)>,
    unschedulable: BTreeSet<(Timestamp, u64, PodKey)>,
    /// The parked pods that wait for a neighbour, so a bind finds them without a scan.
    waiting_for_pods: HashSet<PodKey>,
    next_seq: u64,
}

fn backoff_for(attempts: u32) -> SignedDuration {
    let mut d = INITIAL_BACKOFF;
    for _ in 1..attempts {
        d = d.checked_mul(2).unwrap_or(MAX_BACKOFF);
        if d >= MAX_BACKOFF {
            return MAX_BACKOFF;
        }
    }
    d
}

impl SchedulingQueue {
    pub fn clear(&mut self) {
        *self = SchedulingQueue::default();
    }

    pub fn contains(&self, key: &PodKey) -> bool {
        self.entries.contains_key(key)
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// A new pending pod goes straight to the active queue.
    pub fn add(&mut self, key: PodKey, priority: i64) {
        if self.entries.contains_key(&key) {
            return;
        }
        self.next_seq += 1;
        let seq = self.next_seq;
        self.active.insert((Reverse(priority), seq, key.clone()));
        self.entries.insert(
            key,
            Entry {
                priority,
                seq,
                attempts: 0,
                backoff_until: None,
                place: Place::Active,
                waits_for_pods: false,
            },
        );
    }

    fn unlink(&mut self, key: &PodKey) -> Option<Entry> {
        let e = self.entries.remove(key)?;
        match e.place {
            Place::Active => self
                .active
                .remove(&(Reverse(e.priority), e.seq, key.clone())),
            Place::Backoff(at) => self.backoff.remove(&(at, e.seq, key.clone())),
            Place::Unschedulable(at) => {
                self.waiting_for_pods.remove(key);
                self.unschedulable.remove(&(at, e.seq, key.clone()))
            }
        };
        Some(e)
    }

    pub fn remove(&mut self, key: &PodKey) {
        self.unlink(key);
    }

    fn place(&mut self, key: PodKey, mut e: Entry, place: Place) {
        match place {
            Place::Active => self
                .active
                .insert((Reverse(e.priority), e.seq, key.clone())),
            Place::Backoff(at) => self.backoff.insert((at, e.seq, key.clone())),
            Place::Unschedulable(at) => {
                if e.waits_for_pods {
                    self.waiting_for_pods.insert(key.clone());
                }
                self.unschedulable.insert((at, e.seq, key.clone()))
            }
        };
        e.place = place;
        self.entries.insert(key, e);
    }

    /// Back to active, or to backoff if its last failure is too recent.
    fn requeue(&mut self, key: PodKey, e: Entry, now: Timestamp) {
        match e.backoff_until.filter(|until| *until > now) {
            Some(until) => self.place(key, e, Place::Backoff(until)),
            None => self.place(key, e, Place::Active),
        }
    }

    /// The pod could not be scheduled: park it until something changes.
    /// `waits_for_pods`: a newly placed pod might be what it needs.
    pub fn failed(&mut self, key: PodKey, waits_for_pods: bool, now: Timestamp) {
        let Some(mut e) = self.unlink(&key) else {
            return;
        };
        e.attempts += 1;
        e.waits_for_pods = waits_for_pods;
        e.backoff_until = now.checked_add(backoff_for(e.attempts)).ok();
        self.place(key, e, Place::Unschedulable(now));
    }

    /// The pod itself changed: retry it if it was parked.
    pub fn pod_updated(&mut self, key: &PodKey, now: Timestamp) {
        if matches!(self.entries.get(key), Some(e) if matches!(e.place, Place::Unschedulable(_))) {
            if let Some(e) = self.unlink(key) {
                self.requeue(key.clone(), e, now);
            }
        }
    }

    /// Something in the cluster changed that may let parked pods fit.
    pub fn move_all_unschedulable(&mut self, now: Timestamp) {
        let parked: Vec<PodKey> = self
            .unschedulable
            .iter()
            .map(|(_, _, k)| k.clone())
            .collect();
        for key in parked {
            if let Some(e) = self.unlink(&key) {
                self.requeue(key, e, now);
            }
        }
    }

    /// A pod was placed: retry only the parked pods that wait for a neighbour, as
    /// Kubernetes' queueing hints do, so a busy cluster does not retry everything.
    pub fn move_waiting_for_pods(&mut self, now: Timestamp) {
        let waiting: Vec<PodKey> = self.waiting_for_pods.iter().cloned().collect();
        for key in waiting {
            if let Some(e) = self.unlink(&key) {
                self.requeue(key, e, now);
            }
        }
    }

    /// Moves pods whose backoff ended, or that were parked too long, to active.
    fn flush(&mut self, now: Timestamp) {
        while let Some((at, _, key)) = self.backoff.first().cloned() {
            if at > now {
                break;
            }
            if let Some(e) = self.unlink(&key) {
                self.place(key, e, Place::Active);
            }
        }
        let stale = now.checked_sub(MAX_UNSCHEDULABLE).unwrap_or(now);
        while let Some((since, _, key)) = self.unschedulable.first().cloned() {
            if since > stale {
                break;
            }
            if let Some(e) = self.unlink(&key) {
                self.requeue(key, e, now);
            }
        }
    }

    /// The next pod to try at `now`; it stays known to the queue until removed or failed.
    pub fn pop(&mut self, now: Timestamp) -> Option<PodKey> {
        self.flush(now);
        let (_, _, key) = self.active.pop_first()?;
        if let Some(e) = self.entries.get_mut(&key) {
            // In flight: neither active nor parked until the cycle reports back.
            e.place = Place::Unschedulable(now);
            self.unschedulable.insert((now, e.seq, key.clone()));
        }
        Some(key)
    }

    /// When a backoff ends or a parked pod's patience runs out.
    pub fn next_wake(&self) -> Option<Timestamp> {
        let backoff = self.backoff.first().map(|(at, _, _)| *at);
        let parked = self
            .unschedulable
            .first()
            .and_then(|(since, _, _)| since.checked_add(MAX_UNSCHEDULABLE).ok());
        match (backoff, parked) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(n: &str) -> PodKey {
        ("default".into(), n.into())
    }

    fn t(s: &str) -> Timestamp {
        s.parse().unwrap()
    }

    #[test]
    fn higher_priority_first_then_arrival_order() {
        let mut q = SchedulingQueue::default();
        q.add(key("a"), 0);
        q.add(key("b"), 10);
        q.add(key("c"), 0);
        let now = t("2026-01-01T00:00:00Z");
        assert_eq!(q.pop(now), Some(key("b")));
        assert_eq!(q.pop(now), Some(key("a")));
        assert_eq!(q.pop(now), Some(key("c")));
        assert_eq!(q.pop(now), None);
    }

    #[test]
    fn a_failed_pod_waits_for_a_change_and_its_backoff() {
        let mut q = SchedulingQueue::default();
        let t0 = t("2026-01-01T00:00:00Z");
        q.add(key("a"), 0);
        assert_eq!(q.pop(t0), Some(key("a")));
        q.failed(key("a"), false, t0);
        assert_eq!(
            q.pop(t("2026-01-01T00:00:05Z")),
            None,
            "parked until the cluster changes"
        );
        q.move_all_unschedulable(t("2026-01-01T00:00:00.500Z"));
        assert_eq!(
            q.pop(t("2026-01-01T00:00:00.600Z")),
            None,
            "still backing off (1s)"
        );
        assert_eq!(q.next_wake(), Some(t("2026-01-01T00:00:01Z")));
        assert_eq!(q.pop(t("2026-01-01T00:00:01Z")), Some(key("a")));
        q.failed(key("a"), false, t("2026-01-01T00:00:01Z"));
        q.move_all_unschedulable(t("2026-01-01T00:00:01Z"));
        assert_eq!(
            q.next_wake(),
            Some(t("2026-01-01T00:00:03Z")),
            "backoff doubles"
        );
    }

    #[test]
    fn parked_pods_are_retried_after_five_minutes_anyway() {
        let mut q = SchedulingQueue::default();
        let t0 = t("2026-01-01T00:00:00Z");
        q.add(key("a"), 0);
        q.pop(t0);
        q.failed(key("a"), false, t0);
        assert_eq!(q.next_wake(), Some(t("2026-01-01T00:05:00Z")));
        assert_eq!(q.pop(t("2026-01-01T00:05:00Z")), Some(key("a")));
    }

    #[test]
    fn a_placed_pod_wakes_only_pods_waiting_for_neighbours() {
        let mut q = SchedulingQueue::default();
        let t0 = t("2026-01-01T00:00:00Z");
        q.add(key("near"), 0);
        q.add(key("big"), 0);
        q.pop(t0);
        q.pop(t0);
        q.failed(key("near"), true, t0);
        q.failed(key("big"), false, t0);
        q.move_waiting_for_pods(t("2026-01-01T00:00:02Z"));
        let later = t("2026-01-01T00:00:02Z");
        assert_eq!(q.pop(later), Some(key("near")));
        assert_eq!(q.pop(later), None);
    }

    #[test]
    fn backoff_caps_at_ten_seconds() {
        assert_eq!(backoff_for(1), SignedDuration::from_secs(1));
        assert_eq!(backoff_for(3), SignedDuration::from_secs(4));
        assert_eq!(backoff_for(9), SignedDuration::from_secs(10));
    }
}
