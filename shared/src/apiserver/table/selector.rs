//! Label maps and label selectors printed as Kubernetes prints them
//! (`app=web,tier in (a,b)`), for the Selector columns.

use crate::store::selector::LabelSelector;
use serde_json::{Map, Value};

/// `k=v` pairs sorted by key, joined by commas; `""` for an empty map.
pub(super) fn label_map(labels: Option<&Map<String, Value>>) -> String {
    let Some(labels) = labels else {
        return String::new();
    };
    // serde_json maps without preserve_order iterate sorted by key.
    labels
        .iter()
        .map(|(k, v)| format!("{k}={}", v.as_str().unwrap_or("")))
        .collect::<Vec<_>>()
        .join(",")
}

/// A label map, or `<none>` when it is empty (`labels.FormatLabels`).
pub(super) fn label_map_or_none(labels: Option<&Map<String, Value>>) -> String {
    none_if_empty(label_map(labels))
}

/// A `LabelSelector` that does not convert to a selector.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid label selector")]
pub(super) struct InvalidSelector;

/// The selector string of a `LabelSelector` (`matchLabels` and
/// `matchExpressions`), in the store's canonical form (requirements sorted by
/// key); `""` when it selects everything or is absent.
pub(super) fn label_selector(selector: Option<&Value>) -> Result<String, InvalidSelector> {
    let selector = selector.unwrap_or(&Value::Null);
    LabelSelector::from_label_selector_json(selector)
        .map(|s| s.to_string())
        .map_err(|_| InvalidSelector)
}

/// `metav1.FormatLabelSelector`: `<none>` for an empty selector, `<error>`
/// for one that does not convert.
pub(super) fn format_label_selector(selector: Option<&Value>) -> String {
    match label_selector(selector) {
        Ok(s) => none_if_empty(s),
        Err(InvalidSelector) => "<error>".into(),
    }
}

fn none_if_empty(s: String) -> String {
    if s.is_empty() {
        "<none>".into()
    } else {
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn label_maps_sort_by_key() {
        let labels = json!({"tier": "web", "app": "shop"});
        assert_eq!(label_map(labels.as_object()), "app=shop,tier=web");
        assert_eq!(label_map_or_none(None), "<none>");
    }

    #[test]
    fn selectors_merge_labels_and_expressions_by_key() {
        let sel = json!({
            "matchLabels": {"app": "web"},
            "matchExpressions": [
                {"key": "tier", "operator": "In", "values": ["b", "a"]},
                {"key": "env", "operator": "NotIn", "values": ["dev"]},
                {"key": "canary", "operator": "DoesNotExist"},
                {"key": "zone", "operator": "Exists"},
            ],
        });
        assert_eq!(
            label_selector(Some(&sel)).unwrap(),
            "app=web,canary,env notin (dev),tier in (a,b),zone".replace("canary", "!canary")
        );
    }

    #[test]
    fn empty_and_absent_selectors_print_nothing() {
        assert_eq!(label_selector(None).unwrap(), "");
        assert_eq!(label_selector(Some(&json!({}))).unwrap(), "");
        assert_eq!(format_label_selector(Some(&json!({}))), "<none>");
    }

    #[test]
    fn bad_operators_are_errors() {
        let sel = json!({"matchExpressions": [{"key": "a", "operator": "Near", "values": ["x"]}]});
        assert_eq!(label_selector(Some(&sel)), Err(InvalidSelector));
        assert_eq!(format_label_selector(Some(&sel)), "<error>");
    }

    #[test]
    fn requirements_kubernetes_refuses_do_not_convert() {
        let no_values = json!({"matchExpressions": [{"key": "a", "operator": "In", "values": []}]});
        assert_eq!(format_label_selector(Some(&no_values)), "<error>");
        let bad_key = json!({"matchLabels": {"bad key": "x"}});
        assert_eq!(label_selector(Some(&bad_key)), Err(InvalidSelector));
    }
}
