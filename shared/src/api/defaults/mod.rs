//! Defaulting: the fields the API server fills in when a client leaves them out.
use crate::api::Resource;
use serde_json::Value;
pub fn apply(_resource: &Resource, _obj: &mut Value) {}
