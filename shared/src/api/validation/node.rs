//! Cluster-level and bookkeeping kinds: Node (taints), Namespace (DNS label
//! names), and the minimal checks for Event, Lease and ControllerRevision.

use super::metadata::{validate_object_meta, validate_object_meta_update};
use super::read::{arr_at, int_at, obj_at, string_at};
use super::resources::parse_quantity;
use super::selector::validate_label_name;
use super::{FieldError, FieldPath};
use crate::api::names;
use serde_json::Value;
use std::collections::BTreeSet;

pub fn validate_node(node: &Value) -> Vec<FieldError> {
    let mut errs = validate_object_meta(node, false, names::name_is_dns_subdomain);
    let taints_path = FieldPath::root("metadata").child("taints");
    let mut unique = BTreeSet::new();
    for (i, t) in arr_at(node.get("spec").unwrap_or(&Value::Null), "taints")
        .iter()
        .enumerate()
    {
        let p = taints_path.index(i);
        let key = string_at(t, "key");
        errs.extend(validate_label_name(key, &p.child("key")));
        let value = string_at(t, "value");
        let msgs = names::is_label_value(value);
        if !msgs.is_empty() {
            errs.push(FieldError::invalid(p.child("value"), value, msgs.join(";")));
        }
        let effect = string_at(t, "effect");
        match effect {
            "" => errs.push(FieldError::required(p.child("effect"), "")),
            "NoSchedule" | "PreferNoSchedule" | "NoExecute" => {}
            other => errs.push(FieldError::not_supported(
                p.child("effect"),
                other,
                &["NoSchedule", "PreferNoSchedule", "NoExecute"],
            )),
        }
        if !unique.insert((effect.to_string(), key.to_string())) {
            let mut e = FieldError::duplicate(&p, t.clone());
            e.detail = "taints must be unique by key and effect pair".into();
            errs.push(e);
        }
    }
    let status = node.get("status").unwrap_or(&Value::Null);
    for list in ["capacity", "allocatable"] {
        for (k, v) in obj_at(status, list).into_iter().flatten() {
            let p = FieldPath::root("status").child(list).child(k);
            match parse_quantity(v, &p) {
                Err(e) => errs.push(e),
                Ok(q) if q.sign() < 0 => errs.push(FieldError::invalid(
                    &p,
                    q.canonical(),
                    "must be greater than or equal to 0",
                )),
                Ok(_) => {}
            }
        }
    }
    errs
}

pub fn validate_node_update(new: &Value, old: &Value) -> Vec<FieldError> {
    let mut errs = validate_object_meta_update(new, old);
    let (n, o) = (new.pointer("/spec/podCIDRs"), old.pointer("/spec/podCIDRs"));
    if o.and_then(Value::as_array).is_some_and(|a| !a.is_empty()) && n != o {
        errs.push(FieldError::forbidden(
            "spec.podCIDRs",
            "node updates may not change podCIDR except from \"\" to valid",
        ));
    }
    let (n, o) = (
        new.pointer("/spec/providerID"),
        old.pointer("/spec/providerID"),
    );
    if o.and_then(Value::as_str).is_some_and(|s| !s.is_empty()) && n != o {
        errs.push(FieldError::forbidden(
            "spec.providerID",
            "node updates may not change providerID except from \"\" to valid",
        ));
    }
    errs.extend(
        validate_node(new)
            .into_iter()
            .filter(|e| !e.field.starts_with("metadata.name")),
    );
    errs
}

pub fn validate_namespace(ns: &Value) -> Vec<FieldError> {
    let mut errs = validate_object_meta(ns, false, names::name_is_dns_label);
    for (i, f) in arr_at(ns.get("spec").unwrap_or(&Value::Null), "finalizers")
        .iter()
        .enumerate()
    {
        let f = f.as_str().unwrap_or_default();
        let p = FieldPath::root("spec").child("finalizers").index(i);
        for msg in names::is_qualified_name(f) {
            errs.push(FieldError::invalid(&p, f, msg));
        }
        if !f.contains('/') && f != "kubernetes" {
            errs.push(FieldError::invalid(
                &p,
                f,
                "name is neither a standard finalizer name nor is it fully qualified",
            ));
        }
    }
    errs
}

pub fn validate_namespace_update(new: &Value, old: &Value) -> Vec<FieldError> {
    let mut errs = validate_object_meta_update(new, old);
    errs.extend(validate_namespace(new));
    errs
}

/// core/v1 and events.k8s.io/v1 Events: namespaced, any subdomain name, an involved object.
pub fn validate_event(ev: &Value) -> Vec<FieldError> {
    let mut errs = validate_object_meta(ev, true, names::name_is_dns_subdomain);
    let core = ev.get("involvedObject").is_some();
    let reg = if core { "involvedObject" } else { "regarding" };
    let obj_ns = ev
        .pointer(&format!("/{reg}/namespace"))
        .and_then(Value::as_str)
        .unwrap_or("");
    let ns = ev
        .pointer("/metadata/namespace")
        .and_then(Value::as_str)
        .unwrap_or("");
    if !obj_ns.is_empty() && obj_ns != ns {
        errs.push(FieldError::invalid(
            format!("{reg}.namespace"),
            obj_ns,
            "does not match event.namespace",
        ));
    }
    if let Some(t) = ev.get("type").and_then(Value::as_str) {
        if !t.is_empty() && t != "Normal" && t != "Warning" {
            errs.push(FieldError::not_supported("type", t, &["Normal", "Warning"]));
        }
    }
    errs
}

pub fn validate_lease(lease: &Value) -> Vec<FieldError> {
    let mut errs = validate_object_meta(lease, true, names::name_is_dns_subdomain);
    let spec = lease.get("spec").unwrap_or(&Value::Null);
    for key in ["leaseDurationSeconds", "leaseTransitions"] {
        if let Some(v) = int_at(spec, key) {
            if key == "leaseDurationSeconds" && v <= 0 {
                errs.push(FieldError::invalid(
                    format!("spec.{key}"),
                    v,
                    "must be greater than 0",
                ));
            } else if v < 0 {
                errs.push(FieldError::invalid(
                    format!("spec.{key}"),
                    v,
                    "must be greater than or equal to 0",
                ));
            }
        }
    }
    errs
}

pub fn validate_controller_revision(cr: &Value) -> Vec<FieldError> {
    let mut errs = validate_object_meta(cr, true, names::name_is_dns_subdomain);
    if cr.get("data").is_none_or(Value::is_null) {
        errs.push(FieldError::required("data", "data is mandatory"));
    }
    if let Some(r) = int_at(cr, "revision").filter(|r| *r < 0) {
        errs.push(FieldError::invalid(
            "revision",
            r,
            "must be greater than or equal to 0",
        ));
    }
    errs
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::validation::test_support::messages;
    use serde_json::json;

    #[test]
    fn namespace_names_are_dns_labels() {
        let ns = json!({"metadata": {"name": "team.a"}});
        assert_eq!(
            messages(&validate_namespace(&ns)),
            vec![r#"metadata.name: Invalid value: "team.a": must not contain dots"#]
        );
        assert!(validate_namespace(
            &json!({"metadata": {"name": "production"}, "spec": {"finalizers": ["kubernetes"]}})
        )
        .is_empty());
    }

    #[test]
    fn taint_effects_are_checked() {
        let node = json!({"metadata": {"name": "n1"}, "spec": {"taints": [{"key": "k", "effect": "Sometimes"}]}});
        assert_eq!(
            validate_node(&node)[0].to_string(),
            r#"metadata.taints[0].effect: Unsupported value: "Sometimes": supported values: "NoSchedule", "PreferNoSchedule", "NoExecute""#
        );
    }

    #[test]
    fn lease_durations_are_positive() {
        let lease = json!({"metadata": {"name": "n1", "namespace": "kube-node-lease"}, "spec": {"leaseDurationSeconds": 0}});
        assert_eq!(
            validate_lease(&lease)[0].to_string(),
            "spec.leaseDurationSeconds: Invalid value: 0: must be greater than 0"
        );
    }
}
