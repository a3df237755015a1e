//! The simulated kubelet driven through a whole cluster on a fake clock.

use crate::apiserver::{DeleteOptions, Request};
use crate::control_plane::ControlPlane;
use crate::sim::nodes::{self, NodeSpec};
use jiff::{SignedDuration, Timestamp};
use serde_json::{json, Value};

fn t(s: i64) -> Timestamp {
    Timestamp::from_second(1_767_225_600 + s).unwrap()
}

fn cluster() -> ControlPlane {
    let mut cp = ControlPlane::new(3, t(0));
    let spec = NodeSpec {
        name: "node-1".into(),
        cpu: "4".into(),
        memory: "8Gi".into(),
        pods: 110,
    };
    nodes::add_node(cp.api_mut(), &spec, t(0)).unwrap();
    cp.run_until(t(0), t(1), SignedDuration::from_secs(1));
    cp
}

fn run_pod(cp: &mut ControlPlane, pod: Value, at: i64) {
    let r = cp.api_mut().handle(
        &Request::post("/api/v1/namespaces/default/pods", pod.to_string()),
        t(at),
    );
    assert_eq!(r.status(), 201, "{r:?}");
    let name = pod["metadata"]["name"].as_str().unwrap();
    cp.api_mut().bind("default", name, "node-1", t(at)).unwrap();
}

fn get(cp: &mut ControlPlane, path: &str, at: i64) -> Option<Value> {
    let r = cp.api_mut().handle(&Request::get(path), t(at));
    (r.status() == 200).then(|| r.json_body())
}

fn pod(cp: &mut ControlPlane, name: &str, at: i64) -> Value {
    get(cp, &format!("/api/v1/namespaces/default/pods/{name}"), at).unwrap()
}

fn events(cp: &mut ControlPlane, name: &str, at: i64) -> Vec<(String, String)> {
    let list = get(
        cp,
        &format!("/api/v1/namespaces/default/events?fieldSelector=involvedObject.name%3D{name}"),
        at,
    )
    .unwrap();
    let mut items = list["items"].as_array().unwrap().clone();
    items.sort_by_key(|e| e["metadata"]["name"].as_str().unwrap().to_string());
    items
        .iter()
        .map(|e| {
            (
                e["reason"].as_str().unwrap().to_string(),
                e["message"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

fn until(cp: &mut ControlPlane, from: i64, to: i64) {
    cp.run_until(t(from), t(to), SignedDuration::from_secs(5));
}

fn simple(name: &str, container: Value) -> Value {
    json!({"metadata": {"name": name}, "spec": {"containers": [container]}})
}

#[test]
fn a_pod_goes_from_container_creating_to_running_with_its_events_in_order() {
    let mut cp = cluster();
    run_pod(
        &mut cp,
        simple("web", json!({"name": "nginx", "image": "nginx"})),
        1,
    );
    cp.tick(t(1));
    let p = pod(&mut cp, "web", 1);
    assert_eq!(p["status"]["phase"], "Pending");
    assert_eq!(
        p["status"]["containerStatuses"][0]["state"]["waiting"]["reason"],
        "ContainerCreating"
    );
    assert!(p["status"]["podIP"]
        .as_str()
        .unwrap()
        .starts_with("10.244.1."));
    until(&mut cp, 1, 10);
    let p = pod(&mut cp, "web", 10);
    assert_eq!(p["status"]["phase"], "Running");
    assert_eq!(p["status"]["containerStatuses"][0]["ready"], true);
    assert_eq!(p["status"]["hostIP"], "172.18.0.3");
    let ready = p["status"]["conditions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["type"] == "Ready")
        .unwrap()
        .clone();
    assert_eq!(ready["status"], "True");
    let reasons: Vec<String> = events(&mut cp, "web", 10)
        .into_iter()
        .map(|e| e.0)
        .collect();
    assert_eq!(reasons, ["Pulling", "Pulled", "Created", "Started"]);
}

#[test]
fn an_unknown_image_fails_to_pull_then_backs_off() {
    let mut cp = cluster();
    run_pod(
        &mut cp,
        simple("typo", json!({"name": "c", "image": "ngnix"})),
        1,
    );
    until(&mut cp, 1, 3);
    let p = pod(&mut cp, "typo", 3);
    assert_eq!(
        p["status"]["containerStatuses"][0]["state"]["waiting"]["reason"],
        "ErrImagePull"
    );
    until(&mut cp, 3, 8);
    let p = pod(&mut cp, "typo", 8);
    assert_eq!(
        p["status"]["containerStatuses"][0]["state"]["waiting"]["reason"],
        "ImagePullBackOff"
    );
    let ev = events(&mut cp, "typo", 8);
    assert!(ev
        .iter()
        .any(|(r, m)| r == "Failed" && m == "Error: ErrImagePull"));
    assert!(ev
        .iter()
        .any(|(r, m)| r == "BackOff" && m == "Back-off pulling image \"ngnix\""));
}

/// Seconds between each run's end and the next run's start, from the pod's history.
fn restart_waits(cp: &mut ControlPlane, name: &str, from: i64, to: i64) -> Vec<i64> {
    let mut seen = Vec::new();
    let mut last = String::new();
    let secs = |v: &Value| {
        v.as_str()
            .unwrap()
            .parse::<Timestamp>()
            .unwrap()
            .as_second()
    };
    for s in from..to {
        cp.run_until(t(s), t(s + 1), SignedDuration::from_secs(1));
        let status = &pod(cp, name, s + 1)["status"]["containerStatuses"][0];
        let started = &status["state"]["running"]["startedAt"];
        if let (Some(st), Some(_)) = (
            started.as_str(),
            status["lastState"]["terminated"]["finishedAt"].as_str(),
        ) {
            if st != last {
                last = st.to_string();
                seen.push(secs(started) - secs(&status["lastState"]["terminated"]["finishedAt"]));
            }
        }
    }
    seen
}

#[test]
fn a_crashing_container_backs_off_doubling_up_to_five_minutes() {
    let mut cp = cluster();
    run_pod(
        &mut cp,
        simple(
            "crash",
            json!({"name": "c", "image": "busybox:1.36", "command": ["sh", "-c", "sleep 2; exit 1"]}),
        ),
        1,
    );
    let waits = restart_waits(&mut cp, "crash", 1, 1500);
    assert_eq!(&waits[..7], &[0, 10, 20, 40, 80, 160, 300]);
    let p = pod(&mut cp, "crash", 1500);
    assert!(
        p["status"]["containerStatuses"][0]["restartCount"]
            .as_i64()
            .unwrap()
            >= 7
    );
    let ev = events(&mut cp, "crash", 1500);
    assert!(ev.iter().any(|(r, m)| r == "BackOff"
        && m.starts_with("Back-off restarting failed container c in pod crash_default(")));
}

#[test]
fn a_failing_liveness_probe_restarts_the_container() {
    let mut cp = cluster();
    let mut p = simple(
        "api",
        json!({"name": "api", "image": "myapp:1.0",
        "livenessProbe": {"httpGet": {"path": "/health", "port": 3000}, "initialDelaySeconds": 5, "periodSeconds": 5}}),
    );
    p["metadata"]["annotations"] = json!({"kubeplay.dev/fault": "liveness"});
    run_pod(&mut cp, p, 1);
    until(&mut cp, 1, 40);
    let p = pod(&mut cp, "api", 40);
    assert_eq!(p["status"]["containerStatuses"][0]["restartCount"], 1);
    assert_eq!(
        p["status"]["containerStatuses"][0]["lastState"]["terminated"]["exitCode"],
        137
    );
    let ev = events(&mut cp, "api", 40);
    assert!(ev.iter().any(|(r, m)| r == "Unhealthy"
        && m == "Liveness probe failed: HTTP probe failed with statuscode: 500"));
    assert!(ev
        .iter()
        .any(|(r, m)| r == "Killing"
            && m == "Container api failed liveness probe, will be restarted"));
}

#[test]
fn a_failing_readiness_probe_makes_the_pod_unready_without_restarts() {
    let mut cp = cluster();
    let mut p = simple(
        "api",
        json!({"name": "api", "image": "myapp:1.0",
        "readinessProbe": {"httpGet": {"path": "/ready", "port": 3000}, "periodSeconds": 5}}),
    );
    p["metadata"]["annotations"] = json!({"kubeplay.dev/fault": "readiness"});
    run_pod(&mut cp, p, 1);
    until(&mut cp, 1, 120);
    let p = pod(&mut cp, "api", 120);
    assert_eq!(p["status"]["phase"], "Running");
    assert_eq!(p["status"]["containerStatuses"][0]["ready"], false);
    assert_eq!(p["status"]["containerStatuses"][0]["restartCount"], 0);
    let ready = p["status"]["conditions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["type"] == "Ready")
        .unwrap()
        .clone();
    assert_eq!(ready["status"], "False");
    assert_eq!(ready["message"], "containers with unready status: [api]");
}

#[test]
fn a_missing_config_map_blocks_start_until_it_is_created() {
    let mut cp = cluster();
    run_pod(
        &mut cp,
        simple(
            "cfg",
            json!({"name": "c", "image": "nginx", "envFrom": [{"configMapRef": {"name": "x"}}]}),
        ),
        1,
    );
    until(&mut cp, 1, 20);
    let p = pod(&mut cp, "cfg", 20);
    let waiting = &p["status"]["containerStatuses"][0]["state"]["waiting"];
    assert_eq!(waiting["reason"], "CreateContainerConfigError");
    assert_eq!(waiting["message"], "configmap \"x\" not found");
    let cm = json!({"metadata": {"name": "x"}, "data": {"A": "1"}});
    cp.api_mut().handle(
        &Request::post("/api/v1/namespaces/default/configmaps", cm.to_string()),
        t(20),
    );
    until(&mut cp, 20, 22);
    let p = pod(&mut cp, "cfg", 22);
    assert_eq!(p["status"]["phase"], "Running");
}

#[test]
fn a_leaking_container_is_oom_killed_at_its_limit() {
    let mut cp = cluster();
    let mut p = simple(
        "leaky",
        json!({"name": "c", "image": "nginx", "resources": {"limits": {"memory": "64Mi"}}}),
    );
    p["metadata"]["annotations"] = json!({"kubeplay.dev/fault": "leak"});
    run_pod(&mut cp, p, 1);
    until(&mut cp, 1, 80);
    let p = pod(&mut cp, "leaky", 80);
    assert_eq!(
        p["status"]["containerStatuses"][0]["lastState"]["terminated"]["reason"],
        "OOMKilled"
    );
}

#[test]
fn graceful_deletion_ends_with_the_pod_gone() {
    let mut cp = cluster();
    run_pod(
        &mut cp,
        simple("web", json!({"name": "nginx", "image": "nginx"})),
        1,
    );
    until(&mut cp, 1, 10);
    let pods = crate::api::resources::by_plural("", "v1", "pods").unwrap();
    let d = cp
        .api_mut()
        .delete(pods, "default", "web", &DeleteOptions::default(), t(10))
        .unwrap();
    assert!(!d.finished);
    until(&mut cp, 10, 15);
    assert!(get(&mut cp, "/api/v1/namespaces/default/pods/web", 15).is_none());
    let ev = events(&mut cp, "web", 15);
    assert!(ev
        .iter()
        .any(|(r, m)| r == "Killing" && m == "Stopping container nginx"));
}

#[test]
fn a_failed_node_stops_renewing_its_lease_until_it_recovers() {
    let mut cp = cluster();
    let lease = |cp: &mut ControlPlane, at| {
        get(
            cp,
            "/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases/node-1",
            at,
        )
        .unwrap()["spec"]["renewTime"]
            .as_str()
            .unwrap()
            .to_string()
    };
    until(&mut cp, 1, 30);
    assert_eq!(lease(&mut cp, 30), "2026-01-01T00:00:30.000000Z");
    let node = get(&mut cp, "/api/v1/nodes/node-1", 30).unwrap();
    assert_eq!(node["status"]["nodeInfo"]["kubeletVersion"], "v1.35.0");
    assert_eq!(node["status"]["conditions"][3]["type"], "Ready");
    nodes::set_failed(cp.api_mut(), "node-1", true, t(30)).unwrap();
    until(&mut cp, 30, 100);
    assert_eq!(
        lease(&mut cp, 100),
        "2026-01-01T00:00:30.000000Z",
        "no heartbeat while failed"
    );
    nodes::set_failed(cp.api_mut(), "node-1", false, t(100)).unwrap();
    until(&mut cp, 100, 101);
    assert_eq!(lease(&mut cp, 101), "2026-01-01T00:01:40.000000Z");
}

#[test]
fn metrics_are_written_for_running_pods_and_nodes() {
    let mut cp = cluster();
    let mut p = simple("web", json!({"name": "nginx", "image": "nginx"}));
    p["metadata"]["labels"] = json!({"app": "web"});
    run_pod(&mut cp, p, 1);
    let svc = json!({"metadata": {"name": "web", "annotations": {"kubeplay.dev/traffic-rps": "100"}},
        "spec": {"selector": {"app": "web"}, "ports": [{"port": 80}]}});
    cp.api_mut().handle(
        &Request::post("/api/v1/namespaces/default/services", svc.to_string()),
        t(1),
    );
    until(&mut cp, 1, 40);
    let pm = get(
        &mut cp,
        "/apis/metrics.k8s.io/v1beta1/namespaces/default/pods/web",
        40,
    )
    .expect("pod metrics");
    assert_eq!(pm["containers"][0]["name"], "nginx");
    // nginx: 1m idle + 100 rps × 0.5m.
    assert_eq!(pm["containers"][0]["usage"]["cpu"], "51000000n");
    assert_eq!(pm["window"], "15s");
    let nm = get(&mut cp, "/apis/metrics.k8s.io/v1beta1/nodes/node-1", 40).expect("node metrics");
    assert!(nm["usage"]["memory"].as_str().unwrap().ends_with("Ki"));
}
