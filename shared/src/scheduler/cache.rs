//! The scheduler's picture of the cluster: every node with what its pods
//! already request, kept current from the change feed, so placing one pod
//! costs a pass over the nodes, never over the pods.

use super::pod_info::{HostPort, PodInfo, PodKey, Resources};
use super::taints::Taint;
use crate::api::meta;
use serde_json::{Map, Value};
use std::collections::{HashMap, HashSet};
use std::sync::Arc;

/// What the pods bound to one node use.
#[derive(Debug, Clone, Default)]
pub struct NodeUsage {
    pub requested: Resources,
    pub non_zero_cpu: i64,
    pub non_zero_memory: i64,
    pub pods: i64,
    pub host_ports: Vec<HostPort>,
    /// Pods per controller uid, for spreading replicas.
    pub owners: HashMap<String, i64>,
}

impl NodeUsage {
    fn add(&mut self, pod: &PodInfo) {
        self.requested = self.requested.plus(&pod.requests);
        self.non_zero_cpu += pod.non_zero_cpu;
        self.non_zero_memory += pod.non_zero_memory;
        self.pods += 1;
        self.host_ports.extend(pod.host_ports.iter().cloned());
        if let Some(o) = &pod.owner {
            *self.owners.entry(o.clone()).or_default() += 1;
        }
    }

    fn remove(&mut self, pod: &PodInfo) {
        self.requested.subtract(&pod.requests);
        self.non_zero_cpu -= pod.non_zero_cpu;
        self.non_zero_memory -= pod.non_zero_memory;
        self.pods -= 1;
        for p in &pod.host_ports {
            if let Some(i) = self.host_ports.iter().position(|q| q == p) {
                self.host_ports.swap_remove(i);
            }
        }
        if let Some(o) = &pod.owner {
            if let Some(n) = self.owners.get_mut(o) {
                *n -= 1;
                if *n <= 0 {
                    self.owners.remove(o);
                }
            }
        }
    }
}

/// A node as filters and scores read it.
#[derive(Debug, Clone)]
pub struct NodeInfo {
    pub name: String,
    pub labels: Map<String, Value>,
    pub taints: Vec<Taint>,
    pub unschedulable: bool,
    pub allocatable: Resources,
    pub allowed_pods: i64,
    pub usage: NodeUsage,
}

impl NodeInfo {
    fn from_value(node: &Value) -> NodeInfo {
        let allocatable = node.pointer("/status/allocatable");
        let allowed_pods = allocatable
            .and_then(|a| a.get("pods"))
            .and_then(Value::as_str)
            .and_then(|s| crate::api::quantity::Quantity::parse(s).ok())
            .map_or(0, |q| i64::try_from(q.value()).unwrap_or(i64::MAX));
        NodeInfo {
            name: meta::name(node).to_string(),
            labels: meta::labels(node).cloned().unwrap_or_default(),
            taints: node
                .pointer("/spec/taints")
                .and_then(Value::as_array)
                .map(|a| a.iter().map(Taint::from_value).collect())
                .unwrap_or_default(),
            unschedulable: node
                .pointer("/spec/unschedulable")
                .and_then(Value::as_bool)
                .unwrap_or(false),
            allocatable: Resources::from_map(allocatable),
            allowed_pods,
            usage: NodeUsage::default(),
        }
    }

    /// Whether a change to the node could let a waiting pod fit.
    fn same_for_scheduling(&self, other: &NodeInfo) -> bool {
        self.labels == other.labels
            && self.taints == other.taints
            && self.unschedulable == other.unschedulable
            && self.allocatable == other.allocatable
            && self.allowed_pods == other.allowed_pods
    }
}

/// A pod counted on a node.
#[derive(Debug, Clone)]
pub struct Assigned {
    pub node: String,
    pub info: Arc<PodInfo>,
}

#[derive(Debug, Default)]
pub struct Cache {
    /// Sorted by name, so every walk over the nodes is in the same order.
    nodes: Vec<NodeInfo>,
    index: HashMap<String, usize>,
    /// Usage of nodes the cache does not know (yet, or any more).
    orphans: HashMap<String, NodeUsage>,
    pods: HashMap<PodKey, Assigned>,
    /// Pods with pod (anti-)affinity terms, which other pods' placement must respect.
    with_affinity: HashSet<PodKey>,
    /// `(namespace, claim)` → pods using it, for ReadWriteOncePod.
    claims: HashMap<(String, String), i64>,
}

/// How a node change matters to waiting pods.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NodeChange {
    Irrelevant,
    /// Added, or changed in a way that may let a pod fit.
    MayHelp,
}

impl Cache {
    pub fn clear(&mut self) {
        *self = Cache::default();
    }

    pub fn nodes(&self) -> &[NodeInfo] {
        &self.nodes
    }

    pub fn node(&self, name: &str) -> Option<&NodeInfo> {
        self.index.get(name).map(|&i| &self.nodes[i])
    }

    pub fn pods(&self) -> impl Iterator<Item = &Assigned> {
        self.pods.values()
    }

    pub fn pods_with_affinity(&self) -> impl Iterator<Item = &Assigned> {
        self.with_affinity.iter().filter_map(|k| self.pods.get(k))
    }

    pub fn claim_users(&self, namespace: &str, claim: &str) -> i64 {
        self.claims
            .get(&(namespace.to_string(), claim.to_string()))
            .copied()
            .unwrap_or(0)
    }

    fn reindex(&mut self) {
        self.index = self
            .nodes
            .iter()
            .enumerate()
            .map(|(i, n)| (n.name.clone(), i))
            .collect();
    }

    pub fn upsert_node(&mut self, node: &Value) -> NodeChange {
        let mut info = NodeInfo::from_value(node);
        if let Some(&i) = self.index.get(&info.name) {
            let existing = &mut self.nodes[i];
            let same = existing.same_for_scheduling(&info);
            info.usage = std::mem::take(&mut existing.usage);
            *existing = info;
            return if same {
                NodeChange::Irrelevant
            } else {
                NodeChange::MayHelp
            };
        }
        info.usage = self.orphans.remove(&info.name).unwrap_or_default();
        let at = self.nodes.partition_point(|n| n.name < info.name);
        self.nodes.insert(at, info);
        self.reindex();
        NodeChange::MayHelp
    }

    pub fn remove_node(&mut self, name: &str) {
        if let Some(&i) = self.index.get(name) {
            let node = self.nodes.remove(i);
            self.orphans.insert(node.name, node.usage);
            self.reindex();
        }
    }

    fn usage_mut(&mut self, node: &str) -> &mut NodeUsage {
        match self.index.get(node) {
            Some(&i) => &mut self.nodes[i].usage,
            None => self.orphans.entry(node.to_string()).or_default(),
        }
    }

    /// Whether the pod is counted on `node` with these labels already (the
    /// echo of our own bind, or a status update): nothing to redo then.
    pub fn holds(&self, key: &PodKey, node: &str, labels: Option<&Map<String, Value>>) -> bool {
        self.pods
            .get(key)
            .is_some_and(|a| a.node == node && Some(&a.info.labels) == labels.or(Some(&Map::new())))
    }

    /// Counts a pod on its node (replacing what it counted before).
    pub fn add_pod(&mut self, info: Arc<PodInfo>, node: &str) {
        let key = info.key();
        self.remove_pod(&key);
        self.usage_mut(node).add(&info);
        for claim in &info.claims {
            *self
                .claims
                .entry((info.namespace.clone(), claim.clone()))
                .or_default() += 1;
        }
        if !info.affinity.is_empty() {
            self.with_affinity.insert(key.clone());
        }
        self.pods.insert(
            key,
            Assigned {
                node: node.to_string(),
                info,
            },
        );
    }

    /// Stops counting a pod; returns whether it was counted.
    pub fn remove_pod(&mut self, key: &PodKey) -> bool {
        let Some(old) = self.pods.remove(key) else {
            return false;
        };
        self.usage_mut(&old.node).remove(&old.info);
        for claim in &old.info.claims {
            let k = (old.info.namespace.clone(), claim.clone());
            if let Some(n) = self.claims.get_mut(&k) {
                *n -= 1;
                if *n <= 0 {
                    self.claims.remove(&k);
                }
            }
        }
        self.with_affinity.remove(key);
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn usage_follows_pods_across_node_deletion_and_return() {
        let mut cache = Cache::default();
        let node = json!({"metadata": {"name": "n1"}, "status": {"allocatable": {"cpu": "2", "pods": "110"}}});
        assert_eq!(cache.upsert_node(&node), NodeChange::MayHelp);
        assert_eq!(cache.upsert_node(&node), NodeChange::Irrelevant);
        let pod = json!({"metadata": {"name": "p", "namespace": "default"},
            "spec": {"containers": [{"name": "c", "resources": {"requests": {"cpu": "500m"}}}]}});
        cache.add_pod(Arc::new(PodInfo::from_value(&pod)), "n1");
        cache.add_pod(Arc::new(PodInfo::from_value(&pod)), "n1");
        assert_eq!(cache.node("n1").unwrap().usage.requested.milli_cpu, 500);
        cache.remove_node("n1");
        cache.upsert_node(&node);
        assert_eq!(cache.node("n1").unwrap().usage.pods, 1);
        assert!(cache.remove_pod(&("default".into(), "p".into())));
        assert_eq!(cache.node("n1").unwrap().usage.requested.milli_cpu, 0);
    }
}
