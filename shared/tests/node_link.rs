//! A control plane with one agent-backed node, driven by a fake agent written here that speaks
//! the node protocol through real frames, on a fake clock.

use jiff::{SignedDuration, Timestamp};
use kubeplay_shared::manifest::apply::apply;
use kubeplay_shared::node_link::registration::AGENT_LABEL;
use kubeplay_shared::node_link::{LinkEvent, NodeLink};
use kubeplay_shared::node_protocol::node::{NodeAddress, NodeInfo, NodeRegistration, NodeStatusReport};
use kubeplay_shared::node_protocol::report::{ContainerUsage, MetricsReport, PodRef, PodStatusReport, PodUsage, Usage};
use kubeplay_shared::node_link::StreamEvent;
use kubeplay_shared::node_protocol::flow::Sender;
use kubeplay_shared::node_protocol::stream::{Channel, StreamData, StreamOpen, INITIAL_WINDOW};
use kubeplay_shared::node_protocol::{decode, encode, DesiredPod, EnvVar, FromAgent, Hello, ToAgent, PROTOCOL_VERSION};
use kubeplay_shared::sim::nodes::{add_node, NodeSpec};
use kubeplay_shared::{ControlPlane, Request};
use serde_json::{json, Value};

const SEED_DEPLOYMENT: &str = include_str!("fixtures/seed/deployment.yaml");
const SEED_SERVICE: &str = include_str!("fixtures/seed/service.yaml");
const SEED_CONFIGMAP: &str = include_str!("fixtures/seed/configmap.yaml");
const SEED_SECRET: &str = include_str!("fixtures/seed/secret.yaml");
const SEED_ENV_FROM: &str = include_str!("fixtures/seed/env-from.yaml");

const NODE: &str = "pi";
const HOST_IP: &str = "192.168.1.20";

/// The cluster, the link, and a fake agent on the other end of it.
struct Cluster {
    cp: ControlPlane,
    link: NodeLink,
    now: Timestamp,
    /// Every `SyncPods` the agent received, in order.
    syncs: Vec<Vec<DesiredPod>>,
    heartbeating: bool,
    last_heartbeat: Timestamp,
}

impl Cluster {
    fn new() -> Self {
        let now: Timestamp = "2026-01-01T00:00:00Z".parse().unwrap();
        let mut c = Self { cp: ControlPlane::new(7, now), link: NodeLink::default(), now, syncs: Vec::new(), heartbeating: true, last_heartbeat: now };
        c.send(FromAgent::Hello(Hello { protocol_versions: vec![PROTOCOL_VERSION], agent_version: "fake-agent".into() }));
        c.send(FromAgent::Register(Box::new(registration())));
        c.run(5);
        c
    }


    /// The agent sends a message, through a real frame.
    fn send(&mut self, msg: FromAgent) {
        let msg: FromAgent = decode(&encode(&msg).unwrap()).unwrap();
        let out = self.link.on_message(msg, self.cp.api_mut(), self.now);
        assert!(!out.events.iter().any(|e| matches!(e, LinkEvent::Refused { .. })), "{out:?}");
        self.receive(out.to_agent);
    }

    /// The agent receives messages, through real frames.
    fn receive(&mut self, msgs: Vec<ToAgent>) {
        for m in msgs {
            match decode::<ToAgent>(&encode(&m).unwrap()).unwrap() {
                ToAgent::SyncPods { pods } => self.syncs.push(pods),
                ToAgent::Refused(r) => panic!("refused: {}", r.reason),
                _ => {}
            }
        }
    }

    /// Runs `secs` seconds of cluster time, the host polling the link every second.
    fn run(&mut self, secs: i64) {
        for _ in 0..secs {
            if self.heartbeating && self.now.duration_since(self.last_heartbeat) >= SignedDuration::from_secs(10) {
                self.last_heartbeat = self.now;
                self.send(FromAgent::NodeStatus(NodeStatusReport::default()));
            }
            let out = self.link.poll(self.cp.api_mut(), self.now);
            self.receive(out.to_agent);
            let next = self.now.checked_add(SignedDuration::from_secs(1)).unwrap();
            self.now = self.cp.run_until(self.now, next, SignedDuration::from_secs(1));
        }
        let out = self.link.poll(self.cp.api_mut(), self.now);
        self.receive(out.to_agent);
    }

    fn apply(&mut self, source: &str) {
        for o in apply(self.cp.api_mut(), source, "default", self.now).unwrap() {
            assert!(o.result.is_ok(), "{}", o.summary());
        }
    }

    fn get(&mut self, path: &str) -> Value {
        self.cp.api_mut().handle(&Request::get(path), self.now).json_body()
    }

    fn pod(&mut self, name: &str) -> Value {
        self.get(&format!("/api/v1/namespaces/default/pods/{name}"))
    }

    fn desired(&self) -> &[DesiredPod] {
        self.syncs.last().map(Vec::as_slice).unwrap_or_default()
    }

    /// The agent reports a desired pod as running and ready.
    fn report_running(&mut self, d: &DesiredPod, ip: &str) {
        let pod = &d.pod;
        let since = "2026-01-01T00:00:10Z";
        let containers: Vec<Value> = pod["spec"]["containers"].as_array().unwrap().iter().map(|c| json!({
            "name": c["name"], "image": c["image"], "imageID": "", "ready": true, "restartCount": 0, "started": true,
            "state": {"running": {"startedAt": since}}, "lastState": {}, "containerID": format!("docker://{}", c["name"].as_str().unwrap()),
        })).collect();
        let cond = |t: &str| json!({"type": t, "status": "True", "lastProbeTime": null, "lastTransitionTime": since});
        let status = json!({
            "phase": "Running", "podIP": ip, "podIPs": [{"ip": ip}], "hostIP": HOST_IP, "hostIPs": [{"ip": HOST_IP}], "startTime": since,
            "conditions": [cond("PodReadyToStartContainers"), cond("Initialized"), cond("Ready"), cond("ContainersReady")],
            "containerStatuses": containers,
        });
        self.send(FromAgent::PodStatus(PodStatusReport { pod: pod_ref(pod), status }));
    }
}

fn registration() -> NodeRegistration {
    let resources = || [("cpu", "4"), ("memory", "8Gi"), ("pods", "110")].map(|(k, v)| (k.to_string(), v.to_string())).into();
    NodeRegistration {
        node_name: NODE.into(),
        capacity: resources(),
        allocatable: resources(),
        node_info: NodeInfo { operating_system: "linux".into(), architecture: "arm64".into(), container_runtime_version: "docker://27.3.1".into(), ..NodeInfo::default() },
        addresses: vec![NodeAddress { kind: "InternalIP".into(), address: HOST_IP.into() }],
        labels: Default::default(),
        features: Vec::new(),
    }
}

fn pod_ref(pod: &Value) -> PodRef {
    let m = &pod["metadata"];
    PodRef { namespace: m["namespace"].as_str().unwrap().into(), name: m["name"].as_str().unwrap().into(), uid: m["uid"].as_str().unwrap().into() }
}

fn name(d: &DesiredPod) -> String {
    d.pod["metadata"]["name"].as_str().unwrap().to_string()
}

fn ready(node_or_pod: &Value) -> Option<String> {
    node_or_pod["status"]["conditions"].as_array()?.iter().find(|c| c["type"] == "Ready").map(|c| c["status"].as_str().unwrap_or_default().to_string())
}

/// Registers, runs the seed Deployment and reports its pods running.
fn seed_running() -> Cluster {
    let mut c = Cluster::new();
    c.apply(SEED_DEPLOYMENT);
    c.apply(SEED_SERVICE);
    c.run(5);
    let pods = c.desired().to_vec();
    assert_eq!(pods.len(), 3, "{:#?}", c.syncs);
    for (i, d) in pods.iter().enumerate() {
        c.report_running(d, &format!("10.244.1.{}", i + 2));
    }
    c.run(5);
    c
}

#[test]
fn an_agent_registers_a_ready_node_labelled_as_real() {
    let mut c = Cluster::new();
    let node = c.get(&format!("/api/v1/nodes/{NODE}"));
    assert_eq!(node["metadata"]["labels"][AGENT_LABEL], "true");
    assert!(node["metadata"]["labels"].get("kubeplay.dev/simulated").is_none());
    assert_eq!(ready(&node).as_deref(), Some("True"));
    assert_eq!(node["status"]["nodeInfo"]["containerRuntimeVersion"], "docker://27.3.1");
    assert_eq!(node["status"]["addresses"][0]["address"], HOST_IP);
    assert_eq!(c.syncs, vec![Vec::<DesiredPod>::new()], "one empty desired set, not repeated");
}

#[test]
fn the_seed_deployment_runs_on_the_agent_and_becomes_available() {
    let mut c = seed_running();
    let pods = c.desired().to_vec();
    for d in &pods {
        assert_eq!(d.pod["spec"]["nodeName"], NODE);
        assert_eq!(d.env["api"], vec![EnvVar { name: "DATABASE_URL".into(), value: "postgres://user:pass@db-service:5432/mydb".into() }]);
        assert!(d.pod.get("status").is_none());
    }
    let d = c.get("/apis/apps/v1/namespaces/default/deployments/my-api");
    assert_eq!(d["status"]["availableReplicas"], 3, "{:#}", d["status"]);
    let ep = c.get("/api/v1/namespaces/default/endpoints/my-api-service");
    let mut ips: Vec<&str> = ep["subsets"][0]["addresses"].as_array().unwrap().iter().map(|a| a["ip"].as_str().unwrap()).collect();
    ips.sort();
    assert_eq!(ips, ["10.244.1.2", "10.244.1.3", "10.244.1.4"]);
    assert_eq!(ep["subsets"][0]["ports"][0]["port"], 3000);
}

#[test]
fn status_reports_are_not_rewritten_when_unchanged_and_do_not_resync_pods() {
    let mut c = seed_running();
    let syncs = c.syncs.len();
    let d = c.desired()[0].clone();
    let before = c.pod(&name(&d));
    c.report_running(&d, "10.244.1.2");
    c.run(30);
    let after = c.pod(&name(&d));
    assert_eq!(before["metadata"]["resourceVersion"], after["metadata"]["resourceVersion"]);
    assert_eq!(after["status"]["podIP"], "10.244.1.2");
    assert_eq!(c.syncs.len(), syncs, "status changes never resend the desired set");
}

#[test]
fn a_deleted_pod_goes_to_the_agent_with_its_grace_and_is_removed_when_the_agent_is_done() {
    let mut c = seed_running();
    let victim = name(&c.desired()[0]);
    let r = c.cp.api_mut().handle(&Request::delete(&format!("/api/v1/namespaces/default/pods/{victim}")), c.now);
    assert!((200..300).contains(&r.status()), "{r:?}");
    c.run(1);
    let terminating = c.desired().iter().find(|d| name(d) == victim).unwrap().clone();
    assert!(terminating.pod["metadata"]["deletionTimestamp"].is_string());
    assert_eq!(terminating.pod["metadata"]["deletionGracePeriodSeconds"], 30);
    assert_eq!(c.desired().len(), 4, "the replacement is desired too");
    c.send(FromAgent::PodRemoved { pod: pod_ref(&terminating.pod) });
    c.run(1);
    assert_eq!(c.pod(&victim)["reason"], "NotFound");
    assert!(c.desired().iter().all(|d| name(d) != victim));
}

#[test]
fn a_silent_agent_s_node_turns_not_ready_and_its_pods_move_to_a_simulated_node() {
    let mut c = seed_running();
    // A healthy node elsewhere (with every node down, Kubernetes evicts nothing).
    let spec = NodeSpec { name: "node-1".into(), cpu: "4".into(), memory: "8Gi".into(), pods: 110 };
    add_node(c.cp.api_mut(), &spec, c.now).unwrap();
    c.heartbeating = false;
    // Silence (40 s), then the node grace period (50 s).
    c.run(120);
    let node = c.get(&format!("/api/v1/nodes/{NODE}"));
    assert_eq!(ready(&node).as_deref(), Some("Unknown"), "{:#}", node["status"]);
    let pods = c.get("/api/v1/namespaces/default/pods")["items"].as_array().unwrap().clone();
    assert!(pods.iter().all(|p| p["metadata"].get("deletionTimestamp").is_none()), "not before the toleration");
    // The default 300 s toleration of node.kubernetes.io/unreachable.
    c.run(300);
    let pods = c.get("/api/v1/namespaces/default/pods")["items"].as_array().unwrap().clone();
    let on = |node: &str, terminating: bool| {
        pods.iter().filter(|p| p["spec"]["nodeName"] == node && p["metadata"]["deletionTimestamp"].is_string() == terminating).count()
    };
    assert_eq!(on(NODE, true), 3, "evicted: {pods:#?}");
    assert_eq!(on("node-1", false), 3, "replaced on the simulated node");
}

#[test]
fn a_closed_link_stops_heartbeats_like_a_silent_agent() {
    let mut c = seed_running();
    c.link.close();
    c.run(120);
    let node = c.get(&format!("/api/v1/nodes/{NODE}"));
    assert_eq!(ready(&node).as_deref(), Some("Unknown"));
}

#[test]
fn env_from_a_config_map_and_a_secret_is_resolved_for_the_agent() {
    let mut c = Cluster::new();
    c.apply(SEED_CONFIGMAP);
    c.apply(SEED_SECRET);
    c.apply(SEED_ENV_FROM);
    c.run(5);
    let d = c.desired().iter().find(|d| name(d) == "api-with-config").expect("sent").clone();
    let env: Vec<(&str, &str)> = d.env["api"].iter().map(|v| (v.name.as_str(), v.value.as_str())).collect();
    assert_eq!(
        env,
        [
            ("APP_ENV", "production"),
            ("LOG_LEVEL", "info"),
            ("MAX_CONNECTIONS", "100"),
            ("API_KEY", "sk-abc123"),
            ("DB_PASSWORD", "supersecret123"),
            ("DATABASE_PASSWORD", "supersecret123"),
        ]
    );
}

#[test]
fn a_pod_with_a_missing_secret_is_held_back_with_create_container_config_error() {
    let mut c = Cluster::new();
    c.apply(SEED_CONFIGMAP);
    c.apply(SEED_ENV_FROM);
    c.run(5);
    assert!(c.desired().is_empty(), "not sent to the agent");
    let pod = c.pod("api-with-config");
    assert_eq!(pod["status"]["phase"], "Pending");
    assert_eq!(
        pod["status"]["containerStatuses"][0]["state"]["waiting"],
        json!({"reason": "CreateContainerConfigError", "message": "secret \"db-credentials\" not found"})
    );
    let events = c.get("/api/v1/namespaces/default/events")["items"].as_array().unwrap().clone();
    let failed: Vec<&Value> = events.iter().filter(|e| e["reason"] == "Failed" && e["involvedObject"]["name"] == "api-with-config").collect();
    assert_eq!(failed.len(), 1);
    assert_eq!(failed[0]["message"], "Error: secret \"db-credentials\" not found");
    assert_eq!(failed[0]["source"]["host"], NODE);
    let rv = pod["metadata"]["resourceVersion"].clone();
    c.run(30);
    assert_eq!(c.pod("api-with-config")["metadata"]["resourceVersion"], rv, "reported once, not rewritten");
    c.apply(SEED_SECRET);
    c.run(2);
    assert!(c.desired().iter().any(|d| name(d) == "api-with-config"), "sent once the Secret exists");
}

#[test]
fn agent_metrics_feed_kubectl_top() {
    let mut c = seed_running();
    let d = c.desired()[0].clone();
    let usage = Usage { cpu_nanocores: 25_000_000, memory_bytes: 64 << 20 };
    c.send(FromAgent::Metrics(MetricsReport {
        window_seconds: 15,
        node: Usage { cpu_nanocores: 400_000_000, memory_bytes: 1 << 30 },
        pods: vec![PodUsage { pod: pod_ref(&d.pod), containers: vec![ContainerUsage { name: "api".into(), usage }] }],
    }));
    let m = c.get(&format!("/apis/metrics.k8s.io/v1beta1/namespaces/default/pods/{}", name(&d)));
    assert_eq!(m["containers"][0]["usage"], json!({"cpu": "25000000n", "memory": "65536Ki"}));
    let n = c.get(&format!("/apis/metrics.k8s.io/v1beta1/nodes/{NODE}"));
    assert_eq!(n["usage"]["cpu"], "400000000n");
}

#[test]
fn a_slow_page_stalls_an_exec_stream_instead_of_growing_buffers() {
    let mut c = seed_running();
    let pod = name(&c.desired()[0]);
    let open = StreamOpen::Exec { namespace: "default".into(), pod, container: "api".into(), command: vec!["cat".into(), "/big".into()], stdin: false, tty: false };
    let (id, msg) = c.link.open_stream(open).unwrap();
    assert!(matches!(decode::<ToAgent>(&encode(&msg).unwrap()).unwrap(), ToAgent::OpenStream(o) if o.stream == id));
    // The agent's side: 1 MiB of stdout through a bounded queue; the page reads 10 KiB a turn.
    const TOTAL: usize = 1 << 20;
    const AGENT_QUEUE: usize = 64 * 1024;
    let mut agent = Sender::new(INITIAL_WINDOW, AGENT_QUEUE);
    let (mut produced, mut delivered, mut page_buffer, mut received) = (0, 0, 0, 0);
    while received < TOTAL {
        produced += agent.push(Channel::Stdout, &vec![b'x'; (TOTAL - produced).min(AGENT_QUEUE)]).unwrap();
        while let Some((channel, data)) = agent.next_chunk() {
            delivered += data.len();
            let out = c.link.on_message(FromAgent::Data(StreamData { stream: id, channel, data }), c.cp.api_mut(), c.now);
            for e in out.events {
                if let LinkEvent::Stream(StreamEvent::Data(d)) = e {
                    page_buffer += d.data.len();
                }
            }
        }
        assert!(page_buffer <= INITIAL_WINDOW as usize, "the page never holds more than the window");
        assert!(agent.queued() <= AGENT_QUEUE, "the agent never queues more than its bound");
        assert!(delivered - received <= INITIAL_WINDOW as usize);
        let take = page_buffer.min(10 * 1024);
        page_buffer -= take;
        received += take;
        for m in c.link.consumed(id, take) {
            if let ToAgent::Credit(credit) = decode::<ToAgent>(&encode(&m).unwrap()).unwrap() {
                agent.grant(credit.bytes);
            }
        }
    }
    assert_eq!(received, TOTAL);
    let closed = c.link.on_message(FromAgent::CloseStream(kubeplay_shared::node_protocol::stream::CloseStream { stream: id, exit_code: Some(0), error: None }), c.cp.api_mut(), c.now);
    assert!(matches!(&closed.events[..], [LinkEvent::Stream(StreamEvent::Closed(cs))] if cs.exit_code == Some(0)));
    assert!(c.link.streams().is_empty());
}

#[test]
fn a_reconnecting_agent_takes_its_node_back_and_gets_its_pods_again() {
    let mut c = seed_running();
    c.link.close();
    c.run(120);
    assert_eq!(ready(&c.get(&format!("/api/v1/nodes/{NODE}"))).as_deref(), Some("Unknown"));
    let uid = c.get(&format!("/api/v1/nodes/{NODE}"))["metadata"]["uid"].clone();
    let cidr = c.get(&format!("/api/v1/nodes/{NODE}"))["spec"]["podCIDR"].clone();
    // A new link, as after the tab reloads: the same node, the same pods.
    c.link = NodeLink::default();
    c.syncs.clear();
    c.last_heartbeat = c.now;
    c.send(FromAgent::Hello(Hello { protocol_versions: vec![PROTOCOL_VERSION], agent_version: "fake-agent".into() }));
    c.send(FromAgent::Register(Box::new(registration())));
    c.run(10);
    let node = c.get(&format!("/api/v1/nodes/{NODE}"));
    assert_eq!(ready(&node).as_deref(), Some("True"));
    assert_eq!(node["metadata"]["uid"], uid);
    assert_eq!(node["spec"]["podCIDR"], cidr);
    assert_eq!(c.desired().len(), 3);
}
