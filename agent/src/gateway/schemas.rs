//! The OpenAPI component schemas of the served kinds, as `kubectl explain` and `kubectl apply`
//! read them: Kubernetes' own field descriptions, each kind's `x-kubernetes-group-version-kind`
//! and the strategic-merge keys of keyed lists.
//!
//! They are generated from k8s-openapi's types by [`generator`] (in tests only), checked in as
//! JSON, and embedded deflated by the build script; generating them here at run time would
//! monomorphise schemars over the whole k8s type tree into the agent, megabytes of code.

#[cfg(test)]
mod generator;

use flate2::read::DeflateDecoder;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use std::io::Read;

/// Where schemas live in an OpenAPI v3 document, as `$ref`s name them.
#[cfg(test)]
const COMPONENTS: &str = "#/components/schemas/";

/// The generated file, relative to the agent's manifest (the build script reads the same path).
#[cfg(test)]
const CHECKED_IN: &str = "src/gateway/schemas/k8s-openapi-schemas.json";

/// [`CHECKED_IN`], deflated by `build.rs`.
static EMBEDDED: &[u8] = include_bytes!(concat!(
    env!("OUT_DIR"),
    "/k8s-openapi-schemas.json.deflate"
));

/// The checked-in file: one pool of definitions, and which of them each group version reaches.
#[derive(Debug, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Catalog {
    group_versions: Vec<GroupVersionSchemas>,
    definitions: Map<String, Value>,
}

#[derive(Debug, Serialize, Deserialize)]
struct GroupVersionSchemas {
    group: String,
    version: String,
    /// Keys of [`Catalog::definitions`].
    definitions: Vec<String>,
}

/// The embedded schemas, decoded; kept only while the OpenAPI documents are built.
pub struct Schemas(Catalog);

impl Schemas {
    /// Inflates and parses the embedded file. It is this crate's own build output, checked by
    /// the tests here, so a failure is a defect of the build, not of any input.
    pub fn load() -> Self {
        let mut json = Vec::new();
        DeflateDecoder::new(EMBEDDED)
            .read_to_end(&mut json)
            .expect("the embedded OpenAPI schemas inflate (checked by the schemas tests)");
        Schemas(
            serde_json::from_slice(&json)
                .expect("the embedded OpenAPI schemas parse (checked by the schemas tests)"),
        )
    }

    /// The schemas of the kinds of one group version (`group`, `version`): every definition they
    /// reach, keyed by Kubernetes' definition names (`io.k8s.api.apps.v1.Deployment`); empty for
    /// a group version without k8s-openapi kinds.
    pub fn for_group_version(&self, group: &str, version: &str) -> Map<String, Value> {
        let Some(gv) = self
            .0
            .group_versions
            .iter()
            .find(|gv| gv.group == group && gv.version == version)
        else {
            return Map::new();
        };
        gv.definitions
            .iter()
            .filter_map(|name| Some((name.clone(), self.0.definitions.get(name)?.clone())))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_kind_is_found_by_its_group_version_kind_with_kubernetes_descriptions() {
        let schemas = Schemas::load().for_group_version("apps", "v1");
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
        let schemas = Schemas::load().for_group_version("", "v1");
        let containers = &schemas["io.k8s.api.core.v1.PodSpec"]["properties"]["containers"];
        assert_eq!(containers["x-kubernetes-patch-merge-key"], "name");
        assert_eq!(containers["x-kubernetes-patch-strategy"], "merge");
        let env = &schemas["io.k8s.api.core.v1.Container"]["properties"]["env"];
        assert_eq!(env["x-kubernetes-patch-merge-key"], "name");
    }

    /// Every `$ref` of a group version's document resolves inside that document, as kubectl
    /// needs to walk a kind's fields.
    #[test]
    fn every_reference_resolves_within_its_group_version() {
        let schemas = Schemas::load();
        for gv in &schemas.0.group_versions {
            let definitions = schemas.for_group_version(&gv.group, &gv.version);
            assert!(!definitions.is_empty(), "{}/{}", gv.group, gv.version);
            let text = Value::Object(definitions.clone()).to_string();
            for reference in text.split("\"$ref\":\"").skip(1) {
                let target = reference.split('"').next().unwrap_or_default();
                let name = target.strip_prefix(COMPONENTS).unwrap_or(target);
                assert!(
                    definitions.contains_key(name),
                    "{}/{}: {target}",
                    gv.group,
                    gv.version
                );
            }
        }
        assert!(schemas.for_group_version("nothing", "v1").is_empty());
    }
}
