//! Where the programs and files the harness needs live on this machine and in the workspace.

use crate::error::{HarnessError, Result};
use std::path::{Path, PathBuf};

/// Debian's name first; other distributions ship the same browser under the others.
const CHROMIUM_NAMES: [&str; 3] = ["chromium", "chromium-browser", "google-chrome"];

pub fn chromium() -> Result<PathBuf> {
    CHROMIUM_NAMES
        .iter()
        .find_map(|name| find_program(name))
        .ok_or(HarnessError::ProgramMissing {
            program: "chromium",
        })
}

pub fn chromedriver() -> Result<PathBuf> {
    find_program("chromedriver").ok_or(HarnessError::ProgramMissing {
        program: "chromedriver",
    })
}

fn find_program(name: &str) -> Option<PathBuf> {
    use std::os::unix::fs::PermissionsExt;
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join(name))
        .find(|p| {
            p.metadata()
                .is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
        })
}

pub fn workspace_root() -> PathBuf {
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    manifest.parent().unwrap_or(manifest).to_path_buf()
}

/// The built page: `KUBEPLAY_DIST` (set by `cargo xtask test`) or `<workspace>/dist`.
pub fn dist() -> Result<PathBuf> {
    let dir = std::env::var_os("KUBEPLAY_DIST")
        .map(PathBuf::from)
        .unwrap_or_else(|| workspace_root().join("dist"));
    if dir.join("index.html").is_file() {
        Ok(dir)
    } else {
        Err(HarnessError::DistMissing(dir))
    }
}

/// `<target>/e2e`, where screenshots and logs go; `CARGO_TARGET_DIR` is honoured like cargo does.
pub fn output_dir() -> PathBuf {
    let root = workspace_root();
    let target = match std::env::var_os("CARGO_TARGET_DIR") {
        Some(dir) if !dir.is_empty() => root.join(dir),
        _ => root.join("target"),
    };
    target.join("e2e")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn output_dir_is_under_a_target_directory() {
        assert!(output_dir().ends_with("e2e"));
        assert!(output_dir().is_absolute());
    }

    #[test]
    fn programs_are_found_on_path_and_missing_ones_are_not() {
        assert!(find_program("sh").is_some());
        assert!(find_program("surely-no-such-program-kubeplay").is_none());
    }
}
