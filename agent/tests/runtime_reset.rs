//! `reset` on the real Docker engine: everything the node created goes, claims included.

mod runtime_support;

use kubeplay_agent::runtime::engine::Engine;
use kubeplay_shared::node_protocol::ResolvedVolume;
use runtime_support::*;
use serde_json::json;

#[tokio::test]
async fn reset_removes_the_nodes_containers_and_volumes() {
    let Some((runtime, mut reports)) = runtime_or_skip("reset").await else {
        return;
    };
    let desired = pod(
        "reset",
        json!([{"name": "app", "image": BUSYBOX, "volumeMounts": [{"name": "data", "mountPath": "/data"}],
            "command": ["sh", "-c", "trap 'exit 0' TERM; while true; do sleep 1; done"]}]),
        "Always",
    );
    let claim = ResolvedVolume::Claim {
        volume: format!("reset-{}", std::process::id()),
        read_only: false,
    };
    let desired = with_volume(desired, "data", claim);
    let pod = pod_ref(&desired);
    let _cleanup = Cleanup("reset", pod.clone());
    runtime.sync(vec![desired]).await.expect("sync");
    wait_for(&mut reports, &pod, "the pod running", |r| {
        container_status(r, "app").is_some_and(|c| c["state"]["running"].is_object())
    })
    .await;
    assert_eq!(
        runtime
            .docker()
            .list_managed_volumes()
            .await
            .expect("volumes")
            .len(),
        1
    );

    runtime.reset().await.expect("reset");
    assert!(runtime
        .docker()
        .list_managed()
        .await
        .expect("containers")
        .is_empty());
    assert!(runtime
        .docker()
        .list_managed_volumes()
        .await
        .expect("volumes")
        .is_empty());
    assert!(runtime.statuses().is_empty());
    assert!(!runtime.config().state_dir.join("pods").exists());
}
