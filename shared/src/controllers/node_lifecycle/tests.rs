//! Node failure as a cluster lives it: leases stop, nodes turn Unknown and
//! get tainted, pods are evicted on Kubernetes' schedule, orphans are collected.

use super::*;
use crate::apiserver::DeleteOptions;
use crate::control_plane::ControlPlane;

fn t0() -> Timestamp {
    "2026-01-01T00:00:00Z".parse().unwrap()
}

fn at(secs: i64) -> Timestamp {
    t0() + SignedDuration::from_secs(secs)
}

fn micro_time(t: Timestamp) -> String {
    t.strftime("%Y-%m-%dT%H:%M:%S%.6fZ").to_string()
}

fn res(plural: &str) -> &'static Resource {
    resource(plural).unwrap()
}

fn leases() -> &'static Resource {
    resources::by_plural("coordination.k8s.io", "v1", "leases").unwrap()
}

/// Registers a node the way a kubelet does: the Node, Ready=True, and its Lease.
fn add_node(cp: &mut ControlPlane, name: &str, now: Timestamp) {
    let api = cp.api_mut();
    api.create(
        res("nodes"),
        "",
        json!({"apiVersion": "v1", "kind": "Node", "metadata": {"name": name}}),
        now,
        WriteOptions::default(),
    )
    .unwrap();
    post_ready(cp, name, "True", now);
    let lease = json!({
        "apiVersion": "coordination.k8s.io/v1", "kind": "Lease", "metadata": {"name": name},
        "spec": {"holderIdentity": name, "leaseDurationSeconds": 40, "renewTime": micro_time(now)},
    });
    cp.api_mut()
        .create(
            leases(),
            NODE_LEASE_NAMESPACE,
            lease,
            now,
            WriteOptions::default(),
        )
        .unwrap();
}

/// What the kubelet posts as node status.
fn post_ready(cp: &mut ControlPlane, name: &str, status: &str, now: Timestamp) {
    let api = cp.api_mut();
    let mut node = (**api.get(res("nodes"), "", name).unwrap()).clone();
    let reason = if status == "True" {
        "KubeletReady"
    } else {
        "KubeletNotReady"
    };
    node["status"]["conditions"] = json!([{
        "type": "Ready", "status": status, "reason": reason, "message": "kubelet is posting ready status",
        "lastHeartbeatTime": format_time(now), "lastTransitionTime": format_time(now),
    }]);
    api.update(
        res("nodes"),
        "",
        name,
        node,
        Some("status"),
        now,
        WriteOptions::default(),
    )
    .unwrap();
}

fn renew(cp: &mut ControlPlane, name: &str, now: Timestamp) {
    let api = cp.api_mut();
    let mut lease = (**api.get(leases(), NODE_LEASE_NAMESPACE, name).unwrap()).clone();
    lease["spec"]["renewTime"] = json!(micro_time(now));
    api.update(
        leases(),
        NODE_LEASE_NAMESPACE,
        name,
        lease,
        None,
        now,
        WriteOptions::default(),
    )
    .unwrap();
}

/// Runs the cluster from `from` to `to` while the kubelets of `alive` renew every 10 s.
fn run(cp: &mut ControlPlane, from: i64, to: i64, alive: &[&str]) {
    let mut now = from;
    while now < to {
        if now % 10 == 0 {
            for n in alive {
                renew(cp, n, at(now));
            }
        }
        let next = (now - now.rem_euclid(10) + 10).min(to);
        cp.run_until(at(now), at(next), SignedDuration::from_secs(10));
        now = next;
    }
}

/// A running, Ready pod on `node`, with whatever tolerations defaulting gives it plus `extra`.
fn add_pod(cp: &mut ControlPlane, name: &str, node: &str, extra: Value, now: Timestamp) {
    let api = cp.api_mut();
    let pod = json!({"metadata": {"name": name}, "spec": {"containers": [{"name": "c", "image": "nginx"}], "tolerations": extra}});
    api.create(res("pods"), "default", pod, now, WriteOptions::default())
        .unwrap();
    api.bind("default", name, node, now).unwrap();
    let mut pod = (**api.get(res("pods"), "default", name).unwrap()).clone();
    let mut conditions = pod["status"]["conditions"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    conditions.push(json!({"type": "Ready", "status": "True", "lastProbeTime": null, "lastTransitionTime": format_time(now)}));
    pod["status"]["conditions"] = json!(conditions);
    pod["status"]["phase"] = json!("Running");
    api.update(
        res("pods"),
        "default",
        name,
        pod,
        Some("status"),
        now,
        WriteOptions::default(),
    )
    .unwrap();
}

fn node(cp: &ControlPlane, name: &str) -> Value {
    (**cp.api().get(res("nodes"), "", name).unwrap()).clone()
}

fn taint_keys(node: &Value) -> Vec<String> {
    node["spec"]["taints"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|t| {
            format!(
                "{}:{}",
                t["key"].as_str().unwrap(),
                t["effect"].as_str().unwrap()
            )
        })
        .collect()
}

fn terminating(cp: &ControlPlane, pod: &str) -> bool {
    cp.api()
        .get(res("pods"), "default", pod)
        .is_ok_and(|p| meta::is_terminating(p))
}

fn events(cp: &ControlPlane, reason: &str) -> Vec<String> {
    cp.api()
        .list(res("events"), Some("default"))
        .filter(|e| e["reason"] == reason)
        .map(|e| {
            format!(
                "{}: {}",
                e["involvedObject"]["name"].as_str().unwrap(),
                e["message"].as_str().unwrap()
            )
        })
        .collect()
}

/// Two healthy nodes `a` and `b` with a default pod `web` and a pod `quick`
/// that tolerates unreachability for only 30 s, both on `a`.
fn cluster() -> ControlPlane {
    let mut cp = ControlPlane::new(1, t0());
    add_node(&mut cp, "a", t0());
    add_node(&mut cp, "b", t0());
    add_pod(&mut cp, "web", "a", json!([]), t0());
    let short = json!([{"key": TAINT_UNREACHABLE, "operator": "Exists", "effect": "NoExecute", "tolerationSeconds": 30}]);
    add_pod(&mut cp, "quick", "a", short, t0());
    cp
}

#[test]
fn a_silent_node_turns_unknown_after_the_grace_period_and_its_pods_leave_on_schedule() {
    let mut cp = cluster();
    run(&mut cp, 0, 41, &["a", "b"]);
    // a's last renewal was at 40 s: it is Unknown at 90 s, not a second before.
    run(&mut cp, 41, 89, &["b"]);
    assert_eq!(readiness(&node(&cp, "a")), Readiness::True);
    assert!(taint_keys(&node(&cp, "a")).is_empty());
    run(&mut cp, 89, 90, &["b"]);
    let a = node(&cp, "a");
    let ready = condition(&a, "Ready").unwrap();
    assert_eq!(ready["status"], "Unknown");
    assert_eq!(ready["reason"], "NodeStatusUnknown");
    assert_eq!(ready["message"], "Kubelet stopped posting node status.");
    assert_eq!(ready["lastTransitionTime"], format_time(at(90)));
    assert_eq!(
        condition(&a, "MemoryPressure").unwrap()["reason"],
        "NodeStatusNeverUpdated"
    );
    assert_eq!(
        taint_keys(&a),
        vec![
            format!("{TAINT_UNREACHABLE}:NoSchedule"),
            format!("{TAINT_UNREACHABLE}:NoExecute")
        ]
    );
    assert_eq!(a["spec"]["taints"][1]["timeAdded"], format_time(at(90)));
    assert_eq!(readiness(&node(&cp, "b")), Readiness::True);
    assert_eq!(
        events(&cp, "NodeNotReady"),
        vec![
            "a: Node a status is now: NodeNotReady",
            "quick: Node is not ready",
            "web: Node is not ready"
        ]
    );
    let web = cp.api().get(res("pods"), "default", "web").unwrap();
    assert_eq!(condition(web, "Ready").unwrap()["status"], "False");

    // quick tolerates 30 s, web the default 300 s, counted from the taint.
    run(&mut cp, 90, 119, &["b"]);
    assert!(!terminating(&cp, "quick"));
    run(&mut cp, 119, 120, &["b"]);
    assert!(terminating(&cp, "quick"));
    run(&mut cp, 120, 389, &["b"]);
    assert!(!terminating(&cp, "web"));
    run(&mut cp, 389, 390, &["b"]);
    assert!(terminating(&cp, "web"));
    let web = cp.api().get(res("pods"), "default", "web").unwrap();
    assert_eq!(
        condition(web, "DisruptionTarget").unwrap()["reason"],
        "DeletionByTaintManager"
    );
    assert_eq!(
        events(&cp, "TaintManagerEviction"),
        vec![
            "quick: Marking for deletion Pod default/quick",
            "web: Marking for deletion Pod default/web"
        ]
    );

    // The kubelet comes back: lease renewed, Ready posted; the taints go.
    renew(&mut cp, "a", at(400));
    post_ready(&mut cp, "a", "True", at(400));
    run(&mut cp, 400, 401, &["a", "b"]);
    assert!(taint_keys(&node(&cp, "a")).is_empty());
    assert_eq!(readiness(&node(&cp, "a")), Readiness::True);
}

#[test]
fn a_node_reporting_not_ready_is_tainted_and_untainted_with_evictions_cancelled() {
    let mut cp = cluster();
    run(&mut cp, 0, 10, &["a", "b"]);
    post_ready(&mut cp, "a", "False", at(10));
    run(&mut cp, 10, 11, &["a", "b"]);
    let a = node(&cp, "a");
    assert_eq!(
        taint_keys(&a),
        vec![
            format!("{TAINT_NOT_READY}:NoSchedule"),
            format!("{TAINT_NOT_READY}:NoExecute")
        ]
    );
    assert_eq!(
        condition(&a, "Ready").unwrap()["reason"],
        "KubeletNotReady",
        "the kubelet's own report stands"
    );
    run(&mut cp, 11, 200, &["a", "b"]);
    assert!(!terminating(&cp, "web"));
    post_ready(&mut cp, "a", "True", at(200));
    run(&mut cp, 200, 400, &["a", "b"]);
    assert!(taint_keys(&node(&cp, "a")).is_empty());
    assert!(
        !terminating(&cp, "web"),
        "recovered before its 300 s ran out"
    );
    // Both tolerate not-ready for the default 300 s (quick's own toleration is for unreachable).
    assert_eq!(
        events(&cp, "TaintManagerEviction"),
        vec![
            "quick: Cancelling deletion of Pod default/quick",
            "web: Cancelling deletion of Pod default/web"
        ]
    );
}

#[test]
fn when_every_node_is_down_nothing_is_evicted() {
    let mut cp = cluster();
    run(&mut cp, 0, 600, &[]);
    let a = node(&cp, "a");
    assert_eq!(readiness(&a), Readiness::Unknown);
    assert_eq!(
        taint_keys(&a),
        vec![format!("{TAINT_UNREACHABLE}:NoSchedule")]
    );
    assert!(!terminating(&cp, "web"));
    assert!(!terminating(&cp, "quick"));
}

#[test]
fn a_node_that_never_posts_ready_gets_the_startup_grace() {
    let mut cp = ControlPlane::new(1, t0());
    add_node(&mut cp, "b", t0());
    cp.api_mut()
        .create(
            res("nodes"),
            "",
            json!({"apiVersion": "v1", "kind": "Node", "metadata": {"name": "new"}}),
            t0(),
            WriteOptions::default(),
        )
        .unwrap();
    run(&mut cp, 0, 59, &["b"]);
    assert_eq!(readiness(&node(&cp, "new")), Readiness::Missing);
    run(&mut cp, 59, 60, &["b"]);
    let ready = condition(&node(&cp, "new"), "Ready").unwrap().clone();
    assert_eq!(ready["status"], "Unknown");
    assert_eq!(ready["reason"], "NodeStatusNeverUpdated");
    assert_eq!(ready["message"], "Kubelet never posted node status.");
}

#[test]
fn a_cordoned_node_is_tainted_unschedulable() {
    let mut cp = ControlPlane::new(1, t0());
    add_node(&mut cp, "a", t0());
    let mut a = node(&cp, "a");
    a["spec"]["unschedulable"] = json!(true);
    cp.api_mut()
        .update(
            res("nodes"),
            "",
            "a",
            a,
            None,
            t0(),
            WriteOptions::default(),
        )
        .unwrap();
    cp.tick(t0());
    assert_eq!(
        taint_keys(&node(&cp, "a")),
        vec![format!("{TAINT_UNSCHEDULABLE}:NoSchedule")]
    );
}

#[test]
fn pods_of_a_node_that_no_longer_exists_are_force_deleted_after_the_quarantine() {
    let mut cp = cluster();
    run(&mut cp, 0, 10, &["a", "b"]);
    // A pod bound to a node that never existed, and a deleted node's terminating pod.
    add_pod(&mut cp, "ghost", "nowhere", json!([]), at(10));
    cp.api_mut()
        .delete(
            res("pods"),
            "default",
            "web",
            &DeleteOptions::default(),
            at(10),
        )
        .unwrap();
    assert!(
        terminating(&cp, "web"),
        "no kubelet confirms, so it stays Terminating"
    );
    cp.api_mut()
        .delete(res("nodes"), "", "a", &DeleteOptions::default(), at(10))
        .unwrap();
    run(&mut cp, 10, 49, &["b"]);
    for pod in ["ghost", "web", "quick"] {
        assert!(
            cp.api().get(res("pods"), "default", pod).is_ok(),
            "{pod} is quarantined"
        );
    }
    run(&mut cp, 49, 50, &["b"]);
    for pod in ["ghost", "web", "quick"] {
        assert!(
            cp.api().get(res("pods"), "default", pod).is_err(),
            "{pod} is collected"
        );
    }
}
