//! The title bar: what this is and which seed the cluster was started from.

use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct HeaderProps {
    pub seed: u64,
}

#[function_component(Header)]
pub fn header(props: &HeaderProps) -> Html {
    html! {
        <header class="header">
            <h1>{ "Kubeplay" }</h1>
            <span class="subtitle">{ "a Kubernetes control plane running in this tab" }</span>
            <span class="seed" title="cluster seed">{ format!("seed {}", props.seed) }</span>
        </header>
    }
}
