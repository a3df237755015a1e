//! One node: its status, the node agents (kubelet, container runtime, kube-proxy) lit while
//! they work, resource bars, conditions and taints, its controls, and its pods.
//! End-to-end tests read `data-node` and the `.node-status` text.

use super::node_controls::NodeControls;
use super::pod_chip::PodChip;
use super::real_badge::RealBadge;
use crate::view::commands::NodeCommand;
use crate::view::layout::Density;
use crate::view::{NodeView, PodView};
use std::rc::Rc;
use yew::prelude::*;

/// A pod as a node card draws it, with its lane colour and whether it is the selected one.
/// Nothing here depends on the pod's place in the view, so a pod added elsewhere re-renders
/// no other chip.
#[derive(Clone, PartialEq)]
pub struct PodSlot {
    pub pod: Rc<PodView>,
    pub service: Option<String>,
    pub serving: bool,
    pub dimmed: bool,
    pub selected: bool,
}

#[derive(Properties, PartialEq)]
pub struct NodeCardProps {
    pub node: NodeView,
    pub pods: Vec<PodSlot>,
    pub density: Density,
    /// Gets the pod's (namespace, name).
    pub on_select_pod: Callback<(String, String)>,
    pub on_node_command: Callback<NodeCommand>,
}

#[derive(Properties, PartialEq)]
struct BarProps {
    label: &'static str,
    used: u64,
    capacity: u64,
    text: String,
}

#[function_component(Bar)]
fn bar(props: &BarProps) -> Html {
    let percent = (props.used * 100).checked_div(props.capacity).unwrap_or(0).min(100);
    let level = match percent {
        0..=69 => "ok",
        70..=89 => "high",
        _ => "full",
    };
    html! {
        <div class="bar-row">
            <span class="bar-label">{ props.label }</span>
            <span class={classes!("bar", level)} role="meter" aria-label={props.label} aria-valuemin="0" aria-valuemax="100" aria-valuenow={percent.to_string()}>
                <span class="bar-fill" style={format!("width:{percent}%")}></span>
            </span>
            <span class="bar-text">{ &props.text }</span>
        </div>
    }
}

fn cpu(m: u64) -> String {
    if m >= 1000 && m.is_multiple_of(1000) { format!("{}", m / 1000) } else { format!("{m}m") }
}

fn mib(bytes: u64) -> String {
    let mib = bytes / (1024 * 1024);
    if mib >= 1024 { format!("{:.1}Gi", mib as f64 / 1024.0) } else { format!("{mib}Mi") }
}

#[function_component(NodeCard)]
pub fn node_card(props: &NodeCardProps) -> Html {
    let node = &props.node;
    let state = if node.failed || !node.ready { "down" } else if node.cordoned { "cordoned" } else { "up" };
    let serving = props.pods.iter().any(|p| p.serving);
    let running = props.pods.iter().filter(|p| p.pod.health == crate::view::Health::Ready).count();
    let badge = |name: &'static str, title: String, active: bool| {
        html! { <span class={classes!("agent", active.then_some("active"))} title={title}>{ name }</span> }
    };
    let runtime = if node.simulated { "containerd (simulated)" } else { "Docker via kubeplay-agent" };
    html! {
        <article class={classes!("node", format!("node-{state}"))} aria-label={format!("Node {} {}", node.name, node.status)}
            data-node={node.name.clone()} data-real={(!node.simulated).to_string()}>
            <header class="node-head">
                <h4 class="node-name">{ &node.name }</h4>
                <span class={classes!("node-status", format!("status-{state}"))}>{ &node.status }</span>
                <span class="node-kind">{ if node.simulated { "simulated" } else { "agent" } }</span>
            </header>
            <div class="node-meta">
                <RealBadge node={node.clone()} />
                <span>{ &node.internal_ip }</span>
                <span>{ format!("{} · {}/{} pods ready", node.version, running, props.pods.len()) }</span>
            </div>
            <div class="agents" aria-label="Node components">
                { badge("kubelet", "runs the pods the API server assigns here and reports their status".into(), node.active) }
                { badge("runtime", runtime.into(), node.active) }
                { badge("kube-proxy", "routes Service traffic to ready pods".into(), serving) }
            </div>
            <div class="bars">
                <Bar label="CPU req" used={node.cpu_requested} capacity={node.cpu_capacity} text={format!("{} / {}", cpu(node.cpu_requested), cpu(node.cpu_capacity))} />
                if let Some(used) = node.cpu_usage {
                    <Bar label="CPU use" used={used} capacity={node.cpu_capacity} text={cpu(used)} />
                }
                if let Some(used) = node.memory_usage {
                    <Bar label="Memory" used={used} capacity={node.memory_capacity} text={format!("{} / {}", mib(used), mib(node.memory_capacity))} />
                }
            </div>
            if !node.conditions.is_empty() || !node.taints.is_empty() {
                <ul class="node-warnings">
                    { for node.conditions.iter().map(|c| html! { <li class="condition">{ c }</li> }) }
                    { for node.taints.iter().map(|t| html! { <li class="taint">{ format!("taint {t}") }</li> }) }
                </ul>
            }
            <div class={classes!("pods", props.density.class())} role="group" aria-label={format!("Pods on {}", node.name)}>
                { for props.pods.iter().enumerate().map(|(i, slot)| html! {
                    <PodChip key={slot.pod.name.clone()} pod={slot.pod.clone()} density={props.density}
                        service={slot.service.clone()} serving={slot.serving} dimmed={slot.dimmed}
                        selected={slot.selected} tab_stop={i == 0 || props.density == Density::Full}
                        on_select={props.on_select_pod.clone()} />
                }) }
                if props.pods.is_empty() { <span class="empty">{ "no pods" }</span> }
            </div>
            <NodeControls node={node.clone()} on_command={props.on_node_command.clone()} />
        </article>
    }
}
