//! The workspace's paths as the folder tree the editor draws: folders first (`k8s/` on top,
//! as the seed page's `kubectl apply -f ./k8s/` makes it the one used most), then files.

/// One entry of the tree.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Node {
    Folder {
        name: String,
        path: String,
        children: Vec<Node>,
    },
    File {
        name: String,
        path: String,
    },
}

/// The tree of `paths` (each a file's path, `/` between folders).
pub fn build<'a>(paths: impl IntoIterator<Item = &'a str>) -> Vec<Node> {
    let mut root = Vec::new();
    for path in paths {
        insert(&mut root, "", path);
    }
    sort(&mut root);
    root
}

fn insert(level: &mut Vec<Node>, parent: &str, rest: &str) {
    let full = |name: &str| {
        if parent.is_empty() {
            name.to_string()
        } else {
            format!("{parent}/{name}")
        }
    };
    match rest.split_once('/') {
        None => level.push(Node::File {
            name: rest.to_string(),
            path: full(rest),
        }),
        Some((folder, below)) => {
            let path = full(folder);
            let existing = level.iter_mut().find_map(|n| match n {
                Node::Folder {
                    path: p, children, ..
                } if *p == path => Some(children),
                _ => None,
            });
            match existing {
                Some(children) => insert(children, &path, below),
                None => {
                    let mut children = Vec::new();
                    insert(&mut children, &path, below);
                    level.push(Node::Folder {
                        name: folder.to_string(),
                        path,
                        children,
                    });
                }
            }
        }
    }
}

fn sort(level: &mut [Node]) {
    let key = |n: &Node| match n {
        Node::Folder { name, .. } => (0, name != "k8s", name.clone()),
        Node::File { name, .. } => (1, false, name.clone()),
    };
    level.sort_by_key(key);
    for node in level.iter_mut() {
        if let Node::Folder { children, .. } = node {
            sort(children);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(level: &[Node]) -> Vec<String> {
        level
            .iter()
            .map(|n| match n {
                Node::Folder { name, children, .. } => {
                    format!("{name}/[{}]", names(children).join(" "))
                }
                Node::File { name, .. } => name.clone(),
            })
            .collect()
    }

    #[test]
    fn folders_come_first_with_k8s_on_top() {
        let tree = build([
            "app.yaml",
            "examples/pvc.yaml",
            "k8s/service.yaml",
            "k8s/deployment.yaml",
            "k8s/db/pg.yaml",
        ]);
        assert_eq!(
            names(&tree),
            [
                "k8s/[db/[pg.yaml] deployment.yaml service.yaml]",
                "examples/[pvc.yaml]",
                "app.yaml"
            ]
        );
    }

    #[test]
    fn files_keep_their_full_paths() {
        let tree = build(["k8s/db/pg.yaml"]);
        let Node::Folder { children, .. } = &tree[0] else {
            panic!("{tree:?}")
        };
        let Node::Folder { path, children, .. } = &children[0] else {
            panic!("{tree:?}")
        };
        assert_eq!(path, "k8s/db");
        assert_eq!(
            children[0],
            Node::File {
                name: "pg.yaml".into(),
                path: "k8s/db/pg.yaml".into()
            }
        );
    }
}
