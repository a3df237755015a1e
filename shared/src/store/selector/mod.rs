//! Placeholder until selectors land: only the empty selector.
mod field;
mod label;
pub use field::FieldSelector;
pub use label::LabelSelector;
use crate::apiserver::ApiError;
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct SelectorError(String);
impl From<SelectorError> for ApiError { fn from(e: SelectorError) -> Self { ApiError::bad_request(e.0) } }
