//! How a component reaches the cluster: the page's [`ClusterClient`] from context, and the
//! latest [`ClusterStatus`] (view, speed, saved) re-rendering the component when it changes.

use crate::client::{ClusterClient, ClusterStatus};
use std::rc::Rc;
use yew::prelude::*;

/// What [`use_cluster`] hands a component.
#[derive(Clone)]
pub struct ClusterHandle {
    /// For calls: `client.api(..)`, `client.apply(..)`, `client.stream(..)`.
    pub client: ClusterClient,
    pub status: Rc<ClusterStatus>,
}

/// Needs a `ContextProvider<ClusterClient>` above (the `App` provides one).
#[hook]
pub fn use_cluster() -> ClusterHandle {
    let client = use_context::<ClusterClient>()
        .expect("use_cluster needs the App's ContextProvider<ClusterClient> above it");
    let status = use_state_eq({
        let client = client.clone();
        move || client.status()
    });
    {
        let status = status.clone();
        use_effect_with(client.clone(), move |client| {
            // Catch up with what arrived between the first render and this effect.
            status.set(client.status());
            let subscription = client.subscribe(move |next| status.set(next));
            move || drop(subscription)
        });
    }
    ClusterHandle {
        client,
        status: (*status).clone(),
    }
}
