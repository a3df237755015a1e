//! `cargo xtask bench`'s measuring half: times the shared store workloads natively and, given a
//! release build of the page (`--dist DIR`), inside headless Chromium.
//!
//! Prints one `name value` line per figure; exits 1 if any workload fell short (failed creates,
//! missing events), after printing, so a broken core is reported rather than measured.

use kubeplay_e2e::bench::{median_rate, runs_from_page, Run};
use kubeplay_e2e::{HarnessError, Page};
use kubeplay_shared::{workload, ApiServer, Timestamp};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::{Duration, Instant};

const SEED: u64 = 7;

struct Options {
    pods: usize,
    /// The scheduler figure: pods placed on `nodes` nodes.
    sched_pods: usize,
    nodes: usize,
    /// The convergence figure: a Deployment of this many replicas on `nodes` simulated nodes.
    converge_pods: usize,
    runs: usize,
    dist: Option<PathBuf>,
    /// `--page-only`: just the page section (needs `--dist`).
    page_only: bool,
    /// Only the page-driven agent figures (`browser_pod_start_ms_*`); needs `--dist`.
    agent_page_only: bool,
    /// `--agent-only`: just the agent section (Docker).
    agent_only: bool,
    /// `--kubectl-only`: just the real kubectl's figures.
    kubectl_only: bool,
    /// `--network-only`: just the agent's port-forward and Service proxy figures (Docker).
    network_only: bool,
}

fn parse_args() -> Result<Options, String> {
    let mut options = Options {
        pods: 5000,
        sched_pods: 10_000,
        nodes: 1000,
        converge_pods: 10_000,
        runs: 7,
        dist: None,
        page_only: false,
        agent_page_only: false,
        agent_only: false,
        kubectl_only: false,
        network_only: false,
    };
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let mut value = || args.next().ok_or(format!("{arg} needs a value"));
        match arg.as_str() {
            "--pods" => options.pods = value()?.parse().map_err(|_| "--pods takes a number")?,
            "--sched-pods" => {
                options.sched_pods = value()?
                    .parse()
                    .map_err(|_| "--sched-pods takes a number")?
            }
            "--nodes" => options.nodes = value()?.parse().map_err(|_| "--nodes takes a number")?,
            "--converge-pods" => {
                options.converge_pods = value()?
                    .parse()
                    .map_err(|_| "--converge-pods takes a number")?
            }
            "--runs" => options.runs = value()?.parse().map_err(|_| "--runs takes a number")?,
            "--dist" => options.dist = Some(PathBuf::from(value()?)),
            "--page-only" => options.page_only = true,
            "--agent-page-only" => options.agent_page_only = true,
            "--agent-only" => options.agent_only = true,
            "--kubectl-only" => options.kubectl_only = true,
            "--network-only" => options.network_only = true,
            other => return Err(format!("unknown argument {other}")),
        }
    }
    options.runs = options.runs.max(1);
    Ok(options)
}

fn timed(f: impl FnOnce() -> (usize, bool)) -> Run {
    let start = Instant::now();
    let (count, complete) = f();
    Run {
        seconds: start.elapsed().as_secs_f64(),
        count,
        complete,
    }
}

fn native_creates(o: &Options, now: Timestamp) -> Vec<Run> {
    (0..o.runs)
        .map(|_| {
            let mut api = ApiServer::new(SEED, now);
            timed(|| {
                let ok = workload::create_pods(&mut api, o.pods, now);
                (o.pods, ok == o.pods)
            })
        })
        .collect()
}

fn native_watch_events(o: &Options, now: Timestamp) -> Vec<Run> {
    (0..o.runs)
        .map(|_| {
            let mut api = ApiServer::new(SEED, now);
            timed(|| {
                let events = workload::watch_events(&mut api, o.pods, now);
                (events, events == o.pods)
            })
        })
        .collect()
}

/// Pods bound per second by the scheduler; building the cluster is not timed.
fn native_schedules(o: &Options, now: Timestamp) -> Vec<Run> {
    (0..o.runs)
        .map(|_| {
            let mut api = ApiServer::new(SEED, now);
            workload::prepare_scheduling(&mut api, o.nodes, o.sched_pods, now);
            timed(|| {
                let bound = workload::schedule_pending(&mut api, now);
                (bound, bound == o.sched_pods)
            })
        })
        .collect()
}

/// Wall seconds for a Deployment of `converge_pods` replicas to be all Running
/// and ready on `nodes` simulated nodes (cluster time runs from wake-up to
/// wake-up, so only the control plane's work is timed). Building the nodes is
/// not timed. One run: it is the largest workload.
fn native_convergence(o: &Options, now: Timestamp) -> (f64, bool) {
    let (mut cp, now) = workload::simulated_cluster(SEED, o.nodes, now);
    let start = Instant::now();
    let ready = workload::converge_deployment(&mut cp, o.converge_pods, now);
    (start.elapsed().as_secs_f64(), ready == o.converge_pods)
}

/// How long a page may take to report; the convergence run alone can take a minute in wasm.
const PAGE_LIMIT: Duration = Duration::from_secs(600);

/// Opens the page's bench mode with `query` and reads its timed runs.
fn wasm_runs(dist: &std::path::Path, profile: &str, query: &str) -> Result<Vec<Run>, String> {
    let page = Page::launch_from(profile, dist).map_err(|e| e.to_string())?;
    page.open(query).map_err(|e| e.to_string())?;
    let text = bench_result(&page)?;
    let result: serde_json::Value = serde_json::from_str(text.as_str().unwrap_or_default())
        .map_err(|e| format!("bench result: {e}"))?;
    runs_from_page(&result).ok_or_else(|| format!("malformed bench result: {result}"))
}

/// Polls `#bench-result` until it appears. The workload runs in one task on the page's only
/// thread, so a poll sent meanwhile waits for it and may hit chromedriver's script timeout;
/// that is busy, not broken, so it polls again until [`PAGE_LIMIT`].
fn bench_result(page: &Page) -> Result<serde_json::Value, String> {
    let start = Instant::now();
    loop {
        match page.wait_for(
            "the benchmark result",
            "document.getElementById('bench-result')?.textContent",
            PAGE_LIMIT.saturating_sub(start.elapsed()),
        ) {
            Err(HarnessError::WebDriver { error, .. })
                if error == "script timeout" && start.elapsed() < PAGE_LIMIT => {}
            other => return other.map_err(|e| e.to_string()),
        }
    }
}

fn wasm_creates(o: &Options, dist: &std::path::Path) -> Result<Vec<Run>, String> {
    wasm_runs(
        dist,
        "bench_store",
        &format!("?bench=store&n={}&runs={}", o.pods, o.runs),
    )
}

fn wasm_schedules(o: &Options, dist: &std::path::Path) -> Result<Vec<Run>, String> {
    wasm_runs(
        dist,
        "bench_sched",
        &format!(
            "?bench=sched&n={}&nodes={}&runs={}",
            o.sched_pods, o.nodes, o.runs
        ),
    )
}

/// The in-browser counterpart of [`native_convergence`]: seconds and whether every replica
/// became ready.
fn wasm_convergence(o: &Options, dist: &std::path::Path) -> Result<(f64, bool), String> {
    let runs = wasm_runs(
        dist,
        "bench_converge",
        &format!("?bench=converge&n={}&nodes={}", o.converge_pods, o.nodes),
    )?;
    match runs.as_slice() {
        [run] => Ok((run.seconds, run.complete)),
        _ => Err(format!("expected one convergence run, got {}", runs.len())),
    }
}

/// The agent's figures (pod start beside `docker run`, memory, binary size); without a Docker
/// engine they are skipped with a warning, and under `CI=true` that is a failure.
fn agent_figures() -> bool {
    let measured = tokio::runtime::Runtime::new()
        .map_err(|e| e.to_string())
        .and_then(|rt| rt.block_on(kubeplay_e2e::agent::bench::measure()));
    match measured {
        Ok(figures) => {
            for (name, value) in figures {
                println!("{name} {value:.1}");
            }
            true
        }
        Err(message) => {
            eprintln!("bench: WARNING: agent figures skipped: {message}");
            !kubeplay_e2e::policy::is_ci()
        }
    }
}

/// The agent's port-forward and Service proxy figures beside direct connections, alone.
fn network_figures() -> bool {
    let measured = tokio::runtime::Runtime::new()
        .map_err(|e| e.to_string())
        .and_then(|rt| rt.block_on(kubeplay_e2e::agent::bench::measure_network()));
    match measured {
        Ok(figures) => {
            for (name, value) in figures {
                println!("{name} {value:.1}");
            }
            true
        }
        Err(message) => {
            eprintln!("bench: network figures failed: {message}");
            false
        }
    }
}

/// Pod start on a real agent driven from the page (beside the agent-only `pod_start_ms`).
fn browser_agent_figures(dist: &std::path::Path) -> bool {
    let image = tokio::runtime::Runtime::new()
        .map_err(|e| e.to_string())
        .and_then(|rt| {
            rt.block_on(async {
                let docker = kubeplay_e2e::agent::docker::connect()
                    .await
                    .map_err(|e| e.to_string())?;
                kubeplay_e2e::agent::docker::ensure_busybox_image(&docker)
                    .await
                    .map_err(|e| e.to_string())
            })
        });
    match image.and_then(|image| kubeplay_e2e::agent::page_bench::measure(dist, image)) {
        Ok(figures) => {
            for (name, value) in figures {
                println!("{name} {value:.1}");
            }
            true
        }
        Err(message) => {
            eprintln!("bench: WARNING: browser agent figures skipped: {message}");
            !kubeplay_e2e::policy::is_ci()
        }
    }
}

/// The real kubectl against an embedded control plane; without a cached kubectl
/// (`cargo xtask kubectl`) skipped with a warning, and under `CI=true` that is a failure.
fn kubectl_figures() -> bool {
    match kubeplay_e2e::kubectl_bench::measure() {
        Ok(figures) => {
            for (name, value) in figures {
                println!("{name} {value:.1}");
            }
            true
        }
        Err(message) => {
            eprintln!("bench: WARNING: kubectl figures skipped: {message}");
            !kubeplay_e2e::policy::is_ci()
        }
    }
}

type WasmWorkload = fn(&Options, &std::path::Path) -> Result<Vec<Run>, String>;

/// The page section: download size, time to interactive, and the UI thread's longest task
/// during a 1,000-pod rollout. Prints each figure it gets; false if any failed.
fn page_figures(dist: &std::path::Path) -> bool {
    use kubeplay_e2e::page_bench;
    let mut ok = true;
    match page_bench::wasm_gzip_bytes(dist) {
        Ok(bytes) => println!("wasm_gzip_bytes {bytes}"),
        Err(err) => {
            eprintln!("bench: wasm_gzip_bytes failed: {err}");
            ok = false;
        }
    }
    match page_bench::page_interactive_ms(dist) {
        Ok(ms) => println!("page_interactive_ms {ms:.1}"),
        Err(err) => {
            eprintln!("bench: page_interactive_ms failed: {err}");
            ok = false;
        }
    }
    match page_bench::ui_rollout_tasks(dist) {
        Ok(tasks) => {
            println!("ui_longest_task_ms_1000_pods {:.1}", tasks.longest_ms);
            println!("ui_long_tasks_1000_pods {}", tasks.count);
            println!("ui_blocking_ms_1000_pods {:.1}", tasks.blocking_ms);
        }
        Err(err) => {
            eprintln!("bench: ui_longest_task_ms_1000_pods failed: {err}");
            ok = false;
        }
    }
    ok
}

fn main() -> ExitCode {
    let options = match parse_args() {
        Ok(options) => options,
        Err(message) => {
            eprintln!("bench: {message}\nusage: bench [--pods N] [--sched-pods N] [--nodes N] [--converge-pods N] [--runs R] [--dist DIR] [--page-only] [--agent-only] [--agent-page-only] [--kubectl-only] [--network-only]");
            return ExitCode::from(2);
        }
    };
    if options.agent_page_only {
        let Some(dist) = &options.dist else {
            eprintln!("bench: --agent-page-only needs --dist DIR");
            return ExitCode::from(2);
        };
        return if browser_agent_figures(dist) {
            ExitCode::SUCCESS
        } else {
            ExitCode::FAILURE
        };
    }
    if options.page_only {
        let Some(dist) = &options.dist else {
            eprintln!("bench: --page-only needs --dist DIR");
            return ExitCode::from(2);
        };
        return if page_figures(dist) {
            ExitCode::SUCCESS
        } else {
            ExitCode::FAILURE
        };
    }
    if options.agent_only {
        return if agent_figures() {
            ExitCode::SUCCESS
        } else {
            ExitCode::FAILURE
        };
    }
    if options.network_only {
        return if network_figures() {
            ExitCode::SUCCESS
        } else {
            ExitCode::FAILURE
        };
    }
    if options.kubectl_only {
        return if kubectl_figures() {
            ExitCode::SUCCESS
        } else {
            ExitCode::FAILURE
        };
    }
    let now = Timestamp::now();
    // Warm caches and the allocator so the first measured run is not an outlier.
    let _ = workload::create_pods(&mut ApiServer::new(SEED, now), options.pods, now);

    let mut measured = vec![
        ("store_creates_per_s", native_creates(&options, now)),
        (
            "store_watch_events_per_s",
            native_watch_events(&options, now),
        ),
        ("sched_pods_per_s_native", native_schedules(&options, now)),
    ];
    let mut failed = false;
    let (converge_s, converged) = native_convergence(&options, now);
    println!("converge_10k_pods_1k_nodes_s_native {converge_s:.2}");
    if !converged {
        eprintln!(
            "bench: WARNING: the {}-replica Deployment did not converge on {} nodes",
            options.converge_pods, options.nodes
        );
        failed = true;
    }
    if let Some(dist) = &options.dist {
        failed |= !page_figures(dist);
        let wasm: [(&str, WasmWorkload); 2] = [
            ("store_creates_per_s_wasm", wasm_creates),
            ("sched_pods_per_s_wasm", wasm_schedules),
        ];
        for (name, workload) in wasm {
            match workload(&options, dist) {
                Ok(runs) => measured.push((name, runs)),
                Err(message) => {
                    eprintln!("bench: in-browser run {name} failed: {message}");
                    failed = true;
                }
            }
        }
        match wasm_convergence(&options, dist) {
            Ok((seconds, converged)) => {
                println!("converge_10k_pods_1k_nodes_s_wasm {seconds:.2}");
                if !converged {
                    eprintln!("bench: WARNING: in the browser, the {}-replica Deployment did not converge on {} nodes", options.converge_pods, options.nodes);
                    failed = true;
                }
            }
            Err(message) => {
                eprintln!(
                    "bench: in-browser run converge_10k_pods_1k_nodes_s_wasm failed: {message}"
                );
                failed = true;
            }
        }
    }
    for (name, runs) in &measured {
        if let Some(rate) = median_rate(runs) {
            println!("{name} {rate:.1}");
        }
        let short = runs.iter().filter(|r| !r.complete).count();
        if short > 0 {
            eprintln!("bench: WARNING: {name}: {short} of {} runs fell short ({} pods each): the core rejected requests or lost events", runs.len(), options.pods);
            failed = true;
        }
    }
    failed |= !agent_figures();
    if let Some(dist) = &options.dist {
        failed |= !browser_agent_figures(dist);
    }
    failed |= !kubectl_figures();
    if failed {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}
