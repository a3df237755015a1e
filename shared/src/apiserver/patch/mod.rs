//! Placeholder until the patch module lands.
use serde_json::Value;
use crate::apiserver::ApiError;
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PatchType { Json, Merge, StrategicMerge }
impl PatchType {
    pub fn from_content_type(ct: &str) -> Option<Self> {
        match ct.split(';').next().unwrap_or("").trim() {
            "application/json-patch+json" => Some(Self::Json),
            "application/merge-patch+json" => Some(Self::Merge),
            "application/strategic-merge-patch+json" => Some(Self::StrategicMerge),
            _ => None,
        }
    }
}
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct PatchError(String);
impl From<PatchError> for ApiError { fn from(e: PatchError) -> Self { ApiError::bad_request(e.0) } }
pub fn apply_patch(_kind: &str, target: &Value, _t: PatchType, patch: &[u8]) -> Result<Value, PatchError> {
    let p: Value = serde_json::from_slice(patch).map_err(|e| PatchError(e.to_string()))?;
    let mut out = target.clone();
    merge(&mut out, &p);
    Ok(out)
}
fn merge(t: &mut Value, p: &Value) {
    if let (Some(tm), Some(pm)) = (t.as_object_mut(), p.as_object()) {
        for (k, v) in pm {
            if v.is_null() { tm.remove(k); } else { merge(tm.entry(k.clone()).or_insert(Value::Null), v); }
        }
    } else { *t = p.clone(); }
}
