//! Owns the in-tab control plane for the page's lifetime and turns its answers into reducer
//! actions: the only place that talks to the core, so components never reach into it.

use crate::clock;
use crate::cluster::Cluster;
use crate::kinds::ObjectKind;
use crate::state::{Action, State};
use std::cell::RefCell;
use std::rc::Rc;
use yew::prelude::*;

/// A cheap, clonable handle on the page's one [`Cluster`].
#[derive(Clone)]
pub struct ClusterHandle {
    cluster: Rc<RefCell<Cluster>>,
}

impl ClusterHandle {
    pub fn load_namespaces(&self, dispatch: &UseReducerDispatcher<State>) {
        let result = self.cluster.borrow_mut().namespaces(clock::now());
        dispatch.dispatch(match result {
            Ok(names) => Action::NamespacesLoaded(names),
            Err(err) => Action::RequestFailed(err.to_string()),
        });
    }

    pub fn load_objects(
        &self,
        kind: ObjectKind,
        namespace: &str,
        dispatch: &UseReducerDispatcher<State>,
    ) {
        let result = self
            .cluster
            .borrow_mut()
            .objects(kind, namespace, clock::now());
        dispatch.dispatch(match result {
            Ok(rows) => Action::ObjectsLoaded(rows),
            Err(err) => Action::RequestFailed(err.to_string()),
        });
    }
}

/// The cluster is created once, on first render, from `seed`.
#[hook]
pub fn use_cluster(seed: u64) -> ClusterHandle {
    let cluster = use_mut_ref(|| Cluster::new(seed, clock::now()));
    ClusterHandle { cluster }
}
