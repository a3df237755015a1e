//! The scheduler driven through a control plane on a fake clock, as a student's
//! pods would meet it.

use crate::api::resources;
use crate::apiserver::{ApiServer, Request};
use crate::control_plane::ControlPlane;
use jiff::{SignedDuration, Timestamp};
use serde_json::{json, Value};

fn t0() -> Timestamp {
    "2026-01-01T00:00:00Z".parse().unwrap()
}

fn node(name: &str, cpu: &str, memory: &str) -> Value {
    json!({
        "apiVersion": "v1", "kind": "Node",
        "metadata": {"name": name, "labels": {"kubernetes.io/hostname": name}},
        "status": {
            "capacity": {"cpu": cpu, "memory": memory, "pods": "110", "ephemeral-storage": "20Gi"},
            "allocatable": {"cpu": cpu, "memory": memory, "pods": "110", "ephemeral-storage": "20Gi"},
            "conditions": [{"type": "Ready", "status": "True"}]
        }
    })
}

/// Creates a node and reports its status, as a kubelet registering would.
fn add_node(api: &mut ApiServer, node: Value) {
    add_node_at(api, node, t0());
}

fn add_node_at(api: &mut ApiServer, node: Value, now: Timestamp) {
    let nodes = resources::by_plural("", "v1", "nodes").unwrap();
    let name = node["metadata"]["name"].as_str().unwrap().to_string();
    api.create(nodes, "", node.clone(), now, Default::default())
        .unwrap();
    api.update(
        nodes,
        "",
        &name,
        node,
        Some("status"),
        now,
        Default::default(),
    )
    .unwrap();
}

fn pod(name: &str, cpu: &str) -> Value {
    json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name, "labels": {"app": "web"}},
        "spec": {"containers": [{"name": "c", "image": "nginx", "resources": {"requests": {"cpu": cpu}}}]}})
}

fn add_pod(api: &mut ApiServer, pod: Value) {
    let r = api.handle(
        &Request::post("/api/v1/namespaces/default/pods", pod.to_string()),
        t0(),
    );
    assert_eq!(r.status(), 201, "{:?}", r.json_body());
}

fn cluster(nodes: &[(&str, &str)]) -> ControlPlane {
    let mut cp = ControlPlane::new(1, t0());
    for (name, cpu) in nodes {
        add_node(cp.api_mut(), node(name, cpu, "8Gi"));
    }
    cp
}

fn run(cp: &mut ControlPlane, secs: i64) {
    let until = t0().checked_add(SignedDuration::from_secs(secs)).unwrap();
    cp.run_until(t0(), until, SignedDuration::from_secs(1));
}

fn get_pod(cp: &ControlPlane, name: &str) -> Value {
    let pods = resources::by_plural("", "v1", "pods").unwrap();
    (**cp.api().get(pods, "default", name).unwrap()).clone()
}

fn node_of(cp: &ControlPlane, name: &str) -> String {
    get_pod(cp, name)["spec"]["nodeName"]
        .as_str()
        .unwrap_or("")
        .to_string()
}

fn events(cp: &ControlPlane, pod: &str, reason: &str) -> Vec<Value> {
    let events = resources::by_plural("", "v1", "events").unwrap();
    cp.api()
        .list(events, Some("default"))
        .filter(|e| e["involvedObject"]["name"] == pod && e["reason"] == reason)
        .map(|e| (**e).clone())
        .collect()
}

#[test]
fn a_pod_is_bound_with_a_scheduled_event() {
    let mut cp = cluster(&[("node-1", "2")]);
    add_pod(cp.api_mut(), pod("web-1", "500m"));
    run(&mut cp, 1);
    assert_eq!(node_of(&cp, "web-1"), "node-1");
    let scheduled = events(&cp, "web-1", "Scheduled");
    assert_eq!(scheduled.len(), 1);
    assert_eq!(
        scheduled[0]["message"],
        "Successfully assigned default/web-1 to node-1"
    );
    assert_eq!(scheduled[0]["source"]["component"], "default-scheduler");
    assert_eq!(scheduled[0]["type"], "Normal");
}

#[test]
fn insufficient_cpu_everywhere_is_reported_as_kubernetes_words_it() {
    let mut cp = cluster(&[("node-1", "1"), ("node-2", "1"), ("node-3", "1")]);
    add_pod(cp.api_mut(), pod("big", "2"));
    run(&mut cp, 1);
    let p = get_pod(&cp, "big");
    assert_eq!(p["spec"]["nodeName"], Value::Null);
    let expected = "0/3 nodes are available: 3 Insufficient cpu. preemption: 0/3 nodes are available: 3 No preemption victims found for incoming pod..";
    let cond = p["status"]["conditions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["type"] == "PodScheduled")
        .unwrap()
        .clone();
    assert_eq!(cond["status"], "False");
    assert_eq!(cond["reason"], "Unschedulable");
    assert_eq!(cond["message"], expected);
    let failed = events(&cp, "big", "FailedScheduling");
    assert_eq!(failed.len(), 1);
    assert_eq!(failed[0]["message"], expected);
    assert_eq!(failed[0]["type"], "Warning");
}

#[test]
fn memory_and_pod_slots_are_checked_too() {
    let mut cp = ControlPlane::new(1, t0());
    let mut full = node("node-1", "4", "1Gi");
    full["status"]["allocatable"]["pods"] = json!("1");
    add_node(cp.api_mut(), full);
    add_node(cp.api_mut(), node("node-2", "4", "1Gi"));
    add_pod(cp.api_mut(), pod("first", "100m"));
    run(&mut cp, 1);
    let hungry = json!({"metadata": {"name": "hungry"}, "spec": {"containers": [{"name": "c", "image": "nginx",
        "resources": {"requests": {"cpu": "100m", "memory": "2Gi"}}}]}});
    add_pod(cp.api_mut(), hungry);
    run(&mut cp, 1);
    let msg = events(&cp, "hungry", "FailedScheduling")[0]["message"]
        .as_str()
        .unwrap()
        .to_string();
    let first_node = node_of(&cp, "first");
    let expected = if first_node == "node-1" {
        "0/2 nodes are available: 1 Too many pods, 2 Insufficient memory."
    } else {
        "0/2 nodes are available: 2 Insufficient memory."
    };
    assert!(msg.starts_with(expected), "{msg}");
}

#[test]
fn node_selector_picks_the_labelled_node() {
    let mut cp = cluster(&[("node-1", "2"), ("node-2", "2"), ("node-3", "2")]);
    let mut labelled = node("node-2", "2", "8Gi");
    labelled["metadata"]["labels"]["disktype"] = json!("ssd");
    let nodes = resources::by_plural("", "v1", "nodes").unwrap();
    let current = cp.api().get(nodes, "", "node-2").unwrap().clone();
    labelled["metadata"]["resourceVersion"] = current["metadata"]["resourceVersion"].clone();
    cp.api_mut()
        .update(
            nodes,
            "",
            "node-2",
            labelled,
            None,
            t0(),
            Default::default(),
        )
        .unwrap();
    let mut p = pod("ssd", "100m");
    p["spec"]["nodeSelector"] = json!({"disktype": "ssd"});
    add_pod(cp.api_mut(), p);
    let mut q = pod("hdd", "100m");
    q["spec"]["nodeSelector"] = json!({"disktype": "hdd"});
    add_pod(cp.api_mut(), q);
    run(&mut cp, 1);
    assert_eq!(node_of(&cp, "ssd"), "node-2");
    assert_eq!(node_of(&cp, "hdd"), "");
    assert!(events(&cp, "hdd", "FailedScheduling")[0]["message"]
        .as_str()
        .unwrap()
        .starts_with("0/3 nodes are available: 3 node(s) didn't match Pod's node affinity/selector. preemption: 0/3 nodes are available: 3 Preemption is not helpful for scheduling.."));
}

#[test]
fn required_and_preferred_node_affinity() {
    let mut cp = ControlPlane::new(1, t0());
    for (name, zone) in [("node-1", "a"), ("node-2", "b"), ("node-3", "c")] {
        let mut n = node(name, "2", "8Gi");
        n["metadata"]["labels"]["topology.kubernetes.io/zone"] = json!(zone);
        add_node(cp.api_mut(), n);
    }
    let mut p = pod("zoned", "100m");
    p["spec"]["affinity"] = json!({"nodeAffinity": {
        "requiredDuringSchedulingIgnoredDuringExecution": {"nodeSelectorTerms": [
            {"matchExpressions": [{"key": "topology.kubernetes.io/zone", "operator": "NotIn", "values": ["a"]}]}]},
        "preferredDuringSchedulingIgnoredDuringExecution": [
            {"weight": 50, "preference": {"matchExpressions": [{"key": "topology.kubernetes.io/zone", "operator": "In", "values": ["c"]}]}}]
    }});
    add_pod(cp.api_mut(), p);
    run(&mut cp, 1);
    assert_eq!(node_of(&cp, "zoned"), "node-3");
}

fn taint(cp: &mut ControlPlane, name: &str, taints: Value, unschedulable: bool) {
    let nodes = resources::by_plural("", "v1", "nodes").unwrap();
    let mut n = (**cp.api().get(nodes, "", name).unwrap()).clone();
    n["spec"]["taints"] = taints;
    if unschedulable {
        n["spec"]["unschedulable"] = json!(true);
    }
    cp.api_mut()
        .update(nodes, "", name, n, None, t0(), Default::default())
        .unwrap();
}

#[test]
fn taints_keep_out_pods_that_do_not_tolerate_them() {
    let mut cp = cluster(&[("control-plane", "4"), ("node-1", "1"), ("node-2", "1")]);
    taint(
        &mut cp,
        "control-plane",
        json!([{"key": "node-role.kubernetes.io/control-plane", "effect": "NoSchedule"}]),
        false,
    );
    add_pod(cp.api_mut(), pod("big", "2"));
    let mut tolerant = pod("tolerant", "2");
    tolerant["spec"]["tolerations"] = json!([{"key": "node-role.kubernetes.io/control-plane", "operator": "Exists", "effect": "NoSchedule"}]);
    add_pod(cp.api_mut(), tolerant);
    run(&mut cp, 1);
    assert_eq!(node_of(&cp, "tolerant"), "control-plane");
    assert_eq!(
        events(&cp, "big", "FailedScheduling")[0]["message"],
        "0/3 nodes are available: 1 node(s) had untolerated taint {node-role.kubernetes.io/control-plane: }, 2 Insufficient cpu. \
         preemption: 0/3 nodes are available: 1 Preemption is not helpful for scheduling, 2 No preemption victims found for incoming pod.."
    );
}

#[test]
fn prefer_no_schedule_steers_pods_elsewhere() {
    let mut cp = cluster(&[("node-1", "2"), ("node-2", "2")]);
    taint(
        &mut cp,
        "node-1",
        json!([{"key": "spot", "value": "true", "effect": "PreferNoSchedule"}]),
        false,
    );
    for i in 0..3 {
        add_pod(cp.api_mut(), pod(&format!("p{i}"), "100m"));
    }
    run(&mut cp, 1);
    for i in 0..3 {
        assert_eq!(node_of(&cp, &format!("p{i}")), "node-2");
    }
}

#[test]
fn a_cordoned_node_takes_no_new_pods() {
    let mut cp = cluster(&[("node-1", "2")]);
    taint(&mut cp, "node-1", json!([]), true);
    add_pod(cp.api_mut(), pod("web", "100m"));
    run(&mut cp, 1);
    assert_eq!(node_of(&cp, "web"), "");
    assert!(events(&cp, "web", "FailedScheduling")[0]["message"]
        .as_str()
        .unwrap()
        .starts_with("0/1 nodes are available: 1 node(s) were unschedulable."));
}

#[test]
fn host_ports_are_one_pod_per_node() {
    let mut cp = cluster(&[("node-1", "4"), ("node-2", "4")]);
    for i in 0..3 {
        let mut p = pod(&format!("agent-{i}"), "100m");
        p["spec"]["containers"][0]["ports"] = json!([{"containerPort": 80, "hostPort": 8080}]);
        add_pod(cp.api_mut(), p);
    }
    run(&mut cp, 1);
    let mut placed: Vec<String> = (0..3)
        .map(|i| node_of(&cp, &format!("agent-{i}")))
        .collect();
    placed.sort();
    assert_eq!(placed, ["", "node-1", "node-2"]);
    let pending = (0..3)
        .find(|i| node_of(&cp, &format!("agent-{i}")).is_empty())
        .unwrap();
    assert!(events(&cp, &format!("agent-{pending}"), "FailedScheduling")[0]["message"]
        .as_str()
        .unwrap()
        .starts_with("0/2 nodes are available: 2 node(s) didn't have free ports for the requested pod ports."));
}

fn anti_affine(name: &str) -> Value {
    let mut p = pod(name, "100m");
    p["spec"]["affinity"] = json!({"podAntiAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": [
        {"labelSelector": {"matchLabels": {"app": "web"}}, "topologyKey": "kubernetes.io/hostname"}]}});
    p
}

#[test]
fn pod_anti_affinity_puts_three_replicas_on_three_nodes() {
    let mut cp = cluster(&[("node-1", "4"), ("node-2", "4"), ("node-3", "4")]);
    for i in 0..4 {
        add_pod(cp.api_mut(), anti_affine(&format!("web-{i}")));
    }
    run(&mut cp, 1);
    let mut placed: Vec<String> = (0..3).map(|i| node_of(&cp, &format!("web-{i}"))).collect();
    placed.sort();
    assert_eq!(placed, ["node-1", "node-2", "node-3"]);
    assert_eq!(node_of(&cp, "web-3"), "");
    assert!(events(&cp, "web-3", "FailedScheduling")[0]["message"]
        .as_str()
        .unwrap()
        .starts_with("0/3 nodes are available: 3 node(s) didn't match pod anti-affinity rules."));
}

#[test]
fn pod_affinity_follows_the_first_matching_pod() {
    let mut cp = cluster(&[("node-1", "4"), ("node-2", "4"), ("node-3", "4")]);
    let mut cache = pod("cache", "100m");
    cache["metadata"]["labels"] = json!({"app": "cache"});
    add_pod(cp.api_mut(), cache);
    run(&mut cp, 1);
    let home = node_of(&cp, "cache");
    for i in 0..3 {
        let mut p = pod(&format!("near-{i}"), "100m");
        p["spec"]["affinity"] = json!({"podAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": [
            {"labelSelector": {"matchLabels": {"app": "cache"}}, "topologyKey": "kubernetes.io/hostname"}]}});
        add_pod(cp.api_mut(), p);
    }
    run(&mut cp, 2);
    for i in 0..3 {
        assert_eq!(node_of(&cp, &format!("near-{i}")), home);
    }
}

#[test]
fn a_pod_waiting_for_its_affinity_partner_follows_it() {
    let mut cp = cluster(&[("node-1", "4"), ("node-2", "4")]);
    let mut near = pod("near", "100m");
    near["metadata"]["labels"] = json!({"app": "near"});
    near["spec"]["affinity"] = json!({"podAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": [
        {"labelSelector": {"matchLabels": {"app": "cache"}}, "topologyKey": "kubernetes.io/hostname"}]}});
    add_pod(cp.api_mut(), near);
    run(&mut cp, 5);
    assert_eq!(node_of(&cp, "near"), "");
    let mut cache = pod("cache", "100m");
    cache["metadata"]["labels"] = json!({"app": "cache"});
    add_pod(cp.api_mut(), cache);
    run(&mut cp, 20);
    assert_eq!(node_of(&cp, "near"), node_of(&cp, "cache"));
}

#[test]
fn an_unschedulable_pod_is_placed_once_a_node_joins() {
    let mut cp = cluster(&[("node-1", "1")]);
    add_pod(cp.api_mut(), pod("big", "2"));
    run(&mut cp, 30);
    assert_eq!(node_of(&cp, "big"), "");
    let later = t0().checked_add(SignedDuration::from_secs(40)).unwrap();
    add_node_at(cp.api_mut(), node("node-2", "4", "8Gi"), later);
    cp.run_until(
        later,
        later.checked_add(SignedDuration::from_secs(1)).unwrap(),
        SignedDuration::from_secs(1),
    );
    assert_eq!(node_of(&cp, "big"), "node-2");
}

#[test]
fn an_unschedulable_pod_is_retried_when_a_pod_frees_capacity() {
    let mut cp = cluster(&[("node-1", "1")]);
    add_pod(cp.api_mut(), pod("first", "800m"));
    run(&mut cp, 1);
    add_pod(cp.api_mut(), pod("second", "800m"));
    run(&mut cp, 2);
    assert_eq!(node_of(&cp, "second"), "");
    let opts = crate::apiserver::DeleteOptions {
        grace_period_seconds: Some(0),
        ..Default::default()
    };
    let pods = resources::by_plural("", "v1", "pods").unwrap();
    cp.api_mut()
        .delete(pods, "default", "first", &opts, t0())
        .unwrap();
    run(&mut cp, 20);
    assert_eq!(node_of(&cp, "second"), "node-1");
}

#[test]
fn six_pods_spread_two_per_node_over_three_equal_nodes() {
    let mut cp = cluster(&[("node-1", "4"), ("node-2", "4"), ("node-3", "4")]);
    for i in 0..6 {
        let p = json!({"metadata": {"name": format!("p{i}")}, "spec": {"containers": [{"name": "c", "image": "nginx"}]}});
        add_pod(cp.api_mut(), p);
    }
    run(&mut cp, 1);
    for n in ["node-1", "node-2", "node-3"] {
        assert_eq!(
            (0..6)
                .filter(|i| node_of(&cp, &format!("p{i}")) == n)
                .count(),
            2,
            "{n}"
        );
    }
}

#[test]
fn the_same_seed_gives_the_same_placement() {
    let placement = |seed: u64| -> Vec<String> {
        let mut cp = ControlPlane::new(seed, t0());
        for i in 0..5 {
            add_node(cp.api_mut(), node(&format!("node-{i}"), "8", "32Gi"));
        }
        for i in 0..7 {
            add_pod(cp.api_mut(), pod(&format!("p{i}"), "100m"));
        }
        run(&mut cp, 1);
        (0..7).map(|i| node_of(&cp, &format!("p{i}"))).collect()
    };
    let a = placement(42);
    assert_eq!(a, placement(42));
    assert!(a.iter().all(|n| !n.is_empty()));
}

#[test]
fn a_missing_claim_is_named_in_the_message() {
    let mut cp = cluster(&[("node-1", "2")]);
    let mut p = pod("db", "100m");
    p["spec"]["volumes"] =
        json!([{"name": "data", "persistentVolumeClaim": {"claimName": "data"}}]);
    add_pod(cp.api_mut(), p);
    run(&mut cp, 1);
    assert_eq!(
        events(&cp, "db", "FailedScheduling")[0]["message"],
        "0/1 nodes are available: persistentvolumeclaim \"data\" not found. preemption: 0/1 nodes are available: 1 No preemption victims found for incoming pod.."
    );
}

#[test]
fn a_local_volume_pins_the_pod_to_its_node() {
    let mut cp = cluster(&[("node-1", "2"), ("node-2", "2"), ("node-3", "2")]);
    let pv = json!({"apiVersion": "v1", "kind": "PersistentVolume", "metadata": {"name": "local-1"},
        "spec": {"capacity": {"storage": "1Gi"}, "accessModes": ["ReadWriteOnce"], "local": {"path": "/mnt/disk"},
                 "storageClassName": "local",
                 "nodeAffinity": {"required": {"nodeSelectorTerms": [{"matchExpressions": [
                     {"key": "kubernetes.io/hostname", "operator": "In", "values": ["node-3"]}]}]}}}});
    assert_eq!(
        cp.api_mut()
            .handle(
                &Request::post("/api/v1/persistentvolumes", pv.to_string()),
                t0()
            )
            .status(),
        201
    );
    let pvc = json!({"apiVersion": "v1", "kind": "PersistentVolumeClaim", "metadata": {"name": "data"},
        "spec": {"accessModes": ["ReadWriteOnce"], "storageClassName": "local", "volumeName": "local-1",
                 "resources": {"requests": {"storage": "1Gi"}}}});
    let r = cp.api_mut().handle(
        &Request::post(
            "/api/v1/namespaces/default/persistentvolumeclaims",
            pvc.to_string(),
        ),
        t0(),
    );
    assert_eq!(r.status(), 201, "{:?}", r.json_body());
    let mut p = pod("db", "100m");
    p["spec"]["volumes"] =
        json!([{"name": "data", "persistentVolumeClaim": {"claimName": "data"}}]);
    add_pod(cp.api_mut(), p);
    run(&mut cp, 1);
    assert_eq!(node_of(&cp, "db"), "node-3");
}

#[test]
fn pods_of_other_schedulers_and_finished_pods_are_left_alone() {
    let mut cp = cluster(&[("node-1", "1")]);
    let mut other = pod("other", "100m");
    other["spec"]["schedulerName"] = json!("my-scheduler");
    add_pod(cp.api_mut(), other);
    run(&mut cp, 1);
    assert_eq!(node_of(&cp, "other"), "");
    assert!(events(&cp, "other", "FailedScheduling").is_empty());
    // A finished pod's requests no longer count on its node.
    add_pod(cp.api_mut(), pod("done", "800m"));
    run(&mut cp, 1);
    let pods = resources::by_plural("", "v1", "pods").unwrap();
    let mut done = get_pod(&cp, "done");
    done["status"]["phase"] = json!("Succeeded");
    cp.api_mut()
        .update(
            pods,
            "default",
            "done",
            done,
            Some("status"),
            t0(),
            Default::default(),
        )
        .unwrap();
    add_pod(cp.api_mut(), pod("next", "800m"));
    run(&mut cp, 1);
    assert_eq!(node_of(&cp, "next"), "node-1");
}

#[test]
fn topology_spread_keeps_zones_within_max_skew() {
    let mut cp = ControlPlane::new(1, t0());
    for (name, zone) in [("node-1", "a"), ("node-2", "a"), ("node-3", "b")] {
        let mut n = node(name, "8", "32Gi");
        n["metadata"]["labels"]["topology.kubernetes.io/zone"] = json!(zone);
        add_node(cp.api_mut(), n);
    }
    let mut unlabelled = node("node-4", "8", "32Gi");
    unlabelled["metadata"]["labels"] = json!({});
    add_node(cp.api_mut(), unlabelled);
    for i in 0..4 {
        let mut p = pod(&format!("s{i}"), "100m");
        p["spec"]["topologySpreadConstraints"] = json!([{"maxSkew": 1, "topologyKey": "topology.kubernetes.io/zone",
            "whenUnsatisfiable": "DoNotSchedule", "labelSelector": {"matchLabels": {"app": "web"}}}]);
        add_pod(cp.api_mut(), p);
    }
    run(&mut cp, 1);
    let zone = |n: String| match n.as_str() {
        "node-1" | "node-2" => "a",
        "node-3" => "b",
        other => panic!("placed on {other:?}"),
    };
    let in_b = (0..4)
        .filter(|i| zone(node_of(&cp, &format!("s{i}"))) == "b")
        .count();
    assert_eq!(in_b, 2, "two per zone");
}
