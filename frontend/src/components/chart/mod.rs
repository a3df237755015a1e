//! CPU against replicas over time; [`panel::ChartPanel`] is the panel to lay out.

pub mod line_chart;
pub mod panel;
