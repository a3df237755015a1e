//! How kubectl reaches the cluster: REST requests only, the same ones the real
//! kubectl sends, so the in-page terminal exercises the API exactly as users' tools do.
//!
//! Watches are the one thing HTTP streams; here the host hands out their events
//! by polling, so a transport also forwards `poll_watch`/`close_watch`.

use crate::apiserver::{ApiServer, Request, Response, WatchId};
use crate::control_plane::ControlPlane;
use jiff::Timestamp;
use serde_json::Value;

/// The media type kubectl sends to get server-side Tables for `kubectl get`.
pub const ACCEPT_TABLE: &str = "application/json;as=Table;v=v1;g=meta.k8s.io,application/json";

/// A connection to an API server.
pub trait Transport {
    fn send(&mut self, req: &Request) -> Response;
    /// Watch events (`{"type", "object"}`) that arrived since the last poll.
    fn poll_watch(&mut self, id: WatchId) -> Vec<Value>;
    /// The client stopped watching.
    fn close_watch(&mut self, id: WatchId);

    /// The API server itself when it runs in this process, for the simulated
    /// containers' shell, which reads what a container would see straight from it.
    fn local_api(&self) -> Option<&ApiServer> {
        None
    }
}

/// The in-page control plane at one moment of host time: requests go through
/// [`ControlPlane::handle`], so the controllers react to what kubectl did.
pub struct Local<'a> {
    pub control_plane: &'a mut ControlPlane,
    pub host_now: Timestamp,
}

impl<'a> Local<'a> {
    pub fn new(control_plane: &'a mut ControlPlane, host_now: Timestamp) -> Self {
        Self { control_plane, host_now }
    }
}

impl Transport for Local<'_> {
    fn send(&mut self, req: &Request) -> Response {
        self.control_plane.handle(req, self.host_now)
    }

    fn poll_watch(&mut self, id: WatchId) -> Vec<Value> {
        let now = self.control_plane.clock().cluster_time(self.host_now);
        self.control_plane.api_mut().poll_watch(id, now)
    }

    fn close_watch(&mut self, id: WatchId) {
        self.control_plane.api_mut().close_watch(id);
    }

    fn local_api(&self) -> Option<&ApiServer> {
        Some(self.control_plane.api())
    }
}

impl Local<'_> {
    /// Cluster time now: what [`super::Session::run`] and [`super::Follow::poll`] take.
    pub fn cluster_now(&self) -> Timestamp {
        self.control_plane.clock().cluster_time(self.host_now)
    }
}

/// A bare API server (no controllers) at cluster time `now`, for tests and tools.
pub struct Direct<'a> {
    pub api: &'a mut ApiServer,
    pub now: Timestamp,
}

impl Transport for Direct<'_> {
    fn send(&mut self, req: &Request) -> Response {
        self.api.handle(req, self.now)
    }

    fn poll_watch(&mut self, id: WatchId) -> Vec<Value> {
        self.api.poll_watch(id, self.now)
    }

    fn close_watch(&mut self, id: WatchId) {
        self.api.close_watch(id);
    }

    fn local_api(&self) -> Option<&ApiServer> {
        Some(self.api)
    }
}
