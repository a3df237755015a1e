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

/// A cluster of `nodes` simulated nodes, registered and Ready: the stage for
/// [`converge_deployment`], built before a benchmark starts timing.
pub fn simulated_cluster(seed: u64, nodes: usize, now: Timestamp) -> (crate::ControlPlane, Timestamp) {
    let mut cp = crate::ControlPlane::new(seed, now);
    for i in 0..nodes {
        let spec = crate::sim::nodes::NodeSpec { name: format!("node-{i}"), cpu: "8".into(), memory: "32Gi".into(), pods: 110 };
        // A name clash cannot happen in a fresh cluster; a failure shows up as fewer Running pods.
        let _ = crate::sim::nodes::add_node(cp.api_mut(), &spec, now);
    }
    let ready = now.checked_add(jiff::SignedDuration::from_secs(10)).unwrap_or(now);
    let now = cp.run_until(now, ready, jiff::SignedDuration::from_secs(10));
    (cp, now)
}

/// Creates a Deployment of `replicas` pods and runs the cluster (in cluster
/// time, from wake-up to wake-up) until all of them are Running and ready, or
/// an hour of cluster time has passed; returns how many are ready.
pub fn converge_deployment(cp: &mut crate::ControlPlane, replicas: usize, now: Timestamp) -> usize {
    let Some(deployments) = by_plural("apps", "v1", "deployments") else { return 0 };
    let manifest = json!({
        "apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "converge"},
        "spec": {"replicas": replicas, "selector": {"matchLabels": {"app": "converge"}},
                 "template": {"metadata": {"labels": {"app": "converge"}},
                              "spec": {"containers": [{"name": "app", "image": "myapp:1.0"}]}}}
    });
    if cp.api_mut().create(deployments, "default", manifest, now, WriteOptions::default()).is_err() {
        return 0;
    }
    let ready = |cp: &crate::ControlPlane| {
        cp.api()
            .get(deployments, "default", "converge")
            .ok()
            .and_then(|d| d.pointer("/status/readyReplicas").and_then(serde_json::Value::as_u64))
            .unwrap_or(0) as usize
    };
    let mut t = now;
    let deadline = now.checked_add(jiff::SignedDuration::from_hours(1)).unwrap_or(now);
    while ready(cp) < replicas && t < deadline {
        let next = t.checked_add(jiff::SignedDuration::from_secs(5)).unwrap_or(deadline);
        t = cp.run_until(t, next, jiff::SignedDuration::from_secs(1));
    }
    ready(cp)
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_deployment_converges_on_simulated_nodes() {
        let now: jiff::Timestamp = "2026-01-01T00:00:00Z".parse().unwrap();
        let (mut cp, now) = super::simulated_cluster(1, 10, now);
        assert_eq!(super::converge_deployment(&mut cp, 50, now), 50);
    }

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
