//! Why a manifest could not be read, worded as kubectl words it (go-yaml's
//! messages behind `error converting YAML to JSON:`), with the true source position.

use super::position::Position;
use thiserror::Error;

/// A manifest that cannot become JSON objects.
///
/// `position` is where the problem really is (for the editor to highlight);
/// the message keeps go-yaml's own line numbering, which for parser errors is
/// one less than the real line, because that is what kubectl prints.
#[derive(Debug, Clone, PartialEq, Error)]
#[error("{kind}")]
pub struct ManifestError {
    pub kind: ManifestErrorKind,
    pub position: Position,
    /// Index among the non-empty documents of the stream (the one being read).
    pub document: usize,
}

impl ManifestError {
    pub(crate) fn new(kind: ManifestErrorKind, position: Position, document: usize) -> Self {
        Self {
            kind,
            position,
            document,
        }
    }

    /// The whole line kubectl prints after `error: ` for a file it could not
    /// read: `error parsing pod.yaml: error converting YAML to JSON: yaml: line 5: …`.
    pub fn kubectl_message(&self, source: &str) -> String {
        match self.kind {
            ManifestErrorKind::NotOneDocument { .. } => self.to_string(),
            _ => format!("error parsing {source}: error converting YAML to JSON: {self}"),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Error)]
pub enum ManifestErrorKind {
    /// Not well-formed YAML: `yaml: line 5: mapping values are not allowed in this context`.
    #[error("yaml: {}{problem}", line_prefix(*.line))]
    Syntax {
        problem: String,
        /// The line go-yaml names, if it names one.
        line: Option<usize>,
    },
    #[error("yaml: unmarshal errors:\n  line {line}: mapping key {key:?} already defined at line {first_line}")]
    DuplicateKey {
        key: String,
        line: usize,
        first_line: usize,
    },
    /// JSON has no infinity or NaN; Go's `encoding/json` refuses them.
    #[error("json: unsupported value: {0}")]
    UnsupportedValue(&'static str),
    #[error("yaml: unknown anchor '{0}' referenced")]
    UnknownAnchor(String),
    #[error("yaml: anchor '{0}' value contains itself")]
    RecursiveAlias(String),
    /// Too many alias expansions for the document's size (a "billion laughs").
    #[error("yaml: document contains excessive aliasing")]
    ExcessiveAliasing,
    #[error("yaml: map merge requires map or sequence of maps as the value")]
    MergeNotMap,
    /// A mapping or sequence used as a key.
    #[error("yaml: invalid map key: {0}")]
    InvalidKey(String),
    /// A key JSON cannot spell, such as `null` or a number above `i64::MAX`.
    #[error("unsupported map key of type: {type_name}, key: {key}")]
    UnsupportedKey {
        type_name: &'static str,
        key: String,
    },
    /// An explicit tag the scalar does not fit: `!!int abc`.
    #[error("yaml: cannot decode {found} `{text}` as a {tag}")]
    TagMismatch {
        found: &'static str,
        text: String,
        tag: String,
    },
    /// `parse_document` was given a stream that does not hold exactly one object.
    #[error("expected exactly one YAML document, found {found}")]
    NotOneDocument { found: usize },
}

fn line_prefix(line: Option<usize>) -> String {
    line.map(|l| format!("line {l}: ")).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kubectl_wraps_yaml_errors_with_the_file_name() {
        let e = ManifestError::new(
            ManifestErrorKind::Syntax {
                problem: "did not find expected key".into(),
                line: Some(4),
            },
            Position::new(5, 2),
            0,
        );
        assert_eq!(
            e.kubectl_message("pod.yaml"),
            "error parsing pod.yaml: error converting YAML to JSON: yaml: line 4: did not find expected key"
        );
    }

    #[test]
    fn duplicate_keys_read_like_go_yaml() {
        let kind = ManifestErrorKind::DuplicateKey {
            key: "name".into(),
            line: 7,
            first_line: 5,
        };
        assert_eq!(
            kind.to_string(),
            "yaml: unmarshal errors:\n  line 7: mapping key \"name\" already defined at line 5"
        );
    }
}
