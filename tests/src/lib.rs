//! End-to-end harness: serves the built page, drives headless Chromium through chromedriver and
//! saves screenshots, with nothing but std and serde_json (no async runtime to compile in CI).
//!
//! Tests call [`policy::page_or_skip`]: without a browser it skips loudly, under `CI=true` it fails.

pub mod bench;
pub mod chromedriver;
pub mod error;
pub mod http;
pub mod locate;
pub mod page;
pub mod page_bench;
pub mod playground;
pub mod policy;
pub mod static_server;
pub mod webdriver;

pub use error::HarnessError;
pub use page::Page;
