//! The listening half of a page's `kubectl port-forward`: binds the sockets on this machine as
//! client-go's port forwarder does (`localhost` is 127.0.0.1 and ::1, and one of the two is
//! enough; an explicit address must bind; a local port 0 picks one port for every address) and
//! words failures as kubectl prints them. Connections are forwarded by [`super::port_forward`].
//!
//! A listener on anything but loopback opens a port of someone's machine to the network, so
//! the agent's operator must allow such addresses (`--allow-port-forward-address`).

use kubeplay_shared::node_protocol::forward::{is_loopback, BoundPort, PortPair};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use tokio::net::TcpListener;

/// One bound socket and what it forwards.
#[derive(Debug)]
pub struct Listener {
    pub socket: TcpListener,
    pub bound: BoundPort,
}

/// Every socket of one forward, and kubectl's warnings for ports that bound on no address.
#[derive(Debug)]
pub struct Bound {
    pub listeners: Vec<Listener>,
    pub warnings: Vec<String>,
}

/// Refuses addresses this agent may not listen on; `allowed` are the operator's opt-ins.
pub fn check_addresses(addresses: &[String], allowed: &[IpAddr], node: &str) -> Result<(), String> {
    for address in addresses {
        if is_loopback(address) {
            continue;
        }
        let ip: IpAddr = address
            .parse()
            .map_err(|_| format!("{address} is not a valid IP"))?;
        if !allowed.contains(&ip) {
            return Err(format!(
                "the agent of node \"{node}\" listens for port-forward on loopback only; to listen on {address}, start kubeplay-agent with --allow-port-forward-address {address}"
            ));
        }
    }
    Ok(())
}

/// `localhost` → both loopbacks, whose failures are tolerated while one binds ("all");
/// an IP → itself, which must bind ("any"), as client-go's parseAddresses.
fn expand(addresses: &[String]) -> Vec<(IpAddr, bool)> {
    let mut out: Vec<(IpAddr, bool)> = Vec::new();
    for a in addresses {
        let add: Vec<(IpAddr, bool)> = if a == "localhost" {
            vec![
                (IpAddr::V4(Ipv4Addr::LOCALHOST), true),
                (IpAddr::V6(Ipv6Addr::LOCALHOST), true),
            ]
        } else {
            a.parse().map(|ip| vec![(ip, false)]).unwrap_or_default()
        };
        for (ip, tolerant) in add {
            if !out.iter().any(|(o, _)| *o == ip) {
                out.push((ip, tolerant));
            }
        }
    }
    out
}

/// Go's `listen tcp4 127.0.0.1:8080: bind: address already in use`.
fn listen_error(ip: IpAddr, port: u16, e: &std::io::Error) -> String {
    let net = if ip.is_ipv4() { "tcp4" } else { "tcp6" };
    let why = match e.kind() {
        std::io::ErrorKind::AddrInUse => "bind: address already in use".to_string(),
        std::io::ErrorKind::AddrNotAvailable => "bind: cannot assign requested address".to_string(),
        std::io::ErrorKind::PermissionDenied => "bind: permission denied".to_string(),
        _ => super::port_forward::dial_error(e).replacen("connect: ", "bind: ", 1),
    };
    format!(
        "unable to create listener: Error listen {net} {}: {why}",
        SocketAddr::new(ip, port)
    )
}

/// kubectl's `{8080 3000}` for a port pair.
fn pairs(ports: &[PortPair]) -> String {
    let list: Vec<String> = ports
        .iter()
        .map(|p| format!("{{{} {}}}", p.local, p.remote))
        .collect();
    format!("[{}]", list.join(" "))
}

/// Binds every port on every address; fails as kubectl does when no port could listen.
pub async fn bind(addresses: &[String], ports: &[PortPair]) -> Result<Bound, String> {
    let addresses = expand(addresses);
    let mut listeners = Vec::new();
    let mut warnings = Vec::new();
    let mut bound_ports = Vec::new();
    for pair in ports {
        let mut local = pair.local;
        let mut errors = Vec::new();
        let (mut ok_all, mut failed_all, mut failed_any) = (0, 0, 0);
        let mut these = Vec::new();
        for &(ip, tolerant) in &addresses {
            match TcpListener::bind(SocketAddr::new(ip, local)).await {
                Ok(socket) => {
                    if local == 0 {
                        local = socket.local_addr().map(|a| a.port()).unwrap_or(0);
                    }
                    let address = if ip.is_ipv6() {
                        format!("[{ip}]")
                    } else {
                        ip.to_string()
                    };
                    these.push(Listener {
                        socket,
                        bound: BoundPort {
                            address,
                            local,
                            remote: pair.remote,
                        },
                    });
                    if tolerant {
                        ok_all += 1;
                    }
                }
                Err(e) => {
                    errors.push(listen_error(ip, local, &e));
                    if tolerant {
                        failed_all += 1;
                    } else {
                        failed_any += 1;
                    }
                }
            }
        }
        if (ok_all == 0 && failed_all > 0) || failed_any > 0 {
            warnings.push(format!(
                "Unable to listen on port {}: Listeners failed to create with the following errors: [{}]",
                pair.local,
                errors.join(" ")
            ));
            continue;
        }
        bound_ports.push(PortPair {
            local,
            remote: pair.remote,
        });
        listeners.extend(these);
    }
    if listeners.is_empty() {
        let mut message = warnings.join("\n");
        if !message.is_empty() {
            message.push('\n');
        }
        return Err(format!(
            "{message}error: unable to listen on any of the requested ports: {}",
            pairs(ports)
        ));
    }
    Ok(Bound {
        listeners,
        warnings,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn local() -> Vec<String> {
        vec!["127.0.0.1".to_string()]
    }

    #[tokio::test]
    async fn port_zero_picks_a_free_port_shared_by_every_address() {
        let b = bind(
            &["localhost".into()],
            &[PortPair {
                local: 0,
                remote: 3000,
            }],
        )
        .await
        .unwrap();
        let port = b.listeners[0].bound.local;
        assert_ne!(port, 0);
        assert!(b
            .listeners
            .iter()
            .all(|l| l.bound.local == port && l.bound.remote == 3000));
        assert_eq!(b.listeners[0].bound.address, "127.0.0.1");
        assert!(b.listeners.len() <= 2 && b.warnings.is_empty());
    }

    #[tokio::test]
    async fn a_port_in_use_fails_in_kubectls_words() {
        let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = taken.local_addr().unwrap().port();
        let err = bind(
            &local(),
            &[PortPair {
                local: port,
                remote: 80,
            }],
        )
        .await
        .unwrap_err();
        assert_eq!(
            err,
            format!(
                "Unable to listen on port {port}: Listeners failed to create with the following errors: [unable to create listener: Error listen tcp4 127.0.0.1:{port}: bind: address already in use]\nerror: unable to listen on any of the requested ports: [{{{port} 80}}]"
            )
        );
    }

    #[tokio::test]
    async fn one_port_that_binds_is_enough_and_the_other_is_a_warning() {
        let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = taken.local_addr().unwrap().port();
        let b = bind(
            &local(),
            &[
                PortPair {
                    local: port,
                    remote: 80,
                },
                PortPair {
                    local: 0,
                    remote: 81,
                },
            ],
        )
        .await
        .unwrap();
        assert_eq!(b.listeners.len(), 1);
        assert_eq!(b.warnings.len(), 1);
        assert!(
            b.warnings[0].starts_with(&format!("Unable to listen on port {port}: ")),
            "{:?}",
            b.warnings
        );
    }

    #[test]
    fn only_loopback_or_allowed_addresses_may_listen() {
        assert!(check_addresses(
            &["localhost".into(), "127.0.0.1".into(), "::1".into()],
            &[],
            "pi"
        )
        .is_ok());
        let err = check_addresses(&["0.0.0.0".into()], &[], "pi").unwrap_err();
        assert!(
            err.contains("--allow-port-forward-address 0.0.0.0"),
            "{err}"
        );
        assert!(check_addresses(&["0.0.0.0".into()], &["0.0.0.0".parse().unwrap()], "pi").is_ok());
    }
}
