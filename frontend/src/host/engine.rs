//! The worker's pure half: the control plane plus what the page adds around it (three
//! simulated nodes, the speed setting, views only after changes), answering [`Call`]s.
//!
//! Time comes in as the host's `now`, so all of this runs and is tested natively.

use super::agents::{self, AgentShell, Agents, SocketCommand, SocketId};
use super::terminal::Terminals;
use crate::protocol::{AgentStatus, ApiResponse, ApplyReport, Call, CallId, FromWorker, Reply, SavedAgent, Speed};
use crate::view::{ClusterView, ViewBuilder};
use kubeplay_shared::control_plane::{Snapshot, SnapshotError};
use kubeplay_shared::lessons;
use kubeplay_shared::manifest;
use kubeplay_shared::node_protocol::{Frame, RelayKey};
use kubeplay_shared::sim::nodes::{add_node, NodeSpec};
use kubeplay_shared::{ControlPlane, Timestamp};

/// The worker nodes a new playground starts with: laptop-sized, as on kind.
fn default_nodes() -> Vec<NodeSpec> {
    (1..=3)
        .map(|i| NodeSpec {
            name: format!("node-{i}"),
            cpu: "4".into(),
            memory: "8Gi".into(),
            pods: 110,
        })
        .collect()
}

/// The name kubectl's messages give the editor's text.
const EDITOR_FILE: &str = "editor";

pub struct Engine {
    seed: u64,
    cp: ControlPlane,
    views: ViewBuilder,
    speed: Speed,
    /// Store revision of the last view handed out; `None` before the first.
    viewed: Option<u64>,
    /// Set when something a view shows changed outside the store (the speed).
    view_stale: bool,
    terminals: Terminals,
    /// The real machines (kubeplay-agent) this cluster drives.
    agents: Agents,
}

impl Engine {
    /// A fresh cluster with Kubernetes' initial objects and three Ready simulated nodes.
    pub fn new(seed: u64, now: Timestamp) -> Self {
        let mut cp = ControlPlane::new(seed, now);
        for spec in default_nodes() {
            // A fresh cluster has no nodes yet, so adding these cannot clash.
            let _ = add_node(cp.api_mut(), &spec, now);
        }
        let mut engine = Self {
            seed,
            cp,
            views: ViewBuilder::new(),
            speed: Speed::NORMAL,
            viewed: None,
            view_stale: true,
            terminals: Terminals::default(),
            agents: Agents::default(),
        };
        engine.tick(now);
        engine
    }

    /// The cluster a saved snapshot (JSON) describes, going on from host time `now`; a
    /// snapshot this build cannot read is an error and nothing is restored.
    pub fn restore(seed: u64, snapshot: &str, now: Timestamp) -> Result<Self, SnapshotError> {
        let snapshot = Snapshot::from_json(snapshot)?;
        let cp = ControlPlane::restore(&snapshot, now)?;
        // The header offers whole factors; a saved speed is always one of them.
        let speed = Speed(snapshot.speed.round().clamp(0.0, f64::from(u32::MAX)) as u32);
        Ok(Self {
            seed,
            cp,
            views: ViewBuilder::new(),
            speed,
            viewed: None,
            view_stale: true,
            terminals: Terminals::default(),
            agents: Agents::restore(&[], speed, None),
        })
    }

    /// Reconnects to the agents a saved page drove (their pods are re-adopted, not restarted).
    pub fn restore_agents(&mut self, saved: &[SavedAgent]) {
        self.agents = Agents::restore(saved, self.speed, self.agents.relay_key());
    }

    /// The relay key this page's agents present to each other's relays: the host draws it
    /// once per page load, before any agent connects (see `relay_key` in the node protocol).
    pub fn set_relay_key(&mut self, key: RelayKey) {
        self.agents.set_relay_key(key);
    }

    /// The page's origin, which agents must allow; refusals name it.
    pub fn set_page_origin(&mut self, origin: String) {
        self.agents.set_origin(origin);
    }

    /// The agents to reconnect to after a reload.
    pub fn saved_agents(&self) -> Vec<SavedAgent> {
        self.agents.saved()
    }

    pub fn agent_statuses(&self) -> Vec<AgentStatus> {
        self.agents.statuses()
    }

    /// An agent's socket opened.
    pub fn agent_opened(&mut self, socket: SocketId) {
        self.agents.on_open(socket);
    }

    /// A frame from an agent's socket, at host time `now`.
    pub fn agent_frame(&mut self, socket: SocketId, frame: &Frame, now: Timestamp) {
        let cluster_now = self.cp.clock().cluster_time(now);
        self.agents.on_frame(socket, frame, self.cp.api_mut(), cluster_now);
        // kubectl's execs through agents run here: simulated shells read the control plane.
        self.agents.serve_execs(&self.cp, cluster_now);
        self.serve_tunnelled(now);
    }

    /// Answers the real kubectl's requests that agents tunnelled to this page, with the same
    /// request handler the page's own kubectl talks to.
    fn serve_tunnelled(&mut self, now: Timestamp) {
        let requests = self.agents.take_api_requests();
        if requests.is_empty() {
            return;
        }
        for (socket, tunnelled) in requests {
            let response = match tunnelled.request.to_request() {
                Ok(request) => self.cp.handle(&request, now),
                Err(err) => {
                    let status = kubeplay_shared::apiserver::ApiError::method_not_allowed(err.to_string()).to_status();
                    kubeplay_shared::apiserver::Response::json(405, &status)
                }
            };
            if let Some(orphan) = self.agents.answer_api(socket, tunnelled.id, &response) {
                self.cp.api_mut().close_watch(orphan);
            }
        }
        self.tick(now);
    }

    /// An agent's socket closed (or failed to open), at host time `now`.
    pub fn agent_closed(&mut self, socket: SocketId, now: Timestamp) {
        self.agents.on_closed(socket, now);
    }

    /// What the agents' side wants done: socket commands, terminal output of execs, and the
    /// agents' status if it changed.
    pub fn take_agent_io(&mut self) -> (Vec<SocketCommand>, Vec<FromWorker>, Option<Vec<AgentStatus>>) {
        (self.agents.take_commands(), self.agents.take_messages(), self.agents.take_statuses())
    }

    /// The whole cluster as JSON, for the browser's storage.
    pub fn snapshot(&self, now: Timestamp) -> String {
        self.cp.snapshot(now).to_json()
    }

    pub fn control_plane(&self) -> &ControlPlane {
        &self.cp
    }

    pub fn speed(&self) -> Speed {
        self.speed
    }

    /// The store's revision: it moves whenever anything in the cluster changes.
    pub fn revision(&self) -> u64 {
        self.cp.api().store().revision()
    }

    /// Lets the controllers catch up to `now`; returns the host time they want to run again.
    pub fn tick(&mut self, now: Timestamp) -> Option<Timestamp> {
        if self.agents.is_empty() {
            return self.cp.tick(now);
        }
        // The links write leases and pod statuses; the controllers react, and the links
        // send what the controllers changed: a few rounds until the store settles.
        let mut next = None;
        for _ in 0..3 {
            let before = self.revision();
            let cluster_now = self.cp.clock().cluster_time(now);
            self.agents.poll(self.cp.api_mut(), now, cluster_now);
            next = self.cp.tick(now);
            let cluster_now = self.cp.clock().cluster_time(now);
            self.agents.poll(self.cp.api_mut(), now, cluster_now);
            if self.revision() == before {
                break;
            }
        }
        [next, self.agents.wake(self.cp.clock())].into_iter().flatten().min()
    }

    /// Answers call `id` with the messages to post: kubectl's output chunks, then the reply
    /// (which a follow such as `logs -f` sends later, from [`Engine::poll_terminals`]).
    pub fn call(&mut self, id: CallId, call: Call, now: Timestamp) -> Vec<FromWorker> {
        match call {
            Call::Kubectl { session, line, files } => {
                let mut shell = AgentShell::default();
                let mut out = self.terminals.run(&mut self.cp, &mut shell, &session, &line, &files, id, now);
                if let Some((target, argv, node)) = shell.deferred {
                    // The command runs on the agent: its output and end come from the link.
                    out.retain(|m| !matches!(m, FromWorker::Reply { .. }));
                    if let Err(message) = self.agents.exec(id, &target, &argv, &node) {
                        out.push(FromWorker::Output { id, text: format!("{message}\n"), stderr: true });
                        out.push(FromWorker::Reply { id, reply: Reply::Done { exit_code: 1, prompt: None } });
                    }
                }
                if let Some(request) = self.terminals.take_forward() {
                    if let Err(message) = self.agents.port_forward(id, &request) {
                        out.push(FromWorker::Output { id, text: format!("{message}\n"), stderr: true });
                        out.push(FromWorker::Reply { id, reply: Reply::Done { exit_code: 1, prompt: None } });
                    }
                }
                if let Some(interactive) = self.terminals.take_remote() {
                    let node = agents::agent_node_of(self.cp.api(), &interactive.target.pod_object).unwrap_or_default();
                    if let Err(message) = self.agents.open_session(id, &interactive, &node) {
                        out.push(FromWorker::Output { id, text: format!("{message}\n"), stderr: true });
                        out.push(FromWorker::Reply { id, reply: Reply::Done { exit_code: 1, prompt: None } });
                    }
                }
                self.tick(now);
                out
            }
            other => vec![FromWorker::Reply { id, reply: self.handle(other, now) }],
        }
    }

    /// Keys typed into the `kubectl exec -i[t]` session of call `id`.
    pub fn session_input(&mut self, id: CallId, data: &[u8]) {
        self.agents.session_input(id, data);
    }

    /// The terminal of session `id` is now `cols`×`rows` cells.
    pub fn session_resize(&mut self, id: CallId, cols: u16, rows: u16) {
        self.agents.session_resize(id, cols, rows);
    }

    /// Ctrl-C on a following kubectl call.
    pub fn cancel(&mut self, id: CallId, now: Timestamp) -> Vec<FromWorker> {
        if let Some(out) = self.agents.cancel(id) {
            return out;
        }
        self.terminals.cancel(&mut self.cp, id, now)
    }

    /// New output of running follows (`get -w`, `logs -f`, `rollout status`).
    pub fn poll_terminals(&mut self, now: Timestamp) -> Vec<FromWorker> {
        if !self.terminals.is_following() {
            return Vec::new();
        }
        self.terminals.poll(&mut self.cp, now)
    }

    /// Answers one call that replies at once (everything but kubectl lines).
    pub fn handle(&mut self, call: Call, now: Timestamp) -> Reply {
        match call {
            Call::Api { request } => match request.to_request() {
                Ok(request) => Reply::Api {
                    response: ApiResponse::from_response(&self.cp.handle(&request, now)),
                },
                Err(err) => Reply::Failed {
                    message: err.to_string(),
                },
            },
            Call::Apply { yaml, namespace } => Reply::Applied {
                report: self.apply(&yaml, &namespace, EDITOR_FILE, now),
            },
            Call::ApplyWhole { yaml, namespace, file } => {
                let cluster_now = self.cp.clock().cluster_time(now);
                let report = super::whole_apply::apply(self.cp.api_mut(), &yaml, &namespace, &file, cluster_now);
                self.tick(now);
                Reply::Applied { report }
            }
            Call::Import { yaml } => Reply::Applied {
                report: self.apply(&yaml, "default", "import", now),
            },
            Call::SetSpeed { speed } => {
                self.set_speed(speed, now);
                Reply::Ok
            }
            Call::Reset => {
                self.start_afresh(now);
                Reply::Ok
            }
            Call::ConnectAgent { url, token } => match self.agents.connect(&url, &token) {
                Ok(()) => Reply::Ok,
                Err(err) => Reply::Failed { message: err.to_string() },
            },
            Call::DisconnectAgent { url } => {
                if self.agents.disconnect(&url) {
                    Reply::Ok
                } else {
                    Reply::Failed { message: format!("no agent at {url}") }
                }
            }
            Call::Node { command } => {
                let cluster_now = self.cp.clock().cluster_time(now);
                let result = command.apply(self.cp.api_mut(), cluster_now);
                self.tick(now);
                match result {
                    Ok(()) => Reply::Ok,
                    Err(err) => Reply::Failed { message: err.to_string() },
                }
            }
            Call::Export => Reply::Exported {
                yaml: manifest::export_yaml(self.cp.api()),
            },
            Call::Complete { session, line } => Reply::Completions {
                words: self.terminals.complete(&mut self.cp, &session, &line, now),
            },
            Call::Bench { query } => match crate::bench::BenchParams::from_query(&query) {
                Some(params) => Reply::Bench { result: crate::bench::run(&params) },
                None => Reply::Failed { message: format!("no benchmark named in {query:?}") },
            },
            Call::LessonStart { lesson } => Reply::Applied { report: self.start_lesson(&lesson, now) },
            Call::LessonReset { lesson } => {
                let speed = self.speed;
                self.start_afresh(now);
                self.set_speed(speed, now);
                Reply::Applied { report: self.start_lesson(&lesson, now) }
            }
            Call::LessonCheck { lesson } => Reply::LessonChecked {
                tasks: lessons::check_lesson(&lesson, self.cp.api()),
            },
            Call::Kubectl { .. } => Reply::Failed {
                message: "kubectl lines stream their output: send them with Engine::call".into(),
            },
        }
    }

    /// A fresh cluster; the agents stay, their links start over so their machines register
    /// with it (and drop the pods it no longer wants).
    fn start_afresh(&mut self, now: Timestamp) {
        let mut agents = std::mem::take(&mut self.agents);
        *self = Self::new(self.seed, now);
        agents.set_speed(Speed::NORMAL);
        agents.restart_all();
        self.agents = agents;
    }

    /// `kubectl apply -f`: every document through the API, then the controllers react.
    fn apply(&mut self, yaml: &str, namespace: &str, file: &str, now: Timestamp) -> ApplyReport {
        let cluster_now = self.cp.clock().cluster_time(now);
        let outcome = manifest::apply::apply(self.cp.api_mut(), yaml, namespace, cluster_now);
        self.tick(now);
        ApplyReport::from_outcome(outcome, file)
    }

    /// A lesson's starting objects, applied as `kubectl apply -f` would.
    fn start_lesson(&mut self, lesson: &lessons::Lesson, now: Timestamp) -> ApplyReport {
        let cluster_now = self.cp.clock().cluster_time(now);
        let outcome = lessons::setup::apply_setup(self.cp.api_mut(), lesson, cluster_now);
        self.tick(now);
        ApplyReport::from_outcome(outcome, lesson.id.as_str())
    }

    pub fn set_speed(&mut self, speed: Speed, now: Timestamp) {
        self.cp.set_speed(speed.factor(), now);
        self.speed = speed;
        self.agents.set_speed(speed);
        self.view_stale = true;
    }

    /// The next view, if anything it shows changed since the last one.
    pub fn view_if_changed(&mut self, now: Timestamp) -> Option<ClusterView> {
        let revision = self.revision();
        if !self.view_stale && self.viewed == Some(revision) {
            return None;
        }
        self.viewed = Some(revision);
        self.view_stale = false;
        Some(self.views.build(&self.cp, now))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::ApiRequest;
    use jiff::SignedDuration;

    fn t0() -> Timestamp {
        "2026-01-01T12:00:00Z".parse().unwrap()
    }

    const DEPLOYMENT: &str = "apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  replicas: 3
  selector:
    matchLabels:
      app: web
  template:
    metadata:
      labels:
        app: web
    spec:
      containers:
      - name: web
        image: nginx
";

    /// Runs the cluster for `seconds` of host time, waking it as it asks.
    fn run(engine: &mut Engine, from: Timestamp, seconds: i64) -> Timestamp {
        let until = from + SignedDuration::from_secs(seconds);
        let mut now = from;
        while now < until {
            let next = engine.tick(now).unwrap_or(until).min(until);
            now = next.max(now + SignedDuration::from_millis(100));
        }
        now
    }

    fn applied(reply: Reply) -> ApplyReport {
        match reply {
            Reply::Applied { report } => report,
            other => panic!("not an apply report: {other:?}"),
        }
    }

    #[test]
    fn a_new_playground_has_three_ready_nodes() {
        let mut engine = Engine::new(1, t0());
        let now = run(&mut engine, t0(), 2);
        let view = engine.view_if_changed(now).unwrap();
        let nodes: Vec<_> = view.nodes.iter().map(|n| (n.name.as_str(), n.ready)).collect();
        assert_eq!(nodes, [("node-1", true), ("node-2", true), ("node-3", true)]);
    }

    #[test]
    fn an_applied_deployment_runs_its_pods() {
        let mut engine = Engine::new(1, t0());
        let report = applied(engine.handle(
            Call::Apply { yaml: DEPLOYMENT.into(), namespace: "default".into() },
            t0(),
        ));
        assert_eq!(report.lines(), ["deployment.apps/web created"]);
        let now = run(&mut engine, t0(), 60);
        let view = engine.view_if_changed(now).unwrap();
        let running = view.pods.iter().filter(|p| p.name.starts_with("web-") && p.status == "Running").count();
        assert_eq!(running, 3, "{:?}", view.pods);
    }

    #[test]
    fn invalid_yaml_reports_its_line_and_changes_nothing() {
        let mut engine = Engine::new(1, t0());
        let before = engine.revision();
        let report = applied(engine.handle(
            Call::Apply { yaml: "kind: Pod\nmetadata:\n  name: [oops\n".into(), namespace: "default".into() },
            t0(),
        ));
        let error = report.syntax_error.expect("a syntax error");
        assert!(error.message.starts_with("error parsing editor: error converting YAML to JSON: yaml:"), "{}", error.message);
        assert!(error.line >= 3, "{error:?}");
        assert!(report.documents.is_empty());
        assert_eq!(engine.revision(), before);
    }

    #[test]
    fn an_invalid_field_points_at_its_line() {
        let mut engine = Engine::new(1, t0());
        let yaml = DEPLOYMENT.replace("replicas: 3", "replicas: -1");
        let report = applied(engine.handle(Call::Apply { yaml, namespace: "default".into() }, t0()));
        let error = report.documents[0].error.clone().expect("a validation error");
        assert_eq!(error.line, 6, "{error:?}");
        assert!(error.message.contains("spec.replicas"), "{}", error.message);
        assert!(!report.all_applied());
    }

    #[test]
    fn api_calls_reach_the_api_server() {
        let mut engine = Engine::new(1, t0());
        let reply = engine.handle(Call::Api { request: ApiRequest::get("/api/v1/namespaces/default/services/kubernetes") }, t0());
        let Reply::Api { response } = reply else { panic!("{reply:?}") };
        assert_eq!(response.status, 200);
        assert_eq!(response.json()["spec"]["clusterIP"], "10.96.0.1");
    }

    #[test]
    fn node_commands_change_the_fleet_and_bad_ones_change_nothing() {
        use crate::view::commands::NodeCommand;
        let mut engine = Engine::new(1, t0());
        let add = NodeCommand::Add { name: "node-4".into(), cpu: "8".into(), memory: "16Gi".into(), pods: 110 };
        assert_eq!(engine.handle(Call::Node { command: add.clone() }, t0()), Reply::Ok);
        let now = run(&mut engine, t0(), 2);
        assert_eq!(engine.view_if_changed(now).unwrap().nodes.len(), 4);
        let before = engine.revision();
        let again = engine.handle(Call::Node { command: add }, now);
        assert!(matches!(again, Reply::Failed { .. }), "{again:?}");
        assert_eq!(engine.revision(), before);
    }

    #[test]
    fn a_restored_cluster_goes_on_with_its_pods_and_speed() {
        let mut engine = Engine::new(1, t0());
        engine.handle(Call::Apply { yaml: DEPLOYMENT.into(), namespace: "default".into() }, t0());
        let now = run(&mut engine, t0(), 60);
        engine.set_speed(Speed(5), now);
        let saved = engine.snapshot(now);
        let later = now + SignedDuration::from_secs(3600);
        let mut restored = Engine::restore(1, &saved, later).unwrap();
        assert_eq!(restored.speed(), Speed(5));
        let view = restored.view_if_changed(later).unwrap();
        let running: Vec<_> = view.pods.iter().filter(|p| p.status == "Running").map(|p| &p.name).collect();
        assert_eq!(running.len(), 3, "{:?}", view.pods);
        let Reply::Api { response } = restored.handle(
            Call::Api { request: ApiRequest::get("/apis/apps/v1/namespaces/default/deployments/web") },
            later,
        ) else { panic!() };
        assert_eq!(response.json()["spec"]["replicas"], 3);
    }

    #[test]
    fn an_unreadable_snapshot_is_an_error() {
        assert!(Engine::restore(1, "{\"version\": 99}", t0()).is_err());
        assert!(Engine::restore(1, "not json", t0()).is_err());
    }

    #[test]
    fn export_lists_what_was_applied() {
        let mut engine = Engine::new(1, t0());
        engine.handle(Call::Apply { yaml: DEPLOYMENT.into(), namespace: "default".into() }, t0());
        let Reply::Exported { yaml } = engine.handle(Call::Export, t0()) else { panic!() };
        assert!(yaml.contains("kind: Deployment"), "{yaml}");
        assert!(yaml.contains("name: web"), "{yaml}");
    }

    /// Runs a terminal line; its output and exit code.
    fn kubectl(engine: &mut Engine, line: &str, now: Timestamp) -> (String, Option<i32>) {
        let files = vec![crate::protocol::FileEntry { path: "k8s/web.yaml".into(), content: DEPLOYMENT.into() }];
        let messages = engine.call(1, Call::Kubectl { session: "t".into(), line: line.into(), files }, now);
        let mut text = String::new();
        let mut code = None;
        for m in messages {
            match m {
                FromWorker::Output { text: t, .. } => text.push_str(&t),
                FromWorker::Reply { reply: Reply::Done { exit_code, .. }, .. } => code = Some(exit_code),
                other => panic!("unexpected {other:?}"),
            }
        }
        (text, code)
    }

    #[test]
    fn the_terminal_applies_files_from_the_editor_and_gets_pods() {
        let mut engine = Engine::new(1, t0());
        let (text, code) = kubectl(&mut engine, "kubectl apply -f ./k8s/web.yaml", t0());
        assert_eq!((text.as_str(), code), ("deployment.apps/web created\n", Some(0)));
        let now = run(&mut engine, t0(), 60);
        let (text, code) = kubectl(&mut engine, "kubectl get deployments", now);
        assert_eq!(code, Some(0));
        assert!(text.starts_with("NAME"), "{text}");
        assert!(text.contains("web    3/3"), "{text}");
        let (text, code) = kubectl(&mut engine, "kubectl get nosuchthing", now);
        assert_eq!(code, Some(1), "{text}");
    }

    #[test]
    fn a_follow_prints_until_cancelled() {
        let mut engine = Engine::new(1, t0());
        let (_, code) = kubectl(&mut engine, "kubectl get pods -w", t0());
        assert_eq!(code, None, "a watch keeps the call open");
        engine.handle(Call::Apply { yaml: DEPLOYMENT.into(), namespace: "default".into() }, t0());
        let now = run(&mut engine, t0(), 5);
        let polled = engine.poll_terminals(now);
        assert!(polled.iter().any(|m| matches!(m, FromWorker::Output { text, .. } if text.contains("web-"))), "{polled:?}");
        let cancelled = engine.cancel(1, now);
        assert_eq!(cancelled, vec![FromWorker::Reply { id: 1, reply: Reply::Done { exit_code: 130, prompt: None } }]);
        assert!(engine.poll_terminals(now).is_empty());
    }

    #[test]
    fn views_come_only_after_changes() {
        let mut engine = Engine::new(1, t0());
        assert!(engine.view_if_changed(t0()).is_some());
        assert!(engine.view_if_changed(t0()).is_none());
        engine.handle(Call::Apply { yaml: DEPLOYMENT.into(), namespace: "default".into() }, t0());
        assert!(engine.view_if_changed(t0()).is_some());
        engine.set_speed(Speed(5), t0());
        let view = engine.view_if_changed(t0()).expect("a speed change shows");
        assert_eq!(view.speed, 5.0);
    }

    #[test]
    fn reset_brings_back_a_fresh_cluster_at_normal_speed() {
        let mut engine = Engine::new(1, t0());
        engine.handle(Call::Apply { yaml: DEPLOYMENT.into(), namespace: "default".into() }, t0());
        engine.set_speed(Speed::PAUSED, t0());
        assert_eq!(engine.handle(Call::Reset, t0()), Reply::Ok);
        assert_eq!(engine.speed(), Speed::NORMAL);
        let view = engine.view_if_changed(t0()).unwrap();
        assert!(view.pods.iter().all(|p| !p.name.starts_with("web-")));
        assert_eq!(view.nodes.len(), 3);
    }

    #[test]
    fn a_lesson_starts_checks_and_resets_in_the_worker() {
        let lesson = kubeplay_shared::lessons::builtin::lessons()
            .unwrap()
            .into_iter()
            .find(|l| l.id == "scaling")
            .unwrap();
        let mut engine = Engine::new(1, t0());
        engine.set_speed(Speed(5), t0());
        let report = applied(engine.handle(Call::LessonStart { lesson: Box::new(lesson.clone()) }, t0()));
        assert_eq!(report.lines(), ["deployment.apps/my-api created"]);
        let now = run(&mut engine, t0(), 20);
        kubectl(&mut engine, "kubectl scale deployment my-api --replicas=5", now);
        let now = run(&mut engine, now, 20);
        let Reply::LessonChecked { tasks } = engine.handle(Call::LessonCheck { lesson: Box::new(lesson.clone()) }, now) else {
            panic!()
        };
        assert_eq!(tasks[0].id, "up");
        assert!(tasks[0].passed, "{tasks:?}");
        let report = applied(engine.handle(Call::LessonReset { lesson: Box::new(lesson.clone()) }, now));
        assert_eq!(report.lines(), ["deployment.apps/my-api created"]);
        assert_eq!(engine.speed(), Speed(5), "a lesson reset keeps the speed");
        let Reply::LessonChecked { tasks } = engine.handle(Call::LessonCheck { lesson: Box::new(lesson) }, now) else {
            panic!()
        };
        assert!(!tasks[0].passed, "{tasks:?}");
    }

    #[test]
    fn a_paused_cluster_does_not_move_on() {
        let mut engine = Engine::new(1, t0());
        engine.set_speed(Speed::PAUSED, t0());
        engine.handle(Call::Apply { yaml: DEPLOYMENT.into(), namespace: "default".into() }, t0());
        let now = run(&mut engine, t0(), 60);
        let view = engine.view_if_changed(now).unwrap();
        assert!(view.pods.iter().all(|p| p.status != "Running"), "{:?}", view.pods);
    }
}
