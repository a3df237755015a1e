//! Discovery documents (`/api`, `/apis`, `/api/v1`, `/version`): how kubectl
//! learns which resources exist, their short names and the `all` category.

use crate::api::resources::{Resource, RESOURCES};
use serde_json::{json, Value};

/// The Kubernetes version the playground reports (and behaves like).
pub const KUBERNETES_VERSION: (&str, &str) = ("1", "35");

pub fn version() -> Value {
    json!({
        "major": KUBERNETES_VERSION.0, "minor": KUBERNETES_VERSION.1,
        "emulationMajor": KUBERNETES_VERSION.0, "emulationMinor": KUBERNETES_VERSION.1,
        "gitVersion": format!("v{}.{}.0-kubeplay", KUBERNETES_VERSION.0, KUBERNETES_VERSION.1),
        "gitCommit": "0000000000000000000000000000000000000000", "gitTreeState": "clean",
        "buildDate": "2026-01-01T00:00:00Z", "goVersion": "go1.25", "compiler": "gc", "platform": "wasm/kubeplay",
    })
}

pub fn core_versions() -> Value {
    json!({"kind": "APIVersions", "versions": ["v1"], "serverAddressByClientCIDRs": [{"clientCIDR": "0.0.0.0/0", "serverAddress": "127.0.0.1:6443"}]})
}

pub fn groups() -> Value {
    let mut names: Vec<&str> = Vec::new();
    for r in RESOURCES.iter().filter(|r| !r.group.is_empty()) {
        if !names.contains(&r.group) {
            names.push(r.group);
        }
    }
    let groups: Vec<Value> = names
        .iter()
        .map(|g| {
            let versions: Vec<Value> = versions_of(g)
                .into_iter()
                .map(|v| json!({"groupVersion": format!("{g}/{v}"), "version": v}))
                .collect();
            json!({"name": g, "versions": versions, "preferredVersion": versions[0]})
        })
        .collect();
    json!({"kind": "APIGroupList", "apiVersion": "v1", "groups": groups})
}

fn versions_of(group: &str) -> Vec<&'static str> {
    let mut vs = Vec::new();
    for r in RESOURCES.iter().filter(|r| r.group == group) {
        if !vs.contains(&r.version) {
            vs.push(r.version);
        }
    }
    vs
}

/// Resources that `kubectl get all` lists.
fn categories(r: &Resource) -> Vec<&'static str> {
    match r.kind {
        "Pod" | "Service" | "Deployment" | "ReplicaSet" | "HorizontalPodAutoscaler" => vec!["all"],
        _ => vec![],
    }
}

fn verbs(r: &Resource) -> Vec<&'static str> {
    let mut v = vec!["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"];
    if r.kind == "Namespace" {
        v.retain(|x| *x != "deletecollection");
    }
    v
}

pub fn resource_list(group: &str, version: &str) -> Value {
    let group_version = if group.is_empty() { version.to_string() } else { format!("{group}/{version}") };
    let mut list = Vec::new();
    for r in RESOURCES.iter().filter(|r| r.group == group && r.version == version) {
        let mut entry = json!({
            "name": r.plural, "singularName": r.singular, "namespaced": r.namespaced,
            "kind": r.kind, "verbs": verbs(r),
        });
        if !r.short_names.is_empty() {
            entry["shortNames"] = json!(r.short_names);
        }
        let cats = categories(r);
        if !cats.is_empty() {
            entry["categories"] = json!(cats);
        }
        list.push(entry);
        for sub in r.subresources {
            let (kind, group, version, verbs): (&str, Option<&str>, Option<&str>, Vec<&str>) = match *sub {
                "scale" => ("Scale", Some("autoscaling"), Some("v1"), vec!["get", "patch", "update"]),
                "status" => (r.kind, None, None, vec!["get", "patch", "update"]),
                "log" => ("Pod", None, None, vec!["get"]),
                "exec" | "attach" | "portforward" => ("PodExecOptions", None, None, vec!["create", "get"]),
                "binding" => ("Binding", None, None, vec!["create"]),
                "eviction" => ("Eviction", Some("policy"), Some("v1"), vec!["create"]),
                "finalize" => (r.kind, None, None, vec!["update"]),
                _ => continue,
            };
            let mut e = json!({"name": format!("{}/{sub}", r.plural), "singularName": "", "namespaced": r.namespaced, "kind": kind, "verbs": verbs});
            if let (Some(g), Some(v)) = (group, version) {
                e["group"] = json!(g);
                e["version"] = json!(v);
            }
            list.push(e);
        }
    }
    json!({"kind": "APIResourceList", "apiVersion": "v1", "groupVersion": group_version, "resources": list})
}
