//! The DNS panel: for every Service, the names a pod can use (`name` from the same namespace,
//! `name.namespace` from anywhere, the full name) and what cluster DNS answers.

use crate::view::DnsView;
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct DnsPanelProps {
    pub dns: Vec<DnsView>,
}

#[function_component(DnsPanel)]
pub fn dns_panel(props: &DnsPanelProps) -> Html {
    let rows = props.dns.iter().map(|d| {
        let answers = if d.answers.is_empty() {
            html! { <span class="muted">{ "no answer (no ready endpoints)" }</span> }
        } else {
            html! { { for d.answers.iter().map(|a| html! { <code class="answer">{ a }</code> }) } }
        };
        html! {
            <tr key={format!("{}/{}", d.namespace, d.name)}>
                <th scope="row">{ &d.name }<span class="muted">{ format!(" ({})", d.namespace) }</span></th>
                <td class="dns-names">
                    { for d.names.iter().enumerate().map(|(i, n)| html! {
                        <code class="dns-name" title={if i == 0 { "from pods in the same namespace" } else { "from any namespace" }}>{ n }</code>
                    }) }
                </td>
                <td>{ &d.record }</td>
                <td class="dns-answers">{ answers }</td>
                <td>{ d.ports.join(", ") }</td>
            </tr>
        }
    });
    html! {
        <section class="dns-panel" aria-label="Cluster DNS">
            <header>
                <h3>{ "DNS" }</h3>
                <span class="muted">{ "what a pod's nslookup answers; the short name works only inside the same namespace" }</span>
            </header>
            <table>
                <thead><tr><th scope="col">{ "Service" }</th><th scope="col">{ "Names" }</th><th scope="col">{ "Record" }</th><th scope="col">{ "Answer" }</th><th scope="col">{ "Ports" }</th></tr></thead>
                <tbody>{ for rows }</tbody>
            </table>
        </section>
    }
}
