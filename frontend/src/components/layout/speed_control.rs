//! The cluster-speed switch, and a badge that stays visible whenever the cluster does not run
//! at Kubernetes' real timings, so a student never mistakes 20× for real life.

use crate::protocol::Speed;
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct SpeedControlProps {
    pub speed: Speed,
    pub on_change: Callback<Speed>,
}

#[function_component(SpeedControl)]
pub fn speed_control(props: &SpeedControlProps) -> Html {
    let buttons = Speed::PRESETS.iter().map(|&speed| {
        let onclick = props.on_change.reform(move |_: MouseEvent| speed);
        let pressed = speed == props.speed;
        html! {
            <button key={speed.0} class={classes!("speed", pressed.then_some("selected"))}
                aria-pressed={pressed.to_string()} data-speed={speed.0.to_string()} {onclick}>
                { speed.label() }
            </button>
        }
    });
    let badge = (!props.speed.is_normal()).then(|| {
        let text = if props.speed == Speed::PAUSED {
            "Cluster paused".to_string()
        } else {
            format!("Cluster runs {} faster", props.speed.label())
        };
        html! { <span id="speed-badge" class="speed-badge" role="status">{ text }</span> }
    });
    html! {
        <div class="speed-control">
            <span class="speed-label" id="speed-label">{ "Cluster speed" }</span>
            <div class="speed-buttons" role="group" aria-labelledby="speed-label">{ for buttons }</div>
            { for badge }
        </div>
    }
}
