//! `kubeplay-agent` as a library: the parts the binary is built from, reachable by the agent's
//! integration tests (`agent/tests/`) in-process.

pub mod runtime;
pub mod network;
pub mod spdy;
