//! Messages to and from WebSocket frames: control messages as JSON text frames, stream bytes
//! as binary frames with a 5-byte header, so bulk data is never base64'd.
//!
//! Binary frame: stream id (u32, big-endian), channel (u8), then at most
//! [`MAX_CHUNK`](super::stream::MAX_CHUNK) bytes of payload.

use super::messages::{FromAgent, ToAgent};
use super::stream::{Channel, StreamData, StreamId, MAX_CHUNK};
use serde::de::DeserializeOwned;
use serde::Serialize;

/// Bytes before the payload of a binary frame.
pub const DATA_HEADER_LEN: usize = 5;

/// One WebSocket message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Frame {
    Text(String),
    Binary(Vec<u8>),
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EncodeError {
    #[error("data chunk of {0} bytes exceeds the {MAX_CHUNK}-byte limit")]
    ChunkTooLarge(usize),
    #[error("message cannot be written as JSON: {0}")]
    Json(String),
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DecodeError {
    #[error("malformed message: {0}")]
    Json(String),
    #[error("binary frame of {0} bytes is shorter than its {DATA_HEADER_LEN}-byte header")]
    ShortFrame(usize),
    #[error("unknown stream channel {0}")]
    UnknownChannel(u8),
    #[error("data chunk of {0} bytes exceeds the {MAX_CHUNK}-byte limit")]
    ChunkTooLarge(usize),
}

/// A message of one direction of the link.
pub trait Message: Serialize + DeserializeOwned + Sized {
    fn as_data(&self) -> Option<&StreamData>;
    fn from_data(data: StreamData) -> Self;
}

impl Message for ToAgent {
    fn as_data(&self) -> Option<&StreamData> {
        match self {
            Self::Data(d) => Some(d),
            _ => None,
        }
    }
    fn from_data(data: StreamData) -> Self {
        Self::Data(data)
    }
}

impl Message for FromAgent {
    fn as_data(&self) -> Option<&StreamData> {
        match self {
            Self::Data(d) => Some(d),
            _ => None,
        }
    }
    fn from_data(data: StreamData) -> Self {
        Self::Data(data)
    }
}

/// The frame that carries `msg`.
pub fn encode<M: Message>(msg: &M) -> Result<Frame, EncodeError> {
    match msg.as_data() {
        Some(d) => encode_data(d).map(Frame::Binary),
        None => serde_json::to_string(msg).map(Frame::Text).map_err(|e| EncodeError::Json(e.to_string())),
    }
}

/// The message a frame carries; a bad frame is an error, never a panic.
pub fn decode<M: Message>(frame: &Frame) -> Result<M, DecodeError> {
    match frame {
        Frame::Text(text) => serde_json::from_str(text).map_err(|e| DecodeError::Json(e.to_string())),
        Frame::Binary(bytes) => decode_data(bytes).map(M::from_data),
    }
}

pub fn encode_data(d: &StreamData) -> Result<Vec<u8>, EncodeError> {
    if d.data.len() > MAX_CHUNK {
        return Err(EncodeError::ChunkTooLarge(d.data.len()));
    }
    let mut out = Vec::with_capacity(DATA_HEADER_LEN + d.data.len());
    out.extend_from_slice(&data_header(d.stream, d.channel));
    out.extend_from_slice(&d.data);
    Ok(out)
}

/// The header of a binary frame, for a sender that lays the payload out behind it itself
/// (reading straight into the frame instead of copying into it).
pub fn data_header(stream: StreamId, channel: Channel) -> [u8; DATA_HEADER_LEN] {
    let id = stream.to_be_bytes();
    [id[0], id[1], id[2], id[3], channel as u8]
}

pub fn decode_data(bytes: &[u8]) -> Result<StreamData, DecodeError> {
    let view = data_view(bytes)?;
    Ok(StreamData { stream: view.stream, channel: view.channel, data: view.payload.to_vec() })
}

/// A binary frame's stream, channel and payload, borrowed from the frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DataView<'a> {
    pub stream: StreamId,
    pub channel: Channel,
    pub payload: &'a [u8],
}

/// Reads a binary frame in place, checked as [`decode_data`] checks it: a receiver that only
/// counts or forwards the bytes need not copy them out first.
pub fn data_view(bytes: &[u8]) -> Result<DataView<'_>, DecodeError> {
    let (Some(id), Some(&channel)) = (bytes.get(..4), bytes.get(4)) else {
        return Err(DecodeError::ShortFrame(bytes.len()));
    };
    let payload = &bytes[DATA_HEADER_LEN..];
    if payload.len() > MAX_CHUNK {
        return Err(DecodeError::ChunkTooLarge(payload.len()));
    }
    let mut id_bytes = [0u8; 4];
    id_bytes.copy_from_slice(id);
    Ok(DataView {
        stream: u32::from_be_bytes(id_bytes),
        channel: Channel::from_byte(channel).ok_or(DecodeError::UnknownChannel(channel))?,
        payload,
    })
}

#[cfg(test)]
mod tests;
