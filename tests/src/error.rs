//! What can go wrong while driving the browser, split into "this machine lacks something" (a skip
//! outside CI) and everything else (always a failure).

use std::io;
use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum HarnessError {
    #[error("{program} not found on PATH (Debian: apt-get install chromium chromium-driver)")]
    ProgramMissing { program: &'static str },
    #[error("no built page at {0} (run `cargo xtask test`, which builds it with trunk)")]
    DistMissing(PathBuf),
    #[error("I/O with {what}: {source}")]
    Io { what: String, source: io::Error },
    #[error("malformed HTTP response from {0}")]
    Http(String),
    #[error("WebDriver {command}: {error}: {message}")]
    WebDriver {
        command: String,
        error: String,
        message: String,
    },
    #[error("chromedriver did not become ready on port {0}")]
    DriverNotReady(u16),
    #[error("timed out after {seconds}s waiting for {what}; page text: {page_text:?}; browser console: {console:?}")]
    Timeout {
        what: String,
        seconds: u64,
        page_text: String,
        /// The page's last console messages: why a page that never drew anything failed.
        console: Vec<String>,
    },
    #[error("unexpected answer: {0}")]
    Unexpected(String),
}

impl HarnessError {
    pub fn io(what: impl Into<String>) -> impl FnOnce(io::Error) -> Self {
        let what = what.into();
        move |source| Self::Io { what, source }
    }

    /// The machine, not the code under test, is missing something.
    pub fn is_environment(&self) -> bool {
        matches!(self, Self::ProgramMissing { .. } | Self::DistMissing(_))
    }
}

pub type Result<T> = std::result::Result<T, HarnessError>;
