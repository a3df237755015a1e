//! `myapp get URL`: a one-shot HTTP GET that prints the body, so a pod can reach a Service by
//! name. It resolves through the C library (musl: resolv.conf's search path and `ndots`, as
//! apps in Kubernetes do), unlike the images' busybox `wget`, whose static glibc cannot.

use std::io::{Read, Write};
use std::net::{TcpStream, ToSocketAddrs};
use std::time::Duration;

const TIMEOUT: Duration = Duration::from_secs(10);

/// `http://host[:port][/path]` split into host, port and path.
pub fn parse_url(url: &str) -> Result<(String, u16, String), String> {
    let rest = url
        .strip_prefix("http://")
        .ok_or_else(|| format!("{url}: only http:// URLs are supported"))?;
    let (authority, path) = match rest.find('/') {
        Some(i) => (&rest[..i], rest[i..].to_string()),
        None => (rest, "/".to_string()),
    };
    let (host, port) = match authority.rsplit_once(':') {
        Some((host, port)) => (
            host,
            port.parse()
                .map_err(|_| format!("{url}: bad port {port:?}"))?,
        ),
        None => (authority, 80),
    };
    if host.is_empty() {
        return Err(format!("{url}: no host"));
    }
    Ok((host.to_string(), port, path))
}

/// The status code and body of a complete HTTP/1.x answer.
pub fn split_response(raw: &[u8]) -> Result<(u16, &[u8]), String> {
    let end = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .ok_or("the answer has no header end")?;
    let head = std::str::from_utf8(&raw[..end]).map_err(|_| "the answer's head is not text")?;
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| format!("no status in {:?}", head.lines().next().unwrap_or_default()))?;
    Ok((status, &raw[end + 4..]))
}

/// Fetches `url` and writes the body to stdout; an error names what failed, as wget does.
pub fn get(url: &str) -> Result<(), String> {
    let (host, port, path) = parse_url(url)?;
    let address = (host.as_str(), port)
        .to_socket_addrs()
        .map_err(|e| format!("bad address '{host}': {e}"))?
        .next()
        .ok_or_else(|| format!("bad address '{host}'"))?;
    let mut stream = TcpStream::connect_timeout(&address, TIMEOUT)
        .map_err(|e| format!("can't connect to remote host ({address}): {e}"))?;
    stream
        .set_read_timeout(Some(TIMEOUT))
        .map_err(|e| e.to_string())?;
    let request = format!(
        "GET {path} HTTP/1.1\r\nHost: {host}\r\nUser-Agent: myapp\r\nConnection: close\r\n\r\n"
    );
    stream
        .write_all(request.as_bytes())
        .map_err(|e| e.to_string())?;
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).map_err(|e| e.to_string())?;
    let (status, body) = split_response(&raw)?;
    std::io::stdout()
        .write_all(body)
        .map_err(|e| e.to_string())?;
    if (200..300).contains(&status) {
        Ok(())
    } else {
        Err(format!("server returned error: HTTP/1.1 {status}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_split_into_host_port_and_path() {
        assert_eq!(
            parse_url("http://my-api-service/").unwrap(),
            ("my-api-service".into(), 80, "/".into())
        );
        assert_eq!(
            parse_url("http://my-api-service.default:8080").unwrap(),
            ("my-api-service.default".into(), 8080, "/".into())
        );
        assert_eq!(
            parse_url("http://10.96.0.20/version?x=1").unwrap(),
            ("10.96.0.20".into(), 80, "/version?x=1".into())
        );
        assert!(parse_url("https://x/").is_err());
        assert!(parse_url("http://:80/").is_err());
        assert!(parse_url("http://x:port/").is_err());
    }

    #[test]
    fn an_answer_splits_into_status_and_body() {
        let raw = b"HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nhi\n";
        assert_eq!(split_response(raw).unwrap(), (200, &b"hi\n"[..]));
        assert!(split_response(b"HTTP/1.1 200 OK\r\n").is_err());
    }
}
