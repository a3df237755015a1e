//! SPDY/3.1 frames on the wire: the 8-byte frame header, the control frames port-forward meets,
//! and data frames. Header blocks stay compressed here; [`super::headers`] owns their zlib
//! contexts, which must see every block in wire order.

use bytes::{Buf, BufMut, Bytes, BytesMut};
use tokio::io::{AsyncRead, AsyncReadExt};

/// The only version this codec speaks (kubectl's SPDY library sends 3).
pub const VERSION: u16 = 3;
/// FIN on data, SYN_STREAM, SYN_REPLY and HEADERS: the sender ends its half of the stream.
pub const FLAG_FIN: u8 = 0x01;
/// The largest frame payload SPDY can express (24-bit length).
pub const MAX_PAYLOAD: usize = (1 << 24) - 1;

const SYN_STREAM: u16 = 1;
const SYN_REPLY: u16 = 2;
const RST_STREAM: u16 = 3;
const SETTINGS: u16 = 4;
const PING: u16 = 6;
const GOAWAY: u16 = 7;
const HEADERS: u16 = 8;
const WINDOW_UPDATE: u16 = 9;
const STREAM_ID_MASK: u32 = 0x7fff_ffff;

/// RST_STREAM status codes used here (SPDY/3 section 2.6.2).
pub mod rst {
    pub const PROTOCOL_ERROR: u32 = 1;
    pub const REFUSED_STREAM: u32 = 3;
    pub const CANCEL: u32 = 5;
    pub const STREAM_IN_USE: u32 = 8;
}

/// One frame. Header blocks (`headers`) are the compressed bytes as sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Frame {
    Data {
        stream: u32,
        fin: bool,
        data: Bytes,
    },
    SynStream {
        stream: u32,
        associated: u32,
        priority: u8,
        flags: u8,
        headers: Bytes,
    },
    SynReply {
        stream: u32,
        fin: bool,
        headers: Bytes,
    },
    RstStream {
        stream: u32,
        status: u32,
    },
    /// Settings are read and ignored: nothing port-forward does depends on them.
    Settings,
    Ping {
        id: u32,
    },
    GoAway {
        last_good: u32,
        status: u32,
    },
    Headers {
        stream: u32,
        fin: bool,
        headers: Bytes,
    },
    WindowUpdate {
        stream: u32,
        delta: u32,
    },
    /// A control frame type SPDY/3 does not define: the spec says to ignore it.
    Unknown {
        kind: u16,
    },
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum FrameError {
    #[error("SPDY version {0} is not supported (only 3)")]
    Version(u16),
    #[error("SPDY control frame type {kind} is {len} bytes long, too short for its fields")]
    Short { kind: u16, len: usize },
    #[error("SPDY frame payload of {0} bytes exceeds the 24-bit limit")]
    TooLarge(usize),
}

#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    #[error("reading a SPDY frame: {0}")]
    Io(#[from] std::io::Error),
    #[error(transparent)]
    Frame(#[from] FrameError),
}

impl Frame {
    /// The frame as bytes on the wire.
    pub fn encode(&self) -> Result<Vec<u8>, FrameError> {
        let (kind, flags, payload): (u16, u8, Vec<u8>) = match self {
            Frame::Data { stream, fin, data } => {
                let len = checked_len(data.len())?;
                let mut out = Vec::with_capacity(8 + data.len());
                out.put_u32(stream & STREAM_ID_MASK);
                out.put_u32(u32::from(flag(*fin)) << 24 | len);
                out.extend_from_slice(data);
                return Ok(out);
            }
            Frame::SynStream {
                stream,
                associated,
                priority,
                flags,
                headers,
            } => {
                let mut p = Vec::with_capacity(10 + headers.len());
                p.put_u32(stream & STREAM_ID_MASK);
                p.put_u32(associated & STREAM_ID_MASK);
                p.put_u8((priority & 0x7) << 5);
                p.put_u8(0);
                p.extend_from_slice(headers);
                (SYN_STREAM, *flags, p)
            }
            Frame::SynReply {
                stream,
                fin,
                headers,
            } => (SYN_REPLY, flag(*fin), stream_then(*stream, headers)),
            Frame::Headers {
                stream,
                fin,
                headers,
            } => (HEADERS, flag(*fin), stream_then(*stream, headers)),
            Frame::RstStream { stream, status } => (RST_STREAM, 0, two_words(*stream, *status)),
            Frame::Settings => (SETTINGS, 0, vec![0, 0, 0, 0]),
            Frame::Ping { id } => (PING, 0, id.to_be_bytes().to_vec()),
            Frame::GoAway { last_good, status } => (GOAWAY, 0, two_words(*last_good, *status)),
            Frame::WindowUpdate { stream, delta } => {
                (WINDOW_UPDATE, 0, two_words(*stream, delta & STREAM_ID_MASK))
            }
            Frame::Unknown { kind } => (*kind, 0, Vec::new()),
        };
        let len = checked_len(payload.len())?;
        let mut out = Vec::with_capacity(8 + payload.len());
        out.put_u32(0x8000_0000 | u32::from(VERSION) << 16 | u32::from(kind));
        out.put_u32(u32::from(flags) << 24 | len);
        out.extend_from_slice(&payload);
        Ok(out)
    }

    /// Decodes one frame from its 8-byte header and its payload.
    pub fn decode(header: [u8; 8], payload: Bytes) -> Result<Frame, FrameError> {
        let first = u32::from_be_bytes([header[0], header[1], header[2], header[3]]);
        let flags = header[4];
        let fin = flags & FLAG_FIN != 0;
        if first & 0x8000_0000 == 0 {
            return Ok(Frame::Data {
                stream: first & STREAM_ID_MASK,
                fin,
                data: payload,
            });
        }
        let version = ((first >> 16) & 0x7fff) as u16;
        if version != VERSION {
            return Err(FrameError::Version(version));
        }
        let kind = (first & 0xffff) as u16;
        let need = match kind {
            SYN_STREAM => 10,
            SYN_REPLY | HEADERS | PING => 4,
            RST_STREAM | GOAWAY | WINDOW_UPDATE => 8,
            _ => 0,
        };
        if payload.len() < need {
            return Err(FrameError::Short {
                kind,
                len: payload.len(),
            });
        }
        let mut p = payload;
        Ok(match kind {
            SYN_STREAM => {
                let stream = p.get_u32() & STREAM_ID_MASK;
                let associated = p.get_u32() & STREAM_ID_MASK;
                let priority = p.get_u8() >> 5;
                p.advance(1);
                Frame::SynStream {
                    stream,
                    associated,
                    priority,
                    flags,
                    headers: p,
                }
            }
            SYN_REPLY => Frame::SynReply {
                stream: p.get_u32() & STREAM_ID_MASK,
                fin,
                headers: p,
            },
            HEADERS => Frame::Headers {
                stream: p.get_u32() & STREAM_ID_MASK,
                fin,
                headers: p,
            },
            RST_STREAM => Frame::RstStream {
                stream: p.get_u32() & STREAM_ID_MASK,
                status: p.get_u32(),
            },
            SETTINGS => Frame::Settings,
            PING => Frame::Ping { id: p.get_u32() },
            GOAWAY => Frame::GoAway {
                last_good: p.get_u32() & STREAM_ID_MASK,
                status: p.get_u32(),
            },
            WINDOW_UPDATE => Frame::WindowUpdate {
                stream: p.get_u32() & STREAM_ID_MASK,
                delta: p.get_u32() & STREAM_ID_MASK,
            },
            kind => Frame::Unknown { kind },
        })
    }
}

/// Reads the next frame; `Ok(None)` when the peer closed the connection between frames.
pub async fn read_frame<R: AsyncRead + Unpin>(reader: &mut R) -> Result<Option<Frame>, ReadError> {
    let mut header = [0u8; 8];
    let mut got = 0;
    while got < header.len() {
        let n = reader.read(&mut header[got..]).await?;
        if n == 0 {
            if got == 0 {
                return Ok(None);
            }
            return Err(std::io::Error::from(std::io::ErrorKind::UnexpectedEof).into());
        }
        got += n;
    }
    let len = (u32::from_be_bytes([0, header[5], header[6], header[7]])) as usize;
    let mut payload = BytesMut::zeroed(len);
    reader.read_exact(&mut payload).await?;
    Ok(Some(Frame::decode(header, payload.freeze())?))
}

fn checked_len(len: usize) -> Result<u32, FrameError> {
    if len > MAX_PAYLOAD {
        return Err(FrameError::TooLarge(len));
    }
    Ok(len as u32)
}

fn flag(fin: bool) -> u8 {
    if fin {
        FLAG_FIN
    } else {
        0
    }
}

fn stream_then(stream: u32, rest: &[u8]) -> Vec<u8> {
    let mut p = Vec::with_capacity(4 + rest.len());
    p.put_u32(stream & STREAM_ID_MASK);
    p.extend_from_slice(rest);
    p
}

fn two_words(a: u32, b: u32) -> Vec<u8> {
    let mut p = Vec::with_capacity(8);
    p.put_u32(a & STREAM_ID_MASK);
    p.put_u32(b);
    p
}

#[cfg(test)]
mod tests {
    use super::*;

    fn split(bytes: &[u8]) -> ([u8; 8], Bytes) {
        let mut header = [0u8; 8];
        header.copy_from_slice(&bytes[..8]);
        (header, Bytes::copy_from_slice(&bytes[8..]))
    }

    #[test]
    fn a_data_frame_carries_its_stream_flags_and_length() {
        let frame = Frame::Data {
            stream: 3,
            fin: true,
            data: Bytes::from_static(b"hi"),
        };
        let bytes = frame.encode().unwrap();
        assert_eq!(bytes, [0, 0, 0, 3, 1, 0, 0, 2, b'h', b'i']);
        let (h, p) = split(&bytes);
        assert_eq!(Frame::decode(h, p).unwrap(), frame);
    }

    #[test]
    fn a_syn_stream_from_the_wire_decodes_field_by_field() {
        // Control bit + version 3, type 1; flags FIN; length 13: stream 5, associated 0,
        // priority 2 (top three bits), slot 0, then three bytes of header block.
        let wire = [
            0x80, 0x03, 0x00, 0x01, 0x01, 0x00, 0x00, 0x0d, 0, 0, 0, 5, 0, 0, 0, 0, 0x40, 0, 0xaa,
            0xbb, 0xcc,
        ];
        let (h, p) = split(&wire);
        let frame = Frame::decode(h, p).unwrap();
        assert_eq!(
            frame,
            Frame::SynStream {
                stream: 5,
                associated: 0,
                priority: 2,
                flags: FLAG_FIN,
                headers: Bytes::from_static(&[0xaa, 0xbb, 0xcc]),
            }
        );
        assert_eq!(frame.encode().unwrap(), wire);
    }

    #[test]
    fn control_frames_round_trip_with_the_spec_layout() {
        let cases: Vec<(Frame, Vec<u8>)> = vec![
            (
                Frame::Ping { id: 7 },
                vec![0x80, 3, 0, 6, 0, 0, 0, 4, 0, 0, 0, 7],
            ),
            (
                Frame::RstStream {
                    stream: 9,
                    status: 5,
                },
                vec![0x80, 3, 0, 3, 0, 0, 0, 8, 0, 0, 0, 9, 0, 0, 0, 5],
            ),
            (
                Frame::GoAway {
                    last_good: 11,
                    status: 0,
                },
                vec![0x80, 3, 0, 7, 0, 0, 0, 8, 0, 0, 0, 11, 0, 0, 0, 0],
            ),
            (
                Frame::SynReply {
                    stream: 1,
                    fin: false,
                    headers: Bytes::from_static(&[0x78]),
                },
                vec![0x80, 3, 0, 2, 0, 0, 0, 5, 0, 0, 0, 1, 0x78],
            ),
            (
                Frame::WindowUpdate {
                    stream: 1,
                    delta: 4096,
                },
                vec![0x80, 3, 0, 9, 0, 0, 0, 8, 0, 0, 0, 1, 0, 0, 0x10, 0],
            ),
        ];
        for (frame, wire) in cases {
            assert_eq!(frame.encode().unwrap(), wire, "{frame:?}");
            let (h, p) = split(&wire);
            assert_eq!(Frame::decode(h, p).unwrap(), frame);
        }
    }

    #[test]
    fn other_versions_short_frames_and_unknown_types_are_told_apart() {
        let (h, p) = split(&[0x80, 2, 0, 6, 0, 0, 0, 4, 0, 0, 0, 1]);
        assert_eq!(Frame::decode(h, p), Err(FrameError::Version(2)));
        let (h, p) = split(&[0x80, 3, 0, 3, 0, 0, 0, 4, 0, 0, 0, 1]);
        assert_eq!(
            Frame::decode(h, p),
            Err(FrameError::Short { kind: 3, len: 4 })
        );
        let (h, p) = split(&[0x80, 3, 0, 0x20, 0, 0, 0, 1, 9]);
        assert_eq!(Frame::decode(h, p), Ok(Frame::Unknown { kind: 0x20 }));
    }

    #[tokio::test]
    async fn frames_are_read_across_partial_reads_and_eof_between_frames_is_clean() {
        let ping = Frame::Ping { id: 1 }.encode().unwrap();
        let data = Frame::Data {
            stream: 1,
            fin: false,
            data: Bytes::from_static(b"abc"),
        }
        .encode()
        .unwrap();
        let (mut client, mut server) = tokio::io::duplex(4);
        let mut wire = ping.clone();
        wire.extend_from_slice(&data);
        let writer = tokio::spawn(async move {
            tokio::io::AsyncWriteExt::write_all(&mut client, &wire)
                .await
                .unwrap();
        });
        assert_eq!(
            read_frame(&mut server).await.unwrap(),
            Some(Frame::Ping { id: 1 })
        );
        assert!(matches!(
            read_frame(&mut server).await.unwrap(),
            Some(Frame::Data { stream: 1, .. })
        ));
        writer.await.unwrap();
        assert_eq!(read_frame(&mut server).await.unwrap(), None);
    }

    #[tokio::test]
    async fn eof_inside_a_frame_is_an_error() {
        let bytes: &[u8] = &[0x80, 3, 0, 6, 0, 0, 0, 4, 0];
        let mut reader = bytes;
        assert!(read_frame(&mut reader).await.is_err());
    }
}
