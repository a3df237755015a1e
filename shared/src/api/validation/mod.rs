//! Validation of objects before they are stored, as the Kubernetes API server
//! does it: every problem is collected (not just the first) with its field path.

pub mod field_error;

pub use field_error::{FieldError, FieldErrorType, FieldPath};
use crate::api::Resource;
use serde_json::Value;
pub fn validate_create(_resource: &Resource, _obj: &Value) -> Vec<FieldError> { Vec::new() }
pub fn validate_update(_resource: &Resource, _new: &Value, _old: &Value) -> Vec<FieldError> { Vec::new() }
