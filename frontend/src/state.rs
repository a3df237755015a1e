//! Everything the page shows, as one value changed only through [`Action`]s, after Yew's
//! function_todomvc: components dispatch, the reducer decides, the view never mutates state.

use crate::kinds::ObjectKind;
use crate::table::Table;
use std::rc::Rc;
use yew::Reducible;

/// Namespace shown first, as kubectl assumes when none is given.
pub const DEFAULT_NAMESPACE: &str = "default";

#[derive(Clone, Debug, PartialEq)]
pub struct State {
    pub namespaces: Vec<String>,
    pub namespace: String,
    pub kind: ObjectKind,
    /// The server-side Table for the selected kind and namespace.
    pub table: Table,
    /// True from a selection change until its table arrives, so the page never shows stale rows.
    pub loading: bool,
    pub error: Option<String>,
}

impl Default for State {
    fn default() -> Self {
        Self {
            namespaces: Vec::new(),
            namespace: DEFAULT_NAMESPACE.to_string(),
            kind: ObjectKind::Pod,
            table: Table::default(),
            loading: true,
            error: None,
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub enum Action {
    NamespacesLoaded(Vec<String>),
    SelectNamespace(String),
    SelectKind(ObjectKind),
    /// A fresh table for the current selection, from a selection change or a periodic refresh.
    TableLoaded(Table),
    RequestFailed(String),
}

impl Reducible for State {
    type Action = Action;

    fn reduce(self: Rc<Self>, action: Action) -> Rc<Self> {
        let mut next = (*self).clone();
        match action {
            Action::NamespacesLoaded(namespaces) => {
                // Keep the selection if it still exists; otherwise fall back to the first namespace.
                if !namespaces.contains(&next.namespace) {
                    if let Some(first) = namespaces.first() {
                        next.namespace = first.clone();
                        next.loading = true;
                    }
                }
                next.namespaces = namespaces;
            }
            Action::SelectNamespace(namespace) => {
                if namespace != next.namespace {
                    next.namespace = namespace;
                    next.table = Table::default();
                    next.loading = true;
                }
            }
            Action::SelectKind(kind) => {
                if kind != next.kind {
                    next.kind = kind;
                    next.table = Table::default();
                    next.loading = true;
                }
            }
            Action::TableLoaded(table) => {
                next.table = table;
                next.loading = false;
                next.error = None;
            }
            Action::RequestFailed(message) => {
                next.loading = false;
                next.error = Some(message);
            }
        }
        // An unchanged state keeps its Rc, so an idle refresh does not re-render the page.
        if next == *self {
            self
        } else {
            Rc::new(next)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::table::TableRow;

    fn reduce(state: State, action: Action) -> State {
        (*Rc::new(state).reduce(action)).clone()
    }

    fn table(names: &[&str]) -> Table {
        Table {
            columns: vec!["NAME".into(), "AGE".into()],
            rows: names
                .iter()
                .map(|name| TableRow {
                    name: name.to_string(),
                    cells: vec![name.to_string(), "1s".into()],
                })
                .collect(),
        }
    }

    #[test]
    fn page_starts_on_pods_in_default_while_loading() {
        let state = State::default();
        assert_eq!(
            (state.namespace.as_str(), state.kind, state.loading),
            ("default", ObjectKind::Pod, true)
        );
    }

    #[test]
    fn loaded_namespaces_keep_an_existing_selection() {
        let state = reduce(
            State::default(),
            Action::NamespacesLoaded(vec!["apps".into(), "default".into()]),
        );
        assert_eq!(state.namespace, "default");
        assert_eq!(state.namespaces, ["apps", "default"]);
    }

    #[test]
    fn loaded_namespaces_replace_a_vanished_selection_with_the_first() {
        let state = reduce(
            State::default(),
            Action::NamespacesLoaded(vec!["kube-system".into()]),
        );
        assert_eq!(state.namespace, "kube-system");
    }

    #[test]
    fn selecting_a_kind_clears_the_table_until_it_loads() {
        let loaded = reduce(State::default(), Action::TableLoaded(table(&["web"])));
        assert!(!loaded.loading);
        let switched = reduce(loaded, Action::SelectKind(ObjectKind::Service));
        assert_eq!(
            (switched.kind, switched.table, switched.loading),
            (ObjectKind::Service, Table::default(), true)
        );
    }

    #[test]
    fn reselecting_the_same_namespace_keeps_the_table() {
        let loaded = reduce(State::default(), Action::TableLoaded(table(&["web"])));
        let same = reduce(loaded, Action::SelectNamespace("default".into()));
        assert_eq!(same.table, table(&["web"]));
    }

    #[test]
    fn an_unchanged_refresh_keeps_the_same_state_so_nothing_re_renders() {
        let loaded = Rc::new(State::default()).reduce(Action::TableLoaded(table(&["web"])));
        let refreshed = loaded.clone().reduce(Action::TableLoaded(table(&["web"])));
        assert!(Rc::ptr_eq(&loaded, &refreshed));
        let changed = refreshed
            .clone()
            .reduce(Action::TableLoaded(table(&["web", "db"])));
        assert!(!Rc::ptr_eq(&refreshed, &changed));
    }

    #[test]
    fn a_failed_request_stops_loading_and_a_later_success_clears_the_error() {
        let failed = reduce(
            State::default(),
            Action::RequestFailed("GET /x: 404 not found".into()),
        );
        assert_eq!(
            (failed.loading, failed.error.as_deref()),
            (false, Some("GET /x: 404 not found"))
        );
        let recovered = reduce(failed, Action::TableLoaded(table(&[])));
        assert_eq!(recovered.error, None);
    }
}
