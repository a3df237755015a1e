//! The terminal's state as a reducer: scrollback, the line being typed, history and the running
//! command. Pure, so keys and replies are tested without a browser.

use std::rc::Rc;
use yew::Reducible;

/// The prompt of the kubectl terminal itself (outside `kubectl exec -it`).
pub const PROMPT: &str = "$ ";
/// How many lines the scrollback keeps; older ones scroll away.
const SCROLLBACK: usize = 2_000;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LineKind {
    Input,
    Stdout,
    Stderr,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Line {
    pub kind: LineKind,
    pub text: String,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Terminal {
    pub lines: Vec<Line>,
    pub input: String,
    /// Set while a command runs (its output is still coming).
    pub running: bool,
    /// The container shell's prompt while inside `kubectl exec -it`.
    pub shell_prompt: Option<String>,
    history: Vec<String>,
    /// Where Up/Down is in `history`; `None` while editing a fresh line.
    recall: Option<usize>,
}

pub enum Action {
    Type(String),
    /// Enter: echoes the line and marks the terminal busy (the host sends it on).
    Submit,
    Output { text: String, stderr: bool },
    Done { prompt: Option<String> },
    Up,
    Down,
    Clear,
    /// Tab's answer: one candidate completes the word, several are listed.
    Completions(Vec<String>),
}

impl Terminal {
    pub fn prompt(&self) -> &str {
        self.shell_prompt.as_deref().unwrap_or(PROMPT)
    }

    fn push(&mut self, kind: LineKind, text: &str) {
        for line in text.strip_suffix('\n').unwrap_or(text).split('\n') {
            self.lines.push(Line { kind, text: line.to_string() });
        }
        let excess = self.lines.len().saturating_sub(SCROLLBACK);
        self.lines.drain(..excess);
    }

    fn complete(&mut self, words: Vec<String>) {
        let start = self.input.rfind(' ').map_or(0, |i| i + 1);
        match words.as_slice() {
            [] => {}
            [only] => {
                self.input.truncate(start);
                self.input.push_str(only);
                if !only.ends_with('/') {
                    self.input.push(' ');
                }
            }
            many => {
                let prefix = common_prefix(many);
                if prefix.len() > self.input.len() - start {
                    self.input.truncate(start);
                    self.input.push_str(&prefix);
                } else {
                    let echo = format!("{}{}", self.prompt(), self.input);
                    self.push(LineKind::Input, &echo);
                    self.push(LineKind::Stdout, &many.join("  "));
                }
            }
        }
    }
}

/// The longest start every candidate shares.
fn common_prefix(words: &[String]) -> String {
    let first = words.first().map(String::as_str).unwrap_or("");
    let len = words.iter().fold(first.len(), |len, w| {
        first.bytes().zip(w.bytes()).take(len).take_while(|(a, b)| a == b).count()
    });
    first[..len].to_string()
}

impl Reducible for Terminal {
    type Action = Action;

    fn reduce(self: Rc<Self>, action: Action) -> Rc<Self> {
        let mut next = (*self).clone();
        match action {
            Action::Type(text) => {
                next.input = text;
                next.recall = None;
            }
            Action::Submit => {
                let line = std::mem::take(&mut next.input);
                let echo = format!("{}{}", next.prompt(), line);
                next.push(LineKind::Input, &echo);
                if !line.trim().is_empty() && next.history.last() != Some(&line) {
                    next.history.push(line);
                }
                next.recall = None;
                next.running = true;
            }
            Action::Output { text, stderr } => {
                let kind = if stderr { LineKind::Stderr } else { LineKind::Stdout };
                next.push(kind, &text);
            }
            Action::Done { prompt } => {
                next.running = false;
                next.shell_prompt = prompt;
            }
            Action::Up => {
                let at = match next.recall {
                    Some(0) => 0,
                    Some(i) => i - 1,
                    None if next.history.is_empty() => return self,
                    None => next.history.len() - 1,
                };
                next.recall = Some(at);
                next.input = next.history[at].clone();
            }
            Action::Down => match next.recall {
                Some(i) if i + 1 < next.history.len() => {
                    next.recall = Some(i + 1);
                    next.input = next.history[i + 1].clone();
                }
                Some(_) => {
                    next.recall = None;
                    next.input.clear();
                }
                None => return self,
            },
            Action::Clear => next.lines.clear(),
            Action::Completions(words) => next.complete(words),
        }
        Rc::new(next)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(actions: Vec<Action>) -> Rc<Terminal> {
        actions.into_iter().fold(Rc::new(Terminal::default()), |t, a| t.reduce(a))
    }

    #[test]
    fn submitted_lines_echo_with_the_prompt_and_output_splits_into_lines() {
        let t = run(vec![
            Action::Type("kubectl get pods".into()),
            Action::Submit,
            Action::Output { text: "NAME   READY\nweb    1/1\n".into(), stderr: false },
            Action::Done { prompt: None },
        ]);
        let texts: Vec<&str> = t.lines.iter().map(|l| l.text.as_str()).collect();
        assert_eq!(texts, ["$ kubectl get pods", "NAME   READY", "web    1/1"]);
        assert!(!t.running);
    }

    #[test]
    fn up_and_down_walk_the_history_and_come_back_to_an_empty_line() {
        let t = run(vec![
            Action::Type("one".into()),
            Action::Submit,
            Action::Type("two".into()),
            Action::Submit,
            Action::Up,
            Action::Up,
        ]);
        assert_eq!(t.input, "one");
        let t = t.reduce(Action::Down);
        assert_eq!(t.input, "two");
        let t = t.reduce(Action::Down);
        assert_eq!(t.input, "");
    }

    #[test]
    fn one_completion_finishes_the_word_and_several_share_their_prefix_or_are_listed() {
        let t = run(vec![Action::Type("kubectl get dep".into()), Action::Completions(vec!["deployments".into()])]);
        assert_eq!(t.input, "kubectl get deployments ");
        let t = run(vec![
            Action::Type("kubectl get r".into()),
            Action::Completions(vec!["replicasets".into(), "replicationcontrollers".into()]),
        ]);
        assert_eq!(t.input, "kubectl get replica");
        let t = t.reduce(Action::Completions(vec!["replicasets".into(), "replicationcontrollers".into()]));
        assert_eq!(t.lines.last().map(|l| l.text.as_str()), Some("replicasets  replicationcontrollers"));
    }

    #[test]
    fn an_exec_session_changes_the_prompt_until_it_ends() {
        let t = run(vec![Action::Type("kubectl exec -it web -- sh".into()), Action::Submit, Action::Done { prompt: Some("/ # ".into()) }]);
        assert_eq!(t.prompt(), "/ # ");
        let t = t.reduce(Action::Done { prompt: None });
        assert_eq!(t.prompt(), PROMPT);
    }
}
