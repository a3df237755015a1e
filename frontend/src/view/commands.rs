//! What the node controls ask the control plane's host to do, as serializable commands: nodes
//! join, leave, resize, cordon and fail through the simulated fleet's own functions.

use super::NodeView;
use kubeplay_shared::apiserver::ApiError;
use kubeplay_shared::sim::nodes::{self, NodeSpec};
use kubeplay_shared::{ApiServer, Timestamp};
use serde::{Deserialize, Serialize};

/// Node sizes the map offers: (label, cpu, memory, max pods).
pub const NODE_SIZES: &[(&str, &str, &str, u32)] = &[
    ("small (2 CPU, 4Gi)", "2", "4Gi", 110),
    ("medium (4 CPU, 8Gi)", "4", "8Gi", 110),
    ("large (8 CPU, 16Gi)", "8", "16Gi", 110),
];

/// A change to the node fleet.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "command", rename_all = "camelCase")]
pub enum NodeCommand {
    /// A new simulated node registers itself.
    Add { name: String, cpu: String, memory: String, pods: u32 },
    /// The node is deleted (its kubelet stops with it).
    Remove { name: String },
    /// The node now offers this much.
    Resize { name: String, cpu: String, memory: String, pods: u32 },
    /// `kubectl cordon` (`true`) or `kubectl uncordon` (`false`).
    Cordon { name: String, unschedulable: bool },
    /// The node's kubelet goes silent (`true`) or comes back (`false`).
    Fail { name: String, failed: bool },
}

impl NodeCommand {
    /// Carries the command out in cluster time `now`; bad input changes nothing.
    pub fn apply(&self, api: &mut ApiServer, now: Timestamp) -> Result<(), ApiError> {
        let spec = |name: &String, cpu: &String, memory: &String, pods: &u32| NodeSpec {
            name: name.clone(),
            cpu: cpu.clone(),
            memory: memory.clone(),
            pods: *pods,
        };
        match self {
            Self::Add { name, cpu, memory, pods } => nodes::add_node(api, &spec(name, cpu, memory, pods), now).map(drop),
            Self::Remove { name } => nodes::remove_node(api, name, now),
            Self::Resize { name, cpu, memory, pods } => {
                nodes::resize_node(api, &spec(name, cpu, memory, pods), now).map(drop)
            }
            Self::Cordon { name, unschedulable } => nodes::set_unschedulable(api, name, *unschedulable, now).map(drop),
            Self::Fail { name, failed } => nodes::set_failed(api, name, *failed, now).map(drop),
        }
    }

    /// Adds a node of one of the [`NODE_SIZES`]; `None` for an index out of range.
    pub fn add_of_size(name: String, size: usize) -> Option<Self> {
        let (_, cpu, memory, pods) = NODE_SIZES.get(size)?;
        Some(Self::Add { name, cpu: cpu.to_string(), memory: memory.to_string(), pods: *pods })
    }

    /// Resizes a node to one of the [`NODE_SIZES`]; `None` for an index out of range.
    pub fn resize_to(name: String, size: usize) -> Option<Self> {
        let (_, cpu, memory, pods) = NODE_SIZES.get(size)?;
        Some(Self::Resize { name, cpu: cpu.to_string(), memory: memory.to_string(), pods: *pods })
    }

    /// A short past-tense line for the page's log: `node-4 cordoned`.
    pub fn describe(&self) -> String {
        match self {
            Self::Add { name, cpu, memory, .. } => format!("{name} added ({cpu} CPU, {memory})"),
            Self::Remove { name } => format!("{name} removed"),
            Self::Resize { name, cpu, memory, .. } => format!("{name} resized to {cpu} CPU, {memory}"),
            Self::Cordon { name, unschedulable: true } => format!("{name} cordoned"),
            Self::Cordon { name, unschedulable: false } => format!("{name} uncordoned"),
            Self::Fail { name, failed: true } => format!("{name} failed"),
            Self::Fail { name, failed: false } => format!("{name} recovered"),
        }
    }
}

/// The first `node-N` no node is called yet.
pub fn next_node_name(nodes: &[NodeView]) -> String {
    (1..)
        .map(|i| format!("node-{i}"))
        .find(|name| nodes.iter().all(|n| &n.name != name))
        .unwrap_or_else(|| "node-new".into())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t0() -> Timestamp {
        "2026-01-01T00:00:00Z".parse().unwrap()
    }

    fn add(name: &str) -> NodeCommand {
        NodeCommand::Add { name: name.into(), cpu: "2".into(), memory: "4Gi".into(), pods: 110 }
    }

    #[test]
    fn commands_change_the_node_as_kubectl_would_and_survive_serialization() {
        let mut api = ApiServer::new(1, t0());
        let cordon = NodeCommand::Cordon { name: "node-1".into(), unschedulable: true };
        for command in [add("node-1"), cordon.clone(), NodeCommand::Fail { name: "node-1".into(), failed: true }] {
            let wire = serde_json::to_string(&command).unwrap();
            let back: NodeCommand = serde_json::from_str(&wire).unwrap();
            back.apply(&mut api, t0()).unwrap();
        }
        let r = kubeplay_shared::api::resources::by_plural("", "v1", "nodes").unwrap();
        let node = api.get(r, "", "node-1").unwrap();
        assert_eq!(node["spec"]["unschedulable"], true);
        assert!(nodes::is_failed(node));
        assert_eq!(cordon.describe(), "node-1 cordoned");
    }

    #[test]
    fn a_command_for_a_missing_node_fails_and_changes_nothing() {
        let mut api = ApiServer::new(1, t0());
        let before = api.store().revision();
        let err = NodeCommand::Remove { name: "ghost".into() }.apply(&mut api, t0()).unwrap_err();
        assert!(err.to_string().contains("ghost"), "{err}");
        assert_eq!(api.store().revision(), before);
    }

    #[test]
    fn sizes_come_from_the_offered_list_only() {
        assert_eq!(
            NodeCommand::resize_to("node-1".into(), 2),
            Some(NodeCommand::Resize { name: "node-1".into(), cpu: "8".into(), memory: "16Gi".into(), pods: 110 })
        );
        assert_eq!(NodeCommand::add_of_size("node-9".into(), NODE_SIZES.len()), None);
    }

    #[test]
    fn new_nodes_take_the_first_free_name() {
        let named = |n: &str| NodeView { name: n.into(), ..Default::default() };
        assert_eq!(next_node_name(&[named("node-1"), named("node-3")]), "node-2");
        assert_eq!(next_node_name(&[]), "node-1");
    }
}
