//! The local terminal's cooked mode, for `kubectl exec -i` without `-t`: the process has no
//! TTY, so the terminal itself echoes what is typed, lets Backspace edit the line, sends the
//! line at Enter, and turns LF in the output into CR LF. Ctrl+C interrupts kubectl itself.

/// What one key press did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Cooked {
    /// Bytes for the screen (the echo).
    pub echo: Vec<u8>,
    /// A finished line for the process's stdin.
    pub send: Option<Vec<u8>>,
    /// Ctrl+C: kubectl stops.
    pub interrupt: bool,
}

/// The line being typed.
#[derive(Clone, Debug, Default)]
pub struct LineDiscipline {
    line: String,
}

impl LineDiscipline {
    /// A key as the bytes a terminal would send for it (see `keys::encode`).
    pub fn key(&mut self, bytes: &[u8]) -> Cooked {
        match bytes {
            b"\r" => {
                let mut line = std::mem::take(&mut self.line).into_bytes();
                line.push(b'\n');
                Cooked {
                    echo: b"\r\n".to_vec(),
                    send: Some(line),
                    interrupt: false,
                }
            }
            [0x7f] | [0x08] => match self.line.pop() {
                Some(_) => Cooked {
                    echo: b"\x08 \x08".to_vec(),
                    ..Cooked::default()
                },
                None => Cooked::default(),
            },
            [0x03] => Cooked {
                echo: b"^C\r\n".to_vec(),
                interrupt: true,
                ..Cooked::default()
            },
            text if text.iter().all(|b| *b >= 0x20 && *b != 0x7f) => {
                let text = String::from_utf8_lossy(text);
                self.line.push_str(&text);
                Cooked {
                    echo: text.as_bytes().to_vec(),
                    ..Cooked::default()
                }
            }
            // Other controls and escape sequences (arrows) have no meaning in a cooked line.
            _ => Cooked::default(),
        }
    }
}

/// Output as the terminal's output processing shows it: LF starts a new line at column 0.
pub fn output(data: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(data.len());
    for &b in data {
        if b == b'\n' {
            out.push(b'\r');
        }
        out.push(b);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn typed_text_is_echoed_edited_and_sent_at_enter() {
        let mut d = LineDiscipline::default();
        assert_eq!(d.key(b"l").echo, b"l");
        d.key(b"x");
        assert_eq!(d.key(&[0x7f]).echo, b"\x08 \x08");
        d.key("s é".as_bytes());
        let enter = d.key(b"\r");
        assert_eq!(enter.send.as_deref(), Some("ls é\n".as_bytes()));
        assert_eq!(enter.echo, b"\r\n");
        assert_eq!(d.key(&[0x7f]), Cooked::default(), "nothing left to erase");
    }

    #[test]
    fn ctrl_c_interrupts_and_escape_sequences_are_ignored() {
        let mut d = LineDiscipline::default();
        assert!(d.key(&[3]).interrupt);
        assert_eq!(d.key(b"\x1b[A"), Cooked::default());
    }

    #[test]
    fn output_lf_becomes_cr_lf() {
        assert_eq!(output(b"a\nb\n"), b"a\r\nb\r\n");
    }
}
