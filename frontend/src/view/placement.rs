//! Where the map draws each pod this frame, so a rollout of hundreds of pods never makes one
//! long main-thread task: at most a budget of pods get a new place (a new chip in the DOM) per
//! frame; the others stay where they were drawn last (a pod just scheduled stays among the
//! waiting ones a moment longer) or appear a frame or two later. The map asks for another
//! frame while anything is deferred.

use super::ClusterView;
use std::collections::HashMap;

/// Where a pod's chip sits.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Spot {
    /// On the node of this name.
    Node(String),
    /// Among the pods waiting for a node.
    Waiting,
}

/// What one frame draws.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Placed {
    /// Per pod of the view (same index): where it is drawn, or `None` if not yet.
    pub spots: Vec<Option<Spot>>,
    /// Pods not where the view says yet; another frame is needed when this is not 0.
    pub deferred: usize,
}

/// The spots drawn last frame, by (namespace, name).
#[derive(Debug, Default)]
pub struct Placements {
    drawn: HashMap<(String, String), Spot>,
}

impl Placements {
    /// This frame's spots for `view`: pods already drawn where the view puts them stay; at most
    /// `budget` others move or appear; pods gone from the view are forgotten.
    pub fn place(&mut self, view: &ClusterView, budget: usize) -> Placed {
        let mut left = budget;
        let mut deferred = 0;
        let mut drawn = HashMap::with_capacity(view.pods.len());
        let spots = view
            .pods
            .iter()
            .map(|pod| {
                let key = (pod.namespace.clone(), pod.name.clone());
                let target = match pod.node.and_then(|n| view.nodes.get(usize::from(n))) {
                    Some(node) => Spot::Node(node.name.clone()),
                    None => Spot::Waiting,
                };
                let before = self.drawn.remove(&key);
                let spot = if before.as_ref() == Some(&target) {
                    Some(target)
                } else if left > 0 {
                    left -= 1;
                    Some(target)
                } else {
                    deferred += 1;
                    before
                };
                if let Some(spot) = &spot {
                    drawn.insert(key, spot.clone());
                }
                spot
            })
            .collect();
        self.drawn = drawn;
        Placed { spots, deferred }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::view::{NodeView, PodView};

    fn view(pods: &[(&str, Option<u16>)]) -> ClusterView {
        ClusterView {
            nodes: vec![NodeView {
                name: "node-1".into(),
                ..Default::default()
            }],
            pods: pods
                .iter()
                .map(|(name, node)| PodView {
                    namespace: "default".into(),
                    name: name.to_string(),
                    node: *node,
                    ..Default::default()
                })
                .collect(),
            ..Default::default()
        }
    }

    fn node() -> Option<Spot> {
        Some(Spot::Node("node-1".into()))
    }

    #[test]
    fn a_few_pods_are_all_drawn_at_once() {
        let placed = Placements::default().place(&view(&[("a", Some(0)), ("b", None)]), 10);
        assert_eq!(
            placed,
            Placed {
                spots: vec![node(), Some(Spot::Waiting)],
                deferred: 0
            }
        );
    }

    #[test]
    fn many_new_pods_appear_over_several_frames() {
        let names: Vec<String> = (0..5).map(|i| format!("p{i}")).collect();
        let pods: Vec<(&str, Option<u16>)> = names.iter().map(|n| (n.as_str(), None)).collect();
        let v = view(&pods);
        let mut placements = Placements::default();
        let first = placements.place(&v, 2);
        assert_eq!(first.spots.iter().filter(|s| s.is_some()).count(), 2);
        assert_eq!(first.deferred, 3);
        let second = placements.place(&v, 2);
        assert_eq!(
            (
                second.spots.iter().filter(|s| s.is_some()).count(),
                second.deferred
            ),
            (4, 1)
        );
        let third = placements.place(&v, 2);
        assert_eq!(third.deferred, 0);
        assert!(third.spots.iter().all(|s| *s == Some(Spot::Waiting)));
    }

    #[test]
    fn a_scheduled_pod_over_budget_stays_where_it_was_drawn() {
        let mut placements = Placements::default();
        placements.place(&view(&[("a", None), ("b", None)]), 10);
        let moved = placements.place(&view(&[("a", Some(0)), ("b", Some(0))]), 1);
        assert_eq!(moved.spots, vec![node(), Some(Spot::Waiting)]);
        assert_eq!(moved.deferred, 1);
        let next = placements.place(&view(&[("a", Some(0)), ("b", Some(0))]), 1);
        assert_eq!((next.spots, next.deferred), (vec![node(), node()], 0));
    }

    #[test]
    fn pods_gone_from_the_view_are_forgotten() {
        let mut placements = Placements::default();
        placements.place(&view(&[("a", None)]), 10);
        placements.place(&view(&[]), 10);
        // Back again, it counts as new: with no budget it is not drawn.
        let again = placements.place(&view(&[("a", None)]), 0);
        assert_eq!((again.spots, again.deferred), (vec![None], 1));
    }
}
