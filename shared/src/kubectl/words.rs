//! Splits a terminal line into words the way a POSIX shell does before kubectl
//! sees them: blanks separate, quotes group, a backslash escapes one character.

use thiserror::Error;

#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum WordsError {
    #[error("unexpected EOF while looking for matching `{0}'")]
    Unterminated(char),
}

/// The words of `line`; quotes are removed, their content kept as one word.
pub fn split(line: &str) -> Result<Vec<String>, WordsError> {
    let mut words = Vec::new();
    let mut word = String::new();
    let mut in_word = false;
    let mut chars = line.chars();
    while let Some(c) = chars.next() {
        match c {
            ' ' | '\t' | '\n' | '\r' => {
                if in_word {
                    words.push(std::mem::take(&mut word));
                    in_word = false;
                }
            }
            '\'' => {
                in_word = true;
                loop {
                    match chars.next() {
                        Some('\'') => break,
                        Some(c) => word.push(c),
                        None => return Err(WordsError::Unterminated('\'')),
                    }
                }
            }
            '"' => {
                in_word = true;
                loop {
                    match chars.next() {
                        Some('"') => break,
                        Some('\\') => match chars.next() {
                            Some(e @ ('"' | '\\' | '$' | '`')) => word.push(e),
                            Some(other) => {
                                word.push('\\');
                                word.push(other);
                            }
                            None => return Err(WordsError::Unterminated('"')),
                        },
                        Some(c) => word.push(c),
                        None => return Err(WordsError::Unterminated('"')),
                    }
                }
            }
            '\\' => {
                in_word = true;
                if let Some(next) = chars.next() {
                    word.push(next);
                }
            }
            c => {
                in_word = true;
                word.push(c);
            }
        }
    }
    if in_word {
        words.push(word);
    }
    Ok(words)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blanks_separate_and_quotes_group() {
        assert_eq!(split("  get   pods ").unwrap(), ["get", "pods"]);
        assert_eq!(split(r#"exec p -- sh -c "echo hi there""#).unwrap(), ["exec", "p", "--", "sh", "-c", "echo hi there"]);
        assert_eq!(split("-l 'app in (a, b)'").unwrap(), ["-l", "app in (a, b)"]);
        assert_eq!(split(r#"a\ b "x\"y" ''"#).unwrap(), ["a b", "x\"y", ""]);
        assert_eq!(split(r#"-o jsonpath='{.items[*].metadata.name}'"#).unwrap(), ["-o", "jsonpath={.items[*].metadata.name}"]);
    }

    #[test]
    fn an_open_quote_is_an_error() {
        assert_eq!(split("get 'pods"), Err(WordsError::Unterminated('\'')));
        assert_eq!(split("get \"pods"), Err(WordsError::Unterminated('"')));
    }
}
