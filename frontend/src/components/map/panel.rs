//! The cluster map panel: control plane on top, traffic lanes, then one card per node with its
//! pods. Selection (a pod, a Service lane) is the panel's own state, kept by name so it
//! survives new views.
//!
//! Kept cheap for 1,000 pods: the callbacks handed to node cards and chips never change (so
//! only chips whose pod changed re-render), and new chips enter the DOM at most
//! [`CHIPS_PER_FRAME`] per frame (`view::placement`).

use super::control_plane::ControlPlane;
use super::node_card::{NodeCard, PodSlot};
use super::pod_menu::PodMenu;
use super::service_lanes::{Lane, ServiceLanes};
use super::size_picker::SizePicker;
use super::unscheduled::Unscheduled;
use crate::view::commands::{next_node_name, NodeCommand};
use crate::view::layout::{routed_services, service_colour, services_by_pod, Density};
use crate::view::placement::{Placements, Spot};
use crate::view::ClusterView;
use gloo_timers::callback::Timeout;
use std::collections::HashMap;
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
    /// "Logs" on a pod: show that pod's log.
    #[prop_or_default]
    pub on_logs: Callback<Key>,
}

/// (namespace, name) of a pod or Service.
type Key = (String, String);

/// New chips put in the DOM per frame: a 1,000-pod rollout is spread over a few frames
/// instead of one long task (see `view::placement`).
const CHIPS_PER_FRAME: usize = 100;
/// When the next frame comes to place deferred chips.
const FRAME_MS: u32 = 16;

/// The selected pod, changed only by toggling, so the chips' callback never changes.
#[derive(Debug, Clone, PartialEq, Default)]
struct Selection(Option<Key>);

enum SelectionAction {
    Toggle(Key),
    Clear,
}

impl Reducible for Selection {
    type Action = SelectionAction;

    fn reduce(self: Rc<Self>, action: SelectionAction) -> Rc<Self> {
        Rc::new(match action {
            SelectionAction::Toggle(key) if self.0.as_ref() == Some(&key) => Selection(None),
            SelectionAction::Toggle(key) => Selection(Some(key)),
            SelectionAction::Clear => Selection(None),
        })
    }
}

/// A callback that stays the same object across renders while forwarding to the latest one the
/// parent passed: the parent re-creates its callbacks with every view, and a new callback in a
/// node card's props would re-render all of its pods.
#[hook]
fn use_stable<T: 'static>(latest: &Callback<T>) -> Callback<T> {
    let slot = use_mut_ref(|| latest.clone());
    *slot.borrow_mut() = latest.clone();
    let stable = use_memo((), move |_| {
        Callback::from(move |value: T| {
            // Not borrowed while it runs: emitting may re-render the map, which updates the slot.
            let latest = slot.borrow().clone();
            latest.emit(value)
        })
    });
    (*stable).clone()
}

#[function_component(MapPanel)]
pub fn map_panel(props: &MapPanelProps) -> Html {
    let selected = use_reducer_eq(Selection::default);
    let highlighted = use_state(|| None::<Key>);
    let on_node_command = use_stable(&props.on_node_command);
    let view = &*props.view;
    let density = Density::for_pods(view.pods.len());
    let placements = use_mut_ref(Placements::default);
    let catch_up = use_mut_ref(|| None::<Timeout>);
    let redraw = use_force_update();
    let placed = placements.borrow_mut().place(view, CHIPS_PER_FRAME);
    if placed.deferred > 0 && catch_up.borrow().is_none() {
        let slot = catch_up.clone();
        *catch_up.borrow_mut() = Some(Timeout::new(FRAME_MS, move || {
            slot.borrow_mut().take();
            redraw.force_update();
        }));
    }
    // Pod indexes per spot, in view order.
    let mut by_spot: HashMap<&Spot, Vec<usize>> = HashMap::new();
    for (i, spot) in placed.spots.iter().enumerate() {
        if let Some(spot) = spot {
            by_spot.entry(spot).or_default().push(i);
        }
    }
    let on_spot = |spot: &Spot| by_spot.get(spot).map(Vec::as_slice).unwrap_or_default().iter().map(|&i| (i, &view.pods[i]));

    let selected_index = selected
        .0
        .as_ref()
        .and_then(|(ns, name)| view.pods.iter().position(|p| &p.namespace == ns && &p.name == name));
    let highlighted_index = highlighted
        .as_ref()
        .and_then(|(ns, name)| view.services.iter().position(|s| &s.namespace == ns && &s.name == name));

    let on_select_pod = use_callback(selected.dispatcher(), |key: Key, selected| {
        selected.dispatch(SelectionAction::Toggle(key))
    });
    let on_highlight = {
        let (highlighted, view) = (highlighted.clone(), props.view.clone());
        Callback::from(move |i: Option<usize>| {
            highlighted.set(i.and_then(|i| view.services.get(i)).map(|s| (s.namespace.clone(), s.name.clone())));
        })
    };
    let on_close = {
        let selected = selected.dispatcher();
        Callback::from(move |()| selected.dispatch(SelectionAction::Clear))
    };

    let by_pod = services_by_pod(view);
    let colours: Vec<String> = (0..view.services.len()).map(|s| service_colour(view, s)).collect();
    let slot = |(index, pod): (usize, &crate::view::PodView)| {
        let services = by_pod.get(index).map(Vec::as_slice).unwrap_or_default();
        PodSlot {
            pod: Rc::new(pod.clone()),
            service: services.first().and_then(|&s| colours.get(s).cloned()),
            serving: services.iter().any(|&s| view.services[s].rps.is_some_and(|r| r > 0.0)),
            dimmed: highlighted_index.is_some_and(|h| !services.contains(&h)),
            selected: selected_index == Some(index),
        }
    };
    let lanes: Vec<Lane> = routed_services(view)
        .map(|(index, service)| Lane { index, colour: service_colour(view, index), service: service.clone() })
        .collect();

    let add = {
        let (on_command, view) = (on_node_command.clone(), props.view.clone());
        Callback::from(move |i: usize| {
            if let Some(command) = NodeCommand::add_of_size(next_node_name(&view.nodes), i) {
                on_command.emit(command);
            }
        })
    };

    let menu = selected_index.map(|i| {
        let pod = view.pods[i].clone();
        let node = pod.node.and_then(|n| view.nodes.get(usize::from(n))).map(|n| n.name.clone());
        html! { <PodMenu {pod} {node} on_request={props.on_request.clone()} on_logs={props.on_logs.clone()} {on_close} /> }
    });

    html! {
        <section id="map" class={classes!("map-panel", density.class())} aria-label="Cluster map">
            <ControlPlane activity={view.activity.clone()} />
            <ServiceLanes ingresses={view.ingresses.clone()} {lanes} highlighted={highlighted_index} {on_highlight} />
            <div class="map-body">
                <div class="nodes">
                    { for view.nodes.iter().map(|node| html! {
                        <NodeCard key={node.name.clone()} node={node.clone()} pods={on_spot(&Spot::Node(node.name.clone())).map(slot).collect::<Vec<_>>()}
                            {density} on_select_pod={on_select_pod.clone()} on_node_command={on_node_command.clone()} />
                    }) }
                    <div class="node node-add">
                        <span class="node-add-title">{ "Add a simulated node" }</span>
                        <SizePicker action="Add node" label="Size of the new node" on_pick={add} />
                    </div>
                </div>
                { for menu }
            </div>
            <Unscheduled pods={on_spot(&Spot::Waiting).map(slot).collect::<Vec<_>>()} {density} {on_select_pod} />
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
