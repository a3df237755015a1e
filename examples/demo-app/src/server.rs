//! The listening side: one thread per connection reads a request head, asks `routes` for the
//! answer, performs the side effect it names, writes the answer and logs one access line.

use crate::config::Config;
use crate::http::{self, Response, HEAD_END, MAX_HEAD_BYTES};
use crate::routes::{self, Effect, Moment};
use std::io::{self, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

/// A client that sends nothing for this long is dropped.
const READ_TIMEOUT: Duration = Duration::from_secs(10);

pub struct Server {
    config: Config,
    started: Instant,
    /// Memory kept alive by `/leak`, so the container's usage climbs toward its limit.
    leaked: Mutex<Vec<Vec<u8>>>,
}

impl Server {
    pub fn new(config: Config, started: Instant) -> Self {
        Self {
            config,
            started,
            leaked: Mutex::new(Vec::new()),
        }
    }

    /// Accepts connections until the process exits.
    pub fn serve(self: Arc<Self>, listener: TcpListener) -> io::Result<()> {
        loop {
            let (stream, _) = listener.accept()?;
            let server = Arc::clone(&self);
            std::thread::spawn(move || server.handle(stream));
        }
    }

    fn handle(&self, mut stream: TcpStream) {
        let head = match read_head(&mut stream) {
            Ok(Some(head)) => head,
            // A port check that connects and leaves: nothing to answer or log.
            Ok(None) | Err(_) => return,
        };
        let (response, effect, target) = match head {
            Head::TooLarge => (
                Response::text(431, "request head too large"),
                Effect::None,
                None,
            ),
            Head::Complete(bytes) => match http::parse_head(&bytes) {
                Err(err) => (Response::text(400, err.to_string()), Effect::None, None),
                Ok(req) => {
                    let now = Moment {
                        uptime: self.started.elapsed(),
                        leaked: self.leaked_bytes(),
                    };
                    let (response, effect) = routes::route(&req, &self.config, now);
                    let head_only = req.method == "HEAD";
                    (response, effect, Some((req.method, req.target, head_only)))
                }
            },
        };
        match effect {
            Effect::Burn(duration) => burn_cpu(duration),
            Effect::Leak(bytes) => self.leak(bytes),
            Effect::None | Effect::Crash | Effect::Bytes(_) => {}
        }
        let head_only = target.as_ref().is_some_and(|(_, _, h)| *h);
        if let Effect::Bytes(len) = effect {
            let _ = stream.write_all(&http::bytes_head(len));
            if !head_only {
                let _ = write_bytes(&mut stream, len);
            }
        } else {
            let _ = stream.write_all(&response.render(head_only));
        }
        let _ = stream.flush();
        match &target {
            Some((method, target, _)) => println!("{method} {target} {}", response.status),
            None => println!("- - {} {}", response.status, response.body.trim_end()),
        }
        if effect == Effect::Crash {
            println!("crashing on request: exiting with status 1");
            std::process::exit(1);
        }
    }

    fn leaked_bytes(&self) -> usize {
        let held = self.leaked.lock().unwrap_or_else(PoisonError::into_inner);
        held.iter().map(Vec::len).sum()
    }

    fn leak(&self, bytes: usize) {
        // Filled, not zeroed: untouched zero pages would not count against the memory limit.
        let block = vec![0xa5_u8; bytes];
        self.leaked
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(block);
    }
}

enum Head {
    Complete(Vec<u8>),
    TooLarge,
}

/// Reads up to the blank line ending the head; `None` when the client sent nothing.
fn read_head(stream: &mut TcpStream) -> io::Result<Option<Head>> {
    stream.set_read_timeout(Some(READ_TIMEOUT))?;
    let mut buf = Vec::with_capacity(1024);
    let mut chunk = [0_u8; 1024];
    loop {
        let n = stream.read(&mut chunk)?;
        if n == 0 {
            return Ok(if buf.is_empty() {
                None
            } else {
                Some(Head::Complete(buf))
            });
        }
        buf.extend_from_slice(&chunk[..n]);
        if let Some(end) = find(&buf, HEAD_END) {
            buf.truncate(end);
            return Ok(Some(Head::Complete(buf)));
        }
        if buf.len() > MAX_HEAD_BYTES {
            return Ok(Some(Head::TooLarge));
        }
    }
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// Writes `len` bytes of filler in large writes, for throughput measurements.
fn write_bytes(stream: &mut TcpStream, len: u64) -> io::Result<()> {
    let block = vec![b'x'; 256 * 1024];
    let mut left = len;
    while left > 0 {
        let n = left.min(block.len() as u64) as usize;
        stream.write_all(&block[..n])?;
        left -= n as u64;
    }
    Ok(())
}

/// Keeps one core busy for `duration`: the CPU usage an HPA scales on.
fn burn_cpu(duration: Duration) {
    let end = Instant::now() + duration;
    let mut x: u64 = 1;
    while Instant::now() < end {
        for _ in 0..10_000 {
            x = std::hint::black_box(x.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1));
        }
    }
}
