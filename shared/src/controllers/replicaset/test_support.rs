//! Stand-ins for the scheduler and kubelet in controller tests: bind pods,
//! mark them Running and Ready, and finish graceful deletions.

use crate::api::meta;
use crate::api::resources::by_kind;
use crate::apiserver::{format_time, ApiServer, DeleteOptions, WriteOptions};
use jiff::Timestamp;
use serde_json::{json, Value};

pub(crate) fn t(s: &str) -> Timestamp {
    s.parse().unwrap()
}

pub(crate) fn pods_of(api: &ApiServer, ns: &str) -> Vec<Value> {
    api.list(by_kind("Pod").unwrap(), Some(ns))
        .map(|p| (**p).clone())
        .collect()
}

/// Binds every unbound pod to `node-1` and marks those `pick` chooses Running and Ready at `now`.
pub(crate) fn make_some_ready(
    api: &mut ApiServer,
    ns: &str,
    now: Timestamp,
    mut pick: impl FnMut(&Value) -> bool,
) {
    let pod_res = by_kind("Pod").unwrap();
    for pod in pods_of(api, ns) {
        let name = meta::name(&pod).to_string();
        if meta::is_terminating(&pod) {
            continue;
        }
        if pod
            .pointer("/spec/nodeName")
            .and_then(Value::as_str)
            .unwrap_or("")
            .is_empty()
        {
            api.bind(ns, &name, "node-1", now).unwrap();
        }
        let pod = (**api.get(pod_res, ns, &name).unwrap()).clone();
        if crate::controllers::pod_state::is_ready(&pod) || !pick(&pod) {
            continue;
        }
        let mut p = pod.clone();
        let at = format_time(now);
        p["status"]["phase"] = json!("Running");
        p["status"]["conditions"] = json!([
            {"type": "PodScheduled", "status": "True", "lastProbeTime": null, "lastTransitionTime": at},
            {"type": "Ready", "status": "True", "lastProbeTime": null, "lastTransitionTime": at},
        ]);
        api.update(
            pod_res,
            ns,
            &name,
            p,
            Some("status"),
            now,
            WriteOptions::default(),
        )
        .unwrap();
    }
}

/// Marks every pod of `ns` Running and Ready at `now`.
pub(crate) fn make_pods_ready(api: &mut ApiServer, ns: &str, now: Timestamp) {
    make_some_ready(api, ns, now, |_| true);
}

/// Finishes graceful deletions, as the kubelet does once containers stopped.
pub(crate) fn finish_terminating(api: &mut ApiServer, ns: &str, now: Timestamp) {
    let pod_res = by_kind("Pod").unwrap();
    for pod in pods_of(api, ns).into_iter().filter(meta::is_terminating) {
        let opts = DeleteOptions {
            grace_period_seconds: Some(0),
            ..DeleteOptions::default()
        };
        let _ = api.delete(pod_res, ns, meta::name(&pod), &opts, now);
    }
}

/// Pods that count: neither terminating nor finished.
pub(crate) fn active_pods(api: &ApiServer, ns: &str) -> Vec<Value> {
    pods_of(api, ns)
        .into_iter()
        .filter(super::pod_state::is_active)
        .collect()
}
