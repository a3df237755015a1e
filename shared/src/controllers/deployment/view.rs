//! Typed views of a Deployment and its ReplicaSets: the numbers the rollout
//! arithmetic works on, read once from their JSON.

use crate::api::meta;
use crate::store::selector::LabelSelector;
use serde_json::Value;
use std::sync::Arc;

pub(crate) const REVISION: &str = "deployment.kubernetes.io/revision";
pub(crate) const DESIRED_REPLICAS: &str = "deployment.kubernetes.io/desired-replicas";
pub(crate) const MAX_REPLICAS: &str = "deployment.kubernetes.io/max-replicas";

fn int(obj: &Value, pointer: &str) -> i64 {
    obj.pointer(pointer).and_then(Value::as_i64).unwrap_or(0)
}

/// An int-or-percent (`maxSurge: 1`, `maxUnavailable: "25%"`) of `total`.
pub(crate) fn scaled_value(v: Option<&Value>, total: i64, round_up: bool) -> i64 {
    match v {
        Some(Value::Number(n)) => n.as_i64().unwrap_or(0),
        Some(Value::String(s)) => {
            let Some(pct) = s.strip_suffix('%').and_then(|p| p.parse::<i64>().ok()) else {
                return s.parse().unwrap_or(0);
            };
            let exact = (pct * total) as f64 / 100.0;
            (if round_up {
                exact.ceil()
            } else {
                exact.floor()
            }) as i64
        }
        _ => 0,
    }
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Strategy {
    Recreate,
    RollingUpdate {
        max_surge: Option<Value>,
        max_unavailable: Option<Value>,
    },
}

#[derive(Debug, Clone)]
pub(crate) struct DeploymentView {
    pub obj: Arc<Value>,
    pub name: String,
    pub namespace: String,
    pub uid: String,
    pub generation: i64,
    pub replicas: i64,
    pub paused: bool,
    pub min_ready_seconds: i64,
    pub revision_history_limit: Option<i64>,
    pub progress_deadline_seconds: Option<i64>,
    pub strategy: Strategy,
    pub selector: LabelSelector,
    pub terminating: bool,
}

impl DeploymentView {
    pub(crate) fn new(obj: Arc<Value>) -> Self {
        let strategy = match obj.pointer("/spec/strategy/type").and_then(Value::as_str) {
            Some("Recreate") => Strategy::Recreate,
            _ => Strategy::RollingUpdate {
                max_surge: obj
                    .pointer("/spec/strategy/rollingUpdate/maxSurge")
                    .cloned(),
                max_unavailable: obj
                    .pointer("/spec/strategy/rollingUpdate/maxUnavailable")
                    .cloned(),
            },
        };
        Self {
            name: meta::name(&obj).to_string(),
            namespace: meta::namespace(&obj).to_string(),
            uid: meta::uid(&obj).to_string(),
            generation: int(&obj, "/metadata/generation"),
            replicas: obj
                .pointer("/spec/replicas")
                .and_then(Value::as_i64)
                .unwrap_or(1),
            paused: obj
                .pointer("/spec/paused")
                .and_then(Value::as_bool)
                .unwrap_or(false),
            min_ready_seconds: int(&obj, "/spec/minReadySeconds"),
            revision_history_limit: obj
                .pointer("/spec/revisionHistoryLimit")
                .and_then(Value::as_i64),
            // Kubernetes' "no deadline" is MaxInt32.
            progress_deadline_seconds: obj
                .pointer("/spec/progressDeadlineSeconds")
                .and_then(Value::as_i64)
                .filter(|s| *s != i64::from(i32::MAX)),
            strategy,
            selector: obj
                .pointer("/spec/selector")
                .and_then(|s| LabelSelector::from_label_selector_json(s).ok())
                .unwrap_or_else(LabelSelector::nothing),
            terminating: meta::is_terminating(&obj),
            obj,
        }
    }

    pub(crate) fn template(&self) -> &Value {
        self.obj.pointer("/spec/template").unwrap_or(&Value::Null)
    }

    pub(crate) fn status(&self) -> &Value {
        self.obj.get("status").unwrap_or(&Value::Null)
    }

    pub(crate) fn is_rolling(&self) -> bool {
        matches!(self.strategy, Strategy::RollingUpdate { .. })
    }

    /// (maxSurge, maxUnavailable) in pods: surge rounds up, unavailable down,
    /// and both zero would deadlock, so unavailable becomes 1.
    pub(crate) fn fenceposts(&self) -> (i64, i64) {
        let Strategy::RollingUpdate {
            max_surge,
            max_unavailable,
        } = &self.strategy
        else {
            return (0, 0);
        };
        let surge = scaled_value(max_surge.as_ref(), self.replicas, true);
        let unavailable = scaled_value(max_unavailable.as_ref(), self.replicas, false);
        if surge == 0 && unavailable == 0 {
            (0, 1)
        } else {
            (surge, unavailable)
        }
    }

    pub(crate) fn max_surge(&self) -> i64 {
        self.fenceposts().0
    }

    pub(crate) fn max_unavailable(&self) -> i64 {
        if !self.is_rolling() || self.replicas == 0 {
            return 0;
        }
        self.fenceposts().1.min(self.replicas)
    }
}

#[derive(Debug, Clone)]
pub(crate) struct SetView {
    pub obj: Arc<Value>,
    pub name: String,
    pub replicas: i64,
    pub status_replicas: i64,
    pub ready: i64,
    pub available: i64,
    pub generation: i64,
    pub observed_generation: i64,
    /// `creationTimestamp` (RFC 3339 at second precision sorts as text).
    pub created: String,
    pub terminating: bool,
}

impl SetView {
    pub(crate) fn new(obj: Arc<Value>) -> Self {
        Self {
            name: meta::name(&obj).to_string(),
            replicas: int(&obj, "/spec/replicas"),
            status_replicas: int(&obj, "/status/replicas"),
            ready: int(&obj, "/status/readyReplicas"),
            available: int(&obj, "/status/availableReplicas"),
            generation: int(&obj, "/metadata/generation"),
            observed_generation: int(&obj, "/status/observedGeneration"),
            created: obj
                .pointer("/metadata/creationTimestamp")
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_string(),
            terminating: meta::is_terminating(&obj),
            obj,
        }
    }

    pub(crate) fn uid(&self) -> &str {
        meta::uid(&self.obj)
    }

    pub(crate) fn template(&self) -> &Value {
        self.obj.pointer("/spec/template").unwrap_or(&Value::Null)
    }

    pub(crate) fn revision(&self) -> i64 {
        meta::annotation(&self.obj, REVISION)
            .and_then(|r| r.parse().ok())
            .unwrap_or(0)
    }

    pub(crate) fn annotated(&self, key: &str) -> Option<i64> {
        meta::annotation(&self.obj, key).and_then(|r| r.parse().ok())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn rolling(replicas: i64, surge: Value, unavailable: Value) -> DeploymentView {
        DeploymentView::new(Arc::new(json!({"spec": {"replicas": replicas,
            "strategy": {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": surge, "maxUnavailable": unavailable}}}})))
    }

    #[test]
    fn surge_rounds_up_and_unavailable_rounds_down() {
        assert_eq!(rolling(10, json!("25%"), json!("25%")).fenceposts(), (3, 2));
        assert_eq!(rolling(3, json!("25%"), json!("25%")).fenceposts(), (1, 0));
        assert_eq!(rolling(4, json!(2), json!("50%")).fenceposts(), (2, 2));
    }

    #[test]
    fn zero_surge_and_zero_unavailable_still_make_progress() {
        assert_eq!(rolling(3, json!(0), json!("10%")).fenceposts(), (0, 1));
        assert_eq!(
            rolling(2, json!(0), json!(5)).max_unavailable(),
            2,
            "never more than replicas"
        );
    }
}
