//! Field paths into API objects, as lesson checks name them: `status.readyReplicas`,
//! `spec.ports[0].nodePort`, `metadata.annotations[kubeplay.dev/fault]` and
//! `status.conditions[type=Ready].status` (the list item whose `type` is `Ready`).
//!
//! Kept apart from the checker so a teacher's typo in a path is reported when the
//! lesson file is read, not silently never matched.

use serde_json::Value;
use std::fmt;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Segment {
    Key(String),
    Index(usize),
    /// The first list item whose field `key` has the text `value`.
    Match {
        key: String,
        value: String,
    },
}

/// A parsed field path; displays as it was written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldPath {
    text: String,
    segments: Vec<Segment>,
}

impl fmt::Display for FieldPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

impl FieldPath {
    /// Reads `a.b[0].c[key=value].d[some.dotted/key]`; the error says what is wrong.
    pub fn parse(text: &str) -> Result<Self, String> {
        let mut segments = Vec::new();
        let mut rest = text.trim();
        if rest.is_empty() {
            return Err("a field path must not be empty".into());
        }
        let mut expect_key = true;
        while !rest.is_empty() {
            if let Some(after) = rest.strip_prefix('[') {
                let end = after
                    .find(']')
                    .ok_or_else(|| format!("unclosed [ in field path {text:?}"))?;
                let inside = &after[..end];
                segments.push(bracket(inside, text)?);
                rest = &after[end + 1..];
                expect_key = false;
            } else if let Some(after) = rest.strip_prefix('.') {
                if expect_key {
                    return Err(format!("empty field name in field path {text:?}"));
                }
                rest = after;
                expect_key = true;
            } else {
                if !expect_key {
                    return Err(format!("expected . or [ in field path {text:?}"));
                }
                let end = rest.find(['.', '[']).unwrap_or(rest.len());
                segments.push(Segment::Key(rest[..end].to_string()));
                rest = &rest[end..];
                expect_key = false;
            }
        }
        if expect_key {
            return Err(format!("field path {text:?} ends with ."));
        }
        Ok(Self {
            text: text.trim().to_string(),
            segments,
        })
    }

    /// The value the path reaches in `obj`, if every step exists.
    pub fn resolve<'a>(&self, obj: &'a Value) -> Option<&'a Value> {
        let mut node = obj;
        for segment in &self.segments {
            node = match segment {
                Segment::Key(k) => node.get(k)?,
                Segment::Index(i) => node.get(*i)?,
                Segment::Match { key, value } => node
                    .as_array()?
                    .iter()
                    .find(|item| item.get(key).map(text_of).as_deref() == Some(value.as_str()))?,
            };
        }
        Some(node)
    }
}

fn bracket(inside: &str, whole: &str) -> Result<Segment, String> {
    if inside.is_empty() {
        return Err(format!("empty [] in field path {whole:?}"));
    }
    if let Ok(index) = inside.parse::<usize>() {
        return Ok(Segment::Index(index));
    }
    match inside.split_once('=') {
        Some((key, value)) if !key.is_empty() => Ok(Segment::Match {
            key: key.to_string(),
            value: value.to_string(),
        }),
        Some(_) => Err(format!(
            "[=value] needs a field name in field path {whole:?}"
        )),
        None => Ok(Segment::Key(inside.to_string())),
    }
}

/// A scalar as its text: strings as they are, numbers and booleans as JSON writes them.
pub fn text_of(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn paths_reach_keys_indexes_and_matching_items() {
        let pod = json!({
            "metadata": {"annotations": {"kubeplay.dev/fault": "readiness"}},
            "spec": {"containers": [{"name": "api", "image": "myapp:1.0"}]},
            "status": {"conditions": [{"type": "Scheduled", "status": "True"}, {"type": "Ready", "status": "False"}]}
        });
        let get = |p: &str| FieldPath::parse(p).unwrap().resolve(&pod).cloned();
        assert_eq!(get("spec.containers[0].image"), Some(json!("myapp:1.0")));
        assert_eq!(
            get("metadata.annotations[kubeplay.dev/fault]"),
            Some(json!("readiness"))
        );
        assert_eq!(
            get("status.conditions[type=Ready].status"),
            Some(json!("False"))
        );
        assert_eq!(get("status.conditions[type=Gone].status"), None);
        assert_eq!(get("spec.containers[3]"), None);
    }

    #[test]
    fn malformed_paths_say_what_is_wrong() {
        for bad in ["", "a..b", "a.", "a[0", "a[]", "a[0]b", "a[=x]"] {
            assert!(FieldPath::parse(bad).is_err(), "{bad:?} should not parse");
        }
        assert_eq!(
            FieldPath::parse(" status.phase ").unwrap().to_string(),
            "status.phase"
        );
    }
}
