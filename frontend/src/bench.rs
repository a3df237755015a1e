//! The in-browser half of `cargo xtask bench`: runs a shared workload (store creates, the
//! scheduler placing pods, or a Deployment converging) with the page's clock and reports raw
//! per-run timings; the harness turns them into the same figures as natively.

use crate::clock;
use crate::query;
use kubeplay_shared::{workload, ApiServer};
use serde_json::json;

/// Defaults only matter when the page is opened by hand; the harness always passes both.
const DEFAULT_PODS: usize = 1000;
const DEFAULT_RUNS: usize = 5;
const DEFAULT_NODES: usize = 1000;
const BENCH_SEED: u64 = 7;

/// Which shared workload the page measures.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Workload {
    /// `?bench=store`: pod creates through the request layer.
    Store,
    /// `?bench=sched`: the scheduler binding pending pods to `nodes` nodes.
    Sched,
    /// `?bench=converge`: a Deployment of `n` replicas becoming ready on `nodes` simulated nodes.
    Converge,
}

#[derive(Debug, PartialEq)]
pub struct BenchParams {
    pub workload: Workload,
    pub pods: usize,
    pub runs: usize,
    pub nodes: usize,
}

impl BenchParams {
    /// `?bench=store|sched|converge[&n=PODS][&runs=RUNS][&nodes=NODES]`; `None` for the normal
    /// page.
    pub fn from_query(search: &str) -> Option<Self> {
        let workload = match query::param(search, "bench") {
            Some("store") => Workload::Store,
            Some("sched") => Workload::Sched,
            Some("converge") => Workload::Converge,
            _ => return None,
        };
        let number = |key, default| {
            query::param(search, key)
                .and_then(|v| v.parse().ok())
                .unwrap_or(default)
        };
        Some(Self {
            workload,
            pods: number("n", DEFAULT_PODS),
            runs: number("runs", DEFAULT_RUNS).max(1),
            nodes: number("nodes", DEFAULT_NODES),
        })
    }
}

/// Runs the chosen workload `runs` times; JSON with each run's milliseconds and how many of
/// its `n` operations succeeded.
pub fn run(params: &BenchParams) -> String {
    match params.workload {
        Workload::Store => run_store(params),
        Workload::Sched => run_sched(params),
        Workload::Converge => run_converge(params),
    }
}

/// Creates `pods` pods into a fresh core `runs` times.
fn run_store(params: &BenchParams) -> String {
    // An unmeasured run first, as natively: the engine compiles and tiers up the wasm on it.
    let now = clock::now();
    let _ = workload::create_pods(&mut ApiServer::new(BENCH_SEED, now), params.pods, now);
    let runs: Vec<_> = (0..params.runs)
        .map(|_| {
            let now = clock::now();
            let mut api = ApiServer::new(BENCH_SEED, now);
            let start = clock::monotonic_ms();
            let ok = workload::create_pods(&mut api, params.pods, now);
            json!({"ms": clock::monotonic_ms() - start, "ok": ok})
        })
        .collect();
    json!({"workload": "store_creates", "n": params.pods, "runs": runs}).to_string()
}

/// Builds a cluster of `nodes` nodes and `pods` pending pods, then times only the scheduler
/// binding them (`ok`: pods bound).
fn run_sched(params: &BenchParams) -> String {
    let now = clock::now();
    let mut warm = ApiServer::new(BENCH_SEED, now);
    let _ = workload::schedule_pods(&mut warm, params.nodes, params.pods, now);
    let runs: Vec<_> = (0..params.runs)
        .map(|_| {
            let now = clock::now();
            let mut api = ApiServer::new(BENCH_SEED, now);
            workload::prepare_scheduling(&mut api, params.nodes, params.pods, now);
            let start = clock::monotonic_ms();
            let ok = workload::schedule_pending(&mut api, now);
            json!({"ms": clock::monotonic_ms() - start, "ok": ok})
        })
        .collect();
    json!({"workload": "sched_pods", "n": params.pods, "nodes": params.nodes, "runs": runs})
        .to_string()
}

/// Builds `nodes` simulated nodes, then times only a Deployment of `pods` replicas becoming
/// ready (`ok`: ready replicas). One run whatever `runs` says, and no warm-up: it is the largest
/// workload, and at tens of seconds the engine's tier-up is lost in the noise.
fn run_converge(params: &BenchParams) -> String {
    let (mut cp, now) = workload::simulated_cluster(BENCH_SEED, params.nodes, clock::now());
    let start = clock::monotonic_ms();
    let ok = workload::converge_deployment(&mut cp, params.pods, now);
    let run = json!({"ms": clock::monotonic_ms() - start, "ok": ok});
    json!({"workload": "converge", "n": params.pods, "nodes": params.nodes, "runs": [run]})
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bench_mode_needs_a_known_workload() {
        assert_eq!(BenchParams::from_query("?seed=3"), None);
        assert_eq!(BenchParams::from_query("?bench=other"), None);
        let sched = BenchParams::from_query("?bench=sched&n=500&nodes=50").unwrap();
        assert_eq!(sched.workload, Workload::Sched);
        assert_eq!((sched.pods, sched.nodes), (500, 50));
        let converge = BenchParams::from_query("?bench=converge&n=10000&nodes=1000").unwrap();
        assert_eq!(converge.workload, Workload::Converge);
        assert_eq!((converge.pods, converge.nodes), (10_000, 1000));
    }

    #[test]
    fn bench_params_come_from_the_query_with_defaults() {
        assert_eq!(
            BenchParams::from_query("?bench=store&n=200&runs=3"),
            Some(BenchParams {
                workload: Workload::Store,
                pods: 200,
                runs: 3,
                nodes: DEFAULT_NODES
            })
        );
        assert_eq!(
            BenchParams::from_query("?bench=store&runs=0"),
            Some(BenchParams {
                workload: Workload::Store,
                pods: DEFAULT_PODS,
                runs: 1,
                nodes: DEFAULT_NODES
            })
        );
    }
}
