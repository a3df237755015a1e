//! What an agent reports about its pods: status, Events, probe results and resource usage.
//! The control plane writes them into the API as the kubelet and metrics-server would.

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// Which pod a report is about; `uid` guards against a same-named successor.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PodRef {
    pub namespace: String,
    pub name: String,
    pub uid: String,
}

/// The pod's whole `status` (a Kubernetes PodStatus) as the agent sees it now.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PodStatusReport {
    pub pod: PodRef,
    pub status: Value,
}

/// `Normal` or `Warning`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum EventType {
    Normal,
    Warning,
}

/// An Event about one of the node's pods (`Pulled`, `Started`, `Unhealthy`, `BackOff`, …).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EventReport {
    pub involved_pod: PodRef,
    /// `spec.containers{web}` when the Event is about one container.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub field_path: Option<String>,
    /// Kubernetes' Event `type` (the message's own `type` tag has that name).
    pub event_type: EventType,
    pub reason: String,
    pub message: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum ProbeKind {
    Liveness,
    Readiness,
    Startup,
}

/// One probe's outcome, for the page's probe history; the pod's readiness itself travels in
/// its status report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ProbeResult {
    pub pod: PodRef,
    pub container: String,
    pub probe: ProbeKind,
    pub success: bool,
    #[serde(default)]
    pub message: String,
}

/// Usage measured over the last `windowSeconds`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MetricsReport {
    pub window_seconds: u32,
    /// The whole machine, system daemons included.
    pub node: Usage,
    pub pods: Vec<PodUsage>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PodUsage {
    pub pod: PodRef,
    pub containers: Vec<ContainerUsage>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ContainerUsage {
    pub name: String,
    #[serde(flatten)]
    pub usage: Usage,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Usage {
    pub cpu_nanocores: u64,
    pub memory_bytes: u64,
}
