//! Running external programs and locating them, the workspace and its target directory.
//!
//! Every step goes through these helpers so commands are echoed the same way and a failure always
//! names the command that failed.

use crate::error::{Result, XtaskError};
use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// The workspace root: xtask always lives one level below it.
pub fn workspace_root() -> PathBuf {
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    manifest.parent().unwrap_or(manifest).to_path_buf()
}

/// Cargo's target directory as cargo itself resolves it: `CARGO_TARGET_DIR` (relative to the
/// workspace root, where xtask runs cargo) or `<root>/target`.
pub fn target_dir() -> PathBuf {
    resolve_target_dir(
        std::env::var_os("CARGO_TARGET_DIR").as_deref(),
        &workspace_root(),
    )
}

fn resolve_target_dir(env: Option<&OsStr>, root: &Path) -> PathBuf {
    match env {
        Some(dir) if !dir.is_empty() => root.join(dir),
        _ => root.join("target"),
    }
}

/// True when running under CI, where a missing tool is a failure rather than a skip.
pub fn is_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| v == "true" || v == "1")
}

/// The cargo that launched xtask, so nested builds use the same toolchain.
pub fn cargo() -> Command {
    let mut cmd = Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()));
    cmd.current_dir(workspace_root());
    cmd
}

/// Trunk, told not to phone home for its own update check (Trunk.toml keeps builds offline),
/// with cargo's bin dir on `PATH` so it finds the wasm-bindgen that setup installed.
pub fn trunk() -> Command {
    let mut cmd = Command::new(find_program("trunk").unwrap_or_else(|| "trunk".into()));
    cmd.current_dir(workspace_root())
        .env("TRUNK_SKIP_VERSION_CHECK", "true");
    if let Ok(path) = std::env::join_paths(search_path()) {
        cmd.env("PATH", path);
    }
    cmd
}

/// `PATH` plus cargo's bin dir, which a fresh shell on a new machine may lack.
fn search_path() -> Vec<PathBuf> {
    let mut dirs: Vec<PathBuf> = std::env::var_os("PATH")
        .map(|p| std::env::split_paths(&p).collect())
        .unwrap_or_default();
    let cargo_home = std::env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| Path::new(&h).join(".cargo")));
    if let Some(bin) = cargo_home.map(|h| h.join("bin")) {
        if !dirs.contains(&bin) {
            dirs.push(bin);
        }
    }
    dirs
}

/// Finds an executable on [`search_path`].
pub fn find_program(name: &str) -> Option<PathBuf> {
    search_path()
        .into_iter()
        .map(|d| d.join(name))
        .find(|p| is_executable(p))
}

fn is_executable(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    path.metadata()
        .is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

/// How a command is shown in logs and errors.
pub fn describe(cmd: &Command) -> String {
    let mut parts = vec![cmd.get_program().to_string_lossy().into_owned()];
    parts.extend(cmd.get_args().map(|a| a.to_string_lossy().into_owned()));
    parts.join(" ")
}

/// Runs a command with inherited output, echoing it first; non-zero exit is an error.
pub fn run(cmd: &mut Command) -> Result<()> {
    let command = describe(cmd);
    println!("$ {command}");
    let status = cmd.status().map_err(|source| XtaskError::Spawn {
        command: command.clone(),
        source,
    })?;
    if status.success() {
        Ok(())
    } else {
        Err(XtaskError::Failed {
            command,
            status: status.to_string(),
        })
    }
}

/// Runs a command quietly and returns its stdout, or `None` if it is missing or fails.
pub fn output_of(cmd: &mut Command) -> Option<String> {
    let out = cmd
        .stdin(Stdio::null())
        .stderr(Stdio::null())
        .output()
        .ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).into_owned())
}

/// Runs a command quietly, killing it after `limit`: a hung daemon must not hang CI.
pub fn succeeds_within(cmd: &mut Command, limit: Duration) -> bool {
    let Ok(mut child) = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
    else {
        return false;
    };
    let start = Instant::now();
    loop {
        match child.try_wait() {
            Ok(Some(status)) => return status.success(),
            Ok(None) if start.elapsed() < limit => std::thread::sleep(Duration::from_millis(100)),
            _ => {
                let _ = child.kill();
                let _ = child.wait();
                return false;
            }
        }
    }
}

/// The version of `package` that Cargo.lock pins, if exactly one is locked.
pub fn locked_version(lock: &str, package: &str) -> Option<String> {
    let wanted = format!("name = \"{package}\"");
    let mut versions = Vec::new();
    let mut lines = lock.lines();
    while let Some(line) = lines.next() {
        if line.trim() == wanted {
            let version = lines
                .next()?
                .trim()
                .strip_prefix("version = \"")?
                .strip_suffix('"')?;
            versions.push(version.to_string());
        }
    }
    match versions.as_slice() {
        [only] => Some(only.clone()),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const LOCK: &str = r#"
[[package]]
name = "wasm-bindgen"
version = "0.2.130"
source = "registry+https://github.com/rust-lang/crates.io-index"

[[package]]
name = "wasm-bindgen-backend"
version = "0.2.99"
"#;

    #[test]
    fn locked_version_reads_the_exact_package() {
        assert_eq!(
            locked_version(LOCK, "wasm-bindgen").as_deref(),
            Some("0.2.130")
        );
        assert_eq!(
            locked_version(LOCK, "wasm-bindgen-backend").as_deref(),
            Some("0.2.99")
        );
    }

    #[test]
    fn locked_version_is_none_when_absent_or_ambiguous() {
        assert_eq!(locked_version(LOCK, "yew"), None);
        let twice = format!("{LOCK}\n[[package]]\nname = \"wasm-bindgen\"\nversion = \"0.2.1\"\n");
        assert_eq!(locked_version(&twice, "wasm-bindgen"), None);
    }

    #[test]
    fn relative_target_dir_is_taken_from_the_workspace_root() {
        let root = Path::new("/repo");
        assert_eq!(
            resolve_target_dir(None, root),
            PathBuf::from("/repo/target")
        );
        assert_eq!(
            resolve_target_dir(Some(OsStr::new("out")), root),
            PathBuf::from("/repo/out")
        );
        assert_eq!(
            resolve_target_dir(Some(OsStr::new("/abs/t")), root),
            PathBuf::from("/abs/t")
        );
    }

    #[test]
    fn describe_shows_program_and_arguments() {
        let mut cmd = Command::new("trunk");
        cmd.args(["build", "--release"]);
        assert_eq!(describe(&cmd), "trunk build --release");
    }
}
