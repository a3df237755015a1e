//! The real machines' strip under the header: "Add node", and per agent its node, the link's
//! state and, when it is refused or lost, why (the page cannot see the agent's HTTP answer, so
//! a refused socket names the likely causes and points at the agent's log).

use super::dialog::AddNodeDialog;
use super::link::take_from_location;
use crate::client::reply_message;
use crate::hooks::use_cluster::use_cluster;
use crate::protocol::{AgentPhase, AgentStatus, Call, Reply};
use yew::prelude::*;

fn phase_text(phase: AgentPhase) -> &'static str {
    match phase {
        AgentPhase::Connecting => "connecting",
        AgentPhase::Connected => "connected",
        AgentPhase::Refused => "refused",
        AgentPhase::Lost => "lost",
    }
}

#[function_component(AgentsBar)]
pub fn agents_bar() -> Html {
    let cluster = use_cluster();
    let open = use_state_eq(|| false);
    // A join link's URL and token, waiting for the user's confirmation in the dialog.
    let prefill = use_state_eq(|| None::<(String, String)>);
    let error = use_state_eq(|| None::<String>);
    let client = cluster.client.clone();
    let connect = {
        let (client, open, error) = (client.clone(), open.clone(), error.clone());
        Callback::from(move |(url, token): (String, String)| {
            let (open, error) = (open.clone(), error.clone());
            client.call(
                Call::ConnectAgent { url, token },
                move |reply| match reply {
                    Reply::Ok => {
                        error.set(None);
                        open.set(false);
                    }
                    other => {
                        error.set(Some(reply_message(&other)));
                        open.set(true);
                    }
                },
            );
        })
    };
    {
        // A join link fills the dialog once, when the page opens; the user confirms.
        let (open, prefill) = (open.clone(), prefill.clone());
        use_effect_with((), move |_| {
            if let Some(pair) = take_from_location() {
                prefill.set(Some(pair));
                open.set(true);
            }
        });
    }
    let on_add = {
        let (open, prefill) = (open.clone(), prefill.clone());
        Callback::from(move |_: MouseEvent| {
            prefill.set(None);
            open.set(true);
        })
    };
    let on_cancel = {
        let (open, error) = (open.clone(), error.clone());
        Callback::from(move |()| {
            error.set(None);
            open.set(false);
        })
    };
    let disconnect = |url: String| {
        let client = client.clone();
        Callback::from(move |_: MouseEvent| {
            client.call(Call::DisconnectAgent { url: url.clone() }, |_| {});
        })
    };
    let agent = |a: &AgentStatus| {
        let phase = phase_text(a.phase);
        html! {
            <li class={classes!("agent-link", format!("agent-{phase}"))} data-agent={a.url.clone()} data-phase={phase}
                data-node-name={a.node.clone().unwrap_or_default()}>
                <span class="agent-node">{ a.node.clone().unwrap_or_else(|| a.url.clone()) }</span>
                <span class="agent-phase">{ phase }</span>
                if let Some(message) = &a.message {
                    <span class="agent-message" title={message.clone()} role={(a.phase == AgentPhase::Refused).then_some("alert")}>{ message }</span>
                }
                <button class="agent-disconnect" title={format!("Stop driving {}", a.url)} onclick={disconnect(a.url.clone())}>{ "Disconnect" }</button>
            </li>
        }
    };
    html! {
        <section id="agents" class="agents-bar" aria-label="Real nodes">
            <button id="add-node" onclick={on_add} title="Connect a machine running kubeplay-agent">{ "Add node" }</button>
            <ul class="agent-links">{ for cluster.status.agents.iter().map(agent) }</ul>
            if *open {
                <AddNodeDialog on_connect={connect} {on_cancel} error={(*error).clone()} initial={(*prefill).clone()} />
            }
        </section>
    }
}
