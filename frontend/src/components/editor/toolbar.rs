//! Above the code: the open file's path, the template picker (the seed page's examples, each
//! added as a new file), a switch that gives the editor more of the screen, and Apply.

use crate::workspace::templates::TEMPLATES;
use web_sys::HtmlSelectElement;
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct ToolbarProps {
    pub path: Option<AttrValue>,
    pub applying: bool,
    pub on_apply: Callback<()>,
    /// A template's id.
    pub on_template: Callback<String>,
    /// The editor takes most of the page's height (for a laptop screen).
    pub expanded: bool,
    pub on_expand: Callback<bool>,
}

#[function_component(Toolbar)]
pub fn toolbar(props: &ToolbarProps) -> Html {
    let picker = use_node_ref();
    let add = {
        let (picker, on_template) = (picker.clone(), props.on_template.clone());
        Callback::from(move |_: MouseEvent| {
            if let Some(select) = picker.cast::<HtmlSelectElement>() {
                let id = select.value();
                if !id.is_empty() {
                    select.set_value("");
                    on_template.emit(id);
                }
            }
        })
    };
    let options = TEMPLATES
        .iter()
        .map(|t| html! { <option value={t.id}>{ t.label }</option> });
    let apply = props.on_apply.reform(|_: MouseEvent| ());
    let path = props.path.clone().unwrap_or_else(|| "No file open".into());
    let expand = {
        let (on_expand, expanded) = (props.on_expand.clone(), props.expanded);
        Callback::from(move |_: MouseEvent| on_expand.emit(!expanded))
    };
    html! {
        <div class="editor-toolbar">
            <span class="editor-path" id="editor-path" title={path.clone()}>{ path }</span>
            <span class="editor-templates">
                <label for="editor-template" class="visually-hidden">{ "Template" }</label>
                <select id="editor-template" ref={picker}>
                    <option value="" selected=true>{ "Choose an example…" }</option>
                    { for options }
                </select>
                <button type="button" id="editor-template-add" onclick={add} title="Adds the example as a new file">{ "Add file" }</button>
            </span>
            <button type="button" id="editor-expand" aria-pressed={props.expanded.to_string()} onclick={expand}
                title="Gives the editor more of the page's height">
                { if props.expanded { "Smaller" } else { "Larger" } }
            </button>
            <button type="button" id="editor-apply" class="primary" onclick={apply}
                disabled={props.path.is_none()} aria-busy={props.applying.to_string()}
                title="kubectl apply -f this file (Ctrl+Enter)">
                { if props.applying { "Applying…" } else { "Apply" } }
            </button>
        </div>
    }
}
