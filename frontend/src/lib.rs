//! Kubeplay's page, as a library shared by its two programs: `kubeplay` (the UI on the main
//! thread) and `kubeplay-worker` (the control plane in a Web Worker).
//!
//! UI side: `app`, `components`, `hooks`, `client`, `state`. Worker side: `host`. Both: the
//! `protocol` between them and the `view` model the worker builds and the UI draws.

pub mod app;
pub mod automation;
pub mod bench;
pub mod browser_files;
pub mod client;
pub mod clock;
pub mod components;
pub mod diff;
pub mod hooks;
pub mod host;
pub mod kinds;
pub mod protocol;
pub mod query;
pub mod state;
pub mod table;
pub mod view;
pub mod vt;
pub mod workspace;

/// Seed when the URL gives none: a fixed one keeps generated names and uids stable across reloads.
pub const DEFAULT_SEED: u64 = 1;
