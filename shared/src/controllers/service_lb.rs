//! The service controller of a cloud provider, for the playground's "cloud":
//! every `type: LoadBalancer` Service gets an external IP from a fixed pool,
//! so `kubectl get svc` shows an EXTERNAL-IP instead of `<pending>`.
//!
//! The pool looks like what kind with MetalLB hands out; an address is released
//! when its Service is deleted or stops being a LoadBalancer, and never given twice.

use super::events::{EventRecorder, EventType};
use super::feed::{ChangeFeed, Changes};
use super::status_write::write_status;
use super::{Controller, Reconciled};
use crate::api::{meta, resources, Resource};
use crate::apiserver::ApiServer;
use crate::store::{EventType as Change, ObjectName};
use jiff::Timestamp;
use serde_json::{json, Value};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::net::Ipv4Addr;

/// The playground's external addresses, first and last inclusive: the range a
/// kind cluster's MetalLB is usually given on the `kind` Docker network.
pub const LOAD_BALANCER_POOL: (Ipv4Addr, Ipv4Addr) = (
    Ipv4Addr::new(172, 18, 255, 200),
    Ipv4Addr::new(172, 18, 255, 250),
);

/// The address of the playground's ingress controller, as if its own
/// LoadBalancer Service had been given the pool's first address; Services
/// never get it.
pub const INGRESS_ADDRESS: Ipv4Addr = LOAD_BALANCER_POOL.0;

/// The Event source, as cloud controller managers name it.
const COMPONENT: &str = "service-controller";

pub struct ServiceLbController {
    feed: ChangeFeed,
    recorder: EventRecorder,
    /// Address → the Service holding it.
    taken: BTreeMap<Ipv4Addr, ObjectName>,
    held: HashMap<ObjectName, Ipv4Addr>,
    dirty: BTreeSet<ObjectName>,
}

impl Default for ServiceLbController {
    fn default() -> Self {
        Self {
            feed: ChangeFeed::default(),
            recorder: EventRecorder::new(COMPONENT),
            taken: BTreeMap::new(),
            held: HashMap::new(),
            dirty: BTreeSet::new(),
        }
    }
}

fn services() -> Option<&'static Resource> {
    resources::by_plural("", "v1", "services")
}

fn service_type(svc: &Value) -> &str {
    svc.pointer("/spec/type")
        .and_then(Value::as_str)
        .unwrap_or("ClusterIP")
}

/// A LoadBalancer Service that no other implementation (`loadBalancerClass`) claims.
fn wants_load_balancer(svc: &Value) -> bool {
    service_type(svc) == "LoadBalancer"
        && svc
            .pointer("/spec/loadBalancerClass")
            .and_then(Value::as_str)
            .is_none()
}

/// The pool addresses that can be handed out, in order.
fn pool() -> impl Iterator<Item = Ipv4Addr> {
    (u32::from(LOAD_BALANCER_POOL.0)..=u32::from(LOAD_BALANCER_POOL.1))
        .map(Ipv4Addr::from)
        .filter(|ip| *ip != INGRESS_ADDRESS)
}

fn in_pool(ip: Ipv4Addr) -> bool {
    ip != INGRESS_ADDRESS && (LOAD_BALANCER_POOL.0..=LOAD_BALANCER_POOL.1).contains(&ip)
}

fn status_ip(svc: &Value) -> Option<Ipv4Addr> {
    svc.pointer("/status/loadBalancer/ingress/0/ip")
        .and_then(Value::as_str)
        .and_then(|ip| ip.parse().ok())
}

impl ServiceLbController {
    /// The address a Service holds, or a free one (its `spec.loadBalancerIP` if it asked for one).
    fn claim(&mut self, name: &ObjectName, svc: &Value) -> Option<Ipv4Addr> {
        if let Some(ip) = self.held.get(name) {
            return Some(*ip);
        }
        let requested = svc
            .pointer("/spec/loadBalancerIP")
            .and_then(Value::as_str)
            .and_then(|ip| ip.parse::<Ipv4Addr>().ok());
        let ip = match requested {
            Some(ip) if in_pool(ip) && !self.taken.contains_key(&ip) => ip,
            Some(_) => return None,
            None => pool().find(|ip| !self.taken.contains_key(ip))?,
        };
        self.taken.insert(ip, name.clone());
        self.held.insert(name.clone(), ip);
        Some(ip)
    }

    fn release(&mut self, name: &ObjectName) -> bool {
        match self.held.remove(name) {
            Some(ip) => {
                self.taken.remove(&ip);
                true
            }
            None => false,
        }
    }

    /// Rebuilds the pool's bookkeeping from the Services' statuses.
    fn resync(&mut self, api: &ApiServer) {
        self.taken.clear();
        self.held.clear();
        let Some(r) = services() else { return };
        for svc in api.list(r, None) {
            let name = ObjectName::new(meta::namespace(svc), meta::name(svc));
            if let Some(ip) = status_ip(svc).filter(|ip| in_pool(*ip) && wants_load_balancer(svc)) {
                if let std::collections::btree_map::Entry::Vacant(free) = self.taken.entry(ip) {
                    free.insert(name.clone());
                    self.held.insert(name.clone(), ip);
                }
            }
            self.dirty.insert(name);
        }
    }

    fn sync(&mut self, api: &mut ApiServer, name: &ObjectName, now: Timestamp) -> bool {
        let Some(r) = services() else { return false };
        let Ok(svc) = api
            .get(r, &name.namespace, &name.name)
            .map(|s| (**s).clone())
        else {
            self.release(name);
            return false;
        };
        if wants_load_balancer(&svc) && !meta::is_terminating(&svc) {
            let Some(ip) = self.claim(name, &svc) else {
                let message = "Error syncing load balancer: failed to ensure load balancer: no available IPs in the playground's address pool";
                self.recorder.record(
                    api,
                    &svc,
                    EventType::Warning,
                    "SyncLoadBalancerFailed",
                    message,
                    now,
                );
                return false;
            };
            let want = json!({"ingress": [{"ip": ip.to_string(), "ipMode": "VIP"}]});
            if svc.pointer("/status/loadBalancer") == Some(&want) {
                return false;
            }
            self.recorder.record(
                api,
                &svc,
                EventType::Normal,
                "EnsuringLoadBalancer",
                "Ensuring load balancer",
                now,
            );
            let mut updated = svc.clone();
            updated["status"]["loadBalancer"] = want;
            let ok = write_status(api, r, name, updated, now);
            if ok {
                self.recorder.record(
                    api,
                    &svc,
                    EventType::Normal,
                    "EnsuredLoadBalancer",
                    "Ensured load balancer",
                    now,
                );
            }
            return ok;
        }
        if !self.release(name) {
            return false;
        }
        self.recorder.record(
            api,
            &svc,
            EventType::Normal,
            "DeletingLoadBalancer",
            "Deleting load balancer",
            now,
        );
        let mut updated = svc.clone();
        updated["status"]["loadBalancer"] = json!({});
        let ok = write_status(api, r, name, updated, now);
        self.recorder.record(
            api,
            &svc,
            EventType::Normal,
            "DeletedLoadBalancer",
            "Deleted load balancer",
            now,
        );
        ok
    }
}

impl Controller for ServiceLbController {
    fn name(&self) -> &'static str {
        COMPONENT
    }

    fn reconcile(&mut self, api: &mut ApiServer, now: Timestamp) -> Reconciled {
        let mut type_changes = Vec::new();
        match self.feed.changes(api.store()) {
            Changes::Resync => self.resync(api),
            Changes::Events(events) => {
                for e in events
                    .into_iter()
                    .filter(|e| (e.key.resource.group, e.key.resource.plural) == ("", "services"))
                {
                    if e.kind == Change::Deleted {
                        self.release(&e.key.name);
                        continue;
                    }
                    if let Some(old) = &e.previous {
                        let (before, after) = (service_type(old), service_type(&e.object));
                        if before != after
                            && (wants_load_balancer(old) || wants_load_balancer(&e.object))
                        {
                            type_changes.push((e.object.clone(), format!("{before} -> {after}")));
                        }
                    }
                    self.dirty.insert(e.key.name.clone());
                }
            }
        }
        for (svc, message) in type_changes {
            self.recorder
                .record(api, &svc, EventType::Normal, "Type", &message, now);
        }
        let mut wrote = false;
        for name in std::mem::take(&mut self.dirty) {
            wrote |= self.sync(api, &name, now);
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
    use crate::apiserver::{DeleteOptions, Request, WriteOptions};
    use crate::control_plane::ControlPlane;
    use crate::controllers::test_support::t0;

    fn lb(cp: &mut ControlPlane, name: &str) {
        let svc = json!({"metadata": {"name": name}, "spec": {"type": "LoadBalancer", "selector": {"app": name}, "ports": [{"port": 80}]}});
        cp.api_mut()
            .create(
                services().unwrap(),
                "default",
                svc,
                t0(),
                WriteOptions::default(),
            )
            .unwrap();
        cp.tick(t0());
    }

    fn external_ip(cp: &ControlPlane, name: &str) -> Option<String> {
        let svc = cp.api().get(services().unwrap(), "default", name).unwrap();
        svc.pointer("/status/loadBalancer/ingress/0/ip")
            .and_then(Value::as_str)
            .map(str::to_string)
    }

    fn reasons(cp: &mut ControlPlane, name: &str) -> Vec<String> {
        let path =
            format!("/api/v1/namespaces/default/events?fieldSelector=involvedObject.name%3D{name}");
        let list = cp.api_mut().handle(&Request::get(&path), t0()).json_body();
        list["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["reason"].as_str().unwrap().to_string())
            .collect()
    }

    #[test]
    fn load_balancers_get_an_external_ip_from_the_pool() {
        let mut cp = ControlPlane::new(1, t0());
        lb(&mut cp, "web");
        assert_eq!(
            external_ip(&cp, "web").as_deref(),
            Some("172.18.255.201"),
            "the first address is the ingress controller's"
        );
        let svc = cp.api().get(services().unwrap(), "default", "web").unwrap();
        assert_eq!(svc["status"]["loadBalancer"]["ingress"][0]["ipMode"], "VIP");
        let mut r = reasons(&mut cp, "web");
        r.sort();
        assert_eq!(r, ["EnsuredLoadBalancer", "EnsuringLoadBalancer"]);
        let table = cp
            .api_mut()
            .handle(
                &Request::get("/api/v1/namespaces/default/services/web")
                    .with_header("Accept", "application/json;as=Table;v=v1;g=meta.k8s.io"),
                t0(),
            )
            .json_body();
        assert_eq!(table["rows"][0]["cells"][3], "172.18.255.201");
    }

    #[test]
    fn addresses_are_never_given_twice_and_come_back_on_delete() {
        let mut cp = ControlPlane::new(1, t0());
        lb(&mut cp, "a");
        lb(&mut cp, "b");
        assert_eq!(external_ip(&cp, "a").as_deref(), Some("172.18.255.201"));
        assert_eq!(external_ip(&cp, "b").as_deref(), Some("172.18.255.202"));
        cp.api_mut()
            .delete(
                services().unwrap(),
                "default",
                "a",
                &DeleteOptions::default(),
                t0(),
            )
            .unwrap();
        cp.tick(t0());
        lb(&mut cp, "c");
        assert_eq!(
            external_ip(&cp, "c").as_deref(),
            Some("172.18.255.201"),
            "a's address was released"
        );
        assert_eq!(external_ip(&cp, "b").as_deref(), Some("172.18.255.202"));
    }

    #[test]
    fn a_service_that_stops_being_a_load_balancer_gives_its_address_back() {
        let mut cp = ControlPlane::new(1, t0());
        lb(&mut cp, "web");
        let r = services().unwrap();
        let mut svc = (**cp.api().get(r, "default", "web").unwrap()).clone();
        svc["spec"]["type"] = json!("ClusterIP");
        for external_only in ["allocateLoadBalancerNodePorts", "externalTrafficPolicy"] {
            svc["spec"].as_object_mut().unwrap().remove(external_only);
        }
        if let Some(ports) = svc["spec"]["ports"].as_array_mut() {
            ports
                .iter_mut()
                .for_each(|p| drop(p.as_object_mut().map(|p| p.remove("nodePort"))));
        }
        cp.api_mut()
            .update(
                r,
                "default",
                "web",
                svc,
                None,
                t0(),
                WriteOptions::default(),
            )
            .unwrap();
        cp.tick(t0());
        assert_eq!(external_ip(&cp, "web"), None);
        let r = reasons(&mut cp, "web");
        for reason in ["Type", "DeletingLoadBalancer", "DeletedLoadBalancer"] {
            assert!(r.iter().any(|x| x == reason), "{reason} in {r:?}");
        }
        lb(&mut cp, "next");
        assert_eq!(external_ip(&cp, "next").as_deref(), Some("172.18.255.201"));
    }

    #[test]
    fn an_exhausted_pool_leaves_services_pending_with_a_warning() {
        let mut cp = ControlPlane::new(1, t0());
        let size = pool().count();
        for i in 0..size {
            lb(&mut cp, &format!("s{i}"));
        }
        lb(&mut cp, "late");
        assert_eq!(external_ip(&cp, "late"), None);
        assert!(reasons(&mut cp, "late").contains(&"SyncLoadBalancerFailed".to_string()));
        let mut ips: Vec<String> = (0..size)
            .filter_map(|i| external_ip(&cp, &format!("s{i}")))
            .collect();
        ips.sort();
        ips.dedup();
        assert_eq!(ips.len(), size, "every address once");
    }
}
