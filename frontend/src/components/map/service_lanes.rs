//! Ingress rules and Service lanes: where traffic enters, which Service takes it, and how it
//! flows to that Service's ready pods (faster with more requests, broken with none ready).

use crate::view::layout::flow_seconds;
use crate::view::{IngressView, ServiceView};
use yew::prelude::*;

/// A Service lane with its place in the view and its colour class.
#[derive(Clone, PartialEq)]
pub struct Lane {
    pub index: usize,
    pub colour: String,
    pub service: ServiceView,
}

#[derive(Properties, PartialEq)]
pub struct ServiceLanesProps {
    pub ingresses: Vec<IngressView>,
    pub lanes: Vec<Lane>,
    pub highlighted: Option<usize>,
    pub on_highlight: Callback<Option<usize>>,
}

#[function_component(ServiceLanes)]
pub fn service_lanes(props: &ServiceLanesProps) -> Html {
    let colour_of = |namespace: &str, name: &str| {
        props.lanes.iter().find(|l| l.service.namespace == namespace && l.service.name == name).map(|l| l.colour.clone())
    };
    let ingresses = props.ingresses.iter().map(|ing| {
        html! {
            <div class="ingress" key={format!("{}/{}", ing.namespace, ing.name)}>
                <span class="ingress-name">{ format!("Ingress {}", ing.name) }</span>
                if !ing.address.is_empty() { <span class="ingress-address">{ &ing.address }</span> }
                <ul>
                    { for ing.routes.iter().map(|r| html! {
                        <li class={classes!("route", colour_of(&ing.namespace, &r.service))}>
                            <code>{ format!("{}{}", r.host, r.path) }</code>
                            <span class="arrow" aria-hidden="true">{ "→" }</span>
                            <span class="route-target">{ format!("{}:{}", r.service, r.port) }</span>
                        </li>
                    }) }
                </ul>
            </div>
        }
    });
    let lanes = props.lanes.iter().map(|lane| {
        let s = &lane.service;
        let highlighted = props.highlighted == Some(lane.index);
        let onclick = {
            let (on_highlight, index) = (props.on_highlight.clone(), lane.index);
            Callback::from(move |_: MouseEvent| on_highlight.emit(if highlighted { None } else { Some(index) }))
        };
        let rps = s.rps.unwrap_or(0.0);
        let flow = match (s.ready.len(), rps > 0.0) {
            (0, _) => classes!("flow", "broken"),
            (_, true) => classes!("flow", "moving"),
            _ => classes!("flow", "idle"),
        };
        let style = format!("--flow-seconds:{:.2}s", flow_seconds(rps));
        let summary = format!(
            "Service {} ({}) {} ready, {} not ready endpoints{}",
            s.name,
            s.kind,
            s.ready.len(),
            s.not_ready.len(),
            if rps > 0.0 { format!(", {rps} requests per second") } else { String::new() }
        );
        html! {
            <li key={format!("{}/{}", s.namespace, s.name)} class={classes!("lane", lane.colour.clone(), highlighted.then_some("highlighted"))}>
                <button type="button" {onclick} aria-pressed={highlighted.to_string()} aria-label={summary.clone()} title="Show this Service's pods">
                    <span class="swatch" aria-hidden="true"></span>
                    <span class="lane-name">{ &s.name }</span>
                    <span class="lane-type">{ &s.kind }</span>
                    <code class="lane-ip">{ format!("{} {}", s.cluster_ip, s.ports) }</code>
                    <span class="lane-selector">{ &s.selector }</span>
                </button>
                <span class={flow} style={style} aria-hidden="true"></span>
                <span class="lane-endpoints">
                    { format!("{} ready", s.ready.len()) }
                    if !s.not_ready.is_empty() { <span class="not-ready">{ format!(" · {} not ready", s.not_ready.len()) }</span> }
                    if rps > 0.0 { <span class="lane-rps">{ format!(" · {rps} req/s") }</span> }
                </span>
            </li>
        }
    });
    html! {
        <section class="traffic" aria-label="Ingress and Services">
            if !props.ingresses.is_empty() { <div class="ingresses">{ for ingresses }</div> }
            if props.lanes.is_empty() {
                <p class="hint">{ "No Services yet: kubectl expose deployment NAME --port=80 makes one." }</p>
            } else {
                <ul class="lanes">{ for lanes }</ul>
            }
        </section>
    }
}
