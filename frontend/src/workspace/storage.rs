//! The workspace in the browser's localStorage, so files survive a reload.
//!
//! Why localStorage in the UI rather than IndexedDB through the worker: the files belong to
//! the UI (the editor edits them; the terminal sends them with each kubectl line), they are a
//! few kilobytes, and a synchronous read gives the editor and the terminal the same files at
//! their first render with no extra protocol. The worker's IndexedDB holds the cluster; Reset
//! starts a fresh cluster there and leaves these files alone, as resetting a real cluster
//! leaves your `./k8s/` folder alone. The editor's "Restore examples" puts the seed files
//! back instead (keeping the user's own).

use super::Workspace;
use serde::{Deserialize, Serialize};

const KEY: &str = "kubeplay.workspace";
/// Bump when the stored layout changes; older data is then replaced by the seeds, not misread.
const VERSION: u32 = 1;

#[derive(Serialize, Deserialize)]
struct Stored {
    version: u32,
    workspace: Workspace,
    /// The file open in the editor.
    #[serde(default)]
    open: Option<String>,
}

/// What was saved: the files and the file that was open.
pub struct Saved {
    pub workspace: Workspace,
    pub open: Option<String>,
    /// Why the saved files could not be read (then the seeds are used).
    pub problem: Option<String>,
}

fn local_storage() -> Result<web_sys::Storage, String> {
    web_sys::window()
        .ok_or("no window")?
        .local_storage()
        .map_err(|e| format!("{e:?}"))?
        .ok_or_else(|| "localStorage is not available here".to_string())
}

/// The saved files, or the seeds when nothing (readable) was saved.
pub fn load() -> Saved {
    let text = match local_storage().map(|s| s.get_item(KEY)) {
        Ok(Ok(Some(text))) => text,
        Ok(Ok(None)) => {
            return Saved {
                workspace: Workspace::seeded(),
                open: None,
                problem: None,
            }
        }
        Ok(Err(err)) => return seeded_because(format!("{err:?}")),
        Err(err) => return seeded_because(err),
    };
    decode(&text)
}

fn seeded_because(problem: String) -> Saved {
    Saved {
        workspace: Workspace::seeded(),
        open: None,
        problem: Some(format!(
            "Your files could not be read from the browser ({problem}); the examples are shown."
        )),
    }
}

fn decode(text: &str) -> Saved {
    match serde_json::from_str::<Stored>(text) {
        Ok(stored) if stored.version == VERSION => Saved {
            workspace: stored.workspace,
            open: stored.open,
            problem: None,
        },
        Ok(stored) => seeded_because(format!("saved by version {}", stored.version)),
        Err(err) => seeded_because(err.to_string()),
    }
}

fn encode(workspace: &Workspace, open: Option<&str>) -> String {
    let stored = Stored {
        version: VERSION,
        workspace: workspace.clone(),
        open: open.map(str::to_string),
    };
    // Strings and maps with string keys only: always JSON.
    serde_json::to_string(&stored).unwrap_or_default()
}

/// Saves the files; an error says why the browser refused (storage full, private mode).
pub fn save(workspace: &Workspace, open: Option<&str>) -> Result<(), String> {
    local_storage()?
        .set_item(KEY, &encode(workspace, open))
        .map_err(|e| format!("Your files could not be saved in the browser: {e:?}"))
}

/// The files as the terminal's `kubectl -f` reads them: what the editor last saved.
pub fn files_for_kubectl() -> Vec<crate::protocol::FileEntry> {
    load().workspace.entries()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn saved_files_come_back_with_the_open_one() {
        let mut ws = Workspace::seeded();
        ws.create("mine.yaml", "kind: Pod\n").unwrap();
        let back = decode(&encode(&ws, Some("mine.yaml")));
        assert_eq!(back.workspace, ws);
        assert_eq!(back.open.as_deref(), Some("mine.yaml"));
        assert_eq!(back.problem, None);
    }

    #[test]
    fn unreadable_or_other_version_data_gives_the_seeds_and_says_why() {
        for text in ["not json", r#"{"version": 99, "workspace": {"files": {}}}"#] {
            let back = decode(text);
            assert_eq!(back.workspace, Workspace::seeded());
            assert!(
                back.problem
                    .is_some_and(|p| p.contains("could not be read")),
                "{text}"
            );
        }
    }
}
