//! A control plane hosted inside the agent (`run --embedded-control-plane`): the same `shared`
//! core the page runs, driven by the wall clock, for kubectl-only use, headless demos and tests.
//!
//! The core is pure and single-threaded (its controllers are not `Send`), so it lives on a
//! thread of its own and everything else sends it commands. Between commands the thread runs
//! the controllers when they asked to be woken; every change of the store's revision is
//! published so watch and log streams know when to look again.
//!
//! Unless `--no-local-node`, the thread also hosts the node link of this machine's own agent
//! ([`local_node`], connected by [`loopback`]), and it runs `kubectl exec` for the gateway:
//! over that link for pods on this machine, in the simulated shell for the others ([`exec`]).

mod exec;
mod local_node;
mod log_tails;
pub mod loopback;

use crate::exec::{ExecEvent, ExecHandle, ExecInput, ExecRefusal, ExecSpec};
use exec::{ExecId, SimulatedExecs};
use kubeplay_shared::apiserver::{Request, Response, WatchId};
use kubeplay_shared::node_link::registration::is_agent;
use kubeplay_shared::node_protocol::{FromAgent, RelayKey, ToAgent};
use kubeplay_shared::sim::nodes::{add_node, NodeSpec};
use kubeplay_shared::{ControlPlane, Timestamp};
use local_node::LocalNode;
use serde_json::Value;
use std::sync::mpsc::{self, RecvTimeoutError};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{mpsc as async_mpsc, oneshot, watch};

/// Longest the controllers go without running, so clocks in status and bookmarks stay fresh.
const MAX_SLEEP: Duration = Duration::from_secs(1);
/// Shortest pause between runs, so a controller asking for "now" again cannot spin.
const MIN_SLEEP: Duration = Duration::from_millis(10);

/// The simulated nodes `--simulated-nodes N` adds: laptop-sized, named as the page names its own.
pub fn simulated_nodes(count: u32) -> Vec<NodeSpec> {
    (1..=count)
        .map(|i| NodeSpec {
            name: format!("node-{i}"),
            cpu: "4".into(),
            memory: "8Gi".into(),
            pods: 110,
        })
        .collect()
}

/// What the control plane's thread is asked to do.
enum Command {
    Handle(Box<Request>, oneshot::Sender<Response>),
    PollWatch(WatchId, oneshot::Sender<Vec<Value>>),
    CloseWatch(WatchId),
    /// The local node's socket opened: messages for its agent go to the sender.
    LinkUp(async_mpsc::UnboundedSender<ToAgent>),
    LinkDown,
    FromAgent(Box<FromAgent>),
    /// Checks an exec and, given where its events go, starts it.
    StartExec {
        spec: Box<ExecSpec>,
        events: Option<async_mpsc::UnboundedSender<ExecEvent>>,
        reply: oneshot::Sender<Result<Option<ExecId>, ExecRefusal>>,
    },
    ExecInput(ExecId, ExecInput),
    #[cfg(test)]
    OpenWatches(oneshot::Sender<usize>),
}

/// A handle on the control plane's thread; the thread ends when the last handle goes.
pub struct EmbeddedControlPlane {
    commands: mpsc::Sender<Command>,
    /// The store's revision after the last change: watch and log streams wait on it.
    revision: Arc<watch::Sender<u64>>,
    /// Drawn at start and given to the local node's agent at registration.
    relay_key: RelayKey,
}

impl EmbeddedControlPlane {
    /// A fresh cluster with `nodes` simulated nodes, running on its own thread from now on.
    pub fn start(seed: u64, nodes: &[NodeSpec]) -> Result<Arc<Self>, String> {
        let relay_key = kubeplay_agent::network::relay::random_key()
            .map_err(|e| format!("no random relay key: {e}"))?;
        let nodes = nodes.to_vec();
        let revision = Arc::new(watch::channel(0).0);
        let (commands, rx) = mpsc::channel();
        let (started_tx, started) = mpsc::channel();
        let published = Arc::clone(&revision);
        // The core is built on its thread: it may not cross threads.
        std::thread::Builder::new()
            .name("control-plane".into())
            .spawn(move || {
                let now = Timestamp::now();
                let mut cp = ControlPlane::new(seed, now);
                for spec in &nodes {
                    if let Err(e) = add_node(cp.api_mut(), spec, now) {
                        let _ = started_tx
                            .send(Err(format!("cannot add node {}: {}", spec.name, e.message)));
                        return;
                    }
                }
                let _ = started_tx.send(Ok(()));
                run(cp, &rx, &published, relay_key);
            })
            .map_err(|e| format!("cannot start the control plane's thread: {e}"))?;
        started
            .recv()
            .map_err(|_| "the control plane's thread ended at start".to_string())??;
        Ok(Arc::new(Self {
            commands,
            revision,
            relay_key,
        }))
    }

    async fn ask<T>(&self, command: impl FnOnce(oneshot::Sender<T>) -> Command) -> Option<T> {
        let (tx, rx) = oneshot::channel();
        self.commands.send(command(tx)).ok()?;
        rx.await.ok()
    }

    /// Serves one REST request, as the page's worker does.
    pub async fn handle(&self, req: Request) -> Response {
        self.ask(|tx| Command::Handle(Box::new(req), tx))
            .await
            .unwrap_or_else(stopped)
    }

    /// Watch events since the last poll of `id`.
    pub async fn poll_watch(&self, id: WatchId) -> Vec<Value> {
        self.ask(|tx| Command::PollWatch(id, tx))
            .await
            .unwrap_or_default()
    }

    pub fn close_watch(&self, id: WatchId) {
        let _ = self.commands.send(Command::CloseWatch(id));
    }

    /// The relay key this control plane gives its node, for reaching pods on other agents.
    pub fn relay_key(&self) -> RelayKey {
        self.relay_key
    }

    /// Changes of the store's revision, for streams waiting on news.
    pub fn changes(&self) -> watch::Receiver<u64> {
        self.revision.subscribe()
    }

    /// The API server's checks of an exec, without starting anything (for a request that
    /// cannot be upgraded but deserves the right refusal).
    pub async fn check_exec(&self, spec: ExecSpec) -> Result<(), ExecRefusal> {
        let reply = self
            .ask(|reply| Command::StartExec {
                spec: Box::new(spec),
                events: None,
                reply,
            })
            .await;
        reply.unwrap_or_else(|| Err(stopped_refusal())).map(|_| ())
    }

    /// Starts an exec (or attach) in a pod of this cluster.
    pub async fn start_exec(&self, spec: ExecSpec) -> Result<ExecHandle, ExecRefusal> {
        let (tx, events) = async_mpsc::unbounded_channel();
        let reply = self
            .ask(|reply| Command::StartExec {
                spec: Box::new(spec),
                events: Some(tx),
                reply,
            })
            .await;
        match reply.unwrap_or_else(|| Err(stopped_refusal()))? {
            Some(id) => {
                let commands = self.commands.clone();
                Ok(ExecHandle::new(events, move |input| {
                    let _ = commands.send(Command::ExecInput(id, input));
                }))
            }
            None => Err(stopped_refusal()),
        }
    }

    #[cfg(test)]
    pub async fn open_watches(&self) -> usize {
        self.ask(Command::OpenWatches).await.unwrap_or(usize::MAX)
    }
}

fn stopped_refusal() -> ExecRefusal {
    ExecRefusal {
        code: 500,
        reason: "InternalError",
        message: "the control plane has stopped".into(),
    }
}

fn stopped() -> Response {
    let status =
        kubeplay_shared::apiserver::ApiError::internal("the control plane has stopped").to_status();
    Response::json(500, &status)
}

/// What the control plane's thread keeps besides the core.
struct Hosted {
    local: LocalNode,
    simulated: SimulatedExecs,
}

/// The control plane's thread: commands as they come, the controllers when they are due.
fn run(
    mut cp: ControlPlane,
    commands: &mpsc::Receiver<Command>,
    revision: &watch::Sender<u64>,
    relay_key: RelayKey,
) {
    let mut hosted = Hosted {
        local: LocalNode::new(relay_key),
        simulated: SimulatedExecs::default(),
    };
    let mut due = std::time::Instant::now();
    loop {
        let link_due = hosted
            .local
            .wake()
            .and_then(|at| cp.clock().host_time(at))
            .map(|at| {
                let ahead = at.duration_since(Timestamp::now()).as_secs_f64().max(0.0);
                std::time::Instant::now() + Duration::from_secs_f64(ahead).max(MIN_SLEEP)
            });
        let wake = link_due.map_or(due, |at| at.min(due));
        let wait = wake.saturating_duration_since(std::time::Instant::now());
        let ticked = match commands.recv_timeout(wait) {
            Ok(command) => serve(&mut cp, &mut hosted, command),
            Err(RecvTimeoutError::Timeout) => true,
            Err(RecvTimeoutError::Disconnected) => return,
        };
        if ticked {
            let now = Timestamp::now();
            let next = cp.tick(now);
            due = std::time::Instant::now()
                + next.map_or(MAX_SLEEP, |at| {
                    let ahead = at.duration_since(now).as_secs_f64().max(0.0);
                    Duration::from_secs_f64(ahead).clamp(MIN_SLEEP, MAX_SLEEP)
                });
        }
        let now = cp.clock().cluster_time(Timestamp::now());
        hosted.local.poll(cp.api_mut(), now);
        let current = cp.api().store().revision();
        revision.send_if_modified(|rv| std::mem::replace(rv, current) != current);
    }
}

/// Carries out one command; true when the controllers should run (something may have changed).
fn serve(cp: &mut ControlPlane, hosted: &mut Hosted, command: Command) -> bool {
    match command {
        Command::Handle(req, reply) => {
            let _ = reply.send(cp.handle(&req, Timestamp::now()));
            true
        }
        Command::PollWatch(id, reply) => {
            let now = cp.clock().cluster_time(Timestamp::now());
            let _ = reply.send(cp.api_mut().poll_watch(id, now));
            false
        }
        Command::CloseWatch(id) => {
            cp.api_mut().close_watch(id);
            false
        }
        Command::LinkUp(to_agent) => {
            let now = cp.clock().cluster_time(Timestamp::now());
            hosted.local.connected(cp.api_mut(), to_agent, now);
            false
        }
        Command::LinkDown => {
            let now = cp.clock().cluster_time(Timestamp::now());
            hosted.local.disconnected(cp.api_mut(), now);
            false
        }
        Command::FromAgent(msg) => {
            let now = cp.clock().cluster_time(Timestamp::now());
            hosted.local.on_message(*msg, cp.api_mut(), now);
            true
        }
        Command::StartExec {
            spec,
            events,
            reply,
        } => {
            let _ = reply.send(start_exec(cp, hosted, &spec, events));
            false
        }
        Command::ExecInput(ExecId::Local(stream), input) => {
            hosted.local.exec_input(stream, input);
            false
        }
        Command::ExecInput(ExecId::Simulated(id), input) => {
            hosted.simulated.input(cp, id, input);
            false
        }
        #[cfg(test)]
        Command::OpenWatches(reply) => {
            let _ = reply.send(cp.api().open_watches());
            false
        }
    }
}

/// Checks an exec as the API server does and starts it where its pod runs: over the local
/// node's link, or in the simulated shell. Without `events` it is only checked.
fn start_exec(
    cp: &ControlPlane,
    hosted: &mut Hosted,
    spec: &ExecSpec,
    events: Option<async_mpsc::UnboundedSender<ExecEvent>>,
) -> Result<Option<ExecId>, ExecRefusal> {
    let target = exec::resolve(cp, spec)?;
    let Some(events) = events else {
        return Ok(None);
    };
    if hosted.local.node_name() == Some(target.node.as_str()) {
        return hosted
            .local
            .start_exec(spec, &target.container, events)
            .map(|stream| Some(ExecId::Local(stream)))
            .map_err(|e| ExecRefusal {
                code: 500,
                reason: "InternalError",
                message: format!("error dialing backend: {e}"),
            });
    }
    let node = kubeplay_shared::api::resources::by_plural("", "v1", "nodes")
        .and_then(|r| cp.api().get(r, "", &target.node).ok());
    if node.is_none_or(|n| is_agent(n)) {
        return Err(ExecRefusal {
            code: 500,
            reason: "InternalError",
            message: format!(
                "error dialing backend: the agent of node \"{}\" is not connected to this control plane",
                target.node
            ),
        });
    }
    Ok(Some(hosted.simulated.start(
        cp,
        spec,
        &target.container,
        events,
    )))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn simulated_nodes_become_ready_in_real_time() {
        let cp = EmbeddedControlPlane::start(1, &simulated_nodes(2)).unwrap();
        let mut changes = cp.changes();
        let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
        loop {
            let nodes = cp.handle(Request::get("/api/v1/nodes")).await.json_body();
            let ready = nodes["items"]
                .as_array()
                .into_iter()
                .flatten()
                .filter(|n| {
                    n["status"]["conditions"]
                        .as_array()
                        .into_iter()
                        .flatten()
                        .any(|c| c["type"] == "Ready" && c["status"] == "True")
                })
                .count();
            if ready == 2 {
                break;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "nodes never became Ready: {nodes}"
            );
            let _ = tokio::time::timeout(MAX_SLEEP, changes.changed()).await;
        }
    }

    /// A pod bound to the simulated node `node-1`, once it runs.
    async fn running_pod(cp: &EmbeddedControlPlane, name: &str) {
        let pod = serde_json::json!({
            "apiVersion": "v1", "kind": "Pod", "metadata": {"name": name},
            "spec": {"nodeName": "node-1", "containers": [{"name": "box", "image": "busybox:1.36",
                "command": ["sleep", "3600"], "env": [{"name": "GREETING", "value": "hello"}]}]}
        });
        let body = serde_json::to_vec(&pod).unwrap();
        let created = cp
            .handle(Request::post("/api/v1/namespaces/default/pods", body))
            .await;
        assert_eq!(created.status(), 201);
        let mut changes = cp.changes();
        let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
        let path = format!("/api/v1/namespaces/default/pods/{name}");
        loop {
            let pod = cp.handle(Request::get(&path)).await.json_body();
            if pod["status"]["phase"] == "Running" {
                return;
            }
            assert!(tokio::time::Instant::now() < deadline, "never ran: {pod}");
            let _ = tokio::time::timeout(MAX_SLEEP, changes.changed()).await;
        }
    }

    fn spec(pod: &str, command: &[&str]) -> ExecSpec {
        ExecSpec {
            namespace: "default".into(),
            pod: pod.into(),
            container: None,
            command: command.iter().map(|s| s.to_string()).collect(),
            stdin: false,
            tty: false,
            attach: false,
        }
    }

    async fn drain(handle: &mut ExecHandle) -> (String, ExecEvent) {
        let mut stdout = String::new();
        loop {
            match tokio::time::timeout(Duration::from_secs(10), handle.events.recv())
                .await
                .expect("the exec ends")
                .expect("an event")
            {
                ExecEvent::Output(_, bytes) => stdout.push_str(&String::from_utf8_lossy(&bytes)),
                end => return (stdout, end),
            }
        }
    }

    #[tokio::test]
    async fn exec_in_a_simulated_pod_prints_its_env_and_exit_code() {
        let cp = EmbeddedControlPlane::start(1, &simulated_nodes(1)).unwrap();
        running_pod(&cp, "web").await;
        let mut env = cp.start_exec(spec("web", &["env"])).await.unwrap();
        let (stdout, end) = drain(&mut env).await;
        assert!(stdout.lines().any(|l| l == "GREETING=hello"), "{stdout}");
        assert_eq!(end, ExecEvent::Exited(0));
        let mut failing = cp
            .start_exec(spec("web", &["sh", "-c", "exit 3"]))
            .await
            .unwrap();
        assert_eq!(drain(&mut failing).await.1, ExecEvent::Exited(3));
    }

    #[tokio::test]
    async fn a_shell_reads_lines_from_stdin_until_exit() {
        let cp = EmbeddedControlPlane::start(1, &simulated_nodes(1)).unwrap();
        running_pod(&cp, "web").await;
        let mut shell_spec = spec("web", &["sh"]);
        shell_spec.stdin = true;
        let mut shell = cp.start_exec(shell_spec).await.unwrap();
        shell.input(ExecInput::Stdin(b"echo $GREETING\nexit 7\n".to_vec()));
        let (stdout, end) = drain(&mut shell).await;
        assert_eq!(stdout, "hello\n");
        assert_eq!(end, ExecEvent::Exited(7));
    }

    #[tokio::test]
    async fn exec_is_refused_as_the_api_server_refuses_it() {
        let cp = EmbeddedControlPlane::start(1, &simulated_nodes(1)).unwrap();
        let missing = cp.check_exec(spec("nope", &["env"])).await.unwrap_err();
        assert_eq!((missing.code, missing.reason), (404, "NotFound"));
        assert_eq!(missing.message, "pods \"nope\" not found");
        running_pod(&cp, "web").await;
        let mut bad = spec("web", &["env"]);
        bad.container = Some("db".into());
        let refusal = cp.check_exec(bad).await.unwrap_err();
        assert_eq!(refusal.code, 400);
        assert_eq!(refusal.message, "container db is not valid for pod web");
        assert!(cp.check_exec(spec("web", &["env"])).await.is_ok());
    }

    #[tokio::test]
    async fn a_write_is_published_to_waiting_streams() {
        let cp = EmbeddedControlPlane::start(1, &[]).unwrap();
        let mut changes = cp.changes();
        changes.mark_unchanged();
        let ns = br#"{"apiVersion":"v1","kind":"Namespace","metadata":{"name":"shop"}}"#;
        let created = cp
            .handle(Request::post("/api/v1/namespaces", ns.to_vec()))
            .await;
        assert_eq!(created.status(), 201);
        // The revision is published right after the request is served.
        tokio::time::timeout(Duration::from_secs(5), changes.changed())
            .await
            .unwrap()
            .unwrap();
    }
}
