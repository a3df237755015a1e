//! When a browser test may skip: outside CI a machine without Chromium skips loudly; under
//! `CI=true` the same gap fails the test, so CI can never pass by testing nothing.

use crate::error::HarnessError;
use crate::page::Page;

pub fn is_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| v == "true" || v == "1")
}

/// Launches the page for `test`, or returns `None` after a loud notice when this machine cannot
/// run browser tests. Panics (fails the test) under CI and on any error that is not the machine's.
pub fn page_or_skip(test: &str) -> Option<Page> {
    match Page::launch(test) {
        Ok(page) => Some(page),
        Err(err) => decide(test, &err, is_ci()),
    }
}

/// Whether the Docker engine has `images` (the demo images of `cargo xtask demo-image`);
/// without them a test skips loudly, and under `CI=true` (where `cargo xtask test` builds them)
/// fails.
pub fn images_or_skip(test: &str, images: &[&str]) -> bool {
    let found = std::process::Command::new("docker")
        .args(["image", "inspect", "--format", "{{.Id}}"])
        .args(images)
        .output();
    let missing = match found {
        Ok(out) if out.status.success() => return true,
        Ok(out) => String::from_utf8_lossy(&out.stderr).trim().to_string(),
        Err(e) => format!("cannot run docker: {e}"),
    };
    if is_ci() {
        panic!("{test}: CI=true requires Docker and the demo images (cargo xtask demo-image): {missing}");
    }
    eprintln!("\n######## SKIPPED {test}: needs Docker and `cargo xtask demo-image`: {missing} ########\n");
    false
}

fn decide(test: &str, err: &HarnessError, ci: bool) -> Option<Page> {
    if !err.is_environment() {
        panic!("{test}: could not start the browser: {err}");
    }
    if ci {
        panic!("{test}: CI=true requires the browser tests to run, but: {err}");
    }
    eprintln!("\n######## SKIPPED browser test {test}: {err} ########\n");
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::PathBuf;

    #[test]
    fn missing_browser_skips_outside_ci() {
        let err = HarnessError::ProgramMissing {
            program: "chromium",
        };
        assert!(decide("t", &err, false).is_none());
    }

    #[test]
    #[should_panic(expected = "CI=true requires the browser tests to run")]
    fn missing_browser_fails_under_ci() {
        decide(
            "t",
            &HarnessError::DistMissing(PathBuf::from("/x/dist")),
            true,
        );
    }

    #[test]
    #[should_panic(expected = "could not start the browser")]
    fn a_broken_driver_fails_even_outside_ci() {
        decide("t", &HarnessError::DriverNotReady(9515), false);
    }
}
