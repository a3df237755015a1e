//! Reused buffers for outgoing data frames. A port-forward moves a gigabyte a second in
//! frames of at most [`MAX_CHUNK`] bytes; allocating each frame and freeing it once the socket
//! writer had copied it made the allocator grow and trim its heap thousands of times a second
//! (page faults and `brk` were a quarter of the agent's CPU). A frame's buffer comes back here
//! when the writer drops it, so a steady stream allocates nothing.

use bytes::Bytes;
use kubeplay_shared::node_protocol::wire::{data_header, DATA_HEADER_LEN};
use kubeplay_shared::node_protocol::{Channel, StreamId, MAX_CHUNK};
use std::sync::{Arc, Mutex, PoisonError};

/// A whole frame: header and the largest payload.
const FRAME_LEN: usize = DATA_HEADER_LEN + MAX_CHUNK;

/// Free frame buffers of one link, shared by its streams.
#[derive(Clone)]
pub struct FramePool {
    free: Arc<Mutex<Vec<Vec<u8>>>>,
    /// Buffers kept for reuse at most; more than are ever in flight is memory held for nothing.
    keep: usize,
}

impl FramePool {
    pub fn new(keep: usize) -> Self {
        Self {
            free: Arc::default(),
            keep,
        }
    }

    /// A buffer for one frame, reused when one is free.
    pub fn take(&self) -> FrameBuf {
        let reused = self
            .free
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .pop();
        FrameBuf {
            buf: reused.unwrap_or_else(|| vec![0; FRAME_LEN]),
            pool: self.clone(),
        }
    }

    /// The frame carrying `payload` (at most [`MAX_CHUNK`] bytes), copied in once.
    pub fn frame(&self, stream: StreamId, channel: Channel, payload: &[u8]) -> Bytes {
        let mut buf = self.take();
        buf.payload_mut()[..payload.len()].copy_from_slice(payload);
        buf.into_frame(stream, channel, payload.len())
    }

    fn give_back(&self, buf: Vec<u8>) {
        let mut free = self.free.lock().unwrap_or_else(PoisonError::into_inner);
        if free.len() < self.keep {
            free.push(buf);
        }
    }

    #[cfg(test)]
    fn free(&self) -> usize {
        self.free.lock().unwrap().len()
    }
}

/// One frame's buffer, back in its pool when dropped.
pub struct FrameBuf {
    /// Always [`FRAME_LEN`] initialised bytes, so a socket can read into the payload directly.
    buf: Vec<u8>,
    pool: FramePool,
}

impl FrameBuf {
    /// Room for the payload, [`MAX_CHUNK`] bytes.
    pub fn payload_mut(&mut self) -> &mut [u8] {
        &mut self.buf[DATA_HEADER_LEN..]
    }

    /// The frame of the first `len` payload bytes on `channel` of `stream`.
    pub fn into_frame(mut self, stream: StreamId, channel: Channel, len: usize) -> Bytes {
        let len = len.min(MAX_CHUNK);
        self.buf[..DATA_HEADER_LEN].copy_from_slice(&data_header(stream, channel));
        Bytes::from_owner(Filled {
            frame: self,
            len: DATA_HEADER_LEN + len,
        })
    }
}

impl Drop for FrameBuf {
    fn drop(&mut self) {
        let buf = std::mem::take(&mut self.buf);
        if buf.len() == FRAME_LEN {
            self.pool.give_back(buf);
        }
    }
}

/// A frame's bytes as [`Bytes`] hands them to the socket writer.
struct Filled {
    frame: FrameBuf,
    len: usize,
}

impl AsRef<[u8]> for Filled {
    fn as_ref(&self) -> &[u8] {
        &self.frame.buf[..self.len]
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use kubeplay_shared::node_protocol::wire::data_view;

    #[test]
    fn a_frame_reads_back_as_its_stream_channel_and_payload() {
        let pool = FramePool::new(4);
        let frame = pool.frame(7, Channel::Stderr, b"oops");
        let view = data_view(&frame).unwrap();
        assert_eq!(
            (view.stream, view.channel, view.payload),
            (7, Channel::Stderr, &b"oops"[..])
        );
    }

    #[test]
    fn a_dropped_frame_returns_its_buffer_and_the_next_frame_reuses_it() {
        let pool = FramePool::new(4);
        let first = pool.frame(1, Channel::Stdout, &[1; MAX_CHUNK]);
        let address = first.as_ptr();
        assert_eq!(pool.free(), 0);
        drop(first);
        assert_eq!(pool.free(), 1);
        let second = pool.frame(2, Channel::Stdout, b"short");
        assert_eq!(
            second.as_ptr(),
            address,
            "the same memory, not a new allocation"
        );
        assert_eq!(data_view(&second).unwrap().payload, b"short");
    }

    #[test]
    fn the_pool_keeps_no_more_than_it_was_told() {
        let pool = FramePool::new(2);
        let frames: Vec<Bytes> = (0..5)
            .map(|i| pool.frame(i, Channel::Stdout, b"x"))
            .collect();
        drop(frames);
        assert_eq!(pool.free(), 2);
    }

    #[test]
    fn a_payload_read_in_place_is_framed_without_a_copy() {
        let pool = FramePool::new(1);
        let mut buf = pool.take();
        buf.payload_mut()[..3].copy_from_slice(b"abc");
        let frame = buf.into_frame(9, Channel::Stdout, 3);
        assert_eq!(
            &frame[..],
            &[0, 0, 0, 9, Channel::Stdout as u8, b'a', b'b', b'c']
        );
    }
}
