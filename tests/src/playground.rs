//! The playground page as a student uses it, in steps tests read like a lesson: open it, apply
//! a manifest, watch pods on the map, change the cluster speed, reload.
//!
//! Calls that have no UI yet go through `window.kubeplay.call`, the same client (and worker)
//! the panels use; when the editor and terminal land, their steps go beside [`Playground::apply`].

use crate::error::{HarnessError, Result};
use crate::page::Page;
use serde_json::{json, Value};
use std::time::Duration;

/// Long enough for a debug-build wasm page to load on a busy 2-core machine.
pub const LOAD: Duration = Duration::from_secs(90);
/// How long the cluster may take to reach a state (pods Running, a restart).
pub const SETTLE: Duration = Duration::from_secs(120);

/// The seed page's Deployment (`deployment.yaml`), with its health checks.
pub const MY_API: &str = "apiVersion: apps/v1
kind: Deployment
metadata:
  name: my-api
spec:
  replicas: 3
  selector:
    matchLabels:
      app: my-api
  template:
    metadata:
      labels:
        app: my-api
    spec:
      containers:
      - name: api
        image: myapp:1.0
        ports:
        - containerPort: 3000
        resources:
          requests:
            memory: \"128Mi\"
            cpu: \"100m\"
          limits:
            memory: \"256Mi\"
            cpu: \"500m\"
        livenessProbe:
          httpGet:
            path: /health
            port: 3000
          initialDelaySeconds: 10
          periodSeconds: 15
        readinessProbe:
          httpGet:
            path: /ready
            port: 3000
          initialDelaySeconds: 5
          periodSeconds: 10
";

/// A pod on the map: `namespace/name`, STATUS and RESTARTS as the map shows them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MapPod {
    pub key: String,
    pub status: String,
    pub restarts: u64,
}

pub struct Playground<'a> {
    pub page: &'a Page,
}

impl<'a> Playground<'a> {
    /// Opens the page and waits until it shows a live cluster.
    pub fn open(page: &'a Page) -> Result<Self> {
        page.open("")?;
        let playground = Self { page };
        playground.wait_interactive()?;
        Ok(playground)
    }

    /// Reloads as a user would and waits until the page is live again.
    pub fn reload(&self) -> Result<()> {
        self.page.reload()?;
        self.wait_interactive()
    }

    fn wait_interactive(&self) -> Result<()> {
        self.page
            .wait_for(
                "the page to show the cluster",
                "document.documentElement.hasAttribute('data-interactive') && window.kubeplay ? true : null",
                LOAD,
            )
            .map(drop)
    }

    /// Sends a protocol call (`{"call": "apply", ...}`) through the page's client; the reply.
    pub fn call(&self, call: &Value) -> Result<Value> {
        let script = format!(
            "const done = arguments[arguments.length - 1];
             window.kubeplay.call({call}).then(r => done(JSON.parse(r)), e => done({{failed: String(e)}}));",
            call = serde_json::to_string(&call.to_string()).unwrap_or_default()
        );
        let reply = self.page.execute_async(&script)?;
        if let Some(failed) = reply.get("failed") {
            return Err(HarnessError::Unexpected(format!(
                "call {call} failed in the page: {failed}"
            )));
        }
        Ok(reply)
    }

    /// `kubectl apply` of `yaml` in `default` through the worker; the apply report.
    pub fn apply(&self, yaml: &str) -> Result<Value> {
        let reply = self.call(&json!({"call": "apply", "yaml": yaml, "namespace": "default"}))?;
        reply
            .get("report")
            .cloned()
            .ok_or_else(|| HarnessError::Unexpected(format!("apply answered {reply}")))
    }

    /// One terminal line (`kubectl apply -f k8s/web.yaml`) in terminal `t1`, with `files` as the
    /// editor's file tree; what it printed and its exit code.
    pub fn kubectl(&self, line: &str, files: &[(&str, &str)]) -> Result<(String, i64)> {
        let files: Vec<Value> = files
            .iter()
            .map(|(path, content)| json!({"path": path, "content": content}))
            .collect();
        let reply =
            self.call(&json!({"call": "kubectl", "session": "t1", "line": line, "files": files}))?;
        let output = reply["output"].as_str().unwrap_or_default().to_string();
        let code = reply["exit_code"]
            .as_i64()
            .ok_or_else(|| HarnessError::Unexpected(format!("kubectl answered {reply}")))?;
        Ok((output, code))
    }

    /// One API request through the worker; `(status, body)`.
    pub fn api(
        &self,
        method: &str,
        path: &str,
        body: Option<&Value>,
        content_type: &str,
    ) -> Result<(u64, Value)> {
        let mut request = json!({"method": method, "path": path});
        if let Some(body) = body {
            request["body"] = json!(body.to_string());
            request["headers"] = json!([["Content-Type", content_type]]);
        }
        let reply = self.call(&json!({"call": "api", "request": request}))?;
        let response = &reply["response"];
        let status = response["status"].as_u64().unwrap_or_default();
        let body = response["body"]
            .as_str()
            .and_then(|b| serde_json::from_str(b).ok())
            .unwrap_or(Value::Null);
        Ok((status, body))
    }

    /// Merge-patches an object through the API; fails unless the API accepts it.
    pub fn merge_patch(&self, path: &str, patch: &Value) -> Result<Value> {
        let (status, body) =
            self.api("PATCH", path, Some(patch), "application/merge-patch+json")?;
        if status != 200 {
            return Err(HarnessError::Unexpected(format!(
                "PATCH {path}: {status} {body}"
            )));
        }
        Ok(body)
    }

    /// Chooses a cluster speed in the header (`1`, `5`, `20`, `0` for pause).
    pub fn set_speed(&self, speed: u32) -> Result<()> {
        self.click(&format!(".speed-control [data-speed='{speed}']"))?;
        self.page
            .wait_for(
                "the speed to be selected",
                &format!("document.querySelector(\".speed-control [data-speed='{speed}']\")?.getAttribute('aria-pressed') === 'true' ? true : null"),
                LOAD,
            )
            .map(drop)
    }

    /// The speed badge's text, if the header shows one.
    pub fn speed_badge(&self) -> Result<Option<String>> {
        let value = self
            .page
            .execute("return document.getElementById('speed-badge')?.textContent ?? null;")?;
        Ok(value.as_str().map(str::to_string))
    }

    pub fn click(&self, selector: &str) -> Result<()> {
        let selector_js = serde_json::to_string(selector).unwrap_or_default();
        let found = self.page.execute(&format!(
            "const e = document.querySelector({selector_js}); if (!e) return false; e.click(); return true;"
        ))?;
        if found != json!(true) {
            return Err(HarnessError::Unexpected(format!(
                "nothing to click at {selector}"
            )));
        }
        Ok(())
    }

    /// Every pod on the map whose `namespace/name` starts with `prefix`.
    pub fn map_pods(&self, prefix: &str) -> Result<Vec<MapPod>> {
        let prefix_js = serde_json::to_string(prefix).unwrap_or_default();
        let value = self.page.execute(&format!(
            "return [...document.querySelectorAll('#map [data-pod]')]
                 .filter(e => e.dataset.pod.startsWith({prefix_js}))
                 .map(e => [e.dataset.pod, e.dataset.status, Number(e.dataset.restarts ?? 0)]);"
        ))?;
        Ok(value
            .as_array()
            .map(|pods| {
                pods.iter()
                    .map(|p| MapPod {
                        key: p[0].as_str().unwrap_or_default().to_string(),
                        status: p[1].as_str().unwrap_or_default().to_string(),
                        restarts: p[2].as_u64().unwrap_or_default(),
                    })
                    .collect()
            })
            .unwrap_or_default())
    }

    /// Waits until the map shows exactly `count` pods starting with `prefix`, all `status`.
    pub fn wait_pods(&self, prefix: &str, count: usize, status: &str) -> Result<Vec<MapPod>> {
        let prefix_js = serde_json::to_string(prefix).unwrap_or_default();
        let status_js = serde_json::to_string(status).unwrap_or_default();
        self.page.wait_for(
            &format!("{count} pods {prefix}* {status} on the map"),
            &format!(
                "(() => {{ const pods = [...document.querySelectorAll('#map [data-pod]')]
                     .filter(e => e.dataset.pod.startsWith({prefix_js}));
                   return pods.length === {count} && pods.every(e => e.dataset.status === {status_js}) ? true : null; }})()"
            ),
            SETTLE,
        )?;
        self.map_pods(prefix)
    }

    /// The store revision the page last reported saved, if any.
    pub fn saved_revision(&self) -> Result<Option<u64>> {
        let value = self
            .page
            .execute("return document.getElementById('saved')?.dataset.revision ?? null;")?;
        Ok(value.as_str().and_then(|r| r.parse().ok()))
    }

    /// Waits until the page has saved twice more: the second save began after this call, so
    /// everything the page showed before it is in the browser's storage.
    pub fn wait_saved(&self) -> Result<()> {
        let mut last = self.saved_revision()?;
        for _ in 0..2 {
            let before = last.map_or("null".to_string(), |r| format!("'{r}'"));
            let now = self.page.wait_for(
                "the cluster to be saved",
                &format!(
                    "(() => {{ const r = document.getElementById('saved')?.dataset.revision ?? null;
                       return r !== null && r !== {before} ? r : null; }})()"
                ),
                SETTLE,
            )?;
            last = now.as_str().and_then(|r| r.parse().ok());
        }
        Ok(())
    }
}

/// The Editor and Terminal tabs as a student uses them: open a file, type, apply, run a line.
impl Playground<'_> {
    /// Opens the dock's Editor tab and waits for its code area.
    pub fn open_editor(&self) -> Result<()> {
        self.click("[role=tab][data-dock=editor]")?;
        self.page
            .wait_for(
                "the editor",
                "document.getElementById('editor-text') ? true : null",
                LOAD,
            )
            .map(drop)
    }

    /// Opens `path` from the editor's file tree; the text the code area then shows.
    pub fn open_file(&self, path: &str) -> Result<String> {
        self.click(&format!("[data-file=\"{path}\"]"))?;
        let path_js = serde_json::to_string(path).unwrap_or_default();
        let text = self.page.wait_for(
            &format!("{path} in the editor"),
            &format!(
                "document.getElementById('editor-path')?.textContent === {path_js}
                   ? document.getElementById('editor-text').value : null"
            ),
            LOAD,
        )?;
        Ok(text.as_str().unwrap_or_default().to_string())
    }

    /// Replaces the open file's text as typing does (the field's value, then an input event).
    pub fn set_editor_text(&self, text: &str) -> Result<()> {
        let text_js = serde_json::to_string(text).unwrap_or_default();
        self.page.execute(&format!(
            "const el = document.getElementById('editor-text'); el.focus(); el.value = {text_js};
             el.dispatchEvent(new InputEvent('input', {{ bubbles: true }})); return true;"
        ))?;
        Ok(())
    }

    /// The code area's text.
    pub fn editor_text(&self) -> Result<String> {
        let value = self
            .page
            .execute("return document.getElementById('editor-text')?.value ?? null;")?;
        Ok(value.as_str().unwrap_or_default().to_string())
    }

    /// Presses a key in the code area (`"Tab"`, `"Escape"`, `"Enter"` with `ctrl`).
    pub fn press_in_editor(&self, key: &str, ctrl: bool, shift: bool) -> Result<()> {
        let key_js = serde_json::to_string(key).unwrap_or_default();
        self.page.execute(&format!(
            "document.getElementById('editor-text').dispatchEvent(new KeyboardEvent('keydown',
               {{ key: {key_js}, ctrlKey: {ctrl}, shiftKey: {shift}, bubbles: true, cancelable: true }})); return true;"
        ))?;
        Ok(())
    }

    fn answered_applies(&self) -> Result<u64> {
        let value = self.page.execute(
            "return document.getElementById('editor-results')?.dataset.answered ?? '0';",
        )?;
        Ok(value
            .as_str()
            .and_then(|v| v.parse().ok())
            .unwrap_or_default())
    }

    /// Applies the open file (Ctrl+Enter when `keyboard`, else a click on Apply) and waits for the
    /// answer; the result panel's text.
    pub fn apply_in_editor_by(&self, keyboard: bool) -> Result<String> {
        let before = self.answered_applies()?;
        if keyboard {
            self.press_in_editor("Enter", true, false)?;
        } else {
            self.click("#editor-apply")?;
        }
        let text = self.page.wait_for(
            "the editor's apply result",
            &format!(
                "(() => {{ const r = document.getElementById('editor-results');
                   return r && Number(r.dataset.answered) > {before} ? r.innerText : null; }})()"
            ),
            LOAD,
        )?;
        Ok(text.as_str().unwrap_or_default().to_string())
    }

    /// Clicks the editor's Apply button; the result panel's text.
    pub fn apply_in_editor(&self) -> Result<String> {
        self.apply_in_editor_by(false)
    }

    /// Opens the Terminal tab, types `line` at its prompt and presses Enter.
    pub fn run_in_terminal(&self, line: &str) -> Result<()> {
        self.click("[role=tab][data-dock=terminal]")?;
        self.page.wait_for(
            "the terminal",
            "document.getElementById('terminal-input') ? true : null",
            LOAD,
        )?;
        let line_js = serde_json::to_string(line).unwrap_or_default();
        self.page.execute(&format!(
            "const el = document.getElementById('terminal-input'); el.focus(); el.value = {line_js};
             el.dispatchEvent(new InputEvent('input', {{ bubbles: true }})); return true;"
        ))?;
        self.page.wait_for(
            "the typed line in the terminal",
            &format!("document.getElementById('terminal-input').value === {line_js} ? true : null"),
            LOAD,
        )?;
        self.page.execute(
            "document.getElementById('terminal-input').dispatchEvent(
               new KeyboardEvent('keydown', { key: 'Enter', bubbles: true, cancelable: true })); return true;",
        )?;
        Ok(())
    }
}

/// Real machines: the page driving `kubeplay-agent`s (see `tests/tests/page_agents.rs`).
impl Playground<'_> {
    /// Removes the seed's simulated nodes, so every pod lands on the real ones.
    pub fn remove_simulated_nodes(&self) -> Result<()> {
        for name in ["node-1", "node-2", "node-3"] {
            let reply = self.call(&json!(
                {"call": "node", "command": {"command": "remove", "name": name}}
            ))?;
            if reply["reply"] != "ok" {
                return Err(HarnessError::Unexpected(format!(
                    "removing node {name} answered {reply}"
                )));
            }
        }
        Ok(())
    }

    /// Adds the agent at `url` as node `node` and waits until its link is up.
    pub fn join(&self, url: &str, token: &str, node: &str, limit: Duration) -> Result<()> {
        self.add_node(url, token)?;
        self.wait_agent(node, "connected", limit)
    }

    /// Connects an agent through the "Add node" dialog, as a presenter pastes what it printed.
    pub fn add_node(&self, url: &str, token: &str) -> Result<()> {
        self.click("#add-node")?;
        self.page.wait_for(
            "the Add node dialog",
            "document.getElementById('agent-url') ? true : null",
            LOAD,
        )?;
        let (url, token) = (
            serde_json::to_string(url).unwrap_or_default(),
            serde_json::to_string(token).unwrap_or_default(),
        );
        self.page.execute(&format!(
            "document.getElementById('agent-url').value = {url};
             document.getElementById('agent-token').value = {token};
             document.getElementById('agent-connect').click();"
        ))?;
        Ok(())
    }

    /// Waits until the agents strip shows node `node` with its link in `phase`.
    pub fn wait_agent(&self, node: &str, phase: &str, limit: Duration) -> Result<()> {
        let node_js = serde_json::to_string(node).unwrap_or_default();
        let phase_js = serde_json::to_string(phase).unwrap_or_default();
        self.page
            .wait_for(
                &format!("agent {node} {phase}"),
                &format!(
                    "[...document.querySelectorAll('#agents [data-agent]')]
                       .some(e => e.dataset.nodeName === {node_js} && e.dataset.phase === {phase_js}) ? true : null"
                ),
                limit,
            )
            .map(drop)
    }

    /// The map's pods starting with `prefix`, by the node card they sit on.
    pub fn pods_by_node(&self, prefix: &str) -> Result<Vec<(String, String)>> {
        let prefix_js = serde_json::to_string(prefix).unwrap_or_default();
        let value = self.page.execute(&format!(
            "return [...document.querySelectorAll('#map [data-node] [data-pod]')]
                 .filter(e => e.dataset.pod.startsWith({prefix_js}))
                 .map(e => [e.closest('[data-node]').dataset.node, e.dataset.pod]);"
        ))?;
        Ok(value
            .as_array()
            .map(|rows| {
                rows.iter()
                    .map(|r| {
                        (
                            r[0].as_str().unwrap_or_default().to_string(),
                            r[1].as_str().unwrap_or_default().to_string(),
                        )
                    })
                    .collect()
            })
            .unwrap_or_default())
    }
}

/// Steps for the inspection panels (logs viewer, object browser) and the map at a given size.
impl Playground<'_> {
    /// Opens a dock tab (`logs`, `objects`, `terminal`, …) and waits until it is selected.
    pub fn open_dock(&self, tab: &str) -> Result<()> {
        self.click(&format!("[role=tab][data-dock='{tab}']"))?;
        self.page
            .wait_for(
                &format!("the {tab} tab"),
                &format!("document.querySelector(\"[role=tab][data-dock='{tab}']\")?.getAttribute('aria-selected') === 'true' ? true : null"),
                LOAD,
            )
            .map(drop)
    }

    /// Types `value` into the input or textarea at `selector` as a user would (an `input` event).
    pub fn type_into(&self, selector: &str, value: &str) -> Result<()> {
        self.set_and_fire(selector, value, "input")
    }

    /// Picks `value` in the select at `selector` (a `change` event).
    pub fn choose(&self, selector: &str, value: &str) -> Result<()> {
        self.set_and_fire(selector, value, "change")
    }

    fn set_and_fire(&self, selector: &str, value: &str, event: &str) -> Result<()> {
        let (selector_js, value_js) = (js_string(selector), js_string(value));
        let done = self.page.execute(&format!(
            "const e = document.querySelector({selector_js}); if (!e) return false; e.focus(); e.value = {value_js};
             e.dispatchEvent(new Event('{event}', {{ bubbles: true }})); return true;"
        ))?;
        if done != json!(true) {
            return Err(HarnessError::Unexpected(format!(
                "nothing to fill at {selector}"
            )));
        }
        Ok(())
    }

    /// The text of the first element at `selector` (`innerText`, or a textarea's value).
    pub fn text_of(&self, selector: &str) -> Result<Option<String>> {
        let selector_js = js_string(selector);
        let value = self.page.execute(&format!(
            "const e = document.querySelector({selector_js}); if (!e) return null;
             return e.tagName === 'TEXTAREA' ? e.value : e.innerText;"
        ))?;
        Ok(value.as_str().map(str::to_string))
    }

    /// Waits until some element at `selector` has text containing `needle`; that element's text.
    pub fn wait_text(&self, selector: &str, needle: &str) -> Result<String> {
        let (selector_js, needle_js) = (js_string(selector), js_string(needle));
        let found = self.page.wait_for(
            &format!("{selector} to show {needle:?}"),
            &format!(
                "(() => {{ const e = [...document.querySelectorAll({selector_js})]
                     .find(e => (e.tagName === 'TEXTAREA' ? e.value : e.innerText).includes({needle_js}));
                   return e ? (e.tagName === 'TEXTAREA' ? e.value : e.innerText) : null; }})()"
            ),
            SETTLE,
        )?;
        Ok(found.as_str().unwrap_or_default().to_string())
    }
}

fn js_string(text: &str) -> String {
    serde_json::to_string(text).unwrap_or_default()
}
