//! What the last apply did, one line per document as kubectl prints it; an error names its
//! line and field, and choosing it moves the cursor there.

use super::markers::{messages, Tone};
use super::model::ApplyResult;
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct ResultsProps {
    pub result: Option<ApplyResult>,
    pub applying: bool,
    /// How many applies have answered.
    pub answered: u64,
    /// Moves the cursor to a line.
    pub on_line: Callback<usize>,
}

#[function_component(Results)]
pub fn results(props: &ResultsProps) -> Html {
    let body = match &props.result {
        None if props.applying => html! { <p class="results-note">{ "Applying…" }</p> },
        None => html! {
            <p class="results-note">
                { "Apply sends this file to the API server, as " }<code>{ "kubectl apply -f" }</code>
                { " does. A file with any error is not applied at all." }
            </p>
        },
        Some(ApplyResult {
            report: Err(why), ..
        }) => html! {
            <p class="editor-error" role="alert">{ why }</p>
        },
        Some(ApplyResult {
            path,
            report: Ok(report),
            edited,
        }) => {
            let ok = report.all_applied() && !report.documents.is_empty();
            let heading = if ok {
                format!("kubectl apply -f {path}")
            } else {
                format!("{path} was not applied: nothing in the cluster changed")
            };
            let lines = messages(report).into_iter().map(|m| match (m.tone, m.line) {
                (Tone::Error, Some(line)) => {
                    let onclick = props.on_line.reform(move |_: MouseEvent| line);
                    html! {
                        <li class="editor-error" data-line={line.to_string()}>
                            <button type="button" class="error-link" {onclick} title="Go to this line">{ m.text }</button>
                        </li>
                    }
                }
                (Tone::Error, None) => html! { <li class="editor-error">{ m.text }</li> },
                (Tone::Applied, _) => html! { <li class="editor-ok">{ m.text }</li> },
                (Tone::Skipped, _) => html! { <li class="editor-skipped">{ m.text }</li> },
            });
            html! {
                <>
                    <p class={classes!("results-heading", (!ok).then_some("failed"))}>{ heading }</p>
                    <ul class="results-list" role={(!ok).then_some("alert")}>{ for lines }</ul>
                    if *edited {
                        <p class="results-note">{ "The file changed since; apply again to check it." }</p>
                    }
                </>
            }
        }
    };
    html! {
        <section class="editor-results" id="editor-results" data-answered={props.answered.to_string()} aria-label="Apply result" aria-live="polite">
            { body }
        </section>
    }
}
