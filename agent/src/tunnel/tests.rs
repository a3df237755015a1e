use super::*;
use serde_json::json;

fn get(path: &str, query: &str) -> TunnelledRequest {
    TunnelledRequest {
        method: "GET".into(),
        path: path.into(),
        query: query.into(),
        headers: Vec::new(),
        body: String::new(),
    }
}

fn body(status: u16, text: &str) -> TunnelledResponse {
    TunnelledResponse::Body {
        status,
        content_type: "application/json".into(),
        body: text.into(),
        warnings: Vec::new(),
    }
}

/// The page's side of the link: the next request it was sent.
async fn next_request(rx: &mut mpsc::Receiver<FromAgent>) -> ApiRequest {
    match rx.recv().await {
        Some(FromAgent::ApiRequest(r)) => r,
        other => panic!("expected an apiRequest, got {other:?}"),
    }
}

#[tokio::test]
async fn without_a_page_or_with_an_old_one_requests_are_refused_saying_which() {
    let tunnel = PageTunnel::new(Duration::from_secs(30));
    let err = tunnel.request(get("/api", "")).await.err().unwrap();
    assert_eq!((err.code(), err.clone()), (503, Unavailable::NoPage));
    let (out, _rx) = mpsc::channel(8);
    let attached = tunnel.attach(out, &["services".to_string()], None);
    let err = tunnel.request(get("/api", "")).await.err().unwrap();
    assert_eq!(err, Unavailable::OldPage);
    assert_eq!(
        err.to_string(),
        "the connected page does not serve the API; reload it"
    );
    drop(attached);
    assert_eq!(
        tunnel.request(get("/api", "")).await.err(),
        Some(Unavailable::NoPage)
    );
}

#[tokio::test]
async fn the_relay_key_is_the_connected_pages_while_it_is_connected() {
    use kubeplay_shared::node_protocol::RelayKey;
    let tunnel = PageTunnel::new(Duration::from_secs(30));
    assert_eq!(tunnel.relay_key(), None);
    let key = RelayKey::from_bytes([3; 32]);
    let (out, _rx) = mpsc::channel(8);
    let attached = tunnel.attach(out, &[FEATURE_KUBE_API.to_string()], Some(key));
    assert_eq!(tunnel.relay_key(), Some(key));
    drop(attached);
    assert_eq!(tunnel.relay_key(), None, "the page left");
}

#[tokio::test]
async fn a_request_gets_the_pages_answer() {
    let tunnel = PageTunnel::new(Duration::from_secs(30));
    let (out, mut page) = mpsc::channel(8);
    let _attached = tunnel.attach(out, &[FEATURE_KUBE_API.to_string()], None);
    let waiting = tokio::spawn({
        let tunnel = Arc::clone(&tunnel);
        async move { tunnel.request(get("/api/v1/nodes", "")).await }
    });
    let request = next_request(&mut page).await;
    assert_eq!(request.request.path, "/api/v1/nodes");
    tunnel.on_response(ApiResponse {
        id: request.id,
        response: body(200, r#"{"kind":"NodeList"}"#),
    });
    let Ok(Answer::Body(answer)) = waiting.await.unwrap() else {
        panic!("not a body")
    };
    assert_eq!(answer, body(200, r#"{"kind":"NodeList"}"#));
}

#[tokio::test]
async fn a_page_that_leaves_or_never_answers_fails_the_request() {
    let tunnel = PageTunnel::new(Duration::from_millis(50));
    let (out, mut page) = mpsc::channel(8);
    let attached = tunnel.attach(out, &[FEATURE_KUBE_API.to_string()], None);
    let err = tunnel.request(get("/api", "")).await.err().unwrap();
    assert_eq!((err.code(), err.reason()), (504, "Timeout"));
    next_request(&mut page).await;

    let tunnel = PageTunnel::new(Duration::from_secs(30));
    let (out, mut page) = mpsc::channel(8);
    let attached_again = tunnel.attach(out, &[FEATURE_KUBE_API.to_string()], None);
    drop(attached);
    let waiting = tokio::spawn({
        let tunnel = Arc::clone(&tunnel);
        async move { tunnel.request(get("/api", "")).await }
    });
    next_request(&mut page).await;
    drop(attached_again);
    assert_eq!(waiting.await.unwrap().err(), Some(Unavailable::PageLeft));
}

#[tokio::test]
async fn a_watch_streams_events_until_kubectl_leaves_which_closes_it_in_the_page() {
    let tunnel = PageTunnel::new(Duration::from_secs(30));
    let (out, mut page) = mpsc::channel(8);
    let _attached = tunnel.attach(out, &[FEATURE_KUBE_API.to_string()], None);
    let waiting = tokio::spawn({
        let tunnel = Arc::clone(&tunnel);
        async move { tunnel.request(get("/api/v1/pods", "watch=true")).await }
    });
    let request = next_request(&mut page).await;
    tunnel.on_response(ApiResponse {
        id: request.id,
        response: TunnelledResponse::Watch {
            content_type: "application/json".into(),
        },
    });
    let added = json!({"type": "ADDED", "object": {"metadata": {"name": "web"}}});
    tunnel.on_watch_events(ApiWatchEvents {
        id: request.id,
        events: vec![added.clone()],
        done: false,
    });
    let Ok(Answer::Watch {
        mut events, handle, ..
    }) = waiting.await.unwrap()
    else {
        panic!("not a watch")
    };
    assert_eq!(events.recv().await.unwrap().events, vec![added]);
    drop(handle);
    match page.recv().await {
        Some(FromAgent::ApiWatchClose { id }) => assert_eq!(id, request.id),
        other => panic!("expected apiWatchClose, got {other:?}"),
    }
    assert!(
        events.recv().await.is_none(),
        "the watch's events end with it"
    );
}
