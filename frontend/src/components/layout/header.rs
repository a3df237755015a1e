//! The title bar: what this is, the cluster speed, and the whole-cluster actions (Reset,
//! Export, Import) plus a larger-text switch for projectors.

use super::speed_control::SpeedControl;
use crate::protocol::Speed;
use web_sys::HtmlInputElement;
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct HeaderProps {
    pub speed: Speed,
    pub on_speed: Callback<Speed>,
    /// The store revision last saved in the browser, if any.
    pub saved: Option<u64>,
    pub on_reset: Callback<()>,
    pub on_export: Callback<()>,
    /// The file input a YAML file was chosen in.
    pub on_import: Callback<HtmlInputElement>,
    pub large_text: bool,
    pub on_large_text: Callback<bool>,
}

#[function_component(Header)]
pub fn header(props: &HeaderProps) -> Html {
    let on_reset = props.on_reset.reform(|_: MouseEvent| ());
    let on_export = props.on_export.reform(|_: MouseEvent| ());
    let on_import = props.on_import.reform(|event: Event| event.target_unchecked_into::<HtmlInputElement>());
    let large = props.large_text;
    let on_large = props.on_large_text.reform(move |_: MouseEvent| !large);
    let saved = match props.saved {
        Some(revision) => html! {
            <span class="saved" id="saved" data-revision={revision.to_string()}
                title="The cluster is saved in this browser and comes back on reload">{ "Saved" }</span>
        },
        None => html! {},
    };
    html! {
        <header class="header">
            <h1>{ "Kubeplay" }</h1>
            <span class="subtitle">{ "a Kubernetes cluster in this tab" }</span>
            <SpeedControl speed={props.speed} on_change={props.on_speed.clone()} />
            <div class="cluster-actions">
                { saved }
                <button id="reset" onclick={on_reset} title="Start again with a fresh 3-node cluster">{ "Reset" }</button>
                <button id="export" onclick={on_export} title="Download every object as one YAML file">{ "Export" }</button>
                // The input comes first so its keyboard focus can outline the label after it.
                <input id="import" class="visually-hidden" type="file" accept=".yaml,.yml,text/yaml" onchange={on_import} />
                <label class="button" for="import" title="Apply a YAML file">{ "Import" }</label>
                <button id="large-text" aria-pressed={large.to_string()} onclick={on_large} title="Larger text for projectors">{ "A+" }</button>
            </div>
        </header>
    }
}
