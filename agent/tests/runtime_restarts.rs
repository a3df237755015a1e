//! Restarts on the real Docker engine: a crashing container walks into CrashLoopBackOff with
//! its last termination and previous log kept, and a failing liveness probe restarts one.

mod runtime_support;

use kubeplay_agent::runtime::{LogOptions, Report};
use runtime_support::*;
use serde_json::json;

#[tokio::test]
async fn a_crashing_container_enters_crash_loop_back_off_and_keeps_its_previous_log() {
    let Some((runtime, mut reports)) = runtime_or_skip("crash").await else {
        return;
    };
    let desired = pod(
        "crash",
        json!([{"name": "app", "image": BUSYBOX, "command": ["sh", "-c", "echo boom; exit 3"]}]),
        "Always",
    );
    let pod = pod_ref(&desired);
    let _cleanup = Cleanup("crash", pod.clone());
    runtime.sync(vec![desired]).await.expect("sync");

    let (looping, seen) = wait_for(&mut reports, &pod, "CrashLoopBackOff", |r| {
        container_status(r, "app")
            .is_some_and(|c| c["state"]["waiting"]["reason"] == "CrashLoopBackOff")
    })
    .await;
    let app = container_status(&looping, "app").expect("app");
    // The first exit restarts at once; the second waits for the first back-off (10 s).
    assert_eq!(app["restartCount"], 1);
    assert_eq!(app["lastState"]["terminated"]["exitCode"], 3);
    assert_eq!(app["lastState"]["terminated"]["reason"], "Error");
    assert_eq!(app["ready"], false);
    let message = app["state"]["waiting"]["message"].as_str().unwrap();
    assert!(
        message.starts_with("back-off 10s restarting failed container=app pod=crash-pod_ns-crash("),
        "{message}"
    );
    assert!(seen.iter().chain([&looping]).any(|r| matches!(r, Report::Event(e)
        if e.reason == "BackOff" && e.message.starts_with("Back-off restarting failed container app in pod crash-pod_ns-crash("))));
    let Report::Status { status, .. } = &looping else {
        unreachable!()
    };
    assert_eq!(status["phase"], "Running");

    let previous = LogOptions {
        previous: true,
        ..Default::default()
    };
    let log = collect_logs(
        runtime
            .logs(&pod.uid, "app", previous)
            .await
            .expect("previous log"),
    )
    .await;
    assert_eq!(log, "boom\n");

    remove(&runtime, &mut reports, vec![], &pod).await;
    assert_eq!(containers_of(&runtime, &pod).await, 0);
}

#[tokio::test]
async fn a_failing_liveness_probe_restarts_the_container() {
    let Some((runtime, mut reports)) = runtime_or_skip("liveness").await else {
        return;
    };
    let desired = pod(
        "liveness",
        json!([{"name": "app", "image": BUSYBOX,
            "command": ["sh", "-c", "trap 'exit 0' TERM; touch /tmp/healthy; while true; do sleep 1; done"],
            "livenessProbe": {"exec": {"command": ["cat", "/tmp/healthy"]}, "periodSeconds": 1, "failureThreshold": 2}}]),
        "Always",
    );
    let pod = pod_ref(&desired);
    let _cleanup = Cleanup("liveness", pod.clone());
    runtime.sync(vec![desired]).await.expect("sync");
    wait_for(&mut reports, &pod, "the container running", |r| {
        container_status(r, "app").is_some_and(|c| c["state"]["running"].is_object())
    })
    .await;
    // The probe passes until the file goes away.
    let rm = vec!["rm".into(), "/tmp/healthy".into()];
    let mut session = runtime
        .exec(&pod.uid, "app", rm, false, false)
        .await
        .expect("exec");
    use futures_util::StreamExt;
    while session.output.next().await.is_some() {}

    let (restarted, seen) = wait_for(&mut reports, &pod, "a restart", |r| {
        container_status(r, "app")
            .is_some_and(|c| c["restartCount"] == 1 && c["state"]["running"].is_object())
    })
    .await;
    let unhealthy: Vec<&str> = seen
        .iter()
        .filter_map(|r| match r {
            Report::Event(e) if e.reason == "Unhealthy" => Some(e.message.as_str()),
            _ => None,
        })
        .collect();
    assert!(
        unhealthy
            .iter()
            .all(|m| m.starts_with("Liveness probe failed: ")),
        "{unhealthy:?}"
    );
    assert!(unhealthy.len() >= 2, "{unhealthy:?}");
    assert!(seen.iter().any(|r| matches!(r, Report::Event(e)
        if e.reason == "Killing" && e.message == "Container app failed liveness probe, will be restarted")));
    let app = container_status(&restarted, "app").expect("app");
    assert_eq!(
        app["lastState"]["terminated"]["reason"], "Completed",
        "the trap exits 0 on SIGTERM"
    );

    remove(&runtime, &mut reports, vec![], &pod).await;
}

#[tokio::test]
async fn a_container_over_its_memory_limit_is_oom_killed_and_the_pod_fails() {
    let Some((runtime, mut reports)) = runtime_or_skip("oom").await else {
        return;
    };
    let desired = pod(
        "oom",
        json!([{"name": "hog", "image": BUSYBOX, "resources": {"limits": {"memory": "8Mi"}},
            "command": ["sh", "-c", "x=aaaaaaaa; while true; do x=$x$x; done"]}]),
        "Never",
    );
    let pod = pod_ref(&desired);
    let _cleanup = Cleanup("oom", pod.clone());
    runtime.sync(vec![desired]).await.expect("sync");
    let (failed, _) = wait_for(
        &mut reports,
        &pod,
        "the pod to fail",
        |r| matches!(r, Report::Status { status, .. } if status["phase"] == "Failed"),
    )
    .await;
    let hog = container_status(&failed, "hog").expect("hog");
    assert_eq!(hog["state"]["terminated"]["reason"], "OOMKilled");
    assert_eq!(hog["state"]["terminated"]["exitCode"], 137);
    assert_eq!(hog["restartCount"], 0);
    remove(&runtime, &mut reports, vec![], &pod).await;
}
