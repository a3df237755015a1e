//! Which k8s-openapi type each served resource decodes into.
//!
//! The typed round trip is what drops unknown fields and puts the JSON in the
//! form Kubernetes stores; a kind missing here would pass through unchecked.

use super::reader::DeError;
use crate::api::Resource;
use k8s_openapi::api;
use serde::de::{DeserializeOwned, Deserializer};
use serde::Serialize;
use serde_json::Value;

/// Decodes into the resource's Go-equivalent type and writes it back as JSON;
/// `None` if the resource has no typed form here.
pub(crate) fn round_trip<'de, D>(resource: &Resource, de: D) -> Option<Result<Value, DeError>>
where
    D: Deserializer<'de, Error = DeError>,
{
    macro_rules! kinds {
        ($(($group:literal, $version:literal, $kind:literal) => $ty:ty,)*) => {
            match (resource.group, resource.version, resource.kind) {
                $(($group, $version, $kind) => Some(typed::<$ty, D>(de)),)*
                _ => None,
            }
        };
    }
    kinds! {
        ("", "v1", "Namespace") => api::core::v1::Namespace,
        ("", "v1", "Node") => api::core::v1::Node,
        ("", "v1", "Pod") => api::core::v1::Pod,
        ("", "v1", "Service") => api::core::v1::Service,
        ("", "v1", "Endpoints") => api::core::v1::Endpoints,
        ("", "v1", "ConfigMap") => api::core::v1::ConfigMap,
        ("", "v1", "Secret") => api::core::v1::Secret,
        ("", "v1", "PersistentVolume") => api::core::v1::PersistentVolume,
        ("", "v1", "PersistentVolumeClaim") => api::core::v1::PersistentVolumeClaim,
        ("", "v1", "Event") => api::core::v1::Event,
        ("", "v1", "ServiceAccount") => api::core::v1::ServiceAccount,
        ("apps", "v1", "Deployment") => api::apps::v1::Deployment,
        ("apps", "v1", "ReplicaSet") => api::apps::v1::ReplicaSet,
        ("apps", "v1", "ControllerRevision") => api::apps::v1::ControllerRevision,
        ("discovery.k8s.io", "v1", "EndpointSlice") => api::discovery::v1::EndpointSlice,
        ("networking.k8s.io", "v1", "Ingress") => api::networking::v1::Ingress,
        ("networking.k8s.io", "v1", "IngressClass") => api::networking::v1::IngressClass,
        ("storage.k8s.io", "v1", "StorageClass") => api::storage::v1::StorageClass,
        ("autoscaling", "v2", "HorizontalPodAutoscaler") => api::autoscaling::v2::HorizontalPodAutoscaler,
        ("coordination.k8s.io", "v1", "Lease") => api::coordination::v1::Lease,
        ("events.k8s.io", "v1", "Event") => api::events::v1::Event,
        ("metrics.k8s.io", "v1beta1", "PodMetrics") => crate::api::metrics::PodMetrics,
        ("metrics.k8s.io", "v1beta1", "NodeMetrics") => crate::api::metrics::NodeMetrics,
    }
}

fn typed<'de, T, D>(de: D) -> Result<Value, DeError>
where
    T: DeserializeOwned + Serialize,
    D: Deserializer<'de, Error = DeError>,
{
    let object = T::deserialize(de)?;
    serde_json::to_value(&object).map_err(|e| DeError::message(e.to_string()))
}

/// The package of Kubernetes' internal type for a group, as conversion errors
/// name it (`core.Pod`, `apps.Deployment`); events.k8s.io shares core's Event.
pub(crate) fn internal_package(group: &str) -> &str {
    match group {
        "" | "events.k8s.io" => "core",
        other => other.split('.').next().unwrap_or(other),
    }
}
