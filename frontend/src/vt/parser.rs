//! Turns the bytes a program writes to its terminal into what they mean: printable characters
//! (decoded from UTF-8, even when a character is split across chunks), C0 controls, and ESC /
//! CSI sequences. OSC strings (window titles) are read and dropped. Pure and incremental, so
//! the stream can arrive in any chunking.

/// One thing the byte stream said.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Action {
    Print(char),
    /// A C0 control: CR, LF, BS, TAB, BEL…
    Control(u8),
    Csi(Csi),
    /// `ESC [intermediate] final`, e.g. `ESC 7` or `ESC ( B`.
    Esc {
        intermediate: Option<u8>,
        final_byte: u8,
    },
}

/// A control sequence: `ESC [ [private] params [intermediate] final`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Csi {
    /// `?`, `>`, `<` or `=` right after the `[`.
    pub private: Option<u8>,
    pub params: Vec<u16>,
    pub intermediate: Option<u8>,
    pub final_byte: u8,
}

impl Csi {
    /// Parameter `i`; a missing or zero one is `default` (as for counts and positions).
    pub fn count(&self, i: usize, default: u16) -> u16 {
        match self.params.get(i) {
            None | Some(0) => default,
            Some(&v) => v,
        }
    }

    /// Parameter `i` as given, 0 when missing (as for modes and erase kinds).
    pub fn raw(&self, i: usize) -> u16 {
        self.params.get(i).copied().unwrap_or(0)
    }
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
enum State {
    #[default]
    Ground,
    Escape,
    EscIntermediate(u8),
    Csi,
    /// A malformed CSI: swallowed up to its final byte.
    CsiIgnore,
    Osc,
    /// ESC inside an OSC: `ESC \` ends it.
    OscEscape,
}

/// The parser's state between chunks.
#[derive(Clone, Debug, Default)]
pub struct Parser {
    state: State,
    csi: Csi,
    /// The parameter being read, if any digit of it came yet.
    param: Option<u32>,
    utf8: [u8; 4],
    utf8_len: usize,
    utf8_need: usize,
}

/// Parameters above this are clamped: no sequence needs more, and it bounds the arithmetic.
const MAX_PARAM: u32 = 9_999;
/// Parameters beyond this many are dropped (SGR with many attributes stays well below).
const MAX_PARAMS: usize = 32;

impl Parser {
    /// Reads `bytes`, calling `emit` for each complete action in order.
    pub fn feed(&mut self, bytes: &[u8], emit: &mut impl FnMut(Action)) {
        for &b in bytes {
            self.byte(b, emit);
        }
    }

    fn byte(&mut self, b: u8, emit: &mut impl FnMut(Action)) {
        if self.utf8_need > 0 {
            if (0x80..=0xBF).contains(&b) {
                self.utf8[self.utf8_len] = b;
                self.utf8_len += 1;
                if self.utf8_len == self.utf8_need {
                    let ch = std::str::from_utf8(&self.utf8[..self.utf8_len])
                        .ok()
                        .and_then(|s| s.chars().next())
                        .unwrap_or(char::REPLACEMENT_CHARACTER);
                    self.utf8_need = 0;
                    emit(Action::Print(ch));
                }
                return;
            }
            // A sequence cut short: say so and read this byte afresh.
            self.utf8_need = 0;
            emit(Action::Print(char::REPLACEMENT_CHARACTER));
        }
        match (self.state, b) {
            (State::Osc, 0x07) => self.state = State::Ground,
            (State::Osc, 0x1b) => self.state = State::OscEscape,
            (State::Osc, _) => {}
            (State::OscEscape, b'\\') => self.state = State::Ground,
            (State::OscEscape, _) => self.state = State::Osc,
            (_, 0x18 | 0x1a) => self.state = State::Ground,
            (_, 0x1b) => self.state = State::Escape,
            (_, 0x00..=0x1f) => emit(Action::Control(b)),
            (State::Ground, _) => self.ground(b, emit),
            (State::Escape, b'[') => {
                self.csi = Csi::default();
                self.param = None;
                self.state = State::Csi;
            }
            (State::Escape, b']') => self.state = State::Osc,
            (State::Escape, 0x20..=0x2f) => self.state = State::EscIntermediate(b),
            (State::Escape, 0x30..=0x7e) => {
                self.state = State::Ground;
                emit(Action::Esc {
                    intermediate: None,
                    final_byte: b,
                });
            }
            (State::EscIntermediate(i), 0x30..=0x7e) => {
                self.state = State::Ground;
                emit(Action::Esc {
                    intermediate: Some(i),
                    final_byte: b,
                });
            }
            (State::Escape | State::EscIntermediate(_), _) => self.state = State::Ground,
            (State::Csi, _) => self.csi_byte(b, emit),
            (State::CsiIgnore, 0x40..=0x7e) => self.state = State::Ground,
            (State::CsiIgnore, _) => {}
        }
    }

    fn ground(&mut self, b: u8, emit: &mut impl FnMut(Action)) {
        let need = match b {
            0x20..=0x7e => return emit(Action::Print(b as char)),
            0x7f => return,
            0xc2..=0xdf => 2,
            0xe0..=0xef => 3,
            0xf0..=0xf4 => 4,
            _ => return emit(Action::Print(char::REPLACEMENT_CHARACTER)),
        };
        self.utf8[0] = b;
        self.utf8_len = 1;
        self.utf8_need = need;
    }

    fn csi_byte(&mut self, b: u8, emit: &mut impl FnMut(Action)) {
        match b {
            b'0'..=b'9' => {
                let digit = u32::from(b - b'0');
                self.param = Some((self.param.unwrap_or(0) * 10 + digit).min(MAX_PARAM));
            }
            // Sub-parameters (`38:5:196`) are read as parameters.
            b';' | b':' => self.end_param(true),
            b'<'..=b'?'
                if self.csi.params.is_empty()
                    && self.param.is_none()
                    && self.csi.private.is_none() =>
            {
                self.csi.private = Some(b);
            }
            0x20..=0x2f => self.csi.intermediate = Some(b),
            0x40..=0x7e => {
                self.end_param(false);
                self.csi.final_byte = b;
                self.state = State::Ground;
                emit(Action::Csi(std::mem::take(&mut self.csi)));
            }
            _ => self.state = State::CsiIgnore,
        }
    }

    /// Ends the parameter being read; `separator`: a `;` came, so an empty one counts as 0.
    fn end_param(&mut self, separator: bool) {
        let value = match (self.param.take(), separator) {
            (Some(v), _) => v,
            (None, true) => 0,
            (None, false) if !self.csi.params.is_empty() => 0,
            (None, false) => return,
        };
        if self.csi.params.len() < MAX_PARAMS {
            self.csi.params.push(value as u16);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(chunks: &[&[u8]]) -> Vec<Action> {
        let mut parser = Parser::default();
        let mut out = Vec::new();
        for chunk in chunks {
            parser.feed(chunk, &mut |a| out.push(a));
        }
        out
    }

    fn csi(private: Option<u8>, params: &[u16], final_byte: u8) -> Action {
        Action::Csi(Csi {
            private,
            params: params.to_vec(),
            intermediate: None,
            final_byte,
        })
    }

    #[test]
    fn text_and_controls_come_out_in_order() {
        assert_eq!(
            parse(&[b"a\r\n\x08\tb\x07"]),
            vec![
                Action::Print('a'),
                Action::Control(b'\r'),
                Action::Control(b'\n'),
                Action::Control(8),
                Action::Control(b'\t'),
                Action::Print('b'),
                Action::Control(7),
            ]
        );
    }

    #[test]
    fn utf8_split_across_chunks_is_one_character_and_bad_bytes_are_replaced() {
        let euro = "€".as_bytes();
        assert_eq!(
            parse(&[&euro[..1], &euro[1..2], &euro[2..]]),
            vec![Action::Print('€')]
        );
        assert_eq!(
            parse(&[b"\xe2\x82x"]),
            vec![Action::Print('\u{fffd}'), Action::Print('x')]
        );
        assert_eq!(parse(&[b"\xff"]), vec![Action::Print('\u{fffd}')]);
    }

    #[test]
    fn csi_parameters_defaults_private_marks_and_split_sequences() {
        assert_eq!(parse(&[b"\x1b[31;1m"]), vec![csi(None, &[31, 1], b'm')]);
        assert_eq!(parse(&[b"\x1b[m"]), vec![csi(None, &[], b'm')]);
        assert_eq!(parse(&[b"\x1b[;5H"]), vec![csi(None, &[0, 5], b'H')]);
        assert_eq!(
            parse(&[b"\x1b[?10", b"49h"]),
            vec![csi(Some(b'?'), &[1049], b'h')]
        );
        assert_eq!(
            parse(&[b"\x1b[38:5:196m"]),
            vec![csi(None, &[38, 5, 196], b'm')]
        );
        let Action::Csi(c) = csi(None, &[0, 7], b'H') else {
            unreachable!()
        };
        assert_eq!((c.count(0, 1), c.count(1, 1), c.raw(2)), (1, 7, 0));
    }

    #[test]
    fn esc_sequences_osc_titles_and_cancelled_sequences() {
        assert_eq!(
            parse(&[b"\x1b7\x1b(B\x1b]0;title\x07x\x1b]2;t\x1b\\y"]),
            vec![
                Action::Esc {
                    intermediate: None,
                    final_byte: b'7'
                },
                Action::Esc {
                    intermediate: Some(b'('),
                    final_byte: b'B'
                },
                Action::Print('x'),
                Action::Print('y'),
            ]
        );
        assert_eq!(parse(&[b"\x1b[12\x18z"]), vec![Action::Print('z')]);
        // A control inside a CSI acts at once and the sequence goes on.
        assert_eq!(
            parse(&[b"\x1b[2\r;3H"]),
            vec![Action::Control(b'\r'), csi(None, &[2, 3], b'H')]
        );
    }

    #[test]
    fn huge_parameters_are_clamped() {
        assert_eq!(parse(&[b"\x1b[99999999A"]), vec![csi(None, &[9_999], b'A')]);
    }
}
