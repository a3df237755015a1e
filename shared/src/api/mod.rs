//! The Kubernetes API surface Kubeplay serves: which resources exist, how
//! objects are defaulted and validated, and small value types (quantities,
//! names) that several of those need.

pub mod decode;
pub mod defaults;
pub mod go_float;
pub mod meta;
pub mod metrics;
pub mod names;
pub mod pod_spec;
pub mod quantity;
pub mod resources;
pub mod validation;

pub use resources::{Resource, RESOURCES};
