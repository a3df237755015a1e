//! The user's files: the small folder tree the editor edits and the terminal's `kubectl -f`
//! reads (`./k8s/`, `./examples/`, and whatever the user adds), seeded with the seed page's
//! manifests.
//!
//! Folders are not stored: a folder is there while a file is in it, as in git. Paths are
//! relative (`k8s/deployment.yaml`), so `-f ./k8s/` and `-f k8s/deployment.yaml` both find them.
//! `storage` keeps the files in the browser; see there why (localStorage) and what Reset does.

pub mod seeds;
pub mod storage;
pub mod templates;
pub mod tree;

use crate::protocol::FileEntry;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Why a file operation was refused; the workspace is then unchanged.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WorkspaceError {
    #[error("a file name is needed")]
    Empty,
    #[error("{0:?} is not a valid file name: use letters, digits, '.', '-', '_' and '/' between folders")]
    Invalid(String),
    #[error("{0:?} must end in .yaml, .yml or .json, the files kubectl apply -f reads")]
    NotManifest(String),
    #[error("{0:?} already exists")]
    Exists(String),
    #[error("{0:?} is a folder")]
    IsFolder(String),
    #[error("there is no file {0:?}")]
    Missing(String),
}

/// The files by path; sorted, so the tree and `-f folder` see them in kubectl's order.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Workspace {
    files: BTreeMap<String, String>,
}

impl Workspace {
    /// The seed page's manifests, as a new playground has them.
    pub fn seeded() -> Self {
        Self {
            files: seeds::SEEDS
                .iter()
                .map(|s| (s.path.to_string(), s.content.to_string()))
                .collect(),
        }
    }

    pub fn read(&self, path: &str) -> Option<&str> {
        self.files.get(path).map(String::as_str)
    }

    pub fn paths(&self) -> impl Iterator<Item = &str> {
        self.files.keys().map(String::as_str)
    }

    pub fn len(&self) -> usize {
        self.files.len()
    }

    pub fn is_empty(&self) -> bool {
        self.files.is_empty()
    }

    /// Replaces the text of an existing file.
    pub fn write(&mut self, path: &str, content: &str) -> Result<(), WorkspaceError> {
        let file = self
            .files
            .get_mut(path)
            .ok_or_else(|| WorkspaceError::Missing(path.into()))?;
        content.clone_into(file);
        Ok(())
    }

    /// Adds a file at `path` (normalized; `.yaml` added when it names no extension) and
    /// returns the path it got.
    pub fn create(&mut self, path: &str, content: &str) -> Result<String, WorkspaceError> {
        let path = normalize(path)?;
        self.check_free(&path)?;
        self.files.insert(path.clone(), content.to_string());
        Ok(path)
    }

    /// Adds `content` under `path`, or under `name-2.yaml`, `name-3.yaml`… when that is
    /// taken (inserting a template twice keeps both).
    pub fn create_unique(&mut self, path: &str, content: &str) -> Result<String, WorkspaceError> {
        let path = normalize(path)?;
        let (stem, ext) = path.rsplit_once('.').unwrap_or((path.as_str(), "yaml"));
        let mut candidate = path.clone();
        let mut n = 2;
        while self.check_free(&candidate).is_err() {
            candidate = format!("{stem}-{n}.{ext}");
            n += 1;
        }
        self.create(&candidate, content)
    }

    /// Moves a file; returns its new path.
    pub fn rename(&mut self, from: &str, to: &str) -> Result<String, WorkspaceError> {
        if !self.files.contains_key(from) {
            return Err(WorkspaceError::Missing(from.into()));
        }
        let to = normalize(to)?;
        if to == from {
            return Ok(to);
        }
        self.check_free(&to)?;
        let content = self.files.remove(from).unwrap_or_default();
        self.files.insert(to.clone(), content);
        Ok(to)
    }

    pub fn delete(&mut self, path: &str) -> Result<(), WorkspaceError> {
        self.files
            .remove(path)
            .map(drop)
            .ok_or_else(|| WorkspaceError::Missing(path.into()))
    }

    /// Puts every seed file back as the seed page has it; the user's own files stay.
    pub fn restore_seeds(&mut self) {
        for seed in seeds::SEEDS {
            self.files
                .insert(seed.path.to_string(), seed.content.to_string());
        }
    }

    /// The files as `kubectl -f` in the worker reads them.
    pub fn entries(&self) -> Vec<FileEntry> {
        self.files
            .iter()
            .map(|(path, content)| FileEntry {
                path: path.clone(),
                content: content.clone(),
            })
            .collect()
    }

    /// A path is free when no file has it and it is neither a folder nor inside a file.
    fn check_free(&self, path: &str) -> Result<(), WorkspaceError> {
        if self.files.contains_key(path) {
            return Err(WorkspaceError::Exists(path.into()));
        }
        let folder = format!("{path}/");
        if self.files.keys().any(|p| p.starts_with(&folder)) {
            return Err(WorkspaceError::IsFolder(path.into()));
        }
        let mut prefix = String::new();
        for segment in path.split('/') {
            if !prefix.is_empty() {
                if self.files.contains_key(&prefix) {
                    return Err(WorkspaceError::Exists(prefix));
                }
                prefix.push('/');
            }
            prefix.push_str(segment);
        }
        Ok(())
    }
}

/// A path as the workspace keeps it: relative, no `.`/`..` or empty segments, a manifest
/// extension (`.yaml` added to a bare name).
pub fn normalize(path: &str) -> Result<String, WorkspaceError> {
    let trimmed = path.trim();
    let trimmed = trimmed
        .strip_prefix("./")
        .unwrap_or(trimmed)
        .trim_start_matches('/');
    if trimmed.is_empty() {
        return Err(WorkspaceError::Empty);
    }
    let valid_char = |c: char| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_');
    let segments: Vec<&str> = trimmed.split('/').collect();
    let bad_segment =
        |s: &&str| s.is_empty() || *s == "." || *s == ".." || !s.chars().all(valid_char);
    if segments.iter().any(bad_segment) || trimmed.len() > 200 {
        return Err(WorkspaceError::Invalid(path.trim().into()));
    }
    let last = segments.last().copied().unwrap_or_default();
    if !last.contains('.') {
        return Ok(format!("{trimmed}.yaml"));
    }
    if [".yaml", ".yml", ".json"]
        .iter()
        .any(|ext| last.ends_with(ext))
    {
        Ok(trimmed.to_string())
    } else {
        Err(WorkspaceError::NotManifest(trimmed.into()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_new_workspace_holds_the_seed_pages_manifests() {
        let ws = Workspace::seeded();
        assert!(ws
            .read("k8s/deployment.yaml")
            .is_some_and(|t| t.contains("name: my-api")));
        assert!(ws
            .read("examples/postgres-pod.yaml")
            .is_some_and(|t| t.contains("claimName: db-storage")));
        let k8s: Vec<&str> = ws.paths().filter(|p| p.starts_with("k8s/")).collect();
        assert_eq!(
            k8s,
            [
                "k8s/configmap.yaml",
                "k8s/deployment.yaml",
                "k8s/hpa.yaml",
                "k8s/ingress.yaml",
                "k8s/secret.yaml",
                "k8s/service.yaml"
            ]
        );
    }

    #[test]
    fn names_are_normalized_and_bad_ones_refused() {
        assert_eq!(normalize(" ./k8s/web ").unwrap(), "k8s/web.yaml");
        assert_eq!(normalize("/app.yml").unwrap(), "app.yml");
        assert_eq!(normalize(""), Err(WorkspaceError::Empty));
        assert!(matches!(
            normalize("k8s/../x.yaml"),
            Err(WorkspaceError::Invalid(_))
        ));
        assert!(matches!(
            normalize("k8s//x.yaml"),
            Err(WorkspaceError::Invalid(_))
        ));
        assert!(matches!(
            normalize("my app.yaml"),
            Err(WorkspaceError::Invalid(_))
        ));
        assert!(matches!(
            normalize("notes.txt"),
            Err(WorkspaceError::NotManifest(_))
        ));
    }

    #[test]
    fn files_are_created_renamed_and_deleted() {
        let mut ws = Workspace::seeded();
        let path = ws.create("k8s/web", "kind: Pod\n").unwrap();
        assert_eq!(path, "k8s/web.yaml");
        assert_eq!(
            ws.create("k8s/web.yaml", ""),
            Err(WorkspaceError::Exists("k8s/web.yaml".into()))
        );
        assert_eq!(
            ws.rename("k8s/web.yaml", "apps/web.yaml").unwrap(),
            "apps/web.yaml"
        );
        assert_eq!(ws.read("apps/web.yaml"), Some("kind: Pod\n"));
        assert_eq!(ws.read("k8s/web.yaml"), None);
        assert_eq!(
            ws.rename("apps/web.yaml", "k8s/service.yaml"),
            Err(WorkspaceError::Exists("k8s/service.yaml".into()))
        );
        ws.delete("apps/web.yaml").unwrap();
        assert_eq!(
            ws.delete("apps/web.yaml"),
            Err(WorkspaceError::Missing("apps/web.yaml".into()))
        );
    }

    #[test]
    fn a_file_and_a_folder_cannot_share_a_name() {
        let mut ws = Workspace::default();
        ws.create("k8s/app/web.yaml", "").unwrap();
        assert_eq!(
            ws.create("k8s/app.yaml", "").unwrap(),
            "k8s/app.yaml",
            "a different name"
        );
        ws.create("one.yaml", "").unwrap();
        assert_eq!(
            ws.create("one.yaml/two.yaml", ""),
            Err(WorkspaceError::Exists("one.yaml".into()))
        );
        ws.create("v1.yaml/web.yaml", "").unwrap();
        assert_eq!(
            ws.create("v1.yaml", ""),
            Err(WorkspaceError::IsFolder("v1.yaml".into()))
        );
        let mut folders = Workspace::default();
        folders.create("a/b.yaml", "").unwrap();
        assert_eq!(
            folders.create("a", ""),
            Ok("a.yaml".into()),
            "a bare name becomes a .yaml file"
        );
    }

    #[test]
    fn a_template_inserted_twice_keeps_both() {
        let mut ws = Workspace::seeded();
        assert_eq!(
            ws.create_unique("k8s/deployment.yaml", "x").unwrap(),
            "k8s/deployment-2.yaml"
        );
        assert_eq!(
            ws.create_unique("k8s/deployment.yaml", "y").unwrap(),
            "k8s/deployment-3.yaml"
        );
        assert_eq!(ws.read("k8s/deployment-2.yaml"), Some("x"));
    }

    #[test]
    fn restoring_the_seeds_keeps_the_users_files() {
        let mut ws = Workspace::seeded();
        ws.write("k8s/deployment.yaml", "changed").unwrap();
        ws.delete("k8s/hpa.yaml").unwrap();
        ws.create("mine.yaml", "kind: Pod").unwrap();
        ws.restore_seeds();
        assert_eq!(
            ws.read("k8s/deployment.yaml"),
            Workspace::seeded().read("k8s/deployment.yaml")
        );
        assert!(ws.read("k8s/hpa.yaml").is_some());
        assert_eq!(ws.read("mine.yaml"), Some("kind: Pod"));
    }

    #[test]
    fn the_terminal_gets_every_file() {
        let ws = Workspace::seeded();
        let entries = ws.entries();
        assert_eq!(entries.len(), ws.len());
        assert!(entries
            .iter()
            .any(|e| e.path == "k8s/service.yaml" && e.content.contains("targetPort: 3000")));
    }
}
