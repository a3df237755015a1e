//! The built page open in headless Chromium: the one object tests talk to.
//!
//! Fields drop in declaration order: the session quits the browser before its driver and the file
//! server go away.

use crate::chromedriver::ChromeDriver;
use crate::error::{HarnessError, Result};
use crate::locate;
use crate::static_server::StaticServer;
use crate::webdriver::Session;
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// How many of the page's last console messages a timeout reports.
const CONSOLE_LINES: usize = 20;

pub struct Page {
    session: Session,
    _driver: ChromeDriver,
    server: StaticServer,
    name: String,
}

impl Page {
    /// Serves the built page and starts a browser on it; `name` labels screenshots and logs.
    pub fn launch(name: &str) -> Result<Self> {
        Self::launch_from(name, &locate::dist()?)
    }

    /// Like [`Page::launch`] for a page built elsewhere (the benchmark's release build).
    pub fn launch_from(name: &str, dist: &Path) -> Result<Self> {
        let chromium = locate::chromium()?;
        let chromedriver = locate::chromedriver()?;
        let out = locate::output_dir();
        std::fs::create_dir_all(&out).map_err(HarnessError::io(out.display().to_string()))?;
        let server = StaticServer::start(dist)?;
        let driver =
            ChromeDriver::start(&chromedriver, &out.join(format!("{name}.chromedriver.log")))?;
        let session = Session::new_headless(driver.addr(), &chromium)?;
        Ok(Self {
            session,
            _driver: driver,
            server,
            name: name.to_string(),
        })
    }

    /// Opens the page with a query string such as `?bench=store` (or `""`).
    pub fn open(&self, query: &str) -> Result<()> {
        self.session
            .navigate(&self.server.url(&format!("/{query}")))
    }

    /// The page's origin (`http://127.0.0.1:<port>`), which an agent must allow.
    pub fn origin(&self) -> String {
        self.server.url("")
    }

    /// Polls a JavaScript expression until it yields something other than null/undefined.
    pub fn wait_for(&self, what: &str, expression: &str, limit: Duration) -> Result<Value> {
        let script = format!("return ({expression}) ?? null;");
        let start = Instant::now();
        loop {
            let value = self.session.execute(&script)?;
            if !value.is_null() {
                return Ok(value);
            }
            if start.elapsed() > limit {
                return Err(self.timed_out(what, limit));
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// The page's console messages since the last look, `LEVEL message` each.
    pub fn console(&self) -> Result<Vec<String>> {
        self.session.console()
    }

    /// The error for waiting `limit` in vain for `what`, with what the page shows and the last
    /// of what it logged.
    pub fn timed_out(&self, what: &str, limit: Duration) -> HarnessError {
        let mut console = self.console().unwrap_or_default();
        console.drain(..console.len().saturating_sub(CONSOLE_LINES));
        HarnessError::Timeout {
            what: what.to_string(),
            seconds: limit.as_secs(),
            page_text: self.text().unwrap_or_default(),
            console,
        }
    }

    /// The visible text of the page, for assertions and error messages.
    pub fn text(&self) -> Result<String> {
        let value = self
            .session
            .execute("return document.body ? document.body.innerText : '';")?;
        Ok(value.as_str().unwrap_or_default().to_string())
    }

    pub fn execute(&self, script: &str) -> Result<Value> {
        self.session.execute(script)
    }

    /// Runs an async script (see [`Session::execute_async`]).
    pub fn execute_async(&self, script: &str) -> Result<Value> {
        self.session.execute_async(script)
    }

    /// Reloads the page, keeping the browser's storage (IndexedDB) as a user's reload does.
    pub fn reload(&self) -> Result<()> {
        self.session.refresh()
    }

    /// Presses `key` as a user does (see [`Session::press_key`]; `"\u{E004}"` is Tab).
    pub fn press_key(&self, key: &str) -> Result<()> {
        self.session.press_key(key)
    }

    /// Types `text` as a user does, key by key (see [`Session::type_keys`]).
    pub fn type_keys(&self, text: &str) -> Result<()> {
        self.session.type_keys(text)
    }

    /// Resizes the window, as for a laptop (1366x768, the default) or a projector (1920x1080).
    pub fn set_window_size(&self, width: u32, height: u32) -> Result<()> {
        self.session.set_window_size(width, height)
    }

    /// Saves the viewport as `<target>/e2e/<name>.png` and returns the path.
    pub fn screenshot(&self) -> Result<PathBuf> {
        self.screenshot_as(&self.name)
    }

    /// Saves the viewport as `<target>/e2e/<name>.png`, for tests that take several.
    pub fn screenshot_as(&self, name: &str) -> Result<PathBuf> {
        let path = locate::output_dir().join(format!("{name}.png"));
        let png = self.session.screenshot()?;
        std::fs::write(&path, png).map_err(HarnessError::io(path.display().to_string()))?;
        Ok(path)
    }
}
