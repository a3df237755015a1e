//! Which pods each Service selects, kept current from the store's changes, and
//! the pod facts (IP, readiness, ports) that decide whether a pod serves it.
//!
//! The Endpoints and EndpointSlice controllers each own one of these indexes
//! (they share the code, never the state), so a pod change costs a look at the
//! Services of its namespace instead of a rescan of every pod.

use super::feed::{ChangeFeed, Changes};
use crate::api::{meta, resources};
use crate::store::selector::LabelSelector;
use crate::store::{Event, EventType, ObjectName, Store};
use jiff::Timestamp;
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::Arc;

/// Pods and Services of the cluster, with each selecting Service's members.
#[derive(Default)]
pub(crate) struct ServicePods {
    feed: ChangeFeed,
    services: HashMap<ObjectName, Arc<Value>>,
    /// Services that have a selector, by namespace; only these get endpoints.
    selectors: HashMap<String, BTreeMap<String, LabelSelector>>,
    pods: BTreeMap<ObjectName, Arc<Value>>,
    /// Service → names of the pods its selector matches (same namespace).
    members: HashMap<ObjectName, BTreeSet<String>>,
    /// Pod → the Services whose members it is (to update `members` on change).
    memberships: HashMap<ObjectName, Vec<String>>,
    /// Services to sync, with the time of the change that made them dirty.
    dirty: BTreeMap<ObjectName, Option<Timestamp>>,
}

/// What a catch-up saw, besides pods and Services.
pub(crate) enum Caught {
    /// History was lost: the caller must rebuild whatever it derives from other kinds.
    Resynced,
    Events,
}

fn selector_of(service: &Value) -> Option<LabelSelector> {
    // Services of type ExternalName and Services without a selector get no
    // endpoints from the controllers; whoever made them manages their endpoints.
    if service.pointer("/spec/type").and_then(Value::as_str) == Some("ExternalName") {
        return None;
    }
    let set = service
        .pointer("/spec/selector")
        .and_then(Value::as_object)?;
    if set.is_empty() {
        return None;
    }
    Some(LabelSelector::from_set(set))
}

impl ServicePods {
    /// Catches up with the store; `other` sees every event of other kinds and
    /// names the Service it concerns, to be synced again (without trigger time).
    pub fn catch_up(
        &mut self,
        store: &Store,
        now: Timestamp,
        mut other: impl FnMut(&Event) -> Option<ObjectName>,
    ) -> Caught {
        let events: Vec<Event> = match self.feed.changes(store) {
            Changes::Resync => {
                self.resync(store, now);
                return Caught::Resynced;
            }
            Changes::Events(events) => events.into_iter().cloned().collect(),
        };
        for e in events {
            match (e.key.resource.group, e.key.resource.plural) {
                ("", "pods") => self.observe_pod(
                    &e.key.name,
                    (e.kind != EventType::Deleted).then_some(&e.object),
                    now,
                ),
                ("", "services") => self.observe_service(
                    &e.key.name,
                    (e.kind != EventType::Deleted).then_some(&e.object),
                    now,
                ),
                _ => {
                    if let Some(service) = other(&e) {
                        self.dirty.entry(service).or_insert(None);
                    }
                }
            }
        }
        Caught::Events
    }

    fn resync(&mut self, store: &Store, now: Timestamp) {
        *self = Self {
            feed: std::mem::take(&mut self.feed),
            ..Self::default()
        };
        let (Some(pods), Some(services)) = (
            resources::by_plural("", "v1", "pods"),
            resources::by_plural("", "v1", "services"),
        ) else {
            return;
        };
        for (name, svc) in store.list(services.into(), None) {
            self.observe_service(name, Some(svc), now);
        }
        for (name, pod) in store.list(pods.into(), None) {
            self.observe_pod(name, Some(pod), now);
        }
        for name in self.services.keys() {
            self.dirty.insert(name.clone(), Some(now));
        }
    }

    fn observe_service(&mut self, name: &ObjectName, svc: Option<&Arc<Value>>, now: Timestamp) {
        let old_selector = self
            .selectors
            .get(&name.namespace)
            .and_then(|s| s.get(&name.name))
            .cloned();
        let new_selector = svc.and_then(|s| selector_of(s));
        match svc {
            Some(s) => self.services.insert(name.clone(), s.clone()),
            None => self.services.remove(name),
        };
        if old_selector != new_selector {
            self.set_selector(name, new_selector);
        }
        self.dirty.insert(name.clone(), Some(now));
    }

    /// Recomputes a Service's members from the pods of its namespace.
    fn set_selector(&mut self, name: &ObjectName, selector: Option<LabelSelector>) {
        for pod in self.members.remove(name).unwrap_or_default() {
            if let Some(m) = self
                .memberships
                .get_mut(&ObjectName::new(&name.namespace, &pod))
            {
                m.retain(|s| s != &name.name);
            }
        }
        let ns = self.selectors.entry(name.namespace.clone()).or_default();
        let Some(selector) = selector else {
            ns.remove(&name.name);
            return;
        };
        let start = ObjectName::namespace_start(&name.namespace);
        let selected: BTreeSet<String> = self
            .pods
            .range(start..)
            .take_while(|(k, _)| k.namespace == name.namespace)
            .filter(|(_, p)| selector.matches(meta::labels(p)))
            .map(|(k, _)| k.name.clone())
            .collect();
        for pod in &selected {
            self.memberships
                .entry(ObjectName::new(&name.namespace, pod))
                .or_default()
                .push(name.name.clone());
        }
        ns.insert(name.name.clone(), selector);
        self.members.insert(name.clone(), selected);
    }

    fn observe_pod(&mut self, name: &ObjectName, pod: Option<&Arc<Value>>, now: Timestamp) {
        let before = self.memberships.remove(name).unwrap_or_default();
        let after: Vec<String> = match pod {
            Some(p) => self
                .selectors
                .get(&name.namespace)
                .into_iter()
                .flatten()
                .filter(|(_, sel)| sel.matches(meta::labels(p)))
                .map(|(svc, _)| svc.clone())
                .collect(),
            None => Vec::new(),
        };
        for svc in &before {
            if !after.contains(svc) {
                if let Some(m) = self.members.get_mut(&ObjectName::new(&name.namespace, svc)) {
                    m.remove(&name.name);
                }
            }
        }
        for svc in &after {
            self.members
                .entry(ObjectName::new(&name.namespace, svc))
                .or_default()
                .insert(name.name.clone());
        }
        for svc in before.iter().chain(&after) {
            self.dirty
                .insert(ObjectName::new(&name.namespace, svc), Some(now));
        }
        match pod {
            Some(p) => {
                self.pods.insert(name.clone(), p.clone());
                if !after.is_empty() {
                    self.memberships.insert(name.clone(), after);
                }
            }
            None => {
                self.pods.remove(name);
            }
        }
    }

    /// The Services to sync now, each with the time of the change behind it.
    pub fn take_dirty(&mut self) -> BTreeMap<ObjectName, Option<Timestamp>> {
        std::mem::take(&mut self.dirty)
    }

    pub fn service(&self, name: &ObjectName) -> Option<&Arc<Value>> {
        self.services.get(name)
    }

    /// Whether the Service gets endpoints from the controllers (has a selector).
    pub fn is_selecting(&self, name: &ObjectName) -> bool {
        self.selectors
            .get(&name.namespace)
            .is_some_and(|s| s.contains_key(&name.name))
    }

    /// The pods a Service selects, in name order.
    pub fn members<'a>(&'a self, name: &ObjectName) -> impl Iterator<Item = &'a Arc<Value>> + 'a {
        let ns = name.namespace.clone();
        self.members
            .get(name)
            .into_iter()
            .flatten()
            .filter_map(move |pod| self.pods.get(&ObjectName::new(ns.clone(), pod.clone())))
    }
}

/// The pod's IP, once the kubelet reported one; pods without one are no endpoints.
pub(crate) fn pod_ip(pod: &Value) -> Option<&str> {
    pod.pointer("/status/podIP")
        .and_then(Value::as_str)
        .filter(|ip| !ip.is_empty())
}

/// Whether a pod belongs in a Service's endpoints at all: it has an IP, is not
/// terminating (unless those are wanted), and has not finished for good.
pub(crate) fn pod_in_endpoints(pod: &Value, include_terminating: bool) -> bool {
    if pod_ip(pod).is_none() {
        return false;
    }
    if !include_terminating && meta::is_terminating(pod) {
        return false;
    }
    let phase = pod
        .pointer("/status/phase")
        .and_then(Value::as_str)
        .unwrap_or("");
    match pod
        .pointer("/spec/restartPolicy")
        .and_then(Value::as_str)
        .unwrap_or("Always")
    {
        "Never" => phase != "Failed" && phase != "Succeeded",
        "OnFailure" => phase != "Succeeded",
        _ => true,
    }
}

/// The container port a Service port's `targetPort` means on this pod: a
/// number as is (the port itself when unset), a name looked up among the pod's
/// container ports of the same protocol. `None` when the pod has no such port.
pub(crate) fn target_port(pod: &Value, service_port: &Value) -> Option<i64> {
    let protocol = service_port
        .get("protocol")
        .and_then(Value::as_str)
        .unwrap_or("TCP");
    match service_port.get("targetPort") {
        Some(Value::String(name)) => {
            let containers = ["containers", "initContainers"]
                .into_iter()
                .flat_map(|list| {
                    pod.pointer(&format!("/spec/{list}"))
                        .and_then(Value::as_array)
                        .into_iter()
                        .flatten()
                        .filter(move |c| {
                            // Init containers serve only as sidecars (restartPolicy Always).
                            list == "containers"
                                || c.get("restartPolicy").and_then(Value::as_str) == Some("Always")
                        })
                });
            containers
                .flat_map(|c| {
                    c.get("ports")
                        .and_then(Value::as_array)
                        .into_iter()
                        .flatten()
                })
                .find(|p| {
                    p.get("name").and_then(Value::as_str) == Some(name.as_str())
                        && p.get("protocol").and_then(Value::as_str).unwrap_or("TCP") == protocol
                })
                .and_then(|p| p.get("containerPort").and_then(Value::as_i64))
        }
        Some(Value::Number(n)) => n
            .as_i64()
            .filter(|n| *n > 0)
            .or_else(|| service_port.get("port").and_then(Value::as_i64)),
        _ => service_port.get("port").and_then(Value::as_i64),
    }
}

/// The `targetRef` an endpoint carries back to its pod.
pub(crate) fn target_ref(pod: &Value) -> Value {
    serde_json::json!({"kind": "Pod", "namespace": meta::namespace(pod), "name": meta::name(pod), "uid": meta::uid(pod)})
}

/// A headless Service's endpoints carry the pod's hostname when the pod names
/// the Service as its subdomain (how StatefulSet pods get DNS names).
pub(crate) fn hostname_for(pod: &Value, service: &Value) -> Option<String> {
    let headless = service.pointer("/spec/clusterIP").and_then(Value::as_str) == Some("None");
    let hostname = pod
        .pointer("/spec/hostname")
        .and_then(Value::as_str)
        .filter(|h| !h.is_empty())?;
    let subdomain = pod.pointer("/spec/subdomain").and_then(Value::as_str)?;
    (headless && subdomain == meta::name(service)).then(|| hostname.to_string())
}

/// The endpoint port a Service port resolves to on a pod.
pub(crate) fn endpoint_port(service_port: &Value, port: i64) -> Value {
    let mut p = serde_json::json!({
        "port": port,
        "protocol": service_port.get("protocol").and_then(Value::as_str).unwrap_or("TCP"),
    });
    if let Some(name) = service_port
        .get("name")
        .and_then(Value::as_str)
        .filter(|n| !n.is_empty())
    {
        p["name"] = Value::String(name.to_string());
    }
    if let Some(app) = service_port.get("appProtocol").and_then(Value::as_str) {
        p["appProtocol"] = Value::String(app.to_string());
    }
    p
}

/// RFC 3339 with nanoseconds, as Go's `time.RFC3339Nano` prints (no trailing zeros).
pub(crate) fn format_trigger_time(t: Timestamp) -> String {
    t.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn pod_with_ports(ports: Value) -> Value {
        json!({"spec": {"containers": [{"name": "app", "image": "nginx", "ports": ports}]}})
    }

    #[test]
    fn named_target_ports_are_looked_up_per_pod_and_protocol() {
        let pod = pod_with_ports(
            json!([{"name": "http", "containerPort": 8080, "protocol": "TCP"}, {"name": "dns", "containerPort": 53, "protocol": "UDP"}]),
        );
        assert_eq!(
            target_port(
                &pod,
                &json!({"port": 80, "targetPort": "http", "protocol": "TCP"})
            ),
            Some(8080)
        );
        assert_eq!(
            target_port(
                &pod,
                &json!({"port": 53, "targetPort": "dns", "protocol": "TCP"})
            ),
            None
        );
        assert_eq!(
            target_port(&pod, &json!({"port": 80, "targetPort": "web"})),
            None
        );
        assert_eq!(
            target_port(&pod, &json!({"port": 80, "targetPort": 3000})),
            Some(3000)
        );
        assert_eq!(target_port(&pod, &json!({"port": 80})), Some(80));
    }

    #[test]
    fn finished_pods_leave_endpoints_by_restart_policy() {
        let pod = |policy: &str, phase: &str| json!({"spec": {"restartPolicy": policy}, "status": {"podIP": "10.244.0.5", "phase": phase}});
        assert!(pod_in_endpoints(&pod("Always", "Running"), false));
        assert!(!pod_in_endpoints(&pod("Never", "Failed"), false));
        assert!(pod_in_endpoints(&pod("OnFailure", "Failed"), false));
        assert!(!pod_in_endpoints(&pod("OnFailure", "Succeeded"), false));
        assert!(
            !pod_in_endpoints(&json!({"status": {"phase": "Pending"}}), false),
            "no IP yet"
        );
    }

    #[test]
    fn trigger_times_print_like_go_rfc3339_nano() {
        let t: Timestamp = "2026-01-01T00:00:00Z".parse().unwrap();
        assert_eq!(format_trigger_time(t), "2026-01-01T00:00:00Z");
        let t: Timestamp = "2026-01-01T00:00:00.25Z".parse().unwrap();
        assert_eq!(format_trigger_time(t), "2026-01-01T00:00:00.25Z");
    }
}
