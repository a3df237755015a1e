//! The Services as the node uses them: names to addresses for DNS, and for each address the
//! proxy listens on, the endpoints it may connect to. Built from one `syncServices` and the
//! relay key of the control plane that sent it; pure.

use kubeplay_shared::node_protocol::service::{Backend, ServiceRoute};
use kubeplay_shared::node_protocol::RelayKey;
use std::collections::BTreeMap;
use std::net::{Ipv4Addr, SocketAddr};

/// The cluster's DNS domain.
pub const CLUSTER_DOMAIN: &str = "cluster.local";

/// Where a proxied connection goes.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Target {
    /// A pod on this machine, by its IP.
    Local(SocketAddr),
    /// A pod on another agent's machine, through that agent's relay, presenting the relay key
    /// of the control plane that named the endpoint.
    Relay {
        relay: String,
        pod: SocketAddr,
        key: RelayKey,
    },
}

/// What the proxy listens on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Listen {
    /// `clusterIP:port`.
    ClusterIp(SocketAddr),
    /// `0.0.0.0:nodePort`.
    NodePort(u16),
    /// A LoadBalancer Service's `externalIP:port`.
    External(SocketAddr),
}

/// How a DNS name resolves.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Lookup {
    /// A name in the cluster domain: its addresses, or none (NXDOMAIN).
    Cluster(Option<Vec<Ipv4Addr>>),
    /// Not ours: ask the machine's resolver.
    Outside,
}

/// Where the ingress controller sends a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IngressRoute {
    /// No Ingress rule takes it (404).
    NotFound,
    /// The backend Service, or its port, has no reachable endpoint (503).
    Unavailable,
    Targets(Vec<Target>),
}

/// One Service port: its name, number and endpoints.
type PortTargets = (String, u16, Vec<Target>);

#[derive(Debug, Clone, Default, PartialEq)]
pub struct ServiceTable {
    names: BTreeMap<String, Vec<Ipv4Addr>>,
    listeners: BTreeMap<Listen, Vec<Target>>,
    /// Every Service's ports by (namespace, name), for Ingress backends.
    ports: BTreeMap<(String, String), Vec<PortTargets>>,
    /// The Ingresses of class `kubeplay`.
    ingresses: Vec<serde_json::Value>,
}

impl ServiceTable {
    /// The table of node `node` for `routes` and `ingresses`, as sent by a control plane whose
    /// relay key is `key` (without one, pods on other agents are out of reach).
    pub fn new(
        node: &str,
        routes: &[ServiceRoute],
        ingresses: &[serde_json::Value],
        key: Option<RelayKey>,
    ) -> Self {
        let mut table = Self {
            ingresses: ingresses.to_vec(),
            ..Self::default()
        };
        for svc in routes {
            let fqdn = format!("{}.{}.svc.{CLUSTER_DOMAIN}", svc.name, svc.namespace);
            let cluster_ip = svc
                .cluster_ip
                .as_deref()
                .and_then(|ip| ip.parse::<Ipv4Addr>().ok());
            let addresses = match cluster_ip {
                Some(ip) => vec![ip],
                None => {
                    let mut ips: Vec<Ipv4Addr> = svc
                        .ports
                        .iter()
                        .flat_map(|p| &p.endpoints)
                        .filter_map(|b| b.ip.parse().ok())
                        .collect();
                    ips.sort();
                    ips.dedup();
                    ips
                }
            };
            table.names.insert(fqdn, addresses);
            for port in svc.ports.iter().filter(|p| p.protocol == "TCP") {
                let targets: Vec<Target> = port
                    .endpoints
                    .iter()
                    .filter_map(|b| target(node, b, key))
                    .collect();
                table
                    .ports
                    .entry((svc.namespace.clone(), svc.name.clone()))
                    .or_default()
                    .push((port.name.clone(), port.port, targets.clone()));
                if let Some(ip) = cluster_ip {
                    table.listeners.insert(
                        Listen::ClusterIp(SocketAddr::from((ip, port.port))),
                        targets.clone(),
                    );
                }
                if svc.service_type == "LoadBalancer" {
                    for ip in svc
                        .external_ips
                        .iter()
                        .filter_map(|ip| ip.parse::<Ipv4Addr>().ok())
                    {
                        table.listeners.insert(
                            Listen::External(SocketAddr::from((ip, port.port))),
                            targets.clone(),
                        );
                    }
                }
                if let Some(node_port) = port.node_port.filter(|_| svc.service_type != "ClusterIP")
                {
                    table.listeners.insert(Listen::NodePort(node_port), targets);
                }
            }
        }
        table
    }

    /// How `name` (as asked, any case, with or without the final dot) resolves.
    pub fn lookup(&self, name: &str) -> Lookup {
        let name = name.trim_end_matches('.').to_ascii_lowercase();
        let in_cluster = name == CLUSTER_DOMAIN || name.ends_with(&format!(".{CLUSTER_DOMAIN}"));
        if !in_cluster {
            return Lookup::Outside;
        }
        Lookup::Cluster(self.names.get(&name).cloned())
    }

    /// Where an HTTP request for `host` and `path` goes, by the core's Ingress matching rules.
    pub fn ingress_route(&self, host: &str, path: &str) -> IngressRoute {
        use kubeplay_shared::controllers::ingress::routing::{route, BackendPort};
        let Some(backend) = route(&self.ingresses, host, path) else {
            return IngressRoute::NotFound;
        };
        let ports = self.ports.get(&(backend.namespace, backend.service));
        let port = ports
            .into_iter()
            .flatten()
            .find(|(name, number, _)| match &backend.port {
                BackendPort::Number(n) => i64::from(*number) == *n,
                BackendPort::Name(wanted) => name == wanted,
            });
        match port {
            Some((_, _, targets)) if !targets.is_empty() => IngressRoute::Targets(targets.clone()),
            _ => IngressRoute::Unavailable,
        }
    }

    /// Every address the proxy should listen on, with its endpoints.
    pub fn listeners(&self) -> &BTreeMap<Listen, Vec<Target>> {
        &self.listeners
    }
}

/// Where this node connects for `backend`; `None` for a pod on a node without a relay (a
/// simulated node, or an agent that announces none), or when the control plane gave no relay
/// key (its relays would refuse this node), which this node cannot reach.
fn target(node: &str, backend: &Backend, key: Option<RelayKey>) -> Option<Target> {
    let pod = SocketAddr::from((backend.ip.parse::<Ipv4Addr>().ok()?, backend.port));
    if backend.node_name == node {
        return Some(Target::Local(pod));
    }
    Some(Target::Relay {
        relay: backend.relay.clone()?,
        pod,
        key: key?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use kubeplay_shared::node_protocol::service::ServicePortRoute;

    fn key() -> RelayKey {
        RelayKey::from_bytes([4; 32])
    }

    fn backend(ip: &str, node: &str, relay: Option<&str>) -> Backend {
        Backend {
            ip: ip.into(),
            port: 3000,
            node_name: node.into(),
            relay: relay.map(str::to_string),
        }
    }

    fn my_api() -> ServiceRoute {
        ServiceRoute {
            namespace: "default".into(),
            name: "my-api-service".into(),
            service_type: "NodePort".into(),
            cluster_ip: Some("10.96.0.20".into()),
            external_ips: vec![],
            ports: vec![ServicePortRoute {
                name: String::new(),
                protocol: "TCP".into(),
                port: 80,
                node_port: Some(30080),
                endpoints: vec![
                    backend("172.17.0.2", "pi", Some("192.168.1.20:10260")),
                    backend("172.17.0.2", "laptop", Some("192.168.1.30:10260")),
                    backend("10.244.3.9", "sim-1", None),
                ],
            }],
        }
    }

    #[test]
    fn the_fully_qualified_name_answers_the_cluster_ip_and_other_cluster_names_do_not_exist() {
        let table = ServiceTable::new("pi", &[my_api()], &[], Some(key()));
        let ip: Ipv4Addr = "10.96.0.20".parse().unwrap();
        assert_eq!(
            table.lookup("My-Api-Service.default.svc.cluster.local."),
            Lookup::Cluster(Some(vec![ip]))
        );
        assert_eq!(
            table.lookup("my-api-service.default.default.svc.cluster.local"),
            Lookup::Cluster(None)
        );
        assert_eq!(
            table.lookup("my-api-service.other.svc.cluster.local"),
            Lookup::Cluster(None)
        );
        assert_eq!(table.lookup("example.com"), Lookup::Outside);
        assert_eq!(
            table.lookup("my-api-service"),
            Lookup::Outside,
            "resolvers expand short names first"
        );
    }

    #[test]
    fn local_pods_are_dialled_directly_remote_ones_through_their_agent_and_unreachable_ones_left_out(
    ) {
        let table = ServiceTable::new("pi", &[my_api()], &[], Some(key()));
        let local = Target::Local("172.17.0.2:3000".parse().unwrap());
        let remote = Target::Relay {
            relay: "192.168.1.30:10260".into(),
            pod: "172.17.0.2:3000".parse().unwrap(),
            key: key(),
        };
        let expected = vec![local.clone(), remote];
        assert_eq!(
            table.listeners()[&Listen::ClusterIp("10.96.0.20:80".parse().unwrap())],
            expected
        );
        assert_eq!(table.listeners()[&Listen::NodePort(30080)], expected);
        let keyless = ServiceTable::new("pi", &[my_api()], &[], None);
        assert_eq!(
            keyless.listeners()[&Listen::NodePort(30080)],
            [local],
            "without the control plane's relay key other agents' relays would refuse"
        );
    }

    #[test]
    fn ingress_rules_pick_a_service_port_and_its_endpoints() {
        let ingress = serde_json::json!({"metadata": {"name": "myapp", "namespace": "default", "creationTimestamp": "2026-01-01T00:00:00Z"},
            "spec": {"rules": [{"host": "api.myapp.com", "http": {"paths": [
                {"path": "/", "pathType": "Prefix", "backend": {"service": {"name": "my-api-service", "port": {"number": 80}}}},
                {"path": "/gone", "pathType": "Exact", "backend": {"service": {"name": "gone", "port": {"number": 80}}}}]}}]}});
        let table = ServiceTable::new("pi", &[my_api()], &[ingress], Some(key()));
        let route = table.ingress_route("API.myapp.com:8080", "/users?id=1");
        let IngressRoute::Targets(targets) = route else {
            panic!("{route:?} {table:?}")
        };
        assert_eq!(targets.len(), 2);
        assert_eq!(
            table.ingress_route("api.myapp.com", "/gone"),
            IngressRoute::Unavailable,
            "no such Service"
        );
        assert_eq!(
            table.ingress_route("other.com", "/"),
            IngressRoute::NotFound
        );
    }

    #[test]
    fn a_headless_service_resolves_to_its_endpoints_and_gets_no_listener() {
        let mut svc = my_api();
        svc.cluster_ip = None;
        svc.service_type = "ClusterIP".into();
        let table = ServiceTable::new("pi", &[svc], &[], Some(key()));
        let Lookup::Cluster(Some(ips)) = table.lookup("my-api-service.default.svc.cluster.local")
        else {
            panic!()
        };
        assert_eq!(ips.len(), 2, "each pod IP once");
        assert!(table.listeners().is_empty());
    }
}
