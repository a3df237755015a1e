//! The terminals' side of the worker: one kubectl session per terminal, its running follows
//! (`get -w`, `logs -f`, `rollout status`) and its `exec -it` shell, turned into protocol
//! messages. Pure: the control plane and the host's time come in with every call.

use crate::protocol::{CallId, FileEntry, FromWorker, Reply};
use kubeplay_shared::kubectl::{self, Follow, Local, Shell};
use kubeplay_shared::sim::shell::ShellSession;
use kubeplay_shared::{ControlPlane, Timestamp};
use std::collections::{BTreeMap, HashMap};

/// One terminal's state between lines.
#[derive(Default)]
struct Terminal {
    kubectl: kubectl::Session,
    /// The container shell `kubectl exec -it` opened; lines go to it until it exits.
    shell: Option<ShellSession>,
}

/// Every terminal of the page, by the session name the UI gave it.
#[derive(Default)]
pub struct Terminals {
    terminals: HashMap<String, Terminal>,
    /// Calls still printing, in the order they started.
    follows: Vec<(CallId, Follow)>,
    /// An `exec -i[t]` into a pod on an agent's node, for the host to open there.
    remote: Option<kubectl::Interactive>,
    /// A `port-forward` to a pod on an agent's node, for the host to ask that agent for.
    forward: Option<kubectl::ForwardRequest>,
}

/// What a line printed, as messages for the UI: output chunks, then a reply unless it follows.
fn printed(id: CallId, stdout: String, stderr: String, out: &mut Vec<FromWorker>) {
    if !stdout.is_empty() {
        out.push(FromWorker::Output { id, text: stdout, stderr: false });
    }
    if !stderr.is_empty() {
        out.push(FromWorker::Output { id, text: stderr, stderr: true });
    }
}

fn file_tree(files: &[FileEntry]) -> BTreeMap<String, String> {
    files
        .iter()
        .map(|f| (f.path.clone(), f.content.clone()))
        .collect()
}

fn done(id: CallId, exit_code: i32, prompt: Option<String>) -> FromWorker {
    FromWorker::Reply { id, reply: Reply::Done { exit_code, prompt } }
}

impl Terminals {
    /// Runs one line typed in terminal `session` as call `id`.
    /// `shell` runs `kubectl exec` commands (the host's: simulated or an agent's).
    #[allow(clippy::too_many_arguments)]
    pub fn run(&mut self, cp: &mut ControlPlane, shell: &mut dyn Shell, session: &str, line: &str, files: &[FileEntry], id: CallId, now: Timestamp) -> Vec<FromWorker> {
        let mut out = Vec::new();
        let terminal = self.terminals.entry(session.to_string()).or_default();
        let cluster_now = cp.clock().cluster_time(now);
        if let Some(shell) = &mut terminal.shell {
            let result = shell.run(cp.api(), line, cluster_now);
            printed(id, result.stdout, result.stderr, &mut out);
            let prompt = (!shell.is_closed()).then(|| shell.prompt());
            if prompt.is_none() {
                terminal.shell = None;
            }
            out.push(done(id, result.exit_code, prompt));
            return out;
        }
        let tree = file_tree(files);
        let outcome = {
            let mut transport = Local::new(cp, now);
            terminal.kubectl.run(&mut transport, line, &tree, shell, cluster_now)
        };
        printed(id, outcome.stdout, outcome.stderr, &mut out);
        if let Some(interactive) = outcome.interactive {
            let target = &interactive.target;
            if super::agents::agent_node_of(cp.api(), &target.pod_object).is_some() {
                // A real container: the host opens the shell on the agent and answers.
                self.remote = Some(interactive);
                return out;
            }
            let program = interactive.argv.first().map_or("sh", String::as_str);
            match ShellSession::open(cp.api(), &target.namespace, &target.pod, Some(&target.container), program) {
                Ok(shell) => {
                    let prompt = shell.prompt();
                    terminal.shell = Some(shell);
                    out.push(done(id, 0, Some(prompt)));
                }
                Err(err) => {
                    out.push(FromWorker::Output { id, text: format!("{err}\n"), stderr: true });
                    out.push(done(id, 1, None));
                }
            }
            return out;
        }
        if let Some(request) = outcome.port_forward {
            // Runs until Ctrl+C: the host answers when the agent's listeners end.
            self.forward = Some(request);
            return out;
        }
        match outcome.follow {
            Some(follow) => self.follows.push((id, follow)),
            None => out.push(done(id, outcome.exit_code, None)),
        }
        out
    }

    /// Tab completion of `line` in terminal `session`.
    pub fn complete(&mut self, cp: &mut ControlPlane, session: &str, line: &str, now: Timestamp) -> Vec<String> {
        let terminal = self.terminals.entry(session.to_string()).or_default();
        if terminal.shell.is_some() {
            return Vec::new();
        }
        let mut transport = Local::new(cp, now);
        kubectl::complete(&mut terminal.kubectl, &mut transport, line, line.len(), &kubectl::NoFiles)
    }

    /// What the running follows printed since the last poll; finished ones are answered.
    pub fn poll(&mut self, cp: &mut ControlPlane, now: Timestamp) -> Vec<FromWorker> {
        let mut out = Vec::new();
        let cluster_now = cp.clock().cluster_time(now);
        let mut transport = Local::new(cp, now);
        self.follows.retain_mut(|(id, follow)| {
            let polled = follow.poll(&mut transport, cluster_now);
            printed(*id, polled.stdout, polled.stderr, &mut out);
            if polled.finished {
                out.push(done(*id, polled.exit_code, None));
            }
            !polled.finished
        });
        out
    }

    /// Ctrl-C on call `id`: the follow stops and is answered (kubectl's exit code on SIGINT).
    pub fn cancel(&mut self, cp: &mut ControlPlane, id: CallId, now: Timestamp) -> Vec<FromWorker> {
        let Some(at) = self.follows.iter().position(|(f, _)| *f == id) else {
            return Vec::new();
        };
        let (_, follow) = self.follows.remove(at);
        follow.stop(&mut Local::new(cp, now));
        vec![done(id, 130, None)]
    }

    /// The `exec -it` the last line asked the host to open on an agent.
    pub fn take_remote(&mut self) -> Option<kubectl::Interactive> {
        self.remote.take()
    }

    /// The port-forward the last line asked the host to start on an agent.
    pub fn take_forward(&mut self) -> Option<kubectl::ForwardRequest> {
        self.forward.take()
    }

    pub fn is_following(&self) -> bool {
        !self.follows.is_empty()
    }
}
