//! Presentation decisions that depend on the data, kept out of the components so they are
//! tested: how densely to draw pods, which colour a Service gets, how to shorten names.

use super::{ClusterView, ServiceView};

/// How pod chips are drawn, so the map stays readable from 3 pods to 300.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Density {
    /// Name, STATUS and restarts on every chip.
    Full,
    /// Short name and a restart badge.
    Compact,
    /// One coloured square per pod; details on focus.
    Dots,
}

/// Pods up to which chips carry their full name and status.
pub const FULL_UP_TO: usize = 16;
/// Pods up to which chips carry a short name.
pub const COMPACT_UP_TO: usize = 120;

impl Density {
    pub fn for_pods(count: usize) -> Self {
        if count <= FULL_UP_TO {
            Self::Full
        } else if count <= COMPACT_UP_TO {
            Self::Compact
        } else {
            Self::Dots
        }
    }

    pub fn class(self) -> &'static str {
        match self {
            Self::Full => "density-full",
            Self::Compact => "density-compact",
            Self::Dots => "density-dots",
        }
    }
}

/// Distinct Service colours in the stylesheet (`svc-0` … `svc-7`).
pub const SERVICE_COLOURS: usize = 8;

/// The Services that route to pods (those with a selector), in the order lanes are drawn.
pub fn routed_services(view: &ClusterView) -> impl Iterator<Item = (usize, &ServiceView)> {
    view.services
        .iter()
        .enumerate()
        .filter(|(_, s)| !s.selector.is_empty() && s.selector != "<none>")
}

/// The colour class of the lane of Service `index` and of the pods it routes to.
pub fn service_colour(view: &ClusterView, index: usize) -> String {
    let position = routed_services(view).position(|(i, _)| i == index).unwrap_or(index);
    format!("svc-{}", position % SERVICE_COLOURS)
}

/// For every pod, the Services it is a ready endpoint of (one pass over the endpoints, so a
/// 1,000-pod map does not search every Service per pod).
pub fn services_by_pod(view: &ClusterView) -> Vec<Vec<usize>> {
    let mut by_pod = vec![Vec::new(); view.pods.len()];
    for (s, service) in view.services.iter().enumerate() {
        for &pod in &service.ready {
            if let Some(list) = by_pod.get_mut(pod as usize) {
                list.push(s);
            }
        }
    }
    by_pod
}

/// A generated pod name without its template hash: `web-7d9c8-x2x9z` (of ReplicaSet
/// `web-7d9c8`) → `web-x2x9z`; other names are cut to 14 characters.
pub fn short_name(name: &str, owner: &str) -> String {
    let replica_set = owner.strip_prefix("ReplicaSet/");
    let workload = replica_set.and_then(|rs| rs.rsplit_once('-')).map(|(deployment, _)| deployment);
    match (workload, replica_set.and_then(|rs| name.strip_prefix(rs)).and_then(|rest| rest.strip_prefix('-'))) {
        (Some(deployment), Some(suffix)) if !suffix.is_empty() => format!("{deployment}-{suffix}"),
        _ => name.chars().take(14).collect(),
    }
}

/// The restart count a dot-sized chip can hold: one or two characters.
pub fn dot_restarts(restarts: u32) -> Option<String> {
    match restarts {
        0 => None,
        1..=9 => Some(restarts.to_string()),
        _ => Some("9+".to_string()),
    }
}

/// Seconds a traffic "packet" takes along a lane: faster with more requests, never frantic.
pub fn flow_seconds(rps: f64) -> f64 {
    if rps <= 0.0 {
        0.0
    } else {
        (4.0 / (1.0 + rps / 50.0)).clamp(0.4, 4.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn three_pods_get_full_chips_and_three_hundred_get_dots() {
        assert_eq!(Density::for_pods(3), Density::Full);
        assert_eq!(Density::for_pods(80), Density::Compact);
        assert_eq!(Density::for_pods(300), Density::Dots);
    }

    #[test]
    fn replica_set_pods_shorten_to_workload_and_suffix() {
        assert_eq!(short_name("web-7d9c8-x2x9z", "ReplicaSet/web-7d9c8"), "web-x2x9z");
        assert_eq!(short_name("db-0", "StatefulSet/db"), "db-0");
        assert_eq!(short_name("a-very-long-handmade-pod", ""), "a-very-long-ha");
    }

    #[test]
    fn dots_show_restarts_in_at_most_two_characters() {
        assert_eq!(dot_restarts(0), None);
        assert_eq!(dot_restarts(7).as_deref(), Some("7"));
        assert_eq!(dot_restarts(12).as_deref(), Some("9+"));
    }

    #[test]
    fn more_traffic_flows_faster_within_bounds() {
        assert_eq!(flow_seconds(0.0), 0.0);
        assert!(flow_seconds(10.0) > flow_seconds(200.0));
        assert_eq!(flow_seconds(1e9), 0.4);
    }

    #[test]
    fn each_pod_knows_the_services_it_serves() {
        let svc = |ready: Vec<u32>| ServiceView { selector: "app=x".into(), ready, ..Default::default() };
        let view = ClusterView {
            pods: vec![Default::default(); 3],
            services: vec![svc(vec![0, 2]), svc(vec![2, 7])],
            ..Default::default()
        };
        assert_eq!(services_by_pod(&view), vec![vec![0], vec![], vec![0, 1]]);
    }

    #[test]
    fn services_without_selectors_get_no_lane_colour_slot() {
        let svc = |name: &str, selector: &str| ServiceView { name: name.into(), selector: selector.into(), ..Default::default() };
        let view = ClusterView {
            services: vec![svc("kubernetes", "<none>"), svc("web", "app=web"), svc("db", "app=db")],
            ..Default::default()
        };
        assert_eq!(service_colour(&view, 1), "svc-0");
        assert_eq!(service_colour(&view, 2), "svc-1");
    }
}
