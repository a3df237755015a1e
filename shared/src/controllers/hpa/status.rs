//! The HPA's status as Kubernetes writes it: replica counts, current metrics
//! and the AbleToScale / ScalingActive / ScalingLimited conditions.
//!
//! Conditions keep their `lastTransitionTime` until their status flips, so
//! `kubectl describe` can tell how long an HPA has been limited.

use crate::api::quantity::Quantity;
use crate::apiserver::format_time;
use jiff::Timestamp;
use serde_json::{json, Value};

pub const ABLE_TO_SCALE: &str = "AbleToScale";
pub const SCALING_ACTIVE: &str = "ScalingActive";
pub const SCALING_LIMITED: &str = "ScalingLimited";

/// Sets one condition, keeping its transition time when the status is unchanged.
pub fn set_condition(
    conditions: &mut Vec<Value>,
    kind: &str,
    status: bool,
    reason: &str,
    message: &str,
    now: Timestamp,
) {
    let status = if status { "True" } else { "False" };
    let existing = conditions
        .iter_mut()
        .find(|c| c.get("type").and_then(Value::as_str) == Some(kind));
    match existing {
        Some(c) => {
            if c.get("status").and_then(Value::as_str) != Some(status) {
                c["lastTransitionTime"] = json!(format_time(now));
            }
            c["status"] = json!(status);
            c["reason"] = json!(reason);
            c["message"] = json!(message);
        }
        None => conditions.push(json!({
            "type": kind, "status": status, "reason": reason, "message": message,
            "lastTransitionTime": format_time(now),
        })),
    }
}

/// A milli-unit count as Kubernetes prints `NewMilliQuantity(v, DecimalSI)`: `250m`, `2`, `67108864`.
pub fn milli_quantity(millis: i64) -> String {
    Quantity::parse(&format!("{millis}m")).map_or_else(|_| "0".to_string(), |q| q.canonical())
}

/// `status.currentMetrics[]` for a Resource metric.
pub fn resource_metric_status(
    resource: &str,
    utilization: Option<i32>,
    average_millis: i64,
) -> Value {
    let mut current = json!({"averageValue": milli_quantity(average_millis)});
    if let Some(u) = utilization {
        current["averageUtilization"] = json!(u);
    }
    json!({"type": "Resource", "resource": {"name": resource, "current": current}})
}

/// The entry Kubernetes leaves for a metric it could not read (an empty `MetricStatus`).
pub fn unknown_metric_status() -> Value {
    json!({"type": ""})
}

/// The parts of the status a sync decides.
#[derive(Debug, Clone, PartialEq)]
pub struct Observed {
    pub current_replicas: i32,
    pub desired_replicas: i32,
    pub current_metrics: Vec<Value>,
    pub rescaled: bool,
    pub generation: Option<i64>,
}

/// Builds the new status from the old one (for `lastScaleTime`) and the conditions.
pub fn build(old: &Value, observed: &Observed, conditions: Vec<Value>, now: Timestamp) -> Value {
    let mut status = json!({
        "currentReplicas": observed.current_replicas,
        "desiredReplicas": observed.desired_replicas,
    });
    if !observed.current_metrics.is_empty() {
        status["currentMetrics"] = json!(observed.current_metrics);
    }
    if !conditions.is_empty() {
        status["conditions"] = json!(conditions);
    }
    if observed.rescaled {
        status["lastScaleTime"] = json!(format_time(now));
    } else if let Some(last) = old.get("lastScaleTime").filter(|v| !v.is_null()) {
        status["lastScaleTime"] = last.clone();
    }
    if let Some(g) = observed.generation {
        status["observedGeneration"] = json!(g);
    }
    status
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: &str) -> Timestamp {
        s.parse().unwrap()
    }

    #[test]
    fn condition_transition_time_moves_only_when_status_flips() {
        let mut c = vec![];
        set_condition(
            &mut c,
            SCALING_LIMITED,
            false,
            "DesiredWithinRange",
            "ok",
            t("2026-01-01T00:00:00Z"),
        );
        set_condition(
            &mut c,
            SCALING_LIMITED,
            false,
            "DesiredWithinRange",
            "ok",
            t("2026-01-01T00:01:00Z"),
        );
        assert_eq!(c[0]["lastTransitionTime"], "2026-01-01T00:00:00Z");
        set_condition(
            &mut c,
            SCALING_LIMITED,
            true,
            "TooManyReplicas",
            "max",
            t("2026-01-01T00:02:00Z"),
        );
        assert_eq!(c.len(), 1);
        assert_eq!(c[0]["lastTransitionTime"], "2026-01-01T00:02:00Z");
        assert_eq!(
            (c[0]["status"].as_str(), c[0]["reason"].as_str()),
            (Some("True"), Some("TooManyReplicas"))
        );
    }

    #[test]
    fn metric_values_print_like_milli_quantities() {
        assert_eq!(milli_quantity(250), "250m");
        assert_eq!(milli_quantity(2000), "2");
        assert_eq!(milli_quantity(64 * 1024 * 1024 * 1000), "67108864");
        assert_eq!(
            resource_metric_status("cpu", Some(35), 70),
            json!({"type": "Resource", "resource": {"name": "cpu", "current": {"averageUtilization": 35, "averageValue": "70m"}}})
        );
    }

    #[test]
    fn last_scale_time_is_kept_until_the_next_rescale() {
        let old = json!({"lastScaleTime": "2026-01-01T00:00:00Z"});
        let mut o = Observed {
            current_replicas: 2,
            desired_replicas: 2,
            current_metrics: vec![],
            rescaled: false,
            generation: Some(1),
        };
        let s = build(&old, &o, vec![], t("2026-01-01T00:05:00Z"));
        assert_eq!(
            s,
            json!({"currentReplicas": 2, "desiredReplicas": 2, "lastScaleTime": "2026-01-01T00:00:00Z", "observedGeneration": 1})
        );
        o.rescaled = true;
        assert_eq!(
            build(&old, &o, vec![], t("2026-01-01T00:05:00Z"))["lastScaleTime"],
            "2026-01-01T00:05:00Z"
        );
    }
}
