//! Standard workloads for benchmarks, shared by every host so the native and
//! the in-browser figures measure exactly the same operations. The host times
//! them with its own clock; the core never does.

use crate::api::resources::by_plural;
use crate::apiserver::{ApiServer, Request, Response, WriteOptions};
use crate::controllers::Controller;
use crate::scheduler::Scheduler;
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

/// A Ready worker node with room for a hundred small pods, named by index.
pub fn node_manifest(i: usize) -> serde_json::Value {
    let resources = json!({"cpu": "16", "memory": "64Gi", "pods": "110", "ephemeral-storage": "100Gi"});
    json!({
        "apiVersion": "v1",
        "kind": "Node",
        "metadata": {"name": format!("node-{i}"), "labels": {"kubernetes.io/hostname": format!("node-{i}"), "kubernetes.io/os": "linux"}},
        "status": {"capacity": resources, "allocatable": resources, "conditions": [{"type": "Ready", "status": "True"}]}
    })
}

/// Creates `nodes` Ready nodes (status reported as a kubelet would) and
/// `pods` pending pods with small requests; returns how many objects exist.
pub fn prepare_scheduling(api: &mut ApiServer, nodes: usize, pods: usize, now: Timestamp) -> usize {
    let (Some(node_res), Some(pod_res)) = (by_plural("", "v1", "nodes"), by_plural("", "v1", "pods")) else { return 0 };
    let mut ok = 0;
    for i in 0..nodes {
        let node = node_manifest(i);
        let created = api.create(node_res, "", node.clone(), now, WriteOptions::default()).is_ok();
        let name = format!("node-{i}");
        if created && api.update(node_res, "", &name, node, Some("status"), now, WriteOptions::default()).is_ok() {
            ok += 1;
        }
    }
    for i in 0..pods {
        let mut pod = pod_manifest(i);
        pod["spec"]["containers"][0]["resources"] = json!({"requests": {"cpu": "100m", "memory": "128Mi"}});
        if api.create(pod_res, "default", pod, now, WriteOptions::default()).is_ok() {
            ok += 1;
        }
    }
    ok
}

/// Runs a fresh scheduler over the cluster until its queue is drained;
/// returns how many pods are bound to a node afterwards.
pub fn schedule_pending(api: &mut ApiServer, now: Timestamp) -> usize {
    let mut scheduler = Scheduler::default();
    scheduler.reconcile(api, now);
    let Some(pod_res) = by_plural("", "v1", "pods") else { return 0 };
    api.list(pod_res, None).filter(|p| p.pointer("/spec/nodeName").is_some_and(|n| n.as_str() != Some(""))).count()
}

/// [`prepare_scheduling`] then [`schedule_pending`]: `nodes` nodes, `pods` pods, all placed.
pub fn schedule_pods(api: &mut ApiServer, nodes: usize, pods: usize, now: Timestamp) -> usize {
    prepare_scheduling(api, nodes, pods, now);
    schedule_pending(api, now)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_benchmark_pod_finds_a_node() {
        let now: Timestamp = "2026-01-01T00:00:00Z".parse().unwrap();
        let mut api = ApiServer::new(7, now);
        assert_eq!(schedule_pods(&mut api, 20, 300, now), 300);
        let mut over = ApiServer::new(7, now);
        // 2 nodes × 110 pod slots cannot hold 300 pods.
        assert_eq!(schedule_pods(&mut over, 2, 300, now), 220);
    }
}
