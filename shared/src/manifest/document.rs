//! One object from a pasted manifest, together with where each of its fields
//! was written, so an API error's field path can be shown at its line.

use super::error::{ManifestError, ManifestErrorKind};
use super::position::{parse_field_path, Position, Segment, SpanTree};
use super::yaml::parse::parse_stream;
use serde_json::Value;

/// A non-empty YAML document (or one item of a `List`) as JSON, with positions.
#[derive(Debug, Clone, PartialEq)]
pub struct Document {
    pub value: Value,
    /// 0-based among the non-empty documents of the stream.
    pub index: usize,
    /// Where the document's content starts.
    pub start: Position,
    /// For an object taken out of a `List` by [`expand_list`]: its path in
    /// that list document (`items[2]`); `None` for a top-level document.
    pub item_path: Option<String>,
    spans: SpanTree,
}

impl Document {
    /// Where a field is written, for a Kubernetes field path such as
    /// `spec.template.spec.containers[0].image` or `metadata.labels[app]`.
    ///
    /// A map entry is located at its key, a list item at its value. A field
    /// that is not there (a missing required field) is located at its nearest
    /// existing ancestor, and a path that matches nothing at the document start.
    pub fn position_of(&self, field_path: &str) -> Option<Position> {
        // The root of the tree is the document start, so a path that matches
        // nothing lands there.
        Some(self.spans.locate(&parse_field_path(field_path)).position())
    }

    /// Where the value of a field starts (after `key: `), for highlighting the
    /// offending value rather than the key; `None` if the field is not there.
    pub fn value_position_of(&self, field_path: &str) -> Option<Position> {
        let segments = parse_field_path(field_path);
        self.spans.subtree(&segments).map(|t| t.value)
    }

    /// Whether the exact field exists in the source.
    pub fn has_field(&self, field_path: &str) -> bool {
        self.spans.subtree(&parse_field_path(field_path)).is_some()
    }
}

/// Every non-empty document of a multi-document stream, in order. Documents
/// holding nothing, only comments, or `null` are skipped, as kubectl skips them.
pub fn parse_documents(source: &str) -> Result<Vec<Document>, ManifestError> {
    let parsed = parse_stream(source)?;
    Ok(parsed
        .into_iter()
        .enumerate()
        .map(|(index, d)| Document {
            value: d.value,
            index,
            start: d.spans.value,
            item_path: None,
            spans: d.spans,
        })
        .collect())
}

/// Exactly one document (what a single object body must be).
pub fn parse_document(source: &str) -> Result<Document, ManifestError> {
    let mut documents = parse_documents(source)?;
    if documents.len() != 1 {
        let at = documents.get(1).map_or(Position::new(1, 1), |d| d.start);
        return Err(ManifestError::new(
            ManifestErrorKind::NotOneDocument {
                found: documents.len(),
            },
            at,
            0,
        ));
    }
    Ok(documents.remove(0))
}

/// The objects a document stands for, as kubectl applies them: a document
/// with an `items` list (`kind: List`, `PodList`, …) stands for each of its
/// items, recursively; any other document stands for itself.
///
/// Each item comes back as its own [`Document`] whose positions resolve
/// field paths relative to the item (`spec.replicas`, not `items[0].spec.replicas`),
/// with `item_path` saying where it sat and `index` that of the list document.
pub fn expand_list(doc: &Document) -> Vec<Document> {
    let Some(Value::Array(items)) = doc.value.get("items") else {
        return vec![doc.clone()];
    };
    let mut out = Vec::new();
    for (i, item) in items.iter().enumerate() {
        let segments = [Segment::Key("items".into()), Segment::Index(i)];
        let spans = doc
            .spans
            .subtree(&segments)
            .cloned()
            .unwrap_or_else(|| SpanTree::leaf(doc.start));
        let path = match &doc.item_path {
            Some(parent) => format!("{parent}.items[{i}]"),
            None => format!("items[{i}]"),
        };
        let item_doc = Document {
            value: item.clone(),
            index: doc.index,
            start: spans.value,
            item_path: Some(path),
            spans,
        };
        out.extend(expand_list(&item_doc));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const DEPLOYMENT: &str = r#"# deployment.yaml
apiVersion: apps/v1
kind: Deployment
metadata:
  name: my-api # Name of this deployment
spec:
  replicas: 3 # Run 3 copies of this Pod
  selector:
    matchLabels:
      app: my-api
  template:
    metadata:
      labels:
        app: my-api
    spec:
      containers:
      - name: api
        image: myapp:1.0
        ports:
        - containerPort: 3000
        env:
        - name: DATABASE_URL
          value: "postgres://user:pass@db-service:5432/mydb"
        resources:
          requests:
            memory: "128Mi"
            cpu: "100m"
          limits:
            memory: "256Mi"
            cpu: "500m"
"#;

    fn at(line: usize, column: usize) -> Option<Position> {
        Some(Position::new(line, column))
    }

    #[test]
    fn deployment_parses_to_the_object_kubectl_sends() {
        let doc = parse_document(DEPLOYMENT).unwrap();
        assert_eq!(doc.index, 0);
        assert_eq!(doc.start, Position::new(2, 1));
        assert_eq!(doc.value["spec"]["replicas"], json!(3));
        assert_eq!(doc.value["metadata"], json!({"name": "my-api"}));
        let container = &doc.value["spec"]["template"]["spec"]["containers"][0];
        assert_eq!(container["image"], "myapp:1.0");
        assert_eq!(container["ports"], json!([{"containerPort": 3000}]));
        assert_eq!(
            container["env"][0]["value"],
            "postgres://user:pass@db-service:5432/mydb"
        );
        assert_eq!(
            container["resources"]["limits"],
            json!({"memory": "256Mi", "cpu": "500m"})
        );
    }

    #[test]
    fn nested_fields_are_located_at_their_keys() {
        let doc = parse_document(DEPLOYMENT).unwrap();
        assert_eq!(doc.position_of("metadata.name"), at(5, 3));
        assert_eq!(doc.position_of("spec.replicas"), at(7, 3));
        assert_eq!(doc.position_of("spec.selector.matchLabels[app]"), at(10, 7));
        assert_eq!(
            doc.position_of("spec.template.metadata.labels[app]"),
            at(14, 9)
        );
        assert_eq!(
            doc.position_of("spec.template.spec.containers[0].image"),
            at(18, 9)
        );
        assert_eq!(
            doc.position_of("spec.template.spec.containers[0].ports[0].containerPort"),
            at(20, 11)
        );
        assert_eq!(
            doc.position_of("spec.template.spec.containers[0].env[0].value"),
            at(23, 11)
        );
        assert_eq!(
            doc.position_of("spec.template.spec.containers[0].resources.limits[cpu]"),
            at(30, 13)
        );
        // Dotted and bracketed map keys are the same key.
        assert_eq!(
            doc.position_of("spec.template.spec.containers[0].resources.limits.cpu"),
            at(30, 13)
        );
    }

    #[test]
    fn list_items_and_values_are_located_at_their_values() {
        let doc = parse_document(DEPLOYMENT).unwrap();
        assert_eq!(
            doc.position_of("spec.template.spec.containers[0]"),
            at(17, 9)
        );
        assert_eq!(doc.value_position_of("spec.replicas"), at(7, 13));
        assert_eq!(
            doc.value_position_of("spec.template.spec.containers[0].env[0].value"),
            at(23, 18)
        );
        assert_eq!(
            doc.value_position_of("spec.template.spec.containers[0].livenessProbe"),
            None
        );
        assert!(doc.has_field("spec.template.spec.containers[0].name"));
        assert!(!doc.has_field("spec.template.spec.containers[1]"));
    }

    #[test]
    fn missing_fields_fall_back_to_their_nearest_ancestor() {
        let doc = parse_document(DEPLOYMENT).unwrap();
        // A Required error on a field the user left out points at its parent.
        assert_eq!(
            doc.position_of("spec.template.spec.containers[0].livenessProbe.httpGet"),
            at(17, 9)
        );
        assert_eq!(
            doc.position_of("spec.template.spec.containers[3].image"),
            at(16, 7)
        );
        assert_eq!(doc.position_of("metadata.namespace"), at(4, 1));
        // Nothing matches at all: the document start.
        assert_eq!(doc.position_of("status.replicas"), at(2, 1));
        assert_eq!(doc.position_of(""), at(2, 1));
    }

    const STREAM: &str = "# first\napiVersion: v1\nkind: Namespace\nmetadata:\n  name: a\n---\n# only a comment\n---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cfg\ndata:\n  key: value\n...\n---\napiVersion: v1\nkind: Service\nmetadata:\n  name: svc\nspec:\n  ports:\n  - port: 80\n";

    #[test]
    fn later_documents_keep_their_own_line_numbers() {
        let docs = parse_documents(STREAM).unwrap();
        assert_eq!(docs.len(), 3);
        assert_eq!(
            docs.iter().map(|d| d.index).collect::<Vec<_>>(),
            vec![0, 1, 2]
        );
        assert_eq!(
            docs.iter().map(|d| d.start.line).collect::<Vec<_>>(),
            vec![2, 9, 17]
        );
        assert_eq!(docs[1].value["kind"], "ConfigMap");
        assert_eq!(docs[1].position_of("data[key]"), at(14, 3));
        assert_eq!(docs[2].position_of("metadata.name"), at(20, 3));
        assert_eq!(docs[2].position_of("spec.ports[0].port"), at(23, 5));
    }

    #[test]
    fn parse_document_wants_exactly_one() {
        let e = parse_document(STREAM).unwrap_err();
        assert_eq!(e.kind, ManifestErrorKind::NotOneDocument { found: 3 });
        assert_eq!(e.position.line, 9);
        let e = parse_document("# nothing here\n").unwrap_err();
        assert_eq!(e.kind, ManifestErrorKind::NotOneDocument { found: 0 });
    }

    const LIST: &str = "apiVersion: v1\nkind: List\nitems:\n- apiVersion: v1\n  kind: Pod\n  metadata:\n    name: a\n- apiVersion: v1\n  kind: Service\n  metadata:\n    name: b\n  spec:\n    ports:\n    - port: 80\n";

    #[test]
    fn list_items_are_applied_one_by_one_with_their_positions() {
        let list = parse_document(LIST).unwrap();
        let items = expand_list(&list);
        assert_eq!(items.len(), 2);
        assert_eq!(items[0].value["kind"], "Pod");
        assert_eq!(items[0].item_path.as_deref(), Some("items[0]"));
        assert_eq!(items[0].start, Position::new(4, 3));
        assert_eq!(items[0].position_of("metadata.name"), at(7, 5));
        assert_eq!(items[1].value["kind"], "Service");
        assert_eq!(items[1].position_of("spec.ports[0].port"), at(14, 7));
        assert_eq!(items[1].position_of("spec.type"), at(12, 3));
        assert!(items.iter().all(|d| d.index == 0));
    }

    #[test]
    fn nested_lists_flatten_and_plain_documents_stand_for_themselves() {
        let nested = "kind: List\nitems:\n- kind: List\n  items:\n  - kind: Pod\n    metadata: {name: deep}\n";
        let items = expand_list(&parse_document(nested).unwrap());
        assert_eq!(items.len(), 1);
        assert_eq!(items[0].item_path.as_deref(), Some("items[0].items[0]"));
        assert_eq!(items[0].position_of("metadata.name"), at(6, 16));
        let pod = parse_document("kind: Pod\nmetadata: {name: a}\n").unwrap();
        assert_eq!(expand_list(&pod), vec![pod.clone()]);
    }

    #[test]
    fn json_manifests_have_positions_too() {
        let source =
            r#"{"kind": "Pod", "spec": {"containers": [{"name": "a", "image": "nginx"}]}}"#;
        let doc = parse_document(source).unwrap();
        let column = source.find("\"image\"").unwrap() + 1;
        assert_eq!(doc.position_of("spec.containers[0].image"), at(1, column));
    }

    #[test]
    fn kubectl_message_names_the_file() {
        let e = parse_documents("a: 1\nb: [\n").unwrap_err();
        assert!(e
            .kubectl_message("pod.yaml")
            .starts_with("error parsing pod.yaml: error converting YAML to JSON: yaml: "));
    }
}
