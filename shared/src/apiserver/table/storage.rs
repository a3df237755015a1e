//! Tables for storage: PersistentVolumes, PersistentVolumeClaims (`RWO`,
//! `Bound`) and StorageClasses with the `(default)` marker.

use super::descriptions as doc;
use super::duration::since;
use super::fields::{bool_at, list_at, opt_str, quantity, str_at, time};
use super::{Column, Printer, Row, Rows};
use crate::api::meta;
use jiff::Timestamp;
use serde_json::Value;

pub(super) const PERSISTENT_VOLUME: Printer = Printer {
    columns: &[
        Column::name(),
        Column::string("Capacity", doc::PV_CAPACITY),
        Column::string("Access Modes", doc::PV_ACCESSMODES),
        Column::string("Reclaim Policy", doc::PV_RECLAIM),
        Column::string("Status", doc::PV_PHASE),
        Column::string("Claim", doc::PV_CLAIMREF),
        Column::string("StorageClass", "StorageClass of the pv"),
        Column::string("VolumeAttributesClass", "VolumeAttributesClass of the pv"),
        Column::string("Reason", doc::PV_REASON),
        Column::age(),
        Column::string("VolumeMode", doc::PV_VOLUMEMODE).wide(),
    ],
    rows: Rows::Each(persistent_volume_row),
};

pub(super) const PERSISTENT_VOLUME_CLAIM: Printer = Printer {
    columns: &[
        Column::name(),
        Column::string("Status", doc::PVC_PHASE),
        Column::string("Volume", doc::PVC_VOLUMENAME),
        Column::string("Capacity", doc::PVC_CAPACITY),
        Column::string("Access Modes", doc::PVC_ACCESSMODES),
        Column::string("StorageClass", "StorageClass of the pvc"),
        Column::string("VolumeAttributesClass", "VolumeAttributesClass of the pvc"),
        Column::age(),
        Column::string("VolumeMode", doc::PVC_VOLUMEMODE).wide(),
    ],
    rows: Rows::Each(persistent_volume_claim_row),
};

pub(super) const STORAGE_CLASS: Printer = Printer {
    columns: &[
        Column::name(),
        Column::string("Provisioner", doc::SC_PROVISIONER),
        Column::string("ReclaimPolicy", doc::SC_RECLAIMPOLICY),
        Column::string("VolumeBindingMode", doc::SC_VOLUMEBINDINGMODE),
        Column::string("AllowVolumeExpansion", doc::SC_ALLOWVOLUMEEXPANSION),
        Column::age(),
    ],
    rows: Rows::List(storage_class_rows),
};

/// The legacy annotation that still overrides `storageClassName`.
const BETA_STORAGE_CLASS_ANNOTATION: &str = "volume.beta.kubernetes.io/storage-class";
const DEFAULT_CLASS_ANNOTATION: &str = "storageclass.kubernetes.io/is-default-class";
const BETA_DEFAULT_CLASS_ANNOTATION: &str = "storageclass.beta.kubernetes.io/is-default-class";

/// The phase, or `Terminating` once deletion has been requested.
fn phase(obj: &Value) -> &str {
    if meta::is_terminating(obj) {
        "Terminating"
    } else {
        str_at(obj, "/status/phase")
    }
}

/// `RWO,ROX,RWX,RWOP` in that fixed order, each mode once.
fn access_modes(modes: &[Value]) -> String {
    let has = |m: &str| modes.iter().any(|v| v.as_str() == Some(m));
    [
        ("ReadWriteOnce", "RWO"),
        ("ReadOnlyMany", "ROX"),
        ("ReadWriteMany", "RWX"),
        ("ReadWriteOncePod", "RWOP"),
    ]
    .iter()
    .filter(|(mode, _)| has(mode))
    .map(|(_, short)| *short)
    .collect::<Vec<_>>()
    .join(",")
}

/// The class named by the beta annotation, else `spec.storageClassName`.
fn storage_class_name(obj: &Value) -> &str {
    meta::annotation(obj, BETA_STORAGE_CLASS_ANNOTATION)
        .or_else(|| opt_str(obj, "/spec/storageClassName"))
        .unwrap_or("")
}

fn persistent_volume_row(pv: &Value, now: Timestamp) -> Row {
    let claim = match pv.pointer("/spec/claimRef") {
        Some(r) if r.is_object() => format!("{}/{}", str_at(r, "/namespace"), str_at(r, "/name")),
        _ => String::new(),
    };
    Row::new(vec![
        meta::name(pv).into(),
        quantity(pv, "/spec/capacity/storage")
            .unwrap_or_else(|| "0".into())
            .into(),
        access_modes(list_at(pv, "/spec/accessModes")).into(),
        str_at(pv, "/spec/persistentVolumeReclaimPolicy").into(),
        phase(pv).into(),
        claim.into(),
        storage_class_name(pv).into(),
        opt_str(pv, "/spec/volumeAttributesClassName")
            .unwrap_or("<unset>")
            .into(),
        str_at(pv, "/status/reason").into(),
        since(time(pv, "/metadata/creationTimestamp"), now).into(),
        opt_str(pv, "/spec/volumeMode").unwrap_or("<unset>").into(),
    ])
}

fn persistent_volume_claim_row(pvc: &Value, now: Timestamp) -> Row {
    // Capacity and access modes are only shown once the claim names its volume.
    let (capacity, modes) = if str_at(pvc, "/spec/volumeName").is_empty() {
        (String::new(), String::new())
    } else {
        (
            quantity(pvc, "/status/capacity/storage").unwrap_or_else(|| "0".into()),
            access_modes(list_at(pvc, "/status/accessModes")),
        )
    };
    Row::new(vec![
        meta::name(pvc).into(),
        phase(pvc).into(),
        str_at(pvc, "/spec/volumeName").into(),
        capacity.into(),
        modes.into(),
        storage_class_name(pvc).into(),
        opt_str(pvc, "/spec/volumeAttributesClassName")
            .unwrap_or("<unset>")
            .into(),
        since(time(pvc, "/metadata/creationTimestamp"), now).into(),
        opt_str(pvc, "/spec/volumeMode").unwrap_or("<unset>").into(),
    ])
}

fn is_default_class(sc: &Value) -> bool {
    meta::annotation(sc, DEFAULT_CLASS_ANNOTATION) == Some("true")
        || meta::annotation(sc, BETA_DEFAULT_CLASS_ANNOTATION) == Some("true")
}

/// When several classes claim to be the default, Kubernetes marks only the
/// one new PVCs get: the newest, then the first by name.
fn effective_default<'a>(classes: &[&'a Value]) -> Option<&'a str> {
    classes
        .iter()
        .filter(|sc| is_default_class(sc))
        .min_by(|a, b| {
            let created = |sc: &Value| time(sc, "/metadata/creationTimestamp");
            created(b)
                .cmp(&created(a))
                .then_with(|| meta::name(a).cmp(meta::name(b)))
        })
        .map(|sc| meta::name(sc))
}

fn storage_class_rows(classes: &[&Value], now: Timestamp) -> Vec<Row> {
    let default = effective_default(classes);
    classes
        .iter()
        .map(|sc| {
            let name = meta::name(sc);
            let shown = if Some(name) == default {
                format!("{name} (default)")
            } else {
                name.to_string()
            };
            Row::new(vec![
                shown.into(),
                str_at(sc, "/provisioner").into(),
                opt_str(sc, "/reclaimPolicy").unwrap_or("Delete").into(),
                opt_str(sc, "/volumeBindingMode")
                    .unwrap_or("Immediate")
                    .into(),
                bool_at(sc, "/allowVolumeExpansion").into(),
                since(time(sc, "/metadata/creationTimestamp"), now).into(),
            ])
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::super::test_support::*;
    use serde_json::{json, Value};

    #[test]
    fn bound_persistent_volume() {
        let pv = json!({
            "apiVersion": "v1", "kind": "PersistentVolume",
            "metadata": {"name": "pvc-3f1c", "creationTimestamp": ago(3600)},
            "spec": {
                "capacity": {"storage": "1Gi"}, "accessModes": ["ReadWriteMany", "ReadWriteOnce"],
                "persistentVolumeReclaimPolicy": "Delete", "storageClassName": "standard", "volumeMode": "Filesystem",
                "claimRef": {"kind": "PersistentVolumeClaim", "namespace": "default", "name": "data"},
            },
            "status": {"phase": "Bound"},
        });
        assert_eq!(
            cells(&pv),
            json!([
                "pvc-3f1c",
                "1Gi",
                "RWO,RWX",
                "Delete",
                "Bound",
                "default/data",
                "standard",
                "<unset>",
                "",
                "60m",
                "Filesystem"
            ])
        );
        let h = headers(&pv);
        assert_eq!(h.len(), 11);
        assert_eq!(h[10], ("VolumeMode".to_string(), "string".to_string(), 1));
        assert!(h[..10].iter().all(|(_, _, p)| *p == 0));
    }

    #[test]
    fn released_volume_being_deleted_is_terminating() {
        let pv = json!({"apiVersion": "v1", "kind": "PersistentVolume",
                        "metadata": {"name": "old", "deletionTimestamp": ago(1), "annotations": {"volume.beta.kubernetes.io/storage-class": "legacy"}},
                        "spec": {"storageClassName": "standard"}, "status": {"phase": "Released", "reason": "Reclaiming"}});
        let c = cells(&pv);
        assert_eq!(c[1], "0");
        assert_eq!(c[4], "Terminating");
        assert_eq!(c[5], "");
        assert_eq!(c[6], "legacy");
        assert_eq!(c[8], "Reclaiming");
    }

    fn pvc(spec: Value, status: Value) -> Value {
        json!({"apiVersion": "v1", "kind": "PersistentVolumeClaim",
               "metadata": {"name": "data", "namespace": "default", "creationTimestamp": ago(125)},
               "spec": spec, "status": status})
    }

    #[test]
    fn bound_and_pending_claims() {
        let bound = pvc(
            json!({"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "1Gi"}},
                   "storageClassName": "standard", "volumeName": "pvc-3f1c", "volumeMode": "Filesystem"}),
            json!({"phase": "Bound", "accessModes": ["ReadWriteOnce"], "capacity": {"storage": "1Gi"}}),
        );
        assert_eq!(
            cells(&bound),
            json!([
                "data",
                "Bound",
                "pvc-3f1c",
                "1Gi",
                "RWO",
                "standard",
                "<unset>",
                "2m5s",
                "Filesystem"
            ])
        );
        let pending = pvc(
            json!({"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "1Gi"}}, "storageClassName": "fast"}),
            json!({"phase": "Pending"}),
        );
        assert_eq!(
            cells(&pending),
            json!(["data", "Pending", "", "", "", "fast", "<unset>", "2m5s", "<unset>"])
        );
    }

    fn class(name: &str, created: i64, default: bool) -> Value {
        let mut sc = json!({"apiVersion": "storage.k8s.io/v1", "kind": "StorageClass",
                            "metadata": {"name": name, "creationTimestamp": ago(created)},
                            "provisioner": "rancher.io/local-path"});
        if default {
            sc["metadata"]["annotations"] =
                json!({"storageclass.kubernetes.io/is-default-class": "true"});
        }
        sc
    }

    #[test]
    fn storage_class_defaults_and_marker() {
        let sc = class("standard", 86400 * 10, true);
        assert_eq!(
            cells(&sc),
            json!([
                "standard (default)",
                "rancher.io/local-path",
                "Delete",
                "Immediate",
                false,
                "10d"
            ])
        );
        let mut fast = class("fast", 60, false);
        fast["reclaimPolicy"] = json!("Retain");
        fast["volumeBindingMode"] = json!("WaitForFirstConsumer");
        fast["allowVolumeExpansion"] = json!(true);
        assert_eq!(
            cells(&fast),
            json!([
                "fast",
                "rancher.io/local-path",
                "Retain",
                "WaitForFirstConsumer",
                true,
                "60s"
            ])
        );
    }

    #[test]
    fn only_the_newest_default_class_is_marked() {
        let (old, new, twin) = (
            class("old", 3600, true),
            class("new", 60, true),
            class("a-twin", 60, true),
        );
        let t = table_of(&[&old, &new, &twin]);
        let names: Vec<_> = t["rows"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["cells"][0].clone())
            .collect();
        assert_eq!(
            names,
            vec![json!("old"), json!("new"), json!("a-twin (default)")]
        );
    }
}
