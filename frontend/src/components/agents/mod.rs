//! Real machines in the page: the "Add node" dialog, the `?agent=…&token=…` link, and the list
//! of connected agents with their link's status.

pub mod bar;
pub mod dialog;
pub mod link;
