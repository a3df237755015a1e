//! One container of a pod as the runtime tracks it across restarts: its lifecycle state, restart
//! count and back-off, the last termination, and its status in Kubernetes' shape.

use jiff::Timestamp;
use kubeplay_shared::apiserver::format_time;
use kubeplay_shared::sim::kubelet::backoff::Backoff;
use kubeplay_shared::sim::probes::Worker;
use serde_json::{json, Value};

/// How one instance of a container ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Terminated {
    pub exit_code: i64,
    /// `Completed`, `Error`, `OOMKilled` or `StartError`.
    pub reason: String,
    pub message: Option<String>,
    pub started_at: Option<Timestamp>,
    pub finished_at: Timestamp,
    pub container_id: String,
}

/// Where a container is in its lifecycle.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum State {
    /// Nothing started yet; the next step pulls and creates it.
    Creating,
    /// Waiting with a reason (`ErrImagePull`, `ImagePullBackOff`, `ErrImageNeverPull`,
    /// `CreateContainerConfigError`, `CreateContainerError`) until `retry_at`.
    Waiting {
        reason: &'static str,
        message: String,
        retry_at: Timestamp,
    },
    Running {
        started_at: Timestamp,
    },
    Terminated(Terminated),
    /// Exited and must wait for its back-off before the next restart.
    CrashLoop {
        retry_at: Timestamp,
    },
}

/// Docker's view of an exited container turned into Kubernetes' termination reason.
pub fn termination_reason(exit_code: i64, oom_killed: bool) -> &'static str {
    if oom_killed {
        "OOMKilled"
    } else if exit_code == 0 {
        "Completed"
    } else {
        "Error"
    }
}

/// Whether `restartPolicy` restarts a container that exited with `exit_code`.
pub fn restarts(restart_policy: &str, exit_code: i64) -> bool {
    match restart_policy {
        "Never" => false,
        "OnFailure" => exit_code != 0,
        _ => true,
    }
}

#[derive(Debug, Clone)]
pub struct ContainerState {
    pub name: String,
    pub spec: Value,
    pub state: State,
    pub restart_count: u32,
    pub backoff: Backoff,
    pub pull_backoff: Backoff,
    pub last_state: Option<Terminated>,
    /// The Docker id of the current instance, and of the one before (kept for `logs --previous`).
    pub current: Option<String>,
    pub previous: Option<String>,
    pub image_id: String,
    pub probes: Vec<Worker>,
    /// Consecutive startup probe failures (the shared worker only counts after a success).
    pub startup_failures: u32,
    pub ready: bool,
    pub started: bool,
    /// The pod's spec of this container changed (a new image): restart it with the new one.
    pub definition_changed: bool,
}

impl ContainerState {
    pub fn new(spec: &Value) -> Self {
        Self {
            name: spec
                .get("name")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_string(),
            spec: spec.clone(),
            state: State::Creating,
            restart_count: 0,
            backoff: Backoff::default(),
            pull_backoff: Backoff::default(),
            last_state: None,
            current: None,
            previous: None,
            image_id: String::new(),
            probes: Vec::new(),
            startup_failures: 0,
            ready: false,
            started: false,
            definition_changed: false,
        }
    }

    pub fn image(&self) -> &str {
        super::container_config::image(&self.spec)
    }

    pub fn is_running(&self) -> bool {
        matches!(self.state, State::Running { .. })
    }

    pub fn terminated(&self) -> Option<&Terminated> {
        match &self.state {
            State::Terminated(t) => Some(t),
            _ => None,
        }
    }

    /// Exited successfully (what an init container must do before the next may start).
    pub fn completed(&self) -> bool {
        self.terminated().is_some_and(|t| t.exit_code == 0)
    }

    /// The container's entry of `status.containerStatuses`.
    pub fn status(&self, pod_ref: &str) -> Value {
        let state = match &self.state {
            State::Creating => json!({"waiting": {"reason": "ContainerCreating"}}),
            State::Waiting {
                reason, message, ..
            } => json!({"waiting": {"reason": reason, "message": message}}),
            State::Running { started_at } => {
                json!({"running": {"startedAt": format_time(*started_at)}})
            }
            State::Terminated(t) => terminated_json(t),
            State::CrashLoop { .. } => {
                json!({"waiting": {"reason": "CrashLoopBackOff", "message": format!(
                "back-off {}s restarting failed container={} pod={pod_ref}", self.backoff.delay(), self.name)}})
            }
        };
        let mut s = json!({
            "name": self.name, "image": self.image(), "imageID": self.image_id, "ready": self.ready,
            "restartCount": self.restart_count, "started": self.is_running() && self.started, "state": state,
            "lastState": self.last_state.as_ref().map_or(json!({}), terminated_json),
        });
        if let Some(id) = &self.current {
            s["containerID"] = json!(format!("docker://{id}"));
        }
        s
    }
}

fn terminated_json(t: &Terminated) -> Value {
    let mut v = json!({"exitCode": t.exit_code, "reason": t.reason, "finishedAt": format_time(t.finished_at),
        "containerID": format!("docker://{}", t.container_id)});
    if let Some(s) = t.started_at {
        v["startedAt"] = json!(format_time(s));
    }
    if let Some(m) = &t.message {
        v["message"] = json!(m);
    }
    json!({"terminated": v})
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn restart_policy_decides_which_exits_restart() {
        assert!(restarts("Always", 0));
        assert!(restarts("OnFailure", 1));
        assert!(!restarts("OnFailure", 0));
        assert!(!restarts("Never", 137));
    }

    #[test]
    fn exits_are_named_like_the_kubelet() {
        assert_eq!(termination_reason(0, false), "Completed");
        assert_eq!(termination_reason(1, false), "Error");
        assert_eq!(termination_reason(137, true), "OOMKilled");
    }

    #[test]
    fn crash_loop_status_names_the_current_delay() {
        let mut c = ContainerState::new(&json!({"name": "app", "image": "b:1"}));
        let t = Timestamp::from_second(1_767_225_600).unwrap();
        c.backoff.step(t);
        c.backoff.step(t);
        c.state = State::CrashLoop { retry_at: t };
        let s = c.status("app-pod_default(u1)");
        assert_eq!(s["state"]["waiting"]["reason"], "CrashLoopBackOff");
        assert_eq!(
            s["state"]["waiting"]["message"],
            "back-off 20s restarting failed container=app pod=app-pod_default(u1)"
        );
        assert_eq!(s["started"], false);
    }
}
