//! The lessons that come with the page: the files under `lessons/` at the repository root,
//! embedded at build time so they work offline. Their order is their file names' order.

use super::format::{parse, Lesson, LessonError};

/// `(file name, contents)` of every built-in lesson, in order.
pub const FILES: &[(&str, &str)] = &[
    (
        "01-cluster.yaml",
        include_str!("../../../lessons/01-cluster.yaml"),
    ),
    (
        "02-pods.yaml",
        include_str!("../../../lessons/02-pods.yaml"),
    ),
    (
        "03-deployments.yaml",
        include_str!("../../../lessons/03-deployments.yaml"),
    ),
    (
        "04-services.yaml",
        include_str!("../../../lessons/04-services.yaml"),
    ),
    (
        "05-ingress.yaml",
        include_str!("../../../lessons/05-ingress.yaml"),
    ),
    (
        "06-config.yaml",
        include_str!("../../../lessons/06-config.yaml"),
    ),
    (
        "07-storage.yaml",
        include_str!("../../../lessons/07-storage.yaml"),
    ),
    (
        "08-scaling.yaml",
        include_str!("../../../lessons/08-scaling.yaml"),
    ),
    ("09-hpa.yaml", include_str!("../../../lessons/09-hpa.yaml")),
    (
        "10-self-healing.yaml",
        include_str!("../../../lessons/10-self-healing.yaml"),
    ),
    (
        "11-rollouts.yaml",
        include_str!("../../../lessons/11-rollouts.yaml"),
    ),
    (
        "12-kubectl.yaml",
        include_str!("../../../lessons/12-kubectl.yaml"),
    ),
    (
        "13-compose.yaml",
        include_str!("../../../lessons/13-compose.yaml"),
    ),
];

/// The built-in lessons, parsed; a file that does not read (which the tests rule out) is
/// reported with its name rather than dropped silently.
pub fn lessons() -> Result<Vec<Lesson>, (String, LessonError)> {
    FILES
        .iter()
        .map(|(name, source)| parse(source).map_err(|e| (name.to_string(), e)))
        .collect()
}
