//! End-to-end harness: serves the built page, drives headless Chromium through chromedriver and
//! saves screenshots (std and serde_json only); [`agent`] runs the real `kubeplay-agent` against
//! the real Docker engine (tokio, tungstenite and bollard, as the agent itself uses); [`kubectl`]
//! runs the real kubectl and helm against an agent hosting an embedded control plane.
//!
//! Tests call [`policy::page_or_skip`] or [`agent::docker::engine_or_skip`]: without a browser or
//! a Docker engine they skip loudly, under `CI=true` they fail.

pub mod agent;
pub mod bench;
pub mod chromedriver;
pub mod error;
pub mod http;
pub mod kubectl;
pub mod kubectl_bench;
pub mod locate;
pub mod page;
pub mod page_bench;
pub mod playground;
pub mod policy;
pub mod static_server;
pub mod webdriver;

pub use error::HarnessError;
pub use page::Page;
