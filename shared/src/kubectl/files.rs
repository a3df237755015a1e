//! The page's small file tree as `kubectl apply -f` sees it: paths to files
//! and folders (`./k8s/deployment.yaml`, `./k8s/`), read-only.

use std::collections::BTreeMap;

/// Files kubectl may read.
pub trait Files {
    /// A file's contents; `None` if there is no such file.
    fn read(&self, path: &str) -> Option<String>;
    /// The paths directly inside a folder (files and sub-folders), sorted;
    /// `None` if there is no such folder.
    fn list(&self, dir: &str) -> Option<Vec<String>>;
}

/// Normalises `./k8s/`, `k8s` and `/k8s` to `k8s`.
pub fn normalize(path: &str) -> String {
    let mut parts: Vec<&str> = Vec::new();
    for p in path.split('/') {
        match p {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            p => parts.push(p),
        }
    }
    parts.join("/")
}

/// A map of path → contents is a file tree; folders are the paths' prefixes.
impl Files for BTreeMap<String, String> {
    fn read(&self, path: &str) -> Option<String> {
        let want = normalize(path);
        self.iter().find(|(k, _)| normalize(k) == want).map(|(_, v)| v.clone())
    }

    fn list(&self, dir: &str) -> Option<Vec<String>> {
        let dir = normalize(dir);
        let prefix = if dir.is_empty() { String::new() } else { format!("{dir}/") };
        let mut out: Vec<String> = Vec::new();
        for key in self.keys() {
            let key = normalize(key);
            let Some(rest) = key.strip_prefix(&prefix) else { continue };
            let child = match rest.split_once('/') {
                Some((folder, _)) => format!("{prefix}{folder}"),
                None => key.clone(),
            };
            if !out.contains(&child) {
                out.push(child);
            }
        }
        out.sort();
        (!out.is_empty()).then_some(out)
    }
}

/// No files at all (a host without a file tree).
pub struct NoFiles;

impl Files for NoFiles {
    fn read(&self, _: &str) -> Option<String> {
        None
    }

    fn list(&self, _: &str) -> Option<Vec<String>> {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tree() -> BTreeMap<String, String> {
        [("k8s/deployment.yaml", "d"), ("./k8s/service.yaml", "s"), ("k8s/extra/hpa.yaml", "h"), ("notes.txt", "n")]
            .into_iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn paths_are_read_however_they_are_spelled() {
        let t = tree();
        assert_eq!(t.read("./k8s/deployment.yaml").as_deref(), Some("d"));
        assert_eq!(t.read("k8s/service.yaml").as_deref(), Some("s"));
        assert_eq!(t.read("k8s"), None);
    }

    #[test]
    fn folders_list_their_files_and_sub_folders() {
        let t = tree();
        assert_eq!(t.list("./k8s/").unwrap(), ["k8s/deployment.yaml", "k8s/extra", "k8s/service.yaml"]);
        assert_eq!(t.list("k8s/deployment.yaml"), None);
        assert_eq!(t.list("nope"), None);
    }
}
