//! What the API server does to an object between decoding and storing it:
//! the identity and bookkeeping fields a client may not set, and the initial
//! status a new object starts with.

use crate::api::meta;
use crate::api::Resource;
use crate::rng::Rng;
use jiff::Timestamp;
use serde_json::{json, Map, Value};

/// Kinds whose `metadata.generation` tracks spec changes, so controllers can
/// report `observedGeneration` (Kubernetes sets it in those kinds' strategies).
pub fn tracks_generation(resource: &Resource) -> bool {
    matches!(
        resource.kind,
        "Deployment" | "ReplicaSet" | "Pod" | "Ingress" | "HorizontalPodAutoscaler" | "EndpointSlice" | "IngressClass"
    )
}

/// Kubernetes' RFC 3339 form with second precision (`2024-05-01T12:00:00Z`).
pub fn format_time(t: Timestamp) -> String {
    t.strftime("%Y-%m-%dT%H:%M:%SZ").to_string()
}

fn metadata_mut(obj: &mut Value) -> &mut Map<String, Value> {
    if !obj.get("metadata").is_some_and(Value::is_object) {
        obj["metadata"] = json!({});
    }
    match obj.get_mut("metadata").and_then(Value::as_object_mut) {
        Some(m) => m,
        None => unreachable!("metadata was just made an object"),
    }
}

/// Fills the server-owned metadata of a new object and resolves `generateName`.
pub fn stamp_new(resource: &Resource, obj: &mut Value, rng: &mut Rng, now: Timestamp) {
    let meta = metadata_mut(obj);
    let has_name = meta.get("name").and_then(Value::as_str).is_some_and(|n| !n.is_empty());
    if !has_name {
        if let Some(prefix) = meta.get("generateName").and_then(Value::as_str).filter(|p| !p.is_empty()) {
            let name = format!("{prefix}{}", rng.name_suffix(5));
            meta.insert("name".into(), Value::String(name));
        }
    }
    meta.insert("uid".into(), Value::String(rng.uuid()));
    meta.insert("creationTimestamp".into(), Value::String(format_time(now)));
    for server_owned in ["deletionTimestamp", "deletionGracePeriodSeconds", "selfLink", "managedFields"] {
        meta.remove(server_owned);
    }
    if tracks_generation(resource) {
        meta.insert("generation".into(), json!(1));
    } else {
        meta.remove("generation");
    }
    if resource.kind == "Namespace" {
        // Namespaces are born with the finalizer the namespace controller removes
        // once it has emptied them.
        obj["spec"] = json!({"finalizers": ["kubernetes"]});
    }
    reset_status(resource, obj);
}

/// Carries over what an update may not change, and bumps `generation` when
/// anything outside metadata and status changed.
pub fn carry_over(resource: &Resource, new: &mut Value, old: &Value) {
    let old_meta = old.get("metadata").cloned().unwrap_or_else(|| json!({}));
    let meta = metadata_mut(new);
    for kept in ["uid", "creationTimestamp", "deletionTimestamp", "deletionGracePeriodSeconds", "generation"] {
        match old_meta.get(kept) {
            Some(v) => meta.insert(kept.into(), v.clone()),
            None => meta.remove(kept),
        };
    }
    meta.remove("selfLink");
    if resource.has_subresource("status") {
        match old.get("status") {
            Some(s) => new["status"] = s.clone(),
            None => {
                if let Some(m) = new.as_object_mut() {
                    m.remove("status");
                }
            }
        }
    }
    if tracks_generation(resource) && spec_changed(new, old) {
        let g = old_meta.get("generation").and_then(Value::as_i64).unwrap_or(0) + 1;
        metadata_mut(new).insert("generation".into(), json!(g));
    }
}

/// Whether anything but `metadata` and `status` differs.
fn spec_changed(new: &Value, old: &Value) -> bool {
    let strip = |v: &Value| -> Map<String, Value> {
        v.as_object()
            .map(|m| m.iter().filter(|(k, _)| *k != "metadata" && *k != "status").map(|(k, v)| (k.clone(), v.clone())).collect())
            .unwrap_or_default()
    };
    strip(new) != strip(old)
}

/// Equal but for the resourceVersion: such an update writes nothing, as in Kubernetes.
pub fn is_noop(new: &Value, old: &Value) -> bool {
    let mut a = new.clone();
    let mut b = old.clone();
    for v in [&mut a, &mut b] {
        if let Some(m) = v.get_mut("metadata").and_then(Value::as_object_mut) {
            m.remove("resourceVersion");
        }
    }
    a == b
}

/// New objects start with the status Kubernetes gives them, whatever the client sent.
fn reset_status(resource: &Resource, obj: &mut Value) {
    let status = match resource.kind {
        "Pod" => json!({"phase": "Pending", "qosClass": qos_class(obj)}),
        "Namespace" => json!({"phase": "Active"}),
        "Service" | "Ingress" => json!({"loadBalancer": {}}),
        "PersistentVolumeClaim" | "PersistentVolume" => json!({"phase": "Pending"}),
        "Deployment" | "ReplicaSet" | "HorizontalPodAutoscaler" | "Node" => json!({}),
        _ => return,
    };
    obj["status"] = status;
}

/// The pod's QoS class from its containers' requests and limits.
pub fn qos_class(pod: &Value) -> &'static str {
    let spec = pod.get("spec");
    let containers = ["containers", "initContainers"]
        .iter()
        .filter_map(|f| spec.and_then(|s| s.get(*f)).and_then(Value::as_array))
        .flatten();
    let mut any = false;
    let mut guaranteed = true;
    for c in containers {
        let requests = c.pointer("/resources/requests").and_then(Value::as_object);
        let limits = c.pointer("/resources/limits").and_then(Value::as_object);
        for res in ["cpu", "memory"] {
            let req = requests.and_then(|r| r.get(res));
            let lim = limits.and_then(|l| l.get(res));
            any |= req.is_some() || lim.is_some();
            // Requests default to limits, so a limit alone still counts as equal.
            match (req, lim) {
                (Some(r), Some(l)) if r == l => {}
                (None, Some(_)) => {}
                _ => guaranteed = false,
            }
        }
    }
    match (any, guaranteed) {
        (false, _) => "BestEffort",
        (true, true) => "Guaranteed",
        (true, false) => "Burstable",
    }
}

/// The key fields of an object as the store addresses it.
pub fn name_of(obj: &Value) -> String {
    meta::name(obj).to_string()
}

/// DefaultStorageClass admission: a claim that names no class gets the
/// cluster's default one (the newest, if several are marked default).
pub fn default_storage_class(store: &crate::store::Store, claim: &mut Value) {
    if claim.pointer("/spec/storageClassName").is_some_and(|c| !c.is_null()) {
        return;
    }
    let Some(classes) = crate::api::resources::by_plural("storage.k8s.io", "v1", "storageclasses") else {
        return;
    };
    let default = store
        .list(classes.into(), None)
        .map(|(_, sc)| sc)
        .filter(|sc| meta::annotation(sc, "storageclass.kubernetes.io/is-default-class") == Some("true"))
        .max_by(|a, b| {
            let created = |o: &Value| o.pointer("/metadata/creationTimestamp").and_then(Value::as_str).unwrap_or("").to_string();
            created(a).cmp(&created(b)).then_with(|| meta::name(a).cmp(meta::name(b)))
        });
    if let (Some(sc), Some(spec)) = (default, claim.get_mut("spec").and_then(Value::as_object_mut)) {
        spec.insert("storageClassName".into(), json!(meta::name(sc)));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn qos_classes_follow_requests_and_limits() {
        let pod = |res: Value| json!({"spec": {"containers": [{"name": "a", "resources": res}]}});
        assert_eq!(qos_class(&pod(json!({}))), "BestEffort");
        assert_eq!(
            qos_class(&pod(json!({"requests": {"cpu": "100m", "memory": "128Mi"}, "limits": {"cpu": "500m", "memory": "256Mi"}}))),
            "Burstable"
        );
        assert_eq!(qos_class(&pod(json!({"limits": {"cpu": "1", "memory": "1Gi"}}))), "Guaranteed");
    }

    #[test]
    fn generation_moves_only_with_spec() {
        let d = crate::api::resources::by_kind("Deployment").unwrap();
        let old = json!({"metadata": {"name": "a", "generation": 3, "uid": "u"}, "spec": {"replicas": 1}});
        let mut relabelled = json!({"metadata": {"name": "a", "labels": {"x": "y"}}, "spec": {"replicas": 1}});
        carry_over(d, &mut relabelled, &old);
        assert_eq!(relabelled["metadata"]["generation"], 3);
        assert_eq!(relabelled["metadata"]["uid"], "u");
        let mut scaled = json!({"metadata": {"name": "a"}, "spec": {"replicas": 5}});
        carry_over(d, &mut scaled, &old);
        assert_eq!(scaled["metadata"]["generation"], 4);
    }

    #[test]
    fn times_have_second_precision() {
        let t: Timestamp = "2024-05-01T12:00:00.750Z".parse().unwrap();
        assert_eq!(format_time(t), "2024-05-01T12:00:00Z");
    }
}
