//! Container resource usage for the metrics API: CPU in nanocores from Docker's two samples
//! (current and previous read), memory as the working set (usage minus inactive file cache).

use super::ContainerUsage;
use bollard::models::ContainerStatsResponse;
use bollard::query_parameters::StatsOptions;
use futures_util::StreamExt;
use jiff::Timestamp;

/// One stats read of a container (Docker waits for a second sample to fill `precpu_stats`).
pub async fn sample(
    docker: &bollard::Docker,
    container_id: &str,
) -> Option<ContainerStatsResponse> {
    let mut s = docker.stats(
        container_id,
        Some(StatsOptions {
            stream: false,
            one_shot: false,
        }),
    );
    s.next().await?.ok()
}

/// CPU use between the two samples in nanocores, and the memory working set.
pub fn usage(name: &str, s: &ContainerStatsResponse) -> ContainerUsage {
    let total = |c: Option<&bollard::models::ContainerCpuStats>| {
        c.and_then(|c| c.cpu_usage.as_ref())
            .and_then(|u| u.total_usage)
            .unwrap_or(0)
    };
    let used = total(s.cpu_stats.as_ref()).saturating_sub(total(s.precpu_stats.as_ref()));
    let time = |t: Option<&String>| t.and_then(|t| t.parse::<Timestamp>().ok());
    let wall = match (time(s.read.as_ref()), time(s.preread.as_ref())) {
        (Some(now), Some(before)) if before.as_second() > 0 => {
            now.duration_since(before).as_nanos()
        }
        _ => 0,
    };
    let cpu_nanocores = if wall > 0 {
        u64::try_from(i128::from(used) * 1_000_000_000 / wall).unwrap_or(0)
    } else {
        0
    };
    let memory_working_set_bytes = s.memory_stats.as_ref().map_or(0, |m| {
        let inactive = m.stats.as_ref().and_then(|st| {
            st.get("inactive_file")
                .or_else(|| st.get("total_inactive_file"))
        });
        m.usage
            .unwrap_or(0)
            .saturating_sub(inactive.copied().unwrap_or(0))
    });
    ContainerUsage {
        name: name.to_string(),
        cpu_nanocores,
        memory_working_set_bytes,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use bollard::models::{ContainerCpuStats, ContainerCpuUsage, ContainerMemoryStats};
    use std::collections::HashMap;

    fn cpu(total: u64) -> Option<ContainerCpuStats> {
        Some(ContainerCpuStats {
            cpu_usage: Some(ContainerCpuUsage {
                total_usage: Some(total),
                ..Default::default()
            }),
            ..Default::default()
        })
    }

    #[test]
    fn half_a_second_of_cpu_in_one_second_is_half_a_core() {
        let s = ContainerStatsResponse {
            read: Some("2026-01-01T00:00:01Z".into()),
            preread: Some("2026-01-01T00:00:00Z".into()),
            cpu_stats: cpu(1_700_000_000),
            precpu_stats: cpu(1_200_000_000),
            memory_stats: Some(ContainerMemoryStats {
                usage: Some(10_000),
                stats: Some(HashMap::from([("inactive_file".to_string(), 4_000)])),
                ..Default::default()
            }),
            ..Default::default()
        };
        let u = usage("app", &s);
        assert_eq!(u.cpu_nanocores, 500_000_000);
        assert_eq!(u.memory_working_set_bytes, 6_000);
    }

    #[test]
    fn a_first_sample_without_a_previous_read_counts_no_cpu() {
        let s = ContainerStatsResponse {
            read: Some("2026-01-01T00:00:01Z".into()),
            preread: Some("0001-01-01T00:00:00Z".into()),
            cpu_stats: cpu(5),
            ..Default::default()
        };
        assert_eq!(usage("app", &s).cpu_nanocores, 0);
    }
}
