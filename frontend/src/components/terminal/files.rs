//! The seed page's manifests as the terminal's `./k8s/` folder, so `kubectl apply -f ./k8s/`
//! has something to read until the editor's file tree provides the files.

use crate::protocol::FileEntry;

const SEED: [(&str, &str); 10] = [
    ("k8s/deployment.yaml", include_str!("../../../../shared/tests/fixtures/seed/deployment.yaml")),
    ("k8s/service.yaml", include_str!("../../../../shared/tests/fixtures/seed/service.yaml")),
    ("k8s/configmap.yaml", include_str!("../../../../shared/tests/fixtures/seed/configmap.yaml")),
    ("k8s/secret.yaml", include_str!("../../../../shared/tests/fixtures/seed/secret.yaml")),
    ("k8s/ingress.yaml", include_str!("../../../../shared/tests/fixtures/seed/ingress.yaml")),
    ("k8s/hpa.yaml", include_str!("../../../../shared/tests/fixtures/seed/hpa.yaml")),
    ("examples/env-from.yaml", include_str!("../../../../shared/tests/fixtures/seed/env-from.yaml")),
    ("examples/probes.yaml", include_str!("../../../../shared/tests/fixtures/seed/probes.yaml")),
    ("examples/pvc.yaml", include_str!("../../../../shared/tests/fixtures/seed/pvc.yaml")),
    ("examples/postgres-pod.yaml", include_str!("../../../../shared/tests/fixtures/seed/postgres-pod.yaml")),
];

/// The files `-f` can name from the terminal.
pub fn seed_files() -> Vec<FileEntry> {
    SEED.iter()
        .map(|(path, content)| FileEntry { path: (*path).to_string(), content: (*content).to_string() })
        .collect()
}
