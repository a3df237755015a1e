//! `kubectl exec` and `attach` as the embedded control plane runs them: the API server's checks
//! against the cluster's pod, and the processes of simulated containers
//! ([`kubeplay_shared::sim::exec`], which the page runs too), delivered from the control
//! plane's thread because they read the cluster's objects.
//!
//! Pods on this machine's node go to the agent's Docker through the node link instead
//! ([`super::local_node`]); both kinds end in the same [`ExecEvent`]s for the gateway.

use crate::exec::admission::{self, Target};
use crate::exec::{ExecEvent, ExecInput, ExecRefusal, ExecSpec};
use kubeplay_shared::api::resources;
use kubeplay_shared::node_protocol::StreamId;
use kubeplay_shared::sim::exec::{self, SimInput};
use kubeplay_shared::{ControlPlane, Timestamp};
use std::collections::HashMap;
use tokio::sync::mpsc;

/// Which process an input is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ExecId {
    /// A stream of the local node's link.
    Local(StreamId),
    Simulated(u64),
}

/// The API server's checks of `spec` against the pod in this cluster ([`admission`]).
pub fn resolve(cp: &ControlPlane, spec: &ExecSpec) -> Result<Target, ExecRefusal> {
    let pod = resources::by_plural("", "v1", "pods")
        .and_then(|r| cp.api().get(r, &spec.namespace, &spec.pod).ok())
        .ok_or_else(|| ExecRefusal::pod_not_found(&spec.pod))?;
    admission::admit(pod, spec)
}

/// The simulated processes clients are attached to, with where each one's events go.
#[derive(Default)]
pub struct SimulatedExecs {
    next: u64,
    processes: exec::SimulatedExecs,
    events: HashMap<u64, mpsc::UnboundedSender<ExecEvent>>,
}

impl SimulatedExecs {
    /// Starts `spec` in a simulated container; the events go to `events`.
    pub fn start(
        &mut self,
        cp: &ControlPlane,
        spec: &ExecSpec,
        container: &str,
        events: mpsc::UnboundedSender<ExecEvent>,
    ) -> ExecId {
        let id = self.next;
        self.next += 1;
        let now = cp.clock().cluster_time(Timestamp::now());
        let out = self.processes.start(cp, id, spec, container, now);
        for event in out {
            let _ = events.send(event);
        }
        if self.processes.is_running(id) {
            self.events.insert(id, events);
        }
        ExecId::Simulated(id)
    }

    /// Feeds the client's input to the shell `id`.
    pub fn input(&mut self, cp: &ControlPlane, id: u64, input: ExecInput) {
        let input = match input {
            ExecInput::Stdin(bytes) => SimInput::Stdin(bytes),
            ExecInput::StdinEnd => SimInput::StdinEnd,
            ExecInput::Close => SimInput::Close,
            ExecInput::Resize { .. } | ExecInput::Consumed(_) => return,
        };
        let now = cp.clock().cluster_time(Timestamp::now());
        let out = self.processes.input(cp, id, input, now);
        if let Some(events) = self.events.get(&id) {
            for event in out {
                let _ = events.send(event);
            }
        }
        if !self.processes.is_running(id) {
            self.events.remove(&id);
        }
    }
}
