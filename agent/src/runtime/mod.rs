//! The node's pod runtime: runs the pods the control plane assigns to this node as Docker
//! containers (one infra container per pod holding its network, app containers joined to it).
//!
//! The session loop drives it level-triggered: `sync` with every pod that should run, read
//! `Report`s (statuses and events) from the receiver `PodRuntime::connect` returns, and ask for
//! logs, exec sessions and usage on behalf of kubectl and the metrics API.

mod api;
pub mod exec;

pub use api::{
    ContainerUsage, EventType, ExecOutput, ExecSession, LogOptions, LogStream, PodEvent, PodRef,
    PodUsage, Report, RuntimeConfig,
};

use kubeplay_shared::node_protocol::DesiredPod;
use tokio::sync::mpsc;

/// Why the runtime could not do what it was asked.
#[derive(Debug, thiserror::Error)]
pub enum RuntimeError {
    #[error("cannot reach the Docker engine: {0}")]
    Docker(String),
    #[error("pod {0} is not running on this node")]
    PodNotFound(String),
    #[error("container {container} is not valid for pod {pod}")]
    ContainerNotFound { pod: String, container: String },
    #[error("previous terminated container \"{container}\" in pod \"{pod}\" not found")]
    NoPreviousContainer { pod: String, container: String },
    #[error("container {0} is not running")]
    ContainerNotRunning(String),
    #[error("invalid pod: {0}")]
    InvalidPod(String),
    #[error("the pod runtime is not built yet: {0}")]
    NotYet(&'static str),
}

/// Reports flow out of the runtime through this receiver, in order.
pub type Reports = mpsc::UnboundedReceiver<Report>;

/// The pod runtime of one node, on the local Docker engine.
pub struct PodRuntime {
    config: RuntimeConfig,
    reports: mpsc::UnboundedSender<Report>,
}

impl PodRuntime {
    /// Connects to the local Docker engine (negotiating its API version) and prepares the infra
    /// image. Call `adopt` next, before the first `sync`.
    pub async fn connect(config: RuntimeConfig) -> Result<(PodRuntime, Reports), RuntimeError> {
        let (tx, rx) = mpsc::unbounded_channel();
        Ok((PodRuntime { config, reports: tx }, rx))
    }

    pub fn config(&self) -> &RuntimeConfig {
        &self.config
    }

    /// Takes over the pods a previous agent left running (found by their labels), without
    /// restarting them; their statuses are reported. Returns the adopted pods.
    pub async fn adopt(&self) -> Result<Vec<PodRef>, RuntimeError> {
        Err(RuntimeError::NotYet("adopt"))
    }

    /// Makes the node run exactly `desired`: starts what is missing, stops (with each pod's
    /// grace period) what is no longer wanted, and leaves the rest alone.
    pub async fn sync(&self, desired: Vec<DesiredPod>) -> Result<(), RuntimeError> {
        let _ = (desired, &self.reports);
        Err(RuntimeError::NotYet("sync"))
    }

    /// The latest status of every pod this node runs (for a control plane that reconnects).
    pub fn statuses(&self) -> Vec<(PodRef, serde_json::Value)> {
        Vec::new()
    }

    /// A container's log, as `kubectl logs` shows it.
    pub async fn logs(
        &self,
        uid: &str,
        container: &str,
        options: LogOptions,
    ) -> Result<LogStream, RuntimeError> {
        let _ = (uid, container, options);
        Err(RuntimeError::NotYet("logs"))
    }

    /// Runs `command` in a running container, as `kubectl exec` does.
    pub async fn exec(
        &self,
        uid: &str,
        container: &str,
        command: Vec<String>,
        tty: bool,
        stdin: bool,
    ) -> Result<ExecSession, RuntimeError> {
        let _ = (uid, container, command, tty, stdin);
        Err(RuntimeError::NotYet("exec"))
    }

    /// CPU and memory use of every running container, from two samples of Docker's stats.
    pub async fn stats(&self) -> Result<Vec<PodUsage>, RuntimeError> {
        Err(RuntimeError::NotYet("stats"))
    }

    /// Removes everything this runtime (or any earlier one) created: containers, volumes
    /// (including `kubeplay-pv-*` claims) and the infra image.
    pub async fn reset(&self) -> Result<(), RuntimeError> {
        Err(RuntimeError::NotYet("reset"))
    }
}
