//! The socket of the local node's link: the embedded control plane connects to the agent's own
//! `/v1/connect` on loopback with the join token, as a page would, so the node runs through the
//! same gate, session and runtime as any other. Frames go to the control plane's thread as
//! commands; what the link sends comes back on a channel. A lost or refused socket is opened
//! again after a pause.

use super::{Command, EmbeddedControlPlane};
use futures_util::{SinkExt, StreamExt};
use kubeplay_shared::node_protocol::{decode, encode, Frame, FromAgent, ToAgent};
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::mpsc;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::HeaderValue;
use tokio_tungstenite::tungstenite::Message;

/// Pause before connecting again after the socket ended.
const RECONNECT: Duration = Duration::from_secs(2);
/// Largest message read from the agent (a stream chunk or a report is far smaller).
const MAX_MESSAGE_BYTES: usize = 32 << 20;

/// The address to dial for a listener bound to `bound`: loopback when it listens everywhere.
pub fn dial_address(bound: SocketAddr) -> SocketAddr {
    let ip = match bound.ip() {
        std::net::IpAddr::V4(v4) if v4.is_unspecified() => std::net::Ipv4Addr::LOCALHOST.into(),
        std::net::IpAddr::V6(v6) if v6.is_unspecified() => std::net::Ipv6Addr::LOCALHOST.into(),
        ip => ip,
    };
    SocketAddr::new(ip, bound.port())
}

/// Keeps the local node's link connected until the control plane stops.
pub async fn run(addr: SocketAddr, token: String, cp: Arc<EmbeddedControlPlane>) {
    let url = format!("ws://{}{}", dial_address(addr), crate::server::CONNECT_PATH);
    loop {
        match connect(&url, &token).await {
            Ok(socket) => {
                if !serve(socket, &cp).await {
                    return;
                }
            }
            Err(e) => tracing::warn!("the local node cannot reach its agent at {url}: {e}"),
        }
        tokio::time::sleep(RECONNECT).await;
    }
}

type Socket =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

async fn connect(url: &str, token: &str) -> Result<Socket, String> {
    let mut request = url.into_client_request().map_err(|e| e.to_string())?;
    let bearer = HeaderValue::from_str(&format!("Bearer {token}")).map_err(|e| e.to_string())?;
    request.headers_mut().insert("authorization", bearer);
    let config = tokio_tungstenite::tungstenite::protocol::WebSocketConfig::default()
        .max_message_size(Some(MAX_MESSAGE_BYTES));
    let (socket, _) = tokio_tungstenite::connect_async_with_config(request, Some(config), false)
        .await
        .map_err(|e| e.to_string())?;
    Ok(socket)
}

/// Bridges one socket to the control plane; false once the control plane is gone.
async fn serve(socket: Socket, cp: &EmbeddedControlPlane) -> bool {
    let (mut sink, mut source) = socket.split();
    let (to_agent, mut outbox) = mpsc::unbounded_channel::<ToAgent>();
    if cp.commands.send(Command::LinkUp(to_agent)).is_err() {
        return false;
    }
    loop {
        tokio::select! {
            incoming = source.next() => {
                let frame = match incoming {
                    Some(Ok(Message::Text(t))) => Frame::Text(t.to_string()),
                    Some(Ok(Message::Binary(b))) => Frame::Binary(b.to_vec()),
                    Some(Ok(_)) => continue,
                    Some(Err(e)) => {
                        tracing::warn!("the local node's link failed: {e}");
                        break;
                    }
                    None => break,
                };
                match decode::<FromAgent>(&frame) {
                    Ok(msg) => {
                        if cp.commands.send(Command::FromAgent(Box::new(msg))).is_err() {
                            return false;
                        }
                    }
                    Err(e) => tracing::warn!("the local agent sent an unreadable message: {e}"),
                }
            }
            outgoing = outbox.recv() => {
                // None: the link was refused or replaced and dropped its sender.
                let Some(msg) = outgoing else { break };
                let message = match encode(&msg) {
                    Ok(Frame::Text(t)) => Message::text(t),
                    Ok(Frame::Binary(b)) => Message::binary(b),
                    Err(e) => {
                        tracing::warn!("cannot encode a message for the local agent: {e}");
                        continue;
                    }
                };
                if let Err(e) = sink.send(message).await {
                    tracing::warn!("the local node's link failed: {e}");
                    break;
                }
            }
        }
    }
    let _ = sink.close().await;
    cp.commands.send(Command::LinkDown).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_agent_listening_everywhere_is_dialled_on_loopback() {
        let any: SocketAddr = "0.0.0.0:7443".parse().unwrap();
        assert_eq!(dial_address(any), "127.0.0.1:7443".parse().unwrap());
        let one: SocketAddr = "192.168.1.5:7443".parse().unwrap();
        assert_eq!(dial_address(one), one);
    }
}
