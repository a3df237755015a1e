//! Why an xtask step failed, worded for the person reading CI output.
//!
//! Every step returns these instead of exiting, so `main` prints one clear line and exits non-zero.

use std::io;

#[derive(Debug, thiserror::Error)]
pub enum XtaskError {
    #[error("could not run `{command}`: {source}")]
    Spawn { command: String, source: io::Error },
    #[error("`{command}` failed ({status})")]
    Failed { command: String, status: String },
    #[error("{0}")]
    Missing(String),
    #[error("could not read {path}: {source}")]
    Read { path: String, source: io::Error },
    #[error("could not write {path}: {source}")]
    Write { path: String, source: io::Error },
    #[error("{0}")]
    Invalid(String),
}

pub type Result<T> = std::result::Result<T, XtaskError>;
