//! The Editor tab: the workspace's file tree, a YAML code area with line numbers and error
//! markers, the seed page's examples as templates, and Apply (Ctrl+Enter or Ctrl+S), which
//! applies the open file whole or not at all (`host::whole_apply`) and shows kubectl's result
//! per document, with each error at its line.
//!
//! A plain textarea under a line-number gutter and a highlight layer: no editor library, so
//! the page stays small and works offline. Tab indents by two spaces; Esc then Tab leaves.

pub mod code_area;
pub mod file_tree;
pub mod markers;
pub mod model;
pub mod panel;
pub mod results;
pub mod toolbar;
