//! The page's own figures for `cargo xtask bench`: how much a student downloads, how soon the
//! page answers, and whether the UI thread stays smooth while a big rollout runs in the worker.

use crate::error::{HarnessError, Result};
use crate::page::Page;
use crate::playground::Playground;
use serde_json::json;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// Replicas of the rollout `ui_longest_task_ms_1000_pods` watches.
pub const ROLLOUT_PODS: usize = 1000;
/// Simulated nodes added for it: with the three a playground starts with, room for 1,430 pods.
const EXTRA_NODES: usize = 10;
/// Fresh browsers opened for `page_interactive_ms`; the median is reported.
const INTERACTIVE_RUNS: usize = 3;
const ROLLOUT_LIMIT: Duration = Duration::from_secs(600);

/// Files a browser downloads to run the app (the page's HTML is a few hundred bytes).
fn is_app_asset(path: &Path) -> bool {
    matches!(
        path.extension().and_then(|e| e.to_str()),
        Some("wasm" | "js" | "css")
    )
}

/// Bytes of every `.wasm`, `.js` and `.css` in `dist`, each gzipped as a server would send it.
pub fn wasm_gzip_bytes(dist: &Path) -> Result<u64> {
    let entries = std::fs::read_dir(dist).map_err(HarnessError::io(dist.display().to_string()))?;
    let mut total = 0;
    for entry in entries {
        let path = entry
            .map_err(HarnessError::io(dist.display().to_string()))?
            .path();
        if path.is_file() && is_app_asset(&path) {
            total += gzipped_size(&path)?;
        }
    }
    Ok(total)
}

fn gzipped_size(path: &Path) -> Result<u64> {
    let output = Command::new("gzip")
        .args(["-9", "-c"])
        .arg(path)
        .stderr(Stdio::inherit())
        .output()
        .map_err(HarnessError::io(format!("gzip {}", path.display())))?;
    if !output.status.success() {
        return Err(HarnessError::Unexpected(format!(
            "gzip {} failed: {}",
            path.display(),
            output.status
        )));
    }
    Ok(output.stdout.len() as u64)
}

/// Milliseconds from navigation start to the page first showing a live cluster, in fresh
/// headless Chromium on localhost; the median of [`INTERACTIVE_RUNS`].
pub fn page_interactive_ms(dist: &Path) -> Result<f64> {
    let mut runs = Vec::new();
    for run in 0..INTERACTIVE_RUNS {
        let page = Page::launch_from(&format!("bench_interactive_{run}"), dist)?;
        Playground::open(&page)?;
        let ms = page.execute("return window.kubeplayInteractiveMs ?? null;")?;
        runs.push(
            ms.as_f64()
                .ok_or_else(|| HarnessError::Unexpected(format!("no interactive mark: {ms}")))?,
        );
    }
    crate::bench::median(runs).ok_or_else(|| HarnessError::Unexpected("no runs".into()))
}

/// The main thread's long tasks (PerformanceObserver `longtask`: those of 50 ms or more) while
/// a 1,000-pod rollout runs.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RolloutTasks {
    /// The longest, 0 when none reached 50 ms.
    pub longest_ms: f64,
    /// How many reached 50 ms.
    pub count: usize,
    /// Their time beyond 50 ms, summed (Lighthouse's "total blocking time"): steadier than the
    /// longest one on a loaded machine.
    pub blocking_ms: f64,
}

impl RolloutTasks {
    fn of(durations: &[f64]) -> Self {
        Self {
            longest_ms: durations.iter().copied().fold(0.0, f64::max),
            count: durations.len(),
            blocking_ms: durations
                .iter()
                .map(|d| (d - 50.0).max(0.0))
                .fold(0.0, |sum, d| sum + d),
        }
    }
}

/// The long tasks while a Deployment of [`ROLLOUT_PODS`] replicas rolls out, at 20× until all
/// are Running on the map.
pub fn ui_rollout_tasks(dist: &Path) -> Result<RolloutTasks> {
    let page = Page::launch_from("bench_rollout", dist)?;
    let play = Playground::open(&page)?;
    for i in 0..EXTRA_NODES {
        let command = json!({"command": "add", "name": format!("bench-{i}"), "cpu": "64", "memory": "256Gi", "pods": 110});
        let reply = play.call(&json!({"call": "node", "command": command}))?;
        if reply["reply"] != "ok" {
            return Err(HarnessError::Unexpected(format!("adding a node: {reply}")));
        }
    }
    play.set_speed(20)?;
    page.execute(
        "window.kubeplayLongTasks = [];
         new PerformanceObserver(list => { for (const t of list.getEntries())
             window.kubeplayLongTasks.push(t.duration); })
           .observe({type: 'longtask'});
         return true;",
    )?;
    let report = play.apply(&rollout_manifest(ROLLOUT_PODS))?;
    if report["documents"][0]["applied"] != "created" {
        return Err(HarnessError::Unexpected(format!(
            "the rollout was not created: {report}"
        )));
    }
    let start = Instant::now();
    loop {
        let running = page.execute(
            "return [...document.querySelectorAll('#map [data-pod^=\"default/rollout-\"]')]
                 .filter(e => e.dataset.status === 'Running').length;",
        )?;
        if running.as_u64() == Some(ROLLOUT_PODS as u64) {
            break;
        }
        if start.elapsed() > ROLLOUT_LIMIT {
            page.screenshot()?;
            return Err(page.timed_out(
                &format!("{ROLLOUT_PODS} pods Running on the map (saw {running})"),
                ROLLOUT_LIMIT,
            ));
        }
        std::thread::sleep(Duration::from_millis(250));
    }
    page.screenshot()?;
    let tasks = page.execute("return window.kubeplayLongTasks;")?;
    let durations: Vec<f64> = tasks
        .as_array()
        .ok_or_else(|| HarnessError::Unexpected(format!("no long-task figures: {tasks}")))?
        .iter()
        .filter_map(serde_json::Value::as_f64)
        .collect();
    Ok(RolloutTasks::of(&durations))
}

fn rollout_manifest(replicas: usize) -> String {
    format!(
        "apiVersion: apps/v1
kind: Deployment
metadata:
  name: rollout
spec:
  replicas: {replicas}
  selector:
    matchLabels:
      app: rollout
  template:
    metadata:
      labels:
        app: rollout
    spec:
      containers:
      - name: web
        image: nginx
"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn app_assets_are_wasm_js_and_css_only() {
        assert!(is_app_asset(Path::new("dist/kubeplay-1a2b_bg.wasm")));
        assert!(is_app_asset(Path::new("dist/kubeplay-worker_loader.js")));
        assert!(is_app_asset(Path::new("dist/base-99.css")));
        assert!(!is_app_asset(Path::new("dist/index.html")));
        assert!(!is_app_asset(Path::new("dist/kubeplay.d.ts")));
    }

    #[test]
    fn gzip_bytes_count_every_asset_compressed() {
        let dir = std::env::temp_dir().join(format!("kubeplay-gzip-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("a.js"), "x".repeat(10_000)).unwrap();
        std::fs::write(dir.join("index.html"), "y".repeat(10_000)).unwrap();
        let bytes = wasm_gzip_bytes(&dir).unwrap();
        std::fs::remove_dir_all(&dir).unwrap();
        assert!(
            bytes > 0 && bytes < 200,
            "10,000 repeated bytes gzip to a few dozen: {bytes}"
        );
    }

    #[test]
    fn blocking_time_counts_what_each_long_task_spends_beyond_50_ms() {
        let tasks = RolloutTasks::of(&[120.0, 50.0, 75.5]);
        assert_eq!(
            tasks,
            RolloutTasks {
                longest_ms: 120.0,
                count: 3,
                blocking_ms: 95.5
            }
        );
        assert_eq!(
            RolloutTasks::of(&[]),
            RolloutTasks {
                longest_ms: 0.0,
                count: 0,
                blocking_ms: 0.0
            }
        );
    }

    #[test]
    fn the_rollout_manifest_asks_for_the_replicas() {
        assert!(rollout_manifest(1000).contains("replicas: 1000\n"));
    }
}
