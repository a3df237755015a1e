//! What the browser tests and the agent's container tests need from the machine.
//!
//! Checked before the long steps so CI fails in seconds with a clear message instead of deep inside
//! a test, and so a developer without a browser sees one loud line about what is skipped.

use crate::error::{Result, XtaskError};
use crate::tools;
use std::path::PathBuf;
use std::process::Command;
use std::time::Duration;

/// Debian's name first; other distributions ship the same program under the others.
const CHROMIUM_NAMES: [&str; 3] = ["chromium", "chromium-browser", "google-chrome"];

pub fn chromium() -> Option<PathBuf> {
    CHROMIUM_NAMES
        .iter()
        .find_map(|name| tools::find_program(name))
}

pub fn chromedriver() -> Option<PathBuf> {
    tools::find_program("chromedriver")
}

/// Whether headless Chromium can be driven; under CI its absence is an error.
pub fn browser(what: &str) -> Result<bool> {
    let ok = chromium().is_some() && chromedriver().is_some();
    require(
        ok,
        what,
        "headless browser (chromium + chromedriver; Debian: apt-get install chromium chromium-driver, or `cargo xtask setup` as root)",
    )
}

/// Whether a Docker engine answers, not merely whether its client is installed; under CI its
/// absence is an error.
pub fn docker(what: &str) -> Result<bool> {
    let ok = docker_answers();
    require(
        ok,
        what,
        "Docker engine (`docker info` did not answer: is the daemon running?)",
    )
}

/// `docker info` succeeds within a bound: a hung daemon must not hang CI.
pub fn docker_answers() -> bool {
    tools::succeeds_within(Command::new("docker").arg("info"), Duration::from_secs(20))
}

fn require(ok: bool, what: &str, missing: &str) -> Result<bool> {
    decide(ok, tools::is_ci(), what, missing)
}

fn decide(ok: bool, ci: bool, what: &str, missing: &str) -> Result<bool> {
    if ok {
        return Ok(true);
    }
    if ci {
        return Err(XtaskError::Missing(format!(
            "CI=true but {what} lack a {missing}"
        )));
    }
    eprintln!("################################################################");
    eprintln!("## WARNING: no {missing}");
    eprintln!("## {what} will be SKIPPED (under CI=true this is a failure)");
    eprintln!("################################################################");
    Ok(false)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_missing_capability_fails_under_ci_naming_what_needs_it() {
        let err = decide(false, true, "the browser tests", "headless browser").unwrap_err();
        assert_eq!(
            err.to_string(),
            "CI=true but the browser tests lack a headless browser"
        );
    }

    #[test]
    fn a_missing_capability_is_a_skip_outside_ci() {
        assert!(!decide(false, false, "the browser tests", "headless browser").unwrap());
        assert!(decide(true, true, "the browser tests", "headless browser").unwrap());
    }
}
