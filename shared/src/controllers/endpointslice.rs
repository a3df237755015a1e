//! The EndpointSlice controller: the scalable form of a Service's endpoints,
//! at most [`MAX_ENDPOINTS_PER_SLICE`] pods per `<service>-<suffix>` slice.
//!
//! Like Kubernetes' reconciler it keeps churn low: a pod stays in the slice it
//! is in, new pods fill slices with room before new slices are made, and a
//! Service without pods keeps one empty placeholder slice.

use super::pod_state;
use super::service_pods::{self, Caught, ServicePods};
use super::{Controller, Reconciled};
use crate::api::{meta, resources, Resource};
use crate::apiserver::{ApiServer, DeleteOptions, WriteOptions};
use crate::store::{Event, EventType, ObjectName};
use jiff::Timestamp;
use serde_json::{json, Map, Value};
use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Arc;

/// The label naming the Service a slice belongs to.
pub const SERVICE_NAME_LABEL: &str = "kubernetes.io/service-name";
/// The label saying which controller manages a slice.
pub const MANAGED_BY_LABEL: &str = "endpointslice.kubernetes.io/managed-by";
/// Our value of [`MANAGED_BY_LABEL`]; slices with another are someone else's.
pub const CONTROLLER_NAME: &str = "endpointslice-controller.k8s.io";
/// kube-controller-manager's default `--max-endpoints-per-slice`.
pub const MAX_ENDPOINTS_PER_SLICE: usize = 100;

#[derive(Default)]
pub struct EndpointSliceController {
    index: ServicePods,
    /// Service → the slices we manage for it, by name.
    slices: HashMap<ObjectName, BTreeMap<String, Arc<Value>>>,
    /// resourceVersions of our own writes, whose echoes need no new sync.
    written: HashSet<String>,
}

fn slices_resource() -> Option<&'static Resource> {
    resources::by_plural("discovery.k8s.io", "v1", "endpointslices")
}

/// The Service a slice we manage belongs to.
fn managed_service(slice: &Value) -> Option<ObjectName> {
    if meta::label(slice, MANAGED_BY_LABEL) != Some(CONTROLLER_NAME) {
        return None;
    }
    let service = meta::label(slice, SERVICE_NAME_LABEL)?;
    Some(ObjectName::new(meta::namespace(slice), service))
}

fn endpoints_of(slice: &Value) -> &[Value] {
    slice
        .get("endpoints")
        .and_then(Value::as_array)
        .map_or(&[], Vec::as_slice)
}

/// A slice's ports as a comparable key (no ports and `null` ports are alike).
fn ports_key(ports: &Value) -> String {
    match ports.as_array() {
        Some(p) if !p.is_empty() => ports.to_string(),
        _ => "[]".to_string(),
    }
}

/// Identifies an endpoint across syncs: its pod.
fn endpoint_key(ep: &Value) -> String {
    match ep.pointer("/targetRef/name").and_then(Value::as_str) {
        Some(pod) => pod.to_string(),
        None => ep
            .pointer("/addresses/0")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string(),
    }
}

fn endpoint(api: &ApiServer, pod: &Value, ip: &str, service: &Value) -> Value {
    let publish_not_ready = service
        .pointer("/spec/publishNotReadyAddresses")
        .and_then(Value::as_bool)
        .unwrap_or(false);
    let serving = pod_state::is_ready(pod);
    let terminating = meta::is_terminating(pod);
    // A terminating pod is never `ready` (it may still be `serving`), unless the
    // Service publishes every address anyway.
    let ready = publish_not_ready || (serving && !terminating);
    let mut ep = json!({
        "addresses": [ip],
        "conditions": {"ready": ready, "serving": serving, "terminating": terminating},
        "targetRef": service_pods::target_ref(pod),
    });
    if let Some(node) = pod
        .pointer("/spec/nodeName")
        .and_then(Value::as_str)
        .filter(|n| !n.is_empty())
    {
        ep["nodeName"] = json!(node);
        let zone = resources::by_plural("", "v1", "nodes")
            .and_then(|nodes| api.get(nodes, "", node).ok())
            .and_then(|n| meta::label(n, "topology.kubernetes.io/zone").map(str::to_string));
        if let Some(zone) = zone {
            ep["zone"] = json!(zone);
        }
    }
    if let Some(h) = service_pods::hostname_for(pod, service) {
        ep["hostname"] = json!(h);
    }
    ep
}

/// The endpoints a Service should have, grouped by the ports they serve
/// (ports key → (ports, pod → endpoint)).
type Desired = BTreeMap<String, (Value, BTreeMap<String, Value>)>;

fn desired_endpoints<'a>(
    api: &ApiServer,
    service: &Value,
    pods: impl Iterator<Item = &'a Arc<Value>>,
) -> Desired {
    let service_ports: &[Value] = service
        .pointer("/spec/ports")
        .and_then(Value::as_array)
        .map_or(&[], Vec::as_slice);
    let mut desired = Desired::new();
    for pod in pods {
        // Slices keep terminating pods, marked so, for graceful connection draining.
        if !service_pods::pod_in_endpoints(pod, true) {
            continue;
        }
        let Some(ip) = service_pods::pod_ip(pod) else {
            continue;
        };
        let ports: Vec<Value> = service_ports
            .iter()
            .filter_map(|sp| service_pods::target_port(pod, sp).map(|n| slice_port(sp, n)))
            .collect();
        let ports = if ports.is_empty() {
            Value::Null
        } else {
            Value::Array(ports)
        };
        let ep = endpoint(api, pod, ip, service);
        desired
            .entry(ports_key(&ports))
            .or_insert_with(|| (ports, BTreeMap::new()))
            .1
            .insert(endpoint_key(&ep), ep);
    }
    desired
}

/// EndpointSlice ports always carry a name (empty for an unnamed Service port).
fn slice_port(service_port: &Value, port: i64) -> Value {
    let mut p = service_pods::endpoint_port(service_port, port);
    if p.get("name").is_none() {
        p["name"] = json!("");
    }
    p
}

/// The labels, owner and ports every slice of the Service carries.
struct SliceMeta {
    namespace: String,
    service: String,
    labels: Map<String, Value>,
    owner: Value,
    trigger: Option<String>,
}

impl SliceMeta {
    fn new(service: &Value, trigger: Option<Timestamp>) -> Self {
        let mut labels = meta::labels(service).cloned().unwrap_or_default();
        labels.insert(SERVICE_NAME_LABEL.into(), json!(meta::name(service)));
        labels.insert(MANAGED_BY_LABEL.into(), json!(CONTROLLER_NAME));
        if service.pointer("/spec/clusterIP").and_then(Value::as_str) == Some("None") {
            labels.insert(super::endpoints::HEADLESS_LABEL.into(), json!(""));
        }
        let owner = json!([{
            "apiVersion": "v1", "kind": "Service", "name": meta::name(service), "uid": meta::uid(service),
            "controller": true, "blockOwnerDeletion": true,
        }]);
        Self {
            namespace: meta::namespace(service).to_string(),
            service: meta::name(service).to_string(),
            labels,
            owner,
            trigger: trigger.map(service_pods::format_trigger_time),
        }
    }

    /// `base` (an existing slice, or a new one) with these endpoints and ports.
    fn slice(&self, base: Option<&Value>, ports: &Value, endpoints: Vec<Value>) -> Value {
        let mut s = base.cloned().unwrap_or_else(|| {
            json!({
                "apiVersion": "discovery.k8s.io/v1", "kind": "EndpointSlice",
                "metadata": {"generateName": format!("{}-", self.service), "namespace": self.namespace},
            })
        });
        s["addressType"] = json!("IPv4");
        s["ports"] = ports.clone();
        s["endpoints"] = if endpoints.is_empty() {
            Value::Null
        } else {
            Value::Array(endpoints)
        };
        s["metadata"]["labels"] = Value::Object(self.labels.clone());
        s["metadata"]["ownerReferences"] = self.owner.clone();
        s
    }

    fn stamp_trigger(&self, slice: &mut Value) {
        let Some(m) = slice.get_mut("metadata").and_then(Value::as_object_mut) else {
            return;
        };
        let annotations = m.entry("annotations").or_insert_with(|| json!({}));
        let Some(a) = annotations.as_object_mut() else {
            return;
        };
        match &self.trigger {
            Some(t) => {
                a.insert(super::endpoints::LAST_CHANGE_TRIGGER_TIME.into(), json!(t));
            }
            None => {
                a.remove(super::endpoints::LAST_CHANGE_TRIGGER_TIME);
            }
        }
        if a.is_empty() {
            m.remove("annotations");
        }
    }
}

/// What one sync decided: slices to create, update (in full) and delete.
#[derive(Default)]
struct Plan {
    create: Vec<Value>,
    update: Vec<Value>,
    delete: Vec<String>,
}

/// Compares the slices that exist with the endpoints that should, reusing
/// slices (and each pod's place in them) wherever possible.
fn plan(existing: &BTreeMap<String, Arc<Value>>, mut desired: Desired, m: &SliceMeta) -> Plan {
    let mut plan = Plan::default();
    if desired.is_empty() {
        // No endpoints: keep (or make) exactly one empty placeholder slice.
        let placeholder = existing
            .iter()
            .find(|(_, s)| endpoints_of(s).is_empty() && ports_key(&s["ports"]) == "[]");
        for name in existing
            .keys()
            .filter(|n| placeholder.is_none_or(|p| p.0 != *n))
        {
            plan.delete.push(name.clone());
        }
        match placeholder {
            Some((_, s)) => {
                let want = m.slice(Some(s), &Value::Null, Vec::new());
                if want != **s {
                    plan.update.push(want);
                }
            }
            None => plan.create.push(m.slice(None, &Value::Null, Vec::new())),
        }
        return plan;
    }
    // Slices kept, by ports key: (slice as it should become, whether it changed).
    let mut open: BTreeMap<String, Vec<(Value, bool)>> = BTreeMap::new();
    for (name, slice) in existing {
        let key = ports_key(&slice["ports"]);
        let group = desired
            .get_mut(&key)
            .filter(|_| slice["addressType"] == "IPv4");
        let Some((ports, wanted)) = group else {
            plan.delete.push(name.clone());
            continue;
        };
        let kept: Vec<Value> = endpoints_of(slice)
            .iter()
            .filter_map(|ep| wanted.remove(&endpoint_key(ep)))
            .collect();
        if kept.is_empty() {
            plan.delete.push(name.clone());
            continue;
        }
        let want = m.slice(Some(slice), ports, kept);
        let changed = want != **slice;
        open.entry(key).or_default().push((want, changed));
    }
    for (key, (ports, rest)) in desired {
        let mut rest = rest.into_values().peekable();
        for (slice, changed) in open.entry(key).or_default().iter_mut() {
            let Some(list) = slice.get_mut("endpoints").and_then(Value::as_array_mut) else {
                continue;
            };
            while list.len() < MAX_ENDPOINTS_PER_SLICE {
                let Some(ep) = rest.next() else { break };
                list.push(ep);
                *changed = true;
            }
        }
        while rest.peek().is_some() {
            let chunk: Vec<Value> = rest.by_ref().take(MAX_ENDPOINTS_PER_SLICE).collect();
            plan.create.push(m.slice(None, &ports, chunk));
        }
    }
    plan.update.extend(
        open.into_values()
            .flatten()
            .filter(|(_, changed)| *changed)
            .map(|(s, _)| s),
    );
    plan
}

impl EndpointSliceController {
    fn sync(
        &mut self,
        api: &mut ApiServer,
        name: &ObjectName,
        trigger: Option<Timestamp>,
        now: Timestamp,
    ) -> bool {
        let Some(resource) = slices_resource() else {
            return false;
        };
        // A deleted Service's slices go with it through their owner reference.
        let Some(service) = self.index.service(name).cloned() else {
            return false;
        };
        if !self.index.is_selecting(name) || meta::is_terminating(&service) {
            return false;
        }
        let desired = desired_endpoints(api, &service, self.index.members(name));
        let slice_meta = SliceMeta::new(&service, trigger);
        let existing = self.slices.get(name).cloned().unwrap_or_default();
        let plan = plan(&existing, desired, &slice_meta);
        let mut wrote = false;
        let ns = name.namespace.as_str();
        for slice in plan.delete {
            wrote |= api
                .delete(resource, ns, &slice, &DeleteOptions::default(), now)
                .is_ok();
        }
        for mut slice in plan.update {
            slice_meta.stamp_trigger(&mut slice);
            let slice_name = meta::name(&slice).to_string();
            if let Ok(stored) = api.update(
                resource,
                ns,
                &slice_name,
                slice,
                None,
                now,
                WriteOptions::default(),
            ) {
                self.written
                    .insert(meta::resource_version(&stored).to_string());
                wrote = true;
            }
        }
        for mut slice in plan.create {
            slice_meta.stamp_trigger(&mut slice);
            if let Ok(stored) = api.create(resource, ns, slice, now, WriteOptions::default()) {
                self.written
                    .insert(meta::resource_version(&stored).to_string());
                wrote = true;
            }
        }
        wrote
    }

    fn rebuild_slices(&mut self, api: &ApiServer) {
        self.slices.clear();
        self.written.clear();
        let Some(resource) = slices_resource() else {
            return;
        };
        for slice in api.list(resource, None) {
            if let Some(service) = managed_service(slice) {
                self.slices
                    .entry(service)
                    .or_default()
                    .insert(meta::name(slice).to_string(), slice.clone());
            }
        }
    }
}

/// Keeps the slice index current; names the Service to sync again when
/// someone other than us changed one of its slices.
fn observe_slice(
    slices: &mut HashMap<ObjectName, BTreeMap<String, Arc<Value>>>,
    written: &mut HashSet<String>,
    e: &Event,
) -> Option<ObjectName> {
    if (e.key.resource.group, e.key.resource.plural) != ("discovery.k8s.io", "endpointslices") {
        return None;
    }
    let before = e.previous.as_deref().and_then(managed_service);
    let after = managed_service(&e.object).filter(|_| e.kind != EventType::Deleted);
    if let Some(svc) = &before {
        if let Some(set) = slices.get_mut(svc) {
            set.remove(&e.key.name.name);
        }
    }
    if let Some(svc) = &after {
        slices
            .entry(svc.clone())
            .or_default()
            .insert(e.key.name.name.clone(), e.object.clone());
    }
    if written.remove(meta::resource_version(&e.object)) {
        return None;
    }
    after.or(before)
}

impl Controller for EndpointSliceController {
    fn name(&self) -> &'static str {
        "endpointslice-controller"
    }

    fn reconcile(&mut self, api: &mut ApiServer, now: Timestamp) -> Reconciled {
        let (slices, written) = (&mut self.slices, &mut self.written);
        let caught = self
            .index
            .catch_up(api.store(), now, |e| observe_slice(slices, written, e));
        if matches!(caught, Caught::Resynced) {
            self.rebuild_slices(api);
        }
        let mut wrote = false;
        for (name, trigger) in self.index.take_dirty() {
            wrote |= self.sync(api, &name, trigger, now);
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
    use crate::control_plane::ControlPlane;
    use crate::controllers::test_support::{create, edit, pod, set_pod_status, t0};

    fn slices(cp: &ControlPlane, service: &str) -> Vec<Value> {
        let r = slices_resource().unwrap();
        cp.api()
            .list(r, Some("default"))
            .filter(|s| meta::label(s, SERVICE_NAME_LABEL) == Some(service))
            .map(|s| (**s).clone())
            .collect()
    }

    fn endpoint_ips(slices: &[Value]) -> Vec<String> {
        let mut ips: Vec<String> = slices
            .iter()
            .flat_map(|s| {
                endpoints_of(s)
                    .iter()
                    .map(|e| e["addresses"][0].as_str().unwrap().to_string())
            })
            .collect();
        ips.sort();
        ips
    }

    fn web_service(cp: &mut ControlPlane) -> Value {
        create(
            cp,
            "services",
            json!({"metadata": {"name": "web", "labels": {"tier": "front"}},
            "spec": {"selector": {"app": "web"}, "ports": [{"name": "http", "port": 80, "targetPort": "http"}]}}),
        )
    }

    #[test]
    fn a_service_without_pods_has_one_placeholder_slice() {
        let mut cp = ControlPlane::new(1, t0());
        let svc = web_service(&mut cp);
        let s = slices(&cp, "web");
        assert_eq!(s.len(), 1);
        let s = &s[0];
        assert!(
            meta::name(s).starts_with("web-") && meta::name(s).len() == "web-".len() + 5,
            "{}",
            meta::name(s)
        );
        assert_eq!(s["addressType"], "IPv4");
        assert_eq!(s["endpoints"], Value::Null);
        assert_eq!(s["ports"], Value::Null);
        assert_eq!(
            s["metadata"]["labels"],
            json!({"tier": "front", "kubernetes.io/service-name": "web", "endpointslice.kubernetes.io/managed-by": "endpointslice-controller.k8s.io"})
        );
        assert_eq!(
            s["metadata"]["ownerReferences"][0]["uid"],
            svc["metadata"]["uid"]
        );
        assert_eq!(s["metadata"]["ownerReferences"][0]["controller"], true);
    }

    #[test]
    fn slices_mirror_pod_readiness_and_termination() {
        let mut cp = ControlPlane::new(1, t0());
        web_service(&mut cp);
        let placeholder = meta::name(&slices(&cp, "web")[0]).to_string();
        pod(&mut cp, "web-1", json!({"app": "web"}), "node-1");
        set_pod_status(&mut cp, "web-1", "10.244.1.5", false);
        let s = slices(&cp, "web");
        assert_eq!(s.len(), 1);
        assert_ne!(
            meta::name(&s[0]),
            placeholder,
            "the placeholder gives way to a slice with ports"
        );
        let ep = &s[0]["endpoints"][0];
        assert_eq!(
            ep["conditions"],
            json!({"ready": false, "serving": false, "terminating": false})
        );
        assert_eq!(ep["nodeName"], "node-1");
        assert_eq!(ep["targetRef"]["name"], "web-1");
        assert_eq!(
            s[0]["ports"],
            json!([{"name": "http", "port": 8080, "protocol": "TCP"}])
        );
        set_pod_status(&mut cp, "web-1", "10.244.1.5", true);
        assert_eq!(
            slices(&cp, "web")[0]["endpoints"][0]["conditions"],
            json!({"ready": true, "serving": true, "terminating": false})
        );
        let pods = resources::by_plural("", "v1", "pods").unwrap();
        cp.api_mut()
            .delete(pods, "default", "web-1", &DeleteOptions::default(), t0())
            .unwrap();
        cp.tick(t0());
        assert_eq!(
            slices(&cp, "web")[0]["endpoints"][0]["conditions"],
            json!({"ready": false, "serving": true, "terminating": true})
        );
        let now = DeleteOptions {
            grace_period_seconds: Some(0),
            ..DeleteOptions::default()
        };
        cp.api_mut()
            .delete(pods, "default", "web-1", &now, t0())
            .unwrap();
        cp.tick(t0());
        let s = slices(&cp, "web");
        assert_eq!(s.len(), 1);
        assert_eq!(s[0]["endpoints"], Value::Null, "back to a placeholder");
    }

    #[test]
    fn slices_split_at_one_hundred_endpoints_and_keep_pods_in_place() {
        let mut cp = ControlPlane::new(1, t0());
        web_service(&mut cp);
        for i in 0..150 {
            let name = format!("web-{i}");
            pod(&mut cp, &name, json!({"app": "web"}), "node-1");
            set_pod_status(
                &mut cp,
                &name,
                &format!("10.244.{}.{}", i / 100, i % 100 + 1),
                true,
            );
        }
        let s = slices(&cp, "web");
        let mut sizes: Vec<usize> = s.iter().map(|s| endpoints_of(s).len()).collect();
        sizes.sort();
        assert_eq!(sizes, [50, 100]);
        assert_eq!(endpoint_ips(&s).len(), 150);
        let home = |s: &[Value], pod: &str| {
            s.iter()
                .find(|x| {
                    endpoints_of(x)
                        .iter()
                        .any(|e| e["targetRef"]["name"] == pod)
                })
                .map(|x| meta::name(x).to_string())
        };
        let before = home(&s, "web-7");
        let pods = resources::by_plural("", "v1", "pods").unwrap();
        let now = DeleteOptions {
            grace_period_seconds: Some(0),
            ..DeleteOptions::default()
        };
        cp.api_mut()
            .delete(pods, "default", "web-149", &now, t0())
            .unwrap();
        cp.tick(t0());
        let s = slices(&cp, "web");
        assert_eq!(endpoint_ips(&s).len(), 149);
        assert_eq!(home(&s, "web-7"), before);
        assert!(s
            .iter()
            .all(|x| endpoints_of(x).len() <= MAX_ENDPOINTS_PER_SLICE));
    }

    #[test]
    fn selector_changes_move_the_slices_endpoints() {
        let mut cp = ControlPlane::new(1, t0());
        web_service(&mut cp);
        pod(&mut cp, "web-1", json!({"app": "web"}), "node-1");
        pod(&mut cp, "api-1", json!({"app": "api"}), "node-1");
        set_pod_status(&mut cp, "web-1", "10.244.1.5", true);
        set_pod_status(&mut cp, "api-1", "10.244.1.6", true);
        assert_eq!(endpoint_ips(&slices(&cp, "web")), ["10.244.1.5"]);
        edit(&mut cp, "services", "web", |o| o["spec"]["selector"] = json!({"app": "api"}));
        assert_eq!(endpoint_ips(&slices(&cp, "web")), ["10.244.1.6"]);
    }

    #[test]
    fn deleting_the_service_collects_its_slices() {
        let mut cp = ControlPlane::new(1, t0());
        web_service(&mut cp);
        assert_eq!(slices(&cp, "web").len(), 1);
        let services = resources::by_plural("", "v1", "services").unwrap();
        cp.api_mut()
            .delete(services, "default", "web", &DeleteOptions::default(), t0())
            .unwrap();
        cp.tick(t0());
        assert!(slices(&cp, "web").is_empty());
    }
}
