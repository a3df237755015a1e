//! An apply report as the editor shows it: one message per document (kubectl's line, or the
//! error naming its line and field), and the lines to mark in the gutter.

use crate::protocol::ApplyReport;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tone {
    /// Created, configured or unchanged.
    Applied,
    /// Valid, but not applied because another document is not.
    Skipped,
    Error,
}

/// One line of the results.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    pub tone: Tone,
    pub text: String,
    /// The source line it is about (1-based), when known.
    pub line: Option<usize>,
}

/// The report's messages, in document order.
pub fn messages(report: &ApplyReport) -> Vec<Message> {
    if let Some(err) = &report.syntax_error {
        return vec![error(err.line, &err.message)];
    }
    if report.documents.is_empty() {
        return vec![Message {
            tone: Tone::Error,
            text: "error: no objects passed to apply".into(),
            line: None,
        }];
    }
    report
        .documents
        .iter()
        .map(|doc| match (&doc.error, &doc.applied) {
            (Some(err), _) => error(err.line, &err.message),
            (None, Some(_)) => Message {
                tone: Tone::Applied,
                text: doc.summary.clone(),
                line: None,
            },
            (None, None) => Message {
                tone: Tone::Skipped,
                text: doc.summary.clone(),
                line: None,
            },
        })
        .collect()
}

fn error(line: usize, message: &str) -> Message {
    match line {
        0 => Message {
            tone: Tone::Error,
            text: message.to_string(),
            line: None,
        },
        n => Message {
            tone: Tone::Error,
            text: format!("line {n}: {message}"),
            line: Some(n),
        },
    }
}

/// The lines to mark, each with what is wrong there (several errors on a line are joined).
pub fn error_lines(report: &ApplyReport) -> Vec<(usize, String)> {
    let mut lines: Vec<(usize, String)> = Vec::new();
    for message in messages(report) {
        let Some(line) = message.line else { continue };
        match lines.iter_mut().find(|(l, _)| *l == line) {
            Some((_, text)) => {
                text.push('\n');
                text.push_str(&message.text);
            }
            None => lines.push((line, message.text)),
        }
    }
    lines.sort_by_key(|(line, _)| *line);
    lines
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::{DocumentReport, SourceError};

    fn doc(
        index: usize,
        applied: Option<&str>,
        error: Option<(usize, &str)>,
        summary: &str,
    ) -> DocumentReport {
        DocumentReport {
            document: index,
            object: "x".into(),
            namespace: None,
            applied: applied.map(str::to_string),
            error: error.map(|(line, message)| SourceError {
                message: message.into(),
                line,
                column: 3,
            }),
            summary: summary.into(),
        }
    }

    #[test]
    fn errors_name_their_line_and_the_rest_keeps_kubectls_words() {
        let report = ApplyReport {
            syntax_error: None,
            documents: vec![
                doc(
                    0,
                    None,
                    None,
                    "configmap/app-config not applied: the file has errors",
                ),
                doc(1, None, Some((14, "spec.replicas: Invalid value: -1")), ""),
                doc(2, None, Some((0, "somewhere")), ""),
            ],
        };
        let texts: Vec<(Tone, String)> = messages(&report)
            .into_iter()
            .map(|m| (m.tone, m.text))
            .collect();
        assert_eq!(
            texts,
            [
                (
                    Tone::Skipped,
                    "configmap/app-config not applied: the file has errors".to_string()
                ),
                (
                    Tone::Error,
                    "line 14: spec.replicas: Invalid value: -1".to_string()
                ),
                (Tone::Error, "somewhere".to_string()),
            ]
        );
        assert_eq!(
            error_lines(&report),
            [(14, "line 14: spec.replicas: Invalid value: -1".to_string())]
        );
    }

    #[test]
    fn a_syntax_error_is_the_only_message() {
        let report = ApplyReport {
            syntax_error: Some(SourceError {
                message: "error parsing a.yaml: yaml: line 4: bad".into(),
                line: 5,
                column: 1,
            }),
            documents: vec![],
        };
        assert_eq!(
            error_lines(&report),
            [(
                5,
                "line 5: error parsing a.yaml: yaml: line 4: bad".to_string()
            )]
        );
    }

    #[test]
    fn applied_documents_print_as_kubectl_does_and_an_empty_file_is_an_error() {
        let report = ApplyReport {
            syntax_error: None,
            documents: vec![doc(
                0,
                Some("created"),
                None,
                "deployment.apps/my-api created",
            )],
        };
        assert_eq!(
            messages(&report)[0],
            Message {
                tone: Tone::Applied,
                text: "deployment.apps/my-api created".into(),
                line: None
            }
        );
        assert_eq!(
            messages(&ApplyReport::default())[0].text,
            "error: no objects passed to apply"
        );
    }
}
