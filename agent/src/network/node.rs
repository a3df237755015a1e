//! The node's network as one value the agent starts once: cluster IPs and DNS when the
//! machine allows them, the relay (with the relay keys of the live control-plane links), and
//! the proxy that follows each `syncServices`.

use super::dns;
use super::host;
use super::proxy::Proxy;
use super::relay::{self, IsLocalPod, KeyHold, Keys};
use super::table::ServiceTable;
use kubeplay_shared::node_protocol::service::ServiceRoute;
use kubeplay_shared::node_protocol::RelayKey;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use tokio::sync::watch;
use tokio::task::JoinHandle;

pub struct NodeNetwork {
    node: String,
    proxy: Mutex<Proxy>,
    table: watch::Sender<Arc<ServiceTable>>,
    cluster_dns: Option<String>,
    relay_port: Option<u16>,
    /// What the relay accepts: the keys of the live control-plane links.
    relay_keys: Arc<Keys>,
    cluster_ips: bool,
    external_ips: bool,
    tasks: Vec<JoinHandle<()>>,
}

impl NodeNetwork {
    /// Sets up what the machine allows (see the module doc of `network`), logging what it does
    /// not, listens for relayed connections on `relay` for pods `is_local_pod` accepts, and
    /// serves Ingresses on `ingress` when given.
    pub async fn start(
        node: &str,
        relay: Option<SocketAddr>,
        ingress: Option<SocketAddr>,
        is_local_pod: IsLocalPod,
    ) -> NodeNetwork {
        let (table, table_rx) = watch::channel(Arc::new(ServiceTable::default()));
        let mut tasks = Vec::new();
        let cluster_ips = match host::make_local(host::SERVICE_CIDR) {
            Ok(()) => true,
            Err(e) => {
                tracing::warn!(
                    "cluster IPs and cluster DNS are off: cannot make {} local ({e}); run the agent with CAP_NET_ADMIN and CAP_NET_BIND_SERVICE (see the README)",
                    host::SERVICE_CIDR
                );
                false
            }
        };
        // The pool is made local only with cluster IPs, which need the same privilege.
        let external_ips = cluster_ips
            && match host::make_local(host::LOAD_BALANCER_CIDR) {
                Ok(()) => true,
                Err(e) => {
                    tracing::warn!("LoadBalancer Services answer on their node ports only: cannot make {} local ({e})", host::LOAD_BALANCER_CIDR);
                    false
                }
            };
        let mut cluster_dns = None;
        if cluster_ips {
            let address = SocketAddr::from(([10, 96, 0, 10], 53));
            match host::bind_udp(address) {
                Ok(socket) => {
                    let resolv = std::fs::read_to_string("/etc/resolv.conf").unwrap_or_default();
                    let upstream = dns::server::upstream_of(&resolv);
                    tasks.push(tokio::spawn(dns::server::serve(
                        Arc::new(socket),
                        table_rx.clone(),
                        upstream,
                    )));
                    cluster_dns = Some(host::CLUSTER_DNS_IP.to_string());
                }
                Err(e) => tracing::warn!("cluster DNS is off: cannot listen on {address}/udp: {e}"),
            }
        }
        let mut relay_port = None;
        let relay_keys = Arc::new(Keys::default());
        if let Some(address) = relay {
            // Not shared like the Service listeners: each agent's relay serves its own pods only.
            let bound = match tokio::net::TcpListener::bind(address).await {
                Ok(listener) => listener.local_addr().map(|a| (a.port(), listener)),
                Err(e) => Err(e),
            };
            match bound {
                Ok((port, listener)) => {
                    relay_port = Some(port);
                    tasks.push(tokio::spawn(relay::serve(
                        listener,
                        Arc::clone(&relay_keys),
                        is_local_pod,
                    )));
                }
                Err(e) => tracing::warn!("the relay is off (other agents cannot reach this node's pods through Services): cannot listen on {address}: {e}"),
            }
        }
        if let Some(address) = ingress {
            match tokio::net::TcpListener::bind(address).await {
                Ok(listener) => {
                    tracing::info!("serving Ingresses of class kubeplay on {address}");
                    tasks.push(tokio::spawn(super::ingress::serve(listener, table_rx)));
                }
                Err(e) => {
                    tracing::warn!("the ingress controller is off: cannot listen on {address}: {e}")
                }
            }
        }
        NodeNetwork {
            node: node.to_string(),
            proxy: Mutex::new(Proxy::new(cluster_ips, external_ips)),
            cluster_ips,
            external_ips,
            table,
            cluster_dns,
            relay_port,
            relay_keys,
            tasks,
        }
    }

    /// Whether this machine answers on cluster IPs.
    pub fn cluster_ips(&self) -> bool {
        self.cluster_ips
    }

    /// Whether LoadBalancer Services answer on their external IPs here (else on node ports).
    pub fn external_ips(&self) -> bool {
        self.external_ips
    }

    /// The nameserver pods get, when cluster DNS runs.
    pub fn cluster_dns(&self) -> Option<&str> {
        self.cluster_dns.as_deref()
    }

    /// The port other agents reach this node's pods through.
    pub fn relay_port(&self) -> Option<u16> {
        self.relay_port
    }

    /// Lets peers that present `key` (a live control plane's) through the relay until the hold
    /// is dropped, when that control plane's link ends.
    pub fn hold_relay_key(&self, key: RelayKey) -> KeyHold {
        self.relay_keys.hold(key)
    }

    /// Follows the control plane's latest Services and Ingresses; `key` is that control
    /// plane's relay key, presented to the relays of endpoints on other agents.
    pub fn update(
        &self,
        routes: &[ServiceRoute],
        ingresses: &[serde_json::Value],
        key: Option<RelayKey>,
    ) {
        let table = Arc::new(ServiceTable::new(&self.node, routes, ingresses, key));
        self.proxy
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .apply(&table);
        self.table.send_replace(table);
    }
}

impl Drop for NodeNetwork {
    fn drop(&mut self) {
        for task in &self.tasks {
            task.abort();
        }
    }
}
