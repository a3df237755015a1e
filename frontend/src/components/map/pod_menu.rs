//! The selected pod's details, its logs, and chaos actions: delete it, crash its container,
//! break its liveness or readiness probe; every action is an API request, as kubectl would send.

use crate::view::chaos::{self, Fault};
use crate::view::PodView;
use kubeplay_shared::Request;
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct PodMenuProps {
    pub pod: PodView,
    pub node: Option<String>,
    pub on_request: Callback<Request>,
    /// Opens the Logs tab on this pod.
    #[prop_or_default]
    pub on_logs: Callback<(String, String)>,
    pub on_close: Callback<()>,
}

#[function_component(PodMenu)]
pub fn pod_menu(props: &PodMenuProps) -> Html {
    let pod = &props.pod;
    let delete = {
        let (on_request, request) = (props.on_request.clone(), chaos::delete_pod(pod));
        Callback::from(move |_: MouseEvent| on_request.emit(request.clone()))
    };
    let logs = {
        let (on_logs, key) = (props.on_logs.clone(), (pod.namespace.clone(), pod.name.clone()));
        Callback::from(move |_: MouseEvent| on_logs.emit(key.clone()))
    };
    let close = {
        let on_close = props.on_close.clone();
        Callback::from(move |_: MouseEvent| on_close.emit(()))
    };
    let onkeydown = {
        let on_close = props.on_close.clone();
        Callback::from(move |e: KeyboardEvent| {
            if e.key() == "Escape" {
                on_close.emit(());
            }
        })
    };
    let faults = Fault::ALL.iter().map(|&fault| {
        let on = fault.is_set(pod);
        let useless = !on && !fault.applies_to(pod);
        let onclick = {
            let (on_request, request) = (props.on_request.clone(), chaos::toggle_fault(pod, fault));
            Callback::from(move |_: MouseEvent| on_request.emit(request.clone()))
        };
        html! {
            <button type="button" class={classes!("fault", on.then_some("on"))} aria-pressed={on.to_string()} {onclick}
                disabled={useless} title={if useless { fault.why_not() } else { "" }}>
                { if on { format!("Undo: {}", fault.label().to_lowercase()) } else { fault.label().to_string() } }
            </button>
        }
    });
    let row = |k: &'static str, v: String| html! { <><dt>{ k }</dt><dd>{ if v.is_empty() { "<none>".to_string() } else { v } }</dd></> };
    html! {
        <aside class="pod-menu" role="dialog" aria-label={format!("Pod {}", pod.name)} {onkeydown}>
            <header>
                <h4>{ &pod.name }</h4>
                <button type="button" class="close" onclick={close} aria-label="Close">{ "×" }</button>
            </header>
            <dl>
                { row("Namespace", pod.namespace.clone()) }
                { row("Status", pod.status.clone()) }
                { row("Ready", format!("{}/{}", pod.ready, pod.containers)) }
                { row("Restarts", pod.restarts.to_string()) }
                { row("Node", props.node.clone().unwrap_or_default()) }
                { row("IP", pod.ip.clone()) }
                { row("Controlled by", pod.owner.clone()) }
                { row("Labels", pod.labels.clone()) }
                if let Some(cpu) = pod.cpu { { row("CPU", format!("{cpu}m")) } }
            </dl>
            <div class="pod-actions">
                <button type="button" class="pod-logs" onclick={logs} title="kubectl logs -f in the Logs tab">{ "Logs" }</button>
            </div>
            <div class="chaos-actions" role="group" aria-label="Chaos">
                <button type="button" class="danger" onclick={delete}>{ "Delete pod" }</button>
                { for faults }
            </div>
            <p class="hint">{ if pod.owner.starts_with("ReplicaSet/") { "Its ReplicaSet will replace it if it is deleted." } else { "No controller owns it: deleted means gone." } }</p>
        </aside>
    }
}
