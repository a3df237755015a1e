//! Credit-based flow control for one direction of one stream, as plain values.
//!
//! The receiver grants credit only for bytes its consumer has taken, and the sender never
//! sends beyond its credit and never queues beyond a fixed capacity; so a slow consumer stalls
//! the producer, and no buffer on either side grows past its bound.

use super::stream::{Channel, MAX_CHUNK};
use std::collections::VecDeque;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FlowError {
    #[error("stream is closed")]
    Closed,
    /// The peer sent more than it was granted: a protocol violation that ends the stream.
    #[error("peer sent {received} bytes with only {allowed} bytes of credit")]
    Overrun { received: usize, allowed: u64 },
}

/// The sending half: a bounded queue drained as credit allows, in chunks of at most
/// [`MAX_CHUNK`] bytes.
#[derive(Debug, Clone)]
pub struct Sender {
    credit: u64,
    capacity: usize,
    queued: usize,
    queue: VecDeque<(Channel, Vec<u8>)>,
    closed: bool,
    end: End,
}

/// Whether the producer ended its side of the stream (a TCP half-close for port-forward).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum End {
    Open,
    /// Queued bytes go first, then the empty frame that marks the end.
    Pending(Channel),
    Sent,
}

impl Sender {
    /// A sender granted `window` bytes up front that queues at most `capacity` bytes.
    pub fn new(window: u32, capacity: usize) -> Self {
        Self { credit: u64::from(window), capacity, queued: 0, queue: VecDeque::new(), closed: false, end: End::Open }
    }

    /// How many bytes the producer may hand over now; 0 means it must wait (back-pressure).
    pub fn space(&self) -> usize {
        if self.closed || self.end != End::Open {
            0
        } else {
            self.capacity - self.queued
        }
    }

    /// Bytes that may go on the wire now without more credit.
    pub fn credit(&self) -> u64 {
        self.credit
    }

    /// Bytes queued but not yet sent.
    pub fn queued(&self) -> usize {
        self.queued
    }

    pub fn is_closed(&self) -> bool {
        self.closed
    }

    /// Takes as much of `data` as fits; the producer keeps the rest until [`Self::space`] grows.
    pub fn push(&mut self, channel: Channel, data: &[u8]) -> Result<usize, FlowError> {
        if self.closed || self.end != End::Open {
            return Err(FlowError::Closed);
        }
        let take = data.len().min(self.space());
        for piece in data[..take].chunks(MAX_CHUNK) {
            self.queue.push_back((channel, piece.to_vec()));
        }
        self.queued += take;
        Ok(take)
    }

    /// The peer consumed `bytes` more.
    pub fn grant(&mut self, bytes: u32) {
        if !self.closed {
            self.credit = self.credit.saturating_add(u64::from(bytes));
        }
    }

    /// Ends this direction once the queued bytes are out: an empty chunk on `channel` follows
    /// them (it needs no credit), and nothing more is taken. The stream stays open for the
    /// other direction.
    pub fn finish(&mut self, channel: Channel) -> Result<(), FlowError> {
        if self.closed || self.end != End::Open {
            return Err(FlowError::Closed);
        }
        self.end = End::Pending(channel);
        Ok(())
    }

    /// The next chunk to put on the wire, if credit allows; a chunk larger than the credit left
    /// is split, so the credit is never exceeded.
    pub fn next_chunk(&mut self) -> Option<(Channel, Vec<u8>)> {
        if let (true, End::Pending(channel)) = (self.queue.is_empty(), self.end) {
            self.end = End::Sent;
            return Some((channel, Vec::new()));
        }
        let allowed = usize::try_from(self.credit).unwrap_or(usize::MAX).min(MAX_CHUNK);
        if allowed == 0 {
            return None;
        }
        let (channel, front) = self.queue.front_mut()?;
        let channel = *channel;
        let chunk = if front.len() <= allowed {
            self.queue.pop_front().map(|(_, d)| d).unwrap_or_default()
        } else {
            let rest = front.split_off(allowed);
            std::mem::replace(front, rest)
        };
        self.queued -= chunk.len();
        self.credit -= chunk.len() as u64;
        Some((channel, chunk))
    }

    /// Ends the stream: queued bytes are dropped (returned as a count) and nothing more is taken.
    pub fn close(&mut self) -> usize {
        self.closed = true;
        self.queue.clear();
        self.credit = 0;
        std::mem::take(&mut self.queued)
    }
}

/// The receiving half: checks the peer stays within its grant and decides when to grant more.
#[derive(Debug, Clone)]
pub struct Receiver {
    window: u32,
    /// Bytes the peer may still send.
    allowed: u64,
    /// Received, not yet taken by the consumer.
    buffered: usize,
    /// Taken by the consumer, not yet granted back.
    pending: u32,
    closed: bool,
}

impl Receiver {
    pub fn new(window: u32) -> Self {
        Self { window, allowed: u64::from(window), buffered: 0, pending: 0, closed: false }
    }

    /// Bytes received and not yet consumed; never more than the window.
    pub fn buffered(&self) -> usize {
        self.buffered
    }

    /// Accounts for `len` bytes that arrived; too many is the peer's fault, not ours to buffer.
    pub fn receive(&mut self, len: usize) -> Result<(), FlowError> {
        if self.closed {
            return Err(FlowError::Closed);
        }
        if len as u64 > self.allowed {
            return Err(FlowError::Overrun { received: len, allowed: self.allowed });
        }
        self.allowed -= len as u64;
        self.buffered += len;
        Ok(())
    }

    /// The consumer took `len` bytes; returns the credit to send once a quarter of the window
    /// is owed, so that a fast consumer sends one credit per quarter window rather than one per
    /// chunk. The sender never stalls on what is held back: with everything consumed it still
    /// has three quarters of the window, more than a chunk.
    pub fn consume(&mut self, len: usize) -> Option<u32> {
        let len = len.min(self.buffered);
        self.buffered -= len;
        if self.closed {
            return None;
        }
        self.pending = self.pending.saturating_add(u32::try_from(len).unwrap_or(u32::MAX));
        if self.pending >= (self.window / 4).max(1) {
            let grant = std::mem::take(&mut self.pending);
            self.allowed += u64::from(grant);
            Some(grant)
        } else {
            None
        }
    }

    /// Grows the window to `window` bytes (never shrinks it); returns the credit that tells the
    /// sender, which knows only the window it started with. Used right after opening a bulk
    /// stream.
    pub fn widen(&mut self, window: u32) -> Option<u32> {
        if self.closed || window <= self.window {
            return None;
        }
        let more = window - self.window;
        self.window = window;
        self.allowed += u64::from(more);
        Some(more)
    }

    pub fn close(&mut self) {
        self.closed = true;
        self.buffered = 0;
        self.pending = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn drain(s: &mut Sender) -> Vec<Vec<u8>> {
        std::iter::from_fn(|| s.next_chunk().map(|(_, d)| d)).collect()
    }

    #[test]
    fn a_sender_never_exceeds_its_window_and_chunks_stay_small() {
        let mut s = Sender::new(100_000, 1 << 20);
        assert_eq!(s.push(Channel::Stdout, &vec![7; 300_000]).unwrap(), 300_000);
        let sent = drain(&mut s);
        assert_eq!(sent.iter().map(Vec::len).sum::<usize>(), 100_000);
        assert!(sent.iter().all(|c| c.len() <= MAX_CHUNK));
        assert_eq!(s.credit(), 0);
        assert_eq!(s.queued(), 200_000);
    }

    #[test]
    fn credit_resumes_a_stalled_sender() {
        let mut s = Sender::new(10, 100);
        s.push(Channel::Stdout, b"hello, world").unwrap();
        assert_eq!(drain(&mut s), vec![b"hello, wor".to_vec()]);
        assert_eq!(s.next_chunk(), None, "stalled without credit");
        s.grant(5);
        assert_eq!(s.next_chunk(), Some((Channel::Stdout, b"ld".to_vec())));
        assert_eq!(s.credit(), 3);
    }

    #[test]
    fn a_full_queue_pushes_back_on_the_producer() {
        let mut s = Sender::new(0, 8);
        assert_eq!(s.push(Channel::Stdout, b"0123456789").unwrap(), 8);
        assert_eq!(s.space(), 0);
        assert_eq!(s.push(Channel::Stdout, b"more").unwrap(), 0);
        s.grant(3);
        s.next_chunk();
        assert_eq!(s.space(), 3);
    }

    #[test]
    fn chunks_keep_their_channel_and_order() {
        let mut s = Sender::new(100, 100);
        s.push(Channel::Stdout, b"out").unwrap();
        s.push(Channel::Stderr, b"err").unwrap();
        let got: Vec<_> = std::iter::from_fn(|| s.next_chunk()).collect();
        assert_eq!(got, vec![(Channel::Stdout, b"out".to_vec()), (Channel::Stderr, b"err".to_vec())]);
    }

    #[test]
    fn close_releases_what_was_queued_and_refuses_more() {
        let mut s = Sender::new(0, 100);
        s.push(Channel::Stdin, b"pending").unwrap();
        assert_eq!(s.close(), 7);
        assert_eq!(s.queued(), 0);
        assert_eq!(s.push(Channel::Stdin, b"x"), Err(FlowError::Closed));
        s.grant(100);
        assert_eq!(s.next_chunk(), None);
        let mut r = Receiver::new(10);
        r.receive(4).unwrap();
        r.close();
        assert_eq!(r.buffered(), 0);
        assert_eq!(r.receive(1), Err(FlowError::Closed));
        assert_eq!(r.consume(4), None);
    }

    #[test]
    fn finishing_sends_an_empty_chunk_after_the_queued_bytes_even_without_credit() {
        let mut s = Sender::new(3, 100);
        s.push(Channel::Stdin, b"hello").unwrap();
        s.finish(Channel::Stdin).unwrap();
        assert_eq!(s.space(), 0);
        assert_eq!(s.push(Channel::Stdin, b"x"), Err(FlowError::Closed));
        assert_eq!(drain(&mut s), vec![b"hel".to_vec()]);
        s.grant(2);
        assert_eq!(drain(&mut s), vec![b"lo".to_vec(), Vec::new()], "the end marker comes last, once");
        assert_eq!(s.finish(Channel::Stdin), Err(FlowError::Closed));
    }

    #[test]
    fn a_receiver_refuses_data_beyond_its_grant() {
        let mut r = Receiver::new(10);
        r.receive(6).unwrap();
        assert_eq!(r.receive(5), Err(FlowError::Overrun { received: 5, allowed: 4 }));
        assert_eq!(r.buffered(), 6, "the refused bytes were not counted");
    }

    #[test]
    fn credit_is_batched_per_quarter_window() {
        let mut r = Receiver::new(400);
        r.receive(300).unwrap();
        assert_eq!(r.consume(10), None, "10 is below a quarter window");
        assert_eq!(r.consume(100), Some(110));
        assert_eq!(r.consume(150), Some(150));
        assert_eq!(r.consume(40), None, "everything consumed, 40 held back: the sender has 360");
        r.receive(360).unwrap();
        assert_eq!(r.receive(1), Err(FlowError::Overrun { received: 1, allowed: 0 }));
    }

    #[test]
    fn a_fast_consumer_leaves_the_sender_credit_for_a_whole_chunk() {
        let window = 8 * MAX_CHUNK as u32;
        let (mut s, mut r) = (Sender::new(window, usize::MAX), Receiver::new(window));
        for _ in 0..100 {
            s.push(Channel::Stdout, &[0; 50_000]).unwrap();
        }
        while s.queued() > 0 {
            // Everything the credit allows is in flight; then the consumer takes it all.
            let burst: Vec<usize> = std::iter::from_fn(|| s.next_chunk().map(|(_, d)| d.len())).collect();
            assert!(!burst.is_empty(), "the sender stalled with {} bytes of credit", s.credit());
            for len in burst {
                r.receive(len).unwrap();
                if let Some(c) = r.consume(len) {
                    s.grant(c);
                }
            }
            assert!(s.credit() >= MAX_CHUNK as u64, "credit {}", s.credit());
        }
    }

    #[test]
    fn widening_grants_the_difference_once() {
        let mut r = Receiver::new(100);
        assert_eq!(r.widen(1000), Some(900));
        assert_eq!(r.widen(1000), None);
        assert_eq!(r.widen(10), None, "a window never shrinks");
        r.receive(1000).unwrap();
        assert_eq!(r.consume(249), None);
        assert_eq!(r.consume(1), Some(250), "a quarter of the wide window");
    }

    proptest! {
        /// However producer, link and consumer interleave, the receiver never holds more than the
        /// window, the sender never queues more than its capacity, and every byte arrives once.
        #[test]
        fn bounded_buffers_under_any_schedule(steps in prop::collection::vec((0u8..3, 1usize..50_000), 1..200)) {
            const WINDOW: u32 = 64 * 1024;
            const CAPACITY: usize = 100_000;
            let (mut s, mut r) = (Sender::new(WINDOW, CAPACITY), Receiver::new(WINDOW));
            let (mut produced, mut consumed) = (0usize, 0usize);
            for (action, n) in steps {
                match action {
                    0 => produced += s.push(Channel::Stdout, &vec![0; n]).unwrap(),
                    1 => {
                        if let Some((_, chunk)) = s.next_chunk() {
                            prop_assert!(chunk.len() <= MAX_CHUNK);
                            r.receive(chunk.len()).unwrap();
                        }
                    }
                    _ => {
                        let take = n.min(r.buffered());
                        consumed += take;
                        if let Some(c) = r.consume(take) {
                            s.grant(c);
                        }
                    }
                }
                prop_assert!(r.buffered() <= WINDOW as usize);
                prop_assert!(s.queued() <= CAPACITY);
                prop_assert_eq!(produced, consumed + r.buffered() + s.queued());
            }
        }
    }
}
