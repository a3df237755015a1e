use super::*;
use kubeplay_shared::node_protocol::api_exec::{ExecStarted, FEATURE_KUBE_EXEC};
use kubeplay_shared::node_protocol::{StreamOpen, FEATURE_KUBE_API};
use std::time::Duration;

fn spec(pod: &str, stdin: bool) -> ExecSpec {
    ExecSpec {
        namespace: "default".into(),
        pod: pod.into(),
        container: None,
        command: vec!["cat".into()],
        stdin,
        tty: false,
        attach: false,
    }
}

/// A tunnel with a page that serves exec; the page's side of the link.
fn with_page() -> (
    Arc<PageTunnel>,
    super::super::Attached,
    mpsc::Receiver<FromAgent>,
) {
    let tunnel = PageTunnel::new(Duration::from_secs(30));
    let (out, page) = mpsc::channel(64);
    let attached = tunnel.attach(
        out,
        &[FEATURE_KUBE_API.to_string(), FEATURE_KUBE_EXEC.to_string()],
        None,
    );
    (tunnel, attached, page)
}

/// Opens `spec` and returns the stream the page was asked on, with the waiting open.
async fn opened(
    tunnel: &Arc<PageTunnel>,
    page: &mut mpsc::Receiver<FromAgent>,
    spec: ExecSpec,
) -> (
    StreamId,
    tokio::task::JoinHandle<Result<PageExec, ExecRefusal>>,
) {
    let waiting = tokio::spawn({
        let tunnel = Arc::clone(tunnel);
        async move { tunnel.exec(&spec).await }
    });
    match page.recv().await {
        Some(FromAgent::OpenStream(OpenStream { stream, open })) => {
            assert!(
                matches!(open, StreamOpen::Exec { ref container, .. } if container.is_empty()),
                "{open:?}"
            );
            assert_eq!(stream % 2, 0, "the agent opens even ids");
            (stream, waiting)
        }
        other => panic!("expected an openStream, got {other:?}"),
    }
}

#[tokio::test]
async fn without_a_page_that_serves_exec_kubectl_is_told_why() {
    let tunnel = PageTunnel::new(Duration::from_secs(30));
    let refusal = tunnel.exec(&spec("p", false)).await.err().unwrap();
    assert_eq!((refusal.code, refusal.reason), (503, "ServiceUnavailable"));
    let (out, _page) = mpsc::channel(8);
    let _attached = tunnel.attach(out, &[FEATURE_KUBE_API.to_string()], None);
    let refusal = tunnel.exec(&spec("p", false)).await.err().unwrap();
    assert_eq!(
        refusal.message,
        "the connected page does not serve the API; reload it"
    );
}

#[tokio::test]
async fn the_pages_refusal_reaches_kubectl_as_the_api_server_worded_it() {
    let (tunnel, _attached, mut page) = with_page();
    let (stream, waiting) = opened(&tunnel, &mut page, spec("nope", false)).await;
    tunnel.on_exec_refused(ExecRefused {
        stream,
        code: 404,
        reason: "NotFound".into(),
        message: "pods \"nope\" not found".into(),
    });
    let refusal = waiting.await.unwrap().err().unwrap();
    assert_eq!(
        refusal,
        ExecRefusal {
            code: 404,
            reason: "NotFound",
            message: "pods \"nope\" not found".into()
        }
    );
    assert!(!tunnel.has_exec(stream));
}

#[tokio::test]
async fn stdin_output_credit_and_the_exit_code_cross_the_link() {
    let (tunnel, _attached, mut page) = with_page();
    let (stream, waiting) = opened(&tunnel, &mut page, spec("p", true)).await;
    tunnel.on_exec_started(ExecStarted { stream }.stream);
    let mut exec = waiting.await.unwrap().unwrap();

    exec.input.send(ExecInput::Stdin(b"hello\n".to_vec()));
    exec.input.send(ExecInput::Resize { cols: 90, rows: 20 });
    exec.input.send(ExecInput::StdinEnd);
    let mut frames = Vec::new();
    for _ in 0..3 {
        match page.recv().await {
            Some(FromAgent::Data(d)) => frames.push((d.channel, d.data)),
            other => panic!("expected data, got {other:?}"),
        }
    }
    assert_eq!(
        frames,
        vec![
            (Channel::Stdin, b"hello\n".to_vec()),
            (Channel::Resize, br#"{"Height":20,"Width":90}"#.to_vec()),
            (Channel::Stdin, Vec::new()),
        ]
    );

    let big = vec![b'x'; INITIAL_WINDOW as usize];
    tunnel.on_exec_data(StreamData {
        stream,
        channel: Channel::Stdout,
        data: big.clone(),
    });
    assert_eq!(
        exec.events.recv().await,
        Some(ExecEvent::Output(Channel::Stdout, big))
    );
    exec.input
        .send(ExecInput::Consumed(INITIAL_WINDOW as usize));
    assert!(
        matches!(page.recv().await, Some(FromAgent::Credit(Credit { bytes, .. })) if bytes == INITIAL_WINDOW),
        "credit once kubectl took it"
    );
    tunnel.on_exec_close(CloseStream {
        stream,
        exit_code: Some(3),
        error: None,
    });
    assert_eq!(exec.events.recv().await, Some(ExecEvent::Exited(3)));
    assert!(!tunnel.has_exec(stream));
}

#[tokio::test]
async fn output_beyond_the_window_ends_the_exec_and_kubectl_leaving_closes_it() {
    let (tunnel, _attached, mut page) = with_page();
    let (stream, waiting) = opened(&tunnel, &mut page, spec("p", false)).await;
    tunnel.on_exec_started(stream);
    let mut exec = waiting.await.unwrap().unwrap();
    let chunk = vec![0; INITIAL_WINDOW as usize + 1];
    tunnel.on_exec_data(StreamData {
        stream,
        channel: Channel::Stdout,
        data: chunk,
    });
    assert!(matches!(
        exec.events.recv().await,
        Some(ExecEvent::Failed(_))
    ));
    assert!(matches!(
        page.recv().await,
        Some(FromAgent::CloseStream(CloseStream { error: Some(_), .. }))
    ));

    let (stream, waiting) = opened(&tunnel, &mut page, spec("p", false)).await;
    tunnel.on_exec_started(stream);
    drop(waiting.await.unwrap().unwrap());
    assert_eq!(
        page.recv().await,
        Some(FromAgent::CloseStream(CloseStream {
            stream,
            exit_code: None,
            error: None
        }))
    );
}

#[tokio::test]
async fn a_page_that_goes_away_ends_its_execs() {
    let (tunnel, attached, mut page) = with_page();
    let (stream, waiting) = opened(&tunnel, &mut page, spec("p", false)).await;
    tunnel.on_exec_started(stream);
    let mut exec = waiting.await.unwrap().unwrap();
    drop(attached);
    assert_eq!(
        exec.events.recv().await,
        Some(ExecEvent::Failed(Unavailable::PageLeft.to_string()))
    );
}
