//! Turns timed benchmark runs into figures, the same way for native and in-browser runs, so the
//! two are comparable: a rate per run, then the median, which ignores one-off stalls.

use serde_json::Value;

/// One timed run of a workload.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Run {
    pub seconds: f64,
    /// What the figure counts (requests sent, events received).
    pub count: usize,
    /// Whether the workload did all it should (every create succeeded, every event arrived).
    pub complete: bool,
}

/// Median of per-run rates; `None` without runs.
pub fn median_rate(runs: &[Run]) -> Option<f64> {
    // A run faster than the clock can tell still counts, as if it took one microsecond.
    let rates: Vec<f64> = runs
        .iter()
        .map(|r| r.count as f64 / r.seconds.max(1e-6))
        .collect();
    median(rates)
}

pub fn median(mut values: Vec<f64>) -> Option<f64> {
    values.retain(|v| v.is_finite());
    values.sort_by(f64::total_cmp);
    let mid = values.len() / 2;
    match values.len() {
        0 => None,
        n if n % 2 == 1 => Some(values[mid]),
        _ => Some((values[mid - 1] + values[mid]) / 2.0),
    }
}

/// Reads the page's `#bench-result` JSON: `{"n": pods, "runs": [{"ms": .., "ok": ..}, ..]}`.
pub fn runs_from_page(result: &Value) -> Option<Vec<Run>> {
    let n = usize::try_from(result.get("n")?.as_u64()?).ok()?;
    result
        .get("runs")?
        .as_array()?
        .iter()
        .map(|run| {
            let ms = run.get("ms")?.as_f64()?;
            let ok = usize::try_from(run.get("ok")?.as_u64()?).ok()?;
            Some(Run {
                seconds: ms / 1000.0,
                count: n,
                complete: ok == n,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn median_picks_the_middle_or_averages_the_two_middles() {
        assert_eq!(median(vec![5.0, 1.0, 3.0]), Some(3.0));
        assert_eq!(median(vec![4.0, 1.0, 3.0, 2.0]), Some(2.5));
        assert_eq!(median(vec![]), None);
    }

    #[test]
    fn rate_is_count_over_seconds_per_run() {
        let run = |seconds, count| Run {
            seconds,
            count,
            complete: true,
        };
        assert_eq!(
            median_rate(&[run(0.5, 100), run(1.0, 100), run(2.0, 100)]),
            Some(100.0)
        );
    }

    #[test]
    fn page_result_becomes_runs_marked_incomplete_on_failed_creates() {
        let result = json!({"workload": "store_creates", "n": 10, "runs": [{"ms": 20.0, "ok": 10}, {"ms": 10.0, "ok": 3}]});
        let runs = runs_from_page(&result).unwrap();
        assert_eq!(
            runs[0],
            Run {
                seconds: 0.02,
                count: 10,
                complete: true
            }
        );
        assert!(!runs[1].complete);
        assert_eq!(median_rate(&runs), Some(750.0));
    }

    #[test]
    fn malformed_page_result_is_rejected() {
        assert_eq!(runs_from_page(&json!({"n": 10})), None);
        assert_eq!(
            runs_from_page(&json!({"n": 10, "runs": [{"ms": "fast"}]})),
            None
        );
    }
}
