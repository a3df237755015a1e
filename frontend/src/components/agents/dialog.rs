//! "Add node": the agent's URL and join token as `kubeplay-agent run` printed them, checked
//! before anything is sent, with the reason when they cannot work. A join link only fills the
//! fields: the user confirms, since the machine will receive the pods' Secrets.

use crate::host::agents::check;
use web_sys::HtmlInputElement;
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct AddNodeDialogProps {
    /// Connect to (url, token); the dialog closes when the worker accepted the attempt.
    pub on_connect: Callback<(String, String)>,
    pub on_cancel: Callback<()>,
    /// The worker's answer to the last attempt, when it refused.
    pub error: Option<String>,
    /// URL and token from a join link, to confirm.
    #[prop_or_default]
    pub initial: Option<(String, String)>,
}

#[function_component(AddNodeDialog)]
pub fn add_node_dialog(props: &AddNodeDialogProps) -> Html {
    let url = use_node_ref();
    let token = use_node_ref();
    let problem = use_state_eq(|| None::<String>);
    {
        let (url, token) = (url.clone(), token.clone());
        use_effect_with(props.initial.clone(), move |initial| {
            if let Some((u, t)) = initial {
                for (field, value) in [(&url, u), (&token, t)] {
                    if let Some(input) = field.cast::<HtmlInputElement>() {
                        input.set_value(value);
                    }
                }
            }
        });
    }
    let on_submit = {
        let (url, token, problem, on_connect) = (
            url.clone(),
            token.clone(),
            problem.clone(),
            props.on_connect.clone(),
        );
        Callback::from(move |event: SubmitEvent| {
            event.prevent_default();
            let value = |r: &NodeRef| {
                r.cast::<HtmlInputElement>()
                    .map(|i| i.value())
                    .unwrap_or_default()
            };
            match check(&value(&url), &value(&token)) {
                Ok(pair) => {
                    problem.set(None);
                    on_connect.emit(pair);
                }
                Err(err) => problem.set(Some(err.to_string())),
            }
        })
    };
    let on_cancel = props.on_cancel.reform(|_: MouseEvent| ());
    let shown = (*problem).clone().or_else(|| props.error.clone());
    let origin = web_sys::window()
        .and_then(|w| w.location().origin().ok())
        .unwrap_or_default();
    html! {
        <div class="agent-dialog-backdrop">
            <form id="add-node-dialog" class="agent-dialog" role="dialog" aria-modal="true" aria-labelledby="add-node-title" onsubmit={on_submit}>
                <h2 id="add-node-title">{ "Add a real node" }</h2>
                <p class="agent-help">
                    { "On the machine, run " }<code>{ format!("kubeplay-agent run --allow-origin {origin}") }</code>
                    { " and paste the URL and join token it prints." }
                </p>
                <p class="agent-warning">
                    { "Connect only machines you trust: the agent runs your pods and receives their ConfigMaps and Secrets." }
                </p>
                <label for="agent-url">{ "Agent URL" }</label>
                <input id="agent-url" ref={url} type="text" placeholder="ws://192.168.1.20:7443/v1/connect" autocomplete="off" spellcheck="false" />
                <label for="agent-token">{ "Join token" }</label>
                <input id="agent-token" ref={token} type="password" autocomplete="off" spellcheck="false" />
                if let Some(problem) = shown {
                    <p id="agent-dialog-error" class="agent-error" role="alert">{ problem }</p>
                }
                <div class="agent-dialog-actions">
                    <button type="button" onclick={on_cancel}>{ "Cancel" }</button>
                    <button id="agent-connect" type="submit" class="primary">{ "Connect" }</button>
                </div>
            </form>
        </div>
    }
}
