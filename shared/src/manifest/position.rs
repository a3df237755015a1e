//! Where each field of a parsed manifest was written, so a validation error's
//! field path (`spec.template.spec.containers[0].image`) can point at the source.

use std::collections::BTreeMap;
use std::fmt;

/// A place in the source text; both numbers start at 1, as editors show them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Position {
    pub line: usize,
    pub column: usize,
}

impl Position {
    pub fn new(line: usize, column: usize) -> Self {
        Self { line, column }
    }
}

impl fmt::Display for Position {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.line, self.column)
    }
}

/// The positions of one value and, mirroring its shape, of everything inside it.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct SpanTree {
    /// Where the value starts (for a block mapping, its first key).
    pub value: Position,
    pub children: SpanChildren,
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) enum SpanChildren {
    Leaf,
    /// Each key with the position of the key itself and the tree of its value.
    Map(BTreeMap<String, (Position, SpanTree)>),
    Seq(Vec<SpanTree>),
}

impl SpanTree {
    pub fn leaf(value: Position) -> Self {
        Self {
            value,
            children: SpanChildren::Leaf,
        }
    }

    /// The deepest node the path reaches, its key position if it was reached
    /// through a map key, and whether the whole path was found.
    pub fn locate(&self, path: &[Segment]) -> Located<'_> {
        let mut node = self;
        let mut key = None;
        for segment in path {
            let next = match (&node.children, segment) {
                (SpanChildren::Map(entries), Segment::Key(k)) => {
                    entries.get(k.as_str()).map(|(p, t)| (Some(*p), t))
                }
                (SpanChildren::Map(entries), Segment::Index(n)) => entries
                    .get(n.to_string().as_str())
                    .map(|(p, t)| (Some(*p), t)),
                (SpanChildren::Seq(items), Segment::Index(n)) => items.get(*n).map(|t| (None, t)),
                _ => None,
            };
            match next {
                Some((k, t)) => {
                    key = k;
                    node = t;
                }
                None => {
                    return Located {
                        node,
                        key,
                        complete: false,
                    }
                }
            }
        }
        Located {
            node,
            key,
            complete: true,
        }
    }

    /// The subtree at a path, if every step exists.
    pub fn subtree(&self, path: &[Segment]) -> Option<&SpanTree> {
        let found = self.locate(path);
        found.complete.then_some(found.node)
    }
}

pub(crate) struct Located<'a> {
    pub node: &'a SpanTree,
    pub key: Option<Position>,
    pub complete: bool,
}

impl Located<'_> {
    /// A field is best shown at its key (`image:`); list items and the root
    /// have no key, so their value is shown.
    pub fn position(&self) -> Position {
        self.key.unwrap_or(self.node.value)
    }
}

/// One step of a Kubernetes field path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Segment {
    /// `.name` or `[name]`: both are map keys once the schema is gone.
    Key(String),
    /// `[3]`: a list index, or a map key spelled with digits.
    Index(usize),
}

/// Splits `spec.containers[0].env[1].name` or `metadata.labels[app.kubernetes.io/name]`.
/// Brackets hold anything up to the closing `]`, dots included.
pub(crate) fn parse_field_path(path: &str) -> Vec<Segment> {
    let mut segments = Vec::new();
    let mut current = String::new();
    let mut chars = path.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '.' => {
                if !current.is_empty() {
                    segments.push(Segment::Key(std::mem::take(&mut current)));
                }
            }
            '[' => {
                if !current.is_empty() {
                    segments.push(Segment::Key(std::mem::take(&mut current)));
                }
                let mut inner = String::new();
                for c in chars.by_ref() {
                    if c == ']' {
                        break;
                    }
                    inner.push(c);
                }
                let is_index = !inner.is_empty() && inner.bytes().all(|b| b.is_ascii_digit());
                match inner.parse::<usize>() {
                    Ok(n) if is_index => segments.push(Segment::Index(n)),
                    _ => segments.push(Segment::Key(inner)),
                }
            }
            _ => current.push(c),
        }
    }
    if !current.is_empty() {
        segments.push(Segment::Key(current));
    }
    segments
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn field_paths_split_into_keys_and_indices() {
        assert_eq!(
            parse_field_path("spec.template.spec.containers[0].image"),
            vec![
                Segment::Key("spec".into()),
                Segment::Key("template".into()),
                Segment::Key("spec".into()),
                Segment::Key("containers".into()),
                Segment::Index(0),
                Segment::Key("image".into()),
            ]
        );
        assert_eq!(
            parse_field_path("metadata.annotations[kubernetes.io/ingress.class]"),
            vec![
                Segment::Key("metadata".into()),
                Segment::Key("annotations".into()),
                Segment::Key("kubernetes.io/ingress.class".into()),
            ]
        );
        assert_eq!(parse_field_path(""), vec![]);
        assert_eq!(
            parse_field_path("items[12]"),
            vec![Segment::Key("items".into()), Segment::Index(12)]
        );
    }
}
