//! One autoscaler's chart in plain SVG: CPU% (left axis) with its target dashed, replicas
//! (right axis) as steps, over the last ten minutes.

use crate::view::chart::{ChartGeometry, HEIGHT, MARGIN_LEFT, MARGIN_RIGHT, MARGIN_TOP, WIDTH};
use crate::view::{HpaView, ScaleSeries};
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct LineChartProps {
    pub series: ScaleSeries,
    pub hpa: Option<HpaView>,
}

#[function_component(LineChart)]
pub fn line_chart(props: &LineChartProps) -> Html {
    let samples: Vec<_> = props.series.samples.iter().copied().collect();
    let g = ChartGeometry::new(&samples);
    let last = samples.last();
    let cpu_now = last.and_then(|s| s.cpu).map_or("unknown".to_string(), |c| format!("{c}%"));
    let replicas_now = last.map_or(0, |s| s.replicas);
    let summary = format!(
        "HorizontalPodAutoscaler {}: CPU {} of target {}, {} replicas{}",
        props.series.name,
        cpu_now,
        g.target.map_or("none".to_string(), |t| format!("{t}%")),
        replicas_now,
        last.and_then(|s| s.rps).map_or(String::new(), |r| format!(", {r} requests per second"))
    );
    let right = WIDTH - MARGIN_RIGHT;
    let bottom = HEIGHT - crate::view::chart::MARGIN_BOTTOM;
    html! {
        <figure class="chart">
            <figcaption>
                <strong>{ format!("hpa/{}", props.series.name) }</strong>
                if let Some(h) = &props.hpa {
                    <span class="muted">{ format!(" → {} · min {} · max {}", h.target, h.min, h.max) }</span>
                }
                <span class="chart-now">
                    <span class="key cpu">{ format!("CPU {cpu_now}") }</span>
                    <span class="key replicas">{ format!("{replicas_now} replicas") }</span>
                    if let Some(rps) = last.and_then(|s| s.rps) { <span class="key rps">{ format!("{rps} req/s") }</span> }
                </span>
            </figcaption>
            <svg viewBox={format!("0 0 {WIDTH} {HEIGHT}")} role="img" aria-label={summary.clone()} preserveAspectRatio="xMidYMid meet">
                <title>{ summary }</title>
                { for g.cpu_ticks.iter().map(|(y, label)| html! {
                    <>
                        <line class="grid" x1={MARGIN_LEFT.to_string()} x2={right.to_string()} y1={y.to_string()} y2={y.to_string()} />
                        <text class="tick cpu" x={(MARGIN_LEFT - 6.0).to_string()} y={(y + 4.0).to_string()} text-anchor="end">{ label }</text>
                    </>
                }) }
                { for g.replica_ticks.iter().map(|(y, label)| html! {
                    <text class="tick replicas" x={(right + 6.0).to_string()} y={(y + 4.0).to_string()}>{ label }</text>
                }) }
                <line class="axis" x1={MARGIN_LEFT.to_string()} x2={right.to_string()} y1={bottom.to_string()} y2={bottom.to_string()} />
                <text class="tick" x={MARGIN_LEFT.to_string()} y={(HEIGHT - 6.0).to_string()}>{ "−10 min" }</text>
                <text class="tick" x={right.to_string()} y={(HEIGHT - 6.0).to_string()} text-anchor="end">{ "now" }</text>
                if let Some(y) = g.target_y {
                    <line class="target" x1={MARGIN_LEFT.to_string()} x2={right.to_string()} y1={y.to_string()} y2={y.to_string()} />
                    <text class="tick target-label" x={(MARGIN_LEFT + 4.0).to_string()} y={(y - 4.0).max(MARGIN_TOP + 8.0).to_string()}>{ "target" }</text>
                }
                <polyline class="line replicas" points={g.replica_points.clone()} />
                <polyline class="line cpu" points={g.cpu_points.clone()} />
            </svg>
        </figure>
    }
}
