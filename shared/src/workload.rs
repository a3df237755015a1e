//! Standard workloads for benchmarks, shared by every host so the native and
//! the in-browser figures measure exactly the same operations. The host times
//! them with its own clock; the core never does.

use crate::apiserver::{ApiServer, Request, Response};
use jiff::Timestamp;
use serde_json::json;

/// A small pod manifest like the ones students write, named by index.
pub fn pod_manifest(i: usize) -> serde_json::Value {
    json!({
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": format!("bench-{i}"), "labels": {"app": "bench"}},
        "spec": {"containers": [{"name": "app", "image": "myapp:1.0", "ports": [{"containerPort": 3000}]}]}
    })
}

/// Creates `n` pods in `default` through the request layer; returns how many
/// requests succeeded (a benchmark reports a failure rather than a figure).
pub fn create_pods(api: &mut ApiServer, n: usize, now: Timestamp) -> usize {
    let mut ok = 0;
    for i in 0..n {
        let body = serde_json::to_vec(&pod_manifest(i)).unwrap_or_default();
        let resp = api.handle(&Request::post("/api/v1/namespaces/default/pods", body), now);
        if resp.status() == 201 {
            ok += 1;
        }
    }
    ok
}

/// Opens a watch on pods, creates `n` pods and drains the watch; returns the
/// number of events the watcher received.
pub fn watch_events(api: &mut ApiServer, n: usize, now: Timestamp) -> usize {
    let id = match api.handle(&Request::get("/api/v1/namespaces/default/pods?watch=true"), now) {
        Response::Watch { id, .. } => id,
        Response::Body { .. } => return 0,
    };
    create_pods(api, n, now);
    let events = api.poll_watch(id, now).len();
    api.close_watch(id);
    events
}
