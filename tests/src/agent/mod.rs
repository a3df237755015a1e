//! Harness for the agent's cross-process tests and benchmark: builds and starts the real
//! `kubeplay-agent` binary, speaks the node protocol to it as a control plane would, and looks
//! at the real Docker engine to check what the agent did.
//!
//! Tests call [`docker::engine_or_skip`]: without a Docker engine they skip loudly, under
//! `CI=true` they fail.

pub mod bench;
pub mod binary;
pub mod cluster;
pub mod docker;
pub mod lan;
pub mod link;
pub mod page_bench;
pub mod pods;
pub mod traffic;
pub mod process;

pub use link::Link;
pub use process::{AgentOptions, AgentProcess};

/// Why the harness could not do its part.
#[derive(Debug, thiserror::Error)]
pub enum AgentHarnessError {
    #[error("building kubeplay-agent failed: {0}")]
    Build(String),
    #[error("starting kubeplay-agent failed: {0}")]
    Start(String),
    #[error("Docker: {0}")]
    Docker(String),
    #[error("the node link: {0}")]
    Link(String),
    #[error("timed out after {seconds} s waiting for {what}")]
    Timeout { what: String, seconds: u64 },
}

pub type Result<T> = std::result::Result<T, AgentHarnessError>;
