//! The offline body of the cluster: simulated nodes whose kubelets run pods
//! through Kubernetes' lifecycle, with images that behave, probes, and load.
//!
//! Everything is driven by the `now` the host passes in, so a test can run an
//! hour of a simulated node's life in milliseconds.

pub mod dns;
pub mod exec;
pub mod env;
pub mod images;
pub mod kubelet;
pub mod metrics;
pub mod nodes;
pub mod probes;
pub mod shell;
pub mod traffic;
pub mod volumes;

pub use env::container_env;
pub use kubelet::SimKubelet;
pub use nodes::{add_node, remove_node, resize_node, set_failed, set_unschedulable, NodeSpec};
