//! What a controller reads from a pod's status: whether it still counts
//! (active), is Ready, and has been Ready for `minReadySeconds` (available).

use jiff::{SignedDuration, Timestamp};
use serde_json::Value;

pub(crate) fn phase(pod: &Value) -> &str {
    pod.pointer("/status/phase")
        .and_then(Value::as_str)
        .unwrap_or("")
}

/// Neither finished nor being deleted: the pods a ReplicaSet counts.
pub(crate) fn is_active(pod: &Value) -> bool {
    !matches!(phase(pod), "Succeeded" | "Failed") && !crate::api::meta::is_terminating(pod)
}

fn ready_condition(pod: &Value) -> Option<&Value> {
    pod.pointer("/status/conditions")
        .and_then(Value::as_array)?
        .iter()
        .find(|c| c.get("type").and_then(Value::as_str) == Some("Ready"))
}

/// The pod's `Ready` condition is `True`: one readiness check for every
/// controller, so Services and ReplicaSets agree on which pods are Ready.
pub(crate) fn is_ready(pod: &Value) -> bool {
    ready_condition(pod)
        .and_then(|c| c.get("status"))
        .and_then(Value::as_str)
        == Some("True")
}

/// When the pod last became Ready, if it is Ready.
pub(crate) fn ready_since(pod: &Value) -> Option<Timestamp> {
    if !is_ready(pod) {
        return None;
    }
    ready_condition(pod)?
        .get("lastTransitionTime")?
        .as_str()?
        .parse()
        .ok()
}

/// When a Ready pod turns available: strictly after `minReadySeconds` of readiness.
/// `None` when it is not Ready (or has no transition time while a wait is needed).
pub(crate) fn available_after(pod: &Value, min_ready_seconds: i64) -> Option<Timestamp> {
    if !is_ready(pod) {
        return None;
    }
    if min_ready_seconds <= 0 {
        return Some(Timestamp::MIN);
    }
    let since = ready_since(pod)?;
    since
        .checked_add(SignedDuration::from_secs(min_ready_seconds))
        .ok()
}

pub(crate) fn is_available(pod: &Value, min_ready_seconds: i64, now: Timestamp) -> bool {
    available_after(pod, min_ready_seconds).is_some_and(|t| t == Timestamp::MIN || t < now)
}

/// Restarts summed over the pod's containers.
pub(crate) fn restarts(pod: &Value) -> i64 {
    pod.pointer("/status/containerStatuses")
        .and_then(Value::as_array)
        .map(|cs| {
            cs.iter()
                .filter_map(|c| c.get("restartCount").and_then(Value::as_i64))
                .sum()
        })
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn ready_at(t: &str) -> Value {
        json!({"status": {"phase": "Running", "conditions": [{"type": "Ready", "status": "True", "lastTransitionTime": t}]}})
    }

    #[test]
    fn min_ready_seconds_must_pass_strictly() {
        let pod = ready_at("2026-01-01T00:00:00Z");
        let at = |s: &str| s.parse::<Timestamp>().unwrap();
        assert!(is_available(&pod, 0, at("2026-01-01T00:00:00Z")));
        assert!(!is_available(&pod, 10, at("2026-01-01T00:00:10Z")));
        assert!(is_available(&pod, 10, at("2026-01-01T00:00:10.001Z")));
    }

    #[test]
    fn terminating_and_finished_pods_are_not_active() {
        assert!(is_active(&json!({"status": {"phase": "Pending"}})));
        assert!(!is_active(&json!({"status": {"phase": "Failed"}})));
        assert!(!is_active(
            &json!({"metadata": {"deletionTimestamp": "2026-01-01T00:00:00Z"}})
        ));
    }
}
