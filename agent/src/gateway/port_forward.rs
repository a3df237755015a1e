//! `kubectl port-forward`: the `pods/{name}/portforward` subresource, upgraded either to a
//! WebSocket tunnelling SPDY (`SPDY/3.1+portforward.k8s.io`, what kubectl 1.30+ tries first)
//! or to SPDY itself (`Upgrade: SPDY/3.1`, its fallback), then served by
//! [`kubeplay_agent::spdy`].
//!
//! Where the bytes go: a pod this agent runs is dialled on its IP as the node-protocol
//! port-forward does ([`kubeplay_agent::network::port_forward`]); a pod on another agent's
//! machine through that agent's relay, as Service traffic reaches it (pod IPs are not routed
//! between machines), presenting the relay key of the control plane that said where the pod
//! runs; a pod on a simulated node has no network, and each forwarded connection says so on
//! its error stream, as a kubelet reports a failed forward.

use super::{status, Gateway};
use futures_util::{SinkExt as _, StreamExt as _};
use hyper::upgrade::OnUpgrade;
use kubeplay_agent::network::table::Target;
use kubeplay_agent::network::{port_forward, proxy};
use kubeplay_agent::runtime::PodRuntime;
use kubeplay_agent::spdy::{self, Dialer};
use kubeplay_shared::node_link::services;
use kubeplay_shared::node_protocol::RelayKey;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::TcpStream;
use warp::http::{header, HeaderMap, HeaderValue, StatusCode};
use warp::reply::Response as Reply;
use warp::ws::{Message, WebSocket, Ws};
use warp::Filter;

/// The WebSocket subprotocol kubectl offers for SPDY tunnelled in binary messages.
pub const TUNNEL_SUBPROTOCOL: &str = "SPDY/3.1+portforward.k8s.io";
/// The `Upgrade` token of the plain SPDY handshake.
const SPDY_UPGRADE: &str = "SPDY/3.1";
/// Bytes read from the session per WebSocket message.
const MESSAGE_BYTES: usize = 32 << 10;

/// `/api/v1/namespaces/{ns}/pods/{name}/portforward`; other paths pass to the next filter.
pub fn filter(
    gateway: Arc<Gateway>,
) -> impl Filter<Extract = (Reply,), Error = warp::Rejection> + Clone + Send + Sync + 'static {
    let query = warp::query::raw().or(warp::any().map(String::new)).unify();
    let upgrade = warp::ext::optional::<OnUpgrade>();
    let ws = warp::ws().map(Some).or(warp::any().map(|| None)).unify();
    warp::path!("api" / "v1" / "namespaces" / String / "pods" / String / "portforward")
        .and(warp::header::headers_cloned())
        .and(query)
        .and(upgrade)
        .and(ws)
        .then(
            move |namespace: String,
                  pod: String,
                  headers: HeaderMap,
                  query: String,
                  upgrade: Option<OnUpgrade>,
                  ws: Option<Ws>| {
                let gateway = Arc::clone(&gateway);
                async move {
                    let upgrade = Upgrade::of(&headers, ws, upgrade);
                    serve(&gateway, &namespace, &pod, &headers, &query, upgrade).await
                }
            },
        )
}

/// How the client asked to switch protocols.
enum Upgrade {
    Tunnel(Ws),
    Spdy(OnUpgrade),
    None,
}

impl Upgrade {
    fn of(headers: &HeaderMap, ws: Option<Ws>, raw: Option<OnUpgrade>) -> Upgrade {
        let offered = |name: header::HeaderName, wanted: &str| {
            headers.get_all(name).iter().any(|v| {
                v.to_str()
                    .unwrap_or("")
                    .split(',')
                    .any(|p| p.trim().eq_ignore_ascii_case(wanted))
            })
        };
        if let Some(ws) = ws {
            if offered(header::SEC_WEBSOCKET_PROTOCOL, TUNNEL_SUBPROTOCOL) {
                return Upgrade::Tunnel(ws);
            }
            return Upgrade::None;
        }
        let spdy = offered(header::UPGRADE, SPDY_UPGRADE)
            && offered(
                header::HeaderName::from_static("x-stream-protocol-version"),
                spdy::PROTOCOL,
            );
        match raw {
            Some(raw) if spdy => Upgrade::Spdy(raw),
            _ => Upgrade::None,
        }
    }
}

async fn serve(
    gateway: &Arc<Gateway>,
    namespace: &str,
    pod: &str,
    headers: &HeaderMap,
    query: &str,
    upgrade: Upgrade,
) -> Reply {
    if let Err(refusal) = gateway.gate.admit(headers, query) {
        return match refusal.status() {
            401 => status::unauthorized(),
            code => status::status(code, "Forbidden", &refusal.to_string()),
        };
    }
    let dialer = match destination(gateway, namespace, pod).await {
        Ok(dialer) => dialer,
        Err(reply) => return reply,
    };
    let stop = gateway.stopping();
    match upgrade {
        Upgrade::Tunnel(ws) => {
            let reply = ws.on_upgrade(move |socket| tunnel(socket, dialer, stop));
            let mut response = warp::reply::Reply::into_response(reply);
            response.headers_mut().insert(
                header::SEC_WEBSOCKET_PROTOCOL,
                HeaderValue::from_static(TUNNEL_SUBPROTOCOL),
            );
            response
        }
        Upgrade::Spdy(raw) => {
            tokio::spawn(async move {
                match raw.await {
                    Ok(upgraded) => {
                        spdy::serve(hyper_util::rt::TokioIo::new(upgraded), dialer, stop).await
                    }
                    Err(e) => tracing::debug!("port-forward upgrade failed: {e}"),
                }
            });
            let mut response = Reply::default();
            *response.status_mut() = StatusCode::SWITCHING_PROTOCOLS;
            let h = response.headers_mut();
            h.insert(header::CONNECTION, HeaderValue::from_static("Upgrade"));
            h.insert(header::UPGRADE, HeaderValue::from_static(SPDY_UPGRADE));
            h.insert(
                "x-stream-protocol-version",
                HeaderValue::from_static(spdy::PROTOCOL),
            );
            response
        }
        Upgrade::None => status::status(400, "BadRequest", "Upgrade request required"),
    }
}

/// Where the pod's ports are: this machine's runtime if it runs the pod, else the control
/// plane's word on the pod (absent, unscheduled, on another agent's machine, or on a simulated
/// node).
async fn destination(
    gateway: &Gateway,
    namespace: &str,
    pod: &str,
) -> Result<Arc<dyn Dialer>, Reply> {
    if let Some(runtime) = &gateway.local_pods {
        if let Some(uid) = runtime.pod_uid(namespace, pod) {
            return Ok(Arc::new(LocalPod {
                runtime: Arc::clone(runtime),
                uid,
            }));
        }
    }
    let object = gateway
        .read(&format!("/api/v1/namespaces/{namespace}/pods/{pod}"))
        .await?;
    let node = object["spec"]["nodeName"].as_str().unwrap_or("");
    if node.is_empty() {
        return Err(status::status(
            400,
            "BadRequest",
            &format!("pod {pod} does not have a host assigned"),
        ));
    }
    let uid = object["metadata"]["uid"].as_str().unwrap_or("").to_string();
    // A node the control plane cannot show is treated as simulated: nothing to dial either way.
    let node_object = gateway
        .read(&format!("/api/v1/nodes/{node}"))
        .await
        .unwrap_or_default();
    if let Some(relay) = services::relay_address(&node_object) {
        return Ok(Arc::new(RemotePod {
            pod: pod.to_string(),
            uid,
            ip: object["status"]["podIP"].as_str().unwrap_or("").to_string(),
            relay,
            key: gateway.backend.relay_key(),
        }));
    }
    Ok(Arc::new(SimulatedPod {
        pod: pod.to_string(),
        uid,
        node: node.to_string(),
    }))
}

/// A pod this agent runs: dialled on its IP, errors worded by the kubelet.
struct LocalPod {
    runtime: Arc<PodRuntime>,
    uid: String,
}

impl Dialer for LocalPod {
    fn dial(&self, port: u16) -> Pin<Box<dyn Future<Output = Result<TcpStream, String>> + Send>> {
        let runtime = Arc::clone(&self.runtime);
        let uid = self.uid.clone();
        Box::pin(async move {
            let ip = runtime.pod_ip(&uid).map_err(|e| e.to_string())?;
            let sandbox = async {
                runtime
                    .sandbox_id(&uid)
                    .await
                    .unwrap_or_else(|| uid.clone())
            };
            port_forward::connect(&ip, port, sandbox).await
        })
    }
}

/// A pod on another agent's machine: reached through that agent's relay, which connects only
/// to its own pods' IPs and only for holders of its control plane's relay key.
struct RemotePod {
    pod: String,
    uid: String,
    ip: String,
    relay: String,
    key: Option<RelayKey>,
}

impl Dialer for RemotePod {
    fn dial(&self, port: u16) -> Pin<Box<dyn Future<Output = Result<TcpStream, String>> + Send>> {
        let failed = |why: String| {
            format!(
                "error forwarding port {port} to pod {}, uid {}: {why}",
                self.pod, self.uid
            )
        };
        let target = match (self.ip.parse::<std::net::IpAddr>(), self.key) {
            (Ok(ip), Some(key)) => Target::Relay {
                relay: self.relay.clone(),
                pod: std::net::SocketAddr::new(ip, port),
                key,
            },
            (Err(_), _) => {
                let message = failed("the pod has no IP yet".into());
                return Box::pin(async move { Err(message) });
            }
            (Ok(_), None) => {
                let message = failed("the connected page sent this agent no relay key (it is older than the agent: reload it), and the relay of the pod's agent serves only holders of one".into());
                return Box::pin(async move { Err(message) });
            }
        };
        let unreachable = failed(format!(
            "the relay of the agent that runs it ({}) could not connect",
            self.relay
        ));
        Box::pin(async move {
            proxy::dial(&target)
                .await
                .map_err(|e| format!("{unreachable}: {e}"))
        })
    }
}

/// A pod on a simulated node: there is no process behind its ports.
struct SimulatedPod {
    pod: String,
    uid: String,
    node: String,
}

impl Dialer for SimulatedPod {
    fn dial(&self, port: u16) -> Pin<Box<dyn Future<Output = Result<TcpStream, String>> + Send>> {
        let message = format!(
            "error forwarding port {port} to pod {}, uid {}: pod {} runs on the simulated node {}, which has no network: port-forward reaches pods on a real node (a machine running kubeplay-agent) only",
            self.pod, self.uid, self.pod, self.node
        );
        Box::pin(async move { Err(message) })
    }
}

/// Carries the SPDY byte stream in binary WebSocket messages, each way, until either side ends.
async fn tunnel(
    socket: WebSocket,
    dialer: Arc<dyn Dialer>,
    stop: tokio::sync::watch::Receiver<bool>,
) {
    let (session_end, tunnel_end) = tokio::io::duplex(4 * MESSAGE_BYTES);
    let session = tokio::spawn(spdy::serve(session_end, dialer, stop));
    let (mut to_client, mut from_client) = socket.split();
    let (mut from_session, mut to_session) = tokio::io::split(tunnel_end);
    let inbound = tokio::spawn(async move {
        while let Some(Ok(message)) = from_client.next().await {
            if message.is_close() {
                break;
            }
            if message.is_binary() && to_session.write_all(message.as_bytes()).await.is_err() {
                break;
            }
        }
        let _ = to_session.shutdown().await;
    });
    let mut buf = vec![0u8; MESSAGE_BYTES];
    loop {
        match from_session.read(&mut buf).await {
            Ok(0) | Err(_) => break,
            Ok(n) => {
                if to_client
                    .send(Message::binary(buf[..n].to_vec()))
                    .await
                    .is_err()
                {
                    break;
                }
            }
        }
    }
    let _ = to_client.send(Message::close()).await;
    let _ = to_client.close().await;
    inbound.abort();
    // With the tunnel's end gone, a session still writing sees a broken pipe and ends.
    drop(from_session);
    let _ = session.await;
}

#[cfg(test)]
mod tests {
    use super::super::backend::Answer;
    use super::*;
    use crate::auth::{Gate, OriginPolicy, Token};
    use crate::embedded::{simulated_nodes, EmbeddedControlPlane};
    use kubeplay_shared::apiserver::Request;

    const TOKEN: &str = "port-forward-test-token-0123456789";

    fn gateway() -> Arc<Gateway> {
        let gate = Gate::new(Token::given(TOKEN).unwrap(), OriginPolicy::default());
        let cp = EmbeddedControlPlane::start(1, &simulated_nodes(1)).unwrap();
        Gateway::new(Arc::new(gate), Arc::new(super::super::Embedded(cp)), None)
    }

    async fn post(gw: &Arc<Gateway>, path: &str, token: Option<&str>) -> (u16, serde_json::Value) {
        let mut req = warp::test::request()
            .method("POST")
            .path(path)
            .header("connection", "Upgrade")
            .header("upgrade", "SPDY/3.1")
            .header("x-stream-protocol-version", "portforward.k8s.io");
        if let Some(t) = token {
            req = req.header("authorization", format!("Bearer {t}"));
        }
        let resp = req.reply(&super::super::filter(Arc::clone(gw))).await;
        let json = serde_json::from_slice(resp.body()).unwrap_or(serde_json::Value::Null);
        (resp.status().as_u16(), json)
    }

    /// Serves the control plane's `request` on the gateway's backend; its JSON answer.
    async fn serve(gw: &Gateway, request: Request) -> serde_json::Value {
        match gw.backend.serve(request, gw.stopping()).await {
            Ok(Answer::Body { status, body, .. }) => {
                let json: serde_json::Value = serde_json::from_slice(&body).unwrap();
                assert!(status < 300, "{status}: {json}");
                json
            }
            _ => panic!("no body"),
        }
    }

    #[tokio::test]
    async fn a_pod_on_another_agents_machine_is_dialled_through_that_agents_relay() {
        use tokio::net::TcpListener;
        let relay = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let relay_port = relay.local_addr().unwrap().port();
        let gw = gateway();
        let node = serde_json::json!({"apiVersion": "v1", "kind": "Node",
            "metadata": {"name": "pi", "labels": {"kubeplay.dev/agent": "true",
                "kubeplay.dev/proxy-port": relay_port.to_string()}}});
        let mut node = serve(&gw, Request::post("/api/v1/nodes", node.to_string())).await;
        node["status"]["addresses"] =
            serde_json::json!([{"type": "InternalIP", "address": "127.0.0.1"}]);
        serve(
            &gw,
            Request::put("/api/v1/nodes/pi/status", node.to_string()),
        )
        .await;
        let pod = serde_json::json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "web"},
            "spec": {"nodeName": "pi", "containers": [{"name": "c", "image": "nginx"}]}});
        let mut pod = serve(
            &gw,
            Request::post("/api/v1/namespaces/default/pods", pod.to_string()),
        )
        .await;
        pod["status"]["podIP"] = "10.244.1.7".into();
        serve(
            &gw,
            Request::put(
                "/api/v1/namespaces/default/pods/web/status",
                pod.to_string(),
            ),
        )
        .await;

        let relayed = tokio::spawn(async move {
            let (mut peer, _) = relay.accept().await.unwrap();
            let mut line = Vec::new();
            while line.last() != Some(&b'\n') {
                line.push(peer.read_u8().await.unwrap());
            }
            peer.write_all(&[0]).await.unwrap();
            peer.write_all(b"from the pod").await.unwrap();
            String::from_utf8(line).unwrap().trim_end().to_string()
        });
        let Ok(dialer) = destination(&gw, "default", "web").await else {
            panic!("the pod has a destination");
        };
        let mut stream = dialer.dial(8080).await.unwrap();
        let mut got = String::new();
        stream.read_to_string(&mut got).await.unwrap();
        assert_eq!(got, "from the pod");
        let key = gw
            .backend
            .relay_key()
            .expect("the embedded control plane has a key");
        assert_eq!(
            relayed.await.unwrap(),
            format!("{} 10.244.1.7:8080", key.to_hex()),
            "the relay is asked for the pod's IP and port with the control plane's key"
        );
    }

    #[tokio::test]
    async fn a_pod_on_a_simulated_node_has_no_network_to_forward_to() {
        let gw = gateway();
        let pod = serde_json::json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "web"},
            "spec": {"nodeName": "node-1", "containers": [{"name": "c", "image": "nginx"}]}});
        serve(
            &gw,
            Request::post("/api/v1/namespaces/default/pods", pod.to_string()),
        )
        .await;
        let Ok(dialer) = destination(&gw, "default", "web").await else {
            panic!("the pod has a destination");
        };
        let error = dialer.dial(80).await.unwrap_err();
        assert!(
            error.contains("runs on the simulated node node-1, which has no network"),
            "{error}"
        );
    }

    #[tokio::test]
    async fn without_the_token_nothing_is_upgraded() {
        let (code, body) = post(
            &gateway(),
            "/api/v1/namespaces/default/pods/web/portforward",
            None,
        )
        .await;
        assert_eq!((code, body["reason"].as_str()), (401, Some("Unauthorized")));
    }

    #[tokio::test]
    async fn a_missing_pod_is_the_api_servers_not_found() {
        let (code, body) = post(
            &gateway(),
            "/api/v1/namespaces/default/pods/web/portforward",
            Some(TOKEN),
        )
        .await;
        assert_eq!((code, body["reason"].as_str()), (404, Some("NotFound")));
        assert_eq!(body["message"], "pods \"web\" not found");
    }

    #[tokio::test]
    async fn a_request_without_upgrade_is_a_bad_request() {
        let gw = gateway();
        let pod = r#"{"apiVersion":"v1","kind":"Pod","metadata":{"name":"web"},"spec":{"nodeName":"node-1","containers":[{"name":"c","image":"nginx"}]}}"#;
        let created = warp::test::request()
            .method("POST")
            .path("/api/v1/namespaces/default/pods")
            .header("authorization", format!("Bearer {TOKEN}"))
            .header("content-type", "application/json")
            // The REST routes serve only requests that came over TLS.
            .extension(crate::server::transport::Connection {
                peer: "127.0.0.1:50000".parse().unwrap(),
                transport: crate::server::transport::Transport::Tls,
            })
            .body(pod)
            .reply(&super::super::filter(Arc::clone(&gw)))
            .await;
        assert_eq!(created.status().as_u16(), 201);
        let resp = warp::test::request()
            .method("POST")
            .path("/api/v1/namespaces/default/pods/web/portforward")
            .header("authorization", format!("Bearer {TOKEN}"))
            .reply(&super::super::filter(gw))
            .await;
        let body: serde_json::Value = serde_json::from_slice(resp.body()).unwrap();
        assert_eq!(resp.status().as_u16(), 400);
        assert_eq!(body["message"], "Upgrade request required");
    }
}
