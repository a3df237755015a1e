//! `cargo xtask bench`: the store's throughput natively and inside headless Chromium.
//!
//! The figures come from the `bench` binary of the e2e crate (release build); this step builds the
//! release page it opens, then writes `target/bench/results.json` and prints a table.

use crate::error::{Result, XtaskError};
use crate::preflight;
use crate::tools::{self, describe};
use std::fmt::Write as _;
use std::process::Stdio;

pub fn run() -> Result<()> {
    let browser = preflight::browser("the in-browser benchmark")?;
    let out_dir = tools::target_dir().join("bench");
    let dist = out_dir.join("dist");
    let mut bench = tools::cargo();
    bench.args([
        "run",
        "--quiet",
        "--release",
        "-p",
        "kubeplay-e2e",
        "--bin",
        "bench",
        "--",
    ]);
    if browser {
        tools::run(
            tools::trunk()
                .args(["build", "--release", "--dist"])
                .arg(&dist),
        )?;
        bench.arg("--dist").arg(&dist);
    }
    let command = describe(&bench);
    println!("$ {command}");
    let output = bench
        .stderr(Stdio::inherit())
        .output()
        .map_err(|source| XtaskError::Spawn {
            command: command.clone(),
            source,
        })?;
    let mut figures = parse_figures(&String::from_utf8_lossy(&output.stdout))?;
    add_ratio(&mut figures);
    std::fs::create_dir_all(&out_dir).map_err(|source| XtaskError::Write {
        path: out_dir.display().to_string(),
        source,
    })?;
    let path = out_dir.join("results.json");
    std::fs::write(&path, to_json(&figures)).map_err(|source| XtaskError::Write {
        path: path.display().to_string(),
        source,
    })?;
    print!("{}", table(&figures));
    println!("xtask: wrote {}", path.display());
    if !output.status.success() {
        return Err(XtaskError::Failed {
            command,
            status: output.status.to_string(),
        });
    }
    Ok(())
}

/// The bench binary prints one `name value` pair per line.
fn parse_figures(text: &str) -> Result<Vec<(String, f64)>> {
    text.lines()
        .filter(|l| !l.trim().is_empty())
        .map(|line| {
            let (name, value) = line.split_once(' ').ok_or_else(|| {
                XtaskError::Invalid(format!("bench printed `{line}`, not `name value`"))
            })?;
            let value = value.trim().parse::<f64>().map_err(|_| {
                XtaskError::Invalid(format!("bench printed a non-number: `{line}`"))
            })?;
            Ok((name.to_string(), value))
        })
        .collect()
}

/// A figure over its peer measured in the same run, named `ratio`; only meaningful when both
/// exist. Browser over native: for the store a rate (the share of native speed kept), for
/// convergence seconds (how many times longer). The agent's network paths over the direct
/// path (the share of its speed kept), and port-forward over a bare relay.
const RATIOS: [(&str, &str, &str); 5] = [
    (
        "store_creates_wasm_vs_native",
        "store_creates_per_s_wasm",
        "store_creates_per_s",
    ),
    (
        "converge_wasm_vs_native",
        "converge_10k_pods_1k_nodes_s_wasm",
        "converge_10k_pods_1k_nodes_s_native",
    ),
    (
        "portforward_vs_direct",
        "portforward_mb_s",
        "direct_tcp_mb_s",
    ),
    (
        "portforward_vs_relayed",
        "portforward_mb_s",
        "relayed_tcp_mb_s",
    ),
    ("service_vs_direct", "service_rps", "direct_pod_rps"),
];

fn add_ratio(figures: &mut Vec<(String, f64)>) {
    for (ratio, figure, peer) in RATIOS {
        let get = |name: &str| figures.iter().find(|(n, _)| n == name).map(|(_, v)| *v);
        if let (Some(figure), Some(peer)) = (get(figure), get(peer)) {
            if peer > 0.0 {
                figures.push((ratio.into(), figure / peer));
            }
        }
    }
}

fn to_json(figures: &[(String, f64)]) -> String {
    let body: Vec<String> = figures
        .iter()
        .map(|(name, value)| {
            let value = if value.is_finite() {
                format!("{value}")
            } else {
                "null".into()
            };
            format!("  \"{name}\": {value}")
        })
        .collect();
    format!("{{\n{}\n}}\n", body.join(",\n"))
}

fn table(figures: &[(String, f64)]) -> String {
    let mut out = format!("{:<36} {:>16}\n", "figure", "value");
    for (name, value) in figures {
        let _ = writeln!(out, "{name:<36} {value:>16.2}");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn figures_parse_from_name_value_lines() {
        let figures = parse_figures("a_per_s 12.5\n\nb_per_s 3\n").unwrap();
        assert_eq!(
            figures,
            vec![("a_per_s".to_string(), 12.5), ("b_per_s".to_string(), 3.0)]
        );
        assert!(parse_figures("garbage").is_err());
        assert!(parse_figures("a lot").is_err());
    }

    #[test]
    fn ratio_is_wasm_over_native() {
        let mut figures = vec![
            ("store_creates_per_s".into(), 200.0),
            ("store_creates_per_s_wasm".into(), 50.0),
        ];
        add_ratio(&mut figures);
        assert_eq!(
            figures.last(),
            Some(&("store_creates_wasm_vs_native".to_string(), 0.25))
        );
    }

    #[test]
    fn network_ratios_are_the_agents_path_over_its_peer() {
        let mut figures = vec![
            ("portforward_mb_s".into(), 600.0),
            ("direct_tcp_mb_s".into(), 1200.0),
            ("relayed_tcp_mb_s".into(), 800.0),
            ("service_rps".into(), 3000.0),
            ("direct_pod_rps".into(), 4000.0),
        ];
        add_ratio(&mut figures);
        assert_eq!(
            figures[5..],
            [
                ("portforward_vs_direct".to_string(), 0.5),
                ("portforward_vs_relayed".to_string(), 0.75),
                ("service_vs_direct".to_string(), 0.75),
            ]
        );
    }

    #[test]
    fn convergence_ratio_is_wasm_seconds_over_native_seconds() {
        let mut figures = vec![
            ("converge_10k_pods_1k_nodes_s_native".into(), 12.0),
            ("converge_10k_pods_1k_nodes_s_wasm".into(), 30.0),
        ];
        add_ratio(&mut figures);
        assert_eq!(
            figures.last(),
            Some(&("converge_wasm_vs_native".to_string(), 2.5))
        );
    }

    #[test]
    fn ratio_is_absent_without_a_browser_figure() {
        let mut figures = vec![("store_creates_per_s".into(), 200.0)];
        add_ratio(&mut figures);
        assert_eq!(figures.len(), 1);
    }

    #[test]
    fn results_are_a_flat_json_object() {
        let json = to_json(&[("x".into(), 1.5), ("y".into(), f64::NAN)]);
        assert_eq!(json, "{\n  \"x\": 1.5,\n  \"y\": null\n}\n");
    }
}
