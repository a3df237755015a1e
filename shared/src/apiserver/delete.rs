//! Deletion, Kubernetes' way: preconditions, graceful termination for pods,
//! finalizers that hold an object in `Terminating`, and the propagation policy
//! that tells the garbage collector what to do with dependents.

use super::{namespaces, scope, store_error, ApiError, ApiServer, Reason};
use crate::api::{meta, resources::Resource};
use crate::store::{Key, StoreError};
use jiff::{SignedDuration, Timestamp};
use serde_json::{json, Value};
use std::sync::Arc;

/// What happens to an object's dependents.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Propagation {
    /// Delete the owner now; the garbage collector deletes dependents after.
    Background,
    /// Keep the owner (Terminating) until its dependents are gone.
    Foreground,
    /// Delete the owner and leave dependents, without their owner reference.
    Orphan,
}

impl Propagation {
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "Background" => Self::Background,
            "Foreground" => Self::Foreground,
            "Orphan" => Self::Orphan,
            _ => return None,
        })
    }
}

/// The `DeleteOptions` a client may send.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct DeleteOptions {
    pub propagation: Option<Propagation>,
    pub grace_period_seconds: Option<i64>,
    pub precondition_uid: Option<String>,
    pub precondition_resource_version: Option<String>,
    pub dry_run: bool,
}

impl DeleteOptions {
    /// Reads a `DeleteOptions` body (kubectl sends one) over query parameters.
    pub fn merge_body(mut self, body: &Value) -> Result<Self, ApiError> {
        if let Some(p) = body.get("propagationPolicy").and_then(Value::as_str) {
            self.propagation = Some(
                Propagation::parse(p).ok_or_else(|| ApiError::bad_request(format!("unsupported propagationPolicy {p:?}")))?,
            );
        }
        if body.get("orphanDependents").and_then(Value::as_bool) == Some(true) {
            self.propagation = Some(Propagation::Orphan);
        }
        if let Some(g) = body.get("gracePeriodSeconds").and_then(Value::as_i64) {
            self.grace_period_seconds = Some(g);
        }
        if let Some(uid) = body.pointer("/preconditions/uid").and_then(Value::as_str) {
            self.precondition_uid = Some(uid.into());
        }
        if let Some(rv) = body.pointer("/preconditions/resourceVersion").and_then(Value::as_str) {
            self.precondition_resource_version = Some(rv.into());
        }
        if body.get("dryRun").and_then(Value::as_array).is_some_and(|d| !d.is_empty()) {
            self.dry_run = true;
        }
        Ok(self)
    }
}

/// The outcome of a delete request.
#[derive(Debug, Clone)]
pub struct Deleted {
    /// The object as it was removed, or as it now waits in `Terminating`.
    pub object: Arc<Value>,
    /// Whether it is gone from the store already.
    pub finished: bool,
}

const FOREGROUND: &str = "foregroundDeletion";
const ORPHAN: &str = "orphan";
/// Namespaces the cluster itself needs.
const PROTECTED_NAMESPACES: [&str; 3] = ["default", "kube-system", "kube-public"];

impl ApiServer {
    /// Deletes an object, or starts its graceful deletion.
    pub fn delete(&mut self, resource: &'static Resource, namespace: &str, name: &str, opts: &DeleteOptions, now: Timestamp) -> Result<Deleted, ApiError> {
        let namespace = scope(resource, namespace);
        let key = Key::new(resource, namespace, name);
        let current = self.store.get(&key).cloned().ok_or_else(|| ApiError::not_found(resource.group, resource.plural, name))?;
        check_preconditions(resource, name, &current, opts)?;
        if resource.kind == "Namespace" && PROTECTED_NAMESPACES.contains(&name) {
            return Err(ApiError::new(Reason::Forbidden, format!("namespaces {name:?} is forbidden: this namespace may not be deleted")));
        }
        if opts.dry_run {
            return Ok(Deleted { object: current, finished: false });
        }
        let rv = crate::store::stored_revision(&current);
        let mut obj = (*current).clone();
        let mut changed = false;

        let mut finalizers: Vec<String> = obj
            .pointer("/metadata/finalizers")
            .and_then(Value::as_array)
            .map(|a| a.iter().filter_map(|f| f.as_str().map(str::to_string)).collect())
            .unwrap_or_default();
        let first_delete = !meta::is_terminating(&obj);
        if first_delete {
            let wanted = match opts.propagation {
                Some(Propagation::Foreground) => Some(FOREGROUND),
                Some(Propagation::Orphan) => Some(ORPHAN),
                _ => None,
            };
            if let Some(f) = wanted {
                if !finalizers.iter().any(|x| x == f) {
                    finalizers.push(f.to_string());
                    changed = true;
                }
            }
        }
        if changed {
            obj["metadata"]["finalizers"] = json!(finalizers);
        }

        let grace = graceful_period(resource, &obj, opts);
        if resource.kind == "Namespace" {
            // The namespace controller empties it, then removes its `kubernetes` finalizer.
            let spec_finalizers = obj.pointer("/spec/finalizers").and_then(Value::as_array).is_some_and(|f| !f.is_empty());
            if spec_finalizers || !finalizers.is_empty() {
                if first_delete {
                    obj["metadata"]["deletionTimestamp"] = json!(super::format_time(now));
                    obj["metadata"]["deletionGracePeriodSeconds"] = json!(0);
                    obj["status"]["phase"] = json!("Terminating");
                    return self.store_terminating(resource, &key, obj, rv, name);
                }
                return Ok(Deleted { object: current, finished: false });
            }
        } else if !finalizers.is_empty() || grace > 0 {
            if first_delete || shortens_grace(&obj, grace) {
                let until = now.checked_add(SignedDuration::from_secs(grace)).unwrap_or(now);
                obj["metadata"]["deletionTimestamp"] = json!(super::format_time(until));
                obj["metadata"]["deletionGracePeriodSeconds"] = json!(grace);
                if let Some(g) = obj.pointer("/metadata/generation").and_then(Value::as_i64) {
                    obj["metadata"]["generation"] = json!(g + 1);
                }
                changed = true;
            }
            if finalizers.is_empty() && grace == 0 {
                // A forced delete of a pod already terminating.
                return self.remove(resource, &key, Some(rv));
            }
            if !changed {
                return Ok(Deleted { object: current, finished: false });
            }
            return self.store_terminating(resource, &key, obj, rv, name);
        }
        self.remove(resource, &key, Some(rv))
    }

    fn store_terminating(&mut self, resource: &Resource, key: &Key, obj: Value, rv: u64, name: &str) -> Result<Deleted, ApiError> {
        let object = self.store.update(key, obj, Some(rv)).map_err(|e| store_error(resource, name, e))?;
        Ok(Deleted { object, finished: false })
    }

    /// Removes an object from the store for good, freeing what it held.
    pub(super) fn remove(&mut self, resource: &Resource, key: &Key, expected_rv: Option<u64>) -> Result<Deleted, ApiError> {
        let object = self.store.delete(key, expected_rv).map_err(|e| store_error(resource, &key.name.name, e))?;
        if resource.kind == "Service" {
            super::service_allocation::release(&mut self.allocator, &object);
        }
        if resource.kind == "Pod" {
            self.logs.remove_pod(meta::uid(&object));
        }
        Ok(Deleted { object, finished: true })
    }

    /// Deletes every object of a resource in a namespace that the selectors match.
    pub fn delete_collection(
        &mut self,
        resource: &'static Resource,
        namespace: Option<&str>,
        labels: &crate::store::selector::LabelSelector,
        fields: &crate::store::selector::FieldSelector,
        opts: &DeleteOptions,
        now: Timestamp,
    ) -> Result<Vec<Deleted>, ApiError> {
        let targets: Vec<(String, String)> = self
            .list(resource, namespace)
            .filter(|o| labels.matches(meta::labels(o)) && fields.matches(o))
            .map(|o| (meta::namespace(o).to_string(), meta::name(o).to_string()))
            .collect();
        let mut out = Vec::with_capacity(targets.len());
        for (ns, name) in targets {
            match self.delete(resource, &ns, &name, opts, now) {
                Ok(d) => out.push(d),
                // Gone meanwhile (a cascade took it): nothing left to do.
                Err(e) if e.reason == Reason::NotFound => {}
                Err(e) => return Err(e),
            }
        }
        Ok(out)
    }

    /// Whether the Namespace resource exists in the store (for controllers).
    pub fn namespace_exists(&self, name: &str) -> bool {
        self.store.get(&Key::new(namespaces(), "", name)).is_some()
    }
}

fn check_preconditions(resource: &Resource, name: &str, obj: &Value, opts: &DeleteOptions) -> Result<(), ApiError> {
    if let Some(uid) = &opts.precondition_uid {
        if uid != meta::uid(obj) {
            return Err(ApiError::conflict(
                resource.group,
                resource.plural,
                name,
                &format!("Precondition failed: UID in precondition: {uid}, UID in object meta: {}", meta::uid(obj)),
            ));
        }
    }
    if let Some(rv) = &opts.precondition_resource_version {
        if rv != meta::resource_version(obj) {
            return Err(ApiError::conflict(
                resource.group,
                resource.plural,
                name,
                &format!(
                    "Precondition failed: ResourceVersion in precondition: {rv}, ResourceVersion in object meta: {}",
                    meta::resource_version(obj)
                ),
            ));
        }
    }
    let _ = StoreError::Conflict;
    Ok(())
}

/// Seconds a pod gets to shut down: only pods bound to a node terminate
/// gracefully; everything else (and unscheduled pods) goes at once.
fn graceful_period(resource: &Resource, obj: &Value, opts: &DeleteOptions) -> i64 {
    if resource.kind != "Pod" {
        return 0;
    }
    let bound = obj.pointer("/spec/nodeName").and_then(Value::as_str).is_some_and(|n| !n.is_empty());
    let finished = matches!(obj.pointer("/status/phase").and_then(Value::as_str), Some("Succeeded" | "Failed"));
    if !bound || finished {
        return 0;
    }
    let default = obj.pointer("/spec/terminationGracePeriodSeconds").and_then(Value::as_i64).unwrap_or(30);
    // A grace period of 1 is how kubectl asks for "immediately" without --force.
    opts.grace_period_seconds.unwrap_or(default).max(0)
}

/// A second delete may shorten, never lengthen, a pod's remaining grace.
fn shortens_grace(obj: &Value, grace: i64) -> bool {
    obj.pointer("/metadata/deletionGracePeriodSeconds").and_then(Value::as_i64).is_some_and(|g| grace < g)
}
