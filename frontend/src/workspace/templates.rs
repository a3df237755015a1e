//! Every example of the seed page as a template the editor inserts as a new file: the
//! Deployment, Service, Ingress, ConfigMap, Secret, HPA, the PVC with its postgres Pod, the
//! health checks and the envFrom snippet, plus the page's app as one multi-document file.

use super::seeds;

pub struct Template {
    /// Stable id (the picker's option value).
    pub id: &'static str,
    pub label: &'static str,
    /// Where a new file from it goes; a free name is picked if taken.
    pub path: &'static str,
    pub content: &'static str,
}

/// The seed page's ConfigMap, Secret, Deployment and Service in one file, in the order that
/// lets each find what it needs.
const APP: &str = concat!(
    include_str!("../../../shared/tests/fixtures/seed/configmap.yaml"),
    "---\n",
    include_str!("../../../shared/tests/fixtures/seed/secret.yaml"),
    "---\n",
    include_str!("../../../shared/tests/fixtures/seed/deployment.yaml"),
    "---\n",
    include_str!("../../../shared/tests/fixtures/seed/service.yaml"),
);

/// The PVC and the postgres Pod that mounts it, as the page shows them together.
const PVC_POSTGRES: &str = concat!(
    include_str!("../../../shared/tests/fixtures/seed/pvc.yaml"),
    "---\n",
    include_str!("../../../shared/tests/fixtures/seed/postgres-pod.yaml"),
);

pub const TEMPLATES: &[Template] = &[
    Template {
        id: "deployment",
        label: "Deployment (my-api, 3 replicas)",
        path: "k8s/deployment.yaml",
        content: seeds::DEPLOYMENT,
    },
    Template {
        id: "service",
        label: "Service (ClusterIP)",
        path: "k8s/service.yaml",
        content: seeds::SERVICE,
    },
    Template {
        id: "ingress",
        label: "Ingress",
        path: "k8s/ingress.yaml",
        content: seeds::INGRESS,
    },
    Template {
        id: "configmap",
        label: "ConfigMap",
        path: "k8s/configmap.yaml",
        content: seeds::CONFIGMAP,
    },
    Template {
        id: "secret",
        label: "Secret",
        path: "k8s/secret.yaml",
        content: seeds::SECRET,
    },
    Template {
        id: "pvc-postgres",
        label: "PVC + postgres Pod",
        path: "examples/pvc-postgres.yaml",
        content: PVC_POSTGRES,
    },
    Template {
        id: "hpa",
        label: "HorizontalPodAutoscaler",
        path: "k8s/hpa.yaml",
        content: seeds::HPA,
    },
    Template {
        id: "probes",
        label: "Pod with liveness/readiness probes",
        path: "examples/probes.yaml",
        content: seeds::PROBES,
    },
    Template {
        id: "env-from",
        label: "Pod with envFrom ConfigMap/Secret",
        path: "examples/env-from.yaml",
        content: seeds::ENV_FROM,
    },
    Template {
        id: "app",
        label: "Whole app (ConfigMap, Secret, Deployment, Service)",
        path: "examples/my-api-app.yaml",
        content: APP,
    },
];

pub fn by_id(id: &str) -> Option<&'static Template> {
    TEMPLATES.iter().find(|t| t.id == id)
}

#[cfg(test)]
mod tests {
    use super::*;
    use kubeplay_shared::manifest::parse_documents;

    #[test]
    fn every_template_is_readable_yaml_with_its_kinds() {
        let kinds = |t: &Template| -> Vec<String> {
            parse_documents(t.content)
                .unwrap_or_else(|e| panic!("{}: {e}", t.id))
                .iter()
                .map(|d| d.value["kind"].as_str().unwrap_or_default().to_string())
                .collect()
        };
        let all: Vec<(&str, Vec<String>)> = TEMPLATES.iter().map(|t| (t.id, kinds(t))).collect();
        let expected = [
            ("deployment", vec!["Deployment"]),
            ("service", vec!["Service"]),
            ("ingress", vec!["Ingress"]),
            ("configmap", vec!["ConfigMap"]),
            ("secret", vec!["Secret"]),
            ("pvc-postgres", vec!["PersistentVolumeClaim", "Pod"]),
            ("hpa", vec!["HorizontalPodAutoscaler"]),
            ("probes", vec!["Pod"]),
            ("env-from", vec!["Pod"]),
            ("app", vec!["ConfigMap", "Secret", "Deployment", "Service"]),
        ];
        let expected: Vec<(&str, Vec<String>)> = expected
            .iter()
            .map(|(id, k)| (*id, k.iter().map(|s| s.to_string()).collect()))
            .collect();
        assert_eq!(all, expected);
    }

    #[test]
    fn templates_are_found_by_id() {
        assert_eq!(by_id("hpa").map(|t| t.path), Some("k8s/hpa.yaml"));
        assert!(by_id("nope").is_none());
    }
}
