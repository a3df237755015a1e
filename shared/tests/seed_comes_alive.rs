//! The seed page's promises, kept by the whole control plane together: the
//! scheduler, the controllers and the simulated kubelets, on a fake clock.
//! Each test reads like the sentence of the page it checks.

use jiff::{SignedDuration, Timestamp};
use kubeplay_shared::api::resources;
use kubeplay_shared::manifest::apply::apply;
use kubeplay_shared::sim::nodes::{add_node, set_failed, set_unschedulable, NodeSpec};
use kubeplay_shared::{ControlPlane, Request};
use serde_json::{json, Value};

const SEED_DEPLOYMENT: &str = include_str!("fixtures/seed/deployment.yaml");
const SEED_SERVICE: &str = include_str!("fixtures/seed/service.yaml");

struct Cluster {
    cp: ControlPlane,
    now: Timestamp,
}

impl Cluster {
    /// Three simulated nodes of 4 CPUs and 8 GiB, like a small kind cluster.
    fn new() -> Self {
        let now: Timestamp = "2026-01-01T00:00:00Z".parse().unwrap();
        let mut cp = ControlPlane::new(11, now);
        for i in 1..=3 {
            let spec = NodeSpec { name: format!("node-{i}"), cpu: "4".into(), memory: "8Gi".into(), pods: 110 };
            add_node(cp.api_mut(), &spec, now).unwrap();
        }
        let mut c = Self { cp, now };
        c.run(SignedDuration::from_secs(5));
        c
    }

    fn run(&mut self, d: SignedDuration) {
        let until = self.now.checked_add(d).unwrap();
        self.now = self.cp.run_until(self.now, until, SignedDuration::from_secs(1));
    }

    fn apply(&mut self, source: &str) {
        let out = apply(self.cp.api_mut(), source, "default", self.now).unwrap();
        for o in &out {
            assert!(o.result.is_ok(), "{}", o.summary());
        }
    }

    fn get(&mut self, path: &str) -> Value {
        self.cp.api_mut().handle(&Request::get(path), self.now).json_body()
    }

    fn pods(&mut self) -> Vec<Value> {
        self.get("/api/v1/namespaces/default/pods?labelSelector=app%3Dmy-api")["items"].as_array().unwrap().clone()
    }

    fn running_ready(&mut self) -> Vec<Value> {
        self.pods()
            .into_iter()
            .filter(|p| p["status"]["phase"] == "Running" && p["metadata"].get("deletionTimestamp").is_none())
            .filter(|p| {
                p["status"]["conditions"].as_array().into_iter().flatten().any(|c| c["type"] == "Ready" && c["status"] == "True")
            })
            .collect()
    }

    fn scale(&mut self, replicas: u32) {
        let r = self.cp.api_mut().handle(
            &Request::patch(
                "/apis/apps/v1/namespaces/default/deployments/my-api/scale",
                "application/merge-patch+json",
                json!({"spec": {"replicas": replicas}}).to_string(),
            ),
            self.now,
        );
        assert_eq!(r.status(), 200);
    }

    fn log(&mut self, pod: &str) -> String {
        match self.cp.api_mut().handle(&Request::get(&format!("/api/v1/namespaces/default/pods/{pod}/log")), self.now) {
            kubeplay_shared::Response::Body { body, .. } => String::from_utf8_lossy(&body).into_owned(),
            other => panic!("{other:?}"),
        }
    }

    fn events(&mut self, reason: &str) -> Vec<Value> {
        self.get("/api/v1/events")["items"].as_array().unwrap().iter().filter(|e| e["reason"] == reason).cloned().collect()
    }
}

fn names(pods: &[Value]) -> Vec<String> {
    let mut n: Vec<String> = pods.iter().map(|p| p["metadata"]["name"].as_str().unwrap().to_string()).collect();
    n.sort();
    n
}

#[test]
fn three_replicas_run_and_a_deleted_pod_is_replaced() {
    let mut c = Cluster::new();
    c.apply(SEED_DEPLOYMENT);
    c.run(SignedDuration::from_secs(60));
    let running = c.running_ready();
    assert_eq!(running.len(), 3, "{:#?}", c.pods());
    let nodes: std::collections::BTreeSet<&str> = running.iter().map(|p| p["spec"]["nodeName"].as_str().unwrap()).collect();
    assert_eq!(nodes.len(), 3, "replicas spread over the three nodes");
    let victim = running[0]["metadata"]["name"].as_str().unwrap().to_string();
    let r = c.cp.api_mut().handle(&Request::delete(&format!("/api/v1/namespaces/default/pods/{victim}")), c.now);
    assert!(r.status() < 300);
    c.run(SignedDuration::from_secs(60));
    let after = c.running_ready();
    assert_eq!(after.len(), 3);
    assert!(!names(&after).contains(&victim));
    let d = c.get("/apis/apps/v1/namespaces/default/deployments/my-api");
    assert_eq!(d["status"]["readyReplicas"], 3);
    assert_eq!(d["status"]["availableReplicas"], 3);
}

#[test]
fn scaling_to_five_and_to_zero() {
    let mut c = Cluster::new();
    c.apply(SEED_DEPLOYMENT);
    c.run(SignedDuration::from_secs(60));
    c.scale(5);
    c.run(SignedDuration::from_secs(60));
    assert_eq!(c.running_ready().len(), 5);
    c.scale(0);
    c.run(SignedDuration::from_secs(60));
    assert_eq!(c.pods().len(), 0, "{:#?}", c.pods());
}

#[test]
fn a_rolling_update_replaces_every_pod_and_can_be_undone() {
    let mut c = Cluster::new();
    c.apply(SEED_DEPLOYMENT);
    c.run(SignedDuration::from_secs(60));
    c.apply(&SEED_DEPLOYMENT.replace("myapp:1.0", "myapp:2.0"));
    c.run(SignedDuration::from_secs(120));
    let running = c.running_ready();
    assert_eq!(running.len(), 3);
    assert!(running.iter().all(|p| p["spec"]["containers"][0]["image"] == "myapp:2.0"));
    let d = c.get("/apis/apps/v1/namespaces/default/deployments/my-api");
    assert_eq!(d["metadata"]["annotations"]["deployment.kubernetes.io/revision"], "2");
    assert!(!c.events("ScalingReplicaSet").is_empty());
    // `kubectl rollout undo` puts revision 1's template back.
    let rs_list = c.get("/apis/apps/v1/namespaces/default/replicasets")["items"].as_array().unwrap().clone();
    let first = rs_list
        .iter()
        .find(|rs| rs["metadata"]["annotations"]["deployment.kubernetes.io/revision"] == "1")
        .expect("revision 1 is kept");
    let mut template = first["spec"]["template"].clone();
    template["metadata"]["labels"].as_object_mut().unwrap().remove("pod-template-hash");
    let patch = json!({"spec": {"template": template}}).to_string();
    let r = c.cp.api_mut().handle(
        &Request::patch("/apis/apps/v1/namespaces/default/deployments/my-api", "application/strategic-merge-patch+json", patch),
        c.now,
    );
    assert_eq!(r.status(), 200, "{}", r.json_body());
    c.run(SignedDuration::from_secs(120));
    let running = c.running_ready();
    assert_eq!(running.len(), 3);
    assert!(running.iter().all(|p| p["spec"]["containers"][0]["image"] == "myapp:1.0"));
    let d = c.get("/apis/apps/v1/namespaces/default/deployments/my-api");
    assert_eq!(d["metadata"]["annotations"]["deployment.kubernetes.io/revision"], "3");
}

#[test]
fn a_failed_node_s_pods_move_to_the_others() {
    let mut c = Cluster::new();
    c.apply(SEED_DEPLOYMENT);
    c.run(SignedDuration::from_secs(60));
    let victim = c.running_ready()[0]["spec"]["nodeName"].as_str().unwrap().to_string();
    set_failed(c.cp.api_mut(), &victim, true, c.now).unwrap();
    // Node grace period, then the default 300 s toleration, then a new pod starts.
    c.run(SignedDuration::from_secs(420));
    let running = c.running_ready();
    assert_eq!(running.len(), 3, "{:#?}", c.pods());
    assert!(running.iter().all(|p| p["spec"]["nodeName"] != victim.as_str()));
    let node = c.get(&format!("/api/v1/nodes/{victim}"));
    let taints: Vec<&str> = node["spec"]["taints"].as_array().into_iter().flatten().map(|t| t["key"].as_str().unwrap()).collect();
    assert!(taints.contains(&"node.kubernetes.io/unreachable"), "{taints:?}");
    // It comes back: the taints go.
    set_failed(c.cp.api_mut(), &victim, false, c.now).unwrap();
    c.run(SignedDuration::from_secs(60));
    let node = c.get(&format!("/api/v1/nodes/{victim}"));
    assert!(node["spec"]["taints"].as_array().is_none_or(|t| t.iter().all(|t| t["key"] != "node.kubernetes.io/unreachable")), "{node}");
}

#[test]
fn a_pod_too_big_for_any_node_stays_pending_with_kubernetes_words() {
    let mut c = Cluster::new();
    c.apply(&SEED_DEPLOYMENT.replace("cpu: \"100m\"", "cpu: \"16\"").replace("cpu: \"500m\"", "cpu: \"16\""));
    c.run(SignedDuration::from_secs(30));
    let pods = c.pods();
    assert_eq!(pods.len(), 3);
    assert!(pods.iter().all(|p| p["status"]["phase"] == "Pending" && p["spec"].get("nodeName").is_none()));
    let failed = c.events("FailedScheduling");
    assert!(!failed.is_empty());
    let message = failed[0]["message"].as_str().unwrap();
    assert!(message.starts_with("0/3 nodes are available: 3 Insufficient cpu."), "{message}");
}

#[test]
fn a_failing_liveness_probe_restarts_the_container_and_readiness_pulls_it_from_the_service() {
    let mut c = Cluster::new();
    let probes = "        livenessProbe:\n          httpGet:\n            path: /health\n            port: 3000\n          periodSeconds: 5\n        readinessProbe:\n          httpGet:\n            path: /ready\n            port: 3000\n          periodSeconds: 5\n";
    let with_probes = SEED_DEPLOYMENT.replace("        resources:\n", &format!("{probes}        resources:\n"));
    c.apply(&with_probes);
    c.apply(SEED_SERVICE);
    c.run(SignedDuration::from_secs(60));
    let ep = c.get("/api/v1/namespaces/default/endpoints/my-api-service");
    assert_eq!(ep["subsets"][0]["addresses"].as_array().map(Vec::len), Some(3), "{ep}");
    // Break readiness of one pod: it leaves the Service without restarting.
    let target = c.running_ready()[0]["metadata"]["name"].as_str().unwrap().to_string();
    let patch = json!({"metadata": {"annotations": {"kubeplay.dev/fault": "readiness"}}}).to_string();
    c.cp.api_mut().handle(&Request::patch(&format!("/api/v1/namespaces/default/pods/{target}"), "application/merge-patch+json", patch), c.now);
    c.run(SignedDuration::from_secs(30));
    let ep = c.get("/api/v1/namespaces/default/endpoints/my-api-service");
    assert_eq!(ep["subsets"][0]["addresses"].as_array().map(Vec::len), Some(2), "{ep}");
    let p = c.get(&format!("/api/v1/namespaces/default/pods/{target}"));
    assert_eq!(p["status"]["containerStatuses"][0]["restartCount"], 0);
    // Break liveness of another: it is restarted.
    let other = c.running_ready().iter().map(|p| p["metadata"]["name"].as_str().unwrap().to_string()).find(|n| *n != target).unwrap();
    let patch = json!({"metadata": {"annotations": {"kubeplay.dev/fault": "liveness"}}}).to_string();
    c.cp.api_mut().handle(&Request::patch(&format!("/api/v1/namespaces/default/pods/{other}"), "application/merge-patch+json", patch), c.now);
    c.run(SignedDuration::from_secs(60));
    let p = c.get(&format!("/api/v1/namespaces/default/pods/{other}"));
    assert!(p["status"]["containerStatuses"][0]["restartCount"].as_i64().unwrap() >= 1, "{p}");
    assert!(!c.events("Unhealthy").is_empty());
}

#[test]
fn the_hpa_scales_from_two_to_ten_under_load_and_back_after_stabilization() {
    let mut c = Cluster::new();
    c.apply(SEED_DEPLOYMENT);
    c.apply(SEED_SERVICE);
    c.apply(include_str!("fixtures/seed/hpa.yaml"));
    c.run(SignedDuration::from_secs(120));
    let d = c.get("/apis/apps/v1/namespaces/default/deployments/my-api");
    assert_eq!(d["spec"]["replicas"], 3, "a new HPA's scale-down window starts at the current count");
    c.run(SignedDuration::from_secs(240));
    let d = c.get("/apis/apps/v1/namespaces/default/deployments/my-api");
    assert_eq!(d["spec"]["replicas"], 2, "idle, it settles at minReplicas");
    let load = json!({"metadata": {"annotations": {"kubeplay.dev/traffic-rps": "5000"}}}).to_string();
    c.cp.api_mut().handle(&Request::patch("/api/v1/namespaces/default/services/my-api-service", "application/merge-patch+json", load), c.now);
    c.run(SignedDuration::from_secs(600));
    let d = c.get("/apis/apps/v1/namespaces/default/deployments/my-api");
    assert_eq!(d["spec"]["replicas"], 10, "{}", c.get("/apis/autoscaling/v2/namespaces/default/horizontalpodautoscalers/my-api-hpa"));
    let idle = json!({"metadata": {"annotations": {"kubeplay.dev/traffic-rps": "0"}}}).to_string();
    c.cp.api_mut().handle(&Request::patch("/api/v1/namespaces/default/services/my-api-service", "application/merge-patch+json", idle), c.now);
    c.run(SignedDuration::from_secs(120));
    let d = c.get("/apis/apps/v1/namespaces/default/deployments/my-api");
    assert_eq!(d["spec"]["replicas"], 10, "the 5-minute scale-down window holds");
    c.run(SignedDuration::from_secs(600));
    let d = c.get("/apis/apps/v1/namespaces/default/deployments/my-api");
    assert_eq!(d["spec"]["replicas"], 2);
    assert!(!c.events("SuccessfulRescale").is_empty());
}

#[test]
fn a_claim_is_bound_and_postgres_runs_on_it() {
    let mut c = Cluster::new();
    c.apply(include_str!("fixtures/seed/pvc.yaml"));
    c.apply(include_str!("fixtures/seed/postgres-pod.yaml"));
    c.run(SignedDuration::from_secs(60));
    let pvc = c.get("/api/v1/namespaces/default/persistentvolumeclaims/db-storage");
    assert_eq!(pvc["status"]["phase"], "Bound", "{pvc}");
    assert_eq!(pvc["spec"]["storageClassName"], "standard");
    assert_eq!(pvc["status"]["capacity"]["storage"], "10Gi");
    let pod = c.get("/api/v1/namespaces/default/pods/postgres");
    assert_eq!(pod["status"]["phase"], "Running", "{pod}");
    assert!(c.log("postgres").contains("PostgreSQL init process complete"), "{}", c.log("postgres"));

    // Move it: cordon its node, delete it, create it again. The data is on the claim, not the node.
    let first_node = pod["spec"]["nodeName"].as_str().unwrap().to_string();
    set_unschedulable(c.cp.api_mut(), &first_node, true, c.now).unwrap();
    let r = c.cp.api_mut().handle(&Request::delete("/api/v1/namespaces/default/pods/postgres"), c.now);
    assert!(r.status() < 300);
    c.run(SignedDuration::from_secs(60));
    c.apply(include_str!("fixtures/seed/postgres-pod.yaml"));
    c.run(SignedDuration::from_secs(60));
    let pod = c.get("/api/v1/namespaces/default/pods/postgres");
    assert_eq!(pod["status"]["phase"], "Running", "{pod}");
    assert_ne!(pod["spec"]["nodeName"].as_str().unwrap(), first_node, "rescheduled elsewhere");
    let log = c.log("postgres");
    assert!(log.contains("PostgreSQL Database directory appears to contain a database; Skipping initialization"), "{log}");
    assert!(!log.contains("init process complete"), "{log}");
    let _ = resources::by_kind("Pod");
}
