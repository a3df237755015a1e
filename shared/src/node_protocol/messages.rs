//! The two message enums of a link, one per direction. Control messages are JSON objects
//! tagged by `type`; `Data` never goes through JSON (see [`super::wire`]).

use super::api::{ApiRequest, ApiRequestId, ApiResponse, ApiWatchEvents};
use super::api_exec::{ExecRefused, ExecStarted};
use super::forward::{PortForwardConnection, PortForwardFailed, PortForwardListen, PortForwardListening, PortForwardStop};
use super::node::{NodeRegistration, NodeStatusReport};
use super::pod::DesiredPod;
use super::service::ServiceRoute;
use super::report::{EventReport, MetricsReport, PodRef, PodStatusReport, ProbeResult};
use super::stream::{CloseStream, Credit, HttpResponse, OpenStream, Resize, StreamData};
use super::version::{Hello, Refused, Welcome};
use serde::{Deserialize, Serialize};

/// The registration feature of an agent that proxies Services (takes `SyncServices`).
pub const FEATURE_SERVICES: &str = "services";

/// The registration feature of an agent that serves `attach` streams; older agents would not
/// parse one, so the control plane opens them only to agents listing it.
pub const FEATURE_ATTACH: &str = "attach";

/// Control plane → agent.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "camelCase")]
pub enum ToAgent {
    /// Answer to `Hello`: the version the rest of the link speaks.
    Welcome(Welcome),
    /// The link cannot go on (no common version, a node name that is taken, a bad message);
    /// the agent shows the reason and closes.
    Refused(Refused),
    /// The Node object exists and is this agent's: how often to send heartbeats and metrics,
    /// the node's `spec.podCIDR`, which the agent gives its pods' IPs from, and the relay key.
    #[serde(rename_all = "camelCase")]
    Registered {
        node_name: String,
        heartbeat_seconds: u32,
        metrics_seconds: u32,
        #[serde(rename = "podCIDR")]
        pod_cidr: String,
        /// Optional messages this control plane serves ([`super::api::FEATURE_KUBE_API`]), so
        /// the agent sends them only to one that takes them.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        features: Vec<String>,
        /// This control plane's relay key ([`super::relay_key`]), the same for all its agents:
        /// the agent's relay serves peers that present it while this link lives, and the agent
        /// presents it to the relays of the endpoints this control plane sends. Without one
        /// (an older control plane) the agent's relay serves nobody for it and its Services
        /// reach only this node's pods.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        relay_key: Option<super::relay_key::RelayKey>,
    },
    /// Every pod this node should run, in full: level-triggered and idempotent. Pods the agent
    /// runs that are not listed are stopped and removed; a listed pod with
    /// `metadata.deletionTimestamp` is stopped within `deletionGracePeriodSeconds`.
    #[serde(rename_all = "camelCase")]
    SyncPods { pods: Vec<DesiredPod> },
    /// Every Service with its ready endpoints, in full: level-triggered like `SyncPods`. Sent
    /// only to agents whose registration lists the [`FEATURE_SERVICES`] feature.
    #[serde(rename_all = "camelCase")]
    SyncServices {
        services: Vec<ServiceRoute>,
        /// The Ingresses of class `kubeplay` (metadata and spec), for an agent serving as the
        /// ingress controller; it routes with the core's own matching rules.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        ingresses: Vec<serde_json::Value>,
    },
    OpenStream(OpenStream),
    Resize(Resize),
    Credit(Credit),
    CloseStream(CloseStream),
    /// The head of the answer to an agent's `Http` stream.
    HttpResponse(HttpResponse),
    /// The answer to a tunnelled kube API request ([`super::api`]).
    ApiResponse(ApiResponse),
    /// New events of a tunnelled watch, or its end.
    ApiWatchEvents(ApiWatchEvents),
    /// An exec or attach stream the agent opened runs ([`super::api_exec`]).
    ExecStarted(ExecStarted),
    /// An exec or attach stream the agent opened was refused by the API server's checks.
    ExecRefused(ExecRefused),
    /// Listen on the agent's machine for `kubectl port-forward` typed in a page; sent only to
    /// agents whose registration lists [`super::forward::FEATURE_PORT_FORWARD`].
    PortForwardListen(Box<PortForwardListen>),
    PortForwardStop(PortForwardStop),
    /// Stream bytes: a binary frame on the wire, never JSON.
    #[serde(skip)]
    Data(StreamData),
}

/// Agent → control plane.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "camelCase")]
pub enum FromAgent {
    /// The first message on every link.
    Hello(Hello),
    /// Sent once after `Welcome`: the node this agent is.
    Register(Box<NodeRegistration>),
    /// A heartbeat with the node's conditions.
    NodeStatus(NodeStatusReport),
    /// A pod's status changed (or the agent re-reports after reconnecting).
    PodStatus(PodStatusReport),
    /// Every container of the pod is stopped and removed, so a deleted pod may now go.
    #[serde(rename_all = "camelCase")]
    PodRemoved { pod: PodRef },
    Event(EventReport),
    ProbeResult(ProbeResult),
    Metrics(MetricsReport),
    /// The agent's kube API gateway tunnels a request (`StreamOpen::Http`), or an exec or
    /// attach for a control plane that registered it with
    /// [`super::api_exec::FEATURE_KUBE_EXEC`].
    OpenStream(OpenStream),
    /// A kube API request from kubectl, for a control plane that registered the agent with
    /// [`super::api::FEATURE_KUBE_API`].
    ApiRequest(ApiRequest),
    /// kubectl left a tunnelled watch: the control plane closes it.
    #[serde(rename_all = "camelCase")]
    ApiWatchClose { id: ApiRequestId },
    Credit(Credit),
    CloseStream(CloseStream),
    /// A `portForwardListen` is bound.
    PortForwardListening(PortForwardListening),
    /// A port-forward ended for good (its listeners are closed).
    PortForwardFailed(PortForwardFailed),
    PortForwardConnection(PortForwardConnection),
    /// Stream bytes: a binary frame on the wire, never JSON.
    #[serde(skip)]
    Data(StreamData),
}
