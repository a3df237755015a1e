//! The node's networking: what kube-proxy, CoreDNS and the kubelet's port-forward do on a
//! Kubernetes node, done by the agent in user space, for machines on one LAN (laptops,
//! Raspberry Pis) that run Docker and nothing else of Kubernetes.
//!
//! # Pods and their addresses
//! A pod is an infra container on Docker's default bridge (or the bridge network named by
//! `--pod-network`) plus app containers joined to its network namespace, so its IP is the
//! bridge address Docker gives it (172.17.x.y). The host
//! reaches it on Linux (the bridge is a host interface); other machines do not, because
//! nothing routes one machine's bridge to another's, and two machines may even hand out the
//! same address. Pods on different agents therefore never talk pod-IP to pod-IP: every
//! cross-machine connection goes through a Service, and the agent on the far side makes the
//! last hop (the relay, below). The UI shows pod IPs as node-local.
//!
//! # Port-forward ([`port_forward`])
//! One `PortForward` stream per TCP connection (kubectl's model): the agent connects to the
//! pod's IP and port and copies bytes both ways under the link's credit flow control; an empty
//! data frame is a half-close in either direction. Errors read as the kubelet's.
//! For `kubectl port-forward` typed in a page the agent also listens itself, on this
//! machine's loopback ([`forward_listener`]), and forwards each connection to the pod directly.
//!
//! # Services
//! The control plane sends `syncServices` (`kubeplay_shared::node_protocol::service`): every
//! Service with its cluster IP, ports, node ports and *ready* endpoints, each endpoint with its
//! node and, for pods on other agents, that agent's relay address. It is level-triggered like
//! `syncPods`; an endpoint that turns unready is gone from the next one, and the proxy stops
//! choosing it for new connections (existing ones run on, as with kube-proxy).
//!
//! - **Cluster IPs.** At start the agent makes the Service range (10.96.0.0/12) local to the
//!   machine (`ip route replace local 10.96.0.0/12 dev lo`, so the kernel accepts any address
//!   in it, as AnyIP does) and listens on `clusterIP:port` for every Service port (TCP). A pod
//!   connecting to a cluster IP leaves through the bridge's gateway, the host delivers it to
//!   the agent's listener, and the agent connects onward to an endpoint, round-robin over the
//!   ready ones. Listeners use `SO_REUSEPORT`, so several agents on one machine (tests, demos)
//!   share the addresses and any of them may take a connection.
//! - **DNS.** The agent answers DNS on `10.96.0.10:53` (the `kube-dns` address every pod's
//!   resolv.conf names, with the search path `<ns>.svc.cluster.local svc.cluster.local
//!   cluster.local` and `ndots:5`, set on the infra container through Docker's `Dns`,
//!   `DnsSearch` and `DnsOptions`). `<svc>.<ns>.svc.cluster.local` answers the cluster IP (a
//!   headless Service: its ready endpoints' IPs); the search path makes `name` and
//!   `name.namespace` work; any other name in `cluster.local` is NXDOMAIN; names outside it go
//!   to the machine's own resolver.
//! - **NodePort.** Every agent listens on `0.0.0.0:nodePort` for NodePort and LoadBalancer
//!   Services and proxies like a cluster IP, to endpoints anywhere in the cluster. A
//!   LoadBalancer Service also answers on its playground external IP (172.18.255.200–250)
//!   where the machine allows it: with the privilege below the agent makes that block local
//!   too and listens on `externalIP:port`, reachable from the machine and its pods (not from
//!   other LAN machines, which have no route to it). The Node labels
//!   `kubeplay.dev/cluster-ips` and `kubeplay.dev/load-balancer-ips` (`true`/`false`) tell
//!   the UI which way a node's Services answer.
//! - **Relay (cross-agent endpoints).** Each agent listens on `--proxy-port` (default 10260,
//!   announced as the Node label `kubeplay.dev/proxy-port`); a peer agent opens a TCP
//!   connection, sends one line `<relay key> <podIP>:<port>\n` naming a pod *of this node*,
//!   and the bytes are spliced. The relay key is the control plane's secret, handed to each
//!   agent in `registered` over its token-checked link ([`relay`]): the relay refuses a key
//!   that no live control-plane link of this agent gave it (with no link it serves nobody), and
//!   addresses that are not its own pods. The proxy and the gateway's port-forward present
//!   the key of the control plane that told them where the pod runs.
//!
//! # Ingress ([`ingress`])
//! An agent started with `--ingress-port` is the ingress controller for class `kubeplay` on
//! that port (all interfaces): `syncServices` carries the served Ingresses, and each connection
//! is routed by its first request's Host and path (Exact, Prefix) with the core's matching
//! rules, to a ready endpoint of the backend Service port; 404 when no rule takes it, 503 when
//! the Service has no endpoint. `curl -H 'Host: api.myapp.com' http://<agent>:<port>/`.
//!
//! # What needs privilege
//! Cluster IPs and DNS need `CAP_NET_ADMIN` (the local route) and `CAP_NET_BIND_SERVICE`
//! (ports below 1024): run the agent as root, give the binary the capabilities once
//! (`sudo setcap cap_net_admin,cap_net_bind_service+ep kubeplay-agent`), or run it in a
//! container with the host's network (`docker run --network host --cap-add NET_ADMIN -v
//! /var/run/docker.sock:/var/run/docker.sock …`), which a Docker user may do. Without them the
//! agent logs it once and runs without cluster IPs and cluster DNS (pods keep Docker's
//! resolver); port-forward, node ports and the relay need no privilege.
//!
//! # Ports an agent opens
//! - the node link (`--listen`, default 127.0.0.1:7443): control planes and the kube API gateway;
//! - the relay (`--proxy-port`, default 10260, all interfaces): other agents' Service traffic
//!   and port-forwards, for holders of the relay key of a control plane linked to this agent;
//! - every NodePort Service's `nodePort` (30000–32767, all interfaces);
//! - `--ingress-port`, when given (all interfaces): the ingress controller;
//! - with privilege: `10.96.0.10:53/udp` (cluster DNS), each `clusterIP:port` and each
//!   LoadBalancer `externalIP:port` (local routes for 10.96.0.0/12 and 172.18.255.192/26).

pub mod dns;
pub mod forward_listener;
pub mod host;
pub mod ingress;
pub mod node;
pub mod port_forward;
pub mod proxy;
pub mod relay;
pub mod table;
