//! The controller manager: controllers that watch the store, compare desired
//! with actual state, and act through the API, as Kubernetes' do.
//!
//! Each controller is a small module with its own state; none reads another's.
//! They share only the store, which they follow through a [`feed::ChangeFeed`].

pub mod endpoints;
pub mod endpointslice;
pub mod deployment;
pub mod events;
pub mod feed;
pub mod garbage_collector;
pub mod hpa;
pub mod ingress;
pub mod namespace;
mod service_pods;
pub mod service_lb;
mod status_write;
#[cfg(test)]
pub(crate) mod test_support;
pub mod node_lifecycle;
pub mod persistent_volume;
pub(crate) mod pod_state;
pub mod serviceaccount;
pub mod replicaset;

use crate::apiserver::ApiServer;
use jiff::Timestamp;

/// What one reconcile pass did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Reconciled {
    /// Whether it wrote to the API (others may have new work then).
    pub wrote: bool,
    /// When it wants to look again even if nothing changes.
    pub requeue_at: Option<Timestamp>,
}

impl Reconciled {
    pub fn merge(self, other: Reconciled) -> Reconciled {
        Reconciled {
            wrote: self.wrote || other.wrote,
            requeue_at: match (self.requeue_at, other.requeue_at) {
                (Some(a), Some(b)) => Some(a.min(b)),
                (a, b) => a.or(b),
            },
        }
    }
}

/// A control loop over the store.
pub trait Controller {
    fn name(&self) -> &'static str;
    /// Catches up with what changed since the last pass and acts on it.
    fn reconcile(&mut self, api: &mut ApiServer, now: Timestamp) -> Reconciled;
    /// What this controller holds that the store cannot give back (simulated
    /// disks' data), for a snapshot; most controllers rebuild everything from the store.
    fn save(&self) -> Option<serde_json::Value> {
        None
    }
    /// Takes back what [`Controller::save`] returned, before the first pass.
    fn restore(&mut self, _state: &serde_json::Value) {}
}

/// Runs controllers until the cluster is quiet.
pub struct ControllerManager {
    controllers: Vec<Box<dyn Controller>>,
    /// Store writes each controller made so far (same order as `controllers`), so the page can
    /// show which loop acted; counting revisions keeps the controllers themselves unaware of it.
    writes: Vec<u64>,
}

/// A bound on passes per tick, so a pair of controllers that keep undoing
/// each other cannot hang the host; the next tick carries on.
const MAX_PASSES: usize = 64;

impl ControllerManager {
    pub fn new(controllers: Vec<Box<dyn Controller>>) -> Self {
        let writes = vec![0; controllers.len()];
        Self { controllers, writes }
    }

    /// Each controller's name and the store writes it has made since the manager started.
    pub fn activity(&self) -> impl Iterator<Item = (&'static str, u64)> + '_ {
        self.controllers.iter().map(|c| c.name()).zip(self.writes.iter().copied())
    }

    /// The controllers every cluster runs from the start.
    pub fn standard() -> Self {
        Self::new(vec![
            Box::new(garbage_collector::GarbageCollector::default()),
            Box::new(namespace::NamespaceController::default()),
            Box::new(hpa::HorizontalPodAutoscalerController::default()),
            Box::new(endpoints::EndpointsController::default()),
            Box::new(endpointslice::EndpointSliceController::default()),
            Box::new(service_lb::ServiceLbController::default()),
            Box::new(ingress::IngressController::default()),
            Box::new(serviceaccount::ServiceAccountController::default()),
            Box::new(node_lifecycle::NodeLifecycleController::default()),
            Box::new(node_lifecycle::taint_eviction::TaintEvictionController::default()),
            Box::new(node_lifecycle::pod_gc::PodGarbageCollector::default()),
            Box::new(persistent_volume::PersistentVolumeController::default()),
            Box::new(crate::sim::SimKubelet::default()),
            // Before the Deployment controller, so it reads ReplicaSet statuses that match the pods.
            Box::new(replicaset::ReplicaSetController::default()),
            Box::new(deployment::DeploymentController::default()),
            Box::new(crate::scheduler::Scheduler::default()),
        ])
    }

    /// Each controller's own state that a snapshot must keep, by controller name.
    pub fn save(&self) -> std::collections::BTreeMap<String, serde_json::Value> {
        self.controllers.iter().filter_map(|c| Some((c.name().to_string(), c.save()?))).collect()
    }

    /// Hands each controller its saved state back.
    pub fn restore(&mut self, states: &std::collections::BTreeMap<String, serde_json::Value>) {
        for c in &mut self.controllers {
            if let Some(state) = states.get(c.name()) {
                c.restore(state);
            }
        }
    }

    /// Runs every controller until none writes; returns when to run again.
    pub fn run(&mut self, api: &mut ApiServer, now: Timestamp) -> Option<Timestamp> {
        let mut wake = None;
        for _ in 0..MAX_PASSES {
            let mut pass = Reconciled::default();
            for (c, writes) in self.controllers.iter_mut().zip(&mut self.writes) {
                let before = api.store().revision();
                pass = pass.merge(c.reconcile(api, now));
                *writes += api.store().revision().saturating_sub(before);
            }
            wake = pass.requeue_at;
            if !pass.wrote {
                break;
            }
        }
        wake
    }
}
