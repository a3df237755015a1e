//! The machine's own CPU and memory use for the node's metrics, from `/proc/stat` and
//! `/proc/meminfo`: CPU is the busy share between two samples times the core count.

use kubeplay_shared::node_protocol::report::Usage;
use std::time::Instant;

/// The previous `/proc/stat` sample, so the next one yields the CPU use in between.
pub struct MachineUsage {
    busy: u64,
    total: u64,
    at: Instant,
}

impl MachineUsage {
    pub fn sample() -> Self {
        let (busy, total) = std::fs::read_to_string("/proc/stat")
            .ok()
            .and_then(|t| cpu_jiffies(&t))
            .unwrap_or((0, 0));
        Self {
            busy,
            total,
            at: Instant::now(),
        }
    }

    /// Usage since the last call (or the first sample), and the window's length in seconds.
    pub fn next(&mut self, cores: u32) -> (Usage, u32) {
        let now = Self::sample();
        let busy = now.busy.saturating_sub(self.busy);
        let total = now.total.saturating_sub(self.total);
        let window = now.at.duration_since(self.at).as_secs().max(1) as u32;
        *self = now;
        let memory = std::fs::read_to_string("/proc/meminfo")
            .map(|t| used_memory_bytes(&t))
            .unwrap_or(0);
        (
            Usage {
                cpu_nanocores: cpu_nanocores(busy, total, cores),
                memory_bytes: memory,
            },
            window,
        )
    }
}

/// (busy, total) jiffies of the aggregate `cpu` line; idle and iowait are not busy.
fn cpu_jiffies(stat: &str) -> Option<(u64, u64)> {
    let line = stat.lines().find(|l| l.starts_with("cpu "))?;
    let fields: Vec<u64> = line
        .split_whitespace()
        .skip(1)
        .filter_map(|f| f.parse().ok())
        .collect();
    let total: u64 = fields.iter().take(8).sum();
    let idle = fields.get(3).copied().unwrap_or(0) + fields.get(4).copied().unwrap_or(0);
    Some((total.saturating_sub(idle), total))
}

fn cpu_nanocores(busy: u64, total: u64, cores: u32) -> u64 {
    if total == 0 {
        return 0;
    }
    (busy as u128 * u128::from(cores) * 1_000_000_000 / total as u128) as u64
}

/// MemTotal − MemAvailable, as the node's working set.
fn used_memory_bytes(meminfo: &str) -> u64 {
    let field = |name: &str| {
        meminfo
            .lines()
            .find_map(|l| {
                l.strip_prefix(name)?
                    .strip_prefix(':')?
                    .split_whitespace()
                    .next()?
                    .parse::<u64>()
                    .ok()
            })
            .unwrap_or(0)
    };
    field("MemTotal").saturating_sub(field("MemAvailable")) * 1024
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn busy_jiffies_leave_out_idle_and_iowait() {
        let stat = "cpu  100 0 50 800 50 0 0 0 0 0\ncpu0 1 2 3 4\n";
        assert_eq!(cpu_jiffies(stat), Some((150, 1000)));
    }

    #[test]
    fn half_busy_on_two_cores_is_one_core() {
        assert_eq!(cpu_nanocores(500, 1000, 2), 1_000_000_000);
        assert_eq!(cpu_nanocores(0, 0, 2), 0);
    }

    #[test]
    fn used_memory_is_total_minus_available() {
        assert_eq!(
            used_memory_bytes("MemTotal: 1000 kB\nMemAvailable: 400 kB\n"),
            600 * 1024
        );
    }
}
