//! One pod's lifecycle on this node: sandbox (infra container and volumes), then init containers
//! in order, then the app containers, each stepped through pull, create, run, probe, exit and
//! back-off; and finally termination. `step` is one level-triggered pass at a given time.

use super::container_config;
use super::container_lifecycle::{advance, arm_probes, terminated_of, Ctx};
use super::container_state::{ContainerState, State};
use super::engine::{ContainerInfo, Engine};
use super::volumes::{self, Source};
use super::{labels, EventType, PodEvent, PodRef, Report, SandboxNetwork};
use futures_util::future::join_all;
use jiff::Timestamp;
use kubeplay_shared::node_protocol::DesiredPod;
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

/// The pod's infra container: it holds the network and IPC namespaces.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sandbox {
    pub id: String,
    pub ip: String,
}

/// How long a pod gets to stop: `deletionGracePeriodSeconds` when the pod is being deleted,
/// else `spec.terminationGracePeriodSeconds` (30 s by default).
pub fn grace_period(pod: &Value) -> Duration {
    let secs = pod
        .pointer("/metadata/deletionGracePeriodSeconds")
        .and_then(Value::as_i64)
        .or_else(|| {
            pod.pointer("/spec/terminationGracePeriodSeconds")
                .and_then(Value::as_i64)
        })
        .unwrap_or(30);
    Duration::from_secs(u64::try_from(secs).unwrap_or(0))
}

pub fn pod_ref_of(pod: &Value) -> PodRef {
    let s = |p: &str| {
        pod.pointer(p)
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string()
    };
    PodRef {
        uid: s("/metadata/uid"),
        namespace: s("/metadata/namespace"),
        name: s("/metadata/name"),
    }
}

pub struct PodWorker<E: Engine> {
    engine: Arc<E>,
    state_dir: PathBuf,
    host_ip: String,
    pub pod: PodRef,
    desired: DesiredPod,
    pub sandbox: Option<Sandbox>,
    sources: Option<BTreeMap<String, Source>>,
    pub init: Vec<ContainerState>,
    pub containers: Vec<ContainerState>,
    start_time: Timestamp,
    /// Reports not yet handed out.
    pub out: Vec<Report>,
    last_status: Value,
    /// Older instances found at adoption, removed at the first step.
    stale: Vec<String>,
    network: SandboxNetwork,
}

fn specs(pod: &Value, list: &str) -> Vec<ContainerState> {
    pod.pointer(&format!("/spec/{list}"))
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .map(ContainerState::new)
        .collect()
}

impl<E: Engine> PodWorker<E> {
    pub fn new(
        engine: Arc<E>,
        state_dir: PathBuf,
        host_ip: String,
        desired: DesiredPod,
        now: Timestamp,
    ) -> Self {
        Self {
            engine,
            state_dir,
            host_ip,
            pod: pod_ref_of(&desired.pod),
            init: specs(&desired.pod, "initContainers"),
            containers: specs(&desired.pod, "containers"),
            desired,
            sandbox: None,
            sources: None,
            start_time: now,
            out: Vec::new(),
            last_status: Value::Null,
            stale: Vec::new(),
            network: SandboxNetwork::default(),
        }
    }

    /// The pod's sandbox joins `network` and names its DNS server (`dnsPolicy: ClusterFirst`).
    pub fn with_network(mut self, network: SandboxNetwork) -> Self {
        self.network = network;
        self
    }

    /// A worker that takes over containers a previous agent started for this pod: the newest
    /// instance of each container is current (its restart count read from its labels), the one
    /// before is kept for `logs --previous`, nothing is restarted.
    pub fn adopt(
        engine: Arc<E>,
        state_dir: PathBuf,
        host_ip: String,
        desired: DesiredPod,
        found: Vec<ContainerInfo>,
        now: Timestamp,
    ) -> Self {
        let mut w = Self::new(engine, state_dir, host_ip, desired, now);
        let mut by_container: BTreeMap<String, Vec<(u32, ContainerInfo)>> = BTreeMap::new();
        for info in found {
            match labels::owner(&info.labels) {
                Some(o) => by_container
                    .entry(o.container)
                    .or_default()
                    .push((o.restart_count, info)),
                None => w.stale.push(info.id),
            }
        }
        if let Some(mut infra) = by_container.remove(labels::INFRA) {
            infra.sort_by_key(|(n, _)| *n);
            if let Some((_, sandbox)) = infra.pop().filter(|(_, i)| i.running) {
                w.start_time = sandbox.started_at.unwrap_or(now);
                w.sandbox = Some(Sandbox {
                    id: sandbox.id,
                    ip: sandbox.ip.unwrap_or_default(),
                });
            }
            w.stale.extend(infra.into_iter().map(|(_, i)| i.id));
        }
        let running_sandbox = w.sandbox.is_some();
        for c in w.init.iter_mut().chain(w.containers.iter_mut()) {
            let mut instances = by_container.remove(&c.name).unwrap_or_default();
            instances.sort_by_key(|(n, _)| *n);
            let Some((count, current)) = instances.pop() else {
                continue;
            };
            if !running_sandbox {
                w.stale.push(current.id);
                w.stale.extend(instances.into_iter().map(|(_, i)| i.id));
                continue;
            }
            c.restart_count = count;
            c.image_id = format!("docker://{}", current.image_id);
            if let Some((_, prev)) = instances.pop() {
                c.last_state = Some(terminated_of(&prev, now));
                c.previous = Some(prev.id);
            }
            w.stale.extend(instances.into_iter().map(|(_, i)| i.id));
            c.state = if current.running {
                let started_at = current.started_at.unwrap_or(now);
                arm_probes(c, started_at);
                State::Running { started_at }
            } else {
                State::Terminated(terminated_of(&current, now))
            };
            c.current = Some(current.id);
        }
        w.stale
            .extend(by_container.into_values().flatten().map(|(_, i)| i.id));
        w
    }

    pub fn desired(&self) -> &DesiredPod {
        &self.desired
    }

    /// A newer version of the same pod (labels, annotations, deletion marks); containers keep
    /// running.
    /// A container whose image changed (the one mutable part of a container) is restarted.
    pub fn update(&mut self, desired: DesiredPod) {
        let new = specs(&desired.pod, "containers");
        for c in self.containers.iter_mut() {
            if let Some(n) = new
                .iter()
                .find(|n| n.name == c.name && n.image() != c.image())
            {
                c.spec = n.spec.clone();
                c.definition_changed = true;
            }
        }
        self.desired = desired;
    }

    fn restart_policy(&self) -> String {
        self.desired
            .pod
            .pointer("/spec/restartPolicy")
            .and_then(Value::as_str)
            .unwrap_or("Always")
            .to_string()
    }

    fn pod_event(&mut self, kind: EventType, reason: &str, message: String, now: Timestamp) {
        self.out.push(Report::Event(PodEvent {
            pod: self.pod.clone(),
            field_path: None,
            event_type: kind,
            reason: reason.to_string(),
            message,
            timestamp: now,
        }));
    }

    /// One pass: make what runs match the pod, as far as one step can.
    pub async fn step(&mut self, now: Timestamp) {
        for id in std::mem::take(&mut self.stale) {
            let _ = self.engine.remove(&id).await;
        }
        if self.sources.is_none() {
            match volumes::prepare(
                &*self.engine,
                &self.state_dir,
                &self.pod,
                &self.desired.volumes,
            )
            .await
            {
                Ok(s) => self.sources = Some(s),
                Err(e) => {
                    self.pod_event(
                        EventType::Warning,
                        "FailedMount",
                        format!("MountVolume.SetUp failed: {e}"),
                        now,
                    );
                    return;
                }
            }
        }
        if let Some(sandbox) = &self.sandbox {
            let alive = match self.engine.inspect(&sandbox.id).await {
                Ok(info) => info.is_some_and(|i| i.running),
                Err(_) => true,
            };
            if !alive {
                self.sandbox_changed(now).await;
            }
        }
        if self.sandbox.is_none() {
            match self.create_sandbox().await {
                Ok(s) => self.sandbox = Some(s),
                Err(e) => {
                    self.pod_event(
                        EventType::Warning,
                        "FailedCreatePodSandBox",
                        format!("Failed to create pod sandbox: {e}"),
                        now,
                    );
                    return;
                }
            }
        }
        let (Some(sandbox), Some(sources)) = (&self.sandbox, &self.sources) else {
            return;
        };
        let restart_policy = self.restart_policy();
        let mut ctx = Ctx {
            engine: &*self.engine,
            pod: &self.pod,
            pod_ref: format!("{}_{}({})", self.pod.name, self.pod.namespace, self.pod.uid),
            sandbox,
            sources,
            env: &self.desired.env,
            restart_policy,
            grace: grace_period(&self.desired.pod),
            init: true,
            out: &mut self.out,
        };
        for c in self.init.iter_mut() {
            if c.completed() {
                continue;
            }
            advance(&mut ctx, c, now).await;
            if !c.completed() {
                return;
            }
        }
        ctx.init = false;
        for c in self.containers.iter_mut() {
            advance(&mut ctx, c, now).await;
        }
    }

    /// The infra container is gone: like the kubelet, kill the containers that joined it and
    /// start them again (restart counts go up) in a new sandbox.
    async fn sandbox_changed(&mut self, now: Timestamp) {
        self.pod_event(
            EventType::Normal,
            "SandboxChanged",
            "Pod sandbox changed, it will be killed and re-created.".into(),
            now,
        );
        if let Some(old) = self.sandbox.take() {
            let _ = self.engine.remove(&old.id).await;
        }
        for c in self.init.iter_mut().chain(self.containers.iter_mut()) {
            if let Some(id) = c.current.clone() {
                let _ = self.engine.stop(&id, Duration::ZERO).await;
                if let Ok(Some(info)) = self.engine.inspect(&id).await {
                    c.last_state = Some(terminated_of(&info, now));
                }
                c.restart_count += 1;
            }
            c.ready = false;
            c.probes.clear();
            c.state = State::Creating;
        }
    }

    async fn create_sandbox(&self) -> Result<Sandbox, String> {
        let image = self.engine.infra_image().await.map_err(|e| e.to_string())?;
        let name = labels::container_name(&self.pod, labels::INFRA, 0);
        let _ = self.engine.remove(&name).await;
        let hostname: String = self.pod.name.chars().take(63).collect();
        let dns = super::pod_dns::pod_dns(&self.desired.pod, self.network.cluster_dns.as_deref());
        let spec = super::engine::ContainerSpec {
            network_mode: self.network.docker_network.clone(),
            dns: dns.nameservers,
            dns_search: dns.searches,
            dns_options: dns.options,
            name,
            image,
            hostname: Some(hostname),
            labels: labels::container_labels(&self.pod, labels::INFRA, 0),
            ipc_mode: Some("shareable".into()),
            exposed_ports: container_config::host_ports(&self.desired.pod)
                .into_iter()
                .map(|(p, _)| p)
                .collect(),
            port_bindings: container_config::host_ports(&self.desired.pod),
            ..Default::default()
        };
        let id = self.engine.create(&spec).await.map_err(|e| e.to_string())?;
        self.engine.start(&id).await.map_err(|e| e.to_string())?;
        let info = self.engine.inspect(&id).await.map_err(|e| e.to_string())?;
        Ok(Sandbox {
            id,
            ip: info.and_then(|i| i.ip).unwrap_or_default(),
        })
    }

    /// Queues a status report when the status changed since the last one.
    pub fn report_status(&mut self, now: Timestamp) -> Option<Value> {
        let status = self.status(now);
        if status == self.last_status {
            return None;
        }
        self.last_status = status.clone();
        self.out.push(Report::Status {
            pod: self.pod.clone(),
            status: status.clone(),
        });
        Some(status)
    }

    /// Stops the pod: every running container gets SIGTERM and `grace` before SIGKILL, then the
    /// infra container goes; all containers and the pod's scratch volumes are removed.
    pub async fn terminate(&mut self, grace: Duration, now: Timestamp) {
        let pod = self.pod.clone();
        let mut running = Vec::new();
        for (init, c) in self
            .init
            .iter()
            .map(|c| (true, c))
            .chain(self.containers.iter().map(|c| (false, c)))
        {
            if let (true, Some(id)) = (c.is_running(), &c.current) {
                let list = if init { "initContainers" } else { "containers" };
                self.out.push(Report::Event(PodEvent {
                    pod: pod.clone(),
                    field_path: Some(format!("spec.{list}{{{}}}", c.name)),
                    event_type: EventType::Normal,
                    reason: "Killing".into(),
                    message: format!("Stopping container {}", c.name),
                    timestamp: now,
                }));
                running.push(id.clone());
            }
        }
        let engine = &*self.engine;
        join_all(running.iter().map(|id| engine.stop(id, grace))).await;
        for c in self.init.iter_mut().chain(self.containers.iter_mut()) {
            if let (true, Some(id)) = (c.is_running(), c.current.clone()) {
                if let Ok(Some(info)) = engine.inspect(&id).await {
                    c.state = State::Terminated(terminated_of(&info, now));
                }
                c.ready = false;
            }
            for id in c.current.iter().chain(c.previous.iter()) {
                let _ = engine.remove(id).await;
            }
        }
        if let Some(sandbox) = self.sandbox.take() {
            let _ = engine.remove(&sandbox.id).await;
        }
        let _ = volumes::cleanup(engine, &self.state_dir, &self.pod, &self.desired.volumes).await;
        self.report_status(now);
        self.out.push(Report::Removed { pod });
    }
}

#[path = "pod_status.rs"]
mod status;

#[cfg(test)]
#[path = "pod_worker_tests.rs"]
mod tests;
