//! PodTopologySpread: with `whenUnsatisfiable: DoNotSchedule`, placing the pod
//! may not make any domain hold more than `maxSkew` matching pods above the
//! emptiest one. Only nodes the pod's node affinity accepts count as domains.

use super::node_affinity::required_match;
use crate::apiserver::ApiServer;
use crate::scheduler::cache::{Cache, NodeInfo};
use crate::scheduler::framework::{Code, CycleState, FilterPlugin, PreFilter, Rejection};
use crate::scheduler::pod_info::{PodInfo, SpreadConstraint};
use serde_json::Value;
use std::collections::HashMap;

pub struct PodTopologySpread;

/// Matching pods per domain, for each of the pod's constraints (same order).
#[derive(Debug, Default)]
pub struct Spread {
    pub counts: Vec<HashMap<String, i64>>,
    /// The emptiest domain's count, per constraint.
    pub minimum: Vec<i64>,
}

fn domain<'a>(node: &'a NodeInfo, key: &str) -> Option<&'a str> {
    node.labels.get(key).and_then(Value::as_str)
}

/// Counts matching pods by domain over the nodes eligible for the pod.
pub fn count(pod: &PodInfo, constraints: &[&SpreadConstraint], cache: &Cache) -> Spread {
    let mut counts: Vec<HashMap<String, i64>> = vec![HashMap::new(); constraints.len()];
    for node in cache.nodes() {
        if !required_match(pod, node) {
            continue;
        }
        for (c, map) in constraints.iter().zip(counts.iter_mut()) {
            if let Some(v) = domain(node, &c.topology_key) {
                map.entry(v.to_string()).or_insert(0);
            }
        }
    }
    for assigned in cache.pods() {
        if assigned.info.namespace != pod.namespace {
            continue;
        }
        let Some(node) = cache.node(&assigned.node) else {
            continue;
        };
        for (c, map) in constraints.iter().zip(counts.iter_mut()) {
            if !c.selector.matches(Some(&assigned.info.labels)) {
                continue;
            }
            if let Some(n) = domain(node, &c.topology_key).and_then(|v| map.get_mut(v)) {
                *n += 1;
            }
        }
    }
    let minimum = counts
        .iter()
        .map(|m| m.values().copied().min().unwrap_or(0))
        .collect();
    Spread { counts, minimum }
}

fn hard(pod: &PodInfo) -> Vec<&SpreadConstraint> {
    pod.spread_constraints.iter().filter(|c| c.hard).collect()
}

impl FilterPlugin for PodTopologySpread {
    fn name(&self) -> &'static str {
        "PodTopologySpread"
    }

    fn pre_filter(
        &self,
        pod: &PodInfo,
        cache: &Cache,
        _: &ApiServer,
        state: &mut CycleState,
    ) -> PreFilter {
        let constraints = hard(pod);
        if constraints.is_empty() {
            return PreFilter::Skip;
        }
        state.spread = count(pod, &constraints, cache);
        PreFilter::Run
    }

    fn filter(&self, pod: &PodInfo, node: &NodeInfo, state: &CycleState) -> Result<(), Rejection> {
        for (i, c) in hard(pod).into_iter().enumerate() {
            let Some(value) = domain(node, &c.topology_key) else {
                return Err(Rejection::new(
                    Code::UnschedulableAndUnresolvable,
                    "node(s) didn't match pod topology spread constraints (missing required label)",
                ));
            };
            let here = state
                .spread
                .counts
                .get(i)
                .and_then(|m| m.get(value))
                .copied()
                .unwrap_or(0);
            let itself = i64::from(c.selector.matches(Some(&pod.labels)));
            let minimum = state.spread.minimum.get(i).copied().unwrap_or(0);
            if here + itself - minimum > c.max_skew {
                return Err(Rejection::new(
                    Code::Unschedulable,
                    "node(s) didn't match pod topology spread constraints",
                ));
            }
        }
        Ok(())
    }
}
