//! PersistentVolumeClaim, PersistentVolume and StorageClass validation,
//! including the claim's mostly-immutable spec.

use super::metadata::{validate_object_meta, validate_object_meta_update};
use super::read::{arr_at, obj_at, str_at, string_at};
use super::resources::parse_quantity;
use super::{FieldError, FieldPath};
use crate::api::names;
use serde_json::Value;

const ACCESS_MODES: [&str; 4] = [
    "ReadOnlyMany",
    "ReadWriteMany",
    "ReadWriteOnce",
    "ReadWriteOncePod",
];
const VOLUME_MODES: [&str; 2] = ["Block", "Filesystem"];

fn validate_access_modes(spec: &Value, path: &FieldPath) -> Vec<FieldError> {
    let mut errs = Vec::new();
    let modes: Vec<&str> = arr_at(spec, "accessModes")
        .iter()
        .filter_map(Value::as_str)
        .collect();
    if modes.is_empty() {
        errs.push(FieldError::required(
            path.child("accessModes"),
            "at least 1 access mode is required",
        ));
    }
    for m in &modes {
        if !ACCESS_MODES.contains(m) {
            errs.push(FieldError::not_supported(
                path.child("accessModes"),
                *m,
                &ACCESS_MODES,
            ));
        }
    }
    if modes.contains(&"ReadWriteOncePod")
        && modes
            .iter()
            .any(|m| *m != "ReadWriteOncePod" && ACCESS_MODES.contains(m))
    {
        errs.push(FieldError::forbidden(
            path.child("accessModes"),
            "may not use ReadWriteOncePod with other access modes",
        ));
    }
    errs
}

fn validate_volume_mode(spec: &Value, path: &FieldPath) -> Vec<FieldError> {
    match str_at(spec, "volumeMode") {
        Some(m) if !VOLUME_MODES.contains(&m) => vec![FieldError::not_supported(
            path.child("volumeMode"),
            m,
            &VOLUME_MODES,
        )],
        _ => Vec::new(),
    }
}

pub fn validate_pvc(pvc: &Value) -> Vec<FieldError> {
    let mut errs = validate_object_meta(pvc, true, names::name_is_dns_subdomain);
    let spec = pvc.get("spec").unwrap_or(&Value::Null);
    let path = FieldPath::root("spec");
    errs.extend(validate_access_modes(spec, &path));
    if let Some(sel) = spec.get("selector").filter(|v| !v.is_null()) {
        errs.extend(super::selector::validate_label_selector(
            sel,
            &path.child("selector"),
        ));
    }
    let storage_path = path.child("resources").key("storage");
    match spec.pointer("/resources/requests/storage") {
        None => errs.push(FieldError::required(&storage_path, "")),
        Some(v) => match parse_quantity(v, &storage_path) {
            Err(e) => errs.push(e),
            Ok(q) if q.sign() <= 0 => errs.push(FieldError::invalid(
                &storage_path,
                q.canonical(),
                "must be greater than zero",
            )),
            Ok(_) => {}
        },
    }
    if let Some(class) = str_at(spec, "storageClassName").filter(|c| !c.is_empty()) {
        for msg in names::name_is_dns_subdomain(class, false) {
            errs.push(FieldError::invalid(
                path.child("storageClassName"),
                class,
                msg,
            ));
        }
    }
    errs.extend(validate_volume_mode(spec, &path));
    errs
}

/// A claim's spec is immutable except `resources.requests` (which may only
/// grow) and a first `volumeName`.
pub fn validate_pvc_update(new: &Value, old: &Value) -> Vec<FieldError> {
    let mut errs = validate_object_meta_update(new, old);
    errs.extend(validate_pvc(new));
    let null = Value::Null;
    let (ns, os) = (
        new.get("spec").unwrap_or(&null),
        old.get("spec").unwrap_or(&null),
    );
    let mut n = ns.clone();
    let mut o = os.clone();
    if string_at(os, "volumeName").is_empty() {
        if let (Some(om), Some(v)) = (o.as_object_mut(), ns.get("volumeName")) {
            om.insert("volumeName".into(), v.clone());
        }
    }
    for spec in [&mut n, &mut o] {
        if let Some(res) = spec.get_mut("resources").and_then(Value::as_object_mut) {
            res.remove("requests");
            if res.is_empty() {
                if let Some(m) = spec.as_object_mut() {
                    m.remove("resources");
                }
            }
        }
    }
    if n != o {
        errs.push(FieldError::forbidden(
            "spec",
            "spec is immutable after creation except resources.requests and volumeAttributesClassName for bound claims",
        ));
    }
    let size = |s: &Value| {
        s.pointer("/resources/requests/storage")
            .and_then(|v| parse_quantity(v, &FieldPath::root("")).ok())
    };
    if let (Some(new_size), Some(old_size)) = (size(ns), size(os)) {
        if new_size < old_size {
            errs.push(FieldError::forbidden(
                "spec.resources.requests.storage",
                "field can not be less than previous value",
            ));
        }
    }
    errs
}

pub fn validate_pv(pv: &Value) -> Vec<FieldError> {
    let mut errs = validate_object_meta(pv, false, names::name_is_dns_subdomain);
    let spec = pv.get("spec").unwrap_or(&Value::Null);
    let path = FieldPath::root("spec");
    errs.extend(validate_access_modes(spec, &path));
    match obj_at(spec, "capacity") {
        None => errs.push(FieldError::required(path.child("capacity"), "")),
        Some(cap) => {
            if !cap.contains_key("storage") || cap.len() > 1 {
                errs.push(FieldError::not_supported(
                    path.child("capacity"),
                    cap.keys().cloned().collect::<Vec<_>>().join(","),
                    &["storage"],
                ));
            }
            for (k, v) in cap {
                let p = path.child("capacity").key(k);
                match parse_quantity(v, &p) {
                    Err(e) => errs.push(e),
                    Ok(q) if q.sign() <= 0 => errs.push(FieldError::invalid(
                        &p,
                        q.canonical(),
                        "must be greater than zero",
                    )),
                    Ok(_) => {}
                }
            }
        }
    }
    let policy = string_at(spec, "persistentVolumeReclaimPolicy");
    if !policy.is_empty() && !["Delete", "Recycle", "Retain"].contains(&policy) {
        errs.push(FieldError::not_supported(
            path.child("persistentVolumeReclaimPolicy"),
            policy,
            &["Delete", "Recycle", "Retain"],
        ));
    }
    const SOURCES: [&str; 8] = [
        "hostPath", "local", "nfs", "csi", "iscsi", "fc", "rbd", "cephfs",
    ];
    let count = SOURCES
        .iter()
        .filter(|s| spec.get(**s).is_some_and(|v| !v.is_null()))
        .count();
    if count == 0 {
        errs.push(FieldError::required(&path, "must specify a volume type"));
    }
    if let Some(hp) = spec.get("hostPath").filter(|v| !v.is_null()) {
        if string_at(hp, "path").is_empty() {
            errs.push(FieldError::required(
                path.child("hostPath").child("path"),
                "",
            ));
        }
    }
    errs.extend(validate_volume_mode(spec, &path));
    errs
}

pub fn validate_pv_update(new: &Value, old: &Value) -> Vec<FieldError> {
    let mut errs = validate_object_meta_update(new, old);
    errs.extend(validate_pv(new));
    if new.pointer("/spec/volumeMode") != old.pointer("/spec/volumeMode") {
        let v = new
            .pointer("/spec/volumeMode")
            .cloned()
            .unwrap_or(Value::Null);
        errs.push(FieldError::invalid("volumeMode", v, "field is immutable"));
    }
    errs
}

pub fn validate_storage_class(sc: &Value) -> Vec<FieldError> {
    let mut errs = validate_object_meta(sc, false, names::name_is_dns_subdomain);
    let provisioner = string_at(sc, "provisioner");
    if provisioner.is_empty() {
        errs.push(FieldError::required("provisioner", ""));
    } else {
        for msg in names::is_qualified_name(&provisioner.to_lowercase()) {
            errs.push(FieldError::invalid("provisioner", provisioner, msg));
        }
    }
    let policy = string_at(sc, "reclaimPolicy");
    if !policy.is_empty() && policy != "Delete" && policy != "Retain" {
        errs.push(FieldError::not_supported(
            "reclaimPolicy",
            policy,
            &["Delete", "Retain"],
        ));
    }
    let binding = string_at(sc, "volumeBindingMode");
    if binding.is_empty() {
        errs.push(FieldError::required("volumeBindingMode", ""));
    } else if binding != "Immediate" && binding != "WaitForFirstConsumer" {
        errs.push(FieldError::not_supported(
            "volumeBindingMode",
            binding,
            &["Immediate", "WaitForFirstConsumer"],
        ));
    }
    errs
}

pub fn validate_storage_class_update(new: &Value, old: &Value) -> Vec<FieldError> {
    let mut errs = validate_object_meta_update(new, old);
    for key in [
        "parameters",
        "provisioner",
        "reclaimPolicy",
        "volumeBindingMode",
    ] {
        if new.get(key) != old.get(key) {
            let detail = if key == "parameters" || key == "provisioner" {
                format!("updates to {key} are forbidden.")
            } else {
                "field is immutable".to_string()
            };
            errs.push(FieldError::forbidden(key, detail));
        }
    }
    errs.extend(validate_storage_class(new));
    errs
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::validation::test_support::messages;
    use serde_json::json;

    fn seed_pvc() -> Value {
        json!({"apiVersion": "v1", "kind": "PersistentVolumeClaim", "metadata": {"name": "db-storage", "namespace": "default"},
            "spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "10Gi"}}, "volumeMode": "Filesystem"}})
    }

    #[test]
    fn seed_claim_is_valid() {
        assert!(validate_pvc(&seed_pvc()).is_empty());
    }

    #[test]
    fn claim_needs_access_modes_and_storage() {
        let pvc = json!({"metadata": {"name": "c", "namespace": "d"}, "spec": {}});
        assert_eq!(
            messages(&validate_pvc(&pvc)),
            vec![
                "spec.accessModes: Required value: at least 1 access mode is required",
                "spec.resources[storage]: Required value"
            ]
        );
    }

    #[test]
    fn unknown_access_mode() {
        let mut pvc = seed_pvc();
        pvc["spec"]["accessModes"] = json!(["ReadWriteSometimes"]);
        assert_eq!(
            messages(&validate_pvc(&pvc)),
            vec![
                r#"spec.accessModes: Unsupported value: "ReadWriteSometimes": supported values: "ReadOnlyMany", "ReadWriteMany", "ReadWriteOnce", "ReadWriteOncePod""#
            ]
        );
    }

    #[test]
    fn claims_may_grow_but_not_shrink_or_change_modes() {
        let old = seed_pvc();
        let mut grown = old.clone();
        grown["spec"]["resources"]["requests"]["storage"] = json!("20Gi");
        assert!(validate_pvc_update(&grown, &old).is_empty());
        let mut shrunk = old.clone();
        shrunk["spec"]["resources"]["requests"]["storage"] = json!("5Gi");
        assert_eq!(
            messages(&validate_pvc_update(&shrunk, &old)),
            vec!["spec.resources.requests.storage: Forbidden: field can not be less than previous value"]
        );
        let mut changed = old.clone();
        changed["spec"]["accessModes"] = json!(["ReadWriteMany"]);
        assert!(messages(&validate_pvc_update(&changed, &old))[0]
            .starts_with("spec: Forbidden: spec is immutable after creation"));
    }

    #[test]
    fn storage_class_binding_mode_is_checked() {
        let sc = json!({"metadata": {"name": "fast"}, "provisioner": "kubeplay.io/hostpath", "reclaimPolicy": "Delete", "volumeBindingMode": "Later"});
        assert_eq!(
            messages(&validate_storage_class(&sc)),
            vec![
                r#"volumeBindingMode: Unsupported value: "Later": supported values: "Immediate", "WaitForFirstConsumer""#
            ]
        );
    }
}
