//! The values the pod runtime hands to its caller (the session loop): status and event reports,
//! log and exec streams, resource usage. They carry Kubernetes' shapes and wording.

use futures_util::stream::BoxStream;
use serde_json::Value;
use std::path::PathBuf;
use std::pin::Pin;
use tokio::io::AsyncWrite;

/// Where and as whom the runtime runs pods.
#[derive(Debug, Clone)]
pub struct RuntimeConfig {
    /// The node's name, used in event sources and container labels.
    pub node_name: String,
    /// The node's address, reported as `status.hostIP`.
    pub host_ip: String,
    /// Where emptyDir and projected (ConfigMap/Secret) volumes live on this machine.
    pub state_dir: PathBuf,
    /// How pods' sandboxes join the network.
    pub network: SandboxNetwork,
}

/// Where a pod's infra container is attached and which DNS server its resolv.conf names.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SandboxNetwork {
    /// The Docker network pods join (`--pod-network`); `None` is the engine's default bridge.
    /// A network of its own per agent keeps one machine's pods apart from another's when
    /// several agents share an engine, as pods on different machines are.
    pub docker_network: Option<String>,
    /// The cluster DNS server pods get (the kubelet's `--cluster-dns`), when the agent runs one.
    pub cluster_dns: Option<String>,
}

/// Which pod a report or a request is about.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PodRef {
    pub uid: String,
    pub namespace: String,
    pub name: String,
}

/// Something the runtime tells the control plane, in the order it happened.
#[derive(Debug, Clone, PartialEq)]
pub enum Report {
    /// The pod's current `status` (a Kubernetes `PodStatus` object).
    Status { pod: PodRef, status: Value },
    /// A kubelet-style event about the pod or one of its containers.
    Event(PodEvent),
    /// Everything of the pod is gone from this node (after a sync that no longer wants it).
    Removed { pod: PodRef },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EventType {
    Normal,
    Warning,
}

impl EventType {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Normal => "Normal",
            Self::Warning => "Warning",
        }
    }
}

/// One event as the kubelet records it (`reason` and `message` are the kubelet's words).
#[derive(Debug, Clone, PartialEq)]
pub struct PodEvent {
    pub pod: PodRef,
    /// `spec.containers{name}` when the event is about one container, as the kubelet sets it.
    pub field_path: Option<String>,
    pub event_type: EventType,
    pub reason: String,
    pub message: String,
    pub timestamp: jiff::Timestamp,
}

/// What `kubectl logs` asks for.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LogOptions {
    pub follow: bool,
    /// Only the last this many lines.
    pub tail: Option<u64>,
    /// The previous (terminated) instance of the container.
    pub previous: bool,
    pub timestamps: bool,
    /// Only lines since this Unix time (seconds).
    pub since: Option<i64>,
}

/// Log bytes as the container wrote them (stdout and stderr interleaved, like the kubelet).
pub type LogStream = BoxStream<'static, Result<Vec<u8>, super::RuntimeError>>;

/// Output of an exec session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ExecOutput {
    Stdout(Vec<u8>),
    /// Only without a TTY; with one, everything arrives as stdout.
    Stderr(Vec<u8>),
}

/// A running `kubectl exec`: write to `stdin`, read `output` until it ends, then ask
/// `control.exit_code()`. The parts can move to different tasks.
pub struct ExecSession {
    pub stdin: Option<Pin<Box<dyn AsyncWrite + Send>>>,
    pub output: BoxStream<'static, Result<ExecOutput, super::RuntimeError>>,
    pub control: super::exec::ExecControl,
}

/// Resource usage of one container, as the metrics API reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContainerUsage {
    pub name: String,
    /// CPU use averaged between two samples, in billionths of a core.
    pub cpu_nanocores: u64,
    /// Memory working set (usage minus inactive file cache).
    pub memory_working_set_bytes: u64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PodUsage {
    pub pod: PodRef,
    pub containers: Vec<ContainerUsage>,
}
