//! The kube API of the page that drives this agent: kubectl's requests go over the node link
//! to the control plane in the browser tab, and its answers (and watch events) come back.
//!
//! The link registers here while it is up ([`PageTunnel::attach`]); the gateway asks
//! [`PageTunnel::request`] and waits for the answer. Without a page, with a page built before
//! the tunnel (it did not list [`FEATURE_KUBE_API`]), or when the page goes away mid-request,
//! the caller gets an [`Unavailable`] that says which, for kubectl to print.
//!
//! `kubectl exec` and `attach` to pods this agent does not run go the same way, as streams the
//! page runs or relays ([`exec`]).

use kubeplay_shared::node_protocol::api::ApiRequestId;
use kubeplay_shared::node_protocol::api_exec::FEATURE_KUBE_EXEC;
use kubeplay_shared::node_protocol::{
    ApiRequest, ApiResponse, ApiWatchEvents, FromAgent, TunnelledRequest, TunnelledResponse,
    FEATURE_KUBE_API,
};
use kubeplay_shared::node_protocol::{RelayKey, StreamId};
use std::collections::HashMap;
use std::sync::{Arc, Mutex, Weak};
use std::time::Duration;
use tokio::sync::{mpsc, oneshot};

/// Watch events buffered for a slow kubectl; beyond this the watch ends (kubectl relists), as
/// the API server drops a watcher that cannot keep up.
const WATCH_BUFFER: usize = 1024;

/// Why a request got no answer from a page.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Unavailable {
    #[error("no Kubeplay page is connected to this agent: open the page and add this agent with \"Add node\" (or start the agent with --embedded-control-plane)")]
    NoPage,
    #[error("the connected page does not serve the API; reload it")]
    OldPage,
    #[error("the connected page went away before it answered")]
    PageLeft,
    #[error("the connected page did not answer within {} s (is its tab asleep?)", .0.as_secs())]
    TimedOut(Duration),
}

impl Unavailable {
    /// The HTTP status kubectl gets: the gateway timed out waiting (504) or has no one to ask (503).
    pub fn code(&self) -> u16 {
        match self {
            Self::TimedOut(_) => 504,
            _ => 503,
        }
    }

    /// The `Status` reason of that code.
    pub fn reason(&self) -> &'static str {
        match self {
            Self::TimedOut(_) => "Timeout",
            _ => "ServiceUnavailable",
        }
    }
}

/// The page's answer.
pub enum Answer {
    Body(TunnelledResponse),
    /// A watch is open in the page: its events arrive here until the page ends it or the
    /// [`WatchHandle`] is dropped (which closes it in the page).
    Watch {
        content_type: String,
        events: mpsc::Receiver<ApiWatchEvents>,
        handle: WatchHandle,
    },
}

/// Keeps a tunnelled watch open; dropping it tells the page to close it.
pub struct WatchHandle {
    tunnel: Weak<PageTunnel>,
    link: u64,
    id: ApiRequestId,
}

impl Drop for WatchHandle {
    fn drop(&mut self) {
        if let Some(tunnel) = self.tunnel.upgrade() {
            tunnel.close_watch(self.link, self.id);
        }
    }
}

/// What the page answered, handed from the link's loop to the waiting request.
type Waiting = oneshot::Sender<(TunnelledResponse, Option<mpsc::Receiver<ApiWatchEvents>>)>;

struct Link {
    generation: u64,
    serves_api: bool,
    out: mpsc::Sender<FromAgent>,
    pending: HashMap<ApiRequestId, Waiting>,
    watches: HashMap<ApiRequestId, mpsc::Sender<ApiWatchEvents>>,
    /// The page lists [`FEATURE_KUBE_EXEC`]: it runs exec and attach streams.
    serves_exec: bool,
    execs: HashMap<StreamId, exec::ExecStream>,
    /// The page's relay key, for reaching pods on other agents that its API names.
    relay_key: Option<RelayKey>,
}

#[derive(Default)]
struct Inner {
    link: Option<Link>,
    generations: u64,
    next_id: ApiRequestId,
    /// The last stream id this agent opened (even, as the protocol has the agent's).
    next_stream: StreamId,
}

/// The connected page's API, shared by the node link and the gateway.
pub struct PageTunnel {
    inner: Mutex<Inner>,
    timeout: Duration,
}

/// Detaches the link from the tunnel when its session ends: waiting requests fail with
/// [`Unavailable::PageLeft`] and open watches end.
pub struct Attached {
    tunnel: Arc<PageTunnel>,
    generation: u64,
}

impl Drop for Attached {
    fn drop(&mut self) {
        let mut inner = self.tunnel.lock();
        if inner
            .link
            .as_ref()
            .is_some_and(|l| l.generation == self.generation)
        {
            if let Some(link) = inner.link.take() {
                link.execs.into_values().for_each(exec::page_left);
            }
        }
    }
}

impl PageTunnel {
    /// A tunnel whose requests fail after `timeout` without an answer.
    pub fn new(timeout: Duration) -> Arc<Self> {
        Arc::new(Self {
            inner: Mutex::new(Inner::default()),
            timeout,
        })
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// A registered link: requests go out on `out` if the page listed the kube API feature.
    pub fn attach(
        self: &Arc<Self>,
        out: mpsc::Sender<FromAgent>,
        features: &[String],
        relay_key: Option<RelayKey>,
    ) -> Attached {
        let mut inner = self.lock();
        inner.generations += 1;
        let generation = inner.generations;
        if let Some(old) = inner.link.take() {
            old.execs.into_values().for_each(exec::page_left);
        }
        inner.link = Some(Link {
            generation,
            serves_api: features.iter().any(|f| f == FEATURE_KUBE_API),
            out,
            pending: HashMap::new(),
            watches: HashMap::new(),
            serves_exec: features.iter().any(|f| f == FEATURE_KUBE_EXEC),
            execs: HashMap::new(),
            relay_key,
        });
        Attached {
            tunnel: Arc::clone(self),
            generation,
        }
    }

    /// The connected page's relay key, if a page is connected and sent one.
    pub fn relay_key(&self) -> Option<RelayKey> {
        self.lock().link.as_ref()?.relay_key
    }

    /// Sends `request` to the page and waits for its answer.
    pub async fn request(
        self: &Arc<Self>,
        request: TunnelledRequest,
    ) -> Result<Answer, Unavailable> {
        let (tx, rx) = oneshot::channel();
        let (id, generation, out) = {
            let mut inner = self.lock();
            inner.next_id += 1;
            let id = inner.next_id;
            let link = inner.link.as_mut().ok_or(Unavailable::NoPage)?;
            if !link.serves_api {
                return Err(Unavailable::OldPage);
            }
            link.pending.insert(id, tx);
            (id, link.generation, link.out.clone())
        };
        let message = FromAgent::ApiRequest(ApiRequest { id, request });
        if out.send(message).await.is_err() {
            return Err(Unavailable::PageLeft);
        }
        let answer = match tokio::time::timeout(self.timeout, rx).await {
            Ok(Ok(answer)) => answer,
            Ok(Err(_)) => return Err(Unavailable::PageLeft),
            Err(_) => {
                if let Some(link) = self.lock().link.as_mut() {
                    link.pending.remove(&id);
                }
                // A late watch answer is closed in `on_response`.
                return Err(Unavailable::TimedOut(self.timeout));
            }
        };
        Ok(match answer {
            (TunnelledResponse::Watch { content_type }, Some(events)) => Answer::Watch {
                content_type,
                events,
                handle: WatchHandle {
                    tunnel: Arc::downgrade(self),
                    link: generation,
                    id,
                },
            },
            (response, _) => Answer::Body(response),
        })
    }

    /// The page answered request `id`.
    pub fn on_response(&self, answer: ApiResponse) {
        let mut inner = self.lock();
        let Some(link) = inner.link.as_mut() else {
            return;
        };
        let Some(waiting) = link.pending.remove(&answer.id) else {
            if matches!(answer.response, TunnelledResponse::Watch { .. }) {
                // Nobody waits any more (timed out): the page closes the watch.
                let _ = link
                    .out
                    .try_send(FromAgent::ApiWatchClose { id: answer.id });
            }
            return;
        };
        let events = match answer.response {
            TunnelledResponse::Watch { .. } => {
                let (tx, rx) = mpsc::channel(WATCH_BUFFER);
                link.watches.insert(answer.id, tx);
                Some(rx)
            }
            TunnelledResponse::Body { .. } => None,
        };
        if waiting.send((answer.response, events)).is_err() {
            link.watches.remove(&answer.id);
        }
    }

    /// New events (or the end) of a tunnelled watch.
    pub fn on_watch_events(&self, update: ApiWatchEvents) {
        let mut inner = self.lock();
        let Some(link) = inner.link.as_mut() else {
            return;
        };
        let id = update.id;
        let done = update.done;
        let Some(watch) = link.watches.get(&id) else {
            return;
        };
        let delivered = watch.try_send(update).is_ok();
        if done || !delivered {
            link.watches.remove(&id);
            if !done {
                let _ = link.out.try_send(FromAgent::ApiWatchClose { id });
            }
        }
    }

    /// kubectl left watch `id`: the page closes it (if the same link is still up).
    fn close_watch(&self, generation: u64, id: ApiRequestId) {
        let mut inner = self.lock();
        let Some(link) = inner.link.as_mut().filter(|l| l.generation == generation) else {
            return;
        };
        if link.watches.remove(&id).is_none() {
            return;
        }
        let close = FromAgent::ApiWatchClose { id };
        if let Err(mpsc::error::TrySendError::Full(close)) = link.out.try_send(close) {
            let out = link.out.clone();
            tokio::spawn(async move {
                let _ = out.send(close).await;
            });
        }
    }
}

mod exec;

#[cfg(test)]
mod tests;
