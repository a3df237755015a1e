//! Behaviour of the request layer through its public entry point, as kubectl sees it.

use super::*;
use serde_json::json;

fn t0() -> Timestamp {
    "2026-01-01T00:00:00Z".parse().unwrap()
}

fn api() -> ApiServer {
    ApiServer::new(42, t0())
}

fn post(api: &mut ApiServer, path: &str, body: Value) -> Response {
    api.handle(&Request::post(path, body.to_string()), t0())
}

fn get(api: &mut ApiServer, path: &str) -> Response {
    api.handle(&Request::get(path), t0())
}

fn deployment(name: &str, replicas: i64) -> Value {
    json!({
        "apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": name},
        "spec": {"replicas": replicas, "selector": {"matchLabels": {"app": name}},
                 "template": {"metadata": {"labels": {"app": name}}, "spec": {"containers": [{"name": "api", "image": "myapp:1.0"}]}}}
    })
}

fn pod(name: &str, labels: Value) -> Value {
    json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name, "labels": labels},
           "spec": {"containers": [{"name": "c", "image": "nginx"}]}})
}

const DEPLOYMENTS: &str = "/apis/apps/v1/namespaces/default/deployments";
const PODS: &str = "/api/v1/namespaces/default/pods";

#[test]
fn a_new_cluster_has_the_system_namespaces_and_the_kubernetes_service() {
    let mut api = api();
    let list = get(&mut api, "/api/v1/namespaces").json_body();
    let names: Vec<&str> = list["items"].as_array().unwrap().iter().map(|n| n["metadata"]["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["default", "kube-node-lease", "kube-public", "kube-system"]);
    assert_eq!(list["kind"], "NamespaceList");
    let svc = get(&mut api, "/api/v1/namespaces/default/services/kubernetes").json_body();
    assert_eq!(svc["spec"]["clusterIP"], "10.96.0.1");
}

#[test]
fn create_stamps_identity_and_returns_201() {
    let mut api = api();
    let resp = post(&mut api, DEPLOYMENTS, deployment("my-api", 3));
    assert_eq!(resp.status(), 201);
    let d = resp.json_body();
    assert_eq!(d["metadata"]["namespace"], "default");
    assert_eq!(d["metadata"]["generation"], 1);
    assert_eq!(d["metadata"]["creationTimestamp"], "2026-01-01T00:00:00Z");
    assert_eq!(d["metadata"]["uid"].as_str().unwrap().len(), 36);
    let again = post(&mut api, DEPLOYMENTS, deployment("my-api", 3));
    assert_eq!(again.status(), 409);
    assert_eq!(again.json_body()["reason"], "AlreadyExists");
    assert_eq!(again.json_body()["message"], "deployments.apps \"my-api\" already exists");
}

#[test]
fn generate_name_gets_a_random_suffix() {
    let mut api = api();
    let d = post(&mut api, PODS, json!({"metadata": {"generateName": "web-"}, "spec": {"containers": [{"name": "c", "image": "nginx"}]}})).json_body();
    let name = d["metadata"]["name"].as_str().unwrap();
    assert!(name.starts_with("web-") && name.len() == 9, "{name}");
}

#[test]
fn missing_namespace_is_not_found_and_wrong_kind_is_refused() {
    let mut api = api();
    let r = post(&mut api, "/api/v1/namespaces/nope/pods", pod("a", json!({})));
    assert_eq!(r.status(), 404);
    assert_eq!(r.json_body()["message"], "namespaces \"nope\" not found");
    let r = post(&mut api, PODS, deployment("x", 1));
    assert_eq!(r.status(), 400);
    let mut other_ns = pod("a", json!({}));
    other_ns["metadata"]["namespace"] = json!("kube-system");
    assert_eq!(post(&mut api, PODS, other_ns).status(), 400);
    assert_eq!(get(&mut api, "/api/v1/namespaces/default/widgets").status(), 404);
}

#[test]
fn stale_update_conflicts_and_changes_nothing() {
    let mut api = api();
    let created = post(&mut api, DEPLOYMENTS, deployment("my-api", 3)).json_body();
    let mut first = created.clone();
    first["spec"]["replicas"] = json!(4);
    let ok = api.handle(&Request::put(&format!("{DEPLOYMENTS}/my-api"), first.to_string()), t0());
    assert_eq!(ok.status(), 200);
    assert_eq!(ok.json_body()["metadata"]["generation"], 2);
    let mut stale = created.clone();
    stale["spec"]["replicas"] = json!(9);
    let r = api.handle(&Request::put(&format!("{DEPLOYMENTS}/my-api"), stale.to_string()), t0());
    assert_eq!(r.status(), 409);
    assert_eq!(r.json_body()["reason"], "Conflict");
    assert_eq!(get(&mut api, &format!("{DEPLOYMENTS}/my-api")).json_body()["spec"]["replicas"], 4);
}

#[test]
fn an_update_that_changes_nothing_writes_nothing() {
    let mut api = api();
    let created = post(&mut api, DEPLOYMENTS, deployment("my-api", 3)).json_body();
    let rv = api.store().revision();
    let r = api.handle(&Request::put(&format!("{DEPLOYMENTS}/my-api"), created.to_string()), t0());
    assert_eq!(r.status(), 200);
    assert_eq!(api.store().revision(), rv);
}

#[test]
fn status_is_its_own_subresource() {
    let mut api = api();
    let created = post(&mut api, DEPLOYMENTS, deployment("my-api", 3)).json_body();
    let mut with_status = created.clone();
    with_status["status"] = json!({"replicas": 3});
    with_status["spec"]["replicas"] = json!(7);
    let r = api.handle(&Request::put(&format!("{DEPLOYMENTS}/my-api/status"), with_status.to_string()), t0()).json_body();
    assert_eq!(r["status"]["replicas"], 3);
    assert_eq!(r["spec"]["replicas"], 3, "a status write must not change spec");
    // And the main resource ignores status.
    let mut spec_only = r.clone();
    spec_only["status"] = json!({"replicas": 99});
    let r = api.handle(&Request::put(&format!("{DEPLOYMENTS}/my-api"), spec_only.to_string()), t0()).json_body();
    assert_eq!(r["status"]["replicas"], 3);
}

#[test]
fn scale_subresource_reads_and_patches_replicas() {
    let mut api = api();
    post(&mut api, DEPLOYMENTS, deployment("my-api", 3));
    let scale = get(&mut api, &format!("{DEPLOYMENTS}/my-api/scale")).json_body();
    assert_eq!(scale["kind"], "Scale");
    assert_eq!(scale["spec"]["replicas"], 3);
    assert_eq!(scale["status"]["selector"], "app=my-api");
    let r = api.handle(
        &Request::patch(&format!("{DEPLOYMENTS}/my-api/scale"), "application/merge-patch+json", r#"{"spec":{"replicas":5}}"#),
        t0(),
    );
    assert_eq!(r.status(), 200);
    assert_eq!(r.json_body()["spec"]["replicas"], 5);
    assert_eq!(get(&mut api, &format!("{DEPLOYMENTS}/my-api")).json_body()["spec"]["replicas"], 5);
}

#[test]
fn dry_run_validates_but_stores_nothing() {
    let mut api = api();
    let rv = api.store().revision();
    let r = post(&mut api, &format!("{DEPLOYMENTS}?dryRun=All"), deployment("my-api", 3));
    assert_eq!(r.status(), 201);
    assert_eq!(api.store().revision(), rv);
    assert_eq!(get(&mut api, &format!("{DEPLOYMENTS}/my-api")).status(), 404);
}

#[test]
fn services_get_cluster_ips_and_node_ports_that_never_collide() {
    let mut api = api();
    let svc = |name: &str, node_port: Option<u16>| {
        let mut port = json!({"port": 80, "targetPort": 3000});
        if let Some(n) = node_port {
            port["nodePort"] = json!(n);
        }
        json!({"apiVersion": "v1", "kind": "Service", "metadata": {"name": name},
               "spec": {"type": "NodePort", "selector": {"app": "my-api"}, "ports": [port]}})
    };
    let a = post(&mut api, "/api/v1/namespaces/default/services", svc("a", Some(30080))).json_body();
    assert_eq!(a["spec"]["ports"][0]["nodePort"], 30080);
    let ip = a["spec"]["clusterIP"].as_str().unwrap();
    assert!(ip.starts_with("10."), "{ip}");
    assert_eq!(a["spec"]["clusterIPs"], json!([ip]));
    let b = post(&mut api, "/api/v1/namespaces/default/services", svc("b", Some(30080)));
    assert_eq!(b.status(), 422);
    assert_eq!(b.json_body()["details"]["causes"][0]["field"], "spec.ports[0].nodePort");
    let c = post(&mut api, "/api/v1/namespaces/default/services", svc("c", None)).json_body();
    let port = c["spec"]["ports"][0]["nodePort"].as_u64().unwrap();
    assert!((30000..=32767).contains(&port));
    assert_ne!(c["spec"]["clusterIP"], a["spec"]["clusterIP"]);
    // Deleting a frees its node port for b.
    assert_eq!(api.handle(&Request::delete("/api/v1/namespaces/default/services/a"), t0()).status(), 200);
    assert_eq!(post(&mut api, "/api/v1/namespaces/default/services", svc("b", Some(30080))).status(), 201);
}

#[test]
fn lists_filter_by_label_and_field_and_paginate() {
    let mut api = api();
    for i in 0..5 {
        let tier = if i % 2 == 0 { "web" } else { "db" };
        post(&mut api, PODS, pod(&format!("p{i}"), json!({"tier": tier})));
    }
    let web = get(&mut api, &format!("{PODS}?labelSelector=tier%3Dweb")).json_body();
    assert_eq!(web["items"].as_array().unwrap().len(), 3);
    assert!(web["items"][0].get("kind").is_none(), "list items carry no kind on the wire");
    let one = get(&mut api, &format!("{PODS}?fieldSelector=metadata.name%3Dp3")).json_body();
    assert_eq!(one["items"][0]["metadata"]["name"], "p3");
    let page1 = get(&mut api, &format!("{PODS}?limit=2")).json_body();
    assert_eq!(page1["items"].as_array().unwrap().len(), 2);
    let token = page1["metadata"]["continue"].as_str().unwrap().to_string();
    let page2 = get(&mut api, &format!("{PODS}?limit=2&continue={token}")).json_body();
    let page2_names: Vec<&str> = page2["items"].as_array().unwrap().iter().map(|p| p["metadata"]["name"].as_str().unwrap()).collect();
    assert_eq!(page2_names, ["p2", "p3"]);
    let all_ns = get(&mut api, "/api/v1/pods").json_body();
    assert_eq!(all_ns["items"].as_array().unwrap().len(), 5);
}

fn open(api: &mut ApiServer, path: &str) -> WatchId {
    match api.handle(&Request::get(path), t0()) {
        Response::Watch { id, .. } => id,
        other => panic!("not a watch: {other:?}"),
    }
}

fn types(events: &[Value]) -> Vec<String> {
    events.iter().map(|e| format!("{} {}", e["type"].as_str().unwrap(), e["object"]["metadata"]["name"].as_str().unwrap_or(""))).collect()
}

#[test]
fn watch_from_a_list_version_sees_later_changes_in_order() {
    let mut api = api();
    post(&mut api, PODS, pod("before", json!({})));
    let rv = get(&mut api, PODS).json_body()["metadata"]["resourceVersion"].as_str().unwrap().to_string();
    let id = open(&mut api, &format!("{PODS}?watch=1&resourceVersion={rv}"));
    post(&mut api, PODS, pod("a", json!({})));
    api.handle(&Request::patch(&format!("{PODS}/a"), "application/merge-patch+json", r#"{"metadata":{"labels":{"x":"1"}}}"#), t0());
    api.handle(&Request::delete(&format!("{PODS}/a")), t0());
    assert_eq!(types(&api.poll_watch(id, t0())), ["ADDED a", "MODIFIED a", "DELETED a"]);
    assert!(api.poll_watch(id, t0()).is_empty(), "nothing twice");
    api.close_watch(id);
    assert_eq!(api.open_watches(), 0);
}

#[test]
fn watch_without_version_starts_with_current_state() {
    let mut api = api();
    post(&mut api, PODS, pod("a", json!({})));
    let id = open(&mut api, &format!("{PODS}?watch=true"));
    post(&mut api, PODS, pod("b", json!({})));
    assert_eq!(types(&api.poll_watch(id, t0())), ["ADDED a", "ADDED b"]);
}

#[test]
fn label_filtered_watch_sees_objects_enter_and_leave() {
    let mut api = api();
    let rv = api.store().revision();
    let id = open(&mut api, &format!("{PODS}?watch=1&labelSelector=app%3Dweb&resourceVersion={rv}"));
    post(&mut api, PODS, pod("a", json!({"app": "db"})));
    let relabel = |app: &str| format!(r#"{{"metadata":{{"labels":{{"app":"{app}"}}}}}}"#);
    api.handle(&Request::patch(&format!("{PODS}/a"), "application/merge-patch+json", relabel("web")), t0());
    api.handle(&Request::patch(&format!("{PODS}/a"), "application/merge-patch+json", relabel("db")), t0());
    assert_eq!(types(&api.poll_watch(id, t0())), ["ADDED a", "DELETED a"]);
}

#[test]
fn watch_from_compacted_history_is_gone() {
    let mut api = ApiServer::with_store(1, crate::store::Store::with_history(4), t0());
    for i in 0..10 {
        post(&mut api, PODS, pod(&format!("p{i}"), json!({})));
    }
    let r = get(&mut api, &format!("{PODS}?watch=1&resourceVersion=2"));
    assert_eq!(r.status(), 410);
    assert_eq!(r.json_body()["reason"], "Expired");
    // A watch that falls behind while open gets an ERROR event, then nothing.
    let rv = api.store().revision();
    let id = open(&mut api, &format!("{PODS}?watch=1&resourceVersion={rv}"));
    for i in 10..20 {
        post(&mut api, PODS, pod(&format!("p{i}"), json!({})));
    }
    let events = api.poll_watch(id, t0());
    assert_eq!(events.len(), 1);
    assert_eq!(events[0]["type"], "ERROR");
    assert_eq!(events[0]["object"]["code"], 410);
}

#[test]
fn initial_events_end_with_a_bookmark() {
    let mut api = api();
    post(&mut api, PODS, pod("a", json!({})));
    let id = open(&mut api, &format!("{PODS}?watch=1&sendInitialEvents=true&allowWatchBookmarks=true&resourceVersionMatch=NotOlderThan"));
    let events = api.poll_watch(id, t0());
    assert_eq!(events[0]["type"], "ADDED");
    assert_eq!(events[1]["type"], "BOOKMARK");
    assert_eq!(events[1]["object"]["metadata"]["annotations"]["k8s.io/initial-events-end"], "true");
}

#[test]
fn finalizers_hold_an_object_until_removed() {
    let mut api = api();
    let mut cm = json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "cfg", "finalizers": ["example.com/hold"]}, "data": {"a": "1"}});
    post(&mut api, "/api/v1/namespaces/default/configmaps", cm.clone());
    let r = api.handle(&Request::delete("/api/v1/namespaces/default/configmaps/cfg"), t0());
    assert_eq!(r.status(), 202);
    let held = get(&mut api, "/api/v1/namespaces/default/configmaps/cfg").json_body();
    assert!(held["metadata"]["deletionTimestamp"].is_string());
    cm = held.clone();
    cm["metadata"]["finalizers"] = json!([]);
    let r = api.handle(&Request::put("/api/v1/namespaces/default/configmaps/cfg", cm.to_string()), t0());
    assert_eq!(r.status(), 200);
    assert_eq!(get(&mut api, "/api/v1/namespaces/default/configmaps/cfg").status(), 404);
}

#[test]
fn bound_pods_terminate_gracefully_unbound_ones_go_at_once() {
    let mut api = api();
    post(&mut api, PODS, pod("unbound", json!({})));
    assert_eq!(api.handle(&Request::delete(&format!("{PODS}/unbound")), t0()).status(), 200);
    let mut bound = pod("bound", json!({}));
    bound["spec"]["nodeName"] = json!("node-1");
    post(&mut api, PODS, bound);
    let r = api.handle(&Request::delete(&format!("{PODS}/bound")), t0());
    assert_eq!(r.status(), 202);
    let p = r.json_body();
    assert_eq!(p["metadata"]["deletionGracePeriodSeconds"], 30);
    assert_eq!(p["metadata"]["deletionTimestamp"], "2026-01-01T00:00:30Z");
    // The kubelet confirms with grace 0 once containers stopped.
    let r = api.handle(&Request::delete(&format!("{PODS}/bound?gracePeriodSeconds=0")), t0());
    assert_eq!(r.status(), 200);
    assert_eq!(get(&mut api, &format!("{PODS}/bound")).status(), 404);
}

#[test]
fn system_namespaces_cannot_be_deleted_and_terminating_ones_take_no_content() {
    let mut api = api();
    let r = api.handle(&Request::delete("/api/v1/namespaces/default"), t0());
    assert_eq!(r.status(), 403);
    post(&mut api, "/api/v1/namespaces", json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "dev"}}));
    let ns = api.handle(&Request::delete("/api/v1/namespaces/dev"), t0()).json_body();
    assert_eq!(ns["status"]["phase"], "Terminating");
    let r = post(&mut api, "/api/v1/namespaces/dev/pods", pod("a", json!({})));
    assert_eq!(r.status(), 403);
    assert!(r.json_body()["message"].as_str().unwrap().contains("because it is being terminated"));
}

#[test]
fn delete_preconditions_are_checked() {
    let mut api = api();
    post(&mut api, PODS, pod("a", json!({})));
    let body = json!({"kind": "DeleteOptions", "apiVersion": "v1", "preconditions": {"uid": "not-it"}}).to_string();
    let r = api.handle(&Request::delete(&format!("{PODS}/a")).with_body(body, "application/json"), t0());
    assert_eq!(r.status(), 409);
    assert_eq!(get(&mut api, &format!("{PODS}/a")).status(), 200);
}

#[test]
fn discovery_names_every_served_resource() {
    let mut api = api();
    let core = get(&mut api, "/api/v1").json_body();
    let pods = core["resources"].as_array().unwrap().iter().find(|r| r["name"] == "pods").unwrap();
    assert_eq!(pods["shortNames"], json!(["po"]));
    assert_eq!(pods["categories"], json!(["all"]));
    let groups = get(&mut api, "/apis").json_body();
    assert!(groups["groups"].as_array().unwrap().iter().any(|g| g["name"] == "apps"));
    assert_eq!(get(&mut api, "/version").json_body()["minor"], "35");
}

#[test]
fn tables_are_served_when_asked_for() {
    let mut api = api();
    post(&mut api, PODS, pod("a", json!({})));
    let req = Request::get(PODS).with_header("Accept", "application/json;as=Table;v=v1;g=meta.k8s.io,application/json");
    let t = api.handle(&req, t0()).json_body();
    assert_eq!(t["kind"], "Table");
    assert_eq!(t["rows"].as_array().unwrap().len(), 1);
}

#[test]
fn unknown_fields_are_refused_under_strict_validation_and_change_nothing() {
    let mut api = api();
    let rv = api.store().revision();
    let mut typo = deployment("my-api", 3);
    typo["spec"]["replica"] = json!(3);
    let r = post(&mut api, &format!("{DEPLOYMENTS}?fieldValidation=Strict"), typo.clone());
    assert_eq!(r.status(), 400);
    assert_eq!(
        r.json_body()["message"],
        "Deployment in version \"v1\" cannot be handled as a Deployment: strict decoding error: unknown field \"spec.replica\""
    );
    assert_eq!(api.store().revision(), rv);
    // Under Warn (the server default) the field is dropped with a warning.
    match post(&mut api, DEPLOYMENTS, typo) {
        Response::Body { status: 201, warnings, .. } => assert_eq!(warnings, ["unknown field \"spec.replica\""]),
        other => panic!("{other:?}"),
    }
}

#[test]
fn invalid_objects_get_422_with_field_causes_and_change_nothing() {
    let mut api = api();
    let rv = api.store().revision();
    let mut bad = deployment("my-api", -1);
    bad["spec"]["template"]["metadata"]["labels"] = json!({"app": "other"});
    let r = post(&mut api, DEPLOYMENTS, bad);
    assert_eq!(r.status(), 422);
    let status = r.json_body();
    assert_eq!(status["reason"], "Invalid");
    let fields: Vec<&str> = status["details"]["causes"].as_array().unwrap().iter().map(|c| c["field"].as_str().unwrap()).collect();
    assert!(fields.contains(&"spec.replicas"), "{fields:?}");
    assert!(fields.contains(&"spec.template.metadata.labels"), "{fields:?}");
    assert_eq!(api.store().revision(), rv);
}

#[test]
fn a_patch_cannot_smuggle_unknown_fields_under_strict_validation() {
    let mut api = api();
    post(&mut api, DEPLOYMENTS, deployment("my-api", 3));
    let r = api.handle(
        &Request::patch(&format!("{DEPLOYMENTS}/my-api?fieldValidation=Strict"), "application/merge-patch+json", r#"{"spec":{"replicaz":5}}"#),
        t0(),
    );
    assert_eq!(r.status(), 400);
}

#[test]
fn malformed_quantities_are_bad_requests() {
    let mut api = api();
    let mut bad = deployment("my-api", 1);
    bad["spec"]["template"]["spec"]["containers"][0]["resources"] = json!({"requests": {"cpu": "lots"}});
    let r = post(&mut api, DEPLOYMENTS, bad);
    assert_eq!(r.status(), 400);
    assert!(r.json_body()["message"].as_str().unwrap().contains("quantities must match"), "{}", r.json_body());
}

#[test]
fn set_based_selectors_and_unsupported_field_labels() {
    let mut api = api();
    for (name, tier) in [("a", "web"), ("b", "db"), ("c", "cache")] {
        post(&mut api, PODS, pod(name, json!({"tier": tier})));
    }
    post(&mut api, PODS, pod("d", json!({})));
    let names = |api: &mut ApiServer, q: &str| -> Vec<String> {
        get(api, &format!("{PODS}?labelSelector={q}")).json_body()["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["metadata"]["name"].as_str().unwrap().to_string())
            .collect()
    };
    assert_eq!(names(&mut api, "tier+in+%28web%2Cdb%29"), ["a", "b"]);
    assert_eq!(names(&mut api, "tier+notin+%28web%29"), ["b", "c", "d"]);
    assert_eq!(names(&mut api, "%21tier"), ["d"]);
    assert_eq!(names(&mut api, "tier%2Ctier%21%3Ddb"), ["a", "c"]);
    let r = get(&mut api, &format!("{PODS}?fieldSelector=spec.color%3Dblue"));
    assert_eq!(r.status(), 400);
    let bad = get(&mut api, &format!("{PODS}?labelSelector=tier%3D%3D%3D"));
    assert_eq!(bad.status(), 400);
}

#[test]
fn a_new_cluster_has_the_api_endpoints_and_the_default_ingress_class() {
    let mut api = api();
    let ep = get(&mut api, "/api/v1/namespaces/default/endpoints/kubernetes").json_body();
    assert_eq!(ep["subsets"][0]["ports"][0]["port"], 6443);
    let ic = get(&mut api, "/apis/networking.k8s.io/v1/ingressclasses/kubeplay").json_body();
    assert_eq!(ic["metadata"]["annotations"]["ingressclass.kubernetes.io/is-default-class"], "true");
}

#[test]
fn claims_without_a_class_get_the_default_storage_class() {
    let mut api = api();
    let sc = json!({"apiVersion": "storage.k8s.io/v1", "kind": "StorageClass",
        "metadata": {"name": "standard", "annotations": {"storageclass.kubernetes.io/is-default-class": "true"}},
        "provisioner": "kubeplay.dev/hostpath"});
    assert_eq!(post(&mut api, "/apis/storage.k8s.io/v1/storageclasses", sc).status(), 201);
    let claim = |name: &str, class: Option<&str>| {
        let mut c = json!({"apiVersion": "v1", "kind": "PersistentVolumeClaim", "metadata": {"name": name},
            "spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "1Gi"}}}});
        if let Some(class) = class {
            c["spec"]["storageClassName"] = json!(class);
        }
        c
    };
    let pvcs = "/api/v1/namespaces/default/persistentvolumeclaims";
    assert_eq!(post(&mut api, pvcs, claim("a", None)).json_body()["spec"]["storageClassName"], "standard");
    assert_eq!(post(&mut api, pvcs, claim("b", Some(""))).json_body()["spec"]["storageClassName"], "", "an explicit empty class stays");
}
