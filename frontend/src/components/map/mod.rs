//! The cluster map: the control plane, the nodes with their pods, and the Services and
//! Ingresses that route traffic to ready pods; [`panel::MapPanel`] is the panel to lay out.

pub mod control_plane;
pub mod node_card;
pub mod node_controls;
pub mod panel;
pub mod pod_chip;
pub mod pod_menu;
pub mod real_badge;
pub mod service_lanes;
pub mod size_picker;
pub mod unscheduled;
