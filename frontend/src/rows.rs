//! One table row per object: the few fields `kubectl get` would show, pulled out of the object's
//! Kubernetes JSON so components render plain strings.

use crate::kinds::ObjectKind;
use serde_json::Value;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ObjectRow {
    pub name: String,
    /// The kind-specific summary column: phase for pods, readiness for workloads, type for services.
    pub status: String,
    pub created: String,
}

impl ObjectRow {
    pub fn from_object(kind: ObjectKind, object: &Value) -> Self {
        let text = |pointer: &str| {
            object
                .pointer(pointer)
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_string()
        };
        Self {
            name: text("/metadata/name"),
            status: status(kind, object),
            created: text("/metadata/creationTimestamp"),
        }
    }
}

fn status(kind: ObjectKind, object: &Value) -> String {
    let count = |pointer: &str| object.pointer(pointer).and_then(Value::as_u64);
    match kind {
        ObjectKind::Pod => object
            .pointer("/status/phase")
            .and_then(Value::as_str)
            .unwrap_or("Pending")
            .to_string(),
        // Kubernetes omits zero counts from status and defaults spec.replicas to 1.
        ObjectKind::Deployment | ObjectKind::ReplicaSet => format!(
            "{}/{} ready",
            count("/status/readyReplicas").unwrap_or(0),
            count("/spec/replicas").unwrap_or(1)
        ),
        ObjectKind::Service => {
            let kind = object
                .pointer("/spec/type")
                .and_then(Value::as_str)
                .unwrap_or("ClusterIP");
            match object.pointer("/spec/clusterIP").and_then(Value::as_str) {
                Some(ip) => format!("{kind} {ip}"),
                None => kind.to_string(),
            }
        }
        ObjectKind::ConfigMap => {
            let keys = |field: &str| {
                object
                    .get(field)
                    .and_then(Value::as_object)
                    .map_or(0, |m| m.len())
            };
            format!("{} keys", keys("data") + keys("binaryData"))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn pod_row_shows_phase_and_creation_time() {
        let pod = json!({"metadata": {"name": "web-1", "creationTimestamp": "2025-01-02T03:04:05Z"},
                         "status": {"phase": "Running"}});
        let row = ObjectRow::from_object(ObjectKind::Pod, &pod);
        assert_eq!(
            row,
            ObjectRow {
                name: "web-1".into(),
                status: "Running".into(),
                created: "2025-01-02T03:04:05Z".into()
            }
        );
    }

    #[test]
    fn pod_without_status_is_pending() {
        let row = ObjectRow::from_object(ObjectKind::Pod, &json!({"metadata": {"name": "p"}}));
        assert_eq!(row.status, "Pending");
    }

    #[test]
    fn deployment_readiness_defaults_like_kubernetes() {
        let fresh = json!({"metadata": {"name": "d"}, "spec": {}});
        assert_eq!(
            ObjectRow::from_object(ObjectKind::Deployment, &fresh).status,
            "0/1 ready"
        );
        let scaled = json!({"spec": {"replicas": 3}, "status": {"readyReplicas": 2}});
        assert_eq!(
            ObjectRow::from_object(ObjectKind::ReplicaSet, &scaled).status,
            "2/3 ready"
        );
    }

    #[test]
    fn service_row_shows_type_and_cluster_ip() {
        let svc = json!({"spec": {"type": "NodePort", "clusterIP": "10.96.0.10"}});
        assert_eq!(
            ObjectRow::from_object(ObjectKind::Service, &svc).status,
            "NodePort 10.96.0.10"
        );
        assert_eq!(
            ObjectRow::from_object(ObjectKind::Service, &json!({})).status,
            "ClusterIP"
        );
    }

    #[test]
    fn configmap_row_counts_text_and_binary_keys() {
        let cm = json!({"data": {"a": "1", "b": "2"}, "binaryData": {"c": "AA=="}});
        assert_eq!(
            ObjectRow::from_object(ObjectKind::ConfigMap, &cm).status,
            "3 keys"
        );
    }
}
