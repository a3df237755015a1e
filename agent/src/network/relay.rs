//! The relay: how another agent reaches a pod of this node. A peer sends one line naming the
//! pod's `IP:port`; if that IP belongs to one of this node's pods, the agent connects, answers
//! one zero byte and splices the two connections. Anything else is closed unanswered.

use super::proxy::RELAY_OK;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// The longest request line (`255.255.255.255:65535\n`, with room).
const MAX_LINE: usize = 64;
/// How long a peer may take to name the pod.
const REQUEST_LIMIT: Duration = Duration::from_secs(5);

/// Whether an IP is one of this node's pods.
pub type IsLocalPod = Arc<dyn Fn(&std::net::IpAddr) -> bool + Send + Sync>;

/// Serves the relay on `listener` until the task is aborted.
pub async fn serve(listener: TcpListener, is_local_pod: IsLocalPod) {
    loop {
        match listener.accept().await {
            Ok((peer, _)) => {
                let check = Arc::clone(&is_local_pod);
                tokio::spawn(async move {
                    if let Err(e) = relay(peer, check).await {
                        tracing::debug!("relay connection ended: {e}");
                    }
                });
            }
            Err(e) => {
                tracing::debug!("relay accept failed: {e}");
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        }
    }
}

async fn relay(mut peer: TcpStream, is_local_pod: IsLocalPod) -> Result<(), String> {
    let _ = peer.set_nodelay(true);
    let line = tokio::time::timeout(REQUEST_LIMIT, read_line(&mut peer))
        .await
        .map_err(|_| "no request line in time".to_string())??;
    let pod = parse_request(&line)?;
    if !is_local_pod(&pod.ip()) {
        return Err(format!("{} is not a pod of this node", pod.ip()));
    }
    let mut upstream = super::proxy::dial(&super::table::Target::Local(pod))
        .await
        .map_err(|e| e.to_string())?;
    peer.write_all(&[RELAY_OK])
        .await
        .map_err(|e| e.to_string())?;
    tokio::io::copy_bidirectional(&mut peer, &mut upstream)
        .await
        .map_err(|e| e.to_string())?;
    Ok(())
}

/// Reads byte by byte up to the newline, so nothing after it is consumed.
async fn read_line(peer: &mut TcpStream) -> Result<Vec<u8>, String> {
    let mut line = Vec::new();
    loop {
        let b = peer.read_u8().await.map_err(|e| e.to_string())?;
        if b == b'\n' {
            return Ok(line);
        }
        if line.len() == MAX_LINE {
            return Err("request line too long".into());
        }
        line.push(b);
    }
}

/// `172.17.0.3:3000` → the pod's address.
pub fn parse_request(line: &[u8]) -> Result<SocketAddr, String> {
    let text = std::str::from_utf8(line).map_err(|_| "request line is not text".to_string())?;
    text.trim()
        .parse()
        .map_err(|_| format!("{text:?} is not IP:port"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_request_names_an_address_and_port() {
        assert_eq!(
            parse_request(b"172.17.0.3:3000").unwrap(),
            "172.17.0.3:3000".parse().unwrap()
        );
        assert!(parse_request(b"my-api:80").is_err());
        assert!(parse_request(b"\xff").is_err());
    }

    #[tokio::test]
    async fn a_peer_reaches_a_local_pod_and_nothing_else() {
        let pod = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let pod_address = pod.local_addr().unwrap();
        tokio::spawn(async move {
            while let Ok((mut c, _)) = pod.accept().await {
                let _ = c.write_all(b"hello from the pod").await;
            }
        });
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let relay_address = listener.local_addr().unwrap().to_string();
        let only = pod_address.ip();
        tokio::spawn(serve(listener, Arc::new(move |ip| *ip == only)));
        let target = crate::network::table::Target::Relay {
            relay: relay_address.clone(),
            pod: pod_address,
        };
        let mut c = crate::network::proxy::dial(&target).await.unwrap();
        let mut text = String::new();
        c.read_to_string(&mut text).await.unwrap();
        assert_eq!(text, "hello from the pod");
        let elsewhere = crate::network::table::Target::Relay {
            relay: relay_address,
            pod: "10.1.2.3:80".parse().unwrap(),
        };
        assert!(
            crate::network::proxy::dial(&elsewhere).await.is_err(),
            "not a pod of this node"
        );
    }
}
