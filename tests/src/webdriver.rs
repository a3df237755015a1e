//! A blocking W3C WebDriver client for the few commands the tests use: open a session, navigate,
//! run a script, take a screenshot.

use crate::error::{HarnessError, Result};
use crate::http;
use base64::Engine as _;
use serde_json::{json, Value};
use std::net::SocketAddr;
use std::path::Path;

/// One browser session; closed (and the browser quit) on drop.
pub struct Session {
    driver: SocketAddr,
    id: String,
}

impl Session {
    /// Starts headless Chromium from `chromium` through the driver at `driver`.
    pub fn new_headless(driver: SocketAddr, chromium: &Path) -> Result<Self> {
        let capabilities = json!({"capabilities": {"alwaysMatch": {
            "browserName": "chrome",
            "goog:chromeOptions": {
                "binary": chromium.to_string_lossy(),
                // Root in a container: no sandbox, and /dev/shm may be tiny.
                "args": ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                         "--window-size=1366,768", "--no-first-run", "--disable-extensions"],
            },
            // Keeps the page's console (a wasm panic lands there) for failure messages.
            "goog:loggingPrefs": {"browser": "ALL"},
        }}});
        let value = command(driver, "POST", "/session", Some(&capabilities))?;
        let id = value
            .get("sessionId")
            .and_then(Value::as_str)
            .ok_or_else(|| {
                HarnessError::Unexpected(format!("new session without sessionId: {value}"))
            })?;
        Ok(Self {
            driver,
            id: id.to_string(),
        })
    }

    pub fn navigate(&self, url: &str) -> Result<()> {
        self.call("POST", "url", Some(&json!({"url": url})))
            .map(drop)
    }

    /// Runs `script` as a function body in the page and returns what it returns.
    pub fn execute(&self, script: &str) -> Result<Value> {
        self.call(
            "POST",
            "execute/sync",
            Some(&json!({"script": script, "args": []})),
        )
    }

    /// Runs `script` as an async function body: it finishes by calling its last argument
    /// (`arguments[arguments.length - 1]`) with the value to return.
    pub fn execute_async(&self, script: &str) -> Result<Value> {
        self.call(
            "POST",
            "execute/async",
            Some(&json!({"script": script, "args": []})),
        )
    }

    /// Reloads the current page, as the browser's reload button does.
    pub fn refresh(&self) -> Result<()> {
        self.call("POST", "refresh", Some(&json!({}))).map(drop)
    }

    /// Presses and releases `key` on the real keyboard (a WebDriver key action, so the browser
    /// treats it as a user's key: Tab moves the focus and `:focus-visible` applies).
    /// `key` is a character or a WebDriver code such as `"\u{E004}"` (Tab).
    pub fn press_key(&self, key: &str) -> Result<()> {
        let actions = json!({"actions": [{"type": "key", "id": "keyboard", "actions": [
            {"type": "keyDown", "value": key}, {"type": "keyUp", "value": key},
        ]}]});
        self.call("POST", "actions", Some(&actions)).map(drop)
    }

    /// Types `text` on the real keyboard, one key action per character (WebDriver codes such
    /// as `"\u{E007}"`, Enter, included), in one request.
    pub fn type_keys(&self, text: &str) -> Result<()> {
        let keys: Vec<Value> = text
            .chars()
            .flat_map(|c| {
                let c = c.to_string();
                [
                    json!({"type": "keyDown", "value": c}),
                    json!({"type": "keyUp", "value": c}),
                ]
            })
            .collect();
        let actions = json!({"actions": [{"type": "key", "id": "keyboard", "actions": keys}]});
        self.call("POST", "actions", Some(&actions)).map(drop)
    }

    /// Resizes the browser window (headless: the viewport) to `width` x `height` CSS pixels.
    pub fn set_window_size(&self, width: u32, height: u32) -> Result<()> {
        self.call(
            "POST",
            "window/rect",
            Some(&json!({"width": width, "height": height})),
        )
        .map(drop)
    }

    /// The viewport as PNG bytes.
    pub fn screenshot(&self) -> Result<Vec<u8>> {
        let value = self.call("GET", "screenshot", None)?;
        let encoded = value
            .as_str()
            .ok_or_else(|| HarnessError::Unexpected("screenshot is not a string".into()))?;
        base64::engine::general_purpose::STANDARD
            .decode(encoded)
            .map_err(|e| HarnessError::Unexpected(format!("screenshot is not base64: {e}")))
    }

    /// The page's console messages since the last call, `LEVEL message` each (chromedriver's
    /// log endpoint; WebDriver itself has none).
    pub fn console(&self) -> Result<Vec<String>> {
        let entries = self.call("POST", "se/log", Some(&json!({"type": "browser"})))?;
        Ok(console_lines(&entries))
    }

    fn call(&self, method: &str, endpoint: &str, body: Option<&Value>) -> Result<Value> {
        command(
            self.driver,
            method,
            &format!("/session/{}/{endpoint}", self.id),
            body,
        )
    }
}

impl Drop for Session {
    fn drop(&mut self) {
        let _ = command(
            self.driver,
            "DELETE",
            &format!("/session/{}", self.id),
            None,
        );
    }
}

/// chromedriver's log entries as `LEVEL message` lines.
fn console_lines(entries: &Value) -> Vec<String> {
    entries
        .as_array()
        .into_iter()
        .flatten()
        .map(|e| {
            let level = e["level"].as_str().unwrap_or("?");
            format!("{level} {}", e["message"].as_str().unwrap_or_default())
        })
        .collect()
}

/// Sends one WebDriver command and unwraps its `value`, turning W3C errors into [`HarnessError`].
pub fn command(
    driver: SocketAddr,
    method: &str,
    path: &str,
    body: Option<&Value>,
) -> Result<Value> {
    let text = body.map(Value::to_string);
    let response = http::request(driver, method, path, text.as_deref())?;
    let parsed: Value = serde_json::from_slice(&response.body)
        .map_err(|e| HarnessError::Unexpected(format!("{method} {path}: non-JSON answer: {e}")))?;
    unwrap_value(&format!("{method} {path}"), parsed)
}

fn unwrap_value(command: &str, mut answer: Value) -> Result<Value> {
    let value = answer
        .get_mut("value")
        .map(Value::take)
        .unwrap_or(Value::Null);
    if let Some(error) = value.get("error").and_then(Value::as_str) {
        let message = value
            .get("message")
            .and_then(Value::as_str)
            .unwrap_or_default();
        // Chromium's messages carry a long stack trace after the first line.
        let first_line = message.lines().next().unwrap_or_default();
        return Err(HarnessError::WebDriver {
            command: command.to_string(),
            error: error.to_string(),
            message: first_line.to_string(),
        });
    }
    Ok(value)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn successful_answers_yield_their_value() {
        let value = unwrap_value("GET /status", json!({"value": {"ready": true}})).unwrap();
        assert_eq!(value, json!({"ready": true}));
    }

    #[test]
    fn w3c_errors_become_harness_errors_with_the_first_message_line() {
        let answer = json!({"value": {"error": "no such window", "message": "target closed\nstack...", "stacktrace": ""}});
        let err = unwrap_value("POST /session/x/url", answer).unwrap_err();
        assert_eq!(
            err.to_string(),
            "WebDriver POST /session/x/url: no such window: target closed"
        );
    }

    #[test]
    fn console_entries_become_level_and_message_lines() {
        let entries = json!([
            {"level": "SEVERE", "message": "http://127.0.0.1:1/kubeplay.js 1:2 panicked at frontend/src/app.rs", "timestamp": 1},
            {"level": "INFO", "message": "ready", "timestamp": 2},
        ]);
        assert_eq!(
            console_lines(&entries),
            [
                "SEVERE http://127.0.0.1:1/kubeplay.js 1:2 panicked at frontend/src/app.rs",
                "INFO ready"
            ]
        );
        assert!(console_lines(&json!(null)).is_empty());
    }
}
