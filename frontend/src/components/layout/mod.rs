//! The page's frame: the header with the cluster controls, the map area and the tabbed dock
//! that every panel (editor, terminal, objects, events, logs, DNS) plugs into.

pub mod dock;
pub mod header;
pub mod speed_control;
pub mod split;
