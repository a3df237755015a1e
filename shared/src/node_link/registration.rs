//! The Node object of an agent-backed node: created or taken over at registration, its status
//! posted from heartbeats, and its Lease renewed while the link lives, as a kubelet does.

use crate::api::quantity::Quantity;
use crate::api::{meta, resources};
use crate::apiserver::{format_time, ApiError, ApiServer, WriteOptions};
use crate::node_protocol::node::{NodeCondition, NodeRegistration, NodeStatusReport};
use crate::sim::nodes::{cidr_index, is_simulated, LEASE_DURATION_SECONDS, LEASE_NAMESPACE};
use jiff::Timestamp;
use serde_json::{json, Value};
use std::collections::HashSet;

/// Label every agent-backed node carries (simulated ones carry `kubeplay.dev/simulated`).
pub const AGENT_LABEL: &str = "kubeplay.dev/agent";

pub fn is_agent(node: &Value) -> bool {
    meta::label(node, AGENT_LABEL) == Some("true")
}

/// Why a registration is refused; the text goes to the agent's user.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RegisterError {
    #[error("node \"{0}\" is a simulated node of this cluster; pick another --node-name")]
    Simulated(String),
    #[error("invalid {field} {resource}: {value:?} is not a quantity")]
    BadQuantity { field: &'static str, resource: String, value: String },
    #[error("no pod CIDR left for a new node")]
    NoPodCidr,
    #[error("node \"{name}\" cannot be registered: {message}")]
    Api { name: String, message: String },
}

fn nodes() -> Option<&'static resources::Resource> {
    resources::by_plural("", "v1", "nodes")
}

fn api_error(name: &str, e: ApiError) -> RegisterError {
    RegisterError::Api { name: name.to_string(), message: e.message }
}

fn check_quantities(reg: &NodeRegistration) -> Result<(), RegisterError> {
    for (field, list) in [("capacity", &reg.capacity), ("allocatable", &reg.allocatable)] {
        if let Some((resource, value)) = list.iter().find(|(_, v)| Quantity::parse(v).is_err()) {
            return Err(RegisterError::BadQuantity { field, resource: resource.clone(), value: value.clone() });
        }
    }
    Ok(())
}

/// The default conditions of a node whose agent has not reported any yet.
pub fn ready_conditions() -> Vec<NodeCondition> {
    let c = |kind: &str, status: &str, reason: &str, message: &str| NodeCondition {
        kind: kind.into(),
        status: status.into(),
        reason: reason.into(),
        message: message.into(),
    };
    vec![
        c("MemoryPressure", "False", "KubeletHasSufficientMemory", "kubelet has sufficient memory available"),
        c("DiskPressure", "False", "KubeletHasNoDiskPressure", "kubelet has no disk pressure"),
        c("PIDPressure", "False", "KubeletHasSufficientPID", "kubelet has sufficient PID available"),
        c("Ready", "True", "KubeletReady", "kubelet is posting ready status"),
    ]
}

/// Creates the Node, or takes over an agent-backed one of that name (a reconnecting agent);
/// returns the node's `spec.podCIDR`. Changes nothing when it fails.
pub fn register(api: &mut ApiServer, reg: &NodeRegistration, now: Timestamp) -> Result<String, RegisterError> {
    check_quantities(reg)?;
    let name = reg.node_name.as_str();
    let r = nodes().ok_or_else(|| RegisterError::Api { name: name.into(), message: "nodes are not served".into() })?;
    let mut labels = serde_json::Map::new();
    labels.insert("kubernetes.io/hostname".into(), json!(name));
    labels.insert("kubernetes.io/os".into(), json!(reg.node_info.operating_system));
    labels.insert("kubernetes.io/arch".into(), json!(reg.node_info.architecture));
    for (k, v) in &reg.labels {
        labels.insert(k.clone(), json!(v));
    }
    labels.insert(AGENT_LABEL.into(), json!("true"));
    let node = match api.get(r, "", name) {
        Ok(existing) if is_simulated(existing) => return Err(RegisterError::Simulated(name.into())),
        Ok(existing) => {
            let mut node = (**existing).clone();
            for (k, v) in labels {
                node["metadata"]["labels"][k] = v;
            }
            api.update(r, "", name, node, None, now, WriteOptions::default()).map_err(|e| api_error(name, e))?
        }
        Err(_) => {
            let used: HashSet<u16> = api.list(r, None).filter_map(|n| cidr_index(n)).collect();
            let index = (1..1024u16).find(|i| !used.contains(i)).ok_or(RegisterError::NoPodCidr)?;
            let cidr = format!("10.{}.{}.0/24", 244 + index / 256, index % 256);
            let node = json!({
                "apiVersion": "v1", "kind": "Node",
                "metadata": {"name": name, "labels": labels,
                    "annotations": {"node.alpha.kubernetes.io/ttl": "0", "volumes.kubernetes.io/controller-managed-attach-detach": "true"}},
                "spec": {"podCIDR": cidr, "podCIDRs": [cidr]},
            });
            api.create(r, "", node, now, WriteOptions::default()).map_err(|e| api_error(name, e))?
        }
    };
    Ok(node.pointer("/spec/podCIDR").and_then(Value::as_str).unwrap_or_default().to_string())
}

/// Posts the node's status from its registration and latest heartbeat; transition times stay
/// put for conditions whose status did not change. Returns whether it wrote.
pub fn post_status(api: &mut ApiServer, reg: &NodeRegistration, report: &NodeStatusReport, now: Timestamp) -> bool {
    let Some(r) = nodes() else { return false };
    let Ok(node) = api.get(r, "", &reg.node_name) else { return false };
    let mut node = (**node).clone();
    let t = format_time(now);
    let old: Vec<Value> = node.pointer("/status/conditions").and_then(Value::as_array).cloned().unwrap_or_default();
    let defaults = ready_conditions();
    let reported = if report.conditions.is_empty() { &defaults } else { &report.conditions };
    let conditions: Vec<Value> = reported
        .iter()
        .map(|c| {
            let since = old
                .iter()
                .find(|o| o["type"] == c.kind.as_str() && o["status"] == c.status.as_str())
                .and_then(|o| o["lastTransitionTime"].as_str().map(str::to_string))
                .unwrap_or_else(|| t.clone());
            json!({"type": c.kind, "status": c.status, "reason": c.reason, "message": c.message,
                   "lastHeartbeatTime": t, "lastTransitionTime": since})
        })
        .collect();
    let status = &mut node["status"];
    status["capacity"] = json!(reg.capacity);
    status["allocatable"] = json!(reg.allocatable);
    status["conditions"] = json!(conditions);
    status["addresses"] = json!(reg.addresses);
    status["nodeInfo"] = json!(reg.node_info);
    status["daemonEndpoints"] = json!({"kubeletEndpoint": {"Port": 10250}});
    status["images"] = json!(report.images);
    api.update(r, "", &reg.node_name, node, Some("status"), now, WriteOptions::default()).is_ok()
}

/// Renews the node's Lease in `kube-node-lease` (creating it owned by the Node), the heartbeat
/// the node lifecycle controller watches. Returns whether it wrote.
pub fn renew_lease(api: &mut ApiServer, name: &str, now: Timestamp) -> bool {
    let Some(leases) = resources::by_plural("coordination.k8s.io", "v1", "leases") else { return false };
    let renew = now.strftime("%Y-%m-%dT%H:%M:%S%.6fZ").to_string();
    if let Ok(existing) = api.get(leases, LEASE_NAMESPACE, name) {
        let mut lease = (**existing).clone();
        lease["spec"]["renewTime"] = json!(renew);
        lease["spec"]["holderIdentity"] = json!(name);
        return api.update(leases, LEASE_NAMESPACE, name, lease, None, now, WriteOptions::default()).is_ok();
    }
    let Some(uid) = nodes().and_then(|r| api.get(r, "", name).ok()).map(|n| meta::uid(n).to_string()) else {
        return false;
    };
    let lease = json!({
        "apiVersion": "coordination.k8s.io/v1", "kind": "Lease",
        "metadata": {"name": name, "namespace": LEASE_NAMESPACE,
            "ownerReferences": [{"apiVersion": "v1", "kind": "Node", "name": name, "uid": uid}]},
        "spec": {"holderIdentity": name, "leaseDurationSeconds": LEASE_DURATION_SECONDS, "renewTime": renew},
    });
    api.create(leases, LEASE_NAMESPACE, lease, now, WriteOptions::default()).is_ok()
}
