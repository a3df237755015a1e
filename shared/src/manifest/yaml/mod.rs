//! The YAML dialect Kubernetes speaks: go-yaml v2 semantics for reading
//! (via saphyr's event parser) and libyaml's emitter rules for writing.

pub mod emit;
pub mod number;
pub(crate) mod parse;
pub mod scalar;
