//! A watch as the API server streams it: one JSON watch event per line in a chunked response
//! that stays open until the client goes away, the watch's `timeoutSeconds` pass, the history
//! it needs is gone (an `ERROR` event) or the agent stops.
//!
//! The core keeps each watch's cursor; a pump task polls it whenever the store changed (and
//! every few seconds, for idle bookmarks) and closes it in the core when the stream ends. A
//! watch in the connected page is pushed instead ([`relay`]): its events arrive over the link.

use crate::embedded::EmbeddedControlPlane;
use crate::tunnel::WatchHandle;
use kubeplay_shared::apiserver::WatchId;
use kubeplay_shared::node_protocol::ApiWatchEvents;
use std::convert::Infallible;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::{mpsc, watch};
use warp::http::{header, HeaderValue};
use warp::reply::Response as Reply;

/// How often an idle watch is polled anyway, so bookmarks go out while nothing changes.
const IDLE_POLL: Duration = Duration::from_secs(5);
/// Events buffered for a slow client before the pump waits for it.
const BUFFER: usize = 256;

/// `timeoutSeconds` from the query: the watch ends after it, as the API server ends it.
pub fn timeout(query: &str) -> Option<Duration> {
    query
        .split('&')
        .filter_map(|pair| pair.split_once('='))
        .find(|(k, _)| *k == "timeoutSeconds")
        .and_then(|(_, v)| v.parse::<u64>().ok())
        .filter(|s| *s > 0)
        .map(Duration::from_secs)
}

/// The streaming response for watch `id`, which the core has just opened.
pub fn stream(
    cp: Arc<EmbeddedControlPlane>,
    id: WatchId,
    content_type: &str,
    timeout: Option<Duration>,
    stopping: watch::Receiver<bool>,
) -> Reply {
    let (tx, rx) = mpsc::channel(BUFFER);
    tokio::spawn(pump(cp, id, tx, timeout, stopping));
    chunked(rx, content_type)
}

/// A 200 response whose body is whatever arrives on `rx`, sent as it arrives.
pub fn chunked(rx: mpsc::Receiver<Vec<u8>>, content_type: &str) -> Reply {
    // warp wants a Sync stream; the receiver is only ever polled by the one response body.
    let rx = Mutex::new(rx);
    let body = futures_util::stream::poll_fn(move |cx| {
        rx.lock()
            .unwrap_or_else(|p| p.into_inner())
            .poll_recv(cx)
            .map(|chunk| chunk.map(Ok::<_, Infallible>))
    });
    let mut reply = warp::reply::Reply::into_response(warp::reply::stream(body));
    if let Ok(ct) = HeaderValue::from_str(content_type) {
        reply.headers_mut().insert(header::CONTENT_TYPE, ct);
    }
    reply
}

/// The streaming response for a watch open in the connected page; the page closes it when
/// the stream ends (`handle` is dropped).
pub fn relay(
    events: mpsc::Receiver<ApiWatchEvents>,
    handle: WatchHandle,
    content_type: &str,
    timeout: Option<Duration>,
    stopping: watch::Receiver<bool>,
) -> Reply {
    let (tx, rx) = mpsc::channel(BUFFER);
    tokio::spawn(relay_events(events, handle, tx, timeout, stopping));
    chunked(rx, content_type)
}

async fn relay_events(
    mut events: mpsc::Receiver<ApiWatchEvents>,
    handle: WatchHandle,
    tx: mpsc::Sender<Vec<u8>>,
    timeout: Option<Duration>,
    mut stopping: watch::Receiver<bool>,
) {
    let ends = timeout.map(|t| tokio::time::Instant::now() + t);
    let until_end = async {
        match ends {
            Some(at) => tokio::time::sleep_until(at).await,
            None => std::future::pending().await,
        }
    };
    tokio::pin!(until_end);
    loop {
        let update = tokio::select! {
            update = events.recv() => update,
            () = tx.closed() => None,
            () = &mut until_end => None,
            _ = stopping.wait_for(|stop| *stop) => None,
        };
        let Some(update) = update else { break };
        for event in &update.events {
            let mut line = serde_json::to_vec(event).unwrap_or_default();
            line.push(b'\n');
            if tx.send(line).await.is_err() {
                drop(handle);
                return;
            }
        }
        if update.done {
            break;
        }
    }
    drop(handle);
}

async fn pump(
    cp: Arc<EmbeddedControlPlane>,
    id: WatchId,
    tx: mpsc::Sender<Vec<u8>>,
    timeout: Option<Duration>,
    mut stopping: watch::Receiver<bool>,
) {
    let mut changes = cp.changes();
    let ends = timeout.map(|t| tokio::time::Instant::now() + t);
    loop {
        for event in cp.poll_watch(id).await {
            let failed = event["type"] == "ERROR";
            let mut line = serde_json::to_vec(&event).unwrap_or_default();
            line.push(b'\n');
            if tx.send(line).await.is_err() || failed {
                cp.close_watch(id);
                return;
            }
        }
        let until_end = async {
            match ends {
                Some(at) => tokio::time::sleep_until(at).await,
                None => std::future::pending().await,
            }
        };
        let go_on = tokio::select! {
            changed = changes.changed() => changed.is_ok(),
            () = tokio::time::sleep(IDLE_POLL) => true,
            () = tx.closed() => false,
            () = until_end => false,
            _ = stopping.wait_for(|stop| *stop) => false,
        };
        if !go_on {
            cp.close_watch(id);
            return;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::embedded::simulated_nodes;
    use kubeplay_shared::apiserver::{Request, Response};

    #[test]
    fn the_timeout_comes_from_the_query() {
        assert_eq!(
            timeout("watch=1&timeoutSeconds=30"),
            Some(Duration::from_secs(30))
        );
        assert_eq!(timeout("watch=1"), None);
        assert_eq!(timeout("timeoutSeconds=x"), None);
    }

    #[tokio::test]
    async fn events_stream_as_lines_and_the_watch_closes_when_the_client_goes() {
        let cp = EmbeddedControlPlane::start(1, &simulated_nodes(0)).unwrap();
        let Response::Watch { id, .. } = cp
            .handle(Request::get("/api/v1/namespaces?watch=true"))
            .await
        else {
            panic!("not a watch")
        };
        let (tx, mut rx) = mpsc::channel(BUFFER);
        let (_stop, stopping) = watch::channel(false);
        let pump = tokio::spawn(pump(Arc::clone(&cp), id, tx, None, stopping));
        let first = rx.recv().await.unwrap();
        let event: serde_json::Value = serde_json::from_slice(&first).unwrap();
        assert_eq!(event["type"], "ADDED");
        assert_eq!(first.last(), Some(&b'\n'));
        let ns = br#"{"apiVersion":"v1","kind":"Namespace","metadata":{"name":"shop"}}"#;
        cp.handle(Request::post("/api/v1/namespaces", ns.to_vec()))
            .await;
        let added = loop {
            let line = rx.recv().await.unwrap();
            let event: serde_json::Value = serde_json::from_slice(&line).unwrap();
            if event["object"]["metadata"]["name"] == "shop" {
                break event;
            }
        };
        assert_eq!(added["type"], "ADDED");
        drop(rx);
        // Any change wakes the pump, which finds the client gone.
        let ns = br#"{"apiVersion":"v1","kind":"Namespace","metadata":{"name":"other"}}"#;
        cp.handle(Request::post("/api/v1/namespaces", ns.to_vec()))
            .await;
        pump.await.unwrap();
        assert_eq!(cp.open_watches().await, 0);
    }
}
