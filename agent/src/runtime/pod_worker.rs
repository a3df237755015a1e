//! One pod's lifecycle on this node: sandbox (infra container and volumes), then init containers
//! in order, then the app containers, each stepped through pull, create, run, probe, exit and
//! back-off; and finally termination. `step` is one level-triggered pass at a given time.

use super::container_config::{self, ImageStep};
use super::container_state::{restarts, termination_reason, ContainerState, State, Terminated};
use super::engine::{ContainerInfo, Engine};
use super::volumes::{self, Source};
use super::{labels, probes, EventType, PodEvent, PodRef, Report};
use futures_util::future::join_all;
use jiff::{SignedDuration, Timestamp};
use kubeplay_shared::node_protocol::{DesiredPod, EnvVar};
use kubeplay_shared::sim::probes::{Probe, ProbeKind, Verdict, Worker};
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
        .or_else(|| pod.pointer("/spec/terminationGracePeriodSeconds").and_then(Value::as_i64))
        .unwrap_or(30);
    Duration::from_secs(u64::try_from(secs).unwrap_or(0))
}

pub fn pod_ref_of(pod: &Value) -> PodRef {
    let s = |p: &str| pod.pointer(p).and_then(Value::as_str).unwrap_or_default().to_string();
    PodRef { uid: s("/metadata/uid"), namespace: s("/metadata/namespace"), name: s("/metadata/name") }
}

fn after(t: Timestamp, secs: i64) -> Timestamp {
    t.checked_add(SignedDuration::from_secs(secs)).unwrap_or(t)
}

/// What a step needs besides the container it moves.
struct Ctx<'a, E> {
    engine: &'a E,
    pod: &'a PodRef,
    /// `name_namespace(uid)`, as the kubelet names pods in messages.
    pod_ref: String,
    sandbox: &'a Sandbox,
    sources: &'a BTreeMap<String, Source>,
    env: &'a BTreeMap<String, Vec<EnvVar>>,
    restart_policy: String,
    grace: Duration,
    init: bool,
    out: &'a mut Vec<Report>,
}

impl<E: Engine> Ctx<'_, E> {
    fn event(&mut self, c: &ContainerState, kind: EventType, reason: &str, message: String, now: Timestamp) {
        let list = if self.init { "initContainers" } else { "containers" };
        self.out.push(Report::Event(PodEvent {
            pod: self.pod.clone(),
            field_path: Some(format!("spec.{list}{{{}}}", c.name)),
            event_type: kind,
            reason: reason.to_string(),
            message,
            timestamp: now,
        }));
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
    pub fn new(engine: Arc<E>, state_dir: PathBuf, host_ip: String, desired: DesiredPod, now: Timestamp) -> Self {
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
        }
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
                Some(o) => by_container.entry(o.container).or_default().push((o.restart_count, info)),
                None => w.stale.push(info.id),
            }
        }
        if let Some(mut infra) = by_container.remove(labels::INFRA) {
            infra.sort_by_key(|(n, _)| *n);
            if let Some((_, sandbox)) = infra.pop().filter(|(_, i)| i.running) {
                w.start_time = sandbox.started_at.unwrap_or(now);
                w.sandbox = Some(Sandbox { id: sandbox.id, ip: sandbox.ip.unwrap_or_default() });
            }
            w.stale.extend(infra.into_iter().map(|(_, i)| i.id));
        }
        let running_sandbox = w.sandbox.is_some();
        for c in w.init.iter_mut().chain(w.containers.iter_mut()) {
            let mut instances = by_container.remove(&c.name).unwrap_or_default();
            instances.sort_by_key(|(n, _)| *n);
            let Some((count, current)) = instances.pop() else { continue };
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
        w.stale.extend(by_container.into_values().flatten().map(|(_, i)| i.id));
        w
    }

    pub fn desired(&self) -> &DesiredPod {
        &self.desired
    }

    /// A newer version of the same pod (labels, annotations, deletion marks); containers keep
    /// running.
    pub fn update(&mut self, desired: DesiredPod) {
        self.desired = desired;
    }

    fn restart_policy(&self) -> String {
        self.desired.pod.pointer("/spec/restartPolicy").and_then(Value::as_str).unwrap_or("Always").to_string()
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
            match volumes::prepare(&*self.engine, &self.state_dir, &self.pod, &self.desired.volumes).await {
                Ok(s) => self.sources = Some(s),
                Err(e) => {
                    self.pod_event(EventType::Warning, "FailedMount", format!("MountVolume.SetUp failed: {e}"), now);
                    return;
                }
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
        let (Some(sandbox), Some(sources)) = (&self.sandbox, &self.sources) else { return };
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

    async fn create_sandbox(&self) -> Result<Sandbox, String> {
        let image = self.engine.infra_image().await.map_err(|e| e.to_string())?;
        let name = labels::container_name(&self.pod, labels::INFRA, 0);
        let _ = self.engine.remove(&name).await;
        let hostname: String = self.pod.name.chars().take(63).collect();
        let spec = super::engine::ContainerSpec {
            name,
            image,
            hostname: Some(hostname),
            labels: labels::container_labels(&self.pod, labels::INFRA, 0),
            ipc_mode: Some("shareable".into()),
            ..Default::default()
        };
        let id = self.engine.create(&spec).await.map_err(|e| e.to_string())?;
        self.engine.start(&id).await.map_err(|e| e.to_string())?;
        let info = self.engine.inspect(&id).await.map_err(|e| e.to_string())?;
        Ok(Sandbox { id, ip: info.and_then(|i| i.ip).unwrap_or_default() })
    }

    /// The pod's phase from its containers, as the kubelet computes it.
    pub fn phase(&self) -> &'static str {
        let policy = self.restart_policy();
        let init_failed = self.init.iter().any(|c| {
            c.terminated().is_some_and(|t| t.exit_code != 0) && policy == "Never"
        });
        if init_failed {
            return "Failed";
        }
        if !self.init.iter().all(|c| c.completed()) {
            return "Pending";
        }
        let cs = &self.containers;
        let done = |c: &ContainerState| c.terminated().is_some();
        if !cs.is_empty() && cs.iter().all(done) {
            let all_ok = cs.iter().all(|c| c.completed());
            let will_restart = cs.iter().any(|c| c.terminated().is_some_and(|t| restarts(&policy, t.exit_code)));
            return match (all_ok, will_restart) {
                (_, true) => "Running",
                (true, false) => "Succeeded",
                (false, false) => "Failed",
            };
        }
        let ever_ran = |c: &ContainerState| c.is_running() || c.restart_count > 0 || done(c);
        if cs.iter().any(ContainerState::is_running) || cs.iter().all(ever_ran) {
            "Running"
        } else {
            "Pending"
        }
    }

    /// The pod's `status`, keeping condition transition times that did not change.
    pub fn status(&self, now: Timestamp) -> Value {
        let pod_ref = format!("{}_{}({})", self.pod.name, self.pod.namespace, self.pod.uid);
        let phase = self.phase();
        let terminal = matches!(phase, "Succeeded" | "Failed");
        let initialized = self.init.iter().all(|c| c.completed());
        let unready: Vec<&str> = self.containers.iter().filter(|c| !c.ready).map(|c| c.name.as_str()).collect();
        let not_ready_reason = if terminal { "PodCompleted" } else { "ContainersNotReady" };
        let not_ready_message = (!terminal).then(|| format!("containers with unready status: [{}]", unready.join(" ")));
        let uninit: Vec<&str> = self
            .init
            .iter()
            .filter(|c| !c.completed())
            .map(|c| c.name.as_str())
            .collect();
        let ready = unready.is_empty();
        let mut conditions = vec![
            self.condition("PodReadyToStartContainers", self.sandbox.is_some(), None, None, now),
            if initialized {
                self.condition("Initialized", true, terminal.then_some("PodCompleted"), None, now)
            } else {
                let message = format!("containers with incomplete status: [{}]", uninit.join(" "));
                self.condition("Initialized", false, Some("ContainersNotInitialized"), Some(message), now)
            },
        ];
        for ty in ["Ready", "ContainersReady"] {
            conditions.push(if ready {
                self.condition(ty, true, None, None, now)
            } else {
                self.condition(ty, false, Some(not_ready_reason), not_ready_message.clone(), now)
            });
        }
        conditions.push(self.condition("PodScheduled", true, None, None, now));
        let mut statuses: Vec<Value> = self.containers.iter().map(|c| c.status(&pod_ref)).collect();
        statuses.sort_by(|a, b| a["name"].as_str().cmp(&b["name"].as_str()));
        let mut status = serde_json::json!({
            "phase": phase,
            "conditions": conditions,
            "hostIP": self.host_ip,
            "hostIPs": [{"ip": self.host_ip}],
            "startTime": kubeplay_shared::apiserver::format_time(self.start_time),
            "containerStatuses": statuses,
        });
        if !self.init.is_empty() {
            status["initContainerStatuses"] = self.init.iter().map(|c| c.status(&pod_ref)).collect();
        }
        if let Some(ip) = self.sandbox.as_ref().map(|s| s.ip.as_str()).filter(|ip| !ip.is_empty()) {
            status["podIP"] = serde_json::json!(ip);
            status["podIPs"] = serde_json::json!([{"ip": ip}]);
        }
        status
    }

    fn condition(&self, ty: &str, ok: bool, reason: Option<&str>, message: Option<String>, now: Timestamp) -> Value {
        let status = if ok { "True" } else { "False" };
        let since = self
            .last_status
            .get("conditions")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .find(|c| c["type"] == ty && c["status"] == status)
            .and_then(|c| c["lastTransitionTime"].as_str().map(str::to_string))
            .unwrap_or_else(|| kubeplay_shared::apiserver::format_time(now));
        let mut c = serde_json::json!({"type": ty, "status": status, "lastProbeTime": null, "lastTransitionTime": since});
        if let Some(r) = reason {
            c["reason"] = serde_json::json!(r);
        }
        if let Some(m) = message {
            c["message"] = serde_json::json!(m);
        }
        c
    }

    /// Queues a status report when the status changed since the last one.
    pub fn report_status(&mut self, now: Timestamp) -> Option<Value> {
        let status = self.status(now);
        if status == self.last_status {
            return None;
        }
        self.last_status = status.clone();
        self.out.push(Report::Status { pod: self.pod.clone(), status: status.clone() });
        Some(status)
    }

    /// Stops the pod: every running container gets SIGTERM and `grace` before SIGKILL, then the
    /// infra container goes; all containers and the pod's scratch volumes are removed.
    pub async fn terminate(&mut self, grace: Duration, now: Timestamp) {
        let pod = self.pod.clone();
        let mut running = Vec::new();
        for (init, c) in self.init.iter().map(|c| (true, c)).chain(self.containers.iter().map(|c| (false, c))) {
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

fn terminated_of(info: &ContainerInfo, now: Timestamp) -> Terminated {
    Terminated {
        exit_code: info.exit_code,
        reason: termination_reason(info.exit_code, info.oom_killed).to_string(),
        message: None,
        started_at: info.started_at,
        finished_at: info.finished_at.unwrap_or(now),
        container_id: info.id.clone(),
    }
}

fn arm_probes(c: &mut ContainerState, started_at: Timestamp) {
    c.probes = [ProbeKind::Startup, ProbeKind::Liveness, ProbeKind::Readiness]
        .into_iter()
        .filter_map(|k| Probe::of(&c.spec, k))
        .map(|p| Worker::new(p, started_at))
        .collect();
    let has = |k: ProbeKind| c.probes.iter().any(|w| w.probe.kind == k);
    c.startup_failures = 0;
    c.started = !has(ProbeKind::Startup);
    c.ready = c.started && !has(ProbeKind::Readiness);
}

/// Moves one container one step along its lifecycle.
async fn advance<E: Engine>(ctx: &mut Ctx<'_, E>, c: &mut ContainerState, now: Timestamp) {
    match c.state.clone() {
        State::Creating => start_instance(ctx, c, now).await,
        State::Waiting { reason: "ErrImagePull", message, retry_at } if now < retry_at => {
            let image = c.image().to_string();
            ctx.event(c, EventType::Normal, "BackOff", format!("Back-off pulling image \"{image}\""), now);
            ctx.event(c, EventType::Warning, "Failed", "Error: ImagePullBackOff".into(), now);
            c.state = State::Waiting {
                reason: "ImagePullBackOff",
                message: format!("Back-off pulling image \"{image}\": ErrImagePull: {message}"),
                retry_at,
            };
        }
        State::Waiting { retry_at, .. } if now >= retry_at => start_instance(ctx, c, now).await,
        State::Waiting { .. } => {}
        State::Running { .. } => {
            let Some(id) = c.current.clone() else { return };
            match ctx.engine.inspect(&id).await {
                Ok(Some(info)) if info.running => run_probes(ctx, c, &id, now).await,
                Ok(Some(info)) => exited(c, &info, now),
                Ok(None) => {
                    c.state = State::Terminated(Terminated {
                        exit_code: 137,
                        reason: "ContainerStatusUnknown".into(),
                        message: Some("The container could not be located when the pod was terminated".into()),
                        started_at: None,
                        finished_at: now,
                        container_id: id,
                    });
                    c.ready = false;
                }
                Err(_) => {}
            }
        }
        State::Terminated(t) => {
            let policy = if ctx.init && ctx.restart_policy == "Always" { "OnFailure" } else { ctx.restart_policy.as_str() };
            if !restarts(policy, t.exit_code) {
                return;
            }
            c.last_state = Some(t.clone());
            match c.backoff.waits_until(t.finished_at, now) {
                Some(until) => {
                    let message = format!("Back-off restarting failed container {} in pod {}", c.name, ctx.pod_ref);
                    ctx.event(c, EventType::Warning, "BackOff", message, now);
                    c.state = State::CrashLoop { retry_at: until };
                }
                None => restart(ctx, c, now).await,
            }
        }
        State::CrashLoop { retry_at } if now >= retry_at => restart(ctx, c, now).await,
        State::CrashLoop { .. } => {}
    }
}

async fn restart<E: Engine>(ctx: &mut Ctx<'_, E>, c: &mut ContainerState, now: Timestamp) {
    c.backoff.step(now);
    c.restart_count += 1;
    start_instance(ctx, c, now).await;
}

fn exited(c: &mut ContainerState, info: &ContainerInfo, now: Timestamp) {
    c.state = State::Terminated(terminated_of(info, now));
    c.ready = false;
    c.probes.clear();
}

fn waiting(c: &mut ContainerState, reason: &'static str, message: String, retry_at: Timestamp) {
    c.state = State::Waiting { reason, message, retry_at };
}

/// Pulls if needed, creates and starts a new instance of the container.
async fn start_instance<E: Engine>(ctx: &mut Ctx<'_, E>, c: &mut ContainerState, now: Timestamp) {
    let image = c.image().to_string();
    let present = ctx.engine.image_id(&image).await.ok().flatten();
    let image_id = match container_config::image_step(container_config::pull_policy(&c.spec), present.is_some()) {
        ImageStep::NeverPullMissing => {
            let message = format!("Container image \"{image}\" is not present with pull policy of Never");
            if !matches!(c.state, State::Waiting { reason: "ErrImageNeverPull", .. }) {
                ctx.event(c, EventType::Warning, "ErrImageNeverPull", message.clone(), now);
                ctx.event(c, EventType::Warning, "Failed", "Error: ErrImageNeverPull".into(), now);
            }
            waiting(c, "ErrImageNeverPull", message, after(now, 10));
            return;
        }
        ImageStep::UsePresent => {
            ctx.event(c, EventType::Normal, "Pulled", format!("Container image \"{image}\" already present on machine"), now);
            present.unwrap_or_default()
        }
        ImageStep::Pull => {
            ctx.event(c, EventType::Normal, "Pulling", format!("Pulling image \"{image}\""), now);
            let began = std::time::Instant::now();
            match ctx.engine.pull_image(&image).await {
                Ok(()) => {
                    let took = began.elapsed().as_secs_f64();
                    ctx.event(c, EventType::Normal, "Pulled", format!("Successfully pulled image \"{image}\" in {took:.3}s"), now);
                    ctx.engine.image_id(&image).await.ok().flatten().unwrap_or_default()
                }
                Err(e) => {
                    ctx.event(c, EventType::Warning, "Failed", format!("Failed to pull image \"{image}\": {e}"), now);
                    ctx.event(c, EventType::Warning, "Failed", "Error: ErrImagePull".into(), now);
                    c.pull_backoff.step(now);
                    let retry_at = after(now, c.pull_backoff.delay());
                    waiting(c, "ErrImagePull", e.to_string(), retry_at);
                    return;
                }
            }
        }
    };
    c.image_id = format!("docker://{image_id}");
    let no_env = Vec::new();
    let env = ctx.env.get(&c.name).unwrap_or(&no_env);
    let built = container_config::container_spec(&c.spec, env)
        .map_err(|e| e.to_string())
        .and_then(|spec| volumes::binds(&c.spec, ctx.sources).map(|b| (spec, b)).map_err(|e| e.to_string()));
    let mut spec = match built {
        Ok((mut spec, binds)) => {
            spec.binds = binds;
            spec
        }
        Err(message) => {
            ctx.event(c, EventType::Warning, "Failed", format!("Error: {message}"), now);
            waiting(c, "CreateContainerConfigError", message, after(now, 10));
            return;
        }
    };
    spec.name = labels::container_name(ctx.pod, &c.name, c.restart_count);
    spec.labels = labels::container_labels(ctx.pod, &c.name, c.restart_count);
    spec.network_mode = Some(format!("container:{}", ctx.sandbox.id));
    spec.ipc_mode = Some(format!("container:{}", ctx.sandbox.id));
    // The instance before the previous one is no longer needed for `logs --previous`.
    if let Some(current) = c.current.take() {
        if let Some(older) = c.previous.replace(current) {
            let _ = ctx.engine.remove(&older).await;
        }
    }
    let _ = ctx.engine.remove(&spec.name).await;
    let id = match ctx.engine.create(&spec).await {
        Ok(id) => id,
        Err(e) => {
            ctx.event(c, EventType::Warning, "Failed", format!("Error: {e}"), now);
            waiting(c, "CreateContainerError", e.to_string(), after(now, 10));
            return;
        }
    };
    c.current = Some(id.clone());
    ctx.event(c, EventType::Normal, "Created", format!("Created container: {}", c.name), now);
    if let Err(e) = ctx.engine.start(&id).await {
        let message = format!("failed to start container \"{}\": {e}", c.name);
        ctx.event(c, EventType::Warning, "Failed", format!("Error: {message}"), now);
        c.state = State::Terminated(Terminated {
            exit_code: 128,
            reason: "StartError".into(),
            message: Some(message),
            started_at: None,
            finished_at: now,
            container_id: id,
        });
        return;
    }
    ctx.event(c, EventType::Normal, "Started", format!("Started container {}", c.name), now);
    let started_at = match ctx.engine.inspect(&id).await {
        Ok(Some(info)) => info.started_at.unwrap_or(now),
        _ => now,
    };
    arm_probes(c, now);
    if ctx.init {
        c.ready = false;
    }
    c.state = State::Running { started_at };
}

/// Runs the container's due probes; a failed liveness (or startup) probe kills it.
async fn run_probes<E: Engine>(ctx: &mut Ctx<'_, E>, c: &mut ContainerState, id: &str, now: Timestamp) {
    for k in 0..c.probes.len() {
        let (kind, due) = (c.probes[k].probe.kind, c.probes[k].next <= now);
        let gated = match kind {
            ProbeKind::Startup => c.started,
            _ => !c.started,
        };
        if !due || gated {
            continue;
        }
        let probe = c.probes[k].probe.clone();
        let result = probes::run(ctx.engine, &probe, &c.spec, id, &ctx.sandbox.ip).await;
        let verdict = c.probes[k].record(result.is_ok(), now);
        if let Err(message) = &result {
            ctx.event(c, EventType::Warning, "Unhealthy", format!("{} probe failed: {message}", kind.title()), now);
        }
        let kill = match kind {
            ProbeKind::Startup if result.is_ok() => {
                c.started = true;
                c.ready = !c.probes.iter().any(|w| w.probe.kind == ProbeKind::Readiness);
                None
            }
            ProbeKind::Startup => {
                c.startup_failures += 1;
                (c.startup_failures >= probe.failure_threshold).then_some("startup")
            }
            ProbeKind::Readiness => {
                c.ready = c.probes[k].passing;
                None
            }
            ProbeKind::Liveness => (verdict == Verdict::NowFailing).then_some("liveness"),
        };
        if let Some(which) = kill {
            let message = format!("Container {} failed {which} probe, will be restarted", c.name);
            ctx.event(c, EventType::Normal, "Killing", message, now);
            let _ = ctx.engine.stop(id, ctx.grace).await;
            if let Ok(Some(info)) = ctx.engine.inspect(id).await {
                exited(c, &info, now);
            }
            return;
        }
    }
}
