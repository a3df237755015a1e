//! Where the `kubeplay-agent` binary under test comes from: `KUBEPLAY_AGENT_BIN` when set,
//! else cargo builds it (in this workspace's target directory) and says where it put it, which
//! works the same from a fresh clone as from a warm tree.

use super::{AgentHarnessError, Result};
use crate::locate::workspace_root;
use std::path::PathBuf;
use std::process::Command;
use std::sync::OnceLock;

/// The debug binary, built once per test process.
pub fn agent_binary() -> Result<PathBuf> {
    static BUILT: OnceLock<std::result::Result<PathBuf, String>> = OnceLock::new();
    BUILT
        .get_or_init(|| match std::env::var_os("KUBEPLAY_AGENT_BIN") {
            Some(path) if !path.is_empty() => Ok(PathBuf::from(path)),
            _ => build(false),
        })
        .clone()
        .map_err(AgentHarnessError::Build)
}

/// The release binary (what users run and what the benchmark measures).
pub fn release_binary() -> Result<PathBuf> {
    build(true).map_err(AgentHarnessError::Build)
}

fn build(release: bool) -> std::result::Result<PathBuf, String> {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut command = Command::new(cargo);
    command.current_dir(workspace_root()).args([
        "build",
        "-p",
        "kubeplay-agent",
        "--bin",
        "kubeplay-agent",
        "--message-format=json-render-diagnostics",
    ]);
    if release {
        command.arg("--release");
    }
    let output = command
        .output()
        .map_err(|e| format!("cannot run cargo: {e}"))?;
    if !output.status.success() {
        let stderr = String::from_utf8_lossy(&output.stderr);
        let tail: Vec<&str> = stderr.lines().rev().take(40).collect();
        let tail: Vec<&str> = tail.into_iter().rev().collect();
        return Err(format!(
            "cargo build exited with {}:\n{}",
            output.status,
            tail.join("\n")
        ));
    }
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .filter_map(|line| serde_json::from_str::<serde_json::Value>(line).ok())
        .filter(|m| m["reason"] == "compiler-artifact" && m["target"]["name"] == "kubeplay-agent")
        .find_map(|m| m["executable"].as_str().map(PathBuf::from))
        .ok_or_else(|| "cargo built no kubeplay-agent executable".to_string())
}
