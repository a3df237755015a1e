//! Nodes as the map draws them: kubectl's STATUS and ROLES, capacity against usage, and the
//! conditions and taints that explain why pods leave or avoid a node.

use super::printed::{cell, cells};
use super::quantities::{millicores, whole};
use kubeplay_shared::api::{meta, resources};
use kubeplay_shared::sim::nodes::{is_failed, is_simulated};
use kubeplay_shared::{ApiServer, Timestamp};
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// One node's card.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct NodeView {
    pub name: String,
    /// kubectl's STATUS column (`Ready`, `NotReady,SchedulingDisabled`...).
    pub status: String,
    /// kubectl's ROLES column (`control-plane`, `<none>`).
    pub roles: String,
    pub version: String,
    pub internal_ip: String,
    pub ready: bool,
    pub cordoned: bool,
    /// Runs in the page (`false`: a real machine running kubeplay-agent).
    pub simulated: bool,
    /// A simulated node whose kubelet was made to go silent.
    pub failed: bool,
    /// `linux/arm64`, from the node's `nodeInfo`.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub platform: String,
    /// The container runtime, as `kubectl get nodes -o wide` shows it (`docker://27.1.0`).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub runtime: String,
    pub cpu_capacity: u64,
    pub memory_capacity: u64,
    pub pods_capacity: u32,
    /// Millicores all scheduled pods request, which is what the scheduler counts.
    pub cpu_requested: u64,
    /// From the last metrics scrape, as `kubectl top node`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cpu_usage: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub memory_usage: Option<u64>,
    /// Conditions other than a healthy node's: `Ready=Unknown (NodeStatusUnknown)`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub conditions: Vec<String>,
    /// `key=value:Effect`, as `kubectl describe node`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub taints: Vec<String>,
    /// Its kubelet or its pods changed since the last view (the builder sets it).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub active: bool,
}

fn platform(node: &Value) -> String {
    let info = |k: &str| node.pointer(&format!("/status/nodeInfo/{k}")).and_then(Value::as_str).unwrap_or("");
    match (info("operatingSystem"), info("architecture")) {
        ("", "") => String::new(),
        (os, arch) => format!("{os}/{arch}"),
    }
}

/// Every node, in name order.
pub(crate) fn build(api: &ApiServer, now: Timestamp) -> Vec<NodeView> {
    let Some(r) = resources::by_plural("", "v1", "nodes") else { return Vec::new() };
    let nodes: Vec<&Value> = api.list(r, None).map(|n| &**n).collect();
    let printed = cells(r, &nodes, now);
    let usage = node_usage(api);
    nodes
        .iter()
        .zip(&printed)
        .map(|(node, row)| {
            let status = cell(row, 1).to_string();
            let name = meta::name(node);
            let (cpu_usage, memory_usage) = usage
                .iter()
                .find(|(n, _, _)| *n == name)
                .map_or((None, None), |(_, c, m)| (Some(*c), Some(*m)));
            NodeView {
                name: name.to_string(),
                ready: status.split(',').next() == Some("Ready"),
                cordoned: node.pointer("/spec/unschedulable") == Some(&Value::Bool(true)),
                status,
                roles: cell(row, 2).to_string(),
                version: cell(row, 4).to_string(),
                internal_ip: internal_ip(node),
                simulated: is_simulated(node),
                failed: is_failed(node),
                platform: platform(node),
                runtime: node.pointer("/status/nodeInfo/containerRuntimeVersion").and_then(Value::as_str).unwrap_or("").to_string(),
                cpu_capacity: millicores(node.pointer("/status/allocatable/cpu")),
                memory_capacity: whole(node.pointer("/status/allocatable/memory")),
                pods_capacity: u32::try_from(whole(node.pointer("/status/allocatable/pods"))).unwrap_or(u32::MAX),
                cpu_requested: 0,
                cpu_usage,
                memory_usage,
                conditions: unusual_conditions(node),
                taints: taints(node),
                active: false,
            }
        })
        .collect()
}

/// Adds each pod's CPU requests to its node, as the scheduler's NodeResourcesFit counts them.
pub(crate) fn add_requests(nodes: &mut [NodeView], api: &ApiServer) {
    let Some(r) = resources::by_plural("", "v1", "pods") else { return };
    for pod in api.list(r, None) {
        let phase = pod.pointer("/status/phase").and_then(Value::as_str).unwrap_or("");
        if phase == "Succeeded" || phase == "Failed" {
            continue;
        }
        let Some(node) = pod.pointer("/spec/nodeName").and_then(Value::as_str) else { continue };
        let Some(view) = nodes.iter_mut().find(|n| n.name == node) else { continue };
        let containers = pod.pointer("/spec/containers").and_then(Value::as_array);
        view.cpu_requested += containers
            .map(Vec::as_slice)
            .unwrap_or_default()
            .iter()
            .map(|c| millicores(c.pointer("/resources/requests/cpu")))
            .sum::<u64>();
    }
}

fn internal_ip(node: &Value) -> String {
    let addresses = node.pointer("/status/addresses").and_then(Value::as_array);
    addresses
        .and_then(|a| a.iter().find(|a| a["type"] == "InternalIP"))
        .and_then(|a| a["address"].as_str())
        .unwrap_or("")
        .to_string()
}

/// The conditions worth a student's attention: Ready not True, or a pressure that is not False.
fn unusual_conditions(node: &Value) -> Vec<String> {
    let conditions = node.pointer("/status/conditions").and_then(Value::as_array);
    conditions
        .map(Vec::as_slice)
        .unwrap_or_default()
        .iter()
        .filter_map(|c| {
            let (ty, status) = (c["type"].as_str()?, c["status"].as_str()?);
            let healthy = if ty == "Ready" { "True" } else { "False" };
            (status != healthy).then(|| match c["reason"].as_str() {
                Some(reason) if !reason.is_empty() => format!("{ty}={status} ({reason})"),
                _ => format!("{ty}={status}"),
            })
        })
        .collect()
}

fn taints(node: &Value) -> Vec<String> {
    let taints = node.pointer("/spec/taints").and_then(Value::as_array);
    taints
        .map(Vec::as_slice)
        .unwrap_or_default()
        .iter()
        .map(|t| {
            let key = t["key"].as_str().unwrap_or("");
            let effect = t["effect"].as_str().unwrap_or("");
            match t["value"].as_str() {
                Some(v) if !v.is_empty() => format!("{key}={v}:{effect}"),
                _ => format!("{key}:{effect}"),
            }
        })
        .collect()
}

/// (node, CPU millicores, memory bytes) from each NodeMetrics.
fn node_usage(api: &ApiServer) -> Vec<(&str, u64, u64)> {
    let Some(r) = resources::by_plural("metrics.k8s.io", "v1beta1", "nodes") else { return Vec::new() };
    api.list(r, None)
        .map(|m| (meta::name(m), millicores(m.pointer("/usage/cpu")), whole(m.pointer("/usage/memory"))))
        .collect()
}
