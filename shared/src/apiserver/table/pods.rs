//! The Pod table: `READY 1/2`, the STATUS kubectl users read to debug
//! (`Init:0/1`, `CrashLoopBackOff`, `Terminating`...) and `RESTARTS 3 (2m ago)`.

use super::descriptions as doc;
use super::duration::since;
use super::fields::{bool_at, int_at, list_at, str_at, time};
use super::{Column, Printer, Row, Rows};
use crate::api::meta;
use jiff::Timestamp;
use serde_json::{json, Value};

pub(super) const PRINTER: Printer = Printer {
    columns: &[
        Column::name(),
        Column::string("Ready", "The aggregate readiness state of this pod for accepting traffic."),
        Column::string("Status", "The aggregate status of the containers in this pod."),
        Column::string(
            "Restarts",
            "The number of times the containers in this pod have been restarted and when the last container in this pod has restarted.",
        ),
        Column::age(),
        Column::string("IP", doc::POD_PODIP).wide(),
        Column::string("Node", doc::POD_NODENAME).wide(),
        Column::string("Nominated Node", doc::POD_NOMINATEDNODENAME).wide(),
        Column::string("Readiness Gates", doc::POD_READINESSGATES).wide(),
    ],
    rows: Rows::Each(row),
};

/// Set when the kubelet's node stopped answering and the pod was evicted.
const NODE_UNREACHABLE_REASON: &str = "NodeLost";

/// Restart count and the latest time a counted container last terminated.
#[derive(Default, Clone, Copy)]
struct Restarts {
    count: i64,
    last: Option<Timestamp>,
}

impl Restarts {
    fn add(&mut self, status: &Value) {
        self.count += int_at(status, "/restartCount");
        if let Some(finished) = time(status, "/lastState/terminated/finishedAt") {
            self.last = Some(self.last.map_or(finished, |l| l.max(finished)));
        }
    }
}

fn row(pod: &Value, now: Timestamp) -> Row {
    let phase = str_at(pod, "/status/phase");
    let status_reason = str_at(pod, "/status/reason");
    let mut reason = if status_reason.is_empty() {
        phase
    } else {
        status_reason
    }
    .to_string();
    let conditions = list_at(pod, "/status/conditions");
    if conditions
        .iter()
        .any(|c| str_at(c, "/type") == "PodScheduled" && str_at(c, "/reason") == "SchedulingGated")
    {
        reason = "SchedulingGated".into();
    }

    let init_specs = list_at(pod, "/spec/initContainers");
    let is_sidecar = |name: &str| {
        init_specs
            .iter()
            .any(|c| str_at(c, "/name") == name && str_at(c, "/restartPolicy") == "Always")
    };
    let sidecars = init_specs
        .iter()
        .filter(|c| str_at(c, "/restartPolicy") == "Always")
        .count();
    let total = list_at(pod, "/spec/containers").len() + sidecars;
    let mut ready = 0;

    let mut all_restarts = Restarts::default();
    let mut sidecar_restarts = Restarts::default();
    let mut initializing = false;
    for (i, status) in list_at(pod, "/status/initContainerStatuses")
        .iter()
        .enumerate()
    {
        let name = str_at(status, "/name");
        all_restarts.add(status);
        if is_sidecar(name) {
            sidecar_restarts.add(status);
        }
        let terminated = status.pointer("/state/terminated");
        let waiting_reason = str_at(status, "/state/waiting/reason");
        if terminated.is_some_and(|t| int_at(t, "/exitCode") == 0) {
            continue;
        }
        if is_sidecar(name) && bool_at(status, "/started") {
            if bool_at(status, "/ready") {
                ready += 1;
            }
            continue;
        }
        reason = match terminated {
            Some(t) => format!("Init:{}", terminated_reason(t)),
            None if !waiting_reason.is_empty() && waiting_reason != "PodInitializing" => {
                format!("Init:{waiting_reason}")
            }
            None => format!("Init:{i}/{}", init_specs.len()),
        };
        initializing = true;
        break;
    }

    let mut restarts = all_restarts;
    let initialized = conditions
        .iter()
        .any(|c| str_at(c, "/type") == "Initialized" && str_at(c, "/status") == "True");
    if !initializing || initialized {
        restarts = sidecar_restarts;
        let mut has_running = false;
        // Kubernetes walks containers last to first, so the first container's
        // state wins the STATUS column.
        for status in list_at(pod, "/status/containerStatuses").iter().rev() {
            restarts.add(status);
            let waiting_reason = str_at(status, "/state/waiting/reason");
            let terminated = status.pointer("/state/terminated");
            if !waiting_reason.is_empty() {
                reason = waiting_reason.to_string();
            } else if let Some(t) = terminated {
                reason = terminated_reason(t);
            } else if bool_at(status, "/ready") && status.pointer("/state/running").is_some() {
                has_running = true;
                ready += 1;
            }
        }
        if reason == "Completed" && has_running {
            let pod_ready = conditions
                .iter()
                .any(|c| str_at(c, "/type") == "Ready" && str_at(c, "/status") == "True");
            reason = if pod_ready { "Running" } else { "NotReady" }.into();
        }
    }

    if meta::is_terminating(pod) {
        if status_reason == NODE_UNREACHABLE_REASON {
            reason = "Unknown".into();
        } else if phase != "Succeeded" && phase != "Failed" {
            reason = "Terminating".into();
        }
    }

    let restarts_cell = match restarts.last {
        Some(last) if restarts.count != 0 => {
            format!("{} ({} ago)", restarts.count, since(Some(last), now))
        }
        _ => restarts.count.to_string(),
    };

    let mut row = Row::new(vec![
        meta::name(pod).into(),
        format!("{ready}/{total}").into(),
        reason.into(),
        restarts_cell.into(),
        since(time(pod, "/metadata/creationTimestamp"), now).into(),
        or_none(pod_ip(pod)).into(),
        or_none(str_at(pod, "/spec/nodeName")).into(),
        or_none(str_at(pod, "/status/nominatedNodeName")).into(),
        readiness_gates(pod).into(),
    ]);
    row.conditions = match phase {
        "Succeeded" => vec![completed(
            "Succeeded",
            "The pod has completed successfully.",
        )],
        "Failed" => vec![completed("Failed", "The pod failed.")],
        _ => Vec::new(),
    };
    row
}

/// A terminated container's reason, else `Signal:9` or `ExitCode:1`.
fn terminated_reason(terminated: &Value) -> String {
    let reason = str_at(terminated, "/reason");
    if !reason.is_empty() {
        return reason.to_string();
    }
    match int_at(terminated, "/signal") {
        0 => format!("ExitCode:{}", int_at(terminated, "/exitCode")),
        signal => format!("Signal:{signal}"),
    }
}

/// The pod's primary IP; `podIP` wins over `podIPs` as in Kubernetes' conversion.
fn pod_ip(pod: &Value) -> &str {
    match str_at(pod, "/status/podIP") {
        "" => str_at(pod, "/status/podIPs/0/ip"),
        ip => ip,
    }
}

/// `true/total` readiness gates whose pod condition is True, or `<none>`.
fn readiness_gates(pod: &Value) -> String {
    let gates = list_at(pod, "/spec/readinessGates");
    if gates.is_empty() {
        return "<none>".into();
    }
    let conditions = list_at(pod, "/status/conditions");
    let passing = gates
        .iter()
        .filter(|gate| {
            let wanted = str_at(gate, "/conditionType");
            conditions
                .iter()
                .find(|c| str_at(c, "/type") == wanted)
                .is_some_and(|c| str_at(c, "/status") == "True")
        })
        .count();
    format!("{passing}/{}", gates.len())
}

fn completed(reason: &str, message: &str) -> Value {
    json!({"type": "Completed", "status": "True", "reason": reason, "message": message})
}

fn or_none(s: &str) -> String {
    if s.is_empty() {
        "<none>".into()
    } else {
        s.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_support::*;
    use serde_json::{json, Value};

    fn pod(spec: Value, status: Value) -> Value {
        json!({
            "apiVersion": "v1", "kind": "Pod",
            "metadata": {"name": "web-7d4b9c-x2x9z", "namespace": "default", "creationTimestamp": ago(3 * 3600 + 240)},
            "spec": spec,
            "status": status,
        })
    }

    fn running(name: &str, restarts: i64, last_finished: Option<String>) -> Value {
        let mut s = json!({
            "name": name, "ready": true, "started": true, "restartCount": restarts,
            "state": {"running": {"startedAt": ago(100)}},
        });
        if let Some(f) = last_finished {
            s["lastState"] =
                json!({"terminated": {"exitCode": 1, "reason": "Error", "finishedAt": f}});
        }
        s
    }

    fn two_containers() -> Value {
        json!({"nodeName": "node-1", "containers": [{"name": "app", "image": "nginx"}, {"name": "log", "image": "busybox"}]})
    }

    #[test]
    fn running_pod_with_a_recent_restart() {
        let p = pod(
            two_containers(),
            json!({
                "phase": "Running", "podIP": "10.244.1.5", "podIPs": [{"ip": "10.244.1.5"}],
                "conditions": [{"type": "Ready", "status": "True"}],
                "containerStatuses": [running("app", 1, Some(ago(120))), running("log", 0, None)],
            }),
        );
        assert_eq!(
            cells(&p),
            json!([
                "web-7d4b9c-x2x9z",
                "2/2",
                "Running",
                "1 (2m ago)",
                "3h4m",
                "10.244.1.5",
                "node-1",
                "<none>",
                "<none>"
            ])
        );
    }

    #[test]
    fn columns_and_wide_priorities() {
        let p = pod(json!({}), json!({}));
        assert_eq!(
            headers(&p),
            expect_headers(&[
                ("Name", "string", 0),
                ("Ready", "string", 0),
                ("Status", "string", 0),
                ("Restarts", "string", 0),
                ("Age", "string", 0),
                ("IP", "string", 1),
                ("Node", "string", 1),
                ("Nominated Node", "string", 1),
                ("Readiness Gates", "string", 1),
            ])
        );
    }

    #[test]
    fn pending_pod_without_statuses() {
        let p = pod(
            json!({"containers": [{"name": "app"}]}),
            json!({"phase": "Pending"}),
        );
        assert_eq!(
            cells(&p),
            json!([
                "web-7d4b9c-x2x9z",
                "0/1",
                "Pending",
                "0",
                "3h4m",
                "<none>",
                "<none>",
                "<none>",
                "<none>"
            ])
        );
    }

    #[test]
    fn crash_loop_back_off_shows_waiting_reason_and_restarts() {
        let status = json!({
            "name": "app", "ready": false, "started": false, "restartCount": 5,
            "state": {"waiting": {"reason": "CrashLoopBackOff", "message": "back-off 2m40s"}},
            "lastState": {"terminated": {"exitCode": 1, "reason": "Error", "finishedAt": ago(45)}},
        });
        let p = pod(
            json!({"nodeName": "node-1", "containers": [{"name": "app"}]}),
            json!({"phase": "Running", "podIP": "10.244.1.9", "containerStatuses": [status]}),
        );
        let c = cells(&p);
        assert_eq!(c[1], "0/1");
        assert_eq!(c[2], "CrashLoopBackOff");
        assert_eq!(c[3], "5 (45s ago)");
    }

    #[test]
    fn terminated_without_reason_shows_exit_code_or_signal() {
        let by_code =
            json!({"name": "app", "restartCount": 0, "state": {"terminated": {"exitCode": 3}}});
        let by_signal = json!({"name": "app", "restartCount": 0, "state": {"terminated": {"exitCode": 137, "signal": 9}}});
        let spec = json!({"containers": [{"name": "app"}]});
        assert_eq!(
            cells(&pod(
                spec.clone(),
                json!({"phase": "Running", "containerStatuses": [by_code]})
            ))[2],
            "ExitCode:3"
        );
        assert_eq!(
            cells(&pod(
                spec,
                json!({"phase": "Running", "containerStatuses": [by_signal]})
            ))[2],
            "Signal:9"
        );
    }

    #[test]
    fn first_container_state_wins_status() {
        let waiting = json!({"name": "app", "restartCount": 0, "state": {"waiting": {"reason": "ImagePullBackOff"}}});
        let crash = json!({"name": "log", "restartCount": 0, "state": {"waiting": {"reason": "CrashLoopBackOff"}}});
        let p = pod(
            two_containers(),
            json!({"phase": "Pending", "containerStatuses": [waiting, crash]}),
        );
        assert_eq!(cells(&p)[2], "ImagePullBackOff");
    }

    #[test]
    fn succeeded_pod_is_completed_with_row_condition() {
        let done = json!({"name": "app", "restartCount": 0, "state": {"terminated": {"exitCode": 0, "reason": "Completed"}}});
        let p = pod(
            json!({"containers": [{"name": "app"}]}),
            json!({"phase": "Succeeded", "containerStatuses": [done]}),
        );
        let t = table_of(&[&p]);
        assert_eq!(t["rows"][0]["cells"][2], "Completed");
        assert_eq!(
            t["rows"][0]["conditions"],
            json!([{"type": "Completed", "status": "True", "reason": "Succeeded", "message": "The pod has completed successfully."}])
        );
    }

    #[test]
    fn completed_container_next_to_a_running_one_reads_running_or_not_ready() {
        let done = json!({"name": "app", "restartCount": 0, "state": {"terminated": {"exitCode": 0, "reason": "Completed"}}});
        let spec = two_containers();
        let ready = pod(
            spec.clone(),
            json!({
                "phase": "Running", "conditions": [{"type": "Ready", "status": "True"}],
                "containerStatuses": [done.clone(), running("log", 0, None)],
            }),
        );
        assert_eq!(cells(&ready)[2], "Running");
        let not_ready = pod(
            spec,
            json!({"phase": "Running", "containerStatuses": [done, running("log", 0, None)]}),
        );
        assert_eq!(cells(&not_ready)[2], "NotReady");
        assert_eq!(cells(&not_ready)[1], "1/2");
    }

    #[test]
    fn terminating_pod() {
        let mut p = pod(
            json!({"containers": [{"name": "app"}]}),
            json!({"phase": "Running", "containerStatuses": [running("app", 0, None)]}),
        );
        p["metadata"]["deletionTimestamp"] = json!(ago(-30));
        assert_eq!(cells(&p)[2], "Terminating");
    }

    #[test]
    fn deleted_pod_on_lost_node_is_unknown() {
        let mut p = pod(
            json!({"containers": [{"name": "app"}]}),
            json!({"phase": "Running", "reason": "NodeLost"}),
        );
        assert_eq!(cells(&p)[2], "NodeLost");
        p["metadata"]["deletionTimestamp"] = json!(ago(10));
        assert_eq!(cells(&p)[2], "Unknown");
    }

    #[test]
    fn finished_pod_being_deleted_keeps_its_status() {
        let mut p = pod(
            json!({"containers": [{"name": "app"}]}),
            json!({"phase": "Failed"}),
        );
        p["metadata"]["deletionTimestamp"] = json!(ago(10));
        assert_eq!(cells(&p)[2], "Failed");
    }

    fn init_spec() -> Value {
        json!({
            "initContainers": [{"name": "migrate"}, {"name": "warm"}],
            "containers": [{"name": "app"}],
        })
    }

    #[test]
    fn init_containers_progress() {
        let done = json!({"name": "migrate", "restartCount": 0, "state": {"terminated": {"exitCode": 0, "reason": "Completed"}}});
        let running = json!({"name": "warm", "restartCount": 0, "state": {"running": {}}});
        let p = pod(
            init_spec(),
            json!({
                "phase": "Pending",
                "initContainerStatuses": [done, running],
                "containerStatuses": [{"name": "app", "restartCount": 0, "state": {"waiting": {"reason": "PodInitializing"}}}],
            }),
        );
        assert_eq!(cells(&p)[2], "Init:1/2");
        assert_eq!(cells(&p)[1], "0/1");
    }

    #[test]
    fn init_container_waiting_to_start_counts_as_zero_done() {
        let waiting = json!({"name": "migrate", "restartCount": 0, "state": {"waiting": {"reason": "PodInitializing"}}});
        let p = pod(
            init_spec(),
            json!({"phase": "Pending", "initContainerStatuses": [waiting]}),
        );
        assert_eq!(cells(&p)[2], "Init:0/2");
    }

    #[test]
    fn init_container_crash_loop() {
        let crashing = json!({
            "name": "migrate", "restartCount": 3,
            "state": {"waiting": {"reason": "CrashLoopBackOff"}},
            "lastState": {"terminated": {"exitCode": 1, "finishedAt": ago(20)}},
        });
        let p = pod(
            init_spec(),
            json!({"phase": "Pending", "initContainerStatuses": [crashing]}),
        );
        assert_eq!(cells(&p)[2], "Init:CrashLoopBackOff");
        assert_eq!(cells(&p)[3], "3 (20s ago)");
    }

    #[test]
    fn init_container_failure_reasons() {
        let failed =
            json!({"name": "migrate", "restartCount": 0, "state": {"terminated": {"exitCode": 2}}});
        let p = pod(
            init_spec(),
            json!({"phase": "Pending", "initContainerStatuses": [failed]}),
        );
        assert_eq!(cells(&p)[2], "Init:ExitCode:2");
        let oom = json!({"name": "migrate", "restartCount": 0, "state": {"terminated": {"exitCode": 137, "reason": "OOMKilled"}}});
        let p = pod(
            init_spec(),
            json!({"phase": "Pending", "initContainerStatuses": [oom]}),
        );
        assert_eq!(cells(&p)[2], "Init:OOMKilled");
        let killed = json!({"name": "migrate", "restartCount": 0, "state": {"terminated": {"exitCode": 0, "signal": 15}}});
        let p = pod(
            init_spec(),
            json!({"phase": "Pending", "initContainerStatuses": [killed, {"name": "warm", "state": {"terminated": {"exitCode": 1, "signal": 9}}}]}),
        );
        assert_eq!(cells(&p)[2], "Init:Signal:9");
    }

    #[test]
    fn pod_initializing_after_init_containers() {
        let done = |n: &str| json!({"name": n, "restartCount": 0, "state": {"terminated": {"exitCode": 0, "reason": "Completed"}}});
        let p = pod(
            init_spec(),
            json!({
                "phase": "Pending",
                "initContainerStatuses": [done("migrate"), done("warm")],
                "containerStatuses": [{"name": "app", "restartCount": 0, "state": {"waiting": {"reason": "PodInitializing"}}}],
            }),
        );
        assert_eq!(cells(&p)[2], "PodInitializing");
    }

    #[test]
    fn restartable_init_containers_count_as_containers() {
        let spec = json!({
            "initContainers": [{"name": "proxy", "restartPolicy": "Always"}],
            "containers": [{"name": "app"}],
        });
        let sidecar = json!({
            "name": "proxy", "ready": true, "started": true, "restartCount": 2,
            "state": {"running": {}},
            "lastState": {"terminated": {"exitCode": 1, "finishedAt": ago(600)}},
        });
        let p = pod(
            spec,
            json!({
                "phase": "Running",
                "conditions": [{"type": "Initialized", "status": "True"}, {"type": "Ready", "status": "True"}],
                "initContainerStatuses": [sidecar],
                "containerStatuses": [running("app", 1, Some(ago(300)))],
            }),
        );
        let c = cells(&p);
        assert_eq!(c[1], "2/2");
        assert_eq!(c[2], "Running");
        assert_eq!(c[3], "3 (5m ago)");
    }

    #[test]
    fn restarts_from_plain_init_containers_drop_once_initialized() {
        let done = json!({
            "name": "migrate", "restartCount": 4, "state": {"terminated": {"exitCode": 0, "reason": "Completed"}},
            "lastState": {"terminated": {"exitCode": 1, "finishedAt": ago(900)}},
        });
        let p = pod(
            json!({"initContainers": [{"name": "migrate"}], "containers": [{"name": "app"}]}),
            json!({
                "phase": "Running", "initContainerStatuses": [done],
                "containerStatuses": [running("app", 0, None)],
            }),
        );
        assert_eq!(cells(&p)[3], "0");
    }

    #[test]
    fn scheduling_gated_and_readiness_gates() {
        let p = pod(
            json!({"containers": [{"name": "app"}], "readinessGates": [{"conditionType": "example.com/lb"}, {"conditionType": "example.com/dns"}]}),
            json!({"phase": "Pending", "nominatedNodeName": "node-2", "conditions": [
                {"type": "PodScheduled", "status": "False", "reason": "SchedulingGated"},
                {"type": "example.com/lb", "status": "True"},
            ]}),
        );
        let c = cells(&p);
        assert_eq!(c[2], "SchedulingGated");
        assert_eq!(c[7], "node-2");
        assert_eq!(c[8], "1/2");
    }

    #[test]
    fn pod_ips_are_used_when_pod_ip_is_missing() {
        let p = pod(
            json!({"containers": []}),
            json!({"phase": "Running", "podIPs": [{"ip": "fd00::5"}, {"ip": "10.0.0.5"}]}),
        );
        assert_eq!(cells(&p)[5], "fd00::5");
    }
}
