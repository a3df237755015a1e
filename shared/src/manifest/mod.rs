//! Manifests: multi-document YAML (or JSON) as users write it, parsed with the
//! line and column of every field so errors can point at the source.
