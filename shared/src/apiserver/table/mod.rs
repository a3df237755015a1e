//! Server-side `Table` output (`Accept: application/json;as=Table;g=meta.k8s.io;v=v1`).
//!
//! kubectl asks the server for tables to print `kubectl get`; these printers
//! produce the same columns and cells as Kubernetes' own, so output looks real.

mod autoscaling;
mod cluster;
mod config;
mod descriptions;
pub mod duration;
mod events;
mod fields;
mod metrics;
mod networking;
mod nodes;
mod pods;
mod selector;
mod services;
mod storage;
mod workloads;

use crate::api::meta;
use crate::api::Resource;
use jiff::Timestamp;
use serde_json::{json, Map, Value};

/// The `includeObject` query parameter: what each row carries besides its cells.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum IncludeObject {
    None,
    /// A `PartialObjectMetadata`; what the server sends when the parameter is absent.
    #[default]
    Metadata,
    Object,
}

impl IncludeObject {
    /// Parses the query value; `None` for a value Kubernetes rejects with
    /// `unrecognized includeObject value`. An empty value means the default.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "None" => Some(Self::None),
            "Metadata" | "" => Some(Self::Metadata),
            "Object" => Some(Self::Object),
            _ => None,
        }
    }
}

/// The list metadata a table carries: a list's, or one object's resourceVersion.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ListMeta<'a> {
    pub resource_version: &'a str,
    pub continue_token: Option<&'a str>,
}

/// Renders `objects` (a list, or a single object as a one-element slice) of
/// `resource` as a `meta.k8s.io/v1` Table, the way the API server does.
pub fn table(
    resource: &Resource,
    objects: &[&Value],
    now: Timestamp,
    include: IncludeObject,
    list_meta: ListMeta,
) -> Value {
    let printer = printer_for(resource);
    let rows = match printer.rows {
        Rows::Each(row) => objects.iter().map(|obj| row(obj, now)).collect(),
        Rows::List(rows) => rows(objects, now),
    };
    let rows: Vec<Value> = rows
        .into_iter()
        .zip(objects)
        .map(|(row, obj)| row.into_json(obj, include))
        .collect();

    let mut metadata = Map::new();
    if !list_meta.resource_version.is_empty() {
        metadata.insert("resourceVersion".into(), list_meta.resource_version.into());
    }
    if let Some(token) = list_meta.continue_token.filter(|t| !t.is_empty()) {
        metadata.insert("continue".into(), token.into());
    }
    json!({
        "kind": "Table",
        "apiVersion": "meta.k8s.io/v1",
        "metadata": metadata,
        "columnDefinitions": printer.columns.iter().map(|c| c.to_json()).collect::<Vec<_>>(),
        "rows": rows,
    })
}

/// One column header. `priority` 1 columns are only shown by `-o wide`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Column {
    pub name: &'static str,
    pub kind: &'static str,
    pub format: &'static str,
    pub description: &'static str,
    pub priority: u8,
}

impl Column {
    /// A string column shown by plain `kubectl get`.
    pub const fn string(name: &'static str, description: &'static str) -> Self {
        Self {
            name,
            kind: "string",
            format: "",
            description,
            priority: 0,
        }
    }

    /// A column of whole numbers.
    pub const fn integer(name: &'static str, description: &'static str) -> Self {
        Self {
            name,
            kind: "integer",
            format: "",
            description,
            priority: 0,
        }
    }

    /// The object's name, which kubectl uses for `-o name` style output.
    pub const fn name() -> Self {
        Self {
            name: "Name",
            kind: "string",
            format: "name",
            description: descriptions::META_NAME,
            priority: 0,
        }
    }

    /// The `Age` column every printer ends its plain columns with.
    pub const fn age() -> Self {
        Self::string("Age", descriptions::META_CREATIONTIMESTAMP)
    }

    /// The same column, shown only by `-o wide`.
    pub const fn wide(self) -> Self {
        Self {
            priority: 1,
            ..self
        }
    }

    /// The same column with a different type (`boolean`, `date`...).
    pub const fn formatted(self, format: &'static str) -> Self {
        Self { format, ..self }
    }

    pub const fn typed(self, kind: &'static str) -> Self {
        Self { kind, ..self }
    }

    fn to_json(self) -> Value {
        json!({
            "name": self.name,
            "type": self.kind,
            "format": self.format,
            "description": self.description,
            "priority": self.priority,
        })
    }
}

/// One printed row: cells in column order, plus row conditions (pods that
/// finished carry a `Completed` condition so kubectl can hide them).
#[derive(Debug, Clone, PartialEq, Default)]
pub(crate) struct Row {
    pub cells: Vec<Value>,
    pub conditions: Vec<Value>,
}

impl Row {
    pub fn new(cells: Vec<Value>) -> Self {
        Self {
            cells,
            conditions: Vec::new(),
        }
    }

    fn into_json(self, obj: &Value, include: IncludeObject) -> Value {
        let mut row = Map::new();
        row.insert("cells".into(), Value::Array(self.cells));
        if !self.conditions.is_empty() {
            row.insert("conditions".into(), Value::Array(self.conditions));
        }
        // Kubernetes serialises an absent object as `null`, not by leaving the key out.
        let object = match include {
            IncludeObject::None => Value::Null,
            IncludeObject::Metadata => partial_object_metadata(obj),
            IncludeObject::Object => obj.clone(),
        };
        row.insert("object".into(), object);
        Value::Object(row)
    }
}

/// The `PartialObjectMetadata` kubectl receives by default: the whole
/// metadata, none of spec or status.
fn partial_object_metadata(obj: &Value) -> Value {
    json!({
        "kind": "PartialObjectMetadata",
        "apiVersion": "meta.k8s.io/v1",
        "metadata": obj.get("metadata").cloned().unwrap_or_else(|| json!({})),
    })
}

/// How a printer turns objects into rows.
#[derive(Clone, Copy)]
pub(crate) enum Rows {
    /// One row per object, on its own.
    Each(fn(&Value, Timestamp) -> Row),
    /// Rows that depend on the whole list (the effective default StorageClass).
    List(fn(&[&Value], Timestamp) -> Vec<Row>),
}

/// A kind's columns and how to fill them.
#[derive(Clone, Copy)]
pub(crate) struct Printer {
    pub columns: &'static [Column],
    pub rows: Rows,
}

fn printer_for(resource: &Resource) -> Printer {
    match (resource.group, resource.kind) {
        ("", "Pod") => pods::PRINTER,
        ("", "Service") => services::SERVICE,
        ("", "Endpoints") => services::ENDPOINTS,
        ("discovery.k8s.io", "EndpointSlice") => services::ENDPOINT_SLICE,
        ("", "ConfigMap") => config::CONFIG_MAP,
        ("", "Secret") => config::SECRET,
        ("", "PersistentVolume") => storage::PERSISTENT_VOLUME,
        ("", "PersistentVolumeClaim") => storage::PERSISTENT_VOLUME_CLAIM,
        ("storage.k8s.io", "StorageClass") => storage::STORAGE_CLASS,
        ("", "Node") => nodes::PRINTER,
        ("", "Namespace") => cluster::NAMESPACE,
        ("", "ServiceAccount") => cluster::SERVICE_ACCOUNT,
        ("coordination.k8s.io", "Lease") => cluster::LEASE,
        ("", "Event") | ("events.k8s.io", "Event") => events::PRINTER,
        ("apps", "Deployment") => workloads::DEPLOYMENT,
        ("apps", "ReplicaSet") => workloads::REPLICA_SET,
        ("apps", "ControllerRevision") => workloads::CONTROLLER_REVISION,
        ("networking.k8s.io", "Ingress") => networking::INGRESS,
        ("networking.k8s.io", "IngressClass") => networking::INGRESS_CLASS,
        ("autoscaling", "HorizontalPodAutoscaler") => autoscaling::PRINTER,
        ("metrics.k8s.io", "PodMetrics") => metrics::POD_METRICS,
        ("metrics.k8s.io", "NodeMetrics") => metrics::NODE_METRICS,
        _ => DEFAULT,
    }
}

/// Kinds without a printer get what Kubernetes' default table convertor
/// gives: the name and the creation time as an RFC 3339 date.
const DEFAULT: Printer = Printer {
    columns: &[
        Column::name(),
        Column::string("Created At", descriptions::META_CREATIONTIMESTAMP).typed("date"),
    ],
    rows: Rows::Each(default_row),
};

fn default_row(obj: &Value, _now: Timestamp) -> Row {
    let created =
        fields::time(obj, "/metadata/creationTimestamp").unwrap_or(duration::GO_ZERO_TIME);
    Row::new(vec![
        meta::name(obj).into(),
        created.strftime("%Y-%m-%dT%H:%M:%SZ").to_string().into(),
    ])
}

#[cfg(test)]
pub(crate) mod test_support;

#[cfg(test)]
mod tests {
    use super::test_support::*;
    use super::*;
    use crate::api::resources::by_kind;

    fn configmap() -> Value {
        json!({
            "apiVersion": "v1", "kind": "ConfigMap",
            "metadata": {"name": "app-config", "namespace": "default", "resourceVersion": "42",
                         "uid": "u-1", "creationTimestamp": ago(300)},
            "data": {"a": "1"},
        })
    }

    #[test]
    fn include_object_parses_kubernetes_values() {
        assert_eq!(IncludeObject::parse("None"), Some(IncludeObject::None));
        assert_eq!(
            IncludeObject::parse("Metadata"),
            Some(IncludeObject::Metadata)
        );
        assert_eq!(IncludeObject::parse("Object"), Some(IncludeObject::Object));
        assert_eq!(IncludeObject::parse(""), Some(IncludeObject::Metadata));
        assert_eq!(IncludeObject::parse("metadata"), None);
        assert_eq!(IncludeObject::default(), IncludeObject::Metadata);
    }

    #[test]
    fn table_envelope_matches_meta_v1_table() {
        let cm = configmap();
        let t = table(
            by_kind("ConfigMap").unwrap(),
            &[&cm],
            now(),
            IncludeObject::Metadata,
            ListMeta {
                resource_version: "100",
                continue_token: Some("abc"),
            },
        );
        assert_eq!(t["kind"], "Table");
        assert_eq!(t["apiVersion"], "meta.k8s.io/v1");
        assert_eq!(
            t["metadata"],
            json!({"resourceVersion": "100", "continue": "abc"})
        );
        assert_eq!(
            t["columnDefinitions"][0],
            json!({"name": "Name", "type": "string", "format": "name",
                   "description": descriptions::META_NAME, "priority": 0})
        );
        assert_eq!(t["rows"].as_array().unwrap().len(), 1);
    }

    #[test]
    fn empty_list_meta_leaves_metadata_empty() {
        let t = table(
            by_kind("ConfigMap").unwrap(),
            &[],
            now(),
            IncludeObject::Metadata,
            ListMeta::default(),
        );
        assert_eq!(t["metadata"], json!({}));
        assert_eq!(t["rows"], json!([]));
    }

    #[test]
    fn metadata_rows_carry_partial_object_metadata() {
        let cm = configmap();
        let t = table_with(&[&cm], IncludeObject::Metadata);
        assert_eq!(
            t["rows"][0]["object"],
            json!({"kind": "PartialObjectMetadata", "apiVersion": "meta.k8s.io/v1", "metadata": cm["metadata"]})
        );
    }

    #[test]
    fn object_rows_carry_the_whole_object() {
        let cm = configmap();
        let t = table_with(&[&cm], IncludeObject::Object);
        assert_eq!(t["rows"][0]["object"], cm);
    }

    #[test]
    fn none_rows_carry_a_null_object() {
        let cm = configmap();
        let t = table_with(&[&cm], IncludeObject::None);
        assert_eq!(
            t["rows"][0],
            json!({"cells": ["app-config", 1, "5m"], "object": null})
        );
    }

    #[test]
    fn kinds_without_printer_get_name_and_created_at() {
        let unknown = Resource {
            kind: "Widget",
            group: "example.com",
            ..*by_kind("ConfigMap").unwrap()
        };
        let obj = json!({"metadata": {"name": "w", "creationTimestamp": "2024-05-01T10:20:30Z"}});
        let t = table(
            &unknown,
            &[&obj],
            now(),
            IncludeObject::None,
            ListMeta::default(),
        );
        assert_eq!(t["columnDefinitions"][1]["name"], "Created At");
        assert_eq!(t["columnDefinitions"][1]["type"], "date");
        assert_eq!(t["rows"][0]["cells"], json!(["w", "2024-05-01T10:20:30Z"]));
    }

    #[test]
    fn every_served_resource_has_a_printer() {
        for r in crate::api::RESOURCES {
            let p = printer_for(r);
            assert_ne!(p.columns[1].name, "Created At", "{} has no printer", r.kind);
        }
    }
}
