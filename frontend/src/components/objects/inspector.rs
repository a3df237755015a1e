//! One object as `kubectl get -o yaml` prints it, kept current; Edit saves what the student
//! changed (see [`super::edit`]), and Diff shows what moved since the object was opened, be it
//! the student's edit or the cluster's own writes (a Deployment's status, an autoscaler).

use super::diff_view::DiffView;
use super::edit::{
    edited_summary, is_empty_patch, merge_patch, parse_edit, refusal_problems, Problem,
};
use crate::diff::{diff_lines, with_context};
use crate::hooks::use_cluster::use_cluster;
use crate::kinds::ObjectKind;
use crate::protocol::{ApiRequest, ApiResponse};
use gloo_timers::callback::Interval;
use kubeplay_shared::manifest::to_yaml;
use serde_json::Value;
use std::cell::Cell;
use std::rc::Rc;
use yew::prelude::*;

/// How often the open object is read again, so a change by the cluster shows.
const REFRESH_MS: u32 = 1_000;
/// Unchanged lines shown around each change in the diff.
const CONTEXT: usize = 3;

#[derive(Properties, PartialEq)]
pub struct InspectorProps {
    pub kind: ObjectKind,
    /// Ignored for cluster-scoped kinds.
    pub namespace: String,
    pub name: String,
    pub on_close: Callback<()>,
}

/// One read of the object.
#[derive(Debug, Clone, PartialEq)]
struct Version {
    value: Value,
    yaml: String,
    resource_version: String,
}

impl Version {
    fn of(value: Value) -> Rc<Self> {
        let resource_version = value
            .pointer("/metadata/resourceVersion")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string();
        Rc::new(Self {
            yaml: to_yaml(&value),
            value,
            resource_version,
        })
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    Yaml,
    Edit,
    Diff,
}

/// The object's REST path.
fn object_path(kind: ObjectKind, namespace: &str, name: &str) -> String {
    format!("{}/{name}", kind.list_path(namespace))
}

/// The API's message for a failed read.
fn read_failure(response: &ApiResponse) -> String {
    let body = response.json();
    let message = body
        .get("message")
        .and_then(Value::as_str)
        .unwrap_or("no message");
    format!("{} {message}", response.status)
}

/// Scrolls the diff box so its first added or removed line shows near the top.
fn scroll_to_first_change() {
    use wasm_bindgen::JsCast;
    let Some(document) = web_sys::window().and_then(|w| w.document()) else {
        return;
    };
    let boxed = document.get_element_by_id("object-diff");
    let change = document
        .query_selector("#object-diff .diff-add, #object-diff .diff-del")
        .ok()
        .flatten()
        .and_then(|e| e.dyn_into::<web_sys::HtmlElement>().ok());
    if let (Some(boxed), Some(change)) = (boxed, change) {
        boxed.set_scroll_top((change.offset_top() - 40).max(0));
    }
}

/// Selects 1-based `line` of the editor and scrolls it to about a third of the box.
fn select_line(area: &web_sys::HtmlTextAreaElement, line: usize) {
    let text = area.value();
    let lines: Vec<&str> = text.split('\n').collect();
    let Some(target) = lines.get(line - 1) else {
        return;
    };
    // Offsets count UTF-16 units, as the DOM does.
    let start: usize = lines[..line - 1]
        .iter()
        .map(|l| l.encode_utf16().count() + 1)
        .sum();
    let end = start + target.encode_utf16().count();
    let (Ok(start), Ok(end)) = (u32::try_from(start), u32::try_from(end)) else {
        return;
    };
    let _ = area.set_selection_range(start, end);
    let line_height = area.scroll_height() / i32::try_from(lines.len().max(1)).unwrap_or(1);
    let above = i32::try_from(line).unwrap_or(0) - 1;
    area.set_scroll_top((above * line_height - area.client_height() / 3).max(0));
}

#[function_component(ObjectInspector)]
pub fn object_inspector(props: &InspectorProps) -> Html {
    let cluster = use_cluster();
    let opened = use_state_eq(|| None::<Rc<Version>>);
    let current = use_state_eq(|| None::<Rc<Version>>);
    let load_error = use_state_eq(|| None::<String>);
    let mode = use_state_eq(|| Mode::Yaml);
    let draft = use_state_eq(String::new);
    let edit_base = use_state_eq(|| None::<Rc<Version>>);
    let problems = use_state_eq(Vec::<Problem>::new);
    let notice = use_state_eq(|| None::<String>);
    let saving = use_state_eq(|| false);
    let path = object_path(props.kind, &props.namespace, &props.name);
    let editor_ref = use_node_ref();

    // Entering the diff: its first change is scrolled into view.
    use_effect_with(*mode, |mode| {
        if *mode == Mode::Diff {
            scroll_to_first_change();
        }
    });

    // A refused edit: the first line named is selected and scrolled into view in the editor.
    {
        let editor_ref = editor_ref.clone();
        use_effect_with((*problems).clone(), move |problems| {
            let line = problems.iter().map(|p| p.line).find(|&l| l > 0);
            if let (Some(line), Some(area)) =
                (line, editor_ref.cast::<web_sys::HtmlTextAreaElement>())
            {
                select_line(&area, line);
            }
        });
    }

    {
        let (client, opened, current, load_error) = (
            cluster.client.clone(),
            opened.clone(),
            current.clone(),
            load_error.clone(),
        );
        let (mode, problems, notice) = (mode.clone(), problems.clone(), notice.clone());
        use_effect_with(path.clone(), move |path| {
            opened.set(None);
            current.set(None);
            load_error.set(None);
            mode.set(Mode::Yaml);
            problems.set(Vec::new());
            notice.set(None);
            let first = Rc::new(Cell::new(true));
            let load = {
                let path = path.clone();
                move || {
                    let (opened, current, load_error, first) = (
                        opened.clone(),
                        current.clone(),
                        load_error.clone(),
                        first.clone(),
                    );
                    client.api(ApiRequest::get(&path), move |response| {
                        if !response.is_success() {
                            return load_error.set(Some(read_failure(&response)));
                        }
                        let version = Version::of(response.json());
                        if first.replace(false) {
                            opened.set(Some(version.clone()));
                        }
                        load_error.set(None);
                        current.set(Some(version));
                    });
                }
            };
            load();
            let refresh = Interval::new(REFRESH_MS, load);
            move || drop(refresh)
        });
    }

    let select_mode = |next: Mode| {
        let (mode, draft, edit_base, current, problems, notice) = (
            mode.clone(),
            draft.clone(),
            edit_base.clone(),
            current.clone(),
            problems.clone(),
            notice.clone(),
        );
        Callback::from(move |_: MouseEvent| {
            if next == Mode::Edit && *mode != Mode::Edit {
                // Editing starts from the object as it is now.
                if let Some(version) = &*current {
                    draft.set(version.yaml.clone());
                    edit_base.set(Some(version.clone()));
                }
                problems.set(Vec::new());
                notice.set(None);
            }
            mode.set(next);
        })
    };

    let save = {
        let (client, path, draft, edit_base) = (
            cluster.client.clone(),
            path.clone(),
            draft.clone(),
            edit_base.clone(),
        );
        let (problems, notice, mode, current, saving) = (
            problems.clone(),
            notice.clone(),
            mode.clone(),
            current.clone(),
            saving.clone(),
        );
        Callback::from(move |()| {
            if *saving {
                return;
            }
            let document = match parse_edit(&draft) {
                Ok(document) => document,
                Err(problem) => return problems.set(vec![problem]),
            };
            let Some(base) = &*edit_base else { return };
            let patch = merge_patch(&base.value, &document.value);
            if is_empty_patch(&patch) {
                problems.set(Vec::new());
                notice.set(Some("Edit cancelled, no changes made.".into()));
                return mode.set(Mode::Yaml);
            }
            saving.set(true);
            let request = ApiRequest::new("PATCH", &path)
                .with_body(patch.to_string(), "application/merge-patch+json");
            let (problems, notice, mode, current, saving) = (
                problems.clone(),
                notice.clone(),
                mode.clone(),
                current.clone(),
                saving.clone(),
            );
            client.api(request, move |response| {
                saving.set(false);
                let body = response.json();
                if response.is_success() {
                    problems.set(Vec::new());
                    notice.set(Some(edited_summary(&body)));
                    current.set(Some(Version::of(body)));
                    mode.set(Mode::Diff);
                } else {
                    problems.set(refusal_problems(&body, &document));
                }
            });
        })
    };
    let on_save_click = {
        let save = save.clone();
        Callback::from(move |_: MouseEvent| save.emit(()))
    };
    let oninput = {
        let draft = draft.clone();
        Callback::from(move |e: InputEvent| {
            let area: web_sys::HtmlTextAreaElement = e.target_unchecked_into();
            draft.set(area.value());
        })
    };
    let on_editor_key = {
        let (save, mode, problems) = (save.clone(), mode.clone(), problems.clone());
        Callback::from(move |e: KeyboardEvent| {
            let ctrl = e.ctrl_key() || e.meta_key();
            match e.key().as_str() {
                "s" | "Enter" if ctrl => {
                    e.prevent_default();
                    save.emit(());
                }
                "Escape" => {
                    problems.set(Vec::new());
                    mode.set(Mode::Yaml);
                }
                _ => {}
            }
        })
    };
    let rebase = {
        let (opened, current) = (opened.clone(), current.clone());
        Callback::from(move |_: MouseEvent| opened.set((*current).clone()))
    };
    let close = {
        let on_close = props.on_close.clone();
        Callback::from(move |_: MouseEvent| on_close.emit(()))
    };

    let changed = match (&*opened, &*current) {
        (Some(o), Some(c)) if o.resource_version != c.resource_version => Some(format!(
            "Changed since opened ({} → {})",
            o.resource_version, c.resource_version
        )),
        _ => None,
    };
    let mode_button = |m: Mode, id: &'static str, label: &'static str| {
        html! {
            <button type="button" {id} role="tab" class={classes!("tab", (*mode == m).then_some("selected"))}
                aria-selected={(*mode == m).to_string()} onclick={select_mode(m)}>{ label }</button>
        }
    };
    let body = match (*mode, &*current) {
        (_, None) => html! { <p class="panel-waiting">{ "Loading…" }</p> },
        (Mode::Yaml, Some(version)) => html! {
            <pre id="object-yaml" class="object-yaml" tabindex="0" aria-label="Object YAML">{ &version.yaml }</pre>
        },
        (Mode::Edit, Some(_)) => html! {
            <>
                <textarea id="object-yaml" ref={editor_ref.clone()} class="object-yaml editing" spellcheck="false" aria-label="Edit the object's YAML"
                    value={(*draft).clone()} {oninput} onkeydown={on_editor_key} />
                <div class="object-edit-actions">
                    <button type="button" id="object-save" class="primary" onclick={on_save_click} disabled={*saving}>
                        { if *saving { "Saving…" } else { "Save" } }
                    </button>
                    <button type="button" onclick={select_mode(Mode::Yaml)}>{ "Cancel" }</button>
                    <span class="hint">{ "Ctrl+S saves · Esc cancels" }</span>
                </div>
            </>
        },
        (Mode::Diff, Some(version)) => {
            let lines = match &*opened {
                Some(o) => with_context(diff_lines(&o.yaml, &version.yaml), CONTEXT),
                None => Vec::new(),
            };
            let caption = match &*opened {
                Some(o) => format!(
                    "resourceVersion {} (opened) → {} (now)",
                    o.resource_version, version.resource_version
                ),
                None => String::new(),
            };
            html! { <DiffView {lines} caption={caption} /> }
        }
    };
    let title = if props.kind.namespaced() {
        format!(
            "{}/{} in {}",
            props.kind.plural(),
            props.name,
            props.namespace
        )
    } else {
        format!("{}/{}", props.kind.plural(), props.name)
    };
    html! {
        <section class="object-inspector" aria-label={format!("Object {title}")}>
            <header class="inspector-head">
                <h3>{ title }</h3>
                <div class="tabs" role="tablist" aria-label="Object views">
                    { mode_button(Mode::Yaml, "object-view", "YAML") }
                    { mode_button(Mode::Edit, "object-edit", "Edit") }
                    { mode_button(Mode::Diff, "object-diff-tab", "Diff") }
                </div>
                if let Some(text) = changed {
                    <span id="object-changed" class="object-changed" role="status">{ text }</span>
                }
                if let Some(text) = &*notice {
                    <span class="object-notice" role="status">{ text }</span>
                }
                if *mode == Mode::Diff {
                    <button type="button" id="object-rebase" onclick={rebase} title="Take the object as it is now as the version to compare with">
                        { "Compare from now on" }
                    </button>
                }
                <button type="button" class="close" onclick={close} aria-label="Close the object">{ "×" }</button>
            </header>
            if let Some(message) = &*load_error {
                <p class="object-error" role="alert">{ message }</p>
            }
            if !problems.is_empty() {
                <ul class="object-errors" role="alert">
                    { for problems.iter().map(|p| html! {
                        <li class="object-error" data-line={p.line.to_string()} data-field={p.field.clone().unwrap_or_default()}>{ p.text() }</li>
                    }) }
                </ul>
            }
            { body }
        </section>
    }
}
