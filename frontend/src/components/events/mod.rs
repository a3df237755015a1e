//! The Events timeline; [`panel::EventsPanel`] is the panel to lay out.

pub mod event_row;
pub mod panel;
