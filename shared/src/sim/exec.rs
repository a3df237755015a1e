//! `kubectl exec` and `attach` as a control plane serves them to the real kubectl: the API
//! server's checks of a request (pod, container, phase, node), and the processes of simulated
//! containers, which answer from the cluster's objects through the simulated [`shell`].
//!
//! Shared by every host of a control plane that serves kubectl: the agent's embedded one and the
//! browser tab answering exec requests its agents relay. Pure: a process's output comes back as
//! [`ExecEvent`]s for the host to deliver, and the host passes the cluster time in.

use super::shell::{self, Cluster, ExecError, ShellSession};
use crate::api::{meta, resources};
use crate::node_protocol::{Channel, StreamOpen};
use jiff::Timestamp;
use serde_json::Value;
use std::collections::HashMap;

/// What a `pods/{name}/exec` (or `attach`) request asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExecRequest {
    pub namespace: String,
    pub pod: String,
    /// `None`: the pod's default container.
    pub container: Option<String>,
    /// Empty for `attach`.
    pub command: Vec<String>,
    pub stdin: bool,
    pub tty: bool,
    /// `attach` to the container's main process rather than running a command.
    pub attach: bool,
}

impl ExecRequest {
    /// The request an agent's exec or attach stream names (an empty container is the pod's
    /// default); `None` for any other stream.
    pub fn of_stream(open: &StreamOpen) -> Option<ExecRequest> {
        let named = |c: &str| (!c.is_empty()).then(|| c.to_string());
        let (namespace, pod, container, command, stdin, tty, attach) = match open {
            StreamOpen::Exec { namespace, pod, container, command, stdin, tty } => {
                (namespace, pod, container, command.clone(), *stdin, *tty, false)
            }
            StreamOpen::Attach { namespace, pod, container, stdin, tty, .. } => {
                (namespace, pod, container, Vec::new(), *stdin, *tty, true)
            }
            _ => return None,
        };
        Some(ExecRequest { namespace: namespace.clone(), pod: pod.clone(), container: named(container), command, stdin, tty, attach })
    }

    /// The stream that runs this request in `container` on an agent (an empty one: the pod's
    /// default, chosen by whoever answers the stream).
    pub fn stream(&self, container: &str) -> StreamOpen {
        let (namespace, pod, container) = (self.namespace.clone(), self.pod.clone(), container.to_string());
        if self.attach {
            StreamOpen::Attach { namespace, pod, container, stdin: self.stdin, stdout: true, stderr: true, tty: self.tty }
        } else {
            StreamOpen::Exec { namespace, pod, container, command: self.command.clone(), stdin: self.stdin, tty: self.tty }
        }
    }
}

/// An exec refused before it starts, as the API server answers it (a `Status`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    pub code: u16,
    pub reason: String,
    pub message: String,
}

impl Refusal {
    pub fn bad_request(message: String) -> Self {
        Self {
            code: 400,
            reason: "BadRequest".into(),
            message,
        }
    }
}

/// The container a request targets, once the API server's checks passed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    pub container: String,
    pub node: String,
}

/// The API server's checks: the pod exists, names the container, is not finished and has a
/// node. Whether the container runs is the node's to say, after the upgrade.
pub fn resolve(cluster: &impl Cluster, request: &ExecRequest) -> Result<Target, Refusal> {
    let pod = resources::by_plural("", "v1", "pods")
        .and_then(|r| cluster.api().get(r, &request.namespace, &request.pod).ok())
        .ok_or_else(|| Refusal {
            code: 404,
            reason: "NotFound".into(),
            message: format!("pods \"{}\" not found", request.pod),
        })?;
    admit(pod, request)
}

/// The checks of [`resolve`] against `pod`, the object as the API serves it.
pub fn admit(pod: &Value, request: &ExecRequest) -> Result<Target, Refusal> {
    let names: Vec<&str> = pod
        .pointer("/spec/containers")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|c| c.get("name").and_then(Value::as_str))
        .collect();
    let container = match &request.container {
        Some(name) => name.clone(),
        None => meta::annotation(pod, "kubectl.kubernetes.io/default-container")
            .or(names.first().copied())
            .unwrap_or_default()
            .to_string(),
    };
    if !names.contains(&container.as_str()) {
        return Err(Refusal::bad_request(format!(
            "container {container} is not valid for pod {}",
            request.pod
        )));
    }
    if let Some(phase @ ("Succeeded" | "Failed")) =
        pod.pointer("/status/phase").and_then(Value::as_str)
    {
        let what = if request.attach {
            "attach to"
        } else {
            "exec into"
        };
        return Err(Refusal::bad_request(format!(
            "cannot {what} a container in a completed pod; current phase is {phase}"
        )));
    }
    let node = pod
        .pointer("/spec/nodeName")
        .and_then(Value::as_str)
        .filter(|n| !n.is_empty())
        .ok_or_else(|| {
            Refusal::bad_request(format!("pod {} does not have a host assigned", request.pod))
        })?;
    Ok(Target {
        container,
        node: node.to_string(),
    })
}

/// What a process did, in order; the last one is `Exited` or `Failed`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ExecEvent {
    Output(Channel, Vec<u8>),
    Exited(i32),
    /// It could not run or was cut off; the text is what kubectl prints after `error: `.
    Failed(String),
}

/// What the client sends a simulated process.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SimInput {
    Stdin(Vec<u8>),
    /// The client closed its stdin.
    StdinEnd,
    /// The client went away.
    Close,
}

/// The text kubectl prints for a refusal of the simulated shell, without its `error: `.
fn failure_text(e: &ExecError) -> String {
    let text = e.to_string();
    text.strip_prefix("error: ").unwrap_or(&text).to_string()
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

/// The output events of one command line.
fn outputs(out: shell::ShellOutput, tty: bool) -> Vec<ExecEvent> {
    [(Channel::Stdout, out.stdout), (Channel::Stderr, out.stderr)]
        .into_iter()
        .filter(|(_, text)| !text.is_empty())
        .map(|(channel, text)| ExecEvent::Output(channel, for_terminal(&text, tty)))
        .collect()
}

/// A shell of a simulated container reading lines from the client (`exec -it … -- sh`, or
/// `exec -i … -- sh` with commands on stdin).
struct LineShell {
    session: ShellSession,
    tty: bool,
    line: Vec<u8>,
}

/// The simulated processes clients are attached to, by an id the host picks.
#[derive(Default)]
pub struct SimulatedExecs {
    shells: HashMap<u64, LineShell>,
}

impl SimulatedExecs {
    /// Starts `request` in the simulated `container` at cluster time `now`, as process `id`.
    /// A process that ends at once (a command, a refusal) returns its last event here.
    pub fn start(
        &mut self,
        cluster: &impl Cluster,
        id: u64,
        request: &ExecRequest,
        container: &str,
        now: Timestamp,
    ) -> Vec<ExecEvent> {
        let (ns, pod) = (request.namespace.as_str(), request.pod.as_str());
        if request.attach {
            // A simulated container's main process prints only its log: nothing to attach to.
            return vec![ExecEvent::Failed(format!(
                "unable to upgrade connection: container {container} in pod {pod} is simulated and has no process to attach to"
            ))];
        }
        if (request.stdin || request.tty) && is_bare_shell(&request.command) {
            return match ShellSession::open(cluster, ns, pod, Some(container), &request.command[0])
            {
                Ok(session) => {
                    let prompt = request
                        .tty
                        .then(|| ExecEvent::Output(Channel::Stdout, session.prompt().into_bytes()));
                    self.shells.insert(
                        id,
                        LineShell {
                            session,
                            tty: request.tty,
                            line: Vec::new(),
                        },
                    );
                    prompt.into_iter().collect()
                }
                Err(e) => vec![ExecEvent::Failed(failure_text(&e))],
            };
        }
        match shell::exec(cluster, ns, pod, Some(container), &request.command, now) {
            Ok(out) => {
                let code = out.exit_code;
                let mut events = outputs(out, request.tty);
                events.push(ExecEvent::Exited(code));
                events
            }
            Err(e) => vec![ExecEvent::Failed(failure_text(&e))],
        }
    }

    /// Whether process `id` still reads input.
    pub fn is_running(&self, id: u64) -> bool {
        self.shells.contains_key(&id)
    }

    /// The client of process `id` went away.
    pub fn close(&mut self, id: u64) {
        self.shells.remove(&id);
    }

    /// Feeds the client's input to process `id` at cluster time `now`.
    pub fn input(
        &mut self,
        cluster: &impl Cluster,
        id: u64,
        input: SimInput,
        now: Timestamp,
    ) -> Vec<ExecEvent> {
        let Some(shell) = self.shells.get_mut(&id) else {
            return Vec::new();
        };
        let mut events = Vec::new();
        let ended = match input {
            SimInput::Stdin(bytes) => shell.typed(cluster, &bytes, now, &mut events),
            SimInput::StdinEnd => {
                let rest = std::mem::take(&mut shell.line);
                if !rest.is_empty() {
                    shell.run(cluster, &rest, now, &mut events);
                }
                Some(shell.session.last_status())
            }
            SimInput::Close => {
                self.close(id);
                return Vec::new();
            }
        };
        if let Some(code) = ended {
            self.shells.remove(&id);
            events.push(ExecEvent::Exited(code));
        }
        events
    }
}

impl LineShell {
    /// Takes typed bytes; a terminal echoes them. `Some(code)` once the shell ended.
    fn typed(
        &mut self,
        cluster: &impl Cluster,
        bytes: &[u8],
        now: Timestamp,
        events: &mut Vec<ExecEvent>,
    ) -> Option<i32> {
        let echo = |events: &mut Vec<ExecEvent>, bytes: &[u8]| {
            events.push(ExecEvent::Output(Channel::Stdout, bytes.to_vec()))
        };
        for &b in bytes {
            match b {
                b'\r' | b'\n' => {
                    if self.tty {
                        echo(events, b"\r\n");
                    }
                    let line = std::mem::take(&mut self.line);
                    self.run(cluster, &line, now, events);
                    if self.session.is_closed() {
                        return Some(self.session.last_status());
                    }
                    if self.tty {
                        echo(events, self.session.prompt().as_bytes());
                    }
                }
                // Ctrl-D on an empty line ends the shell, as it does at a terminal.
                0x04 if self.line.is_empty() => return Some(self.session.last_status()),
                // Ctrl-C drops the line being typed.
                0x03 => {
                    self.line.clear();
                    if self.tty {
                        echo(
                            events,
                            format!("^C\r\n{}", self.session.prompt()).as_bytes(),
                        );
                    }
                }
                0x7f | 0x08 => {
                    if self.line.pop().is_some() && self.tty {
                        echo(events, b"\x08 \x08");
                    }
                }
                _ => {
                    self.line.push(b);
                    if self.tty {
                        echo(events, &[b]);
                    }
                }
            }
        }
        None
    }

    fn run(
        &mut self,
        cluster: &impl Cluster,
        line: &[u8],
        now: Timestamp,
        events: &mut Vec<ExecEvent>,
    ) {
        let out = self
            .session
            .run(cluster, &String::from_utf8_lossy(line), now);
        events.extend(outputs(out, self.tty));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::manifest::apply::apply;
    use crate::sim::nodes::{add_node, NodeSpec};
    use crate::ControlPlane;
    use jiff::SignedDuration;

    const PODS: &str = "apiVersion: v1
kind: Pod
metadata:
  name: web
  annotations:
    kubectl.kubernetes.io/default-container: app
spec:
  containers:
  - name: sidecar
    image: busybox
    command: [\"sleep\", \"infinity\"]
  - name: app
    image: myapp:1.0
---
apiVersion: v1
kind: Pod
metadata:
  name: stuck
spec:
  nodeSelector:
    disk: none
  containers:
  - name: app
    image: nginx
";

    /// A node running `web` (two containers) and `stuck`, which no node takes; the time now.
    fn cluster() -> (ControlPlane, Timestamp) {
        let now: Timestamp = "2026-01-01T00:00:00Z".parse().unwrap();
        let mut cp = ControlPlane::new(3, now);
        let spec = NodeSpec {
            name: "node-1".into(),
            cpu: "4".into(),
            memory: "8Gi".into(),
            pods: 110,
        };
        add_node(cp.api_mut(), &spec, now).unwrap();
        for o in apply(cp.api_mut(), PODS, "default", now).unwrap() {
            assert!(o.result.is_ok(), "{}", o.summary());
        }
        let until = now.checked_add(SignedDuration::from_secs(60)).unwrap();
        let now = cp.run_until(now, until, SignedDuration::from_secs(1));
        (cp, now)
    }

    fn request(pod: &str, container: Option<&str>, command: &[&str]) -> ExecRequest {
        ExecRequest {
            namespace: "default".into(),
            pod: pod.into(),
            container: container.map(str::to_string),
            command: command.iter().map(|c| c.to_string()).collect(),
            stdin: false,
            tty: false,
            attach: false,
        }
    }

    #[test]
    fn a_request_and_its_agent_stream_carry_the_same_exec_or_attach() {
        let exec = request("web", None, &["env"]);
        assert_eq!(ExecRequest::of_stream(&exec.stream("")), Some(exec.clone()), "no container: the default");
        let attach = ExecRequest { attach: true, stdin: true, tty: true, command: Vec::new(), ..request("web", Some("app"), &[]) };
        let open = attach.stream("app");
        assert!(matches!(open, StreamOpen::Attach { stdout: true, stderr: true, .. }));
        assert_eq!(ExecRequest::of_stream(&open), Some(attach));
        assert_eq!(ExecRequest::of_stream(&StreamOpen::PortForward { namespace: "default".into(), pod: "web".into(), port: 80 }), None);
    }

    #[test]
    fn the_api_servers_checks_pick_the_default_container_and_refuse_in_its_words() {
        let (cp, _) = cluster();
        let target = resolve(&cp, &request("web", None, &["env"])).unwrap();
        assert_eq!(
            target,
            Target {
                container: "app".into(),
                node: "node-1".into()
            }
        );
        let refusal = |pod: &str, container: Option<&str>| {
            resolve(&cp, &request(pod, container, &["env"])).unwrap_err()
        };
        assert_eq!(
            refusal("nope", None),
            Refusal {
                code: 404,
                reason: "NotFound".into(),
                message: "pods \"nope\" not found".into()
            }
        );
        assert_eq!(
            refusal("web", Some("db")),
            Refusal::bad_request("container db is not valid for pod web".into())
        );
        assert_eq!(
            refusal("stuck", None),
            Refusal::bad_request("pod stuck does not have a host assigned".into())
        );
    }

    #[test]
    fn a_command_ends_at_once_with_its_output_and_exit_code() {
        let (cp, now) = cluster();
        let mut execs = SimulatedExecs::default();
        let events = execs.start(
            &cp,
            1,
            &request("web", None, &["sh", "-c", "echo $HOSTNAME; exit 2"]),
            "app",
            now,
        );
        assert_eq!(
            events,
            vec![
                ExecEvent::Output(Channel::Stdout, b"web\n".to_vec()),
                ExecEvent::Exited(2)
            ]
        );
        assert!(!execs.is_running(1));
        let events = execs.start(&cp, 2, &request("web", None, &["curl"]), "sidecar", now);
        assert!(
            matches!(&events[..], [ExecEvent::Failed(text)] if text.contains("\"curl\": executable file not found")),
            "{events:?}"
        );
    }

    #[test]
    fn a_terminal_shell_echoes_keys_prompts_and_ends_at_exit() {
        let (cp, now) = cluster();
        let mut execs = SimulatedExecs::default();
        let shell = ExecRequest {
            stdin: true,
            tty: true,
            ..request("web", None, &["sh"])
        };
        let prompt = execs.start(&cp, 7, &shell, "app", now);
        let [ExecEvent::Output(Channel::Stdout, prompt)] = &prompt[..] else {
            panic!("{prompt:?}")
        };
        let prompt = String::from_utf8_lossy(prompt).into_owned();
        assert!(execs.is_running(7));
        let typed = execs.input(&cp, 7, SimInput::Stdin(b"echo a\r".to_vec()), now);
        let shown: Vec<u8> = typed
            .iter()
            .flat_map(|e| match e {
                ExecEvent::Output(_, bytes) => bytes.clone(),
                _ => Vec::new(),
            })
            .collect();
        assert_eq!(
            String::from_utf8_lossy(&shown),
            format!("echo a\r\na\r\n{prompt}")
        );
        assert_eq!(
            execs
                .input(&cp, 7, SimInput::Stdin(b"exit 5\r".to_vec()), now)
                .last(),
            Some(&ExecEvent::Exited(5))
        );
        assert!(!execs.is_running(7));
        assert_eq!(
            execs.input(&cp, 7, SimInput::StdinEnd, now),
            vec![],
            "a finished shell reads nothing"
        );
    }

    #[test]
    fn a_simulated_container_has_no_process_to_attach_to() {
        let (cp, now) = cluster();
        let attach = ExecRequest {
            attach: true,
            ..request("web", None, &[])
        };
        let events = SimulatedExecs::default().start(&cp, 1, &attach, "app", now);
        assert!(
            matches!(&events[..], [ExecEvent::Failed(text)] if text.contains("is simulated and has no process to attach to")),
            "{events:?}"
        );
    }
}
