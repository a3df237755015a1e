//! Turns what the server sent into what kubectl prints: server-side Tables as
//! aligned columns (`-o wide`, `-A`, `--show-labels`), and objects as
//! `-o yaml|json|name|jsonpath=…`.

use super::client::{CmdError, CmdResult};
use super::discovery::ApiResource;
use super::jsonpath;
use super::tabwriter;
use crate::manifest::to_yaml;
use serde::Serialize;
use serde_json::{json, Value};

/// How `kubectl get` prints.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Output {
    Table { wide: bool },
    Json,
    Yaml,
    Name,
    JsonPath(String),
}

impl Output {
    pub fn parse(flag: Option<&str>) -> CmdResult<Self> {
        Ok(match flag {
            None | Some("") => Self::Table { wide: false },
            Some("wide") => Self::Table { wide: true },
            Some("json") => Self::Json,
            Some("yaml") => Self::Yaml,
            Some("name") => Self::Name,
            Some(other) => match other.split_once('=') {
                Some(("jsonpath", expr)) => Self::JsonPath(expr.to_string()),
                _ => {
                    return Err(CmdError::usage(format!(
                        "unable to match a printer suitable for the output format \"{other}\", allowed formats are: json,jsonpath,name,wide,yaml"
                    )))
                }
            },
        })
    }

    pub fn is_table(&self) -> bool {
        matches!(self, Self::Table { .. })
    }
}

/// What a printed table shows besides the server's columns.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TableOptions {
    pub wide: bool,
    pub namespace_column: bool,
    pub show_labels: bool,
    /// `pod/` before names when several types are printed together.
    pub kind_prefix: Option<String>,
    pub no_headers: bool,
}

/// A Table reduced to printable text cells.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Printed {
    pub header: Vec<String>,
    pub rows: Vec<Vec<String>>,
}

impl Printed {
    /// Aligned text: header (unless empty) and rows.
    pub fn render(&self, with_header: bool) -> String {
        let mut t = String::new();
        if with_header && !self.header.is_empty() {
            t.push_str(&self.header.join("\t"));
            t.push('\n');
        }
        for r in &self.rows {
            t.push_str(&r.join("\t"));
            t.push('\n');
        }
        tabwriter::align(&t, tabwriter::GET)
    }
}

/// A cell as kubectl prints it: strings up to their first line break.
pub fn cell_text(v: &Value) -> String {
    match v {
        Value::String(s) => match s.find(['\n', '\r']) {
            Some(i) => format!("{}...", &s[..i]),
            None => s.clone(),
        },
        Value::Null => "<none>".into(),
        other => other.to_string(),
    }
}

/// `app=web,tier=db` (sorted) or `<none>`.
pub fn labels_text(metadata: &Value) -> String {
    match metadata.get("labels").and_then(Value::as_object) {
        Some(m) if !m.is_empty() => m.iter().map(|(k, v)| format!("{k}={}", v.as_str().unwrap_or(""))).collect::<Vec<_>>().join(","),
        _ => "<none>".into(),
    }
}

/// The columns and rows of a server Table, with kubectl's extra columns.
/// `columns` comes from the first Table of a watch when later ones carry none.
pub fn from_table(table: &Value, columns: Option<&Value>, opts: &TableOptions) -> Printed {
    let defs = table
        .get("columnDefinitions")
        .and_then(Value::as_array)
        .filter(|d| !d.is_empty())
        .or_else(|| columns.and_then(Value::as_array))
        .cloned()
        .unwrap_or_default();
    let shown: Vec<usize> = defs
        .iter()
        .enumerate()
        .filter(|(_, c)| opts.wide || c.get("priority").and_then(Value::as_i64).unwrap_or(0) == 0)
        .map(|(i, _)| i)
        .collect();
    let mut header: Vec<String> = Vec::new();
    if opts.namespace_column {
        header.push("NAMESPACE".into());
    }
    header.extend(shown.iter().map(|&i| defs[i].get("name").and_then(Value::as_str).unwrap_or("").to_uppercase()));
    if opts.show_labels {
        header.push("LABELS".into());
    }
    let mut rows = Vec::new();
    for row in table.get("rows").and_then(Value::as_array).into_iter().flatten() {
        let cells = row.get("cells").and_then(Value::as_array).cloned().unwrap_or_default();
        let metadata = row.pointer("/object/metadata").cloned().unwrap_or(Value::Null);
        let mut out = Vec::new();
        if opts.namespace_column {
            out.push(metadata.get("namespace").and_then(Value::as_str).unwrap_or("").to_string());
        }
        for &i in &shown {
            let mut text = cells.get(i).map_or_else(String::new, cell_text);
            if i == 0 {
                if let Some(prefix) = &opts.kind_prefix {
                    text = format!("{prefix}/{text}");
                }
            }
            out.push(text);
        }
        if opts.show_labels {
            out.push(labels_text(&metadata));
        }
        rows.push(out);
    }
    Printed { header, rows }
}

/// JSON as kubectl prints it: four-space indent, keys sorted.
pub fn json_text(v: &Value) -> String {
    let mut buf = Vec::new();
    let formatter = serde_json::ser::PrettyFormatter::with_indent(b"    ");
    let mut ser = serde_json::Serializer::with_formatter(&mut buf, formatter);
    if v.serialize(&mut ser).is_err() {
        return String::new();
    }
    format!("{}\n", String::from_utf8_lossy(&buf))
}

/// Puts back `apiVersion`/`kind` that list items lack on the wire.
pub fn with_type(mut obj: Value, resource: &ApiResource) -> Value {
    if let Some(m) = obj.as_object_mut() {
        m.entry("apiVersion").or_insert_with(|| json!(resource.api_version()));
        m.entry("kind").or_insert_with(|| json!(resource.kind));
    }
    obj
}

/// The `kind: List` kubectl prints for several objects.
pub fn list_of(items: Vec<Value>) -> Value {
    json!({"apiVersion": "v1", "items": items, "kind": "List", "metadata": {"resourceVersion": ""}})
}

/// Prints objects in a non-table format; one object prints on its own, several as a List.
pub fn print_objects(objects: Vec<Value>, single: bool, resources: &[&ApiResource], output: &Output) -> CmdResult<String> {
    let value = if single && objects.len() == 1 { objects[0].clone() } else { list_of(objects.clone()) };
    Ok(match output {
        Output::Json => json_text(&value),
        Output::Yaml => to_yaml(&value),
        Output::Name => objects
            .iter()
            .zip(resources)
            .map(|(o, r)| format!("{}/{}\n", r.kind_prefix(), o.pointer("/metadata/name").and_then(Value::as_str).unwrap_or("")))
            .collect(),
        Output::JsonPath(expr) => jsonpath::evaluate(expr, &value).map_err(|e| CmdError::usage(e.to_string()))?,
        Output::Table { .. } => String::new(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table() -> Value {
        json!({
            "kind": "Table",
            "columnDefinitions": [
                {"name": "Name", "priority": 0}, {"name": "Ready", "priority": 0},
                {"name": "Age", "priority": 0}, {"name": "IP", "priority": 1}
            ],
            "rows": [
                {"cells": ["my-api-1", "1/1", "5s", "10.244.1.2"], "object": {"metadata": {"name": "my-api-1", "namespace": "default", "labels": {"app": "my-api"}}}},
                {"cells": ["db", "0/1", "3m20s", "<none>"], "object": {"metadata": {"name": "db", "namespace": "prod"}}}
            ]
        })
    }

    #[test]
    fn priority_columns_only_show_wide() {
        let p = from_table(&table(), None, &TableOptions::default());
        assert_eq!(p.render(true), "NAME       READY   AGE\nmy-api-1   1/1     5s\ndb         0/1     3m20s\n");
        let wide = from_table(&table(), None, &TableOptions { wide: true, ..Default::default() });
        assert_eq!(wide.header, ["NAME", "READY", "AGE", "IP"]);
    }

    #[test]
    fn all_namespaces_labels_and_prefixes() {
        let opts = TableOptions { namespace_column: true, show_labels: true, kind_prefix: Some("pod".into()), ..Default::default() };
        let p = from_table(&table(), None, &opts);
        assert_eq!(
            p.render(true),
            "NAMESPACE   NAME           READY   AGE     LABELS\ndefault     pod/my-api-1   1/1     5s      app=my-api\nprod        pod/db         0/1     3m20s   <none>\n"
        );
    }

    #[test]
    fn unknown_output_formats_are_refused() {
        assert_eq!(
            Output::parse(Some("xml")).unwrap_err().to_string(),
            "error: unable to match a printer suitable for the output format \"xml\", allowed formats are: json,jsonpath,name,wide,yaml"
        );
        assert_eq!(Output::parse(Some("jsonpath={.a}")).unwrap(), Output::JsonPath("{.a}".into()));
    }

    #[test]
    fn json_uses_four_spaces() {
        assert_eq!(json_text(&json!({"b": 1, "a": [true]})), "{\n    \"a\": [\n        true\n    ],\n    \"b\": 1\n}\n");
    }
}
