//! The scheduling framework: filter plugins decide which nodes can run a pod,
//! score plugins rank those, and one cycle places one pod, as in Kubernetes'
//! `pkg/scheduler/framework`.

use super::cache::{Cache, NodeInfo};
use super::message::FitError;
use super::node_selector::NodeSelector;
use super::pod_info::PodInfo;
use super::{filter, score};
use crate::apiserver::ApiServer;
use crate::rng::Rng;
use std::collections::HashMap;

/// How bad a rejection is: whether evicting pods (preemption) could ever help.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Code {
    Unschedulable,
    UnschedulableAndUnresolvable,
}

/// Why a node cannot run the pod, in Kubernetes' words (`Insufficient cpu`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rejection {
    pub code: Code,
    pub reasons: Vec<String>,
}

impl Rejection {
    pub fn new(code: Code, reason: impl Into<String>) -> Rejection {
        Rejection {
            code,
            reasons: vec![reason.into()],
        }
    }
}

/// What a plugin's pre-filter decided for the whole cycle.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PreFilter {
    /// The plugin has nothing to check for this pod.
    Skip,
    Run,
    /// No node can run the pod; the message stands for all of them.
    Reject(Code, String),
}

/// Per-cycle facts plugins computed up front, so per-node checks are lookups.
#[derive(Debug, Default)]
pub struct CycleState {
    /// Node affinities of the PersistentVolumes the pod's claims are bound to.
    pub volume_node_affinity: Vec<NodeSelector>,
    pub inter_pod: filter::inter_pod_affinity::Topologies,
    pub spread: filter::pod_topology_spread::Spread,
    pub preferred_pods: score::inter_pod_affinity::Preferences,
}

pub trait FilterPlugin {
    fn name(&self) -> &'static str;
    fn pre_filter(
        &self,
        pod: &PodInfo,
        cache: &Cache,
        api: &ApiServer,
        state: &mut CycleState,
    ) -> PreFilter;
    fn filter(&self, pod: &PodInfo, node: &NodeInfo, state: &CycleState) -> Result<(), Rejection>;
}

pub trait ScorePlugin {
    fn name(&self) -> &'static str;
    fn weight(&self) -> i64;
    /// Prepares the cycle; `false` skips the plugin for this pod.
    fn pre_score(&self, pod: &PodInfo, cache: &Cache, state: &mut CycleState) -> bool {
        let _ = (pod, cache, state);
        true
    }
    fn score(&self, pod: &PodInfo, node: &NodeInfo, state: &CycleState) -> i64;
    /// Maps raw scores onto 0..=100.
    fn normalize(&self, scores: &mut [i64]) {
        let _ = scores;
    }
}

/// The highest score a plugin gives a node.
pub const MAX_NODE_SCORE: i64 = 100;

/// Scales scores so the best is 100 (or the worst, with `reverse`), Kubernetes' default normalization.
pub fn default_normalize(scores: &mut [i64], reverse: bool) {
    let max = scores.iter().copied().max().unwrap_or(0);
    if max == 0 {
        if reverse {
            scores.iter_mut().for_each(|s| *s = MAX_NODE_SCORE);
        }
        return;
    }
    for s in scores.iter_mut() {
        *s = MAX_NODE_SCORE * *s / max;
        if reverse {
            *s = MAX_NODE_SCORE - *s;
        }
    }
}

/// The default profile: Kubernetes' plugins in its order, with its weights.
pub struct Framework {
    filters: Vec<Box<dyn FilterPlugin>>,
    scores: Vec<Box<dyn ScorePlugin>>,
    /// Where the next search for feasible nodes starts, so big clusters share the load.
    next_start: usize,
}

impl Default for Framework {
    fn default() -> Self {
        Framework {
            filters: vec![
                Box::new(filter::node_unschedulable::NodeUnschedulable),
                Box::new(filter::node_name::NodeName),
                Box::new(filter::taint_toleration::TaintToleration),
                Box::new(filter::node_affinity::NodeAffinity),
                Box::new(filter::node_ports::NodePorts),
                Box::new(filter::node_resources_fit::NodeResourcesFit),
                Box::new(filter::volume_restrictions::VolumeRestrictions),
                Box::new(filter::volume_binding::VolumeBinding),
                Box::new(filter::pod_topology_spread::PodTopologySpread),
                Box::new(filter::inter_pod_affinity::InterPodAffinity),
            ],
            scores: vec![
                Box::new(score::taint_toleration::TaintToleration),
                Box::new(score::node_affinity::NodeAffinity),
                Box::new(score::least_allocated::LeastAllocated),
                Box::new(score::balanced_allocation::BalancedAllocation),
                Box::new(score::inter_pod_affinity::InterPodAffinity),
                Box::new(score::spread::ReplicaSpread),
                Box::new(score::spread::TopologySpread),
            ],
            next_start: 0,
        }
    }
}

/// Kubernetes' adaptive `percentageOfNodesToScore`: in big clusters it stops
/// looking once it has found enough feasible nodes.
fn feasible_nodes_to_find(all: usize) -> usize {
    const MIN_FEASIBLE: usize = 100;
    if all < MIN_FEASIBLE {
        return all;
    }
    let percentage = 50usize.saturating_sub(all / 125).max(5);
    (all * percentage / 100).max(MIN_FEASIBLE)
}

/// A stable seed from the pod's uid, so ties fall the same way on every run.
fn seed_of(pod: &PodInfo) -> u64 {
    pod.uid
        .bytes()
        .chain(pod.namespace.bytes())
        .chain(pod.name.bytes())
        .fold(0xcbf2_9ce4_8422_2325u64, |h, b| {
            (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
        })
}

impl Framework {
    /// One scheduling cycle: the node to bind the pod to, or why there is none.
    pub fn schedule(
        &mut self,
        pod: &PodInfo,
        cache: &Cache,
        api: &ApiServer,
    ) -> Result<String, FitError> {
        let nodes = cache.nodes();
        if nodes.is_empty() {
            return Err(FitError::no_nodes());
        }
        let mut state = CycleState::default();
        let mut active: Vec<&dyn FilterPlugin> = Vec::with_capacity(self.filters.len());
        for f in &self.filters {
            match f.pre_filter(pod, cache, api, &mut state) {
                PreFilter::Skip => {}
                PreFilter::Run => active.push(f.as_ref()),
                PreFilter::Reject(code, message) => {
                    return Err(FitError::pre_filter(
                        nodes.len(),
                        message,
                        code == Code::Unschedulable,
                    ))
                }
            }
        }
        let want = feasible_nodes_to_find(nodes.len());
        let mut feasible: Vec<usize> = Vec::with_capacity(want.min(nodes.len()));
        let mut reasons: HashMap<String, usize> = HashMap::new();
        let mut resolvable = 0;
        let mut processed = 0;
        for step in 0..nodes.len() {
            if feasible.len() >= want {
                break;
            }
            processed += 1;
            let i = (self.next_start + step) % nodes.len();
            match active
                .iter()
                .try_for_each(|f| f.filter(pod, &nodes[i], &state))
            {
                Ok(()) => feasible.push(i),
                Err(rejection) => {
                    if rejection.code == Code::Unschedulable {
                        resolvable += 1;
                    }
                    for r in rejection.reasons {
                        *reasons.entry(r).or_default() += 1;
                    }
                }
            }
        }
        self.next_start = (self.next_start + processed) % nodes.len();
        match feasible.as_slice() {
            [] => return Err(FitError::filtered(nodes.len(), reasons, resolvable)),
            [only] => return Ok(nodes[*only].name.clone()),
            _ => {}
        }
        let mut totals = vec![0i64; feasible.len()];
        let mut scores = vec![0i64; feasible.len()];
        for plugin in &self.scores {
            if !plugin.pre_score(pod, cache, &mut state) {
                continue;
            }
            for (s, &i) in scores.iter_mut().zip(&feasible) {
                *s = plugin.score(pod, &nodes[i], &state);
            }
            plugin.normalize(&mut scores);
            let w = plugin.weight();
            for (t, s) in totals.iter_mut().zip(&scores) {
                *t += s * w;
            }
        }
        Ok(nodes[self.select(pod, &feasible, &totals)].name.clone())
    }

    /// The best-scoring node; among equals, one picked by a draw seeded by the pod.
    fn select(&self, pod: &PodInfo, feasible: &[usize], totals: &[i64]) -> usize {
        let mut rng = Rng::new(seed_of(pod));
        let best = totals.iter().copied().max().unwrap_or(0);
        let mut chosen = feasible[0];
        let mut ties = 0u64;
        for (&i, &t) in feasible.iter().zip(totals) {
            if t == best {
                ties += 1;
                if rng.below(ties) == 0 {
                    chosen = i;
                }
            }
        }
        chosen
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn big_clusters_look_for_a_share_of_their_nodes() {
        assert_eq!(feasible_nodes_to_find(50), 50);
        assert_eq!(feasible_nodes_to_find(1000), 420);
        assert_eq!(feasible_nodes_to_find(5000), 500);
        assert_eq!(feasible_nodes_to_find(150), 100);
    }

    #[test]
    fn reverse_normalization_favours_the_lowest() {
        let mut s = [0, 2, 4];
        default_normalize(&mut s, true);
        assert_eq!(s, [100, 50, 0]);
        let mut zero = [0, 0];
        default_normalize(&mut zero, true);
        assert_eq!(zero, [100, 100]);
    }
}
