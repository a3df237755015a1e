//! The page's components, one per file: small props, no business logic, no access to the core
//! (panels reach the cluster through `hooks::use_cluster`).

pub mod agents;
pub mod bench_report;
pub mod chaos;
pub mod chart;
pub mod dns;
pub mod editor;
pub mod error_banner;
pub mod events;
pub mod layout;
pub mod lessons;
pub mod logs;
pub mod map;
pub mod objects;
pub mod terminal;
