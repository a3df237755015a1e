//! The relay: how another agent reaches a pod of this node. A peer sends one line,
//! `<relay key> <podIP>:<port>\n`; if the key is one a live control-plane link gave this agent
//! ([`Keys`]) and the IP belongs to one of this node's pods, the agent connects, answers one
//! zero byte and splices the two connections. Anything else is closed unanswered (the reason
//! is logged at debug level), and with no live link the relay serves nobody.
//!
//! The relay listens on every interface, so the key is what tells the cluster's agents from
//! anyone else on the LAN: a control plane hands it only to agents whose join token it had
//! (see `kubeplay_shared::node_protocol::relay_key`). The line travels in clear, as the node
//! link's join token and the Service traffic itself do: someone who can read the LAN's
//! traffic can read it too.

use super::proxy::RELAY_OK;
use kubeplay_shared::node_protocol::relay_key::RELAY_KEY_BYTES;
use kubeplay_shared::node_protocol::RelayKey;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use subtle::ConstantTimeEq as _;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// The longest request line (64 hex digits, a space, `255.255.255.255:65535`, with room).
const MAX_LINE: usize = 128;
/// How long a peer may take to name the pod.
const REQUEST_LIMIT: Duration = Duration::from_secs(5);

/// Whether an IP is one of this node's pods.
pub type IsLocalPod = Arc<dyn Fn(&std::net::IpAddr) -> bool + Send + Sync>;

/// A fresh relay key from the machine's random source, for a control plane this process hosts.
pub fn random_key() -> Result<RelayKey, getrandom::Error> {
    let mut bytes = [0u8; RELAY_KEY_BYTES];
    getrandom::fill(&mut bytes)?;
    Ok(RelayKey::from_bytes(bytes))
}

/// The relay keys of this agent's live control-plane links: what the relay accepts.
#[derive(Default)]
pub struct Keys {
    live: Mutex<LiveKeys>,
}

#[derive(Default)]
struct LiveKeys {
    next: u64,
    /// One entry per holder: a key two links gave stays until both have ended.
    held: Vec<(u64, RelayKey)>,
}

/// Keeps a key accepted while a link lives; dropping it (the link ended) forgets the key.
pub struct KeyHold {
    keys: Arc<Keys>,
    id: u64,
}

impl Drop for KeyHold {
    fn drop(&mut self) {
        self.keys.lock().held.retain(|(id, _)| *id != self.id);
    }
}

impl Keys {
    fn lock(&self) -> std::sync::MutexGuard<'_, LiveKeys> {
        self.live.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Accepts `key` until the returned hold is dropped.
    pub fn hold(self: &Arc<Self>, key: RelayKey) -> KeyHold {
        let mut live = self.lock();
        live.next += 1;
        let id = live.next;
        live.held.push((id, key));
        KeyHold {
            keys: Arc::clone(self),
            id,
        }
    }

    /// Whether `candidate` is a live key. Every live key is compared in full, in constant
    /// time, so the answer's timing says nothing about how close a guess came.
    pub fn accepts(&self, candidate: &RelayKey) -> bool {
        let live = self.lock();
        let mut found = subtle::Choice::from(0);
        for (_, key) in &live.held {
            found |= key.as_bytes().ct_eq(candidate.as_bytes());
        }
        bool::from(found)
    }
}

/// The line a peer sends to reach `pod` with `key`.
pub fn request_line(key: &RelayKey, pod: SocketAddr) -> String {
    format!("{} {pod}\n", key.to_hex())
}

/// What a request line asks for: the key it presents and the pod.
#[derive(Debug, PartialEq, Eq)]
pub struct Request {
    pub key: RelayKey,
    pub pod: SocketAddr,
}

/// Serves the relay on `listener` until the task is aborted, to holders of a live key in
/// `keys` and for pods `is_local_pod` accepts.
pub async fn serve(listener: TcpListener, keys: Arc<Keys>, is_local_pod: IsLocalPod) {
    loop {
        match listener.accept().await {
            Ok((peer, from)) => {
                let keys = Arc::clone(&keys);
                let check = Arc::clone(&is_local_pod);
                tokio::spawn(async move {
                    if let Err(e) = relay(peer, &keys, check).await {
                        tracing::debug!("relay connection from {from} ended: {e}");
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

async fn relay(mut peer: TcpStream, keys: &Keys, is_local_pod: IsLocalPod) -> Result<(), String> {
    let _ = peer.set_nodelay(true);
    let line = tokio::time::timeout(REQUEST_LIMIT, read_line(&mut peer))
        .await
        .map_err(|_| "no request line in time".to_string())??;
    let request = parse_request(&line)?;
    if !keys.accepts(&request.key) {
        return Err("refused: the relay key is not one a live control-plane link gave".into());
    }
    let pod = request.pod;
    if !is_local_pod(&pod.ip()) {
        return Err(format!("refused: {} is not a pod of this node", pod.ip()));
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

/// `<64 hex digits> 172.17.0.3:3000` → the key presented and the pod's address.
pub fn parse_request(line: &[u8]) -> Result<Request, String> {
    let text = std::str::from_utf8(line).map_err(|_| "request line is not text".to_string())?;
    let (key, pod) = text
        .trim()
        .split_once(' ')
        .ok_or_else(|| "refused: the request line has no relay key".to_string())?;
    let key = RelayKey::from_hex(key).map_err(|e| format!("refused: {e}"))?;
    let pod = pod.parse().map_err(|_| format!("{pod:?} is not IP:port"))?;
    Ok(Request { key, pod })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::network::table::Target;

    fn key(byte: u8) -> RelayKey {
        RelayKey::from_bytes([byte; RELAY_KEY_BYTES])
    }

    #[test]
    fn the_request_names_a_key_an_address_and_a_port() {
        let pod: SocketAddr = "172.17.0.3:3000".parse().unwrap();
        let line = request_line(&key(9), pod);
        let parsed = parse_request(line.trim_end().as_bytes()).unwrap();
        assert_eq!(parsed, Request { key: key(9), pod });
        assert!(line.len() <= MAX_LINE, "{line}");
        assert!(
            parse_request(b"172.17.0.3:3000").is_err(),
            "the old line, without a key"
        );
        assert!(parse_request(b"secret 172.17.0.3:3000").is_err());
        let hex = key(9).to_hex();
        assert!(parse_request(format!("{hex} my-api:80").as_bytes()).is_err());
        assert!(parse_request(b"\xff").is_err());
    }

    #[test]
    fn a_key_is_accepted_while_a_link_holds_it() {
        let keys = Arc::new(Keys::default());
        assert!(!keys.accepts(&key(1)), "no live link, no key");
        let first = keys.hold(key(1));
        let again = keys.hold(key(1));
        let other = keys.hold(key(2));
        assert!(keys.accepts(&key(1)));
        assert!(keys.accepts(&key(2)));
        assert!(!keys.accepts(&key(3)));
        drop(first);
        assert!(keys.accepts(&key(1)), "another link still holds it");
        drop(again);
        assert!(!keys.accepts(&key(1)));
        assert!(keys.accepts(&key(2)));
        drop(other);
        assert!(!keys.accepts(&key(2)));
    }

    /// A pod that greets every connection, and a relay in front of it that holds `keys` and
    /// takes only that pod's IP as local.
    async fn pod_behind_a_relay(keys: Arc<Keys>) -> (SocketAddr, String) {
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
        tokio::spawn(serve(listener, keys, Arc::new(move |ip| *ip == only)));
        (pod_address, relay_address)
    }

    async fn greeting(target: &Target) -> std::io::Result<String> {
        let mut c = crate::network::proxy::dial(target).await?;
        let mut text = String::new();
        c.read_to_string(&mut text).await?;
        Ok(text)
    }

    #[tokio::test]
    async fn a_peer_with_a_live_key_reaches_a_local_pod_and_nothing_else() {
        let keys = Arc::new(Keys::default());
        let hold = keys.hold(key(1));
        let (pod, relay) = pod_behind_a_relay(Arc::clone(&keys)).await;
        let with = |key: RelayKey, pod: SocketAddr| Target::Relay {
            relay: relay.clone(),
            pod,
            key,
        };
        assert_eq!(
            greeting(&with(key(1), pod)).await.unwrap(),
            "hello from the pod"
        );
        assert!(
            greeting(&with(key(2), pod)).await.is_err(),
            "a key no link gave"
        );
        let elsewhere = "10.1.2.3:80".parse().unwrap();
        assert!(
            greeting(&with(key(1), elsewhere)).await.is_err(),
            "not a pod of this node"
        );
        let mut keyless = TcpStream::connect(relay.as_str()).await.unwrap();
        keyless
            .write_all(format!("{pod}\n").as_bytes())
            .await
            .unwrap();
        let mut answer = Vec::new();
        keyless.read_to_end(&mut answer).await.unwrap();
        assert!(
            answer.is_empty(),
            "a line without a key is closed unanswered"
        );

        drop(hold);
        assert!(
            greeting(&with(key(1), pod)).await.is_err(),
            "the key died with its link"
        );
    }
}
