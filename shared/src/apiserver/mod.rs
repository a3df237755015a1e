//! The request layer: Kubernetes REST requests in, responses and watch events out.
//!
//! One entry point, [`ApiServer::handle`], serves the page, the in-page kubectl
//! and (through the agent) the real kubectl, so they all see the same API.

pub mod error;
pub mod patch;
pub mod request;

pub use error::{ApiError, Reason};
pub use request::{Method, Request, Response};

use crate::rng::Rng;
use crate::store::Store;
use jiff::Timestamp;

/// Identifies an open watch; see [`Response::Watch`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct WatchId(pub u64);

/// The API server: the store plus everything that interprets requests.
pub struct ApiServer {
    store: Store,
    #[allow(dead_code)]
    rng: Rng,
}

impl ApiServer {
    /// A fresh cluster; `seed` fixes every generated uid, IP and name suffix.
    pub fn new(seed: u64) -> Self {
        Self { store: Store::new(), rng: Rng::new(seed) }
    }

    pub fn store(&self) -> &Store {
        &self.store
    }

    /// Serves one request at time `now`.
    pub fn handle(&mut self, req: &Request, now: Timestamp) -> Response {
        let _ = now;
        let err = ApiError::not_found("", "", &req.path);
        Response::json(err.reason.code(), &err.to_status())
    }
}

impl ApiServer {
    /// Events for watch `id` since the last poll, each a `{"type", "object"}`
    /// watch event as Kubernetes streams them.
    pub fn poll_watch(&mut self, id: WatchId, now: Timestamp) -> Vec<serde_json::Value> {
        let _ = (id, now);
        Vec::new()
    }

    /// Forgets a watch whose client went away.
    pub fn close_watch(&mut self, id: WatchId) {
        let _ = id;
    }
}
