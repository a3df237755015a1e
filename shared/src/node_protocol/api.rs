//! The kube API tunnelled to a page: an agent without a control plane of its own serves
//! `kubectl` by forwarding each request over the link to the control plane that drives it.
//!
//! Only a control plane whose `registered` lists [`FEATURE_KUBE_API`] is sent these messages,
//! so a page built before them (which would refuse an unknown message and drop the link) is
//! never asked; the agent answers kubectl 503 instead, saying to reload the page.
//!
//! A request is one `apiRequest` (agent → control plane) answered by one `apiResponse`. A watch
//! (`?watch=true`) is answered `apiResponse` of kind `watch`, after which the control plane
//! pushes the watch's events in `apiWatchEvents` as they happen; the agent sends
//! `apiWatchClose` when kubectl goes away, and the control plane ends the watch with `done`
//! (after an `ERROR` event, or when it can no longer serve it). Bodies are text: the gateway
//! turns protobuf into JSON before a request is tunnelled.

use crate::apiserver::{Method, Request, Response};
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// The feature a control plane lists in `registered` when it answers `apiRequest`.
pub const FEATURE_KUBE_API: &str = "kubeApi";

/// Names a tunnelled request (and its watch) on one link; the agent picks them.
pub type ApiRequestId = u64;

/// A kube API request for the control plane (agent → control plane).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ApiRequest {
    pub id: ApiRequestId,
    pub request: TunnelledRequest,
}

/// The core's [`Request`] as it travels (the core's type is not serde).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TunnelledRequest {
    /// `GET`, `POST`, `PUT`, `PATCH` or `DELETE`.
    pub method: String,
    pub path: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub query: String,
    /// The headers the core reads (content type, accept, field manager…).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub headers: Vec<(String, String)>,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub body: String,
}

/// Why a request cannot be tunnelled or served.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TunnelError {
    #[error("the request body is not UTF-8 text; send JSON or YAML")]
    BinaryBody,
    #[error("the server does not allow the method {0:?}")]
    UnknownMethod(String),
}

impl TunnelledRequest {
    pub fn from_request(request: &Request) -> Result<Self, TunnelError> {
        let method = match request.method {
            Method::Get => "GET",
            Method::Post => "POST",
            Method::Put => "PUT",
            Method::Patch => "PATCH",
            Method::Delete => "DELETE",
        };
        let body = String::from_utf8(request.body.clone()).map_err(|_| TunnelError::BinaryBody)?;
        Ok(Self {
            method: method.to_string(),
            path: request.path.clone(),
            query: request.query.clone(),
            headers: request.headers.clone(),
            body,
        })
    }

    /// The core's request; an unknown method is refused rather than guessed.
    pub fn to_request(&self) -> Result<Request, TunnelError> {
        let method = Method::parse(&self.method).ok_or_else(|| TunnelError::UnknownMethod(self.method.clone()))?;
        let mut request = Request::new(method, &self.path);
        request.query = self.query.clone();
        request.headers = self.headers.clone();
        request.body = self.body.clone().into_bytes();
        Ok(request)
    }
}

/// The control plane's answer to `apiRequest` `id`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ApiResponse {
    pub id: ApiRequestId,
    pub response: TunnelledResponse,
}

/// The core's [`Response`] as it travels.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "camelCase")]
pub enum TunnelledResponse {
    #[serde(rename_all = "camelCase")]
    Body {
        status: u16,
        content_type: String,
        body: String,
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        warnings: Vec<String>,
    },
    /// A watch is open: its events follow in `apiWatchEvents` with the request's id.
    #[serde(rename_all = "camelCase")]
    Watch { content_type: String },
}

impl TunnelledResponse {
    /// The wire form of the core's answer (a watch's id stays with the control plane).
    pub fn from_response(response: &Response) -> Self {
        match response {
            Response::Body { status, content_type, body, warnings } => Self::Body {
                status: *status,
                content_type: (*content_type).to_string(),
                body: String::from_utf8_lossy(body).into_owned(),
                warnings: warnings.clone(),
            },
            Response::Watch { content_type, .. } => Self::Watch { content_type: (*content_type).to_string() },
        }
    }
}

/// Events of an open tunnelled watch, in order (control plane → agent).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ApiWatchEvents {
    pub id: ApiRequestId,
    /// Watch events as the API server streams them (`{"type":"ADDED","object":{…}}`).
    #[serde(default)]
    pub events: Vec<Value>,
    /// The watch is over on the control plane's side: the agent ends kubectl's stream.
    #[serde(default)]
    pub done: bool,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_request_crosses_the_tunnel_unchanged() {
        let core = Request::post("/api/v1/namespaces", br#"{"kind":"Namespace"}"#.to_vec())
            .with_header("Accept", "application/json;as=Table;g=meta.k8s.io;v=v1");
        let mut core = core;
        core.query = "fieldManager=kubectl-client-side-apply".into();
        let wire = TunnelledRequest::from_request(&core).unwrap();
        let json = serde_json::to_string(&wire).unwrap();
        let back = serde_json::from_str::<TunnelledRequest>(&json).unwrap().to_request().unwrap();
        assert_eq!((back.method, back.path, back.query, back.headers, back.body), (core.method, core.path, core.query, core.headers, core.body));
    }

    #[test]
    fn binary_bodies_and_unknown_methods_are_refused() {
        let core = Request::post("/api/v1/pods", vec![0xff, 0xfe]);
        assert_eq!(TunnelledRequest::from_request(&core), Err(TunnelError::BinaryBody));
        let wire = TunnelledRequest { method: "BREW".into(), path: "/".into(), query: String::new(), headers: vec![], body: String::new() };
        assert_eq!(wire.to_request().unwrap_err(), TunnelError::UnknownMethod("BREW".into()));
    }

    #[test]
    fn a_watch_answer_carries_only_its_content_type() {
        let wire = TunnelledResponse::from_response(&Response::Watch { id: crate::apiserver::WatchId(7), content_type: "application/json" });
        assert_eq!(serde_json::to_value(&wire).unwrap(), serde_json::json!({"kind": "watch", "contentType": "application/json"}));
    }
}
