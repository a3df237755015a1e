//! `kubectl exec` and `attach` as the embedded control plane runs them: the API server's checks
//! and the simulated containers' processes come from [`kubeplay_shared::sim::exec`] (the page
//! serves its agents' exec requests with the same code); this module delivers their events on
//! the control plane's thread, where they read the cluster's objects.
//!
//! Pods on this machine's node go to the agent's Docker through the node link instead
//! ([`super::local_node`]); both kinds end in the same [`ExecEvent`]s for the gateway.

use kubeplay_shared::node_protocol::{Channel, StreamId};
pub use kubeplay_shared::sim::exec::Target;
use kubeplay_shared::sim::exec::{self, ExecRequest, SimInput};
use kubeplay_shared::{ControlPlane, Timestamp};
use std::collections::HashMap;
use tokio::sync::mpsc;

/// What a `pods/{name}/exec` (or `attach`) request asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExecSpec {
    pub namespace: String,
    pub pod: String,
    /// `None`: the pod's default container.
    pub container: Option<String>,
    /// Empty for `attach`.
    pub command: Vec<String>,
    pub stdin: bool,
    pub tty: bool,
    /// `attach` to the container's main process rather than running a command.
    pub attach: bool,
}

/// What the process did, in order; the last one is `Exited` or `Failed`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ExecEvent {
    Output(Channel, Vec<u8>),
    Exited(i32),
    /// It could not run or was cut off; the text is what kubectl prints after `error: `.
    Failed(String),
}

/// What the client sends the process.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ExecInput {
    Stdin(Vec<u8>),
    /// The client closed its stdin.
    StdinEnd,
    Resize {
        cols: u16,
        rows: u16,
    },
    /// The client took this many bytes of output (flow control for real pods).
    Consumed(usize),
    /// The client went away.
    Close,
}

/// Which process an input is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ExecId {
    /// A stream of the local node's link.
    Local(StreamId),
    Simulated(u64),
}

/// An exec refused before it starts, as the API server answers it (a `Status`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExecRefusal {
    pub code: u16,
    pub reason: &'static str,
    pub message: String,
}

impl ExecRefusal {
    /// The API server's refusal as the shared checks word it.
    pub fn from_shared(refusal: exec::Refusal) -> Self {
        Self {
            code: refusal.code,
            reason: static_reason(&refusal.reason),
            message: refusal.message,
        }
    }
}

/// A `Status` reason as the gateway keeps it; the few the API server gives an exec.
pub fn static_reason(reason: &str) -> &'static str {
    const KNOWN: [&str; 8] = [
        "BadRequest",
        "NotFound",
        "Forbidden",
        "Unauthorized",
        "InternalError",
        "ServiceUnavailable",
        "Timeout",
        "NotImplemented",
    ];
    KNOWN
        .into_iter()
        .find(|k| *k == reason)
        .unwrap_or("InternalError")
}

impl ExecSpec {
    /// The request as the shared control plane reads it.
    pub fn to_shared(&self) -> ExecRequest {
        ExecRequest {
            namespace: self.namespace.clone(),
            pod: self.pod.clone(),
            container: self.container.clone(),
            command: self.command.clone(),
            stdin: self.stdin,
            tty: self.tty,
            attach: self.attach,
        }
    }
}

/// The API server's checks (shared with the page: [`exec::resolve`]).
pub fn resolve(cp: &ControlPlane, spec: &ExecSpec) -> Result<Target, ExecRefusal> {
    exec::resolve(cp, &spec.to_shared()).map_err(ExecRefusal::from_shared)
}

impl From<exec::ExecEvent> for ExecEvent {
    fn from(event: exec::ExecEvent) -> Self {
        match event {
            exec::ExecEvent::Output(channel, bytes) => Self::Output(channel, bytes),
            exec::ExecEvent::Exited(code) => Self::Exited(code),
            exec::ExecEvent::Failed(text) => Self::Failed(text),
        }
    }
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
        let out = self
            .processes
            .start(cp, id, &spec.to_shared(), container, now);
        for event in out {
            let _ = events.send(event.into());
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
                let _ = events.send(event.into());
            }
        }
        if !self.processes.is_running(id) {
            self.events.remove(&id);
        }
    }
}
