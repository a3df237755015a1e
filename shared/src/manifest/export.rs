//! "Export all objects as one YAML file": the user's objects as manifests that
//! `kubectl apply -f` (or the page's import) recreates on a fresh cluster.
//!
//! What the cluster made by itself is left out (Pods of ReplicaSets, Endpoints,
//! Events, Leases, default ServiceAccounts, system namespaces), and so are the
//! fields the server fills in (uid, resourceVersion, status, allocated IPs…),
//! as a manifest someone would keep in git.

use super::yaml::emit::to_yaml_documents;
use crate::api::{meta, RESOURCES};
use crate::apiserver::SYSTEM_NAMESPACES;
use crate::apiserver::ApiServer;
use crate::controllers::persistent_volume::provisioner::default_storage_class;
use serde_json::{Map, Value};

/// Kinds the control plane or the nodes write, never the user.
const GENERATED_KINDS: &[&str] = &[
    "Event", "Endpoints", "EndpointSlice", "Lease", "Node", "PodMetrics", "NodeMetrics", "ControllerRevision",
];

/// The order `kubectl apply` needs: namespaces and configuration before what uses them.
const KIND_ORDER: &[&str] = &[
    "Namespace", "ResourceQuota", "LimitRange", "StorageClass", "PriorityClass", "ServiceAccount", "Secret", "ConfigMap",
    "PersistentVolume", "PersistentVolumeClaim", "Service", "Deployment", "StatefulSet", "DaemonSet", "ReplicaSet",
    "Job", "CronJob", "Pod", "HorizontalPodAutoscaler", "IngressClass", "Ingress", "NetworkPolicy",
];

/// metadata fields the server sets.
const SERVER_METADATA: &[&str] = &[
    "uid", "resourceVersion", "creationTimestamp", "managedFields", "generation", "selfLink", "deletionTimestamp",
    "deletionGracePeriodSeconds", "ownerReferences", "generateName",
];

/// Annotation prefixes the server or kubectl write.
const SERVER_ANNOTATIONS: &[&str] = &[
    "kubectl.kubernetes.io/last-applied-configuration",
    "deployment.kubernetes.io/",
    "pv.kubernetes.io/",
    "volume.kubernetes.io/",
    "volume.beta.kubernetes.io/",
    "endpoints.kubernetes.io/",
];

/// Finalizers the control plane adds by itself.
const SERVER_FINALIZERS: &[&str] = &["kubernetes.io/pvc-protection", "kubernetes.io/pv-protection"];

fn owned_by_a_controller(obj: &Value) -> bool {
    obj.pointer("/metadata/ownerReferences")
        .and_then(Value::as_array)
        .is_some_and(|refs| refs.iter().any(|r| r.get("controller").and_then(Value::as_bool) == Some(true)))
}

/// Whether the cluster made this object itself.
fn generated(obj: &Value) -> bool {
    let (kind, ns, name) = (meta::kind(obj), meta::namespace(obj), meta::name(obj));
    GENERATED_KINDS.contains(&kind)
        || owned_by_a_controller(obj)
        || SYSTEM_NAMESPACES.contains(&ns) && ns != "default"
        || kind == "Namespace" && SYSTEM_NAMESPACES.contains(&name)
        || kind == "Service" && ns == "default" && name == "kubernetes"
        || kind == "ServiceAccount" && name == "default"
        || kind == "ConfigMap" && name == crate::controllers::serviceaccount::ROOT_CA_CONFIG_MAP
        || kind == "Secret" && obj.get("type").and_then(Value::as_str) == Some("kubernetes.io/service-account-token")
        || kind == "PersistentVolume" && meta::annotation(obj, "pv.kubernetes.io/provisioned-by").is_some()
        || kind == "StorageClass" && as_manifest(obj) == as_manifest(&default_storage_class())
        || kind == "IngressClass" && name == meta::name(&crate::controllers::ingress::ingress_class())
}

/// Drops server-populated fields from `map[key]`, and the key when nothing is left.
fn prune(map: &mut Map<String, Value>, key: &str, keep: impl Fn(&str) -> bool) {
    if let Some(Value::Object(inner)) = map.get_mut(key) {
        inner.retain(|k, _| keep(k));
        if inner.is_empty() {
            map.remove(key);
        }
    }
}

/// The object as a manifest: what the user declared, without what the server filled in.
pub fn as_manifest(obj: &Value) -> Value {
    let mut obj = obj.clone();
    let kind = meta::kind(&obj).to_string();
    let Some(map) = obj.as_object_mut() else { return obj };
    map.remove("status");
    if let Some(Value::Object(m)) = map.get_mut("metadata") {
        m.retain(|k, _| !SERVER_METADATA.contains(&k.as_str()));
        prune(m, "annotations", |k| !SERVER_ANNOTATIONS.iter().any(|p| k.starts_with(p)));
        if kind == "Namespace" {
            prune(m, "labels", |k| k != "kubernetes.io/metadata.name");
        }
        if let Some(Value::Array(f)) = m.get_mut("finalizers") {
            f.retain(|x| !x.as_str().is_some_and(|s| SERVER_FINALIZERS.contains(&s)));
            if f.is_empty() {
                m.remove("finalizers");
            }
        }
    }
    if let Some(Value::Object(spec)) = map.get_mut("spec") {
        match kind.as_str() {
            "Service" => {
                spec.remove("clusterIPs");
                if spec.get("clusterIP").and_then(Value::as_str) != Some("None") {
                    spec.remove("clusterIP");
                }
            }
            "Pod" => {
                spec.remove("nodeName");
            }
            "PersistentVolumeClaim" => {
                spec.remove("volumeName");
            }
            "PersistentVolume" => {
                spec.remove("claimRef");
            }
            _ => {}
        }
    }
    if kind == "Namespace" {
        map.remove("spec");
    }
    obj
}

/// Every user object in the cluster as one multi-document YAML file, in an order
/// `kubectl apply -f` can create them in, namespaces and names sorted within a kind.
pub fn export_yaml(api: &ApiServer) -> String {
    let rank = |kind: &str| KIND_ORDER.iter().position(|k| *k == kind).unwrap_or(KIND_ORDER.len());
    let mut objects: Vec<Value> = Vec::new();
    for r in RESOURCES {
        objects.extend(api.list(r, None).filter(|o| !generated(o)).map(|o| as_manifest(o)));
    }
    objects.sort_by(|a, b| {
        let key = |v: &Value| (rank(meta::kind(v)), meta::kind(v).to_string(), meta::namespace(v).to_string(), meta::name(v).to_string());
        key(a).cmp(&key(b))
    });
    objects.dedup();
    to_yaml_documents(&objects)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn server_fields_are_stripped_and_headless_services_keep_none() {
        let svc = json!({"apiVersion": "v1", "kind": "Service",
            "metadata": {"name": "web", "namespace": "default", "uid": "u", "resourceVersion": "7", "creationTimestamp": "2026-01-01T00:00:00Z",
                "annotations": {"kubectl.kubernetes.io/last-applied-configuration": "{}"}, "labels": {"app": "web"}},
            "spec": {"clusterIP": "10.96.1.2", "clusterIPs": ["10.96.1.2"], "ports": [{"port": 80}], "selector": {"app": "web"}},
            "status": {"loadBalancer": {}}});
        assert_eq!(
            as_manifest(&svc),
            json!({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "web", "namespace": "default", "labels": {"app": "web"}},
                "spec": {"ports": [{"port": 80}], "selector": {"app": "web"}}})
        );
        let mut headless = svc.clone();
        headless["spec"]["clusterIP"] = json!("None");
        assert_eq!(as_manifest(&headless)["spec"]["clusterIP"], "None");
    }

    #[test]
    fn what_the_cluster_made_itself_is_left_out() {
        let owned = json!({"kind": "Pod", "metadata": {"name": "web-abc", "namespace": "default",
            "ownerReferences": [{"kind": "ReplicaSet", "name": "web", "controller": true}]}});
        assert!(generated(&owned));
        assert!(generated(&json!({"kind": "Namespace", "metadata": {"name": "kube-system"}})));
        assert!(generated(&json!({"kind": "ServiceAccount", "metadata": {"name": "default", "namespace": "shop"}})));
        assert!(generated(&json!({"kind": "Endpoints", "metadata": {"name": "web", "namespace": "default"}})));
        assert!(!generated(&json!({"kind": "Pod", "metadata": {"name": "toolbox", "namespace": "default"}})));
        assert!(!generated(&json!({"kind": "Namespace", "metadata": {"name": "shop"}})));
    }
}
