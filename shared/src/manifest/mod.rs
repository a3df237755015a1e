//! Manifests: multi-document YAML (or JSON) as users write it, parsed with the
//! line and column of every field so errors can point at the source.
//!
//! Reading follows what `kubectl apply -f` does (go-yaml v2 through
//! sigs.k8s.io/yaml); writing follows `kubectl get -o yaml`.

pub mod apply;
mod document;
mod error;
pub mod export;
mod position;
pub mod yaml;

pub use document::{expand_list, parse_document, parse_documents, Document};
pub use error::{ManifestError, ManifestErrorKind};
pub use export::export_yaml;
pub use position::Position;
pub use yaml::emit::{to_yaml, to_yaml_documents};
