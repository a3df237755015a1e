//! Which part of the control plane acted between two views, from the difference of two
//! [`Activity`] snapshots, so the map can light up the API server, etcd, the scheduler, the
//! controller manager and the kubelets exactly when they work.

use kubeplay_shared::control_plane::Activity;
use kubeplay_shared::scheduler::DEFAULT_SCHEDULER;
use serde::{Deserialize, Serialize};

/// The simulated kubelet's controller name.
const KUBELET: &str = "kubelet";

/// One controller that wrote since the last view.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct ControllerActivity {
    pub name: String,
    pub writes: u64,
}

/// What happened since the previous view.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct ActivityView {
    /// REST requests served (kubectl, the page).
    pub api_requests: u64,
    /// Writes to the store: everything that changed, whoever wrote it.
    pub store_writes: u64,
    /// The scheduler's writes (bindings, and the Events about them).
    pub scheduler: u64,
    /// Kubelets' writes (pod and node status, leases, metrics).
    pub kubelet: u64,
    /// The controller manager's loops that wrote, busiest first.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub controllers: Vec<ControllerActivity>,
}

impl ActivityView {
    /// What acted between `before` and `after` (a fresh start counts from zero).
    pub fn between(before: &Activity, after: &Activity) -> Self {
        let previous = |name: &str| {
            before.controller_writes.iter().find(|(n, _)| *n == name).map_or(0, |(_, w)| *w)
        };
        let mut view = Self {
            api_requests: after.api_requests.saturating_sub(before.api_requests),
            store_writes: after.store_revision.saturating_sub(before.store_revision),
            ..Self::default()
        };
        for (name, writes) in &after.controller_writes {
            let delta = writes.saturating_sub(previous(name));
            match *name {
                DEFAULT_SCHEDULER => view.scheduler += delta,
                KUBELET => view.kubelet += delta,
                _ if delta > 0 => view.controllers.push(ControllerActivity { name: name.to_string(), writes: delta }),
                _ => {}
            }
        }
        view.controllers.sort_by(|a, b| b.writes.cmp(&a.writes).then_with(|| a.name.cmp(&b.name)));
        view
    }

    /// The API server is busy whenever anything reads or writes through it.
    pub fn api_server(&self) -> u64 {
        self.api_requests + self.store_writes
    }

    /// All controller-manager loops' writes together.
    pub fn controller_manager(&self) -> u64 {
        self.controllers.iter().map(|c| c.writes).sum()
    }
}
