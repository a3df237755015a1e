//! `cargo xtask build-agent [--target TRIPLE] [--release]`: the node agent for another machine,
//! by default a Raspberry Pi (`aarch64-unknown-linux-gnu`), linked with Debian's cross gcc.
//!
//! The linker comes from `.cargo/config.toml`; the result is checked to be an ELF for the
//! target's CPU, so a silently native build cannot pass for a Pi binary.

use crate::elf;
use crate::error::{Result, XtaskError};
use crate::setup;
use crate::tools::{self, output_of};
use std::path::PathBuf;
use std::process::Command;

pub const PI_TARGET: &str = "aarch64-unknown-linux-gnu";
/// Debian's `gcc-aarch64-linux-gnu`, named as the linker in `.cargo/config.toml`.
pub const PI_LINKER: &str = "aarch64-linux-gnu-gcc";

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Options {
    pub target: String,
    pub release: bool,
}

/// `[--target TRIPLE] [--release]`, in any order.
pub fn parse_args(args: &[String]) -> Result<Options> {
    let mut options = Options {
        target: PI_TARGET.to_string(),
        release: false,
    };
    let mut args = args.iter();
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--release" => options.release = true,
            "--target" => {
                let target = args.next().ok_or_else(|| {
                    XtaskError::Invalid("--target needs a target triple".into())
                })?;
                options.target = target.clone();
            }
            other => match other.strip_prefix("--target=") {
                Some(target) => options.target = target.to_string(),
                None => {
                    return Err(XtaskError::Invalid(format!(
                        "build-agent: unexpected argument `{other}` (expected [--target TRIPLE] [--release])"
                    )))
                }
            },
        }
    }
    if elf::machine_of_target(&options.target).is_none() {
        return Err(XtaskError::Invalid(format!(
            "build-agent: unsupported target `{}` (x86_64-… or aarch64-… Linux targets)",
            options.target
        )));
    }
    Ok(options)
}

pub fn run(args: &[String]) -> Result<()> {
    build(&parse_args(args)?).map(|_| ())
}

/// The debug agent for this machine, as the end-to-end tests run it.
pub fn build_host_debug() -> Result<PathBuf> {
    tools::run(tools::cargo().args(["build", "-p", "kubeplay-agent", "--bin", "kubeplay-agent"]))?;
    let binary = tools::target_dir().join("debug").join("kubeplay-agent");
    if !binary.is_file() {
        return Err(XtaskError::Invalid(format!(
            "cargo reported success but built no {}",
            binary.display()
        )));
    }
    Ok(binary)
}

/// Builds the agent and returns the checked binary.
pub fn build(options: &Options) -> Result<PathBuf> {
    let target = options.target.as_str();
    if !setup::has_std_for(target) {
        return Err(XtaskError::Missing(format!(
            "the Rust target {target} is missing: rustup target add {target} (or `cargo xtask setup`)"
        )));
    }
    if target == PI_TARGET && tools::find_program(PI_LINKER).is_none() {
        return Err(XtaskError::Missing(format!(
            "{PI_LINKER} is missing: apt-get install gcc-aarch64-linux-gnu libc6-dev-arm64-cross (or `cargo xtask setup` as root)"
        )));
    }
    let mut cmd = tools::cargo();
    cmd.args(["build", "-p", "kubeplay-agent", "--target", target]);
    if options.release {
        cmd.arg("--release");
    }
    tools::run(&mut cmd)?;
    let profile = if options.release { "release" } else { "debug" };
    let binary = tools::target_dir()
        .join(target)
        .join(profile)
        .join("kubeplay-agent");
    let facts = elf::read(&binary)?;
    let expected = elf::machine_of_target(target).unwrap_or_default();
    if facts.machine != expected {
        return Err(XtaskError::Invalid(format!(
            "{} is for {}, not {}",
            binary.display(),
            elf::machine_name(facts.machine),
            elf::machine_name(expected)
        )));
    }
    if let Some(described) = output_of(Command::new("file").arg("--brief").arg(&binary)) {
        println!("build-agent: file: {}", described.trim());
    }
    let size = std::fs::metadata(&binary)
        .map(|m| m.len())
        .unwrap_or_default();
    println!(
        "build-agent: {} ({}, {:.1} MB)",
        binary.display(),
        elf::machine_name(facts.machine),
        size as f64 / 1_000_000.0
    );
    Ok(binary)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(list: &[&str]) -> Vec<String> {
        list.iter().map(|a| a.to_string()).collect()
    }

    #[test]
    fn the_default_is_a_debug_build_for_the_pi() {
        let options = parse_args(&[]).unwrap();
        assert_eq!(options.target, PI_TARGET);
        assert!(!options.release);
    }

    #[test]
    fn target_and_release_are_read_in_either_form_and_order() {
        let a = parse_args(&args(&[
            "--release",
            "--target",
            "x86_64-unknown-linux-gnu",
        ]))
        .unwrap();
        let b = parse_args(&args(&["--target=x86_64-unknown-linux-gnu", "--release"])).unwrap();
        assert_eq!(a, b);
        assert_eq!(a.target, "x86_64-unknown-linux-gnu");
        assert!(a.release);
    }

    #[test]
    fn unknown_arguments_and_targets_are_rejected() {
        assert!(parse_args(&args(&["--fast"])).is_err());
        assert!(parse_args(&args(&["--target"])).is_err());
        let err = parse_args(&args(&["--target", "riscv64gc-unknown-linux-gnu"])).unwrap_err();
        assert!(err
            .to_string()
            .contains("unsupported target `riscv64gc-unknown-linux-gnu`"));
    }
}
