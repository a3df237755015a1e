//! Pod spec defaults (used by Pods and every pod template) and the Pod-only
//! defaults a cluster adds on create: requests from limits, service account,
//! priority, default tolerations, service links and the initial status.

use super::{child, default_field, each};
use crate::api::pod_spec::{volume_sources_set, APP_CONTAINER_LISTS, CONTAINER_LISTS};
use serde_json::{json, Map, Value};

/// The not-ready/unreachable tolerations the DefaultTolerationSeconds
/// admission plugin adds, 300 seconds each.
const DEFAULT_TOLERATION_KEYS: [&str; 2] = [
    "node.kubernetes.io/not-ready",
    "node.kubernetes.io/unreachable",
];

/// SetDefaults_PodSpec plus its containers, probes and volumes.
pub fn apply_pod_spec(spec: &mut Value) {
    default_field(spec, "dnsPolicy", json!("ClusterFirst"));
    default_field(spec, "restartPolicy", json!("Always"));
    default_field(spec, "terminationGracePeriodSeconds", json!(30));
    default_field(spec, "securityContext", json!({}));
    default_field(spec, "schedulerName", json!("default-scheduler"));
    for list in CONTAINER_LISTS {
        each(spec, list, apply_container);
    }
    each(spec, "volumes", apply_volume);
}

fn apply_container(c: &mut Value) {
    if c.get("imagePullPolicy").is_none_or(Value::is_null) {
        let image = c.get("image").and_then(Value::as_str).unwrap_or("");
        default_field(c, "imagePullPolicy", json!(pull_policy_for(image)));
    }
    default_field(c, "terminationMessagePath", json!("/dev/termination-log"));
    default_field(c, "terminationMessagePolicy", json!("File"));
    default_field(c, "resources", json!({}));
    each(c, "ports", |p| {
        default_field(p, "protocol", json!("TCP"));
    });
    each(c, "env", |e| {
        if let Some(fr) = e
            .get_mut("valueFrom")
            .and_then(|v| v.get_mut("fieldRef"))
            .filter(|v| v.is_object())
        {
            default_field(fr, "apiVersion", json!("v1"));
        }
    });
    for probe in ["livenessProbe", "readinessProbe", "startupProbe"] {
        if let Some(p) = c.get_mut(probe).filter(|v| v.is_object()) {
            default_field(p, "timeoutSeconds", json!(1));
            default_field(p, "periodSeconds", json!(10));
            default_field(p, "successThreshold", json!(1));
            default_field(p, "failureThreshold", json!(3));
            apply_http_get(p);
        }
    }
    if let Some(lc) = c.get_mut("lifecycle").filter(|v| v.is_object()) {
        for hook in ["postStart", "preStop"] {
            if let Some(h) = lc.get_mut(hook).filter(|v| v.is_object()) {
                apply_http_get(h);
            }
        }
    }
}

fn apply_http_get(handler: &mut Value) {
    if let Some(g) = handler.get_mut("httpGet").filter(|v| v.is_object()) {
        default_field(g, "path", json!("/"));
        default_field(g, "scheme", json!("HTTP"));
    }
}

/// `Always` for `:latest` or an untagged image, otherwise `IfNotPresent`
/// (a digest without a tag counts as pinned).
pub fn pull_policy_for(image: &str) -> &'static str {
    let (name, has_digest) = match image.split_once('@') {
        Some((n, _)) => (n, true),
        None => (image, false),
    };
    let last = name.rsplit('/').next().unwrap_or(name);
    let tag = last.split_once(':').map(|(_, t)| t);
    match tag {
        Some("latest") => "Always",
        Some(_) => "IfNotPresent",
        None if has_digest || image.is_empty() => "IfNotPresent",
        None => "Always",
    }
}

const VOLUME_SOURCES_WITH_MODE: [&str; 4] = ["secret", "configMap", "downwardAPI", "projected"];

fn apply_volume(v: &mut Value) {
    if volume_sources_set(v).next().is_none() {
        default_field(v, "emptyDir", json!({}));
    }
    for src in VOLUME_SOURCES_WITH_MODE {
        if let Some(s) = v.get_mut(src).filter(|x| x.is_object()) {
            default_field(s, "defaultMode", json!(420));
            each(s, "items", |item| {
                if let Some(fr) = item.get_mut("fieldRef").filter(|x| x.is_object()) {
                    default_field(fr, "apiVersion", json!("v1"));
                }
            });
            each(s, "sources", |ps| {
                if let Some(t) = ps.get_mut("serviceAccountToken").filter(|x| x.is_object()) {
                    default_field(t, "expirationSeconds", json!(3600));
                }
            });
        }
    }
    if let Some(hp) = v.get_mut("hostPath").filter(|x| x.is_object()) {
        default_field(hp, "type", json!(""));
    }
}

/// Everything a Pod gets on create: pod spec defaults plus the Pod-only ones.
pub fn apply_pod(pod: &mut Value) {
    let spec = child(pod, "spec");
    apply_pod_spec(spec);
    default_field(spec, "enableServiceLinks", json!(true));
    for list in APP_CONTAINER_LISTS {
        each(spec, list, requests_from_limits);
    }
    if spec.get("hostNetwork").and_then(Value::as_bool) == Some(true) {
        for list in APP_CONTAINER_LISTS {
            each(spec, list, |c| {
                each(c, "ports", |p| {
                    if let Some(cp) = p.get("containerPort").cloned() {
                        default_field(p, "hostPort", cp);
                    }
                })
            });
        }
    }
    apply_service_account(spec);
    if spec
        .get("priorityClassName")
        .and_then(Value::as_str)
        .is_none_or(str::is_empty)
    {
        default_field(spec, "priority", json!(0));
    }
    default_field(spec, "preemptionPolicy", json!("PreemptLowerPriority"));
    add_default_tolerations(spec);
    let qos = qos_class(spec);
    if pod
        .get("status")
        .is_none_or(|s| s.as_object().is_none_or(Map::is_empty))
    {
        pod["status"] = json!({"phase": "Pending", "qosClass": qos});
    }
}

/// Requests default to limits for each resource that has a limit only.
fn requests_from_limits(c: &mut Value) {
    let Some(limits) = c
        .pointer("/resources/limits")
        .and_then(Value::as_object)
        .cloned()
    else {
        return;
    };
    let requests = child(child(c, "resources"), "requests");
    for (k, v) in limits {
        default_field(requests, &k, v);
    }
}

/// `serviceAccountName` (and its deprecated twin `serviceAccount`) default to `default`.
fn apply_service_account(spec: &mut Value) {
    let given = ["serviceAccountName", "serviceAccount"]
        .iter()
        .find_map(|k| {
            spec.get(*k)
                .and_then(Value::as_str)
                .filter(|s| !s.is_empty())
        })
        .unwrap_or("default")
        .to_string();
    spec["serviceAccountName"] = json!(given);
    spec["serviceAccount"] = json!(given);
}

fn add_default_tolerations(spec: &mut Value) {
    let tolerations = default_field(spec, "tolerations", json!([]));
    let Some(list) = tolerations.as_array_mut() else {
        return;
    };
    for key in DEFAULT_TOLERATION_KEYS {
        let tolerated = list.iter().any(|t| {
            let key_ok = t
                .get("key")
                .and_then(Value::as_str)
                .is_none_or(|k| k.is_empty() || k == key);
            let effect_ok = t
                .get("effect")
                .and_then(Value::as_str)
                .is_none_or(|e| e.is_empty() || e == "NoExecute");
            let op = t.get("operator").and_then(Value::as_str).unwrap_or("Equal");
            key_ok
                && effect_ok
                && (op == "Exists" || t.get("key").and_then(Value::as_str) == Some(key))
        });
        if !tolerated {
            list.push(json!({"key": key, "operator": "Exists", "effect": "NoExecute", "tolerationSeconds": 300}));
        }
    }
}

/// The QoS class from cpu and memory requests and limits of all containers.
pub fn qos_class(spec: &Value) -> &'static str {
    let mut any = false;
    let mut guaranteed = true;
    for list in APP_CONTAINER_LISTS {
        for c in spec
            .get(list)
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let get = |kind: &str, r: &str| {
                c.pointer(&format!("/resources/{kind}/{r}"))
                    .and_then(Value::as_str)
                    .map(str::to_string)
            };
            for r in ["cpu", "memory"] {
                let (req, lim) = (get("requests", r), get("limits", r));
                if req.is_some() || lim.is_some() {
                    any = true;
                }
                let same = match (&req, &lim) {
                    (Some(a), Some(b)) => {
                        crate::api::quantity::Quantity::parse(a).ok()
                            == crate::api::quantity::Quantity::parse(b).ok()
                    }
                    _ => false,
                };
                if lim.is_none() || !same {
                    guaranteed = false;
                }
            }
        }
    }
    match (any, guaranteed) {
        (false, _) => "BestEffort",
        (true, true) => "Guaranteed",
        (true, false) => "Burstable",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pull_policy_follows_the_tag() {
        assert_eq!(pull_policy_for("nginx"), "Always");
        assert_eq!(pull_policy_for("nginx:latest"), "Always");
        assert_eq!(pull_policy_for("myapp:1.0"), "IfNotPresent");
        assert_eq!(pull_policy_for("localhost:5000/app"), "Always");
        assert_eq!(pull_policy_for("localhost:5000/app:2"), "IfNotPresent");
        assert_eq!(pull_policy_for("nginx@sha256:abc"), "IfNotPresent");
    }

    #[test]
    fn seed_pod_reads_back_like_a_cluster() {
        let mut pod = json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p", "namespace": "default"},
            "spec": {"containers": [{"name": "api", "image": "myapp:1.0",
                "livenessProbe": {"httpGet": {"path": "/health", "port": 3000}, "initialDelaySeconds": 10, "periodSeconds": 15},
                "resources": {"limits": {"cpu": "500m", "memory": "256Mi"}}}]}});
        apply_pod(&mut pod);
        let spec = &pod["spec"];
        let c = &spec["containers"][0];
        assert_eq!(c["imagePullPolicy"], "IfNotPresent");
        assert_eq!(c["terminationMessagePath"], "/dev/termination-log");
        assert_eq!(c["terminationMessagePolicy"], "File");
        assert_eq!(
            c["resources"]["requests"],
            json!({"cpu": "500m", "memory": "256Mi"})
        );
        assert_eq!(
            c["livenessProbe"],
            json!({"httpGet": {"path": "/health", "port": 3000, "scheme": "HTTP"}, "initialDelaySeconds": 10,
                "periodSeconds": 15, "timeoutSeconds": 1, "successThreshold": 1, "failureThreshold": 3})
        );
        assert_eq!(spec["dnsPolicy"], "ClusterFirst");
        assert_eq!(spec["restartPolicy"], "Always");
        assert_eq!(spec["schedulerName"], "default-scheduler");
        assert_eq!(spec["securityContext"], json!({}));
        assert_eq!(spec["terminationGracePeriodSeconds"], 30);
        assert_eq!(spec["enableServiceLinks"], true);
        assert_eq!(spec["serviceAccountName"], "default");
        assert_eq!(spec["serviceAccount"], "default");
        assert_eq!(spec["priority"], 0);
        assert_eq!(spec["preemptionPolicy"], "PreemptLowerPriority");
        assert_eq!(
            spec["tolerations"],
            json!([
                {"effect": "NoExecute", "key": "node.kubernetes.io/not-ready", "operator": "Exists", "tolerationSeconds": 300},
                {"effect": "NoExecute", "key": "node.kubernetes.io/unreachable", "operator": "Exists", "tolerationSeconds": 300}
            ])
        );
        assert_eq!(
            pod["status"],
            json!({"phase": "Pending", "qosClass": "Guaranteed"})
        );
    }

    #[test]
    fn templates_do_not_copy_limits_or_get_pod_only_fields() {
        let mut spec = json!({"containers": [{"name": "a", "image": "nginx", "resources": {"limits": {"cpu": "1"}}}]});
        apply_pod_spec(&mut spec);
        assert!(spec["containers"][0]["resources"].get("requests").is_none());
        assert!(spec.get("enableServiceLinks").is_none());
        assert!(spec.get("tolerations").is_none());
        assert_eq!(spec["containers"][0]["imagePullPolicy"], "Always");
    }

    #[test]
    fn existing_tolerations_are_respected() {
        let mut spec = json!({"tolerations": [{"key": "node.kubernetes.io/not-ready", "operator": "Exists", "effect": "NoExecute", "tolerationSeconds": 10}]});
        add_default_tolerations(&mut spec);
        assert_eq!(spec["tolerations"].as_array().unwrap().len(), 2);
        assert_eq!(spec["tolerations"][0]["tolerationSeconds"], 10);
    }

    #[test]
    fn volumes_get_modes_and_a_default_source() {
        let mut spec = json!({"containers": [], "volumes": [{"name": "a"}, {"name": "b", "secret": {"secretName": "s"}}, {"name": "c", "hostPath": {"path": "/x"}}]});
        apply_pod_spec(&mut spec);
        assert_eq!(spec["volumes"][0]["emptyDir"], json!({}));
        assert_eq!(spec["volumes"][1]["secret"]["defaultMode"], 420);
        assert_eq!(spec["volumes"][2]["hostPath"]["type"], "");
    }

    #[test]
    fn qos_classes() {
        assert_eq!(qos_class(&json!({"containers": [{}]})), "BestEffort");
        assert_eq!(
            qos_class(&json!({"containers": [{"resources": {"requests": {"cpu": "100m"}}}]})),
            "Burstable"
        );
    }
}
