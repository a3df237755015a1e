//! The Services a node's agent proxies, as the control plane resolves them from Services,
//! Endpoints and Nodes: kube-proxy's and CoreDNS's inputs, so the agent never reads the API.

use serde::{Deserialize, Serialize};

/// One Service, with its ready endpoints per port.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ServiceRoute {
    pub namespace: String,
    pub name: String,
    /// `ClusterIP`, `NodePort` or `LoadBalancer`.
    #[serde(rename = "type")]
    pub service_type: String,
    /// `None` for a headless Service: DNS then answers with the ready endpoints' IPs.
    #[serde(rename = "clusterIP", default, skip_serializing_if = "Option::is_none")]
    pub cluster_ip: Option<String>,
    /// The playground's external IPs of a LoadBalancer Service (`status.loadBalancer.ingress`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub external_ips: Vec<String>,
    pub ports: Vec<ServicePortRoute>,
}

/// One port of a Service and where its connections go.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ServicePortRoute {
    #[serde(default)]
    pub name: String,
    /// `TCP` (the only protocol agents proxy), `UDP` or `SCTP`.
    pub protocol: String,
    pub port: u16,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub node_port: Option<u16>,
    /// The ready endpoints, in the Endpoints object's order.
    pub endpoints: Vec<Backend>,
}

/// One ready endpoint of a Service port.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Backend {
    /// The pod's IP and the target port.
    pub ip: String,
    pub port: u16,
    /// The node the pod runs on.
    #[serde(default)]
    pub node_name: String,
    /// For a pod on another agent's machine: that agent's relay (`host:port`), which connects
    /// to the pod on its side, since pod IPs are not routed between machines, for holders of
    /// this control plane's relay key ([`super::relay_key`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub relay: Option<String>,
}
