//! One container's lifecycle as a state machine, in the style of Krustlet's pod
//! states: each state decides its next step from the time and what it is told,
//! so every transition can be tested without a cluster.
//!
//! The machine never touches the API: it returns the Events to record and the
//! time it next needs to look, and the pod driver writes status from its state.

use super::backoff::Backoff;
use crate::sim::images::{self, Exit, Faults, Image};
use crate::sim::probes::{self, AppView, Probe, ProbeKind, Verdict, Worker};
use jiff::{SignedDuration, Timestamp};
use serde_json::Value;

/// How a run ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Terminated {
    pub exit_code: i32,
    pub reason: String,
    pub started_at: Timestamp,
    pub finished_at: Timestamp,
    pub container_id: String,
}

#[derive(Debug, Clone, PartialEq)]
pub enum State {
    /// Not started yet (the pod's sandbox and volumes come first).
    Created,
    Pulling {
        done_at: Timestamp,
    },
    /// `ErrImagePull` right after a failure, `ImagePullBackOff` while waiting to retry.
    PullBackOff {
        reason: &'static str,
        message: String,
        failed_at: Timestamp,
        retry_at: Timestamp,
    },
    /// `CreateContainerConfigError`; retried when config changes and on resync.
    ConfigError {
        message: String,
    },
    Running(Box<Run>),
    /// Asked to stop (deletion or a failed liveness probe); exits at `done_at`.
    Stopping {
        run: Box<Run>,
        done_at: Timestamp,
        exit_code: i32,
        restart: bool,
    },
    Terminated(Terminated),
    /// `CrashLoopBackOff`: the last run is in `last_state`.
    CrashLoop {
        retry_at: Timestamp,
    },
}

#[derive(Debug, Clone, PartialEq)]
pub struct Run {
    pub started_at: Timestamp,
    pub container_id: String,
    /// When the process exits on its own, and with which code.
    pub exit: Option<(Timestamp, i32)>,
    /// When a leak reaches the memory limit.
    pub oom_at: Option<Timestamp>,
    pub listening_at: Timestamp,
    pub workers: Vec<Worker>,
    pub ready: bool,
    /// Whether the startup probe (if any) has passed.
    pub started: bool,
}

/// An Event for the pod, in the kubelet's words.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Happening {
    pub warning: bool,
    pub reason: &'static str,
    pub message: String,
}

impl Happening {
    fn normal(reason: &'static str, message: String) -> Self {
        Self {
            warning: false,
            reason,
            message,
        }
    }
    fn warning(reason: &'static str, message: String) -> Self {
        Self {
            warning: true,
            reason,
            message,
        }
    }
}

/// What a process did, for the pod driver to turn into log lines.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Output {
    Started { instance: u32, at: Timestamp },
    Exited { instance: u32, at: Timestamp, exit_code: i32, reason: String },
}

/// What the machine is told about the world at a step.
pub struct Context<'a> {
    pub pod_ref: &'a str,
    pub pod_ip: &'a str,
    pub restart_policy: &'a str,
    pub faults: Faults,
    pub simulate: bool,
    /// Whether the node has the image already.
    pub image_present: bool,
    /// The container's environment, or why it cannot be built.
    pub env: Result<Vec<(String, String)>, String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Container {
    pub name: String,
    pub spec: Value,
    pub state: State,
    pub last_state: Option<Terminated>,
    pub restart_count: u32,
    pub backoff: Backoff,
    pub pull_backoff: Backoff,
    /// The environment it was started with (for `exec env` later).
    pub env: Vec<(String, String)>,
    pub pulled: bool,
    /// Images the machine pulled this step (for the node's cache).
    pub just_pulled: Option<String>,
    /// Starts and exits since the driver last took them (for the logs).
    pub outputs: Vec<Output>,
}

/// A `terminated` container state as the status reports it.
fn terminated_of(v: &Value) -> Option<Terminated> {
    let time = |k: &str| v.get(k).and_then(Value::as_str).and_then(|s| s.parse::<Timestamp>().ok());
    Some(Terminated {
        exit_code: v.get("exitCode").and_then(Value::as_i64).and_then(|c| i32::try_from(c).ok()).unwrap_or(0),
        reason: v.get("reason").and_then(Value::as_str).unwrap_or("").to_string(),
        started_at: time("startedAt")?,
        finished_at: time("finishedAt")?,
        container_id: v.get("containerID").and_then(Value::as_str).unwrap_or("").to_string(),
    })
}

/// How soon after a failed pull the pod is synced again (and shows `ImagePullBackOff`).
const PULL_RESYNC_MILLIS: i64 = 2_000;

fn after(t: Timestamp, millis: i64) -> Timestamp {
    t.checked_add(SignedDuration::from_millis(millis))
        .unwrap_or(t)
}

fn secs(millis: i64) -> String {
    let s = millis as f64 / 1000.0;
    format!("{s}s")
}

fn memory_limit(spec: &Value) -> Option<i64> {
    let q = spec.pointer("/resources/limits/memory")?;
    let s = match q {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    crate::api::quantity::Quantity::parse(&s)
        .ok()
        .and_then(|q| i64::try_from(q.value()).ok())
}

impl Container {
    pub fn new(spec: &Value) -> Self {
        Self {
            name: spec
                .get("name")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_string(),
            spec: spec.clone(),
            state: State::Created,
            last_state: None,
            restart_count: 0,
            backoff: Backoff::default(),
            pull_backoff: Backoff::default(),
            env: Vec::new(),
            pulled: false,
            just_pulled: None,
            outputs: Vec::new(),
        }
    }

    pub fn image_name(&self) -> &str {
        self.spec
            .get("image")
            .and_then(Value::as_str)
            .unwrap_or_default()
    }

    fn image(&self, ctx: &Context) -> Option<&'static Image> {
        images::lookup(self.image_name(), ctx.simulate)
    }

    fn pull_always(&self) -> bool {
        self.spec.get("imagePullPolicy").and_then(Value::as_str) == Some("Always")
    }

    /// Memory in use at `now` (base plus leak), for metrics.
    pub fn memory_bytes(&self, faults: Faults, now: Timestamp) -> i64 {
        let (State::Running(run) | State::Stopping { run, .. }) = &self.state else {
            return 0;
        };
        let base = images::lookup(self.image_name(), true).map_or(0, |i| i.memory_bytes);
        let leaked = if faults.leak {
            now.duration_since(run.started_at).as_secs().max(0) * images::LEAK_BYTES_PER_SECOND
        } else {
            0
        };
        base + leaked
    }

    pub fn is_running(&self) -> bool {
        matches!(self.state, State::Running(_) | State::Stopping { .. })
    }

    pub fn ready(&self) -> bool {
        matches!(&self.state, State::Running(run) if run.ready)
    }

    /// Advances the machine to `now`; returns the Events and when to look again.
    pub fn step(&mut self, ctx: &Context, now: Timestamp) -> (Vec<Happening>, Option<Timestamp>) {
        let mut out = Vec::new();
        self.just_pulled = None;
        // Bounded: each pass makes progress in time or state.
        for _ in 0..32 {
            match self.transition(ctx, now, &mut out) {
                Some(_) => continue,
                None => break,
            }
        }
        (out, self.wake())
    }

    /// The next time something is due in the current state.
    pub fn wake(&self) -> Option<Timestamp> {
        match &self.state {
            State::Pulling { done_at } => Some(*done_at),
            State::PullBackOff {
                reason: "ErrImagePull",
                failed_at,
                ..
            } => Some(after(*failed_at, PULL_RESYNC_MILLIS)),
            State::PullBackOff { retry_at, .. } | State::CrashLoop { retry_at } => Some(*retry_at),
            State::Running(run) => {
                let probes = run
                    .workers
                    .iter()
                    .filter(|w| run.started || w.probe.kind == ProbeKind::Startup)
                    .map(|w| w.next);
                run.exit
                    .map(|e| e.0)
                    .into_iter()
                    .chain(run.oom_at)
                    .chain(probes)
                    .min()
            }
            State::Stopping { done_at, .. } => Some(*done_at),
            State::Created | State::ConfigError { .. } | State::Terminated(_) => None,
        }
    }

    /// One transition if one is due; `Some(())` when the state changed.
    fn transition(
        &mut self,
        ctx: &Context,
        now: Timestamp,
        out: &mut Vec<Happening>,
    ) -> Option<()> {
        let image = self.image_name().to_string();
        match &mut self.state {
            State::Created => self.start_or_pull(ctx, now, out),
            // The image is on the node already: only the configuration is retried.
            State::ConfigError { .. } => self.create(ctx, now, out),
            State::Pulling { done_at } => {
                let done_at = *done_at;
                if done_at > now {
                    return None;
                }
                match self.image(ctx) {
                    Some(img) => {
                        self.pulled = true;
                        self.just_pulled = Some(image.clone());
                        out.push(Happening::normal(
                            "Pulled",
                            format!(
                                "Successfully pulled image \"{image}\" in {} ({} including waiting). Image size: {} bytes.",
                                secs(img.pull_millis),
                                secs(img.pull_millis),
                                img.size_bytes
                            ),
                        ));
                        self.create(ctx, done_at, out)
                    }
                    None => {
                        let message = format!(
                            "Failed to pull image \"{image}\": rpc error: code = NotFound desc = {}",
                            images::pull_error(&image)
                        );
                        out.push(Happening::warning("Failed", message.clone()));
                        out.push(Happening::warning("Failed", "Error: ErrImagePull".into()));
                        self.pull_backoff.step(done_at);
                        let retry_at = after(done_at, self.pull_backoff.delay() * 1000);
                        self.state = State::PullBackOff {
                            reason: "ErrImagePull",
                            message,
                            failed_at: done_at,
                            retry_at,
                        };
                        Some(())
                    }
                }
            }
            State::PullBackOff {
                reason,
                retry_at,
                failed_at,
                ..
            } => {
                if *retry_at <= now {
                    self.state = State::Created;
                    return self.start_or_pull(ctx, now, out);
                }
                // The pod worker's next sync, a moment later, finds the pull in back-off.
                if *reason == "ErrImagePull" && after(*failed_at, PULL_RESYNC_MILLIS) <= now {
                    // The next sync finds the pull in back-off.
                    *reason = "ImagePullBackOff";
                    out.push(Happening::normal(
                        "BackOff",
                        format!("Back-off pulling image \"{image}\""),
                    ));
                    out.push(Happening::warning(
                        "Failed",
                        "Error: ImagePullBackOff".into(),
                    ));
                    return Some(());
                }
                None
            }
            State::Running(run) => {
                // A crash fault injected into a running container ends its process soon, as a kill would.
                if ctx.faults.crash && run.exit.is_none() {
                    run.exit = Some((after(now, images::CRASH_AFTER_MILLIS), 1));
                }
                self.run_due(ctx, now, out)
            }
            State::Stopping { done_at, .. } => {
                if *done_at > now {
                    return None;
                }
                let State::Stopping {
                    run,
                    done_at,
                    exit_code,
                    restart,
                } = std::mem::replace(&mut self.state, State::Created)
                else {
                    return None;
                };
                let reason = if exit_code == 0 { "Completed" } else { "Error" };
                self.finish(&run, done_at, exit_code, reason);
                if !restart {
                    // Stopped for deletion: it stays terminated.
                    return None;
                }
                Some(())
            }
            State::Terminated(t) => {
                let t = t.clone();
                let restart = match ctx.restart_policy {
                    "Never" => false,
                    "OnFailure" => t.exit_code != 0,
                    _ => true,
                };
                if !restart {
                    return None;
                }
                self.last_state = Some(t.clone());
                match self.backoff.waits_until(t.finished_at, now) {
                    Some(until) => {
                        out.push(Happening::warning(
                            "BackOff",
                            format!(
                                "Back-off restarting failed container {} in pod {}",
                                self.name, ctx.pod_ref
                            ),
                        ));
                        self.state = State::CrashLoop { retry_at: until };
                    }
                    None => {
                        self.backoff.step(now);
                        self.restart_count += 1;
                        self.state = State::Created;
                    }
                }
                Some(())
            }
            State::CrashLoop { retry_at } => {
                if *retry_at > now {
                    return None;
                }
                self.backoff.step(now);
                self.restart_count += 1;
                self.state = State::Created;
                Some(())
            }
        }
    }

    fn start_or_pull(
        &mut self,
        ctx: &Context,
        now: Timestamp,
        out: &mut Vec<Happening>,
    ) -> Option<()> {
        let image = self.image_name().to_string();
        let known = self.image(ctx);
        if (ctx.image_present || self.pulled) && !self.pull_always() && known.is_some() {
            if matches!(self.state, State::Created) {
                out.push(Happening::normal(
                    "Pulled",
                    format!("Container image \"{image}\" already present on machine"),
                ));
            }
            return self.create(ctx, now, out);
        }
        out.push(Happening::normal(
            "Pulling",
            format!("Pulling image \"{image}\""),
        ));
        let pull = known.map_or(1_500, |i| {
            if ctx.image_present {
                400
            } else {
                i.pull_millis
            }
        });
        self.state = State::Pulling {
            done_at: after(now, pull),
        };
        Some(())
    }

    fn create(&mut self, ctx: &Context, now: Timestamp, out: &mut Vec<Happening>) -> Option<()> {
        let env = match &ctx.env {
            Ok(env) => env.clone(),
            Err(message) => {
                let already =
                    matches!(&self.state, State::ConfigError { message: m } if m == message);
                if already {
                    return None;
                }
                out.push(Happening::warning("Failed", format!("Error: {message}")));
                self.state = State::ConfigError {
                    message: message.clone(),
                };
                return Some(());
            }
        };
        let img = self.image(ctx)?;
        self.env = env;
        let run = self.new_run(ctx, img, now);
        out.push(Happening::normal(
            "Created",
            format!("Created container: {}", self.name),
        ));
        out.push(Happening::normal(
            "Started",
            format!("Started container {}", self.name),
        ));
        self.outputs.push(Output::Started { instance: self.restart_count, at: now });
        self.state = State::Running(Box::new(run));
        Some(())
    }

    /// A run of this container's process started at `started`: when it exits or
    /// runs out of memory on its own, when it listens, and its probe workers.
    fn new_run(&self, ctx: &Context, img: &Image, started: Timestamp) -> Run {
        let now = started;
        let command: Vec<String> = ["command", "args"]
            .iter()
            .flat_map(|f| {
                self.spec
                    .get(*f)
                    .and_then(Value::as_array)
                    .cloned()
                    .unwrap_or_default()
            })
            .filter_map(|v| v.as_str().map(str::to_string))
            .collect();
        let exit = match images::exit_of(img, &command, ctx.faults) {
            Exit::Never => None,
            Exit::After { after_millis, code } => Some((after(now, after_millis), code)),
        };
        let oom_at = match (ctx.faults.leak, memory_limit(&self.spec)) {
            (true, Some(limit)) => Some(after(
                now,
                (limit - img.memory_bytes).max(0) * 1000 / images::LEAK_BYTES_PER_SECOND,
            )),
            _ => None,
        };
        let workers: Vec<Worker> = [
            ProbeKind::Startup,
            ProbeKind::Liveness,
            ProbeKind::Readiness,
        ]
        .into_iter()
        .filter_map(|k| Probe::of(&self.spec, k))
        .map(|p| Worker::new(p, now))
        .collect();
        let has_startup = workers.iter().any(|w| w.probe.kind == ProbeKind::Startup);
        let has_readiness = workers.iter().any(|w| w.probe.kind == ProbeKind::Readiness);
        let container_id = format!(
            "containerd://{}",
            images::digest(&format!(
                "{}/{}/{}",
                ctx.pod_ref, self.name, self.restart_count
            ))
        );
        Run {
            started_at: now,
            container_id,
            exit,
            oom_at,
            listening_at: after(now, images::startup_of(img, ctx.faults)),
            workers,
            ready: !has_readiness && !has_startup,
            started: !has_startup,
        }
    }

    /// The container as its last reported status shows it: a kubelet started over
    /// a restored cluster re-adopts running containers, as a restarted kubelet finds
    /// them in its container runtime, with their restart counts and readiness.
    pub fn adopt(spec: &Value, status: &Value, ctx: &Context, now: Timestamp) -> Self {
        let mut c = Self::new(spec);
        c.restart_count = status
            .get("restartCount")
            .and_then(Value::as_u64)
            .and_then(|n| u32::try_from(n).ok())
            .unwrap_or(0);
        c.last_state = status.pointer("/lastState/terminated").and_then(terminated_of);
        c.env = ctx.env.clone().unwrap_or_default();
        let running_since = status
            .pointer("/state/running/startedAt")
            .and_then(Value::as_str)
            .and_then(|s| s.parse::<Timestamp>().ok());
        if let Some(t) = status.pointer("/state/terminated").and_then(terminated_of) {
            c.pulled = true;
            c.state = State::Terminated(t);
        } else if let (Some(started), Some(img)) = (running_since, c.image(ctx)) {
            c.pulled = true;
            let mut run = c.new_run(ctx, img, started);
            run.container_id = status
                .get("containerID")
                .and_then(Value::as_str)
                .unwrap_or(&run.container_id)
                .to_string();
            run.ready = status.get("ready").and_then(Value::as_bool).unwrap_or(false);
            run.started = status.get("started").and_then(Value::as_bool).unwrap_or(true);
            for w in &mut run.workers {
                // Probes go on from now, with the verdicts the status reported.
                w.next = w.next.max(now);
                match w.probe.kind {
                    ProbeKind::Readiness => w.passing = run.ready,
                    ProbeKind::Startup => w.passing = run.started,
                    ProbeKind::Liveness => {}
                }
            }
            c.state = State::Running(Box::new(run));
        } else if status.pointer("/state/waiting/reason").and_then(Value::as_str) == Some("CrashLoopBackOff") {
            c.pulled = true;
            c.state = State::CrashLoop { retry_at: now };
        }
        c
    }

    fn finish(&mut self, run: &Run, at: Timestamp, exit_code: i32, reason: &str) {
        self.outputs.push(Output::Exited { instance: self.restart_count, at, exit_code, reason: reason.to_string() });
        self.state = State::Terminated(Terminated {
            exit_code,
            reason: reason.to_string(),
            started_at: run.started_at,
            finished_at: at,
            container_id: run.container_id.clone(),
        });
    }

    /// Handles the earliest due thing of a running container: exit, OOM or a probe.
    fn run_due(&mut self, ctx: &Context, now: Timestamp, out: &mut Vec<Happening>) -> Option<()> {
        let due = self.wake().filter(|t| *t <= now)?;
        let image = self.image(ctx)?;
        let State::Running(run) = &mut self.state else {
            return None;
        };
        if let Some((at, code)) = run.exit.filter(|(at, _)| *at == due) {
            let run = run.clone();
            self.finish(
                &run,
                at,
                code,
                if code == 0 { "Completed" } else { "Error" },
            );
            return Some(());
        }
        if run.oom_at == Some(due) {
            let run = run.clone();
            self.finish(&run, due, 137, "OOMKilled");
            return Some(());
        }
        let view = AppView {
            image,
            faults: ctx.faults,
            listening: run.listening_at <= due,
            pod_ip: ctx.pod_ip,
        };
        let started = run.started;
        let idx = run
            .workers
            .iter()
            .position(|w| w.next == due && (started || w.probe.kind == ProbeKind::Startup))?;
        let worker = &mut run.workers[idx];
        let result = probes::run(&worker.probe, &self.spec, view);
        if let Err(e) = &result {
            out.push(Happening::warning(
                "Unhealthy",
                format!("{} probe failed: {e}", worker.probe.kind.title()),
            ));
        }
        let kind = worker.probe.kind;
        match (kind, worker.record(result.is_ok(), due)) {
            (ProbeKind::Startup, Verdict::NowPassing) => {
                run.started = true;
                let has_readiness = run
                    .workers
                    .iter()
                    .any(|w| w.probe.kind == ProbeKind::Readiness);
                run.ready = !has_readiness;
                // Liveness and readiness start counting once startup has passed.
                for w in &mut run.workers {
                    if w.probe.kind != ProbeKind::Startup {
                        *w = Worker::new(w.probe.clone(), due);
                    }
                }
            }
            (ProbeKind::Readiness, v) if v != Verdict::Unchanged => {
                run.ready = v == Verdict::NowPassing;
            }
            (ProbeKind::Liveness | ProbeKind::Startup, Verdict::NowFailing) => {
                let which = if kind == ProbeKind::Liveness {
                    "liveness"
                } else {
                    "startup"
                };
                out.push(Happening::normal(
                    "Killing",
                    format!(
                        "Container {} failed {which} probe, will be restarted",
                        self.name
                    ),
                ));
                let stop = image.stop_millis.min(30_000);
                let run = Box::new(run.as_ref().clone());
                self.state = State::Stopping {
                    run,
                    done_at: after(due, stop),
                    exit_code: 137,
                    restart: true,
                };
            }
            _ => {}
        }
        Some(())
    }

    /// Starts a graceful stop (pod deletion): SIGTERM, then SIGKILL after `grace_seconds`.
    pub fn stop(&mut self, ctx: &Context, now: Timestamp, grace_seconds: i64) -> Vec<Happening> {
        match std::mem::replace(&mut self.state, State::Created) {
            State::Running(run) => {
                let stop = self.image(ctx).map_or(0, |i| i.stop_millis);
                let grace = grace_seconds.max(0) * 1000;
                let (millis, code) = if stop <= grace {
                    (stop, 0)
                } else {
                    (grace, 137)
                };
                self.state = State::Stopping {
                    run,
                    done_at: after(now, millis),
                    exit_code: code,
                    restart: false,
                };
                vec![Happening::normal(
                    "Killing",
                    format!("Stopping container {}", self.name),
                )]
            }
            State::Stopping {
                run,
                done_at,
                exit_code,
                ..
            } => {
                self.state = State::Stopping {
                    run,
                    done_at,
                    exit_code,
                    restart: false,
                };
                Vec::new()
            }
            State::Terminated(t) => {
                self.state = State::Terminated(t);
                Vec::new()
            }
            other => {
                // Never started: nothing to stop; keep what it was showing.
                self.state = other;
                Vec::new()
            }
        }
    }

    /// Whether a stop has finished (or there was nothing to stop).
    pub fn stopped(&self) -> bool {
        !matches!(self.state, State::Running(_) | State::Stopping { .. })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn t(s: i64) -> Timestamp {
        Timestamp::from_second(1_767_225_600 + s).unwrap()
    }

    fn ctx<'a>() -> Context<'a> {
        Context {
            pod_ref: "web_default(uid)",
            pod_ip: "10.244.1.2",
            restart_policy: "Always",
            faults: Faults::default(),
            simulate: false,
            image_present: false,
            env: Ok(vec![]),
        }
    }

    fn reasons(h: &[Happening]) -> Vec<&str> {
        h.iter().map(|h| h.reason).collect()
    }

    #[test]
    fn a_new_image_is_pulled_then_started() {
        let mut c = Container::new(&json!({"name": "web", "image": "nginx"}));
        let (ev, wake) = c.step(&ctx(), t(0));
        assert_eq!(reasons(&ev), ["Pulling"]);
        let wake = wake.unwrap();
        let (ev, _) = c.step(&ctx(), wake);
        assert_eq!(reasons(&ev), ["Pulled", "Created", "Started"]);
        assert_eq!(ev[0].message, "Successfully pulled image \"nginx\" in 1.2s (1.2s including waiting). Image size: 72195292 bytes.");
        assert!(c.ready());
    }

    #[test]
    fn a_missing_config_holds_the_container_until_it_appears() {
        let mut c = Container::new(&json!({"name": "web", "image": "nginx"}));
        let mut cx = Context {
            image_present: true,
            env: Err("configmap \"x\" not found".into()),
            ..ctx()
        };
        let (ev, _) = c.step(&cx, t(0));
        assert_eq!(reasons(&ev), ["Pulled", "Failed"]);
        assert!(matches!(c.state, State::ConfigError { .. }));
        assert!(
            c.step(&cx, t(10)).0.is_empty(),
            "no repeated event while nothing changed"
        );
        cx.env = Ok(vec![("A".into(), "1".into())]);
        let (ev, _) = c.step(&cx, t(20));
        assert_eq!(reasons(&ev), ["Created", "Started"]);
        assert_eq!(c.env, vec![("A".to_string(), "1".to_string())]);
    }

    #[test]
    fn never_restarts_nothing() {
        let mut c = Container::new(
            &json!({"name": "job", "image": "busybox", "command": ["sh", "-c", "exit 3"]}),
        );
        let cx = Context {
            restart_policy: "Never",
            image_present: true,
            ..ctx()
        };
        c.step(&cx, t(0));
        c.step(&cx, t(5));
        assert!(
            matches!(&c.state, State::Terminated(t) if t.exit_code == 3 && t.reason == "Error")
        );
        assert_eq!(c.restart_count, 0);
    }
}
