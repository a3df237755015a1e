//! Just enough HTTP/1.1 for probes, curl, busybox wget and load generators: one request per
//! connection, no bodies in, plain text out.
//!
//! Parsing and rendering are pure so the edge cases are tested without sockets.

/// The end of a request head; nothing after it is read.
pub const HEAD_END: &[u8] = b"\r\n\r\n";
/// A longer head is refused rather than buffered without bound.
pub const MAX_HEAD_BYTES: usize = 16 * 1024;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    pub method: String,
    /// The request target as sent (`/burn?ms=200`), for the access log.
    pub target: String,
    pub path: String,
    pub query: Vec<(String, String)>,
}

impl Request {
    /// The first value of query parameter `name`.
    pub fn param(&self, name: &str) -> Option<&str> {
        self.query
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ParseError {
    NotText,
    BadRequestLine(String),
    BadVersion(String),
}

impl std::fmt::Display for ParseError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::NotText => write!(f, "the request head is not UTF-8"),
            Self::BadRequestLine(line) => write!(f, "malformed request line {line:?}"),
            Self::BadVersion(version) => write!(f, "unsupported protocol {version:?}"),
        }
    }
}

impl std::error::Error for ParseError {}

/// Parses a request head (everything before the blank line).
pub fn parse_head(head: &[u8]) -> Result<Request, ParseError> {
    let text = std::str::from_utf8(head).map_err(|_| ParseError::NotText)?;
    let line = text.lines().next().unwrap_or_default();
    let mut parts = line.split(' ');
    let (Some(method), Some(target), Some(version), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(ParseError::BadRequestLine(line.to_string()));
    };
    if method.is_empty() || !target.starts_with('/') {
        return Err(ParseError::BadRequestLine(line.to_string()));
    }
    if !version.starts_with("HTTP/1.") {
        return Err(ParseError::BadVersion(version.to_string()));
    }
    let (path, query) = target.split_once('?').unwrap_or((target, ""));
    let query = query
        .split('&')
        .filter(|pair| !pair.is_empty())
        .map(|pair| {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            (k.to_string(), v.to_string())
        })
        .collect();
    Ok(Request {
        method: method.to_string(),
        target: target.to_string(),
        path: path.to_string(),
        query,
    })
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Response {
    pub status: u16,
    pub body: String,
    /// Extra headers, e.g. `Allow` on a 405.
    pub headers: Vec<(&'static str, String)>,
}

impl Response {
    pub fn text(status: u16, body: impl Into<String>) -> Self {
        let mut body = body.into();
        if !body.ends_with('\n') {
            body.push('\n');
        }
        Self {
            status,
            body,
            headers: Vec::new(),
        }
    }

    pub fn with_header(mut self, name: &'static str, value: impl Into<String>) -> Self {
        self.headers.push((name, value.into()));
        self
    }

    /// The bytes on the wire; a HEAD answer keeps the length but drops the body.
    pub fn render(&self, head_only: bool) -> Vec<u8> {
        let mut out = format!(
            "HTTP/1.1 {} {}\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: {}\r\nConnection: close\r\n",
            self.status,
            reason(self.status),
            self.body.len()
        );
        for (name, value) in &self.headers {
            out.push_str(&format!("{name}: {value}\r\n"));
        }
        out.push_str("\r\n");
        if !head_only {
            out.push_str(&self.body);
        }
        out.into_bytes()
    }
}

/// The head of a `/bytes` answer: `len` bytes of body follow.
pub fn bytes_head(len: u64) -> Vec<u8> {
    format!("HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\nContent-Length: {len}\r\nConnection: close\r\n\r\n").into_bytes()
}

fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        400 => "Bad Request",
        404 => "Not Found",
        405 => "Method Not Allowed",
        431 => "Request Header Fields Too Large",
        500 => "Internal Server Error",
        503 => "Service Unavailable",
        _ => "",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_probe_request_parses_into_method_and_path() {
        let req = parse_head(
            b"GET /health HTTP/1.1\r\nHost: 10.244.1.5:3000\r\nUser-Agent: kube-probe/1.33",
        )
        .unwrap();
        assert_eq!(req.method, "GET");
        assert_eq!(req.path, "/health");
        assert_eq!(req.target, "/health");
        assert!(req.query.is_empty());
    }

    #[test]
    fn query_parameters_are_split_and_the_first_value_wins() {
        let req = parse_head(b"GET /burn?ms=200&ms=5&verbose HTTP/1.0").unwrap();
        assert_eq!(req.path, "/burn");
        assert_eq!(req.target, "/burn?ms=200&ms=5&verbose");
        assert_eq!(req.param("ms"), Some("200"));
        assert_eq!(req.param("verbose"), Some(""));
        assert_eq!(req.param("missing"), None);
    }

    #[test]
    fn malformed_request_lines_are_errors() {
        assert!(matches!(
            parse_head(b"GET\r\n"),
            Err(ParseError::BadRequestLine(_))
        ));
        assert!(matches!(
            parse_head(b"GET health HTTP/1.1"),
            Err(ParseError::BadRequestLine(_))
        ));
        assert!(matches!(
            parse_head(b"GET / HTTP/2"),
            Err(ParseError::BadVersion(_))
        ));
        assert_eq!(parse_head(b"GET /\xff HTTP/1.1"), Err(ParseError::NotText));
    }

    #[test]
    fn a_response_renders_status_length_and_close() {
        let wire = Response::text(503, "not ready").render(false);
        let text = String::from_utf8(wire).unwrap();
        assert!(text.starts_with("HTTP/1.1 503 Service Unavailable\r\n"));
        assert!(text.contains("Content-Length: 10\r\n"));
        assert!(text.contains("Connection: close\r\n"));
        assert!(text.ends_with("\r\n\r\nnot ready\n"));
    }

    #[test]
    fn a_head_answer_keeps_headers_and_drops_the_body() {
        let wire = Response::text(200, "ok")
            .with_header("Allow", "GET, HEAD")
            .render(true);
        let text = String::from_utf8(wire).unwrap();
        assert!(text.contains("Content-Length: 3\r\n"));
        assert!(text.contains("Allow: GET, HEAD\r\n"));
        assert!(text.ends_with("\r\n\r\n"));
    }
}
