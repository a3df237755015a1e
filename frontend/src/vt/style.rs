//! How a cell looks: colours and attributes as SGR (`ESC [ … m`) sets them, and how the page
//! draws them: CSS classes for the 16 theme colours (so the stylesheet picks the palette) and
//! an inline colour only for the 256-colour cube and true colour, computed from numbers.

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Color {
    #[default]
    Default,
    /// 0–15: the theme's colours; 16–255: the xterm cube and greys.
    Indexed(u8),
    Rgb(u8, u8, u8),
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Style {
    pub fg: Color,
    pub bg: Color,
    pub bold: bool,
    pub dim: bool,
    pub italic: bool,
    pub underline: bool,
    pub reverse: bool,
    pub hidden: bool,
    pub strike: bool,
}

impl Style {
    /// Applies one SGR sequence's parameters (none means reset).
    pub fn apply_sgr(&mut self, params: &[u16]) {
        if params.is_empty() {
            *self = Style::default();
            return;
        }
        let mut i = 0;
        while i < params.len() {
            match params[i] {
                0 => *self = Style::default(),
                1 => self.bold = true,
                2 => self.dim = true,
                3 => self.italic = true,
                4 => self.underline = true,
                7 => self.reverse = true,
                8 => self.hidden = true,
                9 => self.strike = true,
                21 | 22 => (self.bold, self.dim) = (false, false),
                23 => self.italic = false,
                24 => self.underline = false,
                27 => self.reverse = false,
                28 => self.hidden = false,
                29 => self.strike = false,
                n @ 30..=37 => self.fg = Color::Indexed((n - 30) as u8),
                39 => self.fg = Color::Default,
                n @ 40..=47 => self.bg = Color::Indexed((n - 40) as u8),
                49 => self.bg = Color::Default,
                n @ 90..=97 => self.fg = Color::Indexed((n - 90 + 8) as u8),
                n @ 100..=107 => self.bg = Color::Indexed((n - 100 + 8) as u8),
                n @ (38 | 48) => {
                    let (color, used) = extended(&params[i + 1..]);
                    i += used;
                    if let Some(color) = color {
                        if n == 38 {
                            self.fg = color;
                        } else {
                            self.bg = color;
                        }
                    }
                }
                _ => {}
            }
            i += 1;
        }
    }

    /// The CSS classes of a run in this style (`vt-fg-1 vt-bold`); reverse video swaps the
    /// colours here, the default ones included (`vt-fg-bg`: text in the background colour).
    pub fn classes(&self) -> String {
        let (fg, bg) = self.drawn_colors();
        let mut classes = Vec::new();
        match fg {
            Drawn::Theme(n) => classes.push(format!("vt-fg-{n}")),
            Drawn::Swapped => classes.push("vt-fg-bg".to_string()),
            Drawn::Default | Drawn::Inline(_) => {}
        }
        match bg {
            Drawn::Theme(n) => classes.push(format!("vt-bg-{n}")),
            Drawn::Swapped => classes.push("vt-bg-fg".to_string()),
            Drawn::Default | Drawn::Inline(_) => {}
        }
        for (on, class) in [
            (self.bold, "vt-bold"),
            (self.dim, "vt-dim"),
            (self.italic, "vt-italic"),
            (self.underline, "vt-underline"),
            (self.strike, "vt-strike"),
            (self.hidden, "vt-hidden"),
        ] {
            if on {
                classes.push(class.to_string());
            }
        }
        classes.join(" ")
    }

    /// The inline `style` for colours outside the theme's 16 (`color:#ff0000`), if any.
    pub fn inline(&self) -> Option<String> {
        let (fg, bg) = self.drawn_colors();
        let mut css = String::new();
        if let Drawn::Inline((r, g, b)) = fg {
            css.push_str(&format!("color:#{r:02x}{g:02x}{b:02x};"));
        }
        if let Drawn::Inline((r, g, b)) = bg {
            css.push_str(&format!("background-color:#{r:02x}{g:02x}{b:02x};"));
        }
        (!css.is_empty()).then_some(css)
    }

    fn drawn_colors(&self) -> (Drawn, Drawn) {
        let fg = drawn(self.fg);
        let bg = drawn(self.bg);
        if !self.reverse {
            return (fg, bg);
        }
        let swap = |d: Drawn| {
            if d == Drawn::Default {
                Drawn::Swapped
            } else {
                d
            }
        };
        (swap(bg), swap(fg))
    }
}

/// A colour as the page draws it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Drawn {
    Default,
    /// The other default colour (reverse video of a default one).
    Swapped,
    Theme(u8),
    Inline((u8, u8, u8)),
}

fn drawn(color: Color) -> Drawn {
    match color {
        Color::Default => Drawn::Default,
        Color::Indexed(n) if n < 16 => Drawn::Theme(n),
        Color::Indexed(n) => Drawn::Inline(xterm_rgb(n)),
        Color::Rgb(r, g, b) => Drawn::Inline((r, g, b)),
    }
}

/// `5;n` or `2;r;g;b` after a 38/48: the colour and how many parameters it took.
fn extended(rest: &[u16]) -> (Option<Color>, usize) {
    let byte = |v: &u16| (*v).min(255) as u8;
    match rest {
        [5, n, ..] => (Some(Color::Indexed(byte(n))), 2),
        [2, r, g, b, ..] => (Some(Color::Rgb(byte(r), byte(g), byte(b))), 4),
        [5, ..] | [2, ..] => (None, rest.len()),
        _ => (None, 0),
    }
}

/// The xterm palette's colours 16–255: a 6×6×6 cube, then 24 greys.
fn xterm_rgb(n: u8) -> (u8, u8, u8) {
    if n >= 232 {
        let v = 8 + (n - 232) * 10;
        return (v, v, v);
    }
    let i = n.saturating_sub(16);
    let level = |c: u8| if c == 0 { 0 } else { 55 + c * 40 };
    (level(i / 36), level((i / 6) % 6), level(i % 6))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sgr(params: &[u16]) -> Style {
        let mut s = Style::default();
        s.apply_sgr(params);
        s
    }

    #[test]
    fn basic_bright_and_reset_colours() {
        let s = sgr(&[1, 31]);
        assert_eq!((s.fg, s.bold), (Color::Indexed(1), true));
        assert_eq!(s.classes(), "vt-fg-1 vt-bold");
        assert_eq!(sgr(&[94, 102]).classes(), "vt-fg-12 vt-bg-10");
        let mut s = sgr(&[31, 4]);
        s.apply_sgr(&[]);
        assert_eq!(s, Style::default());
        s.apply_sgr(&[32, 39]);
        assert_eq!(s.fg, Color::Default);
    }

    #[test]
    fn colours_256_and_true_colour_are_drawn_inline() {
        let s = sgr(&[38, 5, 196, 48, 2, 1, 2, 3, 1]);
        assert_eq!(s.fg, Color::Indexed(196));
        assert_eq!(s.bg, Color::Rgb(1, 2, 3));
        assert!(s.bold, "parameters after the colour still apply");
        assert_eq!(
            s.inline().as_deref(),
            Some("color:#ff0000;background-color:#010203;")
        );
        assert_eq!(sgr(&[38, 5, 3]).classes(), "vt-fg-3");
        assert_eq!(
            sgr(&[38, 5, 244]).inline().as_deref(),
            Some("color:#808080;")
        );
    }

    #[test]
    fn reverse_video_swaps_default_and_set_colours() {
        assert_eq!(sgr(&[7]).classes(), "vt-fg-bg vt-bg-fg");
        assert_eq!(sgr(&[7, 31]).classes(), "vt-fg-bg vt-bg-1");
        assert_eq!(sgr(&[7, 27]).classes(), "");
    }
}
