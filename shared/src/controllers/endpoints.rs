//! The Endpoints controller: keeps an Endpoints object beside every Service with
//! a selector, listing its pods' IPs (ready ones in `addresses`, others in
//! `notReadyAddresses`) with the ports the Service's `targetPort`s resolve to.
//!
//! Services without a selector are left alone: their Endpoints are whoever made
//! them. Terminating pods are dropped unless `publishNotReadyAddresses` is set.

use super::pod_state;
use super::service_pods::{self, Caught, ServicePods};
use super::{Controller, Reconciled};
use crate::api::{meta, resources, Resource};
use crate::apiserver::{ApiServer, DeleteOptions, WriteOptions};
use crate::store::ObjectName;
use jiff::Timestamp;
use serde_json::{json, Map, Value};
use std::collections::{BTreeMap, HashSet};

/// When the last change that this Endpoints object reflects happened.
pub const LAST_CHANGE_TRIGGER_TIME: &str = "endpoints.kubernetes.io/last-change-trigger-time";
/// Set when more addresses were selected than one Endpoints object carries.
pub const OVER_CAPACITY: &str = "endpoints.kubernetes.io/over-capacity";
/// Marks the Endpoints of a headless Service.
pub const HEADLESS_LABEL: &str = "service.kubernetes.io/headless";
/// Kubernetes truncates Endpoints beyond this many addresses (EndpointSlices carry the rest).
pub const MAX_ENDPOINTS: usize = 1000;

#[derive(Default)]
pub struct EndpointsController {
    index: ServicePods,
    /// resourceVersions of our own writes, whose echoes need no new sync.
    written: HashSet<String>,
}

fn endpoints_resource() -> Option<&'static Resource> {
    resources::by_plural("", "v1", "endpoints")
}

/// One pod's address in a subset.
fn address(pod: &Value, ip: &str, service: &Value) -> Value {
    let mut a = json!({"ip": ip, "targetRef": service_pods::target_ref(pod)});
    if let Some(node) = pod
        .pointer("/spec/nodeName")
        .and_then(Value::as_str)
        .filter(|n| !n.is_empty())
    {
        a["nodeName"] = json!(node);
    }
    if let Some(h) = service_pods::hostname_for(pod, service) {
        a["hostname"] = json!(h);
    }
    a
}

/// The subsets a Service's pods make: addresses grouped by the exact set of
/// ports they serve (a named `targetPort` may resolve differently per pod).
fn desired_subsets<'a>(
    service: &Value,
    pods: impl Iterator<Item = &'a std::sync::Arc<Value>>,
) -> Vec<Value> {
    let publish_not_ready = service
        .pointer("/spec/publishNotReadyAddresses")
        .and_then(Value::as_bool)
        .unwrap_or(false);
    let headless = service.pointer("/spec/clusterIP").and_then(Value::as_str) == Some("None");
    let service_ports: &[Value] = service
        .pointer("/spec/ports")
        .and_then(Value::as_array)
        .map_or(&[], Vec::as_slice);
    // ports (as sorted JSON) → (ports, ready addresses, not-ready addresses)
    type Group = (Vec<Value>, Vec<Value>, Vec<Value>);
    let mut groups: BTreeMap<String, Group> = BTreeMap::new();
    for pod in pods {
        if !service_pods::pod_in_endpoints(pod, publish_not_ready) {
            continue;
        }
        let Some(ip) = service_pods::pod_ip(pod) else {
            continue;
        };
        let mut ports: Vec<Value> = service_ports
            .iter()
            .filter_map(|sp| {
                service_pods::target_port(pod, sp).map(|n| service_pods::endpoint_port(sp, n))
            })
            .collect();
        if ports.is_empty() && !(service_ports.is_empty() && headless) {
            continue;
        }
        ports.sort_by_key(port_order);
        let key = Value::Array(ports.clone()).to_string();
        let group = groups
            .entry(key)
            .or_insert_with(|| (ports, Vec::new(), Vec::new()));
        let addr = address(pod, ip, service);
        if publish_not_ready || pod_state::is_ready(pod) {
            group.1.push(addr);
        } else {
            group.2.push(addr);
        }
    }
    groups
        .into_values()
        .map(|(ports, mut ready, mut not_ready)| {
            ready.sort_by(address_order);
            not_ready.sort_by(address_order);
            let mut subset = Map::new();
            if !ready.is_empty() {
                subset.insert("addresses".into(), Value::Array(ready));
            }
            if !not_ready.is_empty() {
                subset.insert("notReadyAddresses".into(), Value::Array(not_ready));
            }
            if !ports.is_empty() {
                subset.insert("ports".into(), Value::Array(ports));
            }
            Value::Object(subset)
        })
        .collect()
}

fn port_order(p: &Value) -> (String, i64, String) {
    (
        p["name"].as_str().unwrap_or("").to_string(),
        p["port"].as_i64().unwrap_or(0),
        p["protocol"].as_str().unwrap_or("").to_string(),
    )
}

fn address_order(a: &Value, b: &Value) -> std::cmp::Ordering {
    let key = |v: &Value| {
        (
            v["ip"].as_str().unwrap_or("").to_string(),
            v.pointer("/targetRef/uid")
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_string(),
        )
    };
    key(a).cmp(&key(b))
}

/// Cuts subsets down to [`MAX_ENDPOINTS`] addresses, keeping ready ones first;
/// returns whether anything was cut.
fn truncate(subsets: &mut [Value]) -> bool {
    let count = |s: &Value, k: &str| s.get(k).and_then(Value::as_array).map_or(0, Vec::len);
    let total: usize = subsets
        .iter()
        .map(|s| count(s, "addresses") + count(s, "notReadyAddresses"))
        .sum();
    if total <= MAX_ENDPOINTS {
        return false;
    }
    let mut room = MAX_ENDPOINTS;
    for key in ["addresses", "notReadyAddresses"] {
        for s in subsets.iter_mut() {
            if let Some(list) = s.get_mut(key).and_then(Value::as_array_mut) {
                list.truncate(room);
                room -= list.len();
            }
        }
    }
    true
}

impl EndpointsController {
    fn sync(
        &mut self,
        api: &mut ApiServer,
        name: &ObjectName,
        trigger: Option<Timestamp>,
        now: Timestamp,
    ) -> bool {
        let Some(resource) = endpoints_resource() else {
            return false;
        };
        let Some(service) = self.index.service(name).cloned() else {
            // The Service was deleted: so are its Endpoints. (Endpoints someone
            // made for a Service that does not exist yet are left alone.)
            return trigger.is_some()
                && api
                    .delete(
                        resource,
                        &name.namespace,
                        &name.name,
                        &DeleteOptions::default(),
                        now,
                    )
                    .is_ok();
        };
        if !self.index.is_selecting(name) {
            return false;
        }
        let mut subsets = desired_subsets(&service, self.index.members(name));
        let truncated = truncate(&mut subsets);
        let mut labels = meta::labels(&service).cloned().unwrap_or_default();
        if service.pointer("/spec/clusterIP").and_then(Value::as_str) == Some("None") {
            labels.insert(HEADLESS_LABEL.into(), json!(""));
        }
        let current = api
            .get(resource, &name.namespace, &name.name)
            .ok()
            .map(|c| (**c).clone());
        if let Some(current) = &current {
            let same_subsets = current
                .get("subsets")
                .and_then(Value::as_array)
                .map_or(subsets.is_empty(), |s| *s == subsets);
            let same_labels = meta::labels(current).cloned().unwrap_or_default() == labels;
            let same_capacity = meta::annotation(current, OVER_CAPACITY).is_some() == truncated;
            if same_subsets && same_labels && same_capacity {
                return false;
            }
        }
        let mut obj = current.clone().unwrap_or_else(|| {
            json!({"apiVersion": "v1", "kind": "Endpoints", "metadata": {"name": name.name, "namespace": name.namespace}})
        });
        let mut annotations = obj
            .pointer("/metadata/annotations")
            .and_then(Value::as_object)
            .cloned()
            .unwrap_or_default();
        match trigger {
            Some(t) => annotations.insert(
                LAST_CHANGE_TRIGGER_TIME.into(),
                json!(service_pods::format_trigger_time(t)),
            ),
            None => annotations.remove(LAST_CHANGE_TRIGGER_TIME),
        };
        if truncated {
            annotations.insert(OVER_CAPACITY.into(), json!("truncated"));
        } else {
            annotations.remove(OVER_CAPACITY);
        }
        set_or_remove(&mut obj["metadata"], "annotations", annotations);
        set_or_remove(&mut obj["metadata"], "labels", labels);
        match obj.as_object_mut() {
            Some(m) if subsets.is_empty() => {
                m.remove("subsets");
            }
            Some(m) => {
                m.insert("subsets".into(), Value::Array(subsets));
            }
            None => return false,
        }
        let written = match current {
            Some(_) => api.update(
                resource,
                &name.namespace,
                &name.name,
                obj,
                None,
                now,
                WriteOptions::default(),
            ),
            None => api.create(resource, &name.namespace, obj, now, WriteOptions::default()),
        };
        match written {
            Ok(stored) => {
                self.written
                    .insert(meta::resource_version(&stored).to_string());
                true
            }
            Err(_) => false,
        }
    }
}

fn set_or_remove(metadata: &mut Value, key: &str, map: Map<String, Value>) {
    let Some(m) = metadata.as_object_mut() else {
        return;
    };
    if map.is_empty() {
        m.remove(key);
    } else {
        m.insert(key.into(), Value::Object(map));
    }
}

impl Controller for EndpointsController {
    fn name(&self) -> &'static str {
        "endpoints-controller"
    }

    fn reconcile(&mut self, api: &mut ApiServer, now: Timestamp) -> Reconciled {
        let written = &mut self.written;
        let caught = self.index.catch_up(api.store(), now, |e| {
            // Someone else changed or deleted an Endpoints object: put it right.
            if (e.key.resource.group, e.key.resource.plural) != ("", "endpoints") {
                return None;
            }
            if written.remove(meta::resource_version(&e.object)) {
                return None;
            }
            Some(e.key.name.clone())
        });
        if matches!(caught, Caught::Resynced) {
            self.written.clear();
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
    use crate::api::resources;
    use crate::apiserver::{DeleteOptions, WriteOptions};
    use crate::control_plane::ControlPlane;
    use serde_json::{json, Value};

    use crate::controllers::test_support::{create, edit, pod, set_pod_status, t0};

    fn endpoints(cp: &ControlPlane, name: &str) -> Option<Value> {
        let r = resources::by_plural("", "v1", "endpoints").unwrap();
        cp.api().get(r, "default", name).ok().map(|e| (**e).clone())
    }

    fn ips(ep: &Value, key: &str) -> Vec<String> {
        ep["subsets"]
            .as_array()
            .into_iter()
            .flatten()
            .flat_map(|s| s[key].as_array().into_iter().flatten())
            .map(|a| a["ip"].as_str().unwrap().to_string())
            .collect()
    }

    fn web_service(cp: &mut ControlPlane, target_port: Value) {
        create(
            cp,
            "services",
            json!({"metadata": {"name": "web", "labels": {"app": "web"}},
            "spec": {"selector": {"app": "web"}, "ports": [{"port": 80, "targetPort": target_port}]}}),
        );
    }

    #[test]
    fn endpoints_follow_pod_readiness() {
        let mut cp = ControlPlane::new(1, t0());
        web_service(&mut cp, json!(8080));
        let ep = endpoints(&cp, "web").expect("an Endpoints object even without pods");
        assert!(ep.get("subsets").is_none());
        assert_eq!(ep["metadata"]["labels"], json!({"app": "web"}));
        pod(&mut cp, "web-1", json!({"app": "web"}), "node-1");
        assert!(
            ips(&endpoints(&cp, "web").unwrap(), "notReadyAddresses").is_empty(),
            "no IP, no endpoint"
        );
        set_pod_status(&mut cp, "web-1", "10.244.1.5", false);
        let ep = endpoints(&cp, "web").unwrap();
        assert_eq!(ips(&ep, "notReadyAddresses"), ["10.244.1.5"]);
        assert!(ips(&ep, "addresses").is_empty());
        set_pod_status(&mut cp, "web-1", "10.244.1.5", true);
        let ep = endpoints(&cp, "web").unwrap();
        assert_eq!(ips(&ep, "addresses"), ["10.244.1.5"]);
        let addr = &ep["subsets"][0]["addresses"][0];
        assert_eq!(addr["nodeName"], "node-1");
        assert_eq!(addr["targetRef"]["kind"], "Pod");
        assert_eq!(addr["targetRef"]["name"], "web-1");
        assert_eq!(
            ep["subsets"][0]["ports"],
            json!([{"port": 8080, "protocol": "TCP"}])
        );
        assert_eq!(
            ep["metadata"]["annotations"]["endpoints.kubernetes.io/last-change-trigger-time"],
            "2026-01-01T00:00:00Z"
        );
    }

    #[test]
    fn named_target_ports_resolve_per_pod() {
        let mut cp = ControlPlane::new(1, t0());
        web_service(&mut cp, json!("http"));
        pod(&mut cp, "web-1", json!({"app": "web"}), "node-1");
        create(
            &mut cp,
            "pods",
            json!({"metadata": {"name": "web-2", "labels": {"app": "web"}},
            "spec": {"containers": [{"name": "app", "image": "nginx", "ports": [{"name": "http", "containerPort": 9090}]}]}}),
        );
        create(
            &mut cp,
            "pods",
            json!({"metadata": {"name": "web-3", "labels": {"app": "web"}},
            "spec": {"containers": [{"name": "app", "image": "nginx"}]}}),
        );
        set_pod_status(&mut cp, "web-1", "10.244.1.5", true);
        set_pod_status(&mut cp, "web-2", "10.244.2.7", true);
        set_pod_status(&mut cp, "web-3", "10.244.2.8", true);
        let ep = endpoints(&cp, "web").unwrap();
        let subsets = ep["subsets"].as_array().unwrap();
        assert_eq!(subsets.len(), 2, "one subset per resolved port: {ep}");
        let port_of = |ip: &str| {
            subsets
                .iter()
                .find(|s| s["addresses"][0]["ip"] == ip)
                .map(|s| s["ports"][0]["port"].clone())
        };
        assert_eq!(port_of("10.244.1.5"), Some(json!(8080)));
        assert_eq!(port_of("10.244.2.7"), Some(json!(9090)));
        assert_eq!(
            port_of("10.244.2.8"),
            None,
            "a pod without the named port serves nothing"
        );
    }

    #[test]
    fn deleted_and_terminating_pods_leave_the_endpoints() {
        let mut cp = ControlPlane::new(1, t0());
        web_service(&mut cp, json!(8080));
        for (name, ip) in [("web-1", "10.244.1.5"), ("web-2", "10.244.1.6")] {
            pod(&mut cp, name, json!({"app": "web"}), "node-1");
            set_pod_status(&mut cp, name, ip, true);
        }
        assert_eq!(
            ips(&endpoints(&cp, "web").unwrap(), "addresses"),
            ["10.244.1.5", "10.244.1.6"]
        );
        let pods = resources::by_plural("", "v1", "pods").unwrap();
        cp.api_mut()
            .delete(pods, "default", "web-1", &DeleteOptions::default(), t0())
            .unwrap();
        cp.tick(t0());
        assert_eq!(
            ips(&endpoints(&cp, "web").unwrap(), "addresses"),
            ["10.244.1.6"],
            "terminating pods are out"
        );
        let now = DeleteOptions {
            grace_period_seconds: Some(0),
            ..DeleteOptions::default()
        };
        cp.api_mut()
            .delete(pods, "default", "web-2", &now, t0())
            .unwrap();
        cp.tick(t0());
        assert!(endpoints(&cp, "web").unwrap().get("subsets").is_none());
    }

    #[test]
    fn publish_not_ready_addresses_lists_every_pod_as_ready() {
        let mut cp = ControlPlane::new(1, t0());
        create(
            &mut cp,
            "services",
            json!({"metadata": {"name": "db"},
            "spec": {"clusterIP": "None", "publishNotReadyAddresses": true, "selector": {"app": "db"}, "ports": [{"port": 5432}]}}),
        );
        create(
            &mut cp,
            "pods",
            json!({"metadata": {"name": "db-0", "labels": {"app": "db"}},
            "spec": {"hostname": "db-0", "subdomain": "db", "containers": [{"name": "pg", "image": "postgres"}]}}),
        );
        set_pod_status(&mut cp, "db-0", "10.244.1.9", false);
        let ep = endpoints(&cp, "db").unwrap();
        assert_eq!(ips(&ep, "addresses"), ["10.244.1.9"]);
        assert_eq!(ep["subsets"][0]["addresses"][0]["hostname"], "db-0");
        assert_eq!(
            ep["metadata"]["labels"],
            json!({"service.kubernetes.io/headless": ""})
        );
    }

    #[test]
    fn selector_changes_move_the_endpoints() {
        let mut cp = ControlPlane::new(1, t0());
        web_service(&mut cp, json!(8080));
        pod(&mut cp, "web-1", json!({"app": "web"}), "node-1");
        pod(&mut cp, "api-1", json!({"app": "api"}), "node-1");
        set_pod_status(&mut cp, "web-1", "10.244.1.5", true);
        set_pod_status(&mut cp, "api-1", "10.244.1.6", true);
        assert_eq!(
            ips(&endpoints(&cp, "web").unwrap(), "addresses"),
            ["10.244.1.5"]
        );
        edit(&mut cp, "services", "web", |o| o["spec"]["selector"] = json!({"app": "api"}));
        assert_eq!(
            ips(&endpoints(&cp, "web").unwrap(), "addresses"),
            ["10.244.1.6"]
        );
        // Relabelling a pod moves it too.
        edit(&mut cp, "pods", "web-1", |o| o["metadata"]["labels"] = json!({"app": "api"}));
        assert_eq!(
            ips(&endpoints(&cp, "web").unwrap(), "addresses"),
            ["10.244.1.5", "10.244.1.6"]
        );
    }

    #[test]
    fn services_without_selector_keep_their_own_endpoints() {
        let mut cp = ControlPlane::new(1, t0());
        create(
            &mut cp,
            "services",
            json!({"metadata": {"name": "external"}, "spec": {"ports": [{"port": 80}]}}),
        );
        assert!(endpoints(&cp, "external").is_none());
        let manual = json!({"metadata": {"name": "external"}, "subsets": [{"addresses": [{"ip": "192.0.2.10"}], "ports": [{"port": 80}]}]});
        create(&mut cp, "endpoints", manual);
        assert_eq!(
            ips(&endpoints(&cp, "external").unwrap(), "addresses"),
            ["192.0.2.10"]
        );
        // The apiserver's own Service has no selector: its endpoints stay the bootstrap's.
        assert_eq!(
            ips(&endpoints(&cp, "kubernetes").unwrap(), "addresses"),
            [crate::apiserver::API_SERVER_IP]
        );
    }

    #[test]
    fn deleting_the_service_deletes_its_endpoints_and_edits_are_undone() {
        let mut cp = ControlPlane::new(1, t0());
        web_service(&mut cp, json!(8080));
        pod(&mut cp, "web-1", json!({"app": "web"}), "node-1");
        set_pod_status(&mut cp, "web-1", "10.244.1.5", true);
        let r = resources::by_plural("", "v1", "endpoints").unwrap();
        let mut ep = endpoints(&cp, "web").unwrap();
        ep["subsets"] = json!([]);
        cp.api_mut()
            .update(r, "default", "web", ep, None, t0(), WriteOptions::default())
            .unwrap();
        cp.tick(t0());
        assert_eq!(
            ips(&endpoints(&cp, "web").unwrap(), "addresses"),
            ["10.244.1.5"]
        );
        let services = resources::by_plural("", "v1", "services").unwrap();
        cp.api_mut()
            .delete(services, "default", "web", &DeleteOptions::default(), t0())
            .unwrap();
        cp.tick(t0());
        assert!(endpoints(&cp, "web").is_none());
        let early = json!({"metadata": {"name": "later"}, "subsets": [{"addresses": [{"ip": "192.0.2.10"}], "ports": [{"port": 80}]}]});
        create(&mut cp, "endpoints", early);
        assert!(
            endpoints(&cp, "later").is_some(),
            "Endpoints made before their Service stay"
        );
    }
}
