//! The page's UI program: the interactive playground, or with `?bench=store` the in-browser
//! benchmark (run in the worker) whose result the e2e harness reads from the DOM.

use kubeplay_frontend::app::{App, AppProps};
use kubeplay_frontend::client::ClusterClient;
use kubeplay_frontend::components::bench_report::{BenchReport, BenchReportProps};
use kubeplay_frontend::{automation, bench, query, DEFAULT_SEED};

fn main() {
    let search = web_sys::window()
        .and_then(|w| w.location().search().ok())
        .unwrap_or_default();
    let seed = query::param(&search, "seed")
        .and_then(|s| s.parse().ok())
        .unwrap_or(DEFAULT_SEED);
    let client = ClusterClient::start(seed);
    if bench::BenchParams::from_query(&search).is_some() {
        let query = search.into();
        yew::Renderer::<BenchReport>::with_props(BenchReportProps { client, query }).render();
        return;
    }
    automation::expose(&client);
    yew::Renderer::<App>::with_props(AppProps { client }).render();
}
