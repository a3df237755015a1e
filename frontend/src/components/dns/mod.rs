//! How each Service is reachable by name; [`panel::DnsPanel`] is the panel to lay out.

pub mod panel;
