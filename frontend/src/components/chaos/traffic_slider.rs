//! A Service's traffic slider: sets `kubeplay.dev/traffic-rps`, which the simulated pods turn
//! into CPU, which the HorizontalPodAutoscaler acts on.

use crate::view::chaos::set_traffic;
use crate::view::ServiceView;
use kubeplay_shared::Request;
use yew::prelude::*;

/// The slider's top, in requests per second.
pub const MAX_RPS: u32 = 1000;

#[derive(Properties, PartialEq)]
pub struct TrafficSliderProps {
    pub service: ServiceView,
    pub on_request: Callback<Request>,
}

#[function_component(TrafficSlider)]
pub fn traffic_slider(props: &TrafficSliderProps) -> Html {
    let s = &props.service;
    let current = s.rps.unwrap_or(0.0).round().clamp(0.0, f64::from(MAX_RPS)) as u32;
    // What the thumb shows while dragging; the request goes out when it is let go.
    let dragging = use_state(|| None::<u32>);
    let oninput = {
        let dragging = dragging.clone();
        Callback::from(move |e: InputEvent| {
            let input: web_sys::HtmlInputElement = e.target_unchecked_into();
            dragging.set(input.value().parse().ok());
        })
    };
    let onchange = {
        let (on_request, dragging) = (props.on_request.clone(), dragging.clone());
        let (namespace, name) = (s.namespace.clone(), s.name.clone());
        Callback::from(move |e: Event| {
            let input: web_sys::HtmlInputElement = e.target_unchecked_into();
            if let Ok(rps) = input.value().parse::<u32>() {
                on_request.emit(set_traffic(&namespace, &name, rps.min(MAX_RPS)));
            }
            dragging.set(None);
        })
    };
    let shown = dragging.unwrap_or(current);
    let id = format!("traffic-{}-{}", s.namespace, s.name);
    html! {
        <div class="traffic-slider">
            <label for={id.clone()}>{ format!("svc/{}", s.name) }</label>
            <input type="range" id={id} min="0" max={MAX_RPS.to_string()} step="10" value={shown.to_string()} {oninput} {onchange}
                aria-valuetext={format!("{shown} requests per second")} />
            <output>{ format!("{shown} req/s") }</output>
            <span class="muted">{ format!("→ {} ready pods", s.ready.len()) }</span>
        </div>
    }
}
