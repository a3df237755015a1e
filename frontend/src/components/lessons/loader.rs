//! Loading a teacher's lesson file from disk: read, checked like a manifest in the editor,
//! and either added to the list or refused with the line and field at fault.

use crate::browser_files;
use kubeplay_shared::lessons::{parse, Lesson};
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct LessonLoaderProps {
    /// The ids of the built-in lessons, which a loaded file may not reuse.
    pub builtin_ids: Vec<String>,
    /// A lesson that read cleanly, with its source.
    pub on_loaded: Callback<(Lesson, String)>,
}

#[function_component(LessonLoader)]
pub fn lesson_loader(props: &LessonLoaderProps) -> Html {
    let error = use_state_eq(|| None::<String>);
    let onchange = {
        let (error, on_loaded, builtin_ids) = (
            error.clone(),
            props.on_loaded.clone(),
            props.builtin_ids.clone(),
        );
        Callback::from(move |e: Event| {
            let input: web_sys::HtmlInputElement = e.target_unchecked_into();
            let (error, on_loaded, builtin_ids) =
                (error.clone(), on_loaded.clone(), builtin_ids.clone());
            wasm_bindgen_futures::spawn_local(async move {
                let name = input
                    .files()
                    .and_then(|f| f.get(0))
                    .map(|f| f.name())
                    .unwrap_or_default();
                let text = browser_files::read_chosen(&input).await;
                input.set_value("");
                let source = match text {
                    Ok(source) => source,
                    Err(err) => return error.set(Some(err)),
                };
                match parse(&source) {
                    Ok(lesson) if builtin_ids.contains(&lesson.id) => error.set(Some(format!(
                        "{name}: line 1: id: {:?} is a built-in lesson's id; pick another",
                        lesson.id
                    ))),
                    Ok(lesson) => {
                        error.set(None);
                        on_loaded.emit((lesson, source));
                    }
                    Err(err) => error.set(Some(format!("{name}: {err}"))),
                }
            });
        })
    };
    html! {
        <div class="lesson-load">
            <input id="lesson-file" class="visually-hidden" type="file" accept=".yaml,.yml,text/yaml" {onchange} />
            <label class="button" for="lesson-file">{ "Load a lesson file…" }</label>
            <span class="lesson-load-note">{ "Teachers: see lessons/README.md for the format." }</span>
            if let Some(message) = (*error).clone() {
                <p id="lesson-load-error" class="error" role="alert">{ message }</p>
            }
        </div>
    }
}
