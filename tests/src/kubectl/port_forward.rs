//! A running `kubectl port-forward` for tests: its output lines as they come, and plain HTTP
//! through the forwarded port.

use super::Cluster;
use std::io::{BufRead, BufReader, Read as _, Write as _};
use std::net::TcpStream;
use std::process::{Child, Stdio};
use std::sync::mpsc;
use std::time::Duration;

/// How long a line kubectl should print, or an answer through the forward, may take.
const LINE_LIMIT: Duration = Duration::from_secs(60);

/// A running `kubectl port-forward` with its stdout and stderr lines on one channel.
pub struct Forward {
    pub child: Child,
    lines: mpsc::Receiver<String>,
    seen: Vec<String>,
}

impl Forward {
    pub fn start(cluster: &Cluster, args: &[&str], websockets: bool) -> Forward {
        let mut command = cluster.command(&cluster.tools.kubectl);
        command
            .args(args)
            .env(
                "KUBECTL_PORT_FORWARD_WEBSOCKETS",
                if websockets { "true" } else { "false" },
            )
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = command.spawn().expect("kubectl starts");
        let (tx, lines) = mpsc::channel();
        let out = child.stdout.take().unwrap();
        let err = child.stderr.take().unwrap();
        for pipe in [
            Box::new(out) as Box<dyn std::io::Read + Send>,
            Box::new(err),
        ] {
            let tx = tx.clone();
            std::thread::spawn(move || {
                for line in BufReader::new(pipe).lines().map_while(Result::ok) {
                    if tx.send(line).is_err() {
                        return;
                    }
                }
            });
        }
        Forward {
            child,
            lines,
            seen: Vec::new(),
        }
    }

    #[track_caller]
    pub fn wait_for(&mut self, what: &str, wanted: impl Fn(&str) -> bool) -> String {
        loop {
            match self.lines.recv_timeout(LINE_LIMIT) {
                Ok(line) => {
                    self.seen.push(line.clone());
                    if wanted(&line) {
                        return line;
                    }
                }
                Err(_) => panic!(
                    "kubectl never printed {what}; it printed:\n{:#?}",
                    self.seen
                ),
            }
        }
    }
}

impl Drop for Forward {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A loopback port nothing listens on now.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A GET through the forward; what came back before the connection closed.
pub fn get(port: u16) -> String {
    let mut conn = TcpStream::connect(("127.0.0.1", port)).expect("kubectl listens");
    conn.set_read_timeout(Some(LINE_LIMIT)).unwrap();
    conn.write_all(b"GET / HTTP/1.1\r\nHost: localhost\r\n\r\n")
        .unwrap();
    let mut got = Vec::new();
    let _ = conn.read_to_end(&mut got);
    String::from_utf8_lossy(&got).into_owned()
}

/// `count` GETs through the forward at once, each on its own connection: what each got.
pub fn parallel_gets(port: u16, count: usize) -> Vec<String> {
    std::thread::scope(|scope| {
        let gets: Vec<_> = (0..count).map(|_| scope.spawn(|| get(port))).collect();
        gets.into_iter().map(|g| g.join().expect("a GET")).collect()
    })
}
