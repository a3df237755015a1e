//! One container's lifecycle inside its pod, one step at a time: pull per the pull policy,
//! create and start an instance, probe it, see it exit, back off and restart it.

use super::container_config::{self, ImageStep};
use super::container_state::{restarts, termination_reason, ContainerState, State, Terminated};
use super::engine::{ContainerInfo, Engine};
use super::pod_worker::Sandbox;
use super::volumes::{self, Source};
use super::{labels, probes, EventType, PodEvent, PodRef, Report};
use jiff::{SignedDuration, Timestamp};
use kubeplay_shared::node_protocol::EnvVar;
use kubeplay_shared::sim::probes::{Probe, ProbeKind, Verdict, Worker};
use std::collections::BTreeMap;
use std::time::Duration;

pub fn after(t: Timestamp, secs: i64) -> Timestamp {
    t.checked_add(SignedDuration::from_secs(secs)).unwrap_or(t)
}

/// What a step needs besides the container it moves.
pub struct Ctx<'a, E> {
    pub engine: &'a E,
    pub pod: &'a PodRef,
    /// `name_namespace(uid)`, as the kubelet names pods in messages.
    pub pod_ref: String,
    pub sandbox: &'a Sandbox,
    pub sources: &'a BTreeMap<String, Source>,
    pub env: &'a BTreeMap<String, Vec<EnvVar>>,
    pub restart_policy: String,
    pub grace: Duration,
    pub init: bool,
    pub out: &'a mut Vec<Report>,
}

impl<E: Engine> Ctx<'_, E> {
    pub fn event(
        &mut self,
        c: &ContainerState,
        kind: EventType,
        reason: &str,
        message: String,
        now: Timestamp,
    ) {
        let list = if self.init {
            "initContainers"
        } else {
            "containers"
        };
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

pub fn terminated_of(info: &ContainerInfo, now: Timestamp) -> Terminated {
    Terminated {
        exit_code: info.exit_code,
        reason: termination_reason(info.exit_code, info.oom_killed).to_string(),
        message: None,
        started_at: info.started_at,
        finished_at: info.finished_at.unwrap_or(now),
        container_id: info.id.clone(),
    }
}

pub fn arm_probes(c: &mut ContainerState, started_at: Timestamp) {
    c.probes = [
        ProbeKind::Startup,
        ProbeKind::Liveness,
        ProbeKind::Readiness,
    ]
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
pub async fn advance<E: Engine>(ctx: &mut Ctx<'_, E>, c: &mut ContainerState, now: Timestamp) {
    if std::mem::take(&mut c.definition_changed) {
        match (&c.state, c.current.clone()) {
            (State::Running { .. }, Some(id)) => {
                let message = format!("Container {} definition changed, will be restarted", c.name);
                ctx.event(c, EventType::Normal, "Killing", message, now);
                let _ = ctx.engine.stop(&id, ctx.grace).await;
                if let Ok(Some(info)) = ctx.engine.inspect(&id).await {
                    c.last_state = Some(terminated_of(&info, now));
                }
                c.restart_count += 1;
                start_instance(ctx, c, now).await;
                return;
            }
            (State::Waiting { .. }, _) => c.state = State::Creating,
            _ => {}
        }
    }
    match c.state.clone() {
        State::Creating => start_instance(ctx, c, now).await,
        State::Waiting {
            reason: "ErrImagePull",
            message,
            retry_at,
        } if now < retry_at => {
            let image = c.image().to_string();
            ctx.event(
                c,
                EventType::Normal,
                "BackOff",
                format!("Back-off pulling image \"{image}\""),
                now,
            );
            ctx.event(
                c,
                EventType::Warning,
                "Failed",
                "Error: ImagePullBackOff".into(),
                now,
            );
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
                        message: Some(
                            "The container could not be located when the pod was terminated".into(),
                        ),
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
            let policy = if ctx.init && ctx.restart_policy == "Always" {
                "OnFailure"
            } else {
                ctx.restart_policy.as_str()
            };
            if !restarts(policy, t.exit_code) {
                return;
            }
            c.last_state = Some(t.clone());
            match c.backoff.waits_until(t.finished_at, now) {
                Some(until) => {
                    let message = format!(
                        "Back-off restarting failed container {} in pod {}",
                        c.name, ctx.pod_ref
                    );
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
    c.state = State::Waiting {
        reason,
        message,
        retry_at,
    };
}

/// Pulls if needed, creates and starts a new instance of the container.
pub async fn start_instance<E: Engine>(
    ctx: &mut Ctx<'_, E>,
    c: &mut ContainerState,
    now: Timestamp,
) {
    let image = c.image().to_string();
    let present = ctx.engine.image_id(&image).await.ok().flatten();
    let image_id = match container_config::image_step(
        container_config::pull_policy(&c.spec),
        present.is_some(),
    ) {
        ImageStep::NeverPullMissing => {
            let message =
                format!("Container image \"{image}\" is not present with pull policy of Never");
            if !matches!(
                c.state,
                State::Waiting {
                    reason: "ErrImageNeverPull",
                    ..
                }
            ) {
                ctx.event(
                    c,
                    EventType::Warning,
                    "ErrImageNeverPull",
                    message.clone(),
                    now,
                );
                ctx.event(
                    c,
                    EventType::Warning,
                    "Failed",
                    "Error: ErrImageNeverPull".into(),
                    now,
                );
            }
            waiting(c, "ErrImageNeverPull", message, after(now, 10));
            return;
        }
        ImageStep::UsePresent => {
            ctx.event(
                c,
                EventType::Normal,
                "Pulled",
                format!("Container image \"{image}\" already present on machine"),
                now,
            );
            present.unwrap_or_default()
        }
        ImageStep::Pull => {
            ctx.event(
                c,
                EventType::Normal,
                "Pulling",
                format!("Pulling image \"{image}\""),
                now,
            );
            let began = std::time::Instant::now();
            match ctx.engine.pull_image(&image).await {
                Ok(()) => {
                    let took = began.elapsed().as_secs_f64();
                    ctx.event(
                        c,
                        EventType::Normal,
                        "Pulled",
                        format!("Successfully pulled image \"{image}\" in {took:.3}s"),
                        now,
                    );
                    ctx.engine
                        .image_id(&image)
                        .await
                        .ok()
                        .flatten()
                        .unwrap_or_default()
                }
                // No registry may be reachable from a playground node: an image built on this
                // machine still runs under `Always` (the pull was tried and reported).
                Err(_) if present.is_some() => {
                    ctx.event(
                        c,
                        EventType::Normal,
                        "Pulled",
                        format!("Container image \"{image}\" already present on machine"),
                        now,
                    );
                    present.unwrap_or_default()
                }
                Err(e) => {
                    ctx.event(
                        c,
                        EventType::Warning,
                        "Failed",
                        format!("Failed to pull image \"{image}\": {e}"),
                        now,
                    );
                    ctx.event(
                        c,
                        EventType::Warning,
                        "Failed",
                        "Error: ErrImagePull".into(),
                        now,
                    );
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
        .and_then(|spec| {
            volumes::binds(&c.spec, ctx.sources)
                .map(|b| (spec, b))
                .map_err(|e| e.to_string())
        });
    let mut spec = match built {
        Ok((mut spec, binds)) => {
            spec.binds = binds;
            spec
        }
        Err(message) => {
            ctx.event(
                c,
                EventType::Warning,
                "Failed",
                format!("Error: {message}"),
                now,
            );
            waiting(c, "CreateContainerConfigError", message, after(now, 10));
            return;
        }
    };
    spec.name = labels::container_name(ctx.pod, &c.name, c.restart_count);
    spec.labels = labels::container_labels(ctx.pod, &c.name, c.restart_count);
    spec.network_mode = Some(format!("container:{}", ctx.sandbox.id));
    // Docker refuses exposed ports on a container joining another's network; the pod's ports
    // are the infra container's (its IP serves them all).
    spec.exposed_ports.clear();
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
    ctx.event(
        c,
        EventType::Normal,
        "Created",
        format!("Created container: {}", c.name),
        now,
    );
    if let Err(e) = ctx.engine.start(&id).await {
        let message = format!("failed to start container \"{}\": {e}", c.name);
        ctx.event(
            c,
            EventType::Warning,
            "Failed",
            format!("Error: {message}"),
            now,
        );
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
    ctx.event(
        c,
        EventType::Normal,
        "Started",
        format!("Started container {}", c.name),
        now,
    );
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
async fn run_probes<E: Engine>(
    ctx: &mut Ctx<'_, E>,
    c: &mut ContainerState,
    id: &str,
    now: Timestamp,
) {
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
            ctx.event(
                c,
                EventType::Warning,
                "Unhealthy",
                format!("{} probe failed: {message}", kind.title()),
                now,
            );
        }
        let kill = match kind {
            ProbeKind::Startup if result.is_ok() => {
                c.started = true;
                c.ready = !c
                    .probes
                    .iter()
                    .any(|w| w.probe.kind == ProbeKind::Readiness);
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
            let message = format!(
                "Container {} failed {which} probe, will be restarted",
                c.name
            );
            ctx.event(c, EventType::Normal, "Killing", message, now);
            let _ = ctx.engine.stop(id, ctx.grace).await;
            if let Ok(Some(info)) = ctx.engine.inspect(id).await {
                exited(c, &info, now);
            }
            return;
        }
    }
}
