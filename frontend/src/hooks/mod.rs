//! Reusable page behaviour as custom hooks, so components stay free of worker plumbing.

pub mod use_cluster;
