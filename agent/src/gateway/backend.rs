//! What answers the gateway's requests once they are admitted: the control plane hosted in the
//! agent, or the one in the browser tab that drives it, reached through the node link. The
//! routing in front does not care which; each backend turns the core's answer into a body or a
//! watch stream, and runs the execs and attaches of the pods it reaches.

use super::watch_stream;
use crate::embedded::EmbeddedControlPlane;
use crate::exec::{admission, ExecHandle, ExecRefusal, ExecSpec};
use crate::tunnel::{self, PageTunnel};
use futures_util::future::BoxFuture;
use kubeplay_shared::apiserver::{Request, Response};
use kubeplay_shared::node_protocol::{RelayKey, TunnelledRequest, TunnelledResponse};
use std::sync::Arc;
use tokio::sync::watch;
use warp::reply::Response as Reply;

/// A backend's answer.
pub enum Answer {
    Body {
        status: u16,
        content_type: String,
        body: Vec<u8>,
        warnings: Vec<String>,
    },
    /// A response that streams (a watch), already started.
    Stream(Reply),
}

impl Answer {
    /// The core's plain answer; a watch it opened has no body and is the caller's to stream.
    fn from_core(response: Response) -> Self {
        match response {
            Response::Body {
                status,
                content_type,
                body,
                warnings,
            } => Answer::Body {
                status,
                content_type: content_type.to_string(),
                body,
                warnings,
            },
            Response::Watch { .. } => Answer::Body {
                status: 500,
                content_type: "text/plain".into(),
                body: b"a watch was answered where a body was expected".to_vec(),
                warnings: Vec::new(),
            },
        }
    }
}

/// Why a backend could not answer: the gateway sends it as a `Status` with this code and reason.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    pub code: u16,
    pub reason: &'static str,
    pub message: String,
}

/// A control plane the gateway can ask.
pub trait Backend: Send + Sync {
    /// Serves one admitted request; streams end when `stopping` turns true.
    fn serve(
        &self,
        request: Request,
        stopping: watch::Receiver<bool>,
    ) -> BoxFuture<'_, Result<Answer, Refusal>>;

    /// News of the store's changes, for streams that re-read (a followed log); `None` when the
    /// backend cannot tell, and such streams poll.
    fn changes(&self) -> Option<watch::Receiver<u64>> {
        None
    }

    /// The API server's checks of an exec or attach, without starting it (for a request that
    /// cannot be upgraded but deserves the right refusal).
    fn check_exec(&self, spec: ExecSpec) -> BoxFuture<'_, Result<(), ExecRefusal>>;

    /// Starts an exec or attach in a pod of this backend's cluster.
    fn start_exec(&self, spec: ExecSpec) -> BoxFuture<'_, Result<ExecHandle, ExecRefusal>>;

    /// Whether this backend's execs reach this machine's own pods itself (the embedded control
    /// plane does, over its node link to this agent); if not, the gateway runs them here, as
    /// the kubelet would.
    fn reaches_local_pods(&self) -> bool {
        false
    }

    /// This control plane's relay key: what reaching a pod on another agent's machine takes,
    /// when this backend's API says the pod runs there. `None` while no such control plane
    /// is connected, or one that sent no key.
    fn relay_key(&self) -> Option<RelayKey>;
}

/// The control plane inside the agent (`run --embedded-control-plane`).
pub struct Embedded(pub Arc<EmbeddedControlPlane>);

impl Backend for Embedded {
    fn changes(&self) -> Option<watch::Receiver<u64>> {
        Some(self.0.changes())
    }

    fn check_exec(&self, spec: ExecSpec) -> BoxFuture<'_, Result<(), ExecRefusal>> {
        Box::pin(self.0.check_exec(spec))
    }

    fn start_exec(&self, spec: ExecSpec) -> BoxFuture<'_, Result<ExecHandle, ExecRefusal>> {
        Box::pin(self.0.start_exec(spec))
    }

    fn reaches_local_pods(&self) -> bool {
        true
    }

    fn relay_key(&self) -> Option<RelayKey> {
        Some(self.0.relay_key())
    }

    fn serve(
        &self,
        request: Request,
        stopping: watch::Receiver<bool>,
    ) -> BoxFuture<'_, Result<Answer, Refusal>> {
        Box::pin(async move {
            let cp = &self.0;
            Ok(match cp.handle(request.clone()).await {
                Response::Watch { id, content_type } => Answer::Stream(watch_stream::stream(
                    Arc::clone(cp),
                    id,
                    content_type,
                    watch_stream::timeout(&request.query),
                    stopping,
                )),
                body => Answer::from_core(body),
            })
        })
    }
}

/// The control plane in the browser tab connected to this agent.
pub struct Tunnel(pub Arc<PageTunnel>);

impl Backend for Tunnel {
    fn relay_key(&self) -> Option<RelayKey> {
        self.0.relay_key()
    }

    /// The page's API server checks the pod it serves, read through the tunnel.
    fn check_exec(&self, spec: ExecSpec) -> BoxFuture<'_, Result<(), ExecRefusal>> {
        Box::pin(async move {
            let request = TunnelledRequest {
                method: "GET".into(),
                path: format!("/api/v1/namespaces/{}/pods/{}", spec.namespace, spec.pod),
                query: String::new(),
                headers: Vec::new(),
                body: String::new(),
            };
            let unreadable = |why: String| ExecRefusal {
                code: 500,
                reason: "InternalError",
                message: format!("the connected page's pod could not be read: {why}"),
            };
            match self.0.request(request).await {
                Ok(tunnel::Answer::Body(TunnelledResponse::Body {
                    status: 200, body, ..
                })) => {
                    let pod: serde_json::Value =
                        serde_json::from_str(&body).map_err(|e| unreadable(e.to_string()))?;
                    admission::admit(&pod, &spec).map(|_| ())
                }
                Ok(tunnel::Answer::Body(TunnelledResponse::Body { status: 404, .. })) => {
                    Err(ExecRefusal::pod_not_found(&spec.pod))
                }
                Ok(_) => Err(unreadable("an unexpected answer".into())),
                Err(unavailable) => Err(ExecRefusal {
                    code: unavailable.code(),
                    reason: unavailable.reason(),
                    message: unavailable.to_string(),
                }),
            }
        })
    }

    /// The page runs the process (a simulated container's) or relays it to the agent of the
    /// pod's node ([`PageTunnel::exec`]).
    fn start_exec(&self, spec: ExecSpec) -> BoxFuture<'_, Result<ExecHandle, ExecRefusal>> {
        Box::pin(async move {
            let exec = self.0.exec(&spec).await?;
            let input = exec.input;
            Ok(ExecHandle::new(exec.events, move |i| input.send(i)))
        })
    }

    fn serve(
        &self,
        request: Request,
        stopping: watch::Receiver<bool>,
    ) -> BoxFuture<'_, Result<Answer, Refusal>> {
        Box::pin(async move {
            let timeout = watch_stream::timeout(&request.query);
            let tunnelled = TunnelledRequest::from_request(&request).map_err(|e| Refusal {
                code: 415,
                reason: "UnsupportedMediaType",
                message: e.to_string(),
            })?;
            match self.0.request(tunnelled).await {
                Ok(tunnel::Answer::Body(TunnelledResponse::Body {
                    status,
                    content_type,
                    body,
                    warnings,
                })) => Ok(Answer::Body {
                    status,
                    content_type,
                    body: body.into_bytes(),
                    warnings,
                }),
                Ok(tunnel::Answer::Body(TunnelledResponse::Watch { .. })) => Err(Refusal {
                    code: 500,
                    reason: "InternalError",
                    message: "the page answered a watch without opening it".into(),
                }),
                Ok(tunnel::Answer::Watch {
                    content_type,
                    events,
                    handle,
                }) => Ok(Answer::Stream(watch_stream::relay(
                    events,
                    handle,
                    &content_type,
                    timeout,
                    stopping,
                ))),
                Err(unavailable) if is_discovery(&request) => {
                    tracing::debug!("discovery served by the agent: {unavailable}");
                    Ok(discovery(&request))
                }
                Err(unavailable) => Err(Refusal {
                    code: unavailable.code(),
                    reason: unavailable.reason(),
                    message: unavailable.to_string(),
                }),
            }
        })
    }
}

/// `/version` and the API discovery documents, which every core serves alike.
fn is_discovery(request: &Request) -> bool {
    let segments: Vec<&str> = request.path.trim_matches('/').split('/').collect();
    request.method == kubeplay_shared::apiserver::Method::Get
        && matches!(
            segments.as_slice(),
            ["version"] | ["api"] | ["api", _] | ["apis"] | ["apis", _, _]
        )
}

/// Discovery answered by a core of the agent's own while no page can: kubectl prints only "the
/// server is currently unable to handle the request" when discovery fails, so it must succeed
/// for kubectl to reach the resource and print why the page cannot answer.
fn discovery(request: &Request) -> Answer {
    let now = kubeplay_shared::Timestamp::now();
    let mut core = kubeplay_shared::ApiServer::new(0, now);
    match core.handle(request, now) {
        Response::Watch { .. } => Answer::Body {
            status: 405,
            content_type: "text/plain".into(),
            body: Vec::new(),
            warnings: Vec::new(),
        },
        body => Answer::from_core(body),
    }
}
