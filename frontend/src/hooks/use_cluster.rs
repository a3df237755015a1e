//! Owns the in-tab control plane for the page's lifetime and turns its answers into reducer
//! actions: the only place that talks to the core, and where its timers live (the core is pure).

use crate::clock;
use crate::cluster::Cluster;
use crate::kinds::ObjectKind;
use crate::state::{Action, State};
use gloo_timers::callback::{Interval, Timeout};
use std::cell::RefCell;
use std::rc::Rc;
use yew::prelude::*;

/// How often the table is re-read, so ages advance and controller work shows up.
const REFRESH_MS: u32 = 1_000;

/// A cheap, clonable handle on the page's one [`Cluster`].
#[derive(Clone)]
pub struct ClusterHandle {
    cluster: Rc<RefCell<Cluster>>,
    /// The timer for the controllers' next wake-up; replacing it cancels the previous one.
    wake_timer: Rc<RefCell<Option<Timeout>>>,
}

impl ClusterHandle {
    pub fn load_namespaces(&self, dispatch: &UseReducerDispatcher<State>) {
        let result = self.cluster.borrow_mut().namespaces(clock::now());
        self.schedule_wake();
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
        self.schedule_wake();
        dispatch.dispatch(match result {
            Ok(table) => Action::TableLoaded(table),
            Err(err) => Action::RequestFailed(err.to_string()),
        });
    }

    /// Loads the table now and again every [`REFRESH_MS`] until the returned timer is dropped.
    pub fn follow_objects(
        &self,
        kind: ObjectKind,
        namespace: String,
        dispatch: UseReducerDispatcher<State>,
    ) -> Interval {
        self.load_objects(kind, &namespace, &dispatch);
        let handle = self.clone();
        Interval::new(REFRESH_MS, move || {
            handle.load_objects(kind, &namespace, &dispatch)
        })
    }

    /// Arms a timer for the wake time the last tick returned; every tick answers afresh, so the
    /// new timer replaces any earlier one.
    fn schedule_wake(&self) {
        let timer = self.cluster.borrow().wake().map(|at| {
            let handle = self.clone();
            Timeout::new(clock::millis_until(at, clock::now()), move || {
                handle.cluster.borrow_mut().tick(clock::now());
                handle.schedule_wake();
            })
        });
        *self.wake_timer.borrow_mut() = timer;
    }
}

/// The cluster is created once, on first render, from `seed`.
#[hook]
pub fn use_cluster(seed: u64) -> ClusterHandle {
    let cluster = use_mut_ref(|| Cluster::new(seed, clock::now()));
    let wake_timer = use_mut_ref(|| None);
    ClusterHandle {
        cluster,
        wake_timer,
    }
}
