//! Resource lists (`requests`/`limits`): resource names, quantity values and
//! requests-not-above-limits, shared by containers, claims and autoscalers.

use super::read::obj_at;
use super::{FieldError, FieldPath};
use crate::api::names;
use crate::api::quantity::Quantity;
use serde_json::Value;

/// Parses a quantity field, turning a malformed one into the field error
/// carrying Kubernetes' parse message.
pub fn parse_quantity(v: &Value, path: &FieldPath) -> Result<Quantity, FieldError> {
    match v {
        Value::String(s) => {
            Quantity::parse(s).map_err(|e| FieldError::invalid(path, s.as_str(), e.to_string()))
        }
        Value::Number(n) => Quantity::parse(&n.to_string())
            .map_err(|e| FieldError::invalid(path, n.to_string(), e.to_string())),
        other => Err(FieldError::invalid(
            path,
            other.clone(),
            "quantities must be a string or a number",
        )),
    }
}

fn is_native(name: &str) -> bool {
    !name.contains('/') || name.contains("kubernetes.io/")
}

fn is_hugepages(name: &str) -> bool {
    name.starts_with("hugepages-")
}

/// Extended resources (`example.com/gpu`) cannot be overcommitted.
fn overcommit_allowed(name: &str) -> bool {
    is_native(name) && !is_hugepages(name)
}

fn is_integer_resource(name: &str) -> bool {
    !is_native(name)
}

/// validateContainerResourceName.
pub fn validate_container_resource_name(name: &str, path: &FieldPath) -> Vec<FieldError> {
    let mut errs: Vec<FieldError> = names::is_qualified_name(name)
        .into_iter()
        .map(|m| FieldError::invalid(path, name, m))
        .collect();
    if !errs.is_empty() {
        return errs;
    }
    if !name.contains('/') {
        if !matches!(name, "cpu" | "memory" | "ephemeral-storage") && !is_hugepages(name) {
            errs.push(FieldError::invalid(
                path,
                name,
                "must be a standard resource for containers",
            ));
        }
    } else if !is_native(name) && name.starts_with("requests.") {
        errs.push(FieldError::invalid(
            path,
            name,
            "doesn't follow extended resource name standard",
        ));
    }
    errs
}

/// ValidateResourceQuantityValue: not negative; integer for integer resources.
pub fn validate_quantity_value(name: &str, q: &Quantity, path: &FieldPath) -> Vec<FieldError> {
    let mut errs = Vec::new();
    if q.sign() < 0 {
        errs.push(FieldError::invalid(
            path,
            q.canonical(),
            "must be greater than or equal to 0",
        ));
    }
    if is_integer_resource(name) && q.millis() % 1000 != 0 {
        errs.push(FieldError::invalid(
            path,
            q.canonical(),
            "must be an integer",
        ));
    }
    errs
}

/// A container's `resources`: names, values, and requests ≤ limits.
pub fn validate_requirements(res: &Value, path: &FieldPath) -> Vec<FieldError> {
    let mut errs = Vec::new();
    let lim_path = path.child("limits");
    let req_path = path.child("requests");
    let mut limits = Vec::new();
    if let Some(l) = obj_at(res, "limits") {
        for (name, v) in l {
            let p = lim_path.key(name);
            errs.extend(validate_container_resource_name(name, &p));
            match parse_quantity(v, &p) {
                Ok(q) => {
                    errs.extend(validate_quantity_value(name, &q, &p));
                    limits.push((name.as_str(), q));
                }
                Err(e) => errs.push(e),
            }
        }
    }
    if let Some(r) = obj_at(res, "requests") {
        for (name, v) in r {
            let p = req_path.key(name);
            errs.extend(validate_container_resource_name(name, &p));
            let q = match parse_quantity(v, &p) {
                Ok(q) => q,
                Err(e) => {
                    errs.push(e);
                    continue;
                }
            };
            errs.extend(validate_quantity_value(name, &q, &p));
            match limits.iter().find(|(n, _)| *n == name) {
                Some((_, limit)) if q != *limit && !overcommit_allowed(name) => {
                    errs.push(FieldError::invalid(
                        &req_path,
                        q.canonical(),
                        format!("must be equal to {name} limit of {}", limit.canonical()),
                    ))
                }
                Some((_, limit)) if q > *limit => errs.push(FieldError::invalid(
                    &req_path,
                    q.canonical(),
                    format!(
                        "must be less than or equal to {name} limit of {}",
                        limit.canonical()
                    ),
                )),
                Some(_) => {}
                None if !overcommit_allowed(name) => errs.push(FieldError::required(
                    &lim_path,
                    "Limit must be set for non overcommitable resources",
                )),
                None => {}
            }
        }
    }
    errs
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::validation::test_support::messages;
    use serde_json::json;

    fn run(res: Value) -> Vec<String> {
        messages(&validate_requirements(
            &res,
            &FieldPath::root("spec")
                .child("containers")
                .index(0)
                .child("resources"),
        ))
    }

    #[test]
    fn requests_above_limits_are_refused() {
        assert_eq!(
            run(json!({"requests": {"cpu": "600m"}, "limits": {"cpu": "0.5"}})),
            vec![
                r#"spec.containers[0].resources.requests: Invalid value: "600m": must be less than or equal to cpu limit of 500m"#
            ]
        );
    }

    #[test]
    fn malformed_quantity_names_its_key() {
        assert_eq!(
            run(json!({"requests": {"cpu": "abc"}})),
            vec![
                r#"spec.containers[0].resources.requests[cpu]: Invalid value: "abc": quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'"#
            ]
        );
    }

    #[test]
    fn negative_and_unknown_resources() {
        assert_eq!(
            run(json!({"limits": {"memory": "-1"}})),
            vec![
                r#"spec.containers[0].resources.limits[memory]: Invalid value: "-1": must be greater than or equal to 0"#
            ]
        );
        assert_eq!(
            run(json!({"limits": {"disk": "1"}})),
            vec![
                r#"spec.containers[0].resources.limits[disk]: Invalid value: "disk": must be a standard resource for containers"#
            ]
        );
    }

    #[test]
    fn extended_resources_need_equal_integer_limits() {
        assert_eq!(
            run(json!({"requests": {"example.com/gpu": "1"}})),
            vec!["spec.containers[0].resources.limits: Required value: Limit must be set for non overcommitable resources"]
        );
        assert!(run(
            json!({"requests": {"example.com/gpu": "1"}, "limits": {"example.com/gpu": "1"}})
        )
        .is_empty());
    }

    #[test]
    fn seed_resources_are_valid() {
        assert!(run(json!({"requests": {"memory": "128Mi", "cpu": "100m"}, "limits": {"memory": "256Mi", "cpu": "500m"}})).is_empty());
    }
}
