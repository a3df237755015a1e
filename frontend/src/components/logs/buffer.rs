//! The lines the logs viewer holds: kubectl's output chunks split into lines, stderr kept apart
//! for colour, and only the newest [`MAX_LINES`] kept so a chatty container cannot bloat the page.

use std::collections::VecDeque;
use std::rc::Rc;
use yew::Reducible;

/// Lines kept on screen.
pub const MAX_LINES: usize = 5_000;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogLine {
    pub text: String,
    /// kubectl wrote it to stderr (an error, not the container's output).
    pub stderr: bool,
}

/// The viewer's lines for one run of `kubectl logs`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct LogBuffer {
    /// Which run these lines belong to; chunks of an older run are dropped.
    pub run: u64,
    pub lines: VecDeque<LogLine>,
    /// A chunk's last line until its newline arrives.
    partial: Option<LogLine>,
    /// Lines dropped from the front to stay under [`MAX_LINES`].
    pub dropped: usize,
    /// Lines this run printed in all, shown or cleared.
    pub received: usize,
    /// The run ended (`kubectl` exited): its exit code.
    pub ended: Option<i32>,
    /// Bumped on every change, for effects such as scrolling to the end.
    pub version: u64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LogAction {
    /// A new run starts: nothing shown yet.
    Start(u64),
    /// Output of run `run`.
    Output {
        run: u64,
        text: String,
        stderr: bool,
    },
    Ended {
        run: u64,
        exit_code: i32,
    },
    /// The user's Clear: the run goes on, the screen empties.
    Clear,
}

impl LogBuffer {
    fn push(&mut self, line: LogLine) {
        self.received += 1;
        self.lines.push_back(line);
        while self.lines.len() > MAX_LINES {
            self.lines.pop_front();
            self.dropped += 1;
        }
    }

    fn output(&mut self, text: &str, stderr: bool) {
        let mut rest = text;
        while let Some(end) = rest.find('\n') {
            let mut line = self
                .partial
                .take()
                .filter(|p| p.stderr == stderr)
                .unwrap_or(LogLine {
                    text: String::new(),
                    stderr,
                });
            line.text.push_str(&rest[..end]);
            self.push(line);
            rest = &rest[end + 1..];
        }
        if !rest.is_empty() {
            let partial = self.partial.get_or_insert_with(|| LogLine {
                text: String::new(),
                stderr,
            });
            partial.text.push_str(rest);
        }
    }

    /// Every line including an unfinished last one.
    pub fn all(&self) -> impl Iterator<Item = &LogLine> {
        self.lines.iter().chain(self.partial.as_ref())
    }

    pub fn is_empty(&self) -> bool {
        self.lines.is_empty() && self.partial.is_none()
    }
}

impl Reducible for LogBuffer {
    type Action = LogAction;

    fn reduce(self: Rc<Self>, action: LogAction) -> Rc<Self> {
        let mut next = (*self).clone();
        match action {
            LogAction::Start(run) => {
                next = LogBuffer {
                    run,
                    version: self.version + 1,
                    ..LogBuffer::default()
                };
            }
            LogAction::Output { run, text, stderr } => {
                if run != self.run {
                    return self;
                }
                next.output(&text, stderr);
            }
            LogAction::Ended { run, exit_code } => {
                if run != self.run {
                    return self;
                }
                if let Some(partial) = next.partial.take() {
                    next.push(partial);
                }
                next.ended = Some(exit_code);
            }
            LogAction::Clear => {
                next.lines.clear();
                next.partial = None;
                next.dropped = 0;
            }
        }
        next.version = self.version + 1;
        Rc::new(next)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn apply(buffer: LogBuffer, actions: Vec<LogAction>) -> LogBuffer {
        let mut state = Rc::new(buffer);
        for action in actions {
            state = state.reduce(action);
        }
        (*state).clone()
    }

    fn out(run: u64, text: &str) -> LogAction {
        LogAction::Output {
            run,
            text: text.into(),
            stderr: false,
        }
    }

    fn texts(buffer: &LogBuffer) -> Vec<String> {
        buffer.all().map(|l| l.text.clone()).collect()
    }

    #[test]
    fn chunks_split_into_lines_across_boundaries() {
        let b = apply(
            LogBuffer::default(),
            vec![LogAction::Start(1), out(1, "one\ntw"), out(1, "o\nthree")],
        );
        assert_eq!(texts(&b), ["one", "two", "three"]);
        assert_eq!(b.lines.len(), 2, "three is still open");
    }

    #[test]
    fn output_of_an_older_run_is_dropped() {
        let b = apply(
            LogBuffer::default(),
            vec![
                LogAction::Start(1),
                out(1, "old\n"),
                LogAction::Start(2),
                out(1, "late\n"),
                out(2, "new\n"),
            ],
        );
        assert_eq!(texts(&b), ["new"]);
    }

    #[test]
    fn stderr_lines_are_marked() {
        let b = apply(
            LogBuffer::default(),
            vec![
                LogAction::Start(1),
                LogAction::Output {
                    run: 1,
                    text: "Error from server (NotFound)\n".into(),
                    stderr: true,
                },
            ],
        );
        assert!(b.lines[0].stderr);
    }

    #[test]
    fn only_the_newest_lines_are_kept() {
        let text: String = (0..MAX_LINES + 10).map(|i| format!("{i}\n")).collect();
        let b = apply(
            LogBuffer::default(),
            vec![LogAction::Start(1), out(1, &text)],
        );
        assert_eq!(b.lines.len(), MAX_LINES);
        assert_eq!(b.dropped, 10);
        assert_eq!(b.lines[0].text, "10");
    }

    #[test]
    fn clear_empties_the_screen_but_the_run_goes_on() {
        let b = apply(
            LogBuffer::default(),
            vec![
                LogAction::Start(1),
                out(1, "a\n"),
                LogAction::Clear,
                out(1, "b\n"),
            ],
        );
        assert_eq!(texts(&b), ["b"]);
        assert_eq!(b.received, 2);
    }

    #[test]
    fn the_end_closes_an_open_line_and_keeps_the_exit_code() {
        let b = apply(
            LogBuffer::default(),
            vec![
                LogAction::Start(1),
                out(1, "last"),
                LogAction::Ended {
                    run: 1,
                    exit_code: 1,
                },
            ],
        );
        assert_eq!((texts(&b), b.ended), (vec!["last".to_string()], Some(1)));
    }
}
