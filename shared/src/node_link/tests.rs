use super::registration::AGENT_LABEL;
use super::*;
use crate::node_protocol::node::{NodeAddress, NodeCondition, NodeInfo};
use crate::node_protocol::report::PodRef;
use crate::node_protocol::Hello;
use crate::sim::nodes::{add_node, NodeSpec, LEASE_NAMESPACE};
use serde_json::json;

fn t(s: i64) -> Timestamp {
    let t0: Timestamp = "2026-01-01T00:00:00Z".parse().unwrap();
    t0.checked_add(SignedDuration::from_secs(s)).unwrap()
}

fn hello(versions: Vec<u32>) -> FromAgent {
    FromAgent::Hello(Hello { protocol_versions: versions, agent_version: "test".into() })
}

fn registration(name: &str) -> FromAgent {
    FromAgent::Register(Box::new(NodeRegistration {
        node_name: name.into(),
        capacity: [("cpu".to_string(), "4".to_string()), ("memory".to_string(), "8Gi".to_string()), ("pods".to_string(), "110".to_string())].into(),
        allocatable: [("cpu".to_string(), "4".to_string()), ("memory".to_string(), "8Gi".to_string()), ("pods".to_string(), "110".to_string())].into(),
        node_info: NodeInfo { operating_system: "linux".into(), architecture: "arm64".into(), ..NodeInfo::default() },
        addresses: vec![NodeAddress { kind: "InternalIP".into(), address: "192.168.1.20".into() }],
        labels: Default::default(),
        features: Vec::new(),
    }))
}

fn linked(api: &mut ApiServer, name: &str) -> (NodeLink, Output) {
    let mut link = NodeLink::default();
    link.on_message(hello(vec![1]), api, t(0));
    let out = link.on_message(registration(name), api, t(0));
    (link, out)
}

fn get(api: &ApiServer, plural: &str, ns: &str, name: &str) -> Option<Value> {
    let group = if plural == "leases" { "coordination.k8s.io" } else { "" };
    api.get(resources::by_plural(group, "v1", plural).unwrap(), ns, name).ok().map(|v| (**v).clone())
}

#[test]
fn a_link_must_start_with_hello_in_a_common_version() {
    let mut api = ApiServer::new(1, t(0));
    let mut link = NodeLink::default();
    let out = link.on_message(registration("pi"), &mut api, t(0));
    assert!(matches!(&out.to_agent[..], [ToAgent::Refused(_)]));
    assert!(link.is_closed());
    let mut link = NodeLink::default();
    let out = link.on_message(hello(vec![99]), &mut api, t(0));
    assert!(matches!(&out.events[..], [LinkEvent::Refused { .. }]));
    assert!(get(&api, "nodes", "", "pi").is_none(), "a refused link changes nothing");
}

#[test]
fn registration_creates_an_agent_node_with_a_pod_cidr_and_a_lease() {
    let mut api = ApiServer::new(1, t(0));
    let (link, out) = linked(&mut api, "pi");
    assert_eq!(link.version(), Some(1));
    let ToAgent::Registered { pod_cidr, .. } = &out.to_agent[0] else { panic!("{out:?}") };
    assert_eq!(pod_cidr, "10.244.1.0/24");
    assert!(matches!(&out.to_agent[1], ToAgent::SyncPods { pods } if pods.is_empty()));
    let node = get(&api, "nodes", "", "pi").unwrap();
    assert_eq!(node["metadata"]["labels"][AGENT_LABEL], "true");
    assert_eq!(node["metadata"]["labels"]["kubernetes.io/arch"], "arm64");
    assert_eq!(node["status"]["capacity"]["cpu"], "4");
    assert_eq!(node["status"]["nodeInfo"]["architecture"], "arm64");
    let ready = node["status"]["conditions"].as_array().unwrap().iter().find(|c| c["type"] == "Ready").unwrap().clone();
    assert_eq!(ready["status"], "True");
    assert!(get(&api, "leases", LEASE_NAMESPACE, "pi").is_some());
}

#[test]
fn a_simulated_node_name_or_a_bad_quantity_is_refused() {
    let mut api = ApiServer::new(1, t(0));
    let spec = NodeSpec { name: "node-1".into(), cpu: "4".into(), memory: "8Gi".into(), pods: 110 };
    add_node(&mut api, &spec, t(0)).unwrap();
    let (link, out) = linked(&mut api, "node-1");
    assert!(link.is_closed());
    assert!(matches!(&out.events[..], [LinkEvent::Refused { reason }] if reason.contains("simulated")), "{out:?}");
    let mut link = NodeLink::default();
    link.on_message(hello(vec![1]), &mut api, t(0));
    let FromAgent::Register(mut reg) = registration("pi") else { unreachable!() };
    reg.capacity.insert("cpu".into(), "lots".into());
    let out = link.on_message(FromAgent::Register(reg), &mut api, t(0));
    assert!(matches!(&out.events[..], [LinkEvent::Refused { reason }] if reason.contains("lots")), "{out:?}");
    assert!(get(&api, "nodes", "", "pi").is_none());
}

#[test]
fn heartbeats_keep_the_lease_fresh_until_the_agent_falls_silent() {
    let mut api = ApiServer::new(1, t(0));
    let (mut link, _) = linked(&mut api, "pi");
    let renew = |api: &ApiServer| get(api, "leases", LEASE_NAMESPACE, "pi").unwrap()["spec"]["renewTime"].clone();
    for s in (10..=60).step_by(10) {
        link.on_message(FromAgent::NodeStatus(NodeStatusReport::default()), &mut api, t(s));
        link.poll(&mut api, t(s));
    }
    assert_eq!(renew(&api), json!("2026-01-01T00:01:00.000000Z"));
    // Silent from 60 s on: renewals go on for the silence period, then stop.
    for s in (70..=200).step_by(10) {
        link.poll(&mut api, t(s));
    }
    assert_eq!(renew(&api), json!("2026-01-01T00:01:40.000000Z"));
}

#[test]
fn a_changed_condition_is_posted_at_once_and_keeps_transition_times_otherwise() {
    let mut api = ApiServer::new(1, t(0));
    let (mut link, _) = linked(&mut api, "pi");
    let mut conditions = registration::ready_conditions();
    link.on_message(FromAgent::NodeStatus(NodeStatusReport { conditions: conditions.clone(), images: vec![] }), &mut api, t(10));
    let rv = get(&api, "nodes", "", "pi").unwrap()["metadata"]["resourceVersion"].clone();
    link.on_message(FromAgent::NodeStatus(NodeStatusReport { conditions: conditions.clone(), images: vec![] }), &mut api, t(20));
    assert_eq!(get(&api, "nodes", "", "pi").unwrap()["metadata"]["resourceVersion"], rv, "unchanged status is not rewritten");
    conditions[1] = NodeCondition { kind: "DiskPressure".into(), status: "True".into(), reason: "KubeletHasDiskPressure".into(), message: "disk".into() };
    link.on_message(FromAgent::NodeStatus(NodeStatusReport { conditions, images: vec![] }), &mut api, t(30));
    let node = get(&api, "nodes", "", "pi").unwrap();
    let cond = |ty: &str| node["status"]["conditions"].as_array().unwrap().iter().find(|c| c["type"] == ty).unwrap().clone();
    assert_eq!(cond("DiskPressure")["lastTransitionTime"], "2026-01-01T00:00:30Z");
    assert_eq!(cond("Ready")["lastTransitionTime"], "2026-01-01T00:00:00Z");
}

#[test]
fn an_agent_cannot_write_the_status_of_another_nodes_pod() {
    let mut api = ApiServer::new(1, t(0));
    let (mut link, _) = linked(&mut api, "pi");
    let pod = json!({"metadata": {"name": "p"}, "spec": {"nodeName": "elsewhere", "containers": [{"name": "c", "image": "busybox"}]}});
    let created = api.create(resources::by_plural("", "v1", "pods").unwrap(), "default", pod, t(0), WriteOptions::default()).unwrap();
    let r = PodRef { namespace: "default".into(), name: "p".into(), uid: meta::uid(&created).into() };
    link.on_message(FromAgent::PodStatus(crate::node_protocol::report::PodStatusReport { pod: r.clone(), status: json!({"phase": "Running"}) }), &mut api, t(1));
    assert_ne!(get(&api, "pods", "default", "p").unwrap()["status"]["phase"], "Running");
    link.on_message(FromAgent::PodRemoved { pod: r }, &mut api, t(1));
    assert!(get(&api, "pods", "default", "p").is_some());
}

#[test]
fn closing_the_link_stops_heartbeats_and_ends_streams() {
    let mut api = ApiServer::new(1, t(0));
    let (mut link, _) = linked(&mut api, "pi");
    link.open_stream(StreamOpen::PortForward { namespace: "default".into(), pod: "p".into(), port: 80 }).unwrap();
    let events = link.close();
    assert!(matches!(&events[..], [LinkEvent::Stream(StreamEvent::Closed(_))]));
    let before = get(&api, "leases", LEASE_NAMESPACE, "pi").unwrap();
    link.poll(&mut api, t(30));
    assert_eq!(get(&api, "leases", LEASE_NAMESPACE, "pi").unwrap(), before);
    assert_eq!(link.wake(), None);
    assert!(link.open_stream(StreamOpen::PortForward { namespace: "default".into(), pod: "p".into(), port: 80 }).is_err());
}

#[test]
fn wake_asks_for_the_next_lease_renewal_and_the_silence_deadline() {
    let mut api = ApiServer::new(1, t(0));
    let (mut link, _) = linked(&mut api, "pi");
    assert_eq!(link.wake(), Some(t(10)), "the next renewal");
    link.poll(&mut api, t(10));
    link.poll(&mut api, t(20));
    link.poll(&mut api, t(30));
    assert_eq!(link.wake(), Some(t(40)), "the last renewal before the silence deadline");
    link.poll(&mut api, t(40));
    assert_eq!(link.wake(), None, "silent: nothing is due until the agent speaks");
    link.on_message(FromAgent::NodeStatus(NodeStatusReport::default()), &mut api, t(45));
    assert_eq!(link.wake(), Some(t(50)));
}

fn services_sent(out: &Output) -> Vec<&Vec<crate::node_protocol::service::ServiceRoute>> {
    out.to_agent.iter().filter_map(|m| if let ToAgent::SyncServices { services, .. } = m { Some(services) } else { None }).collect()
}

#[test]
fn services_go_only_to_agents_that_take_them_and_only_when_they_change() {
    let mut api = ApiServer::new(1, t(0));
    let (mut old_agent, out) = linked(&mut api, "old");
    assert!(services_sent(&out).is_empty());
    let mut link = NodeLink::default();
    link.on_message(hello(vec![1]), &mut api, t(0));
    let FromAgent::Register(mut reg) = registration("pi") else { unreachable!() };
    reg.features = vec![crate::node_protocol::FEATURE_SERVICES.into()];
    let out = link.on_message(FromAgent::Register(reg), &mut api, t(0));
    assert_eq!(services_sent(&out).len(), 1, "the current Services right after registration");
    assert!(services_sent(&link.poll(&mut api, t(1))).is_empty(), "nothing changed");
    let svc = json!({"metadata": {"name": "my-api-service", "namespace": "default"},
        "spec": {"selector": {"app": "my-api"}, "ports": [{"port": 80, "targetPort": 3000}]}});
    api.create(resources::by_plural("", "v1", "services").unwrap(), "default", svc, t(2), crate::apiserver::WriteOptions::default()).unwrap();
    let out = link.poll(&mut api, t(2));
    let sent = services_sent(&out);
    assert_eq!(sent.len(), 1);
    assert!(sent[0].iter().any(|s| s.name == "my-api-service"));
    assert!(services_sent(&old_agent.poll(&mut api, t(2))).is_empty(), "an agent without the feature never gets them");
}

#[test]
fn registration_hands_every_agent_the_control_planes_relay_key() {
    let mut api = ApiServer::new(1, t(0));
    let key = crate::node_protocol::RelayKey::from_bytes([7; 32]);
    for node in ["pi", "laptop"] {
        let mut link = NodeLink::new(LinkConfig { relay_key: Some(key), ..LinkConfig::default() });
        link.on_message(hello(vec![1]), &mut api, t(0));
        let out = link.on_message(registration(node), &mut api, t(0));
        assert!(matches!(&out.to_agent[0], ToAgent::Registered { relay_key: Some(k), .. } if *k == key), "{out:?}");
    }
    let (_, out) = linked(&mut api, "old");
    assert!(matches!(&out.to_agent[0], ToAgent::Registered { relay_key: None, .. }), "a host without a key sends none");
}

#[test]
fn api_requests_reach_the_host_only_when_registration_offered_them() {
    let mut api = ApiServer::new(1, t(0));
    let request = FromAgent::ApiRequest(crate::node_protocol::ApiRequest {
        id: 2,
        request: crate::node_protocol::TunnelledRequest { method: "GET".into(), path: "/api/v1/nodes".into(), query: String::new(), headers: vec![], body: String::new() },
    });
    let mut link = NodeLink::new(LinkConfig { serves_api: true, ..LinkConfig::default() });
    link.on_message(hello(vec![1]), &mut api, t(0));
    let out = link.on_message(registration("pi"), &mut api, t(0));
    assert!(matches!(&out.to_agent[0], ToAgent::Registered { features, .. } if features == &[FEATURE_KUBE_API.to_string()]));
    let out = link.on_message(request.clone(), &mut api, t(1));
    assert!(matches!(&out.events[..], [LinkEvent::ApiRequest(r)] if r.id == 2 && r.request.path == "/api/v1/nodes"), "{out:?}");
    let out = link.on_message(FromAgent::ApiWatchClose { id: 2 }, &mut api, t(1));
    assert_eq!(out.events, vec![LinkEvent::ApiWatchClosed { id: 2 }]);

    let (mut old, out) = linked(&mut api, "laptop");
    assert!(matches!(&out.to_agent[0], ToAgent::Registered { features, .. } if features.is_empty()));
    let out = old.on_message(request, &mut api, t(1));
    assert!(old.is_closed());
    assert!(matches!(&out.to_agent[..], [ToAgent::Refused(_)]), "{out:?}");
}

fn attach() -> StreamOpen {
    StreamOpen::Attach { namespace: "default".into(), pod: "p".into(), container: "c".into(), stdin: true, stdout: true, stderr: true, tty: false }
}

#[test]
fn attach_streams_are_opened_only_to_agents_that_serve_them() {
    let mut api = ApiServer::new(1, t(0));
    let (mut old_agent, _) = linked(&mut api, "old");
    assert_eq!(old_agent.open_stream(attach()).err(), Some(StreamError::Unsupported(crate::node_protocol::FEATURE_ATTACH)));
    let mut link = NodeLink::default();
    link.on_message(hello(vec![1]), &mut api, t(0));
    let FromAgent::Register(mut reg) = registration("pi") else { unreachable!() };
    reg.features = vec![crate::node_protocol::FEATURE_ATTACH.into()];
    link.on_message(FromAgent::Register(reg), &mut api, t(0));
    let (stream, msg) = link.open_stream(attach()).unwrap();
    assert_eq!(msg, ToAgent::OpenStream(crate::node_protocol::stream::OpenStream { stream, open: attach() }));
}
