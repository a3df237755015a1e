//! Manifests: multi-document YAML (or JSON) as users write it, parsed with the
//! line and column of every field so errors can point at the source.

// Placeholder until the YAML module lands: JSON documents only.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct ManifestError(String);
pub struct Document { pub value: serde_json::Value }
pub fn parse_document(source: &str) -> Result<Document, ManifestError> {
    Ok(Document { value: serde_json::from_str(source).map_err(|e| ManifestError(e.to_string()))? })
}
