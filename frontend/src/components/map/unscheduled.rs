//! Pods no node runs yet: the scheduler's queue, shown apart so a Pending pod is noticed.

use super::node_card::PodSlot;
use super::pod_chip::PodChip;
use crate::view::layout::Density;
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct UnscheduledProps {
    pub pods: Vec<PodSlot>,
    pub density: Density,
    pub selected_pod: Option<usize>,
    pub on_select_pod: Callback<usize>,
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
                    <PodChip key={slot.pod.name.clone()} pod={slot.pod.clone()} index={slot.index} density={props.density}
                        selected={props.selected_pod == Some(slot.index)} tab_stop={i == 0 || props.density == Density::Full}
                        on_select={props.on_select_pod.clone()} />
                }) }
            </div>
        </section>
    }
}
