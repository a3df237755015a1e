//! The requests kubectl makes, over a [`Transport`], and the errors it prints:
//! an API `Status` becomes `Error from server (NotFound): pods "x" not found`.

use super::transport::{Transport, ACCEPT_TABLE};
use crate::apiserver::{Request, Response};
use serde_json::Value;
use thiserror::Error;

/// Why a command failed, as kubectl prints it on stderr.
#[derive(Debug, Clone, PartialEq, Error)]
pub enum CmdError {
    /// A mistake on the command line or in local input: `error: …`.
    #[error("error: {0}")]
    Usage(String),
    /// The API refused: `Error from server (Reason): message`.
    #[error("{}", server_message(reason, message))]
    Server { reason: String, message: String },
    /// Printed as it is.
    #[error("{0}")]
    Plain(String),
}

fn server_message(reason: &str, message: &str) -> String {
    match reason {
        // kubectl prints validation failures without the prefix.
        "Invalid" => message.to_string(),
        "" => format!("Error from server: {message}"),
        r => format!("Error from server ({r}): {message}"),
    }
}

impl CmdError {
    pub fn usage(message: impl Into<String>) -> Self {
        Self::Usage(message.into())
    }

    /// The error a non-2xx response stands for.
    pub fn from_response(resp: &Response) -> Self {
        let status = resp.json_body();
        let message = status.get("message").and_then(Value::as_str).map(str::to_string).unwrap_or_else(|| match resp {
            Response::Body { body, .. } => String::from_utf8_lossy(body).trim().to_string(),
            Response::Watch { .. } => "unexpected watch".into(),
        });
        let reason = status.get("reason").and_then(Value::as_str).unwrap_or("").to_string();
        let message = if reason == "Invalid" { invalid_message(&status, &message) } else { message };
        Self::Server { reason, message }
    }

    pub fn is_not_found(&self) -> bool {
        matches!(self, Self::Server { reason, .. } if reason == "NotFound")
    }
}

/// `The Deployment "x" is invalid: …`, one cause per line when there are several.
fn invalid_message(status: &Value, message: &str) -> String {
    let causes: Vec<String> = status
        .pointer("/details/causes")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .map(|c| format!("* {}: {}", c["field"].as_str().unwrap_or(""), c["message"].as_str().unwrap_or("")))
        .collect();
    let kind = status.pointer("/details/kind").and_then(Value::as_str).unwrap_or("");
    let name = status.pointer("/details/name").and_then(Value::as_str).unwrap_or("");
    if kind.is_empty() {
        return message.to_string();
    }
    if causes.len() > 1 {
        return format!("The {kind} {name:?} is invalid: \n{}", causes.join("\n"));
    }
    match message.split_once(" is invalid: ") {
        Some((_, rest)) => format!("The {kind} {name:?} is invalid: {rest}"),
        None => message.to_string(),
    }
}

pub type CmdResult<T> = Result<T, CmdError>;

/// kubectl's side of the conversation with the API server.
pub struct Client<'a> {
    pub transport: &'a mut dyn Transport,
}

impl<'a> Client<'a> {
    pub fn new(transport: &'a mut dyn Transport) -> Self {
        Self { transport }
    }

    pub fn send(&mut self, req: &Request) -> Response {
        self.transport.send(req)
    }

    /// Sends and expects a 2xx JSON answer.
    pub fn json(&mut self, req: &Request) -> CmdResult<Value> {
        let resp = self.transport.send(req);
        if resp.status() >= 300 {
            return Err(CmdError::from_response(&resp));
        }
        Ok(resp.json_body())
    }

    pub fn get(&mut self, path: &str) -> CmdResult<Value> {
        self.json(&Request::get(path))
    }

    /// A GET answered as a server-side Table.
    pub fn get_table(&mut self, path: &str) -> CmdResult<Value> {
        self.json(&Request::get(path).with_header("Accept", ACCEPT_TABLE))
    }

    /// A GET answered as text (pod logs).
    pub fn get_text(&mut self, path: &str) -> CmdResult<String> {
        let resp = self.transport.send(&Request::get(path));
        if resp.status() >= 300 {
            return Err(CmdError::from_response(&resp));
        }
        Ok(match resp {
            Response::Body { body, .. } => String::from_utf8_lossy(&body).into_owned(),
            Response::Watch { .. } => String::new(),
        })
    }

    pub fn post(&mut self, path: &str, body: &Value) -> CmdResult<Value> {
        self.json(&Request::post(path, body.to_string()))
    }

    pub fn patch(&mut self, path: &str, content_type: &str, body: &Value) -> CmdResult<Value> {
        self.json(&Request::patch(path, content_type, body.to_string()))
    }

    pub fn delete(&mut self, path: &str, body: Option<&Value>) -> CmdResult<Value> {
        let mut req = Request::delete(path);
        if let Some(b) = body {
            req = req.with_body(b.to_string(), "application/json");
        }
        self.json(&req)
    }
}

/// Percent-encodes a query value (selectors carry `=`, `,`, `!` and spaces).
pub fn encode(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => out.push(b as char),
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn server_errors_read_as_kubectl_prints_them() {
        let resp = Response::json(404, &json!({"kind": "Status", "reason": "NotFound", "message": "pods \"x\" not found"}));
        assert_eq!(CmdError::from_response(&resp).to_string(), "Error from server (NotFound): pods \"x\" not found");
        let invalid = Response::json(422, &json!({"reason": "Invalid", "details": {"kind": "Deployment", "name": "d"},
            "message": "Deployment.apps \"d\" is invalid: spec.replicas: Invalid value: -1: must be greater than or equal to 0"}));
        assert_eq!(
            CmdError::from_response(&invalid).to_string(),
            "The Deployment \"d\" is invalid: spec.replicas: Invalid value: -1: must be greater than or equal to 0"
        );
    }

    #[test]
    fn selectors_are_percent_encoded() {
        assert_eq!(encode("app=web,tier!=db"), "app%3Dweb%2Ctier%21%3Ddb");
    }
}
