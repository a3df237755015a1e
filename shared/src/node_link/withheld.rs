//! A pod held back from its agent because its config cannot be resolved: its status and Event
//! say so the way the kubelet does (`CreateContainerConfigError`, `FailedMount`).

use super::desired::Unresolvable;
use crate::apiserver::format_time;
use jiff::Timestamp;
use serde_json::{json, Value};

/// The Event the kubelet records: (reason, message).
pub fn event(failure: &Unresolvable) -> (&'static str, String) {
    match failure {
        Unresolvable::Config { cause, .. } => ("Failed", format!("Error: {cause}")),
        Unresolvable::Mount(e) => ("FailedMount", e.to_string()),
    }
}

/// The pod's status while it waits: `Pending`, containers `waiting`, transition times kept.
pub fn status(old: &Value, pod: &Value, failure: &Unresolvable, host_ip: &str, now: Timestamp) -> Value {
    let t = format_time(now);
    let old_conditions = old.get("conditions").and_then(Value::as_array).cloned().unwrap_or_default();
    let containers: Vec<&Value> = pod.pointer("/spec/containers").and_then(Value::as_array).into_iter().flatten().collect();
    let names: Vec<&str> = containers.iter().filter_map(|c| c.get("name").and_then(Value::as_str)).collect();
    let unready = format!("containers with unready status: [{}]", names.join(" "));
    let sandbox_ready = matches!(failure, Unresolvable::Config { .. });
    let cond = |kind: &str, ok: bool, reason: Option<&str>, message: Option<&str>| {
        let status = if ok { "True" } else { "False" };
        let since = old_conditions
            .iter()
            .find(|c| c["type"] == kind && c["status"] == status)
            .and_then(|c| c["lastTransitionTime"].as_str().map(str::to_string))
            .unwrap_or_else(|| t.clone());
        let mut c = json!({"type": kind, "status": status, "lastProbeTime": null, "lastTransitionTime": since});
        if let Some(r) = reason {
            c["reason"] = json!(r);
        }
        if let Some(m) = message {
            c["message"] = json!(m);
        }
        c
    };
    let mut conditions = vec![
        cond("PodReadyToStartContainers", sandbox_ready, None, None),
        cond("Initialized", true, None, None),
        cond("Ready", false, Some("ContainersNotReady"), Some(&unready)),
        cond("ContainersReady", false, Some("ContainersNotReady"), Some(&unready)),
    ];
    // Conditions others own (PodScheduled, DisruptionTarget) stay as they are.
    let ours = ["PodReadyToStartContainers", "Initialized", "Ready", "ContainersReady"];
    conditions.extend(old_conditions.iter().filter(|c| !ours.iter().any(|o| c["type"] == *o)).cloned());
    let statuses: Vec<Value> = containers
        .iter()
        .map(|c| {
            let name = c.get("name").and_then(Value::as_str).unwrap_or_default();
            let waiting = match failure {
                Unresolvable::Config { container, cause } if container == name => {
                    json!({"reason": "CreateContainerConfigError", "message": cause.to_string()})
                }
                _ => json!({"reason": "ContainerCreating"}),
            };
            json!({"name": name, "image": c.get("image").cloned().unwrap_or(Value::Null), "imageID": "",
                   "ready": false, "restartCount": 0, "started": false, "state": {"waiting": waiting}, "lastState": {}})
        })
        .collect();
    let mut status = old.clone();
    if !status.is_object() {
        status = json!({});
    }
    status["phase"] = json!("Pending");
    status["conditions"] = json!(conditions);
    status["containerStatuses"] = json!(statuses);
    if !host_ip.is_empty() {
        status["hostIP"] = json!(host_ip);
        status["hostIPs"] = json!([{"ip": host_ip}]);
    }
    if status.get("startTime").is_none() {
        status["startTime"] = json!(t);
    }
    status
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::env::{ConfigError, MountError};

    fn pod() -> Value {
        json!({"spec": {"containers": [{"name": "api", "image": "myapp:1.0"}, {"name": "side", "image": "busybox"}]}})
    }

    #[test]
    fn a_config_error_waits_in_the_failing_container_only() {
        let failure = Unresolvable::Config { container: "api".into(), cause: ConfigError::SecretNotFound("db".into()) };
        let old = json!({"phase": "Pending", "conditions": [{"type": "PodScheduled", "status": "True"}]});
        let s = status(&old, &pod(), &failure, "192.168.1.20", "2026-01-01T00:00:00Z".parse().unwrap());
        assert_eq!(s["containerStatuses"][0]["state"]["waiting"], json!({"reason": "CreateContainerConfigError", "message": "secret \"db\" not found"}));
        assert_eq!(s["containerStatuses"][1]["state"]["waiting"]["reason"], "ContainerCreating");
        assert!(s["conditions"].as_array().unwrap().iter().any(|c| c["type"] == "PodScheduled"));
        assert_eq!(s["hostIP"], "192.168.1.20");
        assert_eq!(event(&failure), ("Failed", "Error: secret \"db\" not found".to_string()));
    }

    #[test]
    fn an_unchanged_failure_gives_the_same_status_later() {
        let failure = Unresolvable::Mount(MountError { volume: "conf".into(), cause: ConfigError::ConfigMapNotFound("c".into()) });
        let first = status(&json!({}), &pod(), &failure, "", "2026-01-01T00:00:00Z".parse().unwrap());
        let again = status(&first, &pod(), &failure, "", "2026-01-01T00:05:00Z".parse().unwrap());
        assert_eq!(first, again);
        assert_eq!(event(&failure).0, "FailedMount");
    }
}
