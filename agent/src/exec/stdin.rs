//! A process's stdin, written in order from a task of its own, for every exec and attach the
//! agent runs on Docker: the node link's streams and the kube API gateway's own. The caller
//! never waits on the pipe, and an attach's stdin outlives the client's end of input, since it
//! is the container's.

use std::future::Future;
use std::pin::Pin;
use tokio::io::{AsyncWrite, AsyncWriteExt};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

/// What the end of the client's stdin does to the process's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StdinEnd {
    /// An exec's process sees end-of-file.
    Shutdown,
    /// An attached container's stdin stays open (it is the container's, shared with later
    /// attaches) until the sender is dropped: writing just stops. Docker would end the whole
    /// attachment, output included, if its stdin were shut down, where Kubernetes goes on
    /// streaming the output.
    Detach,
}

/// Starts writing what arrives on the returned sender to `writer`; an empty chunk is the end
/// of the client's input. After each chunk is written, `written(len)` runs (the node link
/// credits the bytes back); writing stops when it says `false`.
pub fn spawn<F, Fut>(
    mut writer: Pin<Box<dyn AsyncWrite + Send>>,
    end: StdinEnd,
    mut written: F,
) -> (mpsc::UnboundedSender<Vec<u8>>, JoinHandle<()>)
where
    F: FnMut(usize) -> Fut + Send + 'static,
    Fut: Future<Output = bool> + Send,
{
    let (tx, mut rx) = mpsc::unbounded_channel::<Vec<u8>>();
    let task = tokio::spawn(async move {
        while let Some(bytes) = rx.recv().await {
            if bytes.is_empty() {
                break;
            }
            if writer.write_all(&bytes).await.is_err() || writer.flush().await.is_err() {
                return;
            }
            if !written(bytes.len()).await {
                return;
            }
        }
        match end {
            StdinEnd::Shutdown => {
                let _ = writer.shutdown().await;
            }
            StdinEnd::Detach => while rx.recv().await.is_some() {},
        }
    });
    (tx, task)
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::AsyncReadExt;

    #[tokio::test]
    async fn chunks_are_written_in_order_then_the_pipe_shuts_at_the_end() {
        let (ours, mut theirs) = tokio::io::duplex(64);
        let (credits_tx, mut credits) = mpsc::unbounded_channel();
        let (tx, task) = spawn(Box::pin(ours), StdinEnd::Shutdown, move |len| {
            let credits_tx = credits_tx.clone();
            async move { credits_tx.send(len).is_ok() }
        });
        for chunk in [&b"echo "[..], b"hi\n", b""] {
            tx.send(chunk.to_vec()).unwrap();
        }
        let mut read = String::new();
        theirs.read_to_string(&mut read).await.unwrap();
        assert_eq!(read, "echo hi\n", "end-of-file after the last chunk");
        assert_eq!(
            (credits.recv().await, credits.recv().await),
            (Some(5), Some(3))
        );
        task.await.unwrap();
    }

    #[tokio::test]
    async fn the_end_of_stdin_closes_an_execs_but_leaves_an_attached_containers_open() {
        for (end, closes) in [(StdinEnd::Shutdown, true), (StdinEnd::Detach, false)] {
            let (writer, mut process) = tokio::io::duplex(64);
            let (tx, task) = spawn(Box::pin(writer), end, |_| async { true });
            tx.send(b"exit\n".to_vec()).unwrap();
            tx.send(Vec::new()).unwrap();
            tx.send(b"ignored".to_vec()).unwrap();
            let mut got = vec![0; 5];
            process.read_exact(&mut got).await.unwrap();
            assert_eq!(got, b"exit\n");
            for _ in 0..10 {
                tokio::task::yield_now().await;
            }
            let mut rest = Vec::new();
            let ended = futures_util::FutureExt::now_or_never(process.read_to_end(&mut rest));
            assert_eq!(ended.is_some(), closes, "{end:?}");
            assert!(rest.is_empty(), "nothing after the end: {rest:?}");
            // Once the sender is gone (the stream or session ended), so is the pipe.
            drop(tx);
            task.await.unwrap();
            process.read_to_end(&mut rest).await.unwrap();
        }
    }
}
