//! The bytes a terminal sends for a key press (xterm's choices): text as UTF-8, Enter as CR,
//! Backspace as DEL, Ctrl+letter as its control code, Alt as an ESC prefix, and the cursor and
//! editing keys as escape sequences (arrows in application mode when the program asked).
//! Keys the browser should keep (paste and copy shortcuts, Cmd on macOS) give `None`.

/// A key press as the browser reports it (`KeyboardEvent.key` and its modifiers).
#[derive(Clone, Copy, Debug, Default)]
pub struct Key<'a> {
    pub key: &'a str,
    pub ctrl: bool,
    pub alt: bool,
    pub shift: bool,
    pub meta: bool,
}

/// What the terminal sends for `key`; `app_cursor`: the program switched the arrows to
/// application mode (DECCKM).
pub fn encode(key: Key<'_>, app_cursor: bool) -> Option<Vec<u8>> {
    if key.meta || (key.ctrl && key.shift && matches!(key.key, "V" | "v" | "C" | "c")) {
        return None;
    }
    let cursor = |c: char| -> Vec<u8> {
        let lead = if app_cursor { 'O' } else { '[' };
        format!("\x1b{lead}{c}").into_bytes()
    };
    let tilde = |n: u8| format!("\x1b[{n}~").into_bytes();
    let bytes = match key.key {
        "Enter" => b"\r".to_vec(),
        "Backspace" if key.ctrl => vec![0x08],
        "Backspace" => vec![0x7f],
        "Tab" if key.shift => b"\x1b[Z".to_vec(),
        "Tab" => b"\t".to_vec(),
        "Escape" => vec![0x1b],
        "ArrowUp" => cursor('A'),
        "ArrowDown" => cursor('B'),
        "ArrowRight" => cursor('C'),
        "ArrowLeft" => cursor('D'),
        "Home" => cursor('H'),
        "End" => cursor('F'),
        "Insert" => tilde(2),
        "Delete" => tilde(3),
        "PageUp" => tilde(5),
        "PageDown" => tilde(6),
        "F1" => b"\x1bOP".to_vec(),
        "F2" => b"\x1bOQ".to_vec(),
        "F3" => b"\x1bOR".to_vec(),
        "F4" => b"\x1bOS".to_vec(),
        "F5" => tilde(15),
        "F6" => tilde(17),
        "F7" => tilde(18),
        "F8" => tilde(19),
        "F9" => tilde(20),
        "F10" => tilde(21),
        "F11" => tilde(23),
        "F12" => tilde(24),
        text => {
            let mut chars = text.chars();
            let (Some(ch), None) = (chars.next(), chars.next()) else {
                // "Shift", "Control", "Dead", "Unidentified"…: nothing to send.
                return None;
            };
            if key.ctrl {
                vec![control_code(ch)?]
            } else {
                ch.to_string().into_bytes()
            }
        }
    };
    Some(if key.alt {
        [&[0x1b][..], &bytes].concat()
    } else {
        bytes
    })
}

/// Ctrl with a character: the C0 code xterm sends (`Ctrl+C` → 0x03, `Ctrl+[` → ESC).
fn control_code(ch: char) -> Option<u8> {
    match ch {
        'a'..='z' | 'A'..='Z' => Some(ch.to_ascii_uppercase() as u8 - b'@'),
        '@' | ' ' | '2' => Some(0),
        '[' | '3' => Some(0x1b),
        '\\' | '4' => Some(0x1c),
        ']' | '5' => Some(0x1d),
        '^' | '6' => Some(0x1e),
        '_' | '-' | '7' => Some(0x1f),
        '?' | '8' => Some(0x7f),
        _ => None,
    }
}

/// Pasted text as a terminal sends it: line ends become CR (Enter), and wrapped in
/// bracketed-paste markers when the program asked for them.
pub fn paste(text: &str, bracketed: bool) -> Vec<u8> {
    let body = text.replace("\r\n", "\r").replace('\n', "\r");
    if bracketed {
        // The end marker inside the text would end the paste early: drop it.
        let body = body.replace("\x1b[201~", "");
        format!("\x1b[200~{body}\x1b[201~").into_bytes()
    } else {
        body.into_bytes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(key: &str) -> Key<'_> {
        Key {
            key,
            ..Key::default()
        }
    }

    #[test]
    fn printable_enter_backspace_and_tab() {
        assert_eq!(encode(key("a"), false), Some(b"a".to_vec()));
        assert_eq!(encode(key("é"), false), Some("é".as_bytes().to_vec()));
        assert_eq!(encode(key("Enter"), false), Some(b"\r".to_vec()));
        assert_eq!(encode(key("Backspace"), false), Some(vec![0x7f]));
        assert_eq!(encode(key("Tab"), false), Some(b"\t".to_vec()));
        assert_eq!(
            encode(
                Key {
                    shift: true,
                    ..key("Tab")
                },
                false
            ),
            Some(b"\x1b[Z".to_vec())
        );
        assert_eq!(encode(key("Shift"), false), None);
    }

    #[test]
    fn ctrl_letters_and_alt_prefix() {
        let ctrl = |k| Key {
            ctrl: true,
            ..key(k)
        };
        assert_eq!(encode(ctrl("c"), false), Some(vec![3]));
        assert_eq!(encode(ctrl("D"), false), Some(vec![4]));
        assert_eq!(encode(ctrl("["), false), Some(vec![0x1b]));
        assert_eq!(encode(ctrl("!"), false), None);
        assert_eq!(
            encode(
                Key {
                    alt: true,
                    ..key("b")
                },
                false
            ),
            Some(b"\x1bb".to_vec())
        );
    }

    #[test]
    fn cursor_keys_follow_the_application_mode_and_editing_keys_use_tilde() {
        assert_eq!(encode(key("ArrowUp"), false), Some(b"\x1b[A".to_vec()));
        assert_eq!(encode(key("ArrowUp"), true), Some(b"\x1bOA".to_vec()));
        assert_eq!(encode(key("ArrowLeft"), false), Some(b"\x1b[D".to_vec()));
        assert_eq!(encode(key("Home"), false), Some(b"\x1b[H".to_vec()));
        assert_eq!(encode(key("End"), false), Some(b"\x1b[F".to_vec()));
        assert_eq!(encode(key("Delete"), false), Some(b"\x1b[3~".to_vec()));
        assert_eq!(encode(key("Escape"), false), Some(vec![0x1b]));
    }

    #[test]
    fn the_browser_keeps_its_paste_and_copy_shortcuts() {
        assert_eq!(
            encode(
                Key {
                    meta: true,
                    ..key("v")
                },
                false
            ),
            None
        );
        assert_eq!(
            encode(
                Key {
                    ctrl: true,
                    shift: true,
                    ..key("V")
                },
                false
            ),
            None
        );
        assert_eq!(
            encode(
                Key {
                    ctrl: true,
                    shift: true,
                    ..key("C")
                },
                false
            ),
            None
        );
    }

    #[test]
    fn paste_sends_cr_for_line_ends_and_brackets_when_asked() {
        assert_eq!(paste("a\nb\r\nc", false), b"a\rb\rc".to_vec());
        assert_eq!(paste("ls", true), b"\x1b[200~ls\x1b[201~".to_vec());
    }
}
