//! The page's UI program: the interactive playground, or with `?bench=store` the in-browser
//! benchmark whose result the e2e harness reads from the DOM.

use kubeplay_frontend::app::{App, AppProps};
use kubeplay_frontend::client::ClusterClient;
use kubeplay_frontend::components::bench_report::{BenchReport, BenchReportProps};
use kubeplay_frontend::{automation, bench, query, DEFAULT_SEED};

fn main() {
    let search = web_sys::window()
        .and_then(|w| w.location().search().ok())
        .unwrap_or_default();
    if let Some(params) = bench::BenchParams::from_query(&search) {
        let result = bench::run(&params);
        yew::Renderer::<BenchReport>::with_props(BenchReportProps { result }).render();
        return;
    }
    let seed = query::param(&search, "seed")
        .and_then(|s| s.parse().ok())
        .unwrap_or(DEFAULT_SEED);
    let client = ClusterClient::start(seed);
    automation::expose(&client);
    yew::Renderer::<App>::with_props(AppProps { client }).render();
}
