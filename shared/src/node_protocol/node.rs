//! What an agent says about its machine: registration (once per link) and status heartbeats,
//! in the words of a Kubernetes Node so the control plane can copy them across unchanged.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Resource name (`cpu`, `memory`, `pods`, `ephemeral-storage`) → Kubernetes quantity.
pub type ResourceList = BTreeMap<String, String>;

/// The agent asks to be node `node_name`; sent once, right after `Welcome`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct NodeRegistration {
    pub node_name: String,
    pub capacity: ResourceList,
    pub allocatable: ResourceList,
    pub node_info: NodeInfo,
    pub addresses: Vec<NodeAddress>,
    /// Labels the agent sets (`kubernetes.io/arch`, `kubernetes.io/os`, user labels).
    #[serde(default)]
    pub labels: BTreeMap<String, String>,
    /// Optional messages the agent understands (`services`), so a newer control plane sends
    /// them only to agents that take them.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub features: Vec<String>,
}

/// `status.nodeInfo` of a Node (Kubernetes' NodeSystemInfo).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct NodeInfo {
    #[serde(rename = "machineID")]
    pub machine_id: String,
    #[serde(rename = "systemUUID")]
    pub system_uuid: String,
    #[serde(rename = "bootID")]
    pub boot_id: String,
    pub kernel_version: String,
    pub os_image: String,
    /// `docker://27.3.1`
    pub container_runtime_version: String,
    pub kubelet_version: String,
    pub kube_proxy_version: String,
    pub operating_system: String,
    pub architecture: String,
}

/// One of `status.addresses` (`InternalIP`, `Hostname`, …).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NodeAddress {
    #[serde(rename = "type")]
    pub kind: String,
    pub address: String,
}

/// A heartbeat: the node's conditions as the agent sees them now. Sent every
/// `heartbeatSeconds` of `Registered`, and at once when a condition changes.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct NodeStatusReport {
    /// `Ready`, `MemoryPressure`, `DiskPressure`, `PIDPressure`; the control plane stamps the
    /// times, so the agent's clock never matters.
    pub conditions: Vec<NodeCondition>,
    /// Images present on the machine, for `status.images`.
    #[serde(default)]
    pub images: Vec<ContainerImage>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NodeCondition {
    #[serde(rename = "type")]
    pub kind: String,
    /// `True`, `False` or `Unknown`.
    pub status: String,
    #[serde(default)]
    pub reason: String,
    #[serde(default)]
    pub message: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ContainerImage {
    pub names: Vec<String>,
    #[serde(default)]
    pub size_bytes: i64,
}
