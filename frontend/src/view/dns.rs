//! How each Service is reachable by name inside the cluster and what cluster DNS answers, from
//! the simulated cluster DNS itself (`sim::dns`), so the panel agrees with `nslookup` in a pod.

use kubeplay_shared::sim::dns::service_names;
use kubeplay_shared::ApiServer;
use serde::{Deserialize, Serialize};

/// One Service's names and the answer to them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct DnsView {
    pub namespace: String,
    pub name: String,
    /// Shortest (same namespace only) to fully qualified: `web`, `web.shop`, ...,
    /// `web.shop.svc.cluster.local`.
    pub names: Vec<String>,
    /// `A` or `CNAME`.
    pub record: String,
    /// The ClusterIP; a headless Service's ready pod IPs; an ExternalName's target.
    pub answers: Vec<String>,
    /// `http 80/TCP`, as SRV records name them.
    pub ports: Vec<String>,
}

/// Every Service's DNS entry, by namespace then name.
pub(crate) fn build(api: &ApiServer) -> Vec<DnsView> {
    service_names(api)
        .into_iter()
        .map(|s| DnsView {
            ports: s
                .ports
                .iter()
                .map(|p| match p.name.as_str() {
                    "" => format!("{}/{}", p.port, p.protocol),
                    name => format!("{name} {}/{}", p.port, p.protocol),
                })
                .collect(),
            namespace: s.namespace,
            name: s.name,
            names: s.names,
            record: s.record.to_string(),
            answers: s.answers,
        })
        .collect()
}
