//! `kubectl exec` and `attach` as the embedded control plane runs them: the API server's checks
//! against the cluster's pod, and the shell of simulated containers, which answers on the
//! control plane's thread because it reads the cluster's objects.
//!
//! Pods on this machine's node go to the agent's Docker through the node link instead
//! ([`super::local_node`]); both kinds end in the same [`ExecEvent`]s for the gateway.

use crate::exec::admission::{self, Target};
use crate::exec::{ExecEvent, ExecInput, ExecRefusal, ExecSpec};
use kubeplay_shared::api::resources;
use kubeplay_shared::node_protocol::{Channel, StreamId};
use kubeplay_shared::sim::shell::{self, ExecError, ShellSession};
use kubeplay_shared::{ControlPlane, Timestamp};
use std::collections::HashMap;
use tokio::sync::mpsc;

/// Which process an input is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ExecId {
    /// A stream of the local node's link.
    Local(StreamId),
    Simulated(u64),
}

/// The API server's checks of `spec` against the pod in this cluster ([`admission`]).
pub fn resolve(cp: &ControlPlane, spec: &ExecSpec) -> Result<Target, ExecRefusal> {
    let pod = resources::by_plural("", "v1", "pods")
        .and_then(|r| cp.api().get(r, &spec.namespace, &spec.pod).ok())
        .ok_or_else(|| ExecRefusal::pod_not_found(&spec.pod))?;
    admission::admit(pod, spec)
}

/// The text kubectl prints for a refusal of the simulated shell, without its `error: `.
fn failure_text(e: &ExecError) -> String {
    let text = e.to_string();
    text.strip_prefix("error: ").unwrap_or(&text).to_string()
}

/// A shell of a simulated container reading lines from the client (`exec -it … -- sh`, or
/// `exec -i … -- sh` with commands on stdin).
struct LineShell {
    session: ShellSession,
    tty: bool,
    line: Vec<u8>,
    events: mpsc::UnboundedSender<ExecEvent>,
}

/// The simulated processes clients are attached to.
#[derive(Default)]
pub struct SimulatedExecs {
    next: u64,
    shells: HashMap<u64, LineShell>,
}

/// Whether `command` is a shell started without a script: it reads its commands from stdin.
fn is_bare_shell(command: &[String]) -> bool {
    match command {
        [program] => matches!(program.rsplit('/').next(), Some("sh" | "bash")),
        _ => false,
    }
}

/// Output for a terminal: the pty turns `\n` into `\r\n`.
fn for_terminal(text: &str, tty: bool) -> Vec<u8> {
    if tty {
        text.replace('\n', "\r\n").into_bytes()
    } else {
        text.as_bytes().to_vec()
    }
}

impl SimulatedExecs {
    /// Starts `spec` in a simulated container; the events go to `events`.
    pub fn start(
        &mut self,
        cp: &ControlPlane,
        spec: &ExecSpec,
        container: &str,
        events: mpsc::UnboundedSender<ExecEvent>,
    ) -> ExecId {
        let id = self.next;
        self.next += 1;
        let now = cp.clock().cluster_time(Timestamp::now());
        let (ns, pod) = (spec.namespace.as_str(), spec.pod.as_str());
        if spec.attach {
            // A simulated container's main process prints only its log: nothing to attach to.
            let _ = events.send(ExecEvent::Failed(format!(
                "unable to upgrade connection: container {container} in pod {pod} is simulated and has no process to attach to"
            )));
            return ExecId::Simulated(id);
        }
        if (spec.stdin || spec.tty) && is_bare_shell(&spec.command) {
            match ShellSession::open(cp, ns, pod, Some(container), &spec.command[0]) {
                Ok(session) => {
                    if spec.tty {
                        let prompt = session.prompt().into_bytes();
                        let _ = events.send(ExecEvent::Output(Channel::Stdout, prompt));
                    }
                    self.shells.insert(
                        id,
                        LineShell {
                            session,
                            tty: spec.tty,
                            line: Vec::new(),
                            events,
                        },
                    );
                }
                Err(e) => {
                    let _ = events.send(ExecEvent::Failed(failure_text(&e)));
                }
            }
            return ExecId::Simulated(id);
        }
        match shell::exec(cp, ns, pod, Some(container), &spec.command, now) {
            Ok(out) => {
                for (channel, text) in
                    [(Channel::Stdout, out.stdout), (Channel::Stderr, out.stderr)]
                {
                    if !text.is_empty() {
                        let bytes = for_terminal(&text, spec.tty);
                        let _ = events.send(ExecEvent::Output(channel, bytes));
                    }
                }
                let _ = events.send(ExecEvent::Exited(out.exit_code));
            }
            Err(e) => {
                let _ = events.send(ExecEvent::Failed(failure_text(&e)));
            }
        }
        ExecId::Simulated(id)
    }

    /// Feeds the client's input to the shell `id`.
    pub fn input(&mut self, cp: &ControlPlane, id: u64, input: ExecInput) {
        let Some(shell) = self.shells.get_mut(&id) else {
            return;
        };
        let ended = match input {
            ExecInput::Stdin(bytes) => shell.typed(cp, &bytes),
            ExecInput::StdinEnd => {
                let rest = std::mem::take(&mut shell.line);
                if !rest.is_empty() {
                    shell.run(cp, &rest);
                }
                Some(shell.exit_code())
            }
            ExecInput::Close => {
                self.shells.remove(&id);
                return;
            }
            ExecInput::Resize { .. } | ExecInput::Consumed(_) => None,
        };
        if let Some(code) = ended {
            if let Some(shell) = self.shells.remove(&id) {
                let _ = shell.events.send(ExecEvent::Exited(code));
            }
        }
    }
}

impl LineShell {
    fn exit_code(&self) -> i32 {
        self.session.last_status()
    }

    /// Takes typed bytes; a terminal echoes them. `Some(code)` once the shell ended.
    fn typed(&mut self, cp: &ControlPlane, bytes: &[u8]) -> Option<i32> {
        for &b in bytes {
            match b {
                b'\r' | b'\n' => {
                    if self.tty {
                        self.echo(b"\r\n");
                    }
                    let line = std::mem::take(&mut self.line);
                    self.run(cp, &line);
                    if self.session.is_closed() {
                        return Some(self.exit_code());
                    }
                    if self.tty {
                        let prompt = self.session.prompt().into_bytes();
                        self.echo(&prompt);
                    }
                }
                // Ctrl-D on an empty line ends the shell, as it does at a terminal.
                0x04 if self.line.is_empty() => return Some(self.exit_code()),
                // Ctrl-C drops the line being typed.
                0x03 => {
                    self.line.clear();
                    if self.tty {
                        let prompt = format!("^C\r\n{}", self.session.prompt()).into_bytes();
                        self.echo(&prompt);
                    }
                }
                0x7f | 0x08 => {
                    if self.line.pop().is_some() && self.tty {
                        self.echo(b"\x08 \x08");
                    }
                }
                _ => {
                    self.line.push(b);
                    if self.tty {
                        self.echo(&[b]);
                    }
                }
            }
        }
        None
    }

    fn echo(&self, bytes: &[u8]) {
        let _ = self
            .events
            .send(ExecEvent::Output(Channel::Stdout, bytes.to_vec()));
    }

    fn run(&mut self, cp: &ControlPlane, line: &[u8]) {
        let now = cp.clock().cluster_time(Timestamp::now());
        let out = self.session.run(cp, &String::from_utf8_lossy(line), now);
        let channels = [(Channel::Stdout, out.stdout), (Channel::Stderr, out.stderr)];
        for (channel, text) in channels {
            if !text.is_empty() {
                let bytes = for_terminal(&text, self.tty);
                let _ = self.events.send(ExecEvent::Output(channel, bytes));
            }
        }
    }
}
