//! The list of lessons with each one's progress; choosing one opens it.

use kubeplay_shared::lessons::Lesson;
use std::rc::Rc;
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct LessonListProps {
    pub lessons: Rc<Vec<Rc<Lesson>>>,
    /// Done tasks per lesson, in the list's order.
    pub done: Vec<usize>,
    /// How many of `lessons` come from files the user loaded (they are last).
    pub custom: usize,
    pub on_select: Callback<String>,
}

#[function_component(LessonList)]
pub fn lesson_list(props: &LessonListProps) -> Html {
    let builtin = props.lessons.len() - props.custom;
    let items = props.lessons.iter().zip(&props.done).enumerate().map(|(i, (lesson, done))| {
        let total = lesson.tasks.len();
        let onclick = {
            let (on_select, id) = (props.on_select.clone(), lesson.id.clone());
            Callback::from(move |_: MouseEvent| on_select.emit(id.clone()))
        };
        let complete = *done == total;
        html! {
            <li key={lesson.id.clone()}>
                <button class={classes!("lesson-item", complete.then_some("complete"))} data-lesson={lesson.id.clone()} {onclick}>
                    <span class="lesson-number">{ if i < builtin { format!("{}", i + 1) } else { "★".to_string() } }</span>
                    <span class="lesson-name">
                        <span class="lesson-title">{ &lesson.title }</span>
                        <span class="lesson-summary">{ &lesson.summary }</span>
                    </span>
                    <span class="lesson-progress" aria-label={format!("{done} of {total} tasks done")}>
                        { if complete { "✓".to_string() } else { format!("{done}/{total}") } }
                    </span>
                </button>
            </li>
        }
    });
    html! { <ol class="lesson-list">{ for items }</ol> }
}
