//! The lessons panel beside the map: a list of lessons with progress, the open lesson's
//! explanation and tasks ticking live as the worker checks the cluster, hints, copying a
//! step into the terminal, resetting a lesson, and loading a teacher's lesson file.

mod list;
mod loader;
mod panel;
mod progress;
mod prose;
mod task_item;
mod terminal_bridge;

pub use panel::{LessonsPanel, LessonsPanelProps};
pub use progress::Progress;
