//! Deployment and ReplicaSet validation: replicas, selector versus template
//! labels, rollout strategy, and the immutable selector.

use super::metadata::{validate_object_meta, validate_object_meta_update};
use super::pod::validate_pod_template_spec;
use super::read::{
    int_at, int_or_string_literal, label_selector_literal, obj_at, string_at, string_map_literal,
};
use super::selector::{selector_is_empty, selector_matches, validate_label_selector};
use super::{FieldError, FieldPath};
use crate::api::names;
use serde_json::Value;

fn spec(obj: &Value) -> &Value {
    obj.get("spec").unwrap_or(&Value::Null)
}

fn nonnegative(v: Option<i64>, path: FieldPath) -> Option<FieldError> {
    v.filter(|n| *n < 0)
        .map(|n| FieldError::invalid(path, n, "must be greater than or equal to 0"))
}

/// Selector checks and the template (which must carry the selected labels,
/// restart Always and no activeDeadlineSeconds), for ReplicaSets and Deployments.
fn validate_selector_and_template(spec: &Value, path: &FieldPath, kind: &str) -> Vec<FieldError> {
    let mut errs = Vec::new();
    let selector = spec.get("selector").filter(|v| !v.is_null());
    match selector {
        None => errs.push(FieldError::required(path.child("selector"), "")),
        Some(sel) => {
            errs.extend(validate_label_selector(sel, &path.child("selector")));
            if selector_is_empty(sel) {
                errs.push(FieldError::invalid_literal(
                    path.child("selector"),
                    label_selector_literal(sel),
                    format!("empty selector is invalid for {kind}"),
                ));
            }
        }
    }
    let tpath = path.child("template");
    let Some(template) = spec.get("template").filter(|v| !v.is_null()) else {
        errs.push(FieldError::required(tpath, ""));
        return errs;
    };
    let labels = template.get("metadata").and_then(|m| obj_at(m, "labels"));
    if let Some(sel) = selector.filter(|s| !selector_is_empty(s)) {
        if !selector_matches(sel, labels) {
            errs.push(FieldError::invalid_literal(
                tpath.child("metadata").child("labels"),
                string_map_literal(labels),
                "`selector` does not match template `labels`",
            ));
        }
    }
    errs.extend(validate_pod_template_spec(template, &tpath));
    let tspec = template.get("spec").unwrap_or(&Value::Null);
    let restart = string_at(tspec, "restartPolicy");
    if restart != "Always" {
        errs.push(FieldError::not_supported(
            tpath.child("spec").child("restartPolicy"),
            restart,
            &["Always"],
        ));
    }
    if tspec
        .get("activeDeadlineSeconds")
        .is_some_and(|v| !v.is_null())
    {
        errs.push(FieldError::forbidden(
            tpath.child("spec").child("activeDeadlineSeconds"),
            "activeDeadlineSeconds in ReplicaSet is not Supported",
        ));
    }
    errs
}

pub fn validate_replica_set(rs: &Value) -> Vec<FieldError> {
    let mut errs = validate_object_meta(rs, true, names::name_is_dns_subdomain);
    let s = spec(rs);
    let path = FieldPath::root("spec");
    errs.extend(nonnegative(int_at(s, "replicas"), path.child("replicas")));
    errs.extend(nonnegative(
        int_at(s, "minReadySeconds"),
        path.child("minReadySeconds"),
    ));
    errs.extend(validate_selector_and_template(s, &path, "replicaset"));
    errs
}

pub fn validate_deployment(d: &Value) -> Vec<FieldError> {
    let mut errs = validate_object_meta(d, true, names::name_is_dns_subdomain);
    let s = spec(d);
    let path = FieldPath::root("spec");
    errs.extend(nonnegative(int_at(s, "replicas"), path.child("replicas")));
    errs.extend(validate_selector_and_template(s, &path, "deployment"));
    errs.extend(validate_strategy(
        s.get("strategy").unwrap_or(&Value::Null),
        &path.child("strategy"),
    ));
    let min_ready = int_at(s, "minReadySeconds").unwrap_or(0);
    errs.extend(nonnegative(Some(min_ready), path.child("minReadySeconds")));
    errs.extend(nonnegative(
        int_at(s, "revisionHistoryLimit"),
        path.child("revisionHistoryLimit"),
    ));
    if let Some(pds) = int_at(s, "progressDeadlineSeconds") {
        errs.extend(nonnegative(
            Some(pds),
            path.child("progressDeadlineSeconds"),
        ));
        if pds <= min_ready {
            errs.push(FieldError::invalid(
                path.child("progressDeadlineSeconds"),
                pds,
                "must be greater than minReadySeconds",
            ));
        }
    }
    errs
}

fn validate_strategy(strategy: &Value, path: &FieldPath) -> Vec<FieldError> {
    let rolling = strategy.get("rollingUpdate").filter(|v| !v.is_null());
    match string_at(strategy, "type") {
        "Recreate" => rolling
            .map(|_| {
                FieldError::forbidden(
                    path.child("rollingUpdate"),
                    "may not be specified when strategy `type` is 'Recreate'",
                )
            })
            .into_iter()
            .collect(),
        "RollingUpdate" => match rolling {
            None => vec![FieldError::required(
                path.child("rollingUpdate"),
                "this should be defaulted and never be nil",
            )],
            Some(ru) => validate_rolling_update(ru, &path.child("rollingUpdate")),
        },
        other => {
            let ru = if rolling.is_some() {
                "(*apps.RollingUpdateDeployment)(…)"
            } else {
                "(*apps.RollingUpdateDeployment)(nil)"
            };
            vec![FieldError::not_supported_literal(
                path,
                format!("apps.DeploymentStrategy{{Type:{other:?}, RollingUpdate:{ru}}}"),
                &["Recreate", "RollingUpdate"],
            )]
        }
    }
}

/// The integer value of an int-or-percent, and whether it was a percent.
fn int_or_percent(v: Option<&Value>) -> (i64, bool) {
    match v {
        Some(Value::String(s)) => (s.trim_end_matches('%').parse().unwrap_or(0), true),
        Some(n) => (n.as_i64().unwrap_or(0), false),
        None => (0, false),
    }
}

fn validate_rolling_update(ru: &Value, path: &FieldPath) -> Vec<FieldError> {
    let mut errs = Vec::new();
    for key in ["maxUnavailable", "maxSurge"] {
        let Some(v) = ru.get(key) else { continue };
        match v {
            Value::String(s) => {
                for msg in names::is_valid_percent(s) {
                    errs.push(FieldError::invalid_literal(
                        path.child(key),
                        int_or_string_literal(v),
                        msg,
                    ));
                }
            }
            n => errs.extend(nonnegative(n.as_i64(), path.child(key))),
        }
    }
    let (unavailable, unavailable_pct) = int_or_percent(ru.get("maxUnavailable"));
    let (surge, _) = int_or_percent(ru.get("maxSurge"));
    if unavailable == 0 && surge == 0 {
        errs.push(FieldError::invalid_literal(
            path.child("maxUnavailable"),
            int_or_string_literal(ru.get("maxUnavailable").unwrap_or(&Value::Null)),
            "may not be 0 when `maxSurge` is 0",
        ));
    }
    if unavailable_pct && unavailable > 100 {
        errs.push(FieldError::invalid_literal(
            path.child("maxUnavailable"),
            int_or_string_literal(ru.get("maxUnavailable").unwrap_or(&Value::Null)),
            "must not be greater than 100%",
        ));
    }
    errs
}

/// The selector of apps/v1 workloads cannot change after creation.
fn validate_selector_unchanged(new: &Value, old: &Value) -> Vec<FieldError> {
    let (ns, os) = (spec(new).get("selector"), spec(old).get("selector"));
    if ns == os {
        return Vec::new();
    }
    vec![FieldError::invalid_literal(
        "spec.selector",
        label_selector_literal(ns.unwrap_or(&Value::Null)),
        "field is immutable",
    )]
}

pub fn validate_deployment_update(new: &Value, old: &Value) -> Vec<FieldError> {
    let mut errs = validate_object_meta_update(new, old);
    errs.extend(validate_deployment(new));
    errs.extend(validate_selector_unchanged(new, old));
    errs
}

pub fn validate_replica_set_update(new: &Value, old: &Value) -> Vec<FieldError> {
    let mut errs = validate_object_meta_update(new, old);
    errs.extend(validate_replica_set(new));
    errs.extend(validate_selector_unchanged(new, old));
    errs
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::validation::test_support::{defaulted, messages};
    use serde_json::json;

    fn seed_deployment() -> Value {
        defaulted(json!({"apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": {"name": "my-api", "namespace": "default"},
            "spec": {"replicas": 3, "selector": {"matchLabels": {"app": "my-api"}},
                "template": {"metadata": {"labels": {"app": "my-api"}}, "spec": {"containers": [{
                    "name": "api", "image": "myapp:1.0", "ports": [{"containerPort": 3000}],
                    "env": [{"name": "DATABASE_URL", "value": "postgres://user:pass@db-service:5432/mydb"}],
                    "resources": {"requests": {"memory": "128Mi", "cpu": "100m"}, "limits": {"memory": "256Mi", "cpu": "500m"}}}]}}}}))
    }

    fn errors(d: &Value) -> Vec<String> {
        messages(&validate_deployment(d))
    }

    #[test]
    fn seed_deployment_is_valid() {
        assert_eq!(errors(&seed_deployment()), Vec::<String>::new());
    }

    #[test]
    fn selector_must_match_template_labels() {
        let mut d = seed_deployment();
        d["spec"]["template"]["metadata"]["labels"] = json!({"app": "x"});
        assert_eq!(
            errors(&d),
            vec![
                r#"spec.template.metadata.labels: Invalid value: map[string]string{"app":"x"}: `selector` does not match template `labels`"#
            ]
        );
    }

    #[test]
    fn image_is_required_in_templates() {
        let mut d = seed_deployment();
        d["spec"]["template"]["spec"]["containers"][0]
            .as_object_mut()
            .unwrap()
            .remove("image");
        assert_eq!(
            errors(&d),
            vec!["spec.template.spec.containers[0].image: Required value"]
        );
    }

    #[test]
    fn bad_name_replicas_and_restart_policy() {
        let mut d = seed_deployment();
        d["metadata"]["name"] = json!("My_API");
        d["spec"]["replicas"] = json!(-1);
        d["spec"]["template"]["spec"]["restartPolicy"] = json!("Never");
        assert_eq!(
            errors(&d),
            vec![
                r#"metadata.name: Invalid value: "My_API": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')"#,
                "spec.replicas: Invalid value: -1: must be greater than or equal to 0",
                r#"spec.template.spec.restartPolicy: Unsupported value: "Never": supported values: "Always""#,
            ]
        );
    }

    #[test]
    fn missing_and_empty_selectors() {
        let mut d = seed_deployment();
        d["spec"]["selector"] = json!({});
        assert_eq!(
            errors(&d),
            vec!["spec.selector: Invalid value: v1.LabelSelector{MatchLabels:map[string]string(nil), MatchExpressions:[]v1.LabelSelectorRequirement(nil)}: empty selector is invalid for deployment"]
        );
        d["spec"].as_object_mut().unwrap().remove("selector");
        assert_eq!(errors(&d), vec!["spec.selector: Required value"]);
    }

    #[test]
    fn rolling_update_may_not_be_all_zero() {
        let mut d = seed_deployment();
        d["spec"]["strategy"]["rollingUpdate"] = json!({"maxUnavailable": 0, "maxSurge": 0});
        assert_eq!(
            errors(&d),
            vec![
                r#"spec.strategy.rollingUpdate.maxUnavailable: Invalid value: intstr.IntOrString{Type:0, IntVal:0, StrVal:""}: may not be 0 when `maxSurge` is 0"#
            ]
        );
    }

    #[test]
    fn progress_deadline_must_exceed_min_ready() {
        let mut d = seed_deployment();
        d["spec"]["minReadySeconds"] = json!(600);
        assert_eq!(errors(&d), vec!["spec.progressDeadlineSeconds: Invalid value: 600: must be greater than minReadySeconds"]);
    }

    #[test]
    fn selector_is_immutable() {
        let old = seed_deployment();
        let mut new = old.clone();
        new["spec"]["selector"] = json!({"matchLabels": {"app": "y"}});
        new["spec"]["template"]["metadata"]["labels"] = json!({"app": "y"});
        let errs = messages(&validate_deployment_update(&new, &old));
        assert_eq!(
            errs,
            vec![
                r#"spec.selector: Invalid value: v1.LabelSelector{MatchLabels:map[string]string{"app":"y"}, MatchExpressions:[]v1.LabelSelectorRequirement(nil)}: field is immutable"#
            ]
        );
        let mut scaled = old.clone();
        scaled["spec"]["replicas"] = json!(5);
        assert!(validate_deployment_update(&scaled, &old).is_empty());
    }

    #[test]
    fn replica_set_needs_a_selector() {
        let rs = defaulted(
            json!({"apiVersion": "apps/v1", "kind": "ReplicaSet", "metadata": {"name": "r", "namespace": "default"},
            "spec": {"template": {"metadata": {"labels": {"app": "a"}}, "spec": {"containers": [{"name": "a", "image": "x"}]}}}}),
        );
        let errs = messages(&validate_replica_set(&rs));
        assert_eq!(errs, vec!["spec.selector: Required value"]);
    }
}
