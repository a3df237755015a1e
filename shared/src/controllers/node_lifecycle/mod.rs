//! The node lifecycle controller: notices kubelets that stopped renewing their
//! Lease, marks their nodes `Unknown`, and keeps the condition taints in step.
//!
//! Like Kubernetes' it measures silence on its own clock (when it last saw a
//! Lease renewal or a status heartbeat), so a kubelet's clock cannot matter, and
//! it taints rather than evicts: [`taint_eviction`] deletes the pods.

pub mod pod_gc;
pub mod pods_by_node;
pub mod taint_eviction;

use super::events::{EventRecorder, EventType as EventKind};
use super::feed::{ChangeFeed, Changes};
use super::{Controller, Reconciled};
use crate::api::{meta, resources, Resource};
use crate::apiserver::{format_time, ApiServer, WriteOptions};
use crate::store::{EventType, ObjectName};
use jiff::{SignedDuration, Timestamp};
use pods_by_node::PodsByNode;
use serde_json::{json, Value};
use std::collections::{BTreeSet, HashMap};

/// `--node-monitor-grace-period`: 50 s since Kubernetes 1.32 (40 s before).
pub const NODE_MONITOR_GRACE_PERIOD: SignedDuration = SignedDuration::from_secs(50);
/// `--node-startup-grace-period`: how long a new node may go without ever posting Ready.
pub const NODE_STARTUP_GRACE_PERIOD: SignedDuration = SignedDuration::from_secs(60);
/// Where kubelets keep their heartbeat Leases, one per node, named after it.
pub const NODE_LEASE_NAMESPACE: &str = "kube-node-lease";
pub const TAINT_NOT_READY: &str = "node.kubernetes.io/not-ready";
pub const TAINT_UNREACHABLE: &str = "node.kubernetes.io/unreachable";
pub const TAINT_UNSCHEDULABLE: &str = "node.kubernetes.io/unschedulable";
/// Node conditions whose `True` status keeps new pods off the node.
const CONDITION_TAINTS: [(&str, &str); 4] = [
    ("MemoryPressure", "node.kubernetes.io/memory-pressure"),
    ("DiskPressure", "node.kubernetes.io/disk-pressure"),
    ("PIDPressure", "node.kubernetes.io/pid-pressure"),
    (
        "NetworkUnavailable",
        "node.kubernetes.io/network-unavailable",
    ),
];
/// The conditions a kubelet owns; all turn `Unknown` when it falls silent.
const KUBELET_CONDITIONS: [&str; 4] = ["Ready", "MemoryPressure", "DiskPressure", "PIDPressure"];

/// The node's `Ready` condition, as the controller sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Readiness {
    True,
    False,
    Unknown,
    /// The kubelet never posted one.
    Missing,
}

pub fn condition<'a>(obj: &'a Value, kind: &str) -> Option<&'a Value> {
    obj.pointer("/status/conditions")?
        .as_array()?
        .iter()
        .find(|c| c["type"] == kind)
}

pub fn readiness(node: &Value) -> Readiness {
    match condition(node, "Ready").and_then(|c| c["status"].as_str()) {
        Some("True") => Readiness::True,
        Some("False") => Readiness::False,
        Some(_) => Readiness::Unknown,
        None => Readiness::Missing,
    }
}

fn parse_time(v: &Value) -> Option<Timestamp> {
    v.as_str()?.parse().ok()
}

fn resource(plural: &str) -> Option<&'static Resource> {
    resources::by_plural("", "v1", plural)
}

/// What the controller knows of one node's heartbeats.
#[derive(Debug)]
struct NodeHealth {
    /// The Ready condition's `lastHeartbeatTime` last seen.
    heartbeat: String,
    /// The Lease's `renewTime` last seen.
    renew_time: String,
    /// When the kubelet was last seen alive (our clock).
    probed_at: Timestamp,
    /// When the node counts as silent, unless it is heard from first.
    deadline: Option<Timestamp>,
    ready: Readiness,
    startup_grace: bool,
}

pub struct NodeLifecycleController {
    feed: ChangeFeed,
    grace: SignedDuration,
    nodes: HashMap<String, NodeHealth>,
    /// (deadline, node) in time order, so a pass looks only at nodes due now.
    deadlines: BTreeSet<(Timestamp, String)>,
    pods: PodsByNode,
    /// Nodes whose taints must be brought in line with their conditions.
    dirty: BTreeSet<String>,
    /// Every node is down: Kubernetes then assumes the control plane lost the
    /// network, not the nodes, and stops NoExecute tainting ("master disruption mode").
    all_down: bool,
    recorder: EventRecorder,
}

impl Default for NodeLifecycleController {
    fn default() -> Self {
        Self::with_grace_period(NODE_MONITOR_GRACE_PERIOD)
    }
}

impl NodeLifecycleController {
    pub fn with_grace_period(grace: SignedDuration) -> Self {
        Self {
            feed: ChangeFeed::default(),
            grace,
            nodes: HashMap::new(),
            deadlines: BTreeSet::new(),
            pods: PodsByNode::default(),
            dirty: BTreeSet::new(),
            all_down: false,
            recorder: EventRecorder::new("node-controller"),
        }
    }

    fn set_deadline(&mut self, name: &str, deadline: Option<Timestamp>) {
        let Some(h) = self.nodes.get_mut(name) else {
            return;
        };
        if let Some(old) = h.deadline.take() {
            self.deadlines.remove(&(old, name.to_string()));
        }
        h.deadline = deadline;
        if let Some(d) = deadline {
            self.deadlines.insert((d, name.to_string()));
        }
    }

    /// The kubelet was heard from at `now`.
    fn probe(&mut self, name: &str, now: Timestamp) {
        let grace = self.grace;
        let Some(h) = self.nodes.get_mut(name) else {
            return;
        };
        h.probed_at = now;
        let period = if h.startup_grace {
            NODE_STARTUP_GRACE_PERIOD
        } else {
            grace
        };
        let deadline = now.checked_add(period).ok();
        self.set_deadline(name, deadline);
    }

    fn observe_node(&mut self, name: &str, node: &Value, now: Timestamp) {
        let ready = readiness(node);
        let heartbeat = condition(node, "Ready")
            .and_then(|c| c["lastHeartbeatTime"].as_str())
            .unwrap_or("")
            .to_string();
        match self.nodes.get_mut(name) {
            None => {
                // A node that never posted Ready gets the startup grace, counted from its creation.
                let startup_grace = ready == Readiness::Missing;
                let probed_at = if startup_grace {
                    node.pointer("/metadata/creationTimestamp")
                        .and_then(parse_time)
                        .unwrap_or(now)
                } else {
                    now
                };
                self.nodes.insert(
                    name.to_string(),
                    NodeHealth {
                        heartbeat,
                        renew_time: String::new(),
                        probed_at,
                        deadline: None,
                        ready,
                        startup_grace,
                    },
                );
                self.probe(name, probed_at);
            }
            Some(h) => {
                h.ready = ready;
                if h.heartbeat != heartbeat {
                    h.heartbeat = heartbeat;
                    h.startup_grace = ready == Readiness::Missing;
                    self.probe(name, now);
                }
            }
        }
        self.dirty.insert(name.to_string());
    }

    fn observe_lease(&mut self, name: &str, lease: &Value, now: Timestamp) {
        let renew = lease
            .pointer("/spec/renewTime")
            .and_then(Value::as_str)
            .unwrap_or("");
        let Some(h) = self.nodes.get_mut(name) else {
            return;
        };
        if h.renew_time != renew {
            h.renew_time = renew.to_string();
            self.probe(name, now);
        }
    }

    fn forget_node(&mut self, name: &str) {
        self.set_deadline(name, None);
        self.nodes.remove(name);
        self.dirty.remove(name);
    }

    fn catch_up(&mut self, api: &ApiServer, now: Timestamp) {
        match self.feed.changes(api.store()) {
            Changes::Resync => {
                self.nodes.clear();
                self.deadlines.clear();
                self.pods.clear();
                let (Some(nodes), Some(pods)) = (resource("nodes"), resource("pods")) else {
                    return;
                };
                for n in api.list(nodes, None) {
                    self.observe_node(meta::name(n), n, now);
                }
                for p in api.list(pods, None) {
                    self.pods
                        .observe(&ObjectName::new(meta::namespace(p), meta::name(p)), p);
                }
                if let Some(leases) = resources::by_plural("coordination.k8s.io", "v1", "leases") {
                    for l in api.list(leases, Some(NODE_LEASE_NAMESPACE)) {
                        self.observe_lease(meta::name(l), l, now);
                    }
                }
            }
            Changes::Events(events) => {
                for e in events {
                    let (group, plural) = (e.key.resource.group, e.key.resource.plural);
                    let deleted = e.kind == EventType::Deleted;
                    match (group, plural) {
                        ("", "nodes") if deleted => self.forget_node(&e.key.name.name),
                        ("", "nodes") => self.observe_node(&e.key.name.name, &e.object, now),
                        ("", "pods") if deleted => {
                            self.pods.forget(&e.key.name);
                        }
                        ("", "pods") => {
                            self.pods.observe(&e.key.name, &e.object);
                        }
                        ("coordination.k8s.io", "leases")
                            if !deleted && e.key.name.namespace == NODE_LEASE_NAMESPACE =>
                        {
                            self.observe_lease(&e.key.name.name, &e.object, now);
                        }
                        _ => {}
                    }
                }
            }
        }
    }

    /// Sets the kubelet's conditions to `Unknown`; true if it wrote.
    fn mark_unknown(&mut self, api: &mut ApiServer, name: &str, now: Timestamp) -> bool {
        let Some(nodes) = resource("nodes") else {
            return false;
        };
        let Ok(node) = api.get(nodes, "", name) else {
            return false;
        };
        let mut node = (**node).clone();
        let was_ready = readiness(&node) == Readiness::True;
        let created = node
            .pointer("/metadata/creationTimestamp")
            .cloned()
            .unwrap_or(Value::Null);
        let mut conditions = node
            .pointer("/status/conditions")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        let mut changed = false;
        for kind in KUBELET_CONDITIONS {
            match conditions.iter_mut().find(|c| c["type"] == kind) {
                Some(c) if c["status"] == "Unknown" => {}
                Some(c) => {
                    c["status"] = json!("Unknown");
                    c["reason"] = json!("NodeStatusUnknown");
                    c["message"] = json!("Kubelet stopped posting node status.");
                    c["lastTransitionTime"] = json!(format_time(now));
                    changed = true;
                }
                None => {
                    conditions.push(json!({
                        "type": kind, "status": "Unknown", "reason": "NodeStatusNeverUpdated",
                        "message": "Kubelet never posted node status.",
                        "lastHeartbeatTime": created, "lastTransitionTime": format_time(now),
                    }));
                    changed = true;
                }
            }
        }
        if !changed {
            return false;
        }
        node["status"]["conditions"] = json!(conditions);
        let Ok(stored) = api.update(
            nodes,
            "",
            name,
            node,
            Some("status"),
            now,
            WriteOptions::default(),
        ) else {
            return false;
        };
        if let Some(h) = self.nodes.get_mut(name) {
            h.ready = Readiness::Unknown;
        }
        self.dirty.insert(name.to_string());
        if was_ready {
            let message = format!("Node {name} status is now: NodeNotReady");
            self.recorder.record(
                api,
                &stored,
                EventKind::Normal,
                "NodeNotReady",
                &message,
                now,
            );
            self.mark_pods_not_ready(api, name, now);
        }
        true
    }

    /// Pods on a silent node can no longer be trusted to serve: their Ready turns False.
    fn mark_pods_not_ready(&mut self, api: &mut ApiServer, node: &str, now: Timestamp) {
        let Some(pods) = resource("pods") else { return };
        for key in self.pods.on(node) {
            let Ok(pod) = api.get(pods, &key.namespace, &key.name) else {
                continue;
            };
            let mut pod = (**pod).clone();
            let Some(ready) = pod
                .pointer_mut("/status/conditions")
                .and_then(Value::as_array_mut)
                .and_then(|cs| cs.iter_mut().find(|c| c["type"] == "Ready"))
            else {
                continue;
            };
            if ready["status"] == "False" {
                continue;
            }
            ready["status"] = json!("False");
            ready["lastTransitionTime"] = json!(format_time(now));
            if let Ok(stored) = api.update(
                pods,
                &key.namespace,
                &key.name,
                pod,
                Some("status"),
                now,
                WriteOptions::default(),
            ) {
                self.recorder.record(
                    api,
                    &stored,
                    EventKind::Warning,
                    "NodeNotReady",
                    "Node is not ready",
                    now,
                );
            }
        }
    }
}

/// The taints the controller wants on a node, as (key, effect).
fn desired_taints(node: &Value, all_down: bool) -> Vec<(&'static str, &'static str)> {
    let mut want = Vec::new();
    let condition_key = match readiness(node) {
        Readiness::False => Some(TAINT_NOT_READY),
        Readiness::Unknown => Some(TAINT_UNREACHABLE),
        Readiness::True | Readiness::Missing => None,
    };
    if let Some(key) = condition_key {
        want.push((key, "NoSchedule"));
        if !all_down {
            want.push((key, "NoExecute"));
        }
    }
    if node.pointer("/spec/unschedulable").and_then(Value::as_bool) == Some(true) {
        want.push((TAINT_UNSCHEDULABLE, "NoSchedule"));
    }
    for (kind, key) in CONDITION_TAINTS {
        if condition(node, kind).is_some_and(|c| c["status"] == "True") {
            want.push((key, "NoSchedule"));
        }
    }
    want
}

fn is_managed(key: &str) -> bool {
    [TAINT_NOT_READY, TAINT_UNREACHABLE, TAINT_UNSCHEDULABLE].contains(&key)
        || CONDITION_TAINTS.iter().any(|(_, k)| *k == key)
}

/// The node's taints with the controller's brought in line; `timeAdded` is kept
/// for taints that stay, since taint eviction counts tolerations from it.
fn reconcile_taints(node: &Value, all_down: bool, now: Timestamp) -> Vec<Value> {
    let want = desired_taints(node, all_down);
    let existing = node
        .pointer("/spec/taints")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    let key_effect = |t: &Value| {
        (
            t["key"].as_str().unwrap_or("").to_string(),
            t["effect"].as_str().unwrap_or("").to_string(),
        )
    };
    let mut taints: Vec<Value> = existing
        .into_iter()
        .filter(|t| {
            let (k, e) = key_effect(t);
            !is_managed(&k) || want.iter().any(|(wk, we)| *wk == k && *we == e)
        })
        .collect();
    for (k, e) in want {
        if !taints
            .iter()
            .any(|t| key_effect(t) == (k.to_string(), e.to_string()))
        {
            taints.push(json!({"key": k, "effect": e, "timeAdded": format_time(now)}));
        }
    }
    taints
}

fn sync_taints(api: &mut ApiServer, name: &str, all_down: bool, now: Timestamp) -> bool {
    let Some(nodes) = resource("nodes") else {
        return false;
    };
    let Ok(node) = api.get(nodes, "", name) else {
        return false;
    };
    let taints = reconcile_taints(node, all_down, now);
    let current = node
        .pointer("/spec/taints")
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or_default();
    if taints.as_slice() == current {
        return false;
    }
    let mut node = (**node).clone();
    if taints.is_empty() {
        if let Some(spec) = node.get_mut("spec").and_then(Value::as_object_mut) {
            spec.remove("taints");
        }
    } else {
        node["spec"]["taints"] = json!(taints);
    }
    api.update(nodes, "", name, node, None, now, WriteOptions::default())
        .is_ok()
}

impl Controller for NodeLifecycleController {
    fn name(&self) -> &'static str {
        "node-lifecycle-controller"
    }

    fn reconcile(&mut self, api: &mut ApiServer, now: Timestamp) -> Reconciled {
        self.catch_up(api, now);
        let mut wrote = false;
        while let Some((due, name)) = self.deadlines.first().cloned() {
            if due > now {
                break;
            }
            self.set_deadline(&name, None);
            wrote |= self.mark_unknown(api, &name, now);
        }
        if !self.dirty.is_empty() {
            let all_down =
                !self.nodes.is_empty() && self.nodes.values().all(|h| h.ready != Readiness::True);
            if all_down != self.all_down {
                self.all_down = all_down;
                self.dirty.extend(self.nodes.keys().cloned());
            }
        }
        for name in std::mem::take(&mut self.dirty) {
            wrote |= sync_taints(api, &name, self.all_down, now);
        }
        Reconciled {
            wrote,
            requeue_at: self.deadlines.first().map(|(t, _)| *t),
        }
    }
}

#[cfg(test)]
mod tests;
