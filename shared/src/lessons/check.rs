//! Lesson checks against the API server's state: a task is done when the cluster really is
//! in the state it asks for, however the student got there (editor, in-page or real kubectl).
//!
//! Objects being deleted (with a `deletionTimestamp`) count as gone: checks look at what the
//! cluster converges to, so "delete the pod" ticks as soon as kubectl returns.

use super::format::{Condition, Expect, Lesson, Measure};
use super::path::{text_of, FieldPath};
use crate::api::resources;
use crate::apiserver::ApiServer;
use crate::store::selector::LabelSelector;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::BTreeSet;
use std::sync::Arc;

/// What one task's check found.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TaskCheck {
    pub id: String,
    pub passed: bool,
    pub conditions: Vec<ConditionCheck>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ConditionCheck {
    pub passed: bool,
    /// What the cluster shows now, in words: `Deployment my-api status.readyReplicas is 3; wanted at least 5`.
    pub observed: String,
}

/// Every task's check against the current state.
pub fn check_lesson(lesson: &Lesson, api: &ApiServer) -> Vec<TaskCheck> {
    lesson
        .tasks
        .iter()
        .map(|task| {
            let conditions: Vec<_> = task.check.iter().map(|c| check_condition(c, api)).collect();
            TaskCheck {
                id: task.id.clone(),
                passed: conditions.iter().all(|c| c.passed),
                conditions,
            }
        })
        .collect()
}

/// Tasks are done in order and stay done: a task ticks when its check passes and every
/// task before it is done. Returns the new set of done tasks.
pub fn advance(lesson: &Lesson, checks: &[TaskCheck], done: &BTreeSet<String>) -> BTreeSet<String> {
    let mut next = done.clone();
    for task in &lesson.tasks {
        if next.contains(&task.id) {
            continue;
        }
        let passed = checks.iter().any(|c| c.id == task.id && c.passed);
        if !passed {
            break;
        }
        next.insert(task.id.clone());
    }
    next
}

pub fn check_condition(condition: &Condition, api: &ApiServer) -> ConditionCheck {
    let Some(resource) = resources::by_kind(&condition.kind) else {
        return failed(format!("no kind {} is served", condition.kind));
    };
    let selector = match condition.selector.as_deref().map(LabelSelector::parse) {
        Some(Ok(s)) => Some(s),
        Some(Err(e)) => return failed(format!("selector: {e}")),
        None => None,
    };
    let filters: Vec<(FieldPath, &Value)> = condition
        .r#where
        .iter()
        .filter_map(|(path, want)| FieldPath::parse(path).ok().map(|p| (p, want)))
        .collect();
    let matched: Vec<&Arc<Value>> = api
        .list(resource, Some(&condition.namespace))
        .filter(|obj| obj["metadata"].get("deletionTimestamp").is_none())
        .filter(|obj| {
            condition
                .name
                .as_deref()
                .is_none_or(|n| obj["metadata"]["name"] == n)
        })
        .filter(|obj| {
            selector
                .as_ref()
                .is_none_or(|s| s.matches(obj["metadata"].get("labels").and_then(Value::as_object)))
        })
        .filter(|obj| {
            filters
                .iter()
                .all(|(path, want)| path.resolve(obj).is_some_and(|v| same(v, want)))
        })
        .collect();
    let subject = subject(condition);
    let expect = &condition.expect;
    match &condition.measure {
        Measure::Exists => {
            let found = !matched.is_empty();
            let passed = matches!(expect, Expect::Present(want) if *want == found);
            let observed = if found {
                format!("{subject} exists")
            } else {
                format!("{subject} does not exist")
            };
            ConditionCheck {
                passed,
                observed: with_wanted(observed, expect, passed),
            }
        }
        Measure::Count => {
            let n = matched.len() as f64;
            let passed = compare_number(n, expect);
            ConditionCheck {
                passed,
                observed: with_wanted(format!("{subject}: {n} found"), expect, passed),
            }
        }
        Measure::Sum(path) => {
            let Ok(field) = FieldPath::parse(path) else {
                return failed(format!("bad field path {path}"));
            };
            let n: f64 = matched
                .iter()
                .filter_map(|o| field.resolve(o).and_then(number))
                .sum();
            let passed = compare_number(n, expect);
            ConditionCheck {
                passed,
                observed: with_wanted(format!("{subject}: {path} adds up to {n}"), expect, passed),
            }
        }
        Measure::Field(path) | Measure::Length(path) => {
            let Ok(field) = FieldPath::parse(path) else {
                return failed(format!("bad field path {path}"));
            };
            let Some(obj) = matched.first() else {
                return failed(with_wanted(
                    format!("{subject} does not exist"),
                    expect,
                    false,
                ));
            };
            let value = field.resolve(obj);
            if let Measure::Length(_) = condition.measure {
                let n = value.and_then(Value::as_array).map_or(0, Vec::len) as f64;
                let passed = compare_number(n, expect);
                return ConditionCheck {
                    passed,
                    observed: with_wanted(
                        format!("{subject} {path} has {n} items"),
                        expect,
                        passed,
                    ),
                };
            }
            let passed = match (value, expect) {
                (value, Expect::Present(want)) => value.is_some_and(|v| !v.is_null()) == *want,
                (Some(v), Expect::Equals(want)) => same(v, want),
                (Some(v), Expect::Contains(part)) => text_of(v).contains(part.as_str()),
                (Some(v), expect) => number(v).is_some_and(|n| compare_number(n, expect)),
                // Kubernetes leaves zero counts out of status (`readyReplicas` of a
                // Deployment scaled to 0), so a missing status number reads as 0.
                (None, Expect::Equals(_) | Expect::AtLeast(_) | Expect::AtMost(_))
                    if path.starts_with("status.") =>
                {
                    compare_number(0.0, expect)
                }
                (None, _) => false,
            };
            let shown = match value {
                Some(v) if !v.is_null() => format!("{subject} {path} is {}", text_of(v)),
                _ => format!("{subject} has no {path}"),
            };
            ConditionCheck {
                passed,
                observed: with_wanted(shown, expect, passed),
            }
        }
    }
}

fn failed(observed: String) -> ConditionCheck {
    ConditionCheck {
        passed: false,
        observed,
    }
}

/// `Deployment my-api` or `Pods with app=my-api, status.phase=Running`.
fn subject(c: &Condition) -> String {
    let mut text = match (&c.name, &c.selector) {
        (Some(name), _) => format!("{} {name}", c.kind),
        (None, Some(sel)) => format!("{}s with {sel}", c.kind),
        (None, None) => format!("{}s", c.kind),
    };
    if !c.r#where.is_empty() {
        let filters: Vec<String> = c
            .r#where
            .iter()
            .map(|(p, v)| format!("{p}={}", text_of(v)))
            .collect();
        text.push_str(if c.selector.is_some() { ", " } else { " with " });
        text.push_str(&filters.join(", "));
    }
    if c.namespace != "default" {
        text.push_str(&format!(" in {}", c.namespace));
    }
    text
}

fn with_wanted(observed: String, expect: &Expect, passed: bool) -> String {
    if passed {
        return observed;
    }
    let wanted = match expect {
        Expect::Equals(v) => format!("wanted {}", text_of(v)),
        Expect::AtLeast(n) => format!("wanted at least {n}"),
        Expect::AtMost(n) => format!("wanted at most {n}"),
        Expect::Present(true) => "wanted it there".to_string(),
        Expect::Present(false) => "wanted it gone".to_string(),
        Expect::Contains(s) => format!("wanted it to contain {s:?}"),
    };
    format!("{observed}; {wanted}")
}

/// Values compare as JSON, or as text when their types differ (`"3"` and `3`), booleans
/// ignoring case (`True` in a condition's status and YAML's `true`).
fn same(have: &Value, want: &Value) -> bool {
    if have == want {
        return true;
    }
    if let (Some(a), Some(b)) = (number(have), number(want)) {
        return a == b;
    }
    let (a, b) = (text_of(have), text_of(want));
    a == b || ((have.is_boolean() || want.is_boolean()) && a.eq_ignore_ascii_case(&b))
}

fn number(v: &Value) -> Option<f64> {
    match v {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

fn compare_number(n: f64, expect: &Expect) -> bool {
    match expect {
        Expect::Equals(v) => number(v) == Some(n),
        Expect::AtLeast(min) => n >= *min,
        Expect::AtMost(max) => n <= *max,
        Expect::Present(_) | Expect::Contains(_) => false,
    }
}
