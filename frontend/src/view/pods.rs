//! Pods as the map draws them: kubectl's READY, STATUS and RESTARTS, the node they run on,
//! and a colour class derived from STATUS so every chip reads at a glance.

use super::printed::{cell, cells};
use super::quantities::millicores;
use kubeplay_shared::api::{meta, resources};
use kubeplay_shared::sim::images::FAULT_ANNOTATION;
use kubeplay_shared::{ApiServer, Timestamp};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::HashMap;

/// What colour a pod chip gets: the few states a student must tell apart across a room.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Health {
    /// Running with every container ready.
    #[default]
    Ready,
    /// Running, but some container is not ready (readiness probe failing, starting up).
    NotReady,
    /// Waiting for a node, an image or its containers to start.
    Pending,
    /// Crashing, failing to pull, or failed.
    Failing,
    /// Being deleted.
    Terminating,
    /// Finished successfully (a Job's pod).
    Completed,
    /// Its node stopped reporting.
    Unknown,
}

impl Health {
    /// The colour class of a kubectl STATUS string and READY counts.
    pub fn of(status: &str, ready: u8, containers: u8) -> Self {
        match status {
            "Running" if ready >= containers => Self::Ready,
            "Running" | "NotReady" => Self::NotReady,
            "Terminating" => Self::Terminating,
            "Completed" | "Succeeded" => Self::Completed,
            "Unknown" => Self::Unknown,
            "Pending" | "ContainerCreating" | "PodInitializing" | "SchedulingGated" => Self::Pending,
            s if is_init_progress(s) => Self::Pending,
            _ => Self::Failing,
        }
    }

    /// The CSS class suffix (`pod-ready`, `pod-failing`...).
    pub fn class(self) -> &'static str {
        match self {
            Self::Ready => "ready",
            Self::NotReady => "notready",
            Self::Pending => "pending",
            Self::Failing => "failing",
            Self::Terminating => "terminating",
            Self::Completed => "completed",
            Self::Unknown => "unknown",
        }
    }
}

/// `Init:0/2`: init containers still running in order, which is progress, not failure.
fn is_init_progress(status: &str) -> bool {
    status.strip_prefix("Init:").and_then(|r| r.split_once('/')).is_some_and(|(a, b)| {
        a.chars().all(|c| c.is_ascii_digit()) && b.chars().all(|c| c.is_ascii_digit())
    })
}

/// One pod on the map.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct PodView {
    pub namespace: String,
    pub name: String,
    /// Index into [`super::ClusterView::nodes`]; `None` while unscheduled.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub node: Option<u16>,
    /// kubectl's STATUS column (`Running`, `CrashLoopBackOff`, `Terminating`...).
    pub status: String,
    pub health: Health,
    pub ready: u8,
    pub containers: u8,
    #[serde(default, skip_serializing_if = "is_zero")]
    pub restarts: u32,
    /// `ReplicaSet/web-7d9c8` from the controlling owner reference.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub owner: String,
    /// `app=web,tier=front`, as `kubectl get --show-labels`.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub labels: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub ip: String,
    /// Injected faults from `kubeplay.dev/fault` (`crash,readiness`).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub faults: String,
    /// Some container has a liveness probe (so breaking it makes the kubelet restart it).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub liveness_probe: bool,
    /// Some container has a readiness probe (so breaking it takes the pod out of Services).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub readiness_probe: bool,
    /// CPU in millicores from the last metrics scrape.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cpu: Option<u32>,
}

fn is_zero(n: &u32) -> bool {
    *n == 0
}

/// Every pod in the cluster, ordered by node (unscheduled last), then namespace and name.
pub(crate) fn build(api: &ApiServer, node_index: &HashMap<&str, u16>, now: Timestamp) -> Vec<PodView> {
    let Some(r) = resources::by_plural("", "v1", "pods") else { return Vec::new() };
    let pods: Vec<&Value> = api.list(r, None).map(|p| &**p).collect();
    let printed = cells(r, &pods, now);
    let cpu = pod_cpu(api);
    let mut out: Vec<PodView> = pods
        .iter()
        .zip(&printed)
        .map(|(pod, row)| {
            let (ready, containers) = ready_counts(cell(row, 1));
            let status = cell(row, 2).to_string();
            let node_name = pod.pointer("/spec/nodeName").and_then(Value::as_str).unwrap_or("");
            PodView {
                namespace: meta::namespace(pod).to_string(),
                name: meta::name(pod).to_string(),
                node: node_index.get(node_name).copied(),
                health: Health::of(&status, ready, containers),
                status,
                ready,
                containers,
                restarts: leading_number(cell(row, 3)),
                owner: owner(pod),
                labels: labels(pod),
                ip: pod.pointer("/status/podIP").and_then(Value::as_str).unwrap_or("").to_string(),
                faults: meta::annotation(pod, FAULT_ANNOTATION).unwrap_or("").to_string(),
                cpu: cpu.get(&(meta::namespace(pod), meta::name(pod))).copied(),
                liveness_probe: has_probe(pod, "livenessProbe"),
                readiness_probe: has_probe(pod, "readinessProbe"),
            }
        })
        .collect();
    out.sort_by(|a, b| {
        (a.node.is_none(), a.node, &a.namespace, &a.name).cmp(&(b.node.is_none(), b.node, &b.namespace, &b.name))
    });
    out
}

fn has_probe(pod: &Value, probe: &str) -> bool {
    let containers = pod.pointer("/spec/containers").and_then(Value::as_array);
    containers.is_some_and(|cs| cs.iter().any(|c| c.get(probe).is_some_and(Value::is_object)))
}

/// `2/3` → (2, 3).
fn ready_counts(cell: &str) -> (u8, u8) {
    let (a, b) = cell.split_once('/').unwrap_or(("0", "0"));
    (a.parse().unwrap_or(0), b.parse().unwrap_or(0))
}

/// `3 (2m ago)` → 3.
fn leading_number(cell: &str) -> u32 {
    cell.split_whitespace().next().and_then(|n| n.parse().ok()).unwrap_or(0)
}

fn owner(pod: &Value) -> String {
    let refs = pod.pointer("/metadata/ownerReferences").and_then(Value::as_array);
    let controller = refs.and_then(|refs| {
        refs.iter().find(|r| r["controller"] == true).or_else(|| refs.first())
    });
    controller.map_or_else(String::new, |r| {
        format!("{}/{}", r["kind"].as_str().unwrap_or(""), r["name"].as_str().unwrap_or(""))
    })
}

fn labels(obj: &Value) -> String {
    meta::labels(obj).map_or_else(String::new, |labels| {
        labels
            .iter()
            .map(|(k, v)| format!("{k}={}", v.as_str().unwrap_or("")))
            .collect::<Vec<_>>()
            .join(",")
    })
}

/// Each pod's total CPU from its PodMetrics, as `kubectl top pod` shows.
fn pod_cpu(api: &ApiServer) -> HashMap<(&str, &str), u32> {
    let Some(r) = resources::by_plural("metrics.k8s.io", "v1beta1", "pods") else { return HashMap::new() };
    api.list(r, None)
        .map(|m| {
            let total: u64 = m["containers"]
                .as_array()
                .map(Vec::as_slice)
                .unwrap_or_default()
                .iter()
                .map(|c| millicores(c.pointer("/usage/cpu")))
                .sum();
            ((meta::namespace(m), meta::name(m)), u32::try_from(total).unwrap_or(u32::MAX))
        })
        .collect()
}
