//! InterPodAffinity score: preferred affinity pulls a pod towards the domains
//! of matching pods, preferred anti-affinity pushes it away, and existing
//! pods' preferences about the newcomer count too.

use crate::scheduler::cache::{Cache, NodeInfo};
use crate::scheduler::framework::{CycleState, ScorePlugin, MAX_NODE_SCORE};
use crate::scheduler::pod_info::{PodAffinityTerm, PodInfo};
use serde_json::Value;
use std::collections::HashMap;

pub struct InterPodAffinity;

/// How much the pod wants each (topology key, value) domain.
#[derive(Debug, Default)]
pub struct Preferences {
    by_domain: HashMap<(String, String), i64>,
}

/// Weight Kubernetes gives an existing pod's *required* affinity when scoring.
const HARD_POD_AFFINITY_WEIGHT: i64 = 1;

impl Preferences {
    fn add(&mut self, term: &PodAffinityTerm, node: &NodeInfo, weight: i64) {
        if let Some(value) = node.labels.get(&term.topology_key).and_then(Value::as_str) {
            *self
                .by_domain
                .entry((term.topology_key.clone(), value.to_string()))
                .or_default() += weight;
        }
    }
}

impl ScorePlugin for InterPodAffinity {
    fn name(&self) -> &'static str {
        "InterPodAffinity"
    }

    fn weight(&self) -> i64 {
        2
    }

    fn pre_score(&self, pod: &PodInfo, cache: &Cache, state: &mut CycleState) -> bool {
        let mut prefs = Preferences::default();
        let own = &pod.affinity;
        let wants = !own.preferred_affinity.is_empty() || !own.preferred_anti_affinity.is_empty();
        let mut consider = |other: &PodInfo, node: &NodeInfo| {
            for t in own
                .preferred_affinity
                .iter()
                .filter(|t| t.matches(&other.namespace, Some(&other.labels)))
            {
                prefs.add(t, node, t.weight);
            }
            for t in own
                .preferred_anti_affinity
                .iter()
                .filter(|t| t.matches(&other.namespace, Some(&other.labels)))
            {
                prefs.add(t, node, -t.weight);
            }
            let theirs = &other.affinity;
            for t in theirs
                .required_affinity
                .iter()
                .filter(|t| t.matches(&pod.namespace, Some(&pod.labels)))
            {
                prefs.add(t, node, HARD_POD_AFFINITY_WEIGHT);
            }
            for t in theirs
                .preferred_affinity
                .iter()
                .filter(|t| t.matches(&pod.namespace, Some(&pod.labels)))
            {
                prefs.add(t, node, t.weight);
            }
            for t in theirs
                .preferred_anti_affinity
                .iter()
                .filter(|t| t.matches(&pod.namespace, Some(&pod.labels)))
            {
                prefs.add(t, node, -t.weight);
            }
        };
        if wants {
            for a in cache.pods() {
                if let Some(node) = cache.node(&a.node) {
                    consider(&a.info, node);
                }
            }
        } else {
            for a in cache.pods_with_affinity() {
                if let Some(node) = cache.node(&a.node) {
                    consider(&a.info, node);
                }
            }
        }
        prefs.by_domain.retain(|_, w| *w != 0);
        let any = !prefs.by_domain.is_empty();
        state.preferred_pods = prefs;
        any
    }

    fn score(&self, _: &PodInfo, node: &NodeInfo, state: &CycleState) -> i64 {
        state
            .preferred_pods
            .by_domain
            .iter()
            .filter(|((key, value), _)| {
                node.labels.get(key).and_then(Value::as_str) == Some(value.as_str())
            })
            .map(|(_, w)| *w)
            .sum()
    }

    /// Min–max scaling, since anti-affinity makes raw scores negative.
    fn normalize(&self, scores: &mut [i64]) {
        let (min, max) = (
            scores.iter().copied().min().unwrap_or(0),
            scores.iter().copied().max().unwrap_or(0),
        );
        for s in scores.iter_mut() {
            *s = if max > min {
                MAX_NODE_SCORE * (*s - min) / (max - min)
            } else {
                0
            };
        }
    }
}
