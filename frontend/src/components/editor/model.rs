//! The editor's state in one place, every change an [`EditorAction`] (the view never mutates
//! it): the workspace, the open file, and the last apply's result. `revision` moves whenever
//! the files or the open file change, which is when the panel saves them.

use crate::protocol::ApplyReport;
use crate::workspace::storage::Saved;
use crate::workspace::{templates, Workspace, WorkspaceError};
use std::rc::Rc;
use yew::Reducible;

/// What the file opened first on a fresh workspace is.
const FIRST_FILE: &str = "k8s/deployment.yaml";

/// The last apply and what it answered.
#[derive(Debug, Clone, PartialEq)]
pub struct ApplyResult {
    pub path: String,
    /// The report, or why the call failed (the worker is gone).
    pub report: Result<ApplyReport, String>,
    /// The file changed since: its markers may no longer be on the right lines.
    pub edited: bool,
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct EditorState {
    pub workspace: Workspace,
    pub open: Option<String>,
    pub applying: bool,
    pub result: Option<ApplyResult>,
    /// Why the last file operation or save did not happen.
    pub notice: Option<String>,
    pub revision: u64,
    /// How many applies have answered (tests wait for it to move).
    pub answered: u64,
}

#[derive(Debug, Clone, PartialEq)]
pub enum EditorAction {
    Open(String),
    /// The open file's new text.
    Edit(String),
    /// A new empty file; it opens.
    Create(String),
    /// A new file from a template (by id); it opens.
    Insert(String),
    Rename {
        from: String,
        to: String,
    },
    Delete(String),
    RestoreSeeds,
    Applying,
    Applied {
        path: String,
        report: Result<ApplyReport, String>,
    },
    Notice(Option<String>),
}

impl EditorState {
    pub fn from_saved(saved: Saved) -> Self {
        let open = saved
            .open
            .filter(|p| saved.workspace.read(p).is_some())
            .or_else(|| {
                saved
                    .workspace
                    .read(FIRST_FILE)
                    .map(|_| FIRST_FILE.to_string())
            })
            .or_else(|| saved.workspace.paths().next().map(str::to_string));
        Self {
            workspace: saved.workspace,
            open,
            notice: saved.problem,
            ..Self::default()
        }
    }

    /// The open file's text.
    pub fn text(&self) -> Option<&str> {
        self.open.as_deref().and_then(|p| self.workspace.read(p))
    }

    /// The last result, if it is about the open file.
    pub fn result_for_open(&self) -> Option<&ApplyResult> {
        self.result
            .as_ref()
            .filter(|r| Some(&r.path) == self.open.as_ref())
    }

    fn changed(mut self, outcome: Result<Option<String>, WorkspaceError>) -> Self {
        match outcome {
            Ok(open) => {
                if let Some(open) = open {
                    self.open = Some(open);
                }
                if self
                    .open
                    .as_deref()
                    .is_some_and(|p| self.workspace.read(p).is_none())
                {
                    self.open = self.workspace.paths().next().map(str::to_string);
                }
                self.notice = None;
                self.revision += 1;
            }
            Err(err) => self.notice = Some(err.to_string()),
        }
        self
    }
}

impl Reducible for EditorState {
    type Action = EditorAction;

    fn reduce(self: Rc<Self>, action: EditorAction) -> Rc<Self> {
        let mut next = (*self).clone();
        let next = match action {
            EditorAction::Open(path) if next.workspace.read(&path).is_some() => {
                next.changed(Ok(Some(path)))
            }
            EditorAction::Open(path) => next.changed(Err(WorkspaceError::Missing(path))),
            EditorAction::Edit(text) => {
                let Some(path) = next.open.clone() else {
                    return self;
                };
                if next.workspace.read(&path) == Some(text.as_str()) {
                    return self;
                }
                if let Some(result) = next.result.as_mut().filter(|r| r.path == path) {
                    result.edited = true;
                }
                let outcome = next.workspace.write(&path, &text).map(|()| None);
                next.changed(outcome)
            }
            EditorAction::Create(path) => {
                let outcome = next.workspace.create(&path, "").map(Some);
                next.changed(outcome)
            }
            EditorAction::Insert(id) => match templates::by_id(&id) {
                Some(t) => {
                    let outcome = next.workspace.create_unique(t.path, t.content).map(Some);
                    next.changed(outcome)
                }
                None => next.changed(Err(WorkspaceError::Missing(id))),
            },
            EditorAction::Rename { from, to } => {
                let was_open = next.open.as_deref() == Some(from.as_str());
                let outcome = next.workspace.rename(&from, &to);
                if let (Ok(to), Some(result)) = (&outcome, next.result.as_mut()) {
                    if result.path == from {
                        result.path.clone_from(to);
                    }
                }
                next.changed(outcome.map(|to| was_open.then_some(to)))
            }
            EditorAction::Delete(path) => {
                let outcome = next.workspace.delete(&path).map(|()| None);
                next.changed(outcome)
            }
            EditorAction::RestoreSeeds => {
                next.workspace.restore_seeds();
                next.result = None;
                next.changed(Ok(None))
            }
            EditorAction::Applying => {
                next.applying = true;
                next
            }
            EditorAction::Applied { path, report } => {
                next.applying = false;
                next.answered += 1;
                next.result = Some(ApplyResult {
                    path,
                    report,
                    edited: false,
                });
                next
            }
            EditorAction::Notice(notice) => {
                next.notice = notice;
                next
            }
        };
        Rc::new(next)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fresh() -> Rc<EditorState> {
        Rc::new(EditorState::from_saved(Saved {
            workspace: Workspace::seeded(),
            open: None,
            problem: None,
        }))
    }

    fn act(state: Rc<EditorState>, action: EditorAction) -> Rc<EditorState> {
        state.reduce(action)
    }

    #[test]
    fn a_fresh_editor_opens_the_seed_deployment() {
        let state = fresh();
        assert_eq!(state.open.as_deref(), Some("k8s/deployment.yaml"));
        assert!(state.text().is_some_and(|t| t.contains("kind: Deployment")));
    }

    #[test]
    fn edits_change_the_open_file_and_the_revision() {
        let state = fresh();
        let edited = act(state.clone(), EditorAction::Edit("kind: Pod\n".into()));
        assert_eq!(edited.text(), Some("kind: Pod\n"));
        assert_eq!(edited.revision, state.revision + 1);
        let same = act(edited.clone(), EditorAction::Edit("kind: Pod\n".into()));
        assert!(Rc::ptr_eq(&same, &edited), "no change, no new state");
    }

    #[test]
    fn a_template_becomes_a_new_open_file() {
        let state = act(fresh(), EditorAction::Insert("pvc-postgres".into()));
        assert_eq!(state.open.as_deref(), Some("examples/pvc-postgres.yaml"));
        let again = act(state, EditorAction::Insert("deployment".into()));
        assert_eq!(again.open.as_deref(), Some("k8s/deployment-2.yaml"));
    }

    #[test]
    fn a_refused_operation_says_why_and_changes_nothing() {
        let state = fresh();
        let refused = act(
            state.clone(),
            EditorAction::Create("k8s/service.yaml".into()),
        );
        assert_eq!(
            refused.notice.as_deref(),
            Some("\"k8s/service.yaml\" already exists")
        );
        assert_eq!(refused.workspace, state.workspace);
        assert_eq!(refused.revision, state.revision);
    }

    #[test]
    fn deleting_the_open_file_opens_another_and_renaming_follows_it() {
        let state = act(
            fresh(),
            EditorAction::Rename {
                from: "k8s/deployment.yaml".into(),
                to: "k8s/api.yaml".into(),
            },
        );
        assert_eq!(state.open.as_deref(), Some("k8s/api.yaml"));
        let state = act(state, EditorAction::Delete("k8s/api.yaml".into()));
        assert_eq!(state.open.as_deref(), Some("examples/env-from.yaml"));
        assert!(state.workspace.read("k8s/api.yaml").is_none());
    }

    #[test]
    fn an_edit_after_an_apply_marks_its_result_as_edited() {
        let state = act(fresh(), EditorAction::Applying);
        assert!(state.applying);
        let state = act(
            state,
            EditorAction::Applied {
                path: "k8s/deployment.yaml".into(),
                report: Ok(ApplyReport::default()),
            },
        );
        assert!(!state.applying);
        assert!(state.result_for_open().is_some_and(|r| !r.edited));
        let state = act(state, EditorAction::Edit("x: 1\n".into()));
        assert!(state.result_for_open().is_some_and(|r| r.edited));
        let state = act(state, EditorAction::Open("k8s/service.yaml".into()));
        assert!(
            state.result_for_open().is_none(),
            "the result is about another file"
        );
    }
}
