//! Chaos and traffic controls; [`panel::ChaosPanel`] is the panel to lay out.

pub mod panel;
pub mod pod_faults;
pub mod traffic_slider;
