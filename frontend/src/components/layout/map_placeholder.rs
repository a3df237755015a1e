//! A plain cluster map until the real one lands: each node with its pods and their STATUS.
//! Its data attributes (`data-node`, `data-pod="ns/name"`, `data-status`, `data-restarts`) are
//! what the end-to-end tests read; the real map keeps them.

use crate::view::{ClusterView, PodView};
use std::rc::Rc;
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct MapPlaceholderProps {
    pub view: Option<Rc<ClusterView>>,
}

#[derive(Properties, PartialEq)]
struct PodChipProps {
    pod: PodView,
}

/// One pod; a component of its own so an unchanged pod costs a comparison, not a re-render.
#[function_component(PodChip)]
fn pod_chip(props: &PodChipProps) -> Html {
    let pod = &props.pod;
    let key = format!("{}/{}", pod.namespace, pod.name);
    let class = classes!("pod", format!("status-{}", pod.status.to_ascii_lowercase()));
    html! {
        <li {class} data-pod={key} data-status={pod.status.clone()}
            data-restarts={pod.restarts.to_string()}
            title={format!("{} {}/{} {} restarts", pod.status, pod.ready, pod.containers, pod.restarts)}>
            <span class="pod-name">{ &pod.name }</span>
            <span class="pod-status">{ &pod.status }</span>
        </li>
    }
}

fn pod(pod: &PodView) -> Html {
    let key = format!("{}/{}", pod.namespace, pod.name);
    html! { <PodChip {key} pod={pod.clone()} /> }
}

#[function_component(MapPlaceholder)]
pub fn map_placeholder(props: &MapPlaceholderProps) -> Html {
    let Some(view) = &props.view else {
        return html! { <section id="map" class="map loading" aria-busy="true">{ "Starting the cluster…" }</section> };
    };
    let nodes = view.nodes.iter().enumerate().map(|(i, node)| {
        let pods = view.pods.iter().filter(|p| p.node.map(usize::from) == Some(i));
        html! {
            <article key={node.name.clone()} class={classes!("node", (!node.ready).then_some("not-ready"))}
                data-node={node.name.clone()}>
                <h3>{ &node.name }<span class="node-status">{ &node.status }</span></h3>
                <ul class="pods">{ for pods.map(pod) }</ul>
            </article>
        }
    });
    let pending: Vec<&PodView> = view.pods.iter().filter(|p| p.node.is_none()).collect();
    let pending = (!pending.is_empty()).then(|| html! {
        <article class="node unscheduled" data-node="">
            <h3>{ "Not scheduled" }</h3>
            <ul class="pods">{ for pending.into_iter().map(pod) }</ul>
        </article>
    });
    html! {
        <section id="map" class="map" aria-label="Cluster map">
            { for nodes }
            { for pending }
        </section>
    }
}
