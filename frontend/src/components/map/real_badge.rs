//! Marks a node backed by a real machine (kubeplay-agent) on the map: a "real" badge with its
//! platform and container runtime, so the audience tells laptops and Pis from simulated nodes.

use crate::view::NodeView;
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct RealBadgeProps {
    pub node: NodeView,
}

#[function_component(RealBadge)]
pub fn real_badge(props: &RealBadgeProps) -> Html {
    let node = &props.node;
    if node.simulated {
        return html! {};
    }
    let facts = [node.platform.as_str(), node.runtime.as_str()]
        .into_iter()
        .filter(|f| !f.is_empty())
        .collect::<Vec<_>>()
        .join(" · ");
    html! {
        <>
            <span class="real-badge" title="A real machine running kubeplay-agent: its pods are Docker containers">{ "real" }</span>
            if !facts.is_empty() {
                <span class="real-facts">{ facts }</span>
            }
        </>
    }
}
