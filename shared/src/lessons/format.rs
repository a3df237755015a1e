//! The lesson file: one YAML document per lesson (`lessons/03-deployments.yaml`), read
//! strictly so a teacher's mistake is reported at its line with the field's path, as the
//! editor reports a manifest's. `lessons/README.md` documents every field for teachers.

use super::path::FieldPath;
use crate::api::resources;
use crate::manifest::{parse_document, Document};
use crate::store::selector::LabelSelector;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use std::fmt;

/// A lesson: an explanation, the cluster it starts from and tasks checked live.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Lesson {
    /// Short and URL-safe: `deployments`; task states are stored under it.
    pub id: String,
    pub title: String,
    /// One line for the list of lessons.
    pub summary: String,
    /// Paragraphs separated by blank lines; `code` in backticks.
    pub explanation: String,
    /// Map parts the lesson points at (`api-server`, `etcd`, `scheduler`,
    /// `controller-manager`, `kubelet`, `kube-proxy`): the page outlines them.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub highlight: Vec<String>,
    /// Set when the lesson shows more on real nodes (agents); says what, and that the
    /// simulated nodes work for every task.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub real_nodes: Option<String>,
    /// Manifests (multi-document YAML) applied when the lesson starts or is reset.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub setup: String,
    pub tasks: Vec<Task>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Task {
    /// Unique within the lesson: `scale-up`.
    pub id: String,
    pub title: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub explanation: String,
    /// Terminal lines that do the task (the page offers to copy them; tests run them).
    pub steps: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub hints: Vec<String>,
    /// All must hold at once for the task to be done.
    pub check: Vec<Condition>,
}

/// One fact about the cluster: which objects, what is measured, what it must be.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Condition {
    pub kind: String,
    pub namespace: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub selector: Option<String>,
    /// Only objects whose field (path) has this value (as text).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub r#where: Vec<(String, Value)>,
    pub measure: Measure,
    pub expect: Expect,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", tag = "type", content = "path")]
pub enum Measure {
    /// Whether the named object exists.
    Exists,
    /// How many objects match.
    Count,
    /// A field of the named object.
    Field(String),
    /// How many items a list field of the named object has (0 when missing).
    Length(String),
    /// A numeric field added up over the matching objects.
    Sum(String),
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", tag = "type", content = "value")]
pub enum Expect {
    Equals(Value),
    AtLeast(f64),
    AtMost(f64),
    /// The object (or field) is there (`true`) or not (`false`).
    Present(bool),
    /// The field's text contains this.
    Contains(String),
}

/// A lesson file that cannot be used: where, which field and why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct LessonError {
    /// 1-based; 0 when the file as a whole is wrong.
    pub line: usize,
    pub column: usize,
    /// The field's path in the file: `tasks[1].check[0].atLeast`.
    pub field: String,
    pub message: String,
}

impl fmt::Display for LessonError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.field.is_empty() {
            write!(f, "line {}: {}", self.line, self.message)
        } else {
            write!(f, "line {}: {}: {}", self.line, self.field, self.message)
        }
    }
}

/// Reads one lesson file.
pub fn parse(source: &str) -> Result<Lesson, LessonError> {
    let doc = parse_document(source).map_err(|e| LessonError {
        line: e.position.line,
        column: e.position.column,
        field: String::new(),
        message: e.to_string(),
    })?;
    Reader { doc: &doc }.lesson()
}

const LESSON_FIELDS: &[&str] = &[
    "id",
    "title",
    "summary",
    "explanation",
    "highlight",
    "realNodes",
    "setup",
    "tasks",
];
const TASK_FIELDS: &[&str] = &["id", "title", "explanation", "steps", "hints", "check"];
const CONDITION_FIELDS: &[&str] = &[
    "kind",
    "namespace",
    "name",
    "selector",
    "where",
    "field",
    "length",
    "sum",
    "count",
    "equals",
    "atLeast",
    "atMost",
    "exists",
    "contains",
];
/// Map parts a lesson may highlight (the map's control-plane and node components).
pub const HIGHLIGHTS: &[&str] = &[
    "api-server",
    "etcd",
    "scheduler",
    "controller-manager",
    "kubelet",
    "kube-proxy",
];

struct Reader<'a> {
    doc: &'a Document,
}

type Read<T> = Result<T, LessonError>;

impl Reader<'_> {
    fn error(&self, field: &str, message: impl Into<String>) -> LessonError {
        let at = self.doc.position_of(field).unwrap_or(self.doc.start);
        LessonError {
            line: at.line,
            column: at.column,
            field: field.to_string(),
            message: message.into(),
        }
    }

    fn object<'v>(
        &self,
        value: &'v Value,
        field: &str,
        known: &[&str],
    ) -> Read<&'v Map<String, Value>> {
        let map = value
            .as_object()
            .ok_or_else(|| self.error(field, "must be a mapping of fields"))?;
        for key in map.keys() {
            if !known.contains(&key.as_str()) {
                let path = join(field, key);
                return Err(self.error(
                    &path,
                    format!("unknown field {key:?} (known: {})", known.join(", ")),
                ));
            }
        }
        Ok(map)
    }

    fn string(
        &self,
        map: &Map<String, Value>,
        parent: &str,
        key: &str,
        required: bool,
    ) -> Read<Option<String>> {
        let path = join(parent, key);
        match map.get(key) {
            None | Some(Value::Null) if required => Err(self.error(&path, "is required")),
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) if required && s.trim().is_empty() => {
                Err(self.error(&path, "must not be empty"))
            }
            Some(Value::String(s)) => Ok(Some(s.clone())),
            Some(Value::Number(n)) => Ok(Some(n.to_string())),
            Some(Value::Bool(b)) => Ok(Some(b.to_string())),
            Some(_) => Err(self.error(&path, "must be text")),
        }
    }

    fn strings(&self, map: &Map<String, Value>, parent: &str, key: &str) -> Read<Vec<String>> {
        let path = join(parent, key);
        match map.get(key) {
            None | Some(Value::Null) => Ok(Vec::new()),
            Some(Value::Array(items)) => items
                .iter()
                .enumerate()
                .map(|(i, item)| match item {
                    Value::String(s) => Ok(s.clone()),
                    _ => Err(self.error(&format!("{path}[{i}]"), "must be text")),
                })
                .collect(),
            Some(_) => Err(self.error(&path, "must be a list of text")),
        }
    }

    fn lesson(&self) -> Read<Lesson> {
        let map = self.object(&self.doc.value, "", LESSON_FIELDS)?;
        let id = self.string(map, "", "id", true)?.unwrap_or_default();
        if !id
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        {
            return Err(self.error("id", "must be lower-case letters, digits and '-'"));
        }
        let highlight = self.strings(map, "", "highlight")?;
        for (i, part) in highlight.iter().enumerate() {
            if !HIGHLIGHTS.contains(&part.as_str()) {
                return Err(self.error(
                    &format!("highlight[{i}]"),
                    format!(
                        "unknown map part {part:?} (known: {})",
                        HIGHLIGHTS.join(", ")
                    ),
                ));
            }
        }
        let setup = self.string(map, "", "setup", false)?.unwrap_or_default();
        if !setup.trim().is_empty() {
            crate::manifest::parse_documents(&setup).map_err(|e| {
                let mut err = self.error("setup", format!("is not readable YAML: {e}"));
                // `setup` is located at its text's first line; the manifest's lines count from there.
                err.line += e.position.line.saturating_sub(1);
                err
            })?;
        }
        let tasks = match map.get("tasks") {
            Some(Value::Array(items)) if !items.is_empty() => items
                .iter()
                .enumerate()
                .map(|(i, t)| self.task(t, &format!("tasks[{i}]")))
                .collect::<Read<Vec<_>>>()?,
            Some(Value::Array(_)) => return Err(self.error("tasks", "needs at least one task")),
            None | Some(Value::Null) => return Err(self.error("tasks", "is required")),
            Some(_) => return Err(self.error("tasks", "must be a list of tasks")),
        };
        for (i, task) in tasks.iter().enumerate() {
            if tasks[..i].iter().any(|t| t.id == task.id) {
                return Err(self.error(
                    &format!("tasks[{i}].id"),
                    format!("duplicate task id {:?}", task.id),
                ));
            }
        }
        Ok(Lesson {
            id,
            title: self.string(map, "", "title", true)?.unwrap_or_default(),
            summary: self.string(map, "", "summary", false)?.unwrap_or_default(),
            explanation: self
                .string(map, "", "explanation", true)?
                .unwrap_or_default(),
            highlight,
            real_nodes: self.string(map, "", "realNodes", false)?,
            setup,
            tasks,
        })
    }

    fn task(&self, value: &Value, path: &str) -> Read<Task> {
        let map = self.object(value, path, TASK_FIELDS)?;
        let steps = self.strings(map, path, "steps")?;
        if steps.is_empty() {
            return Err(self.error(
                &join(path, "steps"),
                "needs at least one step (a terminal line that does the task)",
            ));
        }
        let check = match map.get("check") {
            Some(Value::Array(items)) if !items.is_empty() => items
                .iter()
                .enumerate()
                .map(|(i, c)| self.condition(c, &format!("{path}.check[{i}]")))
                .collect::<Read<Vec<_>>>()?,
            None | Some(Value::Null) => return Err(self.error(&join(path, "check"), "is required")),
            Some(_) => {
                return Err(self.error(
                    &join(path, "check"),
                    "must be a non-empty list of conditions",
                ))
            }
        };
        Ok(Task {
            id: self.string(map, path, "id", true)?.unwrap_or_default(),
            title: self.string(map, path, "title", true)?.unwrap_or_default(),
            explanation: self
                .string(map, path, "explanation", false)?
                .unwrap_or_default(),
            steps,
            hints: self.strings(map, path, "hints")?,
            check,
        })
    }

    fn condition(&self, value: &Value, path: &str) -> Read<Condition> {
        let map = self.object(value, path, CONDITION_FIELDS)?;
        let kind = self.string(map, path, "kind", true)?.unwrap_or_default();
        let resource = resources::by_kind(&kind).ok_or_else(|| {
            self.error(
                &join(path, "kind"),
                format!("no kind {kind:?} is served here"),
            )
        })?;
        let namespace = match self.string(map, path, "namespace", false)? {
            Some(ns) if resource.namespaced => ns,
            Some(_) => {
                return Err(self.error(
                    &join(path, "namespace"),
                    format!("{kind} is not namespaced"),
                ))
            }
            None => "default".into(),
        };
        let name = self.string(map, path, "name", false)?;
        let selector = self.string(map, path, "selector", false)?;
        if let Some(selector) = &selector {
            LabelSelector::parse(selector)
                .map_err(|e| self.error(&join(path, "selector"), e.to_string()))?;
        }
        if name.is_some() && selector.is_some() {
            return Err(self.error(
                &join(path, "selector"),
                "give either name or selector, not both",
            ));
        }
        let mut r#where = Vec::new();
        match map.get("where") {
            None | Some(Value::Null) => {}
            Some(Value::Object(fields)) => {
                for (field, expected) in fields {
                    FieldPath::parse(field).map_err(|e| self.error(&join(path, "where"), e))?;
                    if expected.is_object() || expected.is_array() {
                        return Err(self.error(
                            &join(path, "where"),
                            format!("{field}: must be a single value"),
                        ));
                    }
                    r#where.push((field.clone(), expected.clone()));
                }
            }
            Some(_) => {
                return Err(self.error(&join(path, "where"), "must map field paths to values"))
            }
        }
        let measures: Vec<&str> = ["field", "length", "sum", "count"]
            .into_iter()
            .filter(|k| map.contains_key(*k))
            .collect();
        let expects: Vec<&str> = ["equals", "atLeast", "atMost", "exists", "contains", "count"]
            .into_iter()
            .filter(|k| map.contains_key(*k))
            .collect();
        let field_path = |key: &str| -> Read<String> {
            let text = self.string(map, path, key, true)?.unwrap_or_default();
            FieldPath::parse(&text).map_err(|e| self.error(&join(path, key), e))?;
            Ok(text)
        };
        let measure = match measures.as_slice() {
            [] if name.is_some() => Measure::Exists,
            [] | ["count"] => Measure::Count,
            ["field"] => Measure::Field(field_path("field")?),
            ["length"] => Measure::Length(field_path("length")?),
            // The one left: `sum`.
            [_] => Measure::Sum(field_path("sum")?),
            [_, second, ..] => {
                return Err(self.error(
                    &join(path, second),
                    "measure one thing: field, length, sum or count",
                ));
            }
        };
        let named = name.is_some();
        match (&measure, named) {
            (Measure::Field(_) | Measure::Length(_), false) => {
                return Err(self.error(
                    &join(path, "name"),
                    "field and length measure one object: give its name",
                ));
            }
            (Measure::Count | Measure::Sum(_), true)
                if measures.iter().any(|m| *m == "count" || *m == "sum") =>
            {
                return Err(self.error(
                    &join(path, "name"),
                    "count and sum are over a selector, not one named object",
                ));
            }
            _ => {}
        }
        let expects: Vec<&str> = expects
            .into_iter()
            .filter(|k| !(*k == "count" && measure == Measure::Count))
            .collect();
        let number = |key: &str| -> Read<f64> {
            map.get(key)
                .and_then(Value::as_f64)
                .ok_or_else(|| self.error(&join(path, key), "must be a number"))
        };
        let expect = match expects.as_slice() {
            [] => match (&measure, map.get("count")) {
                (Measure::Count, Some(_)) => Expect::Equals(number_value(number("count")?)),
                (Measure::Count | Measure::Sum(_), None) => Expect::AtLeast(1.0),
                _ => Expect::Present(true),
            },
            ["equals"] => match map.get("equals") {
                Some(v) if v.is_object() || v.is_array() => {
                    return Err(self.error(&join(path, "equals"), "must be a single value"));
                }
                Some(v) => Expect::Equals(v.clone()),
                None => Expect::Present(true),
            },
            ["atLeast"] => Expect::AtLeast(number("atLeast")?),
            ["atMost"] => Expect::AtMost(number("atMost")?),
            ["exists"] => match map.get("exists") {
                Some(Value::Bool(b)) => Expect::Present(*b),
                _ => return Err(self.error(&join(path, "exists"), "must be true or false")),
            },
            // The one left: `contains`.
            [_] => Expect::Contains(
                self.string(map, path, "contains", true)?
                    .unwrap_or_default(),
            ),
            [_, second, ..] => {
                return Err(self.error(
                    &join(path, second),
                    "expect one thing: equals, atLeast, atMost, exists or contains",
                ));
            }
        };
        if matches!(
            measure,
            Measure::Count | Measure::Sum(_) | Measure::Length(_)
        ) && matches!(expect, Expect::Present(_) | Expect::Contains(_))
        {
            return Err(self.error(
                path,
                "a count, sum or length is compared with equals, atLeast or atMost",
            ));
        }
        Ok(Condition {
            kind: resource.kind.to_string(),
            namespace,
            name,
            selector,
            r#where,
            measure,
            expect,
        })
    }
}

/// `5` rather than `5.0` for whole numbers, as a teacher wrote them.
fn number_value(n: f64) -> Value {
    if n.fract() == 0.0 && n.abs() < 1e15 {
        Value::from(n as i64)
    } else {
        Value::from(n)
    }
}

fn join(parent: &str, key: &str) -> String {
    if parent.is_empty() {
        key.to_string()
    } else {
        format!("{parent}.{key}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const LESSON: &str = "id: scaling
title: Scaling by hand
summary: More copies with one command.
explanation: |
  A Deployment keeps as many Pods as you ask for.
setup: |
  apiVersion: v1
  kind: ConfigMap
  metadata:
    name: marker
tasks:
- id: scale-up
  title: Scale my-api to 5
  steps:
  - kubectl scale deployment my-api --replicas=5
  hints:
  - The flag is --replicas.
  check:
  - kind: Deployment
    name: my-api
    field: status.readyReplicas
    atLeast: 5
  - kind: Pod
    selector: app=my-api
    where:
      status.phase: Running
    count: 5
";

    #[test]
    fn a_lesson_file_reads_into_tasks_and_conditions() {
        let lesson = parse(LESSON).unwrap();
        assert_eq!(lesson.id, "scaling");
        assert!(lesson.setup.contains("kind: ConfigMap"));
        let task = &lesson.tasks[0];
        assert_eq!(task.steps, ["kubectl scale deployment my-api --replicas=5"]);
        assert_eq!(
            task.check[0].measure,
            Measure::Field("status.readyReplicas".into())
        );
        assert_eq!(task.check[0].expect, Expect::AtLeast(5.0));
        assert_eq!(task.check[1].measure, Measure::Count);
        assert_eq!(task.check[1].expect, Expect::Equals(Value::from(5)));
        assert_eq!(
            task.check[1].r#where,
            vec![("status.phase".to_string(), Value::from("Running"))]
        );
        assert_eq!(task.check[1].namespace, "default");
    }

    #[test]
    fn a_lesson_survives_the_trip_to_the_worker() {
        let lesson = parse(LESSON).unwrap();
        let back: Lesson = serde_json::from_str(&serde_json::to_string(&lesson).unwrap()).unwrap();
        assert_eq!(back, lesson);
    }

    fn error_of(source: &str) -> LessonError {
        parse(source).expect_err("the file should be refused")
    }

    #[test]
    fn a_wrong_field_is_reported_at_its_line_with_its_path() {
        let err = error_of(&LESSON.replace("atLeast: 5", "atLeast: five"));
        assert_eq!(
            (err.line, err.field.as_str()),
            (22, "tasks[0].check[0].atLeast")
        );
        assert_eq!(
            err.to_string(),
            "line 22: tasks[0].check[0].atLeast: must be a number"
        );

        let err = error_of(&LESSON.replace("kind: Deployment", "kind: Deploymnet"));
        assert_eq!(
            (err.line, err.field.as_str()),
            (19, "tasks[0].check[0].kind")
        );
        assert!(err.message.contains("Deploymnet"), "{err}");

        let err = error_of(&LESSON.replace("  hints:", "  hint:"));
        assert_eq!((err.line, err.field.as_str()), (16, "tasks[0].hint"));
    }

    #[test]
    fn missing_and_inconsistent_fields_are_refused() {
        let err = error_of(&LESSON.replace("title: Scaling by hand\n", ""));
        assert_eq!(err.field, "title");
        let err = error_of(&LESSON.replace(
            "  steps:\n  - kubectl scale deployment my-api --replicas=5\n",
            "",
        ));
        assert_eq!(err.field, "tasks[0].steps");
        let err = error_of(&LESSON.replace(
            "    name: my-api\n    field",
            "    selector: app=my-api\n    field",
        ));
        assert_eq!(err.field, "tasks[0].check[0].name", "{err}");
        let err = error_of(&LESSON.replace("status.readyReplicas", "status..readyReplicas"));
        assert_eq!(err.field, "tasks[0].check[0].field", "{err}");
        let err = error_of(&LESSON.replace("app=my-api\n", "app in (\n"));
        assert_eq!(err.field, "tasks[0].check[1].selector", "{err}");
        let err = error_of(&LESSON.replace("  kind: ConfigMap\n", "  kind: [ConfigMap\n"));
        assert_eq!(err.field, "setup", "{err}");
        assert_eq!(err.line, 8, "{err}");
    }

    #[test]
    fn unreadable_yaml_names_its_line() {
        let err = error_of("id: x\ntitle: [oops\n");
        assert!(err.line >= 2, "{err:?}");
        assert!(err.field.is_empty());
    }

    #[test]
    fn default_expectations_follow_the_measure() {
        let lesson = parse(&LESSON.replace(
            "    field: status.readyReplicas\n    atLeast: 5\n",
            "    exists: false\n",
        ))
        .unwrap();
        assert_eq!(lesson.tasks[0].check[0].measure, Measure::Exists);
        assert_eq!(lesson.tasks[0].check[0].expect, Expect::Present(false));
    }
}
