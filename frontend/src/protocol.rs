//! What the page's UI (main thread) and the control plane's Web Worker say to each other, so
//! the UI never waits on the cluster. JSON strings over `postMessage`; both ends are this crate.
//!
//! The UI sends [`ToWorker`]: a [`Call`] under an id it picked, answered by exactly one
//! [`FromWorker::Reply`] with that id (streams like `kubectl logs -f` send
//! [`FromWorker::Output`] chunks first, until they end or the UI sends [`ToWorker::Cancel`]).
//! The worker also pushes what changed on its own: [`FromWorker::View`] (throttled, only after
//! the store changed), [`FromWorker::Speed`] and [`FromWorker::Saved`].

use crate::view::commands::NodeCommand;
use crate::view::ClusterView;
use kubeplay_shared::apiserver::request::Method;
use kubeplay_shared::lessons::{Lesson, TaskCheck};
use kubeplay_shared::manifest::apply::DocumentOutcome;
use kubeplay_shared::manifest::ManifestError;
use kubeplay_shared::{Request, Response};
use serde::{Deserialize, Serialize};

/// Picked by the UI, unique per page load; echoed in the worker's reply.
pub type CallId = u64;

/// UI → worker.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "camelCase")]
pub enum ToWorker {
    Call { id: CallId, call: Call },
    /// Ends a call that is still streaming; its `Reply` follows.
    Cancel { id: CallId },
    /// Bytes typed into the session call `id` opened ([`FromWorker::ExecOpened`]), for the
    /// process's stdin.
    Stdin { id: CallId, data: Vec<u8> },
    /// The terminal showing session `id` is now `cols`×`rows` cells: the process's TTY follows.
    Resize { id: CallId, cols: u16, rows: u16 },
}

/// What the UI asks the control plane to do.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "call", rename_all = "camelCase")]
pub enum Call {
    /// One REST request to the API server → [`Reply::Api`].
    Api { request: ApiRequest },
    /// `kubectl apply -f` of the editor's text → [`Reply::Applied`].
    Apply { yaml: String, namespace: String },
    /// The editor's apply of file `file`: all its documents or none (each is checked with a
    /// server-side dry run first; see `host::whole_apply`) → [`Reply::Applied`].
    ApplyWhole { yaml: String, namespace: String, file: String },
    /// One terminal line → [`FromWorker::Output`] chunks, then [`Reply::Done`]. `session` names
    /// the terminal (its kubeconfig and shell state); `files` are the editor's files, so
    /// `kubectl apply -f deploy.yaml` finds them.
    Kubectl {
        session: String,
        line: String,
        files: Vec<FileEntry>,
    },
    /// Tab completion of `line` (cursor at its end) → [`Reply::Completions`].
    Complete { session: String, line: String },
    /// → [`Reply::Ok`], and [`FromWorker::Speed`] to every listener.
    SetSpeed { speed: Speed },
    /// Back to a fresh 3-node cluster; the saved state is wiped → [`Reply::Ok`].
    Reset,
    /// A change to the simulated node fleet (add, remove, resize, cordon, fail) → [`Reply::Ok`].
    Node { command: NodeCommand },
    /// Every object as one multi-document YAML file → [`Reply::Exported`].
    Export,
    /// Applies an exported (or any) YAML file → [`Reply::Applied`].
    Import { yaml: String },
    /// Runs the in-browser benchmark a `?bench=…` query names, on a core of its own, in the
    /// worker → [`Reply::Bench`].
    Bench { query: String },
    /// Applies a lesson's starting objects (its `setup`) → [`Reply::Applied`].
    LessonStart { lesson: Box<Lesson> },
    /// A fresh 3-node cluster (speed kept) with the lesson's starting objects → [`Reply::Applied`].
    LessonReset { lesson: Box<Lesson> },
    /// Every task's check against the cluster now → [`Reply::LessonChecked`].
    LessonCheck { lesson: Box<Lesson> },
    /// "Add node": connect to a `kubeplay-agent` at `url` (`ws://host:port/v1/connect`) with
    /// its join token → [`Reply::Ok`] once the attempt started, [`Reply::Failed`] for a URL or
    /// token that cannot work; how it goes arrives as [`FromWorker::Agents`].
    ConnectAgent { url: String, token: String },
    /// Stop driving the agent at `url` → [`Reply::Ok`].
    DisconnectAgent { url: String },
}

/// A file of the editor's file tree, as kubectl's `-f` sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileEntry {
    pub path: String,
    pub content: String,
}

/// Worker → UI.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "camelCase")]
pub enum FromWorker {
    /// The worker is up; `restored` says whether the cluster came back from the browser's
    /// storage rather than starting fresh.
    Ready { restored: bool },
    /// The answer to call `id`; always the last message about it.
    Reply { id: CallId, reply: Reply },
    /// Terminal output of call `id` (kubectl), in order; `stderr` for what kubectl writes there
    /// (the terminal may colour it).
    Output {
        id: CallId,
        text: String,
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        stderr: bool,
    },
    /// The cluster as the panels draw it.
    View { view: Box<ClusterView> },
    Speed { speed: Speed },
    /// The cluster up to store revision `revision` is in the browser's storage.
    Saved { revision: u64 },
    /// Saving or restoring failed; the cluster goes on in memory.
    StorageFailed { message: String },
    /// The connected agents (real machines) and how their links are doing.
    Agents { agents: Vec<AgentStatus> },
    /// Kubectl line `id` (`kubectl exec -i[t]` into a pod on a real node) is now a session
    /// with a process: the terminal passes keys on as [`ToWorker::Stdin`] and shows
    /// [`FromWorker::ExecOutput`] until the call's `Reply` says the process ended. `tty`: the
    /// process has a TTY (send sizes, no local echo).
    ExecOpened { id: CallId, tty: bool },
    /// What the process of session `id` wrote, as raw bytes (a TTY's escape sequences included).
    ExecOutput { id: CallId, data: Vec<u8> },
}

/// Where one agent's link stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum AgentPhase {
    Connecting,
    /// Registered: its node is in the cluster.
    Connected,
    /// The socket never opened or the agent's handshake failed; retried with backoff.
    Refused,
    /// The link was up and broke; retried with backoff.
    Lost,
}

/// One agent as the page lists it (never its token).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AgentStatus {
    pub url: String,
    pub phase: AgentPhase,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub node: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
}

/// An agent the worker reconnects to after a reload; kept only in this origin's IndexedDB.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SavedAgent {
    pub url: String,
    pub token: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "reply", rename_all = "camelCase")]
pub enum Reply {
    Api { response: ApiResponse },
    Applied { report: ApplyReport },
    /// A kubectl line finished; `exit_code` as the real kubectl's (0 ok, 1 error). `prompt` is
    /// set while the session is inside `kubectl exec -it` (the container shell's prompt,
    /// `/ # `): the terminal shows it, and its next lines go to that shell until it exits.
    Done {
        exit_code: i32,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        prompt: Option<String>,
    },
    Completions { words: Vec<String> },
    Exported { yaml: String },
    /// The benchmark's result as JSON (see `bench::run`).
    Bench { result: String },
    /// One result per task of the lesson, in order.
    LessonChecked { tasks: Vec<TaskCheck> },
    Ok,
    /// The call could not be carried out (bad message, feature missing); nothing changed.
    Failed { message: String },
}

/// An API request as it crosses the thread boundary (`Request` itself is not serde).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiRequest {
    /// `GET`, `POST`, `PUT`, `PATCH` or `DELETE`.
    pub method: String,
    /// Path with its query: `/api/v1/namespaces/default/pods?labelSelector=app%3Dweb`.
    pub path: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub headers: Vec<(String, String)>,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub body: String,
}

impl ApiRequest {
    pub fn get(path: &str) -> Self {
        Self::new("GET", path)
    }

    pub fn new(method: &str, path: &str) -> Self {
        Self {
            method: method.to_string(),
            path: path.to_string(),
            headers: Vec::new(),
            body: String::new(),
        }
    }

    pub fn with_header(mut self, name: &str, value: &str) -> Self {
        self.headers.push((name.into(), value.into()));
        self
    }

    /// A JSON body with its content type (`application/json`, `application/merge-patch+json`, …).
    pub fn with_body(mut self, body: String, content_type: &str) -> Self {
        self.body = body;
        self.with_header("Content-Type", content_type)
    }

    /// The core's request; an unknown method is refused rather than guessed.
    pub fn to_request(&self) -> Result<Request, ProtocolError> {
        let method = Method::parse(&self.method)
            .ok_or_else(|| ProtocolError::UnknownMethod(self.method.clone()))?;
        let mut request = Request::new(method, &self.path);
        request.headers = self.headers.clone();
        request.body = self.body.clone().into_bytes();
        Ok(request)
    }

    /// The wire form of a request built with the core's helpers (the chaos controls do).
    pub fn from_request(request: &Request) -> Self {
        let method = match request.method {
            Method::Get => "GET",
            Method::Post => "POST",
            Method::Put => "PUT",
            Method::Patch => "PATCH",
            Method::Delete => "DELETE",
        };
        let path = if request.query.is_empty() {
            request.path.clone()
        } else {
            format!("{}?{}", request.path, request.query)
        };
        Self {
            method: method.to_string(),
            path,
            headers: request.headers.clone(),
            body: String::from_utf8_lossy(&request.body).into_owned(),
        }
    }
}

/// The API's answer. Watches are not served over this channel (the worker pushes views).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ApiResponse {
    pub status: u16,
    pub body: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<String>,
}

impl ApiResponse {
    pub fn from_response(response: &Response) -> Self {
        match response {
            Response::Body {
                status,
                body,
                warnings,
                ..
            } => Self {
                status: *status,
                body: String::from_utf8_lossy(body).into_owned(),
                warnings: warnings.clone(),
            },
            Response::Watch { .. } => Self {
                status: 400,
                body: r#"{"kind":"Status","apiVersion":"v1","status":"Failure","message":"watch is not served to the page; it receives views instead","reason":"BadRequest","code":400}"#.into(),
                warnings: Vec::new(),
            },
        }
    }

    /// The body as JSON (`Null` when it is not JSON).
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body).unwrap_or(serde_json::Value::Null)
    }

    pub fn is_success(&self) -> bool {
        (200..300).contains(&self.status)
    }
}

/// What applying a manifest did, for the editor's inline errors and the terminal's lines.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct ApplyReport {
    /// Set when the text is not readable YAML: then nothing at all was applied.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub syntax_error: Option<SourceError>,
    /// One per document (or `List` item), in order.
    pub documents: Vec<DocumentReport>,
}

impl ApplyReport {
    pub fn from_outcome(outcome: Result<Vec<DocumentOutcome>, ManifestError>, file: &str) -> Self {
        match outcome {
            Err(err) => Self {
                syntax_error: Some(SourceError {
                    message: err.kubectl_message(file),
                    line: err.position.line,
                    column: err.position.column,
                }),
                documents: Vec::new(),
            },
            Ok(outcomes) => Self {
                syntax_error: None,
                documents: outcomes.iter().map(DocumentReport::from_outcome).collect(),
            },
        }
    }

    /// True when every document was applied.
    pub fn all_applied(&self) -> bool {
        self.syntax_error.is_none() && self.documents.iter().all(|d| d.error.is_none())
    }

    /// What kubectl prints for this apply, one line per document.
    pub fn lines(&self) -> Vec<String> {
        match &self.syntax_error {
            Some(err) => vec![format!("error: {}", err.message)],
            None => self.documents.iter().map(|d| d.summary.clone()).collect(),
        }
    }
}

/// A place in the manifest with what is wrong there; lines and columns start at 1.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SourceError {
    pub message: String,
    pub line: usize,
    pub column: usize,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DocumentReport {
    pub document: usize,
    /// `deployment.apps/web`, as kubectl names it.
    pub object: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
    /// `created`, `configured` or `unchanged`; `None` when it failed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub applied: Option<String>,
    /// Why it failed, and where when that is known (line 0: somewhere in this document).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<SourceError>,
    /// kubectl's line: `deployment.apps/web created`.
    pub summary: String,
}

impl DocumentReport {
    fn from_outcome(outcome: &DocumentOutcome) -> Self {
        let (applied, error) = match &outcome.result {
            Ok(applied) => (Some(applied.as_str().to_string()), None),
            Err(failure) => (
                None,
                Some(SourceError {
                    message: failure.message.clone(),
                    line: failure.position.map_or(0, |p| p.line),
                    column: failure.position.map_or(0, |p| p.column),
                }),
            ),
        };
        Self {
            document: outcome.document,
            object: outcome.object.clone(),
            namespace: outcome.namespace.clone(),
            applied,
            error,
            summary: outcome.summary(),
        }
    }
}

/// The one visible cluster-speed setting: how many cluster seconds pass per real second.
/// `Speed(1)` keeps Kubernetes' real timings; `Speed(0)` pauses the cluster.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Speed(pub u32);

impl Speed {
    pub const NORMAL: Speed = Speed(1);
    pub const PAUSED: Speed = Speed(0);
    /// What the header offers, in order.
    pub const PRESETS: [Speed; 4] = [Speed(1), Speed(5), Speed(20), Speed(0)];

    pub fn factor(self) -> f64 {
        f64::from(self.0)
    }

    pub fn is_normal(self) -> bool {
        self == Self::NORMAL
    }

    /// `1×`, `20×`, or `Paused`.
    pub fn label(self) -> String {
        match self.0 {
            0 => "Paused".to_string(),
            n => format!("{n}×"),
        }
    }
}

impl Default for Speed {
    fn default() -> Self {
        Self::NORMAL
    }
}

/// A message that cannot be understood; the receiver answers or logs it and goes on.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProtocolError {
    #[error("unknown HTTP method {0:?}")]
    UnknownMethod(String),
    #[error("malformed message: {0}")]
    Malformed(String),
}

pub fn encode<T: Serialize>(message: &T) -> String {
    // Our message types hold only strings, numbers and maps with string keys: always JSON.
    serde_json::to_string(message).unwrap_or_default()
}

pub fn decode<T: for<'de> Deserialize<'de>>(text: &str) -> Result<T, ProtocolError> {
    serde_json::from_str(text).map_err(|e| ProtocolError::Malformed(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn calls_round_trip_through_json() {
        let calls = [
            ToWorker::Call {
                id: 7,
                call: Call::Api {
                    request: ApiRequest::get("/api/v1/pods").with_header("Accept", "application/json"),
                },
            },
            ToWorker::Call {
                id: 8,
                call: Call::Kubectl {
                    session: "t1".into(),
                    line: "kubectl apply -f web.yaml".into(),
                    files: vec![FileEntry { path: "web.yaml".into(), content: "kind: Pod".into() }],
                },
            },
            ToWorker::Call { id: 9, call: Call::SetSpeed { speed: Speed(20) } },
            ToWorker::Call { id: 10, call: Call::Reset },
            ToWorker::Cancel { id: 8 },
        ];
        for call in calls {
            let back: ToWorker = decode(&encode(&call)).unwrap();
            assert_eq!(back, call);
        }
    }

    #[test]
    fn the_wire_format_is_tagged_camel_case_json() {
        let text = encode(&ToWorker::Call {
            id: 1,
            call: Call::Apply { yaml: "a: 1".into(), namespace: "default".into() },
        });
        assert_eq!(
            text,
            r#"{"type":"call","id":1,"call":{"call":"apply","yaml":"a: 1","namespace":"default"}}"#
        );
        let reply = encode(&FromWorker::Reply { id: 1, reply: Reply::Done { exit_code: 1, prompt: None } });
        assert_eq!(reply, r#"{"type":"reply","id":1,"reply":{"reply":"done","exit_code":1}}"#);
    }

    #[test]
    fn a_malformed_message_is_an_error_not_a_panic() {
        let err = decode::<ToWorker>(r#"{"type":"call","id":1}"#).unwrap_err();
        assert!(matches!(err, ProtocolError::Malformed(_)), "{err}");
    }

    #[test]
    fn api_requests_keep_method_query_headers_and_body() {
        let core = Request::patch(
            "/api/v1/namespaces/default/pods/web?fieldManager=kubeplay",
            "application/merge-patch+json",
            r#"{"metadata":{}}"#,
        );
        let wire = ApiRequest::from_request(&core);
        assert_eq!(wire.method, "PATCH");
        assert_eq!(wire.path, "/api/v1/namespaces/default/pods/web?fieldManager=kubeplay");
        let back = wire.to_request().unwrap();
        assert_eq!((back.path.as_str(), back.query.as_str()), ("/api/v1/namespaces/default/pods/web", "fieldManager=kubeplay"));
        assert_eq!(back.header("content-type"), Some("application/merge-patch+json"));
        assert_eq!(back.body, br#"{"metadata":{}}"#);
    }

    #[test]
    fn an_unknown_method_is_refused() {
        let err = ApiRequest::new("BREW", "/api/v1/pods").to_request().unwrap_err();
        assert_eq!(err, ProtocolError::UnknownMethod("BREW".into()));
    }

    #[test]
    fn speed_labels_say_paused_or_the_factor() {
        assert_eq!(Speed::PAUSED.label(), "Paused");
        assert_eq!(Speed(20).label(), "20×");
        assert!(Speed::default().is_normal());
        assert_eq!(encode(&Speed(5)), "5");
    }
}
