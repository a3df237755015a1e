//! A pod as the control plane hands it to an agent: the Pod object itself plus everything the
//! kubelet would otherwise read from the API at container start, already resolved.

use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::BTreeMap;

/// One pod this node should run, with its inputs resolved.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DesiredPod {
    /// The Pod object as stored (spec, metadata with uid; status is ignored by the agent).
    pub pod: Value,
    /// Each container's environment by container name, in the kubelet's order (`envFrom`, then
    /// `env`, later entries winning), with ConfigMap, Secret and field references resolved.
    /// Resolved when sent: `status.podIP` is empty until the agent has reported one, so the
    /// agent fills the pod's own IP fields itself; a changed env never restarts a running
    /// container (the kubelet reads env only when it creates one).
    pub env: BTreeMap<String, Vec<EnvVar>>,
    /// Each volume of `spec.volumes` by volume name.
    pub volumes: BTreeMap<String, ResolvedVolume>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EnvVar {
    pub name: String,
    pub value: String,
}

/// What a volume holds, so the agent can set it up without reading any API object.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "camelCase")]
pub enum ResolvedVolume {
    /// Scratch space that lives as long as the pod (`medium: Memory` means tmpfs).
    #[serde(rename_all = "camelCase")]
    EmptyDir { memory: bool },
    /// Files projected from a ConfigMap, Secret or the downward API, by relative path.
    #[serde(rename_all = "camelCase")]
    Files { files: BTreeMap<String, FileContent> },
    /// A directory of the machine itself.
    #[serde(rename_all = "camelCase")]
    HostPath { path: String },
    /// A PersistentVolumeClaim's storage: the agent keeps it as a named volume that outlives the
    /// pod, keyed by the bound PersistentVolume's name.
    #[serde(rename_all = "camelCase")]
    Claim { volume: String, read_only: bool },
}

/// One projected file; `data` is base64 so binary Secret values survive JSON.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FileContent {
    pub data: String,
    /// Unix permission bits (`defaultMode`/`mode`; 0o644 when unset).
    pub mode: u32,
}
