//! The machine's side of cluster IPs: making the Service range (and the LoadBalancer pool)
//! local, and the address pods use for the cluster's DNS. The only place the agent changes the host's network.

use std::net::SocketAddr;

/// The Service range the control plane allocates cluster IPs from.
pub const SERVICE_CIDR: &str = "10.96.0.0/12";
/// `kube-dns`'s cluster IP, the nameserver of every pod (as the kubelet's `--cluster-dns`).
pub const CLUSTER_DNS_IP: &str = "10.96.0.10";

/// The block holding the playground's LoadBalancer pool (172.18.255.200–250).
pub const LOAD_BALANCER_CIDR: &str = "172.18.255.192/26";

/// Makes every address of `cidr` local to this machine, so the agent can listen on any of
/// them; needs `CAP_NET_ADMIN`. Idempotent.
pub fn make_local(cidr: &str) -> Result<(), String> {
    let output = std::process::Command::new("ip")
        .args(["route", "replace", "local", cidr, "dev", "lo"])
        .output()
        .map_err(|e| format!("cannot run `ip`: {e}"))?;
    if output.status.success() {
        Ok(())
    } else {
        Err(String::from_utf8_lossy(&output.stderr).trim().to_string())
    }
}

/// A UDP socket several agents on one machine may share (`SO_REUSEPORT`).
pub fn bind_udp(address: SocketAddr) -> std::io::Result<tokio::net::UdpSocket> {
    let socket = socket2::Socket::new(
        socket2::Domain::IPV4,
        socket2::Type::DGRAM,
        Some(socket2::Protocol::UDP),
    )?;
    socket.set_reuse_address(true)?;
    socket.set_reuse_port(true)?;
    socket.set_nonblocking(true)?;
    socket.bind(&address.into())?;
    tokio::net::UdpSocket::from_std(socket.into())
}
