//! `kubectl port-forward` typed in the page, for pods on agents' nodes: the agent of the pod's
//! node listens on its machine and forwards each connection itself; the page prints what
//! kubectl prints (`Forwarding from 127.0.0.1:8080 -> 3000`, `Handling connection for 8080`)
//! and keeps the call running until Ctrl+C, which stops the listeners.

use super::Agents;
use crate::protocol::{CallId, FromWorker, Reply};
use kubeplay_shared::kubectl::ForwardRequest;
use kubeplay_shared::node_link::ForwardEvent;
use kubeplay_shared::node_protocol::report::PodRef;

impl Agents {
    /// Asks the agent of the pod's node to listen for call `id`; the output follows from the link.
    pub fn port_forward(&mut self, id: CallId, request: &ForwardRequest) -> Result<(), String> {
        let at = self.connected(&request.node)?;
        let link = self.agents[at]
            .link
            .as_mut()
            .ok_or("error: the node's agent is not connected")?;
        let pod = PodRef {
            namespace: request.namespace.clone(),
            name: request.pod.clone(),
            uid: request.uid.clone(),
        };
        let (forward, msg) = link
            .port_forward(pod, request.addresses.clone(), request.ports.clone())
            .map_err(|e| format!("error: {e}"))?;
        self.agents[at].forwards.insert(forward, id);
        self.send(at, vec![msg]);
        Ok(())
    }

    pub(super) fn on_forward(&mut self, at: usize, event: ForwardEvent) {
        let agent = &mut self.agents[at];
        let node = agent.node.clone().unwrap_or_default();
        let line = |id: CallId, text: String, stderr: bool| FromWorker::Output { id, text, stderr };
        match event {
            ForwardEvent::Listening {
                id,
                bound,
                warnings,
            } => {
                let Some(&call) = agent.forwards.get(&id) else {
                    return;
                };
                for w in warnings {
                    self.messages.push(line(call, format!("{w}\n"), true));
                }
                let mut text: String = bound
                    .iter()
                    .map(|b| {
                        format!(
                            "Forwarding from {}:{} -> {}\n",
                            b.address, b.local, b.remote
                        )
                    })
                    .collect();
                text.push_str(&format!("(listening on the machine of node \"{node}\", where its kubeplay-agent runs; Ctrl+C stops it)\n"));
                self.messages.push(line(call, text, false));
            }
            ForwardEvent::Connection { id, local, error } => {
                let Some(&call) = agent.forwards.get(&id) else {
                    return;
                };
                self.messages.push(match error {
                    None => line(call, format!("Handling connection for {local}\n"), false),
                    Some(e) => line(call, format!("{e}\n"), true),
                });
            }
            ForwardEvent::Failed { id, message } => {
                let Some(call) = agent.forwards.remove(&id) else {
                    return;
                };
                self.messages.push(line(call, format!("{message}\n"), true));
                self.messages.push(FromWorker::Reply {
                    id: call,
                    reply: Reply::Done {
                        exit_code: 1,
                        prompt: None,
                    },
                });
            }
        }
    }

    /// Ctrl+C on a port-forward call: its listeners close; `None` if `id` is none.
    pub(super) fn cancel_forward(&mut self, id: CallId) -> Option<Vec<FromWorker>> {
        let at = self
            .agents
            .iter()
            .position(|a| a.forwards.values().any(|c| *c == id))?;
        let agent = &mut self.agents[at];
        let forward = agent
            .forwards
            .iter()
            .find(|(_, c)| **c == id)
            .map(|(f, _)| *f)?;
        agent.forwards.remove(&forward);
        let stop = agent
            .link
            .as_mut()
            .and_then(|l| l.stop_port_forward(forward));
        self.send(at, stop.into_iter().collect());
        Some(vec![FromWorker::Reply {
            id,
            reply: Reply::Done {
                exit_code: 130,
                prompt: None,
            },
        }])
    }
}
