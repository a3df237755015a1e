//! `cargo xtask demo-image`: the images a node agent runs, built locally since no registry is
//! reachable: `myapp:1.0`/`2.0` (the seed page's app) and `busybox` under the tags examples use.
//!
//! All are `FROM scratch` with Debian's static busybox and its applets in `/bin` (so `kubectl
//! exec … -- env` works); myapp adds its own static musl binary. Reruns hit Docker's cache.

use crate::elf;
use crate::error::{Result, XtaskError};
use crate::preflight;
use crate::tools::{self, output_of};
use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Command;

/// Debian's `busybox-static` puts it here; the plain `busybox` package does too, dynamically
/// linked, which is why the file is checked rather than trusted.
pub const BUSYBOX: &str = "/bin/busybox";
/// The versions of the seed page's `myapp`; each reports its own on `/` and `/version`.
pub const MYAPP_VERSIONS: [&str; 2] = ["1.0", "2.0"];
/// Tags the seed page, the docs and Kubernetes' own examples use for busybox, besides the real
/// version: every one must start on an agent, and all are the same Debian busybox.
const BUSYBOX_TAGS: [&str; 3] = ["latest", "1.36", "1.37"];

/// The static musl target for this machine's CPU: images run on the node that built them.
pub fn musl_target() -> String {
    format!("{}-unknown-linux-musl", std::env::consts::ARCH)
}

pub fn run() -> Result<()> {
    if !preflight::docker_answers() {
        return Err(XtaskError::Missing(
            "demo-image needs a Docker engine: `docker info` did not answer (is the daemon running?)"
                .into(),
        ));
    }
    build()
}

/// Builds every image; the caller has checked that Docker answers.
pub fn build() -> Result<()> {
    let busybox = static_busybox()?;
    let myapp = build_myapp()?;
    let context = tools::target_dir().join("demo-image");
    let applets = applets(&busybox)?;
    stage(&context, &busybox, &myapp, &applets)?;

    let mut built = Vec::new();
    let mut tags: Vec<String> = Vec::new();
    if let Some((full, minor)) = output_of(Command::new(&busybox).arg("--help"))
        .as_deref()
        .and_then(busybox_version)
    {
        tags.extend([full, minor]);
    }
    tags.extend(BUSYBOX_TAGS.iter().map(|t| t.to_string()));
    let busybox_refs: Vec<String> = tags.iter().map(|t| format!("busybox:{t}")).collect();
    docker_build(&context, "busybox.Dockerfile", None, &busybox_refs)?;
    built.extend(busybox_refs);
    for version in MYAPP_VERSIONS {
        let reference = format!("myapp:{version}");
        docker_build(
            &context,
            "myapp.Dockerfile",
            Some(version),
            std::slice::from_ref(&reference),
        )?;
        built.push(reference);
    }
    for reference in &built {
        let shown = output_of(Command::new("docker").args([
            "image",
            "inspect",
            "--format",
            "{{.Id}} {{.Size}}",
            reference,
        ]))
        .and_then(|out| describe_image(&out))
        .unwrap_or_else(|| "(not found after build?)".into());
        println!("demo-image: built {reference:<16} {shown}");
    }
    Ok(())
}

/// Debian's busybox, refused unless it is static: a dynamic one dies in a scratch image with a
/// bare "no such file or directory".
fn static_busybox() -> Result<PathBuf> {
    let path = PathBuf::from(BUSYBOX);
    if !path.exists() {
        return Err(XtaskError::Missing(format!(
            "{BUSYBOX} is missing: apt-get install busybox-static (or `cargo xtask setup` as root)"
        )));
    }
    let facts = elf::read(&path)?;
    if !facts.is_static {
        return Err(XtaskError::Missing(format!(
            "{BUSYBOX} is dynamically linked (Debian's `busybox`): apt-get install busybox-static"
        )));
    }
    Ok(path)
}

/// `busybox --list`: every applet, each becoming a `/bin` symlink as in the official image.
fn applets(busybox: &Path) -> Result<Vec<String>> {
    let list = output_of(Command::new(busybox).arg("--list"))
        .ok_or_else(|| XtaskError::Invalid(format!("`{} --list` failed", busybox.display())))?;
    Ok(parse_applets(&list))
}

fn parse_applets(list: &str) -> Vec<String> {
    list.lines()
        .map(str::trim)
        .filter(|a| {
            !a.is_empty()
                && *a != "busybox"
                && a.chars()
                    .all(|c| c.is_ascii_alphanumeric() || "-_.[".contains(c))
        })
        .map(str::to_string)
        .collect()
}

/// `BusyBox v1.35.0 (Debian …) multi-call binary.` → (`1.35.0`, `1.35`).
fn busybox_version(help: &str) -> Option<(String, String)> {
    let version = help
        .split_whitespace()
        .find_map(|word| word.strip_prefix('v'))
        .filter(|v| v.split('.').count() == 3 && v.split('.').all(|p| p.parse::<u32>().is_ok()))?;
    let minor = version.rsplit_once('.')?.0;
    Some((version.to_string(), minor.to_string()))
}

/// The static myapp binary for this machine, stripped so the image stays a few MB.
fn build_myapp() -> Result<PathBuf> {
    let target = musl_target();
    let installed = output_of(Command::new("rustup").args(["target", "list", "--installed"]))
        .is_some_and(|out| out.lines().any(|l| l.trim() == target));
    if !installed {
        return Err(XtaskError::Missing(format!(
            "the Rust target {target} is missing: rustup target add {target} (or `cargo xtask setup`)"
        )));
    }
    tools::run(tools::cargo().args([
        "build",
        "--quiet",
        "--release",
        "-p",
        "demo-app",
        "--bin",
        "myapp",
        "--target",
        &target,
        "--config",
        "profile.release.strip=true",
    ]))?;
    let binary = tools::target_dir()
        .join(&target)
        .join("release")
        .join("myapp");
    let facts = elf::read(&binary)?;
    if !facts.is_static {
        return Err(XtaskError::Invalid(format!(
            "{} is not statically linked",
            binary.display()
        )));
    }
    Ok(binary)
}

const BUSYBOX_DOCKERFILE: &str = "\
# Written by `cargo xtask demo-image`: Debian's static busybox, like the official busybox image.
FROM scratch
COPY rootfs/ /
ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
CMD [\"sh\"]
";

const MYAPP_DOCKERFILE: &str = "\
# Written by `cargo xtask demo-image`: the seed page's myapp, a static Rust server on port 3000.
FROM scratch
COPY rootfs/ /
COPY bash /bin/bash
COPY myapp /usr/local/bin/myapp
ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
ARG VERSION
ENV MYAPP_VERSION=$VERSION
LABEL org.opencontainers.image.title=myapp org.opencontainers.image.version=$VERSION
EXPOSE 3000
CMD [\"/usr/local/bin/myapp\"]
";

/// The seed page shells in with `kubectl exec -it my-pod -- bash`; busybox has no bash, so its
/// shell stands in.
const BASH_SHIM: &str =
    "#!/bin/sh\n# No bash in this image: busybox's sh stands in for it.\nexec /bin/sh \"$@\"\n";

const PASSWD: &str =
    "root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n";
const GROUP: &str = "root:x:0:\nnogroup:x:65534:\n";

/// Lays out the build context, touching only files whose content changed so Docker's cache holds.
fn stage(context: &Path, busybox: &Path, myapp: &Path, applets: &[String]) -> Result<()> {
    let rootfs = context.join("rootfs");
    for dir in ["bin", "etc", "root", "tmp"] {
        create_dir(&rootfs.join(dir))?;
    }
    set_mode(&rootfs.join("tmp"), 0o1777)?;
    set_mode(&rootfs.join("root"), 0o700)?;
    copy_if_changed(busybox, &rootfs.join("bin/busybox"), 0o755)?;
    for applet in applets {
        symlink_if_changed(Path::new("busybox"), &rootfs.join("bin").join(applet))?;
    }
    write_if_changed(&rootfs.join("etc/passwd"), PASSWD.as_bytes(), 0o644)?;
    write_if_changed(&rootfs.join("etc/group"), GROUP.as_bytes(), 0o644)?;
    write_if_changed(&context.join("bash"), BASH_SHIM.as_bytes(), 0o755)?;
    copy_if_changed(myapp, &context.join("myapp"), 0o755)?;
    write_if_changed(
        &context.join("busybox.Dockerfile"),
        BUSYBOX_DOCKERFILE.as_bytes(),
        0o644,
    )?;
    write_if_changed(
        &context.join("myapp.Dockerfile"),
        MYAPP_DOCKERFILE.as_bytes(),
        0o644,
    )
}

fn docker_build(
    context: &Path,
    dockerfile: &str,
    version: Option<&str>,
    tags: &[String],
) -> Result<()> {
    let mut cmd = Command::new("docker");
    cmd.args(["build", "--quiet", "--file"])
        .arg(context.join(dockerfile));
    if let Some(version) = version {
        cmd.args(["--build-arg", &format!("VERSION={version}")]);
    }
    for tag in tags {
        cmd.args(["--tag", tag]);
    }
    cmd.arg(context);
    tools::run(&mut cmd)
}

/// `sha256:0123… 2962432` → `sha256:0123456789ab  2.9 MB`.
fn describe_image(inspect: &str) -> Option<String> {
    let (id, size) = inspect.trim().split_once(' ')?;
    let size: u64 = size.parse().ok()?;
    let short = id.get(..19).unwrap_or(id);
    Some(format!("{short}  {:.1} MB", size as f64 / 1_000_000.0))
}

fn create_dir(path: &Path) -> Result<()> {
    fs::create_dir_all(path).map_err(|source| write_error(path, source))
}

fn set_mode(path: &Path, mode: u32) -> Result<()> {
    fs::set_permissions(path, fs::Permissions::from_mode(mode))
        .map_err(|source| write_error(path, source))
}

fn copy_if_changed(from: &Path, to: &Path, mode: u32) -> Result<()> {
    let bytes = fs::read(from).map_err(|source| XtaskError::Read {
        path: from.display().to_string(),
        source,
    })?;
    write_if_changed(to, &bytes, mode)
}

fn write_if_changed(path: &Path, bytes: &[u8], mode: u32) -> Result<()> {
    if fs::read(path).ok().as_deref() != Some(bytes) {
        fs::write(path, bytes).map_err(|source| write_error(path, source))?;
    }
    let current = fs::metadata(path)
        .map(|m| m.permissions().mode() & 0o7777)
        .ok();
    if current != Some(mode) {
        set_mode(path, mode)?;
    }
    Ok(())
}

fn symlink_if_changed(target: &Path, link: &Path) -> Result<()> {
    if fs::read_link(link).ok().as_deref() == Some(target) {
        return Ok(());
    }
    if fs::symlink_metadata(link).is_ok() {
        fs::remove_file(link).map_err(|source| write_error(link, source))?;
    }
    std::os::unix::fs::symlink(target, link).map_err(|source| write_error(link, source))
}

fn write_error(path: &Path, source: std::io::Error) -> XtaskError {
    XtaskError::Write {
        path: path.display().to_string(),
        source,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn busybox_help_gives_full_and_minor_version() {
        let help = "BusyBox v1.35.0 (Debian 1:1.35.0-4+deb12u1+b1) multi-call binary.\nBusyBox is copyrighted";
        assert_eq!(
            busybox_version(help),
            Some(("1.35.0".to_string(), "1.35".to_string()))
        );
        assert_eq!(busybox_version("usage: busybox [function]"), None);
    }

    #[test]
    fn applet_list_keeps_names_and_drops_blanks_and_busybox_itself() {
        let list = "[\n[[\nsh\nwget\n\nbusybox\nrun-parts\n";
        assert_eq!(
            parse_applets(list),
            vec!["[", "[[", "sh", "wget", "run-parts"]
        );
        assert!(parse_applets("../etc\n").is_empty());
    }

    #[test]
    fn image_is_described_by_short_id_and_size() {
        let out = "sha256:4f1c2e5d6a7b8c9d0e1f2a3b4c5d6e7f 2962432\n";
        assert_eq!(
            describe_image(out).as_deref(),
            Some("sha256:4f1c2e5d6a7b  3.0 MB")
        );
        assert_eq!(describe_image("garbage"), None);
    }

    #[test]
    fn staging_twice_leaves_the_context_untouched() {
        let dir = std::env::temp_dir().join(format!("xtask-stage-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).unwrap();
        let fake_busybox = dir.join("busybox-src");
        let fake_myapp = dir.join("myapp-src");
        fs::write(&fake_busybox, b"bb").unwrap();
        fs::write(&fake_myapp, b"app").unwrap();
        let context = dir.join("ctx");
        let applets = vec!["sh".to_string(), "env".to_string()];
        stage(&context, &fake_busybox, &fake_myapp, &applets).unwrap();
        let stamp = |p: &str| fs::metadata(context.join(p)).unwrap().modified().unwrap();
        let before = (stamp("myapp"), stamp("rootfs/bin/busybox"));
        stage(&context, &fake_busybox, &fake_myapp, &applets).unwrap();
        assert_eq!(before, (stamp("myapp"), stamp("rootfs/bin/busybox")));
        assert_eq!(
            fs::read_link(context.join("rootfs/bin/sh")).unwrap(),
            Path::new("busybox")
        );
        let tmp_mode = fs::metadata(context.join("rootfs/tmp"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(tmp_mode & 0o7777, 0o1777);
        fs::remove_dir_all(&dir).unwrap();
    }
}
