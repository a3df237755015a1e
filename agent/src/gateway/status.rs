//! Kubernetes `Status` answers for what the gateway refuses before the core sees a request, so
//! kubectl prints them as it prints a real API server's ("error: You must be logged in to the
//! server (Unauthorized)").

use serde_json::json;
use warp::http::{header, HeaderValue, StatusCode};
use warp::reply::Response as Reply;

/// A `Status` object with `reason` and `message`, as the API server encodes failures.
pub fn status(code: u16, reason: &str, message: &str) -> Reply {
    let body = json!({
        "kind": "Status", "apiVersion": "v1", "metadata": {},
        "status": "Failure", "message": message, "reason": reason, "code": code,
    });
    json_reply(code, &body)
}

/// The API server's answer to a missing or wrong bearer token.
pub fn unauthorized() -> Reply {
    let mut reply = status(401, "Unauthorized", "Unauthorized");
    reply.headers_mut().insert(
        header::WWW_AUTHENTICATE,
        HeaderValue::from_static("Bearer realm=\"kubeplay-agent\""),
    );
    reply
}

/// The answer to a Kubernetes API request over plain HTTP: the token would travel in the clear,
/// and kubectl would not send it anyway. A 403 in plain text rather than a `Status`, because
/// that is the one form whose message kubectl prints while it discovers the API (the first thing
/// every command does): for a JSON body or a 400 it prints only a generic phrase.
pub fn https_only(headers: &warp::http::HeaderMap) -> Reply {
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("<host:port>");
    let message = format!("the kubeplay-agent serves the Kubernetes API over HTTPS only: use https://{host} with the kubeconfig `kubeplay-agent kubeconfig` writes\n");
    with_body(403, "text/plain; charset=utf-8", message.into_bytes())
}

pub fn not_found() -> Reply {
    status(
        404,
        "NotFound",
        "the server could not find the requested resource",
    )
}

pub fn json_reply(code: u16, body: &serde_json::Value) -> Reply {
    let bytes = serde_json::to_vec(body).unwrap_or_default();
    with_body(code, "application/json", bytes)
}

pub fn with_body(code: u16, content_type: &str, body: Vec<u8>) -> Reply {
    let mut reply = Reply::new(body.into());
    *reply.status_mut() = StatusCode::from_u16(code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    if let Ok(ct) = HeaderValue::from_str(content_type) {
        reply.headers_mut().insert(header::CONTENT_TYPE, ct);
    }
    reply
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_unauthorized_answer_is_a_status_kubectl_understands() {
        let reply = unauthorized();
        assert_eq!(reply.status(), 401);
        assert_eq!(reply.headers()[header::CONTENT_TYPE], "application/json");
        assert!(reply.headers().contains_key(header::WWW_AUTHENTICATE));
    }
}
