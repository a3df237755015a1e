//! The simulated node fleet: nodes are added, resized, cordoned and removed
//! through the API (as a kubelet registers itself), and failed or recovered
//! through one visible annotation the simulated kubelet obeys.
//!
//! A node's agent keeps its Lease in `kube-node-lease` renewed every 10 s and
//! posts node status as the kubelet does, until the node fails.

use crate::api::{meta, resources};
use crate::apiserver::{format_time, ApiError, ApiServer, DeleteOptions, WriteOptions};
use jiff::{SignedDuration, Timestamp};
use serde_json::{json, Value};
use std::sync::Arc;

/// Label every simulated node carries.
pub const SIMULATED_LABEL: &str = "kubeplay.dev/simulated";
/// Annotation that makes a simulated node's kubelet go silent (`"true"`).
pub const FAILED_ANNOTATION: &str = "kubeplay.dev/failed";
pub const LEASE_NAMESPACE: &str = "kube-node-lease";
/// The kubelet renews its Lease every 10 s (a quarter of the 40 s duration).
pub const LEASE_RENEW_SECONDS: i64 = 10;
pub const LEASE_DURATION_SECONDS: i64 = 40;
/// Unchanged node status is still posted every 5 min.
pub const STATUS_REPORT_SECONDS: i64 = 300;
pub const KUBELET_VERSION: &str = "v1.35.0";

/// What a new node offers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NodeSpec {
    pub name: String,
    pub cpu: String,
    pub memory: String,
    pub pods: u32,
}

fn nodes() -> Result<&'static resources::Resource, ApiError> {
    resources::by_plural("", "v1", "nodes")
        .ok_or_else(|| ApiError::internal("nodes are not served"))
}

pub fn is_simulated(node: &Value) -> bool {
    meta::label(node, SIMULATED_LABEL) == Some("true")
}

pub fn is_failed(node: &Value) -> bool {
    meta::annotation(node, FAILED_ANNOTATION) == Some("true")
}

/// The cluster's pod network, 10.244.0.0/14: one /24 per node, for up to 1,023 nodes.
const POD_CIDR_BLOCKS: u16 = 1024;

/// The first three octets of node `index`'s pod `/24`: `10.(244 + i / 256).(i % 256)`.
fn pod_prefix(index: u16) -> String {
    format!("10.{}.{}", 244 + index / 256, index % 256)
}

fn pod_cidr(index: u16) -> String {
    format!("{}.0/24", pod_prefix(index))
}

/// The index of a node's pod `/24` (see [`pod_cidr`]).
pub fn cidr_index(node: &Value) -> Option<u16> {
    let cidr = node.pointer("/spec/podCIDR").and_then(Value::as_str)?;
    let mut octets = cidr.strip_prefix("10.")?.split('.');
    let second: u16 = octets.next()?.parse().ok()?;
    let third: u16 = octets.next()?.parse().ok()?;
    (244..248).contains(&second).then(|| (second - 244) * 256 + third)
}

fn resources_of(spec: &NodeSpec) -> Value {
    json!({"cpu": spec.cpu, "memory": spec.memory, "pods": spec.pods.to_string(), "ephemeral-storage": "100Gi"})
}

/// Registers a simulated node, as its kubelet would on start.
pub fn add_node(
    api: &mut ApiServer,
    spec: &NodeSpec,
    now: Timestamp,
) -> Result<Arc<Value>, ApiError> {
    let r = nodes()?;
    let used: std::collections::HashSet<u16> = api.list(r, None).filter_map(|n| cidr_index(n)).collect();
    let index = (1..POD_CIDR_BLOCKS)
        .find(|i| !used.contains(i))
        .ok_or_else(|| ApiError::internal("no pod CIDR left"))?;
    let node = json!({
        "apiVersion": "v1", "kind": "Node",
        "metadata": {"name": spec.name, "labels": {
            "kubernetes.io/hostname": spec.name, "kubernetes.io/os": "linux", "kubernetes.io/arch": "amd64",
            "beta.kubernetes.io/os": "linux", "beta.kubernetes.io/arch": "amd64", SIMULATED_LABEL: "true"},
            "annotations": {"node.alpha.kubernetes.io/ttl": "0", "volumes.kubernetes.io/controller-managed-attach-detach": "true"}},
        "spec": {"podCIDR": pod_cidr(index), "podCIDRs": [pod_cidr(index)]},
        "status": {"capacity": resources_of(spec), "allocatable": resources_of(spec)},
    });
    let created = api.create(r, "", node.clone(), now, WriteOptions::default())?;
    // Status is the kubelet's to post; creation keeps none.
    let mut with_status = (*created).clone();
    with_status["status"] = node["status"].clone();
    api.update(
        r,
        "",
        &spec.name,
        with_status,
        Some("status"),
        now,
        WriteOptions::default(),
    )
}

/// Deletes a node (its kubelet stops with it).
pub fn remove_node(api: &mut ApiServer, name: &str, now: Timestamp) -> Result<(), ApiError> {
    api.delete(nodes()?, "", name, &DeleteOptions::default(), now)
        .map(|_| ())
}

/// Changes what a node offers (the kubelet reports it from then on).
pub fn resize_node(
    api: &mut ApiServer,
    spec: &NodeSpec,
    now: Timestamp,
) -> Result<Arc<Value>, ApiError> {
    let r = nodes()?;
    let mut node = (**api.get(r, "", &spec.name)?).clone();
    node["status"]["capacity"] = resources_of(spec);
    node["status"]["allocatable"] = resources_of(spec);
    api.update(
        r,
        "",
        &spec.name,
        node,
        Some("status"),
        now,
        WriteOptions::default(),
    )
}

/// `kubectl cordon` / `uncordon`.
pub fn set_unschedulable(
    api: &mut ApiServer,
    name: &str,
    unschedulable: bool,
    now: Timestamp,
) -> Result<Arc<Value>, ApiError> {
    let r = nodes()?;
    let mut node = (**api.get(r, "", name)?).clone();
    if unschedulable {
        node["spec"]["unschedulable"] = json!(true);
    } else if let Some(s) = node["spec"].as_object_mut() {
        s.remove("unschedulable");
    }
    api.update(r, "", name, node, None, now, WriteOptions::default())
}

/// Fails (`true`) or recovers a simulated node: a failed kubelet stops heartbeats and status updates.
pub fn set_failed(
    api: &mut ApiServer,
    name: &str,
    failed: bool,
    now: Timestamp,
) -> Result<Arc<Value>, ApiError> {
    let r = nodes()?;
    let mut node = (**api.get(r, "", name)?).clone();
    if failed {
        node["metadata"]["annotations"][FAILED_ANNOTATION] = json!("true");
    } else if let Some(a) = node["metadata"]["annotations"].as_object_mut() {
        a.remove(FAILED_ANNOTATION);
    }
    api.update(r, "", name, node, None, now, WriteOptions::default())
}

/// One simulated kubelet's node-level duties.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NodeAgent {
    pub name: String,
    pub index: u16,
    pub failed: bool,
    pub next_lease: Timestamp,
    pub next_status: Timestamp,
    pub registered: bool,
    /// Last host octet handed to a pod (the CNI allocates in order).
    pub last_ip: u8,
}

impl NodeAgent {
    pub fn new(node: &Value, now: Timestamp) -> Self {
        Self {
            name: meta::name(node).to_string(),
            index: cidr_index(node).unwrap_or(0),
            failed: is_failed(node),
            next_lease: now,
            next_status: now,
            registered: false,
            last_ip: 1,
        }
    }

    pub fn internal_ip(&self) -> String {
        // Nodes sit on the kind-like 172.18.0.0/16 network, after the control plane's .2.
        let host = self.index + 2;
        format!("172.18.{}.{}", host / 256, host % 256)
    }

    /// The next free pod IP in the node's /24, skipping those in use.
    pub fn allocate_ip(&mut self, in_use: impl Fn(&str) -> bool) -> String {
        for _ in 0..253 {
            self.last_ip = if self.last_ip >= 254 {
                2
            } else {
                self.last_ip + 1
            };
            let ip = format!("{}.{}", pod_prefix(self.index), self.last_ip);
            if !in_use(&ip) {
                return ip;
            }
        }
        format!("{}.254", pod_prefix(self.index))
    }

    pub fn wake(&self) -> Option<Timestamp> {
        (!self.failed).then(|| self.next_lease.min(self.next_status))
    }

    /// Renews the Lease and posts status when due; returns whether it wrote.
    pub fn tick(&mut self, api: &mut ApiServer, now: Timestamp) -> bool {
        if self.failed {
            return false;
        }
        let mut wrote = false;
        if self.next_lease <= now {
            wrote |= self.renew_lease(api, now);
            self.next_lease = now
                .checked_add(SignedDuration::from_secs(LEASE_RENEW_SECONDS))
                .unwrap_or(now);
        }
        if self.next_status <= now {
            wrote |= self.post_status(api, now);
            self.next_status = now
                .checked_add(SignedDuration::from_secs(STATUS_REPORT_SECONDS))
                .unwrap_or(now);
        }
        wrote
    }

    fn renew_lease(&self, api: &mut ApiServer, now: Timestamp) -> bool {
        let Some(leases) = resources::by_plural("coordination.k8s.io", "v1", "leases") else {
            return false;
        };
        let renew = now.strftime("%Y-%m-%dT%H:%M:%S%.6fZ").to_string();
        match api.get(leases, LEASE_NAMESPACE, &self.name) {
            Ok(existing) => {
                let mut lease = (**existing).clone();
                lease["spec"]["renewTime"] = json!(renew);
                lease["spec"]["holderIdentity"] = json!(self.name);
                api.update(
                    leases,
                    LEASE_NAMESPACE,
                    &self.name,
                    lease,
                    None,
                    now,
                    WriteOptions::default(),
                )
                .is_ok()
            }
            Err(_) => {
                let Ok(node) = nodes().and_then(|r| api.get(r, "", &self.name).cloned()) else {
                    return false;
                };
                let lease = json!({
                    "apiVersion": "coordination.k8s.io/v1", "kind": "Lease",
                    "metadata": {"name": self.name, "namespace": LEASE_NAMESPACE, "ownerReferences": [
                        {"apiVersion": "v1", "kind": "Node", "name": self.name, "uid": meta::uid(&node)}]},
                    "spec": {"holderIdentity": self.name, "leaseDurationSeconds": LEASE_DURATION_SECONDS, "renewTime": renew},
                });
                api.create(leases, LEASE_NAMESPACE, lease, now, WriteOptions::default())
                    .is_ok()
            }
        }
    }

    fn post_status(&mut self, api: &mut ApiServer, now: Timestamp) -> bool {
        let Ok(r) = nodes() else { return false };
        let Ok(node) = api.get(r, "", &self.name) else {
            return false;
        };
        let mut node = (**node).clone();
        let t = format_time(now);
        let old: Vec<Value> = node
            .pointer("/status/conditions")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        let condition = |ty: &str, status: &str, reason: &str, message: &str| {
            let since = old
                .iter()
                .find(|c| c["type"] == ty && c["status"] == status)
                .and_then(|c| c["lastTransitionTime"].as_str().map(str::to_string))
                .unwrap_or_else(|| t.clone());
            json!({"type": ty, "status": status, "reason": reason, "message": message,
                   "lastHeartbeatTime": t, "lastTransitionTime": since})
        };
        let status = &mut node["status"];
        status["conditions"] = json!([
            condition(
                "MemoryPressure",
                "False",
                "KubeletHasSufficientMemory",
                "kubelet has sufficient memory available"
            ),
            condition(
                "DiskPressure",
                "False",
                "KubeletHasNoDiskPressure",
                "kubelet has no disk pressure"
            ),
            condition(
                "PIDPressure",
                "False",
                "KubeletHasSufficientPID",
                "kubelet has sufficient PID available"
            ),
            condition(
                "Ready",
                "True",
                "KubeletReady",
                "kubelet is posting ready status"
            ),
        ]);
        status["addresses"] = json!([{"type": "InternalIP", "address": self.internal_ip()}, {"type": "Hostname", "address": self.name}]);
        status["daemonEndpoints"] = json!({"kubeletEndpoint": {"Port": 10250}});
        status["nodeInfo"] = json!({
            "architecture": "amd64", "bootID": crate::sim::images::digest(&format!("boot/{}", self.name))[..32].to_string(),
            "containerRuntimeVersion": "containerd://2.1.1", "kernelVersion": "6.8.0-kubeplay",
            "kubeProxyVersion": "", "kubeletVersion": KUBELET_VERSION,
            "machineID": crate::sim::images::digest(&format!("machine/{}", self.name))[..32].to_string(),
            "operatingSystem": "linux", "osImage": "Debian GNU/Linux 12 (bookworm)",
            "systemUUID": crate::sim::images::digest(&format!("uuid/{}", self.name))[..32].to_string(),
        });
        self.registered = true;
        api.update(
            r,
            "",
            &self.name,
            node,
            Some("status"),
            now,
            WriteOptions::default(),
        )
        .is_ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nodes_get_consecutive_pod_cidrs_and_the_simulated_label() {
        let t0: Timestamp = "2026-01-01T00:00:00Z".parse().unwrap();
        let mut api = ApiServer::new(1, t0);
        let spec = |n: &str| NodeSpec {
            name: n.into(),
            cpu: "4".into(),
            memory: "8Gi".into(),
            pods: 110,
        };
        let a = add_node(&mut api, &spec("node-1"), t0).unwrap();
        let b = add_node(&mut api, &spec("node-2"), t0).unwrap();
        assert_eq!(a["spec"]["podCIDR"], "10.244.1.0/24");
        assert_eq!(b["spec"]["podCIDR"], "10.244.2.0/24");
        assert!(is_simulated(&a));
        assert_eq!(a["status"]["capacity"]["pods"], "110");
        let failed = set_failed(&mut api, "node-1", true, t0).unwrap();
        assert!(is_failed(&failed));
        assert!(!is_failed(
            &set_failed(&mut api, "node-1", false, t0).unwrap()
        ));
    }
}
