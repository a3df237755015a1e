//! Field selectors (`?fieldSelector=spec.nodeName=node-1,status.phase!=Failed`):
//! exact matches on the few fields each resource lets clients select on.
//!
//! Which fields a kind supports, and the error for the others, follow the API
//! server's per-kind field label conversions; values are read from the
//! object's JSON as Kubernetes reads them from its Go struct.

use super::SelectorError;
use crate::api::Resource;
use serde_json::Value;
use std::fmt;

/// How a selectable field's value is read from an object.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Source {
    /// A string (or scalar) at this path; `""` when absent.
    Path(&'static [&'static str]),
    /// A boolean at this path, as `"true"`/`"false"`; `"false"` when absent.
    Bool(&'static [&'static str]),
    /// A pod's primary IP: `status.podIPs[0].ip`, falling back to `status.podIP`.
    PodIp,
}

impl Source {
    fn read(self, obj: &Value) -> String {
        let at = |path: &[&str]| path.iter().try_fold(obj, |v, k| v.get(k));
        let text = |v: &Value| match v {
            Value::String(s) => s.clone(),
            Value::Null => String::new(),
            other => other.to_string(),
        };
        match self {
            Source::Path(path) => at(path).map(text).unwrap_or_default(),
            Source::Bool(path) => at(path)
                .and_then(Value::as_bool)
                .unwrap_or(false)
                .to_string(),
            Source::PodIp => obj
                .pointer("/status/podIPs/0/ip")
                .or_else(|| obj.pointer("/status/podIP"))
                .map(text)
                .unwrap_or_default(),
        }
    }
}

const NAME: Source = Source::Path(&["metadata", "name"]);
const NAMESPACE: Source = Source::Path(&["metadata", "namespace"]);

/// The source of `label` for `resource`, or Kubernetes' refusal.
fn source_for(resource: &Resource, label: &str) -> Result<Source, SelectorError> {
    let unsupported = || SelectorError::FieldNotSupported(label.to_string());
    let source = match (resource.group, resource.kind, label) {
        (_, _, "metadata.name") => NAME,
        // Nodes and namespaces have a conversion of their own without it.
        ("", "Node" | "Namespace", "metadata.namespace") => return Err(unsupported()),
        (_, _, "metadata.namespace") => NAMESPACE,

        ("", "Pod", "spec.nodeName" | "spec.host") => Source::Path(&["spec", "nodeName"]),
        ("", "Pod", "spec.restartPolicy") => Source::Path(&["spec", "restartPolicy"]),
        ("", "Pod", "spec.schedulerName") => Source::Path(&["spec", "schedulerName"]),
        ("", "Pod", "spec.serviceAccountName") => Source::Path(&["spec", "serviceAccountName"]),
        ("", "Pod", "spec.hostNetwork") => Source::Bool(&["spec", "hostNetwork"]),
        ("", "Pod", "status.phase") => Source::Path(&["status", "phase"]),
        ("", "Pod", "status.podIP") => Source::PodIp,
        ("", "Pod", "status.nominatedNodeName") => Source::Path(&["status", "nominatedNodeName"]),

        ("", "Node", "spec.unschedulable") => Source::Bool(&["spec", "unschedulable"]),
        ("", "Namespace", "status.phase") => Source::Path(&["status", "phase"]),
        ("", "Secret", "type") => Source::Path(&["type"]),
        ("", "Service", "spec.clusterIP") => Source::Path(&["spec", "clusterIP"]),
        ("", "Service", "spec.type") => Source::Path(&["spec", "type"]),

        ("", "Event", "involvedObject.kind") => Source::Path(&["involvedObject", "kind"]),
        ("", "Event", "involvedObject.namespace") => Source::Path(&["involvedObject", "namespace"]),
        ("", "Event", "involvedObject.name") => Source::Path(&["involvedObject", "name"]),
        ("", "Event", "involvedObject.uid") => Source::Path(&["involvedObject", "uid"]),
        ("", "Event", "involvedObject.apiVersion") => {
            Source::Path(&["involvedObject", "apiVersion"])
        }
        ("", "Event", "involvedObject.resourceVersion") => {
            Source::Path(&["involvedObject", "resourceVersion"])
        }
        ("", "Event", "involvedObject.fieldPath") => Source::Path(&["involvedObject", "fieldPath"]),
        ("", "Event", "reason") => Source::Path(&["reason"]),
        ("", "Event", "reportingComponent") => Source::Path(&["reportingComponent"]),
        ("", "Event", "source") => Source::Path(&["source", "component"]),
        ("", "Event", "type") => Source::Path(&["type"]),

        // events.k8s.io names the same fields after its own JSON.
        ("events.k8s.io", "Event", "regarding.kind") => Source::Path(&["regarding", "kind"]),
        ("events.k8s.io", "Event", "regarding.namespace") => {
            Source::Path(&["regarding", "namespace"])
        }
        ("events.k8s.io", "Event", "regarding.name") => Source::Path(&["regarding", "name"]),
        ("events.k8s.io", "Event", "regarding.uid") => Source::Path(&["regarding", "uid"]),
        ("events.k8s.io", "Event", "regarding.apiVersion") => {
            Source::Path(&["regarding", "apiVersion"])
        }
        ("events.k8s.io", "Event", "regarding.resourceVersion") => {
            Source::Path(&["regarding", "resourceVersion"])
        }
        ("events.k8s.io", "Event", "regarding.fieldPath") => {
            Source::Path(&["regarding", "fieldPath"])
        }
        ("events.k8s.io", "Event", "reason") => Source::Path(&["reason"]),
        ("events.k8s.io", "Event", "reportingController") => Source::Path(&["reportingController"]),
        ("events.k8s.io", "Event", "source") => Source::Path(&["deprecatedSource", "component"]),
        ("events.k8s.io", "Event", "type") => Source::Path(&["type"]),

        // Kinds with their own conversion name unsupported labels one way...
        ("", "Pod" | "Node" | "Namespace" | "Secret" | "Service" | "Event", _)
        | ("events.k8s.io", "Event", _) => return Err(unsupported()),
        // ...every other kind accepts only the metadata fields, and says so.
        _ => return Err(SelectorError::FieldUnknown(label.to_string())),
    };
    Ok(source)
}

/// One `field=value` or `field!=value` term.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Term {
    field: String,
    value: String,
    negated: bool,
    source: Source,
}

/// A conjunction of field terms; empty selects everything.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct FieldSelector {
    terms: Vec<Term>,
}

impl FieldSelector {
    /// Parses `?fieldSelector=` for `resource`. Unlike label selectors, spaces
    /// are not trimmed: they belong to the field or value, as in Kubernetes.
    pub fn parse(resource: &Resource, s: &str) -> Result<Self, SelectorError> {
        let mut parts = split_terms(s);
        parts.sort_unstable();
        let mut parsed = Vec::new();
        for part in parts.into_iter().filter(|p| !p.is_empty()) {
            let Some((field, op, raw)) = split_term(part) else {
                return Err(SelectorError::FieldTerm {
                    selector: s.to_string(),
                    term: part.to_string(),
                });
            };
            parsed.push((field, op == "!=", unescape(raw)?));
        }
        let terms = parsed
            .into_iter()
            .map(|(field, negated, value)| {
                let source = source_for(resource, field)?;
                Ok(Term {
                    field: field.to_string(),
                    value,
                    negated,
                    source,
                })
            })
            .collect::<Result<_, SelectorError>>()?;
        Ok(Self { terms })
    }

    /// Whether `obj` (a stored object of the selector's resource) is selected.
    pub fn matches(&self, obj: &Value) -> bool {
        self.terms
            .iter()
            .all(|t| (t.source.read(obj) == t.value) != t.negated)
    }

    pub fn is_empty(&self) -> bool {
        self.terms.is_empty()
    }

    /// The value a selector requires for `field` with `=`, if any (lets a list
    /// of pods by `spec.nodeName` use an index).
    pub fn requires_exact(&self, field: &str) -> Option<&str> {
        self.terms
            .iter()
            .find(|t| t.field == field && !t.negated)
            .map(|t| t.value.as_str())
    }
}

impl fmt::Display for FieldSelector {
    /// Kubernetes' canonical form: `a=b,c!=d`, values re-escaped.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, t) in self.terms.iter().enumerate() {
            if i > 0 {
                f.write_str(",")?;
            }
            let op = if t.negated { "!=" } else { "=" };
            write!(f, "{}{op}{}", t.field, escape(&t.value))?;
        }
        Ok(())
    }
}

/// Splits at commas not escaped by a backslash.
fn split_terms(s: &str) -> Vec<&str> {
    if s.is_empty() {
        return Vec::new();
    }
    let mut terms = Vec::new();
    let (mut start, mut escaped) = (0, false);
    for (i, c) in s.char_indices() {
        match c {
            _ if escaped => escaped = false,
            '\\' => escaped = true,
            ',' => {
                terms.push(&s[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    terms.push(&s[start..]);
    terms
}

/// Splits at the first operator, trying `!=`, `==`, `=` at each position.
fn split_term(term: &str) -> Option<(&str, &'static str, &str)> {
    for (i, _) in term.char_indices() {
        for op in ["!=", "==", "="] {
            if term[i..].starts_with(op) {
                return Some((&term[..i], op, &term[i + op.len()..]));
            }
        }
    }
    None
}

fn unescape(s: &str) -> Result<String, SelectorError> {
    if !s.contains(['\\', ',', '=']) {
        return Ok(s.to_string());
    }
    let mut out = String::with_capacity(s.len());
    let mut escaped = false;
    for c in s.chars() {
        if escaped {
            match c {
                '\\' | ',' | '=' => out.push(c),
                _ => return Err(SelectorError::Escape(format!("\\{c}"))),
            }
            escaped = false;
            continue;
        }
        match c {
            '\\' => escaped = true,
            ',' | '=' => return Err(SelectorError::Unescaped(u32::from(c))),
            _ => out.push(c),
        }
    }
    if escaped {
        return Err(SelectorError::Escape("\\".into()));
    }
    Ok(out)
}

fn escape(s: &str) -> String {
    s.replace('\\', "\\\\")
        .replace(',', "\\,")
        .replace('=', "\\=")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::resources::by_kind;
    use serde_json::json;

    fn parse(kind: &str, s: &str) -> Result<FieldSelector, SelectorError> {
        FieldSelector::parse(by_kind(kind).unwrap(), s)
    }

    fn pod() -> Value {
        json!({"metadata": {"name": "web-1", "namespace": "default"},
            "spec": {"nodeName": "node-1", "restartPolicy": "Always", "schedulerName": "default-scheduler",
                     "serviceAccountName": "default"},
            "status": {"phase": "Running", "podIP": "10.0.0.5", "podIPs": [{"ip": "10.0.0.5"}]}})
    }

    #[test]
    fn pod_fields_select_as_in_kubernetes() {
        let cases = [
            ("spec.nodeName=node-1", true),
            ("spec.nodeName==node-1", true),
            ("spec.nodeName!=node-1", false),
            ("spec.nodeName=", false),
            ("spec.host=node-1", true),
            ("status.phase=Running,metadata.namespace=default", true),
            ("status.phase!=Failed,status.phase!=Succeeded", true),
            ("status.podIP=10.0.0.5", true),
            ("spec.hostNetwork=false", true),
            ("status.nominatedNodeName=", true),
            ("metadata.name=web-1", true),
            ("spec.restartPolicy=Always,spec.schedulerName=default-scheduler,spec.serviceAccountName=default", true),
            ("", true),
        ];
        for (sel, expected) in cases {
            assert_eq!(
                parse("Pod", sel).unwrap().matches(&pod()),
                expected,
                "{sel}"
            );
        }
        let unscheduled = json!({"metadata": {"name": "p"}, "spec": {}});
        assert!(parse("Pod", "spec.nodeName=")
            .unwrap()
            .matches(&unscheduled));
    }

    #[test]
    fn unsupported_fields_are_refused_per_kind() {
        assert_eq!(
            parse("Pod", "foo=bar").unwrap_err().to_string(),
            "field label not supported: foo"
        );
        assert_eq!(
            parse("Node", "metadata.namespace=x")
                .unwrap_err()
                .to_string(),
            "field label not supported: metadata.namespace"
        );
        assert_eq!(
            parse("Deployment", "status.replicas=1")
                .unwrap_err()
                .to_string(),
            r#""status.replicas" is not a known field selector: only "metadata.name", "metadata.namespace""#
        );
        assert!(parse("ConfigMap", "metadata.name=x").is_ok());
        let err = SelectorError::FieldNotSupported("foo".into());
        assert_eq!(
            crate::apiserver::ApiError::from(err).to_status()["code"],
            400
        );
    }

    #[test]
    fn other_kinds_select_on_their_own_fields() {
        let node = json!({"metadata": {"name": "n1"}, "spec": {"unschedulable": true}});
        assert!(parse("Node", "spec.unschedulable=true")
            .unwrap()
            .matches(&node));
        assert!(parse("Node", "spec.unschedulable=false")
            .unwrap()
            .matches(&json!({"metadata": {"name": "n2"}})));
        let secret = json!({"metadata": {"name": "s"}, "type": "kubernetes.io/tls"});
        assert!(parse("Secret", "type=kubernetes.io/tls")
            .unwrap()
            .matches(&secret));
        let ns = json!({"metadata": {"name": "dev"}, "status": {"phase": "Active"}});
        assert!(parse("Namespace", "status.phase=Active")
            .unwrap()
            .matches(&ns));
        let svc = json!({"metadata": {"name": "s"}, "spec": {"type": "NodePort", "clusterIP": "10.96.0.10"}});
        assert!(
            parse("Service", "spec.type=NodePort,spec.clusterIP=10.96.0.10")
                .unwrap()
                .matches(&svc)
        );
    }

    #[test]
    fn events_select_on_the_involved_object() {
        let core = json!({"metadata": {"name": "e"}, "involvedObject": {"kind": "Pod", "name": "web-1", "uid": "u1"},
            "reason": "Scheduled", "type": "Normal", "source": {"component": "default-scheduler"},
            "reportingComponent": "default-scheduler"});
        let sel = "involvedObject.kind=Pod,involvedObject.name=web-1,involvedObject.uid=u1,reason=Scheduled,type=Normal";
        assert!(parse("Event", sel).unwrap().matches(&core));
        assert!(parse(
            "Event",
            "source=default-scheduler,reportingComponent=default-scheduler"
        )
        .unwrap()
        .matches(&core));
        assert_eq!(
            parse("Event", "regarding.kind=Pod")
                .unwrap_err()
                .to_string(),
            "field label not supported: regarding.kind"
        );
    }

    #[test]
    fn syntax_errors_read_like_kubernetes() {
        assert_eq!(
            parse("Pod", "spec.nodeName").unwrap_err().to_string(),
            "invalid selector: 'spec.nodeName'; can't understand 'spec.nodeName'"
        );
        assert_eq!(
            parse("Pod", r"spec.nodeName=a\b").unwrap_err().to_string(),
            r"invalid field selector: invalid escape sequence: \b"
        );
        assert_eq!(
            parse("Pod", "spec.nodeName=a=b").unwrap_err().to_string(),
            "invalid field selector: unescaped character in value: 61"
        );
    }

    #[test]
    fn escaped_values_and_canonical_form() {
        let s = parse("Pod", r"spec.nodeName=a\,b,metadata.name!=x").unwrap();
        assert_eq!(s.to_string(), r"metadata.name!=x,spec.nodeName=a\,b");
        assert_eq!(s.requires_exact("spec.nodeName"), Some("a,b"));
        assert!(parse("Pod", "metadata.name=x,").unwrap().to_string() == "metadata.name=x");
        assert!(parse("Pod", "").unwrap().is_empty());
    }

    #[test]
    fn spaces_are_not_trimmed() {
        assert_eq!(
            parse("Pod", "spec.nodeName = x").unwrap_err().to_string(),
            "field label not supported: spec.nodeName "
        );
    }
}
