//! Node selector terms (`nodeAffinity`, a PersistentVolume's `nodeAffinity`):
//! terms are ORed, the requirements inside one term ANDed, as in Kubernetes.

use serde_json::{Map, Value};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Op {
    In,
    NotIn,
    Exists,
    DoesNotExist,
    Gt,
    Lt,
    /// An operator Kubernetes would not accept: the term matches nothing.
    Invalid,
}

#[derive(Debug, Clone)]
struct Requirement {
    key: String,
    op: Op,
    values: Vec<String>,
}

impl Requirement {
    fn from_value(v: &Value) -> Requirement {
        let op = match v.get("operator").and_then(Value::as_str).unwrap_or("") {
            "In" => Op::In,
            "NotIn" => Op::NotIn,
            "Exists" => Op::Exists,
            "DoesNotExist" => Op::DoesNotExist,
            "Gt" => Op::Gt,
            "Lt" => Op::Lt,
            _ => Op::Invalid,
        };
        Requirement {
            key: v
                .get("key")
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_string(),
            op,
            values: v
                .get("values")
                .and_then(Value::as_array)
                .map(|a| {
                    a.iter()
                        .filter_map(Value::as_str)
                        .map(str::to_string)
                        .collect()
                })
                .unwrap_or_default(),
        }
    }

    fn matches(&self, actual: Option<&str>) -> bool {
        let number = |s: &str| s.parse::<i64>().ok();
        let bound = || self.values.first().and_then(|v| number(v));
        match self.op {
            Op::In => actual.is_some_and(|a| self.values.iter().any(|v| v == a)),
            Op::NotIn => actual.is_none_or(|a| self.values.iter().all(|v| v != a)),
            Op::Exists => actual.is_some(),
            Op::DoesNotExist => actual.is_none(),
            Op::Gt => matches!((actual.and_then(number), bound()), (Some(a), Some(b)) if a > b),
            Op::Lt => matches!((actual.and_then(number), bound()), (Some(a), Some(b)) if a < b),
            Op::Invalid => false,
        }
    }
}

/// One `nodeSelectorTerm`: label expressions and `metadata.name` field expressions.
#[derive(Debug, Clone, Default)]
struct Term {
    expressions: Vec<Requirement>,
    fields: Vec<Requirement>,
}

impl Term {
    fn from_value(v: &Value) -> Term {
        let reqs = |field: &str| -> Vec<Requirement> {
            v.get(field)
                .and_then(Value::as_array)
                .map(|a| a.iter().map(Requirement::from_value).collect())
                .unwrap_or_default()
        };
        Term {
            expressions: reqs("matchExpressions"),
            fields: reqs("matchFields"),
        }
    }

    /// An empty term matches no node, as in Kubernetes.
    fn matches(&self, node_name: &str, labels: &Map<String, Value>) -> bool {
        if self.expressions.is_empty() && self.fields.is_empty() {
            return false;
        }
        self.expressions
            .iter()
            .all(|r| r.matches(labels.get(&r.key).and_then(Value::as_str)))
            && self
                .fields
                .iter()
                .all(|r| r.key == "metadata.name" && r.matches(Some(node_name)))
    }
}

/// A `NodeSelector`: matches a node when any of its terms does.
#[derive(Debug, Clone, Default)]
pub struct NodeSelector {
    terms: Vec<Term>,
}

impl NodeSelector {
    /// Reads `{nodeSelectorTerms: [...]}`.
    pub fn from_value(v: &Value) -> NodeSelector {
        let terms = v
            .get("nodeSelectorTerms")
            .and_then(Value::as_array)
            .map(|a| a.iter().map(Term::from_value).collect())
            .unwrap_or_default();
        NodeSelector { terms }
    }

    /// A selector of one term (a preferred scheduling term's `preference`).
    pub fn from_term(term: Option<&Value>) -> NodeSelector {
        NodeSelector {
            terms: term.map(Term::from_value).into_iter().collect(),
        }
    }

    pub fn matches(&self, node_name: &str, labels: &Map<String, Value>) -> bool {
        self.terms.iter().any(|t| t.matches(node_name, labels))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn labels(v: Value) -> Map<String, Value> {
        v.as_object().cloned().unwrap()
    }

    #[test]
    fn terms_are_ored_and_expressions_anded() {
        let sel = NodeSelector::from_value(&json!({"nodeSelectorTerms": [
            {"matchExpressions": [{"key": "zone", "operator": "In", "values": ["a"]}, {"key": "gpu", "operator": "Exists"}]},
            {"matchExpressions": [{"key": "cores", "operator": "Gt", "values": ["8"]}]}
        ]}));
        assert!(sel.matches("n", &labels(json!({"zone": "a", "gpu": "t4"}))));
        assert!(!sel.matches("n", &labels(json!({"zone": "a"}))));
        assert!(sel.matches("n", &labels(json!({"cores": "16"}))));
        assert!(!sel.matches("n", &labels(json!({"cores": "8"}))));
    }

    #[test]
    fn not_in_and_does_not_exist_match_missing_labels_and_fields_match_names() {
        let sel = NodeSelector::from_value(&json!({"nodeSelectorTerms": [
            {"matchExpressions": [{"key": "zone", "operator": "NotIn", "values": ["b"]}, {"key": "spot", "operator": "DoesNotExist"}],
             "matchFields": [{"key": "metadata.name", "operator": "In", "values": ["node-1"]}]}
        ]}));
        assert!(sel.matches("node-1", &Map::new()));
        assert!(!sel.matches("node-2", &Map::new()));
        assert!(!sel.matches("node-1", &labels(json!({"zone": "b"}))));
        assert!(
            !NodeSelector::from_value(&json!({"nodeSelectorTerms": [{}]}))
                .matches("node-1", &Map::new())
        );
    }
}
