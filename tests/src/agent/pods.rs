//! Pods as a control plane hands them to an agent, for tests: plain Kubernetes Pod objects with
//! a unique uid, and their `DesiredPod` (env resolved by the core from ConfigMaps and Secrets).

use kubeplay_shared::node_protocol::DesiredPod;
use kubeplay_shared::ApiServer;
use serde_json::{json, Value};
use std::sync::atomic::{AtomicU32, Ordering};

/// A uid no other test (or earlier run) uses.
pub fn unique_uid(test: &str) -> String {
    static NEXT: AtomicU32 = AtomicU32::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    format!(
        "{test}-{}-{nanos:x}-{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    )
}

pub fn container(name: &str, image: &str, command: &[&str]) -> Value {
    json!({"name": name, "image": image, "imagePullPolicy": "IfNotPresent", "command": command})
}

/// A pod bound to `node`, with a one-second grace period so tests do not wait Kubernetes' 30.
pub fn pod(node: &str, name: &str, uid: &str, containers: Vec<Value>) -> Value {
    json!({
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name, "namespace": "default", "uid": uid, "creationTimestamp": "2026-01-01T00:00:00Z"},
        "spec": {
            "nodeName": node,
            "restartPolicy": "Always",
            "terminationGracePeriodSeconds": 1,
            "containers": containers,
        },
    })
}

/// A pod that refers to no other object, resolved as the control plane does (literal `env`
/// values included: the agent takes env only from what the control plane resolved).
pub fn desired(pod: Value) -> DesiredPod {
    let api = ApiServer::new(1, kubeplay_shared::Timestamp::UNIX_EPOCH);
    match desired_from_api(&api, &pod) {
        Ok(desired) => desired,
        Err(e) => panic!("test pod does not resolve: {e}"),
    }
}

/// A pod resolved from the objects in `api` (ConfigMaps, Secrets) by the control plane's own
/// node link code, exactly as a browser tab would send it.
pub fn desired_from_api(api: &ApiServer, pod: &Value) -> Result<DesiredPod, String> {
    kubeplay_shared::node_link::desired::desired_pod(api, pod).map_err(|e| e.to_string())
}
