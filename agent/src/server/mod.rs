//! The agent's HTTP face: the WebSocket endpoint a control plane connects to, guarded by the
//! join token and the Origin check before any upgrade happens, and on every other path the
//! Kubernetes API gateway ([`crate::gateway`]). One port serves both plain HTTP (the page's
//! `ws://` link) and HTTPS (kubectl), told apart per connection ([`transport`], [`listen`]).
//!
//! Refusals are logged with the peer's address and answered with a status and a plain reason
//! (401 for a missing or wrong token, 403 for an origin the user did not allow).

use crate::auth::{Gate, Refusal};
use crate::gateway::{self, Gateway};
use crate::session::Sessions;
use std::sync::Arc;
use transport::Connection;
use warp::http::{header, HeaderMap, HeaderValue, StatusCode};
use warp::reply::Response as Reply;
use warp::Filter;

pub mod listen;
pub mod transport;

/// The path a control plane connects to.
pub const CONNECT_PATH: &str = "/v1/connect";
/// Largest WebSocket message the agent reads (a SyncPods with many pods and their volumes).
const MAX_MESSAGE_BYTES: usize = 32 << 20;

/// Serves until `shutdown` resolves; open API streams end then too. `sessions` is `None` when
/// this machine is not a node (an embedded control plane with `--no-local-node`).
pub async fn serve(
    listener: tokio::net::TcpListener,
    tls: Arc<rustls::ServerConfig>,
    gate: Arc<Gate>,
    sessions: Option<Arc<Sessions>>,
    gateway: Arc<Gateway>,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) {
    let routes = routes(gate, sessions)
        .or(gateway::filter(Arc::clone(&gateway)))
        .unify();
    let shutdown = async move {
        shutdown.await;
        gateway.stop_streams();
    };
    listen::serve(listener, tls, warp::service(routes), shutdown).await;
}

fn routes(
    gate: Arc<Gate>,
    sessions: Option<Arc<Sessions>>,
) -> impl Filter<Extract = (Reply,), Error = warp::Rejection> + Clone + Send + Sync + 'static {
    let upgrade = warp::ws().map(Some).or(warp::any().map(|| None)).unify();
    let query = warp::query::raw().or(warp::any().map(String::new)).unify();
    warp::path!("v1" / "connect")
        .and(warp::header::headers_cloned())
        .and(query)
        .and(warp::ext::optional::<Connection>())
        .and(upgrade)
        .map(
            move |headers: HeaderMap,
                  query: String,
                  connection: Option<Connection>,
                  ws: Option<warp::ws::Ws>| {
                connect(&gate, &sessions, &headers, &query, connection, ws)
            },
        )
}

fn connect(
    gate: &Gate,
    sessions: &Option<Arc<Sessions>>,
    headers: &HeaderMap,
    query: &str,
    connection: Option<Connection>,
    ws: Option<warp::ws::Ws>,
) -> Reply {
    let peer_text = connection.map_or_else(|| "unknown peer".to_string(), |c| c.peer.to_string());
    let admitted = match gate.admit(headers, query) {
        Ok(admitted) => admitted,
        Err(refusal) => {
            tracing::warn!(peer = %peer_text, "refused connection: {refusal}");
            return refuse(&refusal);
        }
    };
    let Some(ws) = ws else {
        return plain(
            StatusCode::BAD_REQUEST,
            "this endpoint speaks WebSocket only: send an Upgrade: websocket request\n",
        );
    };
    let Some(sessions) = sessions else {
        return plain(
            StatusCode::SERVICE_UNAVAILABLE,
            "this agent runs no local node (--no-local-node): there is nothing to connect to\n",
        );
    };
    tracing::info!(peer = %peer_text, "control plane connected");
    let sessions = Arc::clone(sessions);
    let reply = ws
        .max_message_size(MAX_MESSAGE_BYTES)
        .on_upgrade(move |socket| async move { sessions.attach(socket, peer_text).await });
    let mut response = warp::reply::Reply::into_response(reply);
    if let Some(protocol) = admitted
        .subprotocol
        .and_then(|p| HeaderValue::from_str(&p).ok())
    {
        response
            .headers_mut()
            .insert(header::SEC_WEBSOCKET_PROTOCOL, protocol);
    }
    response
}

fn refuse(refusal: &Refusal) -> Reply {
    let status = StatusCode::from_u16(refusal.status()).unwrap_or(StatusCode::FORBIDDEN);
    let mut response = plain(status, &format!("{refusal}\n"));
    if status == StatusCode::UNAUTHORIZED {
        response.headers_mut().insert(
            header::WWW_AUTHENTICATE,
            HeaderValue::from_static("Bearer realm=\"kubeplay-agent\""),
        );
    }
    response
}

fn plain(status: StatusCode, body: &str) -> Reply {
    warp::reply::Reply::into_response(warp::reply::with_status(body.to_string(), status))
}
