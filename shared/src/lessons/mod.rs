//! Guided lessons: short explanations with tasks the playground checks live against the
//! cluster's state, so a task ticks however the student reached it.
//!
//! A lesson is data (`format`: one YAML file per lesson, documented for teachers in
//! `lessons/README.md`); `check` evaluates its tasks against the API server and keeps done
//! tasks done; `setup` is the cluster a lesson starts from. The built-in lessons are the
//! files under `lessons/` at the repository root (`builtin`).

pub mod builtin;
pub mod check;
pub mod format;
pub mod path;
pub mod setup;

pub use check::{advance, check_lesson, ConditionCheck, TaskCheck};
pub use format::{parse, Condition, Expect, Lesson, LessonError, Measure, Task};

#[cfg(test)]
mod tests;
