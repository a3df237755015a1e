//! Pods as a control plane hands them to an agent, for tests: plain Kubernetes Pod objects with
//! a unique uid, and their `DesiredPod` (env resolved by the core from ConfigMaps and Secrets).

use kubeplay_shared::node_protocol::{DesiredPod, EnvVar};
use kubeplay_shared::ApiServer;
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU32, Ordering};

/// A uid no other test (or earlier run) uses.
pub fn unique_uid(test: &str) -> String {
    static NEXT: AtomicU32 = AtomicU32::new(0);
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_nanos());
    format!("{test}-{}-{nanos:x}-{}", std::process::id(), NEXT.fetch_add(1, Ordering::Relaxed))
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

/// A pod with nothing to resolve.
pub fn desired(pod: Value) -> DesiredPod {
    DesiredPod { pod, env: BTreeMap::new(), volumes: BTreeMap::new() }
}

/// A pod whose env the core resolves from the objects in `api`, as the control plane does.
pub fn desired_from_api(api: &ApiServer, pod: Value) -> Result<DesiredPod, String> {
    let mut env = BTreeMap::new();
    for c in pod["spec"]["containers"].as_array().cloned().unwrap_or_default() {
        let vars = kubeplay_shared::sim::env::container_env(api, &pod, &c).map_err(|e| e.to_string())?;
        let name = c["name"].as_str().unwrap_or_default().to_string();
        env.insert(name, vars.into_iter().map(|(name, value)| EnvVar { name, value }).collect());
    }
    Ok(DesiredPod { pod, env, volumes: BTreeMap::new() })
}
