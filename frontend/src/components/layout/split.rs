//! The map and the dock share the workspace through a splitter: dragged with a pointer, or
//! focused and moved with the arrow keys (Home/End to the extremes) as a WAI-ARIA separator.
//! A laptop stacks the map above the dock and a wide screen puts them side by side; each
//! arrangement keeps its own position in localStorage, and a double-click forgets it.

use wasm_bindgen::closure::Closure;
use wasm_bindgen::JsCast;
use web_sys::HtmlElement;
use yew::prelude::*;

/// The map's share of the workspace, in percent, stays within these bounds so neither side
/// disappears.
pub const MIN: u8 = 15;
pub const MAX: u8 = 85;
/// One arrow-key press.
pub const STEP: u8 = 5;
/// From this width (CSS px) the map and the dock sit side by side (as in `layout.css`).
const SIDE_BY_SIDE_FROM: f64 = 1600.0;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Arrangement {
    /// The map above the dock (a laptop).
    Stacked,
    /// The map left of the dock (a wide screen or projector).
    SideBySide,
}

impl Arrangement {
    pub fn for_width(width: f64) -> Self {
        if width >= SIDE_BY_SIDE_FROM {
            Self::SideBySide
        } else {
            Self::Stacked
        }
    }

    fn current() -> Self {
        let width = web_sys::window()
            .and_then(|w| w.inner_width().ok())
            .and_then(|w| w.as_f64())
            .unwrap_or(0.0);
        Self::for_width(width)
    }

    /// The map's share before the user moves the splitter: at 1366x768 the editor shows 15
    /// lines and the map still shows three nodes with their pods.
    pub fn default_share(self) -> u8 {
        match self {
            Self::Stacked => 30,
            Self::SideBySide => 50,
        }
    }

    fn storage_key(self) -> &'static str {
        match self {
            Self::Stacked => "kubeplay.split.stacked",
            Self::SideBySide => "kubeplay.split.side",
        }
    }

    /// The separator's own orientation: a horizontal bar between stacked panes.
    fn aria_orientation(self) -> &'static str {
        match self {
            Self::Stacked => "horizontal",
            Self::SideBySide => "vertical",
        }
    }
}

/// `share` kept within [`MIN`, `MAX`].
pub fn clamp(share: i32) -> u8 {
    share.clamp(i32::from(MIN), i32::from(MAX)) as u8
}

/// A remembered share, if it is one.
pub fn parse_share(stored: &str) -> Option<u8> {
    stored.trim().parse::<i32>().ok().map(clamp)
}

/// Where a key moves the splitter from `share`: up/left shrink the map, down/right grow it.
pub fn share_after_key(key: &str, share: u8) -> Option<u8> {
    let share = i32::from(share);
    let step = i32::from(STEP);
    Some(match key {
        "ArrowUp" | "ArrowLeft" => clamp(share - step),
        "ArrowDown" | "ArrowRight" => clamp(share + step),
        "PageUp" => clamp(share - 4 * step),
        "PageDown" => clamp(share + 4 * step),
        "Home" => MIN,
        "End" => MAX,
        _ => return None,
    })
}

fn storage() -> Option<web_sys::Storage> {
    web_sys::window()?.local_storage().ok()?
}

fn load(arrangement: Arrangement) -> u8 {
    storage()
        .and_then(|s| s.get_item(arrangement.storage_key()).ok().flatten())
        .and_then(|stored| parse_share(&stored))
        .unwrap_or_else(|| arrangement.default_share())
}

/// Best effort: a browser that refuses storage still gets a working splitter.
fn save(arrangement: Arrangement, share: Option<u8>) {
    if let Some(storage) = storage() {
        let key = arrangement.storage_key();
        let _ = match share {
            Some(share) => storage.set_item(key, &share.to_string()),
            None => storage.remove_item(key),
        };
    }
}

/// A drag in progress: where the pointer went down and the share then.
#[derive(Clone, Copy)]
struct Drag {
    from: i32,
    share: u8,
    now: u8,
}

#[derive(Properties, PartialEq)]
pub struct SplitProps {
    /// The map.
    pub first: Html,
    /// The dock.
    pub second: Html,
}

#[function_component(Split)]
pub fn split(props: &SplitProps) -> Html {
    let arrangement = use_state_eq(Arrangement::current);
    let share = use_state_eq(|| load(Arrangement::current()));
    let drag = use_mut_ref(|| None::<Drag>);
    let stage = use_node_ref();

    {
        // Follow the window across the wide-screen threshold.
        let arrangement = arrangement.clone();
        use_effect_with((), move |()| {
            let on_resize =
                Closure::<dyn Fn()>::new(move || arrangement.set(Arrangement::current()));
            let window = web_sys::window();
            if let Some(window) = &window {
                let _ = window
                    .add_event_listener_with_callback("resize", on_resize.as_ref().unchecked_ref());
            }
            move || {
                if let Some(window) = window {
                    let _ = window.remove_event_listener_with_callback(
                        "resize",
                        on_resize.as_ref().unchecked_ref(),
                    );
                }
            }
        });
    }
    {
        let share = share.clone();
        use_effect_with(*arrangement, move |arrangement| {
            share.set(load(*arrangement))
        });
    }

    let mode = *arrangement;
    // Pointer position along the axis the splitter moves on, and the stage's length there.
    let along = move |event: &PointerEvent| match mode {
        Arrangement::Stacked => event.client_y(),
        Arrangement::SideBySide => event.client_x(),
    };
    let length = {
        let stage = stage.clone();
        move || {
            stage.cast::<HtmlElement>().map_or(0, |s| match mode {
                Arrangement::Stacked => s.client_height(),
                Arrangement::SideBySide => s.client_width(),
            })
        }
    };
    let onpointerdown = {
        let (drag, share) = (drag.clone(), *share);
        Callback::from(move |event: PointerEvent| {
            if event.button() != 0 {
                return;
            }
            event.prevent_default();
            if let Some(handle) = event.target_dyn_into::<HtmlElement>() {
                let _ = handle.set_pointer_capture(event.pointer_id());
                let _ = handle.focus();
            }
            *drag.borrow_mut() = Some(Drag {
                from: along(&event),
                share,
                now: share,
            });
        })
    };
    let onpointermove = {
        let (drag, share) = (drag.clone(), share.clone());
        Callback::from(move |event: PointerEvent| {
            let mut drag = drag.borrow_mut();
            let Some(current) = drag.as_mut() else { return };
            let total = length();
            if total <= 0 {
                return;
            }
            let moved = f64::from(along(&event) - current.from) * 100.0 / f64::from(total);
            current.now = clamp(i32::from(current.share) + moved.round() as i32);
            share.set(current.now);
        })
    };
    let end_drag = {
        let drag = drag.clone();
        Callback::from(move |_: PointerEvent| {
            if let Some(done) = drag.borrow_mut().take() {
                save(mode, Some(done.now));
            }
        })
    };
    let onkeydown = {
        let share = share.clone();
        Callback::from(move |event: KeyboardEvent| {
            if let Some(next) = share_after_key(&event.key(), *share) {
                event.prevent_default();
                share.set(next);
                save(mode, Some(next));
            }
        })
    };
    let ondblclick = {
        let share = share.clone();
        Callback::from(move |_: MouseEvent| {
            share.set(mode.default_share());
            save(mode, None);
        })
    };
    let value = *share;
    html! {
        <div class="stage" ref={stage} style={format!("--split-set: {value}")}>
            { props.first.clone() }
            <div id="splitter" class="splitter" role="separator" tabindex="0"
                aria-orientation={mode.aria_orientation()} aria-controls="map"
                aria-label="Map size" aria-valuemin={MIN.to_string()} aria-valuemax={MAX.to_string()}
                aria-valuenow={value.to_string()} aria-valuetext={format!("map {value}%")}
                title="Drag or use the arrow keys to share the space between the map and the panels; double-click resets"
                {onpointerdown} {onpointermove} onpointerup={end_drag.clone()} onpointercancel={end_drag}
                {onkeydown} {ondblclick}>
            </div>
            { props.second.clone() }
        </div>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_move_by_a_step_and_home_end_go_to_the_extremes() {
        assert_eq!(share_after_key("ArrowDown", 40), Some(45));
        assert_eq!(share_after_key("ArrowRight", 40), Some(45));
        assert_eq!(share_after_key("ArrowUp", 40), Some(35));
        assert_eq!(share_after_key("Home", 40), Some(MIN));
        assert_eq!(share_after_key("End", 40), Some(MAX));
        assert_eq!(share_after_key("ArrowUp", MIN), Some(MIN));
        assert_eq!(share_after_key("ArrowDown", MAX), Some(MAX));
        assert_eq!(share_after_key("a", 40), None);
    }

    #[test]
    fn a_remembered_share_is_kept_within_bounds() {
        assert_eq!(parse_share("60"), Some(60));
        assert_eq!(parse_share("3"), Some(MIN));
        assert_eq!(parse_share("200"), Some(MAX));
        assert_eq!(parse_share("wide"), None);
    }

    #[test]
    fn wide_screens_put_the_map_beside_the_dock() {
        assert_eq!(Arrangement::for_width(1366.0), Arrangement::Stacked);
        assert_eq!(Arrangement::for_width(1920.0), Arrangement::SideBySide);
    }
}
