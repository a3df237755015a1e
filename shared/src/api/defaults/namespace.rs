//! Namespace and Node defaults: the `kubernetes` finalizer, the Active phase
//! and the `kubernetes.io/metadata.name` label; a Node's allocatable from capacity.

use super::{child, default_field};
use serde_json::{json, Value};

pub fn apply_namespace(ns: &mut Value) {
    let name = ns
        .pointer("/metadata/name")
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_string();
    if !name.is_empty() {
        let labels = child(child(ns, "metadata"), "labels");
        labels["kubernetes.io/metadata.name"] = json!(name);
    }
    default_field(child(ns, "spec"), "finalizers", json!(["kubernetes"]));
    default_field(child(ns, "status"), "phase", json!("Active"));
}

pub fn apply_node(node: &mut Value) {
    let Some(capacity) = node.pointer("/status/capacity").cloned() else {
        return;
    };
    default_field(child(node, "status"), "allocatable", capacity);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn namespace_reads_back_like_a_cluster() {
        let mut ns =
            json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "production"}});
        apply_namespace(&mut ns);
        assert_eq!(
            ns["metadata"]["labels"],
            json!({"kubernetes.io/metadata.name": "production"})
        );
        assert_eq!(ns["spec"], json!({"finalizers": ["kubernetes"]}));
        assert_eq!(ns["status"], json!({"phase": "Active"}));
    }

    #[test]
    fn node_allocatable_defaults_to_capacity() {
        let mut n = json!({"status": {"capacity": {"cpu": "4", "memory": "8Gi"}}});
        apply_node(&mut n);
        assert_eq!(
            n["status"]["allocatable"],
            json!({"cpu": "4", "memory": "8Gi"})
        );
    }
}
