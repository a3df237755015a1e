//! The lessons column: collapsed to a tab at the right edge until opened, then the list of
//! lessons or the open lesson. Whenever the cluster changes (a new view arrives) the worker
//! checks the open lesson's tasks; ticks are kept in the browser (`progress`).

use super::list::LessonList;
use super::loader::LessonLoader;
use super::progress::{Action, Progress};
use super::prose::{inline, paragraphs};
use super::task_item::TaskItem;
use super::terminal_bridge::type_into_terminal;
use crate::client::reply_message;
use crate::hooks::use_cluster::use_cluster;
use crate::protocol::{Call, Reply};
use kubeplay_shared::lessons::{builtin, parse, Lesson};
use std::rc::Rc;
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct LessonsPanelProps {
    /// Brings the terminal into view (the dock's Terminal tab).
    pub on_show_terminal: Callback<()>,
}

/// Built-in lessons, then the loaded ones that read.
fn all_lessons(custom: &[String]) -> (Vec<Rc<Lesson>>, usize, Option<String>) {
    let (mut lessons, problem) = match builtin::lessons() {
        Ok(lessons) => (lessons.into_iter().map(Rc::new).collect::<Vec<_>>(), None),
        Err((file, err)) => (Vec::new(), Some(format!("lessons/{file}: {err}"))),
    };
    let loaded: Vec<Rc<Lesson>> = custom
        .iter()
        .filter_map(|s| parse(s).ok())
        .map(Rc::new)
        .collect();
    let count = loaded.len();
    lessons.extend(loaded);
    (lessons, count, problem)
}

#[function_component(LessonsPanel)]
pub fn lessons_panel(props: &LessonsPanelProps) -> Html {
    let cluster = use_cluster();
    let progress = use_reducer(Progress::load);
    let notice = use_state_eq(|| None::<String>);
    let lessons = use_memo(progress.custom.clone(), |custom| all_lessons(custom));
    let (list, custom_count, builtin_problem) = (*lessons).clone();
    let list = Rc::new(list);
    let active: Option<Rc<Lesson>> = progress
        .active
        .as_ref()
        .and_then(|id| list.iter().find(|l| &l.id == id).cloned());

    {
        let progress = progress.clone();
        use_effect_with((*progress).clone(), move |p| p.save());
    }

    // Map parts the open lesson points at, outlined by the map's stylesheet.
    {
        let highlight = active
            .as_ref()
            .filter(|_| progress.open)
            .map(|l| l.highlight.join(" "))
            .unwrap_or_default();
        use_effect_with(highlight, |highlight| {
            if let Some(root) = web_sys::window()
                .and_then(|w| w.document())
                .and_then(|d| d.document_element())
            {
                let _ = if highlight.is_empty() {
                    root.remove_attribute("data-lesson-highlight")
                } else {
                    root.set_attribute("data-lesson-highlight", highlight)
                };
            }
        });
    }

    // Re-check the open lesson after every change of the cluster.
    {
        let view_time = cluster.status.view.as_ref().map(|v| v.time.clone());
        let client = cluster.client.clone();
        let dispatcher = progress.dispatcher();
        let active = active.clone();
        let reset_count = progress
            .done_in(active.as_ref().map_or("", |l| l.id.as_str()))
            .len();
        use_effect_with(
            (view_time, active.as_ref().map(|l| l.clone()), reset_count),
            move |(_, lesson, _)| {
                if let Some(lesson) = lesson.clone() {
                    let call = Call::LessonCheck {
                        lesson: Box::new((*lesson).clone()),
                    };
                    client.call(call, move |reply| {
                        if let Reply::LessonChecked { tasks } = reply {
                            dispatcher.dispatch(Action::Checked {
                                lesson,
                                checks: tasks,
                            });
                        }
                    });
                }
            },
        );
    }

    let toggle = {
        let (progress, open) = (progress.dispatcher(), progress.open);
        Callback::from(move |_: MouseEvent| progress.dispatch(Action::Open(!open)))
    };
    let on_select = {
        let (progress, client, notice, list) = (
            progress.clone(),
            cluster.client.clone(),
            notice.clone(),
            list.clone(),
        );
        Callback::from(move |id: String| {
            notice.set(None);
            let Some(lesson) = list.iter().find(|l| l.id == id) else {
                return;
            };
            // A lesson not yet begun gets its starting objects; one under way is left as it is.
            if !lesson.setup.is_empty() && progress.done_in(&id).is_empty() {
                let notice = notice.clone();
                client.call(
                    Call::LessonStart {
                        lesson: Box::new((**lesson).clone()),
                    },
                    move |reply| match reply {
                        Reply::Applied { report } if report.all_applied() => {}
                        Reply::Applied { report } => notice.set(Some(report.lines().join("\n"))),
                        other => notice.set(Some(reply_message(&other))),
                    },
                );
            }
            progress.dispatch(Action::Select(Some(id)));
        })
    };
    let on_back = {
        let (progress, notice) = (progress.dispatcher(), notice.clone());
        Callback::from(move |_: MouseEvent| {
            notice.set(None);
            progress.dispatch(Action::Select(None))
        })
    };
    let on_reset = {
        let (progress, client, notice, active) = (
            progress.dispatcher(),
            cluster.client.clone(),
            notice.clone(),
            active.clone(),
        );
        Callback::from(move |_: MouseEvent| {
            let Some(lesson) = active.clone() else { return };
            let (progress, notice) = (progress.clone(), notice.clone());
            let id = lesson.id.clone();
            client.call(
                Call::LessonReset {
                    lesson: Box::new((*lesson).clone()),
                },
                move |reply| {
                    progress.dispatch(Action::Restart(id));
                    match reply {
                        Reply::Applied { report } if report.all_applied() => notice.set(Some(
                            "A fresh cluster with the lesson's starting objects.".into(),
                        )),
                        Reply::Applied { report } => notice.set(Some(report.lines().join("\n"))),
                        other => notice.set(Some(reply_message(&other))),
                    }
                },
            );
        })
    };
    let on_copy = {
        let on_show_terminal = props.on_show_terminal.clone();
        Callback::from(move |line: String| {
            on_show_terminal.emit(());
            type_into_terminal(line);
        })
    };
    let on_loaded = {
        let (progress, client, notice) = (
            progress.dispatcher(),
            cluster.client.clone(),
            notice.clone(),
        );
        Callback::from(move |(lesson, source): (Lesson, String)| {
            progress.dispatch(Action::AddCustom {
                id: lesson.id.clone(),
                source,
            });
            progress.dispatch(Action::Restart(lesson.id.clone()));
            if !lesson.setup.is_empty() {
                let notice = notice.clone();
                client.call(
                    Call::LessonStart {
                        lesson: Box::new(lesson.clone()),
                    },
                    move |reply| match reply {
                        Reply::Applied { report } if report.all_applied() => {}
                        Reply::Applied { report } => notice.set(Some(report.lines().join("\n"))),
                        other => notice.set(Some(reply_message(&other))),
                    },
                );
            }
            progress.dispatch(Action::Select(Some(lesson.id)));
        })
    };

    // When a task ticks, the next one scrolls into view (not when a lesson opens: then the
    // explanation comes first).
    {
        let current = active.as_ref().map(|l| {
            let done = progress.done_in(&l.id);
            (
                l.id.clone(),
                l.tasks.iter().position(|t| !done.contains(&t.id)),
            )
        });
        let last = use_mut_ref(|| None::<(String, Option<usize>)>);
        use_effect_with(current, move |current| {
            let ticked = matches!((&*last.borrow(), current), (Some((was, before)), Some((id, now))) if was == id && now != before);
            *last.borrow_mut() = current.clone();
            if ticked {
                let next = web_sys::window().and_then(|w| w.document()).and_then(|d| {
                    d.query_selector("#lessons .task-current, #lessons .lesson-complete")
                        .ok()
                        .flatten()
                });
                if let Some(next) = next {
                    next.scroll_into_view_with_bool(false);
                }
            }
        });
    }
    if !progress.open {
        return html! {
            <aside id="lessons" class="lessons closed" aria-label="Lessons">
                <button id="lessons-toggle" class="lessons-toggle" aria-expanded="false" onclick={toggle}
                    title="Guided lessons: learn Kubernetes by doing it here">
                    { "Lessons" }
                </button>
            </aside>
        };
    }

    let has_agents = cluster
        .status
        .view
        .as_ref()
        .is_some_and(|v| v.nodes.iter().any(|n| !n.simulated));
    let body = match &active {
        Some(lesson) => {
            let done = progress.done_in(&lesson.id);
            let checks = progress
                .checks
                .as_ref()
                .filter(|(id, _)| *id == lesson.id)
                .map(|(_, c)| c.clone());
            let current = lesson.tasks.iter().position(|t| !done.contains(&t.id));
            let tasks = lesson.tasks.iter().enumerate().map(|(i, task)| {
                let check = checks.as_ref().and_then(|c| c.iter().find(|c| c.id == task.id).cloned());
                html! {
                    <TaskItem key={task.id.clone()} lesson={lesson.id.clone()} number={i + 1} task={task.clone()}
                        done={done.contains(&task.id)} current={current == Some(i)} {check} on_copy={on_copy.clone()} />
                }
            });
            let position = list.iter().position(|l| l.id == lesson.id);
            let next = position.and_then(|p| list.get(p + 1)).cloned();
            let on_next = {
                let on_select = on_select.clone();
                let next_id = next.as_ref().map(|l| l.id.clone());
                Callback::from(move |_: MouseEvent| {
                    if let Some(id) = next_id.clone() {
                        on_select.emit(id);
                    }
                })
            };
            html! {
                <article class="lesson" data-active-lesson={lesson.id.clone()} key={lesson.id.clone()}>
                    <button id="lessons-back" class="link" onclick={on_back}>{ "← All lessons" }</button>
                    <h2>{ &lesson.title }</h2>
                    if let Some(note) = &lesson.real_nodes {
                        <p class="lesson-real-nodes"><strong>{ "Real nodes: " }</strong>{ inline(note) }
                            <span class="lesson-node-state">{ if has_agents {
                                " An agent is connected, so you can try it on a real machine."
                            } else {
                                " No agent is connected: you are on the simulated path, and every task works there."
                            } }</span>
                        </p>
                    }
                    <div class="lesson-explanation">{ paragraphs(&lesson.explanation) }</div>
                    <h3 aria-live="polite">{ format!("Tasks ({}/{})", done.len(), lesson.tasks.len()) }</h3>
                    <ol class="tasks">{ for tasks }</ol>
                    if current.is_none() {
                        <p class="lesson-complete" role="status">
                            { "Lesson complete. " }
                            if let Some(next) = &next {
                                <button id="lesson-next" onclick={on_next}>{ format!("Next: {}", next.title) }</button>
                            }
                        </p>
                    }
                    <div class="lesson-actions">
                        <button id="lesson-reset" onclick={on_reset}
                            title="Replaces the cluster with a fresh one holding the lesson's starting objects, and clears this lesson's ticks">
                            { "Reset lesson" }
                        </button>
                    </div>
                </article>
            }
        }
        None => {
            let done: Vec<usize> = list.iter().map(|l| progress.done_in(&l.id).len()).collect();
            let builtin_ids: Vec<String> = list
                .iter()
                .take(list.len() - custom_count)
                .map(|l| l.id.clone())
                .collect();
            html! {
                <>
                    <p class="lessons-intro">
                        { "Each lesson explains one idea and gives you tasks. Do them any way you like — terminal, editor or your own kubectl — and they tick as soon as the cluster is in that state." }
                    </p>
                    <LessonList lessons={list.clone()} {done} custom={custom_count} {on_select} />
                    <LessonLoader {builtin_ids} {on_loaded} />
                </>
            }
        }
    };
    html! {
        <aside id="lessons" class="lessons open" aria-label="Lessons">
            <header class="lessons-head">
                <h2>{ "Lessons" }</h2>
                <button id="lessons-toggle" class="lessons-toggle" aria-expanded="true" onclick={toggle} title="Hide the lessons">
                    { "Hide" }
                </button>
            </header>
            if let Some(problem) = builtin_problem {
                <p class="error" role="alert">{ problem }</p>
            }
            if let Some(message) = (*notice).clone() {
                <p id="lesson-notice" class="lesson-notice" role="status">{ message }</p>
            }
            <div class="lessons-body">{ body }</div>
        </aside>
    }
}
