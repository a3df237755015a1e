//! Which pods a ReplicaSet deletes first when it scales down: Kubernetes'
//! ActivePods ranking, cheapest to lose first (not yet scheduled, not running,
//! not ready, recently ready, crash-looping, young).

use crate::controllers::pod_state;
use crate::api::meta;
use jiff::Timestamp;
use serde_json::Value;
use std::cmp::Ordering;

/// A pod with what its place in the deletion order depends on.
#[derive(Debug, Clone)]
pub(crate) struct Candidate<'a> {
    pub pod: &'a Value,
    /// How many pods of the same set share its node (doubled-up pods go first).
    pub colocated: usize,
}

fn node(pod: &Value) -> &str {
    pod.pointer("/spec/nodeName")
        .and_then(Value::as_str)
        .unwrap_or("")
}

fn phase_rank(pod: &Value) -> u8 {
    match pod_state::phase(pod) {
        "Pending" => 0,
        "Unknown" => 1,
        "Running" => 2,
        _ => 3,
    }
}

fn deletion_cost(pod: &Value) -> i64 {
    meta::annotation(pod, "controller.kubernetes.io/pod-deletion-cost")
        .and_then(|c| c.parse().ok())
        .unwrap_or(0)
}

fn created(pod: &Value) -> Option<Timestamp> {
    pod.pointer("/metadata/creationTimestamp")
        .and_then(Value::as_str)
        .and_then(|s| s.parse().ok())
}

/// The power-of-two bucket of `now - t`, so pods of similar age tie (Kubernetes' logarithmic scale-down).
fn age_bucket(t: Timestamp, now: Timestamp) -> i64 {
    let nanos = now.duration_since(t).as_nanos();
    if nanos > 0 {
        (nanos as f64).log2() as i64
    } else {
        -1
    }
}

/// `Less` when `a` should be deleted before `b`.
pub(crate) fn deletion_order(a: &Candidate, b: &Candidate, now: Timestamp) -> Ordering {
    let (pa, pb) = (a.pod, b.pod);
    let assigned = |p: &Value| !node(p).is_empty();
    assigned(pa)
        .cmp(&assigned(pb))
        .then_with(|| phase_rank(pa).cmp(&phase_rank(pb)))
        .then_with(|| pod_state::is_ready(pa).cmp(&pod_state::is_ready(pb)))
        .then_with(|| deletion_cost(pa).cmp(&deletion_cost(pb)))
        .then_with(|| b.colocated.cmp(&a.colocated))
        .then_with(
            || match (pod_state::ready_since(pa), pod_state::ready_since(pb)) {
                // Ready more recently (a smaller bucket of time since) goes first.
                (Some(x), Some(y)) => age_bucket(x, now).cmp(&age_bucket(y, now)),
                _ => Ordering::Equal,
            },
        )
        .then_with(|| pod_state::restarts(pb).cmp(&pod_state::restarts(pa)))
        .then_with(|| match (created(pa), created(pb)) {
            (Some(x), Some(y)) => age_bucket(x, now).cmp(&age_bucket(y, now)),
            (None, Some(_)) => Ordering::Less,
            (Some(_), None) => Ordering::Greater,
            (None, None) => Ordering::Equal,
        })
        .then_with(|| meta::name(pa).cmp(meta::name(pb)))
}

/// The `count` pods to delete, in the order Kubernetes would pick them.
pub(crate) fn pods_to_delete<'a>(
    pods: &[&'a Value],
    count: usize,
    now: Timestamp,
) -> Vec<&'a Value> {
    let mut per_node: std::collections::HashMap<&str, usize> = std::collections::HashMap::new();
    for p in pods {
        if !node(p).is_empty() {
            *per_node.entry(node(p)).or_default() += 1;
        }
    }
    let mut candidates: Vec<Candidate<'a>> = pods
        .iter()
        .map(|p| Candidate {
            pod: p,
            colocated: per_node.get(node(p)).copied().unwrap_or(0),
        })
        .collect();
    candidates.sort_by(|a, b| deletion_order(a, b, now));
    candidates.into_iter().take(count).map(|c| c.pod).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn now() -> Timestamp {
        "2026-01-01T01:00:00Z".parse().unwrap()
    }

    fn pod(
        name: &str,
        node: &str,
        phase: &str,
        ready_since: Option<&str>,
        restarts: i64,
        created: &str,
    ) -> Value {
        let ready = match ready_since {
            Some(t) => json!([{"type": "Ready", "status": "True", "lastTransitionTime": t}]),
            None => json!([{"type": "Ready", "status": "False"}]),
        };
        json!({"metadata": {"name": name, "creationTimestamp": created},
            "spec": {"nodeName": node},
            "status": {"phase": phase, "conditions": ready, "containerStatuses": [{"restartCount": restarts}]}})
    }

    fn order(pods: &[Value]) -> Vec<String> {
        let refs: Vec<&Value> = pods.iter().collect();
        pods_to_delete(&refs, pods.len(), now())
            .iter()
            .map(|p| meta::name(p).to_string())
            .collect()
    }

    #[test]
    fn unscheduled_then_pending_then_not_ready_then_ready() {
        let t = "2026-01-01T00:00:00Z";
        let pods = vec![
            pod("ready", "n1", "Running", Some(t), 0, t),
            pod("unscheduled", "", "Pending", None, 0, t),
            pod("not-ready", "n2", "Running", None, 0, t),
            pod("pending", "n3", "Pending", None, 0, t),
        ];
        assert_eq!(
            order(&pods),
            ["unscheduled", "pending", "not-ready", "ready"]
        );
    }

    #[test]
    fn recently_ready_and_restarting_and_newer_go_first() {
        let old = "2026-01-01T00:00:00Z";
        let pods = vec![
            pod("long-ready", "n1", "Running", Some(old), 0, old),
            pod(
                "just-ready",
                "n2",
                "Running",
                Some("2026-01-01T00:59:59Z"),
                0,
                old,
            ),
        ];
        assert_eq!(order(&pods), ["just-ready", "long-ready"]);
        let pods = vec![
            pod("steady", "n1", "Running", Some(old), 0, old),
            pod("flaky", "n2", "Running", Some(old), 5, old),
        ];
        assert_eq!(order(&pods), ["flaky", "steady"]);
        let pods = vec![
            pod("elder", "n1", "Pending", None, 0, old),
            pod("young", "n2", "Pending", None, 0, "2026-01-01T00:59:58Z"),
        ];
        assert_eq!(order(&pods), ["young", "elder"]);
    }

    #[test]
    fn doubled_up_pods_go_before_lone_ones() {
        let t = "2026-01-01T00:00:00Z";
        let pods = vec![
            pod("alone", "n1", "Running", Some(t), 0, t),
            pod("shared-a", "n2", "Running", Some(t), 0, t),
            pod("shared-b", "n2", "Running", Some(t), 0, t),
        ];
        assert_eq!(order(&pods)[2], "alone");
    }
}
