//! `kubectl exec` and `attach` that the real kubectl sends to an agent's gateway for a pod the
//! agent does not run: the agent opens the process here as a stream ([`api_exec`]), this page's
//! API server checks it, and it runs in the simulated shell when the pod's node is simulated, or
//! on the agent of the pod's node through that agent's link, bytes relayed both ways.
//!
//! Bytes never pile up here: a relayed chunk is credited back to its sender only once the other
//! link took it, so a slow kubectl stalls the process on the far agent, as a slow reader stalls
//! a pipe. The simulated shell needs the control plane (what its containers started with), so
//! opens and input are queued by the link events and run by [`Agents::serve_execs`].
//!
//! [`api_exec`]: kubeplay_shared::node_protocol::api_exec

use super::{Agents, SocketId};
use kubeplay_shared::api::resources;
use kubeplay_shared::node_link::registration::is_agent;
use kubeplay_shared::node_link::StreamEvent;
use kubeplay_shared::node_protocol::stream::CloseStream;
use kubeplay_shared::node_protocol::{Channel, StreamData, StreamId};
use kubeplay_shared::sim::exec::{
    resolve, ExecEvent, ExecRequest, Refusal, SimInput, SimulatedExecs,
};
use kubeplay_shared::sim::shell::Cluster;
use kubeplay_shared::Timestamp;
use serde_json::Value;
use std::collections::HashMap;

/// One end of a relayed stream: the link (by its socket) and the stream on it.
pub(super) type End = (SocketId, StreamId);

/// Where a process asked for by an agent runs.
enum Runs {
    /// Queued for [`Agents::serve_execs`].
    Starting,
    Simulated(u64),
    /// On the agent of the pod's node, as stream `.1` of its link.
    Relayed(End),
}

/// A chunk one link did not take yet, and the stream to credit once it does.
struct Held {
    channel: Channel,
    data: Vec<u8>,
    /// The stream the bytes came from, credited as they go out.
    from: End,
}

/// An exec an agent opened here.
struct KubeExec {
    runs: Runs,
    /// Output waiting for the asking agent's credit.
    to_asker: Vec<Held>,
    /// Stdin waiting for the far agent's credit.
    to_node: Vec<Held>,
    /// The process ended (exit code, error) while output still waited.
    ended: Option<(Option<i32>, Option<String>)>,
}

/// What the control plane must do for the execs; queued by link events.
enum Work {
    Open(End, ExecRequest),
    Input(End, SimInput),
}

/// The execs agents opened here, by their asking end.
#[derive(Default)]
pub(super) struct KubeExecs {
    execs: HashMap<End, KubeExec>,
    work: Vec<Work>,
    simulated: SimulatedExecs,
    next_simulated: u64,
}

impl KubeExecs {
    /// The asking end of the exec relayed as `node_end`.
    fn asker_of(&self, node_end: End) -> Option<End> {
        self.execs
            .iter()
            .find(|(_, e)| matches!(e.runs, Runs::Relayed(end) if end == node_end))
            .map(|(asker, _)| *asker)
    }
}

/// kubectl's terminal size as the agent passes it on (`{"Width":80,"Height":24}`).
fn size(data: &[u8]) -> Option<(u16, u16)> {
    let size: Value = serde_json::from_slice(data).ok()?;
    let dim = |k: &str| {
        size.get(k)
            .and_then(Value::as_u64)
            .and_then(|v| u16::try_from(v).ok())
    };
    Some((dim("Width")?, dim("Height")?))
}

impl Agents {
    /// Handles `event` of the agent at `at` if it belongs to a kubectl exec; `false` leaves it
    /// to the page's own streams.
    pub(super) fn kube_exec_event(&mut self, at: usize, event: &StreamEvent) -> bool {
        let Some(socket) = self.agents[at].socket else {
            return false;
        };
        match event {
            StreamEvent::Opened { stream, open } => {
                let Some(request) = ExecRequest::of_stream(open) else {
                    return false;
                };
                let end = (socket, *stream);
                let exec = KubeExec {
                    runs: Runs::Starting,
                    to_asker: Vec::new(),
                    to_node: Vec::new(),
                    ended: None,
                };
                self.kube.execs.insert(end, exec);
                self.kube.work.push(Work::Open(end, request));
                true
            }
            StreamEvent::Data(d) => {
                let end = (socket, d.stream);
                if self.kube.execs.contains_key(&end) {
                    self.asker_input(end, d);
                } else if let Some(asker) = self.kube.asker_of(end) {
                    if d.data.is_empty() {
                        // Only stdin has an end of its own; output ends with the process.
                        return true;
                    }
                    self.hold(
                        asker,
                        Direction::ToAsker,
                        Held {
                            channel: d.channel,
                            data: d.data.clone(),
                            from: end,
                        },
                    );
                    self.flush(asker);
                } else {
                    return false;
                }
                true
            }
            StreamEvent::Writable { stream } => {
                let end = (socket, *stream);
                if self.kube.execs.contains_key(&end) {
                    self.flush(end);
                } else if let Some(asker) = self.kube.asker_of(end) {
                    self.flush(asker);
                } else {
                    return false;
                }
                true
            }
            StreamEvent::Closed(c) => {
                let end = (socket, c.stream);
                if let Some(exec) = self.kube.execs.remove(&end) {
                    // kubectl went away (or the asking agent did): the process goes too.
                    self.stop(exec);
                } else if let Some(asker) = self.kube.asker_of(end) {
                    self.process_ended(asker, c.clone());
                } else {
                    return false;
                }
                true
            }
        }
    }

    /// Stops the process of an exec whose asker is gone (an attach only detaches).
    fn stop(&mut self, exec: KubeExec) {
        match exec.runs {
            Runs::Simulated(id) => self.kube.simulated.close(id),
            Runs::Relayed(node) => self.close_end(node, None),
            Runs::Starting => {}
        }
    }

    /// The link of `socket` is gone: its execs stop, and those it ran for other agents end.
    pub(super) fn kube_link_gone(&mut self, socket: SocketId) {
        let asked: Vec<End> = self
            .kube
            .execs
            .keys()
            .filter(|(s, _)| *s == socket)
            .copied()
            .collect();
        for end in asked {
            if let Some(exec) = self.kube.execs.remove(&end) {
                self.stop(exec);
            }
        }
        let relayed: Vec<End> = self
            .kube
            .execs
            .iter()
            .filter(|(_, e)| matches!(e.runs, Runs::Relayed((s, _)) if s == socket))
            .map(|(asker, _)| *asker)
            .collect();
        for asker in relayed {
            let error = Some("lost connection to the node's agent".to_string());
            self.process_ended(
                asker,
                CloseStream {
                    stream: asker.1,
                    exit_code: None,
                    error,
                },
            );
        }
    }

    /// Stdin, a terminal size or the end of stdin from kubectl, for the process.
    fn asker_input(&mut self, end: End, d: &StreamData) {
        let Some(exec) = self.kube.execs.get(&end) else {
            return;
        };
        match exec.runs {
            Runs::Relayed(node) => match d.channel {
                Channel::Resize => {
                    if let Some((cols, rows)) = size(&d.data) {
                        self.send_to(node.0, |link| {
                            link.resize(node.1, cols, rows).ok().into_iter().collect()
                        });
                    }
                    self.credit(end, d.data.len());
                }
                Channel::Stdin if d.data.is_empty() => {
                    self.hold(
                        end,
                        Direction::ToNode,
                        Held {
                            channel: Channel::Stdin,
                            data: Vec::new(),
                            from: end,
                        },
                    );
                    self.flush(end);
                }
                Channel::Stdin => {
                    self.hold(
                        end,
                        Direction::ToNode,
                        Held {
                            channel: Channel::Stdin,
                            data: d.data.clone(),
                            from: end,
                        },
                    );
                    self.flush(end);
                }
                _ => self.credit(end, d.data.len()),
            },
            Runs::Simulated(_) | Runs::Starting => {
                let input = match d.channel {
                    Channel::Stdin if d.data.is_empty() => Some(SimInput::StdinEnd),
                    Channel::Stdin => Some(SimInput::Stdin(d.data.clone())),
                    _ => None,
                };
                if let Some(input) = input {
                    self.kube.work.push(Work::Input(end, input));
                }
                self.credit(end, d.data.len());
            }
        }
    }

    fn hold(&mut self, asker: End, direction: Direction, held: Held) {
        if let Some(exec) = self.kube.execs.get_mut(&asker) {
            match direction {
                Direction::ToAsker => exec.to_asker.push(held),
                Direction::ToNode => exec.to_node.push(held),
            }
        }
    }

    /// Passes on what each side's credit allows, credits the sources for what went, and ends
    /// the asker's stream once an ended process's output is all out.
    fn flush(&mut self, asker: End) {
        let Some(exec) = self.kube.execs.get_mut(&asker) else {
            return;
        };
        let to_asker = std::mem::take(&mut exec.to_asker);
        let to_node = std::mem::take(&mut exec.to_node);
        let node = match exec.runs {
            Runs::Relayed(node) => Some(node),
            _ => None,
        };
        let mut kept_asker = Vec::new();
        for held in to_asker {
            if !kept_asker.is_empty() {
                kept_asker.push(held);
                continue;
            }
            if let Some(rest) = self.pass(asker, held) {
                kept_asker.push(rest);
            }
        }
        let mut kept_node = Vec::new();
        for held in to_node {
            match node {
                Some(node) if kept_node.is_empty() => {
                    if let Some(rest) = self.pass(node, held) {
                        kept_node.push(rest);
                    }
                }
                Some(_) => kept_node.push(held),
                None => {}
            }
        }
        let Some(exec) = self.kube.execs.get_mut(&asker) else {
            return;
        };
        exec.to_asker = kept_asker;
        exec.to_node = kept_node;
        if exec.to_asker.is_empty() {
            if let Some((exit_code, error)) = exec.ended.take() {
                self.kube.execs.remove(&asker);
                self.send_to(asker.0, |link| link.end_stream(asker.1, exit_code, error));
            }
        }
    }

    /// Writes `held` to stream `to`; what did not fit comes back. The source gets credit for
    /// what went (an empty chunk ends stdin there).
    fn pass(&mut self, to: End, held: Held) -> Option<Held> {
        let at = self.by_socket(to.0)?;
        let link = self.agents[at].link.as_mut()?;
        if held.data.is_empty() {
            let frames = link.finish_stream(to.1, held.channel).unwrap_or_default();
            self.send(at, frames);
            return None;
        }
        let Ok((taken, frames)) = link.send(to.1, held.channel, &held.data) else {
            return None;
        };
        self.send(at, frames);
        if taken > 0 && held.from != to {
            self.credit(held.from, taken);
        }
        (taken < held.data.len()).then(|| Held {
            data: held.data[taken..].to_vec(),
            ..held
        })
    }

    /// The reader of stream `end` took `bytes`: credit for its sender.
    fn credit(&mut self, end: End, bytes: usize) {
        self.send_to(end.0, |link| link.consumed(end.1, bytes));
    }

    fn close_end(&mut self, end: End, error: Option<String>) {
        self.send_to(end.0, |link| {
            link.close_stream(end.1, error).into_iter().collect()
        });
    }

    /// Runs `f` on the link of `socket` and sends what it returns there.
    fn send_to(
        &mut self,
        socket: SocketId,
        f: impl FnOnce(
            &mut kubeplay_shared::node_link::NodeLink,
        ) -> Vec<kubeplay_shared::node_protocol::ToAgent>,
    ) {
        let Some(at) = self.by_socket(socket) else {
            return;
        };
        let Some(link) = self.agents[at].link.as_mut() else {
            return;
        };
        let out = f(link);
        self.send(at, out);
    }

    /// The process of `asker` ended as `close` says, once its output is out.
    fn process_ended(&mut self, asker: End, close: CloseStream) {
        if let Some(exec) = self.kube.execs.get_mut(&asker) {
            exec.ended = Some((close.exit_code, close.error));
            exec.runs = Runs::Starting;
        }
        self.flush(asker);
    }

    /// Opens and feeds the execs queued by the link events, with the control plane: the API
    /// server's checks, the simulated shell at cluster time `now`.
    pub fn serve_execs(&mut self, cluster: &impl Cluster, now: Timestamp) {
        for work in std::mem::take(&mut self.kube.work) {
            match work {
                Work::Open(end, request) => self.open_exec(cluster, end, &request, now),
                Work::Input(end, input) => {
                    let Some(Runs::Simulated(id)) = self.kube.execs.get(&end).map(|e| &e.runs)
                    else {
                        continue;
                    };
                    let id = *id;
                    let events = self.kube.simulated.input(cluster, id, input, now);
                    self.simulated_events(end, events);
                }
            }
        }
    }

    fn open_exec(
        &mut self,
        cluster: &impl Cluster,
        end: End,
        request: &ExecRequest,
        now: Timestamp,
    ) {
        if !self.kube.execs.contains_key(&end) {
            return;
        }
        let target = resolve(cluster, request).and_then(|t| match self.node_of(cluster, &t.node) {
            NodeKind::Simulated => Ok((t, None)),
            NodeKind::Agent(Some(socket)) => Ok((t, Some(socket))),
            NodeKind::Agent(None) | NodeKind::Gone => Err(Refusal {
                code: 500,
                reason: "InternalError".into(),
                message: format!("error dialing backend: the agent of node \"{}\" is not connected to this control plane", t.node),
            }),
        });
        let (target, node_socket) = match target {
            Ok(found) => found,
            Err(refusal) => return self.refuse_exec(end, &refusal),
        };
        let started = |link: &mut kubeplay_shared::node_link::NodeLink| {
            link.exec_started(end.1).ok().into_iter().collect()
        };
        match node_socket {
            None => {
                let id = self.kube.next_simulated;
                self.kube.next_simulated += 1;
                if let Some(exec) = self.kube.execs.get_mut(&end) {
                    exec.runs = Runs::Simulated(id);
                }
                self.send_to(end.0, started);
                let events =
                    self.kube
                        .simulated
                        .start(cluster, id, request, &target.container, now);
                self.simulated_events(end, events);
            }
            Some(socket) => {
                let Some(at) = self.by_socket(socket) else {
                    return;
                };
                let opened = self.agents[at]
                    .link
                    .as_mut()
                    .map(|l| l.open_stream(request.stream(&target.container)));
                match opened {
                    Some(Ok((stream, msg))) => {
                        self.send(at, vec![msg]);
                        if let Some(exec) = self.kube.execs.get_mut(&end) {
                            exec.runs = Runs::Relayed((socket, stream));
                        }
                        self.send_to(end.0, started);
                        // Stdin kubectl sent before the process started.
                        self.flush(end);
                    }
                    Some(Err(e)) => self.refuse_exec(
                        end,
                        &Refusal {
                            code: 500,
                            reason: "InternalError".into(),
                            message: format!("error dialing backend: {e}"),
                        },
                    ),
                    None => {}
                }
            }
        }
    }

    fn refuse_exec(&mut self, end: End, refusal: &Refusal) {
        self.kube.execs.remove(&end);
        self.send_to(end.0, |link| {
            link.exec_refused(end.1, refusal.code, &refusal.reason, &refusal.message)
                .into_iter()
                .collect()
        });
    }

    /// Output and the end of a simulated process, for the asking agent.
    fn simulated_events(&mut self, end: End, events: Vec<ExecEvent>) {
        for event in events {
            match event {
                ExecEvent::Output(channel, data) => self.hold(
                    end,
                    Direction::ToAsker,
                    Held {
                        channel,
                        data,
                        from: end,
                    },
                ),
                ExecEvent::Exited(code) => self.process_ended(
                    end,
                    CloseStream {
                        stream: end.1,
                        exit_code: Some(code),
                        error: None,
                    },
                ),
                ExecEvent::Failed(error) => self.process_ended(
                    end,
                    CloseStream {
                        stream: end.1,
                        exit_code: None,
                        error: Some(error),
                    },
                ),
            }
        }
        self.flush(end);
    }

    /// Whether `node` is simulated, or whose agent runs it.
    fn node_of(&self, cluster: &impl Cluster, node: &str) -> NodeKind {
        let obj = resources::by_plural("", "v1", "nodes")
            .and_then(|r| cluster.api().get(r, "", node).ok());
        match obj {
            None => NodeKind::Gone,
            Some(n) if !is_agent(n) => NodeKind::Simulated,
            Some(_) => NodeKind::Agent(
                self.connected(node)
                    .ok()
                    .and_then(|at| self.agents[at].socket),
            ),
        }
    }
}

enum NodeKind {
    Simulated,
    /// The socket of its agent's link, if connected.
    Agent(Option<SocketId>),
    Gone,
}

#[derive(Clone, Copy)]
enum Direction {
    ToAsker,
    ToNode,
}
