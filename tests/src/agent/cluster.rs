//! A whole Kubeplay control plane for an agent test: the real `ControlPlane` (API server,
//! scheduler, controllers) and the real `NodeLink`, hosted by a small loop over the WebSocket
//! as the browser tab hosts them, so a test can create objects and watch the agent run them.
//! More agents can [`Cluster::join`] as further nodes, each with its own link; all links carry
//! the cluster's one relay key, drawn at connect as the page draws its own.

use super::{AgentHarnessError, Result};
use futures_util::{SinkExt, StreamExt};
use kubeplay_shared::api::resources::by_plural;
use kubeplay_shared::apiserver::WriteOptions;
use kubeplay_shared::node_link::{ForwardEvent, LinkConfig, LinkEvent, NodeLink, StreamEvent};
use kubeplay_shared::node_protocol::forward::{BoundPort, PortPair};
use kubeplay_shared::node_protocol::report::PodRef;
use kubeplay_shared::node_protocol::service::{Backend, ServiceRoute};
use kubeplay_shared::node_protocol::stream::CloseStream;
use kubeplay_shared::node_protocol::{
    decode, encode, Channel, Frame, FromAgent, RelayKey, StreamId, StreamOpen, ToAgent,
};
use kubeplay_shared::{ControlPlane, Timestamp};
use serde_json::Value;
use std::collections::HashMap;
use std::time::{Duration, Instant};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::HeaderValue;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

/// How long one step waits for the agent before running the controllers again.
const STEP: Duration = Duration::from_millis(50);

#[derive(Debug, Default, Clone)]
pub struct Output {
    pub stdout: Vec<u8>,
    pub stderr: Vec<u8>,
    pub closed: Option<CloseStream>,
}

type Socket = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// Another agent of the same cluster: its own link and socket (streams go to the first agent).
pub struct Peer {
    pub link: NodeLink,
    socket: Socket,
    /// Why its link ended, once it did.
    pub ended: Option<String>,
}

pub struct Cluster {
    pub cp: ControlPlane,
    pub link: NodeLink,
    socket: Socket,
    /// Further agents, in the order they joined.
    pub peers: Vec<Peer>,
    pub streams: HashMap<StreamId, Output>,
    pub refused: Option<String>,
    /// The last `syncServices` sent to the agent (it applies it before any later message).
    pub services_sent: Option<Vec<ServiceRoute>>,
    /// What the agent said of the port-forwards asked of it, in order.
    pub forwards: Vec<ForwardEvent>,
    /// What every agent of this cluster presents to the others' relays.
    pub relay_key: RelayKey,
}

impl Cluster {
    /// A fresh cluster whose only node is the agent at `url`, registered once this returns.
    pub async fn connect(url: &str, token: &str) -> Result<Cluster> {
        Self::connect_with(url, token, LinkConfig::default()).await
    }

    /// As [`Cluster::connect`], with the link's timings (e.g. metrics every second); the
    /// relay key is the cluster's own whatever `config` says.
    pub async fn connect_with(url: &str, token: &str, config: LinkConfig) -> Result<Cluster> {
        let relay_key = kubeplay_agent::network::relay::random_key()
            .map_err(|e| AgentHarnessError::Link(format!("no random relay key: {e}")))?;
        let socket = connect_socket(url, token).await?;
        let mut cluster = Cluster {
            cp: ControlPlane::new(cluster_seed(), Timestamp::now()),
            link: NodeLink::new(LinkConfig {
                relay_key: Some(relay_key),
                ..config
            }),
            socket,
            peers: Vec::new(),
            streams: HashMap::new(),
            refused: None,
            services_sent: None,
            forwards: Vec::new(),
            relay_key,
        };
        cluster
            .wait_for("the node to register", Duration::from_secs(30), |c| {
                c.link.node_name().map(str::to_string)
            })
            .await?;
        Ok(cluster)
    }

    /// Adds the agent at `url` as another node of this cluster, registered once this returns;
    /// its index in [`Cluster::peers`].
    pub async fn join(&mut self, url: &str, token: &str) -> Result<usize> {
        let socket = connect_socket(url, token).await?;
        self.peers.push(Peer {
            link: NodeLink::new(LinkConfig {
                relay_key: Some(self.relay_key),
                ..LinkConfig::default()
            }),
            socket,
            ended: None,
        });
        let index = self.peers.len() - 1;
        self.wait_for("the peer to register", Duration::from_secs(30), |c| {
            c.peers[index].link.node_name().map(str::to_string)
        })
        .await?;
        Ok(index)
    }

    fn now(&self) -> Timestamp {
        self.cp.clock().cluster_time(Timestamp::now())
    }

    /// Creates `obj` (a ConfigMap, Secret, Pod, Deployment, …) as `kubectl create` would.
    pub fn create(&mut self, plural: &str, obj: Value) -> Result<Value> {
        let (group, version) = match obj["apiVersion"].as_str().unwrap_or("v1").split_once('/') {
            Some((g, v)) => (g.to_string(), v.to_string()),
            None => (
                String::new(),
                obj["apiVersion"].as_str().unwrap_or("v1").to_string(),
            ),
        };
        let resource = by_plural(&group, &version, plural)
            .ok_or_else(|| AgentHarnessError::Link(format!("no resource {plural}")))?;
        let namespace = obj["metadata"]["namespace"]
            .as_str()
            .unwrap_or("default")
            .to_string();
        let now = self.now();
        let created = self
            .cp
            .api_mut()
            .create(resource, &namespace, obj, now, WriteOptions::default())
            .map_err(|e| AgentHarnessError::Link(format!("create {plural}: {e:?}")))?;
        Ok((*created).clone())
    }

    /// A core (`v1`) object.
    pub fn get(&self, plural: &str, namespace: &str, name: &str) -> Option<Value> {
        self.get_in("", "v1", plural, namespace, name)
    }

    pub fn get_in(
        &self,
        group: &str,
        version: &str,
        plural: &str,
        namespace: &str,
        name: &str,
    ) -> Option<Value> {
        let resource = by_plural(group, version, plural)?;
        self.cp
            .api()
            .get(resource, namespace, name)
            .ok()
            .map(|v| (**v).clone())
    }

    /// Every object of a kind in `namespace`.
    pub fn list(&self, group: &str, version: &str, plural: &str, namespace: &str) -> Vec<Value> {
        let Some(resource) = by_plural(group, version, plural) else {
            return Vec::new();
        };
        self.cp
            .api()
            .list(resource, Some(namespace))
            .map(|v| (**v).clone())
            .collect()
    }

    /// Changes an object as `kubectl edit` would: read, change, write back.
    pub fn update(
        &mut self,
        (group, version, plural): (&str, &str, &str),
        namespace: &str,
        name: &str,
        change: impl FnOnce(&mut Value),
    ) -> Result<()> {
        let resource = by_plural(group, version, plural)
            .ok_or_else(|| AgentHarnessError::Link(format!("no resource {plural}")))?;
        let mut obj = self
            .get_in(group, version, plural, namespace, name)
            .ok_or_else(|| AgentHarnessError::Link(format!("no {plural}/{name}")))?;
        change(&mut obj);
        let now = self.now();
        self.cp
            .api_mut()
            .update(
                resource,
                namespace,
                name,
                obj,
                None,
                now,
                WriteOptions::default(),
            )
            .map(|_| ())
            .map_err(|e| AgentHarnessError::Link(format!("update {plural}/{name}: {e:?}")))
    }

    /// Deletes an object as `kubectl delete` does (graceful for pods).
    pub fn delete(
        &mut self,
        group: &str,
        version: &str,
        plural: &str,
        namespace: &str,
        name: &str,
    ) -> Result<()> {
        let resource = by_plural(group, version, plural)
            .ok_or_else(|| AgentHarnessError::Link(format!("no resource {plural}")))?;
        let now = self.now();
        self.cp
            .api_mut()
            .delete(resource, namespace, name, &Default::default(), now)
            .map(|_| ())
            .map_err(|e| AgentHarnessError::Link(format!("delete {plural}/{name}: {e:?}")))
    }

    /// Opens a stream (logs, exec) to the agent through the node link.
    pub async fn open(&mut self, open: StreamOpen) -> Result<StreamId> {
        let (id, msg) = self
            .link
            .open_stream(open)
            .map_err(|e| AgentHarnessError::Link(e.to_string()))?;
        self.streams.insert(id, Output::default());
        self.send(vec![msg]).await?;
        Ok(id)
    }

    /// The ready endpoints of `service`'s first port in the last `syncServices` the agent got.
    pub fn endpoints_sent(&self, service: &str) -> Option<&[Backend]> {
        let route = self
            .services_sent
            .as_ref()?
            .iter()
            .find(|r| r.name == service)?;
        Some(&route.ports.first()?.endpoints)
    }

    /// Asks the agent to listen on `addresses` of its machine and forward each connection to
    /// `pod`'s port (a `kubectl port-forward` typed in a page); the sockets it bound.
    pub async fn port_forward(
        &mut self,
        pod: &str,
        addresses: Vec<String>,
        port: u16,
    ) -> Result<Vec<BoundPort>> {
        let uid = self
            .get("pods", "default", pod)
            .and_then(|p| p["metadata"]["uid"].as_str().map(str::to_string))
            .ok_or_else(|| AgentHarnessError::Link(format!("no pod {pod}")))?;
        let pod = PodRef {
            namespace: "default".into(),
            name: pod.into(),
            uid,
        };
        let ports = vec![PortPair {
            local: 0,
            remote: port,
        }];
        let (id, msg) = self
            .link
            .port_forward(pod, addresses, ports)
            .map_err(|e| AgentHarnessError::Link(e.to_string()))?;
        self.send(vec![msg]).await?;
        let answer = self
            .wait_for("the agent to listen", Duration::from_secs(30), |c| {
                c.forwards.iter().find_map(|f| match f {
                    ForwardEvent::Listening { id: i, bound, .. } if *i == id => {
                        Some(Ok(bound.clone()))
                    }
                    ForwardEvent::Failed { id: i, message } if *i == id => {
                        Some(Err(message.clone()))
                    }
                    _ => None,
                })
            })
            .await?;
        answer.map_err(AgentHarnessError::Link)
    }

    /// Runs the cluster and the link until `check` finds what it waits for.
    pub async fn wait_for<T>(
        &mut self,
        what: &str,
        limit: Duration,
        mut check: impl FnMut(&Cluster) -> Option<T>,
    ) -> Result<T> {
        let deadline = Instant::now() + limit;
        loop {
            if let Some(found) = check(self) {
                return Ok(found);
            }
            if Instant::now() >= deadline || self.refused.is_some() {
                return Err(AgentHarnessError::Timeout {
                    what: format!("{what} (refused: {:?})", self.refused),
                    seconds: limit.as_secs(),
                });
            }
            self.step().await?;
        }
    }

    /// One turn of the host loop: controllers, the links' own timers, then at most one message
    /// (from any agent).
    async fn step(&mut self) -> Result<()> {
        self.cp.tick(Timestamp::now());
        let now = self.now();
        let polled = self.link.poll(self.cp.api_mut(), now);
        self.handle(polled.to_agent, polled.events).await?;
        for i in 0..self.peers.len() {
            let polled = self.peers[i].link.poll(self.cp.api_mut(), now);
            send_to(&mut self.peers[i].socket, polled.to_agent).await?;
        }
        let (from, message) = {
            let mut reads = vec![Box::pin(self.socket.next())];
            for peer in self.peers.iter_mut().filter(|p| p.ended.is_none()) {
                reads.push(Box::pin(peer.socket.next()));
            }
            match tokio::time::timeout(STEP, futures_util::future::select_all(reads)).await {
                Err(_) => return Ok(()),
                Ok((message, index, _)) => (index, message),
            }
        };
        let message = match message {
            None | Some(Err(_)) | Some(Ok(Message::Close(_))) => {
                if from == 0 {
                    self.refused
                        .get_or_insert_with(|| "the agent closed the link".to_string());
                } else if let Some(peer) = self.live_peer(from - 1) {
                    peer.ended = Some("the agent closed the link".to_string());
                    peer.link.close();
                }
                return Ok(());
            }
            Some(Ok(m)) => m,
        };
        let frame = match message {
            Message::Text(t) => Frame::Text(t.to_string()),
            Message::Binary(b) => Frame::Binary(b.to_vec()),
            _ => return Ok(()),
        };
        let msg =
            decode::<FromAgent>(&frame).map_err(|e| AgentHarnessError::Link(e.to_string()))?;
        let now = self.now();
        if from == 0 {
            let out = self.link.on_message(msg, self.cp.api_mut(), now);
            self.handle(out.to_agent, out.events).await?;
        } else {
            let index = self
                .peers
                .iter()
                .enumerate()
                .filter(|(_, p)| p.ended.is_none())
                .nth(from - 1)
                .map(|(i, _)| i);
            if let Some(i) = index {
                let out = self.peers[i].link.on_message(msg, self.cp.api_mut(), now);
                send_to(&mut self.peers[i].socket, out.to_agent).await?;
            }
        }
        self.cp.tick(Timestamp::now());
        Ok(())
    }

    /// The `n`th peer whose link is still up.
    fn live_peer(&mut self, n: usize) -> Option<&mut Peer> {
        self.peers.iter_mut().filter(|p| p.ended.is_none()).nth(n)
    }

    async fn handle(&mut self, to_agent: Vec<ToAgent>, events: Vec<LinkEvent>) -> Result<()> {
        self.send(to_agent).await?;
        for event in events {
            match event {
                LinkEvent::Stream(StreamEvent::Data(d)) => {
                    let out = self.streams.entry(d.stream).or_default();
                    match d.channel {
                        Channel::Stderr => out.stderr.extend_from_slice(&d.data),
                        _ => out.stdout.extend_from_slice(&d.data),
                    }
                    let credit = self.link.consumed(d.stream, d.data.len());
                    self.send(credit).await?;
                }
                LinkEvent::Stream(StreamEvent::Closed(c)) => {
                    let id = c.stream;
                    self.streams.entry(id).or_default().closed = Some(c);
                }
                LinkEvent::Refused { reason } => self.refused = Some(reason),
                LinkEvent::Forward(event) => self.forwards.push(event),
                _ => {}
            }
        }
        Ok(())
    }

    async fn send(&mut self, messages: Vec<ToAgent>) -> Result<()> {
        for msg in &messages {
            if let ToAgent::SyncServices { services, .. } = msg {
                self.services_sent = Some(services.clone());
            }
        }
        send_to(&mut self.socket, messages).await
    }
}

/// A seed of its own for each cluster, as a real API server's UIDs are random: tests that run
/// side by side on one Docker engine must not get the same pod UIDs, or a look for one pod's
/// containers finds another test's.
fn cluster_seed() -> u64 {
    use std::hash::{BuildHasher, Hasher};
    std::collections::hash_map::RandomState::new()
        .build_hasher()
        .finish()
}

async fn connect_socket(url: &str, token: &str) -> Result<Socket> {
    let mut request = url
        .into_client_request()
        .map_err(|e| AgentHarnessError::Link(e.to_string()))?;
    let bearer = HeaderValue::from_str(&format!("Bearer {token}"))
        .map_err(|e| AgentHarnessError::Link(e.to_string()))?;
    request.headers_mut().insert("authorization", bearer);
    let (socket, _) = tokio_tungstenite::connect_async(request)
        .await
        .map_err(|e| AgentHarnessError::Link(format!("connecting to {url}: {e}")))?;
    Ok(socket)
}

async fn send_to(socket: &mut Socket, messages: Vec<ToAgent>) -> Result<()> {
    for msg in messages {
        let message = match encode(&msg).map_err(|e| AgentHarnessError::Link(e.to_string()))? {
            Frame::Text(t) => Message::text(t),
            Frame::Binary(b) => Message::binary(b),
        };
        socket
            .send(message)
            .await
            .map_err(|e| AgentHarnessError::Link(format!("sending: {e}")))?;
    }
    Ok(())
}
