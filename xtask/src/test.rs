//! `cargo xtask test`: every check the project has, in the order that fails fastest.
//!
//! Machine preflight, the core's wasm build, the page's trunk build, the demo images the agent's
//! container tests run, then one `cargo test` over the whole workspace whose browser tests load
//! that freshly built page.

use crate::demo_image;
use crate::error::Result;
use crate::preflight;
use crate::tools;

pub fn run() -> Result<()> {
    let browser = preflight::browser("the browser tests")?;
    let docker = preflight::docker("the container tests")?;
    tools::run(tools::cargo().args([
        "build",
        "-p",
        "kubeplay-shared",
        "--target",
        "wasm32-unknown-unknown",
    ]))?;
    let dist = tools::workspace_root().join("dist");
    tools::run(tools::trunk().arg("build").arg("--dist").arg(&dist))?;
    if docker {
        demo_image::build()?;
    }
    tools::run(
        tools::cargo()
            .args(["test", "--workspace"])
            .env("KUBEPLAY_DIST", &dist),
    )?;
    if !browser {
        eprintln!("xtask: WARNING: the browser tests were SKIPPED (no chromium/chromedriver)");
    }
    if !docker {
        eprintln!("xtask: WARNING: the container tests were SKIPPED (no Docker engine)");
    }
    Ok(())
}
