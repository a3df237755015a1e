//! Validation of objects before they are stored, as the Kubernetes API server
//! does it: every problem is collected (not just the first) with its field path.

pub mod field_error;

pub use field_error::{FieldError, FieldErrorType, FieldPath};
