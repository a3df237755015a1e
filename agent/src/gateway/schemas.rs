//! The OpenAPI component schemas of the served kinds, generated from the same k8s-openapi types
//! the core decodes into, so `kubectl explain` shows Kubernetes' own field descriptions.
//!
//! Two things Kubernetes adds to its published schemas are added here: the
//! `x-kubernetes-group-version-kind` of each kind (how kubectl finds a kind's schema) and the
//! strategic-merge metadata of keyed lists (how kubectl computes `apply`'s patch from the
//! schema; the facts are those of the core's `apiserver/patch/strategic/merge_keys.rs`).

use schemars::generate::SchemaSettings;
use schemars::JsonSchema;
use serde_json::{json, Map, Value};

/// Where schemas live in an OpenAPI v3 document, as `$ref`s name them.
const COMPONENTS: &str = "#/components/schemas/";

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

/// The schemas of the kinds of one group version (`group`, `version`): every definition they
/// reach, keyed by Kubernetes' definition names (`io.k8s.api.apps.v1.Deployment`).
pub fn for_group_version(group: &str, version: &str) -> Map<String, Value> {
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

    #[test]
    fn a_kind_is_found_by_its_group_version_kind_with_kubernetes_descriptions() {
        let schemas = for_group_version("apps", "v1");
        let deployment = &schemas["io.k8s.api.apps.v1.Deployment"];
        assert_eq!(
            deployment["x-kubernetes-group-version-kind"],
            json!([{"group": "apps", "version": "v1", "kind": "Deployment"}])
        );
        let replicas = &schemas["io.k8s.api.apps.v1.DeploymentSpec"]["properties"]["replicas"];
        assert_eq!(replicas["type"], "integer");
        assert!(replicas["description"]
            .as_str()
            .unwrap()
            .starts_with("Number of desired pods."));
        let spec_ref = deployment["properties"]["spec"].to_string();
        assert!(
            spec_ref.contains(&format!("{COMPONENTS}io.k8s.api.apps.v1.DeploymentSpec")),
            "{spec_ref}"
        );
    }

    #[test]
    fn keyed_lists_carry_their_merge_keys() {
        let schemas = for_group_version("", "v1");
        let containers = &schemas["io.k8s.api.core.v1.PodSpec"]["properties"]["containers"];
        assert_eq!(containers["x-kubernetes-patch-merge-key"], "name");
        assert_eq!(containers["x-kubernetes-patch-strategy"], "merge");
        let env = &schemas["io.k8s.api.core.v1.Container"]["properties"]["env"];
        assert_eq!(env["x-kubernetes-patch-merge-key"], "name");
    }
}
