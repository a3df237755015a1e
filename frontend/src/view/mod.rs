//! The cluster as the page draws it: a compact, serializable snapshot of nodes, pods,
//! Services, autoscalers and Events that the control plane's host builds and posts to the UI.
//!
//! Everything here is pure and runs natively: [`ClusterView::build`] reads a
//! [`ControlPlane`], and [`ViewBuilder`] adds what needs memory between views (which parts
//! acted, the CPU/replica history). Components only draw a `ClusterView`.

pub mod activity;
pub mod chart;
pub mod chaos;
pub mod commands;
pub mod dns;
pub mod events;
pub mod history;
pub mod layout;
pub mod nodes;
pub mod placement;
pub mod pods;
mod printed;
mod quantities;
pub mod services;
pub mod workloads;
#[cfg(test)]
mod tests;

pub use activity::ActivityView;
pub use dns::DnsView;
pub use events::EventView;
pub use history::ScaleSeries;
pub use nodes::NodeView;
pub use pods::{Health, PodView};
pub use services::{IngressView, ServiceView};
pub use workloads::{DeploymentView, HpaView};

use kubeplay_shared::api::resources;
use kubeplay_shared::control_plane::Activity;
use kubeplay_shared::sim::nodes::LEASE_NAMESPACE;
use kubeplay_shared::store::stored_revision;
use kubeplay_shared::{ApiServer, ControlPlane, Timestamp};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

/// Everything the panels draw, in one message.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct ClusterView {
    /// Cluster time of the snapshot (RFC 3339).
    pub time: String,
    /// The cluster speed (1 = real Kubernetes timings).
    pub speed: f64,
    pub activity: ActivityView,
    pub nodes: Vec<NodeView>,
    /// Ordered by node, unscheduled pods last; Services refer to pods by index here.
    pub pods: Vec<PodView>,
    pub services: Vec<ServiceView>,
    pub ingresses: Vec<IngressView>,
    pub deployments: Vec<DeploymentView>,
    pub hpas: Vec<HpaView>,
    /// Newest first.
    pub events: Vec<EventView>,
    /// How each Service is reached by name.
    pub dns: Vec<DnsView>,
    /// CPU against replicas per autoscaler, oldest sample first.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub history: Vec<ScaleSeries>,
}

impl ClusterView {
    /// A snapshot of `cp` at host time `host_now` (the host's clock, as for
    /// [`ControlPlane::tick`]); activity and history stay empty (see [`ViewBuilder`]).
    pub fn build(cp: &ControlPlane, host_now: Timestamp) -> Self {
        let now = cp.clock().cluster_time(host_now);
        let api = cp.api();
        let mut nodes = nodes::build(api, now);
        nodes::add_requests(&mut nodes, api);
        let node_index: HashMap<&str, u16> = nodes
            .iter()
            .enumerate()
            .filter_map(|(i, n)| Some((n.name.as_str(), u16::try_from(i).ok()?)))
            .collect();
        let pods = pods::build(api, &node_index, now);
        let pod_index: HashMap<(&str, &str), u32> = pods
            .iter()
            .enumerate()
            .filter_map(|(i, p)| Some(((p.namespace.as_str(), p.name.as_str()), u32::try_from(i).ok()?)))
            .collect();
        let services = services::build_services(api, &pod_index, now);
        drop(node_index);
        drop(pod_index);
        Self {
            time: now.to_string(),
            speed: cp.clock().speed(),
            activity: ActivityView::default(),
            services,
            ingresses: services::build_ingresses(api),
            deployments: workloads::build_deployments(api),
            hpas: workloads::build_hpas(api),
            events: events::build(api, now),
            dns: dns::build(api),
            history: Vec::new(),
            nodes,
            pods,
        }
    }

    /// Pods no node runs yet (Pending on the scheduler).
    pub fn unscheduled(&self) -> impl Iterator<Item = (usize, &PodView)> {
        self.pods.iter().enumerate().filter(|(_, p)| p.node.is_none())
    }
}

/// Builds views one after another on the host, remembering what the next view compares with:
/// the last activity snapshot, each node's last fingerprint, and the CPU/replica history.
#[derive(Default)]
pub struct ViewBuilder {
    last_activity: Option<Activity>,
    node_fingerprints: HashMap<String, u64>,
    history: history::ScaleHistory,
}

impl ViewBuilder {
    pub fn new() -> Self {
        Self::default()
    }

    /// The next view at host time `host_now`.
    pub fn build(&mut self, cp: &ControlPlane, host_now: Timestamp) -> ClusterView {
        let mut view = ClusterView::build(cp, host_now);
        let activity = cp.activity();
        if let Some(before) = &self.last_activity {
            view.activity = ActivityView::between(before, &activity);
        }
        self.last_activity = Some(activity);
        let fingerprints = node_fingerprints(cp.api(), &view);
        for node in &mut view.nodes {
            let now = fingerprints.get(&node.name);
            node.active = now.is_some() && self.node_fingerprints.get(&node.name).is_some_and(|before| Some(before) != now);
        }
        self.node_fingerprints = fingerprints;
        let at = cp.clock().cluster_time(host_now).as_second();
        self.history.record(at, &view.hpas, &view.deployments, &view.services);
        view.history = self.history.series().to_vec();
        view
    }
}

/// A number per node that changes whenever its kubelet writes: its status, its Lease
/// heartbeat, or any of its pods.
fn node_fingerprints(api: &ApiServer, view: &ClusterView) -> HashMap<String, u64> {
    let lease = |name: &str| {
        resources::by_plural("coordination.k8s.io", "v1", "leases")
            .and_then(|r| api.get(r, LEASE_NAMESPACE, name).ok())
            .map_or(0, |l| stored_revision(l))
    };
    let node_rv = |name: &str| {
        resources::by_plural("", "v1", "nodes")
            .and_then(|r| api.get(r, "", name).ok())
            .map_or(0, |n| stored_revision(n))
    };
    let pod_rv = |p: &PodView| {
        resources::by_plural("", "v1", "pods")
            .and_then(|r| api.get(r, &p.namespace, &p.name).ok())
            .map_or(0, |n| stored_revision(n))
    };
    let mut prints: HashMap<String, u64> = view
        .nodes
        .iter()
        .map(|n| (n.name.clone(), lease(&n.name).wrapping_mul(31).wrapping_add(node_rv(&n.name))))
        .collect();
    for pod in &view.pods {
        let Some(node) = pod.node.and_then(|i| view.nodes.get(usize::from(i))) else { continue };
        if let Some(print) = prints.get_mut(&node.name) {
            *print = print.wrapping_mul(31).wrapping_add(pod_rv(pod));
        }
    }
    prints
}
