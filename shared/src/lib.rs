//! Kubeplay's control plane as a pure library.
//!
//! Nothing in this crate reads a clock, spawns a task or touches the network:
//! hosts (the browser tab, the agent, tests) feed it requests and the current
//! time and get back responses and watch events. That is what lets one core run
//! in wasm32 and natively, and lets tests replay an hour of cluster time
//! deterministically from a seed.

pub mod api;
pub mod apiserver;
pub mod control_plane;
pub mod controllers;
pub mod kubectl;
pub mod lessons;
pub mod manifest;
pub mod node_link;
pub mod node_protocol;
pub mod rng;
pub mod sim;
pub mod scheduler;
pub mod store;
pub mod workload;

pub use apiserver::{ApiServer, Request, Response};
pub use control_plane::ControlPlane;
pub use jiff::Timestamp;
/// For [`served_k8s_openapi_kinds!`] in other crates: the same k8s-openapi the core decodes with.
#[doc(hidden)]
pub use k8s_openapi;
