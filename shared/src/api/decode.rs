//! Placeholder until the strict decoder lands: accepts any JSON object.
use crate::api::Resource;
use crate::apiserver::ApiError;
use serde_json::Value;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldValidation { Ignore, Warn, Strict }
impl FieldValidation {
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s { "Ignore" => Self::Ignore, "Warn" => Self::Warn, "Strict" => Self::Strict, _ => return None })
    }
}
pub struct Decoded { pub object: Value, pub warnings: Vec<String> }
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct DecodeError(String);
impl From<DecodeError> for ApiError {
    fn from(e: DecodeError) -> Self { ApiError::bad_request(e.0) }
}
pub fn decode(_resource: &Resource, body: &[u8], _v: FieldValidation) -> Result<Decoded, DecodeError> {
    let object: Value = serde_json::from_slice(body).map_err(|e| DecodeError(e.to_string()))?;
    if !object.is_object() { return Err(DecodeError("not an object".into())); }
    Ok(Decoded { object, warnings: vec![] })
}
