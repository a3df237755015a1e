//! The port-forwards a page asked this agent to listen for, on one link: each one's listeners
//! and connections run in one task, so stopping it (Ctrl+C in the page), its pod leaving the
//! node, or the link ending (dropping [`Forwards`]) closes every socket it opened.

use super::outbox::Outbox;
use kubeplay_agent::network::{forward_listener, port_forward};
use kubeplay_agent::runtime::PodRuntime;
use kubeplay_shared::node_protocol::forward::{
    ForwardId, PortForwardConnection, PortForwardFailed, PortForwardListen, PortForwardListening,
};
use kubeplay_shared::node_protocol::FromAgent;
use std::collections::{HashMap, HashSet};
use std::net::IpAddr;
use std::sync::Arc;
use tokio::sync::mpsc;
use tokio::task::{JoinHandle, JoinSet};

/// kubectl's words when the pod of a forward goes away.
const LOST: &str = "error: lost connection to pod";

struct Forward {
    uid: String,
    task: JoinHandle<()>,
}

impl Drop for Forward {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// The forwards of one link.
pub struct Forwards {
    runtime: Arc<PodRuntime>,
    out: Outbox,
    node: String,
    /// Non-loopback addresses the operator allowed (`--allow-port-forward-address`).
    allowed: Arc<Vec<IpAddr>>,
    open: HashMap<ForwardId, Forward>,
}

impl Forwards {
    pub fn new(
        runtime: Arc<PodRuntime>,
        out: Outbox,
        node: String,
        allowed: Arc<Vec<IpAddr>>,
    ) -> Self {
        Self {
            runtime,
            out,
            node,
            allowed,
            open: HashMap::new(),
        }
    }

    async fn fail(&self, id: ForwardId, message: String) {
        let _ = self
            .out
            .send(FromAgent::PortForwardFailed(PortForwardFailed {
                id,
                message,
            }))
            .await;
    }

    /// Binds the listeners and starts forwarding; the answer is `portForwardListening` or
    /// `portForwardFailed`.
    pub async fn listen(&mut self, request: PortForwardListen) {
        self.open.retain(|_, f| !f.task.is_finished());
        let id = request.id;
        if self.open.contains_key(&id) {
            return self
                .fail(id, format!("error: port-forward {id} is already listening"))
                .await;
        }
        if let Err(e) =
            forward_listener::check_addresses(&request.addresses, &self.allowed, &self.node)
        {
            return self.fail(id, format!("error: {e}")).await;
        }
        let pod = &request.pod;
        if self.runtime.pod_ip(&pod.uid).is_err() {
            let message = format!(
                "error: pod {}/{} does not run on node \"{}\"",
                pod.namespace, pod.name, self.node
            );
            return self.fail(id, message).await;
        }
        let bound = match forward_listener::bind(&request.addresses, &request.ports).await {
            Ok(bound) => bound,
            Err(message) => return self.fail(id, message).await,
        };
        let listening = PortForwardListening {
            id,
            bound: bound.listeners.iter().map(|l| l.bound.clone()).collect(),
            warnings: bound.warnings,
        };
        if self
            .out
            .send(FromAgent::PortForwardListening(listening))
            .await
            .is_err()
        {
            return;
        }
        let task = tokio::spawn(serve(
            id,
            bound.listeners,
            Arc::clone(&self.runtime),
            pod.uid.clone(),
            self.out.clone(),
        ));
        self.open.insert(
            id,
            Forward {
                uid: pod.uid.clone(),
                task,
            },
        );
    }

    /// Ctrl+C in the page: the listeners and their connections close.
    pub fn stop(&mut self, id: ForwardId) {
        self.open.remove(&id);
    }

    /// A new desired set: forwards to pods no longer on it (or terminating) end as kubectl's
    /// do when the pod goes away.
    pub async fn keep_pods(&mut self, live: &HashSet<String>) {
        let gone: Vec<ForwardId> = self
            .open
            .iter()
            .filter(|(_, f)| !live.contains(&f.uid))
            .map(|(id, _)| *id)
            .collect();
        for id in gone {
            self.open.remove(&id);
            self.fail(id, LOST.to_string()).await;
        }
    }
}

/// Accepts on every listener and forwards each connection to the pod; ends (with its sockets)
/// when aborted.
async fn serve(
    id: ForwardId,
    listeners: Vec<forward_listener::Listener>,
    runtime: Arc<PodRuntime>,
    uid: String,
    out: Outbox,
) {
    let mut accepting = JoinSet::new();
    let (conn_tx, mut conn_rx) = mpsc::channel(16);
    for listener in listeners {
        let conn_tx = conn_tx.clone();
        accepting.spawn(async move {
            loop {
                match listener.socket.accept().await {
                    Ok((stream, _)) => {
                        if conn_tx
                            .send((stream, listener.bound.local, listener.bound.remote))
                            .await
                            .is_err()
                        {
                            return;
                        }
                    }
                    Err(e) => tracing::debug!("port-forward accept failed: {e}"),
                }
            }
        });
    }
    drop(conn_tx);
    let mut connections = JoinSet::new();
    while let Some((client, local, remote)) = conn_rx.recv().await {
        let _ = out
            .send(FromAgent::PortForwardConnection(PortForwardConnection {
                id,
                local,
                error: None,
            }))
            .await;
        let (runtime, uid, out) = (Arc::clone(&runtime), uid.clone(), out.clone());
        connections.spawn(async move {
            if let Err(e) = forward(client, &runtime, &uid, remote).await {
                let error = Some(format!(
                    "an error occurred forwarding {local} -> {remote}: {e}"
                ));
                let _ = out
                    .send(FromAgent::PortForwardConnection(PortForwardConnection {
                        id,
                        local,
                        error,
                    }))
                    .await;
            }
        });
        while connections.try_join_next().is_some() {}
    }
}

/// One accepted connection, spliced to the pod's port with the same connect as kubectl's
/// port-forward streams.
async fn forward(
    mut client: tokio::net::TcpStream,
    runtime: &PodRuntime,
    uid: &str,
    port: u16,
) -> Result<(), String> {
    let ip = runtime.pod_ip(uid).map_err(|e| e.to_string())?;
    let sandbox = async {
        runtime
            .sandbox_id(uid)
            .await
            .unwrap_or_else(|| uid.to_string())
    };
    let mut pod = port_forward::connect(&ip, port, sandbox).await?;
    let _ = client.set_nodelay(true);
    if let Err(e) = tokio::io::copy_bidirectional(&mut client, &mut pod).await {
        // A peer that resets is how connections often end; kubectl says nothing of it either.
        tracing::debug!("port-forward connection to port {port} ended: {e}");
    }
    Ok(())
}
