//! The workspace's folders and files, with New file, Rename, Delete (asked twice) and
//! Restore examples. Names are typed in a small form in place, never in a browser prompt.

use crate::workspace::tree::{self, Node};
use wasm_bindgen::JsCast;
use web_sys::HtmlInputElement;
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct FileTreeProps {
    pub paths: Vec<String>,
    pub open: Option<String>,
    pub on_open: Callback<String>,
    pub on_create: Callback<String>,
    pub on_rename: Callback<(String, String)>,
    pub on_delete: Callback<String>,
    pub on_restore: Callback<()>,
}

/// What the name form is for.
#[derive(Clone, PartialEq)]
enum Naming {
    New,
    Rename(String),
}

fn folder_of(path: &str) -> &str {
    path.rsplit_once('/').map_or("", |(folder, _)| folder)
}

fn render(nodes: &[Node], open: Option<&str>, on_open: &Callback<String>) -> Html {
    let items = nodes.iter().map(|node| match node {
        Node::Folder { name, path, children } => html! {
            <li key={format!("d:{path}")} class="tree-folder" data-folder={path.clone()}>
                <span class="tree-folder-name">{ format!("{name}/") }</span>
                { render(children, open, on_open) }
            </li>
        },
        Node::File { name, path } => {
            let current = open == Some(path.as_str());
            let onclick = on_open.reform({
                let path = path.clone();
                move |_: MouseEvent| path.clone()
            });
            html! {
                <li key={format!("f:{path}")}>
                    <button type="button" class={classes!("tree-file", current.then_some("current"))}
                        data-file={path.clone()} aria-current={current.then_some("true")} title={path.clone()} {onclick}>
                        { name }
                    </button>
                </li>
            }
        }
    });
    html! { <ul class="tree-list">{ for items }</ul> }
}

#[function_component(FileTree)]
pub fn file_tree(props: &FileTreeProps) -> Html {
    let naming = use_state_eq(|| None::<Naming>);
    let confirm_delete = use_state_eq(|| false);
    let name_ref = use_node_ref();

    // What the name field starts with: the open file's folder for a new file, the whole
    // path for a rename.
    let initial = (*naming).clone().map(|what| match what {
        Naming::New => match props.open.as_deref().map(folder_of) {
            Some("") => String::new(),
            Some(folder) => format!("{folder}/"),
            None => "k8s/".to_string(),
        },
        Naming::Rename(path) => path,
    });
    {
        // The name field takes focus, with its starting text, when it appears. (Set here, not
        // as `value`, so a re-render never overwrites what is being typed.)
        let name_ref = name_ref.clone();
        use_effect_with(initial.clone(), move |initial| {
            if let (Some(initial), Some(input)) = (initial, name_ref.cast::<HtmlInputElement>()) {
                input.set_value(initial);
                let _ = input.focus();
            }
        });
    }

    {
        // The question takes the focus on its safe answer; when it goes, the focus goes back to
        // the tree's Delete button rather than being lost.
        let asked = use_mut_ref(|| false);
        use_effect_with(*confirm_delete, move |asking| {
            let was_asked = std::mem::replace(&mut *asked.borrow_mut(), *asking);
            let document = web_sys::window().and_then(|w| w.document());
            let lost =
                |d: &web_sys::Document| d.active_element().is_none_or(|e| e.tag_name() == "BODY");
            let target = match document {
                Some(d) if *asking => d.get_element_by_id("editor-delete-no"),
                Some(d) if was_asked && lost(&d) => d.get_element_by_id("editor-delete"),
                _ => None,
            };
            if let Some(button) = target.and_then(|e| e.dyn_into::<web_sys::HtmlElement>().ok()) {
                let _ = button.focus();
            }
        });
    }

    let start = |what: Naming| {
        let (naming, confirm_delete) = (naming.clone(), confirm_delete.clone());
        Callback::from(move |_: MouseEvent| {
            confirm_delete.set(false);
            naming.set(Some(what.clone()));
        })
    };
    let on_new = start(Naming::New);
    let on_rename = props.open.clone().map(|path| start(Naming::Rename(path)));
    let cancel = {
        let naming = naming.clone();
        Callback::from(move |_: MouseEvent| naming.set(None))
    };
    let onsubmit = {
        let (naming, name_ref) = (naming.clone(), name_ref.clone());
        let (on_create, on_rename) = (props.on_create.clone(), props.on_rename.clone());
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            let Some(input) = name_ref.cast::<HtmlInputElement>() else {
                return;
            };
            match (*naming).clone() {
                Some(Naming::New) => on_create.emit(input.value()),
                Some(Naming::Rename(from)) => on_rename.emit((from, input.value())),
                None => {}
            }
            naming.set(None);
        })
    };
    let onkeydown = {
        let naming = naming.clone();
        Callback::from(move |e: KeyboardEvent| {
            if e.key() == "Escape" {
                naming.set(None);
            }
        })
    };
    let form = (*naming).clone().map(|what| {
        let (label, action) = match &what {
            Naming::New => ("New file name", "Create"),
            Naming::Rename(_) => ("New name", "Rename"),
        };
        html! {
            <form class="tree-name" onsubmit={onsubmit.clone()}>
                <label for="editor-file-name">{ label }</label>
                <input ref={name_ref.clone()} id="editor-file-name" type="text"
                    spellcheck="false" autocomplete="off" placeholder="k8s/my-app.yaml" onkeydown={onkeydown.clone()} />
                <div class="tree-name-actions">
                    <button type="submit">{ action }</button>
                    <button type="button" onclick={cancel.clone()}>{ "Cancel" }</button>
                </div>
            </form>
        }
    });
    let delete = props.open.clone().map(|path| {
        if *confirm_delete {
            let yes = {
                let (on_delete, confirm_delete, path) = (props.on_delete.clone(), confirm_delete.clone(), path.clone());
                Callback::from(move |_: MouseEvent| {
                    confirm_delete.set(false);
                    on_delete.emit(path.clone());
                })
            };
            let no = {
                let confirm_delete = confirm_delete.clone();
                Callback::from(move |_: MouseEvent| confirm_delete.set(false))
            };
            html! {
                <div class="tree-confirm" role="alert">
                    <span>{ format!("Delete {path}?") }</span>
                    <button type="button" id="editor-delete-yes" class="danger" onclick={yes}>{ "Delete" }</button>
                    <button type="button" id="editor-delete-no" onclick={no}>{ "Keep" }</button>
                </div>
            }
        } else {
            let ask = {
                let (confirm_delete, naming) = (confirm_delete.clone(), naming.clone());
                Callback::from(move |_: MouseEvent| {
                    naming.set(None);
                    confirm_delete.set(true);
                })
            };
            html! { <button type="button" id="editor-delete" onclick={ask}>{ "Delete" }</button> }
        }
    });
    let restore = props.on_restore.reform(|_: MouseEvent| ());
    let nodes = tree::build(props.paths.iter().map(String::as_str));
    html! {
        <nav class="editor-tree" aria-label="Files">
            <div class="tree-actions">
                <button type="button" id="editor-new" onclick={on_new} aria-label="New file">{ "New" }</button>
                if let Some(on_rename) = on_rename {
                    <button type="button" id="editor-rename" onclick={on_rename}>{ "Rename" }</button>
                }
                { for delete }
            </div>
            { for form }
            <div class="tree-scroll">{ render(&nodes, props.open.as_deref(), &props.on_open) }</div>
            <button type="button" id="editor-restore" class="tree-restore" onclick={restore}
                title="Puts the seed page's files back as they were; your own files stay">
                { "Restore examples" }
            </button>
        </nav>
    }
}
