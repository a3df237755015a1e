//! The request layer: Kubernetes REST requests in, responses and watch events out.
//!
//! One entry point, [`ApiServer::handle`], serves the page, the in-page kubectl
//! and (through the agent) the real kubectl, so they all see the same API.
//! Controllers use the typed verbs ([`ApiServer::create`], [`ApiServer::update`],
//! …) that `handle` itself is built on, so every write passes the same
//! defaulting, validation and admission, whoever makes it.

mod admission;
mod allocator;
mod binding;
mod bootstrap;
mod delete;
mod discovery;
pub mod error;
mod handler;
pub mod log_follow;
pub mod logs;
pub mod patch;
pub mod path;
pub mod query;
pub mod request;
mod scale;
mod server_side_apply;
mod service_allocation;
pub mod table;
mod watch;

pub use admission::format_time;
pub use bootstrap::{API_SERVER_IP, SYSTEM_NAMESPACES};
pub use delete::{DeleteOptions, Deleted, Propagation};
pub use discovery::KUBERNETES_VERSION;
pub use error::{ApiError, Reason};
pub use request::{Method, Request, Response};
pub use watch::{WatchFormat, WatchId, WatchSpec};

use crate::api::decode::FieldValidation;
use crate::api::resources::Resource;
use crate::api::{defaults, meta, validation};
use crate::rng::Rng;
use crate::store::{Key, Store, StoreError};
use allocator::Allocator;
use jiff::Timestamp;
use serde_json::Value;
use std::sync::Arc;

/// How a write is carried out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WriteOptions {
    /// `dryRun=All`: everything but the store write.
    pub dry_run: bool,
    pub field_validation: FieldValidation,
}

impl Default for WriteOptions {
    fn default() -> Self {
        Self { dry_run: false, field_validation: FieldValidation::Strict }
    }
}

/// The API server: the store plus everything that interprets requests.
pub struct ApiServer {
    store: Store,
    rng: Rng,
    allocator: Allocator,
    watches: watch::Watches,
    /// Container logs, which live beside the store rather than in it, as a runtime keeps them.
    logs: logs::LogStore,
    /// Requests served through [`ApiServer::handle`], for the page's activity display.
    requests: u64,
}

impl ApiServer {
    /// A fresh cluster with Kubernetes' initial objects; `seed` fixes every
    /// generated uid, IP and name suffix, and `now` stamps the initial objects.
    pub fn new(seed: u64, now: Timestamp) -> Self {
        Self::with_store(seed, Store::new(), now)
    }

    /// Like [`ApiServer::new`] with a store of a chosen history size.
    pub fn with_store(seed: u64, store: Store, now: Timestamp) -> Self {
        let mut api = Self { store, rng: Rng::new(seed), allocator: Allocator::default(), watches: watch::Watches::default(), logs: logs::LogStore::default(), requests: 0 };
        bootstrap::install(&mut api, now);
        api
    }

    /// An API server over a restored store: no bootstrap (the objects are all
    /// there), the seeded randomness continuing from `rng_state`, and the
    /// Services' cluster IPs and node ports claimed again.
    pub fn restored(store: Store, rng_state: u64, logs: logs::LogStore) -> Self {
        let mut api = Self { store, rng: Rng::new(rng_state), allocator: Allocator::default(), watches: watch::Watches::default(), logs, requests: 0 };
        if let Some(services) = crate::api::resources::by_plural("", "v1", "services") {
            let all: Vec<Arc<Value>> = api.list(services, None).cloned().collect();
            for svc in all {
                service_allocation::claim_existing(&mut api.allocator, &svc);
            }
        }
        api
    }

    /// The state of the seeded randomness, so a restored cluster goes on with the same sequence.
    pub fn rng_state(&self) -> u64 {
        self.rng.state()
    }

    pub fn store(&self) -> &Store {
        &self.store
    }

    /// How many REST requests [`ApiServer::handle`] has served (the typed verbs are not counted).
    pub fn requests_served(&self) -> u64 {
        self.requests
    }

    /// Reads one object.
    pub fn get(&self, resource: &'static Resource, namespace: &str, name: &str) -> Result<&Arc<Value>, ApiError> {
        self.store
            .get(&Key::new(resource, scope(resource, namespace), name))
            .ok_or_else(|| ApiError::not_found(resource.group, resource.plural, name))
    }

    /// Creates an object in `namespace` (ignored for cluster-scoped kinds).
    pub fn create(&mut self, resource: &'static Resource, namespace: &str, mut obj: Value, now: Timestamp, opts: WriteOptions) -> Result<Arc<Value>, ApiError> {
        check_type(resource, &mut obj)?;
        let namespace = scope(resource, namespace);
        set_namespace(resource, &mut obj, namespace)?;
        if !meta::resource_version(&obj).is_empty() {
            return Err(ApiError::bad_request("resourceVersion should not be set on objects to be created"));
        }
        self.check_namespace_accepts(resource, namespace, &obj)?;
        defaults::apply(resource, &mut obj);
        if resource.kind == "PersistentVolumeClaim" {
            admission::default_storage_class(&self.store, &mut obj);
        }
        admission::stamp_new(resource, &mut obj, &mut self.rng, now);
        let name = admission::name_of(&obj);
        let errors = validation::validate_create(resource, &obj);
        if !errors.is_empty() {
            return Err(ApiError::invalid(resource.group, resource.kind, &name, errors));
        }
        let claimed = if resource.kind == "Service" {
            service_allocation::allocate(&mut self.allocator, &mut self.rng, &mut obj, None)
                .map_err(|errors| ApiError::invalid(resource.group, resource.kind, &name, errors))?
        } else {
            service_allocation::Claimed::default()
        };
        if opts.dry_run {
            claimed.release(&mut self.allocator);
            return Ok(Arc::new(obj));
        }
        match self.store.create(Key::new(resource, namespace, &name), obj) {
            Ok(stored) => Ok(stored),
            Err(e) => {
                claimed.release(&mut self.allocator);
                Err(store_error(resource, &name, e))
            }
        }
    }

    /// Replaces an object (`subresource: Some("status")` replaces only its status).
    #[allow(clippy::too_many_arguments)]
    pub fn update(
        &mut self,
        resource: &'static Resource,
        namespace: &str,
        name: &str,
        mut obj: Value,
        subresource: Option<&str>,
        now: Timestamp,
        opts: WriteOptions,
    ) -> Result<Arc<Value>, ApiError> {
        let _ = now;
        check_type(resource, &mut obj)?;
        let namespace = scope(resource, namespace);
        set_namespace(resource, &mut obj, namespace)?;
        let body_name = meta::name(&obj);
        if body_name.is_empty() {
            obj["metadata"]["name"] = Value::String(name.to_string());
        } else if body_name != name {
            return Err(ApiError::bad_request(format!(
                "the name of the object ({body_name}) does not match the name on the URL ({name})"
            )));
        }
        let key = Key::new(resource, namespace, name);
        let old = self.store.get(&key).cloned().ok_or_else(|| ApiError::not_found(resource.group, resource.plural, name))?;
        let old_rv = crate::store::stored_revision(&old);
        let precondition = match meta::resource_version(&obj) {
            "" => None,
            rv => Some(rv.parse::<u64>().map_err(|_| ApiError::bad_request(format!("invalid resourceVersion {rv:?}")))?),
        };
        if precondition.is_some_and(|rv| rv != old_rv) {
            return Err(ApiError::conflict(resource.group, resource.plural, name, &StoreError::Conflict.to_string()));
        }
        let mut new = match subresource {
            Some("status") => {
                let mut new = (*old).clone();
                match obj.get("status") {
                    Some(s) => new["status"] = s.clone(),
                    None => {
                        if let Some(m) = new.as_object_mut() {
                            m.remove("status");
                        }
                    }
                }
                new
            }
            Some(other) => return Err(ApiError::method_not_allowed(format!("cannot update subresource {other:?}"))),
            None => {
                admission::carry_over(resource, &mut obj, &old);
                obj
            }
        };
        defaults::apply(resource, &mut new);
        let mut errors = validation::validate_update(resource, &new, &old);
        let claimed = if resource.kind == "Service" && errors.is_empty() {
            match service_allocation::allocate(&mut self.allocator, &mut self.rng, &mut new, Some(&old)) {
                Ok(c) => c,
                Err(e) => {
                    errors = e;
                    service_allocation::Claimed::default()
                }
            }
        } else {
            service_allocation::Claimed::default()
        };
        if !errors.is_empty() {
            return Err(ApiError::invalid(resource.group, resource.kind, name, errors));
        }
        if admission::is_noop(&new, &old) || opts.dry_run {
            claimed.release(&mut self.allocator);
            return Ok(if opts.dry_run { Arc::new(new) } else { old });
        }
        if finalized(resource, &new) {
            // The last finalizer of a deleting object is gone: it goes now.
            return self.remove(resource, &key, Some(old_rv)).map(|d| d.object);
        }
        match self.store.update(&key, new, Some(old_rv)) {
            Ok(stored) => {
                if resource.kind == "Service" {
                    service_allocation::release_replaced(&mut self.allocator, &stored, &old);
                }
                Ok(stored)
            }
            Err(e) => {
                claimed.release(&mut self.allocator);
                Err(store_error(resource, name, e))
            }
        }
    }

    /// Applies a patch of the given content type to an object or its status.
    #[allow(clippy::too_many_arguments)]
    pub fn patch(
        &mut self,
        resource: &'static Resource,
        namespace: &str,
        name: &str,
        patch_type: patch::PatchType,
        body: &[u8],
        subresource: Option<&str>,
        now: Timestamp,
        opts: WriteOptions,
    ) -> Result<Arc<Value>, ApiError> {
        if subresource == Some("scale") {
            return scale::patch(self, resource, namespace, name, patch_type, body, now, opts);
        }
        let old = self.get(resource, namespace, name)?.clone();
        let patched = patch::apply_patch(resource.kind, &old, patch_type, body)?;
        self.update(resource, namespace, name, patched, subresource, now, opts)
    }

    /// Objects of a resource in one namespace (or all, with `None`), in key order.
    pub fn list<'a>(&'a self, resource: &'static Resource, namespace: Option<&'a str>) -> impl Iterator<Item = &'a Arc<Value>> + 'a {
        let namespace = if resource.namespaced { namespace } else { None };
        self.store.list(resource.into(), namespace).map(|(_, v)| v)
    }

    /// Refuses content for namespaces that do not exist or are being deleted.
    fn check_namespace_accepts(&self, resource: &Resource, namespace: &str, obj: &Value) -> Result<(), ApiError> {
        if !resource.namespaced {
            return Ok(());
        }
        let ns_resource = namespaces();
        let ns = self
            .store
            .get(&Key::new(ns_resource, "", namespace))
            .ok_or_else(|| ApiError::not_found("", "namespaces", namespace))?;
        if meta::is_terminating(ns) && resource.kind != "Event" {
            return Err(ApiError::new(
                Reason::Forbidden,
                format!(
                    "{} {:?} is forbidden: unable to create new content in namespace {namespace} because it is being terminated",
                    resource.group_resource(),
                    meta::name(obj)
                ),
            ));
        }
        Ok(())
    }
}

/// The Namespace resource, which namespace checks consult. The registry is a
/// static table whose tests pin that it serves namespaces.
fn namespaces() -> &'static Resource {
    crate::api::resources::by_plural("", "v1", "namespaces").expect("the registry serves namespaces")
}

/// The namespace a resource's objects live in: none for cluster-scoped kinds.
fn scope<'a>(resource: &Resource, namespace: &'a str) -> &'a str {
    if resource.namespaced {
        namespace
    } else {
        ""
    }
}

/// Fills `apiVersion`/`kind` when the client left them out (the URL says what
/// it is) and refuses a body of another type.
fn check_type(resource: &Resource, obj: &mut Value) -> Result<(), ApiError> {
    let Some(map) = obj.as_object_mut() else {
        return Err(ApiError::bad_request("the body of the request was not a JSON object"));
    };
    let expected_av = resource.api_version();
    match map.get("apiVersion").and_then(Value::as_str) {
        None | Some("") => {
            map.insert("apiVersion".into(), Value::String(expected_av));
        }
        Some(av) if av != expected_av => {
            return Err(ApiError::bad_request(format!(
                "the API version in the data ({av}) does not match the expected API version ({expected_av})"
            )));
        }
        Some(_) => {}
    }
    match map.get("kind").and_then(Value::as_str) {
        None | Some("") => {
            map.insert("kind".into(), Value::String(resource.kind.into()));
        }
        Some(k) if k != resource.kind => {
            return Err(ApiError::bad_request(format!(
                "the kind in the data ({k}) does not match the expected kind ({})",
                resource.kind
            )));
        }
        Some(_) => {}
    }
    if !map.get("metadata").is_none_or(Value::is_object) {
        return Err(ApiError::bad_request("metadata must be an object"));
    }
    Ok(())
}

/// Puts the request's namespace into the object, refusing a different one.
fn set_namespace(resource: &Resource, obj: &mut Value, namespace: &str) -> Result<(), ApiError> {
    if !obj.get("metadata").is_some_and(Value::is_object) {
        obj["metadata"] = serde_json::json!({});
    }
    let Some(meta) = obj.get_mut("metadata").and_then(Value::as_object_mut) else {
        return Err(ApiError::bad_request("metadata must be an object"));
    };
    if !resource.namespaced {
        meta.remove("namespace");
        return Ok(());
    }
    match meta.get("namespace").and_then(Value::as_str) {
        Some(ns) if !ns.is_empty() && ns != namespace => Err(ApiError::bad_request(
            "the namespace of the provided object does not match the namespace sent on the request",
        )),
        _ => {
            meta.insert("namespace".into(), Value::String(namespace.into()));
            Ok(())
        }
    }
}

/// A deleting object whose finalizers are all gone (pods still in their grace
/// period wait for the kubelet instead).
fn finalized(resource: &Resource, obj: &Value) -> bool {
    let no_finalizers = obj.pointer("/metadata/finalizers").and_then(Value::as_array).is_none_or(Vec::is_empty);
    let grace = obj.pointer("/metadata/deletionGracePeriodSeconds").and_then(Value::as_i64).unwrap_or(0);
    let namespace_emptied = resource.kind != "Namespace"
        || obj.pointer("/spec/finalizers").and_then(Value::as_array).is_none_or(Vec::is_empty);
    meta::is_terminating(obj) && no_finalizers && namespace_emptied && (resource.kind != "Pod" || grace == 0)
}

fn store_error(resource: &Resource, name: &str, e: StoreError) -> ApiError {
    match e {
        StoreError::AlreadyExists => ApiError::already_exists(resource.group, resource.plural, name),
        StoreError::NotFound => ApiError::not_found(resource.group, resource.plural, name),
        StoreError::Conflict => ApiError::conflict(resource.group, resource.plural, name, &e.to_string()),
    }
}

#[cfg(test)]
mod tests;
