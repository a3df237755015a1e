//! One pod: a chip coloured by its status, with restarts as a badge; at high density a dot that
//! still carries its restart count. Its `data-pod="ns/name"`, `data-status` and `data-restarts`
//! are what end-to-end tests read.
//!
//! Chips re-render only when their own props change (the map hands them stable callbacks), so
//! a view of 1,000 pods costs the pods that changed, not all of them.

use crate::view::layout::{dot_restarts, short_name, Density};
use crate::view::PodView;
use std::rc::Rc;
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct PodChipProps {
    pub pod: Rc<PodView>,
    pub density: Density,
    /// Colour class of the Service routing to it (`svc-2`), if it is a ready endpoint.
    #[prop_or_default]
    pub service: Option<String>,
    /// It is receiving simulated traffic.
    #[prop_or_default]
    pub serving: bool,
    #[prop_or_default]
    pub selected: bool,
    /// A Service lane is highlighted and this pod is not behind it.
    #[prop_or_default]
    pub dimmed: bool,
    /// Reached with Tab; in a crowded node only the first chip is, and arrows move between them.
    #[prop_or(true)]
    pub tab_stop: bool,
    /// Gets the pod's (namespace, name).
    pub on_select: Callback<(String, String)>,
}

/// Arrow keys move focus to the neighbouring chip, so 300 pods are not 300 Tab presses.
fn move_focus(e: KeyboardEvent) {
    use wasm_bindgen::JsCast;
    let here: web_sys::Element = e.target_unchecked_into();
    let next = match e.key().as_str() {
        "ArrowRight" | "ArrowDown" => here.next_element_sibling(),
        "ArrowLeft" | "ArrowUp" => here.previous_element_sibling(),
        _ => return,
    };
    if let Some(next) = next.and_then(|n| n.dyn_into::<web_sys::HtmlElement>().ok()) {
        e.prevent_default();
        let _ = next.focus();
    }
}

#[function_component(PodChip)]
pub fn pod_chip(props: &PodChipProps) -> Html {
    let pod = &props.pod;
    let class = classes!(
        "pod",
        format!("pod-{}", pod.health.class()),
        props.service.clone(),
        props.serving.then_some("serving"),
        props.selected.then_some("selected"),
        props.dimmed.then_some("dimmed"),
        (!pod.faults.is_empty()).then_some("faulty"),
    );
    let label = format!(
        "Pod {} — {} — ready {}/{} — {} restarts{}",
        pod.name,
        pod.status,
        pod.ready,
        pod.containers,
        pod.restarts,
        if pod.faults.is_empty() { String::new() } else { format!(" — faults: {}", pod.faults) }
    );
    let onclick = {
        let (on_select, key) = (props.on_select.clone(), (pod.namespace.clone(), pod.name.clone()));
        Callback::from(move |_: MouseEvent| on_select.emit(key.clone()))
    };
    let restarts = (pod.restarts > 0).then(|| html! { <span class="restarts" aria-hidden="true">{ format!("↻{}", pod.restarts) }</span> });
    let body = match props.density {
        Density::Full => html! {
            <>
                <span class="pod-name">{ &pod.name }</span>
                <span class="pod-status">{ &pod.status }<span class="pod-ready">{ format!(" {}/{}", pod.ready, pod.containers) }</span></span>
                { for restarts }
            </>
        },
        Density::Compact => html! {
            <>
                <span class="pod-name">{ short_name(&pod.name, &pod.owner) }</span>
                { for restarts }
            </>
        },
        Density::Dots => html! {
            if let Some(count) = dot_restarts(pod.restarts) { <span class="dot-restarts" aria-hidden="true">{ count }</span> }
        },
    };
    html! {
        <button type="button" {class} title={label.clone()} aria-label={label} aria-pressed={props.selected.to_string()} {onclick}
            data-pod={format!("{}/{}", pod.namespace, pod.name)} data-status={pod.status.clone()} data-restarts={pod.restarts.to_string()}
            tabindex={if props.tab_stop || props.selected { "0" } else { "-1" }} onkeydown={Callback::from(move_focus)}>
            { body }
        </button>
    }
}
