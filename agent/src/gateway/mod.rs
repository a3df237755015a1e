//! The Kubernetes API over HTTP, so the real `kubectl` (and helm, and client-go programs) can
//! drive the playground through the agent.
//!
//! The core already speaks REST in its own terms ([`kubeplay_shared::apiserver::Request`] in,
//! `Response` out); this module is only what HTTP adds around it: the bearer token, turning
//! watches and followed logs into chunked streams, the OpenAPI documents kubectl reads before
//! `apply` and `explain`, and Kubernetes' `Status` answers for what the gateway itself refuses.
//!
//! Requests go to a [`Backend`]: the control plane hosted in the agent
//! (`run --embedded-control-plane`), or the one in the browser tab connected to the agent,
//! over the node link (503 with the reason when no such page is connected).
//! `kubectl exec` and `attach` upgrade to WebSocket streams ([`exec`]), run by the backend, or
//! here for a pod this machine runs when the backend cannot reach it ([`local_exec`]).
//! Port-forward to a pod this machine runs as a node is the kubelet's part too, served here
//! whichever control plane placed the pod ([`port_forward`]). Followed logs are re-read through
//! the backend ([`log_stream`]).

mod backend;
mod exec;
mod local_exec;
mod log_stream;
mod openapi;
mod port_forward;
mod protobuf;
mod routing;
mod schemas;
mod status;
mod watch_stream;

use crate::auth::Gate;
use kubeplay_agent::runtime::PodRuntime;
use kubeplay_shared::apiserver::{Method, Request};
use std::sync::Arc;
use tokio::sync::watch;

pub use backend::{Backend, Embedded, Tunnel};

/// Every request not meant for the node link: exec and attach upgrades, then REST.
pub fn filter(
    gateway: Arc<Gateway>,
) -> impl warp::Filter<Extract = (warp::reply::Response,), Error = warp::Rejection>
       + Clone
       + Send
       + Sync
       + 'static {
    use warp::Filter as _;
    exec::filter(Arc::clone(&gateway))
        .or(routing::filter(gateway))
        .unify()
}

/// What answers the gateway's requests, and the signal that ends its streams at shutdown.
pub struct Gateway {
    gate: Arc<Gate>,
    backend: Arc<dyn Backend>,
    /// The pods this machine runs, when it is a node: port-forward (and exec, unless the
    /// backend reaches them itself) reach them directly.
    local_pods: Option<Arc<PodRuntime>>,
    stopping: watch::Sender<bool>,
}

impl Gateway {
    pub fn new(
        gate: Arc<Gate>,
        backend: Arc<dyn Backend>,
        local_pods: Option<Arc<PodRuntime>>,
    ) -> Arc<Self> {
        Arc::new(Self {
            gate,
            backend,
            local_pods,
            stopping: watch::channel(false).0,
        })
    }

    /// Ends every open watch and log stream, so a graceful shutdown does not wait on clients
    /// that would listen forever (`kubectl get -w`).
    pub fn stop_streams(&self) {
        self.stopping.send_replace(true);
    }

    fn stopping(&self) -> watch::Receiver<bool> {
        self.stopping.subscribe()
    }

    /// An object read through the backend (a pod, its node), or the answer kubectl gets when it
    /// cannot be: the control plane's own `Status` for a missing one.
    async fn read(&self, path: &str) -> Result<serde_json::Value, warp::reply::Response> {
        use backend::Answer;
        let request = Request::new(Method::Get, path);
        match self.backend.serve(request, self.stopping()).await {
            Ok(Answer::Body {
                status: 200, body, ..
            }) => serde_json::from_slice(&body).map_err(|e| {
                status::status(
                    500,
                    "InternalError",
                    &format!("the control plane answered {path} with unreadable JSON: {e}"),
                )
            }),
            Ok(Answer::Body {
                status,
                content_type,
                body,
                ..
            }) => Err(status::with_body(status, &content_type, body)),
            Ok(Answer::Stream(_)) => Err(status::status(
                500,
                "InternalError",
                &format!("the control plane answered {path} with a stream"),
            )),
            Err(refusal) => Err(status::status(
                refusal.code,
                refusal.reason,
                &refusal.message,
            )),
        }
    }
}
