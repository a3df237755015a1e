//! Tables for Services and where they route: Endpoints and EndpointSlices,
//! with Kubernetes' `80:30080/TCP` ports and `<pending>` load balancers.

use super::descriptions as doc;
use super::duration::since;
use super::fields::{list_at, map_at, opt_int, opt_str, str_at, time};
use super::selector::label_map_or_none;
use super::{Column, Printer, Row, Rows};
use crate::api::meta;
use jiff::Timestamp;
use serde_json::Value;
use std::collections::BTreeSet;

pub(super) const SERVICE: Printer = Printer {
    columns: &[
        Column::name(),
        Column::string("Type", doc::SVC_TYPE),
        Column::string("Cluster-IP", doc::SVC_CLUSTERIP),
        Column::string("External-IP", doc::SVC_EXTERNALIPS),
        Column::string("Port(s)", doc::SVC_PORTS),
        Column::age(),
        Column::string("Selector", doc::SVC_SELECTOR).wide(),
    ],
    rows: Rows::Each(service_row),
};

pub(super) const ENDPOINTS: Printer = Printer {
    columns: &[
        Column::name(),
        Column::string("Endpoints", doc::EP_SUBSETS),
        Column::age(),
    ],
    rows: Rows::Each(endpoints_row),
};

pub(super) const ENDPOINT_SLICE: Printer = Printer {
    columns: &[
        Column::name(),
        Column::string("AddressType", doc::ES_ADDRESSTYPE),
        Column::string("Ports", doc::ES_PORTS),
        Column::string("Endpoints", doc::ES_ENDPOINTS),
        Column::age(),
    ],
    rows: Rows::Each(endpoint_slice_row),
};

/// Lists in these columns stop after this many entries and say how many more.
const MAX_LISTED: usize = 3;

fn service_row(svc: &Value, now: Timestamp) -> Row {
    // Stored Services are defaulted; a missing type is the default ClusterIP.
    let svc_type = opt_str(svc, "/spec/type").unwrap_or("ClusterIP");
    let cluster_ip = match str_at(svc, "/spec/clusterIP") {
        "" => opt_str(svc, "/spec/clusterIPs/0").unwrap_or("<none>"),
        ip => ip,
    };
    let ports = port_string(list_at(svc, "/spec/ports"));
    Row::new(vec![
        meta::name(svc).into(),
        svc_type.into(),
        cluster_ip.into(),
        external_ip(svc, svc_type).into(),
        if ports.is_empty() {
            "<none>".to_string()
        } else {
            ports
        }
        .into(),
        since(time(svc, "/metadata/creationTimestamp"), now).into(),
        label_map_or_none(map_at(svc, "/spec/selector")).into(),
    ])
}

/// The External-IP cell. The server prints the wide form, so load balancer
/// addresses are never clipped here.
fn external_ip(svc: &Value, svc_type: &str) -> String {
    let external_ips: Vec<&str> = list_at(svc, "/spec/externalIPs")
        .iter()
        .filter_map(Value::as_str)
        .collect();
    match svc_type {
        "ClusterIP" | "NodePort" if external_ips.is_empty() => "<none>".into(),
        "ClusterIP" | "NodePort" => external_ips.join(","),
        "LoadBalancer" => {
            let mut all: Vec<String> = load_balancer_addresses(svc);
            all.extend(external_ips.iter().map(|s| s.to_string()));
            if all.is_empty() {
                "<pending>".into()
            } else {
                all.join(",")
            }
        }
        "ExternalName" => str_at(svc, "/spec/externalName").into(),
        _ => "<unknown>".into(),
    }
}

/// Distinct ingress IPs (or hostnames when there is no IP), sorted.
pub(super) fn load_balancer_addresses(obj: &Value) -> Vec<String> {
    list_at(obj, "/status/loadBalancer/ingress")
        .iter()
        .filter_map(|ing| match (str_at(ing, "/ip"), str_at(ing, "/hostname")) {
            ("", "") => None,
            ("", host) => Some(host.to_string()),
            (ip, _) => Some(ip.to_string()),
        })
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect()
}

/// `80/TCP,443:30443/TCP`.
fn port_string(ports: &[Value]) -> String {
    ports
        .iter()
        .map(|p| {
            let port = opt_int(p, "/port").unwrap_or(0);
            let protocol = opt_str(p, "/protocol").unwrap_or("TCP");
            match opt_int(p, "/nodePort").unwrap_or(0) {
                n if n > 0 => format!("{port}:{n}/{protocol}"),
                _ => format!("{port}/{protocol}"),
            }
        })
        .collect::<Vec<_>>()
        .join(",")
}

fn endpoints_row(ep: &Value, now: Timestamp) -> Row {
    Row::new(vec![
        meta::name(ep).into(),
        endpoint_addresses(list_at(ep, "/subsets")).into(),
        since(time(ep, "/metadata/creationTimestamp"), now).into(),
    ])
}

/// `10.0.0.1:80,10.0.0.2:80 + 3 more...`, one entry per address and port.
fn endpoint_addresses(subsets: &[Value]) -> String {
    if subsets.is_empty() {
        return "<none>".into();
    }
    let mut list: Vec<String> = Vec::new();
    let mut count = 0;
    let mut more = false;
    for subset in subsets {
        let addresses = list_at(subset, "/addresses");
        let ports = list_at(subset, "/ports");
        // Headless services may have addresses without ports.
        let port_numbers: Vec<Option<i64>> = if ports.is_empty() {
            vec![None]
        } else {
            ports
                .iter()
                .map(|p| Some(opt_int(p, "/port").unwrap_or(0)))
                .collect()
        };
        for port in port_numbers {
            count += addresses.len();
            for addr in addresses {
                if list.len() == MAX_LISTED {
                    more = true;
                    break;
                }
                let ip = str_at(addr, "/ip");
                list.push(match port {
                    None => ip.to_string(),
                    Some(port) => join_host_port(ip, port),
                });
            }
        }
    }
    let joined = list.join(",");
    if more {
        format!("{joined} + {} more...", count - MAX_LISTED)
    } else {
        joined
    }
}

/// `host:port`, with IPv6 hosts in brackets.
fn join_host_port(host: &str, port: i64) -> String {
    if host.contains(':') {
        format!("[{host}]:{port}")
    } else {
        format!("{host}:{port}")
    }
}

fn endpoint_slice_row(slice: &Value, now: Timestamp) -> Row {
    let ports: Vec<String> = list_at(slice, "/ports")
        .iter()
        .map(|p| match (opt_int(p, "/port"), opt_str(p, "/name")) {
            (Some(port), _) => port.to_string(),
            (None, Some(name)) => name.to_string(),
            (None, None) => "*".to_string(),
        })
        .collect();
    let addresses: Vec<String> = list_at(slice, "/endpoints")
        .iter()
        .flat_map(|e| list_at(e, "/addresses").iter().filter_map(Value::as_str))
        .map(str::to_string)
        .collect();
    Row::new(vec![
        meta::name(slice).into(),
        str_at(slice, "/addressType").into(),
        list_with_more(&ports).into(),
        list_with_more(&addresses).into(),
        since(time(slice, "/metadata/creationTimestamp"), now).into(),
    ])
}

/// The first three entries, `+ N more...`, or `<unset>` when there are none.
fn list_with_more(all: &[String]) -> String {
    match all.len() {
        0 => "<unset>".into(),
        n if n > MAX_LISTED => format!(
            "{} + {} more...",
            all[..MAX_LISTED].join(","),
            n - MAX_LISTED
        ),
        _ => all.join(","),
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_support::*;
    use serde_json::{json, Value};

    fn service(spec: Value, status: Value) -> Value {
        json!({
            "apiVersion": "v1", "kind": "Service",
            "metadata": {"name": "web", "namespace": "default", "creationTimestamp": ago(86400 * 3)},
            "spec": spec, "status": status,
        })
    }

    #[test]
    fn cluster_ip_service() {
        let s = service(
            json!({"type": "ClusterIP", "clusterIP": "10.96.12.7", "clusterIPs": ["10.96.12.7"],
                   "selector": {"app": "web"}, "ports": [{"port": 80, "targetPort": 8080, "protocol": "TCP"}]}),
            json!({}),
        );
        assert_eq!(
            cells(&s),
            json!([
                "web",
                "ClusterIP",
                "10.96.12.7",
                "<none>",
                "80/TCP",
                "3d",
                "app=web"
            ])
        );
        assert_eq!(
            headers(&s),
            expect_headers(&[
                ("Name", "string", 0),
                ("Type", "string", 0),
                ("Cluster-IP", "string", 0),
                ("External-IP", "string", 0),
                ("Port(s)", "string", 0),
                ("Age", "string", 0),
                ("Selector", "string", 1),
            ])
        );
    }

    #[test]
    fn node_port_service() {
        let s = service(
            json!({"type": "NodePort", "clusterIPs": ["10.96.0.20"], "selector": {"app": "web", "tier": "fe"},
                   "ports": [{"port": 80, "nodePort": 30080, "protocol": "TCP"}, {"port": 53, "nodePort": 30053, "protocol": "UDP"}]}),
            json!({}),
        );
        assert_eq!(
            cells(&s),
            json!([
                "web",
                "NodePort",
                "10.96.0.20",
                "<none>",
                "80:30080/TCP,53:30053/UDP",
                "3d",
                "app=web,tier=fe"
            ])
        );
    }

    #[test]
    fn load_balancer_pending_then_assigned() {
        let spec = json!({"type": "LoadBalancer", "clusterIP": "10.96.3.3", "ports": [{"port": 443, "nodePort": 31443, "protocol": "TCP"}]});
        let pending = service(spec.clone(), json!({"loadBalancer": {}}));
        assert_eq!(cells(&pending)[3], "<pending>");
        let assigned = service(
            spec,
            json!({"loadBalancer": {"ingress": [
                {"ip": "203.0.113.10"}, {"hostname": "a1b2c3.elb.example.com"}, {"ip": "198.51.100.7"}, {"ip": "203.0.113.10"},
            ]}}),
        );
        assert_eq!(
            cells(&assigned)[3],
            "198.51.100.7,203.0.113.10,a1b2c3.elb.example.com"
        );
        assert_eq!(cells(&assigned)[4], "443:31443/TCP");
        assert_eq!(cells(&assigned)[6], "<none>");
    }

    #[test]
    fn load_balancer_lists_external_ips_after_ingress() {
        let s = service(
            json!({"type": "LoadBalancer", "externalIPs": ["192.0.2.1"], "ports": []}),
            json!({"loadBalancer": {"ingress": [{"ip": "203.0.113.10"}]}}),
        );
        let c = cells(&s);
        assert_eq!(c[3], "203.0.113.10,192.0.2.1");
        assert_eq!(c[2], "<none>");
        assert_eq!(c[4], "<none>");
    }

    #[test]
    fn headless_and_external_name_services() {
        let headless = service(
            json!({"type": "ClusterIP", "clusterIP": "None", "ports": [{"port": 5432, "protocol": "TCP"}]}),
            json!({}),
        );
        assert_eq!(cells(&headless)[2], "None");
        let ext = service(
            json!({"type": "ExternalName", "externalName": "db.example.com"}),
            json!({}),
        );
        assert_eq!(cells(&ext)[3], "db.example.com");
        assert_eq!(cells(&ext)[2], "<none>");
    }

    #[test]
    fn endpoints_list_three_then_count_the_rest() {
        let ep = json!({
            "apiVersion": "v1", "kind": "Endpoints",
            "metadata": {"name": "web", "creationTimestamp": ago(60)},
            "subsets": [{
                "addresses": [{"ip": "10.244.1.2"}, {"ip": "10.244.2.3"}, {"ip": "10.244.3.4"}],
                "ports": [{"port": 8080, "protocol": "TCP"}, {"port": 9090, "protocol": "TCP"}],
            }],
        });
        assert_eq!(
            cells(&ep),
            json!([
                "web",
                "10.244.1.2:8080,10.244.2.3:8080,10.244.3.4:8080 + 3 more...",
                "60s"
            ])
        );
        let empty = json!({"apiVersion": "v1", "kind": "Endpoints", "metadata": {"name": "none"}});
        assert_eq!(cells(&empty)[1], "<none>");
        let headless = json!({"apiVersion": "v1", "kind": "Endpoints", "metadata": {"name": "h"},
                              "subsets": [{"addresses": [{"ip": "fd00::1"}]}]});
        assert_eq!(cells(&headless)[1], "fd00::1");
        let v6 = json!({"apiVersion": "v1", "kind": "Endpoints", "metadata": {"name": "h"},
                        "subsets": [{"addresses": [{"ip": "fd00::1"}], "ports": [{"port": 80}]}]});
        assert_eq!(cells(&v6)[1], "[fd00::1]:80");
    }

    #[test]
    fn endpoint_slice_golden_row() {
        let slice = json!({
            "apiVersion": "discovery.k8s.io/v1", "kind": "EndpointSlice",
            "metadata": {"name": "web-abc12", "creationTimestamp": ago(30)},
            "addressType": "IPv4",
            "ports": [{"name": "http", "port": 8080, "protocol": "TCP"}, {"name": "metrics"}],
            "endpoints": [
                {"addresses": ["10.244.1.2"]}, {"addresses": ["10.244.2.3"]},
                {"addresses": ["10.244.3.4"]}, {"addresses": ["10.244.4.5"]},
            ],
        });
        assert_eq!(
            cells(&slice),
            json!([
                "web-abc12",
                "IPv4",
                "8080,metrics",
                "10.244.1.2,10.244.2.3,10.244.3.4 + 1 more...",
                "30s"
            ])
        );
        let empty = json!({"apiVersion": "discovery.k8s.io/v1", "kind": "EndpointSlice", "metadata": {"name": "e"}, "addressType": "IPv4"});
        assert_eq!(cells(&empty)[2], "<unset>");
        assert_eq!(cells(&empty)[3], "<unset>");
    }
}
