//! A node's controls: cordon/uncordon, fail/recover (simulated nodes), resize and remove;
//! removing asks once more, since the node's pods go with it.

use crate::view::commands::NodeCommand;
use crate::view::NodeView;
use super::size_picker::SizePicker;
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct NodeControlsProps {
    pub node: NodeView,
    pub on_command: Callback<NodeCommand>,
}

#[function_component(NodeControls)]
pub fn node_controls(props: &NodeControlsProps) -> Html {
    let confirming = use_state(|| false);
    let node = &props.node;
    let send = |command: NodeCommand| {
        let on_command = props.on_command.clone();
        Callback::from(move |_: MouseEvent| on_command.emit(command.clone()))
    };
    let name = node.name.clone();
    let cordon = send(NodeCommand::Cordon { name: name.clone(), unschedulable: !node.cordoned });
    let fail = send(NodeCommand::Fail { name: name.clone(), failed: !node.failed });
    let remove = {
        let (confirming, on_command, name) = (confirming.clone(), props.on_command.clone(), name.clone());
        Callback::from(move |_: MouseEvent| {
            if *confirming {
                on_command.emit(NodeCommand::Remove { name: name.clone() });
                confirming.set(false);
            } else {
                confirming.set(true);
            }
        })
    };
    let resize = {
        let (on_command, name) = (props.on_command.clone(), name.clone());
        Callback::from(move |i: usize| {
            if let Some(command) = NodeCommand::resize_to(name.clone(), i) {
                on_command.emit(command);
            }
        })
    };
    html! {
        <div class="node-controls" role="group" aria-label={format!("Controls for {}", node.name)}>
            <button type="button" onclick={cordon} title={if node.cordoned { "kubectl uncordon: allow new pods again" } else { "kubectl cordon: no new pods here" }}>
                { if node.cordoned { "Uncordon" } else { "Cordon" } }
            </button>
            if node.simulated {
                <button type="button" class={classes!(if node.failed { "recover" } else { "danger" })} onclick={fail}
                    title={if node.failed { "The kubelet reports again" } else { "The kubelet goes silent, as if the machine died" }}>
                    { if node.failed { "Recover" } else { "Fail" } }
                </button>
                <SizePicker action="Resize" label={format!("New size for {}", node.name)} on_pick={resize} />
            }
            <button type="button" class="danger" onclick={remove}>{ if *confirming { "Really remove?" } else { "Remove" } }</button>
        </div>
    }
}
