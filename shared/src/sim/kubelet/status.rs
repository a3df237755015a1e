//! A pod's status as the kubelet reports it: phase, conditions and one
//! container status per container, from the containers' machines.

use super::container::{Container, State, Terminated};
use crate::apiserver::format_time;
use jiff::Timestamp;
use serde_json::{json, Value};

fn terminated(t: &Terminated) -> Value {
    json!({"terminated": {"exitCode": t.exit_code, "reason": t.reason, "startedAt": format_time(t.started_at),
        "finishedAt": format_time(t.finished_at), "containerID": t.container_id}})
}

fn container_status(c: &Container, pod_ref: &str) -> Value {
    let state = match &c.state {
        State::Created | State::Pulling { .. } => {
            json!({"waiting": {"reason": "ContainerCreating"}})
        }
        State::PullBackOff {
            reason, message, ..
        } => {
            let message = if *reason == "ImagePullBackOff" {
                format!(
                    "Back-off pulling image \"{}\": ErrImagePull: {message}",
                    c.image_name()
                )
            } else {
                message.clone()
            };
            json!({"waiting": {"reason": reason, "message": message}})
        }
        State::ConfigError { message } => {
            json!({"waiting": {"reason": "CreateContainerConfigError", "message": message}})
        }
        State::Running(run) | State::Stopping { run, .. } => {
            json!({"running": {"startedAt": format_time(run.started_at)}})
        }
        State::Terminated(t) => terminated(t),
        State::CrashLoop { .. } => {
            let message = format!(
                "back-off {}s restarting failed container={} pod={pod_ref}",
                c.backoff.delay(),
                c.name
            );
            json!({"waiting": {"reason": "CrashLoopBackOff", "message": message}})
        }
    };
    let mut s = json!({
        "name": c.name, "image": c.image_name(), "imageID": "", "ready": c.ready(),
        "restartCount": c.restart_count, "started": c.is_running(), "state": state,
        "lastState": c.last_state.as_ref().map_or(json!({}), terminated),
    });
    if c.pulled || c.restart_count > 0 || c.is_running() {
        let r = crate::sim::images::Reference::parse(c.image_name());
        s["imageID"] = json!(format!(
            "{}@sha256:{}",
            r.canonical().rsplit_once(':').map_or("", |x| x.0),
            crate::sim::images::digest(c.image_name())
        ));
    }
    if let State::Running(run) | State::Stopping { run, .. } = &c.state {
        s["containerID"] = json!(run.container_id);
    }
    s
}

/// Kubernetes' pod phase from its containers and restart policy.
pub fn phase(containers: &[Container], restart_policy: &str) -> &'static str {
    let done = |c: &Container| matches!(c.state, State::Terminated(_));
    let ever_ran = |c: &Container| c.is_running() || c.restart_count > 0 || done(c);
    if containers.iter().all(done) && !containers.is_empty() {
        let ok = containers
            .iter()
            .all(|c| matches!(&c.state, State::Terminated(t) if t.exit_code == 0));
        return match (restart_policy, ok) {
            (_, true) if restart_policy != "Always" => "Succeeded",
            ("Never", false) => "Failed",
            _ => "Running",
        };
    }
    if containers.iter().any(|c| c.is_running()) || containers.iter().all(ever_ran) {
        "Running"
    } else {
        "Pending"
    }
}

/// The pod's new status, keeping transition times of conditions that did not change.
#[allow(clippy::too_many_arguments)]
pub fn pod_status(
    old: &Value,
    pod_ref: &str,
    containers: &[Container],
    phase: &str,
    pod_ip: &str,
    host_ip: &str,
    start: Timestamp,
    now: Timestamp,
) -> Value {
    let old_conditions = old
        .as_object()
        .and_then(|o| o.get("conditions"))
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    let cond = |ty: &str, ok: bool, reason: Option<&str>, message: Option<String>| {
        let status = if ok { "True" } else { "False" };
        let since = old_conditions
            .iter()
            .find(|c| c["type"] == ty && c["status"] == status)
            .and_then(|c| c["lastTransitionTime"].as_str().map(str::to_string))
            .unwrap_or_else(|| format_time(now));
        let mut c = json!({"type": ty, "status": status, "lastProbeTime": null, "lastTransitionTime": since});
        if let Some(r) = reason {
            c["reason"] = json!(r);
        }
        if let Some(m) = message {
            c["message"] = json!(m);
        }
        c
    };
    let unready: Vec<&str> = containers
        .iter()
        .filter(|c| !c.ready())
        .map(|c| c.name.as_str())
        .collect();
    let all_ready = unready.is_empty();
    let terminal = matches!(phase, "Succeeded" | "Failed");
    let (reason, message) = if all_ready {
        (None, None)
    } else if terminal {
        (Some("PodCompleted"), None)
    } else {
        (
            Some("ContainersNotReady"),
            Some(format!(
                "containers with unready status: [{}]",
                unready.join(" ")
            )),
        )
    };
    let scheduled = old_conditions
        .iter()
        .find(|c| c["type"] == "PodScheduled")
        .cloned();
    let mut conditions = vec![
        cond("PodReadyToStartContainers", !terminal, None, None),
        cond(
            "Initialized",
            true,
            terminal.then_some("PodCompleted"),
            None,
        ),
        cond("Ready", all_ready, reason, message.clone()),
        cond("ContainersReady", all_ready, reason, message),
    ];
    conditions.extend(scheduled);
    let mut statuses: Vec<Value> = containers
        .iter()
        .map(|c| container_status(c, pod_ref))
        .collect();
    statuses.sort_by(|a, b| a["name"].as_str().cmp(&b["name"].as_str()));
    let mut status = json!({
        "phase": phase, "conditions": conditions, "hostIP": host_ip, "hostIPs": [{"ip": host_ip}],
        "startTime": format_time(start), "containerStatuses": statuses,
    });
    if !pod_ip.is_empty() {
        status["podIP"] = json!(pod_ip);
        status["podIPs"] = json!([{"ip": pod_ip}]);
    }
    if let Some(q) = old.get("qosClass") {
        status["qosClass"] = q.clone();
    }
    status
}
