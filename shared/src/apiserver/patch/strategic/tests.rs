//! Strategic merge patch as kubectl drives it: apply, set image, rollout,
//! label, and the status patches controllers send.

use super::*;
use proptest::prelude::*;
use serde_json::json;

fn smp(kind: &str, target: &Value, patch: Value) -> Result<Value, PatchError> {
    apply(kind, target, patch.to_string().as_bytes())
}

fn names(list: &Value) -> Vec<&str> {
    list.as_array()
        .unwrap()
        .iter()
        .map(|v| v["name"].as_str().unwrap())
        .collect()
}

fn deployment() -> Value {
    json!({
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {
            "name": "web", "namespace": "default", "uid": "d-1", "generation": 1,
            "labels": {"app": "web"},
            "annotations": {"deployment.kubernetes.io/revision": "1"}
        },
        "spec": {
            "replicas": 2,
            "selector": {"matchLabels": {"app": "web"}},
            "strategy": {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": "25%", "maxUnavailable": "25%"}},
            "template": {
                "metadata": {"labels": {"app": "web"}},
                "spec": {
                    "containers": [
                        {
                            "name": "web", "image": "nginx:1.26", "imagePullPolicy": "IfNotPresent",
                            "ports": [{"containerPort": 80, "protocol": "TCP"}],
                            "env": [{"name": "A", "value": "1"}, {"name": "B", "value": "2"}, {"name": "C", "value": "3"}],
                            "envFrom": [{"configMapRef": {"name": "base"}}]
                        },
                        {"name": "sidecar", "image": "busybox:1.36", "args": ["sleep", "3600"]}
                    ],
                    "volumes": [{"name": "data", "emptyDir": {}}],
                    "tolerations": [{"key": "a", "operator": "Exists"}],
                    "restartPolicy": "Always"
                }
            }
        },
        "status": {"replicas": 2, "conditions": [
            {"type": "Available", "status": "True"},
            {"type": "Progressing", "status": "True", "reason": "NewReplicaSetAvailable"}
        ]}
    })
}

fn pod_spec(d: &Value) -> &Value {
    &d["spec"]["template"]["spec"]
}

#[test]
fn apply_changes_the_image_of_one_container_among_two() {
    // kubectl apply after editing only the web container's image.
    let patch = json!({
        "metadata": {"annotations": {"kubectl.kubernetes.io/last-applied-configuration": "{}\n"}},
        "spec": {"template": {"spec": {
            "$setElementOrder/containers": [{"name": "web"}, {"name": "sidecar"}],
            "containers": [{"image": "nginx:1.27", "name": "web"}]
        }}}
    });
    let out = smp("Deployment", &deployment(), patch).unwrap();
    let containers = &pod_spec(&out)["containers"];
    assert_eq!(names(containers), ["web", "sidecar"]);
    assert_eq!(containers[0]["image"], "nginx:1.27");
    assert_eq!(
        containers[0]["env"],
        deployment()["spec"]["template"]["spec"]["containers"][0]["env"]
    );
    assert_eq!(
        containers[1],
        deployment()["spec"]["template"]["spec"]["containers"][1]
    );
    assert_eq!(
        out["metadata"]["annotations"]["deployment.kubernetes.io/revision"],
        "1"
    );
    assert_eq!(
        out["metadata"]["annotations"]["kubectl.kubernetes.io/last-applied-configuration"],
        "{}\n"
    );
}

#[test]
fn apply_removes_an_env_var_with_a_delete_item() {
    let patch = json!({"spec": {"template": {"spec": {
        "$setElementOrder/containers": [{"name": "web"}, {"name": "sidecar"}],
        "containers": [{
            "$setElementOrder/env": [{"name": "A"}, {"name": "C"}],
            "env": [{"$patch": "delete", "name": "B"}],
            "name": "web"
        }]
    }}}});
    let out = smp("Deployment", &deployment(), patch).unwrap();
    let web = &pod_spec(&out)["containers"][0];
    assert_eq!(
        web["env"],
        json!([{"name": "A", "value": "1"}, {"name": "C", "value": "3"}])
    );
    assert_eq!(web["image"], "nginx:1.26");
}

#[test]
fn set_element_order_reorders_and_keeps_server_only_items() {
    let mut live = deployment();
    // A container injected server-side (e.g. by a webhook) is not in the order list.
    live["spec"]["template"]["spec"]["containers"]
        .as_array_mut()
        .unwrap()
        .push(json!({"name": "proxy", "image": "envoy"}));
    let patch = json!({"spec": {"template": {"spec": {
        "$setElementOrder/containers": [{"name": "sidecar"}, {"name": "web"}]
    }}}});
    let out = smp("Deployment", &live, patch).unwrap();
    let containers = &pod_spec(&out)["containers"];
    assert_eq!(names(containers), ["sidecar", "web", "proxy"]);
    assert_eq!(containers[1]["image"], "nginx:1.26");
}

#[test]
fn set_element_order_places_a_new_item_where_apply_put_it() {
    let patch = json!({"spec": {"template": {"spec": {
        "$setElementOrder/containers": [{"name": "init-log"}, {"name": "web"}, {"name": "sidecar"}],
        "containers": [{"name": "init-log", "image": "fluent-bit"}]
    }}}});
    let out = smp("Deployment", &deployment(), patch).unwrap();
    assert_eq!(
        names(&pod_spec(&out)["containers"]),
        ["init-log", "web", "sidecar"]
    );
}

#[test]
fn env_order_follows_set_element_order_with_a_new_var() {
    let patch = json!({"spec": {"template": {"spec": {"containers": [{
        "name": "web",
        "$setElementOrder/env": [{"name": "C"}, {"name": "A"}, {"name": "B"}, {"name": "D"}],
        "env": [{"name": "D", "value": "4"}]
    }]}}}});
    let out = smp("Deployment", &deployment(), patch).unwrap();
    assert_eq!(
        names(&pod_spec(&out)["containers"][0]["env"]),
        ["C", "A", "B", "D"]
    );
}

#[test]
fn element_order_that_contradicts_the_patch_list_is_refused() {
    let patch = json!({"spec": {"template": {"spec": {
        "$setElementOrder/containers": [{"name": "web"}],
        "containers": [{"name": "sidecar", "image": "x"}]
    }}}});
    let err = smp("Deployment", &deployment(), patch).unwrap_err();
    assert!(matches!(err, PatchError::OrderMismatch { .. }), "{err}");
}

#[test]
fn set_image_merges_one_container_by_name() {
    // kubectl set image deployment/web sidecar=busybox:1.37
    let patch = json!({"spec": {"template": {"spec": {"containers": [{"image": "busybox:1.37", "name": "sidecar"}]}}}});
    let out = smp("Deployment", &deployment(), patch).unwrap();
    let containers = &pod_spec(&out)["containers"];
    assert_eq!(names(containers), ["web", "sidecar"]);
    assert_eq!(containers[1]["image"], "busybox:1.37");
    assert_eq!(containers[1]["args"], json!(["sleep", "3600"]));
}

#[test]
fn a_patch_without_element_order_puts_a_new_item_first() {
    // apimachinery orders patch items ahead of server items it cannot place.
    let patch =
        json!({"spec": {"template": {"spec": {"containers": [{"name": "new", "image": "x"}]}}}});
    let out = smp("Deployment", &deployment(), patch).unwrap();
    assert_eq!(
        names(&pod_spec(&out)["containers"]),
        ["new", "web", "sidecar"]
    );
}

#[test]
fn rollout_restart_adds_a_template_annotation() {
    let patch = json!({"spec": {"template": {"metadata": {"annotations": {
        "kubectl.kubernetes.io/restartedAt": "2026-01-01T00:00:00Z"
    }}}}});
    let out = smp("Deployment", &deployment(), patch).unwrap();
    assert_eq!(
        out["spec"]["template"]["metadata"]["labels"],
        json!({"app": "web"})
    );
    assert_eq!(
        out["spec"]["template"]["metadata"]["annotations"]["kubectl.kubernetes.io/restartedAt"],
        "2026-01-01T00:00:00Z"
    );
}

#[test]
fn rollout_pause_and_null_delete_fields() {
    let out = smp(
        "Deployment",
        &deployment(),
        json!({"spec": {"paused": true, "replicas": null}}),
    )
    .unwrap();
    assert_eq!(out["spec"]["paused"], true);
    assert!(out["spec"].get("replicas").is_none());
}

#[test]
fn retain_keys_switches_the_deployment_strategy() {
    let patch = json!({"spec": {"strategy": {"$retainKeys": ["type"], "type": "Recreate", "rollingUpdate": null}}});
    let out = smp("Deployment", &deployment(), patch).unwrap();
    assert_eq!(out["spec"]["strategy"], json!({"type": "Recreate"}));
}

#[test]
fn retain_keys_in_a_volume_swaps_its_source() {
    let patch = json!({"spec": {"template": {"spec": {
        "$setElementOrder/volumes": [{"name": "data"}],
        "volumes": [{"$retainKeys": ["configMap", "name"], "configMap": {"name": "cfg"}, "name": "data"}]
    }}}});
    let out = smp("Deployment", &deployment(), patch).unwrap();
    assert_eq!(
        pod_spec(&out)["volumes"],
        json!([{"name": "data", "configMap": {"name": "cfg"}}])
    );
}

#[test]
fn atomic_lists_are_replaced() {
    let patch = json!({"spec": {"template": {"spec": {
        "tolerations": [{"key": "b", "operator": "Exists"}],
        "containers": [{"name": "web", "envFrom": [{"secretRef": {"name": "s"}}], "args": ["-x"]}]
    }}}});
    let out = smp("Deployment", &deployment(), patch).unwrap();
    assert_eq!(
        pod_spec(&out)["tolerations"],
        json!([{"key": "b", "operator": "Exists"}])
    );
    assert_eq!(
        pod_spec(&out)["containers"][0]["envFrom"],
        json!([{"secretRef": {"name": "s"}}])
    );
    assert_eq!(pod_spec(&out)["containers"][0]["args"], json!(["-x"]));
}

#[test]
fn container_ports_merge_by_container_port() {
    let patch = json!({"spec": {"template": {"spec": {"containers": [{
        "name": "web",
        "ports": [{"containerPort": 80, "name": "http"}, {"containerPort": 443}]
    }]}}}});
    let out = smp("Deployment", &deployment(), patch).unwrap();
    let ports = &pod_spec(&out)["containers"][0]["ports"];
    assert_eq!(
        ports,
        &json!([{"containerPort": 80, "protocol": "TCP", "name": "http"}, {"containerPort": 443}])
    );
}

fn service() -> Value {
    json!({
        "apiVersion": "v1", "kind": "Service",
        "metadata": {"name": "web"},
        "spec": {
            "type": "ClusterIP", "clusterIP": "10.96.0.10", "selector": {"app": "web"},
            "ports": [
                {"name": "http", "port": 80, "protocol": "TCP", "targetPort": 8080},
                {"name": "https", "port": 443, "protocol": "TCP", "targetPort": 8443}
            ]
        }
    })
}

#[test]
fn service_ports_merge_by_port() {
    let patch = json!({"spec": {
        "$setElementOrder/ports": [{"port": 80}, {"port": 443}],
        "ports": [{"port": 80, "targetPort": 9090}]
    }});
    let out = smp("Service", &service(), patch).unwrap();
    assert_eq!(
        out["spec"]["ports"][0],
        json!({"name": "http", "port": 80, "protocol": "TCP", "targetPort": 9090})
    );
    assert_eq!(out["spec"]["ports"][1], service()["spec"]["ports"][1]);
    assert_eq!(out["spec"]["clusterIP"], "10.96.0.10");
}

#[test]
fn service_port_number_change_deletes_the_old_entry() {
    // kubectl apply after changing port 80 to 8080.
    let patch = json!({"spec": {
        "$setElementOrder/ports": [{"port": 8080}, {"port": 443}],
        "ports": [
            {"name": "http", "port": 8080, "protocol": "TCP", "targetPort": 8080},
            {"$patch": "delete", "port": 80}
        ]
    }});
    let out = smp("Service", &service(), patch).unwrap();
    let ports: Vec<i64> = out["spec"]["ports"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["port"].as_i64().unwrap())
        .collect();
    assert_eq!(ports, [8080, 443]);
    assert_eq!(out["spec"]["ports"][0]["name"], "http");
}

#[test]
fn finalizers_merge_as_a_set_with_parallel_lists() {
    let live = json!({"metadata": {"name": "x", "finalizers": ["a", "b", "server"]}});
    let patch = json!({"metadata": {
        "$setElementOrder/finalizers": ["a", "c"],
        "$deleteFromPrimitiveList/finalizers": ["b"],
        "finalizers": ["c"]
    }});
    let out = smp("ConfigMap", &live, patch).unwrap();
    assert_eq!(out["metadata"]["finalizers"], json!(["a", "c", "server"]));
}

#[test]
fn finalizer_added_by_a_plain_patch_is_not_duplicated() {
    let live = json!({"metadata": {"finalizers": ["a"]}});
    let out = smp(
        "Pod",
        &live,
        json!({"metadata": {"finalizers": ["a", "b"]}}),
    )
    .unwrap();
    let finalizers = out["metadata"]["finalizers"].as_array().unwrap();
    assert_eq!(finalizers.len(), 2);
    assert!(finalizers.contains(&json!("b")));
}

#[test]
fn owner_references_merge_by_uid() {
    let live =
        json!({"metadata": {"ownerReferences": [{"uid": "1", "kind": "ReplicaSet", "name": "a"}]}});
    let patch = json!({"metadata": {"ownerReferences": [{"uid": "1", "controller": true}, {"uid": "2", "name": "b"}]}});
    let out = smp("Pod", &live, patch).unwrap();
    assert_eq!(
        out["metadata"]["ownerReferences"],
        json!([{"uid": "1", "kind": "ReplicaSet", "name": "a", "controller": true}, {"uid": "2", "name": "b"}])
    );
}

#[test]
fn status_conditions_merge_by_type() {
    let patch = json!({"status": {"conditions": [{"type": "Progressing", "status": "False", "reason": "Stalled"}]}});
    let out = smp("Deployment", &deployment(), patch).unwrap();
    let conditions = &out["status"]["conditions"];
    assert_eq!(conditions.as_array().unwrap().len(), 2);
    assert!(conditions
        .as_array()
        .unwrap()
        .contains(&json!({"type": "Available", "status": "True"})));
    assert!(conditions
        .as_array()
        .unwrap()
        .contains(&json!({"type": "Progressing", "status": "False", "reason": "Stalled"})));
}

#[test]
fn node_addresses_merge_by_type_and_taints_are_replaced() {
    let live = json!({
        "spec": {"taints": [{"key": "a", "effect": "NoSchedule"}], "podCIDRs": ["10.0.0.0/24"]},
        "status": {"addresses": [{"type": "InternalIP", "address": "10.0.0.1"}, {"type": "Hostname", "address": "n1"}]}
    });
    let patch = json!({
        "spec": {"taints": [{"key": "b", "effect": "NoExecute"}]},
        "status": {"addresses": [{"type": "InternalIP", "address": "10.0.0.2"}]}
    });
    let out = smp("Node", &live, patch).unwrap();
    assert_eq!(
        out["spec"]["taints"],
        json!([{"key": "b", "effect": "NoExecute"}])
    );
    assert_eq!(
        out["status"]["addresses"][0],
        json!({"type": "InternalIP", "address": "10.0.0.2"})
    );
    assert_eq!(
        out["status"]["addresses"][1],
        json!({"type": "Hostname", "address": "n1"})
    );
}

#[test]
fn replace_directive_on_a_map_replaces_it() {
    let patch = json!({"metadata": {"labels": {"$patch": "replace", "only": "this"}}});
    let out = smp("Deployment", &deployment(), patch).unwrap();
    assert_eq!(out["metadata"]["labels"], json!({"only": "this"}));
    assert_eq!(out["metadata"]["name"], "web");
}

#[test]
fn delete_directive_on_a_map_empties_it() {
    let out = smp(
        "Deployment",
        &deployment(),
        json!({"spec": {"selector": {"$patch": "delete"}}}),
    )
    .unwrap();
    assert_eq!(out["spec"]["selector"], json!({}));
}

#[test]
fn replace_directive_in_a_list_replaces_the_list() {
    let patch = json!({"spec": {"template": {"spec": {"containers": [
        {"$patch": "replace"},
        {"name": "only", "image": "x"}
    ]}}}});
    let out = smp("Deployment", &deployment(), patch).unwrap();
    assert_eq!(
        pod_spec(&out)["containers"],
        json!([{"name": "only", "image": "x"}])
    );
}

#[test]
fn merge_directive_is_refused_as_kubernetes_does() {
    let err = smp(
        "Deployment",
        &deployment(),
        json!({"metadata": {"labels": {"$patch": "merge", "a": "b"}}}),
    )
    .unwrap_err();
    assert!(matches!(err, PatchError::UnknownDirective { .. }), "{err}");
    let err = smp(
        "Deployment",
        &deployment(),
        json!({"spec": {"template": {"spec": {"containers": [{"name": "web", "$patch": "merge"}]}}}}),
    )
    .unwrap_err();
    assert_eq!(err, PatchError::ListMergeDirective);
}

#[test]
fn list_item_without_its_merge_key_is_an_error() {
    let patch = json!({"spec": {"template": {"spec": {"containers": [{"image": "nginx:1.27"}]}}}});
    let err = smp("Deployment", &deployment(), patch).unwrap_err();
    assert_eq!(
        err.to_string(),
        "map: map[image:nginx:1.27] does not contain declared merge key: name"
    );
}

#[test]
fn malformed_parallel_keys_are_bad_requests() {
    let live = json!({"metadata": {"name": "p"}});
    let err = smp(
        "Pod",
        &live,
        json!({"metadata": {"$deleteFromPrimitiveListX": ["a"]}}),
    )
    .unwrap_err();
    assert_eq!(err, PatchError::BadPrimitiveListFormat);
    let err = smp(
        "Pod",
        &live,
        json!({"metadata": {"$setElementOrder": ["a"]}}),
    )
    .unwrap_err();
    assert_eq!(err, PatchError::BadSetElementOrderFormat);
}

#[test]
fn lists_of_lists_are_refused_where_lists_merge() {
    let live = json!({"metadata": {"finalizers": ["a"]}});
    let err = smp("Pod", &live, json!({"metadata": {"finalizers": [["b"]]}})).unwrap_err();
    assert_eq!(err, PatchError::ListOfLists);
}

#[test]
fn new_fields_arrive_without_directives() {
    let live = json!({"metadata": {"name": "p"}, "spec": {}});
    let patch = json!({"spec": {
        "$setElementOrder/containers": [{"name": "a"}],
        "containers": [{"name": "a", "$setElementOrder/env": [{"name": "X"}], "env": [{"name": "X", "value": "1"}]}],
        "volumes": [{"name": "gone", "$patch": "delete"}],
        "securityContext": {"$retainKeys": ["runAsUser"], "runAsUser": 1000}
    }});
    let out = smp("Pod", &live, patch).unwrap();
    assert_eq!(
        out["spec"],
        json!({
            "containers": [{"name": "a", "env": [{"name": "X", "value": "1"}]}],
            "volumes": [],
            "securityContext": {"runAsUser": 1000}
        })
    );
}

#[test]
fn budget_selector_is_replaced_not_merged() {
    let live = json!({"spec": {"selector": {"matchLabels": {"app": "a", "tier": "x"}}, "minAvailable": 1}});
    let patch = json!({"spec": {"selector": {"matchLabels": {"app": "b"}}}});
    let out = smp("PodDisruptionBudget", &live, patch).unwrap();
    assert_eq!(
        out["spec"]["selector"],
        json!({"matchLabels": {"app": "b"}})
    );
}

#[test]
fn null_and_empty_bodies_change_nothing() {
    assert_eq!(
        apply("Deployment", &deployment(), b"null").unwrap(),
        deployment()
    );
    assert_eq!(
        apply("Deployment", &deployment(), b"{}").unwrap(),
        deployment()
    );
}

fn has_directive_key(v: &Value) -> bool {
    match v {
        Value::Object(map) => map
            .iter()
            .any(|(k, v)| k.starts_with('$') || has_directive_key(v)),
        Value::Array(items) => items.iter().any(has_directive_key),
        _ => false,
    }
}

/// Patch fragments built from the field names and directives kubectl uses,
/// so generated patches hit the merge-key and directive paths.
fn patch_value() -> impl Strategy<Value = Value> {
    let key = prop_oneof![
        Just("$patch"),
        Just("$retainKeys"),
        Just("$setElementOrder/containers"),
        Just("$setElementOrder/env"),
        Just("$deleteFromPrimitiveList/finalizers"),
        Just("$unknown"),
        Just("name"),
        Just("image"),
        Just("containers"),
        Just("env"),
        Just("finalizers"),
        Just("value"),
        Just("spec"),
        Just("template"),
        Just("metadata"),
    ];
    let leaf = prop_oneof![
        Just(json!("replace")),
        Just(json!("delete")),
        Just(json!("web")),
        Just(json!("sidecar")),
        Just(json!("A")),
        Just(Value::Null),
        any::<u8>().prop_map(|n| json!(n)),
    ];
    leaf.prop_recursive(5, 48, 4, move |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..3).prop_map(Value::Array),
            prop::collection::btree_map(key.clone(), inner, 0..4).prop_map(|m| Value::Object(
                m.into_iter().map(|(k, v)| (k.to_string(), v)).collect()
            )),
        ]
    })
}

/// Values without `$` keys and without nulls, like stored objects.
fn plain_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        any::<bool>().prop_map(Value::Bool),
        any::<i16>().prop_map(|n| json!(n)),
        "[a-c]{0,2}".prop_map(Value::String)
    ];
    leaf.prop_recursive(4, 32, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..3).prop_map(Value::Array),
            prop::collection::btree_map("[a-d]", inner, 0..4)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

proptest! {
    #[test]
    fn results_never_hold_directive_keys(patch in patch_value(), wrap in 0usize..3) {
        let patch = match wrap {
            0 => json!({"spec": {"template": {"spec": patch}}}),
            1 => json!({"metadata": patch}),
            _ => json!({"spec": {"template": {"spec": {"containers": [{"name": "web", "env": patch}]}}}}),
        };
        if let Ok(out) = smp("Deployment", &deployment(), patch) {
            prop_assert!(!has_directive_key(&out), "{}", out);
        }
    }

    #[test]
    fn top_level_directive_patches_never_leak(patch in patch_value()) {
        if let Ok(out) = smp("Pod", &deployment(), patch) {
            prop_assert!(!has_directive_key(&out), "{}", out);
        }
    }

    #[test]
    fn without_merge_lists_it_agrees_with_json_merge_patch(
        target in prop::collection::btree_map("[a-d]", plain_value(), 0..4),
        patch in prop::collection::btree_map("[a-d]", prop_oneof![plain_value(), Just(Value::Null)], 0..4),
    ) {
        let target = Value::Object(target.into_iter().collect());
        let patch = Value::Object(patch.into_iter().collect());
        let strategic = smp("ConfigMap", &target, patch.clone()).unwrap();
        prop_assert_eq!(strategic, crate::apiserver::patch::merge::merge(&target, &patch));
    }

    #[test]
    fn merging_containers_keeps_every_name_once(
        picks in prop::collection::vec((0usize..4, "[a-z]{1,3}"), 0..6),
    ) {
        let pool = ["web", "sidecar", "log", "proxy"];
        let items: Vec<Value> = picks.iter().map(|(i, image)| json!({"name": pool[*i], "image": image})).collect();
        let patch = json!({"spec": {"template": {"spec": {"containers": items}}}});
        let out = smp("Deployment", &deployment(), patch).unwrap();
        let mut got = names(&pod_spec(&out)["containers"]);
        got.sort_unstable();
        let mut want: Vec<&str> = ["web", "sidecar"].into_iter().chain(picks.iter().map(|(i, _)| pool[*i])).collect();
        want.sort_unstable();
        want.dedup();
        prop_assert_eq!(got, want);
    }
}
