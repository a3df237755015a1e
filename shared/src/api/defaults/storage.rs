//! Storage defaults: claim and volume modes, reclaim policies, initial
//! phases, and StorageClass binding mode.

use super::{child, default_field};
use serde_json::{json, Value};

pub fn apply_pvc(pvc: &mut Value) {
    default_field(child(pvc, "spec"), "volumeMode", json!("Filesystem"));
    default_field(child(pvc, "status"), "phase", json!("Pending"));
}

pub fn apply_pv(pv: &mut Value) {
    let spec = child(pv, "spec");
    default_field(spec, "persistentVolumeReclaimPolicy", json!("Retain"));
    default_field(spec, "volumeMode", json!("Filesystem"));
    if let Some(hp) = spec.get_mut("hostPath").filter(|v| v.is_object()) {
        default_field(hp, "type", json!(""));
    }
    default_field(child(pv, "status"), "phase", json!("Pending"));
}

pub fn apply_storage_class(sc: &mut Value) {
    default_field(sc, "reclaimPolicy", json!("Delete"));
    default_field(sc, "volumeBindingMode", json!("Immediate"));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seed_claim_reads_back_like_a_cluster() {
        let mut pvc = json!({"spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "10Gi"}}}});
        apply_pvc(&mut pvc);
        assert_eq!(pvc["spec"]["volumeMode"], "Filesystem");
        assert_eq!(pvc["status"], json!({"phase": "Pending"}));
    }

    #[test]
    fn volumes_and_classes() {
        let mut pv = json!({"spec": {"hostPath": {"path": "/data"}}});
        apply_pv(&mut pv);
        assert_eq!(pv["spec"]["persistentVolumeReclaimPolicy"], "Retain");
        assert_eq!(pv["spec"]["hostPath"]["type"], "");
        let mut sc = json!({"provisioner": "x.io/p"});
        apply_storage_class(&mut sc);
        assert_eq!(sc["reclaimPolicy"], "Delete");
        assert_eq!(sc["volumeBindingMode"], "Immediate");
    }
}
