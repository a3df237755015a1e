//! Ingress and IngressClass validation: hosts, required `pathType`, path
//! rules per type, and backends naming a Service port.

use super::metadata::{validate_object_meta, validate_object_meta_update};
use super::read::{arr_at, has, int_at, str_at, string_at};
use super::{FieldError, FieldPath};
use crate::api::names;
use serde_json::Value;

const INVALID_PATH_SEQUENCES: [&str; 5] = ["//", "/./", "/../", "%2f", "%2F"];
const INVALID_PATH_SUFFIXES: [&str; 2] = ["/..", "/."];

pub fn validate_ingress(ing: &Value) -> Vec<FieldError> {
    let mut errs = validate_object_meta(ing, true, names::name_is_dns_subdomain);
    let spec = ing.get("spec").unwrap_or(&Value::Null);
    let path = FieldPath::root("spec");
    let rules = arr_at(spec, "rules");
    let default_backend = spec.get("defaultBackend").filter(|v| !v.is_null());
    if rules.is_empty() && default_backend.is_none() {
        errs.push(FieldError::invalid_literal(
            path.child("rules"),
            "[]networking.IngressRule(nil)",
            "either `defaultBackend` or `rules` must be specified",
        ));
    }
    if let Some(b) = default_backend {
        errs.extend(validate_backend(b, &path.child("defaultBackend")));
    }
    for (i, rule) in rules.iter().enumerate() {
        let rp = path.child("rules").index(i);
        let host = string_at(rule, "host");
        if !host.is_empty() {
            if names::is_ip(host) {
                errs.push(FieldError::invalid(
                    rp.child("host"),
                    host,
                    "must be a DNS name, not an IP address",
                ));
            }
            let msgs = if host.contains('*') {
                names::is_wildcard_dns1123_subdomain(host)
            } else {
                names::is_dns1123_subdomain(host)
            };
            errs.extend(
                msgs.into_iter()
                    .map(|m| FieldError::invalid(rp.child("host"), host, m)),
            );
        }
        if let Some(http) = rule.get("http").filter(|v| !v.is_null()) {
            let hp = rp.child("http");
            let paths = arr_at(http, "paths");
            if paths.is_empty() {
                errs.push(FieldError::required(hp.child("paths"), ""));
            }
            for (j, p) in paths.iter().enumerate() {
                errs.extend(validate_http_path(p, &hp.child("paths").index(j)));
            }
        }
    }
    for (i, tls) in arr_at(spec, "tls").iter().enumerate() {
        for (j, host) in arr_at(tls, "hosts").iter().enumerate() {
            let host = host.as_str().unwrap_or_default();
            let msgs = if host.contains('*') {
                names::is_wildcard_dns1123_subdomain(host)
            } else {
                names::is_dns1123_subdomain(host)
            };
            let hp = path.child("tls").index(i).child("hosts").index(j);
            errs.extend(msgs.into_iter().map(|m| FieldError::invalid(&hp, host, m)));
        }
    }
    if let Some(class) = str_at(spec, "ingressClassName") {
        for msg in names::name_is_dns_subdomain(class, false) {
            errs.push(FieldError::invalid(
                path.child("ingressClassName"),
                class,
                msg,
            ));
        }
    }
    errs
}

fn validate_http_path(p: &Value, path: &FieldPath) -> Vec<FieldError> {
    let mut errs = Vec::new();
    let Some(path_type) = str_at(p, "pathType") else {
        return vec![FieldError::required(
            path.child("pathType"),
            "pathType must be specified",
        )];
    };
    let value = string_at(p, "path");
    match path_type {
        "Exact" | "Prefix" => {
            if !value.starts_with('/') {
                errs.push(FieldError::invalid(
                    path.child("path"),
                    value,
                    "must be an absolute path",
                ));
            }
            if !value.is_empty() {
                for seq in INVALID_PATH_SEQUENCES {
                    if value.contains(seq) {
                        errs.push(FieldError::invalid(
                            path.child("path"),
                            value,
                            format!("must not contain '{seq}'"),
                        ));
                    }
                }
                for suffix in INVALID_PATH_SUFFIXES {
                    if value.ends_with(suffix) {
                        errs.push(FieldError::invalid(
                            path.child("path"),
                            value,
                            format!("cannot end with '{suffix}'"),
                        ));
                    }
                }
            }
        }
        "ImplementationSpecific" => {
            if !value.is_empty() && !value.starts_with('/') {
                errs.push(FieldError::invalid(
                    path.child("path"),
                    value,
                    "must be an absolute path",
                ));
            }
        }
        other => errs.push(FieldError::not_supported(
            path.child("pathType"),
            other,
            &["Exact", "ImplementationSpecific", "Prefix"],
        )),
    }
    errs.extend(validate_backend(
        p.get("backend").unwrap_or(&Value::Null),
        &path.child("backend"),
    ));
    errs
}

fn validate_backend(b: &Value, path: &FieldPath) -> Vec<FieldError> {
    let mut errs = Vec::new();
    match (
        has(b, "resource"),
        b.get("service").filter(|v| !v.is_null()),
    ) {
        (true, Some(_)) => errs.push(FieldError::invalid(
            path,
            "",
            "cannot set both resource and service backends",
        )),
        (true, None) => {
            let r = &b["resource"];
            for key in ["kind", "name"] {
                if string_at(r, key).is_empty() {
                    errs.push(FieldError::required(path.child("resource").child(key), ""));
                }
            }
        }
        (false, Some(svc)) => {
            let sp = path.child("service");
            let name = string_at(svc, "name");
            if name.is_empty() {
                errs.push(FieldError::required(sp.child("name"), ""));
            } else {
                errs.extend(
                    names::name_is_dns1035_label(name, false)
                        .into_iter()
                        .map(|m| FieldError::invalid(sp.child("name"), name, m)),
                );
            }
            let port = svc.get("port").unwrap_or(&Value::Null);
            let port_name = string_at(port, "name");
            let number = int_at(port, "number").unwrap_or(0);
            match (port_name.is_empty(), number == 0) {
                (false, false) => errs.push(FieldError::invalid(
                    path,
                    "",
                    "cannot set both port name & port number",
                )),
                (false, true) => errs.extend(
                    names::is_valid_port_name(port_name)
                        .into_iter()
                        .map(|m| FieldError::invalid(sp.child("port").child("name"), port_name, m)),
                ),
                (true, false) => errs.extend(
                    names::is_valid_port_num(number)
                        .into_iter()
                        .map(|m| FieldError::invalid(sp.child("port").child("number"), number, m)),
                ),
                (true, true) => errs.push(FieldError::required(
                    path,
                    "port name or number is required",
                )),
            }
        }
        (false, None) => errs.push(FieldError::invalid(
            path,
            "",
            "resource or service backend is required",
        )),
    }
    errs
}

pub fn validate_ingress_update(new: &Value, old: &Value) -> Vec<FieldError> {
    let mut errs = validate_object_meta_update(new, old);
    errs.extend(validate_ingress(new));
    errs
}

pub fn validate_ingress_class(ic: &Value) -> Vec<FieldError> {
    let mut errs = validate_object_meta(ic, false, names::name_is_dns_subdomain);
    let spec = ic.get("spec").unwrap_or(&Value::Null);
    let controller = string_at(spec, "controller");
    if controller.is_empty() {
        errs.push(FieldError::required("spec.controller", ""));
    } else if !controller.contains('/') {
        errs.push(FieldError::invalid(
            "spec.controller",
            controller,
            "must be a domain-prefixed path (such as \"acme.io/foo\")",
        ));
    }
    errs
}

pub fn validate_ingress_class_update(new: &Value, old: &Value) -> Vec<FieldError> {
    let mut errs = validate_object_meta_update(new, old);
    let (n, o) = (
        new.pointer("/spec/controller"),
        old.pointer("/spec/controller"),
    );
    if n != o {
        errs.push(FieldError::invalid(
            "spec.controller",
            n.cloned().unwrap_or(Value::Null),
            "field is immutable",
        ));
    }
    errs.extend(validate_ingress_class(new));
    errs
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::validation::test_support::messages;
    use serde_json::json;

    fn ingress(paths: Value) -> Value {
        json!({"apiVersion": "networking.k8s.io/v1", "kind": "Ingress", "metadata": {"name": "my-ingress", "namespace": "default"},
            "spec": {"rules": [{"host": "api.myapp.com", "http": {"paths": paths}}]}})
    }

    fn errors(i: &Value) -> Vec<String> {
        messages(&validate_ingress(i))
    }

    #[test]
    fn seed_ingress_is_valid() {
        let i = ingress(
            json!([{"path": "/", "pathType": "Prefix", "backend": {"service": {"name": "my-api-service", "port": {"number": 80}}}}]),
        );
        assert_eq!(errors(&i), Vec::<String>::new());
    }

    #[test]
    fn path_type_is_required() {
        let i = ingress(
            json!([{"path": "/", "backend": {"service": {"name": "s", "port": {"number": 80}}}}]),
        );
        assert_eq!(
            errors(&i),
            vec![
                "spec.rules[0].http.paths[0].pathType: Required value: pathType must be specified"
            ]
        );
    }

    #[test]
    fn prefix_paths_must_be_absolute_and_clean() {
        let i = ingress(
            json!([{"path": "api//v1", "pathType": "Prefix", "backend": {"service": {"name": "s", "port": {"number": 80}}}}]),
        );
        assert_eq!(
            errors(&i),
            vec![
                r#"spec.rules[0].http.paths[0].path: Invalid value: "api//v1": must be an absolute path"#,
                r#"spec.rules[0].http.paths[0].path: Invalid value: "api//v1": must not contain '//'"#,
            ]
        );
    }

    #[test]
    fn backend_needs_a_port() {
        let i = ingress(
            json!([{"path": "/", "pathType": "Exact", "backend": {"service": {"name": "s", "port": {}}}}]),
        );
        assert_eq!(errors(&i), vec!["spec.rules[0].http.paths[0].backend: Required value: port name or number is required"]);
    }

    #[test]
    fn hosts_may_not_be_ips_and_rules_or_backend_needed() {
        let mut i = ingress(json!([]));
        i["spec"]["rules"][0]["host"] = json!("10.0.0.1");
        assert_eq!(
            errors(&i),
            vec![
                r#"spec.rules[0].host: Invalid value: "10.0.0.1": must be a DNS name, not an IP address"#,
                "spec.rules[0].http.paths: Required value",
            ]
        );
        let empty = json!({"metadata": {"name": "x", "namespace": "d"}, "spec": {}});
        assert_eq!(
            errors(&empty),
            vec!["spec.rules: Invalid value: []networking.IngressRule(nil): either `defaultBackend` or `rules` must be specified"]
        );
    }
}
