//! The node's pod runtime: runs the pods the control plane assigns to this node as Docker
//! containers (one infra container per pod holding its network, app containers joined to it).
//!
//! The session loop drives it level-triggered: `sync` with every pod that should run, read
//! `Report`s (statuses and events) from the receiver `PodRuntime::connect` returns, and ask for
//! logs, exec sessions and usage on behalf of kubectl and the metrics API.
//!
//! ```no_run
//! # async fn session(desired: Vec<kubeplay_shared::node_protocol::DesiredPod>) -> Result<(), Box<dyn std::error::Error>> {
//! use kubeplay_agent::runtime::{PodRuntime, Report, RuntimeConfig};
//! let config = RuntimeConfig { node_name: "pi-1".into(), host_ip: "192.168.1.20".into(), state_dir: "/var/lib/kubeplay".into(), network: Default::default() };
//! let (runtime, mut reports) = PodRuntime::connect(config).await?;
//! runtime.adopt().await?; // pods a previous agent left running
//! runtime.sync(desired).await?; // again whenever the control plane's list changes
//! while let Some(report) = reports.recv().await {
//!     match report {
//!         Report::Status { pod, status } => { /* PATCH pods/{name}/status */ }
//!         Report::Event(event) => { /* create an Event */ }
//!         Report::Removed { pod } => { /* the pod can go from the API */ }
//!     }
//! }
//! # Ok(()) }
//! ```

mod api;
mod container_config;
mod container_lifecycle;
mod container_state;
pub mod docker;
pub mod engine;
pub mod exec;
#[cfg(test)]
mod fake_engine;
pub mod kubelet;
pub mod labels;
mod logs;
mod pause_image;
pub mod pod_dns;
pub mod pod_worker;
mod probes;
mod stats;
pub mod tarball;
mod volumes;

pub use api::{
    ContainerUsage, EventType, ExecOutput, ExecSession, LogOptions, LogStream, PodEvent, PodRef,
    PodUsage, Report, RuntimeConfig, SandboxNetwork,
};

use docker::DockerEngine;
use kubelet::Kubelet;
use kubeplay_shared::node_protocol::DesiredPod;
use std::sync::Arc;
use tokio::sync::mpsc;

/// Why the runtime could not do what it was asked.
#[derive(Debug, thiserror::Error)]
pub enum RuntimeError {
    #[error("cannot reach the Docker engine: {0}")]
    Docker(String),
    /// `--pod-network` names no network pods can join.
    #[error("{0}")]
    PodNetwork(String),
    #[error("pod {0} is not running on this node")]
    PodNotFound(String),
    #[error("container {container} is not valid for pod {pod}")]
    ContainerNotFound { pod: String, container: String },
    #[error("previous terminated container \"{container}\" in pod \"{pod}\" not found")]
    NoPreviousContainer { pod: String, container: String },
    #[error("container {0} is not running")]
    ContainerNotRunning(String),
    #[error("container \"{container}\" in pod \"{pod}\" is waiting to start: {reason}")]
    WaitingToStart {
        pod: String,
        container: String,
        reason: String,
    },
    #[error("pod {0} has no IP address yet")]
    NoPodIp(String),
    #[error("invalid pod: {0}")]
    InvalidPod(String),
}

/// Reports flow out of the runtime through this receiver, in order.
pub type Reports = mpsc::UnboundedReceiver<Report>;

/// The pod runtime of one node, on the local Docker engine.
pub struct PodRuntime {
    config: RuntimeConfig,
    kubelet: Kubelet<DockerEngine>,
}

impl PodRuntime {
    /// Connects to the local Docker engine (negotiating its API version) and makes sure the
    /// infra image exists. Call `adopt` next, before the first `sync`.
    pub async fn connect(config: RuntimeConfig) -> Result<(PodRuntime, Reports), RuntimeError> {
        let engine = DockerEngine::connect(&config.node_name)
            .await
            .map_err(|e| RuntimeError::Docker(e.0))?;
        engine::Engine::infra_image(&engine)
            .await
            .map_err(|e| RuntimeError::Docker(e.0))?;
        if let Some(network) = &config.network.docker_network {
            engine
                .check_network(network)
                .await
                .map_err(|e| RuntimeError::PodNetwork(e.0))?;
        }
        let (tx, rx) = mpsc::unbounded_channel();
        let kubelet = Kubelet::new(Arc::new(engine), config.clone(), tx);
        Ok((PodRuntime { config, kubelet }, rx))
    }

    pub fn config(&self) -> &RuntimeConfig {
        &self.config
    }

    /// The Docker engine this runtime drives.
    pub fn docker(&self) -> &DockerEngine {
        self.kubelet.engine()
    }

    /// Finds the pods a previous agent left running (by their labels). The next `sync` takes
    /// over those still desired without restarting them (restart counts read back from labels)
    /// and removes the rest. Returns the pods found.
    pub async fn adopt(&self) -> Result<Vec<PodRef>, RuntimeError> {
        self.kubelet.adopt().await
    }

    /// Makes the node run exactly `desired`: starts what is missing, stops (with each pod's
    /// grace period) what is no longer wanted or is being deleted, and leaves the rest alone.
    /// Runs `adopt` first if it has not run yet.
    pub async fn sync(&self, desired: Vec<DesiredPod>) -> Result<(), RuntimeError> {
        self.kubelet.sync(desired).await
    }

    /// The latest status of every pod this node runs (for a control plane that reconnects).
    pub fn statuses(&self) -> Vec<(PodRef, serde_json::Value)> {
        self.kubelet
            .views()
            .into_iter()
            .filter(|v| !v.status.is_null())
            .map(|v| (v.pod, v.status))
            .collect()
    }

    fn instance(&self, uid: &str, container: &str, previous: bool) -> Result<String, RuntimeError> {
        let view = self
            .kubelet
            .view(uid)
            .ok_or_else(|| RuntimeError::PodNotFound(uid.to_string()))?;
        let pod = view.pod.name.clone();
        let instances =
            view.containers
                .get(container)
                .ok_or_else(|| RuntimeError::ContainerNotFound {
                    pod: pod.clone(),
                    container: container.to_string(),
                })?;
        let id = if previous {
            instances.previous.clone()
        } else {
            instances.current.clone()
        };
        id.ok_or_else(|| {
            if previous {
                return RuntimeError::NoPreviousContainer {
                    pod,
                    container: container.to_string(),
                };
            }
            let statuses = ["containerStatuses", "initContainerStatuses"]
                .iter()
                .filter_map(|k| view.status.get(k).and_then(serde_json::Value::as_array))
                .flatten();
            let reason = statuses
                .filter(|c| c["name"] == container)
                .find_map(|c| {
                    c.pointer("/state/waiting/reason")
                        .and_then(serde_json::Value::as_str)
                })
                .unwrap_or("ContainerCreating")
                .to_string();
            RuntimeError::WaitingToStart {
                pod,
                container: container.to_string(),
                reason,
            }
        })
    }

    /// A container's log, as `kubectl logs` shows it.
    pub async fn logs(
        &self,
        uid: &str,
        container: &str,
        options: LogOptions,
    ) -> Result<LogStream, RuntimeError> {
        let id = self.instance(uid, container, options.previous)?;
        Ok(logs::stream(self.docker().client(), &id, &options))
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
        let id = self.instance(uid, container, false)?;
        let running = self
            .kubelet
            .view(uid)
            .and_then(|v| v.containers.get(container).map(|i| i.running));
        if running != Some(true) {
            return Err(RuntimeError::ContainerNotRunning(container.to_string()));
        }
        exec::start(self.docker().client(), &id, command, tty, stdin).await
    }

    /// Attaches to a running container's main process, as `kubectl attach` does. Asking for
    /// stdin of a container started without `stdin: true` is not an error: Docker does not
    /// read it, as the kubelet does not.
    pub async fn attach(
        &self,
        uid: &str,
        container: &str,
        stdin: bool,
        stdout: bool,
        stderr: bool,
    ) -> Result<ExecSession, RuntimeError> {
        let id = self.instance(uid, container, false)?;
        let running = self
            .kubelet
            .view(uid)
            .and_then(|v| v.containers.get(container).map(|i| i.running));
        if running != Some(true) {
            return Err(RuntimeError::ContainerNotRunning(container.to_string()));
        }
        exec::attach(self.docker().client(), &id, stdin, stdout, stderr).await
    }

    /// The pod's IP on the engine's network: where port-forward and the Service proxy connect
    /// (the host reaches it on Linux, where Docker's bridge is a host interface).
    pub fn pod_ip(&self, uid: &str) -> Result<String, RuntimeError> {
        let view = self
            .kubelet
            .view(uid)
            .ok_or_else(|| RuntimeError::PodNotFound(uid.to_string()))?;
        view.status
            .get("podIP")
            .and_then(serde_json::Value::as_str)
            .filter(|ip| !ip.is_empty())
            .map(str::to_string)
            .ok_or_else(|| RuntimeError::NoPodIp(view.pod.name.clone()))
    }

    /// The uid of the pod `namespace/name` if this node runs it (port-forward through the API
    /// gateway names pods, not uids).
    pub fn pod_uid(&self, namespace: &str, name: &str) -> Option<String> {
        self.kubelet
            .views()
            .into_iter()
            .find(|v| v.pod.namespace == namespace && v.pod.name == name)
            .map(|v| v.pod.uid)
    }

    /// Whether `ip` is the IP of one of this node's pods (what the relay may connect to).
    pub fn has_pod_ip(&self, ip: &std::net::IpAddr) -> bool {
        let ip = ip.to_string();
        self.kubelet
            .views()
            .iter()
            .any(|v| v.status.get("podIP").and_then(serde_json::Value::as_str) == Some(ip.as_str()))
    }

    /// The id of the pod's infra container (its sandbox), as the kubelet names pods in errors.
    pub async fn sandbox_id(&self, uid: &str) -> Option<String> {
        use engine::Engine as _;
        let all = self.docker().list_managed().await.ok()?;
        all.into_iter()
            .filter(|c| c.running)
            .find(|c| {
                labels::owner(&c.labels)
                    .is_some_and(|o| o.pod.uid == uid && o.container == labels::INFRA)
            })
            .map(|c| c.id)
    }

    /// CPU and memory use of every running container, from two samples of Docker's stats.
    pub async fn stats(&self) -> Result<Vec<PodUsage>, RuntimeError> {
        let docker = self.docker().client();
        let mut out = Vec::new();
        for view in self.kubelet.views() {
            let running: Vec<(String, String)> = view
                .containers
                .iter()
                .filter(|(_, i)| i.running)
                .filter_map(|(name, i)| Some((name.clone(), i.current.clone()?)))
                .collect();
            let samples = futures_util::future::join_all(
                running.iter().map(|(_, id)| stats::sample(docker, id)),
            )
            .await;
            let containers = running
                .iter()
                .zip(samples)
                .filter_map(|((name, _), s)| Some(stats::usage(name, &s?)))
                .collect();
            out.push(PodUsage {
                pod: view.pod,
                containers,
            });
        }
        Ok(out)
    }

    /// Removes everything this node (this runtime or an earlier one) created: containers, volumes
    /// (including `kubeplay-pv-*` claims), the pods' state directories and the infra image.
    pub async fn reset(&self) -> Result<(), RuntimeError> {
        use engine::Engine as _;
        let docker_err = |e: engine::EngineError| RuntimeError::Docker(e.0);
        self.kubelet.detach().await;
        let engine = self.docker();
        for c in engine.list_managed().await.map_err(docker_err)? {
            engine.remove(&c.id).await.map_err(docker_err)?;
        }
        for v in engine.list_managed_volumes().await.map_err(docker_err)? {
            engine.remove_volume(&v).await.map_err(docker_err)?;
        }
        let pods = self.config.state_dir.join("pods");
        if pods.exists() {
            std::fs::remove_dir_all(&pods)
                .map_err(|e| RuntimeError::Docker(format!("{}: {e}", pods.display())))?;
        }
        // The infra image goes too, unless another node on this engine still runs pods.
        if !engine
            .image_in_use(pause_image::INFRA_IMAGE)
            .await
            .map_err(docker_err)?
        {
            engine
                .remove_image(pause_image::INFRA_IMAGE)
                .await
                .map_err(docker_err)?;
        }
        Ok(())
    }

    /// Stops driving the pods without touching them, as an agent that exits does; a new
    /// runtime adopts them.
    pub async fn detach(self) {
        self.kubelet.detach().await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn send_sync<T: Send + Sync>(_: &T) {}
    fn send<T: Send>(_: T) {}

    /// The session loop shares the runtime between tasks and spawns its calls.
    #[allow(dead_code, unused_must_use)]
    fn the_runtime_can_be_shared_and_its_calls_spawned(rt: &'static PodRuntime) {
        send_sync(rt);
        send(rt.sync(Vec::new()));
        send(rt.adopt());
        send(rt.logs("u", "c", LogOptions::default()));
        send(rt.exec("u", "c", Vec::new(), false, false));
        send(rt.stats());
        send(rt.reset());
    }
}
