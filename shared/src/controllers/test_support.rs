//! Fixtures the controllers' tests share: objects created the way a user
//! would, and a pod status set the way the kubelet would.

use crate::api::resources;
use crate::apiserver::WriteOptions;
use crate::control_plane::ControlPlane;
use jiff::Timestamp;
use serde_json::{json, Value};

/// The instant every controller test starts at.
pub(crate) fn t0() -> Timestamp {
    "2026-01-01T00:00:00Z".parse().unwrap()
}

pub(crate) fn create(cp: &mut ControlPlane, plural: &str, obj: Value) -> Value {
    let r = resources::RESOURCES
        .iter()
        .find(|r| r.plural == plural)
        .unwrap();
    let created = cp
        .api_mut()
        .create(r, "default", obj, t0(), WriteOptions::default())
        .unwrap();
    cp.tick(t0());
    (*created).clone()
}

/// Changes a core/v1 object in `default` as `kubectl edit` would (a whole-object update), then
/// lets the controllers react.
pub(crate) fn edit(
    cp: &mut ControlPlane,
    plural: &str,
    name: &str,
    change: impl FnOnce(&mut Value),
) {
    let r = resources::by_plural("", "v1", plural).unwrap();
    let mut obj = (**cp.api().get(r, "default", name).unwrap()).clone();
    change(&mut obj);
    cp.api_mut()
        .update(r, "default", name, obj, None, t0(), WriteOptions::default())
        .unwrap();
    cp.tick(t0());
}

/// Plays the kubelet: gives the pod an IP and a Ready condition.
pub(crate) fn set_pod_status(cp: &mut ControlPlane, name: &str, ip: &str, ready: bool) {
    let pods = resources::by_plural("", "v1", "pods").unwrap();
    let mut pod = (**cp.api().get(pods, "default", name).unwrap()).clone();
    let status = if ready { "True" } else { "False" };
    pod["status"] = json!({"phase": "Running", "podIP": ip, "podIPs": [{"ip": ip}],
        "conditions": [{"type": "Ready", "status": status}]});
    cp.api_mut()
        .update(
            pods,
            "default",
            name,
            pod,
            Some("status"),
            t0(),
            WriteOptions::default(),
        )
        .unwrap();
    cp.tick(t0());
}

pub(crate) fn pod(cp: &mut ControlPlane, name: &str, labels: Value, node: &str) {
    let ports = json!([{"name": "http", "containerPort": 8080}]);
    create(
        cp,
        "pods",
        json!({"metadata": {"name": name, "labels": labels},
        "spec": {"containers": [{"name": "app", "image": "nginx", "ports": ports}]}}),
    );
    cp.api_mut().bind("default", name, node, t0()).unwrap();
}
