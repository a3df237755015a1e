//! `cargo xtask test`: every check the project has, in the order that fails fastest.
//!
//! Machine preflight, the core's wasm build, the page's trunk build, the demo images the agent's
//! container tests run, the agent binary those tests start, one `cargo test` over the whole
//! workspace whose browser tests load that freshly built page, and last the slow release build of
//! the agent for the Raspberry Pi.
//!
//! The agent is built here rather than from inside the test processes: a build error then shows
//! as cargo's own diagnostics at a step of its own, not as a panic in whichever test ran first.

use crate::build_agent::{self, PI_TARGET};
use crate::demo_image;
use crate::error::Result;
use crate::preflight;
use crate::tools;

pub fn run() -> Result<()> {
    let browser = preflight::browser("the browser tests")?;
    let docker = preflight::docker("the container tests")?;
    let pi = preflight::pi_toolchain("the Raspberry Pi agent build")?;
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
    let agent = build_agent::build_host_debug()?;
    tools::run(
        tools::cargo()
            .args(["test", "--workspace"])
            .env("KUBEPLAY_DIST", &dist)
            .env("KUBEPLAY_AGENT_BIN", &agent),
    )?;
    if pi {
        build_agent::build(&build_agent::Options {
            target: PI_TARGET.to_string(),
            release: true,
        })?;
    }
    if !browser {
        eprintln!("xtask: WARNING: the browser tests were SKIPPED (no chromium/chromedriver)");
    }
    if !docker {
        eprintln!("xtask: WARNING: the container tests were SKIPPED (no Docker engine)");
    }
    if !pi {
        eprintln!(
            "xtask: WARNING: the Raspberry Pi agent build was SKIPPED (no aarch64 cross toolchain)"
        );
    }
    Ok(())
}
