//! The chart panel: one CPU-against-replicas chart per HorizontalPodAutoscaler.

use super::line_chart::LineChart;
use crate::view::{HpaView, ScaleSeries};
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct ChartPanelProps {
    pub history: Vec<ScaleSeries>,
    pub hpas: Vec<HpaView>,
}

#[function_component(ChartPanel)]
pub fn chart_panel(props: &ChartPanelProps) -> Html {
    html! {
        <section class="chart-panel" aria-label="CPU and replicas over time">
            <header>
                <h3>{ "Autoscaling" }</h3>
                <span class="muted">{ "CPU% of requests (blue, target dashed) and replicas (orange)" }</span>
            </header>
            if props.history.is_empty() {
                <p class="hint">{ "No HorizontalPodAutoscaler yet: kubectl autoscale deployment NAME --cpu-percent=50 --min=1 --max=10, then raise the traffic." }</p>
            }
            { for props.history.iter().map(|series| {
                let hpa = props.hpas.iter().find(|h| h.namespace == series.namespace && h.name == series.name).cloned();
                html! { <LineChart key={format!("{}/{}", series.namespace, series.name)} series={series.clone()} {hpa} /> }
            }) }
        </section>
    }
}
