//! The control plane a host runs: the API server and the controller manager,
//! on a cluster clock.
//!
//! Hosts pass their own clock's time; the control plane turns it into cluster
//! time through the one visible "cluster speed" setting (1× by default, so all
//! Kubernetes timings are real ones). Tests drive cluster time directly with
//! [`ControlPlane::run_until`], jumping from one wake-up to the next.

mod snapshot;

pub use snapshot::{SavedLog, Snapshot, SnapshotError, LOG_LINES_KEPT, SNAPSHOT_VERSION};

use crate::apiserver::{ApiServer, Request, Response};
use crate::controllers::ControllerManager;
use jiff::{SignedDuration, Timestamp};

/// Maps host time to cluster time: `cluster = anchor_cluster + (host - anchor_host) × speed`.
#[derive(Debug, Clone, Copy)]
pub struct ClusterClock {
    speed: f64,
    anchor_host: Timestamp,
    anchor_cluster: Timestamp,
}

impl ClusterClock {
    pub fn new(now: Timestamp) -> Self {
        Self { speed: 1.0, anchor_host: now, anchor_cluster: now }
    }

    pub fn speed(&self) -> f64 {
        self.speed
    }

    /// Cluster time at host time `host`; never runs backwards.
    pub fn cluster_time(&self, host: Timestamp) -> Timestamp {
        let elapsed = host.duration_since(self.anchor_host).as_secs_f64().max(0.0);
        let scaled = SignedDuration::try_from_secs_f64(elapsed * self.speed).unwrap_or(SignedDuration::ZERO);
        self.anchor_cluster.checked_add(scaled).unwrap_or(self.anchor_cluster)
    }

    /// Host time at which cluster time reaches `cluster` (for scheduling the host's timer).
    pub fn host_time(&self, cluster: Timestamp) -> Option<Timestamp> {
        if self.speed <= 0.0 {
            return None;
        }
        let ahead = cluster.duration_since(self.anchor_cluster).as_secs_f64().max(0.0);
        let real = SignedDuration::try_from_secs_f64(ahead / self.speed).ok()?;
        self.anchor_host.checked_add(real).ok()
    }

    /// Changes the speed from host time `host` on (0 pauses the cluster).
    pub fn set_speed(&mut self, speed: f64, host: Timestamp) {
        self.anchor_cluster = self.cluster_time(host);
        self.anchor_host = host;
        self.speed = if speed.is_finite() { speed.max(0.0) } else { 1.0 };
    }
}

/// Cumulative counters of what the control plane's parts have done, so a host can show which
/// part acted between two snapshots (by their difference) without the parts knowing.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Activity {
    /// REST requests the API server served.
    pub api_requests: u64,
    /// The store's revision: every write bumps it, as etcd's does.
    pub store_revision: u64,
    /// Store writes per control loop (controller, scheduler, simulated kubelet), by name.
    pub controller_writes: Vec<(&'static str, u64)>,
}

pub struct ControlPlane {
    api: ApiServer,
    controllers: ControllerManager,
    clock: ClusterClock,
}

impl ControlPlane {
    /// A new cluster; `seed` makes every generated name and address reproducible.
    pub fn new(seed: u64, now: Timestamp) -> Self {
        Self::with_controllers(seed, now, ControllerManager::standard())
    }

    pub fn with_controllers(seed: u64, now: Timestamp, controllers: ControllerManager) -> Self {
        Self { api: ApiServer::new(seed, now), controllers, clock: ClusterClock::new(now) }
    }

    pub fn api(&self) -> &ApiServer {
        &self.api
    }

    /// Direct access to the API in cluster time (tests and controllers' own hosts).
    pub fn api_mut(&mut self) -> &mut ApiServer {
        &mut self.api
    }

    pub fn clock(&self) -> &ClusterClock {
        &self.clock
    }

    /// What each part has done so far; compare two snapshots to see what acted in between.
    pub fn activity(&self) -> Activity {
        Activity {
            api_requests: self.api.requests_served(),
            store_revision: self.api.store().revision(),
            controller_writes: self.controllers.activity().collect(),
        }
    }

    /// Sets the cluster speed (the UI shows it whenever it is not 1×).
    pub fn set_speed(&mut self, speed: f64, host_now: Timestamp) {
        self.clock.set_speed(speed, host_now);
    }

    /// Serves a request at host time `host_now`, then lets the controllers react.
    pub fn handle(&mut self, req: &Request, host_now: Timestamp) -> Response {
        let now = self.clock.cluster_time(host_now);
        let resp = self.api.handle(req, now);
        self.controllers.run(&mut self.api, now);
        resp
    }

    /// Runs the controllers at host time `host_now`; returns the host time to call again.
    pub fn tick(&mut self, host_now: Timestamp) -> Option<Timestamp> {
        let now = self.clock.cluster_time(host_now);
        let wake = self.controllers.run(&mut self.api, now)?;
        self.clock.host_time(wake)
    }

    /// Runs the cluster in cluster time from `from` to `until`, waking the
    /// controllers at every time they asked for (at least every `max_step`).
    /// An hour of cluster time takes as long as the work in it, not an hour.
    pub fn run_until(&mut self, from: Timestamp, until: Timestamp, max_step: SignedDuration) -> Timestamp {
        let mut now = from;
        loop {
            let wake = self.controllers.run(&mut self.api, now);
            if now >= until {
                return now;
            }
            let cap = now.checked_add(max_step).unwrap_or(until).min(until);
            now = wake.filter(|w| *w > now).map_or(cap, |w| w.min(cap));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: &str) -> Timestamp {
        s.parse().unwrap()
    }

    #[test]
    fn speed_scales_cluster_time_from_the_moment_it_is_set() {
        let mut c = ClusterClock::new(t("2026-01-01T00:00:00Z"));
        assert_eq!(c.cluster_time(t("2026-01-01T00:00:10Z")), t("2026-01-01T00:00:10Z"));
        c.set_speed(10.0, t("2026-01-01T00:00:10Z"));
        assert_eq!(c.cluster_time(t("2026-01-01T00:00:11Z")), t("2026-01-01T00:00:20Z"));
        assert_eq!(c.host_time(t("2026-01-01T00:00:30Z")), Some(t("2026-01-01T00:00:12Z")));
        c.set_speed(0.0, t("2026-01-01T00:00:12Z"));
        assert_eq!(c.cluster_time(t("2026-01-01T01:00:00Z")), t("2026-01-01T00:00:30Z"), "paused");
        assert_eq!(c.host_time(t("2026-01-01T00:01:00Z")), None);
    }

    #[test]
    fn activity_counts_requests_and_attributes_writes_to_the_controller_that_made_them() {
        let start = t("2026-01-01T00:00:00Z");
        let mut cp = ControlPlane::new(1, start);
        let before = cp.activity();
        let ns = br#"{"apiVersion":"v1","kind":"Namespace","metadata":{"name":"shop"}}"#;
        cp.handle(&Request::post("/api/v1/namespaces", ns.to_vec()), start);
        let after = cp.activity();
        assert_eq!(after.api_requests, before.api_requests + 1);
        assert!(after.store_revision > before.store_revision);
        let writes = |a: &Activity, name: &str| {
            a.controller_writes.iter().find(|(n, _)| *n == name).map(|(_, w)| *w).unwrap()
        };
        // The new namespace gets its `default` ServiceAccount from its controller.
        assert!(writes(&after, "serviceaccount-controller") > writes(&before, "serviceaccount-controller"));
        assert_eq!(writes(&after, "horizontal-pod-autoscaler"), writes(&before, "horizontal-pod-autoscaler"));
    }

    #[test]
    fn run_until_reaches_the_end_in_bounded_steps() {
        let start = t("2026-01-01T00:00:00Z");
        let mut cp = ControlPlane::new(1, start);
        let end = cp.run_until(start, t("2026-01-01T01:00:00Z"), SignedDuration::from_secs(60));
        assert_eq!(end, t("2026-01-01T01:00:00Z"));
    }
}
