//! Typed reads of optional fields on JSON objects, and the Go literal forms
//! Kubernetes prints for maps and selectors in its error messages.
//!
//! Validation walks raw `serde_json::Value`s (not typed structs) so that a
//! missing required field is reported as `Required value` instead of failing
//! to deserialize.

use serde_json::{Map, Value};

pub fn str_at<'a>(v: &'a Value, key: &str) -> Option<&'a str> {
    v.get(key).and_then(Value::as_str)
}

/// A string field, `""` when absent (Go's zero value).
pub fn string_at<'a>(v: &'a Value, key: &str) -> &'a str {
    str_at(v, key).unwrap_or("")
}

pub fn obj_at<'a>(v: &'a Value, key: &str) -> Option<&'a Map<String, Value>> {
    v.get(key).and_then(Value::as_object)
}

/// A list field, empty when absent.
pub fn arr_at<'a>(v: &'a Value, key: &str) -> &'a [Value] {
    v.get(key)
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or(&[])
}

pub fn int_at(v: &Value, key: &str) -> Option<i64> {
    v.get(key).and_then(Value::as_i64)
}

pub fn bool_at(v: &Value, key: &str) -> Option<bool> {
    v.get(key).and_then(Value::as_bool)
}

/// Whether a field is present and not `null`.
pub fn has(v: &Value, key: &str) -> bool {
    v.get(key).is_some_and(|x| !x.is_null())
}

/// `map[string]string{"app":"x", "tier":"web"}` (keys sorted, as Go's fmt
/// does), or `map[string]string(nil)` when absent.
pub fn string_map_literal(m: Option<&Map<String, Value>>) -> String {
    match m {
        None => "map[string]string(nil)".into(),
        Some(m) => {
            let items: Vec<String> = m
                .iter()
                .map(|(k, v)| format!("{k:?}:{:?}", v.as_str().unwrap_or_default()))
                .collect();
            format!("map[string]string{{{}}}", items.join(", "))
        }
    }
}

fn string_list_literal(v: Option<&Value>) -> String {
    match v.and_then(Value::as_array) {
        None => "[]string(nil)".into(),
        Some(items) => {
            let items: Vec<String> = items
                .iter()
                .map(|s| format!("{:?}", s.as_str().unwrap_or_default()))
                .collect();
            format!("[]string{{{}}}", items.join(", "))
        }
    }
}

/// `v1.LabelSelector{MatchLabels:map[string]string{...}, MatchExpressions:[]v1.LabelSelectorRequirement(nil)}`
pub fn label_selector_literal(sel: &Value) -> String {
    let exprs = match sel.get("matchExpressions").and_then(Value::as_array) {
        None => "[]v1.LabelSelectorRequirement(nil)".to_string(),
        Some(list) => {
            let items: Vec<String> = list
                .iter()
                .map(|e| {
                    format!(
                        "v1.LabelSelectorRequirement{{Key:{:?}, Operator:{:?}, Values:{}}}",
                        string_at(e, "key"),
                        string_at(e, "operator"),
                        string_list_literal(e.get("values"))
                    )
                })
                .collect();
            format!("[]v1.LabelSelectorRequirement{{{}}}", items.join(", "))
        }
    };
    format!(
        "v1.LabelSelector{{MatchLabels:{}, MatchExpressions:{}}}",
        string_map_literal(obj_at(sel, "matchLabels")),
        exprs
    )
}

/// `intstr.IntOrString{Type:1, IntVal:0, StrVal:"10"}`.
pub fn int_or_string_literal(v: &Value) -> String {
    match v {
        Value::String(s) => format!("intstr.IntOrString{{Type:1, IntVal:0, StrVal:{s:?}}}"),
        other => format!(
            "intstr.IntOrString{{Type:0, IntVal:{}, StrVal:\"\"}}",
            other.as_i64().unwrap_or(0)
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn go_literals() {
        let labels = json!({"tier": "web", "app": "x"});
        assert_eq!(
            string_map_literal(labels.as_object()),
            r#"map[string]string{"app":"x", "tier":"web"}"#
        );
        assert_eq!(string_map_literal(None), "map[string]string(nil)");
        assert_eq!(
            label_selector_literal(&json!({"matchLabels": {"app": "y"}})),
            r#"v1.LabelSelector{MatchLabels:map[string]string{"app":"y"}, MatchExpressions:[]v1.LabelSelectorRequirement(nil)}"#
        );
        assert_eq!(
            int_or_string_literal(&json!("x%")),
            r#"intstr.IntOrString{Type:1, IntVal:0, StrVal:"x%"}"#
        );
    }
}
