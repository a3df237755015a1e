//! Port-forward through the agent's Kubernetes API gateway to a real container: the real agent
//! (as a node, its pod started over the node protocol), the real Docker engine, myapp inside,
//! and a SPDY/3.1 client over a real TCP connection — both as a plain `Upgrade: SPDY/3.1` and
//! tunnelled in a WebSocket (`SPDY/3.1+portforward.k8s.io`), as kubectl does.
//!
//! kubectl itself cannot drive this yet: it first reads the pod from the API, and the agent's
//! embedded control plane cannot use this machine as a node yet. `kubectl_port_forward.rs`
//! runs the real kubectl against a simulated node.

use bytes::Bytes;
use futures_util::{SinkExt as _, StreamExt as _};
use kubeplay_agent::spdy::frame::read_frame;
use kubeplay_agent::spdy::headers::{Deflater, Inflater};
use kubeplay_agent::spdy::Frame;
use kubeplay_e2e::agent::binary::agent_binary;
use kubeplay_e2e::agent::docker::{demo_images_or_skip, engine_or_skip, remove_pods};
use kubeplay_e2e::agent::pods::{desired, pod, unique_uid};
use kubeplay_e2e::agent::{AgentOptions, AgentProcess, Link};
use serde_json::{json, Value};
use std::collections::HashMap;
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncReadExt as _, AsyncWrite, AsyncWriteExt as _};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::client::IntoClientRequest as _;
use tokio_tungstenite::tungstenite::http::HeaderValue;
use tokio_tungstenite::tungstenite::Message;

const START_LIMIT: Duration = Duration::from_secs(180);
const STREAM_LIMIT: Duration = Duration::from_secs(60);
const CONNECTIONS: u32 = 4;

fn ready(status: &Value) -> bool {
    status["conditions"].as_array().is_some_and(|cs| {
        cs.iter()
            .any(|c| c["type"] == "Ready" && c["status"] == "True")
    })
}

/// The kubectl end of a port-forward session.
struct Client<T> {
    io: T,
    deflater: Deflater,
    inflater: Inflater,
}

impl<T: AsyncRead + AsyncWrite + Unpin> Client<T> {
    fn new(io: T) -> Self {
        Client {
            io,
            deflater: Deflater::default(),
            inflater: Inflater::default(),
        }
    }

    async fn send(&mut self, frame: Frame) {
        self.io.write_all(&frame.encode().unwrap()).await.unwrap();
    }

    async fn open(&mut self, stream: u32, kind: &str, port: u16, request: u32) {
        let headers = vec![
            ("streamtype".to_string(), kind.to_string()),
            ("port".to_string(), port.to_string()),
            ("requestid".to_string(), request.to_string()),
        ];
        let headers = Bytes::from(self.deflater.headers(&headers));
        self.send(Frame::SynStream {
            stream,
            associated: 0,
            priority: 0,
            flags: 0,
            headers,
        })
        .await;
    }

    /// Opens `CONNECTIONS` forwards at once, sends each an HTTP request and its FIN, and
    /// collects every stream's bytes until all have ended.
    async fn forward_gets(&mut self, port: u16) -> HashMap<u32, String> {
        for request in 0..CONNECTIONS {
            self.open(1 + 4 * request, "error", port, request).await;
            self.open(3 + 4 * request, "data", port, request).await;
        }
        for request in 0..CONNECTIONS {
            let get = format!("GET /?c={request} HTTP/1.1\r\nHost: localhost\r\n\r\n");
            let stream = 3 + 4 * request;
            self.send(Frame::Data {
                stream,
                fin: true,
                data: Bytes::from(get),
            })
            .await;
        }
        let mut texts: HashMap<u32, Vec<u8>> = HashMap::new();
        let mut open: Vec<u32> = (1..4 * CONNECTIONS).step_by(2).collect();
        let mut replies = Vec::new();
        while !open.is_empty() {
            let frame = tokio::time::timeout(STREAM_LIMIT, read_frame(&mut self.io))
                .await
                .expect("the agent answers")
                .unwrap()
                .expect("the session stays open");
            match frame {
                Frame::SynReply {
                    stream, headers, ..
                } => {
                    self.inflater.headers(&headers).unwrap();
                    replies.push(stream);
                }
                Frame::Data { stream, fin, data } => {
                    texts.entry(stream).or_default().extend_from_slice(&data);
                    if fin {
                        open.retain(|s| *s != stream);
                    }
                }
                Frame::Ping { .. } => {}
                other => panic!("unexpected {other:?}"),
            }
        }
        replies.sort_unstable();
        assert_eq!(replies, (1..4 * CONNECTIONS).step_by(2).collect::<Vec<_>>());
        texts
            .into_iter()
            .map(|(s, t)| (s, String::from_utf8_lossy(&t).into_owned()))
            .collect()
    }
}

/// `host:port` of the agent from its `ws://host:port/...` URL.
fn address(url: &str) -> String {
    let rest = url.split("://").nth(1).unwrap_or(url);
    rest.split('/').next().unwrap_or(rest).to_string()
}

async fn spdy_upgrade(addr: &str, token: &str, pod: &str) -> TcpStream {
    let mut conn = TcpStream::connect(addr).await.unwrap();
    let request = format!(
        "POST /api/v1/namespaces/default/pods/{pod}/portforward HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {token}\r\nConnection: Upgrade\r\nUpgrade: SPDY/3.1\r\nX-Stream-Protocol-Version: portforward.k8s.io\r\nContent-Length: 0\r\n\r\n"
    );
    conn.write_all(request.as_bytes()).await.unwrap();
    let mut head = Vec::new();
    while !head.ends_with(b"\r\n\r\n") {
        let mut byte = [0u8; 1];
        assert_eq!(conn.read(&mut byte).await.unwrap(), 1, "{head:?}");
        head.push(byte[0]);
    }
    let head = String::from_utf8_lossy(&head).to_lowercase();
    assert!(head.starts_with("http/1.1 101"), "{head}");
    assert!(
        head.contains("x-stream-protocol-version: portforward.k8s.io"),
        "{head}"
    );
    conn
}

/// A WebSocket carrying SPDY in binary messages, seen as a byte stream.
async fn tunnel(addr: &str, token: &str, pod: &str) -> tokio::io::DuplexStream {
    let url = format!("ws://{addr}/api/v1/namespaces/default/pods/{pod}/portforward");
    let mut request = url.into_client_request().unwrap();
    let h = request.headers_mut();
    h.insert(
        "authorization",
        HeaderValue::from_str(&format!("Bearer {token}")).unwrap(),
    );
    h.insert(
        "sec-websocket-protocol",
        HeaderValue::from_static("SPDY/3.1+portforward.k8s.io"),
    );
    let (socket, response) = tokio_tungstenite::connect_async(request).await.unwrap();
    assert_eq!(
        response.headers()["sec-websocket-protocol"],
        "SPDY/3.1+portforward.k8s.io"
    );
    let (mine, theirs) = tokio::io::duplex(1 << 16);
    let (mut ws_out, mut ws_in) = socket.split();
    let (mut from_test, mut to_test) = tokio::io::split(theirs);
    tokio::spawn(async move {
        while let Some(Ok(message)) = ws_in.next().await {
            if let Message::Binary(bytes) = message {
                if to_test.write_all(&bytes).await.is_err() {
                    return;
                }
            }
        }
    });
    tokio::spawn(async move {
        let mut buf = vec![0u8; 1 << 15];
        loop {
            match from_test.read(&mut buf).await {
                Ok(0) | Err(_) => return,
                Ok(n) => {
                    if ws_out
                        .send(Message::binary(buf[..n].to_vec()))
                        .await
                        .is_err()
                    {
                        return;
                    }
                }
            }
        }
    });
    mine
}

#[track_caller]
fn assert_answers(texts: &HashMap<u32, String>) {
    for request in 0..CONNECTIONS {
        let data = &texts[&(3 + 4 * request)];
        assert!(
            data.starts_with("HTTP/1.1 200"),
            "connection {request}: {data}"
        );
        assert_eq!(
            texts[&(1 + 4 * request)],
            "",
            "no error for connection {request}"
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn the_gateway_forwards_parallel_connections_to_a_real_container() {
    let test = "the_gateway_forwards_parallel_connections_to_a_real_container";
    let Some(docker) = engine_or_skip(test).await else {
        return;
    };
    if !demo_images_or_skip(&docker, test, &["myapp:1.0"]).await {
        return;
    }
    let node = "e2e-gw-pf";
    let agent = AgentProcess::start(&agent_binary().unwrap(), &AgentOptions::new(node)).unwrap();
    let mut link = Link::connect(&agent.url, &agent.token).await.unwrap();
    let uid = unique_uid("gw-pf");
    let app = json!({"name": "myapp", "image": "myapp:1.0", "imagePullPolicy": "IfNotPresent",
        "ports": [{"containerPort": 3000}],
        "readinessProbe": {"httpGet": {"path": "/ready", "port": 3000}, "periodSeconds": 1}});
    link.sync(vec![desired(pod(node, "my-api-gw", &uid, vec![app]))])
        .await
        .unwrap();
    link.wait_for_status(&uid, "myapp to be ready", START_LIMIT, ready)
        .await
        .unwrap();
    let addr = address(&agent.url);

    // Plain SPDY upgrade (kubectl's fallback).
    let mut spdy = Client::new(spdy_upgrade(&addr, &agent.token, "my-api-gw").await);
    assert_answers(&spdy.forward_gets(3000).await);
    // Ping is echoed.
    spdy.send(Frame::Ping { id: 1 }).await;
    let echo = tokio::time::timeout(STREAM_LIMIT, read_frame(&mut spdy.io))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(echo, Some(Frame::Ping { id: 1 }));
    // A port nothing listens on: the kubelet's words on the error stream.
    spdy.open(4 * CONNECTIONS + 1, "error", 3999, 99).await;
    spdy.open(4 * CONNECTIONS + 3, "data", 3999, 99).await;
    let mut error = Vec::new();
    loop {
        match read_frame(&mut spdy.io).await.unwrap().unwrap() {
            Frame::Data { stream, fin, data } if stream == 4 * CONNECTIONS + 1 => {
                error.extend_from_slice(&data);
                if fin {
                    break;
                }
            }
            Frame::SynReply { headers, .. } => {
                spdy.inflater.headers(&headers).unwrap();
            }
            _ => {}
        }
    }
    let error = String::from_utf8_lossy(&error);
    assert!(
        error.starts_with("error forwarding port 3999 to pod ")
            && error.ends_with(":3999: connect: connection refused"),
        "{error}"
    );
    // The client closing ends the session.
    spdy.io.shutdown().await.unwrap();

    // SPDY in a WebSocket (kubectl's first choice).
    let mut ws = Client::new(tunnel(&addr, &agent.token, "my-api-gw").await);
    assert_answers(&ws.forward_gets(3000).await);

    // A pod this node does not run: the gateway asks the control plane connected to the
    // agent, and this test's control plane (not a page) serves no API, which the answer says.
    let mut conn = TcpStream::connect(&addr).await.unwrap();
    let request = format!(
        "POST /api/v1/namespaces/default/pods/nope/portforward HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {}\r\nConnection: Upgrade\r\nUpgrade: SPDY/3.1\r\nX-Stream-Protocol-Version: portforward.k8s.io\r\nContent-Length: 0\r\n\r\n",
        agent.token
    );
    conn.write_all(request.as_bytes()).await.unwrap();
    let mut answer = vec![0u8; 4096];
    let n = conn.read(&mut answer).await.unwrap();
    let answer = String::from_utf8_lossy(&answer[..n]);
    assert!(answer.starts_with("HTTP/1.1 503"), "{answer}");
    assert!(
        answer.contains("the connected page does not serve the API"),
        "{answer}"
    );

    // Without the token nothing is upgraded.
    let mut conn = TcpStream::connect(&addr).await.unwrap();
    let request = format!(
        "POST /api/v1/namespaces/default/pods/my-api-gw/portforward HTTP/1.1\r\nHost: {addr}\r\nConnection: Upgrade\r\nUpgrade: SPDY/3.1\r\nX-Stream-Protocol-Version: portforward.k8s.io\r\nContent-Length: 0\r\n\r\n"
    );
    conn.write_all(request.as_bytes()).await.unwrap();
    let mut answer = vec![0u8; 4096];
    let n = conn.read(&mut answer).await.unwrap();
    assert!(String::from_utf8_lossy(&answer[..n]).starts_with("HTTP/1.1 401"));

    link.sync(vec![]).await.unwrap();
    let _ = link
        .wait_for("the pod to be removed", Duration::from_secs(60), |l| {
            l.removed.iter().any(|r| r.uid == uid).then_some(())
        })
        .await;
    remove_pods(&docker, &[uid.as_str()]).await;
}
