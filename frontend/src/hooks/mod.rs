//! Reusable page behaviour as custom hooks, so components stay free of core plumbing.

pub mod use_cluster;
