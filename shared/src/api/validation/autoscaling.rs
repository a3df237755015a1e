//! HorizontalPodAutoscaler (autoscaling/v2) validation: replica bounds, the
//! scale target reference, metric sources and scaling behavior.

use super::metadata::{validate_object_meta, validate_object_meta_update};
use super::read::{arr_at, has, int_at, str_at, string_at};
use super::resources::{parse_quantity, validate_container_resource_name};
use super::{FieldError, FieldPath};
use crate::api::names;
use serde_json::Value;

const METRIC_TYPES: [&str; 5] = [
    "ContainerResource",
    "External",
    "Object",
    "Pods",
    "Resource",
];
const MAX_STABILIZATION_WINDOW: i64 = 3600;
const MAX_PERIOD_SECONDS: i64 = 1800;

pub fn validate_hpa(hpa: &Value) -> Vec<FieldError> {
    let mut errs = validate_object_meta(hpa, true, names::name_is_dns_subdomain);
    let spec = hpa.get("spec").unwrap_or(&Value::Null);
    let path = FieldPath::root("spec");
    let min = int_at(spec, "minReplicas");
    let max = int_at(spec, "maxReplicas").unwrap_or(0);
    if let Some(m) = min.filter(|m| *m < 1) {
        errs.push(FieldError::invalid(
            path.child("minReplicas"),
            m,
            "must be greater than or equal to 1",
        ));
    }
    if max < 1 {
        errs.push(FieldError::invalid(
            path.child("maxReplicas"),
            max,
            "must be greater than 0",
        ));
    }
    if min.is_some_and(|m| max < m) {
        errs.push(FieldError::invalid(
            path.child("maxReplicas"),
            max,
            "must be greater than or equal to `minReplicas`",
        ));
    }
    let ref_errs = validate_target_ref(
        spec.get("scaleTargetRef").unwrap_or(&Value::Null),
        &path.child("scaleTargetRef"),
    );
    if !ref_errs.is_empty() {
        errs.extend(ref_errs);
        return errs;
    }
    let metric_errs: Vec<FieldError> = arr_at(spec, "metrics")
        .iter()
        .enumerate()
        .flat_map(|(i, m)| validate_metric(m, &path.child("metrics").index(i)))
        .collect();
    if !metric_errs.is_empty() {
        errs.extend(metric_errs);
        return errs;
    }
    if let Some(b) = spec.get("behavior").filter(|v| !v.is_null()) {
        for dir in ["scaleUp", "scaleDown"] {
            if let Some(rules) = b.get(dir).filter(|v| !v.is_null()) {
                errs.extend(validate_scaling_rules(
                    rules,
                    &path.child("behavior").child(dir),
                ));
            }
        }
    }
    errs
}

fn validate_target_ref(r: &Value, path: &FieldPath) -> Vec<FieldError> {
    let mut errs = Vec::new();
    for key in ["kind", "name"] {
        let v = string_at(r, key);
        if v.is_empty() {
            errs.push(FieldError::required(path.child(key), ""));
        } else {
            errs.extend(
                names::is_valid_path_segment_name(v)
                    .into_iter()
                    .map(|m| FieldError::invalid(path.child(key), v, m)),
            );
        }
    }
    errs
}

fn validate_metric(m: &Value, path: &FieldPath) -> Vec<FieldError> {
    let mut errs = Vec::new();
    let ty = string_at(m, "type");
    if ty.is_empty() {
        errs.push(FieldError::required(
            path.child("type"),
            "must specify a metric source type",
        ));
    } else if !METRIC_TYPES.contains(&ty) {
        errs.push(FieldError::not_supported(
            path.child("type"),
            ty,
            &METRIC_TYPES,
        ));
    }
    let field_of = |t: &str| match t {
        "Object" => "object",
        "Pods" => "pods",
        "Resource" => "resource",
        "External" => "external",
        "ContainerResource" => "containerResource",
        _ => "",
    };
    let expected = field_of(ty);
    if !expected.is_empty() && !has(m, expected) {
        errs.push(FieldError::required(
            path.child(expected),
            "must populate information for the given metric source",
        ));
    }
    for t in METRIC_TYPES {
        let f = field_of(t);
        if f != expected && has(m, f) {
            errs.push(FieldError::forbidden(
                path.child(f),
                "must populate the given metric source only",
            ));
        }
    }
    if let Some(src) = m.get("resource").filter(|v| !v.is_null()) {
        let rp = path.child("resource");
        let name = string_at(src, "name");
        if name.is_empty() {
            errs.push(FieldError::required(
                rp.child("name"),
                "must specify a resource name",
            ));
        } else {
            errs.extend(validate_container_resource_name(name, &rp.child("name")));
        }
        let target = src.get("target").unwrap_or(&Value::Null);
        errs.extend(validate_target(target, &rp.child("target")));
        let (util, avg) = (
            has(target, "averageUtilization"),
            has(target, "averageValue"),
        );
        if !util && !avg {
            errs.push(FieldError::required(
                rp.child("target").child("averageUtilization"),
                "must set either a target raw value or a target utilization",
            ));
        } else if util && avg {
            errs.push(FieldError::forbidden(
                rp.child("target").child("averageValue"),
                "may not set both a target raw value and a target utilization",
            ));
        }
    }
    errs
}

fn validate_target(t: &Value, path: &FieldPath) -> Vec<FieldError> {
    let mut errs = Vec::new();
    let ty = string_at(t, "type");
    if ty.is_empty() {
        errs.push(FieldError::required(
            path.child("type"),
            "must specify a metric target type",
        ));
    }
    if !["Utilization", "Value", "AverageValue"].contains(&ty) {
        errs.push(FieldError::invalid(
            path.child("type"),
            ty,
            "must be either Utilization, Value, or AverageValue",
        ));
    }
    for key in ["value", "averageValue"] {
        if let Some(v) = t.get(key).filter(|v| !v.is_null()) {
            match parse_quantity(v, &path.child(key)) {
                Err(e) => errs.push(e),
                Ok(q) if q.sign() != 1 => errs.push(FieldError::invalid(
                    path.child(key),
                    q.canonical(),
                    "must be positive",
                )),
                Ok(_) => {}
            }
        }
    }
    if let Some(u) = int_at(t, "averageUtilization").filter(|u| *u < 1) {
        errs.push(FieldError::invalid(
            path.child("averageUtilization"),
            u,
            "must be greater than 0",
        ));
    }
    errs
}

fn validate_scaling_rules(rules: &Value, path: &FieldPath) -> Vec<FieldError> {
    let mut errs = Vec::new();
    if let Some(w) = int_at(rules, "stabilizationWindowSeconds") {
        if w < 0 {
            errs.push(FieldError::invalid(
                path.child("stabilizationWindowSeconds"),
                w,
                "must be greater than or equal to zero",
            ));
        } else if w > MAX_STABILIZATION_WINDOW {
            errs.push(FieldError::invalid(
                path.child("stabilizationWindowSeconds"),
                w,
                format!("must be less than or equal to {MAX_STABILIZATION_WINDOW}"),
            ));
        }
    }
    if let Some(sp) = str_at(rules, "selectPolicy") {
        if !["Disabled", "Max", "Min"].contains(&sp) {
            errs.push(FieldError::not_supported(
                path.child("selectPolicy"),
                sp,
                &["Disabled", "Max", "Min"],
            ));
        }
    }
    let policies = arr_at(rules, "policies");
    if policies.is_empty() {
        errs.push(FieldError::required(
            path.child("policies"),
            "must specify at least one Policy",
        ));
    }
    for (i, p) in policies.iter().enumerate() {
        let pp = path.child("policies").index(i);
        let ty = string_at(p, "type");
        if ty != "Pods" && ty != "Percent" {
            errs.push(FieldError::not_supported(
                pp.child("type"),
                ty,
                &["Percent", "Pods"],
            ));
        }
        let period = int_at(p, "periodSeconds").unwrap_or(0);
        if period <= 0 {
            errs.push(FieldError::invalid(
                pp.child("periodSeconds"),
                period,
                "must be greater than zero",
            ));
        } else if period > MAX_PERIOD_SECONDS {
            errs.push(FieldError::invalid(
                pp.child("periodSeconds"),
                period,
                format!("must be less than or equal to {MAX_PERIOD_SECONDS}"),
            ));
        }
        let value = int_at(p, "value").unwrap_or(0);
        if value <= 0 {
            errs.push(FieldError::invalid(
                pp.child("value"),
                value,
                "must be greater than zero",
            ));
        }
    }
    errs
}

pub fn validate_hpa_update(new: &Value, old: &Value) -> Vec<FieldError> {
    let mut errs = validate_object_meta_update(new, old);
    errs.extend(validate_hpa(new));
    errs
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::validation::test_support::{defaulted, messages};
    use serde_json::json;

    fn hpa(spec: Value) -> Value {
        defaulted(
            json!({"apiVersion": "autoscaling/v2", "kind": "HorizontalPodAutoscaler",
            "metadata": {"name": "my-api-hpa", "namespace": "default"}, "spec": spec}),
        )
    }

    fn errors(h: &Value) -> Vec<String> {
        messages(&validate_hpa(h))
    }

    fn target() -> Value {
        json!({"apiVersion": "apps/v1", "kind": "Deployment", "name": "my-api"})
    }

    #[test]
    fn seed_hpa_is_valid() {
        let h = hpa(
            json!({"scaleTargetRef": target(), "minReplicas": 2, "maxReplicas": 10, "metrics": [{"type": "Resource",
            "resource": {"name": "cpu", "target": {"type": "Utilization", "averageUtilization": 70}}}]}),
        );
        assert_eq!(errors(&h), Vec::<String>::new());
    }

    #[test]
    fn max_must_not_be_below_min() {
        let h = hpa(json!({"scaleTargetRef": target(), "minReplicas": 5, "maxReplicas": 3}));
        assert_eq!(errors(&h), vec!["spec.maxReplicas: Invalid value: 3: must be greater than or equal to `minReplicas`"]);
    }

    #[test]
    fn metric_source_must_match_its_type() {
        let h = hpa(
            json!({"scaleTargetRef": target(), "maxReplicas": 3, "metrics": [{"type": "Pods",
            "resource": {"name": "cpu", "target": {"type": "Utilization", "averageUtilization": 70}}}]}),
        );
        assert_eq!(
            errors(&h),
            vec![
                "spec.metrics[0].pods: Required value: must populate information for the given metric source",
                "spec.metrics[0].resource: Forbidden: must populate the given metric source only",
            ]
        );
    }

    #[test]
    fn utilization_must_be_positive_and_target_named() {
        let h = hpa(json!({"scaleTargetRef": {"kind": "Deployment"}, "maxReplicas": 3}));
        assert_eq!(errors(&h), vec!["spec.scaleTargetRef.name: Required value"]);
        let h = hpa(
            json!({"scaleTargetRef": target(), "maxReplicas": 3, "metrics": [{"type": "Resource",
            "resource": {"name": "cpu", "target": {"type": "Utilization", "averageUtilization": 0}}}]}),
        );
        assert_eq!(errors(&h), vec!["spec.metrics[0].resource.target.averageUtilization: Invalid value: 0: must be greater than 0"]);
    }

    #[test]
    fn behavior_policies_are_checked() {
        let h = hpa(json!({"scaleTargetRef": target(), "maxReplicas": 3,
            "behavior": {"scaleDown": {"policies": [{"type": "Pods", "value": 0, "periodSeconds": 60}]}}}));
        assert_eq!(errors(&h), vec!["spec.behavior.scaleDown.policies[0].value: Invalid value: 0: must be greater than zero"]);
    }
}
