//! `kubeplay-agent` as a library: the parts the binary is built from, reachable by the agent's
//! integration tests (`agent/tests/`) in-process.

pub mod network;
pub mod runtime;
pub mod spdy;
