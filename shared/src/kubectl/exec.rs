//! `kubectl exec`: kubectl finds the pod and container and checks they can run a
//! command; the command itself runs in a [`Shell`] the host provides (the
//! simulated shell for simulated pods, an agent for real ones).

use super::client::{Client, CmdError, CmdResult};
use super::flags::Parsed;
use super::transport::Transport;
use jiff::Timestamp;
use serde_json::Value;

/// Where a command runs.
#[derive(Debug, Clone, PartialEq)]
pub struct ExecTarget {
    pub namespace: String,
    pub pod: String,
    pub container: String,
    /// The pod as the API returned it (its spec gives the shell env and mounts).
    pub pod_object: Value,
}

/// What one command printed and how it ended (the simulated shell's own type).
pub use crate::sim::shell::ShellOutput;

/// A shell inside a container, provided by the host.
///
/// `kubectl exec pod -- env` calls [`Shell::run`] once. `kubectl exec -it pod -- sh`
/// returns an [`super::Outcome`] whose `interactive` names the target and the
/// program; the terminal then hands each line the user types to the host's
/// shell for that target until it exits.
pub trait Shell {
    /// Runs `argv` (e.g. `["env"]`, `["sh", "-c", "ls /"]`) in the target container.
    fn run(&mut self, transport: &mut dyn Transport, target: &ExecTarget, argv: &[String], now: Timestamp) -> ShellOutput;
}

/// A host without shells: every command fails as a runtime without the binary would.
pub struct NoShell;

impl Shell for NoShell {
    fn run(&mut self, _: &mut dyn Transport, _: &ExecTarget, argv: &[String], _: Timestamp) -> ShellOutput {
        let program = argv.first().map_or("", String::as_str);
        ShellOutput {
            stdout: String::new(),
            stderr: format!(
                "error: Internal error occurred: error executing command in container: failed to exec in container: exec: \"{program}\": executable file not found in $PATH\n"
            ),
            exit_code: 1,
        }
    }
}

/// The shell of the simulated containers ([`crate::sim::shell`]), for clusters
/// whose API server runs in this process. For `exec -it`, the terminal opens
/// a [`crate::sim::shell::ShellSession`] on the [`Interactive`] target.
pub struct SimShell;

impl Shell for SimShell {
    fn run(&mut self, transport: &mut dyn Transport, target: &ExecTarget, argv: &[String], now: Timestamp) -> ShellOutput {
        let Some(api) = transport.local_api() else {
            return ShellOutput {
                stderr: "error: unable to upgrade connection: this pod's node is not simulated in this page\n".into(),
                exit_code: 1,
                ..ShellOutput::default()
            };
        };
        match crate::sim::shell::exec(api, &target.namespace, &target.pod, Some(&target.container), argv, now) {
            Ok(out) => out,
            Err(e) => ShellOutput { stderr: format!("{e}\n"), exit_code: 1, ..ShellOutput::default() },
        }
    }
}

/// An interactive session the terminal should open.
#[derive(Debug, Clone, PartialEq)]
pub struct Interactive {
    pub target: ExecTarget,
    pub argv: Vec<String>,
    pub tty: bool,
}

/// Finds the target of `kubectl exec [-it] pod [-c container] -- cmd…`, with kubectl's errors.
pub fn target(client: &mut Client, namespace: &str, p: &Parsed, pod_path: &str) -> CmdResult<(ExecTarget, Vec<String>)> {
    let argv = match &p.after_dash {
        Some(a) if !a.is_empty() => a.clone(),
        _ if p.args.len() > 1 => p.args[1..].to_vec(),
        _ => return Err(CmdError::usage("you must specify at least one command for the container")),
    };
    let pod = client.get(pod_path)?;
    let name = pod.pointer("/metadata/name").and_then(Value::as_str).unwrap_or("").to_string();
    let phase = pod.pointer("/status/phase").and_then(Value::as_str).unwrap_or("");
    if phase == "Succeeded" || phase == "Failed" {
        return Err(CmdError::usage(format!("cannot exec into a container in a completed pod; current phase is {phase}")));
    }
    let containers: Vec<String> = pod
        .pointer("/spec/containers")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|c| c.get("name").and_then(Value::as_str).map(str::to_string))
        .collect();
    let container = match p.get("container") {
        Some(c) if containers.iter().any(|x| x == c) => c.to_string(),
        // The API server checks the name against the pod spec.
        Some(c) => return Err(CmdError::Server { reason: "BadRequest".into(), message: format!("container {c} is not valid for pod {name}") }),
        None => pod
            .pointer("/metadata/annotations/kubectl.kubernetes.io~1default-container")
            .and_then(Value::as_str)
            .map(str::to_string)
            .or_else(|| containers.first().cloned())
            .ok_or_else(|| CmdError::usage(format!("pod {name} does not have a container")))?,
    };
    let running = pod
        .pointer("/status/containerStatuses")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .any(|s| s.get("name").and_then(Value::as_str) == Some(container.as_str()) && s.pointer("/state/running").is_some());
    if !running {
        return Err(CmdError::usage(format!("unable to upgrade connection: container not found (\"{container}\")")));
    }
    Ok((ExecTarget { namespace: namespace.to_string(), pod: name, container, pod_object: pod }, argv))
}
