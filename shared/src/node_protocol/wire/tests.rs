use super::*;
use crate::node_protocol::forward::*;
use crate::node_protocol::node::{ContainerImage, NodeAddress, NodeCondition, NodeInfo, NodeRegistration, NodeStatusReport};
use crate::node_protocol::pod::{DesiredPod, EnvVar, FileContent, ResolvedVolume};
use crate::node_protocol::report::*;
use crate::node_protocol::stream::*;
use crate::node_protocol::version::{Hello, Refused, Welcome, PROTOCOL_VERSION};
use serde_json::{json, Value};

fn pod_ref() -> PodRef {
    PodRef { namespace: "default".into(), name: "web-1".into(), uid: "u-1".into() }
}

fn desired() -> DesiredPod {
    DesiredPod {
        pod: json!({"metadata": {"name": "web-1", "namespace": "default", "uid": "u-1"}, "spec": {"containers": [{"name": "web", "image": "nginx"}]}}),
        env: [("web".to_string(), vec![EnvVar { name: "MODE".into(), value: "prod".into() }])].into(),
        volumes: [
            ("conf".to_string(), ResolvedVolume::Files { files: [("a.txt".to_string(), FileContent { data: "aGk=".into(), mode: 0o644 })].into() }),
            ("data".to_string(), ResolvedVolume::Claim { volume: "pv-1".into(), read_only: false }),
        ]
        .into(),
    }
}

fn every_to_agent() -> Vec<ToAgent> {
    vec![
        ToAgent::Welcome(Welcome { protocol_version: PROTOCOL_VERSION }),
        ToAgent::Refused(Refused { reason: "node name \"a\" is taken".into(), supported_versions: vec![1] }),
        ToAgent::Registered {
            node_name: "pi".into(),
            heartbeat_seconds: 10,
            metrics_seconds: 15,
            pod_cidr: "10.244.1.0/24".into(),
            features: vec!["kubeApi".into()],
            relay_key: Some(crate::node_protocol::RelayKey::from_bytes([0x1f; 32])),
        },
        ToAgent::SyncPods { pods: vec![desired()] },
        ToAgent::SyncServices {
            services: vec![crate::node_protocol::service::ServiceRoute {
                namespace: "default".into(),
                name: "my-api-service".into(),
                service_type: "LoadBalancer".into(),
                cluster_ip: Some("10.96.0.20".into()),
                external_ips: vec!["172.18.255.1".into()],
                ports: vec![crate::node_protocol::service::ServicePortRoute {
                    name: String::new(),
                    protocol: "TCP".into(),
                    port: 80,
                    node_port: Some(30080),
                    endpoints: vec![crate::node_protocol::service::Backend {
                        ip: "172.17.0.3".into(),
                        port: 3000,
                        node_name: "pi".into(),
                        relay: Some("192.168.1.20:10257".into()),
                    }],
                }],
            }],
            ingresses: vec![serde_json::json!({"metadata": {"name": "myapp", "namespace": "default"}, "spec": {"rules": []}})],
        },
        ToAgent::OpenStream(OpenStream {
            stream: 1,
            open: StreamOpen::Logs {
                namespace: "default".into(),
                pod: "web-1".into(),
                container: "web".into(),
                follow: true,
                tail_lines: Some(10),
                previous: false,
                timestamps: true,
                since_seconds: None,
            },
        }),
        ToAgent::OpenStream(OpenStream {
            stream: 3,
            open: StreamOpen::Exec {
                namespace: "default".into(),
                pod: "web-1".into(),
                container: "web".into(),
                command: vec!["sh".into()],
                stdin: true,
                tty: true,
            },
        }),
        ToAgent::OpenStream(OpenStream { stream: 5, open: StreamOpen::PortForward { namespace: "default".into(), pod: "web-1".into(), port: 8080 } }),
        ToAgent::Resize(Resize { stream: 3, cols: 120, rows: 40 }),
        ToAgent::Credit(Credit { stream: 3, bytes: 4096 }),
        ToAgent::CloseStream(CloseStream { stream: 3, exit_code: Some(0), error: None }),
        ToAgent::HttpResponse(HttpResponse { stream: 2, status: 200, headers: vec![("Content-Type".into(), "application/json".into())] }),
        ToAgent::ApiResponse(crate::node_protocol::ApiResponse {
            id: 4,
            response: crate::node_protocol::TunnelledResponse::Body { status: 404, content_type: "application/json".into(), body: "{}".into(), warnings: vec!["unknown field".into()] },
        }),
        ToAgent::ApiWatchEvents(crate::node_protocol::ApiWatchEvents { id: 5, events: vec![json!({"type": "ADDED", "object": {}})], done: false }),
        ToAgent::PortForwardListen(Box::new(PortForwardListen {
            id: 1,
            pod: pod_ref(),
            addresses: vec!["localhost".into()],
            ports: vec![PortPair { local: 8080, remote: 3000 }, PortPair { local: 0, remote: 9090 }],
        })),
        ToAgent::PortForwardStop(PortForwardStop { id: 1 }),
        ToAgent::Data(StreamData { stream: 3, channel: Channel::Stdin, data: b"ls\n".to_vec() }),
    ]
}

fn every_from_agent() -> Vec<FromAgent> {
    vec![
        FromAgent::Hello(Hello { protocol_versions: vec![1], agent_version: "kubeplay-agent 0.1.0".into() }),
        FromAgent::Register(Box::new(NodeRegistration {
            node_name: "pi".into(),
            capacity: [("cpu".to_string(), "4".to_string()), ("memory".to_string(), "8037564Ki".to_string())].into(),
            allocatable: [("cpu".to_string(), "4".to_string())].into(),
            node_info: NodeInfo { machine_id: "m".into(), architecture: "arm64".into(), ..NodeInfo::default() },
            addresses: vec![NodeAddress { kind: "InternalIP".into(), address: "192.168.1.20".into() }],
            labels: [("kubernetes.io/arch".to_string(), "arm64".to_string())].into(),
            features: vec!["services".into()],
        })),
        FromAgent::NodeStatus(NodeStatusReport {
            conditions: vec![NodeCondition { kind: "Ready".into(), status: "True".into(), reason: "KubeletReady".into(), message: "kubelet is posting ready status".into() }],
            images: vec![ContainerImage { names: vec!["busybox:latest".into()], size_bytes: 1_000_000 }],
        }),
        FromAgent::PodStatus(PodStatusReport { pod: pod_ref(), status: json!({"phase": "Running"}) }),
        FromAgent::PodRemoved { pod: pod_ref() },
        FromAgent::Event(EventReport {
            involved_pod: pod_ref(),
            field_path: Some("spec.containers{web}".into()),
            event_type: EventType::Warning,
            reason: "BackOff".into(),
            message: "Back-off restarting failed container web in pod web-1_default(u-1)".into(),
        }),
        FromAgent::ProbeResult(ProbeResult { pod: pod_ref(), container: "web".into(), probe: ProbeKind::Readiness, success: false, message: "HTTP probe failed with statuscode: 503".into() }),
        FromAgent::Metrics(MetricsReport {
            window_seconds: 15,
            node: Usage { cpu_nanocores: 250_000_000, memory_bytes: 1 << 30 },
            pods: vec![PodUsage { pod: pod_ref(), containers: vec![ContainerUsage { name: "web".into(), usage: Usage { cpu_nanocores: 1_000_000, memory_bytes: 4 << 20 } }] }],
        }),
        FromAgent::OpenStream(OpenStream {
            stream: 2,
            open: StreamOpen::Http { method: "GET".into(), path: "/api/v1/pods".into(), query: "limit=500".into(), headers: vec![("Accept".into(), "application/json".into())] },
        }),
        FromAgent::ApiRequest(crate::node_protocol::ApiRequest {
            id: 4,
            request: crate::node_protocol::TunnelledRequest { method: "GET".into(), path: "/api/v1/pods".into(), query: "watch=true".into(), headers: vec![], body: String::new() },
        }),
        FromAgent::ApiWatchClose { id: 4 },
        FromAgent::Credit(Credit { stream: 1, bytes: 32768 }),
        FromAgent::CloseStream(CloseStream { stream: 3, exit_code: Some(130), error: Some("command terminated with non-zero exit code".into()) }),
        FromAgent::PortForwardListening(PortForwardListening {
            id: 1,
            bound: vec![BoundPort { address: "127.0.0.1".into(), local: 8080, remote: 3000 }, BoundPort { address: "[::1]".into(), local: 8080, remote: 3000 }],
            warnings: vec![],
        }),
        FromAgent::PortForwardFailed(PortForwardFailed { id: 1, message: "error: unable to listen on any of the requested ports: [{8080 3000}]".into() }),
        FromAgent::PortForwardConnection(PortForwardConnection { id: 1, local: 8080, error: None }),
        FromAgent::Data(StreamData { stream: 1, channel: Channel::Stdout, data: vec![0, 159, 255, 10] }),
    ]
}

#[test]
fn every_message_survives_a_round_trip() {
    for msg in every_to_agent() {
        let frame = encode(&msg).unwrap();
        assert_eq!(decode::<ToAgent>(&frame).unwrap(), msg);
    }
    for msg in every_from_agent() {
        let frame = encode(&msg).unwrap();
        assert_eq!(decode::<FromAgent>(&frame).unwrap(), msg);
    }
}

#[test]
fn control_messages_are_json_text_and_data_is_binary() {
    for msg in every_to_agent() {
        let frame = encode(&msg).unwrap();
        assert_eq!(matches!(frame, Frame::Binary(_)), matches!(msg, ToAgent::Data(_)), "{msg:?}");
    }
    let Frame::Binary(bytes) = encode(&FromAgent::Data(StreamData { stream: 0x0102_0304, channel: Channel::Stderr, data: b"oops".to_vec() })).unwrap() else {
        panic!("data must be binary");
    };
    assert_eq!(bytes, [1, 2, 3, 4, 2, b'o', b'o', b'p', b's']);
}

#[test]
fn json_uses_a_camel_case_type_tag_and_kubernetes_field_names() {
    let Frame::Text(text) = encode(&every_to_agent()[3]).unwrap() else { panic!() };
    let v: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(v["type"], "syncPods");
    assert_eq!(v["pods"][0]["volumes"]["data"], json!({"type": "claim", "volume": "pv-1", "readOnly": false}));
    let Frame::Text(text) = encode(&every_from_agent()[1]).unwrap() else { panic!() };
    let v: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(v["type"], "register");
    assert_eq!(v["nodeInfo"]["machineID"], "m");
    assert_eq!(v["addresses"][0], json!({"type": "InternalIP", "address": "192.168.1.20"}));
    let Frame::Text(text) = encode(&every_from_agent()[7]).unwrap() else { panic!() };
    let v: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(v["pods"][0]["containers"][0], json!({"name": "web", "cpuNanocores": 1_000_000, "memoryBytes": 4 << 20}));
}

#[test]
fn registered_carries_the_relay_key_as_hex_and_an_older_control_planes_has_none() {
    let Frame::Text(text) = encode(&every_to_agent()[2]).unwrap() else { panic!() };
    let v: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(v["type"], "registered");
    assert_eq!(v["relayKey"], "1f".repeat(32));
    let old = r#"{"type":"registered","nodeName":"pi","heartbeatSeconds":10,"metricsSeconds":15,"podCIDR":"10.244.1.0/24"}"#;
    let msg: ToAgent = decode(&Frame::Text(old.into())).unwrap();
    assert!(matches!(msg, ToAgent::Registered { relay_key: None, .. }), "{msg:?}");
}

#[test]
fn port_forward_messages_are_flat_and_camel_case() {
    let Frame::Text(text) = encode(&every_to_agent()[every_to_agent().len() - 3]).unwrap() else { panic!() };
    let v: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(v["type"], "portForwardListen");
    assert_eq!(v["ports"][0], json!({"local": 8080, "remote": 3000}));
    assert_eq!(v["pod"]["uid"], "u-1");
    let text = r#"{"type":"portForwardConnection","id":4,"local":8080}"#;
    let msg: FromAgent = decode(&Frame::Text(text.into())).unwrap();
    assert_eq!(msg, FromAgent::PortForwardConnection(PortForwardConnection { id: 4, local: 8080, error: None }));
}

#[test]
fn a_hand_written_agent_message_decodes() {
    let text = r#"{"type":"podStatus","pod":{"namespace":"default","name":"web-1","uid":"u-1"},"status":{"phase":"Pending"}}"#;
    let msg: FromAgent = decode(&Frame::Text(text.into())).unwrap();
    assert_eq!(msg, FromAgent::PodStatus(PodStatusReport { pod: pod_ref(), status: json!({"phase": "Pending"}) }));
}

#[test]
fn bad_frames_are_typed_errors() {
    assert_eq!(decode::<FromAgent>(&Frame::Binary(vec![0, 0, 1])), Err(DecodeError::ShortFrame(3)));
    assert_eq!(decode::<FromAgent>(&Frame::Binary(vec![0, 0, 0, 1, 9, 1])), Err(DecodeError::UnknownChannel(9)));
    let mut big = vec![0, 0, 0, 1, 1];
    big.resize(DATA_HEADER_LEN + MAX_CHUNK + 1, 0);
    assert_eq!(decode::<FromAgent>(&Frame::Binary(big)), Err(DecodeError::ChunkTooLarge(MAX_CHUNK + 1)));
    assert!(matches!(decode::<FromAgent>(&Frame::Text("{\"type\":\"nope\"}".into())), Err(DecodeError::Json(_))));
    assert!(matches!(decode::<FromAgent>(&Frame::Text("not json".into())), Err(DecodeError::Json(_))));
    // Stream bytes are never accepted as JSON.
    assert!(matches!(decode::<ToAgent>(&Frame::Text("{\"type\":\"data\"}".into())), Err(DecodeError::Json(_))));
}

#[test]
fn an_oversized_chunk_is_refused_before_it_is_sent() {
    let msg = ToAgent::Data(StreamData { stream: 1, channel: Channel::Stdin, data: vec![0; MAX_CHUNK + 1] });
    assert_eq!(encode(&msg), Err(EncodeError::ChunkTooLarge(MAX_CHUNK + 1)));
    let empty = ToAgent::Data(StreamData { stream: 1, channel: Channel::Stdin, data: vec![] });
    assert_eq!(decode::<ToAgent>(&encode(&empty).unwrap()).unwrap(), empty);
}

#[test]
fn a_data_view_borrows_what_decoding_would_copy() {
    let data = StreamData { stream: 7, channel: Channel::Stdout, data: b"bytes".to_vec() };
    let bytes = encode_data(&data).unwrap();
    let view = data_view(&bytes).unwrap();
    assert_eq!((view.stream, view.channel, view.payload), (7, Channel::Stdout, &b"bytes"[..]));
    assert_eq!(decode_data(&bytes).unwrap(), data);
    assert_eq!(data_view(&[0, 0, 1]), Err(DecodeError::ShortFrame(3)));
}
