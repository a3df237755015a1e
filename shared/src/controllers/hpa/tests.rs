//! The HPA controller end to end on a fake clock: a Deployment whose pods a
//! stand-in workload controller keeps at `spec.replicas`, and fake CPU usage.

use super::metrics::{ContainerUsage, MetricsSource, PodUsage};
use super::HorizontalPodAutoscalerController;
use crate::api::{meta, resources, Resource};
use crate::apiserver::{format_time, ApiServer, DeleteOptions, WriteOptions};
use crate::control_plane::ControlPlane;
use crate::controllers::{Controller, ControllerManager, Reconciled};
use crate::store::selector::LabelSelector;
use jiff::{SignedDuration, Timestamp};
use serde_json::{json, Value};
use std::cell::Cell;
use std::collections::BTreeMap;
use std::rc::Rc;

fn t0() -> Timestamp {
    "2026-01-01T00:00:00Z".parse().unwrap()
}

fn at(secs: i64) -> Timestamp {
    t0() + SignedDuration::from_secs(secs)
}

fn res(group: &str, version: &str, plural: &str) -> &'static Resource {
    resources::by_plural(group, version, plural).unwrap()
}

/// Every `app=web` pod uses the same millicores; `None` reports no metrics at all.
#[derive(Clone)]
struct FakeMetrics(Rc<Cell<Option<i64>>>);

impl MetricsSource for FakeMetrics {
    fn pod_metrics(
        &self,
        api: &ApiServer,
        namespace: &str,
        selector: &LabelSelector,
        now: Timestamp,
    ) -> Vec<PodUsage> {
        let Some(cpu) = self.0.get() else {
            return vec![];
        };
        api.list(res("", "v1", "pods"), Some(namespace))
            .filter(|p| selector.matches(meta::labels(p)))
            .map(|p| PodUsage {
                pod: meta::name(p).to_string(),
                timestamp: now,
                window: SignedDuration::from_secs(15),
                containers: vec![ContainerUsage {
                    name: "api".into(),
                    usage: BTreeMap::from([("cpu".to_string(), cpu)]),
                }],
            })
            .collect()
    }
}

/// Stands in for the ReplicaSet controller and kubelet: keeps running, ready
/// `web-N` pods (200m CPU requested) in step with the Deployment's replicas.
#[derive(Default)]
struct FakeWorkload;

impl Controller for FakeWorkload {
    fn name(&self) -> &'static str {
        "fake-workload"
    }

    fn reconcile(&mut self, api: &mut ApiServer, now: Timestamp) -> Reconciled {
        let pods = res("", "v1", "pods");
        let Ok(d) = api.get(res("apps", "v1", "deployments"), "default", "web") else {
            return Reconciled::default();
        };
        let want = d["spec"]["replicas"].as_i64().unwrap() as usize;
        let have: Vec<String> = api
            .list(pods, Some("default"))
            .map(|p| meta::name(p).to_string())
            .collect();
        let mut wrote = false;
        for i in have.len()..want {
            let name = format!("web-{i:02}");
            let pod = json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name, "labels": {"app": "web"}},
                "spec": {"containers": [{"name": "api", "image": "nginx", "resources": {"requests": {"cpu": "200m"}}}]}});
            let mut pod = (*api
                .create(pods, "default", pod, now, WriteOptions::default())
                .unwrap())
            .clone();
            pod["status"] = json!({"phase": "Running", "startTime": format_time(now),
                "conditions": [{"type": "Ready", "status": "True", "lastTransitionTime": format_time(now)}]});
            api.update(
                pods,
                "default",
                &name,
                pod,
                Some("status"),
                now,
                WriteOptions::default(),
            )
            .unwrap();
            wrote = true;
        }
        for name in have.iter().skip(want).rev() {
            let opts = DeleteOptions {
                grace_period_seconds: Some(0),
                ..DeleteOptions::default()
            };
            api.delete(pods, "default", name, &opts, now).unwrap();
            wrote = true;
        }
        Reconciled {
            wrote,
            requeue_at: None,
        }
    }
}

struct Cluster {
    cp: ControlPlane,
    cpu: Rc<Cell<Option<i64>>>,
    now: i64,
}

impl Cluster {
    /// A `web` Deployment at `replicas` and an HPA with `spec`, created at t0.
    fn new(replicas: i64, hpa_spec: Value, cpu: Option<i64>) -> Self {
        let usage = Rc::new(Cell::new(cpu));
        let hpa_controller =
            HorizontalPodAutoscalerController::new(Box::new(FakeMetrics(usage.clone())));
        let controllers =
            ControllerManager::new(vec![Box::new(hpa_controller), Box::new(FakeWorkload)]);
        let mut cp = ControlPlane::with_controllers(1, t0(), controllers);
        create_target_and_hpa(cp.api_mut(), replicas, hpa_spec);
        Self {
            cp,
            cpu: usage,
            now: 0,
        }
    }

    /// Runs until `secs` after t0, returning the replicas after each 15 s sync.
    fn run_to(&mut self, secs: i64) -> Vec<i64> {
        let mut seen = vec![];
        while self.now < secs {
            self.now += 15;
            self.cp.run_until(
                at(self.now - 15),
                at(self.now),
                SignedDuration::from_secs(15),
            );
            seen.push(self.replicas());
        }
        seen
    }

    fn replicas(&self) -> i64 {
        self.cp
            .api()
            .get(res("apps", "v1", "deployments"), "default", "web")
            .unwrap()["spec"]["replicas"]
            .as_i64()
            .unwrap()
    }

    fn hpa(&self) -> Value {
        (**self
            .cp
            .api()
            .get(
                res("autoscaling", "v2", "horizontalpodautoscalers"),
                "default",
                "web",
            )
            .unwrap())
        .clone()
    }

    fn events(&self, reason: &str) -> Vec<Value> {
        self.cp
            .api()
            .list(res("", "v1", "events"), Some("default"))
            .filter(|e| e["reason"] == reason)
            .map(|e| (**e).clone())
            .collect()
    }
}

fn create_target_and_hpa(api: &mut ApiServer, replicas: i64, hpa_spec: Value) {
    let deployment = json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web"},
        "spec": {"replicas": replicas, "selector": {"matchLabels": {"app": "web"}},
                 "template": {"metadata": {"labels": {"app": "web"}},
                              "spec": {"containers": [{"name": "api", "image": "nginx", "resources": {"requests": {"cpu": "200m"}}}]}}}});
    api.create(
        res("apps", "v1", "deployments"),
        "default",
        deployment,
        t0(),
        WriteOptions::default(),
    )
    .unwrap();
    let mut spec = json!({"scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "web"},
        "minReplicas": 2, "maxReplicas": 10,
        "metrics": [{"type": "Resource", "resource": {"name": "cpu", "target": {"type": "Utilization", "averageUtilization": 70}}}]});
    for (k, v) in hpa_spec.as_object().unwrap() {
        spec[k] = v.clone();
    }
    let hpa = json!({"apiVersion": "autoscaling/v2", "kind": "HorizontalPodAutoscaler", "metadata": {"name": "web"}, "spec": spec});
    api.create(
        res("autoscaling", "v2", "horizontalpodautoscalers"),
        "default",
        hpa,
        t0(),
        WriteOptions::default(),
    )
    .unwrap();
}

fn condition(hpa: &Value, kind: &str) -> (String, String, String) {
    let c = hpa["status"]["conditions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["type"] == kind)
        .unwrap();
    let s = |k: &str| c[k].as_str().unwrap().to_string();
    (s("status"), s("reason"), s("message"))
}

#[test]
fn scale_up_under_sustained_load_follows_the_default_policies() {
    // 1000m used of 200m requested: 500% against a 70% target.
    let mut c = Cluster::new(2, json!({"behavior": {}}), Some(1000));
    assert_eq!(
        c.run_to(60),
        [6, 10, 10, 10],
        "max(+4 pods, +100%) per 15 s, then maxReplicas"
    );
    let hpa = c.hpa();
    assert_eq!(hpa["status"]["currentReplicas"], 10);
    assert_eq!(hpa["status"]["desiredReplicas"], 10);
    assert_eq!(hpa["status"]["observedGeneration"], 1);
    assert_eq!(hpa["status"]["lastScaleTime"], "2026-01-01T00:00:30Z");
    assert_eq!(
        hpa["status"]["currentMetrics"],
        json!([{"type": "Resource", "resource": {"name": "cpu", "current": {"averageUtilization": 500, "averageValue": "1"}}}])
    );
    assert_eq!(condition(&hpa, "ScalingActive").1, "ValidMetricFound");
    assert_eq!(
        condition(&hpa, "ScalingLimited"),
        (
            "True".into(),
            "TooManyReplicas".into(),
            "the desired replica count is more than the maximum replica count".into()
        )
    );
    let mut messages: Vec<String> = c
        .events("SuccessfulRescale")
        .iter()
        .map(|e| e["message"].as_str().unwrap().to_string())
        .collect();
    messages.sort();
    assert_eq!(
        messages,
        [
            "New size: 10; reason: cpu resource utilization (percentage of request) above target",
            "New size: 6; reason: cpu resource utilization (percentage of request) above target",
        ]
    );
    assert_eq!(
        c.events("SuccessfulRescale")[0]["source"]["component"],
        "horizontal-pod-autoscaler"
    );
}

#[test]
fn scale_up_without_behavior_at_most_doubles_per_sync() {
    let mut c = Cluster::new(2, json!({}), Some(1000));
    assert_eq!(c.run_to(60), [4, 8, 10, 10]);
}

#[test]
fn scale_down_waits_out_the_stabilization_window_then_goes_gradually() {
    let behavior = json!({"behavior": {"scaleDown": {"policies": [{"type": "Pods", "value": 2, "periodSeconds": 60}]}}});
    // 140m of 200m: exactly the 70% target.
    let mut c = Cluster::new(10, behavior, Some(140));
    assert_eq!(c.run_to(60), [10; 4]);
    c.cpu.set(Some(10));
    let seen = c.run_to(600);
    // The last 10 was recommended at 60 s; it leaves the 300 s window at 360 s.
    let changes: Vec<(i64, i64)> = seen
        .iter()
        .enumerate()
        .map(|(i, r)| (75 + 15 * i as i64, *r))
        .filter(|(t, r)| {
            *t == 75
                || seen
                    .get(((t - 75) / 15 - 1) as usize)
                    .is_some_and(|prev| prev != r)
        })
        .collect();
    assert_eq!(changes, [(75, 10), (360, 8), (420, 6), (480, 4), (540, 2)]);
    assert_eq!(
        c.events("SuccessfulRescale")
            .iter()
            .filter(|e| e["message"]
                .as_str()
                .unwrap()
                .ends_with("All metrics below target"))
            .count(),
        4
    );
    let hpa = c.hpa();
    assert_eq!(condition(&hpa, "ScalingLimited").1, "TooFewReplicas");
}

#[test]
fn scale_down_is_held_while_recent_recommendations_were_higher() {
    let mut c = Cluster::new(4, json!({}), Some(10));
    c.run_to(60);
    assert_eq!(
        c.replicas(),
        4,
        "the initial recommendation (4) holds for 300 s"
    );
    assert_eq!(condition(&c.hpa(), "AbleToScale").1, "ScaleDownStabilized");
    c.run_to(330);
    assert_eq!(c.replicas(), 2);
}

#[test]
fn tolerance_keeps_75_percent_against_70_steady() {
    // 150m of 200m = 75%: 75/70 = 1.07, within the 10% tolerance.
    let mut c = Cluster::new(3, json!({}), Some(150));
    assert_eq!(c.run_to(300), [3; 20]);
    let hpa = c.hpa();
    assert_eq!(
        hpa["status"]["currentMetrics"][0]["resource"]["current"],
        json!({"averageUtilization": 75, "averageValue": "150m"})
    );
    assert_eq!(condition(&hpa, "AbleToScale").1, "ReadyForNewScale");
    assert!(c.events("SuccessfulRescale").is_empty());
    assert!(hpa["status"].get("lastScaleTime").is_none());
}

#[test]
fn replicas_below_min_are_raised_and_clamps_are_reported() {
    let mut c = Cluster::new(1, json!({}), Some(10));
    assert_eq!(c.run_to(15), [2]);
    assert_eq!(
        c.events("SuccessfulRescale")[0]["message"],
        "New size: 2; reason: Current number of replicas below Spec.MinReplicas"
    );
    // Idle at minReplicas: the metrics want 1, the HPA keeps 2.
    c.run_to(30);
    assert_eq!(c.replicas(), 2);
    assert_eq!(
        condition(&c.hpa(), "ScalingLimited"),
        (
            "True".into(),
            "TooFewReplicas".into(),
            "the desired replica count is less than the minimum replica count".into()
        )
    );
}

#[test]
fn replicas_above_max_are_lowered() {
    let mut c = Cluster::new(12, json!({}), Some(140));
    assert_eq!(c.run_to(15), [10]);
    assert_eq!(
        c.events("SuccessfulRescale")[0]["message"],
        "New size: 10; reason: Current number of replicas above Spec.MaxReplicas"
    );
    // On target now, but the 12 seen at the first sync stays in the window: still capped.
    c.run_to(30);
    assert_eq!(c.replicas(), 10);
    assert_eq!(
        condition(&c.hpa(), "ScalingLimited"),
        (
            "True".into(),
            "TooManyReplicas".into(),
            "the desired replica count is more than the maximum replica count".into()
        )
    );
    c.run_to(330);
    assert_eq!(
        condition(&c.hpa(), "ScalingLimited"),
        (
            "False".into(),
            "DesiredWithinRange".into(),
            "the desired count is within the acceptable range".into()
        )
    );
}

#[test]
fn missing_metrics_are_reported_and_change_nothing() {
    // The standard controller reads PodMetrics objects; with none, it has nothing to go on.
    let mut cp = ControlPlane::new(1, t0());
    create_target_and_hpa(cp.api_mut(), 3, json!({}));
    cp.run_until(t0(), at(30), SignedDuration::from_secs(15));
    let api = cp.api();
    assert_eq!(
        api.get(res("apps", "v1", "deployments"), "default", "web")
            .unwrap()["spec"]["replicas"],
        3
    );
    let hpa = api
        .get(
            res("autoscaling", "v2", "horizontalpodautoscalers"),
            "default",
            "web",
        )
        .unwrap();
    let error = "failed to get cpu utilization: unable to get metrics for resource cpu: no metrics returned from resource metrics API";
    assert_eq!(
        condition(hpa, "ScalingActive"),
        (
            "False".into(),
            "FailedGetResourceMetric".into(),
            format!("the HPA was unable to compute the replica count: {error}")
        )
    );
    assert_eq!(condition(hpa, "AbleToScale").1, "SucceededGetScale");
    assert_eq!(hpa["status"]["currentMetrics"], json!([{"type": ""}]));
    assert_eq!(hpa["status"]["currentReplicas"], 3);
    let events: Vec<&Value> = api
        .list(res("", "v1", "events"), Some("default"))
        .map(|e| &**e)
        .collect();
    let failed = events
        .iter()
        .find(|e| e["reason"] == "FailedGetResourceMetric")
        .unwrap();
    assert_eq!(
        (
            failed["type"].as_str(),
            failed["message"].as_str(),
            failed["count"].as_i64()
        ),
        (Some("Warning"), Some(error), Some(2))
    );
    let compute = events
        .iter()
        .find(|e| e["reason"] == "FailedComputeMetricsReplicas")
        .unwrap();
    assert_eq!(
        compute["message"],
        format!("invalid metrics (1 invalid out of 1), first error is: {error}")
    );
}

#[test]
fn missing_target_is_reported_as_failed_get_scale() {
    let mut cp = ControlPlane::new(1, t0());
    create_target_and_hpa(
        cp.api_mut(),
        3,
        json!({"scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "nope"}}),
    );
    cp.run_until(t0(), at(15), SignedDuration::from_secs(15));
    let hpa = cp
        .api()
        .get(
            res("autoscaling", "v2", "horizontalpodautoscalers"),
            "default",
            "web",
        )
        .unwrap();
    assert_eq!(
        condition(hpa, "AbleToScale"),
        ("False".into(), "FailedGetScale".into(), "the HPA controller was unable to get the target's current scale: deployments.apps \"nope\" not found".into())
    );
}

#[test]
fn select_policy_disabled_stops_that_direction() {
    let behavior = json!({"behavior": {"scaleUp": {"selectPolicy": "Disabled"}}});
    let mut c = Cluster::new(2, behavior, Some(1000));
    assert_eq!(c.run_to(60), [2; 4]);
    assert_eq!(condition(&c.hpa(), "ScalingLimited").1, "ScaleUpLimit");
    assert!(c.events("SuccessfulRescale").is_empty());
    // Scaling down still works (after its window).
    c.cpu.set(Some(10));
    c.run_to(420);
    assert_eq!(c.replicas(), 2, "already at minReplicas");
}

#[test]
fn deleting_the_hpa_stops_scaling() {
    let mut c = Cluster::new(2, json!({}), Some(1000));
    c.run_to(15);
    assert_eq!(c.replicas(), 4);
    let opts = DeleteOptions::default();
    c.cp.api_mut()
        .delete(
            res("autoscaling", "v2", "horizontalpodautoscalers"),
            "default",
            "web",
            &opts,
            at(15),
        )
        .unwrap();
    assert_eq!(c.run_to(60), [4, 4, 4]);
}
