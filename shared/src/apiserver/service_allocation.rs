//! Gives Services their cluster IP and node ports on create and update, and
//! takes them back on delete, so two Services never share either.

use super::allocator::{AllocationError, Allocator};
use crate::api::validation::{FieldError, FieldPath};
use crate::rng::Rng;
use serde_json::{json, Value};
use std::collections::HashSet;

/// What one write claimed, so a write that fails later can give it back.
#[derive(Debug, Default)]
pub struct Claimed {
    ips: Vec<String>,
    ports: Vec<u16>,
}

impl Claimed {
    pub fn release(self, alloc: &mut Allocator) {
        self.ips.iter().for_each(|ip| alloc.release_ip(ip));
        self.ports.iter().for_each(|p| alloc.release_port(*p));
    }
}

fn service_type(svc: &Value) -> &str {
    svc.pointer("/spec/type").and_then(Value::as_str).unwrap_or("ClusterIP")
}

fn needs_node_ports(svc: &Value) -> bool {
    match service_type(svc) {
        "NodePort" => true,
        "LoadBalancer" => svc.pointer("/spec/allocateLoadBalancerNodePorts").and_then(Value::as_bool).unwrap_or(true),
        _ => false,
    }
}

fn cluster_ip(svc: &Value) -> Option<&str> {
    svc.pointer("/spec/clusterIP").and_then(Value::as_str).filter(|s| !s.is_empty())
}

fn node_ports(svc: &Value) -> Vec<u16> {
    svc.pointer("/spec/ports")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|p| p.get("nodePort").and_then(Value::as_u64))
        .filter_map(|p| u16::try_from(p).ok())
        .collect()
}

fn to_field_error(e: AllocationError, field: FieldPath, value: Value) -> FieldError {
    FieldError::invalid(field, value, e.to_string())
}

/// Allocates for a Service being created (`old: None`) or updated.
pub fn allocate(alloc: &mut Allocator, rng: &mut Rng, new: &mut Value, old: Option<&Value>) -> Result<Claimed, Vec<FieldError>> {
    let mut claimed = Claimed::default();
    let result = allocate_into(alloc, rng, new, old, &mut claimed);
    match result {
        Ok(()) => Ok(claimed),
        Err(errors) => {
            claimed.release(alloc);
            Err(errors)
        }
    }
}

fn allocate_into(alloc: &mut Allocator, rng: &mut Rng, new: &mut Value, old: Option<&Value>, claimed: &mut Claimed) -> Result<(), Vec<FieldError>> {
    let spec_path = FieldPath::root("spec");
    if service_type(new) == "ExternalName" {
        if let Some(spec) = new.get_mut("spec").and_then(Value::as_object_mut) {
            spec.remove("clusterIP");
            spec.remove("clusterIPs");
        }
    } else {
        let old_ip = old.and_then(cluster_ip).map(str::to_string);
        let ip = match (cluster_ip(new).map(str::to_string), old_ip) {
            (None, Some(old_ip)) => old_ip,
            (Some(ip), Some(old_ip)) if ip == old_ip => ip,
            (Some(ip), Some(_)) => {
                return Err(vec![FieldError::invalid(spec_path.child("clusterIP"), ip, "field is immutable")]);
            }
            (Some(ip), None) if ip == "None" => ip,
            (Some(ip), None) => {
                alloc.claim_ip(&ip).map_err(|e| {
                    let detail = format!("failed to allocate IP {ip}: {e}");
                    vec![FieldError::invalid(spec_path.child("clusterIPs"), json!([ip]), detail)]
                })?;
                claimed.ips.push(ip.clone());
                ip
            }
            (None, None) => {
                let ip = alloc.allocate_ip(rng).map_err(|e| vec![FieldError::new(
                    crate::api::validation::FieldErrorType::Forbidden,
                    spec_path.child("clusterIPs"),
                    None,
                    format!("failed to allocate a cluster IP: {e}"),
                )])?;
                claimed.ips.push(ip.clone());
                ip
            }
        };
        new["spec"]["clusterIP"] = json!(ip);
        new["spec"]["clusterIPs"] = json!([ip]);
    }

    let old_ports: Vec<Value> = old
        .filter(|o| needs_node_ports(o))
        .and_then(|o| o.pointer("/spec/ports").and_then(Value::as_array).cloned())
        .unwrap_or_default();
    let old_owned: HashSet<u16> = old.map(node_ports).unwrap_or_default().into_iter().collect();
    let wants_ports = needs_node_ports(new);
    let mut errors = Vec::new();
    if let Some(ports) = new.pointer_mut("/spec/ports").and_then(Value::as_array_mut) {
        for (i, port) in ports.iter_mut().enumerate() {
            if !wants_ports {
                if let Some(p) = port.as_object_mut() {
                    p.remove("nodePort");
                }
                continue;
            }
            let field = spec_path.child("ports").index(i).child("nodePort");
            match port.get("nodePort").and_then(Value::as_u64) {
                Some(n) => {
                    let Ok(n) = u16::try_from(n) else {
                        errors.push(FieldError::invalid(field, n, AllocationError::PortOutOfRange.to_string()));
                        continue;
                    };
                    if old_owned.contains(&n) {
                        continue;
                    }
                    match alloc.claim_port(n) {
                        Ok(()) => claimed.ports.push(n),
                        Err(e) => errors.push(to_field_error(e, field, json!(n))),
                    }
                }
                None => {
                    // Same port as before keeps its node port, as `kubectl apply` expects.
                    let reuse = old_ports
                        .iter()
                        .find(|o| o.get("port") == port.get("port") && o.get("protocol") == port.get("protocol"))
                        .and_then(|o| o.get("nodePort").and_then(Value::as_u64));
                    let n = match reuse {
                        Some(n) => n as u16,
                        None => match alloc.allocate_port(rng) {
                            Ok(n) => {
                                claimed.ports.push(n);
                                n
                            }
                            Err(e) => {
                                errors.push(FieldError::new(
                                    crate::api::validation::FieldErrorType::Forbidden,
                                    field,
                                    None,
                                    format!("failed to allocate a nodePort: {e}"),
                                ));
                                continue;
                            }
                        },
                    };
                    port["nodePort"] = json!(n);
                }
            }
        }
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(errors)
    }
}

/// After an update is stored: frees what the old Service held and the new one does not.
pub fn release_replaced(alloc: &mut Allocator, new: &Value, old: &Value) {
    let kept: HashSet<u16> = node_ports(new).into_iter().collect();
    for p in node_ports(old).into_iter().filter(|p| !kept.contains(p)) {
        alloc.release_port(p);
    }
    if let Some(ip) = cluster_ip(old) {
        if cluster_ip(new) != Some(ip) && ip != "None" {
            alloc.release_ip(ip);
        }
    }
}

/// Claims again what a stored Service holds (a restored cluster rebuilds its allocator).
pub fn claim_existing(alloc: &mut Allocator, svc: &Value) {
    if let Some(ip) = cluster_ip(svc).filter(|ip| *ip != "None") {
        let _ = alloc.claim_ip(ip);
    }
    for p in node_ports(svc) {
        let _ = alloc.claim_port(p);
    }
}

/// Frees everything a deleted Service held.
pub fn release(alloc: &mut Allocator, svc: &Value) {
    if let Some(ip) = cluster_ip(svc).filter(|ip| *ip != "None") {
        alloc.release_ip(ip);
    }
    node_ports(svc).into_iter().for_each(|p| alloc.release_port(p));
}

