//! The Services an agent proxies and answers DNS for, resolved from Services, their Endpoints
//! and the Nodes their pods run on: what kube-proxy and CoreDNS would watch, in one message.
//!
//! Only ready addresses are listed (an endpoint that turns unready leaves at the next sync).
//! Each endpoint names its node and, for agent nodes that announce one, the agent's relay
//! (`InternalIP:<kubeplay.dev/proxy-port label>`): pod IPs are not routed between machines,
//! so an agent reaches a remote pod through the agent that runs it.

use super::registration::is_agent;
use crate::api::{meta, resources};
use crate::apiserver::ApiServer;
use crate::node_protocol::service::{Backend, ServicePortRoute, ServiceRoute};
use serde_json::Value;
use std::collections::HashMap;
use std::hash::{Hash, Hasher};

/// The Node label an agent sets to announce the port of its relay.
pub const PROXY_PORT_LABEL: &str = "kubeplay.dev/proxy-port";
/// Node labels saying (`true`/`false`) whether the agent's machine answers on cluster IPs, and
/// on LoadBalancer external IPs (else such Services are reached on their node ports).
pub const CLUSTER_IPS_LABEL: &str = "kubeplay.dev/cluster-ips";
pub const LOAD_BALANCER_IPS_LABEL: &str = "kubeplay.dev/load-balancer-ips";

/// Every Service of the cluster (ExternalName ones have nothing to proxy), in store order.
pub fn service_routes(api: &ApiServer) -> Vec<ServiceRoute> {
    let (Some(services), Some(endpoints), Some(nodes)) = (
        resources::by_plural("", "v1", "services"),
        resources::by_plural("", "v1", "endpoints"),
        resources::by_plural("", "v1", "nodes"),
    ) else {
        return Vec::new();
    };
    let relays: HashMap<&str, String> = api.list(nodes, None).filter_map(|n| Some((meta::name(n), relay_address(n)?))).collect();
    api.list(services, None)
        .filter(|s| s.pointer("/spec/type").and_then(Value::as_str) != Some("ExternalName"))
        .map(|s| {
            let ep = api.get(endpoints, meta::namespace(s), meta::name(s)).ok();
            route(s, ep.map(|e| &**e), &relays)
        })
        .collect()
}

/// Where another agent reaches pods on `node`: its InternalIP and announced relay port.
pub fn relay_address(node: &Value) -> Option<String> {
    if !is_agent(node) {
        return None;
    }
    let port: u16 = meta::label(node, PROXY_PORT_LABEL)?.parse().ok()?;
    let ip = node
        .pointer("/status/addresses")
        .and_then(Value::as_array)?
        .iter()
        .find(|a| a["type"] == "InternalIP")?
        .get("address")?
        .as_str()?;
    Some(format!("{ip}:{port}"))
}

fn str_at<'a>(v: &'a Value, pointer: &str) -> Option<&'a str> {
    v.pointer(pointer).and_then(Value::as_str)
}

fn route(service: &Value, endpoints: Option<&Value>, relays: &HashMap<&str, String>) -> ServiceRoute {
    let cluster_ip = str_at(service, "/spec/clusterIP").filter(|ip| !ip.is_empty() && *ip != "None").map(str::to_string);
    let external_ips = service
        .pointer("/status/loadBalancer/ingress")
        .and_then(Value::as_array)
        .map(|list| list.iter().filter_map(|i| i["ip"].as_str().map(str::to_string)).collect())
        .unwrap_or_default();
    let subsets: &[Value] = endpoints.and_then(|e| e["subsets"].as_array()).map_or(&[], Vec::as_slice);
    let ports = service
        .pointer("/spec/ports")
        .and_then(Value::as_array)
        .map_or(&[][..], Vec::as_slice)
        .iter()
        .filter_map(|sp| {
            let name = sp["name"].as_str().unwrap_or_default().to_string();
            let port = u16::try_from(sp["port"].as_u64()?).ok()?;
            let node_port = sp["nodePort"].as_u64().and_then(|p| u16::try_from(p).ok());
            let protocol = sp["protocol"].as_str().unwrap_or("TCP").to_string();
            let endpoints = backends(subsets, &name, relays);
            Some(ServicePortRoute { name, protocol, port, node_port, endpoints })
        })
        .collect();
    ServiceRoute {
        namespace: meta::namespace(service).to_string(),
        name: meta::name(service).to_string(),
        service_type: str_at(service, "/spec/type").unwrap_or("ClusterIP").to_string(),
        cluster_ip,
        external_ips,
        ports,
    }
}

/// The ready addresses serving the Service port named `port_name` (`""` when unnamed).
fn backends(subsets: &[Value], port_name: &str, relays: &HashMap<&str, String>) -> Vec<Backend> {
    let mut out = Vec::new();
    for subset in subsets {
        let Some(port) = subset["ports"]
            .as_array()
            .and_then(|ps| ps.iter().find(|p| p["name"].as_str().unwrap_or_default() == port_name))
            .and_then(|p| p["port"].as_u64())
            .and_then(|p| u16::try_from(p).ok())
        else {
            continue;
        };
        for address in subset["addresses"].as_array().map_or(&[][..], Vec::as_slice) {
            let Some(ip) = address["ip"].as_str() else { continue };
            let node_name = address["nodeName"].as_str().unwrap_or_default().to_string();
            let relay = relays.get(node_name.as_str()).cloned();
            out.push(Backend { ip: ip.to_string(), port, node_name, relay });
        }
    }
    out
}

/// The Ingresses the `kubeplay` class serves, as an agent's ingress controller needs them:
/// metadata (name, namespace, creationTimestamp for conflicts) and spec, in store order.
pub fn served_ingresses(api: &ApiServer) -> Vec<Value> {
    let Some(ingresses) = resources::by_plural("networking.k8s.io", "v1", "ingresses") else {
        return Vec::new();
    };
    api.list(ingresses, None)
        .filter(|i| crate::controllers::ingress::is_served(i))
        .map(|i| {
            let metadata = &i["metadata"];
            serde_json::json!({
                "metadata": {"name": metadata["name"], "namespace": metadata["namespace"], "creationTimestamp": metadata["creationTimestamp"]},
                "spec": i["spec"],
            })
        })
        .collect()
}

/// A cheap digest of the routes and Ingresses: `SyncServices` goes out only when it changes.
pub fn fingerprint(routes: &[ServiceRoute], ingresses: &[Value]) -> u64 {
    let mut h = std::hash::DefaultHasher::new();
    routes.hash(&mut h);
    for ingress in ingresses {
        ingress.to_string().hash(&mut h);
    }
    h.finish()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::apiserver::WriteOptions;
    use jiff::Timestamp;
    use serde_json::json;

    fn t() -> Timestamp {
        "2026-01-01T00:00:00Z".parse().unwrap()
    }

    /// Creates `obj`, then writes its status as its controller (the node link) would.
    fn create(api: &mut ApiServer, plural: &str, obj: Value) {
        let r = resources::by_plural("", "v1", plural).unwrap();
        let ns = obj["metadata"]["namespace"].as_str().unwrap_or("default").to_string();
        let created = (*api.create(r, &ns, obj.clone(), t(), WriteOptions::default()).unwrap()).clone();
        if let Some(status) = obj.get("status") {
            let mut updated = created;
            updated["status"] = status.clone();
            let name = meta::name(&updated).to_string();
            api.update(r, &ns, &name, updated, Some("status"), t(), WriteOptions::default()).unwrap();
        }
    }

    fn cluster() -> ApiServer {
        let mut api = ApiServer::new(1, t());
        create(&mut api, "nodes", json!({"metadata": {"name": "pi", "labels": {"kubeplay.dev/agent": "true", PROXY_PORT_LABEL: "10257"}},
            "status": {"addresses": [{"type": "InternalIP", "address": "192.168.1.20"}]}}));
        create(&mut api, "nodes", json!({"metadata": {"name": "laptop", "labels": {"kubeplay.dev/agent": "true"}},
            "status": {"addresses": [{"type": "InternalIP", "address": "192.168.1.30"}]}}));
        create(&mut api, "services", json!({"metadata": {"name": "my-api-service", "namespace": "default"},
            "spec": {"type": "NodePort", "clusterIP": "10.96.0.20", "selector": {"app": "my-api"}, "ports": [{"port": 80, "targetPort": 3000, "nodePort": 30080}]}}));
        api
    }

    /// Writes the Service's Endpoints as the endpoints controller would.
    fn endpoints(api: &mut ApiServer, subsets: Value) {
        let r = resources::by_plural("", "v1", "endpoints").unwrap();
        match api.get(r, "default", "my-api-service") {
            Ok(ep) => {
                let mut ep = (**ep).clone();
                ep["subsets"] = subsets;
                api.update(r, "default", "my-api-service", ep, None, t(), WriteOptions::default()).unwrap();
            }
            Err(_) => {
                let ep = json!({"metadata": {"name": "my-api-service", "namespace": "default"}, "subsets": subsets});
                api.create(r, "default", ep, t(), WriteOptions::default()).unwrap();
            }
        }
    }

    #[test]
    fn a_service_lists_its_ready_endpoints_with_the_relay_of_their_agent() {
        let mut api = cluster();
        endpoints(&mut api, json!([{
            "addresses": [{"ip": "172.17.0.2", "nodeName": "pi"}, {"ip": "172.17.0.9", "nodeName": "laptop"}],
            "notReadyAddresses": [{"ip": "172.17.0.3", "nodeName": "pi"}],
            "ports": [{"port": 3000, "protocol": "TCP"}]}]));
        let routes = service_routes(&api);
        let svc = routes.iter().find(|r| r.name == "my-api-service").unwrap();
        assert_eq!(svc.service_type, "NodePort");
        assert_eq!(svc.cluster_ip.as_deref(), Some("10.96.0.20"));
        let port = &svc.ports[0];
        assert_eq!((port.port, port.node_port, port.protocol.as_str()), (80, Some(30080), "TCP"));
        assert_eq!(
            port.endpoints,
            vec![
                Backend { ip: "172.17.0.2".into(), port: 3000, node_name: "pi".into(), relay: Some("192.168.1.20:10257".into()) },
                Backend { ip: "172.17.0.9".into(), port: 3000, node_name: "laptop".into(), relay: None },
            ],
            "not-ready addresses are left out; an agent that announces no relay has none"
        );
    }

    #[test]
    fn named_ports_take_the_endpoint_port_of_the_same_name_and_the_fingerprint_follows_readiness() {
        let mut api = cluster();
        let r = resources::by_plural("", "v1", "services").unwrap();
        let mut svc = (**api.get(r, "default", "my-api-service").unwrap()).clone();
        svc["spec"]["ports"] = json!([{"name": "http", "port": 80, "targetPort": "web", "nodePort": 30080}, {"name": "metrics", "port": 9090, "nodePort": 30090}]);
        api.update(r, "default", "my-api-service", svc, None, t(), WriteOptions::default()).unwrap();
        endpoints(&mut api, json!([{"addresses": [{"ip": "172.17.0.2", "nodeName": "pi"}],
            "ports": [{"name": "metrics", "port": 9100}, {"name": "http", "port": 3000}]}]));
        let before = service_routes(&api);
        let svc = before.iter().find(|r| r.name == "my-api-service").unwrap();
        assert_eq!(svc.ports[0].endpoints[0].port, 3000);
        assert_eq!(svc.ports[1].endpoints[0].port, 9100);
        endpoints(&mut api, json!([{"notReadyAddresses": [{"ip": "172.17.0.2", "nodeName": "pi"}],
            "ports": [{"name": "metrics", "port": 9100}, {"name": "http", "port": 3000}]}]));
        let after = service_routes(&api);
        assert!(after.iter().find(|r| r.name == "my-api-service").unwrap().ports[0].endpoints.is_empty());
        assert_ne!(fingerprint(&before, &[]), fingerprint(&after, &[]));
    }

    #[test]
    fn only_ingresses_of_the_kubeplay_class_go_to_agents() {
        let mut api = cluster();
        let r = resources::by_plural("networking.k8s.io", "v1", "ingresses").unwrap();
        for (name, class) in [("ours", json!("kubeplay")), ("default", Value::Null), ("theirs", json!("nginx"))] {
            let ing = json!({"metadata": {"name": name, "namespace": "default"}, "spec": {"ingressClassName": class,
                "rules": [{"host": "api.myapp.com", "http": {"paths": [{"path": "/", "pathType": "Prefix",
                    "backend": {"service": {"name": "my-api-service", "port": {"number": 80}}}}]}}]}});
            api.create(r, "default", ing, t(), WriteOptions::default()).unwrap();
        }
        let served = served_ingresses(&api);
        let names: Vec<&str> = served.iter().map(|i| i["metadata"]["name"].as_str().unwrap()).collect();
        assert_eq!(names, ["default", "ours"]);
        assert_eq!(served[1]["spec"]["rules"][0]["host"], "api.myapp.com");
        assert_ne!(fingerprint(&[], &served), fingerprint(&[], &served[..1]));
    }

    #[test]
    fn headless_services_have_no_cluster_ip_and_external_names_are_left_out() {
        let mut api = cluster();
        create(&mut api, "services", json!({"metadata": {"name": "db", "namespace": "default"},
            "spec": {"clusterIP": "None", "selector": {"app": "db"}, "ports": [{"port": 5432}]}}));
        create(&mut api, "services", json!({"metadata": {"name": "ext", "namespace": "default"},
            "spec": {"type": "ExternalName", "externalName": "example.com"}}));
        let routes = service_routes(&api);
        assert_eq!(routes.iter().find(|r| r.name == "db").unwrap().cluster_ip, None);
        assert!(routes.iter().all(|r| r.name != "ext"));
    }
}
