//! One task of the open lesson: its tick, what to do (steps with "copy to terminal"), hints
//! revealed one at a time, and, while it is the current task, what the cluster shows now.
//!
//! Tests read `[data-task="lesson/task"]` and its `data-done`.

use super::prose::inline;
use kubeplay_shared::lessons::{Task, TaskCheck};
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct TaskItemProps {
    pub lesson: String,
    pub number: usize,
    pub task: Task,
    pub done: bool,
    /// The first task not yet done.
    pub current: bool,
    pub check: Option<TaskCheck>,
    pub on_copy: Callback<String>,
}

#[function_component(TaskItem)]
pub fn task_item(props: &TaskItemProps) -> Html {
    let hints_shown = use_state_eq(|| 0usize);
    let task = &props.task;
    let steps = task.steps.iter().map(|step| {
        let onclick = {
            let (on_copy, step) = (props.on_copy.clone(), step.clone());
            Callback::from(move |_: MouseEvent| on_copy.emit(step.clone()))
        };
        html! {
            <li class="step">
                <code class="step-line">{ step }</code>
                <button class="copy-step" title="Put this line into the terminal" {onclick}>{ "Copy to terminal" }</button>
            </li>
        }
    });
    let hints = task
        .hints
        .iter()
        .take(*hints_shown)
        .map(|h| html! { <li class="hint">{ inline(h) }</li> });
    let more_hints = *hints_shown < task.hints.len();
    let on_hint = {
        let hints_shown = hints_shown.clone();
        Callback::from(move |_: MouseEvent| hints_shown.set(*hints_shown + 1))
    };
    let observed = match (&props.check, props.current && !props.done) {
        (Some(check), true) => html! {
            <ul class="observed" aria-label="What the cluster shows now">
                { for check.conditions.iter().map(|c| html! {
                    <li class={classes!(c.passed.then_some("ok"))}>{ if c.passed { "✓ " } else { "… " } }{ &c.observed }</li>
                }) }
            </ul>
        },
        _ => html! {},
    };
    let state = if props.done {
        "done"
    } else if props.current {
        "current"
    } else {
        "later"
    };
    html! {
        <li class={classes!("task", format!("task-{state}"))} data-task={format!("{}/{}", props.lesson, task.id)}
            data-done={props.done.to_string()}>
            <div class="task-head">
                <span class="tick" aria-hidden="true">{ if props.done { "✓" } else { "○" } }</span>
                <span class="task-title">{ format!("{}. ", props.number) }{ inline(&task.title) }</span>
                <span class="visually-hidden">{ if props.done { " (done)" } else { " (not done yet)" } }</span>
            </div>
            if !task.explanation.is_empty() {
                <p class="task-explanation">{ inline(&task.explanation) }</p>
            }
            <ul class="steps">{ for steps }</ul>
            { observed }
            if !task.hints.is_empty() {
                <ul class="hints">{ for hints }</ul>
                if more_hints {
                    <button class="show-hint" onclick={on_hint}>
                        { format!("Show a hint ({}/{})", *hints_shown + 1, task.hints.len()) }
                    </button>
                }
            }
        </li>
    }
}
