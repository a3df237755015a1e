//! The Editor tab: holds the editor's state, saves the files whenever they change, and sends
//! Apply to the worker as one all-or-nothing call.

use super::code_area::CodeArea;
use super::file_tree::FileTree;
use super::markers::error_lines;
use super::model::{EditorAction, EditorState};
use super::results::Results;
use super::toolbar::Toolbar;
use crate::client::{reply_message, ClusterClient};
use crate::protocol::{Call, Reply};
use crate::workspace::storage;
use web_sys::HtmlTextAreaElement;
use yew::prelude::*;

/// Where documents that name no namespace go, as with kubectl's default context.
const NAMESPACE: &str = "default";

/// Scrolls the text so `line` (1-based) is in view, a little below the top.
fn reveal_line(area: &HtmlTextAreaElement, line: usize) {
    // Every line is equally tall (no wrapping).
    let lines = area.value().split('\n').count().max(1);
    let row = f64::from(area.scroll_height()) / lines as f64;
    let top = (line.saturating_sub(1) as f64 * row) as i32;
    let shown = area.scroll_top()..area.scroll_top() + area.client_height() - row as i32;
    if !shown.contains(&top) {
        area.set_scroll_top((line.saturating_sub(3) as f64 * row) as i32);
    }
}

/// Puts the cursor at the start of `line` (1-based), in view, and the focus in the text.
fn go_to_line(textarea: &NodeRef, line: usize) {
    let Some(area) = textarea.cast::<HtmlTextAreaElement>() else {
        return;
    };
    let offset: usize = area
        .value()
        .split_inclusive('\n')
        .take(line.saturating_sub(1))
        .map(|l| l.encode_utf16().count())
        .sum();
    let _ = area.focus();
    let _ = area.set_selection_range(offset as u32, offset as u32);
    reveal_line(&area, line);
}

/// The open file's error lines from its last apply, unless it was edited since.
fn error_lines_of_open(state: &EditorState) -> Vec<(usize, String)> {
    state
        .result_for_open()
        .filter(|r| !r.edited)
        .and_then(|r| r.report.as_ref().ok())
        .map(error_lines)
        .unwrap_or_default()
}

fn first_error_line(state: &EditorState) -> Option<usize> {
    error_lines_of_open(state).first().map(|(line, _)| *line)
}

#[function_component(EditorPanel)]
pub fn editor_panel() -> Html {
    let client = use_context::<ClusterClient>().expect("the editor needs the App's ClusterClient");
    let state = use_reducer(|| EditorState::from_saved(storage::load()));
    let textarea = use_node_ref();
    let expanded = use_state_eq(|| false);

    {
        let state = state.clone();
        use_effect_with(state.revision, move |revision| {
            if *revision > 0 {
                if let Err(why) = storage::save(&state.workspace, state.open.as_deref()) {
                    state.dispatch(EditorAction::Notice(Some(why)));
                }
            }
        });
    }

    {
        // A refused file scrolls to its first error (the focus stays where it is).
        let (textarea, first_error) = (textarea.clone(), first_error_line(&state));
        use_effect_with(state.answered, move |_| {
            if let (Some(line), Some(area)) = (first_error, textarea.cast::<HtmlTextAreaElement>())
            {
                reveal_line(&area, line);
            }
        });
    }

    let on_edit = state.dispatcher().to_callback().reform(EditorAction::Edit);
    let on_apply = {
        let (state, textarea) = (state.clone(), textarea.clone());
        Callback::from(move |()| {
            let Some(path) = state.open.clone() else {
                return;
            };
            if state.applying {
                return;
            }
            // The field is the truth: a key just typed may not have reached the state yet.
            let text = match textarea.cast::<HtmlTextAreaElement>() {
                Some(area) => area.value(),
                None => state.text().unwrap_or_default().to_string(),
            };
            state.dispatch(EditorAction::Edit(text.clone()));
            state.dispatch(EditorAction::Applying);
            let dispatch = state.dispatcher();
            let call = Call::ApplyWhole {
                yaml: text,
                namespace: NAMESPACE.into(),
                file: path.clone(),
            };
            client.call(call, move |reply| {
                let report = match reply {
                    Reply::Applied { report } => Ok(report),
                    other => Err(reply_message(&other)),
                };
                dispatch.dispatch(EditorAction::Applied { path, report });
            });
        })
    };
    let on_line = {
        let textarea = textarea.clone();
        Callback::from(move |line| go_to_line(&textarea, line))
    };
    let dispatch = state.dispatcher().to_callback();
    let errors = error_lines_of_open(&state);
    let is_expanded = *expanded;
    let on_expand = Callback::from(move |on| expanded.set(on));
    let paths: Vec<String> = state.workspace.paths().map(str::to_string).collect();
    let path = state.open.clone().map(AttrValue::from);
    html! {
        <section id="editor" class={classes!("editor", is_expanded.then_some("expanded"))} aria-label="YAML editor">
            <div class="editor-grid">
                <FileTree
                    {paths}
                    open={state.open.clone()}
                    on_open={dispatch.reform(EditorAction::Open)}
                    on_create={dispatch.reform(EditorAction::Create)}
                    on_rename={dispatch.reform(|(from, to)| EditorAction::Rename { from, to })}
                    on_delete={dispatch.reform(EditorAction::Delete)}
                    on_restore={dispatch.reform(|()| EditorAction::RestoreSeeds)}
                />
                <div class="editor-main">
                    <Toolbar path={path.clone()} applying={state.applying} on_apply={on_apply.clone()}
                        on_template={dispatch.reform(EditorAction::Insert)}
                        expanded={is_expanded} {on_expand} />
                    if let Some(notice) = state.notice.clone() {
                        <p class="editor-notice" role="alert">{ notice }</p>
                    }
                    if let Some(path) = path {
                        <CodeArea {path} text={state.text().unwrap_or_default().to_string()} {errors}
                            textarea={textarea.clone()} {on_edit} {on_apply} />
                    } else {
                        <p class="results-note">{ "No file is open: add one with New file or a template." }</p>
                    }
                </div>
                <Results result={state.result_for_open().cloned()} applying={state.applying}
                    answered={state.answered} {on_line} />
            </div>
        </section>
    }
}
