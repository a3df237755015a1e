//! The benchmark page: asks the worker to run the workload the URL names (where the control
//! plane lives) and shows only the result as JSON, in the element the e2e harness waits for.

use crate::client::{reply_message, ClusterClient};
use crate::protocol::{Call, Reply};
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct BenchReportProps {
    pub client: ClusterClient,
    /// The page's query string (`?bench=store&n=500`).
    pub query: AttrValue,
}

#[function_component(BenchReport)]
pub fn bench_report(props: &BenchReportProps) -> Html {
    let result = use_state(|| None::<String>);
    {
        let (client, query, result) = (props.client.clone(), props.query.to_string(), result.clone());
        use_effect_with((), move |_| {
            client.call(Call::Bench { query }, move |reply| {
                result.set(Some(match reply {
                    Reply::Bench { result } => result,
                    other => serde_json::json!({"error": reply_message(&other)}).to_string(),
                }))
            });
        });
    }
    match &*result {
        Some(result) => html! { <pre id="bench-result">{ result }</pre> },
        None => html! { <p>{ "Running the benchmark in the worker…" }</p> },
    }
}
