//! Port-forward listeners an agent opens on its own machine for a control plane that cannot
//! listen itself (a web page): `kubectl port-forward` typed in the page listens on the loopback
//! of the machine that runs the pod, and each accepted connection goes straight to the pod.
//!
//! Only the control messages cross the link; the forwarded bytes never do, since the pod is on
//! the agent's own machine. Sent only to agents that register with [`FEATURE_PORT_FORWARD`].

use super::report::PodRef;
use serde::{Deserialize, Serialize};

/// The registration feature of an agent that takes `portForwardListen`.
pub const FEATURE_PORT_FORWARD: &str = "portForward";

/// Names one `kubectl port-forward` on one link; chosen by the control plane.
pub type ForwardId = u32;

/// A local port and the pod port it forwards to (`8080:3000`); local 0 asks for a free port.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PortPair {
    pub local: u16,
    pub remote: u16,
}

/// Control plane → agent: listen on `addresses` (kubectl's `--address`, `localhost` by default)
/// at every local port and forward each connection to the pod's remote port.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PortForwardListen {
    pub id: ForwardId,
    pub pod: PodRef,
    /// `localhost` (127.0.0.1 and ::1, as kubectl), or IP addresses.
    pub addresses: Vec<String>,
    pub ports: Vec<PortPair>,
}

/// One socket the agent listens on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BoundPort {
    /// `127.0.0.1` or `[::1]`, as kubectl prints it.
    pub address: String,
    pub local: u16,
    pub remote: u16,
}

/// Control plane → agent: the user pressed Ctrl+C; close forward `id`'s listeners.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PortForwardStop {
    pub id: ForwardId,
}

/// Agent → control plane: every port is bound (kubectl's `Forwarding from 127.0.0.1:8080 ->
/// 3000` lines).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PortForwardListening {
    pub id: ForwardId,
    pub bound: Vec<BoundPort>,
    /// kubectl's lines for ports that could not listen while others could
    /// (`Unable to listen on port 8080: …`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<String>,
}

/// Agent → control plane: the forward ended for good and its listeners are closed: no port
/// could be bound (kubectl's lines, `Unable to listen on port 8080: …` then `error: unable to
/// listen on any of the requested ports: …`), the pod is gone (`error: lost connection to
/// pod`) or does not run on this node. `message` is printed as it is, one or more lines.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PortForwardFailed {
    pub id: ForwardId,
    pub message: String,
}

/// Agent → control plane: a connection was accepted on `local` (kubectl's `Handling connection
/// for 8080`); `error` when reaching the pod then failed, which ends only that connection.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PortForwardConnection {
    pub id: ForwardId,
    pub local: u16,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// Whether kubectl's `--address` value names the machine's own loopback.
pub fn is_loopback(address: &str) -> bool {
    address == "localhost"
        || address
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_is_localhost_or_a_loopback_ip() {
        assert!(
            is_loopback("localhost")
                && is_loopback("127.0.0.1")
                && is_loopback("::1")
                && is_loopback("127.0.0.2")
        );
        assert!(
            !is_loopback("0.0.0.0") && !is_loopback("192.168.1.5") && !is_loopback("example.com")
        );
    }
}
