//! The cluster a lesson starts from: its `setup` manifests, applied as `kubectl apply -f`
//! would (created, or configured back to the lesson's values), so starting a lesson twice
//! or resetting it lands in the same state.

use super::format::Lesson;
use crate::apiserver::ApiServer;
use crate::manifest::apply::{apply, DocumentOutcome};
use crate::manifest::ManifestError;
use jiff::Timestamp;

/// Applies the lesson's starting objects in `default` at cluster time `now`.
pub fn apply_setup(
    api: &mut ApiServer,
    lesson: &Lesson,
    now: Timestamp,
) -> Result<Vec<DocumentOutcome>, ManifestError> {
    if lesson.setup.trim().is_empty() {
        return Ok(Vec::new());
    }
    apply(api, &lesson.setup, "default", now)
}
