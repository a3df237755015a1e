//! The node protocol: every message that crosses the WebSocket between a control plane (the
//! browser tab, or an agent's embedded one) and a `kubeplay-agent` running pods on a real machine.
//!
//! The control plane resolves everything the agent needs before sending a pod (env values from
//! ConfigMaps and Secrets, volume contents), so an agent never reads the API itself: it runs
//! what it is given and reports back what happened.
//!
//! # Frames
//! Control messages are JSON text frames, objects tagged by `type` (camelCase): [`ToAgent`]
//! one way, [`FromAgent`] the other. Stream bytes are binary frames: stream id (u32 BE),
//! channel (u8), payload of at most [`MAX_CHUNK`] bytes ([`wire`]). The join token and the
//! page's Origin are checked by the agent at the WebSocket handshake, not here.
//!
//! # A link's life
//! 1. Agent: `hello` (versions it speaks). Control plane: `welcome` (the newest common
//!    version) or `refused` (a reason) and close. The shapes of these three never change.
//! 2. Agent: `register` (node name, capacity, nodeInfo, addresses, labels). Control plane
//!    creates or updates the Node, answers `registered` (heartbeat and metrics periods, the
//!    node's podCIDR, the cluster's relay key), and from then on renews the node's Lease while
//!    the link is up.
//! 3. Control plane: `syncPods`, the full desired set of the node, whenever it changes
//!    (level-triggered: the agent converges on the latest one and may ignore older ones). A
//!    pod whose ConfigMap, Secret or claim is missing is held back and reported the kubelet's
//!    way (`CreateContainerConfigError`, `FailedMount`) by the control plane itself.
//!    Control plane, to agents that register with the `services` feature: `syncServices`, every
//!    Service with its ready endpoints (and the relay of the agent each endpoint runs on) and
//!    the Ingresses of class `kubeplay`, in full whenever they change, for the agent's DNS,
//!    Service proxy and ingress controller ([`service`]). Agents reach each other's relays
//!    with the relay key of the control plane that registered them ([`relay_key`]).
//! 4. Agent: `nodeStatus` heartbeats, `podStatus` on change, `event`, `probeResult`, `metrics`,
//!    and `podRemoved` once a pod's containers are gone (the control plane then deletes a
//!    terminating pod for good).
//! 5. When the link drops, the Lease is no longer renewed: the node lifecycle controller marks
//!    the Node `Unknown` and evicts its pods after the grace period; pods keep running on the
//!    machine, and a new link re-adopts them with the next `syncPods`.
//!
//! # The kube API through the link
//! A control plane that lists the `kubeApi` feature in `registered` answers `apiRequest` with
//! `apiResponse`, and streams watches with `apiWatchEvents` until `apiWatchClose` ([`api`]), so
//! the real kubectl pointed at an agent drives the cluster in the connected page. The feature
//! is the version check: an agent never sends these to a control plane that did not list it.
//! Likewise with `kubeExec`, the agent opens exec and attach streams in the control plane
//! (`execStarted` or `execRefused` answer them), so kubectl's exec reaches pods on simulated
//! nodes and on other agents' nodes ([`api_exec`]).
//!
//! # Streams and flow control
//! `openStream` starts a log, exec, attach, port-forward (opened by the control plane, odd ids) or a
//! tunnelled kube API request (`http`, opened by the agent's gateway, even ids). Each direction
//! of a stream has a credit window ([`flow`]): a sender may have at most the granted bytes in
//! flight, starting at [`INITIAL_WINDOW`]; the receiver sends `credit` as its consumer takes
//! data (a quarter window at a time), and may widen a window with credit before any data, as
//! a control plane does to [`PORT_FORWARD_WINDOW`] for port-forward. A slow consumer (a browser tab in the background) thus stalls the producer instead of
//! growing a buffer anywhere. `closeStream` ends a stream from either side, with an exit code
//! or an error.
//!
//! An empty data frame ends one direction and needs no credit: from the control plane on
//! `stdin` it closes an exec's stdin or half-closes a port-forward connection; from the agent
//! on `stdout` it says the pod closed its side of a port-forward connection. A port-forward
//! stream (one per TCP connection, as kubectl opens them) is closed by the agent once both
//! directions have ended; a failed connection closes it with the kubelet's error text.
//!
//! # Port-forward listeners
//! A page cannot listen on TCP ports, so for `kubectl port-forward` typed in it the agent of
//! the pod's node listens instead ([`forward`]), on agents that register with the
//! `portForward` feature. Control plane: `portForwardListen` (an id it picks, the pod, the
//! addresses, the `local:remote` port pairs; local 0 picks a free port). Agent:
//! `portForwardListening` with every bound socket, or `portForwardFailed` with kubectl's words
//! (`unable to listen on port 8080: …`); then `portForwardConnection` per accepted connection
//! (with an error when the pod could not be reached). The agent listens on loopback only
//! unless its operator allowed an address (`--allow-port-forward-address`), and forwards each
//! connection to the pod itself, so no bytes cross the link. `portForwardStop` (Ctrl+C), the
//! pod leaving the node (`portForwardFailed`: `lost connection to pod`) or the link closing
//! ends the listeners.
//!
//! `attach` (added in version 1 without a version bump: it is additive) connects to a running
//! container's main process instead of starting one. The control plane opens it only to agents
//! whose registration lists the [`FEATURE_ATTACH`] feature, so an older agent never sees it.
//! The agent closes it without an exit code or error when the process ends; the control plane
//! closing it detaches and leaves the container running. `resize` works as for exec when the
//! container has a TTY.

pub mod api;
pub mod api_exec;
pub mod flow;
pub mod forward;
pub mod messages;
pub mod node;
pub mod pod;
pub mod relay_key;
pub mod report;
pub mod service;
pub mod stream;
pub mod version;
pub mod wire;

pub use api::{
    ApiRequest, ApiResponse, ApiWatchEvents, TunnelledRequest, TunnelledResponse, FEATURE_KUBE_API,
};
pub use api_exec::FEATURE_KUBE_EXEC;
pub use forward::FEATURE_PORT_FORWARD;
pub use messages::{FromAgent, ToAgent, FEATURE_ATTACH, FEATURE_SERVICES};
pub use pod::{DesiredPod, EnvVar, FileContent, ResolvedVolume};
pub use relay_key::RelayKey;
pub use stream::{Channel, StreamData, StreamId, StreamOpen, INITIAL_WINDOW, MAX_CHUNK, PORT_FORWARD_WINDOW};
pub use version::{negotiate, Hello, Refused, Welcome, PROTOCOL_VERSION, SUPPORTED_VERSIONS};
pub use wire::{decode, encode, DecodeError, EncodeError, Frame};
