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
fn a_crash_fault_added_to_a_running_container_ends_it_with_an_error() {
    let mut cp = cluster();
    run_pod(&mut cp, simple("web", json!({"name": "web", "image": "nginx:1.27"})), 1);
    until(&mut cp, 1, 20);
    assert!(pod(&mut cp, "web", 20)["status"]["containerStatuses"][0]["state"]["running"].is_object());
    let fault = json!({"metadata": {"annotations": {crate::sim::images::FAULT_ANNOTATION: "crash"}}});
    let r = cp.api_mut().handle(
        &Request::patch("/api/v1/namespaces/default/pods/web", "application/merge-patch+json", fault.to_string()),
        t(20),
    );
    assert_eq!(r.status(), 200, "{r:?}");
    until(&mut cp, 20, 30);
    let status = &pod(&mut cp, "web", 30)["status"]["containerStatuses"][0];
    assert!(status["restartCount"].as_i64().unwrap() >= 1, "{status}");
    assert_eq!(status["lastState"]["terminated"]["reason"], "Error");
    assert_eq!(status["lastState"]["terminated"]["exitCode"], 1);
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

mod logs {
    use super::*;
    use crate::manifest::apply::apply;

    fn logs(cp: &mut ControlPlane, name: &str, query: &str, at: i64) -> (u16, String) {
        let path = format!("/api/v1/namespaces/default/pods/{name}/log{query}");
        match cp.api_mut().handle(&Request::get(&path), t(at)) {
            crate::apiserver::Response::Body { status: 200, content_type, body, .. } => {
                assert_eq!(content_type, "text/plain");
                (200, String::from_utf8(body).unwrap())
            }
            other => (other.status(), other.json_body()["message"].as_str().unwrap_or_default().to_string()),
        }
    }

    fn delete_and_wait(cp: &mut ControlPlane, name: &str, from: i64, to: i64) {
        let path = format!("/api/v1/namespaces/default/pods/{name}");
        assert!(cp.api_mut().handle(&Request::delete(&path), t(from)).status() < 300);
        until(cp, from, to);
        assert!(get(cp, &path, to).is_none(), "{name} is gone");
    }

    #[test]
    fn a_running_myapp_shows_its_start_up_lines_and_its_env() {
        let mut cp = cluster();
        let c = json!({"name": "api", "image": "myapp:1.0", "env": [{"name": "DATABASE_URL", "value": "postgres://db:5432/app"}]});
        run_pod(&mut cp, simple("web", c), 1);
        until(&mut cp, 1, 10);
        let (status, text) = logs(&mut cp, "web", "", 10);
        assert_eq!(status, 200, "{text}");
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines[0], "> myapp@1.0 start");
        assert!(lines.contains(&"DATABASE_URL=postgres://db:5432/app"), "{text}");
        assert!(lines.contains(&"Server listening on port 3000"), "{text}");
        assert_eq!(logs(&mut cp, "web", "?tailLines=1", 10).1, format!("{}\n", lines[lines.len() - 1]));
        let (_, stamped) = logs(&mut cp, "web", "?tailLines=1&timestamps=true", 10);
        assert!(stamped.starts_with("2026-01-01T00:00:"), "{stamped}");
    }

    #[test]
    fn a_pod_of_several_containers_needs_a_container_name() {
        let mut cp = cluster();
        let pod = json!({"metadata": {"name": "web"}, "spec": {"containers": [
            {"name": "a", "image": "nginx"}, {"name": "b", "image": "redis"}]}});
        run_pod(&mut cp, pod, 1);
        until(&mut cp, 1, 10);
        let (status, message) = logs(&mut cp, "web", "", 10);
        assert_eq!((status, message.as_str()), (400, "a container name must be specified for pod web, choose one of: [a b]"));
        let (status, text) = logs(&mut cp, "web", "?container=b", 10);
        assert_eq!(status, 200);
        assert!(text.contains("Ready to accept connections tcp"), "{text}");
        assert_eq!(logs(&mut cp, "web", "?container=c", 10).1, "container c is not valid for pod web");
    }

    #[test]
    fn a_pod_not_started_yet_is_waiting_to_start() {
        let mut cp = cluster();
        run_pod(&mut cp, simple("web", json!({"name": "api", "image": "myapp:1.0"})), 1);
        cp.tick(t(1));
        let (status, message) = logs(&mut cp, "web", "", 1);
        assert_eq!((status, message.as_str()), (400, "container \"api\" in pod \"web\" is waiting to start: ContainerCreating"));
    }

    #[test]
    fn previous_shows_the_instance_before_a_crash_restart() {
        let mut cp = cluster();
        let mut pod = simple("web", json!({"name": "api", "image": "myapp:1.0"}));
        pod["metadata"]["annotations"] = json!({crate::sim::images::FAULT_ANNOTATION: "crash"});
        run_pod(&mut cp, pod, 1);
        until(&mut cp, 1, 4);
        assert_eq!(
            logs(&mut cp, "web", "?previous=true", 4).1,
            "previous terminated container \"api\" in pod \"web\" not found"
        );
        until(&mut cp, 4, 12);
        let p = super::pod(&mut cp, "web", 12);
        assert_eq!(p["status"]["containerStatuses"][0]["restartCount"], 1, "{p}");
        assert!(p["status"]["containerStatuses"][0]["state"]["running"].is_object(), "{p}");
        let (status, previous) = logs(&mut cp, "web", "?previous=true", 12);
        assert_eq!(status, 200, "{previous}");
        assert!(previous.ends_with("Error: simulated crash (kubeplay.dev/fault=crash)\n"), "{previous}");
        let (_, current) = logs(&mut cp, "web", "", 12);
        assert!(current.starts_with("> myapp@1.0 start") && !current.contains("crash"), "{current}");
    }

    #[test]
    fn a_busybox_echo_is_its_log() {
        let mut cp = cluster();
        let c = json!({"name": "hello", "image": "busybox", "command": ["sh", "-c", "echo hi"]});
        let mut pod = simple("hello", c);
        pod["spec"]["restartPolicy"] = json!("Never");
        run_pod(&mut cp, pod, 1);
        until(&mut cp, 1, 10);
        assert_eq!(logs(&mut cp, "hello", "", 10), (200, "hi\n".to_string()));
    }

    #[test]
    fn postgres_data_on_a_claim_survives_the_pod() {
        let mut cp = cluster();
        let out = apply(cp.api_mut(), include_str!("../../../tests/fixtures/seed/pvc.yaml"), "default", t(1)).unwrap();
        assert!(out.iter().all(|o| o.result.is_ok()));
        let pod_yaml = include_str!("../../../tests/fixtures/seed/postgres-pod.yaml");
        apply(cp.api_mut(), pod_yaml, "default", t(1)).unwrap();
        until(&mut cp, 1, 20);
        let (status, first) = logs(&mut cp, "postgres", "", 20);
        assert_eq!(status, 200, "{first}");
        assert!(first.starts_with("The files belonging to this database system will be owned by user \"postgres\"."), "{first}");
        assert!(first.contains("PostgreSQL init process complete; ready for start up."), "{first}");
        delete_and_wait(&mut cp, "postgres", 20, 60);
        apply(cp.api_mut(), pod_yaml, "default", t(60)).unwrap();
        until(&mut cp, 60, 80);
        let (_, second) = logs(&mut cp, "postgres", "", 80);
        assert!(second.contains("PostgreSQL Database directory appears to contain a database; Skipping initialization"), "{second}");
        assert!(!second.contains("init process complete"), "{second}");
    }

    #[test]
    fn an_empty_dir_starts_empty_for_a_recreated_pod() {
        let mut cp = cluster();
        let pod = json!({"metadata": {"name": "scratch-db"}, "spec": {
            "containers": [{"name": "postgres", "image": "postgres:16",
                "volumeMounts": [{"name": "data", "mountPath": "/var/lib/postgresql/data"}]}],
            "volumes": [{"name": "data", "emptyDir": {}}]}});
        run_pod(&mut cp, pod.clone(), 1);
        until(&mut cp, 1, 20);
        assert!(logs(&mut cp, "scratch-db", "", 20).1.contains("init process complete"));
        delete_and_wait(&mut cp, "scratch-db", 20, 60);
        run_pod(&mut cp, pod, 60);
        until(&mut cp, 60, 80);
        let (_, again) = logs(&mut cp, "scratch-db", "", 80);
        assert!(again.contains("init process complete") && !again.contains("appears to contain"), "{again}");
    }
}
