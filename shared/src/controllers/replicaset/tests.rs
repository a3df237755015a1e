//! The ReplicaSet controller on a fake clock: replica counts, adoption, release and deletion order.

use super::test_support::*;
use crate::api::meta;
use crate::api::resources::by_kind;
use crate::apiserver::{DeleteOptions, Request, WriteOptions};
use crate::control_plane::ControlPlane;
use jiff::SignedDuration;
use serde_json::{json, Value};

const RS: &str = "/apis/apps/v1/namespaces/default/replicasets";

fn replica_set(replicas: i64) -> Value {
    json!({"apiVersion": "apps/v1", "kind": "ReplicaSet", "metadata": {"name": "my-api"},
        "spec": {"replicas": replicas, "selector": {"matchLabels": {"app": "my-api"}},
            "template": {"metadata": {"labels": {"app": "my-api", "tier": "web"}},
                "spec": {"containers": [{"name": "api", "image": "myapp:1.0"}]}}}})
}

fn cluster(replicas: i64) -> ControlPlane {
    let now = t("2026-01-01T00:00:00Z");
    let mut cp = ControlPlane::new(3, now);
    let r = cp.handle(&Request::post(RS, replica_set(replicas).to_string()), now);
    assert_eq!(r.status(), 201, "{r:?}");
    cp
}

fn get_rs(cp: &ControlPlane) -> Value {
    (**cp
        .api()
        .get(by_kind("ReplicaSet").unwrap(), "default", "my-api")
        .unwrap())
    .clone()
}

fn scale(cp: &mut ControlPlane, replicas: i64, now: jiff::Timestamp) {
    let mut rs = get_rs(cp);
    rs["spec"]["replicas"] = json!(replicas);
    cp.handle(&Request::put(&format!("{RS}/my-api"), rs.to_string()), now);
}

fn settle(cp: &mut ControlPlane, now: jiff::Timestamp) {
    make_pods_ready(cp.api_mut(), "default", now);
    cp.tick(now);
    finish_terminating(cp.api_mut(), "default", now);
    cp.tick(now);
}

#[test]
fn creates_pods_from_the_template_owned_by_the_set() {
    let cp = cluster(3);
    let pods = active_pods(cp.api(), "default");
    assert_eq!(pods.len(), 3);
    let rs = get_rs(&cp);
    for p in &pods {
        assert!(meta::name(p).starts_with("my-api-") && meta::name(p).len() == "my-api-".len() + 5);
        assert_eq!(
            p["metadata"]["labels"],
            json!({"app": "my-api", "tier": "web"})
        );
        let owner = &p["metadata"]["ownerReferences"][0];
        assert_eq!(owner["uid"], rs["metadata"]["uid"]);
        assert_eq!(
            (
                owner["controller"].clone(),
                owner["blockOwnerDeletion"].clone()
            ),
            (json!(true), json!(true))
        );
        assert_eq!(owner["kind"], "ReplicaSet");
    }
    assert_eq!(
        rs["status"],
        json!({"replicas": 3, "fullyLabeledReplicas": 3, "observedGeneration": 1})
    );
    let events = cp
        .api()
        .list(by_kind("Event").unwrap(), Some("default"))
        .filter(|e| e["reason"] == "SuccessfulCreate")
        .count();
    assert_eq!(events, 3);
    let one = cp
        .api()
        .list(by_kind("Event").unwrap(), Some("default"))
        .find(|e| e["reason"] == "SuccessfulCreate")
        .unwrap()
        .clone();
    assert_eq!(one["source"]["component"], "replicaset-controller");
    assert!(one["message"]
        .as_str()
        .unwrap()
        .starts_with("Created pod: my-api-"));
}

#[test]
fn a_deleted_pod_is_replaced() {
    let mut cp = cluster(3);
    let now = t("2026-01-01T00:01:00Z");
    settle(&mut cp, now);
    let victim = meta::name(&active_pods(cp.api(), "default")[0]).to_string();
    let r = cp.handle(
        &Request::delete(&format!("/api/v1/namespaces/default/pods/{victim}")),
        now,
    );
    assert!(r.status() < 300);
    let pods = active_pods(cp.api(), "default");
    assert_eq!(pods.len(), 3);
    assert!(pods.iter().all(|p| meta::name(p) != victim));
    make_pods_ready(cp.api_mut(), "default", now);
    cp.tick(now);
    let rs = get_rs(&cp);
    assert_eq!(
        (
            rs["status"]["replicas"].clone(),
            rs["status"]["readyReplicas"].clone()
        ),
        (json!(3), json!(3))
    );
}

#[test]
fn scales_up_to_five_and_down_to_zero() {
    let mut cp = cluster(3);
    let now = t("2026-01-01T00:01:00Z");
    settle(&mut cp, now);
    scale(&mut cp, 5, now);
    assert_eq!(active_pods(cp.api(), "default").len(), 5);
    settle(&mut cp, now);
    assert_eq!(get_rs(&cp)["status"]["availableReplicas"], 5);
    scale(&mut cp, 0, now);
    assert_eq!(active_pods(cp.api(), "default").len(), 0);
    let deleted = cp
        .api()
        .list(by_kind("Event").unwrap(), Some("default"))
        .filter(|e| e["reason"] == "SuccessfulDelete")
        .count();
    assert_eq!(deleted, 5);
    assert_eq!(
        get_rs(&cp)["status"],
        json!({"replicas": 0, "observedGeneration": 3})
    );
}

#[test]
fn scale_down_deletes_unready_pods_first() {
    let mut cp = cluster(4);
    let now = t("2026-01-01T00:01:00Z");
    let mut n = 0;
    // Two of four become ready.
    make_some_ready(cp.api_mut(), "default", now, |_| {
        n += 1;
        n <= 2
    });
    cp.tick(now);
    let ready: Vec<String> = active_pods(cp.api(), "default")
        .iter()
        .filter(|p| crate::controllers::pod_state::is_ready(p))
        .map(|p| meta::name(p).to_string())
        .collect();
    assert_eq!(ready.len(), 2);
    scale(&mut cp, 2, now);
    let left: Vec<String> = active_pods(cp.api(), "default")
        .iter()
        .map(|p| meta::name(p).to_string())
        .collect();
    assert_eq!(left, ready);
}

#[test]
fn adopts_a_matching_orphan_and_releases_a_relabelled_pod() {
    let now = t("2026-01-01T00:00:00Z");
    let mut cp = ControlPlane::new(3, now);
    let orphan = json!({"metadata": {"name": "stray", "labels": {"app": "my-api"}},
        "spec": {"containers": [{"name": "api", "image": "myapp:1.0"}]}});
    assert_eq!(
        cp.handle(
            &Request::post("/api/v1/namespaces/default/pods", orphan.to_string()),
            now
        )
        .status(),
        201
    );
    cp.handle(&Request::post(RS, replica_set(2).to_string()), now);
    let pods = active_pods(cp.api(), "default");
    assert_eq!(pods.len(), 2, "the orphan counts as one of two");
    let stray = pods.iter().find(|p| meta::name(p) == "stray").unwrap();
    assert_eq!(
        stray["metadata"]["ownerReferences"][0]["uid"],
        get_rs(&cp)["metadata"]["uid"]
    );
    assert_eq!(
        get_rs(&cp)["status"]["fullyLabeledReplicas"],
        1,
        "the orphan lacks tier=web"
    );

    let mut relabelled = stray.clone();
    relabelled["metadata"]["labels"] = json!({"app": "debug"});
    let r = cp.handle(
        &Request::put(
            "/api/v1/namespaces/default/pods/stray",
            relabelled.to_string(),
        ),
        now,
    );
    assert_eq!(r.status(), 200, "{r:?}");
    let stray = (**cp
        .api()
        .get(by_kind("Pod").unwrap(), "default", "stray")
        .unwrap())
    .clone();
    assert!(
        stray["metadata"].get("ownerReferences").is_none(),
        "released"
    );
    let owned = active_pods(cp.api(), "default")
        .iter()
        .filter(|p| p["metadata"]["labels"]["app"] == "my-api")
        .count();
    assert_eq!(owned, 2, "a replacement was created");
}

#[test]
fn terminating_pods_do_not_count() {
    let mut cp = cluster(2);
    let now = t("2026-01-01T00:01:00Z");
    settle(&mut cp, now);
    let victim = meta::name(&active_pods(cp.api(), "default")[0]).to_string();
    cp.api_mut()
        .delete(
            by_kind("Pod").unwrap(),
            "default",
            &victim,
            &DeleteOptions::default(),
            now,
        )
        .unwrap();
    cp.tick(now);
    let all = pods_of(cp.api(), "default");
    assert_eq!(all.len(), 3, "the terminating pod waits for its kubelet");
    assert_eq!(get_rs(&cp)["status"]["replicas"], 2);
}

#[test]
fn min_ready_seconds_delays_availability() {
    let mut cp = cluster(1);
    let mut rs = get_rs(&cp);
    rs["spec"]["minReadySeconds"] = json!(10);
    let start = t("2026-01-01T00:00:00Z");
    cp.api_mut()
        .update(
            by_kind("ReplicaSet").unwrap(),
            "default",
            "my-api",
            rs,
            None,
            start,
            WriteOptions::default(),
        )
        .unwrap();
    make_pods_ready(cp.api_mut(), "default", start);
    cp.tick(start);
    assert!(get_rs(&cp)["status"].get("availableReplicas").is_none());
    cp.run_until(
        start,
        t("2026-01-01T00:00:30Z"),
        SignedDuration::from_secs(60),
    );
    assert_eq!(get_rs(&cp)["status"]["availableReplicas"], 1);
}
