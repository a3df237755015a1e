//! Which part of the gateway answers an HTTP request: a plain-HTTP request is sent to HTTPS,
//! then the token check, then the paths the gateway serves itself (OpenAPI, health), then the core's request layer, whose answer goes
//! back as a body, a watch stream or a followed log.

use super::backend::Answer;
use super::{log_stream, openapi, port_forward, protobuf, status, Gateway};
use crate::server::transport::{Connection, Transport};
use kubeplay_shared::apiserver::{Method, Request};
use std::sync::Arc;
use warp::http::{header, HeaderMap, HeaderValue};
use warp::reply::Response as Reply;
use warp::Filter;

/// Largest request body read (a big `kubectl apply` of many documents arrives one per request).
const MAX_BODY_BYTES: usize = 16 << 20;

/// Every request not meant for the node link ends here.
pub fn filter(
    gateway: Arc<Gateway>,
) -> impl Filter<Extract = (Reply,), Error = warp::Rejection> + Clone + Send + Sync + 'static {
    let query = warp::query::raw().or(warp::any().map(String::new)).unify();
    let streams = port_forward::filter(Arc::clone(&gateway));
    let rest = warp::method()
        .and(warp::path::full())
        .and(query)
        .and(warp::header::headers_cloned())
        .and(warp::ext::optional::<Connection>())
        .and(warp::body::bytes())
        .then(
            move |method: warp::http::Method,
                  path: warp::path::FullPath,
                  query: String,
                  headers: HeaderMap,
                  connection: Option<Connection>,
                  body: bytes::Bytes| {
                let gateway = Arc::clone(&gateway);
                async move {
                    // A request that came on no known connection is not trusted to be secure.
                    if !connection.is_some_and(|c| c.transport == Transport::Tls) {
                        return status::https_only(&headers);
                    }
                    serve(
                        &gateway,
                        &method,
                        path.as_str(),
                        query,
                        &headers,
                        body.to_vec(),
                    )
                    .await
                }
            },
        );
    streams.or(rest).unify()
}

async fn serve(
    gateway: &Arc<Gateway>,
    method: &warp::http::Method,
    path: &str,
    query: String,
    headers: &HeaderMap,
    body: Vec<u8>,
) -> Reply {
    if let Err(refusal) = gateway.gate.admit(headers, &query) {
        tracing::debug!("refused API request {method} {path}: {refusal}");
        return match refusal.status() {
            401 => status::unauthorized(),
            code => status::status(code, "Forbidden", &refusal.to_string()),
        };
    }
    if body.len() > MAX_BODY_BYTES {
        return status::status(
            413,
            "RequestEntityTooLarge",
            &format!("the request body is larger than {MAX_BODY_BYTES} bytes"),
        );
    }
    if let Some(reply) = served_here(path) {
        return reply;
    }
    if is_stream_upgrade(path) {
        return status::status(
            400,
            "BadRequest",
            "exec, attach and port-forward need a connection upgrade (WebSocket, or SPDY/3.1 for port-forward)",
        );
    }
    let mut headers = headers.clone();
    let mut body = body;
    if let Some(media) = binary_body(&headers) {
        let decoded = match media.as_str() {
            "application/vnd.kubernetes.protobuf" => protobuf::to_json(&body).map_err(|e| e.to_string()),
            _ => Err(format!("the body of the request was in an unknown format - accepted media types include: application/json, application/yaml, application/vnd.kubernetes.protobuf (got {media:?})")),
        };
        match decoded {
            Ok(json) => {
                body = serde_json::to_vec(&json).unwrap_or_default();
                headers.insert(
                    header::CONTENT_TYPE,
                    HeaderValue::from_static("application/json"),
                );
            }
            Err(message) => return status::status(415, "UnsupportedMediaType", &message),
        }
    }
    let Some(method) = Method::parse(method.as_str()) else {
        return status::status(
            405,
            "MethodNotAllowed",
            "the server does not allow this method on the requested resource",
        );
    };
    let mut request = Request::new(method, path);
    request.query = query;
    request.headers = headers
        .iter()
        .map(|(k, v)| {
            (
                k.as_str().to_string(),
                String::from_utf8_lossy(v.as_bytes()).into_owned(),
            )
        })
        .collect();
    request.body = body;
    // A followed log's first answer is the log so far; the gateway streams the rest.
    let followed = log_stream::is_follow(&request).then(|| request.clone());
    match (
        gateway.backend.serve(request, gateway.stopping()).await,
        followed,
    ) {
        (
            Ok(Answer::Body {
                status: 200, body, ..
            }),
            Some(request),
        ) => {
            let backend = Arc::clone(&gateway.backend);
            log_stream::follow(backend, &request, body, gateway.stopping()).await
        }
        (Ok(Answer::Stream(reply)), _) => reply,
        (
            Ok(Answer::Body {
                status,
                content_type,
                body,
                warnings,
            }),
            _,
        ) => {
            let mut reply = status::with_body(status, &content_type, body);
            add_warnings(reply.headers_mut(), &warnings);
            reply
        }
        (Err(refusal), _) => status::status(refusal.code, refusal.reason, &refusal.message),
    }
}

/// Paths the API server answers without a resource behind them.
fn served_here(path: &str) -> Option<Reply> {
    let path = path.trim_end_matches('/');
    match path {
        "/healthz" | "/livez" | "/readyz" => Some(status::with_body(
            200,
            "text/plain; charset=utf-8",
            b"ok".to_vec(),
        )),
        "/openapi/v3" => Some(status::json_reply(200, &openapi::root())),
        _ => {
            if let Some(gv) = path.strip_prefix("/openapi/v3/") {
                return Some(match openapi::group_version(gv) {
                    Some(doc) => status::json_reply(200, doc),
                    None => status::not_found(),
                });
            }
            // No OpenAPI v2: kubectl reads v3 and computes patches from its own types.
            path.starts_with("/openapi/").then(status::not_found)
        }
    }
}

/// A protobuf or CBOR body, which the core does not read as such.
fn binary_body(headers: &HeaderMap) -> Option<String> {
    let content_type = headers.get(header::CONTENT_TYPE)?.to_str().ok()?;
    let media = content_type.split(';').next().unwrap_or("").trim();
    matches!(
        media,
        "application/vnd.kubernetes.protobuf" | "application/cbor"
    )
    .then(|| media.to_string())
}

/// `pods/{name}/exec|attach|portforward`: WebSocket (or SPDY) streams, not REST (exec and
/// attach are served before this filter; what reaches it is port-forward).
fn is_stream_upgrade(path: &str) -> bool {
    let segments: Vec<&str> = path.trim_end_matches('/').rsplit('/').take(3).collect();
    matches!(
        segments.as_slice(),
        ["exec" | "attach" | "portforward", _, "pods"]
    )
}

/// One `Warning: 299 - "text"` header per warning, as the API server sends them and kubectl
/// prints them (`Warning: text`).
fn add_warnings(headers: &mut HeaderMap, warnings: &[String]) {
    for warning in warnings {
        let quoted = warning.replace('\\', "\\\\").replace('"', "\\\"");
        if let Ok(value) = HeaderValue::from_str(&format!("299 - \"{quoted}\"")) {
            headers.append(header::WARNING, value);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::{Gate, OriginPolicy, Token};
    use crate::embedded::{simulated_nodes, EmbeddedControlPlane};
    use crate::gateway::{Embedded, Tunnel};
    use crate::tunnel::PageTunnel;

    const TOKEN: &str = "gateway-test-token-0123456789";

    fn gateway(with_cp: bool) -> Arc<Gateway> {
        let gate = Gate::new(Token::given(TOKEN).unwrap(), OriginPolicy::default());
        let backend: Arc<dyn super::super::Backend> = if with_cp {
            Arc::new(Embedded(
                EmbeddedControlPlane::start(1, &simulated_nodes(1)).unwrap(),
            ))
        } else {
            Arc::new(Tunnel(PageTunnel::new(std::time::Duration::from_secs(5))))
        };
        Gateway::new(Arc::new(gate), backend, None)
    }

    /// A request as it arrives over TLS.
    async fn call(
        gw: &Arc<Gateway>,
        method: &str,
        path: &str,
        token: Option<&str>,
        body: &str,
    ) -> (u16, HeaderMap, serde_json::Value) {
        call_over(gw, Transport::Tls, method, path, token, body).await
    }

    async fn call_over(
        gw: &Arc<Gateway>,
        transport: Transport,
        method: &str,
        path: &str,
        token: Option<&str>,
        body: &str,
    ) -> (u16, HeaderMap, serde_json::Value) {
        let connection = Connection {
            peer: "127.0.0.1:50000".parse().unwrap(),
            transport,
        };
        let mut req = warp::test::request()
            .method(method)
            .path(path)
            .header("host", "127.0.0.1:7443")
            .extension(connection)
            .body(body);
        if let Some(t) = token {
            req = req.header("authorization", format!("Bearer {t}"));
        }
        if !body.is_empty() {
            req = req.header("content-type", "application/json");
        }
        let resp = req.reply(&filter(Arc::clone(gw))).await;
        let json = serde_json::from_slice(resp.body()).unwrap_or(serde_json::Value::Null);
        (resp.status().as_u16(), resp.headers().clone(), json)
    }

    #[tokio::test]
    async fn without_the_token_the_answer_is_an_unauthorized_status() {
        let gw = gateway(true);
        let (code, _, body) = call(&gw, "GET", "/api/v1/pods", None, "").await;
        assert_eq!(code, 401);
        assert_eq!(body["kind"], "Status");
        assert_eq!(body["reason"], "Unauthorized");
        let (code, _, _) = call(
            &gw,
            "GET",
            "/api/v1/pods",
            Some("not-the-token-0123456789"),
            "",
        )
        .await;
        assert_eq!(code, 401);
    }

    #[tokio::test]
    async fn plain_http_is_told_to_use_https_even_with_the_token() {
        let gw = gateway(true);
        for token in [None, Some(TOKEN)] {
            let mut req = warp::test::request()
                .path("/api/v1/pods")
                .header("host", "127.0.0.1:7443")
                .extension(Connection {
                    peer: "127.0.0.1:50000".parse().unwrap(),
                    transport: Transport::Plain,
                });
            if let Some(t) = token {
                req = req.header("authorization", format!("Bearer {t}"));
            }
            let resp = req.reply(&filter(Arc::clone(&gw))).await;
            assert_eq!(resp.status(), 403);
            assert_eq!(
                resp.headers()[header::CONTENT_TYPE],
                "text/plain; charset=utf-8"
            );
            assert_eq!(
                std::str::from_utf8(resp.body()).unwrap(),
                "the kubeplay-agent serves the Kubernetes API over HTTPS only: use https://127.0.0.1:7443 with the kubeconfig `kubeplay-agent kubeconfig` writes\n"
            );
        }
        let ns = r#"{"apiVersion":"v1","kind":"Namespace","metadata":{"name":"leak"}}"#;
        let (code, _, _) = call_over(
            &gw,
            Transport::Plain,
            "POST",
            "/api/v1/namespaces",
            Some(TOKEN),
            ns,
        )
        .await;
        assert_eq!(code, 403);
        let (code, _, _) = call(&gw, "GET", "/api/v1/namespaces/leak", Some(TOKEN), "").await;
        assert_eq!(code, 404, "a refused plain request changes nothing");
    }

    #[tokio::test]
    async fn requests_reach_the_embedded_control_plane() {
        let gw = gateway(true);
        let (code, headers, body) = call(&gw, "GET", "/version", Some(TOKEN), "").await;
        assert_eq!(code, 200);
        assert_eq!(headers[header::CONTENT_TYPE], "application/json");
        assert_eq!(body["major"], "1");
        let ns = r#"{"apiVersion":"v1","kind":"Namespace","metadata":{"name":"shop"}}"#;
        let (code, _, body) = call(&gw, "POST", "/api/v1/namespaces", Some(TOKEN), ns).await;
        assert_eq!(
            (code, body["metadata"]["name"].as_str()),
            (201, Some("shop"))
        );
        let (code, _, body) = call(&gw, "GET", "/api/v1/namespaces/nope", Some(TOKEN), "").await;
        assert_eq!((code, body["reason"].as_str()), (404, Some("NotFound")));
    }

    #[tokio::test]
    async fn unknown_fields_come_back_as_warning_headers() {
        let gw = gateway(true);
        let cm = r#"{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"c"},"bogus":1}"#;
        let (code, headers, _) = call(
            &gw,
            "POST",
            "/api/v1/namespaces/default/configmaps?fieldValidation=Warn",
            Some(TOKEN),
            cm,
        )
        .await;
        assert_eq!(code, 201);
        let warning = headers[header::WARNING].to_str().unwrap();
        assert!(warning.starts_with("299 - \"unknown field"), "{warning}");
    }

    #[tokio::test]
    async fn without_a_connected_page_the_answer_is_503_saying_why() {
        let gw = gateway(false);
        // Discovery still answers, so kubectl goes on to the resource and prints why.
        let (code, _, body) = call(&gw, "GET", "/api/v1", Some(TOKEN), "").await;
        assert_eq!(
            (code, body["kind"].as_str()),
            (200, Some("APIResourceList"))
        );
        let (code, _, body) = call(&gw, "GET", "/api/v1/pods", Some(TOKEN), "").await;
        assert_eq!(
            (code, body["reason"].as_str()),
            (503, Some("ServiceUnavailable"))
        );
        let message = body["message"].as_str().unwrap();
        assert!(
            message.contains("no Kubeplay page is connected") && message.contains("Add node"),
            "{message}"
        );
    }

    #[tokio::test]
    async fn openapi_v3_lists_every_group_version_and_serves_each() {
        let gw = gateway(true);
        let (code, _, root) = call(&gw, "GET", "/openapi/v3", Some(TOKEN), "").await;
        assert_eq!(code, 200);
        let url = root["paths"]["apis/apps/v1"]["serverRelativeURL"]
            .as_str()
            .unwrap()
            .to_string();
        let (code, _, doc) = call(&gw, "GET", &url, Some(TOKEN), "").await;
        assert_eq!(code, 200);
        assert!(
            doc["paths"]["/apis/apps/v1/namespaces/{namespace}/deployments/{name}"]["patch"]
                .is_object()
        );
        let (code, _, _) = call(&gw, "GET", "/openapi/v2", Some(TOKEN), "").await;
        assert_eq!(code, 404);
    }

    #[test]
    fn stream_subresources_are_recognised() {
        assert!(is_stream_upgrade(
            "/api/v1/namespaces/default/pods/web/exec"
        ));
        assert!(is_stream_upgrade(
            "/api/v1/namespaces/default/pods/web/portforward"
        ));
        assert!(!is_stream_upgrade("/api/v1/namespaces/default/pods/exec"));
    }
}
