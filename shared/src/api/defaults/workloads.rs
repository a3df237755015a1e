//! Deployment and ReplicaSet defaults (apps/v1): replicas, rollout strategy,
//! history and progress deadline, and the pod template's spec.

use super::pod::apply_pod_spec;
use super::{child, default_field};
use serde_json::{json, Value};

fn apply_template(spec: &mut Value) {
    let template = child(spec, "template");
    apply_pod_spec(child(template, "spec"));
}

pub fn apply_deployment(d: &mut Value) {
    let spec = child(d, "spec");
    default_field(spec, "replicas", json!(1));
    let strategy = child(spec, "strategy");
    default_field(strategy, "type", json!("RollingUpdate"));
    if strategy.get("type").and_then(Value::as_str) == Some("RollingUpdate") {
        let ru = child(strategy, "rollingUpdate");
        default_field(ru, "maxUnavailable", json!("25%"));
        default_field(ru, "maxSurge", json!("25%"));
    }
    default_field(spec, "revisionHistoryLimit", json!(10));
    default_field(spec, "progressDeadlineSeconds", json!(600));
    apply_template(spec);
}

pub fn apply_replica_set(rs: &mut Value) {
    let spec = child(rs, "spec");
    default_field(spec, "replicas", json!(1));
    apply_template(spec);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::defaults::apply;
    use crate::api::resources::by_kind;

    #[test]
    fn seed_deployment_reads_back_like_a_cluster() {
        let mut d = json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "my-api"},
            "spec": {"replicas": 3, "selector": {"matchLabels": {"app": "my-api"}},
                "template": {"metadata": {"labels": {"app": "my-api"}}, "spec": {"containers": [{
                    "name": "api", "image": "myapp:1.0", "ports": [{"containerPort": 3000}],
                    "resources": {"requests": {"memory": "128Mi", "cpu": "100m"}, "limits": {"memory": "256Mi", "cpu": "500m"}}}]}}}});
        apply(by_kind("Deployment").unwrap(), &mut d);
        let spec = &d["spec"];
        assert_eq!(spec["replicas"], 3);
        assert_eq!(
            spec["strategy"],
            json!({"type": "RollingUpdate", "rollingUpdate": {"maxSurge": "25%", "maxUnavailable": "25%"}})
        );
        assert_eq!(spec["revisionHistoryLimit"], 10);
        assert_eq!(spec["progressDeadlineSeconds"], 600);
        let pod = &spec["template"]["spec"];
        assert_eq!(
            pod["containers"][0],
            json!({"name": "api", "image": "myapp:1.0", "imagePullPolicy": "IfNotPresent",
                "ports": [{"containerPort": 3000, "protocol": "TCP"}],
                "resources": {"requests": {"memory": "128Mi", "cpu": "100m"}, "limits": {"memory": "256Mi", "cpu": "500m"}},
                "terminationMessagePath": "/dev/termination-log", "terminationMessagePolicy": "File"})
        );
        assert_eq!(pod["restartPolicy"], "Always");
        assert_eq!(pod["dnsPolicy"], "ClusterFirst");
        assert!(pod.get("serviceAccountName").is_none());
    }

    #[test]
    fn recreate_gets_no_rolling_update_and_replicas_default_to_one() {
        let mut d = json!({"spec": {"strategy": {"type": "Recreate"}, "template": {"spec": {"containers": []}}}});
        apply_deployment(&mut d);
        assert_eq!(d["spec"]["strategy"], json!({"type": "Recreate"}));
        assert_eq!(d["spec"]["replicas"], 1);
        let mut rs = json!({"spec": {}});
        apply_replica_set(&mut rs);
        assert_eq!(rs["spec"]["replicas"], 1);
    }
}
