//! The geometry of the CPU-against-replicas chart: samples scaled into an SVG box, CPU% on the
//! left axis and replicas on the right, over a fixed ten-minute window so time moves left.

use super::history::{Sample, SAMPLE_LIMIT, SAMPLE_SECONDS};

/// Inner drawing area and margins of the chart, in SVG user units.
pub const WIDTH: f64 = 720.0;
pub const HEIGHT: f64 = 200.0;
pub const MARGIN_LEFT: f64 = 44.0;
pub const MARGIN_RIGHT: f64 = 40.0;
pub const MARGIN_TOP: f64 = 12.0;
pub const MARGIN_BOTTOM: f64 = 26.0;

/// Everything the chart component draws, precomputed.
#[derive(Debug, Clone, PartialEq)]
pub struct ChartGeometry {
    /// `x,y x,y …` for `<polyline>`.
    pub cpu_points: String,
    /// Replicas as a step line.
    pub replica_points: String,
    /// The target's y, if the autoscaler has one.
    pub target_y: Option<f64>,
    pub target: Option<u32>,
    /// Top of the CPU axis (percent) and of the replica axis.
    pub cpu_max: u32,
    pub replica_max: u32,
    /// Axis labels: (y, label) for CPU on the left, replicas on the right.
    pub cpu_ticks: Vec<(f64, String)>,
    pub replica_ticks: Vec<(f64, String)>,
}

fn plot_height() -> f64 {
    HEIGHT - MARGIN_TOP - MARGIN_BOTTOM
}

/// x of a sample taken at `at`, with the newest sample at `newest` on the right edge.
fn x(at: i64, newest: i64) -> f64 {
    let window = (SAMPLE_LIMIT as i64 * SAMPLE_SECONDS) as f64;
    let age = (newest - at) as f64;
    MARGIN_LEFT + (WIDTH - MARGIN_LEFT - MARGIN_RIGHT) * (1.0 - (age / window).clamp(0.0, 1.0))
}

fn y(value: f64, max: f64) -> f64 {
    MARGIN_TOP + plot_height() * (1.0 - (value / max).clamp(0.0, 1.0))
}

/// A round axis top at or above `value`.
fn nice_ceiling(value: u32, steps: &[u32]) -> u32 {
    steps.iter().copied().find(|s| *s >= value).unwrap_or_else(|| value.div_ceil(100) * 100)
}

impl ChartGeometry {
    pub fn new(samples: &[Sample]) -> Self {
        let newest = samples.last().map_or(0, |s| s.at);
        let target = samples.last().and_then(|s| s.target);
        let highest_cpu = samples.iter().filter_map(|s| s.cpu).chain(target).max().unwrap_or(0);
        let cpu_max = nice_ceiling(highest_cpu.max(100), &[100, 150, 200, 300, 400, 500, 800, 1000]);
        let highest_replicas = samples.iter().map(|s| s.replicas.max(s.desired)).max().unwrap_or(0);
        let replica_max = nice_ceiling(highest_replicas.max(4), &[4, 6, 8, 10, 15, 20, 30, 50, 100]);
        let cpu_points = samples
            .iter()
            .filter_map(|s| Some(format!("{:.1},{:.1}", x(s.at, newest), y(f64::from(s.cpu?), f64::from(cpu_max)))))
            .collect::<Vec<_>>()
            .join(" ");
        let mut steps = Vec::new();
        let mut previous: Option<f64> = None;
        for s in samples {
            let (sx, sy) = (x(s.at, newest), y(f64::from(s.replicas), f64::from(replica_max)));
            if let Some(py) = previous {
                steps.push(format!("{sx:.1},{py:.1}"));
            }
            steps.push(format!("{sx:.1},{sy:.1}"));
            previous = Some(sy);
        }
        let ticks = |max: u32, suffix: &str| {
            (0..=4)
                .map(|i| {
                    let value = f64::from(max) * f64::from(i) / 4.0;
                    (y(value, f64::from(max)), format!("{}{suffix}", value.round()))
                })
                .collect()
        };
        Self {
            cpu_points,
            replica_points: steps.join(" "),
            target_y: target.map(|t| y(f64::from(t), f64::from(cpu_max))),
            target,
            cpu_max,
            replica_max,
            cpu_ticks: ticks(cpu_max, "%"),
            replica_ticks: ticks(replica_max, ""),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample(at: i64, cpu: u32, replicas: u32) -> Sample {
        Sample { at, cpu: Some(cpu), target: Some(50), replicas, desired: replicas, rps: None }
    }

    #[test]
    fn the_newest_sample_sits_on_the_right_edge_and_higher_values_sit_higher() {
        let g = ChartGeometry::new(&[sample(0, 20, 1), sample(5, 90, 3)]);
        let points: Vec<(f64, f64)> = g
            .cpu_points
            .split(' ')
            .map(|p| {
                let (a, b) = p.split_once(',').unwrap();
                (a.parse().unwrap(), b.parse().unwrap())
            })
            .collect();
        assert_eq!(points[1].0, WIDTH - MARGIN_RIGHT);
        assert!(points[1].1 < points[0].1, "90% is drawn above 20%");
        assert_eq!((g.cpu_max, g.replica_max, g.target), (100, 4, Some(50)));
        assert_eq!(g.target_y, Some(MARGIN_TOP + plot_height() / 2.0));
    }

    #[test]
    fn replicas_draw_as_steps_and_axes_grow_with_the_data() {
        let g = ChartGeometry::new(&[sample(0, 250, 2), sample(5, 250, 9)]);
        assert_eq!(g.replica_points.split(' ').count(), 3, "up, across, up");
        assert_eq!((g.cpu_max, g.replica_max), (300, 10));
        assert_eq!(g.cpu_ticks.last().map(|t| t.1.as_str()), Some("300%"));
    }

    #[test]
    fn no_samples_draw_nothing() {
        let g = ChartGeometry::new(&[]);
        assert!(g.cpu_points.is_empty() && g.replica_points.is_empty() && g.target_y.is_none());
    }
}
