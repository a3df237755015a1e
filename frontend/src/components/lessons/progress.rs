//! What the student has done, kept in this browser's localStorage so a reload carries on:
//! the open lesson, done tasks per lesson and the lesson files a teacher loaded. A reducer,
//! so replies arriving late always fold into the newest state.

use kubeplay_shared::lessons::{advance, Lesson, TaskCheck};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};
use std::rc::Rc;
use yew::Reducible;

/// Where the progress is kept (per origin, as the browser scopes localStorage).
const KEY: &str = "kubeplay.lessons";

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Progress {
    /// The panel is expanded.
    #[serde(default)]
    pub open: bool,
    /// The lesson being worked on.
    #[serde(default)]
    pub active: Option<String>,
    /// Done task ids per lesson id.
    #[serde(default)]
    pub done: BTreeMap<String, BTreeSet<String>>,
    /// Lesson files loaded by the user (their YAML), in the order loaded.
    #[serde(default)]
    pub custom: Vec<String>,
    /// The latest check of the active lesson (not stored: it is re-checked on load).
    #[serde(skip)]
    pub checks: Option<(String, Vec<TaskCheck>)>,
}

pub enum Action {
    Open(bool),
    Select(Option<String>),
    /// The worker's check of `lesson`: ticks what passed, in order.
    Checked {
        lesson: Rc<Lesson>,
        checks: Vec<TaskCheck>,
    },
    /// The lesson starts over: no task done.
    Restart(String),
    /// A teacher's lesson file; replaces an earlier one with the same id.
    AddCustom {
        id: String,
        source: String,
    },
}

impl Reducible for Progress {
    type Action = Action;

    fn reduce(self: Rc<Self>, action: Action) -> Rc<Self> {
        let mut next = (*self).clone();
        match action {
            Action::Open(open) => next.open = open,
            Action::Select(id) => {
                next.checks = None;
                next.active = id;
            }
            Action::Checked { lesson, checks } => {
                if next.active.as_deref() != Some(lesson.id.as_str()) {
                    return self;
                }
                let before = next.done.get(&lesson.id).cloned().unwrap_or_default();
                let after = advance(&lesson, &checks, &before);
                if !after.is_empty() {
                    next.done.insert(lesson.id.clone(), after);
                }
                next.checks = Some((lesson.id.clone(), checks));
            }
            Action::Restart(id) => {
                next.done.remove(&id);
                next.checks = None;
            }
            Action::AddCustom { id, source } => {
                next.custom.retain(|s| {
                    kubeplay_shared::lessons::parse(s)
                        .map(|l| l.id != id)
                        .unwrap_or(false)
                });
                next.custom.push(source);
            }
        }
        if next == *self {
            return self;
        }
        Rc::new(next)
    }
}

impl Progress {
    pub fn done_in(&self, lesson: &str) -> BTreeSet<String> {
        self.done.get(lesson).cloned().unwrap_or_default()
    }

    /// The saved progress; a missing or unreadable entry is a fresh start.
    pub fn load() -> Self {
        storage()
            .and_then(|s| s.get_item(KEY).ok().flatten())
            .and_then(|text| serde_json::from_str(&text).ok())
            .unwrap_or_default()
    }

    pub fn save(&self) {
        if let (Some(storage), Ok(text)) = (storage(), serde_json::to_string(self)) {
            // A full or disabled storage only costs the progress across reloads.
            let _ = storage.set_item(KEY, &text);
        }
    }
}

fn storage() -> Option<web_sys::Storage> {
    web_sys::window()?.local_storage().ok().flatten()
}

#[cfg(test)]
mod tests {
    use super::*;
    use kubeplay_shared::lessons::builtin;

    fn scaling() -> Rc<Lesson> {
        Rc::new(
            builtin::lessons()
                .unwrap()
                .into_iter()
                .find(|l| l.id == "scaling")
                .unwrap(),
        )
    }

    fn check(id: &str, passed: bool) -> TaskCheck {
        TaskCheck {
            id: id.into(),
            passed,
            conditions: Vec::new(),
        }
    }

    #[test]
    fn checks_of_another_lesson_are_ignored_and_done_tasks_stay() {
        let lesson = scaling();
        let state = Rc::new(Progress::default()).reduce(Action::Select(Some("scaling".into())));
        let state = state.reduce(Action::Checked {
            lesson: lesson.clone(),
            checks: vec![check("up", true), check("zero", true)],
        });
        assert_eq!(state.done_in("scaling").len(), 2);
        let state = state.reduce(Action::Checked {
            lesson: lesson.clone(),
            checks: vec![check("up", false)],
        });
        assert_eq!(state.done_in("scaling").len(), 2);
        let state = state.reduce(Action::Select(Some("pods".into())));
        let state = state.reduce(Action::Checked {
            lesson,
            checks: vec![check("back", true)],
        });
        assert_eq!(state.done_in("scaling").len(), 2);
        let state = state.reduce(Action::Restart("scaling".into()));
        assert!(state.done_in("scaling").is_empty());
    }

    #[test]
    fn progress_round_trips_without_the_transient_checks() {
        let mut progress = Progress {
            open: true,
            active: Some("pods".into()),
            ..Progress::default()
        };
        progress
            .done
            .insert("pods".into(), ["create".to_string()].into());
        progress.checks = Some(("pods".into(), vec![check("create", true)]));
        let back: Progress =
            serde_json::from_str(&serde_json::to_string(&progress).unwrap()).unwrap();
        assert_eq!(back.done, progress.done);
        assert!(back.open && back.checks.is_none());
    }
}
