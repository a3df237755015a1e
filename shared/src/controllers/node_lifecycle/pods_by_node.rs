//! Which pods are bound to which node: the index every node-level controller
//! keeps so a node's change touches only that node's pods.

use crate::store::ObjectName;
use serde_json::Value;
use std::collections::{BTreeSet, HashMap};

#[derive(Debug, Default)]
pub struct PodsByNode {
    pods: HashMap<String, BTreeSet<ObjectName>>,
    node_of: HashMap<ObjectName, String>,
}

/// `spec.nodeName`, empty for a pod not yet scheduled.
pub fn node_name(pod: &Value) -> &str {
    pod.pointer("/spec/nodeName")
        .and_then(Value::as_str)
        .unwrap_or("")
}

impl PodsByNode {
    /// Records a pod's current node; returns its previous one if that changed.
    pub fn observe(&mut self, pod: &ObjectName, obj: &Value) -> Option<String> {
        let node = node_name(obj);
        if self.node_of.get(pod).map(String::as_str) == Some(node) {
            return None;
        }
        let previous = self.forget(pod);
        if !node.is_empty() {
            self.pods
                .entry(node.to_string())
                .or_default()
                .insert(pod.clone());
            self.node_of.insert(pod.clone(), node.to_string());
        }
        previous
    }

    /// Drops a pod; returns the node it was on.
    pub fn forget(&mut self, pod: &ObjectName) -> Option<String> {
        let node = self.node_of.remove(pod)?;
        if let Some(set) = self.pods.get_mut(&node) {
            set.remove(pod);
            if set.is_empty() {
                self.pods.remove(&node);
            }
        }
        Some(node)
    }

    /// The pods bound to `node`, in key order.
    pub fn on(&self, node: &str) -> Vec<ObjectName> {
        self.pods
            .get(node)
            .map(|s| s.iter().cloned().collect())
            .unwrap_or_default()
    }

    pub fn node_of(&self, pod: &ObjectName) -> Option<&str> {
        self.node_of.get(pod).map(String::as_str)
    }

    pub fn clear(&mut self) {
        self.pods.clear();
        self.node_of.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_pod_moves_between_nodes_and_leaves_no_trace() {
        let mut idx = PodsByNode::default();
        let p = ObjectName::new("default", "web");
        assert_eq!(idx.observe(&p, &json!({"spec": {}})), None);
        assert!(idx.on("").is_empty());
        idx.observe(&p, &json!({"spec": {"nodeName": "a"}}));
        assert_eq!(idx.on("a"), vec![p.clone()]);
        assert_eq!(
            idx.observe(&p, &json!({"spec": {"nodeName": "b"}})),
            Some("a".to_string())
        );
        assert!(idx.on("a").is_empty());
        assert_eq!(idx.forget(&p), Some("b".to_string()));
        assert!(idx.on("b").is_empty());
        assert_eq!(idx.node_of(&p), None);
    }
}
