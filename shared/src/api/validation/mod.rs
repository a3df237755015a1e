//! Validation of objects before they are stored, as the Kubernetes API server
//! does it: every problem is collected (not just the first) with its field path.
//!
//! Objects are expected to be defaulted first (`api::defaults::apply`), as the
//! API server always defaults before it validates.

pub mod autoscaling;
pub mod config;
pub mod field_error;
pub mod ingress;
pub mod metadata;
pub mod node;
pub mod pod;
pub mod read;
pub mod resources;
pub mod selector;
pub mod service;
pub mod storage;
pub mod workloads;

#[cfg(test)]
mod test_support;

pub use field_error::{FieldError, FieldErrorType, FieldPath};

use crate::api::Resource;
use serde_json::Value;

/// All problems with an object about to be created.
pub fn validate_create(resource: &Resource, obj: &Value) -> Vec<FieldError> {
    match (resource.group, resource.kind) {
        ("", "Pod") => pod::validate_pod(obj),
        ("", "Service") => service::validate_service(obj),
        ("", "Endpoints") => service::validate_endpoints(obj),
        ("", "ConfigMap") => config::validate_config_map(obj),
        ("", "Secret") => config::validate_secret(obj),
        ("", "ServiceAccount") => config::validate_service_account(obj),
        ("", "PersistentVolume") => storage::validate_pv(obj),
        ("", "PersistentVolumeClaim") => storage::validate_pvc(obj),
        ("", "Namespace") => node::validate_namespace(obj),
        ("", "Node") => node::validate_node(obj),
        (_, "Event") => node::validate_event(obj),
        ("apps", "Deployment") => workloads::validate_deployment(obj),
        ("apps", "ReplicaSet") => workloads::validate_replica_set(obj),
        ("apps", "ControllerRevision") => node::validate_controller_revision(obj),
        ("discovery.k8s.io", "EndpointSlice") => service::validate_endpoint_slice(obj),
        ("networking.k8s.io", "Ingress") => ingress::validate_ingress(obj),
        ("networking.k8s.io", "IngressClass") => ingress::validate_ingress_class(obj),
        ("storage.k8s.io", "StorageClass") => storage::validate_storage_class(obj),
        ("autoscaling", "HorizontalPodAutoscaler") => autoscaling::validate_hpa(obj),
        ("coordination.k8s.io", "Lease") => node::validate_lease(obj),
        _ => metadata::validate_object_meta(
            obj,
            resource.namespaced,
            crate::api::names::name_is_dns_subdomain,
        ),
    }
}

/// All problems with replacing `old` by `new`: the create checks plus what
/// may not change after creation.
pub fn validate_update(resource: &Resource, new: &Value, old: &Value) -> Vec<FieldError> {
    match (resource.group, resource.kind) {
        ("", "Pod") => pod::validate_pod_update(new, old),
        ("", "Service") => service::validate_service_update(new, old),
        ("", "ConfigMap") => config::validate_config_map_update(new, old),
        ("", "Secret") => config::validate_secret_update(new, old),
        ("", "PersistentVolume") => storage::validate_pv_update(new, old),
        ("", "PersistentVolumeClaim") => storage::validate_pvc_update(new, old),
        ("", "Namespace") => node::validate_namespace_update(new, old),
        ("", "Node") => node::validate_node_update(new, old),
        ("apps", "Deployment") => workloads::validate_deployment_update(new, old),
        ("apps", "ReplicaSet") => workloads::validate_replica_set_update(new, old),
        ("apps", "ControllerRevision") => {
            let mut errs = metadata::validate_object_meta_update(new, old);
            if new.get("data") != old.get("data") {
                errs.push(FieldError::invalid(
                    "data",
                    new.get("data").cloned().unwrap_or(Value::Null),
                    "field is immutable",
                ));
            }
            errs.extend(node::validate_controller_revision(new));
            errs
        }
        ("networking.k8s.io", "Ingress") => ingress::validate_ingress_update(new, old),
        ("networking.k8s.io", "IngressClass") => ingress::validate_ingress_class_update(new, old),
        ("storage.k8s.io", "StorageClass") => storage::validate_storage_class_update(new, old),
        ("autoscaling", "HorizontalPodAutoscaler") => autoscaling::validate_hpa_update(new, old),
        _ => {
            let mut errs = metadata::validate_object_meta_update(new, old);
            errs.extend(
                validate_create(resource, new)
                    .into_iter()
                    .filter(|e| !e.field.starts_with("metadata.")),
            );
            errs
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::resources::by_kind;
    use serde_json::json;

    #[test]
    fn dispatch_reaches_each_kind() {
        let svc = by_kind("Service").unwrap();
        let errs = validate_create(
            svc,
            &json!({"metadata": {"name": "Bad", "namespace": "default"}, "spec": {}}),
        );
        assert!(errs.iter().any(|e| e.field == "metadata.name"));
        let lease = by_kind("Lease").unwrap();
        assert!(validate_create(
            lease,
            &json!({"metadata": {"name": "n", "namespace": "kube-node-lease"}})
        )
        .is_empty());
    }

    #[test]
    fn generic_update_checks_identity() {
        let sa = by_kind("ServiceAccount").unwrap();
        let old = json!({"metadata": {"name": "a", "namespace": "d"}});
        let new = json!({"metadata": {"name": "b", "namespace": "d"}});
        assert_eq!(validate_update(sa, &new, &old)[0].field, "metadata.name");
    }
}
