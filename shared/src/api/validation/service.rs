//! Service validation (type, ports, selector, traffic policies, NodePort
//! range, cluster IP immutability) plus the Endpoints kinds the controllers write.

use super::metadata::{validate_object_meta, validate_object_meta_update};
use super::pod::validate_port_num_or_name;
use super::read::{arr_at, has, int_at, int_or_string_literal, obj_at, str_at, string_at};
use super::selector::validate_labels;
use super::{FieldError, FieldErrorType, FieldPath};
use crate::api::names;
use serde_json::Value;
use std::collections::BTreeSet;

/// The default `--service-node-port-range`.
pub const NODE_PORT_RANGE: std::ops::RangeInclusive<i64> = 30000..=32767;
const PROTOCOLS: [&str; 3] = ["SCTP", "TCP", "UDP"];

fn is_headless(spec: &Value) -> bool {
    string_at(spec, "clusterIP") == "None"
}

pub fn validate_service(svc: &Value) -> Vec<FieldError> {
    let mut errs = validate_object_meta(svc, true, names::name_is_dns1035_label);
    let spec = svc.get("spec").unwrap_or(&Value::Null);
    let path = FieldPath::root("spec");
    let ty = string_at(spec, "type");
    let ports = arr_at(spec, "ports");
    if ports.is_empty() && !is_headless(spec) && ty != "ExternalName" {
        errs.push(FieldError::required(path.child("ports"), ""));
    }
    let cluster_ips = arr_at(spec, "clusterIPs");
    match ty {
        "LoadBalancer" | "NodePort" if is_headless(spec) => errs.push(FieldError::invalid(
            path.child("clusterIPs").index(0),
            "None",
            format!("may not be set to 'None' for {ty} services"),
        )),
        "ExternalName" => {
            if !cluster_ips.is_empty() {
                errs.push(FieldError::forbidden(
                    path.child("clusterIPs"),
                    "may not be set for ExternalName services",
                ));
            }
            if !arr_at(spec, "ipFamilies").is_empty() {
                errs.push(FieldError::forbidden(
                    path.child("ipFamilies"),
                    "may not be set for ExternalName services",
                ));
            }
            if has(spec, "ipFamilyPolicy") {
                errs.push(FieldError::forbidden(
                    path.child("ipFamilyPolicy"),
                    "may not be set for ExternalName services",
                ));
            }
            let cname = string_at(spec, "externalName").trim_end_matches('.');
            if cname.is_empty() {
                errs.push(FieldError::required(path.child("externalName"), ""));
            } else {
                for msg in names::is_dns1123_subdomain(cname) {
                    errs.push(FieldError::invalid(path.child("externalName"), cname, msg));
                }
            }
        }
        _ => {}
    }
    let mut port_names = BTreeSet::new();
    for (i, p) in ports.iter().enumerate() {
        errs.extend(validate_service_port(
            p,
            ports.len() > 1,
            &mut port_names,
            &path.child("ports").index(i),
        ));
    }
    errs.extend(validate_labels(
        obj_at(spec, "selector"),
        &path.child("selector"),
    ));
    let affinity = string_at(spec, "sessionAffinity");
    match affinity {
        "" => errs.push(FieldError::required(path.child("sessionAffinity"), "")),
        "ClientIP" => {
            let timeout = spec
                .pointer("/sessionAffinityConfig/clientIP/timeoutSeconds")
                .and_then(Value::as_i64);
            match timeout {
                None => errs.push(FieldError::required(
                    path.child("sessionAffinityConfig")
                        .child("clientIP")
                        .child("timeoutSeconds"),
                    "when session affinity type is ClientIP",
                )),
                Some(t) if t <= 0 || t > 86400 => errs.push(FieldError::invalid(
                    path.child("sessionAffinityConfig")
                        .child("clientIP")
                        .child("timeoutSeconds"),
                    t,
                    "must be greater than 0 and less than 86400",
                )),
                Some(_) => {}
            }
        }
        "None" => {
            if has(spec, "sessionAffinityConfig") {
                errs.push(FieldError::forbidden(
                    path.child("sessionAffinityConfig"),
                    "must not be set when session affinity is None",
                ));
            }
        }
        other => errs.push(FieldError::not_supported(
            path.child("sessionAffinity"),
            other,
            &["ClientIP", "None"],
        )),
    }
    if ty != "ExternalName" {
        errs.extend(validate_cluster_ips(spec, &path));
    }
    for (i, ip) in arr_at(spec, "externalIPs").iter().enumerate() {
        let ip = ip.as_str().unwrap_or_default();
        if !names::is_ip(ip) {
            errs.push(FieldError::invalid(
                path.child("externalIPs").index(i),
                ip,
                "must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)",
            ));
        }
    }
    match ty {
        "" => errs.push(FieldError::required(path.child("type"), "")),
        "ClusterIP" | "NodePort" | "LoadBalancer" | "ExternalName" => {}
        other => errs.push(FieldError::not_supported(
            path.child("type"),
            other,
            &["ClusterIP", "ExternalName", "LoadBalancer", "NodePort"],
        )),
    }
    let mut node_ports = BTreeSet::new();
    let mut seen_ports = BTreeSet::new();
    for (i, p) in ports.iter().enumerate() {
        let pp = path.child("ports").index(i);
        let node_port = int_at(p, "nodePort").unwrap_or(0);
        let proto = string_at(p, "protocol");
        if node_port != 0 {
            if ty == "ClusterIP" {
                errs.push(FieldError::forbidden(
                    pp.child("nodePort"),
                    "may not be used when `type` is 'ClusterIP'",
                ));
            } else if !NODE_PORT_RANGE.contains(&node_port) {
                errs.push(FieldError::invalid(
                    pp.child("nodePort"),
                    node_port,
                    format!(
                        "provided port is not in the valid range. The range of valid ports is {}-{}",
                        NODE_PORT_RANGE.start(),
                        NODE_PORT_RANGE.end()
                    ),
                ));
            }
            if !node_ports.insert((proto.to_string(), node_port)) {
                errs.push(FieldError::duplicate(pp.child("nodePort"), node_port));
            }
        }
        let port = int_at(p, "port").unwrap_or(0);
        if !seen_ports.insert((proto.to_string(), port)) {
            let mut e = FieldError::invalid_literal(
                &pp,
                format!(
                    "core.ServicePort{{Name:\"\", Protocol:{proto:?}, AppProtocol:(*string)(nil), Port:{port}, TargetPort:{}, NodePort:0}}",
                    int_or_string_literal(&Value::from(0))
                ),
                "",
            );
            e.kind = FieldErrorType::Duplicate;
            errs.push(e);
        }
    }
    if !arr_at(spec, "loadBalancerSourceRanges").is_empty() && ty != "LoadBalancer" {
        errs.push(FieldError::forbidden(
            path.child("LoadBalancerSourceRanges"),
            "may only be used when `type` is 'LoadBalancer'",
        ));
    }
    if has(spec, "allocateLoadBalancerNodePorts") && ty != "LoadBalancer" {
        errs.push(FieldError::forbidden(
            path.child("allocateLoadBalancerNodePorts"),
            "may only be used when `type` is 'LoadBalancer'",
        ));
    }
    if ty == "LoadBalancer" && !has(spec, "allocateLoadBalancerNodePorts") {
        errs.push(FieldError::required("allocateLoadBalancerNodePorts", ""));
    }
    errs.extend(validate_traffic_policies(spec, ty, &path));
    errs
}

fn validate_service_port(
    p: &Value,
    require_name: bool,
    all: &mut BTreeSet<String>,
    path: &FieldPath,
) -> Vec<FieldError> {
    let mut errs = Vec::new();
    let name = string_at(p, "name");
    if require_name && name.is_empty() {
        errs.push(FieldError::required(path.child("name"), ""));
    } else if !name.is_empty() {
        for msg in names::is_dns1123_label(name) {
            errs.push(FieldError::invalid(path.child("name"), name, msg));
        }
        if !all.insert(name.to_string()) {
            errs.push(FieldError::duplicate(path.child("name"), name));
        }
    }
    let port = int_at(p, "port").unwrap_or(0);
    for msg in names::is_valid_port_num(port) {
        errs.push(FieldError::invalid(path.child("port"), port, msg));
    }
    let proto = string_at(p, "protocol");
    if proto.is_empty() {
        errs.push(FieldError::required(path.child("protocol"), ""));
    } else if !PROTOCOLS.contains(&proto) {
        errs.push(FieldError::not_supported(
            path.child("protocol"),
            proto,
            &PROTOCOLS,
        ));
    }
    errs.extend(validate_port_num_or_name(
        p.get("targetPort"),
        &path.child("targetPort"),
    ));
    if let Some(ap) = str_at(p, "appProtocol") {
        for msg in names::is_qualified_name(ap) {
            errs.push(FieldError::invalid(path.child("appProtocol"), ap, msg));
        }
    }
    errs
}

fn validate_cluster_ips(spec: &Value, path: &FieldPath) -> Vec<FieldError> {
    let mut errs = Vec::new();
    let ips: Vec<&str> = arr_at(spec, "clusterIPs")
        .iter()
        .filter_map(Value::as_str)
        .collect();
    let field = path.child("clusterIPs");
    if let (Some(cip), Some(first)) = (str_at(spec, "clusterIP"), ips.first()) {
        if cip != *first {
            errs.push(FieldError::invalid_literal(
                &field,
                string_list(&ips),
                "first value must match `clusterIP`",
            ));
        }
    }
    for (i, ip) in ips.iter().enumerate() {
        if i == 0 && *ip == "None" {
            if ips.len() > 1 {
                errs.push(FieldError::invalid_literal(
                    &field,
                    string_list(&ips),
                    "'None' must be the first and only value",
                ));
            }
            continue;
        }
        if !names::is_ip(ip) {
            errs.push(FieldError::invalid(
                field.index(i),
                *ip,
                "must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)",
            ));
        }
    }
    match str_at(spec, "ipFamilyPolicy") {
        None => errs.push(FieldError::required(path.child("ipFamilyPolicy"), "")),
        Some("SingleStack" | "PreferDualStack" | "RequireDualStack") => {}
        Some(other) => errs.push(FieldError::not_supported(
            path.child("ipFamilyPolicy"),
            other,
            &["PreferDualStack", "RequireDualStack", "SingleStack"],
        )),
    }
    let mut seen = BTreeSet::new();
    for (i, fam) in arr_at(spec, "ipFamilies").iter().enumerate() {
        let fam = fam.as_str().unwrap_or_default();
        if fam != "IPv4" && fam != "IPv6" {
            errs.push(FieldError::not_supported(
                path.child("ipFamilies").index(i),
                fam,
                &["IPv4", "IPv6"],
            ));
        } else if !seen.insert(fam) {
            errs.push(FieldError::duplicate(
                path.child("ipFamilies").index(i),
                fam,
            ));
        }
    }
    errs
}

/// `[]string{"10.96.0.10"}`
fn string_list(items: &[&str]) -> String {
    let quoted: Vec<String> = items.iter().map(|s| format!("{s:?}")).collect();
    format!("[]string{{{}}}", quoted.join(", "))
}

fn validate_traffic_policies(spec: &Value, ty: &str, path: &FieldPath) -> Vec<FieldError> {
    let mut errs = Vec::new();
    let external =
        matches!(ty, "NodePort" | "LoadBalancer") || !arr_at(spec, "externalIPs").is_empty();
    let etp = string_at(spec, "externalTrafficPolicy");
    if !external {
        if !etp.is_empty() {
            errs.push(FieldError::invalid(
                path.child("externalTrafficPolicy"),
                etp,
                "may only be set for externally-accessible services",
            ));
        }
    } else if etp.is_empty() {
        errs.push(FieldError::required(
            path.child("externalTrafficPolicy"),
            "",
        ));
    } else if etp != "Cluster" && etp != "Local" {
        errs.push(FieldError::not_supported(
            path.child("externalTrafficPolicy"),
            etp,
            &["Cluster", "Local"],
        ));
    }
    let needs_health_check = ty == "LoadBalancer" && etp == "Local";
    let hc = int_at(spec, "healthCheckNodePort").unwrap_or(0);
    if !needs_health_check && hc != 0 {
        errs.push(FieldError::invalid(
            path.child("healthCheckNodePort"),
            hc,
            "may only be set when `type` is 'LoadBalancer' and `externalTrafficPolicy` is 'Local'",
        ));
    } else if needs_health_check && hc == 0 {
        errs.push(FieldError::required(path.child("healthCheckNodePort"), ""));
    }
    match str_at(spec, "internalTrafficPolicy") {
        None if matches!(ty, "NodePort" | "LoadBalancer" | "ClusterIP") => {
            errs.push(FieldError::required(
                path.child("internalTrafficPolicy"),
                "",
            ));
        }
        Some(p) if p != "Cluster" && p != "Local" => {
            errs.push(FieldError::not_supported(
                path.child("internalTrafficPolicy"),
                p,
                &["Cluster", "Local"],
            ));
        }
        _ => {}
    }
    if let Some(td) = str_at(spec, "trafficDistribution") {
        let allowed = ["PreferClose", "PreferSameZone", "PreferSameNode"];
        if !allowed.contains(&td) {
            errs.push(FieldError::not_supported(
                path.child("trafficDistribution"),
                td,
                &allowed,
            ));
        }
    }
    errs
}

/// ValidateServiceUpdate: a Service's cluster IPs never change once set
/// (unless the Service is or becomes ExternalName).
pub fn validate_service_update(new: &Value, old: &Value) -> Vec<FieldError> {
    let mut errs = validate_object_meta_update(new, old);
    let null = Value::Null;
    let (ns, os) = (
        new.get("spec").unwrap_or(&null),
        old.get("spec").unwrap_or(&null),
    );
    let external_name =
        string_at(ns, "type") == "ExternalName" || string_at(os, "type") == "ExternalName";
    if !external_name {
        let new_ips: Vec<&str> = arr_at(ns, "clusterIPs")
            .iter()
            .filter_map(Value::as_str)
            .collect();
        let old_ips: Vec<&str> = arr_at(os, "clusterIPs")
            .iter()
            .filter_map(Value::as_str)
            .collect();
        if let (Some(n), Some(o)) = (new_ips.first(), old_ips.first()) {
            if n != o {
                errs.push(FieldError::invalid_literal(
                    FieldPath::root("spec").child("clusterIPs").index(0),
                    string_list(&new_ips),
                    "may not change once set",
                ));
            }
        }
        if let (Some(n), Some(o)) = (str_at(ns, "clusterIP"), str_at(os, "clusterIP")) {
            if new_ips.is_empty() && n != o {
                errs.push(FieldError::invalid(
                    FieldPath::root("spec").child("clusterIP"),
                    n,
                    "field is immutable",
                ));
            }
        }
    }
    let hc_path = FieldPath::root("spec").child("healthCheckNodePort");
    let needs = |s: &Value| {
        string_at(s, "type") == "LoadBalancer" && string_at(s, "externalTrafficPolicy") == "Local"
    };
    if needs(ns)
        && needs(os)
        && int_at(ns, "healthCheckNodePort") != int_at(os, "healthCheckNodePort")
    {
        errs.push(FieldError::forbidden(hc_path, "field is immutable"));
    }
    errs.extend(validate_service(new));
    errs
}

/// Endpoints written by the endpoints controller (or by hand for selectorless Services).
pub fn validate_endpoints(ep: &Value) -> Vec<FieldError> {
    let mut errs = validate_object_meta(ep, true, names::name_is_dns_subdomain);
    for (i, subset) in arr_at(ep, "subsets").iter().enumerate() {
        let sp = FieldPath::root("subsets").index(i);
        for key in ["addresses", "notReadyAddresses"] {
            for (j, a) in arr_at(subset, key).iter().enumerate() {
                let ip = string_at(a, "ip");
                if !names::is_ip(ip) {
                    errs.push(FieldError::invalid(
                        sp.child(key).index(j).child("ip"),
                        ip,
                        "must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)",
                    ));
                }
            }
        }
        let ports = arr_at(subset, "ports");
        for (j, p) in ports.iter().enumerate() {
            let pp = sp.child("ports").index(j);
            if ports.len() > 1 && string_at(p, "name").is_empty() {
                errs.push(FieldError::required(pp.child("name"), ""));
            }
            let port = int_at(p, "port").unwrap_or(0);
            for msg in names::is_valid_port_num(port) {
                errs.push(FieldError::invalid(pp.child("port"), port, msg));
            }
            let proto = string_at(p, "protocol");
            if proto.is_empty() {
                errs.push(FieldError::required(pp.child("protocol"), ""));
            } else if !PROTOCOLS.contains(&proto) {
                errs.push(FieldError::not_supported(
                    pp.child("protocol"),
                    proto,
                    &PROTOCOLS,
                ));
            }
        }
    }
    errs
}

pub fn validate_endpoint_slice(es: &Value) -> Vec<FieldError> {
    let mut errs = validate_object_meta(es, true, names::name_is_dns_subdomain);
    match string_at(es, "addressType") {
        "" => errs.push(FieldError::required("addressType", "")),
        "IPv4" | "IPv6" | "FQDN" => {}
        other => errs.push(FieldError::not_supported(
            "addressType",
            other,
            &["FQDN", "IPv4", "IPv6"],
        )),
    }
    for (i, ep) in arr_at(es, "endpoints").iter().enumerate() {
        if arr_at(ep, "addresses").is_empty() {
            errs.push(FieldError::required(
                FieldPath::root("endpoints").index(i).child("addresses"),
                "must contain at least 1 address",
            ));
        }
    }
    errs
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::validation::test_support::{defaulted, messages};
    use serde_json::json;

    fn svc(spec: Value) -> Value {
        defaulted(
            json!({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "my-api-service", "namespace": "default"}, "spec": spec}),
        )
    }

    fn errors(s: &Value) -> Vec<String> {
        messages(&validate_service(s))
    }

    #[test]
    fn seed_service_is_valid() {
        let s = svc(
            json!({"type": "ClusterIP", "selector": {"app": "my-api"}, "ports": [{"port": 80, "targetPort": 3000}]}),
        );
        assert_eq!(errors(&s), Vec::<String>::new());
    }

    #[test]
    fn service_names_are_dns1035_labels() {
        let mut s = svc(json!({"ports": [{"port": 80}]}));
        s["metadata"]["name"] = json!("1api");
        assert!(errors(&s)[0]
            .starts_with(r#"metadata.name: Invalid value: "1api": a DNS-1035 label must consist"#));
    }

    #[test]
    fn ports_are_required_and_ranged() {
        assert_eq!(errors(&svc(json!({}))), vec!["spec.ports: Required value"]);
        assert_eq!(
            errors(&svc(json!({"ports": [{"port": 0, "targetPort": 80}]}))),
            vec!["spec.ports[0].port: Invalid value: 0: must be between 1 and 65535, inclusive"]
        );
    }

    #[test]
    fn multiple_ports_need_names() {
        assert_eq!(
            errors(&svc(
                json!({"ports": [{"port": 80}, {"port": 443, "name": "https"}]})
            )),
            vec!["spec.ports[0].name: Required value"]
        );
    }

    #[test]
    fn unknown_type_is_unsupported() {
        assert_eq!(
            errors(&svc(json!({"type": "Public", "ports": [{"port": 80}]}))),
            vec![
                r#"spec.type: Unsupported value: "Public": supported values: "ClusterIP", "ExternalName", "LoadBalancer", "NodePort""#
            ]
        );
    }

    #[test]
    fn node_port_must_be_in_range_and_not_on_cluster_ip() {
        assert_eq!(
            errors(&svc(json!({"type": "NodePort", "ports": [{"port": 80, "nodePort": 80}]}))),
            vec!["spec.ports[0].nodePort: Invalid value: 80: provided port is not in the valid range. The range of valid ports is 30000-32767"]
        );
        assert_eq!(
            errors(&svc(json!({"ports": [{"port": 80, "nodePort": 30080}]}))),
            vec!["spec.ports[0].nodePort: Forbidden: may not be used when `type` is 'ClusterIP'"]
        );
    }

    #[test]
    fn bad_selector_label() {
        assert!(errors(&svc(
            json!({"selector": {"app": "my api"}, "ports": [{"port": 80}]})
        ))[0]
            .starts_with(r#"spec.selector: Invalid value: "my api": a valid label must be"#));
    }

    #[test]
    fn cluster_ip_may_not_change() {
        let mut old = svc(json!({"ports": [{"port": 80}]}));
        old["spec"]["clusterIP"] = json!("10.96.0.10");
        old["spec"]["clusterIPs"] = json!(["10.96.0.10"]);
        let mut new = old.clone();
        new["spec"]["clusterIP"] = json!("10.96.0.11");
        new["spec"]["clusterIPs"] = json!(["10.96.0.11"]);
        let errs = messages(&validate_service_update(&new, &old));
        assert_eq!(
            errs,
            vec![
                r#"spec.clusterIPs[0]: Invalid value: []string{"10.96.0.11"}: may not change once set"#
            ]
        );
    }

    #[test]
    fn duplicate_ports_are_reported() {
        let errs = errors(&svc(
            json!({"ports": [{"port": 80, "name": "a"}, {"port": 80, "name": "b"}]}),
        ));
        assert_eq!(errs.len(), 1);
        assert!(errs[0].starts_with("spec.ports[1]: Duplicate value: core.ServicePort{"));
    }
}
