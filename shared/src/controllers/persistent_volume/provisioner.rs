//! Kubeplay's own dynamic provisioner (`kubeplay.dev/hostpath`) and the default
//! StorageClass that uses it, so claims without a class get a volume as on kind or minikube.

use crate::apiserver::format_time;
use jiff::Timestamp;
use serde_json::{json, Value};

/// The provisioner name of the built-in class.
pub const PROVISIONER: &str = "kubeplay.dev/hostpath";
/// The class every cluster starts with.
pub const DEFAULT_CLASS: &str = "standard";
/// Marks a StorageClass as the one claims without a class get.
pub const IS_DEFAULT_CLASS: &str = "storageclass.kubernetes.io/is-default-class";
/// Where provisioned volumes live on a node.
const VOLUME_ROOT: &str = "/var/lib/kubeplay/volumes";

/// The `standard` StorageClass.
pub fn default_storage_class() -> Value {
    json!({
        "apiVersion": "storage.k8s.io/v1", "kind": "StorageClass",
        "metadata": {"name": DEFAULT_CLASS, "annotations": {IS_DEFAULT_CLASS: "true"}},
        "provisioner": PROVISIONER,
        "reclaimPolicy": "Delete",
        "volumeBindingMode": "Immediate",
    })
}

pub fn is_default_class(class: &Value) -> bool {
    class
        .pointer(&format!(
            "/metadata/annotations/{}",
            IS_DEFAULT_CLASS.replace('/', "~1")
        ))
        .and_then(Value::as_str)
        == Some("true")
}

/// The name Kubernetes' provisioners give a claim's volume.
pub fn volume_name(claim_uid: &str) -> String {
    format!("pvc-{claim_uid}")
}

/// A new PersistentVolume for `claim` from `class`, already pointing at the claim.
pub fn provision(claim: &Value, class: &Value, now: Timestamp) -> Value {
    let uid = claim
        .pointer("/metadata/uid")
        .and_then(Value::as_str)
        .unwrap_or("");
    let name = volume_name(uid);
    let spec = &claim["spec"];
    let reclaim = class
        .get("reclaimPolicy")
        .and_then(Value::as_str)
        .unwrap_or("Delete");
    let mut pv = json!({
        "apiVersion": "v1", "kind": "PersistentVolume",
        "metadata": {"name": name, "annotations": {"pv.kubernetes.io/provisioned-by": PROVISIONER}},
        "spec": {
            "accessModes": spec["accessModes"],
            "capacity": {"storage": spec.pointer("/resources/requests/storage").cloned().unwrap_or(Value::Null)},
            "claimRef": super::binder::claim_ref(claim),
            "hostPath": {"path": format!("{VOLUME_ROOT}/{name}"), "type": "DirectoryOrCreate"},
            "persistentVolumeReclaimPolicy": reclaim,
            "storageClassName": class.pointer("/metadata/name").cloned().unwrap_or(Value::Null),
            "volumeMode": spec.get("volumeMode").cloned().unwrap_or(json!("Filesystem")),
        },
        "status": {"phase": "Pending", "lastPhaseTransitionTime": format_time(now)},
    });
    if let Some(options) = class.get("mountOptions") {
        pv["spec"]["mountOptions"] = options.clone();
    }
    pv
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_provisioned_volume_has_the_claims_size_modes_and_the_class_policy() {
        let claim = json!({"metadata": {"name": "data", "namespace": "default", "uid": "1234", "resourceVersion": "7"},
            "spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "1Gi"}}, "volumeMode": "Filesystem"}});
        let pv = provision(
            &claim,
            &default_storage_class(),
            "2026-01-01T00:00:00Z".parse().unwrap(),
        );
        assert_eq!(pv["metadata"]["name"], "pvc-1234");
        assert_eq!(pv["spec"]["capacity"]["storage"], "1Gi");
        assert_eq!(pv["spec"]["accessModes"], json!(["ReadWriteOnce"]));
        assert_eq!(pv["spec"]["persistentVolumeReclaimPolicy"], "Delete");
        assert_eq!(pv["spec"]["storageClassName"], "standard");
        assert_eq!(pv["spec"]["claimRef"]["uid"], "1234");
        assert!(is_default_class(&default_storage_class()));
    }
}
