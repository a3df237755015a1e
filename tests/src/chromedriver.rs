//! A chromedriver process on a free loopback port, killed when dropped so no test leaks one.

use crate::error::{HarnessError, Result};
use crate::webdriver;
use std::fs::File;
use std::net::{SocketAddr, TcpListener};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub struct ChromeDriver {
    child: Child,
    addr: SocketAddr,
}

impl ChromeDriver {
    /// Starts `binary` and waits until it reports ready; its log goes to `log`.
    pub fn start(binary: &Path, log: &Path) -> Result<Self> {
        let port = free_port()?;
        let log_file = File::create(log).map_err(HarnessError::io(log.display().to_string()))?;
        let child = Command::new(binary)
            .arg(format!("--port={port}"))
            .stdin(Stdio::null())
            .stdout(
                log_file
                    .try_clone()
                    .map_err(HarnessError::io("chromedriver log"))?,
            )
            .stderr(log_file)
            .spawn()
            .map_err(HarnessError::io(binary.display().to_string()))?;
        let driver = Self {
            child,
            addr: SocketAddr::from(([127, 0, 0, 1], port)),
        };
        driver.wait_ready(Duration::from_secs(30))?;
        Ok(driver)
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    fn wait_ready(&self, limit: Duration) -> Result<()> {
        let start = Instant::now();
        while start.elapsed() < limit {
            let ready = webdriver::command(self.addr, "GET", "/status", None)
                .is_ok_and(|v| v.get("ready").and_then(serde_json::Value::as_bool) == Some(true));
            if ready {
                return Ok(());
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        Err(HarnessError::DriverNotReady(self.addr.port()))
    }
}

impl Drop for ChromeDriver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A port the OS just handed out; released before chromedriver binds it (a tiny, accepted race).
fn free_port() -> Result<u16> {
    let listener =
        TcpListener::bind("127.0.0.1:0").map_err(HarnessError::io("finding a free port"))?;
    Ok(listener
        .local_addr()
        .map_err(HarnessError::io("finding a free port"))?
        .port())
}
