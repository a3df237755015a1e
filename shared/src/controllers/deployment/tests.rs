//! The Deployment controller on a fake clock: rollouts, history, rollback, pause and conditions.

use super::super::garbage_collector::GarbageCollector;
use crate::controllers::pod_state;
use super::super::replicaset::test_support::*;
use super::super::replicaset::ReplicaSetController;
use super::super::{Controller, ControllerManager, Reconciled};
use super::DeploymentController;
use crate::api::meta;
use crate::api::resources::by_kind;
use crate::apiserver::{ApiServer, Request};
use crate::control_plane::ControlPlane;
use jiff::{SignedDuration, Timestamp};
use proptest::prelude::*;
use serde_json::{json, Value};
use std::cell::RefCell;
use std::rc::Rc;

const DEPLOY: &str = "/apis/apps/v1/namespaces/default/deployments";

fn start() -> Timestamp {
    t("2026-01-01T00:00:00Z")
}

fn deployment(replicas: i64, strategy: Value) -> Value {
    json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "my-api"},
        "spec": {"replicas": replicas, "selector": {"matchLabels": {"app": "my-api"}}, "strategy": strategy,
            "template": {"metadata": {"labels": {"app": "my-api"}},
                "spec": {"containers": [{"name": "api", "image": "myapp:1.0"}]}}}})
}

fn create(cp: &mut ControlPlane, d: Value) {
    let r = cp.handle(&Request::post(DEPLOY, d.to_string()), start());
    assert_eq!(r.status(), 201, "{r:?}");
}

fn get_deploy(api: &ApiServer) -> Value {
    (**api
        .get(by_kind("Deployment").unwrap(), "default", "my-api")
        .unwrap())
    .clone()
}

fn sets(api: &ApiServer) -> Vec<Value> {
    api.list(by_kind("ReplicaSet").unwrap(), Some("default"))
        .map(|r| (**r).clone())
        .collect()
}

fn set_named(api: &ApiServer, name: &str) -> Value {
    (**api
        .get(by_kind("ReplicaSet").unwrap(), "default", name)
        .unwrap())
    .clone()
}

/// Edits the Deployment as `kubectl edit` / `set image` would.
fn edit(cp: &mut ControlPlane, now: Timestamp, f: impl FnOnce(&mut Value)) {
    let mut d = get_deploy(cp.api());
    f(&mut d);
    let r = cp.handle(
        &Request::put(&format!("{DEPLOY}/my-api"), d.to_string()),
        now,
    );
    assert_eq!(r.status(), 200, "{r:?}");
}

fn set_image(cp: &mut ControlPlane, image: &str, now: Timestamp) {
    edit(cp, now, |d| {
        d["spec"]["template"]["spec"]["containers"][0]["image"] = json!(image)
    });
}

/// One round of kubelet work then the controllers, until quiet or `rounds` pass.
fn settle(cp: &mut ControlPlane, now: Timestamp) {
    for _ in 0..20 {
        make_pods_ready(cp.api_mut(), "default", now);
        finish_terminating(cp.api_mut(), "default", now);
        cp.tick(now);
    }
}

fn condition(d: &Value, kind: &str) -> Value {
    d["status"]["conditions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["type"] == kind)
        .cloned()
        .unwrap_or(Value::Null)
}

fn images(api: &ApiServer) -> Vec<String> {
    active_pods(api, "default")
        .iter()
        .map(|p| {
            p["spec"]["containers"][0]["image"]
                .as_str()
                .unwrap()
                .to_string()
        })
        .collect()
}

fn events(api: &ApiServer, reason: &str) -> Vec<String> {
    api.list(by_kind("Event").unwrap(), Some("default"))
        .filter(|e| e["reason"] == reason)
        .map(|e| e["message"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn a_deployment_creates_a_hashed_replica_set_and_becomes_available() {
    let mut cp = ControlPlane::new(1, start());
    create(&mut cp, deployment(3, json!({"type": "RollingUpdate"})));
    let rs = sets(cp.api()).pop().unwrap();
    let hash = rs["metadata"]["labels"]["pod-template-hash"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(meta::name(&rs), format!("my-api-{hash}"));
    assert_eq!(
        rs["spec"]["selector"]["matchLabels"],
        json!({"app": "my-api", "pod-template-hash": hash})
    );
    assert_eq!(
        rs["metadata"]["annotations"]["deployment.kubernetes.io/revision"],
        "1"
    );
    assert_eq!(
        rs["metadata"]["annotations"]["deployment.kubernetes.io/desired-replicas"],
        "3"
    );
    assert_eq!(
        rs["metadata"]["annotations"]["deployment.kubernetes.io/max-replicas"],
        "4"
    );
    assert_eq!(rs["metadata"]["ownerReferences"][0]["kind"], "Deployment");
    assert_eq!(
        events(cp.api(), "ScalingReplicaSet"),
        [format!("Scaled up replica set my-api-{hash} from 0 to 3")]
    );
    let pods = active_pods(cp.api(), "default");
    assert_eq!(pods.len(), 3);
    assert!(pods
        .iter()
        .all(|p| p["metadata"]["labels"]["pod-template-hash"] == hash.as_str()));

    let d = get_deploy(cp.api());
    assert_eq!(
        d["metadata"]["annotations"]["deployment.kubernetes.io/revision"],
        "1"
    );
    assert_eq!(
        condition(&d, "Available")["reason"],
        "MinimumReplicasUnavailable"
    );
    assert_eq!(condition(&d, "Progressing")["reason"], "ReplicaSetUpdated");
    settle(&mut cp, start());
    let d = get_deploy(cp.api());
    assert_eq!(
        d["status"].as_object().unwrap().iter().filter(|(k, _)| *k != "conditions").map(|(k, v)| (k.clone(), v.clone())).collect::<serde_json::Map<_, _>>(),
        json!({"observedGeneration": 1, "replicas": 3, "updatedReplicas": 3, "readyReplicas": 3, "availableReplicas": 3}).as_object().unwrap().clone()
    );
    assert_eq!(condition(&d, "Available")["status"], "True");
    assert_eq!(
        condition(&d, "Available")["message"],
        "Deployment has minimum availability."
    );
    assert_eq!(
        condition(&d, "Progressing")["reason"],
        "NewReplicaSetAvailable"
    );
    assert_eq!(
        condition(&d, "Progressing")["message"],
        format!("ReplicaSet \"my-api-{hash}\" has successfully progressed.")
    );
    assert_eq!(
        d["status"]["conditions"][0]["type"], "Available",
        "kubectl lists Available first"
    );
}

#[test]
fn scaling_the_deployment_scales_its_replica_set() {
    let mut cp = ControlPlane::new(1, start());
    create(&mut cp, deployment(3, json!({"type": "RollingUpdate"})));
    settle(&mut cp, start());
    edit(&mut cp, start(), |d| d["spec"]["replicas"] = json!(5));
    settle(&mut cp, start());
    assert_eq!(active_pods(cp.api(), "default").len(), 5);
    edit(&mut cp, start(), |d| d["spec"]["replicas"] = json!(0));
    settle(&mut cp, start());
    assert_eq!(active_pods(cp.api(), "default").len(), 0);
    let name = meta::name(&sets(cp.api())[0]).to_string();
    assert!(events(cp.api(), "ScalingReplicaSet")
        .contains(&format!("Scaled down replica set {name} from 5 to 0")));
}

#[test]
fn history_and_rollback_reuse_the_old_replica_set() {
    let mut cp = ControlPlane::new(1, start());
    create(&mut cp, deployment(2, json!({"type": "RollingUpdate"})));
    settle(&mut cp, start());
    let first = meta::name(&sets(cp.api())[0]).to_string();
    let first_template = set_named(cp.api(), &first)["spec"]["template"].clone();
    set_image(&mut cp, "myapp:2.0", start());
    settle(&mut cp, start());
    assert_eq!(images(cp.api()), ["myapp:2.0", "myapp:2.0"]);
    let second = sets(cp.api())
        .into_iter()
        .map(|s| meta::name(&s).to_string())
        .find(|n| *n != first)
        .unwrap();
    assert_eq!(
        set_named(cp.api(), &second)["metadata"]["annotations"]
            ["deployment.kubernetes.io/revision"],
        "2"
    );
    assert_eq!(
        set_named(cp.api(), &first)["spec"]["replicas"],
        0,
        "kept for history at zero"
    );

    // `kubectl rollout undo --to-revision=1`: the old template, hash label removed, patched back.
    let mut template = first_template;
    template["metadata"]["labels"]
        .as_object_mut()
        .unwrap()
        .remove("pod-template-hash");
    edit(&mut cp, start(), |d| d["spec"]["template"] = template);
    settle(&mut cp, start());
    assert_eq!(sets(cp.api()).len(), 2, "no third ReplicaSet");
    assert_eq!(images(cp.api()), ["myapp:1.0", "myapp:1.0"]);
    let revived = set_named(cp.api(), &first);
    assert_eq!(revived["spec"]["replicas"], 2);
    assert_eq!(
        revived["metadata"]["annotations"]["deployment.kubernetes.io/revision"], "3",
        "revision 1 is gone from history"
    );
    assert_eq!(
        get_deploy(cp.api())["metadata"]["annotations"]["deployment.kubernetes.io/revision"],
        "3"
    );
}

#[test]
fn history_beyond_the_limit_is_deleted() {
    let mut cp = ControlPlane::new(1, start());
    let mut d = deployment(1, json!({"type": "RollingUpdate"}));
    d["spec"]["revisionHistoryLimit"] = json!(1);
    create(&mut cp, d);
    for v in ["2.0", "3.0", "4.0"] {
        settle(&mut cp, start());
        set_image(&mut cp, &format!("myapp:{v}"), start());
    }
    settle(&mut cp, start());
    let mut revisions: Vec<String> = sets(cp.api())
        .iter()
        .map(|s| {
            s["metadata"]["annotations"]["deployment.kubernetes.io/revision"]
                .as_str()
                .unwrap()
                .to_string()
        })
        .collect();
    revisions.sort();
    assert_eq!(revisions, ["3", "4"]);
}

#[test]
fn recreate_never_runs_old_and_new_pods_together() {
    let mut cp = ControlPlane::new(1, start());
    create(&mut cp, deployment(3, json!({"type": "Recreate"})));
    settle(&mut cp, start());
    set_image(&mut cp, "myapp:2.0", start());
    let mut seen_new = false;
    for round in 0..10 {
        let all = pods_of(cp.api(), "default");
        let imgs: Vec<&str> = all
            .iter()
            .map(|p| p["spec"]["containers"][0]["image"].as_str().unwrap())
            .collect();
        assert!(
            !(imgs.contains(&"myapp:1.0") && imgs.contains(&"myapp:2.0")),
            "overlap in round {round}: {imgs:?}"
        );
        seen_new |= imgs.contains(&"myapp:2.0");
        if round == 0 {
            assert!(
                imgs.iter().all(|i| *i == "myapp:1.0"),
                "old pods terminate before any new pod"
            );
            assert!(all.iter().all(meta::is_terminating));
        }
        make_pods_ready(cp.api_mut(), "default", start());
        finish_terminating(cp.api_mut(), "default", start());
        cp.tick(start());
    }
    assert!(seen_new);
    assert_eq!(images(cp.api()), ["myapp:2.0"; 3]);
}

#[test]
fn a_paused_deployment_scales_but_does_not_roll_out_until_resumed() {
    let mut cp = ControlPlane::new(1, start());
    create(&mut cp, deployment(2, json!({"type": "RollingUpdate"})));
    settle(&mut cp, start());
    edit(&mut cp, start(), |d| d["spec"]["paused"] = json!(true));
    let d = get_deploy(cp.api());
    assert_eq!(condition(&d, "Progressing")["reason"], "DeploymentPaused");
    assert_eq!(condition(&d, "Progressing")["status"], "Unknown");
    set_image(&mut cp, "myapp:2.0", start());
    edit(&mut cp, start(), |d| d["spec"]["replicas"] = json!(4));
    settle(&mut cp, start());
    assert_eq!(images(cp.api()), ["myapp:1.0"; 4], "scaled, not rolled");
    assert_eq!(sets(cp.api()).len(), 1);
    edit(&mut cp, start(), |d| d["spec"]["paused"] = json!(false));
    settle(&mut cp, start());
    assert_eq!(images(cp.api()), ["myapp:2.0"; 4]);
    assert_eq!(
        condition(&get_deploy(cp.api()), "Progressing")["reason"],
        "NewReplicaSetAvailable"
    );
}

#[test]
fn a_stuck_rollout_exceeds_its_progress_deadline() {
    let mut cp = ControlPlane::new(1, start());
    let mut d = deployment(2, json!({"type": "RollingUpdate"}));
    d["spec"]["progressDeadlineSeconds"] = json!(60);
    create(&mut cp, d);
    settle(&mut cp, start());
    set_image(&mut cp, "myapp:broken", start());
    // The new pods never become ready.
    cp.run_until(
        start(),
        t("2026-01-01T00:00:59Z"),
        SignedDuration::from_secs(10),
    );
    assert_eq!(
        condition(&get_deploy(cp.api()), "Progressing")["reason"],
        "ReplicaSetUpdated"
    );
    cp.run_until(
        t("2026-01-01T00:00:59Z"),
        t("2026-01-01T00:05:00Z"),
        SignedDuration::from_secs(600),
    );
    let c = condition(&get_deploy(cp.api()), "Progressing");
    assert_eq!(
        (c["status"].as_str(), c["reason"].as_str()),
        (Some("False"), Some("ProgressDeadlineExceeded"))
    );
    let new = sets(cp.api())
        .into_iter()
        .find(|s| s["spec"]["template"]["spec"]["containers"][0]["image"] == "myapp:broken")
        .unwrap();
    assert_eq!(
        c["message"],
        format!(
            "ReplicaSet \"{}\" has timed out progressing.",
            meta::name(&new)
        )
    );
    assert_eq!(c["lastTransitionTime"], "2026-01-01T00:01:01Z");
}

#[test]
fn scaling_mid_rollout_is_shared_in_proportion() {
    let mut cp = ControlPlane::new(1, start());
    create(
        &mut cp,
        deployment(
            10,
            json!({"type": "RollingUpdate", "rollingUpdate": {"maxSurge": 3, "maxUnavailable": 2}}),
        ),
    );
    settle(&mut cp, start());
    set_image(&mut cp, "myapp:2.0", start());
    // Nothing new becomes ready: old 8, new 5 (10 + 3 surge).
    let sizes = |api: &ApiServer| {
        let mut v: Vec<i64> = sets(api)
            .iter()
            .map(|s| s["spec"]["replicas"].as_i64().unwrap())
            .collect();
        v.sort();
        v
    };
    assert_eq!(sizes(cp.api()), [5, 8]);
    edit(&mut cp, start(), |d| d["spec"]["replicas"] = json!(20));
    // 23 allowed, 13 there: 10 to add, split 8:5 of 13 → +6 old (rounded), +4 new.
    assert_eq!(sizes(cp.api()), [9, 14]);
}

/// A test-only controller that checks the rollout bounds on every pass.
struct BoundsProbe {
    max_total: usize,
    min_available: usize,
    armed: Rc<RefCell<bool>>,
    violations: Rc<RefCell<Vec<String>>>,
}

impl Controller for BoundsProbe {
    fn name(&self) -> &'static str {
        "bounds-probe"
    }

    fn reconcile(&mut self, api: &mut ApiServer, _now: Timestamp) -> Reconciled {
        if *self.armed.borrow() {
            let active = active_pods(api, "default");
            let available = active.iter().filter(|p| pod_state::is_ready(p)).count();
            if active.len() > self.max_total || available < self.min_available {
                self.violations
                    .borrow_mut()
                    .push(format!("{} pods, {available} available", active.len()));
            }
        }
        Reconciled::default()
    }
}

fn bound(v: &Value, replicas: i64, round_up: bool) -> i64 {
    match v {
        Value::String(p) => {
            let pct: i64 = p.trim_end_matches('%').parse().unwrap();
            let x = pct * replicas;
            if round_up {
                (x + 99) / 100
            } else {
                x / 100
            }
        }
        n => n.as_i64().unwrap(),
    }
}

fn int_or_percent() -> impl Strategy<Value = Value> {
    prop_oneof![
        (0i64..4).prop_map(|n| json!(n)),
        prop::sample::select(vec![0, 10, 25, 50, 100]).prop_map(|p| json!(format!("{p}%")))
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(40))]
    #[test]
    fn rolling_updates_stay_within_surge_and_unavailability(
        replicas in 1i64..7,
        surge in int_or_percent(),
        unavailable in int_or_percent(),
        readiness in prop::collection::vec(any::<bool>(), 1..40),
    ) {
        // Both literally zero is refused by validation, as in Kubernetes.
        let zero = |v: &Value| *v == json!(0) || *v == json!("0%");
        prop_assume!(!(zero(&surge) && zero(&unavailable)));
        let mut s = bound(&surge, replicas, true);
        let mut u = bound(&unavailable, replicas, false);
        if s == 0 && u == 0 { u = 1; }
        u = u.min(replicas);
        s = s.max(0);
        let armed = Rc::new(RefCell::new(false));
        let violations = Rc::new(RefCell::new(Vec::new()));
        let probe = || Box::new(BoundsProbe {
            max_total: (replicas + s) as usize, min_available: (replicas - u) as usize,
            armed: armed.clone(), violations: violations.clone(),
        });
        let controllers = ControllerManager::new(vec![
            Box::new(GarbageCollector::default()),
            Box::new(ReplicaSetController::default()),
            probe(),
            Box::new(DeploymentController::default()),
            probe(),
        ]);
        let mut cp = ControlPlane::with_controllers(9, start(), controllers);
        create(&mut cp, deployment(replicas, json!({"type": "RollingUpdate", "rollingUpdate": {"maxSurge": surge, "maxUnavailable": unavailable}})));
        settle(&mut cp, start());
        *armed.borrow_mut() = true;
        set_image(&mut cp, "myapp:2.0", start());
        let mut now = start();
        let mut coin = readiness.iter().cycle();
        for step in 0..200 {
            now = now.checked_add(SignedDuration::from_secs(1)).unwrap();
            let everyone = step > 100;
            make_some_ready(cp.api_mut(), "default", now, |_| everyone || *coin.next().unwrap());
            finish_terminating(cp.api_mut(), "default", now);
            cp.tick(now);
            let pods = active_pods(cp.api(), "default");
            if pods.len() == replicas as usize && pods.iter().all(|p| p["spec"]["containers"][0]["image"] == "myapp:2.0" && pod_state::is_ready(p)) {
                break;
            }
        }
        prop_assert_eq!(violations.borrow().clone(), Vec::<String>::new());
        prop_assert_eq!(images(cp.api()), vec!["myapp:2.0".to_string(); replicas as usize]);
        let d = get_deploy(cp.api());
        prop_assert_eq!(&d["status"]["updatedReplicas"], &json!(replicas));
    }
}
