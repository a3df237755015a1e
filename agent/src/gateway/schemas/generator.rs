//! Generates the OpenAPI component schemas of the served kinds from the same k8s-openapi types
//! the core decodes into, so `kubectl explain` shows Kubernetes' own field descriptions.
//!
//! It runs only in tests: schemars over the whole k8s-openapi type tree would add megabytes of
//! code to the agent for a result that only changes when k8s-openapi does. Its output is the
//! checked-in [`super::CHECKED_IN`]; the test here regenerates it and fails when it is stale
//! (`KUBEPLAY_WRITE_SCHEMAS=1` rewrites it).
//!
//! Two things Kubernetes adds to its published schemas are added here: the
//! `x-kubernetes-group-version-kind` of each kind (how kubectl finds a kind's schema) and the
//! strategic-merge metadata of keyed lists (how kubectl computes `apply`'s patch from the
//! schema; the facts are those of the core's `apiserver/patch/strategic/merge_keys.rs`).

use super::{Catalog, GroupVersionSchemas, COMPONENTS};
use schemars::generate::SchemaSettings;
use schemars::JsonSchema;
use serde_json::{json, Map, Value};
use std::collections::BTreeSet;

/// Lists that merge by a key (or, with `None`, as a set of primitives) when kubectl patches:
/// definition, property, merge key.
const MERGE_LISTS: &[(&str, &str, Option<&str>)] = &[
    (
        "io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta",
        "finalizers",
        None,
    ),
    (
        "io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta",
        "ownerReferences",
        Some("uid"),
    ),
    ("io.k8s.api.core.v1.PodSpec", "containers", Some("name")),
    ("io.k8s.api.core.v1.PodSpec", "initContainers", Some("name")),
    (
        "io.k8s.api.core.v1.PodSpec",
        "ephemeralContainers",
        Some("name"),
    ),
    ("io.k8s.api.core.v1.PodSpec", "volumes", Some("name")),
    (
        "io.k8s.api.core.v1.PodSpec",
        "imagePullSecrets",
        Some("name"),
    ),
    ("io.k8s.api.core.v1.PodSpec", "hostAliases", Some("ip")),
    (
        "io.k8s.api.core.v1.PodSpec",
        "topologySpreadConstraints",
        Some("topologyKey"),
    ),
    (
        "io.k8s.api.core.v1.Container",
        "ports",
        Some("containerPort"),
    ),
    ("io.k8s.api.core.v1.Container", "env", Some("name")),
    (
        "io.k8s.api.core.v1.Container",
        "volumeMounts",
        Some("mountPath"),
    ),
    (
        "io.k8s.api.core.v1.Container",
        "volumeDevices",
        Some("devicePath"),
    ),
    ("io.k8s.api.core.v1.ServiceSpec", "ports", Some("port")),
    ("io.k8s.api.core.v1.ServiceAccount", "secrets", Some("name")),
];

/// Every group version with a served k8s-openapi kind, in a stable order.
fn served_group_versions() -> BTreeSet<(&'static str, &'static str)> {
    let mut gvs = BTreeSet::new();
    macro_rules! collect {
        ($(($g:literal, $v:literal, $kind:literal) => $ty:ty,)*) => {
            $(gvs.insert(($g, $v));)*
        };
    }
    kubeplay_shared::served_k8s_openapi_kinds!(collect);
    gvs
}

/// What is checked in: each group version's definition names over one pool of definitions,
/// since most group versions reach the same metadata types.
pub(super) fn catalog() -> Catalog {
    let mut catalog = Catalog::default();
    for (group, version) in served_group_versions() {
        let definitions = for_group_version(group, version);
        catalog.group_versions.push(GroupVersionSchemas {
            group: group.to_string(),
            version: version.to_string(),
            definitions: definitions.keys().cloned().collect(),
        });
        for (name, schema) in definitions {
            if let Some(pooled) = catalog.definitions.get(&name) {
                assert_eq!(pooled, &schema, "{name} differs between group versions");
            } else {
                catalog.definitions.insert(name, schema);
            }
        }
    }
    catalog
}

/// The schemas of the kinds of one group version (`group`, `version`): every definition they
/// reach, keyed by Kubernetes' definition names (`io.k8s.api.apps.v1.Deployment`).
pub(super) fn for_group_version(group: &str, version: &str) -> Map<String, Value> {
    let mut generator = SchemaSettings::openapi3().into_generator();
    let mut kinds: Vec<(String, &str)> = Vec::new();
    macro_rules! kinds {
        ($(($g:literal, $v:literal, $kind:literal) => $ty:ty,)*) => {
            $(
                if group == $g && version == $v {
                    generator.subschema_for::<$ty>();
                    kinds.push((<$ty as JsonSchema>::schema_name().into_owned(), $kind));
                }
            )*
        };
    }
    kubeplay_shared::served_k8s_openapi_kinds!(kinds);
    let mut definitions = generator.take_definitions(true);
    for (name, kind) in kinds {
        if let Some(schema) = definitions.get_mut(&name).and_then(Value::as_object_mut) {
            schema.insert(
                "x-kubernetes-group-version-kind".into(),
                json!([{"group": group, "version": version, "kind": kind}]),
            );
        }
    }
    for (definition, property, key) in MERGE_LISTS {
        let Some(field) = definitions
            .get_mut(*definition)
            .and_then(|d| d.get_mut("properties"))
            .and_then(|p| p.get_mut(*property))
            .and_then(Value::as_object_mut)
        else {
            continue;
        };
        field.insert("x-kubernetes-patch-strategy".into(), json!("merge"));
        if let Some(key) = key {
            field.insert("x-kubernetes-patch-merge-key".into(), json!(key));
        }
    }
    debug_assert!(
        definitions
            .values()
            .all(|d| !d.to_string().contains("#/$defs/")),
        "refs must point at {COMPONENTS}"
    );
    definitions
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    /// The checked-in file is exactly what k8s-openapi generates, so it cannot drift from the
    /// types the core decodes into.
    #[test]
    fn the_checked_in_schemas_are_what_k8s_openapi_generates() {
        let generated = serde_json::to_string_pretty(&catalog()).unwrap() + "\n";
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(super::super::CHECKED_IN);
        if std::env::var_os("KUBEPLAY_WRITE_SCHEMAS").is_some() {
            std::fs::write(&path, &generated).unwrap();
        }
        let checked_in = std::fs::read_to_string(&path).unwrap();
        // Not assert_eq: the file is megabytes.
        assert!(
            checked_in == generated,
            "{} is stale; rewrite it with \
             KUBEPLAY_WRITE_SCHEMAS=1 cargo test -p kubeplay-agent --bin kubeplay-agent schemas",
            path.display()
        );
    }

    /// What the agent serves from the embedded file is what schemars generates per group
    /// version, definition for definition.
    #[test]
    fn the_embedded_schemas_serve_each_group_version_as_generated() {
        let embedded = super::super::Schemas::load();
        for (group, version) in served_group_versions() {
            assert!(
                embedded.for_group_version(group, version) == for_group_version(group, version),
                "{group}/{version}"
            );
        }
    }
}
