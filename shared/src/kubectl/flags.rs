//! kubectl's flag grammar (cobra/pflag): flags before or after arguments,
//! `--name=value`, `--name value`, `-n value`, `-nvalue`, `-oyaml`, bundled
//! booleans (`-it`), and `--` ending the flags; errors worded as kubectl's.

use thiserror::Error;

/// Whether a flag takes a value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Arity {
    Bool,
    Value,
    /// A value only through `=` (`--dry-run` alone means `--dry-run=unchanged`).
    Optional(&'static str),
}

/// One flag a command accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Flag {
    pub long: &'static str,
    pub short: Option<char>,
    pub arity: Arity,
}

pub const fn bool_flag(long: &'static str, short: Option<char>) -> Flag {
    Flag { long, short, arity: Arity::Bool }
}

pub const fn value_flag(long: &'static str, short: Option<char>) -> Flag {
    Flag { long, short, arity: Arity::Value }
}

/// Flags every command accepts.
pub const GLOBAL: &[Flag] = &[
    value_flag("namespace", Some('n')),
    value_flag("context", None),
    value_flag("kubeconfig", None),
    value_flag("request-timeout", None),
    value_flag("v", Some('v')),
    bool_flag("help", Some('h')),
];

#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum FlagError {
    #[error("unknown flag: --{0}")]
    UnknownLong(String),
    #[error("unknown shorthand flag: '{0}' in -{1}")]
    UnknownShort(char, String),
    #[error("flag needs an argument: --{0}")]
    MissingLong(String),
    #[error("flag needs an argument: '{0}' in -{1}")]
    MissingShort(char, String),
    #[error("invalid argument {value:?} for \"--{flag}\" flag: strconv.ParseBool: parsing {value:?}: invalid syntax")]
    BadBool { flag: String, value: String },
}

/// The flags and arguments of one command line.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Parsed {
    /// Words that are not flags, in order (the command path included).
    pub args: Vec<String>,
    /// Flags by long name, in the order given; booleans carry `"true"`/`"false"`.
    pub flags: Vec<(String, String)>,
    /// Words after `--`.
    pub after_dash: Option<Vec<String>>,
}

impl Parsed {
    /// The last value given for a flag.
    pub fn get(&self, long: &str) -> Option<&str> {
        self.flags.iter().rev().find(|(k, _)| k == long).map(|(_, v)| v.as_str())
    }

    /// Every value of a repeatable flag (`-f a -f b`, `--from-literal`).
    pub fn all(&self, long: &str) -> Vec<&str> {
        self.flags.iter().filter(|(k, _)| k == long).map(|(_, v)| v.as_str()).collect()
    }

    pub fn is_set(&self, long: &str) -> bool {
        self.get(long) == Some("true")
    }
}

fn find_long<'a>(specs: &[&'a [Flag]], long: &str) -> Option<&'a Flag> {
    specs.iter().flat_map(|s| s.iter()).find(|f| f.long == long)
}

fn find_short<'a>(specs: &[&'a [Flag]], short: char) -> Option<&'a Flag> {
    specs.iter().flat_map(|s| s.iter()).find(|f| f.short == Some(short))
}

fn parse_bool(flag: &str, value: &str) -> Result<String, FlagError> {
    match value {
        "1" | "t" | "T" | "true" | "TRUE" | "True" => Ok("true".into()),
        "0" | "f" | "F" | "false" | "FALSE" | "False" => Ok("false".into()),
        _ => Err(FlagError::BadBool { flag: flag.into(), value: value.into() }),
    }
}

/// Parses `words` against the given flag sets. With `stop_at_first_arg`, parsing
/// stops at the first non-flag word, which is left (with the rest) in `rest`.
pub fn parse(words: &[String], specs: &[&[Flag]], stop_at_first_arg: bool) -> Result<(Parsed, Vec<String>), FlagError> {
    let mut out = Parsed::default();
    let mut i = 0;
    while i < words.len() {
        let w = &words[i];
        i += 1;
        if w == "--" {
            out.after_dash = Some(words[i..].to_vec());
            return Ok((out, Vec::new()));
        }
        if let Some(body) = w.strip_prefix("--") {
            let (name, inline) = match body.split_once('=') {
                Some((n, v)) => (n, Some(v)),
                None => (body, None),
            };
            let flag = find_long(specs, name).ok_or_else(|| FlagError::UnknownLong(name.into()))?;
            let value = match (flag.arity, inline) {
                (Arity::Bool, None) => "true".to_string(),
                (Arity::Bool, Some(v)) => parse_bool(name, v)?,
                (Arity::Optional(default), None) => default.to_string(),
                (_, Some(v)) => v.to_string(),
                (Arity::Value, None) => {
                    let v = words.get(i).ok_or_else(|| FlagError::MissingLong(name.into()))?;
                    i += 1;
                    v.clone()
                }
            };
            out.flags.push((flag.long.to_string(), value));
            continue;
        }
        if w.len() > 1 && w.starts_with('-') {
            let shorts: Vec<char> = w[1..].chars().collect();
            let mut j = 0;
            while j < shorts.len() {
                let c = shorts[j];
                let flag = find_short(specs, c).ok_or_else(|| FlagError::UnknownShort(c, w[1..].to_string()))?;
                let rest: String = shorts[j + 1..].iter().collect();
                match flag.arity {
                    Arity::Bool => {
                        if let Some(v) = rest.strip_prefix('=') {
                            out.flags.push((flag.long.into(), parse_bool(flag.long, v)?));
                            break;
                        }
                        out.flags.push((flag.long.into(), "true".into()));
                        j += 1;
                    }
                    Arity::Optional(default) => {
                        let v = rest.strip_prefix('=').unwrap_or(default);
                        out.flags.push((flag.long.into(), v.into()));
                        break;
                    }
                    Arity::Value => {
                        let value = if !rest.is_empty() {
                            rest.strip_prefix('=').unwrap_or(&rest).to_string()
                        } else {
                            let v = words.get(i).ok_or_else(|| FlagError::MissingShort(c, w[1..].to_string()))?;
                            i += 1;
                            v.clone()
                        };
                        out.flags.push((flag.long.into(), value));
                        break;
                    }
                }
            }
            continue;
        }
        if stop_at_first_arg {
            return Ok((out, words[i - 1..].to_vec()));
        }
        out.args.push(w.clone());
    }
    Ok((out, Vec::new()))
}

#[cfg(test)]
mod tests {
    use super::*;

    const GET: &[Flag] = &[value_flag("output", Some('o')), value_flag("selector", Some('l')), bool_flag("watch", Some('w')), bool_flag("all-namespaces", Some('A'))];
    const EXEC: &[Flag] = &[bool_flag("stdin", Some('i')), bool_flag("tty", Some('t')), value_flag("container", Some('c'))];

    fn words(s: &str) -> Vec<String> {
        s.split_whitespace().map(str::to_string).collect()
    }

    fn run(s: &str, spec: &[Flag]) -> Result<Parsed, FlagError> {
        parse(&words(s), &[GLOBAL, spec], false).map(|(p, _)| p)
    }

    #[test]
    fn flags_go_before_or_after_arguments_in_every_spelling() {
        let p = run("pods -n prod -oyaml --selector=app=web -w x", GET).unwrap();
        assert_eq!(p.args, ["pods", "x"]);
        assert_eq!(p.get("namespace"), Some("prod"));
        assert_eq!(p.get("output"), Some("yaml"));
        assert_eq!(p.get("selector"), Some("app=web"));
        assert!(p.is_set("watch"));
        let p = run("--namespace prod pods -o=wide -A", GET).unwrap();
        assert_eq!(p.get("namespace"), Some("prod"));
        assert_eq!(p.get("output"), Some("wide"));
        assert!(p.is_set("all-namespaces"));
    }

    #[test]
    fn bundled_booleans_and_the_double_dash() {
        let p = run("-it my-pod -c api -- sh -c ls", EXEC).unwrap();
        assert!(p.is_set("stdin") && p.is_set("tty"));
        assert_eq!(p.args, ["my-pod"]);
        assert_eq!(p.get("container"), Some("api"));
        assert_eq!(p.after_dash.unwrap(), ["sh", "-c", "ls"]);
    }

    #[test]
    fn errors_are_worded_as_kubectl_words_them() {
        assert_eq!(run("pods --foo", GET).unwrap_err().to_string(), "unknown flag: --foo");
        assert_eq!(run("pods -x", GET).unwrap_err().to_string(), "unknown shorthand flag: 'x' in -x");
        assert_eq!(run("pods -n", GET).unwrap_err().to_string(), "flag needs an argument: 'n' in -n");
        assert_eq!(run("pods --output", GET).unwrap_err().to_string(), "flag needs an argument: --output");
    }

    #[test]
    fn stopping_at_the_first_argument_leaves_the_rest() {
        let (p, rest) = parse(&words("-n production get pods -o wide"), &[GLOBAL], true).unwrap();
        assert_eq!(p.get("namespace"), Some("production"));
        assert_eq!(rest, ["get", "pods", "-o", "wide"]);
    }
}
