//! The `scale` subresource: an `autoscaling/v1 Scale` view of a workload's
//! replica count, which `kubectl scale` and the HPA read and write.

use super::patch::{self, PatchType};
use super::{ApiError, ApiServer, WriteOptions};
use crate::api::resources::Resource;
use crate::store::selector::LabelSelector;
use jiff::Timestamp;
use serde_json::{json, Value};
use std::sync::Arc;

/// The Scale object for a Deployment or ReplicaSet.
pub fn to_scale(obj: &Value) -> Value {
    let m = &obj["metadata"];
    let selector = obj
        .pointer("/spec/selector")
        .and_then(|s| LabelSelector::from_label_selector_json(s).ok())
        .map(|s| s.to_string())
        .unwrap_or_default();
    json!({
        "kind": "Scale",
        "apiVersion": "autoscaling/v1",
        "metadata": {
            "name": m["name"], "namespace": m["namespace"], "uid": m["uid"],
            "resourceVersion": m["resourceVersion"], "creationTimestamp": m["creationTimestamp"],
        },
        "spec": {"replicas": obj.pointer("/spec/replicas").cloned().unwrap_or(json!(1))},
        "status": {"replicas": obj.pointer("/status/replicas").cloned().unwrap_or(json!(0)), "selector": selector},
    })
}

pub fn get(api: &ApiServer, resource: &'static Resource, namespace: &str, name: &str) -> Result<Value, ApiError> {
    Ok(to_scale(api.get(resource, namespace, name)?))
}

/// Writes `spec.replicas` from a Scale body, honouring its resourceVersion.
pub fn update(api: &mut ApiServer, resource: &'static Resource, namespace: &str, name: &str, scale: &Value, now: Timestamp, opts: WriteOptions) -> Result<Value, ApiError> {
    let replicas = scale.pointer("/spec/replicas").and_then(Value::as_i64).unwrap_or(0);
    if replicas < 0 {
        return Err(ApiError::invalid(
            "autoscaling",
            "Scale",
            name,
            vec![crate::api::validation::FieldError::invalid("spec.replicas", replicas, "must be greater than or equal to 0")],
        ));
    }
    let mut obj = (**api.get(resource, namespace, name)?).clone();
    obj["spec"]["replicas"] = json!(replicas);
    match scale.pointer("/metadata/resourceVersion").and_then(Value::as_str) {
        Some(rv) if !rv.is_empty() => obj["metadata"]["resourceVersion"] = json!(rv),
        _ => {
            if let Some(m) = obj["metadata"].as_object_mut() {
                m.remove("resourceVersion");
            }
        }
    }
    let stored = api.update(resource, namespace, name, obj, None, now, opts)?;
    Ok(to_scale(&stored))
}

#[allow(clippy::too_many_arguments)]
pub fn patch(
    api: &mut ApiServer,
    resource: &'static Resource,
    namespace: &str,
    name: &str,
    patch_type: PatchType,
    body: &[u8],
    now: Timestamp,
    opts: WriteOptions,
) -> Result<Arc<Value>, ApiError> {
    let current = get(api, resource, namespace, name)?;
    let patched = patch::apply_patch("Scale", &current, patch_type, body)?;
    let scale = update(api, resource, namespace, name, &patched, now, opts)?;
    Ok(Arc::new(scale))
}
