//! Keys of stored objects: which resource, and which namespace/name within it.

use crate::api::Resource;

/// Identifies a resource type; two API versions of one resource would share it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ResourceKey {
    pub group: &'static str,
    pub plural: &'static str,
}

impl ResourceKey {
    /// The served resource this key belongs to.
    pub fn resource(&self) -> Option<&'static Resource> {
        crate::api::RESOURCES.iter().find(|r| r.group == self.group && r.plural == self.plural)
    }
}

impl From<&Resource> for ResourceKey {
    fn from(r: &Resource) -> Self {
        Self { group: r.group, plural: r.plural }
    }
}

/// Namespace (empty for cluster-scoped objects) and name; ordered as etcd keys are.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ObjectName {
    pub namespace: String,
    pub name: String,
}

impl ObjectName {
    pub fn new(namespace: impl Into<String>, name: impl Into<String>) -> Self {
        Self { namespace: namespace.into(), name: name.into() }
    }

    /// The smallest key within `namespace`, where a range scan starts.
    pub(crate) fn namespace_start(namespace: &str) -> Self {
        Self { namespace: namespace.to_string(), name: String::new() }
    }
}

/// The full key of one object.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Key {
    pub resource: ResourceKey,
    pub name: ObjectName,
}

impl Key {
    pub fn new(resource: impl Into<ResourceKey>, namespace: &str, name: &str) -> Self {
        Self { resource: resource.into(), name: ObjectName::new(namespace, name) }
    }
}
