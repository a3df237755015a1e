//! `cargo xtask setup`: brings a fresh Debian machine with only rustup and cargo to the point where
//! `cargo xtask test` can run, and costs a few version checks when everything is already there.

use crate::error::{Result, XtaskError};
use crate::preflight;
use crate::tools::{self, output_of};
use std::process::Command;

const WASM_TARGET: &str = "wasm32-unknown-unknown";
/// Pinned: newer trunks change config and tool resolution under us.
pub const TRUNK_VERSION: &str = "0.21.14";

pub fn run() -> Result<()> {
    wasm_target()?;
    trunk()?;
    wasm_bindgen()?;
    crates()?;
    browser()
}

fn report(tool: &str, state: &str) {
    println!("setup: {tool:<32} {state}");
}

fn wasm_target() -> Result<()> {
    let installed = output_of(Command::new("rustup").args(["target", "list", "--installed"]))
        .is_some_and(|out| out.lines().any(|l| l.trim() == WASM_TARGET));
    if installed {
        report(&format!("rustup target {WASM_TARGET}"), "present");
        return Ok(());
    }
    tools::run(Command::new("rustup").args(["target", "add", WASM_TARGET]))?;
    report(&format!("rustup target {WASM_TARGET}"), "installed");
    Ok(())
}

/// `trunk --version` prints `trunk 0.21.14`.
fn trunk() -> Result<()> {
    let name = format!("trunk {TRUNK_VERSION}");
    let found = output_of(tools::trunk().arg("--version"));
    if found.as_deref().map(str::trim) == Some(name.as_str()) {
        report(&name, "present");
        return Ok(());
    }
    tools::run(tools::cargo().args(["install", "trunk", "--version", TRUNK_VERSION, "--locked"]))?;
    report(&name, "installed");
    Ok(())
}

/// The CLI must match the wasm-bindgen crate in Cargo.lock exactly, or trunk refuses the output.
/// No `--locked`: the CLI's own lock file pins dependencies that no longer build on new rustc.
fn wasm_bindgen() -> Result<()> {
    let lock_path = tools::workspace_root().join("Cargo.lock");
    let lock = std::fs::read_to_string(&lock_path).map_err(|source| XtaskError::Read {
        path: lock_path.display().to_string(),
        source,
    })?;
    let version = tools::locked_version(&lock, "wasm-bindgen").ok_or_else(|| {
        XtaskError::Invalid("Cargo.lock does not pin exactly one wasm-bindgen version".into())
    })?;
    let name = format!("wasm-bindgen-cli {version}");
    let found = tools::find_program("wasm-bindgen")
        .and_then(|p| output_of(Command::new(p).arg("--version")));
    if found.as_deref().map(str::trim) == Some(format!("wasm-bindgen {version}").as_str()) {
        report(&name, "present");
        return Ok(());
    }
    tools::run(tools::cargo().args(["install", "wasm-bindgen-cli", "--version", &version]))?;
    report(&name, "installed");
    Ok(())
}

/// Trunk builds with `cargo --offline` (Trunk.toml), so every locked crate must be here first.
fn crates() -> Result<()> {
    tools::run(tools::cargo().args(["fetch", "--quiet"]))?;
    report("crates in Cargo.lock", "fetched");
    Ok(())
}

/// Debian's chromium and its matching chromedriver (plus a font, so screenshots show text);
/// installable only as root.
fn browser() -> Result<()> {
    let present = preflight::chromium().is_some() && preflight::chromedriver().is_some();
    if present {
        report("chromium + chromium-driver", "present");
        return Ok(());
    }
    let root = output_of(Command::new("id").arg("-u")).is_some_and(|uid| uid.trim() == "0");
    if !root {
        report(
            "chromium + chromium-driver",
            "MISSING (not root: apt-get install chromium chromium-driver; browser tests will skip)",
        );
        return Ok(());
    }
    tools::run(
        Command::new("apt-get")
            .arg("update")
            .env("DEBIAN_FRONTEND", "noninteractive"),
    )?;
    tools::run(
        Command::new("apt-get")
            .args([
                "install",
                "-y",
                "--no-install-recommends",
                "chromium",
                "chromium-driver",
                "fonts-liberation",
            ])
            .env("DEBIAN_FRONTEND", "noninteractive"),
    )?;
    report("chromium + chromium-driver", "installed");
    Ok(())
}
