//! The worker's agent links, driven through the engine with a scripted agent on the other end
//! of the (pretend) socket.

use super::*;
use crate::host::engine::Engine;
use kubeplay_shared::node_protocol::node::{NodeAddress, NodeInfo, NodeRegistration};
use kubeplay_shared::node_protocol::stream::{CloseStream, StreamData};
use kubeplay_shared::node_protocol::wire::encode_data;
use kubeplay_shared::node_protocol::Hello;

const TOKEN: &str = "0123456789abcdefghij";
const URL: &str = "ws://10.0.0.5:7443/v1/connect";

fn t0() -> Timestamp {
    "2026-01-01T12:00:00Z".parse().unwrap()
}

fn secs(s: i64) -> Timestamp {
    t0() + SignedDuration::from_secs(s)
}

fn text(msg: &FromAgent) -> Frame {
    kubeplay_shared::node_protocol::encode(msg).unwrap()
}

fn hello() -> Frame {
    text(&FromAgent::Hello(Hello {
        protocol_versions: vec![1],
        agent_version: "test".into(),
    }))
}

fn register(name: &str) -> Frame {
    register_with(name, &[])
}

fn register_with(name: &str, features: &[&str]) -> Frame {
    let list = |cpu: &str| -> std::collections::BTreeMap<String, String> {
        [("cpu", cpu), ("memory", "16Gi"), ("pods", "110")]
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .into()
    };
    text(&FromAgent::Register(Box::new(NodeRegistration {
        node_name: name.into(),
        capacity: list("8"),
        allocatable: list("8"),
        node_info: NodeInfo {
            operating_system: "linux".into(),
            architecture: "arm64".into(),
            container_runtime_version: "docker://27.1.0".into(),
            ..NodeInfo::default()
        },
        addresses: vec![NodeAddress {
            kind: "InternalIP".into(),
            address: "10.0.0.5".into(),
        }],
        labels: Default::default(),
        features: features.iter().map(|f| f.to_string()).collect(),
    })))
}

/// What the engine asked of the host: sockets opened (id, url, token), messages sent (decoded),
/// sockets closed, messages for the UI, and the agents' status if it changed.
type Io = (
    Vec<(SocketId, String, String)>,
    Vec<(SocketId, ToAgent)>,
    Vec<SocketId>,
    Vec<FromWorker>,
    Option<Vec<AgentStatus>>,
);

fn io(engine: &mut Engine) -> Io {
    let (commands, messages, statuses) = engine.take_agent_io();
    let mut opened = Vec::new();
    let mut sent = Vec::new();
    let mut closed = Vec::new();
    for c in commands {
        match c {
            SocketCommand::Open { socket, url, token } => opened.push((socket, url, token)),
            SocketCommand::Send { socket, frame } => {
                sent.push((socket, decode::<ToAgent>(&frame).unwrap()))
            }
            SocketCommand::Close { socket } => closed.push(socket),
        }
    }
    (opened, sent, closed, messages, statuses)
}

fn connected(name: &str) -> (Engine, SocketId) {
    connected_with(name, &[])
}

fn connected_with(name: &str, features: &[&str]) -> (Engine, SocketId) {
    let mut engine = Engine::new(1, t0());
    assert_eq!(
        engine.handle(
            Call::ConnectAgent {
                url: URL.into(),
                token: TOKEN.into()
            },
            t0()
        ),
        Reply::Ok
    );
    let (opened, ..) = io(&mut engine);
    let [(socket, url, token)] = &opened[..] else {
        panic!("{opened:?}")
    };
    assert_eq!((url.as_str(), token.as_str()), (URL, TOKEN));
    let socket = *socket;
    engine.agent_opened(socket);
    engine.agent_frame(socket, &hello(), t0());
    engine.agent_frame(socket, &register_with(name, features), t0());
    engine.tick(t0());
    (engine, socket)
}

use crate::protocol::Call;

const DEPLOYMENT: &str = "apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  replicas: 2
  selector:
    matchLabels:
      app: web
  template:
    metadata:
      labels:
        app: web
    spec:
      nodeSelector:
        kubernetes.io/hostname: laptop
      containers:
      - name: web
        image: myapp:1.0
";

#[test]
fn urls_and_tokens_that_cannot_work_are_refused_with_a_reason() {
    let ok = |url: &str| check(url, TOKEN).map(|(u, _)| u);
    assert_eq!(
        ok("ws://10.0.0.5:7443"),
        Ok(URL.to_string()),
        "the agent's path is added"
    );
    assert_eq!(ok("ws://10.0.0.5:7443/"), Ok(URL.to_string()));
    assert_eq!(
        ok("wss://pi.local:7443/v1/connect"),
        Ok("wss://pi.local:7443/v1/connect".to_string())
    );
    assert_eq!(
        ok("ws://10.0.0.5:7443/v1/connect?token=x"),
        Err(ConnectError::QueryInUrl)
    );
    assert!(matches!(
        check("http://x:1", TOKEN),
        Err(ConnectError::BadUrl(_))
    ));
    assert!(matches!(
        check("ws://", TOKEN),
        Err(ConnectError::BadUrl(_))
    ));
    assert_eq!(check(URL, ""), Err(ConnectError::NoToken));
    assert_eq!(check(URL, "short-token"), Err(ConnectError::ShortToken(11)));
    assert_eq!(
        check(URL, "0123456789abcdef/ij"),
        Err(ConnectError::BadToken('/'))
    );
    assert_eq!(
        check(&format!(" {URL} "), TOKEN),
        Ok((URL.to_string(), TOKEN.to_string()))
    );
    let mut engine = Engine::new(1, t0());
    let reply = engine.handle(
        Call::ConnectAgent {
            url: "localhost:7443".into(),
            token: TOKEN.into(),
        },
        t0(),
    );
    assert!(matches!(reply, Reply::Failed { message } if message.contains("ws://")));
    assert!(engine.agent_statuses().is_empty());
}

#[test]
fn every_agent_the_page_registers_gets_the_pages_one_relay_key() {
    let key = RelayKey::from_bytes([9; 32]);
    let mut engine = Engine::new(1, t0());
    engine.set_relay_key(key);
    // A reload reconnects the saved agents with the key drawn before.
    engine.restore_agents(&[SavedAgent {
        url: URL.into(),
        token: TOKEN.into(),
    }]);
    let other = "ws://10.0.0.6:7443/v1/connect";
    let call = Call::ConnectAgent {
        url: other.into(),
        token: TOKEN.into(),
    };
    assert_eq!(engine.handle(call, t0()), Reply::Ok);
    let (opened, ..) = io(&mut engine);
    assert_eq!(opened.len(), 2, "{opened:?}");
    for ((socket, ..), name) in opened.iter().zip(["pi", "laptop"]) {
        engine.agent_opened(*socket);
        engine.agent_frame(*socket, &hello(), t0());
        engine.agent_frame(*socket, &register(name), t0());
    }
    let (_, sent, ..) = io(&mut engine);
    let keys: Vec<(SocketId, Option<RelayKey>)> = sent
        .iter()
        .filter_map(|(socket, m)| match m {
            ToAgent::Registered { relay_key, .. } => Some((*socket, *relay_key)),
            _ => None,
        })
        .collect();
    assert_eq!(
        keys,
        [(opened[0].0, Some(key)), (opened[1].0, Some(key))],
        "{sent:?}"
    );
}

#[test]
fn a_connected_agent_registers_a_real_node_and_gets_its_pods() {
    let (mut engine, socket) = connected("laptop");
    let (_, sent, _, _, statuses) = io(&mut engine);
    assert!(
        sent.iter().any(|(s, m)| *s == socket
            && matches!(m, ToAgent::Registered { node_name, .. } if node_name == "laptop")),
        "{sent:?}"
    );
    let statuses = statuses.expect("the status changed");
    assert_eq!(statuses[0].phase, AgentPhase::Connected);
    assert_eq!(statuses[0].node.as_deref(), Some("laptop"));
    let view = engine.view_if_changed(t0()).unwrap();
    let node = view
        .nodes
        .iter()
        .find(|n| n.name == "laptop")
        .expect("the agent's node");
    assert!(!node.simulated);
    assert_eq!(node.cpu_capacity, 8000);

    engine.handle(
        Call::Apply {
            yaml: DEPLOYMENT.into(),
            namespace: "default".into(),
        },
        t0(),
    );
    engine.tick(secs(1));
    engine.tick(secs(2));
    let (_, sent, ..) = io(&mut engine);
    let synced = sent
        .iter()
        .rev()
        .find_map(|(_, m)| match m {
            ToAgent::SyncPods { pods } => Some(pods.len()),
            _ => None,
        })
        .expect("a SyncPods");
    assert_eq!(
        synced, 2,
        "both replicas were scheduled onto the agent's node"
    );
}

#[test]
fn a_lost_agent_is_retried_with_backoff_and_the_saved_list_survives_a_reload() {
    let (mut engine, socket) = connected("laptop");
    io(&mut engine);
    engine.agent_closed(socket, secs(1));
    let (opened, _, _, _, statuses) = io(&mut engine);
    assert!(opened.is_empty(), "no retry before the backoff");
    assert_eq!(statuses.unwrap()[0].phase, AgentPhase::Lost);
    let wake = engine.tick(secs(1)).expect("a wake for the retry");
    assert!(wake <= secs(2), "{wake}");
    engine.tick(secs(2));
    let (opened, ..) = io(&mut engine);
    assert_eq!(opened.len(), 1, "reconnects after a second");
    assert_ne!(opened[0].0, socket, "a new socket id");
    // The machine is still away: it stays lost, not refused for a bad token.
    engine.agent_closed(opened[0].0, secs(2));
    let status = &engine.agent_statuses()[0];
    assert_eq!(status.phase, AgentPhase::Lost, "{status:?}");
    assert!(io(&mut engine).0.is_empty());
    engine.tick(secs(5));
    let (opened, ..) = io(&mut engine);
    assert_eq!(opened.len(), 1, "tries again after two seconds");
    // An event of the old socket is ignored.
    engine.agent_frame(socket, &hello(), secs(2));
    assert!(io(&mut engine).1.is_empty());

    // A page reload: the cluster and the agent list come back, and the agent reconnects.
    let saved = engine.saved_agents();
    assert_eq!(
        saved,
        vec![SavedAgent {
            url: URL.into(),
            token: TOKEN.into()
        }]
    );
    let snapshot = engine.snapshot(secs(2));
    let mut restored = Engine::restore(1, &snapshot, secs(3)).unwrap();
    restored.restore_agents(&saved);
    let (opened, ..) = io(&mut restored);
    assert_eq!(opened.len(), 1);
}

#[test]
fn a_socket_that_never_opens_is_reported_as_refused_with_the_likely_causes() {
    let mut engine = Engine::new(1, t0());
    engine.set_page_origin("http://127.0.0.1:8080".into());
    engine.handle(
        Call::ConnectAgent {
            url: URL.into(),
            token: TOKEN.into(),
        },
        t0(),
    );
    let (opened, ..) = io(&mut engine);
    engine.agent_closed(opened[0].0, t0());
    let status = &engine.agent_statuses()[0];
    assert_eq!(status.phase, AgentPhase::Refused);
    let message = status.message.as_deref().unwrap();
    assert!(
        message.contains("401") && message.contains("--allow-origin http://127.0.0.1:8080)"),
        "{message}"
    );
}

#[test]
fn exec_in_a_pod_on_an_agent_runs_over_the_link_and_ends_with_its_exit_code() {
    let (mut engine, socket) = connected("laptop");
    engine.handle(
        Call::Apply {
            yaml: "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec:\n  nodeName: laptop\n  containers:\n  - name: c\n    image: myapp:1.0\n".into(),
            namespace: "default".into(),
        },
        t0(),
    );
    engine.tick(secs(1));
    io(&mut engine);
    // The agent reports the container running.
    let pod = engine.handle(
        Call::Api {
            request: crate::protocol::ApiRequest::get("/api/v1/namespaces/default/pods/p"),
        },
        secs(1),
    );
    let Reply::Api { response } = pod else {
        panic!()
    };
    let uid = response.json()["metadata"]["uid"]
        .as_str()
        .unwrap()
        .to_string();
    let status = serde_json::json!({
        "phase": "Running",
        "conditions": [{"type": "Ready", "status": "True"}],
        "containerStatuses": [{"name": "c", "ready": true, "restartCount": 0, "image": "myapp:1.0", "imageID": "",
            "containerID": "docker://abc", "started": true, "state": {"running": {"startedAt": "2026-01-01T12:00:01Z"}}}],
    });
    let report: FromAgent = serde_json::from_value(serde_json::json!({
        "type": "podStatus", "pod": {"namespace": "default", "name": "p", "uid": uid}, "status": status,
    }))
    .unwrap();
    engine.agent_frame(socket, &text(&report), secs(1));
    engine.tick(secs(1));
    let (_, sent, ..) = io(&mut engine);
    let log_stream = sent
        .iter()
        .find_map(|(_, m)| match m {
            ToAgent::OpenStream(o) if matches!(&o.open, StreamOpen::Logs { follow: true, .. }) => {
                Some(o.stream)
            }
            _ => None,
        })
        .expect("the running container's log is followed");
    let data = StreamData {
        stream: log_stream,
        channel: Channel::Stdout,
        data: b"listening on 3000\nGET /".to_vec(),
    };
    engine.agent_frame(socket, &Frame::Binary(encode_data(&data).unwrap()), secs(2));
    let messages = engine.call(
        7,
        Call::Kubectl {
            session: "t".into(),
            line: "kubectl logs p".into(),
            files: vec![],
        },
        secs(2),
    );
    assert!(
        messages
            .iter()
            .any(|m| matches!(m, FromWorker::Output { text, .. } if text == "listening on 3000\n")),
        "{messages:?}"
    );

    let messages = engine.call(
        8,
        Call::Kubectl {
            session: "t".into(),
            line: "kubectl exec p -- false".into(),
            files: vec![],
        },
        secs(3),
    );
    assert!(
        messages
            .iter()
            .all(|m| !matches!(m, FromWorker::Reply { .. })),
        "the reply waits for the agent: {messages:?}"
    );
    let (_, sent, ..) = io(&mut engine);
    let exec = sent
        .iter()
        .find_map(|(_, m)| match m {
            ToAgent::OpenStream(o) if matches!(&o.open, StreamOpen::Exec { command, .. } if command == &["false"]) => Some(o.stream),
            _ => None,
        })
        .expect("an exec stream");
    let close = FromAgent::CloseStream(CloseStream {
        stream: exec,
        exit_code: Some(1),
        error: None,
    });
    engine.agent_frame(socket, &text(&close), secs(3));
    let (.., messages, _) = io(&mut engine);
    assert_eq!(
        messages,
        vec![
            FromWorker::Output {
                id: 8,
                text: "command terminated with exit code 1\n".into(),
                stderr: true
            },
            FromWorker::Reply {
                id: 8,
                reply: Reply::Done {
                    exit_code: 1,
                    prompt: None
                }
            },
        ]
    );
    // An agent that does not announce the portForward feature cannot listen for the page.
    let messages = engine.call(
        9,
        Call::Kubectl {
            session: "t".into(),
            line: "kubectl port-forward p 8080:3000".into(),
            files: vec![],
        },
        secs(3),
    );
    assert!(
        messages.iter().any(|m| matches!(m, FromWorker::Output { text, stderr: true, .. } if text.contains("node \"laptop\" is too old") && text.contains("upgrade kubeplay-agent"))),
        "{messages:?}"
    );
    assert!(messages.iter().any(|m| matches!(m, FromWorker::Reply { id: 9, reply: Reply::Done { exit_code: 1, .. } })), "{messages:?}");
}

/// Pod `p` on the agent's node with its container running, as the agent reported it; its uid.
fn running_pod(engine: &mut Engine, socket: SocketId) -> String {
    engine.handle(
        Call::Apply {
            yaml: "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec:\n  nodeName: laptop\n  containers:\n  - name: c\n    image: myapp:1.0\n    ports:\n    - name: http\n      containerPort: 3000\n".into(),
            namespace: "default".into(),
        },
        t0(),
    );
    engine.tick(secs(1));
    let Reply::Api { response } = engine.handle(Call::Api { request: crate::protocol::ApiRequest::get("/api/v1/namespaces/default/pods/p") }, secs(1)) else {
        panic!()
    };
    let uid = response.json()["metadata"]["uid"].as_str().unwrap().to_string();
    let report: FromAgent = serde_json::from_value(serde_json::json!({
        "type": "podStatus", "pod": {"namespace": "default", "name": "p", "uid": uid},
        "status": {"phase": "Running", "conditions": [{"type": "Ready", "status": "True"}],
            "containerStatuses": [{"name": "c", "ready": true, "restartCount": 0, "image": "myapp:1.0", "imageID": "",
                "containerID": "docker://abc", "started": true, "state": {"running": {"startedAt": "2026-01-01T12:00:01Z"}}}]},
    }))
    .unwrap();
    engine.agent_frame(socket, &text(&report), secs(1));
    engine.tick(secs(1));
    io(engine);
    uid
}

fn port_forward_line(engine: &mut Engine, id: CallId, line: &str) -> Vec<FromWorker> {
    engine.call(id, Call::Kubectl { session: "t".into(), line: line.into(), files: vec![] }, secs(3))
}

#[test]
fn port_forward_to_a_pod_on_an_agent_listens_there_until_ctrl_c() {
    use kubeplay_shared::node_protocol::forward::*;
    let (mut engine, socket) = connected_with("laptop", &[FEATURE_PORT_FORWARD]);
    let uid = running_pod(&mut engine, socket);
    let messages = port_forward_line(&mut engine, 5, "kubectl port-forward pod/p :http");
    assert!(messages.is_empty(), "runs until the agent answers: {messages:?}");
    let (_, sent, ..) = io(&mut engine);
    let listen = sent
        .iter()
        .find_map(|(_, m)| match m {
            ToAgent::PortForwardListen(l) => Some((**l).clone()),
            _ => None,
        })
        .expect("a listen for the agent");
    assert_eq!((listen.pod.name.as_str(), listen.pod.uid.as_str()), ("p", uid.as_str()));
    assert_eq!((listen.addresses, listen.ports.clone()), (vec!["localhost".to_string()], vec![PortPair { local: 0, remote: 3000 }]));
    let bound = |address: &str| BoundPort { address: address.into(), local: 18080, remote: 3000 };
    let listening = FromAgent::PortForwardListening(PortForwardListening { id: listen.id, bound: vec![bound("127.0.0.1"), bound("[::1]")], warnings: vec![] });
    engine.agent_frame(socket, &text(&listening), secs(4));
    let connection = FromAgent::PortForwardConnection(PortForwardConnection { id: listen.id, local: 18080, error: None });
    engine.agent_frame(socket, &text(&connection), secs(5));
    let (.., messages, _) = io(&mut engine);
    let out: String = messages.iter().map(|m| match m {
        FromWorker::Output { id: 5, text, stderr: false } => text.as_str(),
        other => panic!("{other:?}"),
    }).collect();
    assert!(
        out.starts_with("Forwarding from 127.0.0.1:18080 -> 3000\nForwarding from [::1]:18080 -> 3000\n(listening on the machine of node \"laptop\""),
        "{out}"
    );
    assert!(out.ends_with("Handling connection for 18080\n"), "{out}");

    // Ctrl+C: the call ends as kubectl does on SIGINT and the agent is told to stop.
    let out = engine.cancel(5, secs(6));
    assert_eq!(out, vec![FromWorker::Reply { id: 5, reply: Reply::Done { exit_code: 130, prompt: None } }]);
    let (_, sent, ..) = io(&mut engine);
    assert!(sent.iter().any(|(_, m)| *m == ToAgent::PortForwardStop(PortForwardStop { id: listen.id })), "{sent:?}");

    // A port already taken on the agent's machine: kubectl's lines, and the call fails.
    port_forward_line(&mut engine, 6, "kubectl port-forward p 8080:3000");
    let (_, sent, ..) = io(&mut engine);
    let Some(ToAgent::PortForwardListen(second)) = sent.into_iter().map(|(_, m)| m).find(|m| matches!(m, ToAgent::PortForwardListen(_))) else {
        panic!("no second listen")
    };
    let message = "error: unable to listen on any of the requested ports: [{8080 3000}]".to_string();
    engine.agent_frame(socket, &text(&FromAgent::PortForwardFailed(PortForwardFailed { id: second.id, message })), secs(7));
    let (.., messages, _) = io(&mut engine);
    assert_eq!(messages, vec![
        FromWorker::Output { id: 6, text: "error: unable to listen on any of the requested ports: [{8080 3000}]\n".into(), stderr: true },
        FromWorker::Reply { id: 6, reply: Reply::Done { exit_code: 1, prompt: None } },
    ]);

    // A lost link ends a running forward (the agent closes its listeners on its side).
    port_forward_line(&mut engine, 7, "kubectl port-forward p 8081:3000");
    io(&mut engine);
    engine.agent_closed(socket, secs(8));
    let (.., messages, _) = io(&mut engine);
    assert!(messages.contains(&FromWorker::Reply { id: 7, reply: Reply::Done { exit_code: 1, prompt: None } }), "{messages:?}");
}

#[test]
fn a_faster_cluster_tolerates_the_agents_real_heartbeat() {
    let fast = link_config(Speed(20), None);
    assert_eq!(fast.heartbeat_seconds, 1);
    assert!(
        fast.silence >= SignedDuration::from_secs(4 * 20),
        "{:?}",
        fast.silence
    );
    assert_eq!(
        link_config(Speed::NORMAL, None),
        LinkConfig {
            heartbeat_seconds: 10,
            metrics_seconds: 15,
            serves_api: true,
            serves_exec: true,
            ..LinkConfig::default()
        }
    );
}

#[test]
fn a_reset_keeps_the_agents_and_their_machines_register_with_the_fresh_cluster() {
    let (mut engine, socket) = connected("laptop");
    io(&mut engine);
    assert_eq!(engine.handle(Call::Reset, secs(1)), Reply::Ok);
    let (opened, _, closed, _, statuses) = io(&mut engine);
    assert_eq!(closed, vec![socket], "the old link closes");
    assert_eq!(opened.len(), 1, "and a new one opens");
    assert_eq!(statuses.unwrap()[0].phase, AgentPhase::Connecting);
    let socket = opened[0].0;
    engine.agent_opened(socket);
    engine.agent_frame(socket, &hello(), secs(1));
    engine.agent_frame(socket, &register("laptop"), secs(1));
    let view = engine.view_if_changed(secs(1)).unwrap();
    let names: Vec<&str> = view.nodes.iter().map(|n| n.name.as_str()).collect();
    assert_eq!(names, ["laptop", "node-1", "node-2", "node-3"]);
}

#[test]
fn exec_it_opens_a_tty_session_whose_keys_sizes_and_output_cross_the_link_as_bytes() {
    let (mut engine, socket) = connected("laptop");
    running_pod(&mut engine, socket);
    let line = "kubectl exec -it p -- sh".to_string();
    let messages = engine.call(
        5,
        Call::Kubectl {
            session: "t".into(),
            line,
            files: vec![],
        },
        secs(2),
    );
    assert!(
        messages
            .iter()
            .all(|m| !matches!(m, FromWorker::Reply { .. })),
        "{messages:?}"
    );
    let (_, sent, _, messages, _) = io(&mut engine);
    assert_eq!(messages, vec![FromWorker::ExecOpened { id: 5, tty: true }]);
    let stream = sent
        .iter()
        .find_map(|(_, m)| match m {
            ToAgent::OpenStream(o)
                if o.open
                    == StreamOpen::Exec {
                        namespace: "default".into(),
                        pod: "p".into(),
                        container: "c".into(),
                        command: vec!["sh".into()],
                        stdin: true,
                        tty: true,
                    } =>
            {
                Some(o.stream)
            }
            _ => None,
        })
        .expect("an exec stream with stdin and a TTY");

    // Keys and sizes go to the agent as they are.
    engine.session_input(5, b"ls\r");
    engine.session_resize(5, 100, 30);
    let (_, sent, ..) = io(&mut engine);
    assert!(sent.iter().any(|(_, m)| matches!(m, ToAgent::Resize(r) if (r.stream, r.cols, r.rows) == (stream, 100, 30))), "{sent:?}");
    assert!(sent.iter().any(|(_, m)| matches!(m, ToAgent::Data(d) if d.stream == stream && d.channel == Channel::Stdin && d.data == b"ls\r")), "{sent:?}");
    assert_eq!(sent.len(), 2, "stdin and the resize: {sent:?}");

    // The TTY's bytes reach the terminal untouched, even a character cut in two.
    let data = StreamData {
        stream,
        channel: Channel::Stdout,
        data: b"\x1b[31mred\xe2\x82".to_vec(),
    };
    engine.agent_frame(socket, &Frame::Binary(encode_data(&data).unwrap()), secs(3));
    let (.., messages, _) = io(&mut engine);
    assert_eq!(
        messages,
        vec![FromWorker::ExecOutput {
            id: 5,
            data: b"\x1b[31mred\xe2\x82".to_vec()
        }]
    );

    // `exit 3`: kubectl's last words, then the line's end with the status.
    let close = FromAgent::CloseStream(CloseStream {
        stream,
        exit_code: Some(3),
        error: None,
    });
    engine.agent_frame(socket, &text(&close), secs(4));
    let (.., messages, _) = io(&mut engine);
    assert_eq!(
        messages,
        vec![
            FromWorker::Output {
                id: 5,
                text: "command terminated with exit code 3\n".into(),
                stderr: true
            },
            FromWorker::Reply {
                id: 5,
                reply: Reply::Done {
                    exit_code: 3,
                    prompt: None
                }
            },
        ]
    );
    // The session is gone: later keys go nowhere.
    engine.session_input(5, b"x");
    assert!(io(&mut engine).1.is_empty());
}

fn api_request(id: u64, method: &str, path: &str, query: &str, body: &str) -> Frame {
    text(&FromAgent::ApiRequest(ApiRequest {
        id,
        request: kubeplay_shared::node_protocol::TunnelledRequest {
            method: method.into(),
            path: path.into(),
            query: query.into(),
            headers: vec![("Content-Type".into(), "application/json".into())],
            body: body.into(),
        },
    }))
}

#[test]
fn kubectl_requests_tunnelled_by_the_agent_are_answered_by_the_pages_control_plane() {
    let (mut engine, socket) = connected("laptop");
    let (_, sent, ..) = io(&mut engine);
    assert!(sent
        .iter()
        .any(|(_, m)| matches!(m, ToAgent::Registered { features, .. }
            if features.iter().any(|f| f == kubeplay_shared::node_protocol::FEATURE_KUBE_API))));

    engine.agent_frame(
        socket,
        &api_request(2, "GET", "/api/v1/nodes", "", ""),
        secs(1),
    );
    let (_, sent, ..) = io(&mut engine);
    let Some(ToAgent::ApiResponse(answer)) = sent
        .iter()
        .map(|(_, m)| m)
        .find(|m| matches!(m, ToAgent::ApiResponse(_)))
    else {
        panic!("{sent:?}")
    };
    let TunnelledResponse::Body { status, body, .. } = &answer.response else {
        panic!("{answer:?}")
    };
    assert_eq!((answer.id, *status), (2, 200));
    let nodes: Value = serde_json::from_str(body).unwrap();
    let names: Vec<&str> = nodes["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|n| n["metadata"]["name"].as_str())
        .collect();
    assert_eq!(names, ["laptop", "node-1", "node-2", "node-3"]);

    engine.agent_frame(
        socket,
        &api_request(
            4,
            "GET",
            "/api/v1/namespaces/default/configmaps",
            "watch=true",
            "",
        ),
        secs(2),
    );
    engine.tick(secs(2));
    let (_, sent, ..) = io(&mut engine);
    assert!(sent.iter().any(|(_, m)| matches!(m, ToAgent::ApiResponse(a) if a.id == 4 && matches!(a.response, TunnelledResponse::Watch { .. }))), "{sent:?}");
    assert_eq!(engine.control_plane().api().open_watches(), 1);

    let cm = r#"{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"made-in-the-page"}}"#;
    engine.handle(
        Call::Apply {
            yaml: cm.into(),
            namespace: "default".into(),
        },
        secs(3),
    );
    engine.tick(secs(3));
    let (_, sent, ..) = io(&mut engine);
    let events: Vec<&Value> = sent
        .iter()
        .filter_map(|(_, m)| match m {
            ToAgent::ApiWatchEvents(w) if w.id == 4 && !w.done => Some(&w.events),
            _ => None,
        })
        .flatten()
        .collect();
    assert!(
        events
            .iter()
            .any(|e| e["type"] == "ADDED" && e["object"]["metadata"]["name"] == "made-in-the-page"),
        "{events:?}"
    );

    engine.agent_frame(socket, &text(&FromAgent::ApiWatchClose { id: 4 }), secs(4));
    assert_eq!(engine.control_plane().api().open_watches(), 0);

    // A watch left open when the socket goes is closed too.
    engine.agent_frame(
        socket,
        &api_request(6, "GET", "/api/v1/pods", "watch=true", ""),
        secs(5),
    );
    assert_eq!(engine.control_plane().api().open_watches(), 1);
    engine.agent_closed(socket, secs(6));
    engine.tick(secs(6));
    assert_eq!(engine.control_plane().api().open_watches(), 0);
}

/// Agent-opened exec stream `stream` for `pod` running `command`.
fn kubectl_exec(stream: StreamId, pod: &str, command: &[&str], stdin: bool) -> Frame {
    text(&FromAgent::OpenStream(kubeplay_shared::node_protocol::stream::OpenStream {
        stream,
        open: StreamOpen::Exec {
            namespace: "default".into(),
            pod: pod.into(),
            container: String::new(),
            command: command.iter().map(|c| c.to_string()).collect(),
            stdin,
            tty: false,
        },
    }))
}

fn data(stream: StreamId, channel: Channel, bytes: &[u8]) -> Frame {
    Frame::Binary(encode_data(&StreamData { stream, channel, data: bytes.to_vec() }).unwrap())
}

/// What the engine sent to `socket`, leaving out what every link gets anyway.
fn sent_to(engine: &mut Engine, socket: SocketId) -> Vec<ToAgent> {
    let (_, sent, ..) = io(engine);
    sent.into_iter()
        .filter(|(s, m)| *s == socket && !matches!(m, ToAgent::SyncPods { .. } | ToAgent::Credit(_)))
        .map(|(_, m)| m)
        .collect()
}

#[test]
fn kubectl_exec_through_an_agent_runs_a_simulated_pods_shell_here() {
    let (mut engine, socket) = connected_with("laptop", &[]);
    engine.handle(
        Call::Apply {
            yaml: "apiVersion: v1\nkind: Pod\nmetadata:\n  name: sim\nspec:\n  nodeName: node-1\n  containers:\n  - name: app\n    image: myapp:1.0\n".into(),
            namespace: "default".into(),
        },
        t0(),
    );
    for s in 1..30 {
        engine.tick(secs(s));
    }
    io(&mut engine);

    engine.agent_frame(socket, &kubectl_exec(2, "sim", &["sh", "-c", "echo hi from $HOSTNAME; exit 4"], false), secs(30));
    assert_eq!(
        sent_to(&mut engine, socket),
        vec![
            ToAgent::ExecStarted(kubeplay_shared::node_protocol::api_exec::ExecStarted { stream: 2 }),
            ToAgent::Data(StreamData { stream: 2, channel: Channel::Stdout, data: b"hi from sim\n".to_vec() }),
            ToAgent::CloseStream(CloseStream { stream: 2, exit_code: Some(4), error: None }),
        ]
    );

    // A shell reading its commands from kubectl's stdin.
    engine.agent_frame(socket, &kubectl_exec(4, "sim", &["sh"], true), secs(31));
    assert_eq!(sent_to(&mut engine, socket), vec![ToAgent::ExecStarted(kubeplay_shared::node_protocol::api_exec::ExecStarted { stream: 4 })]);
    engine.agent_frame(socket, &data(4, Channel::Stdin, b"echo $HOSTNAME\n"), secs(31));
    engine.agent_frame(socket, &data(4, Channel::Stdin, b""), secs(31));
    assert_eq!(
        sent_to(&mut engine, socket),
        vec![
            ToAgent::Data(StreamData { stream: 4, channel: Channel::Stdout, data: b"sim\n".to_vec() }),
            ToAgent::CloseStream(CloseStream { stream: 4, exit_code: Some(0), error: None }),
        ]
    );

    // The API server's checks, in its words.
    engine.agent_frame(socket, &kubectl_exec(6, "nope", &["env"], false), secs(32));
    assert_eq!(
        sent_to(&mut engine, socket),
        vec![ToAgent::ExecRefused(kubeplay_shared::node_protocol::api_exec::ExecRefused {
            stream: 6,
            code: 404,
            reason: "NotFound".into(),
            message: "pods \"nope\" not found".into(),
        })]
    );
}

#[test]
fn kubectl_exec_through_one_agent_into_a_pod_of_another_is_relayed_between_their_links() {
    let (mut engine, near) = connected("laptop");
    let far_url = "ws://10.0.0.6:7443/v1/connect";
    engine.handle(Call::ConnectAgent { url: far_url.into(), token: TOKEN.into() }, t0());
    let (opened, ..) = io(&mut engine);
    let [(far, ..)] = &opened[..] else { panic!("{opened:?}") };
    let far = *far;
    engine.agent_opened(far);
    engine.agent_frame(far, &hello(), t0());
    engine.agent_frame(far, &register("desk"), t0());
    engine.handle(
        Call::Apply {
            yaml: "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec:\n  nodeName: desk\n  containers:\n  - name: c\n    image: myapp:1.0\n".into(),
            namespace: "default".into(),
        },
        t0(),
    );
    engine.tick(secs(1));
    io(&mut engine);

    engine.agent_frame(near, &kubectl_exec(2, "p", &["cat"], true), secs(2));
    let (_, sent, ..) = io(&mut engine);
    assert!(sent.contains(&(near, ToAgent::ExecStarted(kubeplay_shared::node_protocol::api_exec::ExecStarted { stream: 2 }))), "{sent:?}");
    let relayed = sent
        .iter()
        .find_map(|(s, m)| match m {
            ToAgent::OpenStream(o) if *s == far => Some(o.clone()),
            _ => None,
        })
        .expect("the exec opens on the pod's agent");
    assert_eq!(
        relayed.open,
        StreamOpen::Exec { namespace: "default".into(), pod: "p".into(), container: "c".into(), command: vec!["cat".into()], stdin: true, tty: false }
    );
    let stream = relayed.stream;

    engine.agent_frame(near, &data(2, Channel::Stdin, b"hello\n"), secs(2));
    engine.agent_frame(near, &data(2, Channel::Resize, br#"{"Width":100,"Height":30}"#), secs(2));
    engine.agent_frame(near, &data(2, Channel::Stdin, b""), secs(2));
    assert_eq!(
        sent_to(&mut engine, far),
        vec![
            ToAgent::Data(StreamData { stream, channel: Channel::Stdin, data: b"hello\n".to_vec() }),
            ToAgent::Resize(kubeplay_shared::node_protocol::stream::Resize { stream, cols: 100, rows: 30 }),
            ToAgent::Data(StreamData { stream, channel: Channel::Stdin, data: Vec::new() }),
        ]
    );
    engine.agent_frame(far, &data(stream, Channel::Stdout, b"hello\n"), secs(3));
    engine.agent_frame(far, &text(&FromAgent::CloseStream(CloseStream { stream, exit_code: Some(0), error: None })), secs(3));
    assert_eq!(
        sent_to(&mut engine, near),
        vec![
            ToAgent::Data(StreamData { stream: 2, channel: Channel::Stdout, data: b"hello\n".to_vec() }),
            ToAgent::CloseStream(CloseStream { stream: 2, exit_code: Some(0), error: None }),
        ]
    );

    // kubectl leaving stops the process on the far agent.
    engine.agent_frame(near, &kubectl_exec(4, "p", &["sleep", "60"], false), secs(4));
    let (_, sent, ..) = io(&mut engine);
    let stream = sent
        .iter()
        .find_map(|(s, m)| match m {
            ToAgent::OpenStream(o) if *s == far => Some(o.stream),
            _ => None,
        })
        .expect("relayed");
    engine.agent_frame(near, &text(&FromAgent::CloseStream(CloseStream { stream: 4, exit_code: None, error: None })), secs(5));
    assert_eq!(sent_to(&mut engine, far), vec![ToAgent::CloseStream(CloseStream { stream, exit_code: None, error: None })]);
}
