//! Service defaults (type, session affinity, port protocol and target port,
//! traffic policies, IP families) and the Endpoints kinds' port protocols.

use super::{child, default_field, each};
use serde_json::{json, Value};

pub fn apply_service(svc: &mut Value) {
    let spec = child(svc, "spec");
    default_field(spec, "type", json!("ClusterIP"));
    default_field(spec, "sessionAffinity", json!("None"));
    match spec.get("sessionAffinity").and_then(Value::as_str) {
        Some("None") => {
            if let Some(m) = spec.as_object_mut() {
                m.remove("sessionAffinityConfig");
            }
        }
        Some("ClientIP") => {
            let client_ip = child(child(spec, "sessionAffinityConfig"), "clientIP");
            default_field(client_ip, "timeoutSeconds", json!(10800));
        }
        _ => {}
    }
    each(spec, "ports", |p| {
        default_field(p, "protocol", json!("TCP"));
        let unset = p
            .get("targetPort")
            .is_none_or(|t| t.is_null() || t == &json!(0) || t == &json!(""));
        if unset {
            if let Some(port) = p.get("port").cloned() {
                p["targetPort"] = port;
            }
        }
    });
    let ty = spec
        .get("type")
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_string();
    let has_external_ips = spec
        .get("externalIPs")
        .and_then(Value::as_array)
        .is_some_and(|a| !a.is_empty());
    if ty == "NodePort" || ty == "LoadBalancer" || (ty == "ClusterIP" && has_external_ips) {
        default_field(spec, "externalTrafficPolicy", json!("Cluster"));
    }
    if matches!(ty.as_str(), "ClusterIP" | "NodePort" | "LoadBalancer") {
        default_field(spec, "internalTrafficPolicy", json!("Cluster"));
    }
    // The request layer's IP-family defaulting, for a single-stack IPv4 cluster.
    if ty != "ExternalName" {
        default_field(spec, "ipFamilyPolicy", json!("SingleStack"));
        default_field(spec, "ipFamilies", json!(["IPv4"]));
    }
    if ty == "LoadBalancer" {
        default_field(spec, "allocateLoadBalancerNodePorts", json!(true));
    }
    let status = child(svc, "status");
    default_field(status, "loadBalancer", json!({}));
}

pub fn apply_endpoints(ep: &mut Value) {
    each(ep, "subsets", |s| {
        each(s, "ports", |p| {
            default_field(p, "protocol", json!("TCP"));
        })
    });
}

pub fn apply_endpoint_slice(es: &mut Value) {
    each(es, "ports", |p| {
        default_field(p, "protocol", json!("TCP"));
        default_field(p, "name", json!(""));
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seed_service_reads_back_like_a_cluster() {
        let mut s = json!({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "my-api-service"},
            "spec": {"type": "ClusterIP", "selector": {"app": "my-api"}, "ports": [{"port": 80, "targetPort": 3000}]}});
        apply_service(&mut s);
        assert_eq!(
            s["spec"],
            json!({"type": "ClusterIP", "selector": {"app": "my-api"}, "sessionAffinity": "None",
                "ports": [{"port": 80, "targetPort": 3000, "protocol": "TCP"}],
                "internalTrafficPolicy": "Cluster", "ipFamilies": ["IPv4"], "ipFamilyPolicy": "SingleStack"})
        );
        assert_eq!(s["status"], json!({"loadBalancer": {}}));
    }

    #[test]
    fn target_port_defaults_to_port_and_load_balancers_get_their_fields() {
        let mut s = json!({"spec": {"type": "LoadBalancer", "ports": [{"port": 8080}]}});
        apply_service(&mut s);
        assert_eq!(s["spec"]["ports"][0]["targetPort"], 8080);
        assert_eq!(s["spec"]["externalTrafficPolicy"], "Cluster");
        assert_eq!(s["spec"]["allocateLoadBalancerNodePorts"], true);
    }

    #[test]
    fn external_name_gets_no_ip_families() {
        let mut s = json!({"spec": {"type": "ExternalName", "externalName": "example.com"}});
        apply_service(&mut s);
        assert!(s["spec"].get("ipFamilies").is_none());
        assert!(s["spec"].get("internalTrafficPolicy").is_none());
    }

    #[test]
    fn client_ip_affinity_gets_a_timeout() {
        let mut s = json!({"spec": {"sessionAffinity": "ClientIP", "ports": [{"port": 80}]}});
        apply_service(&mut s);
        assert_eq!(
            s["spec"]["sessionAffinityConfig"],
            json!({"clientIP": {"timeoutSeconds": 10800}})
        );
    }
}
