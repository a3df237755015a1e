//! The playground's ingress controller: the `kubeplay` IngressClass (the
//! cluster's default), and an address in the status of every Ingress it serves.
//!
//! It plays ingress-nginx's part as far as the API shows it: the `Sync` Event
//! on every change, and the controller's load-balancer address in
//! `status.loadBalancer`; [`routing`] says where a request would go.

pub mod routing;

pub use routing::{ready_destinations, route, Backend, BackendPort, Destination};

use super::events::{EventRecorder, EventType};
use super::feed::{ChangeFeed, Changes};
use super::service_lb::INGRESS_ADDRESS;
use super::status_write::write_status;
use super::{Controller, Reconciled};
use crate::api::{meta, resources, Resource};
use crate::apiserver::{ApiServer, WriteOptions};
use crate::store::{EventType as Change, ObjectName};
use jiff::Timestamp;
use serde_json::{json, Value};
use std::collections::BTreeSet;

/// The IngressClass every playground cluster has.
pub const CLASS_NAME: &str = "kubeplay";
/// The `spec.controller` of [`CLASS_NAME`].
pub const CONTROLLER: &str = "kubeplay.dev/ingress-controller";
/// The annotation that makes an IngressClass the cluster's default.
pub const DEFAULT_CLASS_ANNOTATION: &str = "ingressclass.kubernetes.io/is-default-class";
/// The class annotation Ingresses used before `spec.ingressClassName`.
const LEGACY_CLASS_ANNOTATION: &str = "kubernetes.io/ingress.class";
/// The Event source (ingress-nginx's Events say `nginx-ingress-controller`).
const COMPONENT: &str = "kubeplay-ingress-controller";

/// The `kubeplay` IngressClass object, for bootstrap to create with the cluster.
pub fn ingress_class() -> Value {
    json!({
        "apiVersion": "networking.k8s.io/v1",
        "kind": "IngressClass",
        "metadata": {"name": CLASS_NAME, "annotations": {DEFAULT_CLASS_ANNOTATION: "true"}},
        "spec": {"controller": CONTROLLER},
    })
}

/// Whether this controller serves an Ingress: one of class `kubeplay`, or of
/// no class at all, since `kubeplay` is the default class.
pub fn is_served(ingress: &Value) -> bool {
    let class = ingress
        .pointer("/spec/ingressClassName")
        .and_then(Value::as_str)
        .or_else(|| meta::annotation(ingress, LEGACY_CLASS_ANNOTATION))
        .filter(|c| !c.is_empty());
    class.is_none_or(|c| c == CLASS_NAME)
}

fn ingresses() -> Option<&'static Resource> {
    resources::by_plural("networking.k8s.io", "v1", "ingresses")
}

pub struct IngressController {
    feed: ChangeFeed,
    recorder: EventRecorder,
    dirty: BTreeSet<ObjectName>,
}

impl Default for IngressController {
    fn default() -> Self {
        Self {
            feed: ChangeFeed::default(),
            recorder: EventRecorder::new(COMPONENT),
            dirty: BTreeSet::new(),
        }
    }
}

impl IngressController {
    /// Creates the `kubeplay` IngressClass when the cluster has none by that name.
    fn ensure_class(api: &mut ApiServer, now: Timestamp) -> bool {
        let Some(classes) = resources::by_plural("networking.k8s.io", "v1", "ingressclasses")
        else {
            return false;
        };
        if api.get(classes, "", CLASS_NAME).is_ok() {
            return false;
        }
        api.create(classes, "", ingress_class(), now, WriteOptions::default())
            .is_ok()
    }

    /// Puts our address into a served Ingress's status, or takes it out of
    /// one we no longer serve.
    fn sync(api: &mut ApiServer, name: &ObjectName, now: Timestamp) -> bool {
        let Some(r) = ingresses() else { return false };
        let Ok(ing) = api
            .get(r, &name.namespace, &name.name)
            .map(|i| (**i).clone())
        else {
            return false;
        };
        let ours = json!({"ingress": [{"ip": INGRESS_ADDRESS.to_string()}]});
        let current = ing.pointer("/status/loadBalancer");
        let want = if is_served(&ing) && !meta::is_terminating(&ing) {
            ours
        } else if current == Some(&ours) {
            json!({})
        } else {
            return false;
        };
        if current == Some(&want) {
            return false;
        }
        let mut updated = ing;
        updated["status"] = json!({"loadBalancer": want});
        write_status(api, r, name, updated, now)
    }
}

impl Controller for IngressController {
    fn name(&self) -> &'static str {
        "ingress-controller"
    }

    fn reconcile(&mut self, api: &mut ApiServer, now: Timestamp) -> Reconciled {
        let mut wrote = false;
        let mut scheduled = Vec::new();
        match self.feed.changes(api.store()) {
            Changes::Resync => {
                wrote |= Self::ensure_class(api, now);
                // A (re)starting ingress-nginx queues every Ingress it finds.
                for ing in ingresses().into_iter().flat_map(|r| api.list(r, None)) {
                    if is_served(ing) {
                        scheduled.push(ing.clone());
                    }
                    self.dirty
                        .insert(ObjectName::new(meta::namespace(ing), meta::name(ing)));
                }
            }
            Changes::Events(events) => {
                for e in events.into_iter().filter(|e| {
                    (e.key.resource.group, e.key.resource.plural)
                        == ("networking.k8s.io", "ingresses")
                }) {
                    if e.kind == Change::Deleted {
                        continue;
                    }
                    // ingress-nginx queues every add and update of its Ingresses
                    // (its own status write included) with this Event.
                    if is_served(&e.object) {
                        scheduled.push(e.object.clone());
                    }
                    self.dirty.insert(e.key.name.clone());
                }
            }
        }
        for ing in scheduled {
            self.recorder.record(
                api,
                &ing,
                EventType::Normal,
                "Sync",
                "Scheduled for sync",
                now,
            );
        }
        for name in std::mem::take(&mut self.dirty) {
            wrote |= Self::sync(api, &name, now);
        }
        Reconciled {
            wrote,
            requeue_at: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::apiserver::Request;
    use crate::control_plane::ControlPlane;
    use crate::controllers::test_support::{create, pod, set_pod_status, t0};

    fn shop(class: Option<&str>) -> Value {
        let mut ing = json!({"metadata": {"name": "shop"}, "spec": {"rules": [{"host": "shop.example.com", "http": {"paths": [
            {"path": "/", "pathType": "Prefix", "backend": {"service": {"name": "web", "port": {"name": "http"}}}}
        ]}}]}});
        if let Some(c) = class {
            ing["spec"]["ingressClassName"] = json!(c);
        }
        ing
    }

    #[test]
    fn every_cluster_has_the_default_kubeplay_class() {
        let mut cp = ControlPlane::new(1, t0());
        cp.tick(t0());
        let class = cp
            .api_mut()
            .handle(
                &Request::get("/apis/networking.k8s.io/v1/ingressclasses/kubeplay"),
                t0(),
            )
            .json_body();
        assert_eq!(
            class["spec"]["controller"],
            "kubeplay.dev/ingress-controller"
        );
        assert_eq!(
            class["metadata"]["annotations"]["ingressclass.kubernetes.io/is-default-class"],
            "true"
        );
    }

    #[test]
    fn served_ingresses_get_the_ingress_address_and_a_sync_event() {
        let mut cp = ControlPlane::new(1, t0());
        cp.tick(t0());
        create(&mut cp, "ingresses", shop(None));
        let r = ingresses().unwrap();
        let ing = cp.api().get(r, "default", "shop").unwrap().clone();
        assert_eq!(
            ing["status"],
            json!({"loadBalancer": {"ingress": [{"ip": "172.18.255.200"}]}})
        );
        let events = cp
            .api_mut()
            .handle(
                &Request::get(
                    "/api/v1/namespaces/default/events?fieldSelector=involvedObject.name%3Dshop",
                ),
                t0(),
            )
            .json_body();
        let sync = &events["items"][0];
        assert_eq!(
            (sync["reason"].as_str(), sync["message"].as_str()),
            (Some("Sync"), Some("Scheduled for sync"))
        );
        assert_eq!(
            sync["count"], 2,
            "the add and our own status update, as ingress-nginx shows"
        );
    }

    #[test]
    fn ingresses_of_another_class_are_left_alone() {
        let mut cp = ControlPlane::new(1, t0());
        create(&mut cp, "ingresses", shop(Some("nginx")));
        let ing = cp
            .api()
            .get(ingresses().unwrap(), "default", "shop")
            .unwrap()
            .clone();
        assert_eq!(ing["status"], json!({"loadBalancer": {}}));
    }

    #[test]
    fn a_routed_request_reaches_the_ready_pods() {
        let mut cp = ControlPlane::new(1, t0());
        create(
            &mut cp,
            "services",
            json!({"metadata": {"name": "web"},
            "spec": {"selector": {"app": "web"}, "ports": [{"name": "http", "port": 80, "targetPort": "http"}]}}),
        );
        pod(&mut cp, "web-1", json!({"app": "web"}), "node-1");
        pod(&mut cp, "web-2", json!({"app": "web"}), "node-2");
        set_pod_status(&mut cp, "web-1", "10.244.1.5", true);
        set_pod_status(&mut cp, "web-2", "10.244.2.5", false);
        create(&mut cp, "ingresses", shop(Some("kubeplay")));
        let all: Vec<Value> = cp
            .api()
            .list(ingresses().unwrap(), None)
            .map(|i| (**i).clone())
            .collect();
        let backend = route(&all, "shop.example.com", "/products").unwrap();
        let dest = ready_destinations(cp.api(), &backend);
        assert_eq!(
            dest,
            [Destination {
                ip: "10.244.1.5".into(),
                port: 8080,
                pod: Some("web-1".into()),
                node: Some("node-1".into())
            }]
        );
    }
}
