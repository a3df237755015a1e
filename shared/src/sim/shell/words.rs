//! The small part of POSIX shell syntax people type into `kubectl exec -it … -- sh`:
//! quotes, `$VAR`, `;` `&&` `||` lists, `|` pipes and `>` / `>>` redirections.
//!
//! Parsing keeps variables unexpanded so `cd /tmp; echo $PWD` sees the first command's effect.

/// A piece of a word: literal text or a variable to expand when the command runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Part {
    Text(String),
    Var(String),
}

/// One word of a command line, before expansion.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Word(pub Vec<Part>);

impl Word {
    /// The word with variables replaced through `lookup`.
    pub fn expand(&self, lookup: &dyn Fn(&str) -> String) -> String {
        self.0
            .iter()
            .map(|p| match p {
                Part::Text(t) => t.clone(),
                Part::Var(v) => lookup(v),
            })
            .collect()
    }
}

/// Where a command's output goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Redirect {
    /// `> file` (`append` for `>>`).
    Stdout { path: Word, append: bool },
    /// `2> file`: stderr is dropped (only `/dev/null` makes sense here).
    Stderr,
    /// `2>&1`.
    StderrToStdout,
}

/// A simple command: words and redirections.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Command {
    pub words: Vec<Word>,
    pub redirects: Vec<Redirect>,
}

/// How a pipeline joins the one before it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Join {
    /// First in the line, or after `;`.
    Always,
    /// After `&&`.
    IfSucceeded,
    /// After `||`.
    IfFailed,
}

/// Commands joined by `|`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pipeline {
    pub join: Join,
    pub commands: Vec<Command>,
}

/// Why a line cannot be parsed, in the words of busybox's `sh`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SyntaxError {
    #[error("sh: syntax error: unterminated quoted string")]
    UnterminatedQuote,
    #[error("sh: syntax error: unexpected \"{0}\"")]
    Unexpected(String),
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Token {
    Word(Word),
    Op(&'static str),
}

fn is_var_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_'
}

/// Reads `$NAME`, `${NAME}` or `$?` after the `$`; `None` when it is a lone `$`.
fn read_var(chars: &[char], i: &mut usize) -> Option<String> {
    match chars.get(*i) {
        Some('?') => {
            *i += 1;
            Some("?".into())
        }
        Some('{') => {
            let end = chars[*i..].iter().position(|c| *c == '}')? + *i;
            let name: String = chars[*i + 1..end].iter().collect();
            *i = end + 1;
            Some(name)
        }
        Some(c) if is_var_char(*c) => {
            let start = *i;
            while chars.get(*i).is_some_and(|c| is_var_char(*c)) {
                *i += 1;
            }
            Some(chars[start..*i].iter().collect())
        }
        _ => None,
    }
}

fn push_text(parts: &mut Vec<Part>, c: char) {
    match parts.last_mut() {
        Some(Part::Text(t)) => t.push(c),
        _ => parts.push(Part::Text(c.to_string())),
    }
}

fn tokens(line: &str) -> Result<Vec<Token>, SyntaxError> {
    let chars: Vec<char> = line.chars().collect();
    let mut out = Vec::new();
    let mut parts: Vec<Part> = Vec::new();
    let mut in_word = false;
    let mut i = 0;
    let flush = |out: &mut Vec<Token>, parts: &mut Vec<Part>, in_word: &mut bool| {
        if *in_word {
            out.push(Token::Word(Word(std::mem::take(parts))));
            *in_word = false;
        }
    };
    while i < chars.len() {
        let c = chars[i];
        match c {
            ' ' | '\t' | '\n' => {
                flush(&mut out, &mut parts, &mut in_word);
                i += 1;
            }
            '#' if !in_word => break,
            ';' | '|' | '&' | '>' => {
                let two: String = chars[i..(i + 2).min(chars.len())].iter().collect();
                let op = match two.as_str() {
                    "&&" => "&&",
                    "||" => "||",
                    ">>" => ">>",
                    _ => match c {
                        ';' => ";",
                        '|' => "|",
                        '>' => ">",
                        _ => return Err(SyntaxError::Unexpected("&".into())),
                    },
                };
                // `2>` and `2>&1`: a lone 2 just before `>` names stderr.
                if op == ">" && in_word && parts == [Part::Text("2".into())] {
                    parts.clear();
                    in_word = false;
                    if chars.get(i + 1) == Some(&'&') && chars.get(i + 2) == Some(&'1') {
                        out.push(Token::Op("2>&1"));
                        i += 3;
                    } else {
                        out.push(Token::Op("2>"));
                        i += 1;
                    }
                    continue;
                }
                flush(&mut out, &mut parts, &mut in_word);
                out.push(Token::Op(op));
                i += op.len();
            }
            '\'' => {
                let end = chars[i + 1..].iter().position(|c| *c == '\'').ok_or(SyntaxError::UnterminatedQuote)? + i + 1;
                in_word = true;
                let text: String = chars[i + 1..end].iter().collect();
                match parts.last_mut() {
                    Some(Part::Text(t)) => t.push_str(&text),
                    _ => parts.push(Part::Text(text)),
                }
                i = end + 1;
            }
            '"' => {
                in_word = true;
                i += 1;
                if parts.is_empty() {
                    parts.push(Part::Text(String::new()));
                }
                loop {
                    match chars.get(i) {
                        None => return Err(SyntaxError::UnterminatedQuote),
                        Some('"') => {
                            i += 1;
                            break;
                        }
                        Some('\\') if matches!(chars.get(i + 1), Some('"' | '\\' | '$')) => {
                            push_text(&mut parts, chars[i + 1]);
                            i += 2;
                        }
                        Some('$') => {
                            i += 1;
                            match read_var(&chars, &mut i) {
                                Some(v) => parts.push(Part::Var(v)),
                                None => push_text(&mut parts, '$'),
                            }
                        }
                        Some(c) => {
                            push_text(&mut parts, *c);
                            i += 1;
                        }
                    }
                }
            }
            '\\' => {
                in_word = true;
                if let Some(n) = chars.get(i + 1) {
                    push_text(&mut parts, *n);
                }
                i += 2;
            }
            '$' => {
                in_word = true;
                i += 1;
                match read_var(&chars, &mut i) {
                    Some(v) => parts.push(Part::Var(v)),
                    None => push_text(&mut parts, '$'),
                }
            }
            c => {
                in_word = true;
                push_text(&mut parts, c);
                i += 1;
            }
        }
    }
    flush(&mut out, &mut parts, &mut in_word);
    Ok(out)
}

/// Parses one command line into pipelines joined by `;`, `&&` and `||`.
pub fn parse(line: &str) -> Result<Vec<Pipeline>, SyntaxError> {
    let mut pipelines = Vec::new();
    let mut current = Pipeline { join: Join::Always, commands: Vec::new() };
    let mut command = Command::default();
    let mut tokens = tokens(line)?.into_iter().peekable();
    let unexpected = |op: &str| SyntaxError::Unexpected(op.to_string());
    while let Some(t) = tokens.next() {
        match t {
            Token::Word(w) => command.words.push(w),
            Token::Op(op @ (">" | ">>" | "2>")) => {
                let Some(Token::Word(path)) = tokens.next() else {
                    return Err(unexpected("newline"));
                };
                command.redirects.push(match op {
                    "2>" => Redirect::Stderr,
                    _ => Redirect::Stdout { path, append: op == ">>" },
                });
            }
            Token::Op("2>&1") => command.redirects.push(Redirect::StderrToStdout),
            Token::Op(op) => {
                if command.words.is_empty() {
                    return Err(unexpected(op));
                }
                current.commands.push(std::mem::take(&mut command));
                if op == "|" {
                    continue;
                }
                let join = match op {
                    "&&" => Join::IfSucceeded,
                    "||" => Join::IfFailed,
                    _ => Join::Always,
                };
                let done = std::mem::replace(&mut current, Pipeline { join, commands: Vec::new() });
                pipelines.push(done);
                if op != ";" && tokens.peek().is_none() {
                    return Err(unexpected("end of file"));
                }
            }
        }
    }
    if !command.words.is_empty() {
        current.commands.push(command);
    } else if !current.commands.is_empty() {
        return Err(unexpected("end of file"));
    }
    if !current.commands.is_empty() {
        pipelines.push(current);
    }
    Ok(pipelines)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn expanded(line: &str) -> Vec<Vec<Vec<String>>> {
        let lookup = |v: &str| format!("<{v}>");
        parse(line)
            .unwrap()
            .iter()
            .map(|p| p.commands.iter().map(|c| c.words.iter().map(|w| w.expand(&lookup)).collect()).collect())
            .collect()
    }

    #[test]
    fn quotes_keep_spaces_and_single_quotes_keep_dollars() {
        assert_eq!(expanded(r#"echo "a  b" 'c $HOME' $HOME d"$X"e"#), [[["echo", "a  b", "c $HOME", "<HOME>", "d<X>e"]]]);
        assert_eq!(expanded("echo ${A}x $? \\;"), [[["echo", "<A>x", "<?>", ";"]]]);
        assert_eq!(expanded("echo ''"), [[["echo", ""]]]);
    }

    #[test]
    fn lists_and_pipes_split_outside_quotes() {
        let p = parse("cd /tmp && pwd; false || echo 'a;b' | grep a").unwrap();
        assert_eq!(p.iter().map(|p| p.join).collect::<Vec<_>>(), [Join::Always, Join::IfSucceeded, Join::Always, Join::IfFailed]);
        assert_eq!(p[3].commands.len(), 2);
        assert_eq!(expanded("echo x # a comment"), [[["echo", "x"]]]);
    }

    #[test]
    fn redirections_are_parsed_apart_from_words() {
        let p = parse("echo hi >> /tmp/x 2>/dev/null").unwrap();
        let c = &p[0].commands[0];
        assert_eq!(c.words.len(), 2);
        assert_eq!(c.redirects[1], Redirect::Stderr);
        assert!(matches!(&c.redirects[0], Redirect::Stdout { append: true, .. }));
        assert_eq!(parse("ls 2>&1").unwrap()[0].commands[0].redirects, [Redirect::StderrToStdout]);
    }

    #[test]
    fn broken_lines_are_syntax_errors() {
        assert_eq!(parse("echo 'oops"), Err(SyntaxError::UnterminatedQuote));
        assert_eq!(parse("&& ls"), Err(SyntaxError::Unexpected("&&".into())));
        assert_eq!(parse("ls &&"), Err(SyntaxError::Unexpected("end of file".into())));
        assert_eq!(parse("ls &").unwrap_err().to_string(), "sh: syntax error: unexpected \"&\"");
        assert!(parse("   ").unwrap().is_empty());
    }
}
