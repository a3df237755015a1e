//! Label maps and label selectors: their validation and whether a selector
//! matches a set of labels (a workload's selector must match its template).

use super::read::{arr_at, obj_at, string_at};
use super::{FieldError, FieldPath};
use crate::api::names;
use crate::store::selector::LabelSelector;
use serde_json::{Map, Value};

/// Every key must be a qualified name and every value a valid label value;
/// errors name the map itself (`metadata.labels`), as Kubernetes does.
pub fn validate_labels(labels: Option<&Map<String, Value>>, path: &FieldPath) -> Vec<FieldError> {
    let mut errs = Vec::new();
    let Some(labels) = labels else { return errs };
    for (k, v) in labels {
        errs.extend(validate_label_name(k, path));
        let value = v.as_str().unwrap_or_default();
        for msg in names::is_label_value(value) {
            errs.push(FieldError::invalid(path, value, msg));
        }
    }
    errs
}

pub fn validate_label_name(key: &str, path: &FieldPath) -> Vec<FieldError> {
    names::is_label_key(key)
        .into_iter()
        .map(|m| FieldError::invalid(path, key, m))
        .collect()
}

/// `metav1.LabelSelector` validation (strict label values).
pub fn validate_label_selector(sel: &Value, path: &FieldPath) -> Vec<FieldError> {
    let mut errs = validate_labels(obj_at(sel, "matchLabels"), &path.child("matchLabels"));
    for (i, expr) in arr_at(sel, "matchExpressions").iter().enumerate() {
        let p = path.child("matchExpressions").index(i);
        let values = arr_at(expr, "values");
        let op = string_at(expr, "operator");
        match op {
            "In" | "NotIn" if values.is_empty() => errs.push(FieldError::required(
                p.child("values"),
                "must be specified when `operator` is 'In' or 'NotIn'",
            )),
            "Exists" | "DoesNotExist" if !values.is_empty() => errs.push(FieldError::forbidden(
                p.child("values"),
                "may not be specified when `operator` is 'Exists' or 'DoesNotExist'",
            )),
            "In" | "NotIn" | "Exists" | "DoesNotExist" => {}
            _ => errs.push(FieldError::invalid(
                p.child("operator"),
                op,
                "not a valid selector operator",
            )),
        }
        errs.extend(validate_label_name(string_at(expr, "key"), &p.child("key")));
        for (j, v) in values.iter().enumerate() {
            let v = v.as_str().unwrap_or_default();
            for msg in names::is_label_value(v) {
                errs.push(FieldError::invalid(p.child("values").index(j), v, msg));
            }
        }
    }
    errs
}

/// Whether a selector has no requirements at all (it would select everything).
pub fn selector_is_empty(sel: &Value) -> bool {
    obj_at(sel, "matchLabels").is_none_or(Map::is_empty)
        && arr_at(sel, "matchExpressions").is_empty()
}

/// Whether `labels` satisfy every requirement of `sel`; a selector that does
/// not convert (as `LabelSelectorAsSelector` would refuse it) matches nothing.
pub fn selector_matches(sel: &Value, labels: Option<&Map<String, Value>>) -> bool {
    LabelSelector::from_label_selector_json(sel).is_ok_and(|s| s.matches(labels))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn match_labels_and_expressions() {
        let sel = json!({"matchLabels": {"app": "web"}, "matchExpressions": [{"key": "tier", "operator": "NotIn", "values": ["db"]}]});
        assert!(selector_matches(&sel, json!({"app": "web"}).as_object()));
        assert!(!selector_matches(
            &sel,
            json!({"app": "web", "tier": "db"}).as_object()
        ));
        assert!(!selector_matches(&sel, json!({"app": "api"}).as_object()));
        assert!(!selector_matches(&sel, None));
    }

    #[test]
    fn a_selector_that_does_not_convert_matches_nothing() {
        let sel =
            json!({"matchExpressions": [{"key": "app", "operator": "Like", "values": ["web"]}]});
        assert!(!selector_matches(&sel, json!({"app": "web"}).as_object()));
    }

    #[test]
    fn bad_operator_is_reported_at_its_path() {
        let sel = json!({"matchExpressions": [{"key": "a", "operator": "Like", "values": ["x"]}]});
        let errs = validate_label_selector(&sel, &FieldPath::root("spec").child("selector"));
        assert_eq!(
            errs[0].to_string(),
            r#"spec.selector.matchExpressions[0].operator: Invalid value: "Like": not a valid selector operator"#
        );
    }

    #[test]
    fn label_errors_name_the_map() {
        let errs = validate_labels(
            json!({"app": "-bad"}).as_object(),
            &FieldPath::root("metadata").child("labels"),
        );
        assert_eq!(errs.len(), 1);
        assert!(errs[0]
            .to_string()
            .starts_with(r#"metadata.labels: Invalid value: "-bad": a valid label must be"#));
    }
}
