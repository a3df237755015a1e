//! The control plane a host runs: the API server and the controller manager.
//!
//! Hosts send requests through [`ControlPlane::api_mut`] and call
//! [`ControlPlane::tick`] with the current time whenever something happened or
//! the time it asked to be woken at has come.

use crate::apiserver::{ApiServer, Request, Response};
use crate::controllers::ControllerManager;
use jiff::Timestamp;

pub struct ControlPlane {
    api: ApiServer,
    controllers: ControllerManager,
}

impl ControlPlane {
    /// A new cluster; `seed` makes every generated name and address reproducible.
    pub fn new(seed: u64, now: Timestamp) -> Self {
        Self { api: ApiServer::new(seed, now), controllers: ControllerManager::standard() }
    }

    pub fn api(&self) -> &ApiServer {
        &self.api
    }

    pub fn api_mut(&mut self) -> &mut ApiServer {
        &mut self.api
    }

    /// Serves a request, then lets the controllers react to it.
    pub fn handle(&mut self, req: &Request, now: Timestamp) -> Response {
        let resp = self.api.handle(req, now);
        self.tick(now);
        resp
    }

    /// Runs the controllers until the cluster is quiet; returns when to call again.
    pub fn tick(&mut self, now: Timestamp) -> Option<Timestamp> {
        self.controllers.run(&mut self.api, now)
    }
}
