//! Images that are not on the machine, on the real Docker engine: `Never` waits with
//! ErrImageNeverPull, a failed pull shows ErrImagePull then ImagePullBackOff.

mod runtime_support;

use kubeplay_agent::runtime::{LogOptions, Report};
use runtime_support::*;
use serde_json::json;

#[tokio::test]
async fn missing_images_wait_with_the_kubelet_reasons() {
    let Some((runtime, mut reports)) = runtime_or_skip("images").await else {
        return;
    };
    let never = pod(
        "images",
        json!([{"name": "app", "image": "kubeplay-test/absent:1", "imagePullPolicy": "Never"}]),
        "Always",
    );
    let pulled = {
        let mut p = pod(
            "images",
            json!([{"name": "app", "image": "kubeplay-test/absent:1"}]),
            "Always",
        );
        p.pod["metadata"]["name"] = json!("pulled-pod");
        p
    };
    let (never_ref, pulled_ref) = (pod_ref(&never), pod_ref(&pulled));
    let _cleanup = (
        Cleanup("images", never_ref.clone()),
        Cleanup("images", pulled_ref.clone()),
    );
    runtime.sync(vec![never.clone()]).await.expect("sync");

    let (waiting, _) = wait_for(&mut reports, &never_ref, "ErrImageNeverPull", |r| {
        container_status(r, "app")
            .is_some_and(|c| c["state"]["waiting"]["reason"] == "ErrImageNeverPull")
    })
    .await;
    let Report::Status { status, .. } = &waiting else {
        unreachable!()
    };
    assert_eq!(status["phase"], "Pending");
    let err = runtime
        .logs(&never_ref.uid, "app", LogOptions::default())
        .await
        .err()
        .expect("no log yet");
    assert_eq!(
        err.to_string(),
        "container \"app\" in pod \"images-pod\" is waiting to start: ErrImageNeverPull"
    );

    runtime
        .sync(vec![never.clone(), pulled.clone()])
        .await
        .expect("sync");
    let (_, seen) = wait_for(&mut reports, &pulled_ref, "ImagePullBackOff", |r| {
        container_status(r, "app")
            .is_some_and(|c| c["state"]["waiting"]["reason"] == "ImagePullBackOff")
    })
    .await;
    assert!(seen.iter().any(|r| container_status(r, "app")
        .is_some_and(|c| c["state"]["waiting"]["reason"] == "ErrImagePull")));
    assert!(seen.iter().any(|r| matches!(r, Report::Event(e)
        if e.reason == "Failed" && e.message.starts_with("Failed to pull image \"kubeplay-test/absent:1\": "))));

    // Both go.
    runtime.sync(vec![]).await.expect("sync");
    for p in [&never_ref, &pulled_ref] {
        wait_for(&mut reports, p, "removal", |r| {
            matches!(r, Report::Removed { .. })
        })
        .await;
        assert_eq!(containers_of(&runtime, p).await, 0);
    }
}
