//! What metrics-server would report for simulated pods and nodes, written as
//! `metrics.k8s.io/v1beta1` PodMetrics and NodeMetrics every 15 s.

use crate::api::resources;
use crate::apiserver::{format_time, ApiServer, DeleteOptions, WriteOptions};
use jiff::Timestamp;
use serde_json::{json, Value};

pub const SCRAPE_SECONDS: i64 = 15;
/// What the node's own system daemons use besides pods.
const SYSTEM_CPU_MILLICORES: i64 = 60;
const SYSTEM_MEMORY_BYTES: i64 = 600 * 1024 * 1024;

/// Usage of one container.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContainerUsage {
    pub name: String,
    pub cpu_millicores: i64,
    pub memory_bytes: i64,
}

fn usage(cpu_millicores: i64, memory_bytes: i64) -> Value {
    json!({"cpu": format!("{}n", cpu_millicores * 1_000_000), "memory": format!("{}Ki", memory_bytes / 1024)})
}

fn put(
    api: &mut ApiServer,
    plural: &str,
    namespace: &str,
    name: &str,
    obj: Value,
    now: Timestamp,
) -> bool {
    let Some(r) = resources::by_plural("metrics.k8s.io", "v1beta1", plural) else {
        return false;
    };
    if api.get(r, namespace, name).is_ok() {
        api.update(r, namespace, name, obj, None, now, WriteOptions::default())
            .is_ok()
    } else {
        api.create(r, namespace, obj, now, WriteOptions::default())
            .is_ok()
    }
}

pub fn write_pod(
    api: &mut ApiServer,
    namespace: &str,
    name: &str,
    containers: &[ContainerUsage],
    now: Timestamp,
) -> bool {
    let obj = json!({
        "apiVersion": "metrics.k8s.io/v1beta1", "kind": "PodMetrics",
        "metadata": {"name": name, "namespace": namespace},
        "timestamp": format_time(now), "window": format!("{SCRAPE_SECONDS}s"),
        "containers": containers.iter().map(|c| json!({"name": c.name, "usage": usage(c.cpu_millicores, c.memory_bytes)})).collect::<Vec<_>>(),
    });
    put(api, "pods", namespace, name, obj, now)
}

pub fn delete_pod(api: &mut ApiServer, namespace: &str, name: &str, now: Timestamp) -> bool {
    let Some(r) = resources::by_plural("metrics.k8s.io", "v1beta1", "pods") else {
        return false;
    };
    api.delete(r, namespace, name, &DeleteOptions::default(), now)
        .is_ok()
}

pub fn write_node(
    api: &mut ApiServer,
    name: &str,
    pods_cpu: i64,
    pods_memory: i64,
    now: Timestamp,
) -> bool {
    let obj = json!({
        "apiVersion": "metrics.k8s.io/v1beta1", "kind": "NodeMetrics",
        "metadata": {"name": name},
        "timestamp": format_time(now), "window": format!("{SCRAPE_SECONDS}s"),
        "usage": usage(pods_cpu + SYSTEM_CPU_MILLICORES, pods_memory + SYSTEM_MEMORY_BYTES),
    });
    put(api, "nodes", "", name, obj, now)
}
