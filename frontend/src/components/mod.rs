//! The page's components, one per file: small props, no business logic, no access to the core.

pub mod bench_report;
#[allow(dead_code)] // Until app.rs lays the panels out.
pub mod chaos;
#[allow(dead_code)] // Until app.rs lays the panels out.
pub mod chart;
#[allow(dead_code)] // Until app.rs lays the panels out.
pub mod dns;
#[allow(dead_code)] // Until app.rs lays the panels out.
pub mod events;
pub mod error_banner;
pub mod header;
pub mod kind_tabs;
#[allow(dead_code)] // Until app.rs lays the panels out.
pub mod map;
pub mod namespace_list;
pub mod object_table;
