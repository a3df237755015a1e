//! The page's handle on the in-tab control plane: builds API requests, reads list responses.
//!
//! The clock stays outside (every call takes `now`) so this runs and is tested natively too.

use crate::kinds::ObjectKind;
use crate::rows::ObjectRow;
use kubeplay_shared::{ApiServer, Request, Timestamp};
use serde_json::Value;

/// Why a list request yielded no rows, worded with the API's own message.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ClusterError {
    #[error("GET {path}: {code} {message}")]
    Rejected { path: String, code: u16, message: String },
    #[error("GET {path}: the response is not a list")]
    NotAList { path: String },
}

pub struct Cluster {
    api: ApiServer,
}

impl Cluster {
    pub fn new(seed: u64) -> Self {
        Self { api: ApiServer::new(seed) }
    }

    /// Names of all namespaces, in the order the API lists them.
    pub fn namespaces(&mut self, now: Timestamp) -> Result<Vec<String>, ClusterError> {
        let items = self.list("/api/v1/namespaces", now)?;
        Ok(items
            .iter()
            .filter_map(|ns| ns.pointer("/metadata/name").and_then(Value::as_str).map(str::to_string))
            .collect())
    }

    /// One row per object of `kind` in `namespace`.
    pub fn objects(&mut self, kind: ObjectKind, namespace: &str, now: Timestamp) -> Result<Vec<ObjectRow>, ClusterError> {
        let items = self.list(&kind.list_path(namespace), now)?;
        Ok(items.iter().map(|obj| ObjectRow::from_object(kind, obj)).collect())
    }

    fn list(&mut self, path: &str, now: Timestamp) -> Result<Vec<Value>, ClusterError> {
        let response = self.api.handle(&Request::get(path), now);
        let body = response.json_body();
        let code = response.status();
        if code != 200 {
            let message = body.get("message").and_then(Value::as_str).unwrap_or("no message").to_string();
            return Err(ClusterError::Rejected { path: path.to_string(), code, message });
        }
        match body.get("items") {
            Some(Value::Array(items)) => Ok(items.clone()),
            _ => Err(ClusterError::NotAList { path: path.to_string() }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_resource_surfaces_the_api_status_code() {
        let mut cluster = Cluster::new(1);
        let err = cluster.list("/api/v1/namespaces/default/nosuchthings", Timestamp::UNIX_EPOCH).unwrap_err();
        assert!(matches!(err, ClusterError::Rejected { code: 404, .. }), "{err:?}");
        assert!(err.to_string().starts_with("GET /api/v1/namespaces/default/nosuchthings: 404"), "{err}");
    }
}
