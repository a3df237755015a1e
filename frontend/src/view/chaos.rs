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

    /// Whether the fault changes anything for `pod`: a broken probe matters only if it is probed.
    pub fn applies_to(self, pod: &PodView) -> bool {
        match self {
            Self::Crash => true,
            Self::Liveness => pod.liveness_probe,
            Self::Readiness => pod.readiness_probe,
        }
    }

    /// Why the fault would change nothing for a pod it does not apply to.
    pub fn why_not(self) -> &'static str {
        match self {
            Self::Crash => "",
            Self::Liveness => "No container has a livenessProbe: nobody would notice.",
            Self::Readiness => "No container has a readinessProbe: nobody would notice.",
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

#[cfg(test)]
mod tests {
    use super::*;

    fn pod(faults: &str) -> PodView {
        PodView { namespace: "shop".into(), name: "web-1".into(), faults: faults.into(), ..Default::default() }
    }

    fn annotations(req: &Request) -> Value {
        let body: Value = serde_json::from_slice(&req.body).unwrap();
        body["metadata"]["annotations"].clone()
    }

    #[test]
    fn toggling_a_fault_keeps_the_others_and_the_last_one_removes_the_annotation() {
        let on = toggle_fault(&pod("crash"), Fault::Readiness);
        assert_eq!(on.path, "/api/v1/namespaces/shop/pods/web-1");
        assert_eq!(on.header("Content-Type"), Some(MERGE_PATCH));
        assert_eq!(annotations(&on), json!({FAULT_ANNOTATION: "crash,readiness"}));
        let off = toggle_fault(&pod("crash, readiness"), Fault::Crash);
        assert_eq!(annotations(&off), json!({FAULT_ANNOTATION: "readiness"}));
        let last = toggle_fault(&pod("readiness"), Fault::Readiness);
        assert_eq!(annotations(&last), json!({FAULT_ANNOTATION: null}));
    }

    #[test]
    fn probe_faults_apply_only_to_probed_pods() {
        let mut p = pod("");
        assert!(Fault::Crash.applies_to(&p) && !Fault::Liveness.applies_to(&p));
        p.liveness_probe = true;
        assert!(Fault::Liveness.applies_to(&p) && !Fault::Readiness.applies_to(&p));
    }

    #[test]
    fn zero_traffic_removes_the_annotation() {
        assert_eq!(annotations(&set_traffic("shop", "web", 250)), json!({TRAFFIC_ANNOTATION: "250"}));
        assert_eq!(annotations(&set_traffic("shop", "web", 0)), json!({TRAFFIC_ANNOTATION: null}));
        assert_eq!(set_traffic("shop", "web", 0).path, "/api/v1/namespaces/shop/services/web");
    }
}
