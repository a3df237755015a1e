//! The part of kubectl's JSONPath templates people type: `{.items[*].metadata.name}`,
//! `{.spec.replicas}`, `['key']`, `[?(@.type=="Ready")]`, `{range …}{end}` and `{"\n"}`.
//! Missing fields print nothing, as `kubectl get -o jsonpath` allows them.

use serde_json::Value;
use thiserror::Error;

#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum JsonPathError {
    #[error("error parsing jsonpath {0}, unclosed action")]
    Unclosed(String),
    #[error("error parsing jsonpath {0}, unrecognized character in action: {1}")]
    Unrecognized(String, String),
    #[error("error parsing jsonpath {0}, not in range, nothing to end")]
    NothingToEnd(String),
}

#[derive(Debug, Clone, PartialEq)]
enum Step {
    Field(String),
    All,
    Index(i64),
    Filter { path: Vec<Step>, equals: Option<String> },
}

#[derive(Debug, Clone, PartialEq)]
enum Node {
    Text(String),
    Path(Vec<Step>),
    Range(Vec<Step>, Vec<Node>),
}

/// Renders `template` against `data`.
pub fn evaluate(template: &str, data: &Value) -> Result<String, JsonPathError> {
    let actions = split_actions(template)?;
    let mut pos = 0;
    let nodes = build(&actions, &mut pos, template, false)?;
    let mut out = String::new();
    render(&nodes, data, &mut out);
    Ok(out)
}

enum Piece {
    Text(String),
    Action(String),
}

fn split_actions(template: &str) -> Result<Vec<Piece>, JsonPathError> {
    let mut out = Vec::new();
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        if open > 0 {
            out.push(Piece::Text(rest[..open].to_string()));
        }
        let after = &rest[open + 1..];
        let mut depth = 0;
        let mut in_quote: Option<char> = None;
        let mut close = None;
        for (i, c) in after.char_indices() {
            match (in_quote, c) {
                (Some(q), c) if c == q => in_quote = None,
                (Some(_), _) => {}
                (None, '"' | '\'') => in_quote = Some(c),
                (None, '{') => depth += 1,
                (None, '}') if depth == 0 => {
                    close = Some(i);
                    break;
                }
                (None, '}') => depth -= 1,
                _ => {}
            }
        }
        let close = close.ok_or_else(|| JsonPathError::Unclosed(template.to_string()))?;
        out.push(Piece::Action(after[..close].trim().to_string()));
        rest = &after[close + 1..];
    }
    if !rest.is_empty() {
        out.push(Piece::Text(rest.to_string()));
    }
    Ok(out)
}

fn build(pieces: &[Piece], pos: &mut usize, template: &str, in_range: bool) -> Result<Vec<Node>, JsonPathError> {
    let mut nodes = Vec::new();
    while *pos < pieces.len() {
        let piece = &pieces[*pos];
        *pos += 1;
        match piece {
            Piece::Text(t) => nodes.push(Node::Text(t.clone())),
            Piece::Action(a) if a == "end" => {
                if !in_range {
                    return Err(JsonPathError::NothingToEnd(template.to_string()));
                }
                return Ok(nodes);
            }
            Piece::Action(a) => {
                if let Some(path) = a.strip_prefix("range ") {
                    let steps = parse_path(path.trim(), template)?;
                    let body = build(pieces, pos, template, true)?;
                    nodes.push(Node::Range(steps, body));
                } else if let Some(lit) = string_literal(a) {
                    nodes.push(Node::Text(lit));
                } else {
                    nodes.push(Node::Path(parse_path(a, template)?));
                }
            }
        }
    }
    if in_range {
        return Err(JsonPathError::Unclosed(template.to_string()));
    }
    Ok(nodes)
}

fn string_literal(a: &str) -> Option<String> {
    let inner = a.strip_prefix('"')?.strip_suffix('"')?;
    Some(inner.replace("\\n", "\n").replace("\\t", "\t").replace("\\\"", "\""))
}

fn parse_path(expr: &str, template: &str) -> Result<Vec<Step>, JsonPathError> {
    let bad = |s: &str| JsonPathError::Unrecognized(template.to_string(), s.to_string());
    let mut steps = Vec::new();
    let chars: Vec<char> = expr.chars().collect();
    let mut i = 0;
    if chars.first() == Some(&'$') || chars.first() == Some(&'@') {
        i = 1;
    }
    while i < chars.len() {
        match chars[i] {
            '.' => {
                i += 1;
                let start = i;
                while i < chars.len() && chars[i] != '.' && chars[i] != '[' {
                    i += 1;
                }
                let name: String = chars[start..i].iter().collect();
                match name.as_str() {
                    "" => {}
                    "*" => steps.push(Step::All),
                    _ => steps.push(Step::Field(name)),
                }
            }
            '[' => {
                let start = i + 1;
                let mut depth = 0;
                let mut end = None;
                for (j, c) in chars.iter().enumerate().skip(start) {
                    match c {
                        '[' => depth += 1,
                        ']' if depth == 0 => {
                            end = Some(j);
                            break;
                        }
                        ']' => depth -= 1,
                        _ => {}
                    }
                }
                let end = end.ok_or_else(|| bad("["))?;
                let inner: String = chars[start..end].iter().collect();
                let inner = inner.trim();
                i = end + 1;
                if inner == "*" {
                    steps.push(Step::All);
                } else if let Some(filter) = inner.strip_prefix("?(").and_then(|f| f.strip_suffix(')')) {
                    let (path, equals) = match filter.split_once("==") {
                        Some((p, v)) => (p.trim(), Some(v.trim().trim_matches(|c| c == '"' || c == '\'').to_string())),
                        None => (filter.trim(), None),
                    };
                    steps.push(Step::Filter { path: parse_path(path, template)?, equals });
                } else if let Ok(n) = inner.parse::<i64>() {
                    steps.push(Step::Index(n));
                } else if let Some(key) = inner.strip_prefix('\'').and_then(|k| k.strip_suffix('\'')).or_else(|| inner.strip_prefix('"').and_then(|k| k.strip_suffix('"'))) {
                    steps.push(Step::Field(key.to_string()));
                } else {
                    return Err(bad(inner));
                }
            }
            c if c.is_whitespace() => i += 1,
            c => {
                // A bare leading name, as in `{items[0]}`.
                let start = i;
                while i < chars.len() && chars[i] != '.' && chars[i] != '[' {
                    i += 1;
                }
                let name: String = chars[start..i].iter().collect();
                if !c.is_alphanumeric() {
                    return Err(bad(&name));
                }
                steps.push(Step::Field(name));
            }
        }
    }
    Ok(steps)
}

fn select<'a>(values: Vec<&'a Value>, steps: &[Step]) -> Vec<&'a Value> {
    let mut current = values;
    for step in steps {
        let mut next = Vec::new();
        for v in current {
            match step {
                Step::Field(name) => next.extend(v.get(name)),
                Step::All => match v {
                    Value::Array(a) => next.extend(a.iter()),
                    Value::Object(m) => next.extend(m.values()),
                    _ => {}
                },
                Step::Index(n) => {
                    if let Some(a) = v.as_array() {
                        let idx = if *n < 0 { a.len() as i64 + n } else { *n };
                        if let Some(x) = usize::try_from(idx).ok().and_then(|i| a.get(i)) {
                            next.push(x);
                        }
                    }
                }
                Step::Filter { path, equals } => {
                    for item in v.as_array().into_iter().flatten() {
                        let found = select(vec![item], path);
                        let keep = match equals {
                            Some(want) => found.iter().any(|f| scalar(f) == *want),
                            None => !found.is_empty(),
                        };
                        if keep {
                            next.push(item);
                        }
                    }
                }
            }
        }
        current = next;
    }
    current
}

fn scalar(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

fn render(nodes: &[Node], data: &Value, out: &mut String) {
    for node in nodes {
        match node {
            Node::Text(t) => out.push_str(t),
            Node::Path(steps) => {
                let found = select(vec![data], steps);
                out.push_str(&found.iter().map(|v| scalar(v)).collect::<Vec<_>>().join(" "));
            }
            Node::Range(steps, body) => {
                for item in select(vec![data], steps) {
                    render(body, item, out);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn pods() -> Value {
        json!({"kind": "List", "items": [
            {"metadata": {"name": "a", "labels": {"app": "web"}}, "status": {"conditions": [{"type": "Ready", "status": "True"}]}},
            {"metadata": {"name": "b"}, "status": {"conditions": [{"type": "Ready", "status": "False"}]}}
        ]})
    }

    #[test]
    fn names_of_all_items_are_space_separated() {
        assert_eq!(evaluate("{.items[*].metadata.name}", &pods()).unwrap(), "a b");
        assert_eq!(evaluate("{.items[0].metadata.labels['app']}", &pods()).unwrap(), "web");
        assert_eq!(evaluate("{.items[-1].metadata.name}", &pods()).unwrap(), "b");
    }

    #[test]
    fn ranges_filters_and_literals() {
        let t = r#"{range .items[*]}{.metadata.name}{"\t"}{.status.conditions[?(@.type=="Ready")].status}{"\n"}{end}"#;
        assert_eq!(evaluate(t, &pods()).unwrap(), "a\tTrue\nb\tFalse\n");
        assert_eq!(evaluate("name={.items[1].metadata.name}", &pods()).unwrap(), "name=b");
    }

    #[test]
    fn missing_fields_print_nothing_and_bad_templates_are_named() {
        assert_eq!(evaluate("{.nothing.here}", &pods()).unwrap(), "");
        assert_eq!(evaluate("{.items", &pods()).unwrap_err().to_string(), "error parsing jsonpath {.items, unclosed action");
    }
}
