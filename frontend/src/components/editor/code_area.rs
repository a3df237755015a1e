//! The code area: a textarea over a line-number gutter and a layer that highlights the lines
//! with errors, kept in step when the text scrolls. Lines do not wrap, so gutter rows and text
//! lines stay aligned.
//!
//! Keys: Tab indents by two spaces and Shift+Tab outdents the line; Esc, then Tab, moves focus
//! on as usual (so keyboard users are never trapped); Ctrl+Enter or Ctrl+S applies.

use wasm_bindgen::JsCast;
use web_sys::{Element, HtmlTextAreaElement};
use yew::prelude::*;

const INDENT: &str = "  ";

#[derive(Properties, PartialEq)]
pub struct CodeAreaProps {
    pub path: AttrValue,
    pub text: AttrValue,
    /// Lines (1-based) with errors, and what is wrong there.
    pub errors: Vec<(usize, String)>,
    /// The textarea, for the panel to read and to move the cursor to a line.
    pub textarea: NodeRef,
    pub on_edit: Callback<String>,
    pub on_apply: Callback<()>,
}

/// Replaces `start..end` (UTF-16 offsets, as the DOM counts) of the field's text with
/// `insert`, leaving the cursor after it.
fn replace(area: &HtmlTextAreaElement, start: usize, end: usize, insert: &str) -> String {
    let units: Vec<u16> = area.value().encode_utf16().collect();
    let (start, end) = (
        start.min(units.len()),
        end.min(units.len()).max(start.min(units.len())),
    );
    let mut next = units[..start].to_vec();
    next.extend(insert.encode_utf16());
    let cursor = next.len() as u32;
    next.extend(&units[end..]);
    let next = String::from_utf16_lossy(&next);
    area.set_value(&next);
    let _ = area.set_selection_range(cursor, cursor);
    next
}

/// Removes up to two spaces from the start of the cursor's line.
fn outdent(area: &HtmlTextAreaElement, cursor: usize) -> Option<String> {
    let units: Vec<u16> = area.value().encode_utf16().collect();
    let cursor = cursor.min(units.len());
    let line_start = units[..cursor]
        .iter()
        .rposition(|c| *c == u16::from(b'\n'))
        .map_or(0, |i| i + 1);
    let spaces = units[line_start..]
        .iter()
        .take(INDENT.len())
        .take_while(|c| **c == u16::from(b' '))
        .count();
    if spaces == 0 {
        return None;
    }
    let next: Vec<u16> = units[..line_start]
        .iter()
        .chain(&units[line_start + spaces..])
        .copied()
        .collect();
    let next = String::from_utf16_lossy(&next);
    area.set_value(&next);
    let cursor = cursor.saturating_sub(spaces).max(line_start) as u32;
    let _ = area.set_selection_range(cursor, cursor);
    Some(next)
}

/// Moves the gutter and the highlights with the text's scroll position.
fn sync_scroll(area: &HtmlTextAreaElement, gutter: &NodeRef, marks: &NodeRef) {
    let (top, left) = (area.scroll_top(), area.scroll_left());
    if let Some(gutter) = gutter.cast::<Element>() {
        let _ = gutter.set_attribute("style", &format!("transform: translateY({}px)", -top));
    }
    if let Some(marks) = marks.cast::<Element>() {
        let _ = marks.set_attribute(
            "style",
            &format!("transform: translate({}px, {}px)", -left, -top),
        );
    }
}

#[function_component(CodeArea)]
pub fn code_area(props: &CodeAreaProps) -> Html {
    let gutter = use_node_ref();
    let marks = use_node_ref();
    // Set by Esc: the next Tab leaves the field instead of indenting.
    let tab_leaves = use_state_eq(|| false);

    {
        // A newly opened file starts at its top.
        let (textarea, gutter, marks) = (props.textarea.clone(), gutter.clone(), marks.clone());
        use_effect_with(props.path.clone(), move |_| {
            if let Some(area) = textarea.cast::<HtmlTextAreaElement>() {
                area.set_scroll_top(0);
                area.set_scroll_left(0);
                sync_scroll(&area, &gutter, &marks);
            }
        });
    }

    let oninput = {
        let on_edit = props.on_edit.clone();
        Callback::from(move |e: InputEvent| {
            let area: HtmlTextAreaElement = e.target_unchecked_into();
            on_edit.emit(area.value());
        })
    };
    let onscroll = {
        let (gutter, marks) = (gutter.clone(), marks.clone());
        Callback::from(move |e: Event| {
            if let Some(area) = e
                .target()
                .and_then(|t| t.dyn_into::<HtmlTextAreaElement>().ok())
            {
                sync_scroll(&area, &gutter, &marks);
            }
        })
    };
    let onkeydown = {
        let (on_edit, on_apply, tab_leaves) = (
            props.on_edit.clone(),
            props.on_apply.clone(),
            tab_leaves.clone(),
        );
        Callback::from(move |e: KeyboardEvent| {
            let area: HtmlTextAreaElement = e.target_unchecked_into();
            let ctrl = e.ctrl_key() || e.meta_key();
            let key = e.key();
            if key != "Tab" && key != "Shift" {
                tab_leaves.set(key == "Escape");
            }
            match key.as_str() {
                "Enter" | "s" | "S" if ctrl => {
                    e.prevent_default();
                    on_apply.emit(());
                }
                "Tab" if *tab_leaves => tab_leaves.set(false),
                "Tab" if ctrl || e.alt_key() => {}
                "Tab" => {
                    e.prevent_default();
                    let start = area.selection_start().ok().flatten().unwrap_or(0) as usize;
                    let end = area.selection_end().ok().flatten().unwrap_or(0) as usize;
                    let next = if e.shift_key() {
                        outdent(&area, start)
                    } else {
                        Some(replace(&area, start, end, INDENT))
                    };
                    if let Some(next) = next {
                        on_edit.emit(next);
                    }
                }
                _ => {}
            }
        })
    };
    let onblur = {
        let tab_leaves = tab_leaves.clone();
        Callback::from(move |_: FocusEvent| tab_leaves.set(false))
    };

    let count = props.text.split('\n').count();
    let error_at = |line: usize| {
        props
            .errors
            .iter()
            .find(|(l, _)| *l == line)
            .map(|(_, m)| m.clone())
    };
    let rows = (1..=count).map(|line| match error_at(line) {
        Some(message) => html! {
            <div class="gutter-row has-error" data-error-line={line.to_string()} title={message}>
                <span class="error-dot" aria-hidden="true">{ "●" }</span>{ line }
            </div>
        },
        None => html! { <div class="gutter-row">{ line }</div> },
    });
    let bands = props.errors.iter().map(|(line, _)| {
        html! { <div class="code-band" style={format!("--row: {}", line - 1)}></div> }
    });
    let hint = if *tab_leaves {
        "Tab now moves to the next control."
    } else {
        "Tab indents · Esc then Tab leaves the editor · Ctrl+Enter applies"
    };
    html! {
        <div class="code-area">
            <div class="code-gutter" aria-hidden="true"><div ref={gutter}>{ for rows }</div></div>
            <div class="code-body">
                <div class="code-marks" aria-hidden="true"><div ref={marks}>{ for bands }</div></div>
                <textarea
                    ref={props.textarea.clone()}
                    id="editor-text"
                    class="code-text"
                    aria-label={format!("YAML of {}", props.path)}
                    aria-describedby="editor-keys"
                    aria-invalid={(!props.errors.is_empty()).to_string()}
                    spellcheck="false"
                    autocomplete="off"
                    autocapitalize="off"
                    wrap="off"
                    value={props.text.clone()}
                    {oninput}
                    {onkeydown}
                    {onscroll}
                    {onblur}
                />
            </div>
            <p id="editor-keys" class="code-keys" aria-live="polite">{ hint }</p>
        </div>
    }
}
