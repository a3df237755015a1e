//! The queue in front of a link's socket writer. Control messages go in as messages, encoded
//! by the writer; stream data goes in already framed (in [`FramePool`](super::frame_pool)
//! buffers), so the bytes a stream read are the bytes the writer sends.

use bytes::Bytes;
use kubeplay_shared::node_protocol::FromAgent;
use tokio::sync::mpsc;

pub enum Outgoing {
    Message(FromAgent),
    /// A binary data frame, header included.
    Frame(Bytes),
}

/// The link is gone: nothing more will be sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Closed;

/// Where a link's tasks queue what they send (a bounded queue: a task whose output outruns the
/// socket waits here).
#[derive(Clone)]
pub struct Outbox(mpsc::Sender<Outgoing>);

impl Outbox {
    pub fn channel(capacity: usize) -> (Self, mpsc::Receiver<Outgoing>) {
        let (tx, rx) = mpsc::channel(capacity);
        (Self(tx), rx)
    }

    pub async fn send(&self, msg: FromAgent) -> Result<(), Closed> {
        self.0
            .send(Outgoing::Message(msg))
            .await
            .map_err(|_| Closed)
    }

    pub async fn send_frame(&self, frame: Bytes) -> Result<(), Closed> {
        self.0
            .send(Outgoing::Frame(frame))
            .await
            .map_err(|_| Closed)
    }
}
