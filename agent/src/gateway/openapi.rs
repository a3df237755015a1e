//! The OpenAPI v3 documents kubectl reads: `/openapi/v3` lists one document per group version,
//! and each document lists the operations on that group's resources.
//!
//! kubectl needs them before `apply`: it asks whether the PATCH of a kind takes the
//! `fieldValidation` parameter, and only if the server says so leaves validation (with field
//! paths and Kubernetes' wording) to the server. `kubectl explain` reads each kind's schema
//! ([`super::schemas`]). The documents are built from the core's resource registry, so a kind
//! added there is described here too.

use super::schemas::Schemas;
use kubeplay_shared::api::resources::{Resource, RESOURCES};
use kubeplay_shared::apiserver::KUBERNETES_VERSION;
use serde_json::{json, Map, Value};
use std::collections::BTreeMap;
use std::sync::OnceLock;

/// Every group version's document, keyed as `/openapi/v3` lists them (`api/v1`, `apis/apps/v1`).
fn documents() -> &'static BTreeMap<String, Value> {
    static DOCS: OnceLock<BTreeMap<String, Value>> = OnceLock::new();
    DOCS.get_or_init(|| {
        let schemas = Schemas::load();
        let mut by_gv: BTreeMap<String, Vec<&Resource>> = BTreeMap::new();
        for r in RESOURCES.iter() {
            by_gv.entry(gv_path(r)).or_default().push(r);
        }
        by_gv
            .into_iter()
            .map(|(gv, resources)| {
                let doc = document(&schemas, &resources);
                (gv, doc)
            })
            .collect()
    })
}

/// `api/v1` or `apis/apps/v1`.
fn gv_path(r: &Resource) -> String {
    if r.group.is_empty() {
        format!("api/{}", r.version)
    } else {
        format!("apis/{}/{}", r.group, r.version)
    }
}

/// `/openapi/v3`: where each group version's document is, with a hash of its content so
/// clients may cache it.
pub fn root() -> Value {
    let paths: Map<String, Value> = documents()
        .iter()
        .map(|(gv, doc)| {
            let url = format!("/openapi/v3/{gv}?hash={:016X}", fnv1a(&doc.to_string()));
            (gv.clone(), json!({"serverRelativeURL": url}))
        })
        .collect();
    json!({"paths": paths})
}

/// `/openapi/v3/{gv}` (the `?hash=` only names the version of the content).
pub fn group_version(gv: &str) -> Option<&'static Value> {
    documents().get(gv.trim_matches('/'))
}

fn document(schemas: &Schemas, resources: &[&Resource]) -> Value {
    let schemas = resources
        .first()
        .map(|r| schemas.for_group_version(r.group, r.version))
        .unwrap_or_default();
    let mut paths = Map::new();
    for r in resources {
        let base = format!("/{}", gv_path(r));
        let collection = if r.namespaced {
            format!("{base}/namespaces/{{namespace}}/{}", r.plural)
        } else {
            format!("{base}/{}", r.plural)
        };
        let gvk = gvk_value(r.group, r.version, r.kind);
        paths.insert(collection.clone(), collection_item(r, &gvk));
        paths.insert(format!("{collection}/{{name}}"), object_item(r, &gvk, ""));
        for sub in r.subresources.iter().copied() {
            let sub_gvk = match sub {
                "scale" => gvk_value("autoscaling", "v1", "Scale"),
                "status" => gvk.clone(),
                _ => continue,
            };
            paths.insert(
                format!("{collection}/{{name}}/{sub}"),
                object_item(r, &sub_gvk, sub),
            );
        }
    }
    json!({
        "openapi": "3.0.0",
        "info": {"title": "Kubernetes", "version": format!("v{}.{}.0", KUBERNETES_VERSION.0, KUBERNETES_VERSION.1)},
        "paths": paths,
        "components": {"schemas": schemas},
    })
}

fn gvk_value(group: &str, version: &str, kind: &str) -> Value {
    json!({"group": group, "version": version, "kind": kind})
}

fn query_param(name: &str, description: &str, kind: &str) -> Value {
    json!({"name": name, "in": "query", "description": description, "schema": {"type": kind, "uniqueItems": true}})
}

fn path_param(name: &str, description: String) -> Value {
    json!({"name": name, "in": "path", "required": true, "description": description, "schema": {"type": "string", "uniqueItems": true}})
}

/// The parameters of a write: what kubectl checks for before trusting the server to validate.
fn write_params(patch: bool) -> Vec<Value> {
    let mut params = vec![
        query_param("dryRun", "When present, indicates that modifications should not be persisted.", "string"),
        query_param("fieldManager", "fieldManager is a name associated with the actor or entity that is making these changes.", "string"),
        query_param("fieldValidation", "fieldValidation instructs the server on how to handle objects in the request containing unknown or duplicate fields. Valid values are: Ignore, Warn, Strict.", "string"),
    ];
    if patch {
        params.push(query_param(
            "force",
            "Force is going to \"force\" Apply requests.",
            "boolean",
        ));
    }
    params
}

fn operation(action: &str, gvk: &Value, params: Vec<Value>) -> Value {
    json!({
        "parameters": params,
        "responses": {"200": {"description": "OK"}, "401": {"description": "Unauthorized"}},
        "x-kubernetes-action": action,
        "x-kubernetes-group-version-kind": gvk,
    })
}

fn scope_params(r: &Resource) -> Vec<Value> {
    let mut params = Vec::new();
    if r.namespaced {
        params.push(path_param(
            "namespace",
            "object name and auth scope, such as for teams and projects".into(),
        ));
    }
    params.push(query_param(
        "pretty",
        "If 'true', then the output is pretty printed.",
        "string",
    ));
    params
}

fn collection_item(r: &Resource, gvk: &Value) -> Value {
    json!({
        "parameters": scope_params(r),
        "get": operation("list", gvk, vec![
            query_param("labelSelector", "A selector to restrict the list of returned objects by their labels.", "string"),
            query_param("fieldSelector", "A selector to restrict the list of returned objects by their fields.", "string"),
            query_param("watch", "Watch for changes to the described resources.", "boolean"),
        ]),
        "post": operation("post", gvk, write_params(false)),
        "delete": operation("deletecollection", gvk, Vec::new()),
    })
}

fn object_item(r: &Resource, gvk: &Value, sub: &str) -> Value {
    let mut params = vec![path_param(
        "name",
        format!(
            "name of the {}",
            if sub.is_empty() {
                r.kind.to_string()
            } else {
                "Scale".to_string()
            }
        ),
    )];
    params.extend(scope_params(r));
    let mut item = json!({
        "parameters": params,
        "get": operation("get", gvk, Vec::new()),
        "put": operation("put", gvk, write_params(false)),
        "patch": operation("patch", gvk, write_params(true)),
    });
    if sub.is_empty() {
        item["delete"] = operation("delete", gvk, Vec::new());
    }
    item
}

/// 64-bit FNV-1a: a stable content hash without another dependency.
fn fnv1a(text: &str) -> u64 {
    text.bytes().fold(0xcbf2_9ce4_8422_2325, |hash, byte| {
        (hash ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What kubectl's query-parameter check looks for: a PATCH of the kind that lists the
    /// parameter among its own.
    fn patch_supports(doc: &Value, group: &str, version: &str, kind: &str, param: &str) -> bool {
        doc["paths"].as_object().unwrap().values().any(|item| {
            let op = &item["patch"];
            op["x-kubernetes-group-version-kind"] == gvk_value(group, version, kind)
                && op["parameters"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .any(|p| p["name"] == param)
        })
    }

    #[test]
    fn every_served_kind_accepts_field_validation_on_patch() {
        for r in RESOURCES.iter() {
            let doc = group_version(&gv_path(r)).unwrap();
            assert!(
                patch_supports(doc, r.group, r.version, r.kind, "fieldValidation"),
                "{}",
                r.kind
            );
        }
    }

    #[test]
    fn the_root_points_at_each_document_with_a_content_hash() {
        let root = root();
        let url = root["paths"]["api/v1"]["serverRelativeURL"]
            .as_str()
            .unwrap();
        assert!(url.starts_with("/openapi/v3/api/v1?hash="), "{url}");
        assert!(group_version("api/v1").unwrap()["paths"]
            ["/api/v1/namespaces/{namespace}/pods/{name}"]
            .is_object());
        assert!(group_version("apis/nothing/v1").is_none());
    }

    #[test]
    fn the_scale_subresource_is_described_as_autoscaling_v1_scale() {
        let doc = group_version("apis/apps/v1").unwrap();
        let item = &doc["paths"]["/apis/apps/v1/namespaces/{namespace}/deployments/{name}/scale"];
        assert_eq!(
            item["patch"]["x-kubernetes-group-version-kind"]["kind"],
            "Scale"
        );
    }
}
