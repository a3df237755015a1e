//! Why a pod could not be scheduled, worded exactly as kube-scheduler words its
//! `FailedScheduling` Events: the reasons histogram, then what preemption found.

use std::collections::HashMap;
use std::fmt;

/// The outcome of a failed cycle over `nodes` nodes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FitError {
    nodes: usize,
    /// A pre-filter rejection, which stands for every node.
    pre_filter: Option<String>,
    /// Reason → how many nodes gave it.
    reasons: HashMap<String, usize>,
    /// Nodes whose rejection evicting lower-priority pods might have cured.
    resolvable: usize,
}

impl FitError {
    pub fn no_nodes() -> FitError {
        FitError {
            nodes: 0,
            pre_filter: None,
            reasons: HashMap::new(),
            resolvable: 0,
        }
    }

    /// A pre-filter rejection; `resolvable` when it is of the kind preemption looks past.
    pub fn pre_filter(nodes: usize, message: String, resolvable: bool) -> FitError {
        let resolvable = if resolvable { nodes } else { 0 };
        FitError {
            nodes,
            pre_filter: Some(message),
            reasons: HashMap::new(),
            resolvable,
        }
    }

    pub fn filtered(nodes: usize, reasons: HashMap<String, usize>, resolvable: usize) -> FitError {
        FitError {
            nodes,
            pre_filter: None,
            reasons,
            resolvable,
        }
    }

    /// `3 Insufficient cpu` style entries, sorted as strings as Kubernetes sorts them.
    fn histogram(counts: impl IntoIterator<Item = (usize, String)>) -> String {
        let mut entries: Vec<String> = counts
            .into_iter()
            .map(|(n, r)| format!("{n} {r}"))
            .collect();
        entries.sort();
        entries.join(", ")
    }

    /// What the preemption post-filter reports: no pod here has a lower priority
    /// to evict, so nodes that failed on resources have "no victims" and the rest
    /// cannot be helped at all.
    fn preemption(&self) -> String {
        let mut counts = Vec::new();
        if self.resolvable > 0 {
            counts.push((
                self.resolvable,
                "No preemption victims found for incoming pod".to_string(),
            ));
        }
        let hopeless = self.nodes - self.resolvable.min(self.nodes);
        if hopeless > 0 {
            counts.push((
                hopeless,
                "Preemption is not helpful for scheduling".to_string(),
            ));
        }
        format!(
            "0/{} nodes are available: {}.",
            self.nodes,
            Self::histogram(counts)
        )
    }
}

impl fmt::Display for FitError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.nodes == 0 {
            return f.write_str("no nodes available to schedule pods");
        }
        write!(f, "0/{} nodes are available:", self.nodes)?;
        match &self.pre_filter {
            Some(message) => write!(f, " {message}.")?,
            None => {
                let histogram = Self::histogram(self.reasons.iter().map(|(r, n)| (*n, r.clone())));
                if !histogram.is_empty() {
                    write!(f, " {histogram}.")?;
                }
            }
        }
        // The post-filter's own sentence gets the separator's period too, hence `..` as on real clusters.
        write!(f, " preemption: {}.", self.preemption())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reasons_sort_as_text_and_preemption_follows() {
        let reasons = HashMap::from([
            ("Insufficient cpu".to_string(), 2),
            (
                "node(s) had untolerated taint {node-role.kubernetes.io/control-plane: }"
                    .to_string(),
                1,
            ),
        ]);
        assert_eq!(
            FitError::filtered(3, reasons, 2).to_string(),
            "0/3 nodes are available: 1 node(s) had untolerated taint {node-role.kubernetes.io/control-plane: }, 2 Insufficient cpu. \
             preemption: 0/3 nodes are available: 1 Preemption is not helpful for scheduling, 2 No preemption victims found for incoming pod.."
        );
    }

    #[test]
    fn a_pre_filter_rejection_speaks_for_every_node() {
        let e = FitError::pre_filter(2, "persistentvolumeclaim \"data\" not found".into(), true);
        assert_eq!(
            e.to_string(),
            "0/2 nodes are available: persistentvolumeclaim \"data\" not found. preemption: 0/2 nodes are available: 2 No preemption victims found for incoming pod.."
        );
        assert_eq!(
            FitError::no_nodes().to_string(),
            "no nodes available to schedule pods"
        );
    }
}
