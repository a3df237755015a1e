//! Pod and pod-template validation: containers, ports, env, probes, volumes,
//! policies, and which fields a running pod's update may touch.

use super::metadata::{validate_annotations, validate_object_meta, validate_object_meta_update};
use super::read::{arr_at, has, int_at, obj_at, str_at, string_at};
use super::resources::validate_requirements;
use super::selector::{validate_label_name, validate_labels};
use super::{FieldError, FieldPath};
use crate::api::names;
use crate::api::pod_spec::{volume_sources_set, APP_CONTAINER_LISTS};
use serde_json::Value;
use std::collections::BTreeSet;

const PROTOCOLS: [&str; 3] = ["SCTP", "TCP", "UDP"];

pub fn validate_pod(pod: &Value) -> Vec<FieldError> {
    let mut errs = validate_object_meta(pod, true, names::name_is_dns_subdomain);
    let spec = pod.get("spec").unwrap_or(&Value::Null);
    let spec_path = FieldPath::root("spec");
    errs.extend(validate_pod_spec(spec, &spec_path));
    for list in APP_CONTAINER_LISTS {
        for (i, c) in arr_at(spec, list).iter().enumerate() {
            let image = string_at(c, "image");
            if image.len() != image.trim().len() {
                errs.push(FieldError::invalid(
                    spec_path.child(list).index(i).child("image"),
                    image,
                    "must not have leading or trailing whitespace",
                ));
            }
        }
    }
    errs
}

/// ValidatePodTemplateSpec, for the `template` of workloads.
pub fn validate_pod_template_spec(template: &Value, path: &FieldPath) -> Vec<FieldError> {
    let meta = template.get("metadata").unwrap_or(&Value::Null);
    let mut errs = validate_labels(obj_at(meta, "labels"), &path.child("labels"));
    errs.extend(validate_annotations(
        obj_at(meta, "annotations"),
        &path.child("annotations"),
    ));
    let spec = template.get("spec").unwrap_or(&Value::Null);
    errs.extend(validate_pod_spec(spec, &path.child("spec")));
    if !arr_at(spec, "ephemeralContainers").is_empty() {
        errs.push(FieldError::forbidden(
            path.child("spec").child("ephemeralContainers"),
            "ephemeral containers not allowed in pod template",
        ));
    }
    errs
}

/// ValidatePodSpec.
pub fn validate_pod_spec(spec: &Value, path: &FieldPath) -> Vec<FieldError> {
    let mut errs = Vec::new();
    if !has(spec, "terminationGracePeriodSeconds") {
        errs.push(FieldError::required(
            path.child("terminationGracePeriodSeconds"),
            "",
        ));
    }
    let grace = int_at(spec, "terminationGracePeriodSeconds");
    let (volumes, verrs) = validate_volumes(arr_at(spec, "volumes"), &path.child("volumes"));
    errs.extend(verrs);
    errs.extend(validate_containers(spec, &volumes, grace, path));
    errs.extend(validate_init_containers(spec, &volumes, grace, path));

    let restart = string_at(spec, "restartPolicy");
    errs.extend(one_of(
        restart,
        &["Always", "OnFailure", "Never"],
        path.child("restartPolicy"),
    ));
    let dns = string_at(spec, "dnsPolicy");
    errs.extend(one_of(
        dns,
        &["ClusterFirstWithHostNet", "ClusterFirst", "Default", "None"],
        path.child("dnsPolicy"),
    ));
    if dns == "None" && !has(spec, "dnsConfig") {
        errs.push(FieldError::required(
            path.child("dnsConfig"),
            "must provide `dnsConfig` when `dnsPolicy` is None",
        ));
    }
    errs.extend(validate_labels(
        obj_at(spec, "nodeSelector"),
        &path.child("nodeSelector"),
    ));
    for (i, s) in arr_at(spec, "imagePullSecrets").iter().enumerate() {
        if s.as_object().is_some_and(|m| m.keys().any(|k| k != "name")) {
            errs.push(FieldError::invalid(
                path.child("imagePullSecrets").index(i),
                s.clone(),
                "only name may be set",
            ));
        }
    }
    for (key, name_fn) in [
        (
            "serviceAccountName",
            names::name_is_dns_subdomain as fn(&str, bool) -> Vec<String>,
        ),
        ("nodeName", names::name_is_dns_subdomain),
        ("priorityClassName", names::name_is_dns_subdomain),
    ] {
        let v = string_at(spec, key);
        if !v.is_empty() {
            for msg in name_fn(v, false) {
                errs.push(FieldError::invalid(path.child(key), v, msg));
            }
        }
    }
    if let Some(ads) = int_at(spec, "activeDeadlineSeconds") {
        if !(1..=i64::from(i32::MAX)).contains(&ads) {
            errs.push(FieldError::invalid(
                path.child("activeDeadlineSeconds"),
                ads,
                names::inclusive_range_error(1, i64::from(i32::MAX)),
            ));
        }
    }
    for key in ["hostname", "subdomain"] {
        let v = string_at(spec, key);
        if !v.is_empty() {
            errs.extend(dns_label(v, path.child(key)));
        }
    }
    errs.extend(validate_tolerations(
        arr_at(spec, "tolerations"),
        &path.child("tolerations"),
    ));
    if let Some(p) = str_at(spec, "preemptionPolicy") {
        errs.extend(one_of(
            p,
            &["PreemptLowerPriority", "Never"],
            path.child("preemptionPolicy"),
        ));
    }
    errs
}

fn dns_label(v: &str, path: FieldPath) -> Vec<FieldError> {
    names::is_dns1123_label(v)
        .into_iter()
        .map(|m| FieldError::invalid(&path, v, m))
        .collect()
}

/// Required when empty, Unsupported when not one of `allowed` (in the given order).
fn one_of(v: &str, allowed: &[&str], path: FieldPath) -> Vec<FieldError> {
    if v.is_empty() {
        vec![FieldError::required(path, "")]
    } else if !allowed.contains(&v) {
        vec![FieldError::not_supported(path, v, allowed)]
    } else {
        Vec::new()
    }
}

/// Returns the names of the valid volumes (for mount lookups) and the errors.
fn validate_volumes(volumes: &[Value], path: &FieldPath) -> (BTreeSet<String>, Vec<FieldError>) {
    let mut all = BTreeSet::new();
    let mut errs = Vec::new();
    for (i, vol) in volumes.iter().enumerate() {
        let p = path.index(i);
        let mut el = validate_volume_source(vol, &p);
        let name = string_at(vol, "name");
        if name.is_empty() {
            el.push(FieldError::required(p.child("name"), ""));
        } else {
            el.extend(dns_label(name, p.child("name")));
        }
        if all.contains(name) {
            el.push(FieldError::duplicate(p.child("name"), name));
        }
        if el.is_empty() {
            all.insert(name.to_string());
        }
        errs.extend(el);
    }
    (all, errs)
}

fn validate_volume_source(vol: &Value, path: &FieldPath) -> Vec<FieldError> {
    let mut errs = Vec::new();
    let mut count = 0;
    for (src, s) in volume_sources_set(vol) {
        if count > 0 {
            errs.push(FieldError::forbidden(
                path.child(src),
                "may not specify more than 1 volume type",
            ));
            continue;
        }
        count += 1;
        let sp = path.child(src);
        let required = |key: &str| {
            if string_at(s, key).is_empty() {
                vec![FieldError::required(sp.child(key), "")]
            } else {
                Vec::new()
            }
        };
        match src {
            "hostPath" => errs.extend(required("path")),
            "secret" => errs.extend(required("secretName")),
            "configMap" => errs.extend(required("name")),
            "persistentVolumeClaim" => errs.extend(required("claimName")),
            "nfs" => {
                errs.extend(required("server"));
                errs.extend(required("path"));
            }
            _ => {}
        }
        for (key, mode) in [("defaultMode", s.get("defaultMode"))] {
            if let Some(m) = mode
                .and_then(Value::as_i64)
                .filter(|m| !(0..=0o777).contains(m))
            {
                errs.push(FieldError::invalid(
                    sp.child(key),
                    m,
                    "must be a number between 0 and 0777 (octal), both inclusive",
                ));
            }
        }
    }
    if count == 0 {
        errs.push(FieldError::required(path, "must specify a volume type"));
    }
    errs
}

fn validate_containers(
    spec: &Value,
    volumes: &BTreeSet<String>,
    grace: Option<i64>,
    path: &FieldPath,
) -> Vec<FieldError> {
    let containers = arr_at(spec, "containers");
    let path = path.child("containers");
    if containers.is_empty() {
        return vec![FieldError::required(path, "")];
    }
    let mut errs = Vec::new();
    let mut names = BTreeSet::new();
    for (i, c) in containers.iter().enumerate() {
        let p = path.index(i);
        errs.extend(validate_container_common(c, volumes, &p));
        let name = string_at(c, "name");
        if !names.insert(name) {
            errs.push(FieldError::duplicate(p.child("name"), name));
        }
        errs.extend(validate_container_hooks(c, grace, &p));
        if has(c, "restartPolicy") {
            errs.push(FieldError::forbidden(
                p.child("restartPolicy"),
                "may not be set for non-init containers",
            ));
        }
    }
    errs.extend(host_port_conflicts(containers, &path));
    errs
}

fn validate_init_containers(
    spec: &Value,
    volumes: &BTreeSet<String>,
    grace: Option<i64>,
    path: &FieldPath,
) -> Vec<FieldError> {
    let path = path.child("initContainers");
    let mut names: BTreeSet<&str> = arr_at(spec, "containers")
        .iter()
        .map(|c| string_at(c, "name"))
        .collect();
    let mut errs = Vec::new();
    for (i, c) in arr_at(spec, "initContainers").iter().enumerate() {
        let p = path.index(i);
        errs.extend(validate_container_common(c, volumes, &p));
        let restart_always = match str_at(c, "restartPolicy") {
            None => false,
            Some("Always") => true,
            Some(other) => {
                errs.push(FieldError::not_supported(
                    p.child("restartPolicy"),
                    other,
                    &["Always"],
                ));
                false
            }
        };
        let name = string_at(c, "name");
        if names.contains(name) {
            errs.push(FieldError::duplicate(p.child("name"), name));
        } else if !name.is_empty() {
            names.insert(name);
        }
        errs.extend(host_port_conflicts(std::slice::from_ref(c), &path));
        if restart_always {
            errs.extend(validate_container_hooks(c, grace, &p));
        } else {
            for key in [
                "lifecycle",
                "livenessProbe",
                "readinessProbe",
                "startupProbe",
            ] {
                if has(c, key) {
                    errs.push(FieldError::forbidden(
                        p.child(key),
                        "may not be set for init containers without restartPolicy=Always",
                    ));
                }
            }
        }
    }
    errs
}

/// Lifecycle hooks and probes, allowed on regular and sidecar containers.
fn validate_container_hooks(c: &Value, grace: Option<i64>, p: &FieldPath) -> Vec<FieldError> {
    let mut errs = Vec::new();
    if let Some(lc) = c.get("lifecycle").filter(|v| !v.is_null()) {
        for hook in ["postStart", "preStop"] {
            if let Some(h) = lc.get(hook).filter(|v| !v.is_null()) {
                errs.extend(validate_handler(
                    h,
                    grace,
                    &p.child("lifecycle").child(hook),
                    true,
                ));
            }
        }
    }
    for probe in ["livenessProbe", "readinessProbe", "startupProbe"] {
        let Some(pr) = c.get(probe).filter(|v| !v.is_null()) else {
            continue;
        };
        let pp = p.child(probe);
        errs.extend(validate_probe(pr, grace, &pp));
        let success = int_at(pr, "successThreshold").unwrap_or(0);
        if probe != "readinessProbe" && success != 1 {
            errs.push(FieldError::invalid(
                pp.child("successThreshold"),
                success,
                "must be 1",
            ));
        }
        if probe == "readinessProbe" {
            if let Some(t) = pr
                .get("terminationGracePeriodSeconds")
                .filter(|v| !v.is_null())
            {
                errs.push(FieldError::invalid(
                    pp.child("terminationGracePeriodSeconds"),
                    t.clone(),
                    "must not be set for readinessProbes",
                ));
            }
        }
    }
    errs
}

fn validate_probe(probe: &Value, grace: Option<i64>, path: &FieldPath) -> Vec<FieldError> {
    let mut errs = validate_handler(probe, grace, path, false);
    for key in [
        "initialDelaySeconds",
        "timeoutSeconds",
        "periodSeconds",
        "successThreshold",
        "failureThreshold",
    ] {
        if let Some(v) = int_at(probe, key).filter(|v| *v < 0) {
            errs.push(FieldError::invalid(
                path.child(key),
                v,
                "must be greater than or equal to 0",
            ));
        }
    }
    if let Some(t) = int_at(probe, "terminationGracePeriodSeconds").filter(|t| *t <= 0) {
        errs.push(FieldError::invalid(
            path.child("terminationGracePeriodSeconds"),
            t,
            "must be greater than 0",
        ));
    }
    errs
}

/// Exactly one handler (exec, httpGet, tcpSocket, grpc; sleep for hooks).
fn validate_handler(
    h: &Value,
    grace: Option<i64>,
    path: &FieldPath,
    lifecycle: bool,
) -> Vec<FieldError> {
    let kinds: &[&str] = if lifecycle {
        &["exec", "httpGet", "tcpSocket", "sleep"]
    } else {
        &["exec", "httpGet", "tcpSocket", "grpc"]
    };
    let mut errs = Vec::new();
    let mut n = 0;
    for kind in kinds {
        let Some(a) = h.get(*kind).filter(|v| !v.is_null()) else {
            continue;
        };
        let p = path.child(kind);
        if n > 0 {
            errs.push(FieldError::forbidden(
                p,
                "may not specify more than 1 handler type",
            ));
            continue;
        }
        n += 1;
        match *kind {
            "exec" if arr_at(a, "command").is_empty() => {
                errs.push(FieldError::required(p.child("command"), ""))
            }
            "httpGet" => {
                if string_at(a, "path").is_empty() {
                    errs.push(FieldError::required(p.child("path"), ""));
                }
                errs.extend(validate_port_num_or_name(a.get("port"), &p.child("port")));
                let scheme = string_at(a, "scheme");
                if scheme != "HTTP" && scheme != "HTTPS" {
                    errs.push(FieldError::not_supported(
                        p.child("scheme"),
                        scheme,
                        &["HTTP", "HTTPS"],
                    ));
                }
                for header in arr_at(a, "httpHeaders") {
                    let name = string_at(header, "name");
                    for msg in names::is_http_header_name(name) {
                        errs.push(FieldError::invalid(p.child("httpHeaders"), name, msg));
                    }
                }
            }
            "tcpSocket" | "grpc" => {
                errs.extend(validate_port_num_or_name(a.get("port"), &p.child("port")))
            }
            "sleep" => {
                let secs = int_at(a, "seconds").unwrap_or(0);
                if let Some(g) = grace.filter(|g| secs < 0 || secs > *g) {
                    errs.push(FieldError::invalid(
                        p,
                        secs,
                        format!("must be non-negative and less than terminationGracePeriodSeconds ({g})"),
                    ));
                }
            }
            _ => {}
        }
    }
    if n == 0 {
        errs.push(FieldError::required(path, "must specify a handler type"));
    }
    errs
}

/// ValidatePortNumOrName, for probe ports and Service target ports.
pub fn validate_port_num_or_name(port: Option<&Value>, path: &FieldPath) -> Vec<FieldError> {
    match port {
        Some(Value::String(name)) => names::is_valid_port_name(name)
            .into_iter()
            .map(|m| FieldError::invalid(path, name.as_str(), m))
            .collect(),
        Some(v) => {
            let n = v.as_i64().unwrap_or(0);
            names::is_valid_port_num(n)
                .into_iter()
                .map(|m| FieldError::invalid(path, n, m))
                .collect()
        }
        None => names::is_valid_port_num(0)
            .into_iter()
            .map(|m| FieldError::invalid(path, 0, m))
            .collect(),
    }
}

fn validate_container_common(
    c: &Value,
    volumes: &BTreeSet<String>,
    path: &FieldPath,
) -> Vec<FieldError> {
    let mut errs = Vec::new();
    let name = string_at(c, "name");
    if name.is_empty() {
        errs.push(FieldError::required(path.child("name"), ""));
    } else {
        errs.extend(dns_label(name, path.child("name")));
    }
    if string_at(c, "image").is_empty() {
        errs.push(FieldError::required(path.child("image"), ""));
    }
    errs.extend(one_of(
        string_at(c, "terminationMessagePolicy"),
        &["File", "FallbackToLogsOnError"],
        path.child("terminationMessagePolicy"),
    ));
    errs.extend(validate_container_ports(
        arr_at(c, "ports"),
        &path.child("ports"),
    ));
    errs.extend(validate_env(arr_at(c, "env"), &path.child("env")));
    errs.extend(validate_env_from(
        arr_at(c, "envFrom"),
        &path.child("envFrom"),
    ));
    errs.extend(validate_volume_mounts(
        arr_at(c, "volumeMounts"),
        volumes,
        &path.child("volumeMounts"),
    ));
    let pull = string_at(c, "imagePullPolicy");
    if pull.is_empty() {
        errs.push(FieldError::required(path.child("imagePullPolicy"), ""));
    } else if !["Always", "IfNotPresent", "Never"].contains(&pull) {
        errs.push(FieldError::not_supported(
            path.child("imagePullPolicy"),
            pull,
            &["Always", "IfNotPresent", "Never"],
        ));
    }
    if let Some(res) = c.get("resources") {
        errs.extend(validate_requirements(res, &path.child("resources")));
    }
    errs
}

fn validate_container_ports(ports: &[Value], path: &FieldPath) -> Vec<FieldError> {
    let mut errs = Vec::new();
    let mut names = BTreeSet::new();
    for (i, port) in ports.iter().enumerate() {
        let p = path.index(i);
        let name = string_at(port, "name");
        if !name.is_empty() {
            let msgs = names::is_valid_port_name(name);
            if !msgs.is_empty() {
                errs.extend(
                    msgs.into_iter()
                        .map(|m| FieldError::invalid(p.child("name"), name, m)),
                );
            } else if !names.insert(name) {
                errs.push(FieldError::duplicate(p.child("name"), name));
            }
        }
        match int_at(port, "containerPort").unwrap_or(0) {
            0 => errs.push(FieldError::required(p.child("containerPort"), "")),
            n => errs.extend(
                names::is_valid_port_num(n)
                    .into_iter()
                    .map(|m| FieldError::invalid(p.child("containerPort"), n, m)),
            ),
        }
        if let Some(hp) = int_at(port, "hostPort").filter(|h| *h != 0) {
            errs.extend(
                names::is_valid_port_num(hp)
                    .into_iter()
                    .map(|m| FieldError::invalid(p.child("hostPort"), hp, m)),
            );
        }
        let proto = string_at(port, "protocol");
        if proto.is_empty() {
            errs.push(FieldError::required(p.child("protocol"), ""));
        } else if !PROTOCOLS.contains(&proto) {
            errs.push(FieldError::not_supported(
                p.child("protocol"),
                proto,
                &PROTOCOLS,
            ));
        }
    }
    errs
}

fn host_port_conflicts(containers: &[Value], path: &FieldPath) -> Vec<FieldError> {
    let mut seen = BTreeSet::new();
    let mut errs = Vec::new();
    for (ci, c) in containers.iter().enumerate() {
        for (pi, port) in arr_at(c, "ports").iter().enumerate() {
            let hp = int_at(port, "hostPort").unwrap_or(0);
            if hp == 0 {
                continue;
            }
            let key = format!(
                "{}/{}/{}",
                string_at(port, "protocol"),
                string_at(port, "hostIP"),
                hp
            );
            if !seen.insert(key.clone()) {
                errs.push(FieldError::duplicate(
                    path.index(ci).child("ports").index(pi).child("hostPort"),
                    key,
                ));
            }
        }
    }
    errs
}

fn validate_env(env: &[Value], path: &FieldPath) -> Vec<FieldError> {
    let mut errs = Vec::new();
    for (i, e) in env.iter().enumerate() {
        let p = path.index(i);
        let name = string_at(e, "name");
        if name.is_empty() {
            errs.push(FieldError::required(p.child("name"), ""));
        } else {
            errs.extend(
                names::is_env_var_name(name)
                    .into_iter()
                    .map(|m| FieldError::invalid(p.child("name"), name, m)),
            );
        }
        let Some(from) = e.get("valueFrom").filter(|v| !v.is_null()) else {
            continue;
        };
        let fp = p.child("valueFrom");
        let sources: Vec<&str> = [
            "fieldRef",
            "resourceFieldRef",
            "configMapKeyRef",
            "secretKeyRef",
        ]
        .into_iter()
        .filter(|k| has(from, k))
        .collect();
        for src in &sources {
            let s = &from[*src];
            let sp = fp.child(src);
            match *src {
                "configMapKeyRef" | "secretKeyRef" => errs.extend(validate_key_selector(s, &sp)),
                "fieldRef" => {
                    if string_at(s, "apiVersion").is_empty() {
                        errs.push(FieldError::required(sp.child("apiVersion"), ""));
                    } else if string_at(s, "fieldPath").is_empty() {
                        errs.push(FieldError::required(sp.child("fieldPath"), ""));
                    }
                }
                _ => {
                    if string_at(s, "resource").is_empty() {
                        errs.push(FieldError::required(sp.child("resource"), ""));
                    }
                }
            }
        }
        if sources.is_empty() {
            errs.push(FieldError::invalid(
                &fp,
                "",
                "must specify one of: `fieldRef`, `resourceFieldRef`, `configMapKeyRef` or `secretKeyRef`",
            ));
        } else if !string_at(e, "value").is_empty() {
            errs.push(FieldError::invalid(
                &fp,
                "",
                "may not be specified when `value` is not empty",
            ));
        } else if sources.len() > 1 {
            errs.push(FieldError::invalid(
                &fp,
                "",
                "may not have more than one field specified at a time",
            ));
        }
    }
    errs
}

fn validate_key_selector(s: &Value, path: &FieldPath) -> Vec<FieldError> {
    let name = string_at(s, "name");
    let mut errs: Vec<FieldError> = names::name_is_dns_subdomain(name, false)
        .into_iter()
        .map(|m| FieldError::invalid(path.child("name"), name, m))
        .collect();
    let key = string_at(s, "key");
    if key.is_empty() {
        errs.push(FieldError::required(path.child("key"), ""));
    } else {
        errs.extend(
            names::is_config_map_key(key)
                .into_iter()
                .map(|m| FieldError::invalid(path.child("key"), key, m)),
        );
    }
    errs
}

fn validate_env_from(list: &[Value], path: &FieldPath) -> Vec<FieldError> {
    let mut errs = Vec::new();
    for (i, e) in list.iter().enumerate() {
        let p = path.index(i);
        let prefix = string_at(e, "prefix");
        if !prefix.is_empty() {
            errs.extend(
                names::is_env_var_name(prefix)
                    .into_iter()
                    .map(|m| FieldError::invalid(p.child("prefix"), prefix, m)),
            );
        }
        let mut n = 0;
        for src in ["configMapRef", "secretRef"] {
            let Some(s) = e.get(src).filter(|v| !v.is_null()) else {
                continue;
            };
            n += 1;
            let name = string_at(s, "name");
            if name.is_empty() {
                errs.push(FieldError::required(p.child(src).child("name"), ""));
            } else {
                errs.extend(
                    names::name_is_dns_subdomain(name, true)
                        .into_iter()
                        .map(|m| FieldError::invalid(p.child(src).child("name"), name, m)),
                );
            }
        }
        if n == 0 {
            errs.push(FieldError::invalid(
                path,
                "",
                "must specify one of: `configMapRef` or `secretRef`",
            ));
        } else if n > 1 {
            errs.push(FieldError::invalid(
                path,
                "",
                "may not have more than one field specified at a time",
            ));
        }
    }
    errs
}

fn validate_volume_mounts(
    mounts: &[Value],
    volumes: &BTreeSet<String>,
    path: &FieldPath,
) -> Vec<FieldError> {
    let mut errs = Vec::new();
    let mut points = BTreeSet::new();
    for (i, m) in mounts.iter().enumerate() {
        let p = path.index(i);
        let name = string_at(m, "name");
        if name.is_empty() {
            errs.push(FieldError::required(p.child("name"), ""));
        }
        if !volumes.contains(name) {
            errs.push(FieldError::not_found(p.child("name"), name));
        }
        let mp = string_at(m, "mountPath");
        if mp.is_empty() {
            errs.push(FieldError::required(p.child("mountPath"), ""));
        }
        if !points.insert(mp) {
            errs.push(FieldError::invalid(
                p.child("mountPath"),
                mp,
                "must be unique",
            ));
        }
    }
    errs
}

/// ValidateTolerations.
pub fn validate_tolerations(tolerations: &[Value], path: &FieldPath) -> Vec<FieldError> {
    let mut errs = Vec::new();
    for (i, t) in tolerations.iter().enumerate() {
        let p = path.index(i);
        let key = string_at(t, "key");
        let op = string_at(t, "operator");
        let effect = string_at(t, "effect");
        let value = string_at(t, "value");
        if !key.is_empty() {
            errs.extend(validate_label_name(key, &p.child("key")));
        }
        if key.is_empty() && op != "Exists" {
            errs.push(FieldError::invalid(
                p.child("operator"),
                op,
                "operator must be Exists when `key` is empty, which means \"match all values and all keys\"",
            ));
        }
        if has(t, "tolerationSeconds") && effect != "NoExecute" {
            errs.push(FieldError::invalid(
                p.child("effect"),
                effect,
                "effect must be 'NoExecute' when `tolerationSeconds` is set",
            ));
        }
        match op {
            "Equal" | "" => {
                let msgs = names::is_label_value(value);
                if !msgs.is_empty() {
                    errs.push(FieldError::invalid(
                        p.child("operator"),
                        value,
                        msgs.join(";"),
                    ));
                }
            }
            "Exists" if !value.is_empty() => {
                errs.push(FieldError::invalid(
                    p.child("operator"),
                    value,
                    "value must be empty when `operator` is 'Exists'",
                ));
            }
            "Exists" => {}
            other => errs.push(FieldError::not_supported(
                p.child("operator"),
                other,
                &["Equal", "Exists"],
            )),
        }
        if !effect.is_empty() && !["NoSchedule", "PreferNoSchedule", "NoExecute"].contains(&effect)
        {
            errs.push(FieldError::not_supported(
                p.child("effect"),
                effect,
                &["NoSchedule", "PreferNoSchedule", "NoExecute"],
            ));
        }
    }
    errs
}

const UPDATABLE_POD_FIELDS: &str = "`spec.containers[*].image`,`spec.initContainers[*].image`,`spec.activeDeadlineSeconds`,`spec.tolerations` (only additions to existing tolerations),`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously negative)";

/// ValidatePodUpdate: the create checks plus the short list of spec fields a
/// pod may change once created.
pub fn validate_pod_update(new: &Value, old: &Value) -> Vec<FieldError> {
    let mut errs = validate_object_meta_update(new, old);
    errs.extend(validate_pod(new));
    let spec_path = FieldPath::root("spec");
    let null = Value::Null;
    let (ns, os) = (
        new.get("spec").unwrap_or(&null),
        old.get("spec").unwrap_or(&null),
    );
    for list in APP_CONTAINER_LISTS {
        let (nc, oc) = (arr_at(ns, list), arr_at(os, list));
        if nc.len() != oc.len() {
            errs.push(FieldError::forbidden(
                spec_path.child(list),
                "pod updates may not add or remove containers",
            ));
            return errs;
        }
        for (i, c) in nc.iter().enumerate() {
            if string_at(c, "image").is_empty() {
                errs.push(FieldError::required(
                    spec_path.child(list).index(i).child("image"),
                    "",
                ));
            }
        }
    }
    match (
        int_at(ns, "activeDeadlineSeconds"),
        int_at(os, "activeDeadlineSeconds"),
    ) {
        (Some(n), _) if !(0..=i64::from(i32::MAX)).contains(&n) => {
            errs.push(FieldError::invalid(
                spec_path.child("activeDeadlineSeconds"),
                n,
                names::inclusive_range_error(0, i64::from(i32::MAX)),
            ));
            return errs;
        }
        (Some(n), Some(o)) if o < n => {
            errs.push(FieldError::invalid(
                spec_path.child("activeDeadlineSeconds"),
                n,
                "must be less than or equal to previous value",
            ));
            return errs;
        }
        (None, Some(_)) => errs.push(FieldError::invalid(
            spec_path.child("activeDeadlineSeconds"),
            Value::Null,
            "must not update from a positive integer to nil value",
        )),
        _ => {}
    }
    let new_tols = arr_at(ns, "tolerations");
    let kept = arr_at(os, "tolerations").iter().all(|old_t| {
        new_tols
            .iter()
            .any(|new_t| without(old_t, "tolerationSeconds") == without(new_t, "tolerationSeconds"))
    });
    if !kept {
        errs.push(FieldError::forbidden(
            spec_path.child("tolerations"),
            "existing toleration can not be modified except its tolerationSeconds",
        ));
    }
    if munge_pod_spec(ns, os) != *os {
        errs.push(FieldError::forbidden(
            spec_path,
            format!("pod updates may not change fields other than {UPDATABLE_POD_FIELDS}"),
        ));
    }
    errs
}

fn without(v: &Value, key: &str) -> Value {
    let mut v = v.clone();
    if let Some(m) = v.as_object_mut() {
        m.remove(key);
    }
    v
}

/// The new spec with the mutable fields reset to the old values: anything
/// still different was an illegal change.
fn munge_pod_spec(new: &Value, old: &Value) -> Value {
    let mut m = new.clone();
    for list in APP_CONTAINER_LISTS {
        if let Some(cs) = m.get_mut(list).and_then(Value::as_array_mut) {
            for (i, c) in cs.iter_mut().enumerate() {
                if let (Some(obj), Some(img)) = (c.as_object_mut(), old[list][i].get("image")) {
                    obj.insert("image".into(), img.clone());
                }
            }
        }
    }
    if let Some(obj) = m.as_object_mut() {
        for key in ["activeDeadlineSeconds", "tolerations", "schedulingGates"] {
            match old.get(key) {
                Some(v) => obj.insert(key.into(), v.clone()),
                None => obj.remove(key),
            };
        }
        let old_grace = int_at(old, "terminationGracePeriodSeconds");
        if old_grace.is_some_and(|g| g < 0)
            && int_at(new, "terminationGracePeriodSeconds") == Some(1)
        {
            obj.insert(
                "terminationGracePeriodSeconds".into(),
                old["terminationGracePeriodSeconds"].clone(),
            );
        }
    }
    m
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::validation::test_support::{defaulted, messages};
    use serde_json::json;

    fn pod(spec: Value) -> Value {
        defaulted(
            json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "web", "namespace": "default"}, "spec": spec}),
        )
    }

    fn errors(p: &Value) -> Vec<String> {
        messages(&validate_pod(p))
    }

    #[test]
    fn defaulted_seed_pod_is_valid() {
        let p = pod(
            json!({"containers": [{"name": "api", "image": "myapp:1.0", "ports": [{"containerPort": 3000}],
            "livenessProbe": {"httpGet": {"path": "/health", "port": 3000}, "initialDelaySeconds": 10, "periodSeconds": 15}}]}),
        );
        assert_eq!(errors(&p), Vec::<String>::new());
    }

    #[test]
    fn container_needs_an_image_and_pods_need_containers() {
        assert_eq!(
            errors(&pod(json!({"containers": [{"name": "api"}]}))),
            vec!["spec.containers[0].image: Required value"]
        );
        assert_eq!(
            errors(&pod(json!({}))),
            vec!["spec.containers: Required value"]
        );
    }

    #[test]
    fn duplicate_container_names_and_port_ranges() {
        let p = pod(json!({"containers": [
            {"name": "a", "image": "x", "ports": [{"containerPort": 70000}]},
            {"name": "a", "image": "y"}]}));
        assert_eq!(
            errors(&p),
            vec![
                "spec.containers[0].ports[0].containerPort: Invalid value: 70000: must be between 1 and 65535, inclusive",
                r#"spec.containers[1].name: Duplicate value: "a""#,
            ]
        );
    }

    #[test]
    fn bad_env_name_and_protocol() {
        let p = pod(
            json!({"containers": [{"name": "a", "image": "x", "env": [{"name": "A=B", "value": "1"}],
            "ports": [{"containerPort": 80, "protocol": "HTTP"}]}]}),
        );
        assert_eq!(
            errors(&p),
            vec![
                r#"spec.containers[0].ports[0].protocol: Unsupported value: "HTTP": supported values: "SCTP", "TCP", "UDP""#,
                r#"spec.containers[0].env[0].name: Invalid value: "A=B": a valid environment variable name must consist only of printable ASCII characters other than '='"#,
            ]
        );
    }

    #[test]
    fn probes_need_exactly_one_handler() {
        let p = pod(json!({"containers": [{"name": "a", "image": "x",
            "livenessProbe": {"periodSeconds": 5},
            "readinessProbe": {"exec": {"command": ["true"]}, "tcpSocket": {"port": 80}}}]}));
        assert_eq!(
            errors(&p),
            vec![
                "spec.containers[0].livenessProbe: Required value: must specify a handler type",
                "spec.containers[0].readinessProbe.tcpSocket: Forbidden: may not specify more than 1 handler type",
            ]
        );
    }

    #[test]
    fn restart_policy_values() {
        let p =
            pod(json!({"restartPolicy": "Sometimes", "containers": [{"name": "a", "image": "x"}]}));
        assert_eq!(
            errors(&p),
            vec![
                r#"spec.restartPolicy: Unsupported value: "Sometimes": supported values: "Always", "OnFailure", "Never""#
            ]
        );
    }

    #[test]
    fn mounts_must_name_a_volume() {
        let p = pod(
            json!({"containers": [{"name": "a", "image": "x", "volumeMounts": [{"name": "data", "mountPath": "/d"}]}]}),
        );
        assert_eq!(
            errors(&p),
            vec![r#"spec.containers[0].volumeMounts[0].name: Not found: "data""#]
        );
        let p = pod(
            json!({"volumes": [{"name": "data", "persistentVolumeClaim": {"claimName": "db-storage"}}],
            "containers": [{"name": "a", "image": "x", "volumeMounts": [{"name": "data", "mountPath": "/d"}]}]}),
        );
        assert!(errors(&p).is_empty());
    }

    #[test]
    fn updates_may_change_image_but_not_ports() {
        let old = pod(
            json!({"containers": [{"name": "a", "image": "x:1", "ports": [{"containerPort": 80}]}]}),
        );
        let mut new = old.clone();
        new["spec"]["containers"][0]["image"] = json!("x:2");
        assert!(validate_pod_update(&new, &old).is_empty());
        new["spec"]["containers"][0]["ports"][0]["containerPort"] = json!(81);
        let errs = validate_pod_update(&new, &old);
        assert_eq!(errs.len(), 1);
        assert!(errs[0].to_string().starts_with("spec: Forbidden: pod updates may not change fields other than `spec.containers[*].image`"));
    }

    #[test]
    fn tolerations_may_only_be_added() {
        let old = pod(json!({"containers": [{"name": "a", "image": "x"}]}));
        let mut new = old.clone();
        new["spec"]["tolerations"]
            .as_array_mut()
            .unwrap()
            .push(json!({"key": "k", "operator": "Exists"}));
        assert!(validate_pod_update(&new, &old).is_empty());
        new["spec"]["tolerations"] = json!([]);
        assert_eq!(
            validate_pod_update(&new, &old)[0].to_string(),
            "spec.tolerations: Forbidden: existing toleration can not be modified except its tolerationSeconds"
        );
    }
}
