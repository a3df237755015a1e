//! The control plane's end of one agent's link: turns the agent's messages into API writes and
//! the API's state into messages for the agent, without doing any I/O itself.
//!
//! The host owns the WebSocket and the clock: it decodes frames into [`FromAgent`] and feeds
//! them to [`NodeLink::on_message`], calls [`NodeLink::poll`] after the cluster changed or at
//! [`NodeLink::wake`], sends every returned [`ToAgent`], and calls [`NodeLink::close`] when the
//! socket goes away. Times are cluster times. One host should not run two links for one node.

pub mod desired;
pub mod forwards;
pub mod registration;
pub mod reports;
pub mod services;
pub mod streams;
pub mod withheld;

#[cfg(test)]
mod tests;

use crate::api::{meta, resources};
use crate::apiserver::{ApiServer, WriteOptions};
use crate::controllers::events::{EventRecorder, EventType};
use crate::node_protocol::node::{NodeRegistration, NodeStatusReport};
use crate::node_protocol::report::ProbeResult;
use crate::node_protocol::stream::{Channel, StreamId, StreamOpen};
use crate::node_protocol::api::{ApiRequest, ApiRequestId};
use crate::node_protocol::api_exec::{ExecRefused, ExecStarted};
use crate::node_protocol::{
    negotiate, DesiredPod, FromAgent, RelayKey, Refused, ToAgent, FEATURE_ATTACH, FEATURE_KUBE_API, FEATURE_KUBE_EXEC, FEATURE_SERVICES, SUPPORTED_VERSIONS,
};
use desired::Unresolvable;
use jiff::{SignedDuration, Timestamp};
use serde_json::Value;
use std::collections::HashMap;
pub use forwards::{ForwardError, ForwardEvent};
pub use streams::{StreamError, StreamEvent};

/// Timings of a link, in cluster time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LinkConfig {
    /// How often the agent sends `nodeStatus`.
    pub heartbeat_seconds: u32,
    /// How often the agent sends `metrics` (metrics-server scrapes every 15 s).
    pub metrics_seconds: u32,
    /// Lease renewal period while the link is alive (the kubelet's 10 s).
    pub lease_renew: SignedDuration,
    /// Unchanged node status is still posted this often (the kubelet's 5 min).
    pub status_report: SignedDuration,
    /// After this long without a word from the agent the link stops renewing the Lease, so a
    /// hung agent behind an open socket still turns its node NotReady. A host running the
    /// cluster faster than real time scales it up accordingly.
    pub silence: SignedDuration,
    /// The host answers tunnelled kube API requests ([`LinkEvent::ApiRequest`]): registration
    /// tells the agent so with [`FEATURE_KUBE_API`].
    pub serves_api: bool,
    /// The host runs exec and attach streams the agent opens ([`StreamEvent::Opened`]) and
    /// answers them with [`NodeLink::exec_started`] or [`NodeLink::exec_refused`]:
    /// registration tells the agent so with [`FEATURE_KUBE_EXEC`].
    pub serves_exec: bool,
    /// The control plane's relay key, sent in `registered` to every agent it registers (see
    /// [`crate::node_protocol::relay_key`]); the host draws it once for all its links.
    pub relay_key: Option<RelayKey>,
}

impl Default for LinkConfig {
    fn default() -> Self {
        Self {
            heartbeat_seconds: 10,
            metrics_seconds: 15,
            lease_renew: SignedDuration::from_secs(10),
            status_report: SignedDuration::from_secs(300),
            silence: SignedDuration::from_secs(40),
            serves_api: false,
            serves_exec: false,
            relay_key: None,
        }
    }
}

/// What one call produced: messages for the agent and news for the host.
#[derive(Debug, Default, PartialEq)]
pub struct Output {
    pub to_agent: Vec<ToAgent>,
    pub events: Vec<LinkEvent>,
}

/// News for the host (the page shows them; stream consumers get their data).
#[derive(Debug, Clone, PartialEq)]
pub enum LinkEvent {
    /// The node registered (or re-registered) as `node`.
    Registered { node: String },
    Stream(StreamEvent),
    Probe(ProbeResult),
    /// kubectl's request through the agent's gateway: the host answers it with the control
    /// plane's request handler and sends [`ToAgent::ApiResponse`] (see [`crate::node_protocol::api`]).
    ApiRequest(ApiRequest),
    /// kubectl left tunnelled watch `id`: the host closes it.
    ApiWatchClosed { id: ApiRequestId },
    /// News of a port-forward the host asked for ([`NodeLink::port_forward`]).
    Forward(ForwardEvent),
    /// The link was refused or broke the protocol; the host closes the socket.
    Refused { reason: String },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    AwaitingHello,
    AwaitingRegistration,
    Registered,
    Closed,
}

/// The node an agent registered, and what the link remembers about it.
struct NodeState {
    registration: NodeRegistration,
    heartbeat: NodeStatusReport,
    last_heard: Timestamp,
    next_lease: Timestamp,
    next_status: Timestamp,
    recorder: EventRecorder,
    /// The store revision the desired set was last computed at.
    seen_revision: Option<u64>,
    sent: Option<u64>,
    /// The last resolution of each pod that succeeded: a pod already running keeps its config
    /// when a ConfigMap later goes away, as containers keep the env they started with.
    resolved: HashMap<String, DesiredPod>,
    /// The failure last reported per pod uid, so it is reported once, not on every pass.
    failures: HashMap<String, String>,
    /// The store revision the Services were last computed at, and the digest last sent.
    services_revision: Option<u64>,
    services_sent: Option<u64>,
}

/// The control plane's side of one agent's link.
pub struct NodeLink {
    config: LinkConfig,
    phase: Phase,
    version: Option<u32>,
    node: Option<NodeState>,
    streams: streams::Streams,
    forwards: forwards::Forwards,
}

fn after(t: Timestamp, d: SignedDuration) -> Timestamp {
    t.checked_add(d).unwrap_or(t)
}

impl Default for NodeLink {
    fn default() -> Self {
        Self::new(LinkConfig::default())
    }
}

impl NodeLink {
    pub fn new(config: LinkConfig) -> Self {
        Self { config, phase: Phase::AwaitingHello, version: None, node: None, streams: streams::Streams::default(), forwards: forwards::Forwards::default() }
    }

    /// The node this link speaks for, once registered.
    pub fn node_name(&self) -> Option<&str> {
        self.node.as_ref().map(|n| n.registration.node_name.as_str())
    }

    /// The negotiated protocol version.
    pub fn version(&self) -> Option<u32> {
        self.version
    }

    pub fn is_closed(&self) -> bool {
        self.phase == Phase::Closed
    }

    pub fn config(&self) -> LinkConfig {
        self.config
    }

    /// A host whose cluster speed changed rescales the silence it tolerates (the agent's
    /// heartbeat period, agreed at registration, is real time).
    pub fn set_silence(&mut self, silence: SignedDuration) {
        self.config.silence = silence;
    }

    /// Whether the agent has been heard from recently enough to keep its node alive.
    fn alive(&self, now: Timestamp) -> bool {
        self.phase == Phase::Registered
            && self.node.as_ref().is_some_and(|n| after(n.last_heard, self.config.silence) >= now)
    }

    fn refuse(&mut self, reason: String) -> Output {
        self.phase = Phase::Closed;
        let mut events: Vec<LinkEvent> = self.streams.close_all().into_iter().map(LinkEvent::Stream).collect();
        events.push(LinkEvent::Refused { reason: reason.clone() });
        Output {
            to_agent: vec![ToAgent::Refused(Refused { reason, supported_versions: SUPPORTED_VERSIONS.to_vec() })],
            events,
        }
    }

    /// Handles one message from the agent.
    pub fn on_message(&mut self, msg: FromAgent, api: &mut ApiServer, now: Timestamp) -> Output {
        if let Some(n) = self.node.as_mut() {
            n.last_heard = now;
        }
        match (self.phase, msg) {
            (Phase::Closed, _) => Output::default(),
            (Phase::AwaitingHello, FromAgent::Hello(hello)) => match negotiate(&hello, SUPPORTED_VERSIONS) {
                Ok(welcome) => {
                    self.version = Some(welcome.protocol_version);
                    self.phase = Phase::AwaitingRegistration;
                    Output { to_agent: vec![ToAgent::Welcome(welcome)], events: Vec::new() }
                }
                Err(refused) => self.refuse(refused.reason),
            },
            (Phase::AwaitingHello, _) => self.refuse("the first message must be hello".into()),
            (Phase::AwaitingRegistration, FromAgent::Register(reg)) => self.register(*reg, api, now),
            (Phase::AwaitingRegistration, _) => self.refuse("expected register after welcome".into()),
            (Phase::Registered, msg) => self.on_registered(msg, api, now),
        }
    }

    fn register(&mut self, reg: NodeRegistration, api: &mut ApiServer, now: Timestamp) -> Output {
        let pod_cidr = match registration::register(api, &reg, now) {
            Ok(cidr) => cidr,
            Err(e) => return self.refuse(e.to_string()),
        };
        let name = reg.node_name.clone();
        self.node = Some(NodeState {
            recorder: EventRecorder::for_host("kubelet", name.clone()),
            registration: reg,
            heartbeat: NodeStatusReport::default(),
            last_heard: now,
            next_lease: now,
            next_status: now,
            seen_revision: None,
            sent: None,
            resolved: HashMap::new(),
            failures: HashMap::new(),
            services_revision: None,
            services_sent: None,
        });
        self.phase = Phase::Registered;
        let mut out = Output {
            to_agent: vec![ToAgent::Registered {
                node_name: name.clone(),
                heartbeat_seconds: self.config.heartbeat_seconds,
                metrics_seconds: self.config.metrics_seconds,
                pod_cidr,
                features: [(self.config.serves_api, FEATURE_KUBE_API), (self.config.serves_exec, FEATURE_KUBE_EXEC)]
                    .into_iter()
                    .filter(|(served, _)| *served)
                    .map(|(_, feature)| feature.to_string())
                    .collect(),
                relay_key: self.config.relay_key,
            }],
            events: vec![LinkEvent::Registered { node: name }],
        };
        let more = self.poll(api, now);
        out.to_agent.extend(more.to_agent);
        out.events.extend(more.events);
        out
    }

    fn on_registered(&mut self, msg: FromAgent, api: &mut ApiServer, now: Timestamp) -> Output {
        let Some(node) = self.node.as_mut() else { return Output::default() };
        let name = node.registration.node_name.clone();
        let mut out = Output::default();
        match msg {
            FromAgent::Hello(_) | FromAgent::Register(_) => return self.refuse(format!("already registered as node \"{name}\"")),
            FromAgent::NodeStatus(report) => {
                if report != node.heartbeat {
                    node.heartbeat = report;
                    node.next_status = now;
                }
                out = self.poll(api, now);
            }
            FromAgent::PodStatus(r) => {
                reports::apply_pod_status(api, &name, &r.pod, &r.status, now);
            }
            FromAgent::PodRemoved { pod } => {
                reports::pod_removed(api, &name, &pod, now);
            }
            FromAgent::Event(e) => {
                reports::record_event(&mut node.recorder, api, &name, &e, now);
            }
            FromAgent::ProbeResult(p) => out.events.push(LinkEvent::Probe(p)),
            FromAgent::Metrics(m) => {
                reports::write_metrics(api, &name, &m, now);
            }
            FromAgent::OpenStream(o) => match self.streams.on_open(o, self.config.serves_exec) {
                Ok(e) => out.events.push(LinkEvent::Stream(e)),
                Err(refusal) => out.to_agent.push(refusal),
            },
            FromAgent::Data(d) => match self.streams.on_data(d) {
                Ok(e) => out.events.push(LinkEvent::Stream(e)),
                Err(close) => out.to_agent.push(close),
            },
            FromAgent::Credit(c) => {
                let (frames, writable) = self.streams.on_credit(c);
                out.to_agent = frames;
                out.events.extend(writable.map(LinkEvent::Stream));
            }
            FromAgent::CloseStream(c) => out.events.extend(self.streams.on_close(c).map(LinkEvent::Stream)),
            FromAgent::ApiRequest(_) | FromAgent::ApiWatchClose { .. } if !self.config.serves_api => {
                return self.refuse("this control plane did not offer the kube API (kubeApi) to the agent".into());
            }
            FromAgent::ApiRequest(r) => out.events.push(LinkEvent::ApiRequest(r)),
            FromAgent::ApiWatchClose { id } => out.events.push(LinkEvent::ApiWatchClosed { id }),
            msg @ (FromAgent::PortForwardListening(_) | FromAgent::PortForwardConnection(_) | FromAgent::PortForwardFailed(_)) => {
                out.events.extend(self.forwards.on_message(msg).map(LinkEvent::Forward));
            }
        }
        out
    }

    /// Keeps the node alive and its pods in sync; call after the cluster changed and at `wake`.
    pub fn poll(&mut self, api: &mut ApiServer, now: Timestamp) -> Output {
        let mut out = Output::default();
        let alive = self.alive(now);
        let config = self.config;
        let Some(node) = self.node.as_mut().filter(|_| self.phase == Phase::Registered) else { return out };
        if alive && node.next_lease <= now {
            registration::renew_lease(api, &node.registration.node_name, now);
            node.next_lease = after(now, config.lease_renew);
        }
        if alive && node.next_status <= now {
            registration::post_status(api, &node.registration, &node.heartbeat, now);
            node.next_status = after(now, config.status_report);
        }
        if let Some(sync) = node.sync_pods(api, now) {
            out.to_agent.push(sync);
        }
        if let Some(sync) = node.sync_services(api) {
            out.to_agent.push(sync);
        }
        out
    }

    /// When the link next wants `poll` without any change in the cluster.
    pub fn wake(&self) -> Option<Timestamp> {
        let node = self.node.as_ref().filter(|_| self.phase == Phase::Registered)?;
        // Past the silence deadline nothing is due until the agent speaks again.
        let silent_at = after(node.last_heard, self.config.silence);
        Some(node.next_lease.min(node.next_status)).filter(|due| *due <= silent_at)
    }

    /// The socket is gone: heartbeats stop (so the node turns NotReady after the grace period)
    /// and every stream ends.
    pub fn close(&mut self) -> Vec<LinkEvent> {
        self.phase = Phase::Closed;
        self.forwards.close_all();
        self.streams.close_all().into_iter().map(LinkEvent::Stream).collect()
    }

    /// Opens a log, exec, attach or port-forward stream to the agent; an attach only to an
    /// agent that registered [`FEATURE_ATTACH`], since an older one could not parse it.
    pub fn open_stream(&mut self, open: StreamOpen) -> Result<(StreamId, ToAgent), StreamError> {
        let Some(node) = self.node.as_ref().filter(|_| self.phase == Phase::Registered) else {
            return Err(StreamError::NotRegistered);
        };
        if matches!(open, StreamOpen::Attach { .. }) && !node.registration.features.iter().any(|f| f == FEATURE_ATTACH) {
            return Err(StreamError::Unsupported(FEATURE_ATTACH));
        }
        Ok(self.streams.open(open))
    }

    /// Asks the agent to listen on its machine for a `kubectl port-forward` to `pod`.
    pub fn port_forward(
        &mut self,
        pod: crate::node_protocol::report::PodRef,
        addresses: Vec<String>,
        ports: Vec<crate::node_protocol::forward::PortPair>,
    ) -> Result<(crate::node_protocol::forward::ForwardId, ToAgent), ForwardError> {
        let node = self.node.as_ref().filter(|_| self.phase == Phase::Registered).ok_or(ForwardError::NotRegistered)?;
        let (name, features) = (node.registration.node_name.clone(), node.registration.features.clone());
        self.forwards.listen(&name, &features, pod, addresses, ports)
    }

    /// Ctrl+C on a port-forward: the message that closes its listeners, if it is still open.
    pub fn stop_port_forward(&mut self, id: crate::node_protocol::forward::ForwardId) -> Option<ToAgent> {
        self.forwards.stop(id)
    }

    /// Sends what fits of `data`; returns how much was taken and the frames to send now.
    pub fn send(&mut self, stream: StreamId, channel: Channel, data: &[u8]) -> Result<(usize, Vec<ToAgent>), StreamError> {
        self.streams.send(stream, channel, data)
    }

    /// Ends this side's bytes of a stream (port-forward's half-close); see [`streams::Streams::finish`].
    pub fn finish_stream(&mut self, stream: StreamId, channel: Channel) -> Result<Vec<ToAgent>, StreamError> {
        self.streams.finish(stream, channel)
    }

    /// The host's consumer took `bytes` of a stream's data.
    pub fn consumed(&mut self, stream: StreamId, bytes: usize) -> Vec<ToAgent> {
        self.streams.consumed(stream, bytes)
    }

    pub fn resize(&self, stream: StreamId, cols: u16, rows: u16) -> Result<ToAgent, StreamError> {
        self.streams.resize(stream, cols, rows)
    }

    pub fn respond_http(&self, stream: StreamId, status: u16, headers: Vec<(String, String)>) -> Result<ToAgent, StreamError> {
        self.streams.respond(stream, status, headers)
    }

    pub fn close_stream(&mut self, stream: StreamId, error: Option<String>) -> Option<ToAgent> {
        self.streams.close(stream, error)
    }

    /// Ends a stream after what is queued on it: an exec's exit code, or the error that ended it.
    pub fn end_stream(&mut self, stream: StreamId, exit_code: Option<i32>, error: Option<String>) -> Vec<ToAgent> {
        self.streams.end(stream, exit_code, error)
    }

    /// The exec or attach the agent opened on `stream` runs.
    pub fn exec_started(&self, stream: StreamId) -> Result<ToAgent, StreamError> {
        match self.streams.kind(stream) {
            Some(StreamOpen::Exec { .. } | StreamOpen::Attach { .. }) => Ok(ToAgent::ExecStarted(ExecStarted { stream })),
            Some(_) => Err(StreamError::NotExec(stream)),
            None => Err(StreamError::Unknown(stream)),
        }
    }

    /// The API server refused the exec the agent opened on `stream`; the stream is over.
    pub fn exec_refused(&mut self, stream: StreamId, code: u16, reason: &str, message: &str) -> Option<ToAgent> {
        self.streams.forget(stream).then(|| {
            ToAgent::ExecRefused(ExecRefused { stream, code, reason: reason.to_string(), message: message.to_string() })
        })
    }

    pub fn streams(&self) -> &streams::Streams {
        &self.streams
    }
}

impl NodeState {
    /// The desired set when it changed since it was last sent; pods whose config cannot be
    /// resolved are reported as the kubelet would and held back.
    fn sync_pods(&mut self, api: &mut ApiServer, now: Timestamp) -> Option<ToAgent> {
        let revision = api.store().revision();
        if self.seen_revision == Some(revision) {
            return None;
        }
        let name = self.registration.node_name.clone();
        let bound = desired::bound_pods(api, &name);
        let mut pods = Vec::with_capacity(bound.len());
        let mut failed = Vec::new();
        for pod in &bound {
            let uid = meta::uid(pod).to_string();
            match desired::desired_pod(api, pod) {
                Ok(d) => {
                    self.failures.remove(&uid);
                    self.resolved.insert(uid, d.clone());
                    pods.push(d);
                }
                Err(e) => match self.resolved.get(&uid) {
                    Some(last) => pods.push(DesiredPod { pod: desired::for_agent(pod), ..last.clone() }),
                    None => failed.push((pod, e)),
                },
            }
        }
        let live: std::collections::HashSet<&str> = bound.iter().map(meta::uid).collect();
        self.resolved.retain(|uid, _| live.contains(uid.as_str()));
        self.failures.retain(|uid, _| live.contains(uid.as_str()));
        for (pod, failure) in failed {
            self.report_withheld(api, pod, &failure, now);
        }
        self.seen_revision = Some(api.store().revision());
        let fp = desired::fingerprint(&pods);
        (self.sent != Some(fp)).then(|| {
            self.sent = Some(fp);
            ToAgent::SyncPods { pods }
        })
    }

    /// Every Service with its ready endpoints, and the Ingresses of class `kubeplay`, when they
    /// changed since last sent, for agents that take them.
    fn sync_services(&mut self, api: &ApiServer) -> Option<ToAgent> {
        if !self.registration.features.iter().any(|f| f == FEATURE_SERVICES) {
            return None;
        }
        let revision = api.store().revision();
        if self.services_revision == Some(revision) {
            return None;
        }
        self.services_revision = Some(revision);
        let routes = services::service_routes(api);
        let ingresses = services::served_ingresses(api);
        let fp = services::fingerprint(&routes, &ingresses);
        (self.services_sent != Some(fp)).then(|| {
            self.services_sent = Some(fp);
            ToAgent::SyncServices { services: routes, ingresses }
        })
    }

    fn host_ip(&self) -> &str {
        let a = &self.registration.addresses;
        a.iter().find(|a| a.kind == "InternalIP").or(a.first()).map_or("", |a| a.address.as_str())
    }

    fn report_withheld(&mut self, api: &mut ApiServer, pod: &Value, failure: &Unresolvable, now: Timestamp) {
        let Some(res) = resources::by_plural("", "v1", "pods") else { return };
        if meta::is_terminating(pod) {
            return;
        }
        let uid = meta::uid(pod).to_string();
        let message = failure.to_string();
        if self.failures.get(&uid) != Some(&message) {
            let (reason, text) = withheld::event(failure);
            self.recorder.record(api, pod, EventType::Warning, reason, &text, now);
            self.failures.insert(uid, message);
        }
        let old = pod.get("status").cloned().unwrap_or(Value::Null);
        let status = withheld::status(&old, pod, failure, self.host_ip(), now);
        if status != old {
            let mut updated = pod.clone();
            updated["status"] = status;
            let _ = api.update(res, meta::namespace(pod), meta::name(pod), updated, Some("status"), now, WriteOptions::default());
        }
    }
}
