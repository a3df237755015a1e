//! The API server's `meta.k8s.io/v1` Table, reduced to what `kubectl get` prints: plain columns
//! and string cells. The core decides what each kind shows; the page only lays it out.

use serde_json::Value;

/// The media type that makes the API server answer a list with a Table, as kubectl asks for it.
pub const ACCEPT_TABLE: &str = "application/json;as=Table;v=v1;g=meta.k8s.io";

/// Why a response body could not be read as a Table.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum TableError {
    #[error("the response is not a meta.k8s.io/v1 Table")]
    NotATable,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Table {
    /// Upper-cased headers, as kubectl prints them (`NAME`, `READY`, `AGE`).
    pub columns: Vec<String>,
    pub rows: Vec<TableRow>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TableRow {
    /// The object's name, which keys the row so the view can reuse it across refreshes.
    pub name: String,
    /// One per column in [`Table::columns`].
    pub cells: Vec<String>,
}

impl Table {
    /// Keeps only priority 0 columns: the others are what `-o wide` adds.
    pub fn from_json(table: &Value) -> Result<Self, TableError> {
        if table.get("kind").and_then(Value::as_str) != Some("Table") {
            return Err(TableError::NotATable);
        }
        let definitions = table
            .get("columnDefinitions")
            .and_then(Value::as_array)
            .ok_or(TableError::NotATable)?;
        let shown: Vec<usize> = definitions
            .iter()
            .enumerate()
            .filter(|(_, c)| c.get("priority").and_then(Value::as_i64).unwrap_or(0) == 0)
            .map(|(i, _)| i)
            .collect();
        let columns = shown
            .iter()
            .map(|&i| {
                let name = definitions[i].get("name").and_then(Value::as_str);
                name.unwrap_or_default().to_uppercase()
            })
            .collect();
        let rows = table
            .get("rows")
            .and_then(Value::as_array)
            .map(Vec::as_slice)
            .unwrap_or_default()
            .iter()
            .map(|row| TableRow::from_json(row, &shown))
            .collect();
        Ok(Self { columns, rows })
    }
}

impl TableRow {
    fn from_json(row: &Value, shown: &[usize]) -> Self {
        let cells = row.get("cells").and_then(Value::as_array);
        let cell = |i: usize| {
            cells
                .and_then(|c| c.get(i))
                .map_or_else(String::new, cell_text)
        };
        Self {
            name: row
                .pointer("/object/metadata/name")
                .and_then(Value::as_str)
                .map_or_else(|| cell(0), str::to_string),
            cells: shown.iter().map(|&i| cell(i)).collect(),
        }
    }
}

/// Strings as they are, numbers and booleans as kubectl formats them, nothing for null.
fn cell_text(cell: &Value) -> String {
    match cell {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn pods_table() -> Value {
        json!({
            "kind": "Table",
            "apiVersion": "meta.k8s.io/v1",
            "columnDefinitions": [
                {"name": "Name", "priority": 0},
                {"name": "Ready", "priority": 0},
                {"name": "Restarts", "priority": 0},
                {"name": "IP", "priority": 1},
                {"name": "Nominated Node", "priority": 1},
                {"name": "Age", "priority": 0},
            ],
            "rows": [{
                "cells": ["web-1", "0/1", 2, "10.0.0.5", null, "5s"],
                "object": {"kind": "PartialObjectMetadata", "metadata": {"name": "web-1"}},
            }],
        })
    }

    #[test]
    fn only_priority_zero_columns_are_shown_upper_cased() {
        let table = Table::from_json(&pods_table()).unwrap();
        assert_eq!(table.columns, ["NAME", "READY", "RESTARTS", "AGE"]);
    }

    #[test]
    fn cells_follow_their_columns_as_strings() {
        let table = Table::from_json(&pods_table()).unwrap();
        assert_eq!(
            table.rows,
            [TableRow {
                name: "web-1".into(),
                cells: vec!["web-1".into(), "0/1".into(), "2".into(), "5s".into()],
            }]
        );
    }

    #[test]
    fn a_row_without_object_metadata_is_named_by_its_first_cell() {
        let mut table = pods_table();
        table["rows"][0]["object"] = Value::Null;
        table["rows"][0]["cells"][0] = json!("web-2");
        let table = Table::from_json(&table).unwrap();
        assert_eq!(table.rows[0].name, "web-2");
    }

    #[test]
    fn a_plain_list_is_not_a_table() {
        let list = json!({"kind": "PodList", "items": []});
        assert_eq!(Table::from_json(&list), Err(TableError::NotATable));
    }

    #[test]
    fn an_empty_table_still_has_its_columns() {
        let mut table = pods_table();
        table["rows"] = json!([]);
        let table = Table::from_json(&table).unwrap();
        assert_eq!((table.columns.len(), table.rows.len()), (4, 0));
    }
}
