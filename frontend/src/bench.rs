//! The in-browser half of `cargo xtask bench`: runs the shared store workload with the page's
//! clock and reports raw per-run timings; the harness turns them into the same figure as natively.

use crate::clock;
use crate::query;
use kubeplay_shared::{workload, ApiServer};
use serde_json::json;

/// Defaults only matter when the page is opened by hand; the harness always passes both.
const DEFAULT_PODS: usize = 1000;
const DEFAULT_RUNS: usize = 5;
const BENCH_SEED: u64 = 7;

#[derive(Debug, PartialEq)]
pub struct BenchParams {
    pub pods: usize,
    pub runs: usize,
}

impl BenchParams {
    /// `?bench=store[&n=PODS][&runs=RUNS]`; `None` for the normal page.
    pub fn from_query(search: &str) -> Option<Self> {
        if query::param(search, "bench") != Some("store") {
            return None;
        }
        let number = |key, default| {
            query::param(search, key)
                .and_then(|v| v.parse().ok())
                .unwrap_or(default)
        };
        Some(Self {
            pods: number("n", DEFAULT_PODS),
            runs: number("runs", DEFAULT_RUNS).max(1),
        })
    }
}

/// Creates `pods` pods into a fresh core `runs` times; JSON with each run's milliseconds and
/// successful creates.
pub fn run(params: &BenchParams) -> String {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bench_mode_needs_bench_equals_store() {
        assert_eq!(BenchParams::from_query("?seed=3"), None);
        assert_eq!(BenchParams::from_query("?bench=other"), None);
    }

    #[test]
    fn bench_params_come_from_the_query_with_defaults() {
        assert_eq!(
            BenchParams::from_query("?bench=store&n=200&runs=3"),
            Some(BenchParams { pods: 200, runs: 3 })
        );
        assert_eq!(
            BenchParams::from_query("?bench=store&runs=0"),
            Some(BenchParams {
                pods: DEFAULT_PODS,
                runs: 1
            })
        );
    }
}
