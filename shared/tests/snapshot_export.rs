//! "Export all objects as one YAML file and import one": the export recreates the
//! same workloads on a fresh cluster, and exporting that cluster gives the same file.

use jiff::{SignedDuration, Timestamp};
use kubeplay_shared::manifest::apply::apply;
use kubeplay_shared::manifest::export_yaml;
use kubeplay_shared::sim::nodes::{add_node, NodeSpec};
use kubeplay_shared::{ControlPlane, Request};
use serde_json::Value;

const SEED: &[&str] = &[
    include_str!("fixtures/seed/configmap.yaml"),
    include_str!("fixtures/seed/secret.yaml"),
    include_str!("fixtures/seed/pvc.yaml"),
    include_str!("fixtures/seed/service.yaml"),
    include_str!("fixtures/seed/deployment.yaml"),
    include_str!("fixtures/seed/hpa.yaml"),
    include_str!("fixtures/seed/ingress.yaml"),
    include_str!("fixtures/seed/postgres-pod.yaml"),
];

const SHOP: &str = r#"
apiVersion: v1
kind: Namespace
metadata:
  name: shop
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: settings
  namespace: shop
data:
  currency: EUR
---
apiVersion: v1
kind: Service
metadata:
  name: front
  namespace: shop
spec:
  type: NodePort
  selector:
    app: front
  ports:
  - port: 80
    nodePort: 30080
---
apiVersion: v1
kind: Service
metadata:
  name: db
  namespace: shop
spec:
  clusterIP: None
  selector:
    app: db
  ports:
  - port: 5432
"#;

fn cluster(seed: u64) -> (ControlPlane, Timestamp) {
    let now: Timestamp = "2026-01-01T00:00:00Z".parse().unwrap();
    let mut cp = ControlPlane::new(seed, now);
    for i in 1..=3 {
        let spec = NodeSpec { name: format!("node-{i}"), cpu: "4".into(), memory: "8Gi".into(), pods: 110 };
        add_node(cp.api_mut(), &spec, now).unwrap();
    }
    (cp, now)
}

fn apply_all(cp: &mut ControlPlane, source: &str, now: Timestamp) {
    for o in apply(cp.api_mut(), source, "default", now).unwrap() {
        assert!(o.result.is_ok(), "{}", o.summary());
    }
}

fn run(cp: &mut ControlPlane, from: Timestamp, secs: i64) -> Timestamp {
    cp.run_until(from, from.checked_add(SignedDuration::from_secs(secs)).unwrap(), SignedDuration::from_secs(1))
}

fn ready_pods(cp: &mut ControlPlane, now: Timestamp) -> usize {
    let list = cp.api_mut().handle(&Request::get("/api/v1/namespaces/default/pods?labelSelector=app%3Dmy-api"), now).json_body();
    list["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["status"]["conditions"].as_array().into_iter().flatten().any(|c: &Value| c["type"] == "Ready" && c["status"] == "True"))
        .count()
}

#[test]
fn an_export_recreates_the_same_workloads_on_a_fresh_cluster() {
    let (mut a, now) = cluster(1);
    for source in SEED.iter().copied().chain([SHOP]) {
        apply_all(&mut a, source, now);
    }
    let now_a = run(&mut a, now, 120);
    let exported = export_yaml(a.api());

    for absent in ["uid:", "resourceVersion:", "creationTimestamp:", "status:", "managedFields", "last-applied-configuration", "clusterIPs:", "nodeName:", "volumeName:"] {
        assert!(!exported.contains(absent), "{absent} in\n{exported}");
    }
    for absent in ["kind: ReplicaSet", "kind: Endpoints", "kind: EndpointSlice", "kind: Event", "kind: Node\n", "kind: Lease", "name: kube-system", "name: kube-root-ca.crt"] {
        assert!(!exported.contains(absent), "{absent} in\n{exported}");
    }
    let kinds: Vec<&str> = exported.lines().filter_map(|l| l.strip_prefix("kind: ")).collect();
    assert_eq!(
        kinds,
        ["Namespace", "Secret", "ConfigMap", "ConfigMap", "PersistentVolumeClaim", "Service", "Service", "Service", "Deployment", "Pod", "HorizontalPodAutoscaler", "Ingress"],
        "{exported}"
    );
    assert!(exported.contains("clusterIP: None"), "a headless Service stays headless");
    assert!(exported.contains("nodePort: 30080"));

    let (mut b, now) = cluster(2);
    apply_all(&mut b, &exported, now);
    let now_b = run(&mut b, now, 120);
    assert_eq!(ready_pods(&mut b, now_b), ready_pods(&mut a, now_a));
    assert_eq!(ready_pods(&mut b, now_b), 3);
    assert_eq!(export_yaml(b.api()), exported, "exporting the imported cluster gives the same file");
}

