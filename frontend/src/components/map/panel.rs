//! The cluster map panel: control plane on top, traffic lanes, then one card per node with its
//! pods. Selection (a pod, a Service lane) is the panel's own state, kept by name so it
//! survives new views.

use super::control_plane::ControlPlane;
use super::node_card::{NodeCard, PodSlot};
use super::pod_menu::PodMenu;
use super::service_lanes::{Lane, ServiceLanes};
use super::size_picker::SizePicker;
use super::unscheduled::Unscheduled;
use crate::view::commands::{next_node_name, NodeCommand};
use crate::view::layout::{routed_services, service_colour, services_by_pod, Density};
use crate::view::ClusterView;
use kubeplay_shared::Request;
use std::rc::Rc;
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct MapPanelProps {
    pub view: Rc<ClusterView>,
    /// API requests (pod chaos), to be served by the control plane.
    pub on_request: Callback<Request>,
    /// Node fleet changes, to be carried out by the control plane's host.
    pub on_node_command: Callback<NodeCommand>,
}

/// (namespace, name) of a pod or Service.
type Key = (String, String);

#[function_component(MapPanel)]
pub fn map_panel(props: &MapPanelProps) -> Html {
    let selected = use_state(|| None::<Key>);
    let highlighted = use_state(|| None::<Key>);
    let view = &*props.view;
    let density = Density::for_pods(view.pods.len());

    let selected_index = selected
        .as_ref()
        .and_then(|(ns, name)| view.pods.iter().position(|p| &p.namespace == ns && &p.name == name));
    let highlighted_index = highlighted
        .as_ref()
        .and_then(|(ns, name)| view.services.iter().position(|s| &s.namespace == ns && &s.name == name));

    let on_select_pod = {
        let (selected, view) = (selected.clone(), props.view.clone());
        Callback::from(move |i: usize| {
            let key = view.pods.get(i).map(|p| (p.namespace.clone(), p.name.clone()));
            selected.set(if *selected == key { None } else { key });
        })
    };
    let on_highlight = {
        let (highlighted, view) = (highlighted.clone(), props.view.clone());
        Callback::from(move |i: Option<usize>| {
            highlighted.set(i.and_then(|i| view.services.get(i)).map(|s| (s.namespace.clone(), s.name.clone())));
        })
    };
    let on_close = {
        let selected = selected.clone();
        Callback::from(move |()| selected.set(None))
    };

    let by_pod = services_by_pod(view);
    let colours: Vec<String> = (0..view.services.len()).map(|s| service_colour(view, s)).collect();
    let slot = |(index, pod): (usize, &crate::view::PodView)| {
        let services = by_pod.get(index).map(Vec::as_slice).unwrap_or_default();
        PodSlot {
            index,
            pod: pod.clone(),
            service: services.first().and_then(|&s| colours.get(s).cloned()),
            serving: services.iter().any(|&s| view.services[s].rps.is_some_and(|r| r > 0.0)),
            dimmed: highlighted_index.is_some_and(|h| !services.contains(&h)),
        }
    };
    let lanes: Vec<Lane> = routed_services(view)
        .map(|(index, service)| Lane { index, colour: service_colour(view, index), service: service.clone() })
        .collect();

    let add = {
        let (on_command, view) = (props.on_node_command.clone(), props.view.clone());
        Callback::from(move |i: usize| {
            if let Some(command) = NodeCommand::add_of_size(next_node_name(&view.nodes), i) {
                on_command.emit(command);
            }
        })
    };

    let menu = selected_index.map(|i| {
        let pod = view.pods[i].clone();
        let node = pod.node.and_then(|n| view.nodes.get(usize::from(n))).map(|n| n.name.clone());
        html! { <PodMenu {pod} {node} on_request={props.on_request.clone()} {on_close} /> }
    });

    html! {
        <section id="map" class={classes!("map-panel", density.class())} aria-label="Cluster map">
            <ControlPlane activity={view.activity.clone()} />
            <ServiceLanes ingresses={view.ingresses.clone()} {lanes} highlighted={highlighted_index} {on_highlight} />
            <div class="map-body">
                <div class="nodes">
                    { for view.nodes.iter().enumerate().map(|(n, node)| html! {
                        <NodeCard key={node.name.clone()} node={node.clone()} pods={view.pods_on(n).map(slot).collect::<Vec<_>>()}
                            {density} selected_pod={selected_index} on_select_pod={on_select_pod.clone()}
                            on_node_command={props.on_node_command.clone()} />
                    }) }
                    <div class="node node-add">
                        <span class="node-add-title">{ "Add a simulated node" }</span>
                        <SizePicker action="Add node" label="Size of the new node" on_pick={add} />
                    </div>
                </div>
                { for menu }
            </div>
            <Unscheduled pods={view.unscheduled().map(slot).collect::<Vec<_>>()} {density} selected_pod={selected_index} on_select_pod={on_select_pod} />
            <Legend />
        </section>
    }
}

#[function_component(Legend)]
fn legend() -> Html {
    let items = [
        ("ready", "Running, ready"),
        ("notready", "Running, not ready"),
        ("pending", "Pending / creating"),
        ("failing", "CrashLoopBackOff, errors"),
        ("terminating", "Terminating"),
        ("completed", "Completed"),
        ("unknown", "Unknown (node lost)"),
    ];
    html! {
        <ul class="legend" aria-label="Pod colours">
            { for items.iter().map(|(class, label)| html! { <li><span class={classes!("pod", "pod-swatch", format!("pod-{class}"))}></span>{ *label }</li> }) }
            <li><span class="restarts">{ "↻3" }</span>{ "restarts" }</li>
        </ul>
    }
}
