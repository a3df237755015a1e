//! What survives the agent and the control plane: pods keep running when either goes away; a
//! restarted agent adopts them (same containers, restart counts unchanged) and removes the
//! orphans nobody asks for any more.
//!
//! Each test runs its own agent as its own node; agents on one engine leave each other's pods
//! alone, so the tests run side by side.

use kubeplay_e2e::agent::binary::agent_binary;
use kubeplay_e2e::agent::docker::{
    engine_or_skip, ensure_busybox_image, pod_containers, remove_pods, PodContainer,
};
use kubeplay_e2e::agent::pods::{container, desired, pod, unique_uid};
use kubeplay_e2e::agent::{AgentOptions, AgentProcess, Link};
use serde_json::{json, Value};
use std::time::Duration;

const START_LIMIT: Duration = Duration::from_secs(180);

fn running(status: &Value) -> bool {
    status["phase"] == "Running"
        && status["containerStatuses"]
            .as_array()
            .is_some_and(|cs| cs.iter().all(|c| c["state"]["running"].is_object()))
}

fn restart_count(status: &Value) -> u64 {
    status["containerStatuses"][0]["restartCount"]
        .as_u64()
        .unwrap_or(u64::MAX)
}

/// Ids of the running containers, sorted, to compare before and after.
fn running_ids(containers: &[PodContainer]) -> Vec<String> {
    let mut ids: Vec<String> = containers
        .iter()
        .filter(|c| c.running)
        .map(|c| c.id.clone())
        .collect();
    ids.sort();
    ids
}

fn sleeper(node: &str, name: &str, uid: &str, image: &str) -> Value {
    pod(
        node,
        name,
        uid,
        vec![container("app", image, &["sleep", "3600"])],
    )
}

#[tokio::test(flavor = "multi_thread")]
async fn a_restarted_agent_adopts_its_pods_with_restart_counts_unchanged() {
    let Some(docker) =
        engine_or_skip("a_restarted_agent_adopts_its_pods_with_restart_counts_unchanged").await
    else {
        return;
    };
    let image = ensure_busybox_image(&docker).await.unwrap();
    let node = "e2e-restart";
    let options = AgentOptions::new(node);
    let binary = agent_binary().unwrap();
    let uid = unique_uid("restart");
    // Fails on its first run and runs for good on the second, so its restart count is 1.
    let mut app = container(
        "app",
        image,
        &[
            "sh",
            "-c",
            "if [ -f /data/started ]; then exec sleep 3600; fi; touch /data/started; exit 1",
        ],
    );
    app["volumeMounts"] = json!([{"name": "data", "mountPath": "/data"}]);
    let mut spec = pod(node, "flaky", &uid, vec![app]);
    spec["spec"]["volumes"] = json!([{"name": "data", "emptyDir": {}}]);

    let mut agent = AgentProcess::start(&binary, &options).unwrap();
    let mut link = Link::connect(&agent.url, &agent.token).await.unwrap();
    link.sync(vec![desired(spec.clone())]).await.unwrap();
    let before = link
        .wait_for_status(&uid, "the pod to run after one restart", START_LIMIT, |s| {
            running(s) && restart_count(s) == 1
        })
        .await
        .unwrap();
    let containers_before = running_ids(&pod_containers(&docker, &uid).await.unwrap());
    assert_eq!(
        containers_before.len(),
        2,
        "the infra and the app container run"
    );

    agent.stop();
    drop(link);
    assert_eq!(
        running_ids(&pod_containers(&docker, &uid).await.unwrap()),
        containers_before,
        "pods keep running while no agent runs"
    );

    let agent = AgentProcess::start(&binary, &options).unwrap();
    let mut link = Link::connect(&agent.url, &agent.token).await.unwrap();
    link.sync(vec![desired(spec)]).await.unwrap();
    let after = link
        .wait_for_status(&uid, "the adopted pod's status", START_LIMIT, running)
        .await
        .unwrap();
    assert_eq!(restart_count(&after), 1, "restart count unchanged: {after}");
    assert_eq!(
        after["containerStatuses"][0]["containerID"], before["containerStatuses"][0]["containerID"],
        "the same container, not a new one"
    );
    assert_eq!(
        running_ids(&pod_containers(&docker, &uid).await.unwrap()),
        containers_before,
        "no duplicate, none lost"
    );
    link.sync(vec![]).await.unwrap();
    let _ = link
        .wait_for("the pod to be removed", Duration::from_secs(60), |l| {
            l.removed.iter().any(|r| r.uid == uid).then_some(())
        })
        .await;
    remove_pods(&docker, &[&uid]).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn pods_keep_running_while_the_control_plane_is_away_and_are_reported_when_it_returns() {
    let Some(docker) = engine_or_skip(
        "pods_keep_running_while_the_control_plane_is_away_and_are_reported_when_it_returns",
    )
    .await
    else {
        return;
    };
    let image = ensure_busybox_image(&docker).await.unwrap();
    let node = "e2e-away";
    let agent = AgentProcess::start(&agent_binary().unwrap(), &AgentOptions::new(node)).unwrap();
    let uid = unique_uid("away");
    let spec = sleeper(node, "steady", &uid, image);
    let mut link = Link::connect(&agent.url, &agent.token).await.unwrap();
    link.sync(vec![desired(spec.clone())]).await.unwrap();
    link.wait_for_status(&uid, "the pod to run", START_LIMIT, running)
        .await
        .unwrap();
    let containers = running_ids(&pod_containers(&docker, &uid).await.unwrap());
    drop(link);

    // The returning control plane hears the pod's status before it says anything.
    let mut link = Link::connect(&agent.url, &agent.token).await.unwrap();
    let status = link
        .wait_for_status(
            &uid,
            "the pod's status on reconnect",
            Duration::from_secs(30),
            running,
        )
        .await
        .unwrap();
    assert_eq!(restart_count(&status), 0);
    link.sync(vec![desired(spec)]).await.unwrap();
    link.wait_for("a heartbeat after the sync", Duration::from_secs(30), |l| {
        (l.heartbeats > 0).then_some(())
    })
    .await
    .unwrap();
    assert_eq!(
        running_ids(&pod_containers(&docker, &uid).await.unwrap()),
        containers,
        "no duplicate, none lost"
    );
    link.sync(vec![]).await.unwrap();
    let _ = link
        .wait_for("the pod to be removed", Duration::from_secs(60), |l| {
            l.removed.iter().any(|r| r.uid == uid).then_some(())
        })
        .await;
    remove_pods(&docker, &[&uid]).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_restarted_agent_removes_the_pods_it_is_no_longer_asked_to_run() {
    let Some(docker) =
        engine_or_skip("a_restarted_agent_removes_the_pods_it_is_no_longer_asked_to_run").await
    else {
        return;
    };
    let image = ensure_busybox_image(&docker).await.unwrap();
    let node = "e2e-orphans";
    let options = AgentOptions::new(node);
    let binary = agent_binary().unwrap();
    let (kept, orphan) = (unique_uid("kept"), unique_uid("orphan"));
    let kept_pod = sleeper(node, "kept", &kept, image);

    let mut agent = AgentProcess::start(&binary, &options).unwrap();
    let mut link = Link::connect(&agent.url, &agent.token).await.unwrap();
    link.sync(vec![
        desired(kept_pod.clone()),
        desired(sleeper(node, "orphan", &orphan, image)),
    ])
    .await
    .unwrap();
    link.wait_for("both pods to run", START_LIMIT, |l| {
        (l.statuses.get(&kept).is_some_and(running) && l.statuses.get(&orphan).is_some_and(running))
            .then_some(())
    })
    .await
    .unwrap();
    let kept_containers = running_ids(&pod_containers(&docker, &kept).await.unwrap());
    agent.stop();
    drop(link);

    // While the agent was away, the orphan's pod was deleted from the cluster.
    let agent = AgentProcess::start(&binary, &options).unwrap();
    let mut link = Link::connect(&agent.url, &agent.token).await.unwrap();
    link.sync(vec![desired(kept_pod)]).await.unwrap();
    link.wait_for_status(&kept, "the kept pod's status", START_LIMIT, running)
        .await
        .unwrap();
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    while !pod_containers(&docker, &orphan).await.unwrap().is_empty() {
        assert!(
            std::time::Instant::now() < deadline,
            "the orphan's containers are still there after 60 s"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert_eq!(
        running_ids(&pod_containers(&docker, &kept).await.unwrap()),
        kept_containers,
        "the kept pod was not touched"
    );
    link.sync(vec![]).await.unwrap();
    let _ = link
        .wait_for("the pod to be removed", Duration::from_secs(60), |l| {
            l.removed.iter().any(|r| r.uid == kept).then_some(())
        })
        .await;
    remove_pods(&docker, &[&kept, &orphan]).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn reset_removes_the_pods_the_agent_created_and_leaves_them_running_until_then() {
    let Some(docker) = engine_or_skip(
        "reset_removes_the_pods_the_agent_created_and_leaves_them_running_until_then",
    )
    .await
    else {
        return;
    };
    let image = ensure_busybox_image(&docker).await.unwrap();
    let node = "e2e-reset";
    let options = AgentOptions::new(node);
    let binary = agent_binary().unwrap();
    let uid = unique_uid("reset");
    let mut agent = AgentProcess::start(&binary, &options).unwrap();
    let mut link = Link::connect(&agent.url, &agent.token).await.unwrap();
    link.sync(vec![desired(sleeper(node, "doomed", &uid, image))])
        .await
        .unwrap();
    link.wait_for_status(&uid, "the pod to run", START_LIMIT, running)
        .await
        .unwrap();
    agent.stop();
    drop(link);
    assert_eq!(
        running_ids(&pod_containers(&docker, &uid).await.unwrap()).len(),
        2,
        "stopping the agent leaves the pod running"
    );

    let output = std::process::Command::new(&binary)
        .arg("reset")
        .arg("--state-dir")
        .arg(&options.state_dir)
        .args(["--node-name", node])
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "reset failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(
        pod_containers(&docker, &uid).await.unwrap().is_empty(),
        "reset left the pod's containers"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn two_agents_on_one_engine_leave_each_others_pods_alone() {
    let Some(docker) =
        engine_or_skip("two_agents_on_one_engine_leave_each_others_pods_alone").await
    else {
        return;
    };
    let image = ensure_busybox_image(&docker).await.unwrap();
    let binary = agent_binary().unwrap();
    let (first, second) = (
        AgentOptions::new("e2e-neighbour-a"),
        AgentOptions::new("e2e-neighbour-b"),
    );
    let uid = unique_uid("neighbour");
    let a = AgentProcess::start(&binary, &first).unwrap();
    let mut link_a = Link::connect(&a.url, &a.token).await.unwrap();
    link_a
        .sync(vec![desired(sleeper(
            &first.node_name,
            "mine",
            &uid,
            image,
        ))])
        .await
        .unwrap();
    link_a
        .wait_for_status(&uid, "the pod to run", START_LIMIT, running)
        .await
        .unwrap();
    let containers = running_ids(&pod_containers(&docker, &uid).await.unwrap());

    // The other node runs nothing, removes its orphans, and is reset.
    let b = AgentProcess::start(&binary, &second).unwrap();
    let mut link_b = Link::connect(&b.url, &b.token).await.unwrap();
    link_b.sync(vec![]).await.unwrap();
    link_b
        .wait_for("a heartbeat after the sync", Duration::from_secs(30), |l| {
            (l.heartbeats > 0).then_some(())
        })
        .await
        .unwrap();
    drop((link_b, b));
    let output = std::process::Command::new(&binary)
        .arg("reset")
        .arg("--state-dir")
        .arg(&second.state_dir)
        .args(["--node-name", &second.node_name])
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "reset failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );

    assert_eq!(
        running_ids(&pod_containers(&docker, &uid).await.unwrap()),
        containers,
        "the neighbour touched this node's pod"
    );
    link_a.sync(vec![]).await.unwrap();
    let _ = link_a
        .wait_for("the pod to be removed", Duration::from_secs(60), |l| {
            l.removed.iter().any(|r| r.uid == uid).then_some(())
        })
        .await;
    remove_pods(&docker, &[&uid]).await;
}
