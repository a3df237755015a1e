//! The view built from a running simulated cluster: kubectl's STATUS for the states the
//! simulator produces, endpoints, activity, and the size of a 300-pod view.

use super::chaos::{self, Fault};
use super::commands::NodeCommand;
use super::*;
use jiff::SignedDuration;
use kubeplay_shared::sim::nodes::{add_node, NodeSpec};
use kubeplay_shared::Request;
use serde_json::{json, Value};

struct Sim {
    cp: ControlPlane,
    now: Timestamp,
}

impl Sim {
    fn new(nodes: usize) -> Self {
        let now: Timestamp = "2026-01-01T00:00:00Z".parse().unwrap();
        let mut cp = ControlPlane::new(7, now);
        for i in 1..=nodes {
            let spec = NodeSpec { name: format!("node-{i}"), cpu: "8".into(), memory: "32Gi".into(), pods: 110 };
            add_node(cp.api_mut(), &spec, now).unwrap();
        }
        let mut sim = Self { cp, now };
        sim.run(1);
        sim
    }

    fn run(&mut self, seconds: i64) {
        let until = self.now.checked_add(SignedDuration::from_secs(seconds)).unwrap();
        self.now = self.cp.run_until(self.now, until, SignedDuration::from_secs(1));
    }

    fn send(&mut self, req: Request) -> Value {
        let resp = self.cp.handle(&req, self.now);
        let body = resp.json_body();
        assert!(resp.status() < 300, "{} {}: {body}", req.path, resp.status());
        body
    }

    fn post(&mut self, path: &str, obj: Value) -> Value {
        self.send(Request::post(path, obj.to_string()))
    }

    fn deployment(&mut self, name: &str, replicas: u32, image: &str, extra: Value) {
        let mut container = json!({"name": "app", "image": image, "resources": {"requests": {"cpu": "100m"}}});
        if let (Some(c), Some(e)) = (container.as_object_mut(), extra.as_object()) {
            c.extend(e.clone());
        }
        self.post(
            "/apis/apps/v1/namespaces/default/deployments",
            json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": name},
                   "spec": {"replicas": replicas, "selector": {"matchLabels": {"app": name}},
                            "template": {"metadata": {"labels": {"app": name}}, "spec": {"containers": [container]}}}}),
        );
    }

    fn service(&mut self, name: &str, port: u16) {
        self.post(
            "/api/v1/namespaces/default/services",
            json!({"apiVersion": "v1", "kind": "Service", "metadata": {"name": name},
                   "spec": {"selector": {"app": name}, "ports": [{"port": port}]}}),
        );
    }

    fn pod(&mut self, name: &str, image: &str, extra: Value) {
        let mut spec = json!({"containers": [{"name": "app", "image": image}]});
        if let (Some(s), Some(e)) = (spec.as_object_mut(), extra.as_object()) {
            s.extend(e.clone());
        }
        self.post(
            "/api/v1/namespaces/default/pods",
            json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name}, "spec": spec}),
        );
    }

    fn view(&self) -> ClusterView {
        ClusterView::build(&self.cp, self.now)
    }
}

fn pod<'a>(view: &'a ClusterView, name: &str) -> &'a PodView {
    view.pods.iter().find(|p| p.name == name).unwrap_or_else(|| panic!("no pod {name}"))
}

#[test]
fn a_deployment_behind_a_service_shows_running_ready_pods_as_endpoints() {
    let mut sim = Sim::new(2);
    sim.deployment("web", 3, "nginx:1.27", json!({}));
    sim.service("web", 80);
    sim.run(30);
    let view = sim.view();
    let web: Vec<&PodView> = view.pods.iter().filter(|p| p.name.starts_with("web-")).collect();
    assert_eq!(web.len(), 3);
    for p in &web {
        assert_eq!((p.status.as_str(), p.ready, p.containers, p.health), ("Running", 1, 1, Health::Ready));
        assert!(p.node.is_some() && p.owner.starts_with("ReplicaSet/web-") && p.labels.contains("app=web"));
        assert!(p.ip.starts_with("10.244."));
    }
    let svc = view.services.iter().find(|s| s.name == "web").unwrap();
    assert_eq!((svc.kind.as_str(), svc.ports.as_str(), svc.selector.as_str()), ("ClusterIP", "80/TCP", "app=web"));
    assert_eq!(svc.ready.len(), 3);
    assert!(svc.ready.iter().all(|&i| view.pods[i as usize].name.starts_with("web-")));
    let d = view.deployments.iter().find(|d| d.name == "web").unwrap();
    assert_eq!((d.desired, d.ready, d.images.as_str()), (3, 3, "nginx:1.27"));
    assert!(view.nodes.iter().all(|n| n.status == "Ready" && n.simulated && n.cpu_capacity == 8000));
    assert_eq!(view.nodes.iter().map(|n| n.cpu_requested).sum::<u64>(), 300);
    let reasons: Vec<&str> = view.events.iter().map(|e| e.reason.as_str()).collect();
    assert!(reasons.contains(&"ScalingReplicaSet") && reasons.contains(&"Scheduled"), "{reasons:?}");
}

#[test]
fn pods_read_as_container_creating_while_their_image_pulls() {
    let mut sim = Sim::new(1);
    sim.pod("db", "postgres:16", json!({}));
    let view = sim.view();
    assert_eq!(pod(&view, "db").status, "ContainerCreating");
    assert_eq!(pod(&view, "db").health, Health::Pending);
}

#[test]
fn a_pod_no_node_fits_stays_pending_without_a_node() {
    let mut sim = Sim::new(1);
    sim.pod("huge", "nginx", json!({"containers": [{"name": "app", "image": "nginx", "resources": {"requests": {"cpu": "64"}}}]}));
    sim.run(5);
    let view = sim.view();
    let p = pod(&view, "huge");
    assert_eq!((p.status.as_str(), p.node, p.health), ("Pending", None, Health::Pending));
    assert_eq!(view.unscheduled().count(), 1);
    assert!(view.events.iter().any(|e| e.reason == "FailedScheduling" && e.kind == "Warning"));
}

#[test]
fn an_unknown_image_cycles_through_err_image_pull_and_image_pull_back_off() {
    let mut sim = Sim::new(1);
    sim.pod("typo", "ngnix:latest", json!({}));
    let seen: Vec<String> = (0..40)
        .map(|_| {
            sim.run(2);
            pod(&sim.view(), "typo").status.clone()
        })
        .collect();
    assert!(seen.iter().any(|s| s == "ErrImagePull") && seen.iter().any(|s| s == "ImagePullBackOff"), "{seen:?}");
    // Between back-offs the kubelet pulls again, which kubectl shows as ContainerCreating.
    assert!(seen.iter().all(|s| ["ErrImagePull", "ImagePullBackOff", "ContainerCreating"].contains(&s.as_str())), "{seen:?}");
    let view = sim.view();
    let p = pod(&view, "typo");
    assert_eq!(p.health, if p.status == "ContainerCreating" { Health::Pending } else { Health::Failing });
}

#[test]
fn the_crash_fault_restarts_the_container_into_crash_loop_back_off() {
    let mut sim = Sim::new(1);
    sim.pod("app", "nginx", json!({}));
    sim.run(10);
    let view = sim.view();
    assert_eq!(pod(&view, "app").status, "Running");
    sim.send(chaos::toggle_fault(pod(&view, "app"), Fault::Crash));
    sim.run(60);
    let view = sim.view();
    let p = pod(&view, "app");
    assert_eq!(p.faults, "crash");
    assert!(p.restarts >= 2, "{p:?}");
    assert_eq!(p.health, Health::Failing);
    let seen: Vec<String> = (0..40)
        .map(|_| {
            sim.run(2);
            pod(&sim.view(), "app").status.clone()
        })
        .collect();
    assert!(seen.iter().any(|s| s == "CrashLoopBackOff"), "{seen:?}");
    assert!(seen.iter().all(|s| ["CrashLoopBackOff", "Error", "Running", "ContainerCreating"].contains(&s.as_str())), "{seen:?}");
    // Turning the fault off again clears the annotation.
    let view = sim.view();
    sim.send(chaos::toggle_fault(pod(&view, "app"), Fault::Crash));
    assert_eq!(pod(&sim.view(), "app").faults, "");
}

#[test]
fn a_readiness_fault_takes_the_pod_out_of_its_service_endpoints() {
    let mut sim = Sim::new(1);
    sim.deployment(
        "api",
        2,
        "myapp:1.0",
        json!({"readinessProbe": {"httpGet": {"path": "/ready", "port": 3000}, "periodSeconds": 2}}),
    );
    sim.service("api", 80);
    sim.run(30);
    let view = sim.view();
    let victim = view.pods.iter().find(|p| p.name.starts_with("api-")).unwrap().clone();
    assert!(victim.readiness_probe && !victim.liveness_probe);
    assert_eq!(view.services.iter().find(|s| s.name == "api").unwrap().ready.len(), 2);
    sim.send(chaos::toggle_fault(&victim, Fault::Readiness));
    sim.run(30);
    let view = sim.view();
    let p = pod(&view, &victim.name);
    assert_eq!((p.status.as_str(), p.ready, p.health), ("Running", 0, Health::NotReady));
    let svc = view.services.iter().find(|s| s.name == "api").unwrap();
    assert_eq!(svc.ready.len(), 1);
    assert_eq!(svc.not_ready.iter().map(|&i| view.pods[i as usize].name.as_str()).collect::<Vec<_>>(), [victim.name.as_str()]);
}

#[test]
fn a_liveness_fault_makes_the_kubelet_restart_the_container() {
    let mut sim = Sim::new(1);
    sim.pod(
        "live",
        "myapp:1.0",
        json!({"containers": [{"name": "app", "image": "myapp:1.0",
            "livenessProbe": {"httpGet": {"path": "/health", "port": 3000}, "initialDelaySeconds": 5, "periodSeconds": 2, "failureThreshold": 2}}]}),
    );
    sim.run(20);
    let view = sim.view();
    assert_eq!((pod(&view, "live").status.as_str(), pod(&view, "live").restarts), ("Running", 0));
    sim.send(chaos::toggle_fault(pod(&view, "live"), Fault::Liveness));
    sim.run(60);
    let view = sim.view();
    assert!(pod(&view, "live").restarts >= 1, "{:?}", pod(&view, "live"));
    assert!(view.events.iter().any(|e| e.reason == "Unhealthy" && e.object == "pod/live" && e.message.starts_with("Liveness probe failed")));
}

#[test]
fn finished_and_oom_killed_pods_read_as_kubectl_prints_them() {
    let mut sim = Sim::new(1);
    sim.pod(
        "job",
        "busybox",
        json!({"restartPolicy": "Never", "containers": [{"name": "app", "image": "busybox", "command": ["sh", "-c", "echo done"]}]}),
    );
    sim.pod(
        "failed",
        "busybox",
        json!({"restartPolicy": "Never", "containers": [{"name": "app", "image": "busybox", "command": ["sh", "-c", "exit 3"]}]}),
    );
    sim.post(
        "/api/v1/namespaces/default/pods",
        json!({"apiVersion": "v1", "kind": "Pod",
               "metadata": {"name": "leaky", "annotations": {"kubeplay.dev/fault": "leak"}},
               "spec": {"restartPolicy": "Never",
                        "containers": [{"name": "app", "image": "nginx", "resources": {"limits": {"memory": "64Mi"}}}]}}),
    );
    sim.run(600);
    let view = sim.view();
    let status = |name: &str| (pod(&view, name).status.clone(), pod(&view, name).health);
    assert_eq!(status("job"), ("Completed".to_string(), Health::Completed));
    assert_eq!(status("failed"), ("Error".to_string(), Health::Failing));
    assert_eq!(status("leaky"), ("OOMKilled".to_string(), Health::Failing));
}

#[test]
fn a_deleted_pod_reads_as_terminating_during_its_grace_period() {
    let mut sim = Sim::new(1);
    sim.pod("sleeper", "busybox", json!({"containers": [{"name": "app", "image": "busybox", "command": ["sleep", "3600"]}]}));
    sim.run(10);
    let view = sim.view();
    assert_eq!(pod(&view, "sleeper").status, "Running");
    sim.send(chaos::delete_pod(pod(&view, "sleeper")));
    sim.run(5);
    let view = sim.view();
    assert_eq!((pod(&view, "sleeper").status.as_str(), pod(&view, "sleeper").health), ("Terminating", Health::Terminating));
    sim.run(40);
    assert!(sim.view().pods.iter().all(|p| p.name != "sleeper"));
}

#[test]
fn a_failed_node_turns_not_ready_and_its_cordon_shows_in_status() {
    let mut sim = Sim::new(2);
    NodeCommand::Cordon { name: "node-2".into(), unschedulable: true }.apply(sim.cp.api_mut(), sim.now).unwrap();
    NodeCommand::Fail { name: "node-1".into(), failed: true }.apply(sim.cp.api_mut(), sim.now).unwrap();
    sim.run(60);
    let view = sim.view();
    let node = |n: &str| view.nodes.iter().find(|v| v.name == n).unwrap();
    assert_eq!(node("node-1").status, "NotReady");
    assert!(node("node-1").failed && !node("node-1").ready);
    assert!(node("node-1").conditions.iter().any(|c| c.starts_with("Ready=Unknown")), "{:?}", node("node-1").conditions);
    assert!(node("node-1").taints.iter().any(|t| t.starts_with("node.kubernetes.io/unreachable")), "{:?}", node("node-1").taints);
    assert_eq!(node("node-2").status, "Ready,SchedulingDisabled");
    assert!(node("node-2").cordoned);
}

#[test]
fn the_builder_reports_which_parts_acted_since_the_last_view() {
    let mut sim = Sim::new(1);
    let mut builder = ViewBuilder::new();
    builder.build(&sim.cp, sim.now);
    let quiet = builder.build(&sim.cp, sim.now);
    assert_eq!(quiet.activity, ActivityView::default());
    assert!(quiet.nodes.iter().all(|n| !n.active));
    sim.deployment("web", 2, "nginx", json!({}));
    sim.run(10);
    let busy = builder.build(&sim.cp, sim.now);
    assert_eq!(busy.activity.api_requests, 1);
    assert!(busy.activity.store_writes > 0);
    assert!(busy.activity.scheduler >= 2, "two bindings: {:?}", busy.activity);
    assert!(busy.activity.kubelet > 0);
    let names: Vec<&str> = busy.activity.controllers.iter().map(|c| c.name.as_str()).collect();
    assert!(names.contains(&"deployment-controller") && names.contains(&"replicaset-controller"), "{names:?}");
    assert!(busy.nodes[0].active);
    assert_eq!(
        busy.activity.store_writes,
        busy.activity.scheduler + busy.activity.kubelet + busy.activity.controller_manager() + 1,
        "every write is either the request's or a loop's"
    );
}

#[test]
fn the_chart_history_follows_an_autoscaler_under_traffic() {
    let mut sim = Sim::new(2);
    sim.deployment("web", 1, "myapp:1.0", json!({"resources": {"requests": {"cpu": "100m"}}}));
    sim.service("web", 80);
    sim.post(
        "/apis/autoscaling/v2/namespaces/default/horizontalpodautoscalers",
        json!({"apiVersion": "autoscaling/v2", "kind": "HorizontalPodAutoscaler", "metadata": {"name": "web"},
               "spec": {"scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "web"},
                        "minReplicas": 1, "maxReplicas": 8,
                        "metrics": [{"type": "Resource", "resource": {"name": "cpu", "target": {"type": "Utilization", "averageUtilization": 50}}}]}}),
    );
    sim.send(chaos::set_traffic("default", "web", 200));
    let mut builder = ViewBuilder::new();
    for _ in 0..60 {
        sim.run(5);
        builder.build(&sim.cp, sim.now);
    }
    let view = builder.build(&sim.cp, sim.now);
    assert_eq!(view.services.iter().find(|s| s.name == "web").unwrap().rps, Some(200.0));
    let hpa = &view.hpas[0];
    assert_eq!((hpa.target.as_str(), hpa.cpu_target, hpa.max), ("Deployment/web", Some(50), 8));
    let samples = &view.history[0].samples;
    assert!(samples.len() >= 50);
    assert!(samples.iter().any(|s| s.cpu.is_some_and(|c| c > 50)), "traffic drives CPU over the target");
    assert!(samples.back().unwrap().replicas > samples.front().unwrap().replicas, "and the HPA scales out");
    assert!(samples.iter().all(|s| s.rps == Some(200.0)));
}

/// Bytes of one serialized 300-pod view, which the host posts up to 4 times a second.
const VIEW_BUDGET_BYTES: usize = 128 * 1024;

#[test]
fn a_300_pod_view_stays_within_its_size_budget() {
    let mut sim = Sim::new(10);
    for (name, replicas) in [("web", 150), ("api", 100), ("cache", 50)] {
        sim.deployment(name, replicas, "nginx", json!({}));
        sim.service(name, 80);
    }
    sim.run(60);
    let mut builder = ViewBuilder::new();
    builder.build(&sim.cp, sim.now);
    sim.run(5);
    let view = builder.build(&sim.cp, sim.now);
    assert_eq!(view.pods.iter().filter(|p| p.health == Health::Ready).count(), 300);
    let bytes = serde_json::to_vec(&view).unwrap().len();
    eprintln!("300-pod view: {bytes} bytes of JSON ({} events)", view.events.len());
    assert!(bytes < VIEW_BUDGET_BYTES, "{bytes} bytes");
    let back: ClusterView = serde_json::from_slice(&serde_json::to_vec(&view).unwrap()).unwrap();
    assert_eq!(back, view);
}

#[test]
fn dns_lists_each_service_by_its_names_and_answers() {
    let mut sim = Sim::new(1);
    sim.deployment("db", 1, "nginx", json!({}));
    sim.service("db", 5432);
    sim.post(
        "/api/v1/namespaces/default/services",
        json!({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "db-headless"},
               "spec": {"clusterIP": "None", "selector": {"app": "db"}, "ports": [{"port": 5432}]}}),
    );
    sim.run(10);
    let view = sim.view();
    let db = view.dns.iter().find(|e| e.name == "db").unwrap();
    assert_eq!(db.names.first().map(String::as_str), Some("db"));
    assert_eq!(db.names.last().map(String::as_str), Some("db.default.svc.cluster.local"));
    let cluster_ip = &view.services.iter().find(|s| s.name == "db").unwrap().cluster_ip;
    assert_eq!((db.record.as_str(), db.answers.clone(), db.ports.clone()), ("A", vec![cluster_ip.clone()], vec!["5432/TCP".to_string()]));
    let headless = view.dns.iter().find(|e| e.name == "db-headless").unwrap();
    let pod_ip = view.pods.iter().find(|p| p.name.starts_with("db-")).unwrap().ip.clone();
    assert_eq!(headless.answers, vec![pod_ip]);
}

