//! The benchmark page: only the result as JSON, in the element the e2e harness waits for.

use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct BenchReportProps {
    pub result: String,
}

#[function_component(BenchReport)]
pub fn bench_report(props: &BenchReportProps) -> Html {
    html! { <pre id="bench-result">{ &props.result }</pre> }
}
