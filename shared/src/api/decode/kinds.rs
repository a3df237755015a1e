//! Which k8s-openapi type each served resource decodes into.
//!
//! The typed round trip is what drops unknown fields and puts the JSON in the
//! form Kubernetes stores; a kind missing here would pass through unchecked.

use super::reader::DeError;
use crate::api::Resource;
use serde::de::{DeserializeOwned, Deserializer};
use serde::Serialize;
use serde_json::Value;

/// Calls `$callback! { (group, version, kind) => Type, … }` with every served kind whose Go type
/// k8s-openapi has, so the decoder here and the agent's OpenAPI schemas share one table.
#[macro_export]
macro_rules! served_k8s_openapi_kinds {
    ($callback:ident) => {
        $callback! {
            ("", "v1", "Namespace") => $crate::k8s_openapi::api::core::v1::Namespace,
            ("", "v1", "Node") => $crate::k8s_openapi::api::core::v1::Node,
            ("", "v1", "Pod") => $crate::k8s_openapi::api::core::v1::Pod,
            ("", "v1", "Service") => $crate::k8s_openapi::api::core::v1::Service,
            ("", "v1", "Endpoints") => $crate::k8s_openapi::api::core::v1::Endpoints,
            ("", "v1", "ConfigMap") => $crate::k8s_openapi::api::core::v1::ConfigMap,
            ("", "v1", "Secret") => $crate::k8s_openapi::api::core::v1::Secret,
            ("", "v1", "PersistentVolume") => $crate::k8s_openapi::api::core::v1::PersistentVolume,
            ("", "v1", "PersistentVolumeClaim") => $crate::k8s_openapi::api::core::v1::PersistentVolumeClaim,
            ("", "v1", "Event") => $crate::k8s_openapi::api::core::v1::Event,
            ("", "v1", "ServiceAccount") => $crate::k8s_openapi::api::core::v1::ServiceAccount,
            ("apps", "v1", "Deployment") => $crate::k8s_openapi::api::apps::v1::Deployment,
            ("apps", "v1", "ReplicaSet") => $crate::k8s_openapi::api::apps::v1::ReplicaSet,
            ("apps", "v1", "ControllerRevision") => $crate::k8s_openapi::api::apps::v1::ControllerRevision,
            ("discovery.k8s.io", "v1", "EndpointSlice") => $crate::k8s_openapi::api::discovery::v1::EndpointSlice,
            ("networking.k8s.io", "v1", "Ingress") => $crate::k8s_openapi::api::networking::v1::Ingress,
            ("networking.k8s.io", "v1", "IngressClass") => $crate::k8s_openapi::api::networking::v1::IngressClass,
            ("storage.k8s.io", "v1", "StorageClass") => $crate::k8s_openapi::api::storage::v1::StorageClass,
            ("autoscaling", "v2", "HorizontalPodAutoscaler") => $crate::k8s_openapi::api::autoscaling::v2::HorizontalPodAutoscaler,
            ("coordination.k8s.io", "v1", "Lease") => $crate::k8s_openapi::api::coordination::v1::Lease,
            ("events.k8s.io", "v1", "Event") => $crate::k8s_openapi::api::events::v1::Event,
        }
    };
}

/// Decodes into the resource's Go-equivalent type and writes it back as JSON;
/// `None` if the resource has no typed form here.
pub(crate) fn round_trip<'de, D>(resource: &Resource, de: D) -> Option<Result<Value, DeError>>
where
    D: Deserializer<'de, Error = DeError>,
{
    macro_rules! decode {
        ($(($group:literal, $version:literal, $kind:literal) => $ty:ty,)*) => {
            match (resource.group, resource.version, resource.kind) {
                $(($group, $version, $kind) => Some(typed::<$ty, D>(de)),)*
                ("metrics.k8s.io", "v1beta1", "PodMetrics") => {
                    Some(typed::<crate::api::metrics::PodMetrics, D>(de))
                }
                ("metrics.k8s.io", "v1beta1", "NodeMetrics") => {
                    Some(typed::<crate::api::metrics::NodeMetrics, D>(de))
                }
                _ => None,
            }
        };
    }
    crate::served_k8s_openapi_kinds!(decode)
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
