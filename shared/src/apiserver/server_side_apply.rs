//! Server-side apply (`PATCH` with `application/apply-patch+yaml`), as `kubectl apply
//! --server-side` and helm 4 send it: the body is the whole configuration its field manager
//! wants; the object is created from it when missing and otherwise merged into.
//!
//! The merge is the strategic merge of the applied configuration into the live object, so
//! lists keyed by name merge as Kubernetes merges them. Field ownership is not tracked yet: a
//! field a manager stops applying is kept rather than removed, and there are no conflicts.

use super::{patch, ApiError, ApiServer, WriteOptions};
use crate::api::decode::{self, FieldValidation};
use crate::api::resources::Resource;
use jiff::Timestamp;
use serde_json::Value;

/// The content type of an apply patch.
pub const APPLY_PATCH: &str = "application/apply-patch+yaml";

/// What an apply did, for the status code: 201 when it created the object.
pub struct Applied {
    pub object: Value,
    pub created: bool,
    pub warnings: Vec<String>,
}

impl ApiServer {
    /// Applies `body` (YAML or JSON) as field manager `manager` to `name`.
    #[allow(clippy::too_many_arguments)]
    pub fn server_side_apply(
        &mut self,
        resource: &'static Resource,
        namespace: &str,
        name: &str,
        body: &[u8],
        manager: Option<&str>,
        now: Timestamp,
        opts: WriteOptions,
    ) -> Result<Applied, ApiError> {
        if manager.is_none_or(str::is_empty) {
            return Err(ApiError::bad_request(
                "PATCH requests with apply content type must specify fieldManager",
            ));
        }
        let text = std::str::from_utf8(body).map_err(|_| ApiError::bad_request("request body is not UTF-8"))?;
        let applied = crate::manifest::parse_document(text)
            .map_err(|e| ApiError::bad_request(format!("error decoding YAML: {e}")))?
            .value;
        let body_name = applied.pointer("/metadata/name").and_then(Value::as_str).unwrap_or("");
        if body_name != name {
            return Err(ApiError::bad_request(format!(
                "the name of the object ({body_name}) does not match the name on the URL ({name})"
            )));
        }
        let validation = if opts.field_validation == FieldValidation::Warn { FieldValidation::Strict } else { opts.field_validation };
        match self.get(resource, namespace, name) {
            Err(e) if e.reason == super::Reason::NotFound => {
                let decoded = decode::decode_value(resource, &applied, validation)?;
                let created = self.create(resource, namespace, decoded.object, now, opts)?;
                Ok(Applied { object: created.as_ref().clone(), created: true, warnings: decoded.warnings })
            }
            Err(e) => Err(e),
            Ok(current) => {
                let current = current.clone();
                let merge = serde_json::to_vec(&applied).unwrap_or_default();
                let merged = patch::apply_patch(resource.kind, &current, patch::PatchType::StrategicMerge, &merge)?;
                let decoded = decode::decode_value(resource, &merged, validation)?;
                let updated = self.update(resource, namespace, name, decoded.object, None, now, opts)?;
                Ok(Applied { object: updated.as_ref().clone(), created: false, warnings: decoded.warnings })
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::apiserver::{ApiServer, Request};
    use jiff::Timestamp;

    fn t0() -> Timestamp {
        "2026-01-01T00:00:00Z".parse().unwrap()
    }

    const PATH: &str = "/api/v1/namespaces/default/configmaps/app-config?fieldManager=helm";

    fn apply(api: &mut ApiServer, path: &str, yaml: &str) -> crate::apiserver::Response {
        api.handle(&Request::patch(path, super::APPLY_PATCH, yaml.as_bytes().to_vec()), t0())
    }

    #[test]
    fn applying_a_missing_object_creates_it_and_again_merges_into_it() {
        let mut api = ApiServer::new(1, t0());
        let first = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: app-config\ndata:\n  A: \"1\"\n";
        let created = apply(&mut api, PATH, first);
        assert_eq!(created.status(), 201, "{:?}", created.json_body());
        let second = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: app-config\ndata:\n  B: \"2\"\n";
        let updated = apply(&mut api, PATH, second);
        assert_eq!(updated.status(), 200, "{:?}", updated.json_body());
        assert_eq!(updated.json_body()["data"], serde_json::json!({"A": "1", "B": "2"}));
    }

    #[test]
    fn an_apply_needs_a_field_manager_and_a_valid_object() {
        let mut api = ApiServer::new(1, t0());
        let rv = api.store().revision();
        let yaml = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: app-config\n";
        let path = "/api/v1/namespaces/default/configmaps/app-config";
        assert_eq!(apply(&mut api, path, yaml).status(), 400);
        let typo = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: app-config\ndatta: {}\n";
        let refused = apply(&mut api, PATH, typo);
        assert_eq!(refused.status(), 400);
        assert!(refused.json_body()["message"].as_str().unwrap().contains("unknown field \"datta\""));
        assert_eq!(api.store().revision(), rv, "nothing changed");
    }
}
