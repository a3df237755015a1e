//! One control plane's link, from hello to close: version negotiation, registration, then the
//! loop that turns SyncPods into runtime syncs, runtime reports into messages, and serves
//! streams, heartbeats and metrics.

use super::forwards::Forwards;
use super::metrics::MachineUsage;
use super::outbox::{Outbox, Outgoing};
use super::slot::Turn;
use super::streams::Streams;
use super::Sessions;
use crate::node_info;
use futures_util::{SinkExt, StreamExt};
use kubeplay_agent::runtime::{self, Report};
use kubeplay_shared::node_link::services::{
    CLUSTER_IPS_LABEL, LOAD_BALANCER_IPS_LABEL, PROXY_PORT_LABEL,
};
use kubeplay_shared::node_protocol::report::{
    ContainerUsage, EventReport, EventType, MetricsReport, PodRef, PodStatusReport, PodUsage,
};
use kubeplay_shared::node_protocol::wire::decode_data;
use kubeplay_shared::node_protocol::{
    decode, encode, DecodeError, DesiredPod, Frame, FromAgent, Hello, ToAgent, FEATURE_ATTACH,
    FEATURE_PORT_FORWARD, FEATURE_SERVICES, SUPPORTED_VERSIONS,
};
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::mpsc;
use warp::ws::{Message, WebSocket};

/// How long the control plane may take to answer `hello` and `register`.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(30);
/// Messages waiting for the socket; stream data beyond this waits in its task, not in memory.
pub(super) const OUTGOING_QUEUE: usize = 64;
/// Close code for "a newer connection took over" (application range).
const CLOSE_REPLACED: u16 = 4001;
const CLOSE_NORMAL: u16 = 1000;
const CLOSE_PROTOCOL_ERROR: u16 = 1002;
/// Kubernetes' node status update frequency, when the control plane names none.
const DEFAULT_HEARTBEAT_SECONDS: u32 = 10;
/// metrics-server's scrape interval, when the control plane names none.
const DEFAULT_METRICS_SECONDS: u32 = 15;
/// How long the last messages and the close frame may take to go out.
const CLOSE_LIMIT: Duration = Duration::from_secs(5);

/// Why a link ended, which decides the close frame and the log line.
#[derive(Debug)]
enum Ending {
    PeerClosed,
    Replaced(String),
    Refused(String),
    Protocol(String),
}

type Incoming = futures_util::stream::SplitStream<WebSocket>;

pub(super) async fn drive(sessions: &Arc<Sessions>, socket: WebSocket, peer: &str, turn: Turn) {
    let (mut sink, mut incoming) = socket.split();
    let (out, mut out_rx) = Outbox::channel(OUTGOING_QUEUE);
    // kubectl's requests through the page tunnel queue apart from the link's own messages.
    let (tunnel_out, mut tunnel_rx) = mpsc::channel::<FromAgent>(OUTGOING_QUEUE);
    let (close_tx, close_rx) = tokio::sync::oneshot::channel::<(u16, String)>();
    let writer = tokio::spawn(async move {
        loop {
            let first = tokio::select! {
                Some(next) = out_rx.recv() => next,
                Some(msg) = tunnel_rx.recv() => Outgoing::Message(msg),
                else => break,
            };
            if !feed(&mut sink, first).await {
                return;
            }
            // What queued meanwhile goes out in the same write: one syscall for a burst of
            // stream chunks and credits instead of one each (at most a queue's worth, so a
            // steady stream never holds back the flush).
            for _ in 0..OUTGOING_QUEUE {
                let next = match out_rx.try_recv() {
                    Ok(next) => next,
                    Err(_) => match tunnel_rx.try_recv() {
                        Ok(msg) => Outgoing::Message(msg),
                        Err(_) => break,
                    },
                };
                if !feed(&mut sink, next).await {
                    return;
                }
            }
            if sink.flush().await.is_err() {
                return;
            }
        }
        if let Ok((code, reason)) = close_rx.await {
            let _ = sink.send(Message::close_with(code, reason)).await;
        }
        let _ = sink.close().await;
    });
    let ending = run(sessions, &mut incoming, out, tunnel_out, turn).await;
    sessions.listen(None);
    let close = match &ending {
        Ending::PeerClosed => None,
        Ending::Replaced(by) => {
            tracing::info!(peer = %peer, "replaced by a newer connection from {by}");
            Some((
                CLOSE_REPLACED,
                format!("replaced by a newer connection from {by}"),
            ))
        }
        Ending::Refused(reason) => {
            tracing::error!(peer = %peer, "the control plane refused this agent: {reason}");
            Some((CLOSE_NORMAL, "refused".to_string()))
        }
        Ending::Protocol(problem) => {
            tracing::warn!(peer = %peer, "closing the link: {problem}");
            Some((CLOSE_PROTOCOL_ERROR, truncate(problem, 120)))
        }
    };
    if let Some(close) = close {
        let _ = close_tx.send(close);
    }
    // A peer that stopped reading must not hold up the connection that replaces it.
    let abort = writer.abort_handle();
    if tokio::time::timeout(CLOSE_LIMIT, writer).await.is_err() {
        abort.abort();
    }
}

/// Queues `next` on the socket without flushing; false once the socket is gone.
async fn feed(
    sink: &mut futures_util::stream::SplitSink<WebSocket, Message>,
    next: Outgoing,
) -> bool {
    let message = match next {
        Outgoing::Frame(frame) => Message::binary(frame),
        Outgoing::Message(msg) => match encode(&msg) {
            Ok(Frame::Text(text)) => Message::text(text),
            Ok(Frame::Binary(bytes)) => Message::binary(bytes),
            Err(e) => {
                tracing::error!("dropping a message that cannot be encoded: {e}");
                return true;
            }
        },
    };
    sink.feed(message).await.is_ok()
}

async fn run(
    sessions: &Arc<Sessions>,
    incoming: &mut Incoming,
    out: Outbox,
    tunnel_out: mpsc::Sender<FromAgent>,
    mut turn: Turn,
) -> Ending {
    let hello = Hello {
        protocol_versions: SUPPORTED_VERSIONS.to_vec(),
        agent_version: format!("kubeplay-agent {}", env!("CARGO_PKG_VERSION")),
    };
    if out.send(FromAgent::Hello(hello)).await.is_err() {
        return Ending::PeerClosed;
    }
    let welcome = match handshake(incoming, |m| match m {
        ToAgent::Welcome(w) => Some(Ok(w)),
        ToAgent::Refused(r) => Some(Err(r.reason)),
        _ => None,
    })
    .await
    {
        Ok(w) => w,
        Err(ending) => return ending,
    };
    if !SUPPORTED_VERSIONS.contains(&welcome.protocol_version) {
        return Ending::Protocol(format!(
            "the control plane chose protocol version {}, which this agent does not speak",
            welcome.protocol_version
        ));
    }
    let mut registration = sessions.facts.registration();
    registration.features.push(FEATURE_SERVICES.to_string());
    registration.features.push(FEATURE_PORT_FORWARD.to_string());
    registration.features.push(FEATURE_ATTACH.to_string());
    for (label, on) in [
        (CLUSTER_IPS_LABEL, sessions.network.cluster_ips()),
        (LOAD_BALANCER_IPS_LABEL, sessions.network.external_ips()),
    ] {
        registration
            .labels
            .insert(label.to_string(), on.to_string());
    }
    if let Some(port) = sessions.network.relay_port() {
        registration
            .labels
            .insert(PROXY_PORT_LABEL.to_string(), port.to_string());
    }
    if out
        .send(FromAgent::Register(Box::new(registration)))
        .await
        .is_err()
    {
        return Ending::PeerClosed;
    }
    let registered = handshake(incoming, |m| match m {
        ToAgent::Registered {
            heartbeat_seconds,
            metrics_seconds,
            features,
            relay_key,
            ..
        } => Some(Ok((
            heartbeat_seconds,
            metrics_seconds,
            features,
            relay_key,
        ))),
        ToAgent::Refused(r) => Some(Err(r.reason)),
        _ => None,
    })
    .await;
    let (heartbeat_seconds, metrics_seconds, features, relay_key) = match registered {
        Ok(registered) => registered,
        Err(ending) => return ending,
    };
    tracing::info!(node = %sessions.facts.name, "registered; heartbeats every {heartbeat_seconds} s");
    if relay_key.is_none() {
        tracing::warn!("the control plane sent no relay key (it is older than this agent): other agents cannot reach this node's pods, nor this node theirs");
    }
    // kubectl's requests reach this page from now until the link ends.
    let _tunnel = sessions.tunnel.attach(tunnel_out, &features, relay_key);
    // Peers presenting this control plane's key pass the relay until the link ends.
    let _relay_key = relay_key.map(|key| sessions.network.hold_relay_key(key));

    let (reports_tx, mut reports) = mpsc::unbounded_channel();
    sessions.listen(Some(reports_tx));
    let mut pods: HashMap<(String, String), String> = HashMap::new();
    for (pod, status) in sessions.runtime.statuses() {
        pods.insert((pod.namespace.clone(), pod.name.clone()), pod.uid.clone());
        let report = FromAgent::PodStatus(PodStatusReport {
            pod: pod_ref(&pod),
            status,
        });
        if out.send(report).await.is_err() {
            return Ending::PeerClosed;
        }
    }
    if out
        .send(FromAgent::NodeStatus(node_info::status_report(
            node_info::memory_pressure(),
        )))
        .await
        .is_err()
    {
        return Ending::PeerClosed;
    }

    let mut streams = Streams::new(Arc::clone(&sessions.runtime), out.clone());
    // Dropped when this link ends, which closes every listener it opened.
    let mut forwards = Forwards::new(
        Arc::clone(&sessions.runtime),
        out.clone(),
        sessions.facts.name.clone(),
        Arc::clone(&sessions.forward_addresses),
    );
    let mut heartbeat = periodic(heartbeat_seconds, DEFAULT_HEARTBEAT_SECONDS);
    let mut metrics = periodic(metrics_seconds, DEFAULT_METRICS_SECONDS);
    let mut usage = MachineUsage::sample();
    let mut metrics_task = Background::default();
    loop {
        tokio::select! {
            replaced = &mut turn.replaced => {
                return Ending::Replaced(replaced.map_or_else(|_| "another connection".to_string(), |r| r.by));
            }
            message = incoming.next() => {
                let decoded = match message {
                    None | Some(Err(_)) => return Ending::PeerClosed,
                    Some(Ok(m)) if m.is_close() => return Ending::PeerClosed,
                    Some(Ok(m)) => match decode_message(m) {
                        Some(decoded) => decoded,
                        None => continue,
                    },
                };
                let msg = match decoded {
                    Ok(msg) => msg,
                    Err(e) => return Ending::Protocol(e.to_string()),
                };
                match msg {
                    ToAgent::SyncPods { pods: desired } => {
                        index_pods(&mut pods, &desired);
                        forwards.keep_pods(&live_uids(&desired)).await;
                        sessions.want(desired);
                    }
                    ToAgent::OpenStream(request) => {
                        let uid = stream_pod(&request.open).and_then(|key| pods.get(&key).cloned());
                        streams.open(request, uid).await;
                    }
                    ToAgent::SyncServices { services, ingresses } => {
                        sessions.network.update(&services, &ingresses, relay_key)
                    }
                    ToAgent::Resize(resize) => streams.resize(resize).await,
                    // Streams this agent opened are kubectl's execs through the page.
                    ToAgent::Credit(credit) if sessions.tunnel.has_exec(credit.stream) => sessions.tunnel.on_exec_credit(credit),
                    ToAgent::CloseStream(close) if sessions.tunnel.has_exec(close.stream) => sessions.tunnel.on_exec_close(close),
                    ToAgent::Data(data) if sessions.tunnel.has_exec(data.stream) => sessions.tunnel.on_exec_data(data),
                    ToAgent::Credit(credit) => streams.credit(credit),
                    ToAgent::CloseStream(close) => streams.close(close.stream),
                    ToAgent::Data(data) => streams.data(data).await,
                    ToAgent::ExecStarted(started) => sessions.tunnel.on_exec_started(started.stream),
                    ToAgent::ExecRefused(refused) => sessions.tunnel.on_exec_refused(refused),
                    ToAgent::ApiResponse(answer) => sessions.tunnel.on_response(answer),
                    ToAgent::ApiWatchEvents(update) => sessions.tunnel.on_watch_events(update),
                    ToAgent::PortForwardListen(request) => forwards.listen(*request).await,
                    ToAgent::PortForwardStop(stop) => forwards.stop(stop.id),
                    ToAgent::Refused(r) => return Ending::Refused(r.reason),
                    ToAgent::Welcome(_) | ToAgent::Registered { .. } | ToAgent::HttpResponse(_) => {}
                }
            }
            Some(report) = reports.recv() => {
                if let Report::Status { pod, .. } = &report {
                    pods.insert((pod.namespace.clone(), pod.name.clone()), pod.uid.clone());
                }
                if out.send(from_report(report)).await.is_err() {
                    return Ending::PeerClosed;
                }
            }
            _ = heartbeat.tick() => {
                let status = node_info::status_report(node_info::memory_pressure());
                if out.send(FromAgent::NodeStatus(status)).await.is_err() {
                    return Ending::PeerClosed;
                }
            }
            _ = metrics.tick() => {
                if metrics_task.is_idle() {
                    let (node, window) = usage.next(sessions.facts.cpu_cores);
                    metrics_task.run(tokio::spawn(send_metrics(Arc::clone(&sessions.runtime), out.clone(), node, window)));
                }
            }
        }
    }
}

/// A task of the link that must not outlive it (it holds a sender the writer waits on).
#[derive(Default)]
struct Background(Option<tokio::task::JoinHandle<()>>);

impl Background {
    fn is_idle(&self) -> bool {
        self.0.as_ref().is_none_or(|t| t.is_finished())
    }

    fn run(&mut self, task: tokio::task::JoinHandle<()>) {
        self.0 = Some(task);
    }
}

impl Drop for Background {
    fn drop(&mut self) {
        if let Some(task) = &self.0 {
            task.abort();
        }
    }
}

/// Waits for the handshake answer `pick` recognises; anything else first is a protocol error.
async fn handshake<T>(
    incoming: &mut Incoming,
    pick: impl Fn(ToAgent) -> Option<Result<T, String>>,
) -> Result<T, Ending> {
    let wait = async {
        loop {
            let frame = match incoming.next().await {
                None | Some(Err(_)) => return Err(Ending::PeerClosed),
                Some(Ok(m)) if m.is_close() => return Err(Ending::PeerClosed),
                Some(Ok(m)) => match to_frame(m) {
                    Some(frame) => frame,
                    None => continue,
                },
            };
            let msg = decode::<ToAgent>(&frame).map_err(|e| Ending::Protocol(e.to_string()))?;
            let kind = message_kind(&msg);
            return match pick(msg) {
                Some(Ok(value)) => Ok(value),
                Some(Err(reason)) => Err(Ending::Refused(reason)),
                None => Err(Ending::Protocol(format!(
                    "unexpected {kind} during the handshake"
                ))),
            };
        }
    };
    tokio::time::timeout(HANDSHAKE_TIMEOUT, wait)
        .await
        .unwrap_or_else(|_| {
            Err(Ending::Protocol(format!(
                "no handshake answer within {} s",
                HANDSHAKE_TIMEOUT.as_secs()
            )))
        })
}

/// The message's `type` as it travels, for error messages.
fn message_kind(msg: &ToAgent) -> &'static str {
    match msg {
        ToAgent::Welcome(_) => "welcome",
        ToAgent::Refused(_) => "refused",
        ToAgent::Registered { .. } => "registered",
        ToAgent::SyncPods { .. } => "syncPods",
        ToAgent::OpenStream(_) => "openStream",
        ToAgent::SyncServices { .. } => "syncServices",
        ToAgent::Resize(_) => "resize",
        ToAgent::Credit(_) => "credit",
        ToAgent::CloseStream(_) => "closeStream",
        ToAgent::HttpResponse(_) => "httpResponse",
        ToAgent::ApiResponse(_) => "apiResponse",
        ToAgent::ApiWatchEvents(_) => "apiWatchEvents",
        ToAgent::ExecStarted(_) => "execStarted",
        ToAgent::ExecRefused(_) => "execRefused",
        ToAgent::PortForwardListen(_) => "portForwardListen",
        ToAgent::PortForwardStop(_) => "portForwardStop",
        ToAgent::Data(_) => "stream data",
    }
}

/// The protocol message a WebSocket message carries (`None` for pings and pongs); stream bytes
/// are read from the frame in place rather than copied into a [`Frame`] first.
fn decode_message(message: Message) -> Option<Result<ToAgent, DecodeError>> {
    if message.is_binary() {
        Some(decode_data(message.as_bytes()).map(ToAgent::Data))
    } else {
        to_frame(message).map(|frame| decode(&frame))
    }
}

fn to_frame(message: Message) -> Option<Frame> {
    if message.is_text() {
        message.to_str().ok().map(|t| Frame::Text(t.to_string()))
    } else if message.is_binary() {
        Some(Frame::Binary(message.into_bytes().to_vec()))
    } else {
        None
    }
}

/// A ticker whose first tick is one period away (the first report was just sent).
fn periodic(seconds: u32, default: u32) -> tokio::time::Interval {
    let seconds = if seconds == 0 { default } else { seconds };
    let period = Duration::from_secs(u64::from(seconds));
    let mut interval = tokio::time::interval_at(tokio::time::Instant::now() + period, period);
    interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    interval
}

fn index_pods(index: &mut HashMap<(String, String), String>, desired: &[DesiredPod]) {
    for pod in desired {
        let meta = &pod.pod["metadata"];
        if let (Some(ns), Some(name), Some(uid)) = (
            meta["namespace"].as_str(),
            meta["name"].as_str(),
            meta["uid"].as_str(),
        ) {
            index.insert((ns.to_string(), name.to_string()), uid.to_string());
        }
    }
}

/// The uids of the desired pods that are not terminating: a port-forward to any other ends.
fn live_uids(desired: &[DesiredPod]) -> std::collections::HashSet<String> {
    desired
        .iter()
        .filter(|p| p.pod["metadata"]["deletionTimestamp"].is_null())
        .filter_map(|p| p.pod["metadata"]["uid"].as_str().map(str::to_string))
        .collect()
}

fn stream_pod(open: &kubeplay_shared::node_protocol::StreamOpen) -> Option<(String, String)> {
    use kubeplay_shared::node_protocol::StreamOpen;
    match open {
        StreamOpen::Logs { namespace, pod, .. }
        | StreamOpen::Exec { namespace, pod, .. }
        | StreamOpen::Attach { namespace, pod, .. }
        | StreamOpen::PortForward { namespace, pod, .. } => Some((namespace.clone(), pod.clone())),
        StreamOpen::Http { .. } => None,
    }
}

fn pod_ref(pod: &runtime::PodRef) -> PodRef {
    PodRef {
        namespace: pod.namespace.clone(),
        name: pod.name.clone(),
        uid: pod.uid.clone(),
    }
}

fn from_report(report: Report) -> FromAgent {
    match report {
        Report::Status { pod, status } => FromAgent::PodStatus(PodStatusReport {
            pod: pod_ref(&pod),
            status,
        }),
        Report::Event(event) => FromAgent::Event(EventReport {
            involved_pod: pod_ref(&event.pod),
            field_path: event.field_path,
            event_type: match event.event_type {
                runtime::EventType::Normal => EventType::Normal,
                runtime::EventType::Warning => EventType::Warning,
            },
            reason: event.reason,
            message: event.message,
        }),
        Report::Removed { pod } => FromAgent::PodRemoved { pod: pod_ref(&pod) },
    }
}

async fn send_metrics(
    runtime: Arc<runtime::PodRuntime>,
    out: Outbox,
    node: kubeplay_shared::node_protocol::report::Usage,
    window_seconds: u32,
) {
    let pods = match runtime.stats().await {
        Ok(pods) => pods,
        Err(e) => {
            tracing::debug!("no pod metrics this round: {e}");
            return;
        }
    };
    let pods = pods
        .into_iter()
        .map(|p| PodUsage {
            pod: pod_ref(&p.pod),
            containers: p
                .containers
                .into_iter()
                .map(|c| ContainerUsage {
                    name: c.name,
                    usage: kubeplay_shared::node_protocol::report::Usage {
                        cpu_nanocores: c.cpu_nanocores,
                        memory_bytes: c.memory_working_set_bytes,
                    },
                })
                .collect(),
        })
        .collect();
    let _ = out
        .send(FromAgent::Metrics(MetricsReport {
            window_seconds,
            node,
            pods,
        }))
        .await;
}

fn truncate(text: &str, max: usize) -> String {
    let mut end = text.len().min(max);
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    text[..end].to_string()
}
