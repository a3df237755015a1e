//! The chaos and traffic panel: traffic per Service, faults per pod, failures per node, and the
//! CPU-against-replicas chart beside them so cause and effect are seen together.

use super::pod_faults::PodFaults;
use super::traffic_slider::TrafficSlider;
use crate::components::chart::panel::ChartPanel;
use crate::view::commands::NodeCommand;
use crate::view::layout::routed_services;
use crate::view::ClusterView;
use kubeplay_shared::Request;
use std::rc::Rc;
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct ChaosPanelProps {
    pub view: Rc<ClusterView>,
    pub on_request: Callback<Request>,
    pub on_node_command: Callback<NodeCommand>,
}

#[function_component(ChaosPanel)]
pub fn chaos_panel(props: &ChaosPanelProps) -> Html {
    let view = &*props.view;
    let services: Vec<_> = routed_services(view).map(|(_, s)| s.clone()).collect();
    let nodes = view.nodes.iter().filter(|n| n.simulated).map(|n| {
        let command = NodeCommand::Fail { name: n.name.clone(), failed: !n.failed };
        let on_command = props.on_node_command.clone();
        let onclick = Callback::from(move |_: MouseEvent| on_command.emit(command.clone()));
        html! {
            <li key={n.name.clone()}>
                <span class="node-name">{ &n.name }</span>
                <span class={classes!("node-status", if n.ready { "status-up" } else { "status-down" })}>{ &n.status }</span>
                <button type="button" class={if n.failed { "recover" } else { "danger" }} {onclick}>
                    { if n.failed { "Recover node" } else { "Fail node" } }
                </button>
            </li>
        }
    });
    html! {
        <section class="chaos-panel" aria-label="Chaos and traffic">
            <header><h3>{ "Chaos & traffic" }</h3></header>
            <div class="chaos-grid">
                <div class="chaos-block">
                    <h4>{ "Traffic" }</h4>
                    if services.is_empty() {
                        <p class="hint">{ "Expose a Deployment as a Service to send it traffic." }</p>
                    }
                    { for services.into_iter().map(|s| {
                        let key = format!("{}/{}", s.namespace, s.name);
                        html! { <TrafficSlider {key} service={s} on_request={props.on_request.clone()} /> }
                    }) }
                </div>
                <div class="chaos-block">
                    <h4>{ "Break a pod" }</h4>
                    <PodFaults pods={view.pods.clone()} on_request={props.on_request.clone()} />
                </div>
                <div class="chaos-block">
                    <h4>{ "Fail a node" }</h4>
                    <ul class="node-chaos">{ for nodes }</ul>
                </div>
            </div>
            <ChartPanel history={view.history.clone()} hpas={view.hpas.clone()} />
        </section>
    }
}
