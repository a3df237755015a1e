//! The cluster as the page draws it, built in the worker and posted to the UI.
//! Minimal placeholder with the map helper's names (`ClusterView::build`, `ViewBuilder`); its
//! full view model replaces this file.

use kubeplay_shared::api::resources;
use kubeplay_shared::{ControlPlane, Timestamp};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::HashMap;

/// Everything the panels draw, in one message.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct ClusterView {
    /// Cluster time of the snapshot (RFC 3339).
    pub time: String,
    pub speed: f64,
    pub nodes: Vec<NodeView>,
    /// Ordered by namespace and name.
    pub pods: Vec<PodView>,
    pub services: Vec<ServiceView>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct NodeView {
    pub name: String,
    /// `Ready`, `NotReady`, as `kubectl get nodes` prints it.
    pub status: String,
    pub ready: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct PodView {
    pub namespace: String,
    pub name: String,
    /// Index into [`ClusterView::nodes`]; `None` while unscheduled.
    pub node: Option<u16>,
    /// The STATUS column of `kubectl get pods`.
    pub status: String,
    pub ready: u8,
    pub containers: u8,
    pub restarts: u32,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct ServiceView {
    pub namespace: String,
    pub name: String,
}

impl ClusterView {
    /// A snapshot of `cp` at host time `host_now`.
    pub fn build(cp: &ControlPlane, host_now: Timestamp) -> Self {
        let api = cp.api();
        let list = |plural: &str| -> Vec<&Value> {
            resources::by_plural("", "v1", plural)
                .map(|r| api.list(r, None).map(|o| o.as_ref()).collect())
                .unwrap_or_default()
        };
        let nodes: Vec<NodeView> = list("nodes").into_iter().map(node_view).collect();
        let index: HashMap<&str, u16> = nodes
            .iter()
            .enumerate()
            .filter_map(|(i, n)| Some((n.name.as_str(), u16::try_from(i).ok()?)))
            .collect();
        let pods = list("pods").into_iter().map(|p| pod_view(p, &index)).collect();
        let services = list("services")
            .into_iter()
            .map(|s| ServiceView {
                namespace: text(s, "/metadata/namespace"),
                name: text(s, "/metadata/name"),
            })
            .collect();
        Self {
            time: cp.clock().cluster_time(host_now).to_string(),
            speed: cp.clock().speed(),
            nodes,
            pods,
            services,
        }
    }
}

/// Builds views one after another (the map helper's version remembers history between them).
#[derive(Default)]
pub struct ViewBuilder;

impl ViewBuilder {
    pub fn new() -> Self {
        Self
    }

    pub fn build(&mut self, cp: &ControlPlane, host_now: Timestamp) -> ClusterView {
        ClusterView::build(cp, host_now)
    }
}

fn text(obj: &Value, pointer: &str) -> String {
    obj.pointer(pointer).and_then(Value::as_str).unwrap_or_default().to_string()
}

fn node_view(node: &Value) -> NodeView {
    let ready = node
        .pointer("/status/conditions")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .any(|c| c["type"] == "Ready" && c["status"] == "True");
    NodeView {
        name: text(node, "/metadata/name"),
        status: if ready { "Ready" } else { "NotReady" }.to_string(),
        ready,
    }
}

fn pod_view(pod: &Value, nodes: &HashMap<&str, u16>) -> PodView {
    let statuses: Vec<&Value> = pod
        .pointer("/status/containerStatuses")
        .and_then(Value::as_array)
        .map(|s| s.iter().collect())
        .unwrap_or_default();
    let containers = pod
        .pointer("/spec/containers")
        .and_then(Value::as_array)
        .map_or(0, Vec::len);
    let ready = statuses.iter().filter(|s| s["ready"] == true).count();
    let restarts = statuses
        .iter()
        .filter_map(|s| s["restartCount"].as_u64())
        .sum::<u64>();
    let reason = statuses.iter().find_map(|s| {
        s.pointer("/state/waiting/reason")
            .or_else(|| s.pointer("/state/terminated/reason"))
            .and_then(Value::as_str)
    });
    let status = if pod.pointer("/metadata/deletionTimestamp").is_some() {
        "Terminating".to_string()
    } else {
        reason
            .or_else(|| pod.pointer("/status/phase").and_then(Value::as_str))
            .unwrap_or("Pending")
            .to_string()
    };
    let node = pod
        .pointer("/spec/nodeName")
        .and_then(Value::as_str)
        .and_then(|n| nodes.get(n).copied());
    PodView {
        namespace: text(pod, "/metadata/namespace"),
        name: text(pod, "/metadata/name"),
        node,
        status,
        ready: u8::try_from(ready).unwrap_or(u8::MAX),
        containers: u8::try_from(containers).unwrap_or(u8::MAX),
        restarts: u32::try_from(restarts).unwrap_or(u32::MAX),
    }
}
