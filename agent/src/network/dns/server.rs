//! The DNS server loop: answers cluster names from the latest [`ServiceTable`] and passes
//! other queries to the machine's own resolver, relaying its answer unchanged.

use super::message::{parse_query, response, Answer};
use crate::network::table::{Lookup, ServiceTable};
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::UdpSocket;
use tokio::sync::watch;

/// CoreDNS's TTL for Service records.
const TTL_SECONDS: u32 = 5;
/// How long the machine's resolver may take.
const UPSTREAM_LIMIT: Duration = Duration::from_secs(5);

/// Serves queries on `socket` until the task is aborted.
pub async fn serve(
    socket: Arc<UdpSocket>,
    table: watch::Receiver<Arc<ServiceTable>>,
    upstream: Option<SocketAddr>,
) {
    let mut buf = vec![0u8; 4096];
    loop {
        let (len, client) = match socket.recv_from(&mut buf).await {
            Ok(got) => got,
            Err(e) => {
                tracing::debug!("dns receive failed: {e}");
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            }
        };
        let packet = &buf[..len];
        let Ok(query) = parse_query(packet) else {
            continue;
        };
        let lookup = table.borrow().lookup(&query.name);
        match lookup {
            Lookup::Cluster(found) => {
                let answer = found.map_or(Answer::NxDomain, Answer::Addresses);
                let _ = socket
                    .send_to(&response(&query, &answer, TTL_SECONDS), client)
                    .await;
            }
            Lookup::Outside => {
                let socket = Arc::clone(&socket);
                let packet = packet.to_vec();
                tokio::spawn(async move {
                    let reply = match upstream {
                        Some(upstream) => forward(&packet, upstream).await,
                        None => None,
                    };
                    let reply =
                        reply.unwrap_or_else(|| response(&query, &Answer::ServerFailure, 0));
                    let _ = socket.send_to(&reply, client).await;
                });
            }
        }
    }
}

/// The upstream resolver's answer to `packet`, or `None` when it gives none in time.
async fn forward(packet: &[u8], upstream: SocketAddr) -> Option<Vec<u8>> {
    let local: SocketAddr = if upstream.is_ipv4() {
        ([0, 0, 0, 0], 0).into()
    } else {
        (std::net::Ipv6Addr::UNSPECIFIED, 0).into()
    };
    let socket = UdpSocket::bind(local).await.ok()?;
    socket.send_to(packet, upstream).await.ok()?;
    let mut buf = vec![0u8; 4096];
    let (len, _) = tokio::time::timeout(UPSTREAM_LIMIT, socket.recv_from(&mut buf))
        .await
        .ok()?
        .ok()?;
    buf.truncate(len);
    Some(buf)
}

/// The first `nameserver` of a resolv.conf, on port 53.
pub fn upstream_of(resolv_conf: &str) -> Option<SocketAddr> {
    resolv_conf.lines().find_map(|line| {
        let mut words = line.split_whitespace();
        (words.next() == Some("nameserver")).then_some(())?;
        let ip: std::net::IpAddr = words.next()?.parse().ok()?;
        Some(SocketAddr::new(ip, 53))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_machines_resolver_is_its_first_nameserver() {
        let conf = "# generated\nsearch lan\nnameserver 192.168.1.1\nnameserver 8.8.8.8\n";
        assert_eq!(upstream_of(conf), Some("192.168.1.1:53".parse().unwrap()));
        assert_eq!(upstream_of("search lan\n"), None);
    }
}
