//! Defaulting: the fields the API server fills in when a client leaves them
//! out, so objects read back as `kubectl get -o yaml` shows them on a real cluster.
//!
//! Defaults edit the JSON in place and only ever add what is missing, so
//! fields Kubeplay does not model are kept. Cluster IP and NodePort allocation
//! are not defaults: the request layer allocates them.

pub mod autoscaling;
pub mod config;
pub mod namespace;
pub mod pod;
pub mod quantities;
pub mod service;
pub mod storage;
pub mod workloads;

use crate::api::Resource;
use serde_json::{Map, Value};

/// Fills in every default Kubernetes 1.35 applies to an object of this kind
/// on create (field defaults plus the admission defaults a cluster shows).
pub fn apply(resource: &Resource, obj: &mut Value) {
    if !obj.is_object() {
        return;
    }
    match (resource.group, resource.kind) {
        ("", "Pod") => pod::apply_pod(obj),
        ("", "Service") => service::apply_service(obj),
        ("", "Endpoints") => service::apply_endpoints(obj),
        ("", "Secret") => config::apply_secret(obj),
        ("", "PersistentVolume") => storage::apply_pv(obj),
        ("", "PersistentVolumeClaim") => storage::apply_pvc(obj),
        ("", "Namespace") => namespace::apply_namespace(obj),
        ("", "Node") => namespace::apply_node(obj),
        ("apps", "Deployment") => workloads::apply_deployment(obj),
        ("apps", "ReplicaSet") => workloads::apply_replica_set(obj),
        ("discovery.k8s.io", "EndpointSlice") => service::apply_endpoint_slice(obj),
        ("storage.k8s.io", "StorageClass") => storage::apply_storage_class(obj),
        ("autoscaling", "HorizontalPodAutoscaler") => autoscaling::apply_hpa(obj),
        _ => {}
    }
    quantities::canonicalize(resource, obj);
}

/// Sets `key` when it is absent or null; returns the (possibly existing) value.
pub(crate) fn default_field<'a>(obj: &'a mut Value, key: &str, value: Value) -> &'a mut Value {
    if !obj.is_object() {
        *obj = Value::Object(Map::new());
    }
    let Value::Object(map) = obj else {
        unreachable!("made an object above")
    };
    let slot = map.entry(key.to_string()).or_insert(Value::Null);
    if slot.is_null() {
        *slot = value;
    }
    slot
}

/// The object under `key`, created empty when absent.
pub(crate) fn child<'a>(obj: &'a mut Value, key: &str) -> &'a mut Value {
    default_field(obj, key, Value::Object(Map::new()))
}

/// Calls `f` on each element of the list under `key`, if any.
pub(crate) fn each(obj: &mut Value, key: &str, mut f: impl FnMut(&mut Value)) {
    if let Some(items) = obj.get_mut(key).and_then(Value::as_array_mut) {
        items.iter_mut().for_each(&mut f);
    }
}
