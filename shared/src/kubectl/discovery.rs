//! What kubectl learns from discovery (`/api/v1`, `/apis`, `/apis/<group>/<version>`):
//! which resource types exist, their plurals, short names and categories, so
//! `po`, `deploy`, `deployments.apps` and `all` mean what they mean in kubectl.

use super::client::{Client, CmdError, CmdResult};
use serde_json::Value;

/// One resource type the server serves.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiResource {
    pub group: String,
    pub version: String,
    pub kind: String,
    pub plural: String,
    pub singular: String,
    pub namespaced: bool,
    pub short_names: Vec<String>,
    pub categories: Vec<String>,
    pub verbs: Vec<String>,
}

impl ApiResource {
    pub fn api_version(&self) -> String {
        if self.group.is_empty() { self.version.clone() } else { format!("{}/{}", self.group, self.version) }
    }

    /// `pod` or `deployment.apps`: how kubectl names the type in `type/name` output.
    pub fn kind_prefix(&self) -> String {
        let lower = self.kind.to_lowercase();
        if self.group.is_empty() { lower } else { format!("{lower}.{}", self.group) }
    }

    /// `pods` or `deployments.apps`: how the API names the type in messages.
    pub fn group_resource(&self) -> String {
        if self.group.is_empty() { self.plural.clone() } else { format!("{}.{}", self.plural, self.group) }
    }

    pub fn collection_path(&self, namespace: Option<&str>) -> String {
        let base = if self.group.is_empty() {
            format!("/api/{}", self.version)
        } else {
            format!("/apis/{}/{}", self.group, self.version)
        };
        match namespace.filter(|_| self.namespaced) {
            Some(ns) => format!("{base}/namespaces/{ns}/{}", self.plural),
            None => format!("{base}/{}", self.plural),
        }
    }

    pub fn object_path(&self, namespace: &str, name: &str) -> String {
        format!("{}/{name}", self.collection_path(Some(namespace)))
    }

    /// Whether `word` names this type (plural, singular, kind or short name,
    /// optionally qualified by group: `deployments.apps`).
    fn is_named(&self, word: &str) -> bool {
        let lower = word.to_lowercase();
        let (name, group) = match lower.split_once('.') {
            Some((n, g)) => (n.to_string(), Some(g.to_string())),
            None => (lower.clone(), None),
        };
        if group.as_deref().is_some_and(|g| g != self.group) {
            return false;
        }
        name == self.plural || name == self.singular || name == self.kind.to_lowercase() || self.short_names.contains(&name)
    }
}

/// Everything discovery said, in kubectl's priority order (core group first).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Discovery {
    pub resources: Vec<ApiResource>,
}

impl Discovery {
    /// Reads the discovery documents through the client.
    pub fn load(client: &mut Client) -> CmdResult<Self> {
        let mut resources = Vec::new();
        let core = client.get("/api/v1")?;
        read_list(&core, "", "v1", &mut resources);
        let groups = client.get("/apis")?;
        for g in groups.get("groups").and_then(Value::as_array).into_iter().flatten() {
            let name = g.get("name").and_then(Value::as_str).unwrap_or("");
            let version = g.pointer("/preferredVersion/version").and_then(Value::as_str).unwrap_or("");
            if name.is_empty() || version.is_empty() {
                continue;
            }
            let list = client.get(&format!("/apis/{name}/{version}"))?;
            read_list(&list, name, version, &mut resources);
        }
        // metrics.k8s.io shadows `pods`/`nodes`; kubectl ranks it last.
        resources.sort_by_key(|r| r.group == "metrics.k8s.io");
        Ok(Self { resources })
    }

    /// The type a word means, or kubectl's refusal.
    pub fn resolve(&self, word: &str) -> CmdResult<&ApiResource> {
        self.resources
            .iter()
            .find(|r| r.is_named(word))
            .ok_or_else(|| CmdError::usage(format!("the server doesn't have a resource type \"{word}\"")))
    }

    /// The types in a category (`all`).
    pub fn category(&self, name: &str) -> Vec<&ApiResource> {
        self.resources.iter().filter(|r| r.categories.iter().any(|c| c == name)).collect()
    }

    /// The type of an object's `apiVersion` and `kind`.
    pub fn by_kind(&self, api_version: &str, kind: &str) -> Option<&ApiResource> {
        self.resources.iter().find(|r| r.api_version() == api_version && r.kind == kind)
    }
}

fn read_list(list: &Value, group: &str, version: &str, out: &mut Vec<ApiResource>) {
    let strings = |v: Option<&Value>| -> Vec<String> {
        v.and_then(Value::as_array).into_iter().flatten().filter_map(Value::as_str).map(str::to_string).collect()
    };
    for r in list.get("resources").and_then(Value::as_array).into_iter().flatten() {
        let plural = r.get("name").and_then(Value::as_str).unwrap_or("");
        if plural.is_empty() || plural.contains('/') {
            continue;
        }
        out.push(ApiResource {
            group: group.to_string(),
            version: version.to_string(),
            kind: r.get("kind").and_then(Value::as_str).unwrap_or("").to_string(),
            plural: plural.to_string(),
            singular: r.get("singularName").and_then(Value::as_str).unwrap_or("").to_string(),
            namespaced: r.get("namespaced").and_then(Value::as_bool).unwrap_or(false),
            short_names: strings(r.get("shortNames")),
            categories: strings(r.get("categories")),
            verbs: strings(r.get("verbs")),
        });
    }
}
