//! Shared fixtures for the validation tests: objects defaulted first, as the
//! API server defaults before it validates, and errors as the lines users read.

use super::FieldError;
use crate::api::defaults;
use crate::api::resources::by_kind;
use serde_json::Value;

/// The object after the defaults of its `kind` (which must be served).
pub(crate) fn defaulted(mut obj: Value) -> Value {
    let kind = obj["kind"].as_str().unwrap_or_default().to_string();
    let resource = by_kind(&kind).unwrap_or_else(|| panic!("{kind} is not served"));
    defaults::apply(resource, &mut obj);
    obj
}

/// Each error as `path: Kind: value: detail`, as kubectl prints causes.
pub(crate) fn messages(errs: &[FieldError]) -> Vec<String> {
    errs.iter().map(ToString::to_string).collect()
}
