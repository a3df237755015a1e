//! `kubectl apply -f` as the page and the in-page kubectl do it: every document
//! of a manifest applied on its own through the request layer, with a result
//! per document (created / configured / unchanged, or an error that points at
//! the line and column of the offending field).
//!
//! Like kubectl's client-side apply, the manifest is remembered in the
//! `kubectl.kubernetes.io/last-applied-configuration` annotation, and an update
//! is a three-way strategic merge patch between that, the new manifest and the
//! live object, so fields other writers own (replicas set by an HPA, a
//! Service's clusterIP) are left alone.

use super::{expand_list, parse_documents, Document, ManifestError, Position};
use crate::api::{meta, resources, Resource};
use crate::apiserver::patch;
use crate::apiserver::{ApiServer, Request, Response};
use jiff::Timestamp;
use serde_json::{json, Value};

pub const LAST_APPLIED: &str = "kubectl.kubernetes.io/last-applied-configuration";

/// What applying one document did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Applied {
    Created,
    Configured,
    Unchanged,
}

impl Applied {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Created => "created",
            Self::Configured => "configured",
            Self::Unchanged => "unchanged",
        }
    }
}

/// Why one document was not applied.
#[derive(Debug, Clone, PartialEq)]
pub struct ApplyFailure {
    /// kubectl's wording of the error.
    pub message: String,
    /// Where in the source the problem is, when it can be pinned down.
    pub position: Option<Position>,
    /// The API's `Status`, when the API refused the object.
    pub status: Option<Value>,
}

/// The result for one document (or one item of a `List`).
#[derive(Debug, Clone, PartialEq)]
pub struct DocumentOutcome {
    /// Index of the document among the manifest's non-empty documents.
    pub document: usize,
    /// `deployment.apps/my-api`, as kubectl names objects in its output.
    pub object: String,
    pub namespace: Option<String>,
    pub result: Result<Applied, ApplyFailure>,
}

impl DocumentOutcome {
    /// The line kubectl prints: `deployment.apps/my-api created`.
    pub fn summary(&self) -> String {
        match &self.result {
            Ok(a) => format!("{} {}", self.object, a.as_str()),
            Err(f) => match f.position {
                Some(p) => format!("error: line {}, column {}: {}", p.line, p.column, f.message),
                None => format!("error: {}", f.message),
            },
        }
    }
}

/// Applies every document of `source`. A syntax error anywhere applies nothing
/// (as kubectl refuses a file it cannot parse); otherwise each document
/// succeeds or fails on its own.
pub fn apply(api: &mut ApiServer, source: &str, default_namespace: &str, now: Timestamp) -> Result<Vec<DocumentOutcome>, ManifestError> {
    apply_with(&mut |req: &Request| api.handle(req, now), source, default_namespace)
}

/// [`apply`] through any way of sending requests (the in-page kubectl's transport).
pub fn apply_with(send: &mut dyn FnMut(&Request) -> Response, source: &str, default_namespace: &str) -> Result<Vec<DocumentOutcome>, ManifestError> {
    let documents = parse_documents(source)?;
    let mut out = Vec::new();
    for doc in &documents {
        for item in expand_list(doc) {
            out.push(apply_one(send, &item, default_namespace));
        }
    }
    Ok(out)
}

fn object_name(resource: &Resource, name: &str) -> String {
    if resource.group.is_empty() {
        format!("{}/{name}", resource.singular)
    } else {
        format!("{}.{}/{name}", resource.singular, resource.group)
    }
}

fn apply_one(send: &mut dyn FnMut(&Request) -> Response, doc: &Document, default_namespace: &str) -> DocumentOutcome {
    let value = &doc.value;
    let at = |field: &str| doc.position_of(field);
    let fail = |object: String, namespace: Option<String>, message: String, position: Option<Position>, status: Option<Value>| DocumentOutcome {
        document: doc.index,
        object,
        namespace,
        result: Err(ApplyFailure { message, position, status }),
    };
    let name = meta::name(value).to_string();
    let (api_version, kind) = (meta::api_version(value), meta::kind(value));
    let missing: Vec<&str> = [("apiVersion", api_version), ("kind", kind)]
        .iter()
        .filter(|(_, v)| v.is_empty())
        .map(|(f, _)| *f)
        .collect();
    if !missing.is_empty() {
        let msg = format!("error validating data: [{}]", missing.iter().map(|f| format!("{f} not set")).collect::<Vec<_>>().join(", "));
        return fail(name, None, msg, at(missing[0]), None);
    }
    let Some(resource) = resources::by_api_version_kind(api_version, kind) else {
        let msg = format!(
            "resource mapping not found for name: {name:?} namespace: {:?}: no matches for kind {kind:?} in version {api_version:?}",
            meta::namespace(value)
        );
        return fail(name, None, msg, at("kind"), None);
    };
    let object = object_name(resource, &name);
    if name.is_empty() {
        return fail(object, None, "resource name may not be empty".into(), at("metadata"), None);
    }
    let namespace = resource.namespaced.then(|| match meta::namespace(value) {
        "" => default_namespace.to_string(),
        ns => ns.to_string(),
    });
    let collection = resource.collection_path(namespace.as_deref());
    let item = resource.object_path(namespace.as_deref(), &name);

    let mut modified = value.clone();
    if let Some(ns) = &namespace {
        modified["metadata"]["namespace"] = json!(ns);
    }
    let mut annotated = modified.clone();
    annotated["metadata"]["annotations"][LAST_APPLIED] = json!(format!("{}\n", modified));

    let refused = |resp: &Response| {
        let status = resp.json_body();
        let message = kubectl_error(resource, &name, &status);
        let field = status
            .pointer("/details/causes/0/field")
            .and_then(Value::as_str)
            .map(str::to_string)
            .or_else(|| unknown_field(&message))
            .unwrap_or_default();
        fail(object.clone(), namespace.clone(), message, at(&field), Some(status))
    };
    let live = send(&Request::get(&item));
    let result = match live.status() {
        404 => {
            let resp = send(&Request::post(&format!("{collection}?fieldValidation=Strict"), annotated.to_string()));
            if resp.status() != 201 {
                return refused(&resp);
            }
            Applied::Created
        }
        200 => {
            let live = live.json_body();
            let original: Option<Value> = meta::annotation(&live, LAST_APPLIED).and_then(|s| serde_json::from_str(s).ok());
            let diff = match patch::three_way(resource.kind, original.as_ref(), &annotated, &live) {
                Ok(p) => p,
                Err(e) => return fail(object, namespace, e.to_string(), None, None),
            };
            if diff.as_object().is_none_or(|m| m.is_empty()) {
                Applied::Unchanged
            } else {
                let resp = send(&Request::patch(
                    &format!("{item}?fieldValidation=Strict"),
                    "application/strategic-merge-patch+json",
                    diff.to_string(),
                ));
                if resp.status() != 200 {
                    return refused(&resp);
                }
                Applied::Configured
            }
        }
        _ => return refused(&live),
    };
    DocumentOutcome { document: doc.index, object, namespace, result: Ok(result) }
}

/// kubectl's rendering of an API refusal: `The Deployment "x" is invalid: …`
/// for validation errors, the Status message otherwise.
fn kubectl_error(resource: &Resource, name: &str, status: &Value) -> String {
    let message = status["message"].as_str().unwrap_or("the server refused the request");
    if status["reason"] == "Invalid" {
        let causes: Vec<String> = status
            .pointer("/details/causes")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .map(|c| format!("* {}: {}", c["field"].as_str().unwrap_or(""), c["message"].as_str().unwrap_or("")))
            .collect();
        if causes.len() > 1 {
            return format!("The {} {name:?} is invalid: \n{}", resource.kind, causes.join("\n"));
        }
        if let Some((_, rest)) = message.split_once(" is invalid: ") {
            return format!("The {} {name:?} is invalid: {rest}", resource.kind);
        }
    }
    message.to_string()
}

/// The first field a strict-decoding error names (`unknown field "spec.replica"`).
fn unknown_field(message: &str) -> Option<String> {
    let rest = message.split_once("unknown field \"")?.1;
    rest.split_once('"').map(|(field, _)| field.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t0() -> Timestamp {
        "2026-01-01T00:00:00Z".parse().unwrap()
    }

    const DEPLOYMENT: &str = "apiVersion: apps/v1
kind: Deployment
metadata:
  name: my-api
spec:
  replicas: 3
  selector:
    matchLabels:
      app: my-api
  template:
    metadata:
      labels:
        app: my-api
    spec:
      containers:
      - name: api
        image: myapp:1.0
";

    fn summaries(outcomes: &[DocumentOutcome]) -> Vec<String> {
        outcomes.iter().map(DocumentOutcome::summary).collect()
    }

    #[test]
    fn apply_creates_then_reports_unchanged_then_configured() {
        let mut api = ApiServer::new(1, t0());
        assert_eq!(summaries(&apply(&mut api, DEPLOYMENT, "default", t0()).unwrap()), ["deployment.apps/my-api created"]);
        assert_eq!(summaries(&apply(&mut api, DEPLOYMENT, "default", t0()).unwrap()), ["deployment.apps/my-api unchanged"]);
        let scaled = DEPLOYMENT.replace("replicas: 3", "replicas: 5");
        assert_eq!(summaries(&apply(&mut api, &scaled, "default", t0()).unwrap()), ["deployment.apps/my-api configured"]);
        let live = api.handle(&Request::get("/apis/apps/v1/namespaces/default/deployments/my-api"), t0()).json_body();
        assert_eq!(live["spec"]["replicas"], 5);
        let last: Value = serde_json::from_str(live["metadata"]["annotations"][LAST_APPLIED].as_str().unwrap()).unwrap();
        assert_eq!(last["spec"]["replicas"], 5, "last-applied follows the manifest");
    }

    #[test]
    fn removing_a_field_from_the_manifest_removes_it_from_the_object() {
        let mut api = ApiServer::new(1, t0());
        let with_env = DEPLOYMENT.replace("image: myapp:1.0\n", "image: myapp:1.0\n        env:\n        - name: MODE\n          value: demo\n");
        apply(&mut api, &with_env, "default", t0()).unwrap();
        let r = apply(&mut api, DEPLOYMENT, "default", t0()).unwrap();
        assert_eq!(summaries(&r), ["deployment.apps/my-api configured"]);
        let live = api.handle(&Request::get("/apis/apps/v1/namespaces/default/deployments/my-api"), t0()).json_body();
        assert!(live["spec"]["template"]["spec"]["containers"][0].get("env").is_none(), "{live}");
    }

    #[test]
    fn each_document_succeeds_or_fails_on_its_own_with_the_line_of_the_field() {
        let mut api = ApiServer::new(1, t0());
        let source = format!(
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: app-config\ndata:\n  A: b\n---\n{}---\napiVersion: v1\nkind: Service\nmetadata:\n  name: my-api-service\nspec:\n  selector:\n    app: my-api\n  ports:\n  - port: 80\n",
            DEPLOYMENT.replace("replicas: 3", "replicas: -1")
        );
        let out = apply(&mut api, &source, "default", t0()).unwrap();
        assert_eq!(out.len(), 3);
        assert_eq!(out[0].summary(), "configmap/app-config created");
        assert_eq!(out[2].summary(), "service/my-api-service created");
        let failure = out[1].result.as_ref().unwrap_err();
        assert_eq!(
            failure.message,
            "The Deployment \"my-api\" is invalid: spec.replicas: Invalid value: -1: must be greater than or equal to 0"
        );
        // The deployment document starts on line 8; `replicas` is its line 6.
        assert_eq!(failure.position, Some(Position::new(13, 3)));
        let get = api.handle(&Request::get("/apis/apps/v1/namespaces/default/deployments/my-api"), t0());
        assert_eq!(get.status(), 404, "an invalid document changes nothing");
    }

    #[test]
    fn a_syntax_error_anywhere_applies_nothing() {
        let mut api = ApiServer::new(1, t0());
        let rv = api.store().revision();
        let source = format!("{DEPLOYMENT}---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n   bad: indent\n");
        assert!(apply(&mut api, &source, "default", t0()).is_err());
        assert_eq!(api.store().revision(), rv);
    }

    #[test]
    fn unknown_kinds_and_unknown_fields_are_named() {
        let mut api = ApiServer::new(1, t0());
        let out = apply(&mut api, "apiVersion: v1\nkind: Widget\nmetadata:\n  name: w\n", "default", t0()).unwrap();
        let failure = out[0].result.as_ref().unwrap_err();
        assert!(failure.message.contains(r#"no matches for kind "Widget" in version "v1""#), "{}", failure.message);
        assert_eq!(failure.position, Some(Position::new(2, 1)));
        let typo = DEPLOYMENT.replace("  replicas: 3", "  replica: 3");
        let out = apply(&mut api, &typo, "default", t0()).unwrap();
        let failure = out[0].result.as_ref().unwrap_err();
        assert_eq!(
            failure.message,
            r#"Deployment in version "v1" cannot be handled as a Deployment: strict decoding error: unknown field "spec.replica""#
        );
        assert_eq!(failure.position, Some(Position::new(6, 3)));
    }

    #[test]
    fn the_seed_folder_applies_in_one_go() {
        let mut api = ApiServer::new(1, t0());
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/seed");
        let mut lines = Vec::new();
        let mut names: Vec<_> = std::fs::read_dir(&dir).unwrap().map(|e| e.unwrap().path()).collect();
        names.sort();
        for path in names {
            let source = std::fs::read_to_string(&path).unwrap();
            lines.extend(summaries(&apply(&mut api, &source, "default", t0()).unwrap()));
        }
        assert!(lines.iter().all(|l| l.ends_with(" created")), "{lines:?}");
        assert!(lines.contains(&"horizontalpodautoscaler.autoscaling/my-api-hpa created".to_string()));
        assert!(lines.contains(&"ingress.networking.k8s.io/my-ingress created".to_string()));
    }
}
