//! This machine as a node of the embedded control plane: the control plane's end of the node
//! link to the agent's own `/v1/connect`, hosted on the control plane's thread exactly as the
//! page hosts its agents' links. The agent registers its node with the machine's real capacity
//! and runs the pods bound to it in Docker; status, events and metrics come back over the link.
//!
//! Besides pods the link carries the local pods' container logs into the API's log store
//! ([`super::log_tails`]) and `kubectl exec` streams, whose bytes go to and from the gateway.
//! The socket itself lives in [`super::loopback`]; this side does no I/O.

use super::log_tails::LogTails;
use crate::exec::{ExecEvent, ExecInput, ExecSpec};
use kubeplay_shared::node_link::{LinkConfig, LinkEvent, NodeLink, Output, StreamEvent};
use kubeplay_shared::node_protocol::{Channel, FromAgent, RelayKey, StreamId, ToAgent};
use kubeplay_shared::{ApiServer, Timestamp};
use std::collections::HashMap;
use tokio::sync::mpsc;

/// An exec (or attach) stream and the gateway connection it answers.
struct Exec {
    events: mpsc::UnboundedSender<ExecEvent>,
    /// An attach ends without an exit code when the container's process ends: a success, as
    /// the kubelet reports it.
    attach: bool,
    /// Stdin bytes the link's send window did not take yet.
    stdin: Vec<u8>,
    /// The client closed stdin: the agent is told once `stdin` is sent.
    stdin_end: bool,
}

/// A link whose socket is up.
struct Connected {
    link: NodeLink,
    to_agent: mpsc::UnboundedSender<ToAgent>,
    tails: LogTails,
    execs: HashMap<StreamId, Exec>,
}

/// The local node's link, while its socket is up.
pub struct LocalNode {
    connected: Option<Connected>,
    /// The embedded control plane's relay key, sent to the agent at registration.
    relay_key: RelayKey,
}

impl LocalNode {
    pub fn new(relay_key: RelayKey) -> Self {
        Self {
            connected: None,
            relay_key,
        }
    }

    /// A new socket to the agent: messages for it go to `to_agent`. A previous link ends.
    pub fn connected(
        &mut self,
        api: &mut ApiServer,
        to_agent: mpsc::UnboundedSender<ToAgent>,
        now: Timestamp,
    ) {
        self.disconnected(api, now);
        self.connected = Some(Connected {
            link: NodeLink::new(LinkConfig {
                relay_key: Some(self.relay_key),
                ..LinkConfig::default()
            }),
            to_agent,
            tails: LogTails::default(),
            execs: HashMap::new(),
        });
    }

    /// The socket is gone: the node stops heartbeating and its streams end.
    pub fn disconnected(&mut self, api: &mut ApiServer, now: Timestamp) {
        if let Some(mut c) = self.connected.take() {
            let events = c.link.close();
            c.dispatch(
                Output {
                    to_agent: Vec::new(),
                    events,
                },
                api,
                now,
            );
        }
    }

    /// The registered node's name.
    pub fn node_name(&self) -> Option<&str> {
        self.connected.as_ref()?.link.node_name()
    }

    pub fn on_message(&mut self, msg: FromAgent, api: &mut ApiServer, now: Timestamp) {
        let Some(c) = self.connected.as_mut() else {
            return;
        };
        let out = c.link.on_message(msg, api, now);
        if !c.dispatch(out, api, now) {
            // Refused: dropping the sender ends the socket; the loopback connects again.
            self.connected = None;
        }
    }

    /// Keeps the node alive and in sync after the cluster changed or at `wake`; follows the
    /// logs of containers that started.
    pub fn poll(&mut self, api: &mut ApiServer, now: Timestamp) {
        let Some(c) = self.connected.as_mut() else {
            return;
        };
        let out = c.link.poll(api, now);
        c.dispatch(out, api, now);
        let Some(node) = c.link.node_name().map(str::to_string) else {
            return;
        };
        for wanted in c.tails.wanted(api, &node) {
            match c.link.open_stream(wanted.open.clone()) {
                Ok((stream, msg)) => {
                    c.tails.opened(api, stream, wanted);
                    c.send(vec![msg]);
                }
                Err(e) => tracing::warn!("cannot follow a container log: {e}"),
            }
        }
    }

    /// When the link next wants `poll` (cluster time).
    pub fn wake(&self) -> Option<Timestamp> {
        self.connected.as_ref()?.link.wake()
    }

    /// Opens an exec (or attach) stream to the agent for `spec` in `container`; its events go
    /// to `events`.
    pub fn start_exec(
        &mut self,
        spec: &ExecSpec,
        container: &str,
        events: mpsc::UnboundedSender<ExecEvent>,
    ) -> Result<StreamId, String> {
        let c = self
            .connected
            .as_mut()
            .ok_or("the local node's agent is not connected")?;
        let open = spec.stream(container);
        let (stream, msg) = c.link.open_stream(open).map_err(|e| e.to_string())?;
        c.execs.insert(
            stream,
            Exec {
                events,
                attach: spec.attach,
                stdin: Vec::new(),
                stdin_end: false,
            },
        );
        c.send(vec![msg]);
        Ok(stream)
    }

    /// The client's input for the exec on `stream`.
    pub fn exec_input(&mut self, stream: StreamId, input: ExecInput) {
        let Some(c) = self.connected.as_mut() else {
            return;
        };
        let frames = match input {
            ExecInput::Stdin(bytes) => {
                if let Some(exec) = c.execs.get_mut(&stream) {
                    exec.stdin.extend_from_slice(&bytes);
                }
                c.flush_stdin(stream)
            }
            ExecInput::StdinEnd => {
                if let Some(exec) = c.execs.get_mut(&stream) {
                    exec.stdin_end = true;
                }
                c.flush_stdin(stream)
            }
            ExecInput::Resize { cols, rows } => {
                c.link.resize(stream, cols, rows).into_iter().collect()
            }
            ExecInput::Consumed(bytes) => c.link.consumed(stream, bytes),
            ExecInput::Close => {
                c.execs.remove(&stream);
                c.link.close_stream(stream, None).into_iter().collect()
            }
        };
        c.send(frames);
    }
}

impl Connected {
    fn send(&self, messages: Vec<ToAgent>) {
        for msg in messages {
            let _ = self.to_agent.send(msg);
        }
    }

    /// Sends what the link produced and routes its events; false once the link was refused.
    fn dispatch(&mut self, out: Output, api: &mut ApiServer, now: Timestamp) -> bool {
        self.send(out.to_agent);
        let mut alive = true;
        for event in out.events {
            match event {
                LinkEvent::Registered { node } => {
                    tracing::info!(
                        "this machine joined the embedded control plane as node \"{node}\""
                    );
                }
                LinkEvent::Refused { reason } => {
                    tracing::warn!(
                        "the embedded control plane refused this machine's node: {reason}"
                    );
                    alive = false;
                }
                LinkEvent::Stream(e) => self.on_stream(e, api, now),
                LinkEvent::Probe(_) => {}
                // This link neither offers the kube API (the gateway asks the embedded control
                // plane directly) nor asks for page port-forwards (kubectl's go through the
                // gateway), so none of their messages come.
                LinkEvent::ApiRequest(_)
                | LinkEvent::ApiWatchClosed { .. }
                | LinkEvent::Forward(_) => {}
            }
        }
        alive
    }

    fn on_stream(&mut self, event: StreamEvent, api: &mut ApiServer, now: Timestamp) {
        match event {
            StreamEvent::Data(d) => {
                if self.tails.data(api, d.stream, &d.data, now) {
                    let credit = self.link.consumed(d.stream, d.data.len());
                    self.send(credit);
                } else if let Some(exec) = self.execs.get(&d.stream) {
                    // Credit comes back once the gateway wrote the bytes to its client.
                    if exec
                        .events
                        .send(ExecEvent::Output(d.channel, d.data))
                        .is_err()
                    {
                        self.execs.remove(&d.stream);
                        let close = self.link.close_stream(d.stream, None);
                        self.send(close.into_iter().collect());
                    }
                }
            }
            StreamEvent::Closed(c) => {
                if self.tails.closed(api, c.stream, now) {
                    return;
                }
                if let Some(exec) = self.execs.remove(&c.stream) {
                    let end = match (c.exit_code, c.error) {
                        (Some(code), _) => ExecEvent::Exited(code),
                        (None, Some(error)) => ExecEvent::Failed(error),
                        (None, None) if exec.attach => ExecEvent::Exited(0),
                        (None, None) => ExecEvent::Failed("the exec stream closed".into()),
                    };
                    let _ = exec.events.send(end);
                }
            }
            StreamEvent::Writable { stream } => {
                let frames = self.flush_stdin(stream);
                self.send(frames);
            }
            StreamEvent::Opened { stream, .. } => {
                // The embedded control plane answers kubectl itself; it serves no agent requests.
                let close = self.link.close_stream(
                    stream,
                    Some("the embedded control plane does not serve the agent's requests".into()),
                );
                self.send(close.into_iter().collect());
            }
        }
    }

    /// Sends as much pending stdin as the window takes, and the end of stdin after it.
    fn flush_stdin(&mut self, stream: StreamId) -> Vec<ToAgent> {
        let Some(exec) = self.execs.get_mut(&stream) else {
            return Vec::new();
        };
        let mut frames = Vec::new();
        while !exec.stdin.is_empty() {
            match self.link.send(stream, Channel::Stdin, &exec.stdin) {
                Ok((0, more)) => {
                    frames.extend(more);
                    break;
                }
                Ok((taken, more)) => {
                    frames.extend(more);
                    exec.stdin.drain(..taken);
                }
                Err(e) => {
                    tracing::debug!("exec stdin: {e}");
                    exec.stdin.clear();
                    break;
                }
            }
        }
        if exec.stdin.is_empty() && exec.stdin_end {
            exec.stdin_end = false;
            if let Ok(more) = self.link.finish_stream(stream, Channel::Stdin) {
                frames.extend(more);
            }
        }
        frames
    }
}
