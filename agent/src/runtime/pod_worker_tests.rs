//! The pod lifecycle driven step by step against the fake engine and a fake clock.

use super::*;
use crate::runtime::fake_engine::FakeEngine;
use serde_json::json;

fn t(s: i64) -> Timestamp {
    Timestamp::from_second(1_767_225_600 + s).unwrap()
}

fn desired(containers: Value, restart_policy: &str) -> DesiredPod {
    DesiredPod {
        pod: json!({"metadata": {"name": "web", "namespace": "default", "uid": "u1"},
            "spec": {"containers": containers, "restartPolicy": restart_policy}}),
        env: BTreeMap::new(),
        volumes: BTreeMap::new(),
    }
}

fn worker(engine: &Arc<FakeEngine>, d: DesiredPod) -> PodWorker<FakeEngine> {
    let dir = std::env::temp_dir().join(format!("kubeplay-worker-test-{}", std::process::id()));
    PodWorker::new(engine.clone(), dir, "192.168.1.5".into(), d, t(0))
}

fn events(w: &mut PodWorker<FakeEngine>) -> Vec<(String, String)> {
    w.out
        .drain(..)
        .filter_map(|r| match r {
            Report::Event(e) => Some((e.reason, e.message)),
            _ => None,
        })
        .collect()
}

fn app_state(w: &PodWorker<FakeEngine>) -> Value {
    w.status(t(0))["containerStatuses"][0].clone()
}

#[tokio::test]
async fn a_pod_starts_its_sandbox_then_its_containers_joined_to_it() {
    let engine = Arc::new(FakeEngine::with_images(&["app:1"]));
    let mut w = worker(
        &engine,
        desired(json!([{"name": "app", "image": "app:1"}]), "Always"),
    );
    w.step(t(0)).await;
    let calls = engine.calls();
    assert_eq!(
        calls[..2],
        [
            "create k8s_POD_web_default_u1_0".to_string(),
            "start c1".to_string()
        ]
    );
    assert!(calls.contains(&"create k8s_app_web_default_u1_0".to_string()));
    let app = engine.lock().containers["c2"].spec.clone();
    assert_eq!(app.network_mode.as_deref(), Some("container:c1"));
    assert_eq!(app.labels[labels::RESTART_COUNT], "0");
    let reasons: Vec<String> = events(&mut w).into_iter().map(|(r, _)| r).collect();
    assert_eq!(reasons, ["Pulled", "Created", "Started"]);
    let status = w.status(t(0));
    assert_eq!(status["phase"], "Running");
    assert_eq!(status["podIP"], "10.0.0.7");
    assert_eq!(status["containerStatuses"][0]["containerID"], "docker://c2");
    assert_eq!(status["containerStatuses"][0]["ready"], true);
    assert_eq!(status["qosClass"], "BestEffort");
}

#[tokio::test]
async fn the_sandbox_joins_the_pod_network_and_names_the_cluster_dns() {
    let engine = Arc::new(FakeEngine::with_images(&["app:1"]));
    let network = SandboxNetwork {
        docker_network: Some("pods-of-pi".into()),
        cluster_dns: Some("10.96.0.10".into()),
    };
    let mut w = worker(
        &engine,
        desired(json!([{"name": "app", "image": "app:1"}]), "Always"),
    )
    .with_network(network);
    w.step(t(0)).await;
    let infra = engine.lock().containers["c1"].spec.clone();
    assert_eq!(infra.network_mode.as_deref(), Some("pods-of-pi"));
    assert_eq!(infra.dns, ["10.96.0.10"]);
    let app = engine.lock().containers["c2"].spec.clone();
    assert_eq!(app.network_mode.as_deref(), Some("container:c1"), "apps join the sandbox");
}

#[tokio::test]
async fn crashes_restart_at_once_then_back_off_10_20_40_seconds() {
    let engine = Arc::new(FakeEngine::with_images(&["app:1"]));
    let mut w = worker(
        &engine,
        desired(json!([{"name": "app", "image": "app:1"}]), "Always"),
    );
    w.step(t(0)).await;
    let mut now = 0;
    let mut waits = Vec::new();
    for _ in 0..4 {
        now += 1;
        engine.exit("app", 2, t(now));
        w.step(t(now)).await; // sees the exit
        w.step(t(now)).await; // restarts, or starts waiting
        if let State::CrashLoop { retry_at } = w.containers[0].state {
            let wait = retry_at.as_second() - t(now).as_second();
            waits.push(wait);
            assert_eq!(
                app_state(&w)["state"]["waiting"]["reason"],
                "CrashLoopBackOff"
            );
            w.step(t(now + wait - 1)).await;
            assert!(
                matches!(w.containers[0].state, State::CrashLoop { .. }),
                "still backing off"
            );
            now += wait;
            w.step(t(now)).await;
        }
        assert!(w.containers[0].is_running());
    }
    assert_eq!(waits, [10, 20, 40]);
    let app = app_state(&w);
    assert_eq!(app["restartCount"], 4);
    assert_eq!(app["lastState"]["terminated"]["exitCode"], 2);
    assert_eq!(app["lastState"]["terminated"]["reason"], "Error");
}

#[tokio::test]
async fn only_the_current_and_previous_instances_are_kept() {
    let engine = Arc::new(FakeEngine::with_images(&["app:1"]));
    let mut w = worker(
        &engine,
        desired(json!([{"name": "app", "image": "app:1"}]), "Always"),
    );
    w.step(t(0)).await;
    for n in 1..=2 {
        engine.exit("app", 1, t(n * 100));
        w.step(t(n * 100)).await;
        w.step(t(n * 100)).await;
        w.step(t(n * 100 + 50)).await;
    }
    let c = &w.containers[0];
    assert_eq!(c.restart_count, 2);
    let names: Vec<String> = engine
        .lock()
        .containers
        .values()
        .map(|c| c.info.name.clone())
        .collect();
    assert_eq!(
        names,
        [
            "k8s_POD_web_default_u1_0",
            "k8s_app_web_default_u1_1",
            "k8s_app_web_default_u1_2"
        ]
    );
}

#[tokio::test]
async fn on_failure_leaves_a_completed_container_and_the_pod_succeeds() {
    let engine = Arc::new(FakeEngine::with_images(&["job:1"]));
    let mut w = worker(
        &engine,
        desired(json!([{"name": "job", "image": "job:1"}]), "OnFailure"),
    );
    w.step(t(0)).await;
    engine.exit("job", 0, t(5));
    w.step(t(5)).await;
    w.step(t(6)).await;
    let status = w.status(t(6));
    assert_eq!(status["phase"], "Succeeded");
    assert_eq!(
        status["containerStatuses"][0]["state"]["terminated"]["reason"],
        "Completed"
    );
    let ready = status["conditions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["type"] == "Ready")
        .unwrap();
    assert_eq!(ready["reason"], "PodCompleted");
}

#[tokio::test]
async fn a_missing_image_with_pull_policy_never_is_err_image_never_pull() {
    let engine = Arc::new(FakeEngine::default());
    let c = json!([{"name": "app", "image": "app:1", "imagePullPolicy": "Never"}]);
    let mut w = worker(&engine, desired(c, "Always"));
    w.step(t(0)).await;
    let app = app_state(&w);
    assert_eq!(app["state"]["waiting"]["reason"], "ErrImageNeverPull");
    assert_eq!(
        app["state"]["waiting"]["message"],
        "Container image \"app:1\" is not present with pull policy of Never"
    );
    assert!(!engine.calls().iter().any(|c| c.starts_with("pull")));
    assert!(events(&mut w).contains(&("Failed".into(), "Error: ErrImageNeverPull".into())));
}

#[tokio::test]
async fn a_failed_pull_is_err_image_pull_then_image_pull_back_off() {
    let engine = Arc::new(FakeEngine::default());
    let mut w = worker(
        &engine,
        desired(json!([{"name": "app", "image": "nginx"}]), "Always"),
    );
    w.step(t(0)).await;
    assert_eq!(app_state(&w)["state"]["waiting"]["reason"], "ErrImagePull");
    let first = events(&mut w);
    assert_eq!(
        first[0],
        ("Pulling".into(), "Pulling image \"nginx\"".into())
    );
    assert_eq!(
        first[1],
        (
            "Failed".into(),
            "Failed to pull image \"nginx\": pull access denied for nginx".into()
        )
    );
    w.step(t(1)).await;
    let app = app_state(&w);
    assert_eq!(app["state"]["waiting"]["reason"], "ImagePullBackOff");
    assert_eq!(
        app["state"]["waiting"]["message"],
        "Back-off pulling image \"nginx\": ErrImagePull: pull access denied for nginx"
    );
    assert!(events(&mut w).contains(&("BackOff".into(), "Back-off pulling image \"nginx\"".into())));
    w.step(t(10)).await;
    assert_eq!(
        engine
            .calls()
            .iter()
            .filter(|c| c.starts_with("pull"))
            .count(),
        2,
        "retried after the back-off"
    );
}

#[tokio::test]
async fn an_image_built_here_runs_under_pull_policy_always_when_no_registry_answers() {
    let engine = Arc::new(FakeEngine::with_images(&["busybox"]));
    let mut w = worker(
        &engine,
        desired(json!([{"name": "app", "image": "busybox"}]), "Always"),
    );
    w.step(t(0)).await;
    assert!(
        engine.calls().contains(&"pull busybox".to_string()),
        "the pull is tried"
    );
    assert!(w.containers[0].is_running());
    let reasons: Vec<String> = events(&mut w).into_iter().map(|(r, _)| r).collect();
    assert_eq!(reasons, ["Pulling", "Pulled", "Created", "Started"]);
}

#[tokio::test]
async fn a_failing_liveness_probe_kills_the_container_after_its_threshold() {
    let engine = Arc::new(FakeEngine::with_images(&["app:1"]));
    let c = json!([{"name": "app", "image": "app:1",
        "livenessProbe": {"exec": {"command": ["check"]}, "periodSeconds": 5, "failureThreshold": 3}}]);
    let mut w = worker(&engine, desired(c, "Always"));
    w.step(t(0)).await;
    events(&mut w);
    engine.lock().exec_exit = 1;
    for s in [0, 5, 10] {
        w.step(t(s)).await;
    }
    let seen = events(&mut w);
    let unhealthy = seen
        .iter()
        .filter(|(r, m)| r == "Unhealthy" && m == "Liveness probe failed: check: failed")
        .count();
    assert_eq!(unhealthy, 3);
    assert!(seen.contains(&(
        "Killing".into(),
        "Container app failed liveness probe, will be restarted".into()
    )));
    assert!(engine.calls().contains(&"stop c2 30s".to_string()));
    w.step(t(11)).await;
    assert_eq!(
        w.containers[0].restart_count, 1,
        "restarted at once (no back-off yet)"
    );
}

#[tokio::test]
async fn readiness_gates_ready_and_a_startup_probe_gates_both() {
    let engine = Arc::new(FakeEngine::with_images(&["app:1"]));
    let c = json!([{"name": "app", "image": "app:1",
        "startupProbe": {"exec": {"command": ["up"]}, "periodSeconds": 1},
        "readinessProbe": {"exec": {"command": ["ready"]}, "periodSeconds": 1}}]);
    let mut w = worker(&engine, desired(c, "Always"));
    w.step(t(0)).await;
    events(&mut w);
    engine.lock().exec_exit = 1;
    w.step(t(0)).await; // startup fails; readiness must not run before it passes
    assert_eq!(app_state(&w)["started"], false);
    assert_eq!(app_state(&w)["ready"], false);
    let unhealthy: Vec<String> = events(&mut w)
        .into_iter()
        .filter(|(r, _)| r == "Unhealthy")
        .map(|(_, m)| m)
        .collect();
    assert_eq!(unhealthy, ["Startup probe failed: up: failed"]);
    engine.lock().exec_exit = 0;
    w.step(t(1)).await;
    assert_eq!(app_state(&w)["started"], true);
    assert_eq!(app_state(&w)["ready"], true);
    let ready = w.status(t(1))["conditions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["type"] == "Ready")
        .cloned()
        .unwrap();
    assert_eq!(ready["status"], "True");
}

#[tokio::test]
async fn termination_stops_containers_with_the_deletion_grace_period_then_removes_the_sandbox() {
    let engine = Arc::new(FakeEngine::with_images(&["app:1"]));
    let mut d = desired(json!([{"name": "app", "image": "app:1"}]), "Always");
    w_step_and_terminate(&engine, &mut d).await;
}

async fn w_step_and_terminate(engine: &Arc<FakeEngine>, d: &mut DesiredPod) {
    d.pod["metadata"]["deletionGracePeriodSeconds"] = json!(7);
    d.pod["spec"]["terminationGracePeriodSeconds"] = json!(30);
    let mut w = worker(engine, d.clone());
    w.step(t(0)).await;
    events(&mut w);
    w.terminate(grace_period(&d.pod), t(1)).await;
    let calls = engine.calls();
    let stop = calls
        .iter()
        .position(|c| c == "stop c2 7s")
        .expect("SIGTERM with the deletion grace period");
    let sandbox = calls
        .iter()
        .position(|c| c == "remove c1")
        .expect("sandbox removed");
    assert!(stop < sandbox, "{calls:?}");
    assert!(engine.lock().containers.is_empty());
    let reports = std::mem::take(&mut w.out);
    assert!(
        matches!(&reports[0], Report::Event(e) if e.reason == "Killing" && e.message == "Stopping container app")
    );
    assert!(matches!(reports.last(), Some(Report::Removed { .. })));
}

#[tokio::test]
async fn adoption_takes_over_running_containers_with_their_restart_counts() {
    let engine = Arc::new(FakeEngine::with_images(&["app:1"]));
    let d = desired(json!([{"name": "app", "image": "app:1"}]), "Always");
    let mut first = worker(&engine, d.clone());
    first.step(t(0)).await;
    for n in 1..=3 {
        engine.exit("app", 1, t(n * 1000));
        first.step(t(n * 1000)).await;
        first.step(t(n * 1000)).await;
        first.step(t(n * 1000 + 400)).await;
    }
    assert_eq!(first.containers[0].restart_count, 3);
    let running_id = first.containers[0].current.clone();
    let calls_before = engine.calls().len();

    let found = engine
        .lock()
        .containers
        .values()
        .map(|c| c.info.clone())
        .collect();
    let dir = std::env::temp_dir().join("kubeplay-adopt-test");
    let mut second = PodWorker::adopt(engine.clone(), dir, "192.168.1.5".into(), d, found, t(5000));
    second.step(t(5000)).await;
    let app = &second.containers[0];
    assert_eq!(app.restart_count, 3);
    assert_eq!(app.current, running_id);
    assert!(app.is_running());
    assert_eq!(
        app.last_state.as_ref().map(|t| t.exit_code),
        Some(1),
        "the previous instance is the last state"
    );
    assert_eq!(
        engine.calls().len(),
        calls_before,
        "nothing created, started or removed"
    );
}

#[tokio::test]
async fn init_containers_run_to_completion_in_order_before_the_app_starts() {
    let engine = Arc::new(FakeEngine::with_images(&["app:1", "init:1"]));
    let mut d = desired(json!([{"name": "app", "image": "app:1"}]), "Always");
    d.pod["spec"]["initContainers"] = json!([{"name": "migrate", "image": "init:1"}]);
    let mut w = worker(&engine, d);
    w.step(t(0)).await;
    assert!(w.init[0].is_running());
    assert!(
        matches!(w.containers[0].state, State::Creating),
        "the app waits for init"
    );
    let status = w.status(t(0));
    assert_eq!(status["phase"], "Pending");
    let init = status["conditions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["type"] == "Initialized")
        .cloned()
        .unwrap();
    assert_eq!(init["status"], "False");
    assert_eq!(
        init["message"],
        "containers with incomplete status: [migrate]"
    );
    engine.exit("migrate", 0, t(3));
    w.step(t(3)).await;
    assert!(w.containers[0].is_running());
    assert_eq!(w.status(t(3))["phase"], "Running");
    assert_eq!(
        w.status(t(3))["initContainerStatuses"][0]["state"]["terminated"]["reason"],
        "Completed"
    );
}

#[tokio::test]
async fn a_new_image_restarts_the_container_with_it() {
    let engine = Arc::new(FakeEngine::with_images(&["app:1", "app:2"]));
    let d = desired(json!([{"name": "app", "image": "app:1"}]), "Always");
    let mut w = worker(&engine, d.clone());
    w.step(t(0)).await;
    events(&mut w);
    let mut newer = d;
    newer.pod["spec"]["containers"][0]["image"] = json!("app:2");
    w.update(newer);
    w.step(t(5)).await;
    assert!(events(&mut w).contains(&(
        "Killing".into(),
        "Container app definition changed, will be restarted".into()
    )));
    let app = app_state(&w);
    assert_eq!(app["image"], "app:2");
    assert_eq!(app["restartCount"], 1);
    assert!(app["state"]["running"].is_object());
    assert!(engine
        .lock()
        .containers
        .values()
        .any(|c| c.info.running && c.spec.image == "app:2"));
}
