//! The kubectl figures for `cargo xtask bench`: wall time of the real kubectl against an embedded
//! control plane (the agent's release build, three simulated nodes) for `get pods` and for
//! applying the seed's manifests, beside kubectl's own start-up (`version --client`) measured in
//! the same run, so the server's share shows. Medians of several runs.

use crate::agent::binary::release_binary;
use crate::bench::median;
use crate::kubectl::{Cluster, Tools};
use crate::locate::workspace_root;
use std::time::Instant;

/// Timed runs per figure.
pub const RUNS: usize = 7;
/// The seed manifests applied as one folder.
const SEED_FILES: [&str; 4] = [
    "configmap.yaml",
    "secret.yaml",
    "deployment.yaml",
    "service.yaml",
];

/// `name value` pairs, in the order they are printed.
pub type Figures = Vec<(&'static str, f64)>;

/// Measures the three figures; an error means the machine could not (no kubectl, a failed build).
pub fn measure() -> Result<Figures, String> {
    let tools = Tools::find().map_err(|e| e.to_string())?;
    let binary = release_binary().map_err(|e| e.to_string())?;
    let cluster = Cluster::start_with(&binary, tools, "bench", 3).map_err(|e| e.to_string())?;
    let seed = cluster.home.join("seed");
    std::fs::create_dir_all(&seed).map_err(|e| e.to_string())?;
    for file in SEED_FILES {
        let from = workspace_root()
            .join("shared/tests/fixtures/seed")
            .join(file);
        std::fs::copy(&from, seed.join(file)).map_err(|e| format!("{}: {e}", from.display()))?;
    }
    let seed = seed.to_string_lossy().into_owned();
    // Warm kubectl's discovery cache, as any user's second command finds it.
    checked(&cluster, &["get", "nodes"])?;

    let mut figures = Figures::new();
    let version = timed_runs(|_| checked(&cluster, &["version", "--client"]))?;
    figures.push(("kubectl_version_client_ms", version));
    let apply = timed_runs_with_setup(
        |i| checked(&cluster, &["create", "namespace", &format!("bench-{i}")]),
        |i| {
            checked(
                &cluster,
                &["apply", "-n", &format!("bench-{i}"), "-f", &seed],
            )
        },
    )?;
    figures.push(("kubectl_apply_seed_ms", apply));
    let get = timed_runs(|_| checked(&cluster, &["get", "pods", "-n", "bench-0"]))?;
    figures.push(("kubectl_get_pods_ms", get));
    Ok(figures)
}

fn checked(cluster: &Cluster, args: &[&str]) -> Result<(), String> {
    let out = cluster.kubectl(args);
    if out.ok() {
        Ok(())
    } else {
        Err(format!("kubectl {}: {out}", args.join(" ")))
    }
}

/// Median milliseconds of [`RUNS`] runs of `run`.
fn timed_runs(run: impl Fn(usize) -> Result<(), String>) -> Result<f64, String> {
    timed_runs_with_setup(|_| Ok(()), run)
}

/// Like [`timed_runs`], with an untimed `setup` before each run.
fn timed_runs_with_setup(
    setup: impl Fn(usize) -> Result<(), String>,
    run: impl Fn(usize) -> Result<(), String>,
) -> Result<f64, String> {
    let mut ms = Vec::with_capacity(RUNS);
    for i in 0..RUNS {
        setup(i)?;
        let start = Instant::now();
        run(i)?;
        ms.push(start.elapsed().as_secs_f64() * 1000.0);
    }
    median(ms).ok_or_else(|| "no runs".to_string())
}
