//! The page's entry point: the interactive playground, or with `?bench=store` the in-browser
//! benchmark whose result the e2e harness reads from the DOM.

mod app;
mod bench;
mod clock;
mod cluster;
mod components;
mod hooks;
mod kinds;
mod query;
mod state;
mod table;
// Not drawn yet: the worker host builds views and app.rs lays out the panels once both land.
#[allow(dead_code)]
mod view;

use app::{App, AppProps};
use components::bench_report::{BenchReport, BenchReportProps};

/// Seed when the URL gives none: a fixed one keeps generated names and uids stable across reloads.
const DEFAULT_SEED: u64 = 1;

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
    yew::Renderer::<App>::with_props(AppProps { seed }).render();
}
