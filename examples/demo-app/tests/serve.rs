//! myapp as a process: it answers real HTTP on the port it reports, and SIGTERM ends it with
//! status 0 and a log line, as a kubelet's graceful termination expects.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, ChildStdout, Command, Stdio};
use std::time::Duration;

struct Myapp {
    child: Child,
    stdout: BufReader<ChildStdout>,
    port: u16,
    /// Every line printed so far.
    log: Vec<String>,
}

impl Myapp {
    fn start(env: &[(&str, &str)]) -> Self {
        let mut child = Command::new(env!("CARGO_BIN_EXE_myapp"))
            .env_clear()
            .env("PORT", "0")
            .env("HOSTNAME", "my-api-7c9d8-x2k4z")
            .env("MYAPP_VERSION", "2.0")
            .envs(env.iter().copied())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap();
        let stdout = BufReader::new(child.stdout.take().unwrap());
        let mut app = Self {
            child,
            stdout,
            port: 0,
            log: Vec::new(),
        };
        let listening = app.read_until("Server listening on port ");
        app.port = listening
            .trim_start_matches("Server listening on port ")
            .parse()
            .unwrap();
        app
    }

    /// Reads log lines up to and including the first starting with `prefix`.
    fn read_until(&mut self, prefix: &str) -> String {
        loop {
            let mut line = String::new();
            let n = self.stdout.read_line(&mut line).unwrap();
            assert!(
                n > 0,
                "myapp closed its output before {prefix:?}: {:?}",
                self.log
            );
            let line = line.trim_end().to_string();
            self.log.push(line.clone());
            if line.starts_with(prefix) {
                return line;
            }
        }
    }

    /// Sends one request and returns (status, body).
    fn get(&self, target: &str) -> (u16, String) {
        let mut stream = TcpStream::connect(("127.0.0.1", self.port)).unwrap();
        stream
            .set_read_timeout(Some(Duration::from_secs(30)))
            .unwrap();
        write!(stream, "GET {target} HTTP/1.1\r\nHost: test\r\n\r\n").unwrap();
        let mut reply = String::new();
        stream.read_to_string(&mut reply).unwrap();
        let (head, body) = reply.split_once("\r\n\r\n").unwrap();
        let status = head.split(' ').nth(1).unwrap().parse().unwrap();
        (status, body.to_string())
    }
}

impl Drop for Myapp {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn serves_its_routes_and_logs_each_request() {
    let mut app = Myapp::start(&[("API_KEY", "sk-abc123")]);
    assert!(app.log.contains(&"> myapp@2.0 start".to_string()));
    assert!(app
        .log
        .contains(&"  API_KEY=<redacted, 9 bytes>".to_string()));

    assert_eq!(
        app.get("/"),
        (
            200,
            "Hello from myapp 2.0 on my-api-7c9d8-x2k4z\n".to_string()
        )
    );
    assert_eq!(app.get("/health").0, 200);
    assert_eq!(app.get("/ready").0, 200);
    assert_eq!(
        app.get("/burn?ms=5"),
        (200, "burned 5ms of CPU\n".to_string())
    );
    assert_eq!(app.get("/missing").0, 404);
    assert_eq!(app.read_until("GET /missing"), "GET /missing 404");
    assert!(app.log.contains(&"GET /burn?ms=5 200".to_string()));
}

#[test]
fn sigterm_ends_it_with_status_zero_and_a_log_line() {
    let mut app = Myapp::start(&[]);
    let pid = libc::pid_t::try_from(app.child.id()).unwrap();
    // SAFETY: signalling our own child process.
    assert_eq!(unsafe { libc::kill(pid, libc::SIGTERM) }, 0);
    assert_eq!(
        app.read_until("Received"),
        "Received SIGTERM, shutting down"
    );
    let status = app.child.wait().unwrap();
    assert_eq!(status.code(), Some(0));
}

#[test]
fn crash_answers_then_exits_with_status_one() {
    let mut app = Myapp::start(&[]);
    assert_eq!(app.get("/crash").0, 200);
    let status = app.child.wait().unwrap();
    assert_eq!(status.code(), Some(1));
}

#[test]
fn a_malformed_knob_exits_non_zero_before_listening() {
    let out = Command::new(env!("CARGO_BIN_EXE_myapp"))
        .env_clear()
        .env("READY_AFTER_SECONDS", "soon")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        String::from_utf8_lossy(&out.stderr),
        "myapp: error: READY_AFTER_SECONDS=\"soon\" is not a whole number of seconds\n"
    );
}

#[test]
fn get_fetches_a_url_by_name_and_prints_the_body() {
    let app = Myapp::start(&[]);
    let get = |url: String| {
        Command::new(env!("CARGO_BIN_EXE_myapp"))
            .args(["get", &url])
            .output()
            .unwrap()
    };
    let ok = get(format!("http://localhost:{}/version", app.port));
    assert!(ok.status.success(), "{ok:?}");
    assert_eq!(String::from_utf8_lossy(&ok.stdout), "2.0\n");
    let bytes = get(format!("http://localhost:{}/bytes?n=100000", app.port));
    assert_eq!(bytes.stdout.len(), 100_000);
    let missing = get(format!("http://localhost:{}/missing", app.port));
    assert!(!missing.status.success());
    assert!(
        String::from_utf8_lossy(&missing.stderr).contains("server returned error: HTTP/1.1 404")
    );
}
