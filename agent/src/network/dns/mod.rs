//! Cluster DNS: the agent's answer to CoreDNS's `kubernetes` plugin, from the Services the
//! control plane sent; see the [module doc above](super) for where it listens.

pub mod message;
pub mod server;
