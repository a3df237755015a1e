//! Saving an edited object the way `kubectl edit` does: read the YAML (a syntax error names its
//! line and nothing is sent), send only what the student changed as a JSON merge patch (so a
//! status the cluster wrote meanwhile is no conflict), and show the API's refusal at the line of
//! each field it names.

use kubeplay_shared::manifest::{parse_document, Document};
use serde_json::{Map, Value};

/// One thing wrong with an edit, placed in the text when the field is found there.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// 1-based line in the edited text; 0 when the whole object is meant.
    pub line: usize,
    /// `spec.replicas`, when the API named a field.
    pub field: Option<String>,
    pub message: String,
}

impl Problem {
    /// `line 6: spec.replicas: Invalid value: -1: must be greater than or equal to 0`.
    pub fn text(&self) -> String {
        match self.line {
            0 => self.message.clone(),
            line => format!("line {line}: {}", self.message),
        }
    }
}

/// The edited text as one object, or why it is not one (at its line).
pub fn parse_edit(yaml: &str) -> Result<Document, Problem> {
    parse_document(yaml).map_err(|err| Problem {
        line: err.position.line,
        field: None,
        message: err.kubectl_message("edited object"),
    })
}

/// The RFC 7386 merge patch that turns `before` into `after`: changed and new fields with their
/// new values, removed fields as `null`, lists whole. `{}` when nothing changed.
pub fn merge_patch(before: &Value, after: &Value) -> Value {
    match (before, after) {
        (Value::Object(b), Value::Object(a)) => {
            let mut patch = Map::new();
            for (key, old) in b {
                match a.get(key) {
                    None => {
                        patch.insert(key.clone(), Value::Null);
                    }
                    Some(new) if new != old => {
                        let inner = match (old, new) {
                            (Value::Object(_), Value::Object(_)) => merge_patch(old, new),
                            _ => new.clone(),
                        };
                        patch.insert(key.clone(), inner);
                    }
                    Some(_) => {}
                }
            }
            for (key, new) in a {
                if !b.contains_key(key) {
                    patch.insert(key.clone(), new.clone());
                }
            }
            Value::Object(patch)
        }
        _ => after.clone(),
    }
}

/// Whether a patch from [`merge_patch`] changes nothing.
pub fn is_empty_patch(patch: &Value) -> bool {
    patch.as_object().is_some_and(Map::is_empty)
}

/// What the API's refusal (a `Status`) says, one problem per field it names, each at its line in
/// `document`; a Status without causes is one problem about the whole object.
pub fn refusal_problems(status: &Value, document: &Document) -> Vec<Problem> {
    let message = status
        .get("message")
        .and_then(Value::as_str)
        .unwrap_or("the API refused the change")
        .to_string();
    let causes = status.pointer("/details/causes").and_then(Value::as_array);
    let fields: Vec<Problem> = causes
        .map(Vec::as_slice)
        .unwrap_or_default()
        .iter()
        .filter_map(|cause| {
            let field = cause
                .get("field")
                .and_then(Value::as_str)
                .filter(|f| !f.is_empty())?;
            let text = cause.get("message").and_then(Value::as_str).unwrap_or("");
            let line = if document.has_field(field) {
                document.position_of(field).map_or(0, |p| p.line)
            } else {
                0
            };
            Some(Problem {
                line,
                field: Some(field.to_string()),
                message: format!("{field}: {text}"),
            })
        })
        .collect();
    // With the causes listed at their lines, the headline need not repeat them.
    let message = match message.split_once(" is invalid: ") {
        Some((object, _)) if !fields.is_empty() => format!("{object} is invalid:"),
        _ => message,
    };
    let whole = Problem {
        line: 0,
        field: None,
        message,
    };
    std::iter::once(whole).chain(fields).collect()
}

/// `deployment.apps/my-api edited`, as kubectl reports a saved edit.
pub fn edited_summary(object: &Value) -> String {
    let kind = object
        .get("kind")
        .and_then(Value::as_str)
        .unwrap_or("object")
        .to_lowercase();
    let group = object
        .get("apiVersion")
        .and_then(Value::as_str)
        .and_then(|v| v.split_once('/'))
        .map(|(group, _)| format!(".{group}"))
        .unwrap_or_default();
    let name = object
        .pointer("/metadata/name")
        .and_then(Value::as_str)
        .unwrap_or("");
    format!("{kind}{group}/{name} edited")
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const DEPLOYMENT: &str = "apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: default
  resourceVersion: \"42\"
spec:
  replicas: 3
  template:
    spec:
      containers:
      - image: nginx
        name: web
status:
  replicas: 3
";

    #[test]
    fn only_changed_fields_go_into_the_patch() {
        let before = parse_edit(DEPLOYMENT).unwrap().value;
        let after =
            parse_edit(&DEPLOYMENT.replace("replicas: 3\n  template", "replicas: 5\n  template"))
                .unwrap()
                .value;
        assert_eq!(
            merge_patch(&before, &after),
            json!({"spec": {"replicas": 5}})
        );
    }

    #[test]
    fn removed_fields_become_null_and_lists_go_whole() {
        let before =
            json!({"metadata": {"labels": {"a": "1", "b": "2"}}, "spec": {"ports": [1, 2]}});
        let after = json!({"metadata": {"labels": {"a": "1"}}, "spec": {"ports": [1, 2, 3]}, "extra": true});
        assert_eq!(
            merge_patch(&before, &after),
            json!({"metadata": {"labels": {"b": null}}, "spec": {"ports": [1, 2, 3]}, "extra": true})
        );
    }

    #[test]
    fn an_unchanged_object_patches_nothing() {
        let value = parse_edit(DEPLOYMENT).unwrap().value;
        assert!(is_empty_patch(&merge_patch(&value, &value)));
        assert!(!is_empty_patch(&json!({"spec": null})));
    }

    #[test]
    fn a_syntax_error_names_its_line() {
        let broken = DEPLOYMENT.replace("  replicas: 3\n  template", "  replicas: [3\n  template");
        let problem = parse_edit(&broken).unwrap_err();
        assert!(problem.line >= 8, "{problem:?}");
        assert!(
            problem.message.contains("edited object"),
            "{}",
            problem.message
        );
        assert!(problem
            .text()
            .starts_with(&format!("line {}: ", problem.line)));
    }

    #[test]
    fn the_apis_causes_are_placed_at_their_fields() {
        let edited = DEPLOYMENT.replace("replicas: 3\n  template", "replicas: -1\n  template");
        let document = parse_edit(&edited).unwrap();
        let status = json!({
            "kind": "Status", "status": "Failure", "code": 422, "reason": "Invalid",
            "message": "Deployment.apps \"web\" is invalid: spec.replicas: Invalid value: -1: must be greater than or equal to 0",
            "details": {"causes": [{"reason": "FieldValueInvalid", "field": "spec.replicas",
                "message": "Invalid value: -1: must be greater than or equal to 0"}]},
        });
        let problems = refusal_problems(&status, &document);
        assert_eq!(problems.len(), 2);
        assert_eq!(problems[0].line, 0);
        assert_eq!(problems[0].message, "Deployment.apps \"web\" is invalid:");
        assert_eq!(
            problems[1],
            Problem {
                line: 8,
                field: Some("spec.replicas".into()),
                message: "spec.replicas: Invalid value: -1: must be greater than or equal to 0"
                    .into(),
            }
        );
        assert_eq!(
            problems[1].text(),
            "line 8: spec.replicas: Invalid value: -1: must be greater than or equal to 0"
        );
    }

    #[test]
    fn a_cause_for_a_field_not_in_the_text_has_no_line() {
        let document = parse_edit(DEPLOYMENT).unwrap();
        let status = json!({"message": "bad", "details": {"causes": [{"field": "spec.selector", "message": "Required value"}]}});
        let problems = refusal_problems(&status, &document);
        assert_eq!(problems[1].line, 0);
        assert_eq!(problems[1].message, "spec.selector: Required value");
    }

    #[test]
    fn the_summary_is_kubectls() {
        let object =
            json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web"}});
        assert_eq!(edited_summary(&object), "deployment.apps/web edited");
        let pod = json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"}});
        assert_eq!(edited_summary(&pod), "pod/p edited");
    }
}
