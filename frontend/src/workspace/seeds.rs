//! The seed page's manifests as a new playground's files: its YAML under `k8s/` (what
//! `kubectl apply -f ./k8s/` on the page applies), and its Pod snippets, made whole Pods,
//! under `examples/`. The text is the test fixtures', so what the core is tested with is what
//! users get.

/// One file of a new workspace.
pub struct Seed {
    pub path: &'static str,
    pub content: &'static str,
}

macro_rules! fixture {
    ($name:literal) => {
        include_str!(concat!("../../../shared/tests/fixtures/seed/", $name))
    };
}

pub const DEPLOYMENT: &str = fixture!("deployment.yaml");
pub const SERVICE: &str = fixture!("service.yaml");
pub const CONFIGMAP: &str = fixture!("configmap.yaml");
pub const SECRET: &str = fixture!("secret.yaml");
pub const INGRESS: &str = fixture!("ingress.yaml");
pub const HPA: &str = fixture!("hpa.yaml");
pub const ENV_FROM: &str = fixture!("env-from.yaml");
pub const PROBES: &str = fixture!("probes.yaml");
pub const PVC: &str = fixture!("pvc.yaml");
pub const POSTGRES_POD: &str = fixture!("postgres-pod.yaml");

pub const SEEDS: &[Seed] = &[
    Seed {
        path: "k8s/deployment.yaml",
        content: DEPLOYMENT,
    },
    Seed {
        path: "k8s/service.yaml",
        content: SERVICE,
    },
    Seed {
        path: "k8s/configmap.yaml",
        content: CONFIGMAP,
    },
    Seed {
        path: "k8s/secret.yaml",
        content: SECRET,
    },
    Seed {
        path: "k8s/ingress.yaml",
        content: INGRESS,
    },
    Seed {
        path: "k8s/hpa.yaml",
        content: HPA,
    },
    Seed {
        path: "examples/env-from.yaml",
        content: ENV_FROM,
    },
    Seed {
        path: "examples/probes.yaml",
        content: PROBES,
    },
    Seed {
        path: "examples/pvc.yaml",
        content: PVC,
    },
    Seed {
        path: "examples/postgres-pod.yaml",
        content: POSTGRES_POD,
    },
];
