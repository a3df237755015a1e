//! The Service proxy: a listener per cluster IP port and node port, each connection sent to the
//! next ready endpoint (round-robin, trying the next on a failed dial) and spliced both ways.
//!
//! Listeners follow the latest [`ServiceTable`]: new ones open, gone ones close, and changed
//! endpoints apply to new connections only (open ones run on, as conntrack keeps them).

use super::table::{Listen, ServiceTable, Target};
use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, RwLock};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;

/// How long one dial to an endpoint may take before the next is tried.
const DIAL_LIMIT: Duration = Duration::from_secs(3);
/// The relay's answer when it reached the pod.
pub const RELAY_OK: u8 = 0;

/// The endpoints of one listener, swapped in place when they change.
#[derive(Default)]
struct Pool {
    targets: RwLock<Vec<Target>>,
    next: AtomicUsize,
}

impl Pool {
    /// The endpoints in the order to try them for one connection: the round-robin's next first.
    fn order(&self) -> Vec<Target> {
        let targets = self.targets.read().unwrap_or_else(|p| p.into_inner());
        if targets.is_empty() {
            return Vec::new();
        }
        let start = self.next.fetch_add(1, Ordering::Relaxed) % targets.len();
        targets[start..]
            .iter()
            .chain(&targets[..start])
            .cloned()
            .collect()
    }
}

struct Active {
    pool: Arc<Pool>,
    task: JoinHandle<()>,
}

impl Drop for Active {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// The node's listeners.
pub struct Proxy {
    active: HashMap<Listen, Active>,
    /// Whether cluster IPs and the LoadBalancer pool are local to this machine (see the
    /// module doc of `network`).
    cluster_ips: bool,
    external_ips: bool,
    /// Listeners that could not open, reported once each.
    failed: HashMap<Listen, String>,
}

impl Proxy {
    pub fn new(cluster_ips: bool, external_ips: bool) -> Self {
        Self {
            active: HashMap::new(),
            cluster_ips,
            external_ips,
            failed: HashMap::new(),
        }
    }

    /// Listens where `table` says, with its endpoints; closes what it no longer lists.
    pub fn apply(&mut self, table: &ServiceTable) {
        let wanted = table.listeners();
        self.active.retain(|listen, _| wanted.contains_key(listen));
        self.failed.retain(|listen, _| wanted.contains_key(listen));
        for (listen, targets) in wanted {
            if let Some(active) = self.active.get(listen) {
                *active
                    .pool
                    .targets
                    .write()
                    .unwrap_or_else(|p| p.into_inner()) = targets.clone();
                continue;
            }
            let address = match *listen {
                Listen::ClusterIp(_) if !self.cluster_ips => continue,
                Listen::ClusterIp(address) => address,
                Listen::External(_) if !self.external_ips => continue,
                Listen::External(address) => address,
                Listen::NodePort(port) => SocketAddr::from(([0, 0, 0, 0], port)),
            };
            match bind(address) {
                Ok(listener) => {
                    self.failed.remove(listen);
                    let pool = Arc::new(Pool {
                        targets: RwLock::new(targets.clone()),
                        next: AtomicUsize::new(0),
                    });
                    let task = tokio::spawn(accept(listener, Arc::clone(&pool)));
                    self.active.insert(*listen, Active { pool, task });
                }
                Err(e) => {
                    let text = e.to_string();
                    if self.failed.get(listen) != Some(&text) {
                        tracing::warn!("cannot listen on {address} for a Service: {text}");
                        self.failed.insert(*listen, text);
                    }
                }
            }
        }
    }

    /// The addresses listened on now.
    pub fn listening(&self) -> Vec<Listen> {
        let mut out: Vec<Listen> = self.active.keys().copied().collect();
        out.sort();
        out
    }
}

/// A listener several agents on one machine may share (`SO_REUSEPORT`).
pub fn bind(address: SocketAddr) -> std::io::Result<TcpListener> {
    let socket = socket2::Socket::new(
        socket2::Domain::IPV4,
        socket2::Type::STREAM,
        Some(socket2::Protocol::TCP),
    )?;
    socket.set_reuse_address(true)?;
    socket.set_reuse_port(true)?;
    socket.set_nonblocking(true)?;
    socket.bind(&address.into())?;
    socket.listen(1024)?;
    TcpListener::from_std(socket.into())
}

async fn accept(listener: TcpListener, pool: Arc<Pool>) {
    loop {
        match listener.accept().await {
            Ok((client, _)) => {
                tokio::spawn(serve(client, Arc::clone(&pool)));
            }
            Err(e) => {
                tracing::debug!("accept failed: {e}");
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        }
    }
}

/// Connects `client` to the first endpoint that answers; without any, the client is closed
/// (as kube-proxy's REJECT rule refuses connections to a Service without endpoints).
async fn serve(mut client: TcpStream, pool: Arc<Pool>) {
    let _ = client.set_nodelay(true);
    for target in pool.order() {
        match dial(&target).await {
            Ok(mut upstream) => {
                let _ = tokio::io::copy_bidirectional(&mut client, &mut upstream).await;
                return;
            }
            Err(e) => tracing::debug!("endpoint {target:?} failed: {e}"),
        }
    }
}

/// A connection to `target`: straight to a local pod, or through the relay of a remote one.
pub async fn dial(target: &Target) -> std::io::Result<TcpStream> {
    let timed_out = || std::io::Error::new(std::io::ErrorKind::TimedOut, "dial timed out");
    let attempt = async {
        match target {
            Target::Local(pod) => {
                let stream = TcpStream::connect(pod).await?;
                let _ = stream.set_nodelay(true);
                Ok(stream)
            }
            Target::Relay { relay, pod, key } => {
                let mut stream = TcpStream::connect(relay.as_str()).await?;
                let _ = stream.set_nodelay(true);
                stream
                    .write_all(super::relay::request_line(key, *pod).as_bytes())
                    .await?;
                let mut answer = [0u8; 1];
                stream.read_exact(&mut answer).await?;
                if answer[0] != RELAY_OK {
                    return Err(std::io::Error::new(
                        std::io::ErrorKind::ConnectionRefused,
                        "the relay could not reach the pod",
                    ));
                }
                Ok(stream)
            }
        }
    };
    tokio::time::timeout(DIAL_LIMIT, attempt)
        .await
        .unwrap_or_else(|_| Err(timed_out()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_connection_starts_at_the_next_endpoint_and_falls_back_on_the_rest() {
        let a = Target::Local("172.17.0.2:3000".parse().unwrap());
        let b = Target::Local("172.17.0.3:3000".parse().unwrap());
        let c = Target::Local("172.17.0.4:3000".parse().unwrap());
        let pool = Pool {
            targets: RwLock::new(vec![a.clone(), b.clone(), c.clone()]),
            next: AtomicUsize::new(0),
        };
        assert_eq!(pool.order(), [a.clone(), b.clone(), c.clone()]);
        assert_eq!(pool.order(), [b.clone(), c.clone(), a.clone()]);
        assert_eq!(pool.order(), [c, a, b]);
        assert!(Pool::default().order().is_empty());
    }

    #[tokio::test]
    async fn a_node_port_splices_to_its_endpoints_round_robin() {
        let mut servers = Vec::new();
        for name in ["one", "two"] {
            let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
            let address = listener.local_addr().unwrap();
            tokio::spawn(async move {
                while let Ok((mut c, _)) = listener.accept().await {
                    let _ = c.write_all(name.as_bytes()).await;
                }
            });
            servers.push(Target::Local(address));
        }
        let pool = Arc::new(Pool {
            targets: RwLock::new(servers),
            next: AtomicUsize::new(0),
        });
        let listener = bind("127.0.0.1:0".parse().unwrap()).unwrap();
        let address = listener.local_addr().unwrap();
        tokio::spawn(accept(listener, pool));
        let mut seen = Vec::new();
        for _ in 0..4 {
            let mut c = TcpStream::connect(address).await.unwrap();
            let mut text = String::new();
            c.read_to_string(&mut text).await.unwrap();
            seen.push(text);
        }
        assert_eq!(seen, ["one", "two", "one", "two"]);
    }
}
