//! The page's components, one per file: small props, no business logic, no access to the core.

pub mod bench_report;
pub mod error_banner;
pub mod header;
pub mod kind_tabs;
pub mod namespace_list;
pub mod object_table;
