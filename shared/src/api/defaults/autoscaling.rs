//! HorizontalPodAutoscaler (autoscaling/v2) defaults: minReplicas, the 80%
//! CPU metric when none is given, and complete scaling rules whenever
//! `behavior` is present (Kubernetes leaves an absent behavior absent).

use super::{child, default_field};
use serde_json::{json, Value};

fn scale_up_default() -> Value {
    json!({"stabilizationWindowSeconds": 0, "selectPolicy": "Max", "policies": [
        {"type": "Pods", "value": 4, "periodSeconds": 15},
        {"type": "Percent", "value": 100, "periodSeconds": 15}]})
}

fn scale_down_default() -> Value {
    json!({"selectPolicy": "Max", "policies": [{"type": "Percent", "value": 100, "periodSeconds": 15}]})
}

/// Keeps the user's fields and fills the rest from the defaults.
fn fill_rules(rules: &mut Value, defaults: Value) {
    if !rules.is_object() {
        *rules = defaults;
        return;
    }
    if let Value::Object(d) = defaults {
        for (k, v) in d {
            default_field(rules, &k, v);
        }
    }
}

pub fn apply_hpa(hpa: &mut Value) {
    let spec = child(hpa, "spec");
    default_field(spec, "minReplicas", json!(1));
    let no_metrics = spec
        .get("metrics")
        .and_then(Value::as_array)
        .is_none_or(Vec::is_empty);
    if no_metrics {
        spec["metrics"] = json!([{"type": "Resource", "resource": {"name": "cpu",
            "target": {"type": "Utilization", "averageUtilization": 80}}}]);
    }
    if let Some(behavior) = spec.get_mut("behavior").filter(|b| b.is_object()) {
        fill_rules(
            default_field(behavior, "scaleUp", Value::Null),
            scale_up_default(),
        );
        fill_rules(
            default_field(behavior, "scaleDown", Value::Null),
            scale_down_default(),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seed_hpa_keeps_its_metric_and_gets_no_behavior() {
        let metric = json!([{"type": "Resource", "resource": {"name": "cpu", "target": {"type": "Utilization", "averageUtilization": 70}}}]);
        let mut h = json!({"spec": {"scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "my-api"},
            "minReplicas": 2, "maxReplicas": 10, "metrics": metric.clone()}});
        apply_hpa(&mut h);
        assert_eq!(h["spec"]["metrics"], metric);
        assert_eq!(h["spec"]["minReplicas"], 2);
        assert!(h["spec"].get("behavior").is_none());
    }

    #[test]
    fn missing_metrics_default_to_80_percent_cpu() {
        let mut h = json!({"spec": {"maxReplicas": 3}});
        apply_hpa(&mut h);
        assert_eq!(h["spec"]["minReplicas"], 1);
        assert_eq!(
            h["spec"]["metrics"][0]["resource"]["target"]["averageUtilization"],
            80
        );
    }

    #[test]
    fn partial_behavior_is_completed() {
        let mut h = json!({"spec": {"maxReplicas": 3, "behavior": {"scaleDown": {"stabilizationWindowSeconds": 60}}}});
        apply_hpa(&mut h);
        assert_eq!(h["spec"]["behavior"]["scaleUp"], scale_up_default());
        assert_eq!(
            h["spec"]["behavior"]["scaleDown"],
            json!({"stabilizationWindowSeconds": 60, "selectPolicy": "Max", "policies": [{"type": "Percent", "value": 100, "periodSeconds": 15}]})
        );
    }
}
