//! The pod's `status` as the kubelet reports it: phase from the containers and restart policy,
//! the conditions (keeping transition times that did not change), container statuses, IPs.

use super::PodWorker;
use crate::runtime::container_state::{restarts, ContainerState};
use crate::runtime::engine::Engine;
use jiff::Timestamp;
use serde_json::Value;

impl<E: Engine> PodWorker<E> {
    /// The pod's phase from its containers, as the kubelet computes it.
    pub fn phase(&self) -> &'static str {
        let policy = self.restart_policy();
        let init_failed = self
            .init
            .iter()
            .any(|c| c.terminated().is_some_and(|t| t.exit_code != 0) && policy == "Never");
        if init_failed {
            return "Failed";
        }
        if !self.init.iter().all(|c| c.completed()) {
            return "Pending";
        }
        let cs = &self.containers;
        let done = |c: &ContainerState| c.terminated().is_some();
        if !cs.is_empty() && cs.iter().all(done) {
            let all_ok = cs.iter().all(|c| c.completed());
            let will_restart = cs.iter().any(|c| {
                c.terminated()
                    .is_some_and(|t| restarts(&policy, t.exit_code))
            });
            return match (all_ok, will_restart) {
                (_, true) => "Running",
                (true, false) => "Succeeded",
                (false, false) => "Failed",
            };
        }
        let ever_ran = |c: &ContainerState| c.is_running() || c.restart_count > 0 || done(c);
        if cs.iter().any(ContainerState::is_running) || cs.iter().all(ever_ran) {
            "Running"
        } else {
            "Pending"
        }
    }

    /// The pod's `status`, keeping condition transition times that did not change.
    pub fn status(&self, now: Timestamp) -> Value {
        let pod_ref = format!("{}_{}({})", self.pod.name, self.pod.namespace, self.pod.uid);
        let phase = self.phase();
        let terminal = matches!(phase, "Succeeded" | "Failed");
        let initialized = self.init.iter().all(|c| c.completed());
        let unready: Vec<&str> = self
            .containers
            .iter()
            .filter(|c| !c.ready)
            .map(|c| c.name.as_str())
            .collect();
        let not_ready_reason = if terminal {
            "PodCompleted"
        } else {
            "ContainersNotReady"
        };
        let not_ready_message =
            (!terminal).then(|| format!("containers with unready status: [{}]", unready.join(" ")));
        let uninit: Vec<&str> = self
            .init
            .iter()
            .filter(|c| !c.completed())
            .map(|c| c.name.as_str())
            .collect();
        let ready = unready.is_empty();
        let mut conditions = vec![
            self.condition(
                "PodReadyToStartContainers",
                self.sandbox.is_some(),
                None,
                None,
                now,
            ),
            if initialized {
                self.condition(
                    "Initialized",
                    true,
                    terminal.then_some("PodCompleted"),
                    None,
                    now,
                )
            } else {
                let message = format!("containers with incomplete status: [{}]", uninit.join(" "));
                self.condition(
                    "Initialized",
                    false,
                    Some("ContainersNotInitialized"),
                    Some(message),
                    now,
                )
            },
        ];
        for ty in ["Ready", "ContainersReady"] {
            conditions.push(if ready {
                self.condition(ty, true, None, None, now)
            } else {
                self.condition(
                    ty,
                    false,
                    Some(not_ready_reason),
                    not_ready_message.clone(),
                    now,
                )
            });
        }
        conditions.push(self.condition("PodScheduled", true, None, None, now));
        let mut statuses: Vec<Value> = self.containers.iter().map(|c| c.status(&pod_ref)).collect();
        statuses.sort_by(|a, b| a["name"].as_str().cmp(&b["name"].as_str()));
        let mut status = serde_json::json!({
            "phase": phase,
            "conditions": conditions,
            "hostIP": self.host_ip,
            "hostIPs": [{"ip": self.host_ip}],
            "startTime": kubeplay_shared::apiserver::format_time(self.start_time),
            "containerStatuses": statuses,
        });
        if !self.init.is_empty() {
            status["initContainerStatuses"] =
                self.init.iter().map(|c| c.status(&pod_ref)).collect();
        }
        // The API server sets it at creation; a full status from the node keeps it.
        let spec = self.desired.pod.get("spec").cloned().unwrap_or_default();
        status["qosClass"] =
            serde_json::json!(kubeplay_shared::api::defaults::pod::qos_class(&spec));
        if let Some(ip) = self
            .sandbox
            .as_ref()
            .map(|s| s.ip.as_str())
            .filter(|ip| !ip.is_empty())
        {
            status["podIP"] = serde_json::json!(ip);
            status["podIPs"] = serde_json::json!([{"ip": ip}]);
        }
        status
    }

    fn condition(
        &self,
        ty: &str,
        ok: bool,
        reason: Option<&str>,
        message: Option<String>,
        now: Timestamp,
    ) -> Value {
        let status = if ok { "True" } else { "False" };
        let since = self
            .last_status
            .get("conditions")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .find(|c| c["type"] == ty && c["status"] == status)
            .and_then(|c| c["lastTransitionTime"].as_str().map(str::to_string))
            .unwrap_or_else(|| kubeplay_shared::apiserver::format_time(now));
        let mut c = serde_json::json!({"type": ty, "status": status, "lastProbeTime": null, "lastTransitionTime": since});
        if let Some(r) = reason {
            c["reason"] = serde_json::json!(r);
        }
        if let Some(m) = message {
            c["message"] = serde_json::json!(m);
        }
        c
    }
}
