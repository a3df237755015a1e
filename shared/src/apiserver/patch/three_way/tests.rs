//! `kubectl apply` against live objects the way a cluster holds them:
//! defaulted, with status and server-set metadata, sometimes edited by others.

use super::*;
use crate::apiserver::patch::{apply_patch, PatchType};
use proptest::prelude::*;
use serde_json::json;

const LAST_APPLIED: &str = "kubectl.kubernetes.io/last-applied-configuration";

/// What kubectl sends as `modified`: the manifest carrying its own
/// serialisation as the last-applied annotation.
fn annotated(manifest: &Value) -> Value {
    let mut m = manifest.clone();
    let text = format!("{}\n", serde_json::to_string(manifest).unwrap());
    m["metadata"]["annotations"][LAST_APPLIED] = Value::String(text);
    m
}

/// Runs one `kubectl apply` of `manifest` over `live`: the patch, and the
/// object the server makes of it.
fn kubectl_apply(
    kind: &str,
    last: Option<&Value>,
    manifest: &Value,
    live: &Value,
) -> (Value, Value) {
    let patch = three_way(kind, last, &annotated(manifest), live).unwrap();
    let body = serde_json::to_vec(&patch).unwrap();
    let result = apply_patch(kind, live, PatchType::StrategicMerge, &body).unwrap();
    (patch, result)
}

fn annotation_of(manifest: &Value) -> Value {
    annotated(manifest)["metadata"]["annotations"][LAST_APPLIED].clone()
}

fn deployment_manifest() -> Value {
    json!({
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "web", "namespace": "default"},
        "spec": {
            "replicas": 2,
            "selector": {"matchLabels": {"app": "web"}},
            "template": {
                "metadata": {"labels": {"app": "web"}},
                "spec": {
                    "containers": [
                        {
                            "name": "web", "image": "nginx:1.27",
                            "ports": [{"containerPort": 80}],
                            "env": [{"name": "MODE", "value": "prod"}, {"name": "DEBUG", "value": "0"}]
                        },
                        {"name": "sidecar", "image": "busybox:1.36", "args": ["sleep", "3600"]}
                    ]
                }
            }
        }
    })
}

/// The manifest as the API server stores it after create: defaults filled
/// in, server metadata and status added.
fn live_deployment(manifest: &Value) -> Value {
    let mut live = annotated(manifest);
    let meta = &mut live["metadata"];
    meta["uid"] = json!("6f1c2d3e-0000-4000-8000-000000000001");
    meta["resourceVersion"] = json!("1042");
    meta["generation"] = json!(1);
    meta["creationTimestamp"] = json!("2026-01-05T10:00:00Z");
    meta["annotations"]["deployment.kubernetes.io/revision"] = json!("1");
    meta["managedFields"] =
        json!([{"manager": "kubectl-client-side-apply", "operation": "Update"}]);
    let spec = &mut live["spec"];
    if spec.get("replicas").is_none() {
        spec["replicas"] = json!(1);
    }
    spec["revisionHistoryLimit"] = json!(10);
    spec["progressDeadlineSeconds"] = json!(600);
    if spec.get("strategy").is_none() {
        spec["strategy"] = json!({"type": "RollingUpdate", "rollingUpdate": {"maxSurge": "25%", "maxUnavailable": "25%"}});
    }
    let pod = &mut spec["template"]["spec"];
    pod["restartPolicy"] = json!("Always");
    pod["dnsPolicy"] = json!("ClusterFirst");
    pod["schedulerName"] = json!("default-scheduler");
    pod["securityContext"] = json!({});
    pod["terminationGracePeriodSeconds"] = json!(30);
    for c in pod["containers"].as_array_mut().unwrap() {
        c["imagePullPolicy"] = json!("IfNotPresent");
        c["terminationMessagePath"] = json!("/dev/termination-log");
        c["terminationMessagePolicy"] = json!("File");
        c["resources"] = json!({});
        if let Some(ports) = c.get_mut("ports").and_then(Value::as_array_mut) {
            for p in ports {
                p["protocol"] = json!("TCP");
            }
        }
    }
    live["status"] = json!({
        "observedGeneration": 1, "replicas": 2, "readyReplicas": 2, "availableReplicas": 2,
        "conditions": [{"type": "Available", "status": "True"}, {"type": "Progressing", "status": "True"}]
    });
    live
}

fn containers(obj: &Value) -> &Value {
    &obj["spec"]["template"]["spec"]["containers"]
}

#[test]
fn reapplying_the_same_deployment_is_unchanged() {
    let manifest = deployment_manifest();
    let live = live_deployment(&manifest);
    let patch = three_way("Deployment", Some(&manifest), &annotated(&manifest), &live).unwrap();
    assert_eq!(patch, json!({}));
}

#[test]
fn changing_replicas_sends_replicas_and_the_new_annotation() {
    let manifest = deployment_manifest();
    let live = live_deployment(&manifest);
    let mut scaled = manifest.clone();
    scaled["spec"]["replicas"] = json!(5);
    let (patch, result) = kubectl_apply("Deployment", Some(&manifest), &scaled, &live);
    assert_eq!(
        patch,
        json!({
            "metadata": {"annotations": {LAST_APPLIED: annotation_of(&scaled)}},
            "spec": {"replicas": 5}
        })
    );
    assert_eq!(result["spec"]["replicas"], 5);
    assert_eq!(result["status"], live["status"]);
    assert_eq!(result["metadata"]["resourceVersion"], "1042");
}

#[test]
fn changing_one_image_names_only_that_container() {
    let manifest = deployment_manifest();
    let live = live_deployment(&manifest);
    let mut updated = manifest.clone();
    updated["spec"]["template"]["spec"]["containers"][1]["image"] = json!("busybox:1.37");
    let (patch, result) = kubectl_apply("Deployment", Some(&manifest), &updated, &live);
    assert_eq!(
        patch["spec"],
        json!({"template": {"spec": {
            "$setElementOrder/containers": [{"name": "web"}, {"name": "sidecar"}],
            "containers": [{"name": "sidecar", "image": "busybox:1.37"}]
        }}})
    );
    let cs = containers(&result);
    assert_eq!(cs[1]["image"], "busybox:1.37");
    assert_eq!(cs[0]["image"], "nginx:1.27");
    assert_eq!(cs[1]["terminationMessagePath"], "/dev/termination-log");
}

#[test]
fn removing_an_env_var_from_the_manifest_deletes_it() {
    let manifest = deployment_manifest();
    let live = live_deployment(&manifest);
    let mut updated = manifest.clone();
    updated["spec"]["template"]["spec"]["containers"][0]["env"] =
        json!([{"name": "MODE", "value": "prod"}]);
    let (patch, result) = kubectl_apply("Deployment", Some(&manifest), &updated, &live);
    assert_eq!(
        patch["spec"]["template"]["spec"],
        json!({
            "$setElementOrder/containers": [{"name": "web"}, {"name": "sidecar"}],
            "containers": [{
                "name": "web",
                "$setElementOrder/env": [{"name": "MODE"}],
                "env": [{"name": "DEBUG", "$patch": "delete"}]
            }]
        })
    );
    assert_eq!(
        containers(&result)[0]["env"],
        json!([{"name": "MODE", "value": "prod"}])
    );
}

#[test]
fn an_env_var_someone_else_added_is_kept_but_the_order_is_resent() {
    // Kubernetes sees a list of a different length as reordered, so kubectl
    // reports "configured" on every apply while the extra item exists.
    let manifest = deployment_manifest();
    let mut live = live_deployment(&manifest);
    live["spec"]["template"]["spec"]["containers"][0]["env"]
        .as_array_mut()
        .unwrap()
        .push(json!({"name": "INJECTED", "value": "1"}));
    let (patch, result) = kubectl_apply("Deployment", Some(&manifest), &manifest, &live);
    assert_eq!(
        patch,
        json!({"spec": {"template": {"spec": {
            "$setElementOrder/containers": [{"name": "web"}, {"name": "sidecar"}],
            "containers": [{"name": "web", "$setElementOrder/env": [{"name": "MODE"}, {"name": "DEBUG"}]}]
        }}}})
    );
    assert_eq!(containers(&result)[0]["env"], containers(&live)[0]["env"]);
}

#[test]
fn removing_a_container_sends_a_delete_directive() {
    let manifest = deployment_manifest();
    let live = live_deployment(&manifest);
    let mut updated = manifest.clone();
    updated["spec"]["template"]["spec"]["containers"]
        .as_array_mut()
        .unwrap()
        .pop();
    let (patch, result) = kubectl_apply("Deployment", Some(&manifest), &updated, &live);
    assert_eq!(
        patch["spec"]["template"]["spec"],
        json!({
            "$setElementOrder/containers": [{"name": "web"}],
            "containers": [{"name": "sidecar", "$patch": "delete"}]
        })
    );
    let names: Vec<_> = containers(&result)
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].clone())
        .collect();
    assert_eq!(names, vec![json!("web")]);
}

#[test]
fn adding_a_port_keeps_the_defaulted_protocol_of_the_old_one() {
    let manifest = deployment_manifest();
    let live = live_deployment(&manifest);
    let mut updated = manifest.clone();
    updated["spec"]["template"]["spec"]["containers"][0]["ports"] =
        json!([{"containerPort": 80}, {"containerPort": 443, "name": "https"}]);
    let (patch, result) = kubectl_apply("Deployment", Some(&manifest), &updated, &live);
    assert_eq!(
        patch["spec"]["template"]["spec"]["containers"],
        json!([{
            "name": "web",
            "$setElementOrder/ports": [{"containerPort": 80}, {"containerPort": 443}],
            "ports": [{"containerPort": 443, "name": "https"}]
        }])
    );
    assert_eq!(
        containers(&result)[0]["ports"],
        json!([{"containerPort": 80, "protocol": "TCP"}, {"containerPort": 443, "name": "https"}])
    );
}

#[test]
fn replicas_set_by_kubectl_scale_survive_when_the_manifest_omits_them() {
    let mut manifest = deployment_manifest();
    manifest["spec"].as_object_mut().unwrap().remove("replicas");
    let mut live = live_deployment(&manifest);
    live["spec"]["replicas"] = json!(7); // kubectl scale --replicas=7
    assert_eq!(
        three_way("Deployment", Some(&manifest), &annotated(&manifest), &live).unwrap(),
        json!({})
    );
    let mut updated = manifest.clone();
    updated["spec"]["template"]["spec"]["containers"][0]["image"] = json!("nginx:1.28");
    let (patch, result) = kubectl_apply("Deployment", Some(&manifest), &updated, &live);
    assert!(patch["spec"].get("replicas").is_none(), "{patch}");
    assert_eq!(result["spec"]["replicas"], 7);
}

#[test]
fn dropping_replicas_from_the_manifest_clears_them() {
    let manifest = deployment_manifest();
    let live = live_deployment(&manifest);
    let mut updated = manifest.clone();
    updated["spec"].as_object_mut().unwrap().remove("replicas");
    let (patch, result) = kubectl_apply("Deployment", Some(&manifest), &updated, &live);
    assert_eq!(patch["spec"], json!({"replicas": null}));
    assert!(result["spec"].get("replicas").is_none());
}

#[test]
fn switching_to_recreate_retains_only_the_type() {
    let mut manifest = deployment_manifest();
    manifest["spec"]["strategy"] =
        json!({"type": "RollingUpdate", "rollingUpdate": {"maxSurge": 1}});
    let live = live_deployment(&manifest);
    let mut updated = manifest.clone();
    updated["spec"]["strategy"] = json!({"type": "Recreate"});
    let (patch, result) = kubectl_apply("Deployment", Some(&manifest), &updated, &live);
    assert_eq!(
        patch["spec"],
        json!({"strategy": {"$retainKeys": ["type"], "rollingUpdate": null, "type": "Recreate"}})
    );
    assert_eq!(result["spec"]["strategy"], json!({"type": "Recreate"}));
}

#[test]
fn a_strategy_naming_only_its_type_asks_to_drop_defaulted_members() {
    // kubectl reports such Deployments "configured" on every apply: the
    // live strategy holds the defaulted rollingUpdate the manifest omits.
    let mut manifest = deployment_manifest();
    manifest["spec"]["strategy"] = json!({"type": "RollingUpdate"});
    let mut live = live_deployment(&manifest);
    live["spec"]["strategy"]["rollingUpdate"] = json!({"maxSurge": "25%", "maxUnavailable": "25%"});
    let patch = three_way("Deployment", Some(&manifest), &annotated(&manifest), &live).unwrap();
    assert_eq!(
        patch,
        json!({"spec": {"strategy": {"$retainKeys": ["type"]}}})
    );
}

#[test]
fn changing_a_volume_source_retains_the_new_source_only() {
    let mut manifest = deployment_manifest();
    manifest["spec"]["template"]["spec"]["volumes"] = json!([{"name": "data", "emptyDir": {}}]);
    let live = live_deployment(&manifest);
    let mut updated = manifest.clone();
    updated["spec"]["template"]["spec"]["volumes"] =
        json!([{"name": "data", "configMap": {"name": "settings"}}]);
    let (patch, result) = kubectl_apply("Deployment", Some(&manifest), &updated, &live);
    assert_eq!(
        patch["spec"]["template"]["spec"]["volumes"],
        json!([{"$retainKeys": ["configMap", "name"], "configMap": {"name": "settings"}, "emptyDir": null, "name": "data"}])
    );
    assert_eq!(
        result["spec"]["template"]["spec"]["volumes"],
        json!([{"name": "data", "configMap": {"name": "settings"}}])
    );
}

#[test]
fn without_last_applied_nothing_is_deleted() {
    // Created with `kubectl create`: kubectl warns and diffs against nothing.
    let manifest = deployment_manifest();
    let mut live = live_deployment(&manifest);
    live["metadata"]["annotations"]
        .as_object_mut()
        .unwrap()
        .remove(LAST_APPLIED);
    let mut updated = manifest.clone();
    updated["spec"]["template"]["spec"]["containers"][0]
        .as_object_mut()
        .unwrap()
        .remove("env");
    let (patch, result) = kubectl_apply("Deployment", None, &updated, &live);
    assert_eq!(
        patch,
        json!({"metadata": {"annotations": {LAST_APPLIED: annotation_of(&updated)}}})
    );
    assert_eq!(containers(&result)[0]["env"], containers(&live)[0]["env"]);
}

#[test]
fn finalizers_merge_as_a_set() {
    let mut manifest = deployment_manifest();
    manifest["metadata"]["finalizers"] = json!(["example.com/a", "example.com/b"]);
    let mut live = live_deployment(&manifest);
    live["metadata"]["finalizers"] = json!(["example.com/a", "example.com/b", "example.com/c"]);
    let mut updated = manifest.clone();
    updated["metadata"]["finalizers"] = json!(["example.com/b", "example.com/d"]);
    let (patch, result) = kubectl_apply("Deployment", Some(&manifest), &updated, &live);
    let meta = &patch["metadata"];
    assert_eq!(
        meta["$deleteFromPrimitiveList/finalizers"],
        json!(["example.com/a"])
    );
    assert_eq!(
        meta["$setElementOrder/finalizers"],
        json!(["example.com/b", "example.com/d"])
    );
    assert_eq!(meta["finalizers"], json!(["example.com/d"]));
    // c belongs to someone else and stays, after the items it followed.
    assert_eq!(
        result["metadata"]["finalizers"],
        json!(["example.com/b", "example.com/d", "example.com/c"])
    );
}

#[test]
fn an_unsorted_primitive_list_always_carries_its_order() {
    // Kubernetes compares the manifest's list with the live one sorted.
    let mut manifest = deployment_manifest();
    manifest["metadata"]["finalizers"] = json!(["z.io/last", "a.io/first"]);
    let live = live_deployment(&manifest);
    let patch = three_way("Deployment", Some(&manifest), &annotated(&manifest), &live).unwrap();
    assert_eq!(
        patch,
        json!({"metadata": {"$setElementOrder/finalizers": ["z.io/last", "a.io/first"]}})
    );
}

#[test]
fn reordering_containers_sends_only_the_order() {
    let manifest = deployment_manifest();
    let live = live_deployment(&manifest);
    let mut updated = manifest.clone();
    updated["spec"]["template"]["spec"]["containers"]
        .as_array_mut()
        .unwrap()
        .reverse();
    let (patch, result) = kubectl_apply("Deployment", Some(&manifest), &updated, &live);
    assert_eq!(
        patch["spec"],
        json!({"template": {"spec": {"$setElementOrder/containers": [{"name": "sidecar"}, {"name": "web"}]}}})
    );
    assert_eq!(containers(&result)[0]["name"], "sidecar");
}

fn service_manifest() -> Value {
    json!({
        "apiVersion": "v1", "kind": "Service",
        "metadata": {"name": "web", "namespace": "default"},
        "spec": {
            "type": "NodePort",
            "selector": {"app": "web"},
            "ports": [{"name": "http", "port": 80, "targetPort": 8080}]
        }
    })
}

fn live_service(manifest: &Value) -> Value {
    let mut live = annotated(manifest);
    live["metadata"]["uid"] = json!("svc-1");
    live["metadata"]["resourceVersion"] = json!("77");
    live["metadata"]["creationTimestamp"] = json!("2026-01-05T10:00:00Z");
    let spec = &mut live["spec"];
    spec["clusterIP"] = json!("10.96.12.34");
    spec["clusterIPs"] = json!(["10.96.12.34"]);
    spec["ipFamilies"] = json!(["IPv4"]);
    spec["ipFamilyPolicy"] = json!("SingleStack");
    spec["sessionAffinity"] = json!("None");
    spec["externalTrafficPolicy"] = json!("Cluster");
    spec["internalTrafficPolicy"] = json!("Cluster");
    for p in spec["ports"].as_array_mut().unwrap() {
        p["protocol"] = json!("TCP");
        p["nodePort"] = json!(31234);
    }
    live["status"] = json!({"loadBalancer": {}});
    live
}

#[test]
fn reapplying_a_service_keeps_allocated_ips_and_node_ports() {
    let manifest = service_manifest();
    let live = live_service(&manifest);
    let patch = three_way("Service", Some(&manifest), &annotated(&manifest), &live).unwrap();
    assert_eq!(patch, json!({}));
}

#[test]
fn changing_a_service_target_port_keeps_its_node_port() {
    let manifest = service_manifest();
    let live = live_service(&manifest);
    let mut updated = manifest.clone();
    updated["spec"]["ports"][0]["targetPort"] = json!(9090);
    let (patch, result) = kubectl_apply("Service", Some(&manifest), &updated, &live);
    assert_eq!(
        patch["spec"],
        json!({
            "$setElementOrder/ports": [{"port": 80}],
            "ports": [{"port": 80, "targetPort": 9090}]
        })
    );
    assert_eq!(
        result["spec"]["ports"],
        json!([{"name": "http", "port": 80, "targetPort": 9090, "protocol": "TCP", "nodePort": 31234}])
    );
    assert_eq!(result["spec"]["clusterIP"], "10.96.12.34");
}

#[test]
fn removing_a_config_map_key_sends_null() {
    let manifest = json!({
        "apiVersion": "v1", "kind": "ConfigMap",
        "metadata": {"name": "settings", "namespace": "default"},
        "data": {"mode": "prod", "level": "debug"}
    });
    let mut live = annotated(&manifest);
    live["metadata"]["uid"] = json!("cm-1");
    live["metadata"]["resourceVersion"] = json!("5");
    let mut updated = manifest.clone();
    updated["data"].as_object_mut().unwrap().remove("level");
    let (patch, result) = kubectl_apply("ConfigMap", Some(&manifest), &updated, &live);
    assert_eq!(
        patch,
        json!({
            "data": {"level": null},
            "metadata": {"annotations": {LAST_APPLIED: annotation_of(&updated)}}
        })
    );
    assert_eq!(result["data"], json!({"mode": "prod"}));
    assert_eq!(result["metadata"]["uid"], "cm-1");
}

#[test]
fn a_budget_selector_is_always_sent_whole() {
    // `patchStrategy:"replace"` maps go out even when unchanged, so kubectl
    // never reports a PodDisruptionBudget "unchanged".
    let manifest = json!({
        "apiVersion": "policy/v1", "kind": "PodDisruptionBudget",
        "metadata": {"name": "web"},
        "spec": {"minAvailable": 1, "selector": {"matchLabels": {"app": "web"}}}
    });
    let live = annotated(&manifest);
    let patch = three_way(
        "PodDisruptionBudget",
        Some(&manifest),
        &annotated(&manifest),
        &live,
    )
    .unwrap();
    assert_eq!(
        patch,
        json!({"spec": {"selector": {"matchLabels": {"app": "web"}}}})
    );
}

#[test]
fn list_items_without_their_merge_key_are_an_error() {
    let manifest = deployment_manifest();
    let live = live_deployment(&manifest);
    let mut broken = manifest.clone();
    broken["spec"]["template"]["spec"]["containers"][0]
        .as_object_mut()
        .unwrap()
        .remove("name");
    let err = three_way("Deployment", Some(&manifest), &annotated(&broken), &live).unwrap_err();
    assert!(
        matches!(err, PatchError::MissingMergeKey { ref key, .. } if key == "name"),
        "{err}"
    );
}

#[test]
fn documents_must_be_objects() {
    let err = three_way("ConfigMap", None, &json!([1]), &json!({})).unwrap_err();
    assert_eq!(
        err.to_string(),
        "json: cannot unmarshal array into Go value of type map[string]interface {}"
    );
}

// ---- properties ----

/// Scalars and small maps of scalars, the leaves of generated documents.
fn leaf() -> impl Strategy<Value = Value> {
    prop_oneof![
        (0i64..4).prop_map(Value::from),
        "[a-c]{1,2}".prop_map(Value::from),
        any::<bool>().prop_map(Value::from),
        prop::collection::vec("[a-c]", 0..3).prop_map(|v| json!(v)),
    ]
}

fn doc() -> impl Strategy<Value = Map<String, Value>> {
    let inner = prop::collection::btree_map("[p-s]", leaf(), 0..4)
        .prop_map(|m| Value::Object(m.into_iter().collect()));
    prop::collection::btree_map("[k-o]", prop_oneof![leaf(), inner], 0..5)
        .prop_map(|m| m.into_iter().collect())
}

/// `modified` plus every server-only field of `current`, which is what the
/// live object must look like after apply.
fn overlay(modified: &Value, server_only: &Map<String, Value>) -> Value {
    let mut out = modified.clone();
    for (k, v) in server_only {
        out[k] = v.clone();
    }
    out
}

fn env_list() -> impl Strategy<Value = Vec<Value>> {
    prop::collection::btree_map("[A-D]", "[0-2]", 0..4).prop_map(|m| {
        m.into_iter()
            .map(|(name, value)| json!({"name": name, "value": value}))
            .collect()
    })
}

fn container(name: &'static str) -> impl Strategy<Value = Value> {
    (
        "nginx:1\\.2[6-8]",
        env_list(),
        prop::collection::btree_set(prop::sample::select(vec![80, 443, 8080]), 0..3),
        prop::option::of(prop::collection::vec("[a-b]", 0..2)),
    )
        .prop_map(move |(image, env, ports, args)| {
            let mut c = json!({"name": name, "image": image});
            if !env.is_empty() {
                c["env"] = json!(env);
            }
            if !ports.is_empty() {
                c["ports"] = json!(ports
                    .iter()
                    .map(|p| json!({"containerPort": p}))
                    .collect::<Vec<_>>());
            }
            if let Some(args) = args {
                c["args"] = json!(args);
            }
            c
        })
}

/// Deployment manifests with merging lists at several depths. Finalizers
/// are kept sorted: unsorted ones always carry an order list (see above).
fn deployment() -> impl Strategy<Value = Value> {
    (
        prop::option::of(1i64..4),
        prop::collection::btree_map("[x-z]", "[0-1]", 0..3),
        prop::collection::btree_set(prop::sample::select(vec!["app", "log", "proxy"]), 1..3)
            .prop_map(|s| s.into_iter().collect::<Vec<_>>())
            .prop_shuffle(),
        prop::collection::btree_set("f[0-3]", 0..3),
        (container("app"), container("log"), container("proxy")),
        prop::option::of(prop_oneof![
            Just(json!({"type": "Recreate"})),
            Just(json!({"type": "RollingUpdate", "rollingUpdate": {"maxSurge": 1}})),
        ]),
    )
        .prop_map(|(replicas, labels, names, finalizers, (app, log, proxy), strategy)| {
            let pick = |n: &str| match n {
                "app" => app.clone(),
                "log" => log.clone(),
                _ => proxy.clone(),
            };
            let mut d = json!({
                "apiVersion": "apps/v1", "kind": "Deployment",
                "metadata": {"name": "web", "labels": labels},
                "spec": {"template": {"spec": {"containers": names.iter().map(|n| pick(n)).collect::<Vec<_>>()}}}
            });
            if !finalizers.is_empty() {
                d["metadata"]["finalizers"] = json!(finalizers);
            }
            if let Some(r) = replicas {
                d["spec"]["replicas"] = json!(r);
            }
            if let Some(s) = strategy {
                d["spec"]["strategy"] = s;
            }
            d
        })
}

fn server_fields() -> Map<String, Value> {
    let mut m = Map::new();
    m.insert(
        "status".into(),
        json!({"replicas": 3, "conditions": [{"type": "Available"}]}),
    );
    m
}

/// The live object: the last apply as stored, plus server metadata and status.
fn stored(last: &Value) -> Value {
    let mut live = annotated(last);
    live["metadata"]["uid"] = json!("u-1");
    live["metadata"]["resourceVersion"] = json!("9");
    overlay(&live, &server_fields())
}

proptest! {
    #[test]
    fn apply_reaches_the_manifest_and_keeps_server_fields(original in doc(), modified in doc()) {
        let named = |mut m: Map<String, Value>| {
            m.insert("metadata".into(), json!({"name": "x"}));
            Value::Object(m)
        };
        let (original, modified) = (named(original), named(modified));
        let current = stored(&original);
        let (patch, result) = kubectl_apply("ConfigMap", Some(&original), &modified, &current);
        let mut expected = overlay(&annotated(&modified), &server_fields());
        expected["metadata"]["uid"] = json!("u-1");
        expected["metadata"]["resourceVersion"] = json!("9");
        prop_assert_eq!(&result, &expected, "patch {}", patch);
        let again = three_way("ConfigMap", Some(&modified), &annotated(&modified), &result).unwrap();
        prop_assert_eq!(again, json!({}));
    }

    #[test]
    fn deployment_apply_reaches_the_manifest(original in deployment(), modified in deployment()) {
        let current = stored(&original);
        let (patch, result) = kubectl_apply("Deployment", Some(&original), &modified, &current);
        let mut expected = overlay(&annotated(&modified), &server_fields());
        expected["metadata"]["uid"] = json!("u-1");
        expected["metadata"]["resourceVersion"] = json!("9");
        prop_assert_eq!(&result, &expected, "patch {}", patch);
        let again = three_way("Deployment", Some(&modified), &annotated(&modified), &result).unwrap();
        prop_assert_eq!(again, json!({}));
    }

    #[test]
    fn fields_only_the_live_object_has_are_never_touched(original in deployment(), modified in deployment()) {
        let mut current = stored(&original);
        current["spec"]["paused"] = json!(true);
        current["metadata"]["annotations"]["owner.io/note"] = json!("kept");
        let (patch, result) = kubectl_apply("Deployment", Some(&original), &modified, &current);
        prop_assert_eq!(&result["spec"]["paused"], &json!(true), "patch {}", patch);
        prop_assert_eq!(&result["metadata"]["annotations"]["owner.io/note"], &json!("kept"));
        prop_assert_eq!(&result["status"], &current["status"]);
    }
}
