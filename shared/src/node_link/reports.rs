//! An agent's reports written into the API as the kubelet and metrics-server would: pod status
//! through `/status`, Events through the recorder, usage as `metrics.k8s.io` objects.
//!
//! An agent may only speak for pods bound to its own node, and only for the pod instance
//! (`uid`) it runs; anything else is ignored.

use crate::api::{meta, resources};
use crate::apiserver::{format_time, ApiServer, DeleteOptions, WriteOptions};
use crate::controllers::events::{EventRecorder, EventType};
use crate::node_protocol::report::{self, EventReport, MetricsReport, PodRef, Usage};
use crate::sim::metrics::{delete_pod, SCRAPE_SECONDS};
use jiff::Timestamp;
use serde_json::{json, Value};

/// Pod conditions the kubelet owns; the others (PodScheduled, DisruptionTarget) are kept.
const KUBELET_CONDITIONS: [&str; 4] = ["PodReadyToStartContainers", "Initialized", "Ready", "ContainersReady"];

fn pods() -> Option<&'static resources::Resource> {
    resources::by_plural("", "v1", "pods")
}

/// The stored pod `r` names, if it is this node's and the same instance.
pub fn owned_pod(api: &ApiServer, node: &str, r: &PodRef) -> Option<Value> {
    let pod = api.get(pods()?, &r.namespace, &r.name).ok()?;
    let ours = meta::uid(pod) == r.uid && pod.pointer("/spec/nodeName").and_then(Value::as_str) == Some(node);
    ours.then(|| (**pod).clone())
}

/// The status to store: the agent's, with conditions it does not own kept from `old`.
pub fn merged_status(old: &Value, reported: &Value) -> Value {
    let mut status = match reported {
        Value::Object(_) => reported.clone(),
        _ => json!({}),
    };
    let kept = old.get("conditions").and_then(Value::as_array).into_iter().flatten()
        .filter(|c| !KUBELET_CONDITIONS.iter().any(|k| c["type"] == *k));
    let theirs = reported.get("conditions").and_then(Value::as_array).into_iter().flatten()
        .filter(|c| KUBELET_CONDITIONS.iter().any(|k| c["type"] == *k));
    let conditions: Vec<Value> = theirs.chain(kept).cloned().collect();
    status["conditions"] = json!(conditions);
    if let Some(qos) = old.get("qosClass").filter(|_| status.get("qosClass").is_none()) {
        status["qosClass"] = qos.clone();
    }
    status
}

fn terminal(status: &Value) -> bool {
    matches!(status.get("phase").and_then(Value::as_str), Some("Succeeded" | "Failed"))
}

/// Writes a reported pod status when it changes anything. Returns whether it wrote.
pub fn apply_pod_status(api: &mut ApiServer, node: &str, r: &PodRef, reported: &Value, now: Timestamp) -> bool {
    let (Some(res), Some(mut pod)) = (pods(), owned_pod(api, node, r)) else { return false };
    let old = pod.get("status").cloned().unwrap_or(Value::Null);
    let status = merged_status(&old, reported);
    // A finished pod never runs again (the kubelet's rule); a late report cannot revive it.
    if status == old || (terminal(&old) && !terminal(&status)) {
        return false;
    }
    pod["status"] = status;
    api.update(res, &r.namespace, &r.name, pod, Some("status"), now, WriteOptions::default()).is_ok()
}

/// Deletes a terminating pod for good once the agent removed its containers (grace 0, as the
/// kubelet does); a pod that is not being deleted stays. Returns whether it deleted.
pub fn pod_removed(api: &mut ApiServer, node: &str, r: &PodRef, now: Timestamp) -> bool {
    let (Some(res), Some(pod)) = (pods(), owned_pod(api, node, r)) else { return false };
    if !meta::is_terminating(&pod) {
        return false;
    }
    let opts = DeleteOptions { grace_period_seconds: Some(0), precondition_uid: Some(r.uid.clone()), ..DeleteOptions::default() };
    let deleted = api.delete(res, &r.namespace, &r.name, &opts, now).is_ok();
    delete_pod(api, &r.namespace, &r.name, now);
    deleted
}

pub fn record_event(recorder: &mut EventRecorder, api: &mut ApiServer, node: &str, e: &EventReport, now: Timestamp) -> bool {
    let Some(pod) = owned_pod(api, node, &e.involved_pod) else { return false };
    let kind = match e.event_type {
        report::EventType::Normal => EventType::Normal,
        report::EventType::Warning => EventType::Warning,
    };
    recorder.record(api, &pod, kind, &e.reason, &e.message, now);
    true
}

fn usage(u: &Usage) -> Value {
    json!({"cpu": format!("{}n", u.cpu_nanocores), "memory": format!("{}Ki", u.memory_bytes / 1024)})
}

fn put(api: &mut ApiServer, plural: &str, namespace: &str, name: &str, obj: Value, now: Timestamp) -> bool {
    let Some(r) = resources::by_plural("metrics.k8s.io", "v1beta1", plural) else { return false };
    if api.get(r, namespace, name).is_ok() {
        api.update(r, namespace, name, obj, None, now, WriteOptions::default()).is_ok()
    } else {
        api.create(r, namespace, obj, now, WriteOptions::default()).is_ok()
    }
}

/// Writes PodMetrics and NodeMetrics where the simulated nodes' metrics live, so `kubectl top`
/// and the HPA see agent pods alike. Returns whether it wrote.
pub fn write_metrics(api: &mut ApiServer, node: &str, m: &MetricsReport, now: Timestamp) -> bool {
    let window = format!("{}s", if m.window_seconds == 0 { SCRAPE_SECONDS as u32 } else { m.window_seconds });
    let mut wrote = false;
    for p in &m.pods {
        if owned_pod(api, node, &p.pod).is_none() {
            continue;
        }
        let obj = json!({
            "apiVersion": "metrics.k8s.io/v1beta1", "kind": "PodMetrics",
            "metadata": {"name": p.pod.name, "namespace": p.pod.namespace},
            "timestamp": format_time(now), "window": window,
            "containers": p.containers.iter().map(|c| json!({"name": c.name, "usage": usage(&c.usage)})).collect::<Vec<_>>(),
        });
        wrote |= put(api, "pods", &p.pod.namespace, &p.pod.name, obj, now);
    }
    let obj = json!({
        "apiVersion": "metrics.k8s.io/v1beta1", "kind": "NodeMetrics",
        "metadata": {"name": node}, "timestamp": format_time(now), "window": window, "usage": usage(&m.node),
    });
    wrote | put(api, "nodes", "", node, obj, now)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_agent_cannot_drop_conditions_it_does_not_own() {
        let old = json!({"qosClass": "Burstable", "conditions": [
            {"type": "PodScheduled", "status": "True"}, {"type": "Ready", "status": "False"}]});
        let reported = json!({"phase": "Running", "conditions": [{"type": "Ready", "status": "True"}, {"type": "PodScheduled", "status": "False"}]});
        let s = merged_status(&old, &reported);
        assert_eq!(s["conditions"], json!([{"type": "Ready", "status": "True"}, {"type": "PodScheduled", "status": "True"}]));
        assert_eq!(s["qosClass"], "Burstable");
        assert_eq!(merged_status(&s, &reported), s, "merging again changes nothing");
    }
}
