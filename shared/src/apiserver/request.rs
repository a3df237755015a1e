//! A Kubernetes REST request and its response, free of any HTTP library, so the
//! browser, the agent's HTTP gateway and tests all speak to the core the same way.

/// HTTP method of a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    Get,
    Post,
    Put,
    Patch,
    Delete,
}

impl Method {
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s.to_ascii_uppercase().as_str() {
            "GET" => Self::Get,
            "POST" => Self::Post,
            "PUT" => Self::Put,
            "PATCH" => Self::Patch,
            "DELETE" => Self::Delete,
            _ => return None,
        })
    }
}

/// One request to the API, as a host received it.
#[derive(Debug, Clone)]
pub struct Request {
    pub method: Method,
    /// Path without the query: `/apis/apps/v1/namespaces/default/deployments`.
    pub path: String,
    /// Raw query string without the `?`, percent-encoded as received.
    pub query: String,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Request {
    /// Builds a request from a path that may carry a query (`/api/v1/pods?watch=1`).
    pub fn new(method: Method, path_and_query: &str) -> Self {
        let (path, query) = path_and_query.split_once('?').unwrap_or((path_and_query, ""));
        Self { method, path: path.to_string(), query: query.to_string(), headers: Vec::new(), body: Vec::new() }
    }

    pub fn get(path: &str) -> Self {
        Self::new(Method::Get, path)
    }

    pub fn post(path: &str, body: impl Into<Vec<u8>>) -> Self {
        Self::new(Method::Post, path).with_body(body, "application/json")
    }

    pub fn put(path: &str, body: impl Into<Vec<u8>>) -> Self {
        Self::new(Method::Put, path).with_body(body, "application/json")
    }

    pub fn patch(path: &str, content_type: &str, body: impl Into<Vec<u8>>) -> Self {
        Self::new(Method::Patch, path).with_body(body, content_type)
    }

    pub fn delete(path: &str) -> Self {
        Self::new(Method::Delete, path)
    }

    pub fn with_body(mut self, body: impl Into<Vec<u8>>, content_type: &str) -> Self {
        self.body = body.into();
        self.headers.push(("Content-Type".into(), content_type.into()));
        self
    }

    pub fn with_header(mut self, name: &str, value: &str) -> Self {
        self.headers.push((name.into(), value.into()));
        self
    }

    /// First header of that name, compared case-insensitively as HTTP does.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// What the core answers.
#[derive(Debug, Clone, PartialEq)]
pub enum Response {
    /// A complete answer.
    Body { status: u16, content_type: &'static str, body: Vec<u8>, warnings: Vec<String> },
    /// A watch was opened: the host streams `ApiServer::poll_watch(id)` to the
    /// client until it goes away, then calls `ApiServer::close_watch(id)`.
    Watch { id: super::WatchId, content_type: &'static str },
}

impl Response {
    pub fn json(status: u16, value: &serde_json::Value) -> Self {
        Self::Body { status, content_type: "application/json", body: serde_json::to_vec(value).unwrap_or_default(), warnings: Vec::new() }
    }

    /// Attaches `Warning` headers (e.g. unknown fields under `fieldValidation=Warn`).
    pub fn with_warnings(mut self, more: Vec<String>) -> Self {
        if let Self::Body { warnings, .. } = &mut self {
            warnings.extend(more);
        }
        self
    }

    pub fn status(&self) -> u16 {
        match self {
            Self::Body { status, .. } => *status,
            Self::Watch { .. } => 200,
        }
    }

    /// The body parsed as JSON (`Null` for watches and non-JSON bodies).
    pub fn json_body(&self) -> serde_json::Value {
        match self {
            Self::Body { body, .. } => serde_json::from_slice(body).unwrap_or(serde_json::Value::Null),
            Self::Watch { .. } => serde_json::Value::Null,
        }
    }
}
