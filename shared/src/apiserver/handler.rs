//! Turns REST requests into calls of the typed verbs and their results into
//! responses: content negotiation (objects, lists, Tables), query options,
//! status codes.

use super::delete::{DeleteOptions, Propagation};
use super::path::{self, ResourcePath, Route};
use super::query::Query;
use super::table::{self, IncludeObject, ListMeta};
use super::{discovery, scale, ApiError, ApiServer, Method, Request, Response, WatchFormat, WatchSpec, WriteOptions};
use crate::api::decode::{self, FieldValidation};
use crate::api::meta;
use crate::store::selector::{FieldSelector, LabelSelector};
use base64::Engine as _;
use jiff::Timestamp;
use serde_json::{json, Value};

impl ApiServer {
    /// Serves one request at time `now`.
    pub fn handle(&mut self, req: &Request, now: Timestamp) -> Response {
        self.requests += 1;
        match self.dispatch(req, now) {
            Ok(resp) => resp,
            Err(e) => Response::json(e.reason.code(), &e.to_status()),
        }
    }

    fn dispatch(&mut self, req: &Request, now: Timestamp) -> Result<Response, ApiError> {
        let route = path::parse(&req.path)?;
        let query = Query::parse(&req.query);
        let discovery_doc = match route {
            Route::Version => discovery::version(),
            Route::CoreVersions => discovery::core_versions(),
            Route::Groups => discovery::groups(),
            Route::ResourceList { group, version } => discovery::resource_list(&group, &version),
            Route::Resource(target) => return self.serve_resource(req, &query, target, now),
        };
        if req.method != Method::Get {
            return Err(method_not_allowed());
        }
        Ok(Response::json(200, &discovery_doc))
    }

    fn serve_resource(&mut self, req: &Request, query: &Query, target: ResourcePath, now: Timestamp) -> Result<Response, ApiError> {
        let resource = target.resource;
        let namespace = target.namespace.clone().unwrap_or_default();
        let sub = target.subresource.as_deref();
        let opts = write_options(query)?;
        let table = table_request(req, query)?;
        match (req.method, target.name.as_deref()) {
            (Method::Get, None) if target.watch || query.flag("watch") => self.serve_watch(query, &target, table, now),
            (Method::Get, None) => self.serve_list(query, &target, table, now),
            (Method::Get, Some(name)) if sub == Some("log") && resource.kind == "Pod" => self.serve_log(&namespace, name, query, now),
            (Method::Get, Some(name)) => {
                let obj = match sub {
                    None | Some("status") => self.get(resource, &namespace, name)?.as_ref().clone(),
                    Some("scale") => scale::get(self, resource, &namespace, name)?,
                    Some(_) => return Err(path::not_served()),
                };
                Ok(render_one(resource, obj, table, now, 200))
            }
            (Method::Post, None) => {
                if resource.namespaced && target.namespace.is_none() {
                    return Err(method_not_allowed());
                }
                let (obj, warnings) = decode_body(req, resource, opts.field_validation)?;
                let created = self.create(resource, &namespace, obj, now, opts)?;
                Ok(with_warnings(render_one(resource, created.as_ref().clone(), table, now, 201), warnings))
            }
            (Method::Post, Some(name)) if sub == Some("binding") => {
                let binding: Value = serde_json::from_slice(&req.body).map_err(|e| ApiError::bad_request(format!("invalid Binding: {e}")))?;
                let node = binding.pointer("/target/name").and_then(Value::as_str).unwrap_or("");
                self.bind(&namespace, name, node, now)?;
                Ok(Response::json(201, &super::error::success_status(json!({}))))
            }
            (Method::Put, Some(name)) => {
                let (obj, warnings) = decode_body(req, resource, opts.field_validation)?;
                let result = match sub {
                    Some("scale") => scale::update(self, resource, &namespace, name, &obj, now, opts)?,
                    Some("finalize") | None => {
                        let sub = None;
                        self.update(resource, &namespace, name, obj, sub, now, opts)?.as_ref().clone()
                    }
                    Some("status") => self.update(resource, &namespace, name, obj, Some("status"), now, opts)?.as_ref().clone(),
                    Some(_) => return Err(method_not_allowed()),
                };
                Ok(with_warnings(render_one(resource, result, table, now, 200), warnings))
            }
            (Method::Patch, Some(name)) if sub.is_none() && is_apply_patch(req) => {
                let manager = query.get("fieldManager");
                let applied = self.server_side_apply(resource, &namespace, name, &req.body, manager, now, opts)?;
                let code = if applied.created { 201 } else { 200 };
                Ok(with_warnings(render_one(resource, applied.object, table, now, code), applied.warnings))
            }
            (Method::Patch, Some(name)) => {
                let content_type = req.header("Content-Type").unwrap_or("");
                let patch_type = super::patch::PatchType::from_content_type(content_type).ok_or_else(|| {
                    ApiError::new(
                        super::Reason::UnsupportedMediaType,
                        format!("the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml, application/strategic-merge-patch+json (got {content_type:?})"),
                    )
                })?;
                let (patched, warnings) = self.patch_request(resource, &namespace, name, patch_type, &req.body, sub, now, opts)?;
                Ok(with_warnings(render_one(resource, patched, table, now, 200), warnings))
            }
            (Method::Delete, Some(name)) => {
                let opts = delete_options(req, query)?;
                let deleted = self.delete(resource, &namespace, name, &opts, now)?;
                if deleted.finished {
                    let details = json!({"name": name, "group": resource.group, "kind": resource.plural, "uid": meta::uid(&deleted.object)});
                    Ok(Response::json(200, &super::error::success_status(details)))
                } else {
                    Ok(Response::json(202, &deleted.object))
                }
            }
            (Method::Delete, None) => {
                let opts = delete_options(req, query)?;
                let (labels, fields) = selectors(query, resource)?;
                let ns = target.namespace.as_deref();
                let deleted = self.delete_collection(resource, ns, &labels, &fields, &opts, now)?;
                let items: Vec<Value> = deleted.iter().map(|d| strip_type(d.object.as_ref().clone())).collect();
                let list = json!({"kind": format!("{}List", resource.kind), "apiVersion": resource.api_version(),
                    "metadata": {"resourceVersion": self.store.revision().to_string()}, "items": items});
                Ok(Response::json(200, &list))
            }
            _ => Err(method_not_allowed()),
        }
    }

    fn serve_list(&self, query: &Query, target: &ResourcePath, table: Option<IncludeObject>, now: Timestamp) -> Result<Response, ApiError> {
        let resource = target.resource;
        let (labels, fields) = selectors(query, resource)?;
        let limit = match query.get("limit") {
            Some(l) if !l.is_empty() => l.parse::<usize>().map_err(|_| ApiError::bad_request(format!("invalid limit {l:?}")))?,
            _ => 0,
        };
        let after = match query.get("continue").filter(|c| !c.is_empty()) {
            Some(token) => Some(decode_continue(token)?),
            None => None,
        };
        let mut items: Vec<&Value> = Vec::new();
        let mut more = None;
        for obj in self.list(resource, target.namespace.as_deref()) {
            let position = (meta::namespace(obj), meta::name(obj));
            if after.as_ref().is_some_and(|(ns, n)| position <= (ns.as_str(), n.as_str())) {
                continue;
            }
            if !(labels.matches(meta::labels(obj)) && fields.matches(obj)) {
                continue;
            }
            if limit > 0 && items.len() == limit {
                more = items.last().map(|last| encode_continue(meta::namespace(last), meta::name(last)));
                break;
            }
            items.push(obj);
        }
        let rv = self.store.revision().to_string();
        if let Some(include) = table {
            let t = table::table(resource, &items, now, include, ListMeta { resource_version: &rv, continue_token: more.as_deref() });
            return Ok(Response::json(200, &t));
        }
        let mut metadata = json!({"resourceVersion": rv});
        if let Some(c) = &more {
            metadata["continue"] = json!(c);
        }
        let items: Vec<Value> = items.into_iter().map(|o| strip_type(o.clone())).collect();
        let list = json!({"kind": format!("{}List", resource.kind), "apiVersion": resource.api_version(), "metadata": metadata, "items": items});
        Ok(Response::json(200, &list))
    }

    fn serve_watch(&mut self, query: &Query, target: &ResourcePath, table: Option<IncludeObject>, now: Timestamp) -> Result<Response, ApiError> {
        let (labels, mut fields) = selectors(query, target.resource)?;
        if let Some(name) = &target.name {
            fields = FieldSelector::parse(target.resource, &format!("metadata.name={name}"))?;
        }
        let resource_version = match query.get("resourceVersion") {
            None | Some("") | Some("0") => None,
            Some(rv) => Some(rv.parse::<u64>().map_err(|_| ApiError::bad_request(format!("invalid resourceVersion {rv:?}")))?),
        };
        let spec = WatchSpec {
            resource: target.resource,
            namespace: target.namespace.clone(),
            labels,
            fields,
            resource_version,
            allow_bookmarks: query.flag("allowWatchBookmarks"),
            send_initial_events: query.flag("sendInitialEvents"),
            format: table.map_or(WatchFormat::Object, WatchFormat::Table),
        };
        let id = self.open_watch(spec, now)?;
        Ok(Response::Watch { id, content_type: "application/json" })
    }
}

impl ApiServer {
    /// A PATCH from a client: the patched object is decoded as strictly as a
    /// body would be, so a patch cannot smuggle in unknown fields.
    #[allow(clippy::too_many_arguments)]
    fn patch_request(
        &mut self,
        resource: &'static crate::api::Resource,
        namespace: &str,
        name: &str,
        patch_type: super::patch::PatchType,
        body: &[u8],
        sub: Option<&str>,
        now: Timestamp,
        opts: WriteOptions,
    ) -> Result<(Value, Vec<String>), ApiError> {
        if sub == Some("scale") {
            let scaled = self.patch(resource, namespace, name, patch_type, body, sub, now, opts)?;
            return Ok((scaled.as_ref().clone(), Vec::new()));
        }
        let current = self.get(resource, namespace, name)?.clone();
        let patched = super::patch::apply_patch(resource.kind, &current, patch_type, body)?;
        let decoded = decode::decode_value(resource, &patched, opts.field_validation)?;
        let stored = self.update(resource, namespace, name, decoded.object, sub, now, opts)?;
        Ok((stored.as_ref().clone(), decoded.warnings))
    }
}

/// `application/apply-patch+yaml`: server-side apply.
fn is_apply_patch(req: &Request) -> bool {
    req.header("Content-Type")
        .and_then(|ct| ct.split(';').next())
        .is_some_and(|media| media.trim().eq_ignore_ascii_case(super::server_side_apply::APPLY_PATCH))
}

fn method_not_allowed() -> ApiError {
    ApiError::method_not_allowed("the server does not allow this method on the requested resource")
}

fn write_options(query: &Query) -> Result<WriteOptions, ApiError> {
    let dry_run = query.all("dryRun").any(|v| v == "All");
    if let Some(bad) = query.all("dryRun").find(|v| *v != "All") {
        return Err(ApiError::bad_request(format!("Invalid dryRun value: {bad:?}: supported values: \"All\"")));
    }
    let field_validation = match query.get("fieldValidation") {
        None | Some("") => FieldValidation::Warn,
        Some(v) => FieldValidation::parse(v).ok_or_else(|| {
            ApiError::bad_request(format!("fieldValidation parameter unsupported: {v:?}. Valid values: Ignore, Warn, Strict"))
        })?,
    };
    Ok(WriteOptions { dry_run, field_validation })
}

fn delete_options(req: &Request, query: &Query) -> Result<DeleteOptions, ApiError> {
    let mut opts = DeleteOptions::default();
    if let Some(p) = query.get("propagationPolicy") {
        opts.propagation = Some(Propagation::parse(p).ok_or_else(|| ApiError::bad_request(format!("unsupported propagationPolicy {p:?}")))?);
    }
    if let Some(g) = query.get("gracePeriodSeconds") {
        opts.grace_period_seconds = Some(g.parse().map_err(|_| ApiError::bad_request(format!("invalid gracePeriodSeconds {g:?}")))?);
    }
    opts.dry_run = query.all("dryRun").any(|v| v == "All");
    if req.body.iter().any(|b| !b.is_ascii_whitespace()) {
        let body: Value = serde_json::from_slice(&req.body).map_err(|e| ApiError::bad_request(format!("invalid DeleteOptions: {e}")))?;
        opts = opts.merge_body(&body)?;
    }
    Ok(opts)
}

fn selectors(query: &Query, resource: &crate::api::Resource) -> Result<(LabelSelector, FieldSelector), ApiError> {
    let labels = LabelSelector::parse(query.get("labelSelector").unwrap_or(""))?;
    let fields = FieldSelector::parse(resource, query.get("fieldSelector").unwrap_or(""))?;
    Ok((labels, fields))
}

/// `Some(includeObject)` when the client asked for a `meta.k8s.io/v1` Table.
fn table_request(req: &Request, query: &Query) -> Result<Option<IncludeObject>, ApiError> {
    let wants_table = req.header("Accept").is_some_and(|accept| {
        accept.split(',').next().is_some_and(|first| {
            let params: Vec<&str> = first.split(';').map(str::trim).collect();
            params.contains(&"as=Table") && params.iter().all(|p| !p.starts_with("g=") || *p == "g=meta.k8s.io")
        })
    });
    if !wants_table {
        return Ok(None);
    }
    match query.get("includeObject") {
        None | Some("") => Ok(Some(IncludeObject::Metadata)),
        Some(v) => IncludeObject::parse(v)
            .map(Some)
            .ok_or_else(|| ApiError::bad_request(format!("includeObject: unsupported value {v:?}"))),
    }
}

fn render_one(resource: &'static crate::api::Resource, obj: Value, table: Option<IncludeObject>, now: Timestamp, status: u16) -> Response {
    match table {
        Some(include) => {
            let rv = meta::resource_version(&obj).to_string();
            let t = table::table(resource, &[&obj], now, include, ListMeta { resource_version: &rv, continue_token: None });
            Response::json(status, &t)
        }
        None => Response::json(status, &obj),
    }
}

fn with_warnings(resp: Response, warnings: Vec<String>) -> Response {
    resp.with_warnings(warnings)
}

/// Reads a request body as the typed object the URL names (JSON or YAML),
/// as strictly as the client asked.
fn decode_body(req: &Request, resource: &crate::api::Resource, validation: FieldValidation) -> Result<(Value, Vec<String>), ApiError> {
    let is_yaml = req.header("Content-Type").is_some_and(|ct| ct.contains("yaml"));
    let decoded = if is_yaml {
        let text = std::str::from_utf8(&req.body).map_err(|_| ApiError::bad_request("request body is not UTF-8"))?;
        let doc = crate::manifest::parse_document(text).map_err(|e| ApiError::bad_request(e.to_string()))?;
        decode::decode_value(resource, &doc.value, validation)
    } else {
        decode::decode(resource, &req.body, validation)
    };
    let decoded = decoded.map_err(|e| match e {
        // A create or update names what it could not handle, as the API server's
        // transformDecodeError does; a patch reports the strict error alone.
        strict @ decode::DecodeError::Strict(_) => decode::DecodeError::CannotHandle {
            kind: resource.kind.to_string(),
            version: resource.version.to_string(),
            target: resource.kind.to_string(),
            reason: strict.to_string(),
        },
        other => other,
    })?;
    Ok((decoded.object, decoded.warnings))
}

/// List items carry no `apiVersion`/`kind` on the wire; the list says what they are.
fn strip_type(mut obj: Value) -> Value {
    if let Some(m) = obj.as_object_mut() {
        m.remove("apiVersion");
        m.remove("kind");
    }
    obj
}

fn encode_continue(namespace: &str, name: &str) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(json!({"ns": namespace, "name": name}).to_string())
}

fn decode_continue(token: &str) -> Result<(String, String), ApiError> {
    let bad = || ApiError::bad_request("continue key is not valid: the continue token is malformed");
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(token).map_err(|_| bad())?;
    let v: Value = serde_json::from_slice(&bytes).map_err(|_| bad())?;
    match (v.get("ns").and_then(Value::as_str), v.get("name").and_then(Value::as_str)) {
        (Some(ns), Some(name)) => Ok((ns.to_string(), name.to_string())),
        _ => Err(bad()),
    }
}
