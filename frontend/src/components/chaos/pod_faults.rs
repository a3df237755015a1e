//! Pick a pod, then delete it or inject a fault, without hunting for it on the map.

use crate::view::chaos::{delete_pod, toggle_fault, Fault};
use crate::view::PodView;
use kubeplay_shared::Request;
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct PodFaultsProps {
    pub pods: Vec<PodView>,
    pub on_request: Callback<Request>,
}

#[function_component(PodFaults)]
pub fn pod_faults(props: &PodFaultsProps) -> Html {
    let chosen = use_state(|| None::<(String, String)>);
    let onchange = {
        let chosen = chosen.clone();
        Callback::from(move |e: Event| {
            let select: web_sys::HtmlSelectElement = e.target_unchecked_into();
            chosen.set(select.value().split_once('/').map(|(ns, name)| (ns.to_string(), name.to_string())));
        })
    };
    let pod = chosen
        .as_ref()
        .and_then(|(ns, name)| props.pods.iter().find(|p| &p.namespace == ns && &p.name == name));
    let action = |request: Request, label: String, class: &'static str, pressed: Option<bool>, why_not: Option<&'static str>| {
        let on_request = props.on_request.clone();
        let onclick = Callback::from(move |_: MouseEvent| on_request.emit(request.clone()));
        html! {
            <button type="button" {class} {onclick} aria-pressed={pressed.map(|p| p.to_string())} disabled={why_not.is_some()} title={why_not.unwrap_or("")}>
                { label }
            </button>
        }
    };
    html! {
        <div class="pod-faults">
            <label>
                { "Pod " }
                <select {onchange} aria-label="Pod to break">
                    <option value="" selected={pod.is_none()}>{ "choose a pod…" }</option>
                    { for props.pods.iter().map(|p| {
                        let key = format!("{}/{}", p.namespace, p.name);
                        html! { <option value={key.clone()} selected={pod.is_some_and(|c| c.name == p.name && c.namespace == p.namespace)}>{ format!("{key} ({})", p.status) }</option> }
                    }) }
                </select>
            </label>
            if let Some(p) = pod {
                <div class="chaos-actions" role="group" aria-label={format!("Chaos for {}", p.name)}>
                    { action(delete_pod(p), "Delete pod".into(), "danger", None, None) }
                    { for Fault::ALL.iter().map(|&f| {
                        let on = f.is_set(p);
                        let label = if on { format!("Undo: {}", f.label().to_lowercase()) } else { f.label().to_string() };
                        let why_not = (!on && !f.applies_to(p)).then(|| f.why_not());
                        action(toggle_fault(p, f), label, "fault", Some(on), why_not)
                    }) }
                </div>
            }
        </div>
    }
}
