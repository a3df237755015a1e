//! Pods no node runs yet: the scheduler's queue, shown apart so a Pending pod is noticed.

use super::node_card::PodSlot;
use super::pod_chip::PodChip;
use crate::view::layout::Density;
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct UnscheduledProps {
    pub pods: Vec<PodSlot>,
    pub density: Density,
    pub on_select_pod: Callback<(String, String)>,
}

#[function_component(Unscheduled)]
pub fn unscheduled(props: &UnscheduledProps) -> Html {
    if props.pods.is_empty() {
        return html! {};
    }
    html! {
        <section class="unscheduled" aria-label="Pods waiting for a node" data-node="">
            <h4>{ format!("Waiting for a node ({})", props.pods.len()) }</h4>
            <div class={classes!("pods", props.density.class())}>
                { for props.pods.iter().enumerate().map(|(i, slot)| html! {
                    <PodChip key={slot.pod.name.clone()} pod={slot.pod.clone()} density={props.density}
                        selected={slot.selected} tab_stop={i == 0 || props.density == Density::Full}
                        on_select={props.on_select_pod.clone()} />
                }) }
            </div>
        </section>
    }
}
