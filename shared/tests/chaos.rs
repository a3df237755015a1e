//! A seeded hour of chaos on a simulated cluster: pods killed, nodes failed and
//! recovered, Deployments scaled and updated. Afterwards, with the chaos over,
//! the cluster must settle: every Deployment has exactly its replicas running
//! the current template, no pod ever moved between nodes, nothing was lost,
//! and the controllers stop writing.

use jiff::{SignedDuration, Timestamp};
use kubeplay_shared::manifest::apply::apply;
use kubeplay_shared::rng::Rng;
use kubeplay_shared::sim::nodes::{add_node, set_failed, NodeSpec};
use kubeplay_shared::{ControlPlane, Request};
use serde_json::Value;
use std::collections::{BTreeMap, HashMap};

const APPS: [&str; 3] = ["web", "api", "worker"];
const NODES: usize = 5;

fn deployment(name: &str, replicas: u64, image: &str) -> String {
    format!(
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {name}\nspec:\n  replicas: {replicas}\n  selector:\n    matchLabels:\n      app: {name}\n  template:\n    metadata:\n      labels:\n        app: {name}\n    spec:\n      containers:\n      - name: app\n        image: {image}\n        resources:\n          requests:\n            cpu: 100m\n            memory: 64Mi\n"
    )
}

struct Chaos {
    cp: ControlPlane,
    now: Timestamp,
    rng: Rng,
    /// Where each pod uid was bound; a pod must never move.
    bound: HashMap<String, String>,
    watch: kubeplay_shared::apiserver::WatchId,
    desired: BTreeMap<&'static str, (u64, &'static str)>,
}

impl Chaos {
    fn new(seed: u64) -> Self {
        let now: Timestamp = "2026-01-01T00:00:00Z".parse().unwrap();
        let mut cp = ControlPlane::new(seed, now);
        for i in 1..=NODES {
            let spec = NodeSpec { name: format!("node-{i}"), cpu: "4".into(), memory: "8Gi".into(), pods: 110 };
            add_node(cp.api_mut(), &spec, now).unwrap();
        }
        let watch = match cp.api_mut().handle(&Request::get("/api/v1/pods?watch=1"), now) {
            kubeplay_shared::Response::Watch { id, .. } => id,
            other => panic!("{other:?}"),
        };
        let mut c = Self { cp, now, rng: Rng::new(seed), bound: HashMap::new(), watch, desired: BTreeMap::new() };
        for app in APPS {
            c.set(app, 3, "myapp:1.0");
        }
        c
    }

    fn set(&mut self, app: &'static str, replicas: u64, image: &'static str) {
        self.desired.insert(app, (replicas, image));
        for o in apply(self.cp.api_mut(), &deployment(app, replicas, image), "default", self.now).unwrap() {
            assert!(o.result.is_ok(), "{}", o.summary());
        }
    }

    fn run(&mut self, d: SignedDuration) {
        let until = self.now.checked_add(d).unwrap();
        self.now = self.cp.run_until(self.now, until, SignedDuration::from_secs(2));
        self.check_bindings();
    }

    /// Every binding seen on the watch: a pod's node, once set, never changes.
    fn check_bindings(&mut self) {
        for ev in self.cp.api_mut().poll_watch(self.watch, self.now) {
            assert_ne!(ev["type"], "ERROR", "the chaos watch fell behind: {ev}");
            let pod = &ev["object"];
            let Some(node) = pod["spec"]["nodeName"].as_str() else { continue };
            let uid = pod["metadata"]["uid"].as_str().unwrap().to_string();
            let previous = self.bound.entry(uid).or_insert_with(|| node.to_string());
            assert_eq!(previous, node, "pod {} moved between nodes", pod["metadata"]["name"]);
        }
    }

    fn pods(&mut self) -> Vec<Value> {
        self.cp.api_mut().handle(&Request::get("/api/v1/namespaces/default/pods"), self.now).json_body()["items"]
            .as_array()
            .unwrap()
            .clone()
    }

    fn step(&mut self) {
        match self.rng.below(6) {
            0 => {
                let pods = self.pods();
                if !pods.is_empty() {
                    let victim = pods[self.rng.below(pods.len() as u64) as usize]["metadata"]["name"].as_str().unwrap().to_string();
                    self.cp.api_mut().handle(&Request::delete(&format!("/api/v1/namespaces/default/pods/{victim}")), self.now);
                }
            }
            1 => {
                let node = format!("node-{}", 1 + self.rng.below(NODES as u64));
                set_failed(self.cp.api_mut(), &node, true, self.now).unwrap();
            }
            2 => {
                let node = format!("node-{}", 1 + self.rng.below(NODES as u64));
                set_failed(self.cp.api_mut(), &node, false, self.now).unwrap();
            }
            3 => {
                let app = APPS[self.rng.below(3) as usize];
                let image = self.desired[app].1;
                let replicas = self.rng.below(7);
                self.set(app, replicas, image);
            }
            4 => {
                let app = APPS[self.rng.below(3) as usize];
                let (replicas, image) = self.desired[app];
                self.set(app, replicas, if image == "myapp:1.0" { "myapp:2.0" } else { "myapp:1.0" });
            }
            _ => {}
        }
        let pause = 5 + self.rng.below(90);
        self.run(SignedDuration::from_secs(pause as i64));
    }
}

#[test]
fn an_hour_of_chaos_settles_into_the_desired_state() {
    for seed in [1, 2] {
        let mut c = Chaos::new(seed);
        let end = c.now.checked_add(SignedDuration::from_hours(1)).unwrap();
        while c.now < end {
            c.step();
        }
        assert!(c.bound.len() > 30, "seed {seed}: the chaos replaced pods ({} bound in all)", c.bound.len());
        // The chaos is over: every node is healthy again.
        for i in 1..=NODES {
            set_failed(c.cp.api_mut(), &format!("node-{i}"), false, c.now).unwrap();
        }
        c.run(SignedDuration::from_secs(15 * 60));

        let pods = c.pods();
        for (app, (replicas, image)) in c.desired.clone() {
            let mine: Vec<&Value> = pods.iter().filter(|p| p["metadata"]["labels"]["app"] == app).collect();
            let running: Vec<&&Value> = mine
                .iter()
                .filter(|p| p["status"]["phase"] == "Running" && p["metadata"].get("deletionTimestamp").is_none())
                .collect();
            assert_eq!(running.len() as u64, replicas, "seed {seed}: {app} wants {replicas}: {:#?}", mine);
            assert!(running.iter().all(|p| p["spec"]["containers"][0]["image"] == image), "seed {seed}: {app} runs {image}");
            let d = c.cp.api_mut().handle(&Request::get(&format!("/apis/apps/v1/namespaces/default/deployments/{app}")), c.now).json_body();
            assert_eq!(d["status"]["observedGeneration"], d["metadata"]["generation"], "seed {seed}: {app} observed its spec");
            assert_eq!(d["status"]["readyReplicas"].as_u64().unwrap_or(0), replicas, "seed {seed}: {app} status");
        }
        // Nothing lost: every Deployment and the system objects are still there.
        assert_eq!(c.cp.api_mut().handle(&Request::get("/apis/apps/v1/namespaces/default/deployments"), c.now).json_body()["items"].as_array().unwrap().len(), 3);
        assert_eq!(c.cp.api_mut().handle(&Request::get("/api/v1/namespaces/default/services/kubernetes"), c.now).status(), 200);
        // Steady state: with time frozen, the controllers have nothing left to write.
        let rv = c.cp.api().store().revision();
        c.cp.run_until(c.now, c.now, SignedDuration::from_secs(1));
        assert_eq!(c.cp.api().store().revision(), rv, "seed {seed}: controllers keep writing");
    }
}
