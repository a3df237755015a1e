//! The node protocol: every message that crosses the WebSocket between a control plane (the
//! browser tab, or an agent's embedded one) and a `kubeplay-agent` running pods on a real machine.
//!
//! The control plane resolves everything the agent needs before sending a pod (env values from
//! ConfigMaps and Secrets, volume contents), so an agent never reads the API itself: it runs
//! what it is given and reports back what happened.

pub mod pod;

pub use pod::{DesiredPod, EnvVar, FileContent, ResolvedVolume};
