//! The shell of a simulated container: what `kubectl exec -it pod -- sh` and
//! `kubectl exec pod -- env` run against pods of the offline cluster.
//!
//! Everything it shows comes from the API (the pod, its ConfigMaps, Secrets,
//! Services, Endpoints), so what a learner finds inside a pod matches `kubectl get`.
//! Refusals are worded as kubectl and the kubelet word them.

mod clients;
mod commands;
pub mod environment;
pub mod files;
mod filters;
pub mod http;
pub mod words;

use crate::api::{meta, resources};
use crate::apiserver::ApiServer;
use crate::sim::images::{self, Image, Program, SIMULATE_ANNOTATION};
use crate::ControlPlane;
use jiff::Timestamp;
use serde_json::Value;
use std::collections::BTreeMap;

/// What one command line printed and how it ended.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ShellOutput {
    pub stdout: String,
    pub stderr: String,
    pub exit_code: i32,
}

/// Why an exec cannot start, in the words kubectl prints (exit code 1).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ExecError {
    #[error("Error from server (NotFound): pods \"{0}\" not found")]
    PodNotFound(String),
    /// The API server checks `-c` against the pod spec.
    #[error("Error from server (BadRequest): container {container} is not valid for pod {pod}")]
    InvalidContainer { pod: String, container: String },
    /// kubectl refuses finished pods itself.
    #[error("error: cannot exec into a container in a completed pod; current phase is {0}")]
    Completed(String),
    /// No node runs the pod yet (it is Pending unscheduled, or its node is gone).
    #[error("error: unable to upgrade connection: pod does not exist")]
    PodNotRunning,
    /// The kubelet has no running container of that name (waiting, crashed, terminated).
    #[error("error: unable to upgrade connection: container not found (\"{0}\")")]
    ContainerNotRunning(String),
    /// The container runtime cannot find the program.
    #[error("error: Internal error occurred: error executing command in container: failed to exec in container: failed to start exec \"{exec_id}\": OCI runtime exec failed: exec failed: unable to start container process: exec: \"{program}\": executable file not found in $PATH: unknown")]
    NotFound { exec_id: String, program: String },
}

/// What a shell in a pod reads: the API, and what only the node running the pod
/// knows. A bare [`ApiServer`] resolves a container's environment from the API as
/// it is now; a [`ControlPlane`] asks the simulated kubelet what the container
/// was started with, so an edited ConfigMap shows in mounted files but not in `env`.
pub trait Cluster {
    fn api(&self) -> &ApiServer;
    /// The environment the container was started with, if the node keeps it.
    fn started_env(&self, _namespace: &str, _pod: &str, _container: &str) -> Option<Vec<(String, String)>> {
        None
    }
}

impl Cluster for ApiServer {
    fn api(&self) -> &ApiServer {
        self
    }
}

impl Cluster for ControlPlane {
    fn api(&self) -> &ApiServer {
        ControlPlane::api(self)
    }

    fn started_env(&self, namespace: &str, pod: &str, container: &str) -> Option<Vec<(String, String)>> {
        ControlPlane::started_env(self, namespace, pod, container)
    }
}

/// Which shell is talking: bash and busybox's ash word their complaints differently.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    Bash,
    Sh,
}

impl Dialect {
    pub fn name(self) -> &'static str {
        match self {
            Self::Bash => "bash",
            Self::Sh => "sh",
        }
    }
}

/// The container an exec targets and what it runs.
#[derive(Debug, Clone)]
struct Target {
    pod: Value,
    container: Value,
    image: Option<&'static Image>,
    /// The environment the container started with, when the node tells.
    started_env: Option<Vec<(String, String)>>,
    /// When the running instance of the container started.
    started_at: String,
}

impl Target {
    /// Whether the image's userland is busybox: the busybox image, and myapp,
    /// which the demo image builds on busybox with a `bash` that runs busybox's `sh`.
    fn busybox(&self) -> bool {
        self.image.is_some_and(|i| i.program == Program::Shell || i.repository == "myapp")
    }

    /// Whether the image has a program: busybox has no bash (myapp's is a shim)
    /// and no curl; the Debian-based images have both.
    fn has_program(&self, program: &str) -> bool {
        let name = program.rsplit('/').next().unwrap_or(program);
        let myapp = self.image.is_some_and(|i| i.repository == "myapp");
        match name {
            "bash" => !self.busybox() || myapp,
            "curl" => !self.busybox(),
            _ => commands::BUILTINS.contains(&name),
        }
    }

    /// The shell `program` really is: myapp's bash is busybox's sh.
    fn dialect(&self, program: &str) -> Dialect {
        let name = program.rsplit('/').next().unwrap_or(program);
        if name == "bash" && !self.busybox() {
            Dialect::Bash
        } else {
            Dialect::Sh
        }
    }
}

fn pods_resource() -> Option<&'static resources::Resource> {
    resources::by_plural("", "v1", "pods")
}

/// Finds the pod and checks the container can take an exec, as the API server,
/// kubectl and the kubelet do in turn. `container: None` means the default one.
fn target(cluster: &impl Cluster, namespace: &str, pod: &str, container: Option<&str>) -> Result<Target, ExecError> {
    let api = cluster.api();
    let p = pods_resource()
        .and_then(|r| api.get(r, namespace, pod).ok())
        .map(|p| (**p).clone())
        .ok_or_else(|| ExecError::PodNotFound(pod.to_string()))?;
    let containers = p.pointer("/spec/containers").and_then(Value::as_array).cloned().unwrap_or_default();
    let default = meta::annotation(&p, "kubectl.kubernetes.io/default-container")
        .map(str::to_string)
        .or_else(|| containers.first().and_then(|c| c.get("name")).and_then(Value::as_str).map(str::to_string))
        .unwrap_or_default();
    let name = container.map_or(default, str::to_string);
    let spec = containers
        .iter()
        .find(|c| c.get("name").and_then(Value::as_str) == Some(name.as_str()))
        .cloned()
        .ok_or_else(|| ExecError::InvalidContainer { pod: pod.to_string(), container: name.clone() })?;
    if let Some(phase @ ("Succeeded" | "Failed")) = p.pointer("/status/phase").and_then(Value::as_str) {
        return Err(ExecError::Completed(phase.to_string()));
    }
    if p.pointer("/spec/nodeName").and_then(Value::as_str).is_none_or(str::is_empty) {
        return Err(ExecError::PodNotRunning);
    }
    let started_at = p
        .pointer("/status/containerStatuses")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .find(|s| s.get("name").and_then(Value::as_str) == Some(name.as_str()))
        .and_then(|s| s.pointer("/state/running/startedAt"))
        .and_then(Value::as_str)
        .map(str::to_string);
    let Some(started_at) = started_at else {
        return Err(ExecError::ContainerNotRunning(name));
    };
    let simulate = meta::annotation(&p, SIMULATE_ANNOTATION) == Some("true");
    let image = spec.get("image").and_then(Value::as_str).and_then(|i| images::lookup(i, simulate));
    let started_env = cluster.started_env(namespace, pod, &name);
    Ok(Target { pod: p, container: spec, image, started_env, started_at })
}

/// An interactive shell in a container (`kubectl exec -it pod -- sh`).
#[derive(Debug, Clone)]
pub struct ShellSession {
    namespace: String,
    pod: String,
    container: String,
    dialect: Dialect,
    cwd: String,
    /// Variables set in this shell (`export X=1`, `X=1`), over the container's environment.
    vars: BTreeMap<String, String>,
    /// Files this shell wrote, which live as long as the container's filesystem would.
    written: BTreeMap<String, String>,
    last_status: i32,
    closed: bool,
    /// Requests made so far, which varies kube-proxy's pick between requests.
    requests: u64,
    /// The container instance the shell runs in: a restart kills the shell with it.
    instance: String,
}

impl ShellSession {
    /// Opens `program` (`sh`, `/bin/sh`, `bash`) in a container, or says why not.
    pub fn open(cluster: &impl Cluster, namespace: &str, pod: &str, container: Option<&str>, program: &str) -> Result<ShellSession, ExecError> {
        let t = target(cluster, namespace, pod, container)?;
        let base = program.rsplit('/').next().unwrap_or(program);
        if !matches!(base, "sh" | "bash") || !t.has_program(base) {
            return Err(not_found(&t, program));
        }
        let name = t.container.get("name").and_then(Value::as_str).unwrap_or("").to_string();
        let cwd = files::workdir(t.image, &t.container);
        Ok(ShellSession {
            namespace: namespace.to_string(),
            pod: pod.to_string(),
            container: name,
            dialect: t.dialect(base),
            cwd,
            vars: BTreeMap::new(),
            written: BTreeMap::new(),
            last_status: 0,
            closed: false,
            requests: 0,
            instance: t.started_at.clone(),
        })
    }

    /// The container the session runs in.
    pub fn container(&self) -> &str {
        &self.container
    }

    /// Whether `exit` ended the shell (or its container stopped under it).
    pub fn is_closed(&self) -> bool {
        self.closed
    }

    /// The exit status of the last line run (what `exit` with no code returns).
    pub fn last_status(&self) -> i32 {
        self.last_status
    }

    /// The prompt the shell shows before the next line.
    pub fn prompt(&self) -> String {
        match self.dialect {
            Dialect::Bash => format!("root@{}:{}# ", self.pod, self.cwd),
            Dialect::Sh => format!("{} # ", self.cwd),
        }
    }

    /// Runs one line typed at the prompt at cluster time `now`.
    pub fn run(&mut self, cluster: &impl Cluster, line: &str, now: Timestamp) -> ShellOutput {
        if self.closed {
            return ShellOutput { exit_code: self.last_status, ..ShellOutput::default() };
        }
        let t = target(cluster, &self.namespace, &self.pod, Some(&self.container)).ok().filter(|t| t.started_at == self.instance);
        let Some(t) = t else {
            // The container stopped or restarted under the shell, which was killed with it.
            self.closed = true;
            self.last_status = 137;
            return ShellOutput { exit_code: 137, ..ShellOutput::default() };
        };
        let mut run = commands::Run::new(cluster.api(), &t, self, now);
        let out = run.line(line);
        self.last_status = out.exit_code;
        out
    }
}

fn not_found(t: &Target, program: &str) -> ExecError {
    ExecError::NotFound {
        exec_id: images::digest(&format!("{}{program}", meta::uid(&t.pod))),
        program: program.to_string(),
    }
}

/// Runs one command in a container without a terminal (`kubectl exec pod -- env`):
/// `argv` is run as is, without a shell, unless it is `sh -c '…'`.
pub fn exec(
    cluster: &impl Cluster,
    namespace: &str,
    pod: &str,
    container: Option<&str>,
    argv: &[String],
    now: Timestamp,
) -> Result<ShellOutput, ExecError> {
    let t = target(cluster, namespace, pod, container)?;
    let Some(program) = argv.first() else {
        return Err(not_found(&t, ""));
    };
    if !t.has_program(program) {
        return Err(not_found(&t, program));
    }
    let base = program.rsplit('/').next().unwrap_or(program);
    let mut session = ShellSession {
        namespace: namespace.to_string(),
        pod: pod.to_string(),
        container: t.container.get("name").and_then(Value::as_str).unwrap_or("").to_string(),
        dialect: t.dialect(base),
        cwd: files::workdir(t.image, &t.container),
        vars: BTreeMap::new(),
        written: BTreeMap::new(),
        last_status: 0,
        closed: false,
        requests: 0,
        instance: t.started_at.clone(),
    };
    let mut run = commands::Run::new(cluster.api(), &t, &mut session, now);
    Ok(run.argv(argv))
}

#[cfg(test)]
mod tests;
