//! The HorizontalPodAutoscaler table: `Deployment/my-api` and targets like
//! `cpu: 35%/70%` (or `cpu: <unknown>/70%` before the first metrics arrive).

use super::descriptions as doc;
use super::duration::since;
use super::fields::{list_at, opt_int, quantity, str_at, time};
use super::{Column, Printer, Row, Rows};
use crate::api::meta;
use jiff::Timestamp;
use serde_json::Value;

pub(super) const PRINTER: Printer = Printer {
    columns: &[
        Column::name(),
        Column::string("Reference", doc::HPA_REF),
        Column::string("Targets", doc::HPA_METRICS),
        Column::string("MinPods", doc::HPA_MIN),
        Column::string("MaxPods", doc::HPA_MAX),
        Column::string("Replicas", doc::HPA_CURRENT),
        Column::age(),
    ],
    rows: Rows::Each(row),
};

/// Metrics shown before `+ N more...`.
const MAX_METRICS: usize = 2;
const UNKNOWN: &str = "<unknown>";

fn row(hpa: &Value, now: Timestamp) -> Row {
    let reference = format!(
        "{}/{}",
        str_at(hpa, "/spec/scaleTargetRef/kind"),
        str_at(hpa, "/spec/scaleTargetRef/name")
    );
    let min_pods =
        opt_int(hpa, "/spec/minReplicas").map_or_else(|| "<unset>".into(), |n| n.to_string());
    Row::new(vec![
        meta::name(hpa).into(),
        reference.into(),
        targets(
            list_at(hpa, "/spec/metrics"),
            list_at(hpa, "/status/currentMetrics"),
        )
        .into(),
        min_pods.into(),
        opt_int(hpa, "/spec/maxReplicas").unwrap_or(0).into(),
        opt_int(hpa, "/status/currentReplicas").unwrap_or(0).into(),
        since(time(hpa, "/metadata/creationTimestamp"), now).into(),
    ])
}

/// Each spec metric as `current/target`, matched to the status metric at the
/// same position, as Kubernetes does.
fn targets(specs: &[Value], statuses: &[Value]) -> String {
    if specs.is_empty() {
        return "<none>".into();
    }
    let list: Vec<String> = specs
        .iter()
        .enumerate()
        .map(|(i, spec)| metric(spec, statuses.get(i)))
        .collect();
    if list.len() > MAX_METRICS {
        format!(
            "{} + {} more...",
            list[..MAX_METRICS].join(", "),
            list.len() - MAX_METRICS
        )
    } else {
        list.join(", ")
    }
}

/// A quantity field; Go prints a missing one as `<nil>`.
fn q(v: &Value, pointer: &str) -> String {
    quantity(v, pointer).unwrap_or_else(|| "<nil>".into())
}

fn metric(spec: &Value, status: Option<&Value>) -> String {
    // The status entry for this metric's source, when it was reported.
    let source = |key: &str| status.and_then(|s| s.get(key)).filter(|v| v.is_object());
    match str_at(spec, "/type") {
        "External" | "Object" => {
            let key = if str_at(spec, "/type") == "External" {
                "external"
            } else {
                "object"
            };
            let target = &spec[key]["target"];
            let current = source(key).map(|s| &s["current"]);
            if target.get("averageValue").is_some() {
                let now = current
                    .filter(|c| c.get("averageValue").is_some())
                    .map_or_else(|| UNKNOWN.into(), |c| q(c, "/averageValue"));
                format!("{now}/{} (avg)", q(target, "/averageValue"))
            } else {
                let now = current.map_or_else(|| UNKNOWN.into(), |c| q(c, "/value"));
                format!("{now}/{}", q(target, "/value"))
            }
        }
        "Pods" => {
            let now =
                source("pods").map_or_else(|| UNKNOWN.into(), |s| q(s, "/current/averageValue"));
            format!("{now}/{}", q(spec, "/pods/target/averageValue"))
        }
        "Resource" | "ContainerResource" => {
            let key = if str_at(spec, "/type") == "Resource" {
                "resource"
            } else {
                "containerResource"
            };
            let name = str_at(&spec[key], "/name");
            let target = &spec[key]["target"];
            if target.get("averageValue").is_some() {
                let now =
                    source(key).map_or_else(|| UNKNOWN.into(), |s| q(s, "/current/averageValue"));
                format!("{name}: {now}/{}", q(target, "/averageValue"))
            } else {
                let now = source(key)
                    .and_then(|s| opt_int(s, "/current/averageUtilization"))
                    .map_or_else(|| UNKNOWN.into(), |u| format!("{u}%"));
                let goal = opt_int(target, "/averageUtilization")
                    .map_or_else(|| "<auto>".into(), |u| format!("{u}%"));
                format!("{name}: {now}/{goal}")
            }
        }
        _ => "<unknown type>".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_support::*;
    use serde_json::{json, Value};

    fn hpa(metrics: Value, status: Value) -> Value {
        json!({
            "apiVersion": "autoscaling/v2", "kind": "HorizontalPodAutoscaler",
            "metadata": {"name": "my-api", "namespace": "default", "creationTimestamp": ago(1200)},
            "spec": {
                "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "my-api"},
                "minReplicas": 2, "maxReplicas": 10, "metrics": metrics,
            },
            "status": status,
        })
    }

    fn cpu(target: i64) -> Value {
        json!({"type": "Resource", "resource": {"name": "cpu", "target": {"type": "Utilization", "averageUtilization": target}}})
    }

    #[test]
    fn hpa_with_current_metrics() {
        let h = hpa(
            json!([cpu(70)]),
            json!({"currentReplicas": 3, "desiredReplicas": 3, "currentMetrics": [
                {"type": "Resource", "resource": {"name": "cpu", "current": {"averageUtilization": 35, "averageValue": "70m"}}},
            ]}),
        );
        assert_eq!(
            cells(&h),
            json!([
                "my-api",
                "Deployment/my-api",
                "cpu: 35%/70%",
                "2",
                10,
                3,
                "20m"
            ])
        );
        assert!(headers(&h).iter().all(|(_, t, p)| t == "string" && *p == 0));
    }

    #[test]
    fn hpa_before_first_metrics() {
        let h = hpa(
            json!([cpu(70)]),
            json!({"currentReplicas": 0, "desiredReplicas": 0}),
        );
        assert_eq!(
            cells(&h),
            json!([
                "my-api",
                "Deployment/my-api",
                "cpu: <unknown>/70%",
                "2",
                10,
                0,
                "20m"
            ])
        );
    }

    #[test]
    fn hpa_without_min_replicas_or_metrics() {
        let mut h = hpa(json!([]), json!({}));
        h["spec"].as_object_mut().unwrap().remove("minReplicas");
        let c = cells(&h);
        assert_eq!(c[2], "<none>");
        assert_eq!(c[3], "<unset>");
    }

    #[test]
    fn hpa_lists_two_metrics_then_counts() {
        let metrics = json!([
            cpu(70),
            {"type": "Resource", "resource": {"name": "memory", "target": {"type": "AverageValue", "averageValue": "500Mi"}}},
            {"type": "Pods", "pods": {"metric": {"name": "rps"}, "target": {"type": "AverageValue", "averageValue": "100"}}},
        ]);
        let status = json!({"currentMetrics": [
            {"type": "Resource", "resource": {"name": "cpu", "current": {"averageUtilization": 81}}},
            {"type": "Resource", "resource": {"name": "memory", "current": {"averageValue": "310Mi"}}},
        ]});
        assert_eq!(
            cells(&hpa(metrics, status))[2],
            "cpu: 81%/70%, memory: 310Mi/500Mi + 1 more..."
        );
    }

    #[test]
    fn hpa_pods_object_and_external_metrics() {
        let metrics = json!([
            {"type": "Pods", "pods": {"metric": {"name": "rps"}, "target": {"type": "AverageValue", "averageValue": "100"}}},
            {"type": "External", "external": {"metric": {"name": "queue"}, "target": {"type": "AverageValue", "averageValue": "30"}}},
        ]);
        let status = json!({"currentMetrics": [
            {"type": "Pods", "pods": {"metric": {"name": "rps"}, "current": {"averageValue": "42"}}},
        ]});
        assert_eq!(
            cells(&hpa(metrics, status))[2],
            "42/100, <unknown>/30 (avg)"
        );
        let object = json!([{"type": "Object", "object": {"metric": {"name": "hits"}, "describedObject": {"kind": "Ingress", "name": "shop"},
                                                       "target": {"type": "Value", "value": "10k"}}}]);
        let status =
            json!({"currentMetrics": [{"type": "Object", "object": {"current": {"value": "2k"}}}]});
        assert_eq!(cells(&hpa(object, status))[2], "2k/10k");
    }
}
