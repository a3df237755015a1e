//! Chaos as a user would cause it, through the API: deleting a pod, injecting a fault with the
//! `kubeplay.dev/fault` annotation the simulated kubelet obeys, and setting a Service's traffic.

use super::PodView;
use kubeplay_shared::sim::images::FAULT_ANNOTATION;
use kubeplay_shared::sim::traffic::TRAFFIC_ANNOTATION;
use kubeplay_shared::Request;
use serde_json::{json, Value};

const MERGE_PATCH: &str = "application/merge-patch+json";

/// Faults a pod's containers can be given.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// The process exits soon after starting: restarts, then CrashLoopBackOff.
    Crash,
    /// The liveness endpoint fails: the kubelet kills and restarts the container.
    Liveness,
    /// The readiness endpoint fails: the pod leaves its Services' endpoints.
    Readiness,
}

impl Fault {
    pub const ALL: [Fault; 3] = [Fault::Crash, Fault::Liveness, Fault::Readiness];

    /// The word in the annotation.
    pub fn keyword(self) -> &'static str {
        match self {
            Self::Crash => "crash",
            Self::Liveness => "liveness",
            Self::Readiness => "readiness",
        }
    }

    /// What the menu says.
    pub fn label(self) -> &'static str {
        match self {
            Self::Crash => "Crash the container",
            Self::Liveness => "Break liveness probe",
            Self::Readiness => "Break readiness probe",
        }
    }

    pub fn is_set(self, pod: &PodView) -> bool {
        pod.faults.split(',').any(|f| f.trim() == self.keyword())
    }
}

fn pod_path(namespace: &str, name: &str) -> String {
    format!("/api/v1/namespaces/{namespace}/pods/{name}")
}

fn annotate(path: &str, key: &str, value: Value) -> Request {
    let body = json!({"metadata": {"annotations": {key: value}}});
    Request::patch(path, MERGE_PATCH, body.to_string())
}

/// `kubectl delete pod NAME`.
pub fn delete_pod(pod: &PodView) -> Request {
    Request::delete(&pod_path(&pod.namespace, &pod.name))
}

/// Turns `fault` on or off for `pod`, keeping its other faults.
pub fn toggle_fault(pod: &PodView, fault: Fault) -> Request {
    let on = !fault.is_set(pod);
    let mut faults: Vec<&str> =
        pod.faults.split(',').map(str::trim).filter(|f| !f.is_empty() && *f != fault.keyword()).collect();
    if on {
        faults.push(fault.keyword());
    }
    let value = if faults.is_empty() { Value::Null } else { json!(faults.join(",")) };
    annotate(&pod_path(&pod.namespace, &pod.name), FAULT_ANNOTATION, value)
}

/// Sets the simulated requests per second on a Service (0 removes the annotation).
pub fn set_traffic(namespace: &str, service: &str, rps: u32) -> Request {
    let value = if rps == 0 { Value::Null } else { json!(rps.to_string()) };
    annotate(&format!("/api/v1/namespaces/{namespace}/services/{service}"), TRAFFIC_ANNOTATION, value)
}
