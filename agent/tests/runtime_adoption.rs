//! A restarted agent on the real Docker engine: a new runtime adopts the pods the old one left
//! running without restarting them, and removes the ones nobody wants any more.

mod runtime_support;

use kubeplay_agent::runtime::{PodRuntime, Report};
use runtime_support::*;
use serde_json::json;

fn sleeper(test: &str) -> kubeplay_shared::node_protocol::DesiredPod {
    pod(
        test,
        json!([{"name": "app", "image": BUSYBOX, "command": ["sh", "-c", "trap 'exit 0' TERM; while true; do sleep 1; done"]}]),
        "Always",
    )
}

#[tokio::test]
async fn a_new_runtime_adopts_running_pods_without_restarting_them_and_removes_orphans() {
    let Some((first, mut reports)) = runtime_or_skip("adopt").await else {
        return;
    };
    first.adopt().await.expect("adopt");
    let kept = sleeper("adopt");
    let orphan = {
        let mut o = sleeper("adopt");
        o.pod["metadata"]["name"] = json!("orphan-pod");
        o
    };
    let (kept_ref, orphan_ref) = (pod_ref(&kept), pod_ref(&orphan));
    let _cleanup = (
        Cleanup("adopt", kept_ref.clone()),
        Cleanup("adopt", orphan_ref.clone()),
    );
    first
        .sync(vec![kept.clone(), orphan.clone()])
        .await
        .expect("sync");
    let (running, _) = wait_for(&mut reports, &kept_ref, "the pod running", |r| {
        container_status(r, "app").is_some_and(|c| c["state"]["running"].is_object())
    })
    .await;
    let before = container_status(&running, "app").expect("app").clone();
    wait_for(&mut reports, &orphan_ref, "the orphan running", |r| {
        container_status(r, "app").is_some_and(|c| c["state"]["running"].is_object())
    })
    .await;
    first.detach().await;

    let (second, reports) = PodRuntime::connect(config("adopt"))
        .await
        .expect("connect again");
    let mut reports = Inbox::new(reports);
    let mut adopted = second.adopt().await.expect("adopt");
    adopted.sort();
    let mut expected = vec![kept_ref.clone(), orphan_ref.clone()];
    expected.sort();
    assert_eq!(adopted, expected);
    second.sync(vec![kept.clone()]).await.expect("sync");

    let (status, seen) = wait_for(&mut reports, &kept_ref, "the adopted pod's status", |r| {
        matches!(r, Report::Status { .. })
    })
    .await;
    let after = container_status(&status, "app").expect("app");
    assert_eq!(
        after["containerID"], before["containerID"],
        "the same container keeps running"
    );
    assert_eq!(after["restartCount"], before["restartCount"]);
    assert_eq!(after["state"], before["state"]);
    assert!(
        !seen.iter().any(|r| is_event(r, "Started")),
        "nothing was started again: {seen:#?}"
    );
    assert_eq!(
        containers_of(&second, &orphan_ref).await,
        0,
        "the orphan's containers are gone"
    );

    remove(&second, &mut reports, vec![], &kept_ref).await;
    assert_eq!(containers_of(&second, &kept_ref).await, 0);
}
