//! The container engine as the pod lifecycle sees it: a handful of verbs on containers,
//! images and volumes. Docker implements it for real; tests drive the lifecycle with a fake.

use jiff::Timestamp;
use std::collections::BTreeMap;
use std::future::Future;
use std::time::Duration;

/// An engine call that failed, with the engine's own message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct EngineError(pub String);

/// Everything needed to create one container.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ContainerSpec {
    pub name: String,
    pub image: String,
    /// Replaces the image's ENTRYPOINT (Kubernetes `command`).
    pub entrypoint: Option<Vec<String>>,
    /// Replaces the image's CMD (Kubernetes `args`).
    pub cmd: Option<Vec<String>>,
    /// `NAME=value` entries.
    pub env: Vec<String>,
    pub working_dir: Option<String>,
    pub hostname: Option<String>,
    pub labels: BTreeMap<String, String>,
    /// `container:<id>` to join another container's network namespace.
    pub network_mode: Option<String>,
    /// `shareable` for the infra container, `container:<id>` for those joining it.
    pub ipc_mode: Option<String>,
    /// Docker `Binds` entries: `source:target[:ro]`, source a host path or a volume name.
    pub binds: Vec<String>,
    /// Ports the container declares (`80/tcp`), for `docker ps` and inspection.
    pub exposed_ports: Vec<String>,
    /// `hostPort`s: container port (`80/tcp`) → port on the machine (set on the infra container).
    pub port_bindings: Vec<(String, u16)>,
    pub memory_limit: Option<i64>,
    pub nano_cpus: Option<i64>,
    pub cpu_shares: Option<i64>,
    pub tty: bool,
    pub stdin_open: bool,
    /// resolv.conf's nameservers, search domains and options (set on the infra container).
    pub dns: Vec<String>,
    pub dns_search: Vec<String>,
    pub dns_options: Vec<String>,
}

/// What the engine knows about one container.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ContainerInfo {
    pub id: String,
    pub name: String,
    pub labels: BTreeMap<String, String>,
    pub running: bool,
    pub exit_code: i64,
    pub oom_killed: bool,
    /// Docker's error when the container could not start.
    pub error: String,
    pub started_at: Option<Timestamp>,
    pub finished_at: Option<Timestamp>,
    /// The address on the engine's network (set for infra containers).
    pub ip: Option<String>,
    pub image_id: String,
}

/// The verbs the pod lifecycle needs. `Send` futures so pod workers can run on any thread.
pub trait Engine: Send + Sync + 'static {
    /// The image's id when it is present on this machine.
    fn image_id(
        &self,
        image: &str,
    ) -> impl Future<Output = Result<Option<String>, EngineError>> + Send;
    fn pull_image(&self, image: &str) -> impl Future<Output = Result<(), EngineError>> + Send;
    /// Makes sure the infra (pause) image exists locally and returns its reference.
    fn infra_image(&self) -> impl Future<Output = Result<String, EngineError>> + Send;
    fn create(
        &self,
        spec: &ContainerSpec,
    ) -> impl Future<Output = Result<String, EngineError>> + Send;
    fn start(&self, id: &str) -> impl Future<Output = Result<(), EngineError>> + Send;
    /// SIGTERM (or the image's stop signal), then SIGKILL after `grace`.
    fn stop(
        &self,
        id: &str,
        grace: Duration,
    ) -> impl Future<Output = Result<(), EngineError>> + Send;
    /// Removes a container, killing it if needed; a missing container is not an error.
    fn remove(&self, id: &str) -> impl Future<Output = Result<(), EngineError>> + Send;
    /// `None` when no such container exists.
    fn inspect(
        &self,
        id: &str,
    ) -> impl Future<Output = Result<Option<ContainerInfo>, EngineError>> + Send;
    /// Every container labelled as managed by kubeplay, running or not.
    fn list_managed(&self) -> impl Future<Output = Result<Vec<ContainerInfo>, EngineError>> + Send;
    /// Creates a named volume unless it exists; `tmpfs` volumes live in memory.
    fn ensure_volume(
        &self,
        name: &str,
        labels: &BTreeMap<String, String>,
        tmpfs: bool,
    ) -> impl Future<Output = Result<(), EngineError>> + Send;
    fn remove_volume(&self, name: &str) -> impl Future<Output = Result<(), EngineError>> + Send;
    /// Runs a command in a container to completion (or `timeout`): its exit code and output.
    fn exec_probe(
        &self,
        id: &str,
        command: &[String],
        timeout: Duration,
    ) -> impl Future<Output = Result<(i64, String), EngineError>> + Send;
}
