//! Volumes on the real Docker engine: a claim's named volume outlives its pod, ConfigMap files
//! are mounted read-only with their modes and subPath works.

mod runtime_support;

use kubeplay_agent::runtime::{LogOptions, Report};
use kubeplay_shared::node_protocol::{FileContent, ResolvedVolume};
use runtime_support::*;
use serde_json::json;
use std::collections::BTreeMap;

async fn finished_log(
    runtime: &kubeplay_agent::runtime::PodRuntime,
    reports: &mut Inbox,
    d: &kubeplay_shared::node_protocol::DesiredPod,
) -> String {
    let pod = pod_ref(d);
    runtime.sync(vec![d.clone()]).await.expect("sync");
    let (done, _) = wait_for(reports, &pod, "the pod to succeed", |r| {
        matches!(r, Report::Status { status, .. } if status["phase"] == "Succeeded" || status["phase"] == "Failed")
    })
    .await;
    let Report::Status { status, .. } = &done else {
        unreachable!()
    };
    assert_eq!(status["phase"], "Succeeded", "{status:#}");
    let log = collect_logs(
        runtime
            .logs(&pod.uid, "app", LogOptions::default())
            .await
            .expect("logs"),
    )
    .await;
    remove(runtime, reports, vec![], &pod).await;
    log
}

#[tokio::test]
async fn a_claims_data_survives_its_pod_and_config_files_are_mounted() {
    let Some((runtime, mut reports)) = runtime_or_skip("volumes").await else {
        return;
    };
    let pv = format!("pv-{}", std::process::id());
    let claim = ResolvedVolume::Claim {
        volume: pv.clone(),
        read_only: false,
    };
    let mount = json!([{"name": "data", "mountPath": "/data"}]);

    let writer = pod(
        "volumes",
        json!([{"name": "app", "image": BUSYBOX, "volumeMounts": mount,
        "command": ["sh", "-c", "echo kept-across-pods > /data/note"]}]),
        "Never",
    );
    let writer = with_volume(writer, "data", claim.clone());
    let _c1 = Cleanup("volumes", pod_ref(&writer));
    finished_log(&runtime, &mut reports, &writer).await;

    let files = BTreeMap::from([(
        "app.conf".to_string(),
        FileContent {
            data: "bW9kZT1kZW1vCg==".into(),
            mode: 0o600,
        },
    )]);
    let reader = pod(
        "volumes",
        json!([{"name": "app", "image": BUSYBOX,
        "volumeMounts": [{"name": "data", "mountPath": "/data"}, {"name": "cfg", "mountPath": "/etc/cfg"},
                         {"name": "cfg", "mountPath": "/app.conf", "subPath": "app.conf"},
                         {"name": "memory", "mountPath": "/memory"}, {"name": "scratch", "mountPath": "/scratch"}],
        "command": ["sh", "-c", "cat /data/note /etc/cfg/app.conf /app.conf; ls -l /etc/cfg/app.conf; touch /etc/cfg/x || echo read-only; \
            grep -o ' /memory tmpfs' /proc/mounts; touch /scratch/ok && echo scratch-writable"]}]),
        "Never",
    );
    let reader = with_volume(
        with_volume(reader, "data", claim),
        "cfg",
        ResolvedVolume::Files { files },
    );
    let reader = with_volume(reader, "memory", ResolvedVolume::EmptyDir { memory: true });
    let reader = with_volume(
        reader,
        "scratch",
        ResolvedVolume::EmptyDir { memory: false },
    );
    let _c2 = Cleanup("volumes", pod_ref(&reader));
    let log = finished_log(&runtime, &mut reports, &reader).await;
    // stdout and stderr interleave in the log, so look for each line.
    assert!(
        log.starts_with("kept-across-pods\nmode=demo\nmode=demo\n"),
        "{log}"
    );
    assert!(
        log.lines().any(|l| l.starts_with("-rw-------")),
        "the file keeps its mode: {log}"
    );
    assert!(log.lines().any(|l| l == "read-only"), "{log}");
    assert!(
        log.lines().any(|l| l == " /memory tmpfs"),
        "a memory emptyDir is tmpfs: {log}"
    );
    assert!(log.lines().any(|l| l == "scratch-writable"), "{log}");
    let volumes = runtime
        .docker()
        .list_managed_volumes()
        .await
        .expect("volumes");
    assert!(
        !volumes.iter().any(|v| v.starts_with("kubeplay-mem-")),
        "the memory volume went with its pod: {volumes:?}"
    );

    use kubeplay_agent::runtime::engine::Engine;
    runtime
        .docker()
        .remove_volume(&format!("kubeplay-pv-{pv}"))
        .await
        .expect("remove the claim's volume");
}
