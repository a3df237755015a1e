//! Label and field selectors: which objects a list, a watch or a controller
//! (a Deployment's `selector`, a Service's pods) is about.
//!
//! Both parse with Kubernetes' grammar and fail with its messages, so
//! `kubectl get -l` and `--field-selector` behave as against a real cluster.

mod field;
mod label;
mod syntax;

pub use field::FieldSelector;
pub use label::{LabelSelector, Operator, Requirement};

use crate::apiserver::ApiError;

/// Why a selector was refused; every case is a 400 BadRequest.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SelectorError {
    /// Label selector grammar: `found 'b', expected: ...`.
    #[error("{0}")]
    Syntax(String),
    /// A label requirement that did not parse or validate.
    #[error("unable to parse requirement: {0}")]
    Requirement(String),
    /// Field errors of one requirement (`key: Invalid value: ...`).
    #[error("{0}")]
    InvalidRequirement(String),
    /// A `matchExpressions` operator other than In/NotIn/Exists/DoesNotExist.
    #[error("{0:?} is not a valid label selector operator")]
    Operator(String),
    /// A structured selector of the wrong JSON shape.
    #[error("{0}")]
    Malformed(String),
    /// A field selector term without an operator.
    #[error("invalid selector: '{selector}'; can't understand '{term}'")]
    FieldTerm { selector: String, term: String },
    #[error("invalid field selector: invalid escape sequence: {0}")]
    Escape(String),
    /// Go prints the rune's number here.
    #[error("invalid field selector: unescaped character in value: {0}")]
    Unescaped(u32),
    /// A field the kind's own field-label conversion does not know.
    #[error("field label not supported: {0}")]
    FieldNotSupported(String),
    /// A field of a kind that only supports the metadata fields.
    #[error("{0:?} is not a known field selector: only \"metadata.name\", \"metadata.namespace\"")]
    FieldUnknown(String),
}

impl From<SelectorError> for ApiError {
    fn from(e: SelectorError) -> Self {
        ApiError::bad_request(e.to_string())
    }
}
