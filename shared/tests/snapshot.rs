//! Saving the cluster and restoring it on reload: the simulation goes on where
//! it stopped, on a fake clock, with the seed's workloads.

use jiff::{SignedDuration, Timestamp};
use kubeplay_shared::manifest::apply::apply;
use kubeplay_shared::sim::nodes::{add_node, NodeSpec};
use kubeplay_shared::{ControlPlane, Request, Response};
use kubeplay_shared::control_plane::Snapshot;
use serde_json::{json, Value};
use std::collections::BTreeMap;

const SEED_DEPLOYMENT: &str = include_str!("fixtures/seed/deployment.yaml");
const SEED_SERVICE: &str = include_str!("fixtures/seed/service.yaml");

struct Cluster {
    cp: ControlPlane,
    now: Timestamp,
}

impl Cluster {
    fn new() -> Self {
        let now: Timestamp = "2026-01-01T00:00:00Z".parse().unwrap();
        let mut cp = ControlPlane::new(21, now);
        for i in 1..=3 {
            let spec = NodeSpec { name: format!("node-{i}"), cpu: "4".into(), memory: "8Gi".into(), pods: 110 };
            add_node(cp.api_mut(), &spec, now).unwrap();
        }
        let mut c = Self { cp, now };
        c.run(5);
        c
    }

    fn run(&mut self, secs: i64) {
        let until = self.now.checked_add(SignedDuration::from_secs(secs)).unwrap();
        self.now = self.cp.run_until(self.now, until, SignedDuration::from_secs(1));
    }

    fn apply(&mut self, source: &str) {
        for o in apply(self.cp.api_mut(), source, "default", self.now).unwrap() {
            assert!(o.result.is_ok(), "{}", o.summary());
        }
    }

    fn get(&mut self, path: &str) -> Value {
        self.cp.api_mut().handle(&Request::get(path), self.now).json_body()
    }

    /// name → (phase, restart count, pod IP, ready) of the seed's pods.
    fn my_api(&mut self) -> BTreeMap<String, (String, i64, String, bool)> {
        let list = self.get("/api/v1/namespaces/default/pods?labelSelector=app%3Dmy-api");
        list["items"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|p| p["metadata"].get("deletionTimestamp").is_none())
            .map(|p| {
                let ready = p["status"]["conditions"].as_array().into_iter().flatten().any(|c| c["type"] == "Ready" && c["status"] == "True");
                (
                    p["metadata"]["name"].as_str().unwrap().to_string(),
                    (
                        p["status"]["phase"].as_str().unwrap_or("").to_string(),
                        p["status"]["containerStatuses"][0]["restartCount"].as_i64().unwrap_or(-1),
                        p["status"]["podIP"].as_str().unwrap_or("").to_string(),
                        ready,
                    ),
                )
            })
            .collect()
    }

    fn events(&mut self, reason: &str) -> usize {
        let list = self.get("/api/v1/namespaces/default/events");
        list["items"].as_array().unwrap().iter().filter(|e| e["reason"] == reason).count()
    }

    fn log(&mut self, pod: &str) -> String {
        match self.cp.api_mut().handle(&Request::get(&format!("/api/v1/namespaces/default/pods/{pod}/log")), self.now) {
            Response::Body { body, .. } => String::from_utf8_lossy(&body).into_owned(),
            other => panic!("{other:?}"),
        }
    }

    /// Saves to JSON and reloads `closed_for` of host time later, as the page does.
    fn reload(&mut self, closed_for: i64) -> usize {
        let json = self.cp.snapshot(self.now).to_json();
        let snapshot = Snapshot::from_json(&json).unwrap();
        let host_now = self.now.checked_add(SignedDuration::from_secs(closed_for)).unwrap();
        self.cp = ControlPlane::restore(&snapshot, host_now).unwrap();
        // The cluster clock resumes at the saved time: test time stays cluster time.
        assert_eq!(self.cp.clock().cluster_time(host_now), self.now);
        // Tests drive cluster time directly from here on.
        json.len()
    }
}

fn running_ready(pods: &BTreeMap<String, (String, i64, String, bool)>) -> usize {
    pods.values().filter(|(phase, _, _, ready)| phase == "Running" && *ready).count()
}

#[test]
fn the_seed_deployment_runs_on_after_a_reload_with_the_same_pods_and_restart_counts() {
    let mut c = Cluster::new();
    c.apply(SEED_SERVICE);
    c.apply(SEED_DEPLOYMENT);
    c.run(60);
    let before = c.my_api();
    assert_eq!(running_ready(&before), 3, "{before:?}");
    let started = c.events("Started");
    let endpoints_before = c.get("/api/v1/namespaces/default/endpoints/my-api-service");

    let size = c.reload(3 * 3600);
    eprintln!("snapshot of the seed workload: {size} bytes of JSON");
    c.run(600);

    assert_eq!(c.my_api(), before, "same pods, still Running and Ready, same restarts and IPs");
    assert_eq!(c.events("Started"), started, "no container was started again");
    let endpoints = c.get("/api/v1/namespaces/default/endpoints/my-api-service");
    assert_eq!(endpoints["subsets"], endpoints_before["subsets"]);
    let nodes = c.get("/api/v1/nodes");
    for n in nodes["items"].as_array().unwrap() {
        let ready = n["status"]["conditions"].as_array().unwrap().iter().find(|c| c["type"] == "Ready").unwrap();
        assert_eq!(ready["status"], "True", "{} stays Ready: its kubelet goes on heartbeating", n["metadata"]["name"]);
    }
}

#[test]
fn scaling_after_a_reload_works_and_new_pods_get_fresh_names_and_addresses() {
    let mut c = Cluster::new();
    c.apply(SEED_SERVICE);
    c.apply(SEED_DEPLOYMENT);
    c.run(60);
    let before = c.my_api();
    let pulls = c.events("Pulling");
    c.reload(60);
    let r = c.cp.handle(
        &Request::patch(
            "/apis/apps/v1/namespaces/default/deployments/my-api/scale",
            "application/merge-patch+json",
            json!({"spec": {"replicas": 5}}).to_string(),
        ),
        c.now,
    );
    assert_eq!(r.status(), 200);
    c.run(60);
    let after = c.my_api();
    assert_eq!(running_ready(&after), 5, "{after:?}");
    for (name, state) in &before {
        assert_eq!(after.get(name), Some(state), "{name} kept running untouched");
    }
    let ips: std::collections::BTreeSet<&String> = after.values().map(|(_, _, ip, _)| ip).collect();
    assert_eq!(ips.len(), 5, "no new pod reuses an adopted pod's IP: {after:?}");
    let deployment = c.get("/apis/apps/v1/namespaces/default/deployments/my-api");
    assert_eq!(deployment["status"]["availableReplicas"], 5);
    assert_eq!(c.events("Pulling"), pulls, "every node still has the image it pulled before the reload");
}

#[test]
fn a_crash_looping_container_keeps_counting_its_restarts_after_a_reload() {
    let mut c = Cluster::new();
    c.apply(r#"{"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "crasher", "annotations": {"kubeplay.dev/fault": "crash"}},
        "spec": {"containers": [{"name": "app", "image": "myapp:1.0"}]}}"#);
    c.run(120);
    let restarts = |c: &mut Cluster| c.get("/api/v1/namespaces/default/pods/crasher")["status"]["containerStatuses"][0]["restartCount"].as_i64().unwrap();
    let before = restarts(&mut c);
    assert!(before >= 2, "{before}");
    c.reload(600);
    let right_after = restarts(&mut c);
    assert_eq!(right_after, before);
    c.run(30);
    assert!(restarts(&mut c) >= before, "the count is not reset");
    c.run(600);
    assert!(restarts(&mut c) > before, "it goes on crashing and restarting");
}

#[test]
fn data_on_a_claim_and_logs_survive_a_reload() {
    let mut c = Cluster::new();
    c.apply(include_str!("fixtures/seed/pvc.yaml"));
    c.apply(include_str!("fixtures/seed/postgres-pod.yaml"));
    c.run(60);
    assert!(c.log("postgres").contains("PostgreSQL init process complete"));
    let log_before = c.log("postgres");
    c.reload(60);
    assert_eq!(c.log("postgres"), log_before, "logs are kept");
    let r = c.cp.api_mut().handle(&Request::delete("/api/v1/namespaces/default/pods/postgres"), c.now);
    assert!(r.status() < 300);
    c.run(60);
    c.apply(include_str!("fixtures/seed/postgres-pod.yaml"));
    c.run(60);
    let log = c.log("postgres");
    assert!(log.contains("appears to contain a database; Skipping initialization"), "{log}");
}

#[test]
fn a_reloaded_cluster_behaves_like_one_that_never_stopped() {
    let mut kept = Cluster::new();
    kept.apply(SEED_SERVICE);
    kept.apply(SEED_DEPLOYMENT);
    kept.run(60);
    let mut reloaded = Cluster { cp: ControlPlane::restore(&kept.cp.snapshot(kept.now), kept.now).unwrap(), now: kept.now };
    for c in [&mut kept, &mut reloaded] {
        let r = c.cp.api_mut().handle(
            &Request::patch(
                "/apis/apps/v1/namespaces/default/deployments/my-api",
                "application/strategic-merge-patch+json",
                json!({"spec": {"template": {"spec": {"containers": [{"name": "api", "image": "myapp:2.0"}]}}}}).to_string(),
            ),
            c.now,
        );
        assert_eq!(r.status(), 200);
        c.run(300);
    }
    let images = |c: &mut Cluster| {
        let list = c.get("/api/v1/namespaces/default/pods?labelSelector=app%3Dmy-api");
        list["items"].as_array().unwrap().iter().map(|p| p["spec"]["containers"][0]["image"].as_str().unwrap().to_string()).collect::<Vec<_>>()
    };
    assert_eq!(images(&mut kept), vec!["myapp:2.0"; 3]);
    assert_eq!(images(&mut reloaded), vec!["myapp:2.0"; 3]);
    assert_eq!(running_ready(&kept.my_api()), running_ready(&reloaded.my_api()));
}
