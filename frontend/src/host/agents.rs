//! The page's real machines: one [`NodeLink`] per connected `kubeplay-agent`, the sockets'
//! life (connecting, refused, lost, retrying with backoff), and what flows over the links
//! besides pods: container logs into the API's log store, `kubectl exec` output to the
//! terminal, `kubectl port-forward` listeners on the agents' machines ([`forward`]), and the
//! real kubectl's requests that the agent's gateway tunnels to this page (answered by the
//! engine with the control plane's request handler; their watches are polled here and pushed
//! to the agent), and the exec and attach streams that kubectl opens through an agent
//! ([`kube_exec`]).
//!
//! Pure: the host opens, feeds and closes the WebSockets this asks for ([`SocketCommand`]) and
//! passes both clocks in, so all of it runs and is tested natively. Sockets get a fresh id per
//! attempt, so events of a socket already given up are told apart and ignored.

use crate::protocol::{AgentPhase, AgentStatus, CallId, FromWorker, Reply, SavedAgent, Speed};
use jiff::SignedDuration;
use kubeplay_shared::api::{meta, resources};
use kubeplay_shared::apiserver::{Response, WatchId};
use kubeplay_shared::control_plane::ClusterClock;
use kubeplay_shared::kubectl::{ExecTarget, Shell, ShellOutput, SimShell, Transport};
use kubeplay_shared::node_link::registration::is_agent;
use kubeplay_shared::node_link::{LinkConfig, LinkEvent, NodeLink, StreamEvent};
use kubeplay_shared::node_protocol::api::ApiRequestId;
use kubeplay_shared::node_protocol::forward::ForwardId;
use kubeplay_shared::node_protocol::{
    decode, encode, ApiRequest, ApiResponse, ApiWatchEvents, Channel, Frame, FromAgent, RelayKey,
    StreamId, StreamOpen, ToAgent, TunnelledResponse,
};
use kubeplay_shared::{ApiServer, Timestamp};
use serde_json::Value;
use std::collections::{HashMap, HashSet};

/// Names one WebSocket attempt.
pub type SocketId = u32;

/// First wait before reconnecting; it doubles per failed attempt up to [`MAX_BACKOFF`].
const FIRST_BACKOFF: SignedDuration = SignedDuration::from_secs(1);
const MAX_BACKOFF: SignedDuration = SignedDuration::from_secs(30);
/// The kubelet's heartbeat and metrics-server's scrape, in cluster seconds.
const HEARTBEAT_CLUSTER_SECONDS: u32 = 10;
const METRICS_CLUSTER_SECONDS: u32 = 15;
/// Heartbeats the link may miss before it stops renewing the node's Lease.
const SILENT_HEARTBEATS: u32 = 4;
/// Shortest join token the agent accepts.
const MIN_TOKEN_LEN: usize = 16;

/// What the host does with the WebSockets.
#[derive(Debug, Clone, PartialEq)]
pub enum SocketCommand {
    /// Connect to `url`, presenting `token` as the Kubernetes bearer subprotocol.
    Open {
        socket: SocketId,
        url: String,
        token: String,
    },
    Send {
        socket: SocketId,
        frame: Frame,
    },
    Close {
        socket: SocketId,
    },
}

/// Why a `connect` was refused before any socket opened.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConnectError {
    #[error(
        "the agent URL must start with ws:// or wss:// and name a host (as kubeplay-agent prints it), not {0:?}"
    )]
    BadUrl(String),
    #[error("the agent URL carries no query: paste the token in its own field")]
    QueryInUrl,
    #[error("the join token is empty: paste the token kubeplay-agent printed")]
    NoToken,
    #[error(
        "the join token may only contain letters, digits, '-', '_', '.' and '~' (found {0:?})"
    )]
    BadToken(char),
    #[error(
        "the join token is too short ({0} characters): kubeplay-agent's tokens have at least {MIN_TOKEN_LEN}"
    )]
    ShortToken(usize),
}

/// The agent's endpoint, added to a URL given as just `ws://host:port`.
const CONNECT_PATH: &str = "/v1/connect";

/// Checks what the user typed; the URL comes back trimmed and with the agent's path.
pub fn check(url: &str, token: &str) -> Result<(String, String), ConnectError> {
    let url = url.trim();
    let token = token.trim();
    let host = url
        .strip_prefix("ws://")
        .or_else(|| url.strip_prefix("wss://"));
    let rest = match host {
        Some(rest)
            if !rest.is_empty()
                && !rest.starts_with('/')
                && !rest.contains(char::is_whitespace) =>
        {
            rest
        }
        _ => return Err(ConnectError::BadUrl(url.to_string())),
    };
    if rest.contains(['?', '#']) {
        // A token in the URL would end up in logs; it has its own field.
        return Err(ConnectError::QueryInUrl);
    }
    let url = match rest.split_once('/') {
        None => format!("{url}{CONNECT_PATH}"),
        Some((_, "")) => format!("{}{CONNECT_PATH}", url.trim_end_matches('/')),
        Some(_) => url.to_string(),
    };
    if token.is_empty() {
        return Err(ConnectError::NoToken);
    }
    if let Some(bad) = token
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | '~')))
    {
        return Err(ConnectError::BadToken(bad));
    }
    if token.len() < MIN_TOKEN_LEN {
        return Err(ConnectError::ShortToken(token.len()));
    }
    Ok((url, token.to_string()))
}

/// A container whose log is being followed into the API's log store.
#[derive(Debug)]
struct Tail {
    pod_uid: String,
    container: String,
    instance: u32,
    /// Lines the store already holds for this instance (from before a reload): skipped.
    skip: usize,
    partial: Vec<u8>,
}

/// One machine the page drives.
struct Agent {
    url: String,
    token: String,
    socket: Option<SocketId>,
    opened: bool,
    link: Option<NodeLink>,
    phase: AgentPhase,
    node: Option<String>,
    message: Option<String>,
    failures: u32,
    retry_at: Option<Timestamp>,
    /// Its node registered at least once: a socket that then fails to open means the
    /// machine went away (lost), not a bad token or origin.
    was_connected: bool,
    tails: HashMap<StreamId, Tail>,
    /// Container instances followed (or done) on this link: never tailed twice.
    tailed: HashSet<(String, String, u32)>,
    /// `kubectl exec` calls waiting on their stream.
    execs: HashMap<StreamId, CallId>,
    /// `kubectl exec -i[t]` sessions (the call that opened each) by their stream.
    sessions: HashMap<StreamId, CallId>,
    /// Watches kubectl opened through the agent's gateway, by the agent's request id.
    api_watches: HashMap<ApiRequestId, WatchId>,
    /// `kubectl port-forward` calls by the forward the agent listens for.
    forwards: HashMap<ForwardId, CallId>,
}

impl Agent {
    fn status(&self) -> AgentStatus {
        AgentStatus {
            url: self.url.clone(),
            phase: self.phase,
            node: self.node.clone(),
            message: self.message.clone(),
        }
    }
}

/// Every agent of the page.
#[derive(Default)]
pub struct Agents {
    agents: Vec<Agent>,
    next_socket: SocketId,
    commands: Vec<SocketCommand>,
    messages: Vec<FromWorker>,
    changed: bool,
    speed: Speed,
    /// The page's origin, which an agent must allow (`--allow-origin`), for messages.
    origin: Option<String>,
    /// Store revision the log tails were last checked at.
    tails_checked: Option<u64>,
    /// kubectl requests tunnelled by agents, for the engine to answer.
    api_requests: Vec<(SocketId, ApiRequest)>,
    /// Watches of links that went away, closed in the API at the next `poll`.
    orphan_watches: Vec<WatchId>,
    /// kubectl's execs that agents opened here.
    kube: kube_exec::KubeExecs,
    /// This page's relay key, which every agent it registers gets, so their relays serve
    /// each other (drawn by the host at start; without one, Services stay on each machine).
    relay_key: Option<RelayKey>,
}

/// The link's timings at `speed` (the agent's periods are real seconds, the silence cluster
/// time) and the page's relay key.
fn link_config(speed: Speed, relay_key: Option<RelayKey>) -> LinkConfig {
    let factor = speed.factor().max(1.0);
    let real = |cluster: u32| ((f64::from(cluster) / factor).ceil() as u32).clamp(1, cluster);
    let heartbeat = real(HEARTBEAT_CLUSTER_SECONDS);
    LinkConfig {
        heartbeat_seconds: heartbeat,
        metrics_seconds: real(METRICS_CLUSTER_SECONDS),
        silence: silence(heartbeat, speed),
        serves_api: true,
        serves_exec: true,
        relay_key,
        ..LinkConfig::default()
    }
}

/// [`SILENT_HEARTBEATS`] real heartbeat periods, in cluster time (never below the default).
fn silence(heartbeat_seconds: u32, speed: Speed) -> SignedDuration {
    let cluster = f64::from(heartbeat_seconds * SILENT_HEARTBEATS) * speed.factor().max(1.0);
    SignedDuration::from_secs(cluster.ceil() as i64).max(LinkConfig::default().silence)
}

fn backoff(failures: u32) -> SignedDuration {
    let factor = 1i32 << failures.min(5);
    (FIRST_BACKOFF * factor).min(MAX_BACKOFF)
}

impl Agents {
    /// The agents a saved page had, connecting again at once, registered with `relay_key`.
    pub fn restore(saved: &[SavedAgent], speed: Speed, relay_key: Option<RelayKey>) -> Self {
        let mut agents = Self {
            speed,
            relay_key,
            ..Self::default()
        };
        for s in saved {
            agents.add(s.url.clone(), s.token.clone());
        }
        agents
    }

    fn add(&mut self, url: String, token: String) {
        let mut agent = Agent {
            url,
            token,
            socket: None,
            opened: false,
            link: None,
            phase: AgentPhase::Connecting,
            node: None,
            message: None,
            failures: 0,
            retry_at: None,
            was_connected: false,
            tails: HashMap::new(),
            tailed: HashSet::new(),
            execs: HashMap::new(),
            sessions: HashMap::new(),
            api_watches: HashMap::new(),
            forwards: HashMap::new(),
        };
        self.open(&mut agent);
        self.agents.push(agent);
        self.changed = true;
    }

    fn open(&mut self, agent: &mut Agent) {
        self.next_socket += 1;
        let socket = self.next_socket;
        agent.socket = Some(socket);
        agent.opened = false;
        agent.retry_at = None;
        agent.link = Some(NodeLink::new(link_config(self.speed, self.relay_key)));
        agent.phase = AgentPhase::Connecting;
        self.commands.push(SocketCommand::Open {
            socket,
            url: agent.url.clone(),
            token: agent.token.clone(),
        });
    }

    /// "Add node": connects to the agent at `url` (again, with the new token, if it is known).
    pub fn connect(&mut self, url: &str, token: &str) -> Result<(), ConnectError> {
        let (url, token) = check(url, token)?;
        if let Some(at) = self.agents.iter().position(|a| a.url == url) {
            let mut agent = self.agents.remove(at);
            self.drop_socket(&mut agent);
            agent.token = token;
            agent.failures = 0;
            agent.message = None;
            self.open(&mut agent);
            self.agents.insert(at, agent);
            self.changed = true;
            return Ok(());
        }
        self.add(url, token);
        Ok(())
    }

    /// Forgets the agent at `url`: its node goes NotReady and its pods move on, as when a
    /// machine leaves; the agent keeps running them until a control plane says otherwise.
    pub fn disconnect(&mut self, url: &str) -> bool {
        let Some(at) = self.agents.iter().position(|a| a.url == url) else {
            return false;
        };
        let mut agent = self.agents.remove(at);
        self.drop_socket(&mut agent);
        self.changed = true;
        true
    }

    /// Closes the agent's socket and link; its exec calls end as kubectl's do on a lost link.
    fn drop_socket(&mut self, agent: &mut Agent) {
        if let Some(socket) = agent.socket.take() {
            self.commands.push(SocketCommand::Close { socket });
            self.kube_link_gone(socket);
        }
        if let Some(mut link) = agent.link.take() {
            // Its streams end with it: execs are answered below, log tails just stop.
            link.close();
        }
        let calls: Vec<CallId> = agent
            .execs
            .drain()
            .map(|(_, id)| id)
            .chain(agent.sessions.drain().map(|(_, id)| id))
            // The agent closes a forward's listeners when its link ends.
            .chain(agent.forwards.drain().map(|(_, id)| id))
            .collect();
        for id in calls {
            self.messages.push(FromWorker::Output {
                id,
                text: "error: lost connection to the node's agent\n".into(),
                stderr: true,
            });
            self.messages.push(FromWorker::Reply {
                id,
                reply: Reply::Done {
                    exit_code: 1,
                    prompt: None,
                },
            });
        }
        agent.tails.clear();
        agent.tailed.clear();
        agent.opened = false;
        self.orphan_watches
            .extend(agent.api_watches.drain().map(|(_, w)| w));
        self.api_requests
            .retain(|(socket, _)| Some(*socket) != agent.socket);
    }

    /// A cluster reset: every link starts over, so the agents register with the new cluster
    /// (and drop the pods it no longer wants).
    pub fn restart_all(&mut self) {
        let mut agents = std::mem::take(&mut self.agents);
        for agent in &mut agents {
            self.drop_socket(agent);
            agent.failures = 0;
            self.open(agent);
        }
        self.agents = agents;
        self.tails_checked = None;
        // The cluster those watches were open in is gone.
        self.orphan_watches.clear();
        self.api_requests.clear();
        self.changed = true;
    }

    /// The relay key links opened from now on register their agents with.
    pub fn set_relay_key(&mut self, key: RelayKey) {
        self.relay_key = Some(key);
    }

    pub fn relay_key(&self) -> Option<RelayKey> {
        self.relay_key
    }

    /// The page's origin (`http://127.0.0.1:8080`), named when a connection is refused.
    pub fn set_origin(&mut self, origin: String) {
        self.origin = Some(origin);
    }

    pub fn set_speed(&mut self, speed: Speed) {
        self.speed = speed;
        let config = link_config(speed, self.relay_key);
        for link in self.agents.iter_mut().filter_map(|a| a.link.as_mut()) {
            link.set_silence(
                config
                    .silence
                    .max(silence(link.config().heartbeat_seconds, speed)),
            );
        }
    }

    fn by_socket(&self, socket: SocketId) -> Option<usize> {
        self.agents.iter().position(|a| a.socket == Some(socket))
    }

    /// The socket is open: the agent says hello next.
    pub fn on_open(&mut self, socket: SocketId) {
        if let Some(at) = self.by_socket(socket) {
            self.agents[at].opened = true;
        }
    }

    /// A frame from the agent; cluster time `now`.
    pub fn on_frame(
        &mut self,
        socket: SocketId,
        frame: &Frame,
        api: &mut ApiServer,
        now: Timestamp,
    ) {
        let Some(at) = self.by_socket(socket) else {
            return;
        };
        let msg = match decode::<FromAgent>(frame) {
            Ok(msg) => msg,
            Err(err) => {
                self.refuse(
                    at,
                    format!("the agent sent a message this page cannot read ({err})"),
                );
                return;
            }
        };
        let Some(link) = self.agents[at].link.as_mut() else {
            return;
        };
        let out = link.on_message(msg, api, now);
        self.send(at, out.to_agent);
        self.on_events(at, out.events, api, now);
    }

    fn send(&mut self, at: usize, messages: Vec<ToAgent>) {
        let Some(socket) = self.agents[at].socket else {
            return;
        };
        for msg in messages {
            match encode(&msg) {
                Ok(frame) => self.commands.push(SocketCommand::Send { socket, frame }),
                Err(err) => web_log(&format!("cannot encode a message for the agent: {err}")),
            }
        }
    }

    fn on_events(
        &mut self,
        at: usize,
        events: Vec<LinkEvent>,
        api: &mut ApiServer,
        now: Timestamp,
    ) {
        for event in events {
            match event {
                LinkEvent::Registered { node } => {
                    let agent = &mut self.agents[at];
                    agent.phase = AgentPhase::Connected;
                    agent.was_connected = true;
                    agent.node = Some(node);
                    agent.failures = 0;
                    agent.message = None;
                    self.tails_checked = None;
                    self.changed = true;
                }
                LinkEvent::Refused { reason } => self.refuse(at, reason),
                LinkEvent::Stream(e) => self.on_stream(at, e, api, now),
                LinkEvent::Probe(_) => {}
                LinkEvent::ApiRequest(request) => {
                    if let Some(socket) = self.agents[at].socket {
                        self.api_requests.push((socket, request));
                    }
                }
                LinkEvent::ApiWatchClosed { id } => {
                    if let Some(watch) = self.agents[at].api_watches.remove(&id) {
                        api.close_watch(watch);
                    }
                }
                LinkEvent::Forward(e) => self.on_forward(at, e),
            }
        }
    }

    /// The link broke the protocol or was refused: close it and try again later.
    fn refuse(&mut self, at: usize, reason: String) {
        let mut agent = self.agents.remove(at);
        self.drop_socket(&mut agent);
        agent.phase = AgentPhase::Refused;
        agent.message = Some(reason);
        agent.failures += 1;
        self.agents.insert(at, agent);
        self.changed = true;
    }

    fn on_stream(&mut self, at: usize, event: StreamEvent, api: &mut ApiServer, now: Timestamp) {
        if self.kube_exec_event(at, &event) {
            return;
        }
        match event {
            StreamEvent::Data(d) => {
                let agent = &mut self.agents[at];
                if let Some(&id) = agent.sessions.get(&d.stream) {
                    if matches!(d.channel, Channel::Stdout | Channel::Stderr) && !d.data.is_empty()
                    {
                        self.messages.push(FromWorker::ExecOutput {
                            id,
                            data: d.data.clone(),
                        });
                    }
                } else if let Some(&id) = agent.execs.get(&d.stream) {
                    let text = String::from_utf8_lossy(&d.data).into_owned();
                    let stderr = d.channel == Channel::Stderr;
                    if matches!(d.channel, Channel::Stdout | Channel::Stderr) && !text.is_empty() {
                        self.messages.push(FromWorker::Output { id, text, stderr });
                    }
                } else if let Some(tail) = agent.tails.get_mut(&d.stream) {
                    tail.partial.extend_from_slice(&d.data);
                    append_lines(tail, api, false, now);
                }
                let credit = self.agents[at]
                    .link
                    .as_mut()
                    .map(|l| l.consumed(d.stream, d.data.len()))
                    .unwrap_or_default();
                self.send(at, credit);
            }
            StreamEvent::Closed(c) => {
                let agent = &mut self.agents[at];
                let session = agent.sessions.remove(&c.stream);
                if let Some(id) = session.or_else(|| agent.execs.remove(&c.stream)) {
                    let code = c.exit_code.unwrap_or(if c.error.is_some() { 1 } else { 0 });
                    let text = match (&c.error, c.exit_code) {
                        (Some(error), None) => Some(format!("error: {error}\n")),
                        (_, Some(code)) if code != 0 => {
                            Some(format!("command terminated with exit code {code}\n"))
                        }
                        _ => None,
                    };
                    if let Some(text) = text {
                        self.messages.push(FromWorker::Output {
                            id,
                            text,
                            stderr: true,
                        });
                    }
                    self.messages.push(FromWorker::Reply {
                        id,
                        reply: Reply::Done {
                            exit_code: code,
                            prompt: None,
                        },
                    });
                } else if let Some(mut tail) = agent.tails.remove(&c.stream) {
                    append_lines(&mut tail, api, true, now);
                }
            }
            StreamEvent::Opened { stream, .. } => {
                // The page serves no kube API gateway yet: refuse what the agent opens.
                let close = self.agents[at].link.as_mut().and_then(|l| {
                    l.close_stream(
                        stream,
                        Some("this control plane does not serve the agent's requests".into()),
                    )
                });
                self.send(at, close.into_iter().collect());
            }
            StreamEvent::Writable { .. } => {}
        }
    }

    /// The socket closed (or never opened); host time `now`.
    pub fn on_closed(&mut self, socket: SocketId, now: Timestamp) {
        let Some(at) = self.by_socket(socket) else {
            return;
        };
        let mut agent = self.agents.remove(at);
        let was_open = agent.opened;
        let registered = agent.phase == AgentPhase::Connected;
        agent.socket = None;
        self.drop_socket(&mut agent);
        if was_open {
            agent.phase = AgentPhase::Lost;
            agent.message = Some(if registered {
                "the connection to the agent was lost; its node turns NotReady unless it comes back"
                    .into()
            } else {
                "the agent closed the connection before its node registered (is another page driving it?)".into()
            });
        } else if agent.was_connected {
            agent.phase = AgentPhase::Lost;
            agent.message = Some(format!(
                "the agent at {} does not answer; retrying (its node turns NotReady and its pods move after the grace period)",
                agent.url
            ));
        } else if agent.phase != AgentPhase::Refused {
            agent.phase = AgentPhase::Refused;
            agent.message = Some(format!(
                "could not connect to {}: the agent is not running or not reachable, the token is wrong (the agent answers 401), \
                 or this page's origin is not allowed (403: start it with --allow-origin {}). \
                 The agent's log names the reason.",
                agent.url,
                self.origin.as_deref().unwrap_or("<this page's origin>")
            ));
        }
        agent.failures += 1;
        agent.retry_at = Some(now.checked_add(backoff(agent.failures - 1)).unwrap_or(now));
        self.agents.insert(at, agent);
        self.changed = true;
    }

    /// kubectl's requests that arrived through agents since the last call, with the socket
    /// each came on: the engine answers them with [`Agents::answer_api`].
    pub fn take_api_requests(&mut self) -> Vec<(SocketId, ApiRequest)> {
        std::mem::take(&mut self.api_requests)
    }

    /// Sends the control plane's answer to request `id` of the agent on `socket`; an opened
    /// watch is pushed from `poll` on. Returns a watch nobody can receive any more (its link
    /// is gone) for the caller to close.
    pub fn answer_api(
        &mut self,
        socket: SocketId,
        id: ApiRequestId,
        response: &Response,
    ) -> Option<WatchId> {
        let watch = match response {
            Response::Watch { id, .. } => Some(*id),
            Response::Body { .. } => None,
        };
        let Some(at) = self.by_socket(socket) else {
            return watch;
        };
        if let Some(watch) = watch {
            self.agents[at].api_watches.insert(id, watch);
        }
        let answer = ToAgent::ApiResponse(ApiResponse {
            id,
            response: TunnelledResponse::from_response(response),
        });
        self.send(at, vec![answer]);
        None
    }

    /// New events of the watches kubectl holds through agents; a watch that failed (an
    /// `ERROR` event: its history is gone) ends, as the API server ends it.
    fn push_api_watches(&mut self, api: &mut ApiServer, cluster: Timestamp) {
        for watch in self.orphan_watches.drain(..) {
            api.close_watch(watch);
        }
        for at in 0..self.agents.len() {
            let mut updates = Vec::new();
            let mut ended = Vec::new();
            for (&id, &watch) in &self.agents[at].api_watches {
                let events = api.poll_watch(watch, cluster);
                if events.is_empty() {
                    continue;
                }
                let done = events.iter().any(|e| e["type"] == "ERROR");
                if done {
                    ended.push(id);
                }
                updates.push(ToAgent::ApiWatchEvents(ApiWatchEvents { id, events, done }));
            }
            for id in ended {
                if let Some(watch) = self.agents[at].api_watches.remove(&id) {
                    api.close_watch(watch);
                }
            }
            self.send(at, updates);
        }
    }

    /// Reconnects whose backoff ran out, the links' own timers, the pods' sync, the log
    /// tails and tunnelled watches; `host` and `cluster` are the same moment on both clocks.
    pub fn poll(&mut self, api: &mut ApiServer, host: Timestamp, cluster: Timestamp) {
        for at in 0..self.agents.len() {
            let agent = &mut self.agents[at];
            if agent.socket.is_none() && agent.retry_at.is_none() {
                // Refused by the protocol (no close event follows): retry after the backoff.
                agent.retry_at = Some(
                    host.checked_add(backoff(agent.failures.saturating_sub(1)))
                        .unwrap_or(host),
                );
            }
            if self.agents[at].socket.is_none()
                && self.agents[at].retry_at.is_some_and(|t| t <= host)
            {
                let mut agent = self.agents.remove(at);
                self.open(&mut agent);
                self.agents.insert(at, agent);
                self.changed = true;
            }
            let Some(link) = self.agents[at].link.as_mut() else {
                continue;
            };
            let out = link.poll(api, cluster);
            self.send(at, out.to_agent);
            self.on_events(at, out.events, api, cluster);
        }
        self.push_api_watches(api, cluster);
        if self.tails_checked != Some(api.store().revision()) {
            self.tails_checked = Some(api.store().revision());
            for at in 0..self.agents.len() {
                self.follow_logs(at, api);
            }
        }
    }

    /// Opens a log stream for every running container instance on the agent's node.
    fn follow_logs(&mut self, at: usize, api: &ApiServer) {
        let Some(node) = self.agents[at].node.clone() else {
            return;
        };
        let Some(pods) = resources::by_plural("", "v1", "pods") else {
            return;
        };
        let mut wanted = Vec::new();
        for pod in api.list(pods, None) {
            if pod.pointer("/spec/nodeName").and_then(Value::as_str) != Some(node.as_str()) {
                continue;
            }
            for status in pod
                .pointer("/status/containerStatuses")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                if status.pointer("/state/running").is_none() {
                    continue;
                }
                let container = status
                    .get("name")
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_string();
                let instance = status
                    .get("restartCount")
                    .and_then(Value::as_u64)
                    .unwrap_or(0) as u32;
                let key = (meta::uid(pod).to_string(), container.clone(), instance);
                if !self.agents[at].tailed.contains(&key) {
                    wanted.push((
                        key,
                        meta::namespace(pod).to_string(),
                        meta::name(pod).to_string(),
                    ));
                }
            }
        }
        for ((uid, container, instance), namespace, name) in wanted {
            let open = StreamOpen::Logs {
                namespace,
                pod: name,
                container: container.clone(),
                follow: true,
                tail_lines: None,
                previous: false,
                timestamps: false,
                since_seconds: None,
            };
            let Some(link) = self.agents[at].link.as_mut() else {
                return;
            };
            let Ok((stream, msg)) = link.open_stream(open) else {
                return;
            };
            let skip = api.logs().lines(&uid, &container, instance).count();
            let agent = &mut self.agents[at];
            agent
                .tailed
                .insert((uid.clone(), container.clone(), instance));
            agent.tails.insert(
                stream,
                Tail {
                    pod_uid: uid,
                    container,
                    instance,
                    skip,
                    partial: Vec::new(),
                },
            );
            self.send(at, vec![msg]);
        }
    }

    /// When a link or a reconnect next needs `poll`, in host time.
    pub fn wake(&self, clock: &ClusterClock) -> Option<Timestamp> {
        let retries = self
            .agents
            .iter()
            .filter(|a| a.socket.is_none())
            .filter_map(|a| a.retry_at);
        let links = self
            .agents
            .iter()
            .filter_map(|a| a.link.as_ref()?.wake())
            .filter_map(|at| clock.host_time(at));
        retries.chain(links).min()
    }

    /// Runs `kubectl exec` (not interactive) in a pod on an agent's node as call `id`.
    pub fn exec(
        &mut self,
        id: CallId,
        target: &ExecTarget,
        argv: &[String],
        node: &str,
    ) -> Result<(), String> {
        let at = self.connected(node)?;
        let open = StreamOpen::Exec {
            namespace: target.namespace.clone(),
            pod: target.pod.clone(),
            container: target.container.clone(),
            command: argv.to_vec(),
            stdin: false,
            tty: false,
        };
        let link = self.agents[at]
            .link
            .as_mut()
            .ok_or("error: unable to upgrade connection: no link")?;
        let (stream, msg) = link
            .open_stream(open)
            .map_err(|e| format!("error: unable to upgrade connection: {e}"))?;
        self.agents[at].execs.insert(stream, id);
        self.send(at, vec![msg]);
        Ok(())
    }

    /// Ctrl-C on an exec call: its stream closes; `None` if `id` is no exec of an agent.
    pub fn cancel(&mut self, id: CallId) -> Option<Vec<FromWorker>> {
        if let Some(out) = self.cancel_forward(id) {
            return Some(out);
        }
        for at in 0..self.agents.len() {
            let agent = &mut self.agents[at];
            let exec = agent.execs.iter().find(|(_, c)| **c == id).map(|(s, _)| *s);
            let session = agent
                .sessions
                .iter()
                .find(|(_, c)| **c == id)
                .map(|(s, _)| *s);
            let Some(stream) = exec.or(session) else {
                continue;
            };
            agent.execs.remove(&stream);
            agent.sessions.remove(&stream);
            let close = self.agents[at]
                .link
                .as_mut()
                .and_then(|l| l.close_stream(stream, None));
            self.send(at, close.into_iter().collect());
            return Some(vec![FromWorker::Reply {
                id,
                reply: Reply::Done {
                    exit_code: 130,
                    prompt: None,
                },
            }]);
        }
        None
    }

    pub fn take_commands(&mut self) -> Vec<SocketCommand> {
        std::mem::take(&mut self.commands)
    }

    pub fn take_messages(&mut self) -> Vec<FromWorker> {
        std::mem::take(&mut self.messages)
    }

    /// The agents' status, when it changed since the last call.
    pub fn take_statuses(&mut self) -> Option<Vec<AgentStatus>> {
        std::mem::take(&mut self.changed).then(|| self.statuses())
    }

    pub fn statuses(&self) -> Vec<AgentStatus> {
        self.agents.iter().map(Agent::status).collect()
    }

    /// What a reload needs to reconnect: kept in this origin's IndexedDB only.
    pub fn saved(&self) -> Vec<SavedAgent> {
        self.agents
            .iter()
            .map(|a| SavedAgent {
                url: a.url.clone(),
                token: a.token.clone(),
            })
            .collect()
    }

    pub fn is_empty(&self) -> bool {
        self.agents.is_empty()
    }
}

/// Moves the complete lines of a tail into the log store (`all`: the rest too, at its end).
fn append_lines(tail: &mut Tail, api: &mut ApiServer, all: bool, now: Timestamp) {
    while let Some(end) = tail.partial.iter().position(|b| *b == b'\n') {
        let line: Vec<u8> = tail.partial.drain(..=end).collect();
        push_line(tail, api, &line[..line.len() - 1], now);
    }
    if all && !tail.partial.is_empty() {
        let line = std::mem::take(&mut tail.partial);
        push_line(tail, api, &line, now);
    }
}

fn push_line(tail: &mut Tail, api: &mut ApiServer, line: &[u8], now: Timestamp) {
    if tail.skip > 0 {
        tail.skip -= 1;
        return;
    }
    let text = String::from_utf8_lossy(line);
    let text = text.strip_suffix('\r').unwrap_or(&text);
    api.logs_mut()
        .append(&tail.pod_uid, &tail.container, tail.instance, now, text);
}

fn web_log(text: &str) {
    #[cfg(target_arch = "wasm32")]
    web_sys::console::warn_1(&format!("kubeplay agents: {text}").into());
    #[cfg(not(target_arch = "wasm32"))]
    eprintln!("kubeplay agents: {text}");
}

/// `kubectl exec` for the terminals: commands in pods on agents' nodes are held back for the
/// host to run over the agent's link; the others run in the simulated shell.
#[derive(Default)]
pub struct AgentShell {
    /// The exec to run on an agent, and the node whose agent runs it.
    pub deferred: Option<(ExecTarget, Vec<String>, String)>,
}

/// The node a pod is bound to, when that node is an agent's.
pub fn agent_node_of(api: &ApiServer, pod: &Value) -> Option<String> {
    let node = pod.pointer("/spec/nodeName").and_then(Value::as_str)?;
    let nodes = resources::by_plural("", "v1", "nodes")?;
    let obj = api.get(nodes, "", node).ok()?;
    is_agent(obj).then(|| node.to_string())
}

impl Shell for AgentShell {
    fn run(
        &mut self,
        transport: &mut dyn Transport,
        target: &ExecTarget,
        argv: &[String],
        now: Timestamp,
    ) -> ShellOutput {
        let node = transport
            .local_api()
            .and_then(|api| agent_node_of(api, &target.pod_object));
        match node {
            Some(node) => {
                self.deferred = Some((target.clone(), argv.to_vec(), node));
                ShellOutput::default()
            }
            None => SimShell.run(transport, target, argv, now),
        }
    }
}

mod forward;
mod kube_exec;
mod session;
#[cfg(test)]
mod tests;
