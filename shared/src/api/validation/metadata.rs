//! `metadata` checks every kind shares: name format, namespace, labels,
//! annotations, owner references, finalizers, and what an update may not change.

use super::read::{arr_at, bool_at, obj_at, str_at, string_at};
use super::selector::validate_labels;
use super::{FieldError, FieldPath};
use crate::api::names;
use serde_json::Value;

/// How a kind's names are checked (`generateName` passes `prefix = true`).
pub type NameFn = fn(&str, bool) -> Vec<String>;

/// Total size limit for annotations, 256 KiB.
const ANNOTATIONS_MAX_BYTES: usize = 256 * 1024;

const IMMUTABLE: &str = "field is immutable";

fn meta(obj: &Value) -> &Value {
    obj.get("metadata").unwrap_or(&Value::Null)
}

/// ValidateObjectMeta for creation.
pub fn validate_object_meta(obj: &Value, namespaced: bool, name_fn: NameFn) -> Vec<FieldError> {
    let m = meta(obj);
    let path = FieldPath::root("metadata");
    let mut errs = Vec::new();
    let generate_name = string_at(m, "generateName");
    if !generate_name.is_empty() {
        for msg in name_fn(generate_name, true) {
            errs.push(FieldError::invalid(
                path.child("generateName"),
                generate_name,
                msg,
            ));
        }
    }
    let name = string_at(m, "name");
    if name.is_empty() {
        errs.push(FieldError::required(
            path.child("name"),
            "name or generateName is required",
        ));
    } else {
        for msg in name_fn(name, false) {
            errs.push(FieldError::invalid(path.child("name"), name, msg));
        }
    }
    errs.extend(validate_common(m, namespaced, &path));
    errs
}

fn validate_common(m: &Value, namespaced: bool, path: &FieldPath) -> Vec<FieldError> {
    let mut errs = Vec::new();
    let ns = string_at(m, "namespace");
    if namespaced {
        if ns.is_empty() {
            errs.push(FieldError::required(path.child("namespace"), ""));
        } else {
            for msg in names::name_is_dns_label(ns, false) {
                errs.push(FieldError::invalid(path.child("namespace"), ns, msg));
            }
        }
    } else if !ns.is_empty() {
        errs.push(FieldError::forbidden(
            path.child("namespace"),
            "not allowed on this type",
        ));
    }
    if let Some(g) = m
        .get("generation")
        .and_then(Value::as_i64)
        .filter(|g| *g < 0)
    {
        errs.push(FieldError::invalid(
            path.child("generation"),
            g,
            "must be greater than or equal to 0",
        ));
    }
    errs.extend(validate_meta_lists(m, path));
    errs
}

/// Labels, annotations, owner references and finalizers: checked alike on
/// create and on every update, since each update may add to them.
fn validate_meta_lists(m: &Value, path: &FieldPath) -> Vec<FieldError> {
    let mut errs = validate_labels(obj_at(m, "labels"), &path.child("labels"));
    errs.extend(validate_annotations(
        obj_at(m, "annotations"),
        &path.child("annotations"),
    ));
    errs.extend(validate_owner_references(
        arr_at(m, "ownerReferences"),
        &path.child("ownerReferences"),
    ));
    errs.extend(validate_finalizers(
        arr_at(m, "finalizers"),
        &path.child("finalizers"),
    ));
    errs
}

/// Annotation keys are qualified names (case-insensitive); the whole map is capped at 256 KiB.
pub fn validate_annotations(
    annotations: Option<&serde_json::Map<String, Value>>,
    path: &FieldPath,
) -> Vec<FieldError> {
    let mut errs = Vec::new();
    let Some(annotations) = annotations else {
        return errs;
    };
    let mut size = 0;
    for (k, v) in annotations {
        for msg in names::is_qualified_name(&k.to_lowercase()) {
            errs.push(FieldError::invalid(path, k.as_str(), msg));
        }
        size += k.len() + v.as_str().map_or(0, str::len);
    }
    if size > ANNOTATIONS_MAX_BYTES {
        errs.push(FieldError::too_long(path, ANNOTATIONS_MAX_BYTES));
    }
    errs
}

fn validate_owner_references(refs: &[Value], path: &FieldPath) -> Vec<FieldError> {
    let mut errs = Vec::new();
    let mut first_controller: Option<String> = None;
    for r in refs {
        let api_version = string_at(r, "apiVersion");
        let version = api_version.rsplit('/').next().unwrap_or_default();
        if version.is_empty() {
            errs.push(FieldError::invalid(
                path.child("apiVersion"),
                api_version,
                "version must not be empty",
            ));
        }
        for key in ["kind", "name", "uid"] {
            if string_at(r, key).is_empty() {
                errs.push(FieldError::invalid(
                    path.child(key),
                    "",
                    "must not be empty",
                ));
            }
        }
        if api_version == "v1" && string_at(r, "kind") == "Event" {
            errs.push(FieldError::invalid(
                path,
                string_at(r, "name"),
                "/v1, Kind=Event is disallowed from being an owner",
            ));
        }
        if bool_at(r, "controller") == Some(true) {
            let this = format!("{}/{}", string_at(r, "kind"), string_at(r, "name"));
            match &first_controller {
                Some(first) => errs.push(FieldError::invalid(
                    path,
                    this.as_str(),
                    format!("Only one reference can have Controller set to true. Found \"true\" in references for {first} and {this}"),
                )),
                None => first_controller = Some(this),
            }
        }
    }
    errs
}

fn validate_finalizers(finalizers: &[Value], path: &FieldPath) -> Vec<FieldError> {
    let mut errs = Vec::new();
    let list: Vec<&str> = finalizers.iter().filter_map(Value::as_str).collect();
    for f in &list {
        for msg in names::is_qualified_name(f) {
            errs.push(FieldError::invalid(path, *f, msg));
        }
    }
    if list.contains(&"orphan") && list.contains(&"foregroundDeletion") {
        errs.push(FieldError::invalid(
            path,
            list.join(","),
            "finalizer orphan and foregroundDeletion cannot be both set",
        ));
    }
    for (i, f) in list.iter().enumerate() {
        if !f.contains('/') && !matches!(*f, "kubernetes" | "orphan" | "foregroundDeletion") {
            errs.push(FieldError::invalid(
                path.index(i),
                *f,
                "name is neither a standard finalizer name nor is it fully qualified",
            ));
        }
    }
    errs
}

/// ValidateObjectMetaUpdate: identity fields are immutable and finalizers may
/// not be added once deletion has begun. A field the client left out (uid,
/// creationTimestamp) is carried over by the request layer, so only a
/// different non-empty value is refused.
pub fn validate_object_meta_update(new: &Value, old: &Value) -> Vec<FieldError> {
    let (n, o) = (meta(new), meta(old));
    let path = FieldPath::root("metadata");
    let mut errs = Vec::new();
    if o.get("deletionTimestamp").is_some_and(|v| !v.is_null()) {
        let old_f: Vec<&str> = arr_at(o, "finalizers")
            .iter()
            .filter_map(Value::as_str)
            .collect();
        let mut extra: Vec<&str> = arr_at(n, "finalizers")
            .iter()
            .filter_map(Value::as_str)
            .filter(|f| !old_f.contains(f))
            .collect();
        extra.sort_unstable();
        extra.dedup();
        if !extra.is_empty() {
            let list: Vec<String> = extra.iter().map(|f| format!("{f:?}")).collect();
            errs.push(FieldError::forbidden(
                path.child("finalizers"),
                format!("no new finalizers can be added if the object is being deleted, found new finalizers []string{{{}}}", list.join(", ")),
            ));
        }
    }
    for key in ["name", "namespace"] {
        let (nv, ov) = (string_at(n, key), string_at(o, key));
        if nv != ov {
            errs.push(FieldError::invalid(path.child(key), nv, IMMUTABLE));
        }
    }
    for key in ["uid", "creationTimestamp"] {
        if let (Some(nv), Some(ov)) = (str_at(n, key), str_at(o, key)) {
            if nv != ov {
                errs.push(FieldError::invalid(path.child(key), nv, IMMUTABLE));
            }
        }
    }
    errs.extend(validate_meta_lists(n, &path));
    errs
}

/// `field is immutable`, printing the new value as Kubernetes does.
pub fn immutable(path: impl Into<String>, new: &Value) -> FieldError {
    FieldError::invalid(path, new.clone(), IMMUTABLE)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::validation::test_support::messages;
    use serde_json::json;

    fn subdomain(n: &str, p: bool) -> Vec<String> {
        names::name_is_dns_subdomain(n, p)
    }

    #[test]
    fn missing_name_is_required() {
        let errs = validate_object_meta(
            &json!({"metadata": {"namespace": "default"}}),
            true,
            subdomain,
        );
        assert_eq!(
            errs[0].to_string(),
            "metadata.name: Required value: name or generateName is required"
        );
    }

    #[test]
    fn namespaced_objects_need_a_valid_namespace() {
        let errs = validate_object_meta(&json!({"metadata": {"name": "a"}}), true, subdomain);
        assert_eq!(errs[0].to_string(), "metadata.namespace: Required value");
        let errs = validate_object_meta(
            &json!({"metadata": {"name": "a", "namespace": "x"}}),
            false,
            subdomain,
        );
        assert_eq!(
            errs[0].to_string(),
            "metadata.namespace: Forbidden: not allowed on this type"
        );
    }

    #[test]
    fn bad_annotation_key_is_reported() {
        let obj =
            json!({"metadata": {"name": "a", "namespace": "d", "annotations": {"bad key": "x"}}});
        let errs = validate_object_meta(&obj, true, subdomain);
        assert!(errs[0].to_string().starts_with(
            r#"metadata.annotations: Invalid value: "bad key": name part must consist"#
        ));
    }

    #[test]
    fn nonstandard_unqualified_finalizer_is_refused() {
        let obj = json!({"metadata": {"name": "a", "finalizers": ["mine"]}});
        let errs = validate_object_meta(&obj, false, subdomain);
        assert_eq!(
            errs[0].to_string(),
            r#"metadata.finalizers[0]: Invalid value: "mine": name is neither a standard finalizer name nor is it fully qualified"#
        );
    }

    #[test]
    fn name_and_uid_are_immutable() {
        let old = json!({"metadata": {"name": "a", "namespace": "d", "uid": "1"}});
        let new = json!({"metadata": {"name": "b", "namespace": "d", "uid": "2"}});
        let errs = messages(&validate_object_meta_update(&new, &old));
        assert_eq!(
            errs,
            vec![
                r#"metadata.name: Invalid value: "b": field is immutable"#,
                r#"metadata.uid: Invalid value: "2": field is immutable"#
            ]
        );
        let same = json!({"metadata": {"name": "a", "namespace": "d"}});
        assert!(validate_object_meta_update(&same, &old).is_empty());
    }
}
